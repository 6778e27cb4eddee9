//! Secrets never leave the process: the GitHub token, the AWS secret key, the session token and the
//! values of the function's key value store (distinctive fake values) appear in no stdout, stderr,
//! output, summary or comment, with and without `RUNNER_DEBUG=1` (the SDK's debug logging included).
//! The run is the whole action: emulator (both KVS planes), fake GitHub, a PR comment.

mod common;

use common::{Emu, example_workspace, run_action};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GITHUB_TOKEN: &str = "ghs_ScanMeTokenValue0000000000000001";
const AWS_SECRET: &str = "ScanMeAwsSecret/0000000000000000000000002";
const SESSION_TOKEN: &str = "ScanMeSessionToken+000000000000000000000003";
/// Key value store values: one added, one changed (its old value is a secret too).
const KVS_VALUE: &str = "ScanMeKvsValue-jwt-signing-key-0000000004";
const KVS_OLD_VALUE: &str = "ScanMeKvsOldValue-0000000000000000000005";
const KVS_NEW_VALUE: &str = "ScanMeKvsNewValue-0000000000000000000006";

async fn fake_github() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"message": "Resource not accessible by integration"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/octo/site/issues/7/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/octo/site/issues/7/comments"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": 9_000_000_001u64,
            "html_url": "https://github.com/octo/site/pull/7#issuecomment-9000000001",
            "body": "x",
            "user": {"login": "github-actions[bot]"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    server
}

/// A store holding two keys with secret values before the run, through the real SDKs.
async fn seed_store(url: &str, cf: &aws_sdk_cloudfront::Client) {
    use aws_sdk_cloudfrontkeyvaluestore as kvs_sdk;
    let created = cf
        .create_key_value_store()
        .name("scan-store")
        .send()
        .await
        .unwrap();
    let arn = created.key_value_store().unwrap().arn().to_owned();
    let conf = kvs_sdk::Config::builder()
        .behavior_version(kvs_sdk::config::BehaviorVersion::latest())
        .region(kvs_sdk::config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            common::ACCESS_KEY,
            common::SECRET_KEY,
            None,
            None,
            "test",
        ))
        .endpoint_url(url)
        .build();
    let kv = cloudfront_publish::aws::kvs::KvsClient::from_conf(conf);
    let v = kv.describe(&arn).await.unwrap();
    let batch = cloudfront_publish::kvs::Batch {
        puts: vec![
            ("flag".to_owned(), KVS_OLD_VALUE.to_owned()),
            ("gone".to_owned(), KVS_OLD_VALUE.to_owned()),
        ],
        deletes: Vec::new(),
    };
    kv.update(&arn, &v.etag, &batch).await.unwrap();
}

async fn scan(debug: bool) {
    let emu = Emu::start(|_| {}).await;
    let gh = fake_github().await;
    let ws = example_workspace();
    let event = ws.path().join("event.json");
    std::fs::write(
        &event,
        json!({"number": 7, "pull_request": {"number": 7}}).to_string(),
    )
    .unwrap();
    let url = emu.url();
    seed_store(&url, &emu.client()).await;
    std::fs::write(
        ws.path().join("kvs.yaml"),
        format!("jwt: {KVS_VALUE}\nflag: {KVS_NEW_VALUE}\n"),
    )
    .unwrap();
    let gh_url = gh.uri();
    let event_path = event.to_string_lossy().into_owned();
    let mut env = vec![
        ("AWS_SECRET_ACCESS_KEY", AWS_SECRET),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN),
        ("GITHUB_API_URL", gh_url.as_str()),
        ("GITHUB_REPOSITORY", "octo/site"),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_EVENT_PATH", event_path.as_str()),
        ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
    ];
    if debug {
        env.push(("RUNNER_DEBUG", "1"));
    }
    let run = run_action(
        ws.path(),
        &[
            ("function-name", "scan-me"),
            ("function-file", "function.js"),
            ("test-events", "tests/*.yaml"),
            ("endpoint-url", &url),
            ("github-token", GITHUB_TOKEN),
            ("pr-comment", "sticky"),
            ("key-value-store", "scan-store"),
            ("key-value-store-data", "kvs.yaml"),
        ],
        &env,
    )
    .await;
    assert_eq!(run.code, 0, "{run:#?}");
    // The store was really synced: its values went through requests and answers.
    assert_eq!(
        run.out("key-value-store-changes"),
        r#"{"added":["jwt"],"changed":["flag"],"removed":["gone"]}"#
    );
    assert_eq!(
        run.out("comment-url"),
        "https://github.com/octo/site/pull/7#issuecomment-9000000001"
    );
    let comment_bodies: Vec<String> = gh
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert!(
        comment_bodies
            .iter()
            .any(|b| b.contains("cloudfront-publish:scan-me")),
        "a comment was posted"
    );
    if debug {
        assert!(!run.stderr.is_empty(), "RUNNER_DEBUG=1 logs request detail");
    }
    let outputs = format!("{:?}", run.outputs);
    for secret in [
        GITHUB_TOKEN,
        AWS_SECRET,
        SESSION_TOKEN,
        KVS_VALUE,
        KVS_OLD_VALUE,
        KVS_NEW_VALUE,
    ] {
        for (what, text) in [
            ("stdout", &run.stdout),
            ("stderr", &run.stderr),
            ("summary", &run.summary),
            ("outputs", &outputs),
        ] {
            assert!(
                !text.contains(secret),
                "{what} leaks a secret (debug={debug})"
            );
        }
        assert!(
            !comment_bodies.iter().any(|b| b.contains(secret)),
            "the comment leaks a secret"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_reaches_any_output() {
    scan(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_reaches_any_output_with_runner_debug() {
    scan(true).await;
}
