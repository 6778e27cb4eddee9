//! The request path every request takes, whatever its API: route, authenticate, inject faults,
//! dispatch to the API module, add latency, lose the answer of a write if asked, render, log.
//!
//! One handler for all requests, so logging, auth, faults and latency apply to all of them
//! alike. Not for: any operation's behaviour (see `cloudfront`).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{self, HeaderMap};
use axum::http::{Method, Uri};
use axum::response::Response;

use crate::emulator::app::App;
use crate::emulator::errors::ApiError;
use crate::emulator::faults::LoseHow;
use crate::emulator::operation::{Api, Route};
use crate::emulator::reqlog::LogEntry;
use crate::emulator::store::now_ms;
use crate::emulator::wire::{Outcome, new_request_id};
use crate::emulator::{cloudfront, kvs};

/// The one handler.
pub async fn handle(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let start_ms = now_ms();
    let start_seq = app.events.fetch_add(1, Ordering::SeqCst);
    let request_id = new_request_id();
    let route = route(&method, uri.path());

    let result = match &route {
        // Authentication comes first, as for every operation.
        None => check_authorization(&headers).and_then(|()| {
            Err(ApiError::unsupported_operation(format!(
                "{method} {} is not an operation of this emulator.",
                uri.path()
            )))
        }),
        Some(route) => dispatch(&app, route, &uri, &headers, &body).await,
    };

    if !app.latency.is_zero() {
        // Each request sleeps in its own task, so concurrent requests overlap their delays.
        tokio::time::sleep(app.latency).await;
    }

    let api = route.as_ref().map_or(Api::CloudFront, |r| r.op.api());
    let resource = match &result {
        Ok(Outcome {
            resource: Some(created),
            ..
        }) => Some(created.clone()),
        _ => route.as_ref().and_then(|r| r.resource.clone()),
    };
    // Only an applied write loses its answer: that is the case a retry must recognise.
    let lost = match (&route, &result) {
        (Some(route), Ok(outcome)) if outcome.reply.status.is_success() => {
            app.losses.draw(route.op)
        }
        _ => None,
    };
    let (status, error_code, response) = match result {
        Ok(outcome) => (
            outcome.reply.status,
            None,
            outcome.reply.into_response(&request_id),
        ),
        Err(err) => (
            err.status,
            Some(err.code),
            error_response(api, &err, &request_id),
        ),
    };
    let response = match lost {
        Some(LoseHow::Unavailable) => {
            error_response(api, &ApiError::service_unavailable(), &request_id)
        }
        Some(LoseHow::Drop) => dropped_connection(),
        None => response,
    };
    let end_seq = app.events.fetch_add(1, Ordering::SeqCst);
    if let Some(log) = &app.log {
        log.write(&LogEntry {
            start_ms,
            end_ms: now_ms(),
            start_seq,
            end_seq,
            method: method.as_str(),
            path: uri.path(),
            operation: route.as_ref().map(|r| r.op.as_str()),
            function: resource
                .as_deref()
                .filter(|_| route.as_ref().is_some_and(|r| r.op.names_function())),
            resource: resource
                .as_deref()
                .filter(|_| route.as_ref().is_some_and(|r| !r.op.names_function())),
            auth: auth_scheme(&headers),
            status: status.as_u16(),
            error_code,
            lost: lost.map(LoseHow::as_str),
        });
    }
    response
}

/// A response that never arrives: its body fails at the first poll, so the server closes the
/// connection without sending the (still buffered) head, and the client sees the connection end
/// with no answer, as when a network drops it. The stream wrapper hides the empty body's exact
/// size, which would otherwise let the server send a complete `Content-Length: 0` answer.
fn dropped_connection() -> Response {
    use http_body_util::BodyExt as _;
    let failing = http_body_util::Empty::<Bytes>::new()
        .map_err(|never: Infallible| match never {})
        .with_trailers(async {
            Some(Err::<HeaderMap, _>(std::io::Error::other(
                "answer lost on purpose (--lose)",
            )))
        });
    let body = http_body_util::StreamBody::new(http_body_util::BodyStream::new(failing));
    Response::new(Body::new(body))
}

/// The operation a method and path name, in whichever API has it.
pub fn route(method: &Method, path: &str) -> Option<Route> {
    cloudfront::route(method, path).or_else(|| kvs::route(method, path))
}

async fn dispatch(
    app: &App,
    route: &Route,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Outcome, ApiError> {
    check_authorization(headers)?;
    let query = uri.query().unwrap_or_default();
    let content: [&[u8]; 4] = [
        route.op.as_str().as_bytes(),
        uri.path().as_bytes(),
        query.as_bytes(),
        body,
    ];
    if let Some(fault) = app.faults.draw(&content) {
        return Err(fault);
    }
    match route.op.api() {
        Api::CloudFront => cloudfront::dispatch(app, route, uri, headers, body).await,
        Api::KeyValueStore => kvs::dispatch(app, route, uri, headers, body).await,
    }
}

fn error_response(api: Api, err: &ApiError, request_id: &str) -> Response {
    match api {
        Api::CloudFront => cloudfront::error_response(err, request_id),
        Api::KeyValueStore => kvs::error_response(err, request_id),
    }
}

/// The two schemes the emulator accepts.
const SCHEMES: [&str; 2] = ["AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"];

/// Which of the accepted schemes signed the request, if any.
fn auth_scheme(headers: &HeaderMap) -> Option<&'static str> {
    let text = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let word = text.split_whitespace().next()?;
    SCHEMES.into_iter().find(|s| *s == word)
}

/// Any SigV4 or SigV4A `Authorization` header is accepted; the signature itself is not checked.
/// The data plane requires SigV4A (`AWS4-ECDSA-P256-SHA256`); both are accepted everywhere.
fn check_authorization(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::missing_authentication());
    };
    let text = value.to_str().unwrap_or_default();
    let signed = auth_scheme(headers).is_some()
        && text.contains("Credential=")
        && text.contains("Signature=");
    if signed {
        Ok(())
    } else {
        Err(ApiError::incomplete_signature(
            "Authorization header requires a SigV4 (AWS4-HMAC-SHA256) or SigV4A (AWS4-ECDSA-P256-SHA256) Credential and Signature.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

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
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static(
                "AWS4-ECDSA-P256-SHA256 Credential=AKID/20240101/cloudfront-keyvaluestore/aws4_request, SignedHeaders=host;x-amz-region-set, Signature=3045",
            ),
        );
        assert!(check_authorization(&headers).is_ok());
    }
}
