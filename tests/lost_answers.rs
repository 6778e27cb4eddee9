//! Lost answers (SPEC "Lost answers", issue 12), through the binary as the runner runs it, against
//! the emulator's lose mode: a write is applied and its answer then lost (503, or the connection
//! dropped), so the SDK's retry meets the state the first attempt left. The run must recognise its
//! own write, publish exactly the tested code, and say so truthfully in its outputs; a change by
//! someone else must still fail cleanly. Also the untested publish, and the seeded figure.
//!
//! LIVE is always checked through a real SDK client, never through the run's own outputs.
//! Not for: timing; every assertion here is about state, order or counts.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_cloudfront::types::FunctionStage;
use cloudfront_publish::emulator::LoseRule;
use common::{Emu, Run, example_workspace, operations, run_action};

const NAME: &str = "example-viewer-request";
/// The example function, changed in a way its tests do not see.
fn changed() -> String {
    format!("{}// v2\n", include_str!("../examples/function.js"))
}

fn inputs(url: &str) -> Vec<(&str, &str)> {
    vec![
        ("function-name", NAME),
        ("function-file", "function.js"),
        ("test-events", "tests/*.yaml\n"),
        ("endpoint-url", url),
    ]
}

fn rule(text: &str) -> LoseRule {
    text.parse().expect("a valid --lose rule")
}

/// LIVE's code and ETag, read through the SDK; `None` when nothing is live. The emulator's
/// injected faults hit these reads too, so they are repeated until CloudFront gives an answer.
async fn live(emu: &Emu) -> Option<(Vec<u8>, String)> {
    let sdk = emu.client();
    for _ in 0..50 {
        let code = sdk
            .get_function()
            .name(NAME)
            .stage(FunctionStage::Live)
            .send()
            .await;
        let described = sdk
            .describe_function()
            .name(NAME)
            .stage(FunctionStage::Live)
            .send()
            .await;
        match (code, described) {
            (Ok(code), Ok(described)) => {
                return Some((
                    code.function_code()?.as_ref().to_vec(),
                    described.e_tag()?.to_owned(),
                ));
            }
            (Err(e), _)
                if e.as_service_error()
                    .is_some_and(|e| e.is_no_such_function_exists()) =>
            {
                return None;
            }
            _ => continue,
        }
    }
    panic!("LIVE could not be read through the faults")
}

/// How many answers of `op` the emulator lost (applied, then 503 or dropped).
fn lost(emu: &Emu, op: &str) -> usize {
    emu.requests()
        .iter()
        .filter(|l| l["operation"] == op && !l["lost"].is_null())
        .count()
}

/// The run published the workspace's function, all its tests passed, and the outputs say what
/// LIVE holds.
async fn assert_published_tested_code(emu: &Emu, ws: &std::path::Path, run: &Run) {
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(run.out("published"), "true", "{run:#?}");
    assert_eq!(run.out("tested"), "true");
    assert_eq!(run.out("stage"), "LIVE");
    let (code, etag) = live(emu).await.expect("LIVE exists");
    assert_eq!(
        code,
        std::fs::read(ws.join("function.js")).unwrap(),
        "LIVE holds the tested code"
    );
    assert_eq!(run.out("etag"), etag, "the etag output is LIVE's");
    let results: serde_json::Value = serde_json::from_str(run.out("test-results")).unwrap();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r["passed"] == true), "{results:#?}");
    assert!(!run.stdout.contains("::error"), "{}", run.stdout);
}

