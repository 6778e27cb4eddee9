//! Every published CloudFront Functions example (aws-samples/amazon-cloudfront-functions, which the developer
//! guide's example pages show too; see tests/fixtures/examples/README.md), run in each runtime it supports.
//!
//! Expected outputs are written from the example's code and the documented event structure: the returned
//! object with the standard fields only (the samples' misspelt `multivalue` is not one), header names in lower
//! case, `querystring`/`headers`/`cookies` always present. See src/runtime/normalize.rs for the rules.

use cloudfront_publish::runtime::{self, Invocation, KeyValueStore, Limits, Outcome};
use cloudfront_publish::types::Runtime;
use serde_json::{Value, json};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/examples/aws-samples"
);

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn event(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn run(code: &str, rt: Runtime, event: &Value, kvs: Option<&KeyValueStore>) -> Outcome {
    runtime::run(Invocation {
        code,
        runtime: rt,
        event,
        kvs,
        limits: &Limits::default(),
    })
}

/// Runs and expects success with `output` and `logs`.
fn expect(
    code: &str,
    rt: Runtime,
    ev: &Value,
    kvs: Option<&KeyValueStore>,
    output: Value,
    logs: &[&str],
) {
    let out = run(code, rt, ev, kvs);
    assert_eq!(out.error, None, "{rt}");
    assert_eq!(out.output, Some(output), "{rt}");
    assert_eq!(out.logs, logs, "{rt}");
}

fn kvs(pairs: &[(&str, &str)]) -> KeyValueStore {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The request of the samples' viewer-request events, as the service reports it back unchanged.
fn sample_request(uri: &str, extra_headers: Value) -> Value {
    let mut headers =
        json!({"host": {"value": "www.example.com"}, "accept": {"value": "text/html"}});
    for (k, v) in extra_headers.as_object().unwrap() {
        headers[k] = v.clone();
    }
    json!({"request": {
        "method": "GET",
        "uri": uri,
        "querystring": {"test": {"value": "true"}, "arg": {"value": "val1"}},
        "headers": headers,
        "cookies": {"id": {"value": "CookeIdValue"}, "loggedIn": {"value": "false"}}
    }})
}

/// The response of the samples' viewer-response events, with `extra_headers` added.
fn sample_response(extra_headers: Value) -> Value {
    let mut headers = json!({
        "server": {"value": "CustomOriginServer"},
        "content-type": {"value": "text/html; charset=UTF-8"},
        "content-length": {"value": "9593"}
    });
    for (k, v) in extra_headers.as_object().unwrap() {
        headers[k] = v.clone();
    }
    json!({"response": {
        "statusCode": 200,
        "statusDescription": "OK",
        "headers": headers,
        "cookies": {
            "id": {"value": "a3fWa", "attributes": "Expires=Wed, 05 Jan 2024 07:28:00 GMT"},
            "loggedIn": {"value": "true", "attributes": "Secure; Path=/; Domain=example.com; Expires=Wed, 05 Jan 2024 07:28:00 GMT"}
        }
    }})
}

/// The current samples declare `async function handler`: runtime 2.0 only; 1.0 refuses `async`.
fn refused_by_1_0(code: &str, ev: &Value) {
    let err = run(code, Runtime::Js1, ev, None).error.unwrap_or_default();
    assert!(
        err.starts_with("SyntaxError") && err.contains("async"),
        "{err}"
    );
}

#[test]
fn add_cache_control_header() {
    let code = read("add-cache-control-header/index.js");
    let ev = event("add-cache-control-header/test-event.json");
    let want = sample_response(json!({"cache-control": {"value": "public, max-age=63072000"}}));
    expect(&code, Runtime::Js2, &ev, None, want, &[]);
    refused_by_1_0(&code, &ev);
}

#[test]
fn add_cors_header() {
    let code = read("add-cors-header/index.js");
    // The origin's response already has the header: nothing changes, nothing is logged.
    let present = event("add-cors-header/test-objects/cors-header.json");
    let want = sample_response(
        json!({"access-control-allow-origin": {"value": "https://www.example.com"}}),
    );
    expect(&code, Runtime::Js2, &present, None, want.clone(), &[]);
    // Missing: copied from the request's Origin header, with the example's log line.
    let missing = event("add-cors-header/test-objects/no-cors-header.json");
    expect(
        &code,
        Runtime::Js2,
        &missing,
        None,
        want,
        &["Access-Control-Allow-Origin was missing, adding it now."],
    );
    refused_by_1_0(&code, &missing);
}

#[test]
fn add_origin_header() {
    let code = read("add-origin-header/index.js");
    let missing = event("add-origin-header/test-objects/no-origin-header.json");
    let want = sample_request(
        "/index.html",
        json!({"origin": {"value": "https://www.example.com"}}),
    );
    expect(&code, Runtime::Js2, &missing, None, want, &[]);
    let present = event("add-origin-header/test-objects/origin-header.json");
    let want = sample_request(
        "/index.html",
        json!({"origin": {"value": "https://originexample.com"}}),
    );
    expect(&code, Runtime::Js2, &present, None, want, &[]);
    refused_by_1_0(&code, &missing);
}

#[test]
fn add_security_headers() {
    let code = read("add-security-headers/index.js");
    let ev = event("add-security-headers/test-event.json");
    let want = sample_response(json!({
        "strict-transport-security": {"value": "max-age=63072000; includeSubdomains; preload"},
        "content-security-policy": {"value": "default-src 'none'; img-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; frame-ancestors 'none'"},
        "x-content-type-options": {"value": "nosniff"},
        "x-frame-options": {"value": "DENY"},
        "x-xss-protection": {"value": "1; mode=block"},
        "referrer-policy": {"value": "same-origin"}
    }));
    expect(&code, Runtime::Js2, &ev, None, want, &[]);
    refused_by_1_0(&code, &ev);
}

#[test]
fn add_true_client_ip_header() {
    let code = read("add-true-client-ip-header/index.js");
    let ev = event("add-true-client-ip-header/test-event.json");
    let want = sample_request(
        "/index.html",
        json!({"true-client-ip": {"value": "0.0.0.0"}}),
    );
    expect(&code, Runtime::Js2, &ev, None, want, &[]);
    refused_by_1_0(&code, &ev);
}

#[test]
fn redirect_based_on_country() {
    let code = read("redirect-based-on-country/index.js");
    let de = event("redirect-based-on-country/test-objects/country-de.json");
    let want = json!({"response": {
        "statusCode": 302,
        "statusDescription": "Found",
        "headers": {"location": {"value": "https://www.example.com/de/index.html"}},
        "cookies": {}
    }});
    expect(&code, Runtime::Js2, &de, None, want, &[]);
    let gb = event("redirect-based-on-country/test-objects/country-not-de.json");
    let want = sample_request(
        "/index.html",
        json!({"cloudfront-viewer-country": {"value": "GB"}}),
    );
    expect(&code, Runtime::Js2, &gb, None, want, &[]);
    refused_by_1_0(&code, &de);
}

#[test]
fn url_rewrite_single_page_apps() {
    let code = read("url-rewrite-single-page-apps/index.js");
    for (file, uri) in [
        ("file-name-and-extension.json", "/blog/index.html"),
        ("file-name-no-extension.json", "/blog/index.html"),
        ("no-file-name.json", "/index.html"),
    ] {
        let ev = event(&format!("url-rewrite-single-page-apps/test-objects/{file}"));
        expect(
            &code,
            Runtime::Js2,
            &ev,
            None,
            sample_request(uri, json!({})),
            &[],
        );
    }
}

#[test]
fn normalize_query_string_parameters_in_both_runtimes() {
    // The guide's example returns request.querystring as a string (`qs.sort().join('&')`).
    let code = read("normalize-query-string-parameters/normalize-query-string.js");
    // The samples' events spell `multivalue` in lower case, so the code sees one value per name.
    let sample = event("add-true-client-ip-header/test-event.json");
    let mut proper = sample.clone();
    proper["request"]["querystring"] = json!({
        "b": {"value": "2"},
        "a": {"value": "3", "multiValue": [{"value": "3"}, {"value": "1"}]}
    });
    let mut sorted = sample_request("/index.html", json!({}));
    sorted["request"]["querystring"] = json!({
        "a": {"value": "1", "multiValue": [{"value": "1"}, {"value": "3"}]},
        "b": {"value": "2"}
    });
    for rt in [Runtime::Js1, Runtime::Js2] {
        // "arg=val1&test=true"
        expect(
            &code,
            rt,
            &sample,
            None,
            sample_request("/index.html", json!({})),
            &[],
        );
        // "a=1&a=3&b=2"
        expect(&code, rt, &proper, None, sorted.clone(), &[]);
    }
}

fn plain_request(uri: &str, cookies: Value) -> Value {
    json!({
        "version": "1.0",
        "context": {"eventType": "viewer-request"},
        "viewer": {"ip": "198.51.100.7"},
        "request": {"method": "GET", "uri": uri, "querystring": {}, "headers": {"host": {"value": "www.example.com"}}, "cookies": cookies}
    })
}

fn returned_request(uri: &str, cookies: Value) -> Value {
    json!({"request": {"method": "GET", "uri": uri, "querystring": {}, "headers": {"host": {"value": "www.example.com"}}, "cookies": cookies}})
}

#[test]
fn kvs_key_value_pairs() {
    let code = read("kvs-key-value-pairs/kvs-key-value-pairs.js");
    let store = kvs(&[("blog", "blog-v2")]);
    let ev = plain_request("/blog/index.html", json!({}));
    let want = returned_request("/blog-v2/index.html", json!({}));
    expect(
        &code,
        Runtime::Js2,
        &ev,
        Some(&store),
        want,
        &["/blog/index.html -> /blog-v2/index.html"],
    );
    // A missing key rejects; the example logs the error and leaves the URI alone.
    let ev = plain_request("/shop/cart", json!({}));
    let out = run(&code, Runtime::Js2, &ev, Some(&store));
    assert_eq!(out.error, None);
    assert_eq!(out.output, Some(returned_request("/shop/cart", json!({}))));
    assert_eq!(out.logs.len(), 1);
    assert!(out.logs[0].starts_with("/shop/cart | "), "{:?}", out.logs);
    // Without an associated store the top-level cf.kvs() throws: the function fails to load.
    assert!(run(&code, Runtime::Js2, &ev, None).error.is_some());
}

#[test]
fn kvs_conditional_read() {
    let code = read("kvs-conditional-read/ABUriMappingFunction.js");
    // Math.random() is in [0, 1): a weightage of 1 always picks a_url.
    let store = kvs(&[(
        "latest",
        r#"{"a_weightage": 1, "a_url": "v1", "b_url": "v2"}"#,
    )]);
    let ev = plain_request("/latest/something/else", json!({}));
    expect(
        &code,
        Runtime::Js2,
        &ev,
        Some(&store),
        returned_request("/v1/something/else", json!({})),
        &[],
    );
    // A valid stickiness cookie skips the store.
    let sticky = json!({"appversion": {"value": "latest"}});
    let ev = plain_request("/latest/something/else", sticky.clone());
    expect(
        &code,
        Runtime::Js2,
        &ev,
        Some(&store),
        returned_request("/latest/something/else", sticky),
        &[],
    );
    // No configuration for the first segment: unchanged (the missing key is caught).
    let ev = plain_request("/other/page", json!({}));
    expect(
        &code,
        Runtime::Js2,
        &ev,
        Some(&store),
        returned_request("/other/page", json!({})),
        &[],
    );
}

#[test]
fn select_origin_based_on_country() {
    // The Test API does not reflect origin changes: the request comes back as it was.
    let code = read("select-origin-based-on-country/index.js");
    let ev = event("redirect-based-on-country/test-objects/country-de.json");
    let want = sample_request(
        "/index.html",
        json!({"cloudfront-viewer-country": {"value": "DE"}}),
    );
    expect(&code, Runtime::Js2, &ev, None, want, &[]);
}

/// The public sample key that signed the samples' tokens (from the example's earlier README).
const SAMPLE_KEY: &str = "LzdWGpAToQ1DqYuzHxE6YOqi7G3X2yvNBot9mCXfx5k";

fn jwt(payload: &str, key: &str) -> String {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let input = format!(
        "{}.{}",
        b64.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        b64.encode(payload)
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", b64.encode(mac.finalize().into_bytes()))
}

#[test]
fn kvs_jwt_verify() {
    let code = read("kvs-jwt-verify/verify-jwt.js");
    let store = kvs(&[("jwt.secret", SAMPLE_KEY)]);
    let unauthorized = json!({"response": {"statusCode": 401, "statusDescription": "Unauthorized", "headers": {}, "cookies": {}}});
    // The samples' "valid" token expired on 2024-05-20, so today every sample event is refused:
    // expired, not yet valid (nbf), not a JWT, missing.
    for file in [
        "valid-jwt.json",
        "expired-jwt.json",
        "invalid-nbe-jwt.json",
        "invalid-jwt.json",
        "missing-jwt.json",
    ] {
        let ev = event(&format!("kvs-jwt-verify/test-objects/{file}"));
        expect(
            &code,
            Runtime::Js2,
            &ev,
            Some(&store),
            unauthorized.clone(),
            &[],
        );
    }
    // A token valid until 2100: the JWT is removed from the query string and the request goes on.
    let mut ev = event("kvs-jwt-verify/test-objects/valid-jwt.json");
    let token = jwt(
        r#"{"sub":"1234567890","nbf":1516239022,"exp":4102444800}"#,
        SAMPLE_KEY,
    );
    ev["request"]["querystring"]["jwt"]["value"] = json!(token);
    let want = json!({"request": {
        "method": "GET",
        "uri": "/index.html",
        "querystring": {"test": {"value": "anotherQueryString"}},
        "headers": {"host": {"value": "www.example.com"}, "accept": {"value": "text/html"}},
        "cookies": {}
    }});
    expect(&code, Runtime::Js2, &ev, Some(&store), want, &[]);
    // The same token signed with another key, or no secret in the store: refused.
    let forged = jwt(
        r#"{"sub":"1234567890","nbf":1516239022,"exp":4102444800}"#,
        "another key",
    );
    ev["request"]["querystring"]["jwt"]["value"] = json!(forged);
    expect(
        &code,
        Runtime::Js2,
        &ev,
        Some(&store),
        unauthorized.clone(),
        &[],
    );
    ev["request"]["querystring"]["jwt"]["value"] = json!(token);
    expect(&code, Runtime::Js2, &ev, Some(&kvs(&[])), unauthorized, &[]);
}
