//! Turns what `handler(event)` returned into FunctionOutput as the TestFunction API reports it:
//! `{"request": {...}}` or `{"response": {...}}` with the standard fields only, header names in
//! lower case, and `headers`/`cookies`/`querystring` always present.
//!
//! Not for: running code. A value the service would refuse (a header that is not `{value}`, a
//! status code out of range, a viewer-response function returning a request) is an error message.

use serde_json::{Map, Value};

/// Builds FunctionOutput from the event and the handler's return value (`None` = `undefined`).
pub fn function_output(event: &Value, returned: Option<&Value>) -> Result<Value, String> {
    let event_type = event
        .pointer("/context/eventType")
        .and_then(Value::as_str)
        .unwrap_or("viewer-request");
    let Some(Value::Object(obj)) = returned else {
        let what = match returned {
            None => "undefined".to_owned(),
            Some(v) => type_name(v).to_owned(),
        };
        return Err(format!(
            "The function returned {what}; handler(event) must return the request or a response object"
        ));
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

fn request(obj: &Map<String, Value>) -> Result<Value, String> {
    let mut out = Map::new();
    if let Some(m) = obj.get("method") {
        out.insert("method".into(), string_field("request.method", m)?);
    }
    match obj.get("uri") {
        Some(u) => {
            let uri = string_field("request.uri", u)?;
            if !uri.as_str().is_some_and(|s| s.starts_with('/')) {
                return Err(format!(
                    "Invalid request.uri {uri}: it must start with \"/\""
                ));
            }
            out.insert("uri".into(), uri);
        }
        None => return Err("Invalid request: the returned request has no uri".to_owned()),
    }
    out.insert(
        "querystring".into(),
        value_map("request.querystring", obj.get("querystring"), false)?,
    );
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

fn response(obj: &Map<String, Value>) -> Result<Value, String> {
    let mut out = Map::new();
    let code = obj
        .get("statusCode")
        .and_then(Value::as_f64)
        .filter(|c| c.fract() == 0.0 && (100.0..=599.0).contains(c))
        .ok_or_else(|| {
            format!(
                "Invalid response.statusCode {}: it must be an integer from 100 to 599",
                obj.get("statusCode").unwrap_or(&Value::Null)
            )
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

fn string_field(path: &str, v: &Value) -> Result<Value, String> {
    match v {
        Value::String(_) => Ok(v.clone()),
        other => Err(format!(
            "Invalid {path}: expected a string, got {}",
            type_name(other)
        )),
    }
}

fn body_field(v: &Value) -> Result<Value, String> {
    match v {
        Value::String(_) => Ok(v.clone()),
        Value::Object(m) => {
            let data = m
                .get("data")
                .and_then(Value::as_str)
                .ok_or_else(|| "Invalid response.body: body.data must be a string".to_owned())?;
            let encoding = m.get("encoding").and_then(Value::as_str).unwrap_or("text");
            if encoding != "text" && encoding != "base64" {
                return Err(format!(
                    "Invalid response.body.encoding {encoding:?}: expected \"text\" or \"base64\""
                ));
            }
            Ok(serde_json::json!({"data": data, "encoding": encoding}))
        }
        other => Err(format!(
            "Invalid response.body: expected a string or {{data, encoding}}, got {}",
            type_name(other)
        )),
    }
}

/// Normalises a headers/cookies/querystring map: each entry `{value, multiValue?, attributes?}`.
fn value_map(path: &str, v: Option<&Value>, lowercase: bool) -> Result<Value, String> {
    let mut out = Map::new();
    let entries = match v {
        None | Some(Value::Null) => return Ok(Value::Object(out)),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(format!(
                "Invalid {path}: expected an object, got {}",
                type_name(other)
            ));
        }
    };
    for (name, entry) in entries {
        let key = if lowercase {
            name.to_ascii_lowercase()
        } else {
            name.clone()
        };
        let Value::Object(e) = entry else {
            return Err(format!(
                "Invalid {path}.{name}: expected an object with a \"value\", got {}",
                type_name(entry)
            ));
        };
        let mut norm = Map::new();
        norm.insert(
            "value".into(),
            scalar_string(&format!("{path}.{name}.value"), e.get("value"))?,
        );
        if let Some(attrs) = e.get("attributes") {
            norm.insert(
                "attributes".into(),
                scalar_string(&format!("{path}.{name}.attributes"), Some(attrs))?,
            );
        }
        if let Some(multi) = e.get("multiValue") {
            let Value::Array(items) = multi else {
                return Err(format!(
                    "Invalid {path}.{name}.multiValue: expected an array"
                ));
            };
            let mut list = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}.{name}.multiValue[{i}]");
                let Value::Object(im) = item else {
                    return Err(format!("Invalid {p}: expected an object with a \"value\""));
                };
                let mut n = Map::new();
                n.insert(
                    "value".into(),
                    scalar_string(&format!("{p}.value"), im.get("value"))?,
                );
                if let Some(a) = im.get("attributes") {
                    n.insert(
                        "attributes".into(),
                        scalar_string(&format!("{p}.attributes"), Some(a))?,
                    );
                }
                list.push(Value::Object(n));
            }
            norm.insert("multiValue".into(), Value::Array(list));
        }
        out.insert(key, Value::Object(norm));
    }
    Ok(Value::Object(out))
}

/// Values must be strings; numbers and booleans are turned into strings as the service does.
fn scalar_string(path: &str, v: Option<&Value>) -> Result<Value, String> {
    match v {
        Some(Value::String(s)) => Ok(Value::String(s.clone())),
        Some(Value::Number(n)) => Ok(Value::String(n.to_string())),
        Some(Value::Bool(b)) => Ok(Value::String(b.to_string())),
        Some(other) => Err(format!(
            "Invalid {path}: expected a string, got {}",
            type_name(other)
        )),
        None => Err(format!("Invalid {path}: missing")),
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
                .contains("undefined")
        );
        assert!(
            function_output(&req_event(), Some(&json!("x")))
                .unwrap_err()
                .contains("a string")
        );
    }

    #[test]
    fn header_that_is_not_an_object_names_the_header() {
        let err = function_output(
            &req_event(),
            Some(&json!({"uri": "/", "headers": {"x-bad": "oops"}})),
        )
        .unwrap_err();
        assert!(err.contains("request.headers.x-bad"), "{err}");
    }

    #[test]
    fn status_code_out_of_range_is_an_error() {
        let err = function_output(&req_event(), Some(&json!({"statusCode": 99}))).unwrap_err();
        assert!(err.contains("statusCode"), "{err}");
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
}
