//! Real-world-style CloudFront functions end to end through the embedded runtime: geo redirects,
//! basic auth, token checks with HMAC, header normalisation and multi-value cookies.

use cloudfront_publish::runtime::{self, Invocation, Limits, Outcome};
use cloudfront_publish::types::Runtime;
use serde_json::{Value, json};

fn request_event(uri: &str, headers: Value, cookies: Value, querystring: Value) -> Value {
    json!({
        "version": "1.0",
        "context": {"eventType": "viewer-request", "distributionDomainName": "d1.cloudfront.net"},
        "viewer": {"ip": "203.0.113.9"},
        "request": {"method": "GET", "uri": uri, "querystring": querystring, "headers": headers, "cookies": cookies}
    })
}

fn run(code: &str, rt: Runtime, event: &Value) -> Outcome {
    let limits = Limits::default();
    runtime::run(Invocation {
        code,
        runtime: rt,
        event,
        kvs: None,
        limits: &limits,
    })
}

const GEO_REDIRECT: &str = r#"
const LOCALES = { DE: '/de', FR: '/fr', AT: '/de' };
function handler(event) {
    const request = event.request;
    const country = request.headers['cloudfront-viewer-country']?.value;
    const prefix = LOCALES[country];
    if (prefix && !request.uri.startsWith(prefix + '/')) {
        return {
            statusCode: 302,
            statusDescription: 'Found',
            headers: { location: { value: `${prefix}${request.uri}` }, vary: { value: 'CloudFront-Viewer-Country' } },
        };
    }
    return request;
}
"#;

#[test]
fn geo_redirect_sends_german_viewers_to_de_and_leaves_others() {
    let de = request_event(
        "/shop",
        json!({"cloudfront-viewer-country": {"value": "DE"}}),
        json!({}),
        json!({}),
    );
    let out = run(GEO_REDIRECT, Runtime::Js2, &de);
    let o = out.output.unwrap();
    assert_eq!(o["response"]["statusCode"], 302);
    assert_eq!(o["response"]["headers"]["location"]["value"], "/de/shop");

    let us = request_event(
        "/shop",
        json!({"cloudfront-viewer-country": {"value": "US"}}),
        json!({}),
        json!({}),
    );
    let out = run(GEO_REDIRECT, Runtime::Js2, &us);
    assert_eq!(out.output.unwrap()["request"]["uri"], "/shop");
}

const BASIC_AUTH_V1: &str = r#"
var EXPECTED = 'Basic ' + 'YWRtaW46czNjcjN0'; // admin:s3cr3t
function handler(event) {
    var auth = event.request.headers.authorization;
    if (!auth || auth.value !== EXPECTED) {
        var user = auth ? String.bytesFrom(auth.value.split(' ')[1] || '', 'base64').split(':')[0] : '';
        console.log('denied user=' + user);
        return {
            statusCode: 401,
            statusDescription: 'Unauthorized',
            headers: { 'www-authenticate': { value: 'Basic realm="staging"' } }
        };
    }
    return event.request;
}
"#;

#[test]
fn basic_auth_in_runtime_1_refuses_wrong_credentials_and_logs_the_user() {
    let bad = request_event(
        "/",
        json!({"authorization": {"value": "Basic bWFsbG9yeTp4"}}),
        json!({}),
        json!({}),
    );
    let out = run(BASIC_AUTH_V1, Runtime::Js1, &bad);
    assert_eq!(out.output.unwrap()["response"]["statusCode"], 401);
    assert_eq!(out.logs, vec!["denied user=mallory"]);

    let good = request_event(
        "/",
        json!({"authorization": {"value": "Basic YWRtaW46czNjcjN0"}}),
        json!({}),
        json!({}),
    );
    let out = run(BASIC_AUTH_V1, Runtime::Js1, &good);
    assert_eq!(out.error, None);
    assert!(out.output.unwrap().get("request").is_some());
}

const TOKEN_CHECK_V2: &str = r#"
import crypto from 'crypto';
const KEY = 'k3y';
function verify(token) {
    const [payload, sig] = token.split('.');
    const expected = crypto.createHmac('sha256', KEY).update(payload).digest('base64url');
    if (sig !== expected) return null;
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}
function handler(event) {
    const request = event.request;
    const token = request.cookies.token?.value ?? '';
    const claims = token ? verify(token) : null;
    if (!claims) {
        return { statusCode: 403, statusDescription: 'Forbidden' };
    }
    request.headers['x-user'] = { value: claims.sub };
    return request;
}
"#;

