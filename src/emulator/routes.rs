//! The HTTP front of the emulator: maps each request to an operation, checks authentication,
//! injects faults and latency, validates arguments, calls the store and renders the answer.
//!
//! Paths, methods, status codes and headers follow the 2020-05-31 API model. Not for: state rules
//! (see `store`) or XML shapes (see `xml`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::errors::ApiError;
use super::faults::Faults;
use super::reqlog::{LogEntry, RequestLog};
use super::store::{FunctionSpec, Store, now_ms};
use super::xml::{self, FunctionRequest, TestRequest, TestResultXml};
use crate::runtime::{Invocation, Limits};
use crate::types::{FunctionName, Runtime, Stage};
use crate::types::{MAX_FUNCTION_COMMENT_CHARS, is_kvs_arn};

/// Path prefix of every Functions operation.
const PREFIX: &str = "/2020-05-31/function";
/// Longest accepted comment (characters).
/// Largest accepted EventObject (bytes, decoded).
const MAX_EVENT_BYTES: usize = 40 * 1024;
/// ListFunctions page size when MaxItems is absent, and the largest accepted.
const MAX_LIST_ITEMS: usize = 100;

/// Everything a request handler needs, shared by all requests.
#[derive(Debug)]
pub struct App {
    /// The functions.
    pub store: Store,
    /// Account id used in ARNs.
    pub account_id: String,
    /// Delay added to every response.
    pub latency: Duration,
    /// Fault injection.
    pub faults: Faults,
    /// Request log, when enabled.
    pub log: Option<RequestLog>,
    /// Largest accepted function code in bytes.
    pub max_code_bytes: usize,
    /// Limits handed to the runtime for TestFunction.
    pub limits: Limits,
}

/// The Functions operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Create,
    List,
    Get,
    Update,
    Delete,
    Describe,
    Test,
    Publish,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CreateFunction",
            Operation::List => "ListFunctions",
            Operation::Get => "GetFunction",
            Operation::Update => "UpdateFunction",
            Operation::Delete => "DeleteFunction",
            Operation::Describe => "DescribeFunction",
            Operation::Test => "TestFunction",
            Operation::Publish => "PublishFunction",
        }
    }
}

/// Which operation a method and path name, and the (still percent-encoded) function name in it.
fn route<'a>(method: &Method, path: &'a str) -> Option<(Operation, Option<&'a str>)> {
    let rest = path.strip_prefix(PREFIX)?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return match *method {
            Method::GET => Some((Operation::List, None)),
            Method::POST => Some((Operation::Create, None)),
            _ => None,
        };
    }
    let rest = rest.strip_prefix('/')?;
    let (name, action) = match rest.split_once('/') {
        Some((name, action)) => (name, Some(action)),
        None => (rest, None),
    };
    let op = match (method, action) {
        (&Method::GET, None) => Operation::Get,
        (&Method::PUT, None) => Operation::Update,
        (&Method::DELETE, None) => Operation::Delete,
        (&Method::GET, Some("describe")) => Operation::Describe,
        (&Method::POST, Some("test")) => Operation::Test,
        (&Method::POST, Some("publish")) => Operation::Publish,
        _ => return None,
    };
    Some((op, Some(name)))
}

/// A successful answer before the common headers are added.
struct Reply {
    status: StatusCode,
    headers: Vec<(HeaderName, String)>,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Reply {
    fn xml(status: StatusCode, body: String) -> Self {
        Self {
            status,
            headers: Vec::new(),
            content_type: "text/xml",
            body: body.into_bytes(),
        }
    }

    fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers
            .push((HeaderName::from_static(name), value.into()));
        self
    }
}

