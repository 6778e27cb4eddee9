//! `role-to-assume`: fetch the workflow's OIDC token once and exchange it with STS
//! AssumeRoleWithWebIdentity for temporary credentials. Secrets never reach a log.

use aws_config::BehaviorVersion;
use aws_sdk_cloudfront::config::Credentials;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::{AwsError, AwsErrorCode};

/// The audience AWS expects in GitHub's OIDC token.
pub const AUDIENCE: &str = "sts.amazonaws.com";

fn err(operation: &'static str, code: AwsErrorCode, message: impl Into<String>) -> AwsError {
    AwsError::new(operation, code, message)
}

/// The token request URL with the audience added (`ACTIONS_ID_TOKEN_REQUEST_URL` already has a query).
pub fn token_url(request_url: &str) -> String {
    let sep = if request_url.contains('?') { '&' } else { '?' };
    format!("{request_url}{sep}audience={AUDIENCE}")
}

/// Asks the Actions runtime for an OIDC token (`Authorization: bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN`).
pub async fn fetch_token(request_url: &str, bearer: &str) -> Result<String, AwsError> {
    const OP: &str = "GetIdToken";
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| {
            err(
                OP,
                AwsErrorCode::TlsSetup,
                format!("no CA certificates: {e}"),
            )
        })?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Empty<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let req = http::Request::get(token_url(request_url))
        .header(http::header::AUTHORIZATION, format!("bearer {bearer}"))
        .header(http::header::ACCEPT, "application/json; api-version=2.0")
        .header(
            http::header::USER_AGENT,
            concat!("cloudfront-publish/", env!("CARGO_PKG_VERSION")),
        )
        .body(Empty::new())
        .map_err(|_| {
            err(
                OP,
                AwsErrorCode::InvalidRequest,
                "ACTIONS_ID_TOKEN_REQUEST_URL is not a valid URL",
            )
        })?;
    let res = client.request(req).await.map_err(|e| {
        err(
            OP,
            AwsErrorCode::DispatchFailure,
            format!("cannot reach the OIDC token endpoint: {e}"),
        )
    })?;
    let status = res.status();
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| err(OP, AwsErrorCode::ResponseError, e.to_string()))?
        .to_bytes();
    if !status.is_success() {
        return Err(err(
            OP,
            AwsErrorCode::HttpStatus(status.as_u16()),
            "the OIDC token request was refused (does the job have `permissions: id-token: write`?)",
        ));
    }
    #[derive(serde::Deserialize)]
    struct TokenResponse {
        value: String,
    }
    let token: TokenResponse = serde_json::from_slice(&body).map_err(|_| {
        err(
            OP,
            AwsErrorCode::ResponseError,
            "the OIDC token response has no `value`",
        )
    })?;
    Ok(token.value)
}

/// Fetches the OIDC token and assumes `role` with it; STS is signed for `region` and honours
/// `AWS_ENDPOINT_URL_STS` like every AWS SDK.
pub async fn assume_role(
    role: &str,
    request_url: &str,
    bearer: &str,
    region: aws_config::Region,
) -> Result<Credentials, AwsError> {
    const OP: &str = "AssumeRoleWithWebIdentity";
    let token = fetch_token(request_url, bearer).await?;
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .load()
        .await;
    let sts = aws_sdk_sts::Client::new(&sdk);
    let out = sts
        .assume_role_with_web_identity()
        .role_arn(role)
        .role_session_name("cloudfront-publish")
        .web_identity_token(token)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(OP, e))?;
    let c = out.credentials().ok_or_else(|| {
        err(
            OP,
            AwsErrorCode::ResponseError,
            "STS returned no credentials",
        )
    })?;
    let expiry = std::time::SystemTime::try_from(c.expiration().to_owned()).ok();
    Ok(Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        expiry,
        "role-to-assume",
    ))
}
