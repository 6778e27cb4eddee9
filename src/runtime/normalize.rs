//! Turns what `handler(event)` returned into FunctionOutput as the TestFunction API reports it.
//!
//! Not for: running code. A value the service would refuse is an [`OutputError`].
//!
//! # The rules
//!
//! Each rule has a unit test below (named in the last column).
//!
//! | # | rule | why | test |
//! |---|---|---|---|
//! | 1 | The output is `{"response": ...}` when the event is `viewer-response` or the returned object has a `statusCode`, else `{"request": ...}`; a viewer-response function that returns a request is refused for its missing `statusCode` | guide: a viewer-request function may generate a response | `status_code_makes_a_response_in_viewer_request` |
//! | 2 | Only the documented fields are kept: request `method`, `uri`, `querystring`, `headers`, `cookies`; response `statusCode`, `statusDescription`, `headers`, `cookies`, `body`; inside an entry `value`, `multiValue`, `attributes`. Anything else is dropped | aws-samples READMEs: the service's FunctionOutput drops the events' misspelt `multivalue` | `unknown_fields_are_dropped` |
//! | 3 | `querystring` (request), `headers` and `cookies` are always present, `{}` when missing or `null` | aws-samples `kvs-jwt-verify`: an event without cookies gives `"cookies":{}` | `request_gets_empty_maps_and_lowercase_header_names` |
//! | 4 | Header names are lower-cased; cookie and query string names are kept as written | guide: header names are lower case in the event | `request_gets_empty_maps_and_lowercase_header_names` |
//! | 5 | `request.querystring` may be returned as a string (`a=1&b=2`, a leading `?` ignored): it is split at `&` and the first `=` into the object shape, a name without `=` gets `""`, a repeated name gets `value` = its first value and `multiValue` = all, nothing is percent-decoded | guide example "Normalize query string parameters" (1.0 and 2.0) returns `qs.sort().join('&')`; the guide does not show the FunctionOutput for it | `querystring_string_becomes_the_object_shape` |
//! | 6 | An entry is an object with a `value`; a number or boolean `value` becomes its string | the event structure; the coercion is our choice (the service's is not documented) | `numeric_header_values_become_strings` |
//! | 7 | `multiValue` is kept as a list of `{value, attributes?}` | guide: structure for a query string, header or cookie | `multi_values_and_cookie_attributes_are_kept` |
//! | 8 | Cookie `attributes` are kept as written | aws-samples READMEs (`Secure; Path=/; ...`) | `multi_values_and_cookie_attributes_are_kept` |
//! | 9 | `statusCode` must be an integer from 100 to 599 | HTTP status codes | `status_code_out_of_range_is_an_error` |
//! | 10 | `statusDescription` is optional and, when given, a string; it is not invented when missing | guide examples return one; the service's default is not documented | `status_description_is_optional` |
//! | 11 | `body` is a string or `{data, encoding}` with `encoding` `text` (the default) or `base64` | guide: status code and body | `body_forms_are_normalized` |
//! | 12 | A returned request needs a `uri` starting with `/` | guide: the URI is the relative path | `request_uri_must_be_a_path` |
//! | 13 | Returning `undefined` or anything but an object is an error | guide: the handler returns the request or a response | `undefined_and_non_objects_are_errors` |
//! | 14 | A header or cookie that is not `{value}` is an error naming it | the event structure | `header_that_is_not_an_object_names_the_header` |
//!
//! What the documentation leaves open and what we chose: the FunctionOutput of a string
//! `querystring` (rule 5: the object shape, so `expect` in test cases compares one shape); whether
//! the service lower-cases or refuses upper-case header names in a returned object (rule 4: lower-case);
//! coercion of non-string values (rule 6); `statusDescription` when missing (rule 10: omitted).

use serde_json::{Map, Value};

/// Why a returned value is not a valid request or response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputError {
    /// `undefined` or not an object.
    #[error(
        "The function returned {0}; handler(event) must return the request or a response object"
    )]
    NotAnObject(String),
    /// A field of the wrong JavaScript type.
    #[error("Invalid {path}: expected {expected}, got {got}")]
    WrongType {
        path: String,
        expected: &'static str,
        got: &'static str,
    },
    /// An entry without its `value`.
    #[error("Invalid {0}: missing")]
    Missing(String),
    /// A returned request without `uri`.
    #[error("Invalid request: the returned request has no uri")]
    NoUri,
    /// A `uri` that is not a path.
    #[error("Invalid request.uri {0}: it must start with \"/\"")]
    UriNotAPath(String),
    /// A `statusCode` that is not an HTTP status.
    #[error("Invalid response.statusCode {0}: it must be an integer from 100 to 599")]
    StatusCode(String),
    /// A body encoding other than `text` and `base64`.
    #[error("Invalid response.body.encoding {0:?}: expected \"text\" or \"base64\"")]
    BodyEncoding(String),
}

