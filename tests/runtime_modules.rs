//! The runtime's built-in modules and globals: crypto, querystring, byte strings (1.0), Buffer,
//! TextEncoder/TextDecoder, atob/btoa and the `cloudfront` module with key value stores (2.0).

use cloudfront_publish::runtime::{self, Invocation, KeyValueStore, Limits, Outcome};
use cloudfront_publish::types::Runtime;
use serde_json::{Value, json};

fn event() -> Value {
    json!({
        "version": "1.0",
        "context": {"eventType": "viewer-request"},
        "viewer": {"ip": "198.51.100.11"},
        "request": {"method": "GET", "uri": "/index.html", "querystring": {}, "headers": {}, "cookies": {}}
    })
}

fn run(code: &str, rt: Runtime, kvs: Option<&KeyValueStore>) -> Outcome {
    let limits = Limits::default();
    let ev = event();
    runtime::run(Invocation {
        code,
        runtime: rt,
        event: &ev,
        kvs,
        limits: &limits,
    })
}

/// Runs a body that returns a value; the value comes back through the `x-r` header as JSON.
fn eval_in(rt: Runtime, body: &str, kvs: Option<&KeyValueStore>) -> Result<Value, String> {
    let (head, func) = if body.contains("await") {
        ("import cf from 'cloudfront';\n", "async function")
    } else {
        ("", "function")
    };
    let code = format!(
        "{head}{func} handler(event) {{ var r = (function(){{ {body} }})(); \
         event.request.headers['x-r'] = {{ value: JSON.stringify(r) }}; return event.request; }}"
    );
    let code = if body.contains("await") {
        code.replace("(function(){", "(await (async function(){")
            .replace("})();", "})());")
    } else {
        code
    };
    let out = run(&code, rt, kvs);
    match (out.output, out.error) {
        (Some(o), None) => {
            let text = o["request"]["headers"]["x-r"]["value"]
                .as_str()
                .unwrap_or("null")
                .to_owned();
            Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
        }
        (_, Some(e)) => Err(e),
        (None, None) => Err("no output".into()),
    }
}

fn eval2(body: &str) -> Value {
    eval_in(Runtime::Js2, body, None).unwrap_or_else(|e| panic!("{body}: {e}"))
}

fn eval1(body: &str) -> Value {
    eval_in(Runtime::Js1, body, None).unwrap_or_else(|e| panic!("{body}: {e}"))
}

#[test]
fn crypto_hashes_match_known_vectors_in_hex_base64_and_base64url() {
    for rt in [Runtime::Js1, Runtime::Js2] {
        let v = eval_in(
            rt,
            "var c = require('crypto'); return [
                c.createHash('md5').update('abc').digest('hex'),
                c.createHash('sha1').update('abc').digest('hex'),
                c.createHash('sha256').update('a').update('bc').digest('hex'),
                c.createHash('sha256').update('abc').digest('base64'),
                c.createHash('sha256').update('abc').digest('base64url')];",
            None,
        )
        .unwrap();
        assert_eq!(
            v,
            json!([
                "900150983cd24fb0d6963f7d28e17f72",
                "a9993e364706816aba3e25717850c26c9cd0d89d",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
                "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
            ]),
            "{rt}"
        );
    }
}

