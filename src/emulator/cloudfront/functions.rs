//! The CloudFront Functions operations: argument validation, the store call, and the answer with
//! the headers the service sends (ETag, the misspelt `ETtag`, Location).
//!
//! Not for: state rules (see `store::functions`) or XML shapes (see `xml`).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::header::{self, HeaderMap};
use axum::http::{StatusCode, Uri};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::emulator::app::App;
use crate::emulator::cloudfront::FUNCTION_PREFIX;
use crate::emulator::cloudfront::xml::{self, FunctionRequest, TestRequest, TestResultXml};
use crate::emulator::errors::ApiError;
use crate::emulator::operation::{Operation, Route};
use crate::emulator::store::FunctionSpec;
use crate::emulator::wire::{Outcome, Reply, if_match, parse_query};
use crate::runtime::Invocation;
use crate::types::{FunctionName, MAX_FUNCTION_COMMENT_CHARS, Runtime, Stage, is_kvs_arn};

/// Largest accepted EventObject (bytes, decoded).
const MAX_EVENT_BYTES: usize = 40 * 1024;
/// ListFunctions page size when MaxItems is absent, and the largest accepted.
const MAX_LIST_ITEMS: usize = 100;

/// Runs one Functions operation.
pub async fn dispatch(
    app: &App,
    route: &Route,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Outcome, ApiError> {
    let query = parse_query(uri)?;
    let name = || -> Result<FunctionName, ApiError> {
        let name = route
            .resource
            .as_deref()
            .ok_or_else(|| ApiError::invalid_argument("The function name is missing."))?;
        valid_name(name)
    };
    let reply = match route.op {
        Operation::CreateFunction => return create(app, headers, body).await,
        Operation::ListFunctions => list(app, &query)?,
        Operation::DescribeFunction => {
            let view = app.store.describe(&name()?, stage_param(&query)?)?;
            let body = xml::function_summary_document(&view, &app.account_id);
            Reply::xml(StatusCode::OK, body).with("etag", view.copy.etag.as_str())
        }
        Operation::GetFunction => {
            let view = app.store.describe(&name()?, stage_param(&query)?)?;
            Reply::typed(StatusCode::OK, "application/octet-stream", view.copy.code)
                .with("etag", view.copy.etag.as_str())
        }
        Operation::UpdateFunction => {
            let (name, if_match) = (name()?, if_match(headers)?);
            let request = xml::parse(body).map_err(ApiError::invalid_argument)?;
            let spec = function_spec(app.max_code_bytes, request)?;
            let view = app.store.update(&name, &if_match, spec).await?;
            let body = xml::function_summary_document(&view, &app.account_id);
            // The service sends the ETag twice, once under its misspelt model name `ETtag`.
            Reply::xml(StatusCode::OK, body)
                .with("etag", view.copy.etag.as_str())
                .with("ettag", view.copy.etag.as_str())
        }
        Operation::PublishFunction => {
            let (name, if_match) = (name()?, if_match(headers)?);
            let view = app.store.publish(&name, &if_match).await?;
            Reply::xml(
                StatusCode::OK,
                xml::function_summary_document(&view, &app.account_id),
            )
        }
        Operation::DeleteFunction => {
            let (name, if_match) = (name()?, if_match(headers)?);
            app.store.delete(&name, &if_match).await?;
            Reply::empty(StatusCode::NO_CONTENT)
        }
        Operation::TestFunction => test(app, &name()?, headers, body).await?,
        _ => {
            return Err(ApiError::unsupported_operation(format!(
                "{} is not a Functions operation.",
                route.op
            )));
        }
    };
    Ok(reply.into())
}

async fn create(app: &App, headers: &HeaderMap, body: &Bytes) -> Result<Outcome, ApiError> {
    let mut request: FunctionRequest = xml::parse(body).map_err(ApiError::invalid_argument)?;
    let name = request
        .name
        .take()
        .ok_or_else(|| ApiError::invalid_argument("Name is required."))?;
    let name = valid_name(&name)?;
    let spec = function_spec(app.max_code_bytes, request)?;
    let view = app.store.create(&name, spec).await?;
    let arn = xml::function_arn(&app.account_id, view.name.as_str());
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("cloudfront.amazonaws.com");
    let location = format!("http://{host}{FUNCTION_PREFIX}/{arn}");
    let body = xml::function_summary_document(&view, &app.account_id);
    let reply = Reply::xml(StatusCode::CREATED, body)
        .with("etag", view.copy.etag.as_str())
        .with("location", location);
    Ok(Outcome {
        reply,
        resource: Some(name.as_str().to_owned()),
    })
}

fn list(app: &App, query: &HashMap<String, String>) -> Result<Reply, ApiError> {
    let stage = match query.get("Stage") {
        Some(s) => Some(parse_stage(s)?),
        None => None,
    };
    let max_items = max_items(query, MAX_LIST_ITEMS)?;
    let marker = query
        .get("Marker")
        .map(String::as_str)
        .filter(|m| !m.is_empty());
    let (views, next) = app.store.list(stage, marker, max_items)?;
    let body = xml::function_list_document(&views, &app.account_id, max_items, next.as_deref());
    Ok(Reply::xml(StatusCode::OK, body))
}

/// `MaxItems` of a List operation: a positive integer, capped at `max`; `max` when absent.
pub fn max_items(query: &HashMap<String, String>, max: usize) -> Result<usize, ApiError> {
    match query.get("MaxItems") {
        None => Ok(max),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n.min(max)),
            _ => Err(ApiError::invalid_argument(format!(
                "MaxItems {text:?} is not a positive integer."
            ))),
        },
    }
}

