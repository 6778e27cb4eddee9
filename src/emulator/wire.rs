//! Pieces of the wire that every API shares: a successful answer before rendering, the request
//! id, the query string and the `If-Match` header.
//!
//! Not for: bodies (REST-XML in `cloudfront::xml`, REST-JSON in `kvs`) or error rendering.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::Query;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::emulator::errors::ApiError;
use crate::types::Etag;

/// A successful answer before the common headers are added.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Headers of this operation (ETag, Location, ...).
    pub headers: Vec<(HeaderName, String)>,
    /// `Content-Type`; empty for no body.
    pub content_type: &'static str,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Reply {
    /// A `text/xml` answer.
    pub fn xml(status: StatusCode, body: String) -> Self {
        Self::typed(status, "text/xml", body.into_bytes())
    }

    /// An `application/json` answer.
    pub fn json(status: StatusCode, body: &serde_json::Value) -> Self {
        Self::typed(status, "application/json", body.to_string().into_bytes())
    }

    /// An answer with `content_type` and `body`.
    pub fn typed(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            content_type,
            body,
        }
    }

    /// An answer without a body (204 for deletes).
    pub fn empty(status: StatusCode) -> Self {
        Self::typed(status, "", Vec::new())
    }

    /// Adds a header.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers
            .push((HeaderName::from_static(name), value.into()));
        self
    }

    /// The HTTP response, with the request id header.
    pub fn into_response(self, request_id: &str) -> Response {
        let mut headers = HeaderMap::new();
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        if !self.content_type.is_empty() {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            );
        }
        add_request_id(&mut headers, request_id);
        (self.status, headers, Body::from(self.body)).into_response()
    }
}

/// Adds `x-amzn-RequestId`.
pub fn add_request_id(headers: &mut HeaderMap, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(HeaderName::from_static("x-amzn-requestid"), value);
    }
}

/// A request id in the service's UUID form.
pub fn new_request_id() -> String {
    let hex = |n: usize| -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[fastrand::usize(..16)]))
            .collect()
    };
    format!("{}-{}-{}-{}-{}", hex(8), hex(4), hex(4), hex(4), hex(12))
}

/// The query string as a map (empty without one).
pub fn parse_query(uri: &Uri) -> Result<HashMap<String, String>, ApiError> {
    if uri.query().is_none() {
        return Ok(HashMap::new());
    }
    Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::invalid_argument(format!("query string: {e}")))
}

/// The `If-Match` ETag; missing or not an ETag is the service's InvalidIfMatchVersion.
pub fn if_match(headers: &HeaderMap) -> Result<Etag, ApiError> {
    headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<Etag>().ok())
        .ok_or_else(|| {
            ApiError::invalid_if_match(
                "The If-Match version is missing or not valid for the resource.",
            )
        })
}

/// Percent-decodes one path segment.
pub fn decode_segment(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// What an operation answered, and the resource it named when the path did not (CreateFunction
/// names its function in the body).
#[derive(Debug)]
pub struct Outcome {
    /// The answer.
    pub reply: Reply,
    /// The created resource's name, for the request log.
    pub resource: Option<String>,
}

impl From<Reply> for Outcome {
    fn from(reply: Reply) -> Self {
        Self {
            reply,
            resource: None,
        }
    }
}
