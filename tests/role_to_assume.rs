//! `role-to-assume`: the workflow's OIDC token is fetched once (audience sts.amazonaws.com, bearer
//! ACTIONS_ID_TOKEN_REQUEST_TOKEN), exchanged with STS AssumeRoleWithWebIdentity at
//! AWS_ENDPOINT_URL_STS with no AWS_REGION set, and the temporary credentials sign the CloudFront
//! calls. Fake OIDC and STS endpoints on loopback (wiremock), the emulator for CloudFront.

mod common;

use common::{Emu, example_workspace, run_action};
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ROLE: &str = "arn:aws:iam::123456789012:role/deploy-cloudfront";
const REQUEST_TOKEN: &str = "RequestTokenScanMe0000000000000001";
const ID_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.IdTokenScanMe.0000000002";
const STS_SECRET: &str = "StsSecretScanMe/000000000000000000000003";
const STS_SESSION: &str = "StsSessionScanMe+00000000000000000000004";

fn sts_response() -> String {
    format!(
        r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>repo:octo/site:ref:refs/heads/main</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/deploy-cloudfront/cloudfront-publish</Arn>
      <AssumedRoleId>AROAEXAMPLE:cloudfront-publish</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLEASSUMED01</AccessKeyId>
      <SecretAccessKey>{STS_SECRET}</SecretAccessKey>
      <SessionToken>{STS_SESSION}</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
    <Provider>token.actions.githubusercontent.com</Provider>
    <Audience>sts.amazonaws.com</Audience>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"#
    )
}

async fn fakes() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .and(query_param("api-version", "2.0"))
        .and(query_param("audience", "sts.amazonaws.com"))
        .and(header(
            "authorization",
            format!("bearer {REQUEST_TOKEN}").as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"count": 1, "value": ID_TOKEN})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(body_string_contains("Action=AssumeRoleWithWebIdentity"))
        .and(body_string_contains(
            "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdeploy-cloudfront",
        ))
        .and(body_string_contains(ID_TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_raw(sts_response(), "text/xml"))
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn the_oidc_token_is_exchanged_once_and_its_credentials_sign_cloudfront_calls() {
    let emu = Emu::start(|_| {}).await;
    let fake = fakes().await;
    let ws = example_workspace();
    let url = emu.url();
    let token_url = format!("{}/token?api-version=2.0", fake.uri());
    let sts_url = fake.uri();
    let run = run_action(
        ws.path(),
        &[
            ("function-name", "assumed"),
            ("function-file", "function.js"),
            ("test-events", "tests/*.yaml"),
            ("endpoint-url", &url),
            ("role-to-assume", ROLE),
        ],
        &[
            // Only the assumed role can sign: no static keys, no region in the environment.
            ("AWS_ACCESS_KEY_ID", ""),
            ("AWS_SECRET_ACCESS_KEY", ""),
            ("ACTIONS_ID_TOKEN_REQUEST_URL", &token_url),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN),
            ("AWS_ENDPOINT_URL_STS", &sts_url),
            ("RUNNER_DEBUG", "1"),
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(run.out("published"), "true");
    for secret in [REQUEST_TOKEN, ID_TOKEN, STS_SECRET, STS_SESSION] {
        assert!(!run.stdout.contains(secret), "stdout leaks a secret");
        assert!(!run.stderr.contains(secret), "stderr leaks a secret");
        assert!(!run.summary.contains(secret), "summary leaks a secret");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_oidc_token_fails_with_a_clear_error_and_no_cloudfront_call() {
    let emu = Emu::start(|_| {}).await;
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&fake)
        .await;
    let ws = example_workspace();
    let url = emu.url();
    let token_url = format!("{}/token?api-version=2.0", fake.uri());
    let run = run_action(
        ws.path(),
        &[
            ("function-name", "assumed"),
            ("endpoint-url", &url),
            ("role-to-assume", ROLE),
        ],
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", &token_url),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN),
        ],
    )
    .await;
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(run.stdout.contains("::error"), "{}", run.stdout);
    assert!(run.stdout.contains("id-token: write"), "{}", run.stdout);
    assert_eq!(
        run.out("published"),
        "false",
        "outputs are written on failure too"
    );
    assert!(
        emu.requests().is_empty(),
        "no CloudFront request without credentials"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_credentials_at_all_is_named_as_such_and_sends_nothing() {
    let emu = Emu::start(|_| {}).await;
    let ws = example_workspace();
    let url = emu.url();
    let run = run_action(
        ws.path(),
        &[("function-name", "nobody"), ("endpoint-url", &url)],
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
    )
    .await;
    assert_eq!(run.code, 1, "{run:#?}");
    let error = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::error"))
        .unwrap_or_default();
    assert!(error.contains("NoCredentials"), "{}", run.stdout);
    assert!(
        error.contains("role-to-assume"),
        "the error says what to do: {error}"
    );
    assert!(
        emu.requests().is_empty(),
        "nothing unsigned reached CloudFront"
    );
    assert_eq!(run.out("published"), "false");
}
