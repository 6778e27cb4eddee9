//! AWS failures as one type: the operation, a typed error code and the service's message, shown in
//! one format everywhere (`Operation: Code: message`).
//!
//! Codes come from the SDK's typed errors (`as_service_error()` and the generated `is_*()`); only
//! the codes the SDK does not model for CloudFront (credentials, throttling) are read from the
//! error metadata.

use std::fmt;

use aws_sdk_cloudfront::config::http::HttpResponse;
use aws_sdk_cloudfront::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudfront::operation::{
    create_function::CreateFunctionError, describe_function::DescribeFunctionError,
    get_function::GetFunctionError, publish_function::PublishFunctionError,
    test_function::TestFunctionError, update_function::UpdateFunctionError,
};

/// An AWS error code, or the class of a failure that never got one (transport, credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsErrorCode {
    /// 412: the ETag sent is no longer current.
    PreconditionFailed,
    /// The function does not exist.
    NoSuchFunctionExists,
    /// The ETag sent is not valid for this function.
    InvalidIfMatchVersion,
    /// The code is over the size quota.
    FunctionSizeLimitExceeded,
    /// A request parameter was refused.
    InvalidArgument,
    /// CreateFunction: the name is taken.
    FunctionAlreadyExists,
    /// TestFunction could not run the function.
    TestFunctionFailed,
    /// The IAM policy does not allow the call (`AccessDenied`).
    AccessDenied,
    /// The IAM policy does not allow the call (`AccessDeniedException`).
    AccessDeniedException,
    /// The access key is not known.
    InvalidClientTokenId,
    /// The secret key does not match.
    SignatureDoesNotMatch,
    /// The session credentials have expired.
    ExpiredToken,
    /// No credentials could be loaded; nothing was sent.
    NoCredentials,
    /// The endpoint could not be reached.
    DispatchFailure,
    /// AWS throttled the call.
    Throttling,
    /// AWS was unavailable.
    ServiceUnavailable,
    /// No answer in time.
    Timeout,
    /// The request could not be built.
    InvalidRequest,
    /// The response carried no ETag.
    MissingETag,
    /// The response could not be read.
    ResponseError,
    /// The CA certificates for TLS could not be loaded.
    TlsSetup,
    /// Control plane: no key value store has that name.
    EntityNotFound,
    /// CreateKeyValueStore: the name is taken.
    EntityAlreadyExists,
    /// CreateKeyValueStore: the account has as many stores as it may.
    EntityLimitExceeded,
    /// A key value store could not be provisioned (its Status is PROVISIONING_FAILED).
    ProvisioningFailed,
    /// Data plane: a write met another ETag than it sent (409).
    ConflictException,
    /// Data plane: the request was refused as invalid (400).
    ValidationException,
    /// Data plane: the store does not exist (404).
    ResourceNotFoundException,
    /// Data plane: the store would grow over its quota (402).
    ServiceQuotaExceededException,
    /// A non-AWS endpoint (the OIDC token request) answered with this HTTP status.
    HttpStatus(u16),
    /// Any other code, as the service sent it.
    Other(String),
}

impl AwsErrorCode {
    /// The code the SDK does not model, from the error metadata.
    fn from_metadata(code: Option<&str>) -> Self {
        match code.unwrap_or("Unknown") {
            "PreconditionFailed" => Self::PreconditionFailed,
            "AccessDenied" => Self::AccessDenied,
            "AccessDeniedException" => Self::AccessDeniedException,
            "InvalidClientTokenId" => Self::InvalidClientTokenId,
            "SignatureDoesNotMatch" => Self::SignatureDoesNotMatch,
            "ExpiredToken" => Self::ExpiredToken,
            "Throttling" => Self::Throttling,
            "ServiceUnavailable" => Self::ServiceUnavailable,
            other => Self::Other(other.to_owned()),
        }
    }

    /// True for the codes that mean the credentials or the IAM policy are wrong.
    pub fn is_access(&self) -> bool {
        matches!(
            self,
            Self::AccessDenied
                | Self::AccessDeniedException
                | Self::InvalidClientTokenId
                | Self::SignatureDoesNotMatch
                | Self::ExpiredToken
        )
    }
}

impl fmt::Display for AwsErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Self::PreconditionFailed => "PreconditionFailed",
            Self::NoSuchFunctionExists => "NoSuchFunctionExists",
            Self::InvalidIfMatchVersion => "InvalidIfMatchVersion",
            Self::FunctionSizeLimitExceeded => "FunctionSizeLimitExceeded",
            Self::InvalidArgument => "InvalidArgument",
            Self::FunctionAlreadyExists => "FunctionAlreadyExists",
            Self::TestFunctionFailed => "TestFunctionFailed",
            Self::AccessDenied => "AccessDenied",
            Self::AccessDeniedException => "AccessDeniedException",
            Self::InvalidClientTokenId => "InvalidClientTokenId",
            Self::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            Self::ExpiredToken => "ExpiredToken",
            Self::NoCredentials => "NoCredentials",
            Self::DispatchFailure => "DispatchFailure",
            Self::Throttling => "Throttling",
            Self::ServiceUnavailable => "ServiceUnavailable",
            Self::Timeout => "Timeout",
            Self::InvalidRequest => "InvalidRequest",
            Self::MissingETag => "MissingETag",
            Self::ResponseError => "ResponseError",
            Self::TlsSetup => "TlsSetup",
            Self::EntityNotFound => "EntityNotFound",
            Self::EntityAlreadyExists => "EntityAlreadyExists",
            Self::EntityLimitExceeded => "EntityLimitExceeded",
            Self::ProvisioningFailed => "ProvisioningFailed",
            Self::ConflictException => "ConflictException",
            Self::ValidationException => "ValidationException",
            Self::ResourceNotFoundException => "ResourceNotFoundException",
            Self::ServiceQuotaExceededException => "ServiceQuotaExceededException",
            Self::HttpStatus(n) => return write!(f, "{n}"),
            Self::Other(s) => s,
        };
        f.write_str(s)
    }
}

