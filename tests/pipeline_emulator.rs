//! The action as the runner runs it (binary, INPUT_* env, GITHUB_OUTPUT/SUMMARY files) against the
//! emulator: create, idempotent rerun, failing tests, the 412 guarantee, faults, publish=false.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_cloudfront::types::FunctionStage;
use common::{Emu, example_workspace, operations, run_action};

const NAME: &str = "example-viewer-request";

fn inputs(url: &str) -> Vec<(&str, &str)> {
    vec![
        ("function-name", NAME),
        ("function-file", "function.js"),
        ("test-events", "tests/*.yaml\n"),
        ("endpoint-url", url),
    ]
}

async fn live_code(emu: &Emu) -> Vec<u8> {
    let out = emu
        .client()
        .get_function()
        .name(NAME)
        .stage(FunctionStage::Live)
        .send()
        .await
        .unwrap();
    out.function_code().unwrap().as_ref().to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn first_run_creates_tests_and_publishes_then_rerun_changes_nothing() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let url = emu.url();

    let first = run_action(ws.path(), &inputs(&url), &[]).await;
    assert_eq!(first.code, 0, "{first:#?}");
    assert_eq!(first.out("published"), "true");
    assert_eq!(first.out("changed"), "true");
    assert_eq!(first.out("stage"), "LIVE");
    let live = emu
        .client()
        .describe_function()
        .name(NAME)
        .stage(FunctionStage::Live)
        .send()
        .await
        .unwrap();
    assert_eq!(
        first.out("etag"),
        live.e_tag().unwrap(),
        "etag output is LIVE's ETag"
    );
    assert_eq!(
        first.out("function-arn"),
        live.function_summary()
            .unwrap()
            .function_metadata()
            .unwrap()
            .function_arn()
    );
    assert_eq!(first.out("status"), "UNASSOCIATED");
    let results: serde_json::Value = serde_json::from_str(first.out("test-results")).unwrap();
    assert_eq!(results.as_array().unwrap().len(), 3);
    assert!(
        results
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["passed"] == true),
        "{results:#}"
    );
    assert!(
        first.summary.contains(NAME) && first.summary.contains("compute utilization"),
        "{}",
        first.summary
    );
    assert_eq!(
        live_code(&emu).await,
        std::fs::read(ws.path().join("function.js")).unwrap()
    );
    let ops = operations(&emu.requests());
    assert_eq!(
        ops.iter().filter(|o| *o == "CreateFunction").count(),
        1,
        "{ops:?}"
    );
    assert_eq!(
        ops.iter().filter(|o| *o == "PublishFunction").count(),
        1,
        "{ops:?}"
    );

    let before = emu.requests().len();
    let second = run_action(ws.path(), &inputs(&url), &[]).await;
    assert_eq!(second.code, 0, "{second:#?}");
    assert_eq!(second.out("published"), "false");
    assert_eq!(second.out("changed"), "false");
    assert_eq!(second.out("stage"), "LIVE");
    assert_eq!(second.out("etag"), first.out("etag"));
    let ops = operations(&emu.requests()[before..]);
    assert!(
        !ops.iter()
            .any(|o| o == "UpdateFunction" || o == "PublishFunction" || o == "CreateFunction"),
        "an unchanged function is only read and tested: {ops:?}"
    );
    assert_eq!(
        ops.iter().filter(|o| *o == "TestFunction").count(),
        3,
        "{ops:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_test_blocks_publish_and_keeps_live() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let url = emu.url();
    assert_eq!(run_action(ws.path(), &inputs(&url), &[]).await.code, 0);
    let live_before = live_code(&emu).await;

    std::fs::write(
        ws.path().join("function.js"),
        "function handler(event) { return event.request; }\n",
    )
    .unwrap();
    let run = run_action(ws.path(), &inputs(&url), &[]).await;
    assert_eq!(run.code, 1, "{run:#?}");
    assert_eq!(run.out("published"), "false");
    assert_eq!(run.out("changed"), "true");
    assert_eq!(run.out("stage"), "DEVELOPMENT");
    assert!(run.stdout.contains("::error"), "{}", run.stdout);
    assert!(run.stdout.contains("not published"), "{}", run.stdout);
    let results: serde_json::Value = serde_json::from_str(run.out("test-results")).unwrap();
    assert!(
        results
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["passed"] == false),
        "{results:#}"
    );
    assert_eq!(
        live_code(&emu).await,
        live_before,
        "LIVE must keep the last tested code"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_false_updates_and_tests_only() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let url = emu.url();
    let mut i = inputs(&url);
    i.push(("publish", "false"));
    let run = run_action(ws.path(), &i, &[]).await;
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(run.out("published"), "false");
    assert_eq!(run.out("stage"), "DEVELOPMENT");
    assert_eq!(run.out("status"), "UNPUBLISHED");
    let ops = operations(&emu.requests());
    assert!(!ops.iter().any(|o| o == "PublishFunction"), "{ops:?}");
    assert_eq!(
        ops.iter().filter(|o| *o == "TestFunction").count(),
        3,
        "{ops:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_false_reports_development_even_when_live_holds_the_same_code() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let url = emu.url();
    assert_eq!(run_action(ws.path(), &inputs(&url), &[]).await.code, 0);
    let mut i = inputs(&url);
    i.push(("publish", "false"));
    let run = run_action(ws.path(), &i, &[]).await;
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(run.out("stage"), "DEVELOPMENT");
    let dev = emu
        .client()
        .describe_function()
        .name(NAME)
        .send()
        .await
        .unwrap();
    assert_eq!(
        run.out("etag"),
        dev.e_tag().unwrap(),
        "the DEVELOPMENT ETag, usable as if-match"
    );
    // ...and it is: a follow-up run guarded by that ETag goes through.
    let etag = run.out("etag").to_owned();
    let mut guarded = inputs(&url);
    guarded.push(("if-match", &etag));
    assert_eq!(run_action(ws.path(), &guarded, &[]).await.code, 0);
}

/// A proxy in front of the emulator that lets another writer update the function just before the
/// pipeline's PublishFunction reaches it: the tested ETag is then stale.
async fn racing_proxy(emu_url: String) -> (String, Arc<AtomicBool>) {
    let raced = Arc::new(AtomicBool::new(false));
    let (flag, writer_url) = (raced.clone(), emu_url.clone());
    let url = common::proxy(emu_url, move |_method, path: String| {
        let (flag, writer_url) = (flag.clone(), writer_url.clone());
        async move {
            if path.ends_with("/publish") && !flag.swap(true, Ordering::SeqCst) {
                common::foreign_update(&writer_url, NAME).await;
            }
            None
        }
    })
    .await;
    (url, raced)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_writer_between_test_and_publish_gets_the_412_failure() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let (proxy, raced) = racing_proxy(emu.url()).await;
    let run = run_action(ws.path(), &inputs(&proxy), &[]).await;
    assert!(raced.load(Ordering::SeqCst), "the other writer ran");
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        run.stdout
            .contains("not published: function changed after it was tested"),
        "{}",
        run.stdout
    );
    assert_eq!(run.out("published"), "false");
    let live = emu
        .client()
        .get_function()
        .name(NAME)
        .stage(FunctionStage::Live)
        .send()
        .await;
    assert!(live.is_err(), "nothing reached LIVE");
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_never_yield_an_untested_publish() {
    // 50 seeds, each a different pattern of 503/Throttling answers. Every run either publishes the
    // code that passed its tests or fails cleanly; its outputs tell which.
    let mut faults_seen = 0;
    let mut failed_runs = 0;
    for seed in 1..=50u64 {
        let emu = Emu::start(|c| {
            c.fault_rate = 0.3;
            c.fault_seed = seed;
        })
        .await;
        let ws = example_workspace();
        let url = emu.url();
        let run = run_action(ws.path(), &inputs(&url), &[]).await;
        assert!(
            !run.stderr.contains("panicked"),
            "seed {seed}: {}",
            run.stderr
        );
        let log = emu.requests();
        faults_seen += log
            .iter()
            .filter(|l| l["status"] == 503 || l["error_code"] == "Throttling")
            .count();
        let ok = |op: &str| {
            log.iter()
                .filter(|l| l["operation"] == op && l["status"] == 200)
                .count()
        };
        let published = ok("PublishFunction") > 0;
        assert_eq!(
            run.outputs.get("published").map(String::as_str),
            Some(if published { "true" } else { "false" }),
            "seed {seed}: the output tells the truth"
        );
        if published {
            assert!(
                ok("TestFunction") >= 3,
                "seed {seed}: published after {} passing tests",
                ok("TestFunction")
            );
            // The publish comes after the last successful test.
            let last_test = log
                .iter()
                .rposition(|l| l["operation"] == "TestFunction" && l["status"] == 200);
            let publish = log
                .iter()
                .position(|l| l["operation"] == "PublishFunction" && l["status"] == 200);
            assert!(publish > last_test, "seed {seed}: {:?}", operations(&log));
        }
        if run.code == 0 {
            assert!(published, "seed {seed}: success means published");
        } else {
            failed_runs += 1;
            assert_eq!(run.code, 1, "seed {seed}: {run:#?}");
            let error = run.stdout.lines().find(|l| l.starts_with("::error"));
            assert!(error.is_some(), "seed {seed}: {}", run.stdout);
            eprintln!("seed {seed}: {}", error.unwrap_or_default());
        }
    }
    assert!(
        faults_seen > 0,
        "the fault injection answered no request with a fault"
    );
    eprintln!(
        "{failed_runs} of 50 runs failed cleanly after retries; {faults_seen} faults injected"
    );
}