/// The one handler: every request comes through here, so logging, auth, faults and latency apply
/// to all of them alike.
pub async fn handle(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let start_ms = now_ms();
    let request_id = new_request_id();
    let routed = route(&method, uri.path());
    let mut function = routed.and_then(|(_, name)| name).map(|n| {
        percent_encoding::percent_decode_str(n)
            .decode_utf8_lossy()
            .into_owned()
    });

    let result = match routed {
        // Authentication comes first, as for every operation.
        None => check_authorization(&headers).and_then(|()| {
            Err(ApiError::unsupported_operation(format!(
                "{method} {} is not a CloudFront Functions operation of this emulator.",
                uri.path()
            )))
        }),
        Some((op, _)) => dispatch(&app, op, function.as_deref(), &uri, &headers, &body).await,
    };
    if let (Ok((_, Some(created))), None) = (&result, &function) {
        function = Some(created.clone());
    }

    if !app.latency.is_zero() {
        // Each request sleeps in its own task, so concurrent requests overlap their delays.
        tokio::time::sleep(app.latency).await;
    }

    let (status, error_code, response) = match result {
        Ok((reply, _)) => (reply.status, None, reply_response(reply, &request_id)),
        Err(err) => (
            err.status,
            Some(err.code),
            error_response(&err, &request_id),
        ),
    };
    if let Some(log) = &app.log {
        log.write(&LogEntry {
            start_ms,
            end_ms: now_ms(),
            method: method.as_str(),
            path: uri.path(),
            operation: routed.map(|(op, _)| op.as_str()),
            function: function.as_deref(),
            status: status.as_u16(),
            error_code,
        });
    }
    response
}

/// Runs one operation; on success also returns the function name a CreateFunction body named.
async fn dispatch(
    app: &App,
    op: Operation,
    name: Option<&str>,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Reply, Option<String>), ApiError> {
    check_authorization(headers)?;
    if let Some(fault) = app.faults.draw() {
        return Err(fault);
    }
    let name = name.map(valid_name).transpose()?;
    let query = parse_query(uri)?;
    match (op, name) {
        (Operation::Create, _) => {
            let (name, reply) = create(app, headers, body).await?;
            Ok((reply, Some(name)))
        }
        (Operation::List, _) => list(app, &query).map(|r| (r, None)),
        (Operation::Describe, Some(name)) => {
            let view = app.store.describe(&name, stage_param(&query)?)?;
            let body = xml::function_summary_document(&view, &app.account_id);
            Ok((
                Reply::xml(StatusCode::OK, body).with("etag", view.copy.etag),
                None,
            ))
        }
        (Operation::Get, Some(name)) => {
            let view = app.store.describe(&name, stage_param(&query)?)?;
            let reply = Reply {
                status: StatusCode::OK,
                headers: Vec::new(),
                content_type: "application/octet-stream",
                body: view.copy.code,
            };
            Ok((reply.with("etag", view.copy.etag), None))
        }
        (Operation::Update, Some(name)) => {
            let if_match = if_match(headers)?;
            let spec = function_spec(
                app.max_code_bytes,
                xml::parse(body).map_err(ApiError::invalid_argument)?,
            )?;
            let view = app.store.update(&name, if_match, spec).await?;
            let body = xml::function_summary_document(&view, &app.account_id);
            // The service sends the ETag twice, once under its misspelt model name `ETtag`.
            let reply = Reply::xml(StatusCode::OK, body)
                .with("etag", view.copy.etag.clone())
                .with("ettag", view.copy.etag);
            Ok((reply, None))
        }
        (Operation::Publish, Some(name)) => {
            let if_match = if_match(headers)?;
            let view = app.store.publish(&name, if_match).await?;
            let body = xml::function_summary_document(&view, &app.account_id);
            Ok((Reply::xml(StatusCode::OK, body), None))
        }
        (Operation::Delete, Some(name)) => {
            let if_match = if_match(headers)?;
            app.store.delete(&name, if_match).await?;
            let reply = Reply {
                status: StatusCode::NO_CONTENT,
                headers: Vec::new(),
                content_type: "",
                body: Vec::new(),
            };
            Ok((reply, None))
        }
        (Operation::Test, Some(name)) => test(app, &name, headers, body).await.map(|r| (r, None)),
        (_, None) => Err(ApiError::invalid_argument("The function name is missing.")),
    }
}

async fn create(app: &App, headers: &HeaderMap, body: &Bytes) -> Result<(String, Reply), ApiError> {
    let mut request: FunctionRequest = xml::parse(body).map_err(ApiError::invalid_argument)?;
    let name = request
        .name
        .take()
        .ok_or_else(|| ApiError::invalid_argument("Name is required."))?;
    let name = valid_name(&name)?;
    let spec = function_spec(app.max_code_bytes, request)?;
    let view = app.store.create(&name, spec).await?;
    let arn = xml::function_arn(&app.account_id, &view.name);
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("cloudfront.amazonaws.com");
    let location = format!("http://{host}{PREFIX}/{arn}");
    let body = xml::function_summary_document(&view, &app.account_id);
    let reply = Reply::xml(StatusCode::CREATED, body)
        .with("etag", view.copy.etag)
        .with("location", location);
    Ok((name, reply))
}

