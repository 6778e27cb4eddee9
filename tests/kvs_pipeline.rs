//! A key value store end to end through the binary, against the emulator's own control plane and
//! data plane (one port, one request log): a `cf.kvs()` redirect function whose store the run
//! creates and fills, then the order of writes read from the request log's sequence numbers (puts
//! answered before the first TestFunction arrived, deletes arriving after PublishFunction was
//! answered), the restore after a failing test, and no write on `publish: false` or unchanged data.
//!
//! Not for: conflicts and lost answers (tests/kvs_sync.rs drives those with a fake data plane).

mod common;

use aws_sdk_cloudfrontkeyvaluestore as kvs_sdk;
use common::{ACCESS_KEY, Emu, Run, SECRET_KEY, read_log, run_action};
use serde_json::{Value, json};

const FUNCTION: &str = include_str!("fixtures/runtime/kvs-redirect.js");
const STORE: &str = "site-redirects";

fn redirect_test(target: &str) -> String {
    format!(
        "name: /old redirects to {target}\nevent:\n  version: \"1.0\"\n  context: {{eventType: viewer-request}}\n  request: {{method: GET, uri: /old, querystring: {{}}, headers: {{}}, cookies: {{}}}}\nexpect:\n  response:\n    statusCode: 302\n    headers: {{location: {{value: \"{target}\"}}}}\n"
    )
}

struct World {
    emu: Emu,
    ws: tempfile::TempDir,
}

async fn world() -> World {
    world_with(|_| {}).await
}

/// A world whose emulator is started with `tweak` (lost answers, say).
async fn world_with(tweak: impl FnOnce(&mut cloudfront_publish::emulator::Config)) -> World {
    let emu = Emu::start(tweak).await;
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("redirect.js"), FUNCTION).unwrap();
    std::fs::create_dir(ws.path().join("tests")).unwrap();
    World { emu, ws }
}

impl World {
    /// One run with this data file and this test's expected redirect target.
    async fn run(&self, data: &str, expect_target: &str, publish: bool) -> (Run, Vec<Value>) {
        let before = read_log(&self.emu.log).len();
        std::fs::write(self.ws.path().join("redirects.yaml"), data).unwrap();
        std::fs::write(
            self.ws.path().join("tests/redirect.yaml"),
            redirect_test(expect_target),
        )
        .unwrap();
        let url = self.emu.url();
        let publish = publish.to_string();
        let run = run_action(
            self.ws.path(),
            &[
                ("function-name", "redirects"),
                ("function-file", "redirect.js"),
                ("test-events", "tests/*.yaml"),
                ("key-value-store", STORE),
                ("key-value-store-data", "redirects.yaml"),
                ("endpoint-url", &url),
                ("publish", &publish),
            ],
            &[],
        )
        .await;
        let log = read_log(&self.emu.log).split_off(before);
        (run, log)
    }

