//! Why one function failed, as a type; the report shows it as one line that names the function,
//! the step and what to do. The only place pipeline failures are worded.

use crate::aws::{AwsError, AwsErrorCode};
use crate::types::{Etag, FunctionName, Stage};

use super::CHANGED_AFTER_TEST;

/// One function's failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FunctionError {
    /// An AWS call failed.
    #[error("{name}: {}: {}: {}.{}", .source.operation, .source.code, .source.message.trim_end_matches('.'), hint(&.source.code))]
    Aws {
        /// The function.
        name: FunctionName,
        /// The call's error.
        source: AwsError,
    },
    /// No CloudFront client could be built (credentials, role).
    #[error("{name}: AWS credentials: {source}")]
    Credentials {
        /// The function.
        name: FunctionName,
        /// Why.
        source: AwsError,
    },
    /// DescribeFunction and GetFunction saw two versions of a stage.
    #[error(
        "{name}: read: the {stage} stage changed while it was being read ({why}); nothing was changed, rerun"
    )]
    TornRead {
        /// The function.
        name: FunctionName,
        /// The stage read.
        stage: Stage,
        /// What differed.
        why: String,
    },
    /// `if-match` did not hold.
    #[error("{name}: if-match: {found}, not {expected}: nothing was changed")]
    IfMatch {
        /// The function.
        name: FunctionName,
        /// What DEVELOPMENT holds, in words.
        found: String,
        /// The ETag expected.
        expected: Etag,
    },
    /// There is no function and no code to create it with.
    #[error(
        "{name}: read: NoSuchFunctionExists: the function does not exist. Set function-file to create it, or check function-name."
    )]
    Missing {
        /// The function.
        name: FunctionName,
    },
    /// Some tests failed.
    #[error("{name}: {failed} of {total} tests failed: not published")]
    TestsFailed {
        /// The function.
        name: FunctionName,
        /// Failed cases.
        failed: usize,
        /// All cases.
        total: usize,
    },
    /// PublishFunction answered PreconditionFailed: the tested ETag is no longer current.
    #[error(
        "{name}: {CHANGED_AFTER_TEST} (PublishFunction: PreconditionFailed). Rerun to test the current version."
    )]
    ChangedAfterTest {
        /// The function.
        name: FunctionName,
    },
    /// PublishFunction ended without an answer and LIVE did not hold the tested code afterwards:
    /// the service may still apply it.
    #[error(
        "{name}: {}: {}: {}. LIVE did not hold the tested code when read back, but the publish may still go through: check LIVE before rerunning.",
        .source.operation, .source.code, .source.message.trim_end_matches('.')
    )]
    PublishUnclear {
        /// The function.
        name: FunctionName,
        /// The publish's error.
        source: AwsError,
    },
    /// The function's key value store could not be found, read or written.
    #[error("{name}: key value store {store}: {message}: not tested, not published")]
    KeyValueStore {
        /// The function.
        name: FunctionName,
        /// The store as the inputs name it.
        store: String,
        /// What failed (the AWS error line).
        message: String,
    },
    /// LIVE was gone right after publishing.
    #[error("{name}: DescribeFunction LIVE: the function vanished after publishing")]
    VanishedAfterPublish {
        /// The function.
        name: FunctionName,
    },
    /// A task was cancelled or did not finish (a bug).
    #[error("{name}: {message}")]
    Internal {
        /// The function.
        name: FunctionName,
        /// What happened.
        message: String,
    },
}

impl FunctionError {
    /// An AWS call of this function failed.
    pub fn aws(name: &FunctionName, source: AwsError) -> Self {
        Self::Aws {
            name: name.clone(),
            source,
        }
    }

    /// The run could not reach AWS at all.
    pub fn credentials(name: &FunctionName, source: AwsError) -> Self {
        Self::Credentials {
            name: name.clone(),
            source,
        }
    }

    /// A task that did not run to its end.
    pub fn internal(name: &FunctionName, message: &str) -> Self {
        Self::Internal {
            name: name.clone(),
            message: message.to_owned(),
        }
    }
}

/// What to do about an AWS error, as a sentence after the message (or nothing).
fn hint(code: &AwsErrorCode) -> &'static str {
    match code {
        AwsErrorCode::PreconditionFailed => {
            " The function changed meanwhile; rerun to test the current version."
        }
        AwsErrorCode::NoSuchFunctionExists => {
            " Set function-file to create it, or check function-name."
        }
        AwsErrorCode::FunctionAlreadyExists => {
            " Another writer created it with other code or config meanwhile; rerun to update it."
        }
        AwsErrorCode::InvalidIfMatchVersion => {
            " The ETag sent is not valid for this function; rerun."
        }
        AwsErrorCode::FunctionSizeLimitExceeded => " CloudFront functions are limited to 10 KB.",
        c if c.is_access() => " Check the credentials and the IAM policy (see README).",
        AwsErrorCode::NoCredentials => {
            " Give the job AWS credentials: role-to-assume (with `id-token: write`) or aws-actions/configure-aws-credentials."
        }
        AwsErrorCode::DispatchFailure => {
            " The endpoint could not be reached after retries; check endpoint-url and the network, or rerun later."
        }
        AwsErrorCode::Throttling | AwsErrorCode::ServiceUnavailable | AwsErrorCode::Timeout => {
            " AWS did not answer after retries; rerun later."
        }
        _ => "",
    }
}