type Result<T> = std::result::Result<T, OutputError>;

fn wrong(path: &str, expected: &'static str, got: &Value) -> OutputError {
    OutputError::WrongType {
        path: path.to_owned(),
        expected,
        got: type_name(got),
    }
}

/// Builds FunctionOutput from the event and the handler's return value (`None` = `undefined`).
pub fn function_output(event: &Value, returned: Option<&Value>) -> Result<Value> {
    let event_type = event
        .pointer("/context/eventType")
        .and_then(Value::as_str)
        .unwrap_or("viewer-request");
    let Some(Value::Object(obj)) = returned else {
        let what = match returned {
            None => "undefined".to_owned(),
            Some(v) => type_name(v).to_owned(),
        };
        return Err(OutputError::NotAnObject(what));
    };
    let is_response = event_type == "viewer-response" || obj.contains_key("statusCode");
    if is_response {
        Ok(wrap("response", response(obj)?))
    } else {
        Ok(wrap("request", request(obj)?))
    }
}

fn wrap(key: &str, v: Value) -> Value {
    let mut m = Map::new();
    m.insert(key.to_owned(), v);
    Value::Object(m)
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn request(obj: &Map<String, Value>) -> Result<Value> {
    let mut out = Map::new();
    if let Some(m) = obj.get("method") {
        out.insert("method".into(), string_field("request.method", m)?);
    }
    let uri = string_field("request.uri", obj.get("uri").ok_or(OutputError::NoUri)?)?;
    if !uri.as_str().is_some_and(|s| s.starts_with('/')) {
        return Err(OutputError::UriNotAPath(uri.to_string()));
    }
    out.insert("uri".into(), uri);
    let querystring = match obj.get("querystring") {
        Some(Value::String(s)) => parse_querystring(s),
        other => value_map("request.querystring", other, false)?,
    };
    out.insert("querystring".into(), querystring);
    out.insert(
        "headers".into(),
        value_map("request.headers", obj.get("headers"), true)?,
    );
    out.insert(
        "cookies".into(),
        value_map("request.cookies", obj.get("cookies"), false)?,
    );
    Ok(Value::Object(out))
}

/// Rule 5: `a=1&b=2&a=3` as `{"a": {"value": "1", "multiValue": [...]}, "b": {"value": "2"}}`.
fn parse_querystring(s: &str) -> Value {
    let mut grouped: Map<String, Value> = Map::new();
    for part in s.strip_prefix('?').unwrap_or(s).split('&') {
        if part.is_empty() {
            continue;
        }
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        let item = serde_json::json!({ "value": value });
        match grouped.get_mut(name) {
            Some(Value::Array(items)) => items.push(item),
            _ => {
                grouped.insert(name.to_owned(), Value::Array(vec![item]));
            }
        }
    }
    let mut out = Map::new();
    for (name, items) in grouped {
        let Value::Array(items) = items else { continue };
        let mut entry = Map::new();
        entry.insert("value".into(), items[0]["value"].clone());
        if items.len() > 1 {
            entry.insert("multiValue".into(), Value::Array(items));
        }
        out.insert(name, Value::Object(entry));
    }
    Value::Object(out)
}

fn response(obj: &Map<String, Value>) -> Result<Value> {
    let mut out = Map::new();
    let code = obj
        .get("statusCode")
        .and_then(Value::as_f64)
        .filter(|c| c.fract() == 0.0 && (100.0..=599.0).contains(c))
        .ok_or_else(|| {
            OutputError::StatusCode(obj.get("statusCode").unwrap_or(&Value::Null).to_string())
        })?;
    out.insert("statusCode".into(), Value::from(code as u64));
    if let Some(d) = obj.get("statusDescription") {
        out.insert(
            "statusDescription".into(),
            string_field("response.statusDescription", d)?,
        );
    }
    out.insert(
        "headers".into(),
        value_map("response.headers", obj.get("headers"), true)?,
    );
    out.insert(
        "cookies".into(),
        value_map("response.cookies", obj.get("cookies"), false)?,
    );
    if let Some(body) = obj.get("body") {
        out.insert("body".into(), body_field(body)?);
    }
    Ok(Value::Object(out))
}

fn string_field(path: &str, v: &Value) -> Result<Value> {
    match v {
        Value::String(_) => Ok(v.clone()),
        other => Err(wrong(path, "a string", other)),
    }
}

fn body_field(v: &Value) -> Result<Value> {
    match v {
        Value::String(_) => Ok(v.clone()),
        Value::Object(m) => {
            let data = match m.get("data") {
                Some(Value::String(d)) => d,
                other => {
                    return Err(wrong(
                        "response.body.data",
                        "a string",
                        other.unwrap_or(&Value::Null),
                    ));
                }
            };
            let encoding = m.get("encoding").and_then(Value::as_str).unwrap_or("text");
            if encoding != "text" && encoding != "base64" {
                return Err(OutputError::BodyEncoding(encoding.to_owned()));
            }
            Ok(serde_json::json!({"data": data, "encoding": encoding}))
        }
        other => Err(wrong(
            "response.body",
            "a string or {data, encoding}",
            other,
        )),
    }
}

/// Normalises a headers/cookies/querystring map: each entry `{value, multiValue?, attributes?}`.
fn value_map(path: &str, v: Option<&Value>, lowercase: bool) -> Result<Value> {
    let mut out = Map::new();
    let entries = match v {
        None | Some(Value::Null) => return Ok(Value::Object(out)),
        Some(Value::Object(m)) => m,
        Some(other) => return Err(wrong(path, "an object", other)),
    };
    for (name, entry) in entries {
        let key = if lowercase {
            name.to_ascii_lowercase()
        } else {
            name.clone()
        };
        let p = format!("{path}.{name}");
        let mut norm = value_entry(&p, entry)?;
        if let Value::Object(e) = entry
            && let Some(multi) = e.get("multiValue")
        {
            let Value::Array(items) = multi else {
                return Err(wrong(&format!("{p}.multiValue"), "an array", multi));
            };
            let list = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    value_entry(&format!("{p}.multiValue[{i}]"), item).map(Value::Object)
                })
                .collect::<Result<Vec<_>>>()?;
            norm.insert("multiValue".into(), Value::Array(list));
        }
        out.insert(key, Value::Object(norm));
    }
    Ok(Value::Object(out))
}