fn list(app: &App, query: &HashMap<String, String>) -> Result<Reply, ApiError> {
    let stage = match query.get("Stage") {
        Some(s) => Some(parse_stage(s)?),
        None => None,
    };
    let max_items = match query.get("MaxItems") {
        None => MAX_LIST_ITEMS,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n >= 1 => n.min(MAX_LIST_ITEMS),
            _ => {
                return Err(ApiError::invalid_argument(format!(
                    "MaxItems {text:?} is not a positive integer."
                )));
            }
        },
    };
    let marker = query
        .get("Marker")
        .map(String::as_str)
        .filter(|m| !m.is_empty());
    let (views, next) = app.store.list(stage, marker, max_items)?;
    let body = xml::function_list_document(&views, &app.account_id, max_items, next.as_deref());
    Ok(Reply::xml(StatusCode::OK, body))
}

async fn test(app: &App, name: &str, headers: &HeaderMap, body: &Bytes) -> Result<Reply, ApiError> {
    let if_match = if_match(headers)?;
    let (stage, event) = test_request(body)?;

    let snapshot = app.store.test_snapshot(name, stage, if_match)?;
    let view = snapshot.view;
    let runtime: Runtime = view
        .copy
        .runtime
        .parse()
        .map_err(|e| ApiError::test_function_failed(format!("{e}")))?;
    let result = match String::from_utf8(view.copy.code.clone()) {
        Err(_) => TestResultXml {
            error: Some("The function code is not valid UTF-8.".to_owned()),
            ..TestResultXml::default()
        },
        Ok(code) => {
            let limits = app.limits.clone();
            let kvs = snapshot.kvs;
            // The runtime is CPU-bound and synchronous: keep it off the async workers.
            let outcome = tokio::task::spawn_blocking(move || {
                crate::runtime::run(Invocation {
                    code: &code,
                    runtime,
                    event: &event,
                    kvs: kvs.as_ref(),
                    limits: &limits,
                })
            })
            .await
            .map_err(|e| {
                ApiError::test_function_failed(format!("The function could not run: {e}"))
            })?;
            TestResultXml {
                compute_utilization: outcome.compute_utilization,
                logs: outcome.logs,
                error: outcome.error,
                output: outcome
                    .output
                    .map(|o| serde_json::to_string(&o).unwrap_or_default()),
            }
        }
    };
    let body = xml::test_result_document(&view, &app.account_id, &result);
    Ok(Reply::xml(StatusCode::OK, body))
}

/// Decodes a TestFunction body into the stage to test and the event object.
fn test_request(body: &[u8]) -> Result<(Stage, serde_json::Value), ApiError> {
    let request: TestRequest = xml::parse(body).map_err(ApiError::invalid_argument)?;
    let stage = match request.stage.as_deref() {
        None | Some("") => Stage::Development,
        Some(s) => parse_stage(s)?,
    };
    let event_b64 = request
        .event_object
        .ok_or_else(|| ApiError::invalid_argument("EventObject is required."))?;
    let event_bytes = decode_blob("EventObject", &event_b64)?;
    if event_bytes.len() > MAX_EVENT_BYTES {
        return Err(ApiError::invalid_argument(format!(
            "EventObject is {} bytes; the maximum is {MAX_EVENT_BYTES} bytes.",
            event_bytes.len()
        )));
    }
    let event: serde_json::Value = serde_json::from_slice(&event_bytes)
        .map_err(|e| ApiError::invalid_argument(format!("EventObject is not valid JSON: {e}")))?;
    Ok((stage, event))
}