/// The modeled errors of one operation, read with the SDK's generated `is_*()` helpers.
pub(crate) trait ModeledError: ProvideErrorMetadata + std::error::Error + 'static {
    /// The typed code, when the SDK models this error.
    fn modeled(&self) -> Option<AwsErrorCode>;
}

/// `ModeledError` for operation errors, as a table: each error type with its `is_*()` helpers in
/// the order they are asked, and the code each one means.
macro_rules! modeled_errors {
    ($($error:ty { $($is:ident => $code:ident),+ $(,)? })+) => {$(
        impl $crate::aws::error::ModeledError for $error {
            fn modeled(&self) -> Option<$crate::aws::error::AwsErrorCode> {
                $(if self.$is() {
                    return Some($crate::aws::error::AwsErrorCode::$code);
                })+
                None
            }
        }
    )+};
}
pub(crate) use modeled_errors;

modeled_errors! {
    DescribeFunctionError { is_no_such_function_exists => NoSuchFunctionExists }
    GetFunctionError { is_no_such_function_exists => NoSuchFunctionExists }
    CreateFunctionError {
        is_function_size_limit_exceeded => FunctionSizeLimitExceeded,
        is_function_already_exists => FunctionAlreadyExists,
        is_invalid_argument => InvalidArgument,
    }
    UpdateFunctionError {
        is_precondition_failed => PreconditionFailed,
        is_no_such_function_exists => NoSuchFunctionExists,
        is_invalid_if_match_version => InvalidIfMatchVersion,
        is_function_size_limit_exceeded => FunctionSizeLimitExceeded,
        is_invalid_argument => InvalidArgument,
    }
    TestFunctionError {
        is_no_such_function_exists => NoSuchFunctionExists,
        is_invalid_if_match_version => InvalidIfMatchVersion,
        is_test_function_failed => TestFunctionFailed,
        is_invalid_argument => InvalidArgument,
    }
    PublishFunctionError {
        is_precondition_failed => PreconditionFailed,
        is_no_such_function_exists => NoSuchFunctionExists,
        is_invalid_if_match_version => InvalidIfMatchVersion,
        is_invalid_argument => InvalidArgument,
    }
}

// STS's codes (`InvalidIdentityToken`, `AccessDenied`) are shown as STS sent them.
impl ModeledError
    for aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityError
{
    fn modeled(&self) -> Option<AwsErrorCode> {
        None
    }
}

/// A failed AWS call: operation, code, message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: {code}: {message}")]
pub struct AwsError {
    /// The API operation (`PublishFunction`).
    pub operation: &'static str,
    /// The AWS error code, or a transport class.
    pub code: AwsErrorCode,
    /// The service's message, or the transport error's chain, on one line.
    pub message: String,
    /// The HTTP status of the last answer, when one came back.
    pub status: Option<u16>,
}

impl AwsError {
    /// An error made here rather than by the SDK.
    pub fn new(operation: &'static str, code: AwsErrorCode, message: impl Into<String>) -> Self {
        Self {
            operation,
            code,
            message: one_line(&message.into()),
            status: None,
        }
    }

    pub(crate) fn from_sdk<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ModeledError,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        let (code, message) = match &err {
            SdkError::ServiceError(se) => {
                let e = se.err();
                (
                    e.modeled()
                        .unwrap_or_else(|| AwsErrorCode::from_metadata(e.code())),
                    e.message()
                        .map(str::to_owned)
                        .unwrap_or_else(|| DisplayErrorContext(&err).to_string()),
                )
            }
            SdkError::TimeoutError(_) => (AwsErrorCode::Timeout, "no answer in time".to_owned()),
            SdkError::DispatchFailure(_) => {
                let code = if is_credentials_error(&err) {
                    AwsErrorCode::NoCredentials
                } else {
                    AwsErrorCode::DispatchFailure
                };
                (code, causes(&err))
            }
            SdkError::ConstructionFailure(_) => (AwsErrorCode::InvalidRequest, causes(&err)),
            _ => (AwsErrorCode::ResponseError, causes(&err)),
        };
        Self {
            status,
            ..Self::new(operation, code, message)
        }
    }

    /// True when a write may have been applied although no success came back: the answer was
    /// lost (timeout, dropped connection, unreadable response) or the SDK's last retry met a
    /// transient error (5xx, throttling) after an earlier attempt that may have gone through.
    pub fn may_have_applied(&self) -> bool {
        matches!(
            self.code,
            AwsErrorCode::Timeout
                | AwsErrorCode::DispatchFailure
                | AwsErrorCode::ResponseError
                | AwsErrorCode::ServiceUnavailable
                | AwsErrorCode::Throttling
        ) || self.status.is_some_and(|s| s >= 500)
    }

    /// True for 409 FunctionAlreadyExists on CreateFunction.
    pub fn is_already_exists(&self) -> bool {
        self.code == AwsErrorCode::FunctionAlreadyExists
    }

    /// True for 412 PreconditionFailed: the ETag sent is no longer current.
    pub fn is_precondition_failed(&self) -> bool {
        self.code == AwsErrorCode::PreconditionFailed
    }

    /// True when the function does not exist.
    pub fn is_no_such_function(&self) -> bool {
        self.code == AwsErrorCode::NoSuchFunctionExists
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