#[test]
fn crypto_hmac_matches_rfc4231() {
    let v = eval2(
        "return require('crypto').createHmac('sha256', 'Jefe').update('what do ya want for nothing?').digest('hex');",
    );
    assert_eq!(
        v,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn crypto_hashes_utf8_text_as_utf8_bytes() {
    // sha1("é") over its UTF-8 bytes c3 a9.
    let v = eval2("return require('crypto').createHash('sha1').update('\\u00e9').digest('hex');");
    assert_eq!(v, "bf15be717ac1b080b4f1c456692825891ff5073d");
}

#[test]
fn digest_without_encoding_is_a_buffer_in_2_and_a_byte_string_in_1() {
    let v2 = eval2(
        "var d = require('crypto').createHash('md5').update('abc').digest(); return [Buffer.isBuffer(d), d.length, d.toString('hex')];",
    );
    assert_eq!(v2, json!([true, 16, "900150983cd24fb0d6963f7d28e17f72"]));
    let v1 = eval1(
        "var d = require('crypto').createHash('md5').update('abc').digest(); return [typeof d, d.length, d.charCodeAt(0)];",
    );
    assert_eq!(v1, json!(["string", 16, 0x90]));
}

#[test]
fn unsupported_hash_algorithm_throws() {
    let err = eval_in(
        Runtime::Js2,
        "return require('crypto').createHash('sha512');",
        None,
    )
    .unwrap_err();
    assert!(err.contains("sha512"), "{err}");
}

#[test]
fn import_crypto_works_in_runtime_2_modules() {
    let code = "import crypto from 'crypto';\nfunction handler(e) { e.request.headers['x-h'] = {value: crypto.createHash('sha1').update('abc').digest('hex')}; return e.request; }";
    let out = run(code, Runtime::Js2, None);
    assert_eq!(out.error, None);
    assert_eq!(
        out.output.unwrap()["request"]["headers"]["x-h"]["value"],
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
}

#[test]
fn named_imports_from_builtin_modules_work() {
    let code = "import { createHash } from 'crypto';\nimport { parse } from 'querystring';\nfunction handler(e) { e.request.headers['x-h'] = {value: createHash('md5').update(parse('a=b').a).digest('hex')}; return e.request; }";
    let out = run(code, Runtime::Js2, None);
    assert_eq!(out.error, None);
    assert_eq!(
        out.output.unwrap()["request"]["headers"]["x-h"]["value"],
        "92eb5ffee6ae2fec3ad71c777531578f"
    );
}

#[test]
fn importing_an_unknown_module_is_an_error() {
    let out = run(
        "import fs from 'fs';\nfunction handler(e) { return e.request; }",
        Runtime::Js2,
        None,
    );
    let err = out.error.unwrap();
    assert!(err.contains("fs"), "{err}");
}

#[test]
fn querystring_parse_stringify_escape_unescape() {
    for rt in [Runtime::Js1, Runtime::Js2] {
        let v = eval_in(
            rt,
            "var qs = require('querystring');
             var p = qs.parse('a=1&b=x%20y&a=2&c=&d+e=f+g');
             return [p, qs.stringify({x: 'a b', y: ['1', '2'], z: 3, n: null}),
                     qs.escape('a/b c'), qs.unescape('a%2Fb%20c'), qs.parse('k:v;j:w', ';', ':')];",
            None,
        )
        .unwrap();
        assert_eq!(
            v,
            json!([
                {"a": ["1", "2"], "b": "x y", "c": "", "d e": "f g"},
                "x=a%20b&y=1&y=2&z=3&n=",
                "a%2Fb%20c",
                "a/b c",
                {"k": "v", "j": "w"}
            ]),
            "{rt}"
        );
    }
}

#[test]
fn byte_string_helpers_exist_in_runtime_1_only() {
    let v = eval1(
        "return [String.bytesFrom([0x61, 0x62]), String.bytesFrom('6162', 'hex'), String.bytesFrom('YWI=', 'base64'),
                 '\\u00e9'.toUTF8().length, '\\u00c3\\u00a9'.fromUTF8(), '\\u0100'.toBytes(), 'ab'.toBytes(), 'abc'.fromBytes(1)];",
    );
    assert_eq!(v, json!(["ab", "ab", "ab", 2, "é", null, "ab", "bc"]));
    let v2 = eval2("return [typeof String.bytesFrom, typeof ''.toUTF8];");
    assert_eq!(v2, json!(["undefined", "undefined"]));
}

#[test]
fn buffer_round_trips_base64_hex_and_utf8() {
    let v = eval2(
        "return [Buffer.from('héllo').toString('base64'), Buffer.from('aGk=', 'base64').toString(),
                 Buffer.from('6869', 'hex').toString('utf8'), Buffer.from([104, 105]).toString('hex'),
                 Buffer.byteLength('é'), Buffer.concat([Buffer.from('a'), Buffer.from('b')]).toString(),
                 Buffer.from('abc').slice(1).toString(), Buffer.from('x').equals(Buffer.from('x')),
                 Buffer.alloc(3, 'ab').toString(), Buffer.from('aGk', 'base64url').toString()];",
    );
    assert_eq!(
        v,
        json!([
            "aMOpbGxv", "hi", "hi", "6869", 2, "ab", "bc", true, "aba", "hi"
        ])
    );
}

#[test]
fn buffer_does_not_exist_in_runtime_1() {
    assert_eq!(eval1("return typeof Buffer;"), "undefined");
}

#[test]
fn text_encoder_decoder_and_atob_btoa() {
    let v = eval2(
        "var e = new TextEncoder().encode('é€'); return [Array.from(e), new TextDecoder().decode(e),
                 btoa('hi'), atob('aGk='), new TextDecoder().decode(new Uint8Array([0xff]))];",
    );
    assert_eq!(
        v,
        json!([
            [0xc3, 0xa9, 0xe2, 0x82, 0xac],
            "é€",
            "aGk=",
            "hi",
            "\u{fffd}"
        ])
    );
    let err = eval_in(Runtime::Js2, "return btoa('\\u0100');", None).unwrap_err();
    assert!(err.contains("InvalidCharacterError"), "{err}");
}

