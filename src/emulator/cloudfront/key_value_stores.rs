//! The key value store control plane on the CloudFront API: Create, Describe, List, Update and
//! DeleteKeyValueStore, with the ETag and Location headers the service sends.
//!
//! Not for: the keys themselves (the data plane, see `kvs`) or state rules (see `store::kvs`).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap};

use crate::emulator::app::App;
use crate::emulator::cloudfront::functions::max_items;
use crate::emulator::cloudfront::xml::{self, KvsRequest};
use crate::emulator::errors::ApiError;
use crate::emulator::operation::{Operation, Route};
use crate::emulator::wire::{Outcome, Reply, if_match};
use crate::kvs_limits::{MAX_STORE_COMMENT_CHARS, store_name_problem};

/// Path prefix of the control-plane key value store operations.
pub const KVS_PREFIX: &str = "/2020-05-31/key-value-store";
/// ListKeyValueStores page size when MaxItems is absent, and the largest accepted.
const MAX_LIST_ITEMS: usize = 100;

/// The routes under `/key-value-store`: the collection, or one store by name.
pub fn route(method: &axum::http::Method, rest: &str) -> Option<Route> {
    use axum::http::Method;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return match *method {
            Method::GET => Some(Route::bare(Operation::ListKeyValueStores)),
            Method::POST => Some(Route::bare(Operation::CreateKeyValueStore)),
            _ => None,
        };
    }
    let name = rest.strip_prefix('/')?;
    if name.contains('/') {
        return None;
    }
    let op = match *method {
        Method::GET => Operation::DescribeKeyValueStore,
        Method::PUT => Operation::UpdateKeyValueStore,
        Method::DELETE => Operation::DeleteKeyValueStore,
        _ => return None,
    };
    Some(Route::on(op, crate::emulator::wire::decode_segment(name)))
}

/// Runs one control-plane key value store operation.
pub async fn dispatch(
    app: &App,
    route: &Route,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Outcome, ApiError> {
    let name = || -> Result<&str, ApiError> {
        let name = route
            .resource
            .as_deref()
            .ok_or_else(|| ApiError::invalid_argument("The key value store name is missing."))?;
        valid_name(name).map(|()| name)
    };
    let reply = match route.op {
        Operation::CreateKeyValueStore => return create(app, headers, body).await,
        Operation::ListKeyValueStores => {
            let max = max_items(query, MAX_LIST_ITEMS)?;
            let marker = query
                .get("Marker")
                .map(String::as_str)
                .filter(|m| !m.is_empty());
            let (views, next) = app.store.list_kvs(marker, max);
            let body = xml::kvs_list_document(&views, &app.account_id, max, next.as_deref());
            Reply::xml(StatusCode::OK, body)
        }
        Operation::DescribeKeyValueStore => {
            let view = app.store.describe_kvs(name()?)?;
            Reply::xml(StatusCode::OK, xml::kvs_document(&view, &app.account_id))
                .with("etag", view.etag.as_str())
        }
        Operation::UpdateKeyValueStore => {
            let (name, if_match) = (name()?, if_match(headers)?);
            let request: KvsRequest = xml::parse(body).map_err(ApiError::invalid_argument)?;
            let comment = valid_comment(request.comment)?;
            let view = app.store.update_kvs(name, &if_match, comment).await?;
            Reply::xml(StatusCode::OK, xml::kvs_document(&view, &app.account_id))
                .with("etag", view.etag.as_str())
        }
        Operation::DeleteKeyValueStore => {
            let (name, if_match) = (name()?, if_match(headers)?);
            app.store.delete_kvs(name, &if_match).await?;
            Reply::empty(StatusCode::NO_CONTENT)
        }
        _ => {
            return Err(ApiError::unsupported_operation(format!(
                "{} is not a key value store operation.",
                route.op
            )));
        }
    };
    Ok(reply.into())
}

async fn create(app: &App, headers: &HeaderMap, body: &Bytes) -> Result<Outcome, ApiError> {
    let request: KvsRequest = xml::parse(body).map_err(ApiError::invalid_argument)?;
    let name = request
        .name
        .ok_or_else(|| ApiError::invalid_argument("Name is required."))?;
    valid_name(&name)?;
    if let Some(source) = request.import_source {
        return Err(ApiError::unsupported_operation(format!(
            "ImportSource ({}) is not supported by this emulator; put the keys with UpdateKeys.",
            source.source_type.unwrap_or_default()
        )));
    }
    let comment = valid_comment(request.comment)?;
    let view = app.store.create_kvs(&name, comment).await?;
    let arn = xml::kvs_arn(&app.account_id, &view.id);
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("cloudfront.amazonaws.com");
    let reply = Reply::xml(
        StatusCode::CREATED,
        xml::kvs_document(&view, &app.account_id),
    )
    .with("etag", view.etag.as_str())
    .with("location", format!("http://{host}{KVS_PREFIX}/{arn}"));
    Ok(Outcome {
        reply,
        resource: Some(name),
    })
}

fn valid_name(name: &str) -> Result<(), ApiError> {
    match store_name_problem(name) {
        Some(problem) => Err(ApiError::invalid_argument(problem)),
        None => Ok(()),
    }
}

fn valid_comment(comment: Option<String>) -> Result<String, ApiError> {
    let comment = comment.unwrap_or_default();
    if comment.chars().count() > MAX_STORE_COMMENT_CHARS {
        return Err(ApiError::invalid_argument(format!(
            "Comment is longer than {MAX_STORE_COMMENT_CHARS} characters."
        )));
    }
    Ok(comment)
}

/// The body decoders of Create/UpdateKeyValueStore, results discarded (fuzzing).
pub(crate) fn decode_body_untrusted(body: &[u8]) {
    if let Ok(request) = xml::parse::<KvsRequest>(body) {
        if let Some(name) = &request.name {
            let _ = valid_name(name);
        }
        let _ = valid_comment(request.comment);
    }
}