/// One `{value, attributes?}` entry.
fn value_entry(path: &str, entry: &Value) -> Result<Map<String, Value>> {
    let Value::Object(e) = entry else {
        return Err(wrong(path, "an object with a \"value\"", entry));
    };
    let mut n = Map::new();
    n.insert(
        "value".into(),
        scalar_string(&format!("{path}.value"), e.get("value"))?,
    );
    if let Some(a) = e.get("attributes") {
        n.insert(
            "attributes".into(),
            scalar_string(&format!("{path}.attributes"), Some(a))?,
        );
    }
    Ok(n)
}

/// Values must be strings; numbers and booleans are turned into strings (rule 6).
fn scalar_string(path: &str, v: Option<&Value>) -> Result<Value> {
    match v {
        Some(Value::String(s)) => Ok(Value::String(s.clone())),
        Some(Value::Number(n)) => Ok(Value::String(n.to_string())),
        Some(Value::Bool(b)) => Ok(Value::String(b.to_string())),
        Some(other) => Err(wrong(path, "a string", other)),
        None => Err(OutputError::Missing(path.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req_event() -> Value {
        json!({"version": "1.0", "context": {"eventType": "viewer-request"}})
    }

    #[test]
    fn request_gets_empty_maps_and_lowercase_header_names() {
        let out = function_output(
            &req_event(),
            Some(&json!({"method": "GET", "uri": "/a", "headers": {"X-Foo": {"value": "1"}}, "extra": 1})),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"request": {"method": "GET", "uri": "/a", "querystring": {},
                   "headers": {"x-foo": {"value": "1"}}, "cookies": {}}})
        );
    }

    #[test]
    fn status_code_makes_a_response_in_viewer_request() {
        let out = function_output(
            &req_event(),
            Some(
                &json!({"statusCode": 301, "statusDescription": "Moved Permanently",
                "headers": {"location": {"value": "https://www.example.com/"}}}),
            ),
        )
        .unwrap();
        assert_eq!(out["response"]["statusCode"], json!(301));
        assert_eq!(out["response"]["cookies"], json!({}));
        assert_eq!(
            out["response"]["headers"]["location"]["value"],
            "https://www.example.com/"
        );
    }

    #[test]
    fn multi_values_and_cookie_attributes_are_kept() {
        let out = function_output(
            &json!({"context": {"eventType": "viewer-response"}}),
            Some(
                &json!({"statusCode": 200, "cookies": {"id": {"value": "a", "attributes": "Secure",
                "multiValue": [{"value": "a", "attributes": "Secure"}, {"value": "b"}]}}}),
            ),
        )
        .unwrap();
        assert_eq!(
            out["response"]["cookies"]["id"]["multiValue"][1],
            json!({"value": "b"})
        );
        assert_eq!(out["response"]["cookies"]["id"]["attributes"], "Secure");
    }

    #[test]
    fn undefined_and_non_objects_are_errors() {
        assert!(
            function_output(&req_event(), None)
                .unwrap_err()
                .to_string()
                .contains("undefined")
        );
        assert!(
            function_output(&req_event(), Some(&json!("x")))
                .unwrap_err()
                .to_string()
                .contains("a string")
        );
    }

    #[test]
    fn header_that_is_not_an_object_names_the_header() {
        let err = function_output(
            &req_event(),
            Some(&json!({"uri": "/", "headers": {"x-bad": "oops"}})),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("request.headers.x-bad"), "{err}");
    }

    #[test]
    fn status_code_out_of_range_is_an_error() {
        let err = function_output(&req_event(), Some(&json!({"statusCode": 99}))).unwrap_err();
        assert_eq!(err, OutputError::StatusCode("99".into()));
        let err = function_output(&req_event(), Some(&json!({"statusCode": 200.5}))).unwrap_err();
        assert!(err.to_string().contains("statusCode"), "{err}");
    }

    #[test]
    fn numeric_header_values_become_strings() {
        let out = function_output(
            &req_event(),
            Some(&json!({"uri": "/", "headers": {"x-n": {"value": 5}}})),
        )
        .unwrap();
        assert_eq!(out["request"]["headers"]["x-n"]["value"], "5");
    }

    #[test]
    fn unknown_fields_are_dropped() {
        // The aws-samples events spell it `multivalue`; the service's output shows no trace of it.
        let out = function_output(
            &req_event(),
            Some(&json!({"uri": "/", "extra": true,
                "headers": {"accept": {"value": "text/html", "multivalue": [{"value": "x"}]}}})),
        )
        .unwrap();
        assert_eq!(
            out["request"]["headers"]["accept"],
            json!({"value": "text/html"})
        );
        assert!(out["request"].get("extra").is_none());
    }

    #[test]
    fn querystring_string_becomes_the_object_shape() {
        let out = function_output(
            &req_event(),
            Some(&json!({"uri": "/", "querystring": "?a=1&b=&c&a=x%202&&d=e=f"})),
        )
        .unwrap();
        assert_eq!(
            out["request"]["querystring"],
            json!({
                "a": {"value": "1", "multiValue": [{"value": "1"}, {"value": "x%202"}]},
                "b": {"value": ""},
                "c": {"value": ""},
                "d": {"value": "e=f"}
            })
        );
        let empty =
            function_output(&req_event(), Some(&json!({"uri": "/", "querystring": ""}))).unwrap();
        assert_eq!(empty["request"]["querystring"], json!({}));
    }

    #[test]
    fn querystring_of_another_type_is_still_an_error() {
        let err = function_output(&req_event(), Some(&json!({"uri": "/", "querystring": 5})))
            .unwrap_err();
        assert!(err.to_string().contains("request.querystring"), "{err}");
    }

    #[test]
    fn status_description_is_optional() {
        let out = function_output(&req_event(), Some(&json!({"statusCode": 401}))).unwrap();
        assert_eq!(
            out,
            json!({"response": {"statusCode": 401, "headers": {}, "cookies": {}}})
        );
    }

    #[test]
    fn body_forms_are_normalized() {
        let ev = json!({"context": {"eventType": "viewer-request"}});
        let text = function_output(&ev, Some(&json!({"statusCode": 200, "body": "hi"}))).unwrap();
        assert_eq!(text["response"]["body"], "hi");
        let obj = function_output(
            &ev,
            Some(&json!({"statusCode": 200, "body": {"data": "aGk="}})),
        )
        .unwrap();
        assert_eq!(
            obj["response"]["body"],
            json!({"data": "aGk=", "encoding": "text"})
        );
        let bad = function_output(
            &ev,
            Some(&json!({"statusCode": 200, "body": {"data": "x", "encoding": "gzip"}})),
        )
        .unwrap_err();
        assert_eq!(bad, OutputError::BodyEncoding("gzip".into()));
    }

    #[test]
    fn request_uri_must_be_a_path() {
        let err = function_output(&req_event(), Some(&json!({"uri": "index.html"}))).unwrap_err();
        assert!(matches!(err, OutputError::UriNotAPath(_)), "{err}");
        let err = function_output(&req_event(), Some(&json!({"method": "GET"}))).unwrap_err();
        assert_eq!(err, OutputError::NoUri);
    }

    #[test]
    fn a_viewer_response_function_returning_a_request_is_refused() {
        let ev = json!({"context": {"eventType": "viewer-response"}});
        let err = function_output(&ev, Some(&json!({"method": "GET", "uri": "/"}))).unwrap_err();
        assert!(matches!(err, OutputError::StatusCode(_)), "{err}");
    }
}