fn store() -> KeyValueStore {
    let mut m = KeyValueStore::new();
    m.insert("redirect:/old".into(), "/new".into());
    m.insert("config".into(), r#"{"flag":true,"n":3}"#.into());
    m
}

#[test]
fn kvs_get_returns_string_json_and_bytes_formats() {
    let kvs = store();
    let v = eval_in(
        Runtime::Js2,
        "const kv = cf.kvs(); return [await kv.get('redirect:/old'), await kv.get('config', {format: 'json'}),
         (await kv.get('redirect:/old', {format: 'bytes'})).length, await kv.exists('config'),
         await kv.exists('nope'), (await kv.meta()).keyCount];",
        Some(&kvs),
    )
    .unwrap();
    assert_eq!(
        v,
        json!(["/new", {"flag": true, "n": 3}, 4, true, false, 2])
    );
}

#[test]
fn kvs_get_of_a_missing_key_rejects_and_can_be_caught() {
    let kvs = store();
    let caught = eval_in(
        Runtime::Js2,
        "try { await cf.kvs().get('missing'); return 'found'; } catch (e) { return e.message; }",
        Some(&kvs),
    )
    .unwrap();
    assert!(caught.as_str().unwrap().contains("missing"), "{caught}");

    let code = "import cf from 'cloudfront';\nconst kv = cf.kvs();\nasync function handler(e) { const v = await kv.get('missing'); e.request.uri = v; return e.request; }";
    let out = run(code, Runtime::Js2, Some(&kvs));
    assert!(out.error.unwrap().contains("not found"));
}

#[test]
fn kvs_without_an_associated_store_throws() {
    let err = eval_in(Runtime::Js2, "return await cf.kvs().exists('a');", None).unwrap_err();
    assert!(err.contains("no key value store"), "{err}");
}

#[test]
fn kvs_driven_redirect_function() {
    let kvs = store();
    let code = r#"import cf from 'cloudfront';
const kvs = cf.kvs();
async function handler(event) {
    const req = event.request;
    try {
        const target = await kvs.get('redirect:' + req.uri);
        return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: target } } };
    } catch (e) {
        return req;
    }
}"#;
    let out = run(code, Runtime::Js2, Some(&kvs));
    assert_eq!(out.error, None);
    // "/index.html" has no entry: the request passes through.
    assert_eq!(out.output.unwrap()["request"]["uri"], "/index.html");
}

#[test]
fn origin_helpers_accept_valid_calls_and_leave_the_output_alone() {
    let code = r#"import cf from 'cloudfront';
function handler(event) {
    cf.updateRequestOrigin({ domainName: 'origin.example.com', timeouts: { readTimeout: 10 } });
    cf.selectRequestOriginById('my-origin');
    cf.createRequestOriginGroup({ originIds: ['a', 'b'], failoverCriteria: { statusCodes: [500] } });
    return event.request;
}"#;
    let out = run(code, Runtime::Js2, None);
    assert_eq!(out.error, None);
    assert_eq!(out.output.unwrap()["request"]["uri"], "/index.html");
}

#[test]
fn origin_helpers_reject_bad_arguments() {
    let code = "import cf from 'cloudfront';\nfunction handler(e) { cf.selectRequestOriginById(42); return e.request; }";
    let out = run(code, Runtime::Js2, None);
    assert!(out.error.unwrap().starts_with("TypeError"));
}

#[test]
fn require_of_an_unknown_module_throws() {
    let err = eval_in(Runtime::Js1, "return require('fs');", None).unwrap_err();
    assert!(err.contains("Cannot find module"), "{err}");
}
