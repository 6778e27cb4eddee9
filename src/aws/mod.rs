//! The CloudFront seam: one SDK client per run, the few calls the pipeline makes, and errors mapped
//! to one line that names the operation and the AWS error code.
//!
//! Real `aws-sdk-cloudfront` calls; tests point the client at the emulator over loopback.
//! Not for: deciding what to call (that is the pipeline).

pub mod distributions;
mod error;
pub mod oidc;

pub use error::{AwsError, AwsErrorCode};

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::primitives::Blob;
use aws_sdk_cloudfront::types::{
    FunctionConfig, FunctionRuntime, FunctionStage, FunctionSummary, KeyValueStoreAssociation,
    KeyValueStoreAssociations,
};

use crate::plan::AwsSettings;
use crate::types::{Etag, FunctionName, FunctionStatus, KvsArn, Runtime, Stage};

/// A stage of a function as DescribeFunction reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionState {
    /// The function's ARN.
    pub arn: String,
    /// This stage's ETag.
    pub etag: Etag,
    /// FunctionSummary.Status.
    pub status: FunctionStatus,
    /// The runtime.
    pub runtime: Runtime,
    /// The comment.
    pub comment: String,
    /// Associated key value store ARNs.
    pub kvs_arns: Vec<KvsArn>,
}

impl FunctionState {
    /// The config a publish copies from DEVELOPMENT to LIVE, as a comparable value.
    fn config(&self) -> (Runtime, &str, &[KvsArn]) {
        (self.runtime, &self.comment, &self.kvs_arns)
    }

    /// True when both stages have the same runtime, comment and key value stores.
    pub fn same_config(&self, other: &FunctionState) -> bool {
        self.config() == other.config()
    }

    /// True when this stage holds exactly `spec`: code bytes, runtime, comment and stores.
    pub fn holds(&self, code: &[u8], spec: &FunctionSpec) -> bool {
        code == spec.code.as_bytes()
            && self.config()
                == (
                    spec.runtime,
                    spec.comment.as_str(),
                    spec.kvs_arns.as_slice(),
                )
    }
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
    pub kvs_arns: Vec<KvsArn>,
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
        const OP: &str = "DescribeFunction";
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
                Ok(Some(state_from(OP, out.function_summary(), etag)?))
            }
            Err(e) => {
                let err = AwsError::from_sdk(OP, e);
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
        const OP: &str = "CreateFunction";
        let out = self
            .client
            .create_function()
            .name(name.as_str())
            .function_config(fn_config(OP, spec)?)
            .function_code(Blob::new(spec.code.as_bytes()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        let etag = parse_etag(OP, out.e_tag())?;
        state_from(OP, out.function_summary(), etag)
    }

    /// UpdateFunction with `If-Match`; returns the new DEVELOPMENT state.
    pub async fn update(
        &self,
        name: &FunctionName,
        if_match: &Etag,
        spec: &FunctionSpec,
    ) -> Result<FunctionState, AwsError> {
        const OP: &str = "UpdateFunction";
        let out = self
            .client
            .update_function()
            .name(name.as_str())
            .if_match(if_match.as_str())
            .function_config(fn_config(OP, spec)?)
            .function_code(Blob::new(spec.code.as_bytes()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        let etag = parse_etag(OP, out.e_tag())?;
        state_from(OP, out.function_summary(), etag)
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

fn parse_etag(operation: &'static str, etag: Option<&str>) -> Result<Etag, AwsError> {
    etag.unwrap_or_default().parse().map_err(|_| {
        AwsError::new(
            operation,
            AwsErrorCode::MissingETag,
            "the response carried no ETag",
        )
    })
}

fn fn_stage(stage: Stage) -> FunctionStage {
    match stage {
        Stage::Development => FunctionStage::Development,
        Stage::Live => FunctionStage::Live,
    }
}

fn fn_config(operation: &'static str, spec: &FunctionSpec) -> Result<FunctionConfig, AwsError> {
    let invalid = |e: aws_sdk_cloudfront::error::BuildError| {
        AwsError::new(operation, AwsErrorCode::InvalidRequest, e.to_string())
    };
    let mut conf = FunctionConfig::builder()
        .comment(spec.comment.clone())
        .runtime(FunctionRuntime::from(spec.runtime.as_str()));
    // An empty list is sent as Quantity 0, which removes associations; the pipeline only sends the
    // list it wants kept.
    let mut kvs = KeyValueStoreAssociations::builder().quantity(spec.kvs_arns.len() as i32);
    for arn in &spec.kvs_arns {
        kvs = kvs.items(
            KeyValueStoreAssociation::builder()
                .key_value_store_arn(arn.as_str())
                .build()
                .map_err(invalid)?,
        );
    }
    conf = conf.key_value_store_associations(kvs.build().map_err(invalid)?);
    conf.build().map_err(invalid)
}

/// The state of a stage; a runtime this version does not know is an unreadable response.
fn state_from(
    operation: &'static str,
    summary: Option<&FunctionSummary>,
    etag: Etag,
) -> Result<FunctionState, AwsError> {
    let unreadable =
        |e: crate::types::InvalidValue| AwsError::new(operation, AwsErrorCode::ResponseError, e.0);
    let config = summary.and_then(|s| s.function_config());
    let runtime = match config {
        Some(c) => c.runtime().as_str().parse().map_err(unreadable)?,
        None => Runtime::default(),
    };
    let kvs_arns = config
        .and_then(|c| c.key_value_store_associations())
        .map(|k| {
            k.items()
                .iter()
                .map(|a| KvsArn::from_api(a.key_value_store_arn()))
                .collect()
        })
        .unwrap_or_default();
    Ok(FunctionState {
        arn: summary
            .and_then(|s| s.function_metadata())
            .map(|m| m.function_arn().to_owned())
            .unwrap_or_default(),
        etag,
        status: FunctionStatus::from_api(summary.and_then(|s| s.status()).unwrap_or_default()),
        runtime,
        comment: config.map(|c| c.comment().to_owned()).unwrap_or_default(),
        kvs_arns,
    })
}
