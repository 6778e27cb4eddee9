//! The sticky PR comment against a fake GitHub (wiremock on loopback), through the library API.
//!
//! Covers PR resolution per event, marker search across pages, author filtering, create/update,
//! GHES base paths and the warning paths. Not the comment's Markdown (unit tests in report::comment).

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cloudfront_publish::github::{CommentMode, Commenter, GithubSettings};
use cloudfront_publish::report::comment::marker;
use serde_json::{Value, json};
use tempfile::TempDir;
use wiremock::matchers::{
    bearer_token, body_string_contains, header_exists, method, path, query_param,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "ghs_TopSecretTokenValue1234567890";
const TARGET: &str = "redirect-www";
const BODY: &str = "<!-- cloudfront-publish:redirect-www -->\n### ✅ published";

/// A temp dir holding the event payload; kept alive for the test.
struct Event {
    _dir: TempDir,
    path: PathBuf,
}

fn event(payload: Value) -> Event {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("event.json");
    std::fs::write(&path, payload.to_string()).expect("write payload");
    Event { _dir: dir, path }
}

fn pr_event(number: u64) -> Event {
    event(json!({"action": "synchronize", "number": number, "pull_request": {"number": number}}))
}

fn settings(api_url: &str, event_name: &str, ev: &Event, mode: CommentMode) -> GithubSettings {
    GithubSettings {
        api_url: api_url.to_owned(),
        token: Some(TOKEN.to_owned()),
        repository: Some("octo/site".to_owned()),
        event_name: Some(event_name.to_owned()),
        event_path: Some(ev.path.clone()),
        sha: Some("0123456789abcdef0123456789abcdef01234567".to_owned()),
        pr_number: None,
        mode,
    }
}

fn comment(id: u64, login: &str, body: &str) -> Value {
    json!({
        "id": id,
        "node_id": "IC_x",
        "body": body,
        "user": {"login": login, "id": 1, "type": "Bot"},
        "html_url": format!("https://github.com/octo/site/pull/7#issuecomment-{id}"),
        "created_at": "2026-01-01T00:00:00Z"
    })
}

async fn mock_user(server: &MockServer, login: &str) {
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"login": login, "id": 1})))
        .mount(server)
        .await;
}

async fn mock_comments(server: &MockServer, pr: u64, comments: Value) {
    Mock::given(method("GET"))
        .and(path(format!("/repos/octo/site/issues/{pr}/comments")))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments))
        .mount(server)
        .await;
}

/// POST that must happen `times` times and answers with a created comment of id `id`.
async fn expect_create(server: &MockServer, pr: u64, id: u64, times: u64) {
    Mock::given(method("POST"))
        .and(path(format!("/repos/octo/site/issues/{pr}/comments")))
        .and(body_string_contains("cloudfront-publish:redirect-www"))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(id, "octo-bot", BODY)))
        .expect(times)
        .mount(server)
        .await;
}

async fn expect_update(server: &MockServer, id: u64, times: u64) {
    Mock::given(method("PATCH"))
        .and(path(format!("/repos/octo/site/issues/comments/{id}")))
        .and(body_string_contains("cloudfront-publish:redirect-www"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment(id, "octo-bot", BODY)))
        .expect(times)
        .mount(server)
        .await;
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

#[tokio::test]
async fn creates_a_comment_when_none_exists() {
    let server = MockServer::start().await;
    mock_user(&server, "octo-bot").await;
    mock_comments(&server, 7, json!([comment(1, "someone", "LGTM")])).await;
    expect_create(&server, 7, 9_000_000_001, 1).await;
    let ev = pr_event(7);
    let c = Commenter::new(&settings(
        &server.uri(),
        "pull_request",
        &ev,
        CommentMode::Sticky,
    ))
    .expect("commenter");

    let lookup = c.lookup(TARGET).await;
    assert_eq!(lookup.pr_number(), Some(7));
    assert_eq!(lookup.existing_comment_id(), None);
    let out = c.write(lookup, BODY).await;

    assert_eq!(out.warnings, Vec::<String>::new());
    assert_eq!(
        out.html_url.as_deref(),
        Some("https://github.com/octo/site/pull/7#issuecomment-9000000001")
    );
    let post = requests(&server)
        .await
        .into_iter()
        .find(|r| r.method.as_str() == "POST")
        .expect("a POST");
    let sent: Value = serde_json::from_slice(&post.body).expect("json body");
    assert_eq!(sent["body"], BODY);
}

#[tokio::test]
async fn sends_the_token_as_bearer_and_a_user_agent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .and(bearer_token(TOKEN))
        .and(header_exists("user-agent"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"login": "octo-bot"})))
        .expect(1)
        .mount(&server)
        .await;
    mock_comments(&server, 7, json!([])).await;
    let ev = pr_event(7);
    let c = Commenter::new(&settings(
        &server.uri(),
        "pull_request",
        &ev,
        CommentMode::Sticky,
    ))
    .expect("commenter");
    let lookup = c.lookup(TARGET).await;
    assert_eq!(lookup.warnings(), &[] as &[String]);
}