/// Runs a request body through every decoder the handlers use (CreateFunction / UpdateFunction
/// and TestFunction bodies) and a path through the router, discarding the results. The fuzz
/// target's entry: none of this may panic, whatever the bytes.
pub(crate) fn decode_untrusted(path: &str, body: &[u8]) {
    if let Ok(uri) = path.parse::<Uri>() {
        for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
            if let Some((_, Some(name))) = route(&method, uri.path()) {
                let _ = valid_name(&percent_encoding::percent_decode_str(name).decode_utf8_lossy());
            }
        }
        if let Ok(query) = parse_query(&uri) {
            let _ = stage_param(&query);
        }
    }
    if let Ok(mut request) = xml::parse::<FunctionRequest>(body) {
        if let Some(name) = request.name.take() {
            let _ = valid_name(&name);
        }
        let _ = function_spec(crate::types::MAX_FUNCTION_CODE_BYTES, request);
    }
    let _ = test_request(body);
}

/// Validates a CreateFunction / UpdateFunction body into what the store keeps.
fn function_spec(
    max_code_bytes: usize,
    request: FunctionRequest,
) -> Result<FunctionSpec, ApiError> {
    let config = request
        .function_config
        .ok_or_else(|| ApiError::invalid_argument("FunctionConfig is required."))?;
    let runtime_text = config
        .runtime
        .ok_or_else(|| ApiError::invalid_argument("FunctionConfig.Runtime is required."))?;
    let runtime: Runtime = runtime_text
        .parse()
        .map_err(|e| ApiError::invalid_argument(format!("FunctionConfig.Runtime: {e}")))?;
    let comment = config.comment.unwrap_or_default();
    if comment.chars().count() > MAX_FUNCTION_COMMENT_CHARS {
        return Err(ApiError::invalid_argument(format!(
            "FunctionConfig.Comment is longer than {MAX_FUNCTION_COMMENT_CHARS} characters."
        )));
    }
    let kvs_arns = kvs_arns(config.key_value_store_associations, runtime)?;
    let code_b64 = request
        .function_code
        .ok_or_else(|| ApiError::invalid_argument("FunctionCode is required."))?;
    let code = decode_blob("FunctionCode", &code_b64)?;
    if code.is_empty() {
        return Err(ApiError::invalid_argument(
            "FunctionCode must not be empty.",
        ));
    }
    if code.len() > max_code_bytes {
        return Err(ApiError::size_limit_exceeded(code.len(), max_code_bytes));
    }
    Ok(FunctionSpec {
        comment,
        runtime: runtime.as_str().to_owned(),
        kvs_arns,
        code,
    })
}

fn kvs_arns(
    associations: Option<xml::KvsAssociationsXml>,
    runtime: Runtime,
) -> Result<Vec<String>, ApiError> {
    let Some(associations) = associations else {
        return Ok(Vec::new());
    };
    let items = associations
        .items
        .map(|i| i.associations)
        .unwrap_or_default();
    let quantity = associations.quantity.unwrap_or_default();
    if quantity.trim().parse::<usize>().ok() != Some(items.len()) {
        return Err(ApiError::invalid_argument(format!(
            "KeyValueStoreAssociations.Quantity {quantity:?} does not match the {} items.",
            items.len()
        )));
    }
    if items.is_empty() {
        return Ok(Vec::new());
    }
    if runtime != Runtime::Js2 {
        return Err(ApiError::unsupported_operation(format!(
            "Key value store associations need runtime {}; the function uses {runtime}.",
            Runtime::Js2
        )));
    }
    if items.len() > 1 {
        return Err(ApiError::invalid_argument(format!(
            "A function can be associated with at most 1 key value store, not {}.",
            items.len()
        )));
    }
    items
        .into_iter()
        .map(|item| {
            let arn = item.arn.unwrap_or_default();
            if is_kvs_arn(&arn) {
                Ok(arn)
            } else {
                Err(ApiError::invalid_argument(format!(
                    "{arn:?} is not a key value store ARN (arn:aws:cloudfront::ACCOUNT:key-value-store/ID)."
                )))
            }
        })
        .collect()
}

fn valid_name(name: &str) -> Result<String, ApiError> {
    name.parse::<FunctionName>()
        .map(|n| n.as_str().to_owned())
        .map_err(|e| ApiError::invalid_argument(e.to_string()))
}

fn decode_blob(field: &str, text: &str) -> Result<Vec<u8>, ApiError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(compact)
        .map_err(|e| ApiError::invalid_argument(format!("{field} is not valid base64: {e}")))
}

fn parse_query(uri: &Uri) -> Result<HashMap<String, String>, ApiError> {
    if uri.query().is_none() {
        return Ok(HashMap::new());
    }
    Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::invalid_argument(format!("query string: {e}")))
}

