//! The CloudFront API (2020-05-31, REST-XML) of the emulator: which path is which operation, the
//! dispatch to the operation handlers, and errors as `ErrorResponse` XML.
//!
//! Paths, methods, status codes and headers follow the 2020-05-31 API model. Not for: state rules
//! (see `store`) or the key value store data plane (see `kvs`).

pub mod distributions;
pub mod functions;
pub mod key_value_stores;
pub mod xml;

use axum::body::Bytes;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};

use crate::emulator::app::App;
use crate::emulator::errors::ApiError;
use crate::emulator::operation::{Operation, Route};
use crate::emulator::wire::{Outcome, add_request_id, decode_segment, parse_query};

/// Path prefix of every Functions operation.
pub const FUNCTION_PREFIX: &str = "/2020-05-31/function";

/// Which CloudFront operation a method and path name.
pub fn route(method: &Method, path: &str) -> Option<Route> {
    if let Some(rest) = path.strip_prefix(FUNCTION_PREFIX) {
        return function_route(method, rest);
    }
    if let Some(rest) = path.strip_prefix(distributions::DISTRIBUTION_PREFIX) {
        return distributions::route(method, rest);
    }
    key_value_stores::route(method, path.strip_prefix(key_value_stores::KVS_PREFIX)?)
}

/// The Functions routes: `/function`, `/function/NAME`, `/function/NAME/ACTION`.
fn function_route(method: &Method, rest: &str) -> Option<Route> {
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return match *method {
            Method::GET => Some(Route::bare(Operation::ListFunctions)),
            Method::POST => Some(Route::bare(Operation::CreateFunction)),
            _ => None,
        };
    }
    let rest = rest.strip_prefix('/')?;
    let (name, action) = match rest.split_once('/') {
        Some((name, action)) => (name, Some(action)),
        None => (rest, None),
    };
    let op = match (method, action) {
        (&Method::GET, None) => Operation::GetFunction,
        (&Method::PUT, None) => Operation::UpdateFunction,
        (&Method::DELETE, None) => Operation::DeleteFunction,
        (&Method::GET, Some("describe")) => Operation::DescribeFunction,
        (&Method::POST, Some("test")) => Operation::TestFunction,
        (&Method::POST, Some("publish")) => Operation::PublishFunction,
        _ => return None,
    };
    Some(Route::on(op, decode_segment(name)))
}

/// Runs one CloudFront operation.
pub async fn dispatch(
    app: &App,
    route: &Route,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Outcome, ApiError> {
    match route.op {
        Operation::CreateKeyValueStore
        | Operation::DescribeKeyValueStore
        | Operation::ListKeyValueStores
        | Operation::UpdateKeyValueStore
        | Operation::DeleteKeyValueStore => {
            let query = parse_query(uri)?;
            key_value_stores::dispatch(app, route, &query, headers, body).await
        }
        Operation::CreateDistribution
        | Operation::GetDistribution
        | Operation::GetDistributionConfig
        | Operation::UpdateDistribution
        | Operation::DeleteDistribution
        | Operation::ListDistributions => {
            let query = parse_query(uri)?;
            distributions::dispatch(app, route, &query, headers, body).await
        }
        _ => functions::dispatch(app, route, uri, headers, body).await,
    }
}

/// An error as the REST-XML `ErrorResponse`.
pub fn error_response(err: &ApiError, request_id: &str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    add_request_id(&mut headers, request_id);
    (err.status, headers, xml::error_document(err, request_id)).into_response()
}

/// Runs untrusted request bytes through every CloudFront decoder, for the fuzz target.
pub(crate) fn decode_untrusted(path: &str, body: &[u8]) {
    if let Ok(uri) = path.parse::<Uri>() {
        for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
            if let Some(route) = route(&method, uri.path()) {
                functions::decode_route_untrusted(&route, &uri);
            }
        }
    }
    functions::decode_body_untrusted(body);
    key_value_stores::decode_body_untrusted(body);
    distributions::decode_body_untrusted(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_follow_the_api_model() {
        let r = |m: Method, p: &'static str| route(&m, p).map(|r| (r.op.as_str(), r.resource));
        let name = |n: &str| Some(n.to_owned());
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
            Some(("GetFunction", name("f")))
        );
        assert_eq!(
            r(Method::PUT, "/2020-05-31/function/f"),
            Some(("UpdateFunction", name("f")))
        );
        assert_eq!(
            r(Method::DELETE, "/2020-05-31/function/f"),
            Some(("DeleteFunction", name("f")))
        );
        assert_eq!(
            r(Method::GET, "/2020-05-31/function/f/describe"),
            Some(("DescribeFunction", name("f")))
        );
        assert_eq!(
            r(Method::POST, "/2020-05-31/function/f/test"),
            Some(("TestFunction", name("f")))
        );
        assert_eq!(
            r(Method::POST, "/2020-05-31/function/f/publish"),
            Some(("PublishFunction", name("f")))
        );
        assert_eq!(
            r(Method::GET, "/2020-05-31/function/a%2Db"),
            Some(("GetFunction", name("a-b")))
        );
        assert_eq!(
            r(Method::POST, "/2020-05-31/key-value-store"),
            Some(("CreateKeyValueStore", None))
        );
        assert_eq!(
            r(Method::GET, "/2020-05-31/key-value-store/"),
            Some(("ListKeyValueStores", None))
        );
        assert_eq!(
            r(Method::DELETE, "/2020-05-31/key-value-store/s"),
            Some(("DeleteKeyValueStore", name("s")))
        );
        assert_eq!(
            r(Method::PUT, "/2020-05-31/distribution/E1/config"),
            Some(("UpdateDistribution", name("E1")))
        );
        assert_eq!(
            r(Method::GET, "/2020-05-31/distribution"),
            Some(("ListDistributions", None))
        );
        assert_eq!(r(Method::PATCH, "/2020-05-31/function/f"), None);
        assert_eq!(r(Method::GET, "/2020-05-31/function/f/other"), None);
    }
}
