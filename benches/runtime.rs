//! Microseconds per invocation of a typical viewer-request function in both runtimes, for the
//! embedded runtime as `test` and the emulator's TestFunction call it (fresh engine per call).
//! Run with `cargo bench --bench runtime`; prints one line per case.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cloudfront_publish::runtime::{self, Invocation, KeyValueStore, Limits};
use cloudfront_publish::types::Runtime;
use serde_json::json;

const V1: &str = r#"
function handler(event) {
    var request = event.request;
    var host = request.headers.host ? request.headers.host.value : '';
    if (host.indexOf('www.') !== 0) {
        return { statusCode: 301, statusDescription: 'Moved Permanently',
                 headers: { location: { value: 'https://www.' + host + request.uri } } };
    }
    if (request.uri.charAt(request.uri.length - 1) === '/') {
        request.uri += 'index.html';
    } else if (request.uri.split('/').pop().indexOf('.') === -1) {
        request.uri += '/index.html';
    }
    request.headers['x-viewer-country'] = { value: 'US' };
    return request;
}
"#;

// The same KVS redirect the runtime tests use.
const V2_KVS: &str = include_str!("../tests/fixtures/runtime/kvs-redirect.js");

fn bench(label: &str, code: &str, rt: Runtime, kvs: Option<&KeyValueStore>) {
    let event = json!({
        "version": "1.0",
        "context": {"eventType": "viewer-request"},
        "viewer": {"ip": "198.51.100.11"},
        "request": {"method": "GET", "uri": "/docs/", "querystring": {"utm_source": {"value": "x"}},
                    "headers": {"host": {"value": "www.example.com"}, "accept": {"value": "text/html"}},
                    "cookies": {"session": {"value": "abc"}}}
    });
    let limits = Limits::default();
    let inv = Invocation {
        code,
        runtime: rt,
        event: &event,
        kvs,
        limits: &limits,
    };
    // Warm up, and make sure the case really runs without error.
    let first = runtime::run(inv);
    assert!(first.error.is_none(), "{label}: {:?}", first.error);
    let iterations = 300;
    let mut handler_total = Duration::ZERO;
    let started = Instant::now();
    for _ in 0..iterations {
        let out = runtime::run(black_box(inv));
        handler_total += out.elapsed;
        black_box(out);
    }
    let per_call = started.elapsed() / iterations;
    let per_handler = handler_total / iterations;
    println!(
        "{label:<34} {:>8.1} µs/invocation (handler alone {:>6.1} µs)",
        per_call.as_secs_f64() * 1e6,
        per_handler.as_secs_f64() * 1e6
    );
}

fn main() {
    let example = include_str!("../examples/function.js");
    let mut kvs = KeyValueStore::new();
    kvs.insert("/old".into(), "/new".into());
    bench("cloudfront-js-1.0 redirect/rewrite", V1, Runtime::Js1, None);
    bench("cloudfront-js-2.0 redirect/rewrite", V1, Runtime::Js2, None);
    bench(
        "cloudfront-js-2.0 bundled example",
        example,
        Runtime::Js2,
        None,
    );
    bench(
        "cloudfront-js-2.0 module + KVS get",
        V2_KVS,
        Runtime::Js2,
        Some(&kvs),
    );
}
