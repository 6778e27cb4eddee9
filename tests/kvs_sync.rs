//! Key value store sync through the binary, as the runner runs it: CloudFront is the emulator, the
//! data plane a small stateful fake on loopback reached through `AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE`
//! alone (so that variable is proven to route the data plane and nothing else). The fake checks
//! If-Match like the service, can let another writer in or lose an answer, and records, for each
//! UpdateKeys, which CloudFront operations the emulator had answered by then: puts come before any
//! TestFunction, deletes after PublishFunction.
//!
//! Not for: the emulator's own data plane (tests/kvs_pipeline.rs) or the data file rules (unit tests).

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Emu, operations, read_log, run_action};
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ARN: &str =
    "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-000000000001";
/// A value that must never be printed.
const SECRET: &str = "s3cret-jwt-signing-key-4242";

/// One UpdateKeys as the fake saw it.
#[derive(Debug, Clone)]
struct Update {
    puts: Vec<String>,
    deletes: Vec<String>,
    status: u16,
    /// CloudFront operations the emulator had answered when the write was answered.
    cloudfront_before: Vec<String>,
}

#[derive(Default)]
struct State {
    etag: u64,
    keys: BTreeMap<String, String>,
    updates: Vec<Update>,
    /// Before the next UpdateKeys, another writer sets this key.
    interfere: Option<(String, String)>,
    /// The next UpdateKeys is applied and its answer lost (503), as after a timeout.
    lose_next: bool,
}

#[derive(Clone)]
struct FakeKvs {
    state: Arc<Mutex<State>>,
    emu_log: PathBuf,
}

impl FakeKvs {
    fn etag(s: &State) -> String {
        format!("KVETAG{:04}", s.etag)
    }

    fn describe(s: &State) -> ResponseTemplate {
        let size: usize = s.keys.iter().map(|(k, v)| k.len() + v.len()).sum();
        ResponseTemplate::new(200)
            .insert_header("ETag", Self::etag(s).as_str())
            .set_body_json(json!({
                "ItemCount": s.keys.len(), "TotalSizeInBytes": size, "KvsARN": ARN,
                "Created": 1.7e9, "Status": "READY"
            }))
    }