async fn test(
    app: &App,
    name: &FunctionName,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Reply, ApiError> {
    let if_match = if_match(headers)?;
    let (stage, event) = test_request(body)?;

    let snapshot = app.store.test_snapshot(name, stage, &if_match)?;
    let view = snapshot.view;
    let runtime = view.copy.runtime;
    let result = match String::from_utf8(view.copy.code.clone()) {
        Err(_) => TestResultXml {
            error: Some("The function code is not valid UTF-8.".to_owned()),
            ..TestResultXml::default()
        },
        Ok(code) => {
            let limits = app.limits.clone();
            let kvs = snapshot.kvs;
            // The runtime is CPU-bound and synchronous: keep it off the async workers.
            let outcome = app
                .workers
                .run(move || {
                    crate::runtime::run(Invocation {
                        code: &code,
                        runtime,
                        event: &event,
                        kvs: kvs.as_ref(),
                        limits: &limits,
                    })
                })
                .await
                .ok_or_else(|| ApiError::test_function_failed("The function could not run."))?;
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

/// The path and query decoders of a Functions route, results discarded (fuzzing).
pub(crate) fn decode_route_untrusted(route: &Route, uri: &Uri) {
    if let Some(name) = &route.resource {
        let _ = valid_name(name);
    }
    if let Ok(query) = parse_query(uri) {
        let _ = stage_param(&query);
        let _ = max_items(&query, MAX_LIST_ITEMS);
    }
}

/// The body decoders of CreateFunction / UpdateFunction and TestFunction, results discarded
/// (fuzzing): none of this may panic, whatever the bytes.
pub(crate) fn decode_body_untrusted(body: &[u8]) {
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
        runtime,
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

fn valid_name(name: &str) -> Result<FunctionName, ApiError> {
    name.parse::<FunctionName>()
        .map_err(|e| ApiError::invalid_argument(e.to_string()))
}

fn decode_blob(field: &str, text: &str) -> Result<Vec<u8>, ApiError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(compact)
        .map_err(|e| ApiError::invalid_argument(format!("{field} is not valid base64: {e}")))
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