fn sign(payload_json: &str) -> String {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = b64.encode(payload_json);
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"k3y").unwrap();
    mac.update(payload.as_bytes());
    let sig = b64.encode(mac.finalize().into_bytes());
    format!("{payload}.{sig}")
}

#[test]
fn hmac_token_in_a_cookie_is_verified_with_base64url() {
    let token = sign(r#"{"sub":"alice"}"#);
    let ok = request_event(
        "/app",
        json!({}),
        json!({"token": {"value": token}}),
        json!({}),
    );
    let out = run(TOKEN_CHECK_V2, Runtime::Js2, &ok);
    assert_eq!(out.error, None);
    assert_eq!(
        out.output.unwrap()["request"]["headers"]["x-user"]["value"],
        "alice"
    );

    let forged = format!("{}x", sign(r#"{"sub":"alice"}"#));
    let bad = request_event(
        "/app",
        json!({}),
        json!({"token": {"value": forged}}),
        json!({}),
    );
    let out = run(TOKEN_CHECK_V2, Runtime::Js2, &bad);
    assert_eq!(out.error, None);
    assert_eq!(out.output.unwrap()["response"]["statusCode"], 403);
}

const NORMALISE: &str = r#"
function handler(event) {
    var request = event.request;
    var lang = request.headers['accept-language'];
    var first = lang ? lang.value.split(',')[0].split('-')[0].toLowerCase() : 'en';
    request.headers['accept-language'] = { value: ['en', 'de', 'fr'].indexOf(first) >= 0 ? first : 'en' };
    var keep = {};
    Object.keys(request.querystring).sort().forEach(function (k) {
        if (k === 'page' || k === 'q') keep[k] = request.querystring[k];
    });
    request.querystring = keep;
    return request;
}
"#;

#[test]
fn header_and_query_normalisation_for_a_better_cache_key_in_both_runtimes() {
    let ev = request_event(
        "/search",
        json!({"accept-language": {"value": "de-AT,de;q=0.9,en;q=0.5"}}),
        json!({}),
        json!({"q": {"value": "boots"}, "utm_campaign": {"value": "x"}, "page": {"value": "2",
               "multiValue": [{"value": "2"}, {"value": "3"}]}}),
    );
    for rt in [Runtime::Js1, Runtime::Js2] {
        let out = run(NORMALISE, rt, &ev);
        assert_eq!(out.error, None, "{rt}");
        let o = out.output.unwrap();
        assert_eq!(o["request"]["headers"]["accept-language"]["value"], "de");
        assert_eq!(
            o["request"]["querystring"],
            json!({"page": {"value": "2", "multiValue": [{"value": "2"}, {"value": "3"}]},
                   "q": {"value": "boots"}})
        );
    }
}

const CANARY_COOKIE: &str = r#"
function handler(event) {
    var response = event.response;
    var request = event.request;
    if (!request.cookies.canary) {
        response.cookies.canary = {
            value: 'false',
            attributes: 'Path=/; Max-Age=86400; Secure',
            multiValue: [{ value: 'false', attributes: 'Path=/; Max-Age=86400; Secure' }]
        };
    }
    response.headers['x-content-type-options'] = { value: 'nosniff' };
    return response;
}
"#;

#[test]
fn viewer_response_sets_a_cookie_only_when_the_viewer_has_none() {
    let mut ev = json!({
        "version": "1.0",
        "context": {"eventType": "viewer-response"},
        "viewer": {"ip": "203.0.113.9"},
        "request": {"method": "GET", "uri": "/", "querystring": {}, "headers": {}, "cookies": {}},
        "response": {"statusCode": 200, "statusDescription": "OK", "headers": {}, "cookies": {}}
    });
    let out = run(CANARY_COOKIE, Runtime::Js1, &ev);
    let o = out.output.unwrap();
    assert_eq!(o["response"]["cookies"]["canary"]["value"], "false");
    assert_eq!(
        o["response"]["headers"]["x-content-type-options"]["value"],
        "nosniff"
    );

    ev["request"]["cookies"] = json!({"canary": {"value": "true"}});
    let out = run(CANARY_COOKIE, Runtime::Js1, &ev);
    assert_eq!(out.output.unwrap()["response"]["cookies"], json!({}));
}