    /// What the store holds, read with the real data-plane SDK at the emulator (endpoint as given).
    async fn keys(&self, arn: &str) -> Vec<(String, String)> {
        let conf = kvs_sdk::Config::builder()
            .behavior_version(kvs_sdk::config::BehaviorVersion::latest())
            .region(kvs_sdk::config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                ACCESS_KEY, SECRET_KEY, None, None, "test",
            ))
            .endpoint_url(self.emu.url())
            .build();
        let kv = cloudfront_publish::aws::kvs::KvsClient::from_conf(conf);
        kv.list(arn)
            .await
            .unwrap()
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

/// (start_seq, end_seq) of each request of `op`, in order.
fn seqs(log: &[Value], op: &str) -> Vec<(u64, u64)> {
    log.iter()
        .filter(|l| l["operation"] == op)
        .map(|l| {
            (
                l["start_seq"].as_u64().unwrap(),
                l["end_seq"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn ops(log: &[Value]) -> Vec<String> {
    log.iter()
        .map(|l| l["operation"].as_str().unwrap_or("?").to_owned())
        .collect()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn a_kvs_backed_redirect_is_created_filled_tested_and_published() {
    let w = world().await;
    let (r, log) = w.run("/old: /new\n/gone: /x\n", "/new", true).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.out("published"), "true");
    let arn = r.out("key-value-store-arn").to_owned();
    assert!(
        arn.starts_with("arn:aws:cloudfront::123456789012:key-value-store/"),
        "{arn}"
    );
    assert!(!r.out("key-value-store-etag").is_empty());
    let changes: Value = serde_json::from_str(r.out("key-value-store-changes")).unwrap();
    assert_eq!(
        changes,
        json!({"added": ["/gone", "/old"], "changed": [], "removed": []})
    );
    assert!(
        ops(&log).contains(&"CreateKeyValueStore".to_owned()),
        "{:?}",
        ops(&log)
    );
    let puts = seqs(&log, "UpdateKeys");
    let tests = seqs(&log, "TestFunction");
    assert_eq!(puts.len(), 1, "{:?}", ops(&log));
    assert!(
        puts[0].1 < tests[0].0,
        "the puts were answered before the first TestFunction arrived: {:?}",
        ops(&log)
    );
    assert_eq!(
        w.keys(&arn).await,
        pairs(&[("/gone", "/x"), ("/old", "/new")])
    );
}

#[tokio::test]
async fn changed_data_is_put_before_the_tests_and_removed_keys_deleted_after_the_publish() {
    let w = world().await;
    let (r, _) = w.run("/old: /new\n/gone: /x\n", "/new", true).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let arn = r.out("key-value-store-arn").to_owned();
    // A new version of the code with the new data, so that there is a publish to order against.
    std::fs::write(
        w.ws.path().join("redirect.js"),
        format!("{FUNCTION}// v2\n"),
    )
    .unwrap();
    let (r, log) = w.run("/old: /newer\n", "/newer", true).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.out("published"), "true");
    assert!(!ops(&log).contains(&"CreateKeyValueStore".to_owned()));
    let writes = seqs(&log, "UpdateKeys");
    let tests = seqs(&log, "TestFunction");
    let publish = seqs(&log, "PublishFunction");
    assert_eq!(writes.len(), 2, "puts, then deletes: {:?}", ops(&log));
    assert!(
        writes[0].1 < tests[0].0,
        "puts before the tests: {:?}",
        ops(&log)
    );
    assert!(
        writes[1].0 > publish[0].1,
        "deletes after PublishFunction was answered: {:?}",
        ops(&log)
    );
    let changes: Value = serde_json::from_str(r.out("key-value-store-changes")).unwrap();
    assert_eq!(
        changes,
        json!({"added": [], "changed": ["/old"], "removed": ["/gone"]})
    );
    assert_eq!(w.keys(&arn).await, pairs(&[("/old", "/newer")]));
}

#[tokio::test]
async fn a_failing_test_restores_the_store_and_publishes_nothing() {
    let w = world().await;
    let (r, _) = w.run("/old: /new\n", "/new", true).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let arn = r.out("key-value-store-arn").to_owned();
    // The data sends /old elsewhere, the test still expects /new: it fails.
    let (r, log) = w.run("/old: /broken\n/added: /y\n", "/new", true).await;
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.out("published"), "false");
    assert!(seqs(&log, "PublishFunction").is_empty());
    assert_eq!(
        seqs(&log, "UpdateKeys").len(),
        2,
        "puts, then the restore: {:?}",
        ops(&log)
    );
    assert_eq!(
        w.keys(&arn).await,
        pairs(&[("/old", "/new")]),
        "back as it was"
    );
    assert!(r.summary.contains("restored"), "{}", r.summary);
}

#[tokio::test]
async fn new_data_for_unchanged_code_is_synced_without_a_publish() {
    let w = world().await;
    let (r, _) = w.run("/old: /new\n/gone: /x\n", "/new", true).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let arn = r.out("key-value-store-arn").to_owned();
    let (r, log) = w.run("/old: /newer\n", "/newer", true).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // LIVE already runs this code, tested now with the new data: nothing to publish, and the
    // removed key goes once the tests passed.
    assert_eq!(r.out("published"), "false");
    assert!(seqs(&log, "PublishFunction").is_empty());
    let writes = seqs(&log, "UpdateKeys");
    let tests = seqs(&log, "TestFunction");
    assert_eq!(writes.len(), 2, "{:?}", ops(&log));
    assert!(
        writes[0].1 < tests[0].0 && writes[1].0 > tests[0].1,
        "{:?}",
        ops(&log)
    );
    assert_eq!(w.keys(&arn).await, pairs(&[("/old", "/newer")]));
}

#[tokio::test]
async fn publish_false_and_unchanged_data_write_nothing() {
    let w = world().await;
    let (r, _) = w.run("/old: /new\n", "/new", true).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let arn = r.out("key-value-store-arn").to_owned();

    // A pull request with new data: the tests see the store as it is.
    let (r, log) = w.run("/old: /pr-value\n", "/new", false).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(seqs(&log, "UpdateKeys").is_empty(), "{:?}", ops(&log));
    let changes: Value = serde_json::from_str(r.out("key-value-store-changes")).unwrap();
    assert_eq!(
        changes,
        json!({"added": [], "changed": ["/old"], "removed": []})
    );
    assert!(r.summary.contains("planned, not written"), "{}", r.summary);
    assert!(!r.summary.contains("/pr-value") && !r.stdout.contains("/pr-value"));

    // The same data again: nothing to write.
    let (r, log) = w.run("/old: /new\n", "/new", true).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(seqs(&log, "UpdateKeys").is_empty(), "{:?}", ops(&log));
    assert_eq!(w.keys(&arn).await, pairs(&[("/old", "/new")]));
}

#[test]
fn the_demo_publishes_a_kvs_backed_redirect_with_its_store() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cloudfront-publish"))
        .arg("demo")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("<!-- cloudfront-publish:example-redirects -->"),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l
            == r#"key-value-store-changes={"added":["/docs/v1","/old-blog","/pricing.html"],"changed":[],"removed":[]}"#),
        "{stdout}"
    );
    assert!(
        stdout.contains("a path in the redirect map answers 301 to its target"),
        "{stdout}"
    );
    // The redirect targets are values: the demo shows keys only (the test output aside, which is
    // the function's own response).
    assert!(!stdout.contains("- added: `/blog/`"), "{stdout}");
}

#[tokio::test]
async fn an_update_keys_answer_lost_by_the_emulator_is_recognised_and_the_run_goes_on() {
    for how in ["503", "drop"] {
        let w = world_with(|c| {
            c.lose = vec![format!("UpdateKeys:{how}:1").parse().unwrap()];
        })
        .await;
        let (r, log) = w.run("/old: /new\n", "/new", true).await;
        assert_eq!(r.code, 0, "{how}: {}\n{}", r.stdout, r.stderr);
        let writes: Vec<&Value> = log
            .iter()
            .filter(|l| l["operation"] == "UpdateKeys")
            .collect();
        assert_eq!(writes[0]["lost"], how, "{how}: {writes:?}");
        assert!(
            writes[1]["error_code"].is_string(),
            "{how}: the SDK's retry met the run's own ETag: {writes:?}"
        );
        assert!(r.stdout.contains("answer was lost"), "{how}: {}", r.stdout);
        let arn = r.out("key-value-store-arn").to_owned();
        assert_eq!(w.keys(&arn).await, pairs(&[("/old", "/new")]), "{how}");
    }
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_finds_the_store_it_made() {
    let w = world_with(|c| {
        c.lose = vec!["CreateKeyValueStore:503:1".parse().unwrap()];
    })
    .await;
    let (r, log) = w.run("/old: /new\n", "/new", true).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let creates: Vec<&Value> = log
        .iter()
        .filter(|l| l["operation"] == "CreateKeyValueStore")
        .collect();
    assert_eq!(
        creates.len(),
        2,
        "the create and the SDK's retry: {creates:?}"
    );
    assert_eq!(creates[1]["error_code"], "EntityAlreadyExists");
    let arn = r.out("key-value-store-arn").to_owned();
    assert_eq!(w.keys(&arn).await, pairs(&[("/old", "/new")]));
}
