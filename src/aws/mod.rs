//! The CloudFront seam: one SDK client per run, the few calls the pipeline makes, and errors mapped
//! to one line that names the operation and the AWS error code.
//!
//! Real `aws-sdk-cloudfront` calls; tests point the client at the emulator over loopback.
//! Not for: deciding what to call (that is the pipeline).

pub mod kvs;
pub mod oidc;

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudfront::primitives::Blob;
use aws_sdk_cloudfront::types::{
    FunctionConfig, FunctionRuntime, FunctionStage, FunctionSummary, KeyValueStoreAssociation,
    KeyValueStoreAssociations,
};

use crate::plan::AwsSettings;
use crate::types::{Etag, FunctionName, Runtime, Stage};

/// A failed AWS call, as one line: operation, AWS error code, message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {code}: {message}")]
pub struct AwsError {
    /// The API operation (`PublishFunction`).
    pub operation: &'static str,
    /// The AWS error code (`PreconditionFailed`), or a transport class (`DispatchFailure`, `Timeout`).
    pub code: String,
    /// The service's message, or the transport error's chain.
    pub message: String,
}

impl AwsError {
    fn from_sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let (code, message) = match &err {
            SdkError::ServiceError(se) => {
                let e = se.err();
                (
                    e.code().unwrap_or("Unknown").to_owned(),
                    e.message()
                        .map(str::to_owned)
                        .unwrap_or_else(|| DisplayErrorContext(&err).to_string()),
                )
            }
            SdkError::TimeoutError(_) => ("Timeout".to_owned(), "no answer in time".to_owned()),
            SdkError::DispatchFailure(_) => {
                let code = if is_credentials_error(&err) {
                    "NoCredentials"
                } else {
                    "DispatchFailure"
                };
                (code.to_owned(), causes(&err))
            }
            SdkError::ConstructionFailure(_) => ("InvalidRequest".to_owned(), causes(&err)),
            _ => ("ResponseError".to_owned(), causes(&err)),
        };
        Self {
            operation,
            code,
            message: one_line(&message),
        }
    }

    /// True for 412 PreconditionFailed: the ETag sent is no longer current.
    pub fn is_precondition_failed(&self) -> bool {
        self.code == "PreconditionFailed"
    }

    /// True when the function does not exist.
    pub fn is_no_such_function(&self) -> bool {
        self.code == "NoSuchFunctionExists"
    }
}

/// True when the request was never sent because no credentials could be loaded.
fn is_credentials_error(err: &(dyn std::error::Error + 'static)) -> bool {
    use aws_credential_types::provider::error::CredentialsError;
    let mut next = err.source();
    while let Some(e) = next {
        if e.downcast_ref::<CredentialsError>().is_some() {
            return true;
        }
        next = e.source();
    }
    false
}

/// The error's chain of causes as "a: b: c", each cause's Display once (no Debug dumps).
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = err.source();
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A stage of a function as DescribeFunction reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionState {
    /// The function's ARN.
    pub arn: String,
    /// This stage's ETag.
    pub etag: Etag,
    /// FunctionSummary.Status.
    pub status: String,
    /// The runtime (as the API names it).
    pub runtime: String,
    /// The comment.
    pub comment: String,
    /// Associated key value store ARNs.
    pub kvs_arns: Vec<String>,
}

/// A stage's code as GetFunction returns it, with the ETag of the version it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageCode {
    /// The code bytes.
    pub code: Vec<u8>,
    /// The ETag GetFunction sent with them.
    pub etag: Option<Etag>,
}

/// Code and config to create or update with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    /// Runtime.
    pub runtime: Runtime,
    /// Comment (empty allowed).
    pub comment: String,
    /// Key value store ARNs (at most one).
    pub kvs_arns: Vec<String>,
    /// Source code.
    pub code: String,
}

/// One TestFunction result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestRun {
    /// FunctionOutput as returned (a JSON string).
    pub output: Option<String>,
    /// FunctionExecutionLogs.
    pub logs: Vec<String>,
    /// FunctionErrorMessage.
    pub error: Option<String>,
    /// ComputeUtilization.
    pub compute_utilization: Option<u32>,
}