#[tokio::test]
async fn updates_our_comment_found_on_page_2_of_3() {
    let server = MockServer::start().await;
    let base = server.uri();
    let ours = 5_000_000_000_u64; // beyond u32: ids are 64-bit
    mock_user(&server, "octo-bot").await;
    let link = |page: u32| {
        format!(
            "<{base}/repositories/99/issues/7/comments?per_page=100&page={page}>; rel=\"next\", \
             <{base}/repositories/99/issues/7/comments?per_page=100&page=3>; rel=\"last\""
        )
    };
    Mock::given(method("GET"))
        .and(path("/repos/octo/site/issues/7/comments"))
        .and(query_param("per_page", "100"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", link(2))
                .set_body_json(json!([
                    comment(1, "someone", "first"),
                    comment(2, "octo-bot", "other text")
                ])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repositories/99/issues/7/comments"))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", link(3))
                .set_body_json(json!([
                    comment(3, "someone", "hi"),
                    comment(ours, "octo-bot", BODY)
                ])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repositories/99/issues/7/comments"))
        .and(query_param("page", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(0)
        .mount(&server)
        .await;
    expect_update(&server, ours, 1).await;
    expect_create(&server, 7, 1, 0).await;
    let ev = pr_event(7);
    let c = Commenter::new(&settings(
        &server.uri(),
        "pull_request",
        &ev,
        CommentMode::Sticky,
    ))
    .expect("commenter");

    let lookup = c.lookup(TARGET).await;
    assert_eq!(lookup.existing_comment_id(), Some(ours));
    let out = c.write(lookup, BODY).await;
    assert_eq!(out.warnings, Vec::<String>::new());
    assert!(out.html_url.is_some_and(|u| u.ends_with("5000000000")));
}

#[tokio::test]
async fn same_marker_from_other_users_or_other_targets_is_ignored() {
    let server = MockServer::start().await;
    mock_user(&server, "octo-bot").await;
    mock_comments(
        &server,
        7,
        json!([
            comment(10, "mallory", BODY),
            comment(11, "octo-bot", &marker("redirect-www-2")),
            comment(12, "octo-bot", "<!-- cloudfront-publish:redirect -->"),
        ]),
    )
    .await;
    expect_create(&server, 7, 20, 1).await;
    let ev = pr_event(7);
    let c = Commenter::new(&settings(
        &server.uri(),
        "pull_request",
        &ev,
        CommentMode::Sticky,
    ))
    .expect("commenter");

    let lookup = c.lookup(TARGET).await;
    assert_eq!(lookup.existing_comment_id(), None);
    let out = c.write(lookup, BODY).await;
    assert_eq!(out.warnings, Vec::<String>::new());
    assert!(
        requests(&server)
            .await
            .iter()
            .all(|r| r.method.as_str() != "PATCH")
    );
}

#[tokio::test]
async fn user_403_means_the_actions_bot_is_the_author() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"message": "Resource not accessible by integration", "status": "403"}),
        ))
        .mount(&server)
        .await;
    mock_comments(
        &server,
        7,
        json!([
            comment(30, "octo-bot", BODY),
            comment(31, "github-actions[bot]", BODY)
        ]),
    )
    .await;
    expect_update(&server, 31, 1).await;
    let ev = pr_event(7);
    let c = Commenter::new(&settings(
        &server.uri(),
        "pull_request_target",
        &ev,
        CommentMode::Sticky,
    ))
    .expect("commenter");

    let lookup = c.lookup(TARGET).await;
    assert_eq!(lookup.existing_comment_id(), Some(31));
    assert_eq!(lookup.warnings(), &[] as &[String]);
    let out = c.write(lookup, BODY).await;
    assert_eq!(out.warnings, Vec::<String>::new());
}