    fn update(&self, s: &mut State, req: &Request) -> ResponseTemplate {
        if let Some((k, v)) = s.interfere.take() {
            s.keys.insert(k, v);
            s.etag += 1;
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let puts: Vec<(String, String)> = body["Puts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p["Key"].as_str().unwrap().to_owned(),
                    p["Value"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let deletes: Vec<String> = body["Deletes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| d["Key"].as_str().unwrap().to_owned())
            .collect();
        // Held open a while: a pipeline that did not wait for this write would be seen testing.
        std::thread::sleep(Duration::from_millis(150));
        let if_match = req.headers.get("if-match").and_then(|v| v.to_str().ok());
        let mut record = Update {
            puts: puts.iter().map(|(k, _)| k.clone()).collect(),
            deletes: deletes.clone(),
            status: 200,
            cloudfront_before: operations(&read_log(&self.emu_log)),
        };
        if if_match != Some(Self::etag(s).as_str()) {
            record.status = 409;
            s.updates.push(record);
            return ResponseTemplate::new(409)
                .insert_header("x-amzn-ErrorType", "ConflictException")
                .set_body_json(json!({"Message": "The ETag does not match the current version."}));
        }
        for (k, v) in puts {
            s.keys.insert(k, v);
        }
        for k in deletes {
            s.keys.remove(&k);
        }
        s.etag += 1;
        if std::mem::take(&mut s.lose_next) {
            record.status = 503;
            s.updates.push(record);
            return ResponseTemplate::new(503)
                .insert_header("x-amzn-ErrorType", "ServiceUnavailableException")
                .set_body_json(json!({"Message": "lost"}));
        }
        s.updates.push(record);
        ResponseTemplate::new(200)
            .insert_header("ETag", Self::etag(s).as_str())
            .set_body_json(json!({"ItemCount": s.keys.len(), "TotalSizeInBytes": 0}))
    }
}

impl Respond for FakeKvs {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.state.lock().unwrap();
        let path = req.url.path();
        match (req.method.as_str(), path.ends_with("/keys")) {
            ("GET", false) => Self::describe(&s),
            ("GET", true) => {
                let items: Vec<Value> = s
                    .keys
                    .iter()
                    .map(|(k, v)| json!({"Key": k, "Value": v}))
                    .collect();
                ResponseTemplate::new(200).set_body_json(json!({"Items": items}))
            }
            ("POST", true) => self.update(&mut s, req),
            _ => ResponseTemplate::new(404),
        }
    }
}

struct World {
    emu: Emu,
    _fake_server: MockServer,
    fake_url: String,
    state: Arc<Mutex<State>>,
    ws: tempfile::TempDir,
}

const FUNCTION: &str = "async function handler(event) { return event.request; }\n";
const PASSING: &str = r#"{"name": "passes", "event": {"version": "1.0", "context": {"eventType": "viewer-request"}, "viewer": {"ip": "1.2.3.4"}, "request": {"method": "GET", "uri": "/a", "querystring": {}, "headers": {}, "cookies": {}}}}"#;
const FAILING: &str = r#"{"name": "fails", "event": {"version": "1.0", "context": {"eventType": "viewer-request"}, "viewer": {"ip": "1.2.3.4"}, "request": {"method": "GET", "uri": "/a", "querystring": {}, "headers": {}, "cookies": {}}}, "expect": {"request": {"uri": "/not-this"}}}"#;

async fn world(initial: &[(&str, &str)], data: &str, test: &str) -> World {
    let emu = Emu::start(|_| {}).await;
    let state = Arc::new(Mutex::new(State {
        etag: 1,
        keys: initial
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..State::default()
    }));
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(FakeKvs {
            state: state.clone(),
            emu_log: emu.log.clone(),
        })
        .mount(&server)
        .await;
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("function.js"), FUNCTION).unwrap();
    std::fs::create_dir(ws.path().join("tests")).unwrap();
    std::fs::write(ws.path().join("tests/case.json"), test).unwrap();
    std::fs::write(ws.path().join("data.yaml"), data).unwrap();
    World {
        emu,
        fake_url: server.uri(),
        _fake_server: server,
        state,
        ws,
    }
}

async fn run(w: &World, publish: &str) -> common::Run {
    run_with(w, &[("publish", publish)]).await
}

async fn run_with(w: &World, extra: &[(&str, &str)]) -> common::Run {
    let emu_url = w.emu.url();
    let mut inputs = vec![
        ("function-name", "kvs-sync"),
        ("function-file", "function.js"),
        ("test-events", "tests/*.json"),
        ("key-value-store", ARN),
        ("key-value-store-data", "data.yaml"),
    ];
    inputs.extend_from_slice(extra);
    run_action(
        w.ws.path(),
        &inputs,
        &[
            ("AWS_ENDPOINT_URL_CLOUDFRONT", emu_url.as_str()),
            (
                "AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE",
                w.fake_url.as_str(),
            ),
            ("RUNNER_DEBUG", "1"),
        ],
    )
    .await
}

fn keys(w: &World) -> BTreeMap<String, String> {
    w.state.lock().unwrap().keys.clone()
}

fn updates(w: &World) -> Vec<Update> {
    w.state.lock().unwrap().updates.clone()
}

fn wanted() -> BTreeMap<String, String> {
    [("/new", "/fresh"), ("/changed", "/after"), ("jwt", SECRET)]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

const DATA: &str = "data:\n  - {key: /new, value: /fresh}\n  - {key: /changed, value: /after}\n  - {key: jwt, value: s3cret-jwt-signing-key-4242}\n";
const INITIAL: &[(&str, &str)] = &[("/changed", "/before"), ("/gone", "/old"), ("jwt", SECRET)];

fn assert_no_value(run: &common::Run) {
    let all = format!(
        "{}\n{}\n{}\n{:?}",
        run.stdout, run.stderr, run.summary, run.outputs
    );
    for v in ["/fresh", "/after", SECRET] {
        assert!(!all.contains(v), "value {v:?} printed:\n{all}");
    }
}

#[tokio::test]
async fn puts_go_before_the_tests_and_deletes_after_the_publish() {
    let w = world(INITIAL, DATA, PASSING).await;
    let r = run(&w, "true").await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(keys(&w), wanted());
    let ups = updates(&w);
    assert_eq!(ups.len(), 2, "{ups:?}");
    let mut puts = ups[0].puts.clone();
    puts.sort();
    assert_eq!(puts, ["/changed", "/new"]);
    assert!(ups[0].deletes.is_empty());
    assert!(
        !ups[0].cloudfront_before.iter().any(|o| o == "TestFunction"),
        "puts answered after a TestFunction: {:?}",
        ups[0].cloudfront_before
    );
    assert_eq!(ups[1].deletes, ["/gone"]);
    assert!(ups[1].puts.is_empty());
    assert!(
        ups[1]
            .cloudfront_before
            .iter()
            .any(|o| o == "PublishFunction"),
        "deletes before the publish: {:?}",
        ups[1].cloudfront_before
    );
    assert_eq!(r.out("published"), "true");
    assert_eq!(r.out("key-value-store-arn"), ARN);
    assert_eq!(r.out("key-value-store-etag"), "KVETAG0003");
    let changes: Value = serde_json::from_str(r.out("key-value-store-changes")).unwrap();
    assert_eq!(
        changes,
        json!({"added": ["/new"], "changed": ["/changed"], "removed": ["/gone"]})
    );
    assert!(
        r.summary.contains("synced: 1 added, 1 changed, 1 removed"),
        "{}",
        r.summary
    );
    assert_no_value(&r);
}

#[tokio::test]
async fn unchanged_data_makes_no_write() {
    let w = world(&[("a", "1")], "a: '1'\n", PASSING).await;
    let r = run(&w, "true").await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(updates(&w).is_empty(), "{:?}", updates(&w));
    assert_eq!(
        r.out("key-value-store-changes"),
        r#"{"added":[],"changed":[],"removed":[]}"#
    );
    assert_eq!(r.out("key-value-store-etag"), "KVETAG0001");
}

#[tokio::test]
async fn publish_false_writes_nothing_and_reports_the_planned_change() {
    let w = world(INITIAL, DATA, PASSING).await;
    let r = run(&w, "false").await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(updates(&w).is_empty(), "{:?}", updates(&w));
    let before: BTreeMap<String, String> = INITIAL
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(keys(&w), before);
    let changes: Value = serde_json::from_str(r.out("key-value-store-changes")).unwrap();
    assert_eq!(
        changes,
        json!({"added": ["/new"], "changed": ["/changed"], "removed": ["/gone"]})
    );
    assert!(r.summary.contains("planned, not written"), "{}", r.summary);
    assert_no_value(&r);
}

#[tokio::test]
async fn a_run_that_stops_at_its_reads_never_writes_the_store() {
    let w = world(INITIAL, DATA, PASSING).await;
    let r = run_with(&w, &[("if-match", "ENOTTHISONE")]).await;
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("if-match"), "{}", r.stdout);
    assert!(updates(&w).is_empty(), "{:?}", updates(&w));
    assert!(r.stdout.contains("nothing written"), "{}", r.stdout);
}

#[tokio::test]
async fn a_failing_test_restores_the_store() {
    let w = world(INITIAL, DATA, FAILING).await;
    let r = run(&w, "true").await;
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let before: BTreeMap<String, String> = INITIAL
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(keys(&w), before, "the store is back as it was");
    let ups = updates(&w);
    assert_eq!(ups.len(), 2, "puts, then the restore: {ups:?}");
    assert_eq!(ups[1].puts, ["/changed"], "the old value put back");
    assert_eq!(ups[1].deletes, ["/new"], "the added key deleted");
    assert!(
        !ups[1]
            .cloudfront_before
            .iter()
            .any(|o| o == "PublishFunction"),
        "nothing was published"
    );
    assert_eq!(r.out("published"), "false");
    assert!(r.summary.contains("restored"), "{}", r.summary);
    assert_no_value(&r);
}

#[tokio::test]
async fn another_writer_makes_the_run_re_read_and_re_diff_never_overwrite_blindly() {
    let w = world(INITIAL, DATA, PASSING).await;
    w.state.lock().unwrap().interfere = Some(("/theirs".into(), "x".into()));
    let r = run(&w, "true").await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let ups = updates(&w);
    assert_eq!(ups[0].status, 409, "{ups:?}");
    assert_eq!(ups[1].status, 200, "{ups:?}");
    // The data file is the store's whole content: the key the other writer added goes with the deletes.
    assert_eq!(keys(&w), wanted());
    let last = ups.last().unwrap();
    let mut dels = last.deletes.clone();
    dels.sort();
    assert_eq!(dels, ["/gone", "/theirs"]);
    assert!(
        r.stderr.contains("re-read") || r.stdout.contains("re-read"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    assert_no_value(&r);
}

#[tokio::test]
async fn a_write_whose_answer_was_lost_is_recognised_by_re_reading() {
    let w = world(INITIAL, DATA, PASSING).await;
    w.state.lock().unwrap().lose_next = true;
    let r = run(&w, "true").await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let ups = updates(&w);
    // The write, its SDK retry meeting our own new ETag, then the deletes.
    assert_eq!(
        ups.iter().map(|u| u.status).collect::<Vec<_>>(),
        [503, 409, 200]
    );
    assert_eq!(keys(&w), wanted());
    assert!(
        r.stdout.contains("answer was lost") || r.stderr.contains("answer was lost"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    // RUNNER_DEBUG is on: the SDK's logging of the failed and retried writes shows no value either.
    assert_no_value(&r);
}

async fn run_manifest(w: &World, manifest: &str, fail_fast: &str) -> common::Run {
    run_manifest_at(w, manifest, fail_fast, "4").await
}

async fn run_manifest_at(
    w: &World,
    manifest: &str,
    fail_fast: &str,
    concurrency: &str,
) -> common::Run {
    std::fs::write(w.ws.path().join("cloudfront-functions.yaml"), manifest).unwrap();
    let emu_url = w.emu.url();
    run_action(
        w.ws.path(),
        &[
            ("manifest", "cloudfront-functions.yaml"),
            ("fail-fast", fail_fast),
            ("concurrency", concurrency),
        ],
        &[
            ("AWS_ENDPOINT_URL_CLOUDFRONT", emu_url.as_str()),
            (
                "AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE",
                w.fake_url.as_str(),
            ),
        ],
    )
    .await
}

fn shared_manifest(second_tests: &str) -> String {
    format!(
        "key-value-stores:\n  \"{ARN}\": data.yaml\nfunctions:\n  - name: first\n    file: function.js\n    key-value-store: \"{ARN}\"\n    tests: [tests/case.json]\n  - name: second\n    file: function.js\n    key-value-store: \"{ARN}\"\n    tests: [{second_tests}]\n"
    )
}

#[tokio::test]
async fn a_shared_store_is_synced_once_and_its_deletes_wait_for_every_publish() {
    let w = world(INITIAL, DATA, PASSING).await;
    let r = run_manifest(&w, &shared_manifest("tests/case.json"), "all-or-nothing").await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let ups = updates(&w);
    assert_eq!(
        ups.len(),
        2,
        "one put and one delete call for both functions: {ups:?}"
    );
    let publishes = ups[1]
        .cloudfront_before
        .iter()
        .filter(|o| *o == "PublishFunction")
        .count();
    assert_eq!(
        publishes, 2,
        "deletes after both publishes: {:?}",
        ups[1].cloudfront_before
    );
    assert_eq!(keys(&w), wanted());
    let results: Value = serde_json::from_str(r.out("results")).unwrap();
    for f in results.as_array().unwrap() {
        assert_eq!(f["key-value-store"]["arn"], ARN, "{f}");
        assert_eq!(
            f["key-value-store"]["changes"]["removed"],
            json!(["/gone"]),
            "{f}"
        );
    }
    assert_eq!(
        r.summary.matches("**Key value store**").count(),
        1,
        "{}",
        r.summary
    );
}

#[tokio::test]
async fn when_only_some_users_are_published_the_removed_keys_stay() {
    let w = world(INITIAL, DATA, PASSING).await;
    std::fs::write(w.ws.path().join("tests/fails.json"), FAILING).unwrap();
    let r = run_manifest(&w, &shared_manifest("tests/fails.json"), "independent").await;
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let ups = updates(&w);
    assert_eq!(ups.len(), 1, "the puts only: {ups:?}");
    assert!(ups[0].deletes.is_empty());
    let mut expected = wanted();
    expected.insert("/gone".into(), "/old".into());
    assert_eq!(
        keys(&w),
        expected,
        "new keys for the published function, old ones kept"
    );
    assert!(r.summary.contains("removed keys kept"), "{}", r.summary);
}

#[tokio::test]
async fn users_of_one_store_that_wait_for_each_others_slot_still_finish() {
    // One function at a time: whichever user gets the slot first must be enough for the store to
    // write, or it would wait for a user that waits for the slot.
    let w = world(INITIAL, DATA, PASSING).await;
    for fail_fast in ["independent", "all-or-nothing"] {
        let manifest = shared_manifest("tests/case.json");
        let run = run_manifest_at(&w, &manifest, fail_fast, "1");
        let r = tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .expect("the run finishes");
        assert_eq!(r.code, 0, "{fail_fast}: {}\n{}", r.stdout, r.stderr);
        assert_eq!(keys(&w), wanted());
    }
}

#[tokio::test]
async fn without_function_file_only_the_store_the_function_already_has_is_synced() {
    let w = world(INITIAL, DATA, PASSING).await;
    let emu_url = w.emu.url();
    let env = [
        ("AWS_ENDPOINT_URL_CLOUDFRONT", emu_url.as_str()),
        (
            "AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE",
            w.fake_url.as_str(),
        ),
    ];
    let plain = [
        ("function-name", "kvs-sync"),
        ("function-file", "function.js"),
        ("test-events", "tests/*.json"),
    ];
    let r = run_action(w.ws.path(), &plain, &env).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let data_only = [
        ("function-name", "kvs-sync"),
        ("test-events", "tests/*.json"),
        ("key-value-store", ARN),
        ("key-value-store-data", "data.yaml"),
    ];
    let r = run_action(w.ws.path(), &data_only, &env).await;
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("give function-file to associate the store"),
        "{}",
        r.stdout
    );
    assert!(updates(&w).is_empty(), "nothing written: {:?}", updates(&w));

    // Once the function reads this store, its data alone can be synced.
    let r = run_with(&w, &[]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    std::fs::write(w.ws.path().join("data.yaml"), "only: one\n").unwrap();
    let r = run_action(w.ws.path(), &data_only, &env).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let expected: BTreeMap<String, String> = [("only".to_owned(), "one".to_owned())].into();
    assert_eq!(keys(&w), expected);
}