/// The CloudFront client the pipeline uses.
#[derive(Debug, Clone)]
pub struct CloudFront {
    client: Client,
}

/// Retries: the SDK's standard mode retries throttling errors and 5xx with exponential backoff and
/// jitter, never other 4xx.
fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(5)
        .with_initial_backoff(Duration::from_millis(100))
}

fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(10))
        .operation_attempt_timeout(Duration::from_secs(30))
        .build()
}

impl CloudFront {
    /// Builds the client: region, credentials (default chain, or the assumed role), endpoint override.
    pub async fn connect(settings: &AwsSettings) -> Result<Self, AwsError> {
        let region = aws_config::Region::new(settings.region.clone());
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(region.clone())
            .retry_config(retry_config())
            .timeout_config(timeout_config());
        if let (Some(role), Some((url, token))) = (&settings.role_to_assume, &settings.oidc_request)
        {
            let creds = oidc::assume_role(role, url, token, region).await?;
            loader = loader.credentials_provider(creds);
        }
        let sdk = loader.load().await;
        let mut conf = aws_sdk_cloudfront::config::Builder::from(&sdk);
        if let Some(url) = &settings.endpoint_url {
            conf = conf.endpoint_url(url);
        }
        Ok(Self {
            client: Client::from_conf(conf.build()),
        })
    }

    /// A client from an explicit SDK config (tests and `demo`).
    pub fn from_conf(conf: aws_sdk_cloudfront::Config) -> Self {
        Self {
            client: Client::from_conf(conf.to_builder().retry_config(retry_config()).build()),
        }
    }

    /// Wraps an existing SDK client (unit tests with `aws-smithy-mocks`).
    pub fn from_client(client: Client) -> Self {
        Self { client }
    }

