//! Where the function runs, through the binary as the runner runs it, against the emulator: the
//! `distributions` output, the summary and the PR comment name exactly the distributions whose cache
//! behaviors use the function (before a publish "will change", after it "changed"); a test on an
//! event type the function does not run on is a warning; without `cloudfront:ListDistributions`
//! (a loopback proxy answers 403 AccessDenied) the run warns once and still publishes.
//!
//! Distributions are created with `aws-sdk-cloudfront`'s CreateDistribution against the emulator.
//! Not for: matching and rendering details (unit tests in `distributions`, `aws::distributions` and
//! `report::distributions`).

mod common;

use std::sync::{Arc, Mutex};

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::primitives::Blob;
use aws_sdk_cloudfront::types::{
    Aliases, CacheBehavior, CacheBehaviors, CustomOriginConfig, DefaultCacheBehavior,
    DistributionConfig, EventType, FunctionAssociation, FunctionAssociations, FunctionConfig,
    FunctionRuntime, Origin, OriginProtocolPolicy, Origins, ViewerProtocolPolicy,
};
use common::{Emu, Run, example_workspace, operations, run_action};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NAME: &str = "site-viewer";
/// The managed CachingOptimized policy: a behavior needs a cache policy (or legacy settings).
const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

// ---- distributions through the SDK -------------------------------------------------------------

fn associations(items: &[(&str, EventType)]) -> FunctionAssociations {
    let mut b = FunctionAssociations::builder().quantity(items.len() as i32);
    for (arn, event) in items {
        b = b.items(
            FunctionAssociation::builder()
                .function_arn(*arn)
                .event_type(event.clone())
                .build()
                .unwrap(),
        );
    }
    b.build().unwrap()
}

/// What CreateDistribution answered: the id and domain name the tests expect to see again.
#[derive(Debug, Clone)]
struct Created {
    id: String,
    domain_name: String,
}

/// CreateDistribution with one origin, `aliases`, the default behavior's associations and
/// `(path pattern, associations)` behaviors.
async fn create_distribution(
    client: &Client,
    reference: &str,
    aliases: &[&str],
    default: &[(&str, EventType)],
    behaviors: &[(&str, &[(&str, EventType)])],
) -> Created {
    let origin = Origin::builder()
        .id("origin")
        .domain_name("origin.example.com")
        .custom_origin_config(
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let mut cbs = CacheBehaviors::builder().quantity(behaviors.len() as i32);
    for (pattern, fa) in behaviors {
        cbs = cbs.items(
            CacheBehavior::builder()
                .path_pattern(*pattern)
                .target_origin_id("origin")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .cache_policy_id(CACHING_OPTIMIZED)
                .function_associations(associations(fa))
                .build()
                .unwrap(),
        );
    }
    let mut al = Aliases::builder().quantity(aliases.len() as i32);
    for a in aliases {
        al = al.items(*a);
    }
    let config = DistributionConfig::builder()
        .caller_reference(reference)
        .aliases(al.build().unwrap())
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .unwrap(),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("origin")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .cache_policy_id(CACHING_OPTIMIZED)
                .function_associations(associations(default))
                .build()
                .unwrap(),
        )
        .cache_behaviors(cbs.build().unwrap())
        .comment(reference)
        .enabled(true)
        .build()
        .unwrap();
    let out = client
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .expect("CreateDistribution succeeds");
    let d = out.distribution().expect("a distribution");
    Created {
        id: d.id().to_owned(),
        domain_name: d.domain_name().to_owned(),
    }
}

/// Creates and publishes another function, so a distribution can use something that is not ours.
async fn publish_other_function(client: &Client, name: &str) -> String {
    let created = client
        .create_function()
        .name(name)
        .function_config(
            FunctionConfig::builder()
                .comment("other")
                .runtime(FunctionRuntime::CloudfrontJs20)
                .build()
                .unwrap(),
        )
        .function_code(Blob::new("function handler(e) { return e.request; }"))
        .send()
        .await
        .unwrap();
    client
        .publish_function()
        .name(name)
        .if_match(created.e_tag().unwrap())
        .send()
        .await
        .unwrap();
    created
        .function_summary()
        .and_then(|s| s.function_metadata())
        .map(|m| m.function_arn().to_owned())
        .unwrap()
}

// ---- runs --------------------------------------------------------------------------------------

fn inputs(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("function-name", NAME.to_owned()),
        ("function-file", "function.js".to_owned()),
        ("test-events", "tests/*.yaml".to_owned()),
        ("endpoint-url", url.to_owned()),
    ]
}