#[tokio::test]
async fn fork_token_403_on_create_is_a_warning() {
    let server = MockServer::start().await;
    mock_user(&server, "octo-bot").await;
    mock_comments(&server, 7, json!([])).await;
    Mock::given(method("POST"))
        .and(path("/repos/octo/site/issues/7/comments"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "message": "Resource not accessible by integration",
            "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
            "status": "403"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let ev = pr_event(7);
    let c = Commenter::new(&settings(
        &server.uri(),
        "pull_request",
        &ev,
        CommentMode::Sticky,
    ))
    .expect("commenter");

    let out = c.write(c.lookup(TARGET).await, BODY).await;
    assert_eq!(out.html_url, None);
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    let w = &out.warnings[0];
    assert!(w.contains("fork"), "{w}");
    assert!(w.contains("403"), "{w}");
    assert!(!w.contains('\n'), "one line: {w}");
}

#[tokio::test]
async fn other_github_errors_become_warnings_with_status_and_message() {
    let server = MockServer::start().await;
    mock_user(&server, "octo-bot").await;
    Mock::given(method("GET"))
        .and(path("/repos/octo/site/issues/7/comments"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})))
        .mount(&server)
        .await;
    expect_create(&server, 7, 1, 0).await;
    let ev = pr_event(7);
    let c = Commenter::new(&settings(
        &server.uri(),
        "pull_request",
        &ev,
        CommentMode::Sticky,
    ))
    .expect("commenter");

    let out = c.write(c.lookup(TARGET).await, BODY).await;
    assert_eq!(out.html_url, None);
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(out.warnings[0].contains("404"), "{}", out.warnings[0]);
    assert!(out.warnings[0].contains("Not Found"), "{}", out.warnings[0]);
    assert!(out.warnings[0].contains("PR #7"), "{}", out.warnings[0]);
}

#[tokio::test]
async fn unreachable_github_is_a_warning_not_a_panic() {
    // Bind then drop a listener so the port is very likely closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let ev = pr_event(7);
    let c = Commenter::new(&settings(
        &format!("http://127.0.0.1:{port}"),
        "pull_request",
        &ev,
        CommentMode::New,
    ))
    .expect("commenter");
    let out = c.write(c.lookup(TARGET).await, BODY).await;
    assert_eq!(out.html_url, None);
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(
        out.warnings[0].contains("cannot reach GitHub"),
        "{}",
        out.warnings[0]
    );
}

#[tokio::test]
async fn push_event_comments_on_the_open_pr_of_the_commit() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/repos/octo/site/commits/0123456789abcdef0123456789abcdef01234567/pulls",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"number": 3, "state": "closed"},
            {"number": 11, "state": "open"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    mock_user(&server, "octo-bot").await;
    mock_comments(&server, 11, json!([])).await;
    expect_create(&server, 11, 40, 1).await;
    let ev = event(json!({"ref": "refs/heads/feature", "after": "0123456789abcdef"}));
    let c = Commenter::new(&settings(&server.uri(), "push", &ev, CommentMode::Sticky))
        .expect("commenter");

    let lookup = c.lookup(TARGET).await;
    assert_eq!(lookup.pr_number(), Some(11));
    let out = c.write(lookup, BODY).await;
    assert_eq!(out.warnings, Vec::<String>::new());
    assert!(out.html_url.is_some());
}

#[tokio::test]
async fn push_without_a_pr_writes_nothing_and_warns_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/repos/octo/site/commits/0123456789abcdef0123456789abcdef01234567/pulls",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    mock_user(&server, "octo-bot").await;
    let ev = event(json!({"ref": "refs/heads/main"}));
    let c = Commenter::new(&settings(&server.uri(), "push", &ev, CommentMode::Sticky))
        .expect("commenter");

    let lookup = c.lookup(TARGET).await;
    assert_eq!(lookup.pr_number(), None);
    let out = c.write(lookup, BODY).await;
    assert_eq!(out.html_url, None);
    assert_eq!(out.warnings, Vec::<String>::new());
    assert_eq!(out.notes.len(), 1, "{:?}", out.notes);
    assert!(
        requests(&server)
            .await
            .iter()
            .all(|r| r.method.as_str() == "GET")
    );
}