    /// DescribeFunction; `None` when the function does not exist.
    pub async fn describe(
        &self,
        name: &FunctionName,
        stage: Stage,
    ) -> Result<Option<FunctionState>, AwsError> {
        let res = self
            .client
            .describe_function()
            .name(name.as_str())
            .stage(fn_stage(stage))
            .send()
            .await;
        match res {
            Ok(out) => {
                let etag = parse_etag("DescribeFunction", out.e_tag())?;
                Ok(Some(state_from(out.function_summary(), etag)))
            }
            Err(e) => {
                let err = AwsError::from_sdk("DescribeFunction", e);
                if err.is_no_such_function() {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }

    /// GetFunction: the stage's code and its ETag; `None` when the function (or that stage) does not exist.
    pub async fn get_code(
        &self,
        name: &FunctionName,
        stage: Stage,
    ) -> Result<Option<StageCode>, AwsError> {
        let res = self
            .client
            .get_function()
            .name(name.as_str())
            .stage(fn_stage(stage))
            .send()
            .await;
        match res {
            Ok(out) => Ok(Some(StageCode {
                code: out
                    .function_code()
                    .map(|b| b.as_ref().to_vec())
                    .unwrap_or_default(),
                etag: out.e_tag().and_then(|e| e.parse().ok()),
            })),
            Err(e) => {
                let err = AwsError::from_sdk("GetFunction", e);
                if err.is_no_such_function() {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }

    /// CreateFunction; returns the new DEVELOPMENT state.
    pub async fn create(
        &self,
        name: &FunctionName,
        spec: &FunctionSpec,
    ) -> Result<FunctionState, AwsError> {
        let out = self
            .client
            .create_function()
            .name(name.as_str())
            .function_config(fn_config(spec).map_err(|m| build_err("CreateFunction", m))?)
            .function_code(Blob::new(spec.code.as_bytes()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("CreateFunction", e))?;
        let etag = parse_etag("CreateFunction", out.e_tag())?;
        Ok(state_from(out.function_summary(), etag))
    }

    /// UpdateFunction with `If-Match`; returns the new DEVELOPMENT state.
    pub async fn update(
        &self,
        name: &FunctionName,
        if_match: &Etag,
        spec: &FunctionSpec,
    ) -> Result<FunctionState, AwsError> {
        let out = self
            .client
            .update_function()
            .name(name.as_str())
            .if_match(if_match.as_str())
            .function_config(fn_config(spec).map_err(|m| build_err("UpdateFunction", m))?)
            .function_code(Blob::new(spec.code.as_bytes()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateFunction", e))?;
        let etag = parse_etag("UpdateFunction", out.e_tag())?;
        Ok(state_from(out.function_summary(), etag))
    }

    /// TestFunction on DEVELOPMENT with `If-Match` = the ETag that will be published.
    pub async fn test(
        &self,
        name: &FunctionName,
        if_match: &Etag,
        event: &[u8],
    ) -> Result<TestRun, AwsError> {
        let out = self
            .client
            .test_function()
            .name(name.as_str())
            .if_match(if_match.as_str())
            .stage(FunctionStage::Development)
            .event_object(Blob::new(event))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("TestFunction", e))?;
        let r = out.test_result();
        Ok(TestRun {
            output: r
                .and_then(|r| r.function_output())
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            logs: r
                .map(|r| r.function_execution_logs().to_vec())
                .unwrap_or_default(),
            error: r
                .and_then(|r| r.function_error_message())
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            compute_utilization: r
                .and_then(|r| r.compute_utilization())
                .and_then(|c| c.trim().parse::<f64>().ok())
                .filter(|c| c.is_finite() && *c >= 0.0)
                // Rounded up: 70.2 is over a limit of 70.
                .map(|c| c.ceil().min(f64::from(u32::MAX)) as u32),
        })
    }

    /// PublishFunction with `If-Match` = the tested ETag.
    pub async fn publish(&self, name: &FunctionName, if_match: &Etag) -> Result<(), AwsError> {
        self.client
            .publish_function()
            .name(name.as_str())
            .if_match(if_match.as_str())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("PublishFunction", e))?;
        Ok(())
    }
}

fn build_err(operation: &'static str, message: String) -> AwsError {
    AwsError {
        operation,
        code: "InvalidRequest".to_owned(),
        message,
    }
}

fn parse_etag(operation: &'static str, etag: Option<&str>) -> Result<Etag, AwsError> {
    etag.unwrap_or_default().parse().map_err(|_| AwsError {
        operation,
        code: "MissingETag".to_owned(),
        message: "the response carried no ETag".to_owned(),
    })
}

fn fn_stage(stage: Stage) -> FunctionStage {
    match stage {
        Stage::Development => FunctionStage::Development,
        Stage::Live => FunctionStage::Live,
    }
}

fn fn_config(spec: &FunctionSpec) -> Result<FunctionConfig, String> {
    let mut conf = FunctionConfig::builder()
        .comment(spec.comment.clone())
        .runtime(FunctionRuntime::from(spec.runtime.as_str()));
    // An empty list is sent as Quantity 0, which removes associations; the pipeline only sends the
    // list it wants kept.
    let mut kvs = KeyValueStoreAssociations::builder().quantity(spec.kvs_arns.len() as i32);
    for arn in &spec.kvs_arns {
        kvs = kvs.items(
            KeyValueStoreAssociation::builder()
                .key_value_store_arn(arn)
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    conf = conf.key_value_store_associations(kvs.build().map_err(|e| e.to_string())?);
    conf.build().map_err(|e| e.to_string())
}

fn state_from(summary: Option<&FunctionSummary>, etag: Etag) -> FunctionState {
    let config = summary.and_then(|s| s.function_config());
    FunctionState {
        arn: summary
            .and_then(|s| s.function_metadata())
            .map(|m| m.function_arn().to_owned())
            .unwrap_or_default(),
        etag,
        status: summary
            .and_then(|s| s.status())
            .unwrap_or_default()
            .to_owned(),
        runtime: config
            .map(|c| c.runtime().as_str().to_owned())
            .unwrap_or_default(),
        comment: config.map(|c| c.comment().to_owned()).unwrap_or_default(),
        kvs_arns: config
            .and_then(|c| c.key_value_store_associations())
            .map(|k| {
                k.items()
                    .iter()
                    .map(|a| a.key_value_store_arn().to_owned())
                    .collect()
            })
            .unwrap_or_default(),
    }
}
