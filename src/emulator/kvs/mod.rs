//! The key value store data plane (`cloudfront-keyvaluestore` 2022-07-26, REST-JSON): which path
//! is which operation, the JSON bodies in and out, the model's error shapes, and the limits.
//!
//! Routed by path alone: the SDKs put the account id in front of a custom endpoint's host, so the
//! Host header is never read. Every write names the store's data ETag in `If-Match`. Values are
//! never put in an error message. Not for: state rules (see `store::kvs`).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::json;

use crate::emulator::app::App;
use crate::emulator::cloudfront::xml::kvs_arn;
use crate::emulator::errors::ApiError;
use crate::emulator::operation::{Operation, Route};
use crate::emulator::store::{DataView, KeyChanges};
use crate::emulator::wire::{Outcome, Reply, add_request_id, decode_segment, parse_query};
use crate::kvs_limits::{
    MAX_KEYS_PER_UPDATE, MAX_LIST_KEYS_RESULTS, MAX_UPDATE_PAYLOAD_BYTES, key_problem,
    value_problem,
};
use crate::types::Etag;

/// Path prefix of every data-plane operation.
const PREFIX: &str = "/key-value-stores/";

/// Which data-plane operation a method and path name. The ARN is one path segment (the SDKs
/// percent-encode its `/`); an unencoded ARN is accepted too.
pub fn route(method: &Method, path: &str) -> Option<Route> {
    let rest = path.strip_prefix(PREFIX)?;
    let mut segments = rest.split('/');
    let mut arn = decode_segment(segments.next()?);
    if arn.ends_with(":key-value-store") {
        arn = format!("{arn}/{}", decode_segment(segments.next()?));
    }
    let tail: Vec<&str> = segments.collect();
    let (op, key) = match (method, tail.as_slice()) {
        (&Method::GET, []) => (Operation::DescribeKeyValueStoreData, None),
        (&Method::GET, ["keys"]) => (Operation::ListKeys, None),
        (&Method::POST, ["keys"]) => (Operation::UpdateKeys, None),
        (&Method::GET, ["keys", key]) => (Operation::GetKey, Some(*key)),
        (&Method::PUT, ["keys", key]) => (Operation::PutKey, Some(*key)),
        (&Method::DELETE, ["keys", key]) => (Operation::DeleteKey, Some(*key)),
        _ => return None,
    };
    Some(Route {
        op,
        resource: Some(arn),
        key: key.map(decode_segment),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutKeyBody {
    value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateKeysBody {
    #[serde(default)]
    puts: Vec<PutItem>,
    #[serde(default)]
    deletes: Vec<DeleteItem>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutItem {
    key: String,
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteItem {
    key: String,
}

/// Runs one data-plane operation.
pub async fn dispatch(
    app: &App,
    route: &Route,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Outcome, ApiError> {
    let id = store_id(route.resource.as_deref().unwrap_or_default())?;
    let key = || -> Result<&str, ApiError> {
        let key = route.key.as_deref().unwrap_or_default();
        match key_problem(key) {
            Some(problem) => Err(ApiError::validation(format!("Key: {problem}."))),
            None => Ok(key),
        }
    };
    let reply = match route.op {
        Operation::DescribeKeyValueStoreData => {
            let view = app.store.describe_data(id)?;
            let body = json!({
                "ItemCount": view.item_count,
                "TotalSizeInBytes": view.total_bytes,
                "KvsARN": kvs_arn(&app.account_id, &view.id),
                "Created": epoch_seconds(view.created_ms),
                "LastModified": epoch_seconds(view.last_modified_ms),
                "Status": "READY",
            });
            Reply::json(StatusCode::OK, &body).with("etag", view.etag.as_str())
        }
        Operation::GetKey => {
            let key = key()?;
            let (value, view) = app.store.get_key(id, key)?;
            let body = json!({
                "Key": key,
                "Value": value,
                "ItemCount": view.item_count,
                "TotalSizeInBytes": view.total_bytes,
            });
            Reply::json(StatusCode::OK, &body)
        }
        Operation::ListKeys => list_keys(app, id, &parse_query(uri)?)?,
        Operation::PutKey => {
            let (key, if_match) = (key()?.to_owned(), data_if_match(headers)?);
            let request: PutKeyBody = parse_json(body)?;
            let value = request
                .value
                .ok_or_else(|| ApiError::validation("Value is required."))?;
            check_value(&key, &value)?;
            let changes = KeyChanges {
                puts: vec![(key, value)],
                ..KeyChanges::default()
            };
            write_reply(app.store.change_keys(id, &if_match, changes).await?)
        }
        Operation::DeleteKey => {
            let (key, if_match) = (key()?.to_owned(), data_if_match(headers)?);
            let changes = KeyChanges {
                deletes: vec![key],
                deletes_must_exist: true,
                ..KeyChanges::default()
            };
            write_reply(app.store.change_keys(id, &if_match, changes).await?)
        }
        Operation::UpdateKeys => {
            let if_match = data_if_match(headers)?;
            let changes = update_keys_request(body)?;
            write_reply(app.store.change_keys(id, &if_match, changes).await?)
        }
        _ => {
            return Err(ApiError::validation(format!(
                "{} is not a data-plane operation.",
                route.op
            )));
        }
    };
    Ok(reply.into())
}

fn list_keys(app: &App, id: &str, query: &HashMap<String, String>) -> Result<Reply, ApiError> {
    let max = match query.get("MaxResults") {
        None => MAX_LIST_KEYS_RESULTS,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_LIST_KEYS_RESULTS).contains(&n) => n,
            _ => {
                return Err(ApiError::validation(format!(
                    "MaxResults {text:?} is not between 1 and {MAX_LIST_KEYS_RESULTS}."
                )));
            }
        },
    };
    let after = match query.get("NextToken").filter(|t| !t.is_empty()) {
        None => None,
        Some(token) => Some(
            URL_SAFE_NO_PAD
                .decode(token)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| ApiError::validation("NextToken is not valid."))?,
        ),
    };
    let (items, next) = app.store.list_keys(id, after.as_deref(), max)?;
    let items: Vec<_> = items
        .into_iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    let mut body = json!({ "Items": items });
    if let Some(last) = next {
        body["NextToken"] = json!(URL_SAFE_NO_PAD.encode(last));
    }
    Ok(Reply::json(StatusCode::OK, &body))
}

/// Decodes and checks an UpdateKeys body: the limits per request, per key and per value.
fn update_keys_request(body: &[u8]) -> Result<KeyChanges, ApiError> {
    if body.len() > MAX_UPDATE_PAYLOAD_BYTES {
        return Err(ApiError::validation(format!(
            "The request is {} bytes; the maximum is {MAX_UPDATE_PAYLOAD_BYTES} bytes.",
            body.len()
        )));
    }
    let request: UpdateKeysBody = parse_json(body)?;
    let count = request.puts.len() + request.deletes.len();
    if count > MAX_KEYS_PER_UPDATE {
        return Err(ApiError::validation(format!(
            "UpdateKeys names {count} keys; the maximum is {MAX_KEYS_PER_UPDATE}."
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    let keys = request
        .puts
        .iter()
        .map(|p| &p.key)
        .chain(request.deletes.iter().map(|d| &d.key));
    for key in keys {
        if let Some(problem) = key_problem(key) {
            return Err(ApiError::validation(format!("Key: {problem}.")));
        }
        if !seen.insert(key.as_str()) {
            return Err(ApiError::validation(format!(
                "The key {key} appears more than once in one UpdateKeys request."
            )));
        }
    }
    for put in &request.puts {
        check_value(&put.key, &put.value)?;
    }
    Ok(KeyChanges {
        puts: request.puts.into_iter().map(|p| (p.key, p.value)).collect(),
        deletes: request.deletes.into_iter().map(|d| d.key).collect(),
        deletes_must_exist: false,
    })
}

fn check_value(key: &str, value: &str) -> Result<(), ApiError> {
    match value_problem(value) {
        Some(problem) => Err(ApiError::validation(format!("Value of {key}: {problem}."))),
        None => Ok(()),
    }
}

fn write_reply(view: DataView) -> Reply {
    let body = json!({"ItemCount": view.item_count, "TotalSizeInBytes": view.total_bytes});
    Reply::json(StatusCode::OK, &body).with("etag", view.etag.as_str())
}

/// The id a key value store ARN ends with.
fn store_id(arn: &str) -> Result<&str, ApiError> {
    if !crate::types::is_kvs_arn(arn) {
        return Err(ApiError::validation(format!(
            "{arn:?} is not a key value store ARN."
        )));
    }
    Ok(arn.rsplit('/').next().unwrap_or_default())
}

fn data_if_match(headers: &HeaderMap) -> Result<Etag, ApiError> {
    headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<Etag>().ok())
        .ok_or_else(|| ApiError::validation("If-Match (the store's ETag) is required."))
}

fn parse_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    // serde_json's message names the position, never the text around it.
    serde_json::from_slice(body)
        .map_err(|e| ApiError::validation(format!("Malformed JSON body: {e}")))
}

fn epoch_seconds(ms: u64) -> f64 {
    // Milliseconds as a float are exact far beyond any date the emulator will see.
    #[allow(clippy::cast_precision_loss)]
    let ms = ms as f64;
    ms / 1000.0
}

/// An error as the REST-JSON protocol has it: the status, `x-amzn-ErrorType`, and a body with
/// `__type` and `Message`.
pub fn error_response(err: &ApiError, request_id: &str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(code) = HeaderValue::from_str(err.code) {
        headers.insert(HeaderName::from_static("x-amzn-errortype"), code);
    }
    add_request_id(&mut headers, request_id);
    let body = json!({"__type": err.code, "Message": err.message});
    (err.status, headers, body.to_string()).into_response()
}

/// Runs untrusted request bytes through the data-plane decoders, for the fuzz target.
pub(crate) fn decode_untrusted(path: &str, body: &[u8]) {
    if let Ok(uri) = path.parse::<Uri>() {
        for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
            if let Some(route) = route(&method, uri.path()) {
                let _ = store_id(route.resource.as_deref().unwrap_or_default());
                let _ = route.key.as_deref().map(key_problem);
            }
        }
    }
    let _ = update_keys_request(body);
    let _ = parse_json::<PutKeyBody>(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str =
        "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-000000011111";
    const ENCODED: &str = "arn%3Aaws%3Acloudfront%3A%3A123456789012%3Akey-value-store%2Fa1b2c3d4-5678-90ab-cdef-000000011111";

    #[test]
    fn routes_follow_the_model_with_the_arn_encoded_or_not() {
        let r = |m: Method, p: String| route(&m, &p).map(|r| (r.op.as_str(), r.resource, r.key));
        let arn = Some(ARN.to_owned());
        assert_eq!(
            r(Method::GET, format!("/key-value-stores/{ENCODED}")),
            Some(("kvs:DescribeKeyValueStore", arn.clone(), None))
        );
        assert_eq!(
            r(Method::GET, format!("/key-value-stores/{ARN}/keys")),
            Some(("ListKeys", arn.clone(), None))
        );
        assert_eq!(
            r(Method::POST, format!("/key-value-stores/{ENCODED}/keys")),
            Some(("UpdateKeys", arn.clone(), None))
        );
        assert_eq!(
            r(
                Method::PUT,
                format!("/key-value-stores/{ENCODED}/keys/a%2Fb")
            ),
            Some(("PutKey", arn.clone(), Some("a/b".to_owned())))
        );
        assert_eq!(
            r(
                Method::DELETE,
                format!("/key-value-stores/{ENCODED}/keys/k")
            ),
            Some(("DeleteKey", arn, Some("k".to_owned())))
        );
        assert_eq!(
            r(Method::PATCH, format!("/key-value-stores/{ENCODED}")),
            None
        );
    }

    #[test]
    fn update_keys_checks_the_limits_before_the_store_is_touched() {
        let many: Vec<_> = (0..=MAX_KEYS_PER_UPDATE)
            .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
            .collect();
        let body = json!({ "Puts": many }).to_string();
        assert_eq!(
            update_keys_request(body.as_bytes()).unwrap_err().code,
            "ValidationException"
        );
        let secret = "s3cr3t-".repeat(200);
        let body = json!({"Puts": [{"Key": "k", "Value": secret}]}).to_string();
        let err = update_keys_request(body.as_bytes()).unwrap_err();
        assert!(!err.message.contains("s3cr3t"), "{}", err.message);
        let body = json!({"Puts": [{"Key": "k", "Value": "1"}], "Deletes": [{"Key": "k"}]});
        assert!(update_keys_request(body.to_string().as_bytes()).is_err());
        let ok = json!({"Puts": [{"Key": "a", "Value": "1"}], "Deletes": [{"Key": "b"}]});
        let changes = update_keys_request(ok.to_string().as_bytes()).unwrap();
        assert_eq!(changes.puts, [("a".to_owned(), "1".to_owned())]);
        assert_eq!(changes.deletes, ["b"]);
    }
}