#[tokio::test]
async fn workflow_dispatch_uses_the_pr_number_input() {
    let server = MockServer::start().await;
    mock_user(&server, "octo-bot").await;
    mock_comments(&server, 42, json!([])).await;
    expect_create(&server, 42, 50, 1).await;
    let ev = event(json!({"inputs": {}, "ref": "refs/heads/main"}));
    let mut s = settings(&server.uri(), "workflow_dispatch", &ev, CommentMode::Sticky);
    s.pr_number = Some(42);
    let c = Commenter::new(&s).expect("commenter");

    let lookup = c.lookup(TARGET).await;
    assert_eq!(lookup.pr_number(), Some(42));
    let out = c.write(lookup, BODY).await;
    assert_eq!(out.warnings, Vec::<String>::new());
    assert!(out.html_url.is_some());
    // The input is enough: no commit lookup on workflow_dispatch.
    assert!(
        requests(&server)
            .await
            .iter()
            .all(|r| !r.url.path().contains("/commits/"))
    );
}

#[tokio::test]
async fn workflow_dispatch_without_input_makes_no_request() {
    let server = MockServer::start().await;
    let ev = event(json!({"inputs": {}}));
    let c = Commenter::new(&settings(
        &server.uri(),
        "workflow_dispatch",
        &ev,
        CommentMode::Sticky,
    ))
    .expect("commenter");
    let out = c.write(c.lookup(TARGET).await, BODY).await;
    assert_eq!(out.html_url, None);
    assert_eq!(out.warnings, Vec::<String>::new());
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn ghes_base_url_keeps_its_api_v3_path() {
    let server = MockServer::start().await;
    let base = format!("{}/api/v3", server.uri());
    Mock::given(method("GET"))
        .and(path("/api/v3/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"login": "octo-bot"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v3/repos/octo/site/issues/7/comments"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    format!("<{base}/repositories/99/issues/7/comments?per_page=100&page=2>; rel=\"next\""),
                )
                .set_body_json(json!([])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v3/repositories/99/issues/7/comments"))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([comment(60, "octo-bot", BODY)])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/api/v3/repos/octo/site/issues/comments/60"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment(60, "octo-bot", BODY)))
        .expect(1)
        .mount(&server)
        .await;
    let ev = pr_event(7);
    let c = Commenter::new(&settings(
        &format!("{base}/"),
        "pull_request",
        &ev,
        CommentMode::Sticky,
    ))
    .expect("commenter");

    let out = c.write(c.lookup(TARGET).await, BODY).await;
    assert_eq!(out.warnings, Vec::<String>::new());
    assert!(out.html_url.is_some());
    assert!(
        requests(&server)
            .await
            .iter()
            .all(|r| r.url.path().starts_with("/api/v3/"))
    );
}

#[tokio::test]
async fn off_mode_makes_zero_requests() {
    let server = MockServer::start().await;
    let ev = pr_event(7);
    let s = settings(&server.uri(), "pull_request", &ev, CommentMode::Off);
    assert!(Commenter::new(&s).is_none());
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn new_mode_always_creates_without_searching() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([comment(70, "octo-bot", BODY)])),
        )
        .expect(0)
        .mount(&server)
        .await;
    expect_create(&server, 7, 71, 1).await;
    expect_update(&server, 70, 0).await;
    let ev = pr_event(7);
    let c = Commenter::new(&settings(
        &server.uri(),
        "pull_request",
        &ev,
        CommentMode::New,
    ))
    .expect("commenter");

    let out = c.write(c.lookup(TARGET).await, BODY).await;
    assert_eq!(out.warnings, Vec::<String>::new());
    assert!(out.html_url.is_some_and(|u| u.ends_with("-71")));
}

