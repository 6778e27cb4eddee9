//! The service's error answers: a code, its HTTP status and a message, whatever the protocol.
//!
//! Codes and statuses follow the API models (CloudFront 2020-05-31, CloudFront KeyValueStore
//! 2022-07-26), so each SDK raises its own exception class. Not for: deciding *when* an error
//! applies (see `store`), or rendering it (REST-XML in `cloudfront::xml`, REST-JSON in `kvs`).

use axum::http::StatusCode;

/// One API error as the service reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// The `<Code>` element, e.g. `PreconditionFailed`.
    pub code: &'static str,
    /// The `<Message>` element.
    pub message: String,
}

impl ApiError {
    /// An error with a code of the API model that has no constructor of its own here.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 412: the `If-Match` ETag is not the current one.
    pub fn precondition_failed(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailed",
            message,
        )
    }

    /// 404: no function (or no such stage of it) by that name.
    pub fn no_such_function(name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NoSuchFunctionExists",
            format!("The function {name} does not exist."),
        )
    }

    /// 409: CreateFunction with a name already taken.
    pub fn function_already_exists(name: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "FunctionAlreadyExists",
            format!("A function with the name {name} already exists."),
        )
    }

    /// 409: DeleteFunction while a distribution uses the function.
    pub fn function_in_use(name: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "FunctionInUse",
            format!("The function {name} is associated with a distribution and cannot be deleted."),
        )
    }

    /// 413: function code over the size quota.
    pub fn size_limit_exceeded(size: usize, max: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "FunctionSizeLimitExceeded",
            format!("The function code is {size} bytes; the maximum size is {max} bytes."),
        )
    }

    /// 400: `If-Match` missing where the operation requires it.
    pub fn invalid_if_match(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidIfMatchVersion", message)
    }

    /// 400: a parameter is malformed or out of range.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
    }

    /// 400: the request asks for something the service does not support.
    pub fn unsupported_operation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "UnsupportedOperation", message)
    }

    /// 400: the account's function quota is used up.
    pub fn too_many_functions(max: usize) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "TooManyFunctions",
            format!("You have reached the maximum number of functions ({max}) for this account."),
        )
    }

    /// 500: TestFunction could not run the function at all.
    pub fn test_function_failed(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "TestFunctionFailed",
            message,
        )
    }

    /// 403: the request carries no `Authorization` header.
    pub fn missing_authentication() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        )
    }

    /// 400: the `Authorization` header is not a SigV4 one.
    pub fn incomplete_signature(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "IncompleteSignature", message)
    }

    /// 503: injected fault.
    pub fn service_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The service is unavailable. Please try again later.",
        )
    }

    /// 400: injected throttling.
    pub fn throttling() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Throttling", "Rate exceeded")
    }

    /// 404 (control plane): no key value store (or other entity) by that name.
    pub fn entity_not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "EntityNotFound",
            format!("The {what} does not exist."),
        )
    }

    /// 409 (control plane): CreateKeyValueStore with a name already taken.
    pub fn entity_already_exists(what: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "EntityAlreadyExists",
            format!("The {what} already exists."),
        )
    }

    /// 409 (control plane): DeleteKeyValueStore while a function is associated with the store.
    pub fn cannot_delete_while_in_use(what: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "CannotDeleteEntityWhileInUse",
            format!("The {what} is in use and cannot be deleted."),
        )
    }

    /// 400 (control plane): too many entities of a kind for the account.
    pub fn entity_limit_exceeded(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "EntityLimitExceeded", message)
    }

    /// 409 (data plane): the store is not in the expected state, e.g. `If-Match` names an older
    /// ETag.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "ConflictException", message)
    }

    /// 400 (data plane): a parameter is missing, malformed or over a limit.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationException", message)
    }

    /// 404 (data plane): no such store or key.
    pub fn resource_not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "ResourceNotFoundException", message)
    }

    /// 402 (data plane): the store would exceed its size quota.
    pub fn service_quota_exceeded(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYMENT_REQUIRED,
            "ServiceQuotaExceededException",
            message,
        )
    }

    /// `Sender` for client errors, `Receiver` for server faults (the `<Type>` element).
    pub fn fault_type(&self) -> &'static str {
        if self.status.is_server_error() {
            "Receiver"
        } else {
            "Sender"
        }
    }
}