async fn lost_create(how: &str) {
    let emu = Emu::start(|c| c.lose = vec![rule(&format!("CreateFunction:{how}"))]).await;
    let ws = example_workspace();
    let run = run_action(ws.path(), &inputs(&emu.url()), &[]).await;
    assert_eq!(
        lost(&emu, "CreateFunction"),
        1,
        "the emulator lost one answer"
    );
    assert_published_tested_code(&emu, ws.path(), &run).await;
    assert_eq!(run.out("changed"), "true");
    let ops = operations(&emu.requests());
    assert!(
        ops.iter().filter(|o| *o == "CreateFunction").count() >= 2,
        "the SDK retried the create: {ops:?}"
    );
    assert!(
        run.stdout.contains("answer was lost"),
        "the step log says so: {}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_answered_503_after_it_was_applied_is_recognised_and_published() {
    lost_create("503").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_whose_connection_dropped_after_it_was_applied_is_recognised_and_published() {
    lost_create("drop").await;
}

async fn lost_update(how: &str) {
    // The first run creates (no UpdateFunction), so the rule hits the second run's update.
    let emu = Emu::start(|c| c.lose = vec![rule(&format!("UpdateFunction:{how}"))]).await;
    let ws = example_workspace();
    assert_eq!(
        run_action(ws.path(), &inputs(&emu.url()), &[]).await.code,
        0
    );
    std::fs::write(ws.path().join("function.js"), changed()).unwrap();
    let run = run_action(ws.path(), &inputs(&emu.url()), &[]).await;
    assert_eq!(lost(&emu, "UpdateFunction"), 1);
    assert_published_tested_code(&emu, ws.path(), &run).await;
    assert_eq!(run.out("changed"), "true");
    // The tests ran on the ETag the lost update produced, and that ETag was published.
    let log = emu.requests();
    let update = log
        .iter()
        .position(|l| l["operation"] == "UpdateFunction" && !l["lost"].is_null())
        .unwrap();
    assert!(
        log[update..]
            .iter()
            .any(|l| l["operation"] == "PublishFunction" && l["status"] == 200),
        "{:?}",
        operations(&log[update..])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_answered_503_after_it_was_applied_is_recognised_and_published() {
    lost_update("503").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_whose_connection_dropped_after_it_was_applied_is_recognised_and_published() {
    lost_update("drop").await;
}

async fn lost_publish(how: &str) {
    let emu = Emu::start(|c| c.lose = vec![rule(&format!("PublishFunction:{how}"))]).await;
    let ws = example_workspace();
    let run = run_action(ws.path(), &inputs(&emu.url()), &[]).await;
    assert_eq!(lost(&emu, "PublishFunction"), 1);
    assert_published_tested_code(&emu, ws.path(), &run).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_publish_answered_503_after_it_was_applied_reports_published_true() {
    lost_publish("503").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_publish_whose_connection_dropped_after_it_was_applied_reports_published_true() {
    lost_publish("drop").await;
}

/// The service's answer when it cannot serve a request (after which the SDK retries).
const SERVICE_UNAVAILABLE: &str = "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>Service Unavailable</Message></Error><RequestId>unavailable-1</RequestId></ErrorResponse>";

#[tokio::test(flavor = "multi_thread")]
async fn a_publish_never_answered_and_not_live_fails_saying_it_may_still_go_through() {
    // A proxy answers every PublishFunction 503 without passing it on: LIVE never gets the code,
    // but the run cannot know whether the service will still apply it.
    let emu = Emu::start(|_| {}).await;
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = Arc::clone(&refused);
    let url = common::proxy(emu.url(), move |method, path: String| {
        let count = Arc::clone(&count);
        async move {
            if method != http::Method::POST || !path.ends_with("/publish") {
                return None;
            }
            count.fetch_add(1, Ordering::SeqCst);
            common::xml_error(503, "unavailable-1", SERVICE_UNAVAILABLE)
        }
    })
    .await;
    let ws = example_workspace();
    let run = run_action(ws.path(), &inputs(&url), &[]).await;
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        refused.load(Ordering::SeqCst) >= 2,
        "the SDK retried the publish"
    );
    assert_eq!(run.out("published"), "false");
    assert_eq!(live(&emu).await, None, "nothing reached LIVE");
    let error = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::error"))
        .unwrap_or_default();
    assert!(error.contains("ServiceUnavailable"), "{error}");
    assert!(error.contains("may still go through"), "{error}");
    assert!(
        operations(&emu.requests())
            .iter()
            .any(|o| o == "GetFunction"),
        "LIVE was read back before failing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_write_answer_lost_still_publishes_the_tested_code() {
    let emu = Emu::start(|c| c.lose = vec![rule("writes:503:all")]).await;
    let ws = example_workspace();
    let run = run_action(ws.path(), &inputs(&emu.url()), &[]).await;
    assert!(lost(&emu, "CreateFunction") >= 1 && lost(&emu, "PublishFunction") >= 1);
    assert_published_tested_code(&emu, ws.path(), &run).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_function_without_test_cases_is_published_untested_and_says_so() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let url = emu.url();
    let run = run_action(
        ws.path(),
        &[
            ("function-name", NAME),
            ("function-file", "function.js"),
            ("endpoint-url", &url),
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "tests are optional: {run:#?}");
    assert_eq!(run.out("published"), "true");
    assert_eq!(run.out("tested"), "false");
    assert_eq!(run.out("test-results"), "[]");
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("::warning") && l.contains("published untested")),
        "{}",
        run.stdout
    );
    assert!(
        run.summary.contains("published untested"),
        "{}",
        run.summary
    );
    assert!(live(&emu).await.is_some(), "it was published");
}

/// A proxy in front of the emulator through which another writer changes DEVELOPMENT just before
/// the run's UpdateFunction arrives: the run's update then meets a real foreign change.
async fn foreign_update_proxy(emu_url: String) -> (String, Arc<AtomicBool>) {
    let raced = Arc::new(AtomicBool::new(false));
    let (flag, writer_url) = (raced.clone(), emu_url.clone());
    let url = common::proxy(emu_url, move |method, _path| {
        let (flag, writer_url) = (flag.clone(), writer_url.clone());
        async move {
            if method == http::Method::PUT && !flag.swap(true, Ordering::SeqCst) {
                common::foreign_update(&writer_url, NAME).await;
            }
            None
        }
    })
    .await;
    (url, raced)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_change_before_the_update_still_fails_cleanly() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    assert_eq!(
        run_action(ws.path(), &inputs(&emu.url()), &[]).await.code,
        0
    );
    let (live_code, live_etag) = live(&emu).await.unwrap();
    std::fs::write(ws.path().join("function.js"), changed()).unwrap();
    let before = emu.requests().len();
    let (proxy, raced) = foreign_update_proxy(emu.url()).await;
    let run = run_action(ws.path(), &inputs(&proxy), &[]).await;
    assert!(raced.load(Ordering::SeqCst), "the other writer ran");
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("::error") && l.contains("UpdateFunction: PreconditionFailed")),
        "{}",
        run.stdout
    );
    assert_eq!(run.out("published"), "false");
    assert_eq!(run.out("tested"), "false");
    assert_eq!(
        live(&emu).await.unwrap(),
        (live_code, live_etag),
        "LIVE untouched"
    );
    let second = operations(&emu.requests()[before..]);
    assert!(
        !second
            .iter()
            .any(|o| o == "TestFunction" || o == "PublishFunction"),
        "nothing is tested or published after the refused update: {second:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_seeded_runs_with_faults_and_lost_answers_publish_the_tested_code_or_fail_cleanly() {
    // The figure in the README: --fault-rate 0.3 plus --lose-rate 0.3, seeds 1-50. Every run
    // either publishes the code that passed its tests (LIVE read through the SDK) with outputs
    // that say so, or fails with one clean ::error and LIVE untouched; at least 49 publish.
    let mut published_runs = 0;
    let mut lost_answers = 0;
    for seed in 1..=50u64 {
        let emu = Emu::start(|c| {
            c.fault_rate = 0.3;
            c.lose_rate = 0.3;
            c.fault_seed = seed;
        })
        .await;
        let ws = example_workspace();
        let run = run_action(ws.path(), &inputs(&emu.url()), &[]).await;
        assert!(
            !run.stderr.contains("panicked"),
            "seed {seed}: {}",
            run.stderr
        );
        lost_answers += emu
            .requests()
            .iter()
            .filter(|l| !l["lost"].is_null())
            .count();
        let live = live(&emu).await;
        let wanted = std::fs::read(ws.path().join("function.js")).unwrap();
        if let Some((code, _)) = &live {
            assert_eq!(
                code, &wanted,
                "seed {seed}: LIVE holds only the tested code"
            );
        }
        assert_eq!(
            run.out("published"),
            if live.is_some() { "true" } else { "false" },
            "seed {seed}: the output tells the truth about LIVE\n{run:#?}"
        );
        if run.code == 0 {
            assert!(live.is_some(), "seed {seed}: success means published");
            assert_eq!(run.out("tested"), "true", "seed {seed}");
            published_runs += 1;
        } else {
            assert_eq!(run.code, 1, "seed {seed}: {run:#?}");
            let errors = run
                .stdout
                .lines()
                .filter(|l| l.starts_with("::error"))
                .count();
            assert!(errors >= 1, "seed {seed}: {}", run.stdout);
            eprintln!(
                "seed {seed}: {}",
                run.stdout
                    .lines()
                    .find(|l| l.starts_with("::error"))
                    .unwrap_or_default()
            );
        }
    }
    eprintln!("{published_runs} of 50 runs published; {lost_answers} answers lost");
    assert!(lost_answers > 0, "the lose mode lost no answer");
    assert!(
        published_runs >= 49,
        "{published_runs} of 50 runs published"
    );
}