#[tokio::test]
async fn comment_deleted_after_lookup_is_created_again() {
    let server = MockServer::start().await;
    mock_user(&server, "octo-bot").await;
    mock_comments(&server, 7, json!([comment(80, "octo-bot", BODY)])).await;
    Mock::given(method("PATCH"))
        .and(path("/repos/octo/site/issues/comments/80"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})))
        .expect(1)
        .mount(&server)
        .await;
    expect_create(&server, 7, 81, 1).await;
    let ev = pr_event(7);
    let c = Commenter::new(&settings(
        &server.uri(),
        "pull_request",
        &ev,
        CommentMode::Sticky,
    ))
    .expect("commenter");

    let out = c.write(c.lookup(TARGET).await, BODY).await;
    assert_eq!(out.warnings, Vec::<String>::new());
    assert!(out.html_url.is_some_and(|u| u.ends_with("-81")));
}

#[tokio::test]
async fn missing_token_is_a_warning_and_makes_no_request() {
    let server = MockServer::start().await;
    let ev = pr_event(7);
    let mut s = settings(&server.uri(), "pull_request", &ev, CommentMode::Sticky);
    s.token = Some(String::new());
    let c = Commenter::new(&s).expect("commenter despite no token");
    let out = c.write(c.lookup(TARGET).await, BODY).await;
    assert_eq!(out.html_url, None);
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(
        out.warnings[0].contains("github-token"),
        "{}",
        out.warnings[0]
    );
    assert!(requests(&server).await.is_empty());
}

/// Collects everything tracing writes while a test runs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn token_never_appears_in_warnings_or_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    // A hostile or buggy server echoing the token back in its error messages.
    let echo = json!({"message": format!("Bad credentials: {TOKEN}")});
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(ResponseTemplate::new(401).set_body_json(echo.clone()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(422).set_body_json(echo))
        .mount(&server)
        .await;
    let ev = pr_event(7);

    let mut warnings = Vec::new();
    for mode in [CommentMode::Sticky, CommentMode::New] {
        let s = settings(&server.uri(), "pull_request", &ev, mode);
        tracing::debug!(settings = ?s, "settings");
        let c = Commenter::new(&s).expect("commenter");
        let lookup = c.lookup(TARGET).await;
        warnings.extend(lookup.warnings().to_vec());
        let out = c.write(lookup, BODY).await;
        warnings.extend(out.warnings);
    }
    let _ = std::io::stdout().flush();

    assert!(warnings.iter().any(|w| w.contains("401")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("422")), "{warnings:?}");
    for w in &warnings {
        assert!(!w.contains(TOKEN), "token leaked in warning: {w}");
    }
    let logged = String::from_utf8_lossy(&logs.0.lock().expect("lock")).into_owned();
    assert!(logged.contains("settings"), "the capture works: {logged}");
    assert!(!logged.contains(TOKEN), "token leaked in logs: {logged}");
}

#[test]
fn commenter_and_its_futures_can_move_across_tasks() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>(_: &T) {}
    assert_send_sync::<Commenter>();
    let ev = pr_event(7);
    let c = Commenter::new(&settings(
        "http://127.0.0.1:9",
        "pull_request",
        &ev,
        CommentMode::Sticky,
    ))
    .expect("commenter");
    // Built lazily: creating the commenter and its futures needs no runtime.
    let lookup = c.lookup(TARGET);
    assert_send(&lookup);
    let write = c.write(Default::default(), BODY);
    assert_send(&write);
}

#[tokio::test]
async fn pull_request_payload_wins_over_the_pr_number_input() {
    let server = MockServer::start().await;
    let ev = pr_event(7);
    let mut s = settings(&server.uri(), "pull_request", &ev, CommentMode::New);
    s.pr_number = Some(99);
    let c = Commenter::new(&s).expect("commenter");
    let lookup = c.lookup(TARGET).await;
    assert_eq!(lookup.pr_number(), Some(7));
    // New mode needs nothing else before the write.
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn malformed_api_url_is_a_warning() {
    let ev = pr_event(7);
    let c = Commenter::new(&settings(
        "ghe.example/api/v3",
        "pull_request",
        &ev,
        CommentMode::New,
    ))
    .expect("commenter");
    let out = c.write(c.lookup(TARGET).await, BODY).await;
    assert_eq!(out.html_url, None);
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(
        out.warnings[0].contains("GITHUB_API_URL"),
        "{}",
        out.warnings[0]
    );
}