fn stage_param(query: &HashMap<String, String>) -> Result<Stage, ApiError> {
    query
        .get("Stage")
        .map_or(Ok(Stage::Development), |s| parse_stage(s))
}

fn parse_stage(text: &str) -> Result<Stage, ApiError> {
    text.parse()
        .map_err(|e| ApiError::invalid_argument(format!("Stage: {e}")))
}

fn if_match(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::invalid_if_match(
                "The If-Match version is missing or not valid for the resource.",
            )
        })
}

/// Any SigV4 `Authorization` header is accepted; the signature itself is not checked.
fn check_authorization(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::missing_authentication());
    };
    let text = value.to_str().unwrap_or_default();
    let sigv4 = text.starts_with("AWS4-HMAC-SHA256 ")
        && text.contains("Credential=")
        && text.contains("Signature=");
    if sigv4 {
        Ok(())
    } else {
        Err(ApiError::incomplete_signature(
            "Authorization header requires a SigV4 (AWS4-HMAC-SHA256) Credential and Signature.",
        ))
    }
}

fn reply_response(reply: Reply, request_id: &str) -> Response {
    let mut headers = HeaderMap::new();
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    if !reply.content_type.is_empty() {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(reply.content_type),
        );
    }
    add_request_id(&mut headers, request_id);
    (reply.status, headers, Body::from(reply.body)).into_response()
}

fn error_response(err: &ApiError, request_id: &str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    add_request_id(&mut headers, request_id);
    (err.status, headers, err.to_xml(request_id)).into_response()
}

fn add_request_id(headers: &mut HeaderMap, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(HeaderName::from_static("x-amzn-requestid"), value);
    }
}

/// A request id in the service's UUID form.
fn new_request_id() -> String {
    let hex = |n: usize| -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[fastrand::usize(..16)]))
            .collect()
    };
    format!("{}-{}-{}-{}-{}", hex(8), hex(4), hex(4), hex(4), hex(12))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_follow_the_api_model() {
        let r = |m: Method, p: &'static str| route(&m, p).map(|(op, n)| (op.as_str(), n));
        assert_eq!(
            r(Method::POST, "/2020-05-31/function"),
            Some(("CreateFunction", None))
        );
        assert_eq!(
            r(Method::GET, "/2020-05-31/function"),
            Some(("ListFunctions", None))
        );
        assert_eq!(
            r(Method::GET, "/2020-05-31/function/f"),
            Some(("GetFunction", Some("f")))
        );
        assert_eq!(
            r(Method::PUT, "/2020-05-31/function/f"),
            Some(("UpdateFunction", Some("f")))
        );
        assert_eq!(
            r(Method::DELETE, "/2020-05-31/function/f"),
            Some(("DeleteFunction", Some("f")))
        );
        assert_eq!(
            r(Method::GET, "/2020-05-31/function/f/describe"),
            Some(("DescribeFunction", Some("f")))
        );
        assert_eq!(
            r(Method::POST, "/2020-05-31/function/f/test"),
            Some(("TestFunction", Some("f")))
        );
        assert_eq!(
            r(Method::POST, "/2020-05-31/function/f/publish"),
            Some(("PublishFunction", Some("f")))
        );
        assert_eq!(r(Method::GET, "/2020-05-31/distribution"), None);
        assert_eq!(r(Method::PATCH, "/2020-05-31/function/f"), None);
        assert_eq!(r(Method::GET, "/2020-05-31/function/f/other"), None);
    }

    #[test]
    fn kvs_arn_follows_the_model_pattern() {
        assert!(is_kvs_arn(
            "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-000000011111"
        ));
        assert!(!is_kvs_arn(
            "arn:aws:cloudfront::12345:key-value-store/a1b2c3d4-5678-90ab-cdef-000000011111"
        ));
        assert!(!is_kvs_arn("arn:aws:cloudfront::123456789012:function/x"));
    }

    #[test]
    fn authorization_must_be_sigv4() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            check_authorization(&headers).unwrap_err().code,
            "MissingAuthenticationToken"
        );
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(
            check_authorization(&headers).unwrap_err().code,
            "IncompleteSignature"
        );
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/cloudfront/aws4_request, SignedHeaders=host, Signature=abc",
            ),
        );
        assert!(check_authorization(&headers).is_ok());
    }
}