async fn run(ws: &std::path::Path, inputs: &[(&'static str, String)], env: &[(&str, &str)]) -> Run {
    let inputs: Vec<(&str, &str)> = inputs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run_action(ws, &inputs, env).await
}

/// Publishes the example function once and returns its ARN (associations need a LIVE function).
async fn first_publish(ws: &std::path::Path, url: &str) -> String {
    let first = run(ws, &inputs(url), &[]).await;
    assert_eq!(first.code, 0, "{first:#?}");
    assert_eq!(first.out("published"), "true");
    first.out("function-arn").to_owned()
}

/// A change to the code, so the next run updates, tests and (with publish) publishes.
fn edit_function(ws: &std::path::Path, marker: &str) {
    let file = ws.join("function.js");
    let mut code = std::fs::read_to_string(&file).unwrap();
    code.push_str(&format!("\n// {marker}\n"));
    std::fs::write(file, code).unwrap();
}

fn warnings(run: &Run) -> Vec<&str> {
    run.stdout
        .lines()
        .filter(|l| l.starts_with("::warning"))
        .collect()
}

fn distributions_output(run: &Run) -> Value {
    serde_json::from_str(run.out("distributions")).expect("distributions is JSON")
}

/// A GitHub that has no comment yet on PR 7 and records the one the action posts.
async fn fake_github() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"login": "octo-bot"})))
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
            "user": {"login": "octo-bot"}
        })))
        .mount(&server)
        .await;
    server
}

/// The body of the comment the action posted.
async fn posted_comment(gh: &MockServer) -> String {
    let posts: Vec<String> = gh
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            v["body"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(posts.len(), 1, "{posts:?}");
    posts[0].clone()
}

/// A PR run's environment, with the fake GitHub's URL and an event file in `ws`.
fn pr_env(ws: &std::path::Path, gh: &MockServer) -> Vec<(String, String)> {
    let event = ws.join("event.json");
    std::fs::write(
        &event,
        json!({"number": 7, "pull_request": {"number": 7}}).to_string(),
    )
    .unwrap();
    vec![
        ("GITHUB_API_URL".to_owned(), gh.uri()),
        ("GITHUB_REPOSITORY".to_owned(), "octo/site".to_owned()),
        ("GITHUB_EVENT_NAME".to_owned(), "pull_request".to_owned()),
        (
            "GITHUB_EVENT_PATH".to_owned(),
            event.to_string_lossy().into_owned(),
        ),
    ]
}

// ---- tests -------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn output_summary_and_comment_name_exactly_the_distributions_that_run_the_function() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let url = emu.url();
    let arn = first_publish(ws.path(), &url).await;
    let sdk = emu.client();
    let other = publish_other_function(&sdk, "someone-else").await;
    let on_default = create_distribution(
        &sdk,
        "default-behavior",
        &["www.example.com", "example.com"],
        &[(&arn, EventType::ViewerRequest)],
        &[],
    )
    .await;
    let on_path = create_distribution(
        &sdk,
        "path-behavior",
        &["api.example.com"],
        &[(&other, EventType::ViewerRequest)],
        &[
            ("/static/*", &[]),
            ("/api/*", &[(&arn, EventType::ViewerResponse)]),
        ],
    )
    .await;
    let unrelated = create_distribution(
        &sdk,
        "unrelated",
        &["other.example.com"],
        &[(&other, EventType::ViewerRequest)],
        &[("/api/*", &[(&other, EventType::ViewerResponse)])],
    )
    .await;
    let mut expected = vec![
        json!({
            "id": on_default.id,
            "domain-name": on_default.domain_name,
            "aliases": ["www.example.com", "example.com"],
            "behaviors": [{"path-pattern": "*", "event-type": "viewer-request"}]
        }),
        json!({
            "id": on_path.id,
            "domain-name": on_path.domain_name,
            "aliases": ["api.example.com"],
            "behaviors": [{"path-pattern": "/api/*", "event-type": "viewer-response"}]
        }),
    ];
    // By id, as the action orders them.
    expected.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let expected = Value::Array(expected);

    // A pull-request run: tested, not published; the distributions "will change".
    edit_function(ws.path(), "pr");
    let gh = fake_github().await;
    let env = pr_env(ws.path(), &gh);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut pr_inputs = inputs(&url);
    pr_inputs.push(("publish", "false".to_owned()));
    pr_inputs.push(("pr-comment", "sticky".to_owned()));
    pr_inputs.push(("github-token", "ghs_fake".to_owned()));
    let pr = run(ws.path(), &pr_inputs, &env).await;
    assert_eq!(pr.code, 0, "{pr:#?}");
    assert_eq!(pr.out("published"), "false");
    assert_eq!(distributions_output(&pr), expected);
    // The examples send viewer-request events, which the default behavior runs: no warning.
    assert_eq!(warnings(&pr), Vec::<&str>::new(), "{}", pr.stdout);
    let comment = posted_comment(&gh).await;
    for text in [&pr.summary, &comment] {
        assert!(text.contains("A publish will change"), "{text}");
        assert!(!text.contains("This publish changed"), "{text}");
        assert!(text.contains(&on_default.id), "{text}");
        assert!(text.contains(&on_default.domain_name), "{text}");
        assert!(text.contains("www.example.com"), "{text}");
        assert!(text.contains(&on_path.id), "{text}");
        assert!(text.contains("`/api/*` viewer-response"), "{text}");
        assert!(!text.contains(&unrelated.id), "{text}");
        assert!(!text.contains("other.example.com"), "{text}");
    }

    // The publish: the same distributions, now "changed".
    let published = run(ws.path(), &inputs(&url), &[]).await;
    assert_eq!(published.code, 0, "{published:#?}");
    assert_eq!(published.out("published"), "true");
    assert_eq!(distributions_output(&published), expected);
    assert!(
        published.summary.contains("This publish changed"),
        "{}",
        published.summary
    );
    assert!(published.summary.contains(&on_path.id));
    assert!(!published.summary.contains(&unrelated.id));
    // The service reports a LIVE function that distributions use as DEPLOYED.
    assert_eq!(published.out("status"), "DEPLOYED");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_test_on_an_event_type_the_function_does_not_run_on_is_a_warning() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let url = emu.url();
    let arn = first_publish(ws.path(), &url).await;
    create_distribution(
        &emu.client(),
        "responses-only",
        &[],
        &[(&arn, EventType::ViewerResponse)],
        &[],
    )
    .await;
    edit_function(ws.path(), "again");
    let run = run(ws.path(), &inputs(&url), &[]).await;
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(run.out("published"), "true");
    let w = warnings(&run);
    assert_eq!(w.len(), 1, "{}", run.stdout);
    // The example's three tests send viewer-request events.
    assert!(w[0].contains("viewer-request events"), "{}", w[0]);
    assert!(w[0].contains("only on viewer-response"), "{}", w[0]);
    for name in [
        "apex domain redirects to www with path and query kept",
        "hidden files such as /.env are refused",
    ] {
        assert!(w[0].contains(name), "{}", w[0]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_list_permission_the_run_warns_once_and_still_publishes() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let proxy = Proxy::start(emu.url()).await;
    let run = run(ws.path(), &inputs(&proxy.url), &[]).await;
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(run.out("published"), "true");
    assert_eq!(proxy.denied(), 1, "one listing per run");
    let w = warnings(&run);
    assert_eq!(w.len(), 1, "{}", run.stdout);
    assert!(w[0].contains("cloudfront:ListDistributions"), "{}", w[0]);
    assert!(w[0].contains("optional"), "{}", w[0]);
    assert!(w[0].contains("AccessDenied"), "{}", w[0]);
    assert_eq!(distributions_output(&run), json!([]));
    assert!(
        run.summary.contains("could not be listed"),
        "{}",
        run.summary
    );
    // Every other request went through to the emulator.
    let ops = operations(&emu.requests());
    assert_eq!(
        ops.iter().filter(|o| *o == "PublishFunction").count(),
        1,
        "{ops:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_run_lists_once_and_shows_every_function_in_one_table() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let root = ws.path();
    let url = emu.url();
    std::fs::write(
        root.join("cloudfront-functions.yaml"),
        "functions:\n  - name: fn-a\n    file: function.js\n    tests: [tests/*.yaml]\n  - name: fn-b\n    file: function.js\n    tests: [tests/*.yaml]\n",
    )
    .unwrap();
    let manifest = vec![
        ("manifest", "cloudfront-functions.yaml".to_owned()),
        ("endpoint-url", url.clone()),
    ];
    let first = run(root, &manifest, &[]).await;
    assert_eq!(first.code, 0, "{first:#?}");
    let arn_of = |run: &Run, name: &str| -> String {
        let results: Vec<Value> = serde_json::from_str(run.out("results")).unwrap();
        let f = results.iter().find(|r| r["name"] == name).unwrap();
        f["function-arn"].as_str().unwrap().to_owned()
    };
    let (a, b) = (arn_of(&first, "fn-a"), arn_of(&first, "fn-b"));
    let shared = create_distribution(
        &emu.client(),
        "shared",
        &["shop.example.com"],
        &[(&a, EventType::ViewerRequest)],
        &[("/b/*", &[(&b, EventType::ViewerRequest)])],
    )
    .await;
    edit_function(root, "both");
    let before = emu.requests().len();
    let second = run(root, &manifest, &[]).await;
    assert_eq!(second.code, 0, "{second:#?}");
    let ops = operations(&emu.requests()[before..]);
    assert_eq!(
        ops.iter().filter(|o| *o == "ListDistributions").count(),
        1,
        "one listing for the whole manifest: {ops:?}"
    );
    let results: Vec<Value> = serde_json::from_str(second.out("results")).unwrap();
    for (name, pattern) in [("fn-a", "*"), ("fn-b", "/b/*")] {
        let f = results.iter().find(|r| r["name"] == name).unwrap();
        assert_eq!(
            f["distributions"],
            json!([{
                "id": shared.id,
                "domain-name": shared.domain_name,
                "aliases": ["shop.example.com"],
                "behaviors": [{"path-pattern": pattern, "event-type": "viewer-request"}]
            }]),
            "{name}"
        );
    }
    let summary = &second.summary;
    assert!(summary.contains("Distributions touched"), "{summary}");
    let rows: Vec<&str> = summary.lines().filter(|l| l.contains(&shared.id)).collect();
    assert_eq!(rows.len(), 1, "one row per distribution: {summary}");
    assert!(rows[0].contains("`fn-a` (changed)"), "{}", rows[0]);
    assert!(rows[0].contains("`fn-b` (changed)"), "{}", rows[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_is_listed_and_the_summary_table_is_capped() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let url = emu.url();
    let arn = first_publish(ws.path(), &url).await;
    // One more than a page of 100.
    let mut set = tokio::task::JoinSet::new();
    for i in 0..101 {
        let (sdk, arn) = (emu.client(), arn.clone());
        set.spawn(async move {
            let reference = format!("site-{i}");
            create_distribution(
                &sdk,
                &reference,
                &[],
                &[(&arn, EventType::ViewerRequest)],
                &[],
            )
            .await
            .id
        });
    }
    let mut created = std::collections::BTreeSet::new();
    while let Some(id) = set.join_next().await {
        created.insert(id.unwrap());
    }
    edit_function(ws.path(), "pages");
    let before = emu.requests().len();
    let run = run(ws.path(), &inputs(&url), &[]).await;
    assert_eq!(run.code, 0, "{run:#?}");
    let listed: std::collections::BTreeSet<String> = distributions_output(&run)
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, created);
    let ops = operations(&emu.requests()[before..]);
    assert_eq!(
        ops.iter().filter(|o| *o == "ListDistributions").count(),
        2,
        "{ops:?}"
    );
    let rows = run
        .summary
        .lines()
        .filter(|l| l.ends_with("| `*` viewer-request |"))
        .count();
    assert_eq!(rows, 50, "{}", run.summary);
    assert!(
        run.summary.contains("| … 51 more | | | |"),
        "{}",
        run.summary
    );
}

// ---- a proxy that denies ListDistributions -----------------------------------------------------

/// Loopback proxy in front of the emulator: ListDistributions gets the service's 403 AccessDenied,
/// every other request is forwarded as it came.
struct Proxy {
    url: String,
    denied: Arc<Mutex<usize>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let denied = Arc::new(Mutex::new(0));
        let count = denied.clone();
        let url = common::proxy(upstream, move |method, path: String| {
            let count = count.clone();
            async move {
                if method != http::Method::GET || path != "/2020-05-31/distribution" {
                    return None;
                }
                *count.lock().unwrap() += 1;
                common::xml_error(403, "denied-1", ACCESS_DENIED)
            }
        })
        .await;
        Self { url, denied }
    }

    fn denied(&self) -> usize {
        *self.denied.lock().unwrap()
    }
}

/// The service's answer to a caller without `cloudfront:ListDistributions`.
const ACCESS_DENIED: &str = "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/deploy/gha is not authorized to perform: cloudfront:ListDistributions on resource: arn:aws:cloudfront::123456789012:* because no identity-based policy allows the cloudfront:ListDistributions action</Message></Error><RequestId>denied-1</RequestId></ErrorResponse>";
