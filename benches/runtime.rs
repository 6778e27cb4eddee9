//! Microseconds per invocation of typical functions in both runtimes, as `test` and the
//! emulator's TestFunction call the embedded runtime, measured side by side in one run:
//! "unpooled" is the approach before runtimes were reused (a new engine per call, the source
//! parsed every time, the whole environment built up front), "pooled" is `runtime::run`.
//! Run with `cargo bench --bench runtime [-- ITERATIONS [FILTER]]`; prints medians, one line per
//! case (only the cases whose label contains FILTER, when given).

use std::hint::black_box;
use std::time::{Duration, Instant};

use cloudfront_publish::runtime::{self, Invocation, KeyValueStore, Limits, Outcome};
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

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Median wall time per call and median handler time, over `iterations` calls.
fn measure(
    f: fn(Invocation<'_>) -> Outcome,
    inv: Invocation<'_>,
    iterations: usize,
) -> (Duration, Duration) {
    let mut calls = Vec::with_capacity(iterations);
    let mut handlers = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        let out = f(black_box(inv));
        calls.push(started.elapsed());
        handlers.push(out.elapsed);
        black_box(out);
    }
    (median(calls), median(handlers))
}

fn bench(label: &str, code: &str, rt: Runtime, kvs: Option<&KeyValueStore>, iterations: usize) {
    if std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-') && a.parse::<usize>().is_err())
        .any(|filter| !label.contains(&filter))
    {
        return;
    }
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
    // Warm up, and make sure both ways really run the case, with the same result.
    let pooled = runtime::run(inv);
    let unpooled = runtime::run_unpooled(inv);
    assert!(pooled.error.is_none(), "{label}: {:?}", pooled.error);
    assert_eq!(pooled.output, unpooled.output, "{label}");
    // Interleaved rounds, so a noisy neighbour slows both alike.
    let mut old = Vec::new();
    let mut new = Vec::new();
    for _ in 0..5 {
        old.push(measure(runtime::run_unpooled, inv, iterations / 5));
        new.push(measure(runtime::run, inv, iterations / 5));
    }
    let (old_call, old_handler) = (
        median(old.iter().map(|m| m.0).collect()),
        median(old.iter().map(|m| m.1).collect()),
    );
    let (new_call, new_handler) = (
        median(new.iter().map(|m| m.0).collect()),
        median(new.iter().map(|m| m.1).collect()),
    );
    println!(
        "{label:<36} unpooled {:>6.1} µs, pooled {:>6.1} µs ({:.1}x faster); handler alone {:>5.1} / {:>5.1} µs",
        micros(old_call),
        micros(new_call),
        old_call.as_secs_f64() / new_call.as_secs_f64().max(1e-9),
        micros(old_handler),
        micros(new_handler),
    );
}

/// Published examples with the ComputeUtilization the service reported for them in the
/// aws-samples READMEs (older revisions of the same code, same events).
const PUBLISHED: &[(&str, &str, &str, u32)] = &[
    (
        "add-cache-control-header",
        "index.js",
        "test-event.json",
        20,
    ),
    (
        "add-cors-header",
        "index.js",
        "test-objects/no-cors-header.json",
        16,
    ),
    (
        "add-origin-header",
        "index.js",
        "test-objects/no-origin-header.json",
        15,
    ),
    ("add-security-headers", "index.js", "test-event.json", 15),
    (
        "add-true-client-ip-header",
        "index.js",
        "test-event.json",
        10,
    ),
    (
        "redirect-based-on-country",
        "index.js",
        "test-objects/country-de.json",
        13,
    ),
    (
        "url-rewrite-single-page-apps",
        "index.js",
        "test-objects/file-name-no-extension.json",
        14,
    ),
];

/// Median compute utilization of each published example next to the service's number.
fn utilization_of_published_examples() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/examples/aws-samples"
    );
    let limits = Limits::default();
    println!(
        "compute utilization, published examples: this runtime (median of 200) / the service (aws-samples README)"
    );
    for (name, code, event, service) in PUBLISHED {
        let read = |f: &str| std::fs::read_to_string(format!("{dir}/{name}/{f}"));
        let (Ok(code), Ok(event)) = (read(code), read(event)) else {
            println!("{name:<36} fixture missing");
            continue;
        };
        let Ok(event) = serde_json::from_str::<serde_json::Value>(&event) else {
            println!("{name:<36} event is not JSON");
            continue;
        };
        let inv = Invocation {
            code: &code,
            runtime: Runtime::Js2,
            event: &event,
            kvs: None,
            limits: &limits,
        };
        let mut values: Vec<u32> = (0..200)
            .map(|_| runtime::run(inv).compute_utilization)
            .collect();
        values.sort_unstable();
        println!("{name:<36} {:>3} / {service:>3}", values[values.len() / 2]);
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a number is the only positional argument we take.
    let iterations = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(1000)
        .max(5);
    let example = include_str!("../examples/function.js");
    let mut kvs = KeyValueStore::new();
    kvs.insert("/old".into(), "/new".into());
    println!("embedded runtime: median µs per invocation, {iterations} calls per way and case");
    bench(
        "cloudfront-js-1.0 redirect/rewrite",
        V1,
        Runtime::Js1,
        None,
        iterations,
    );
    bench(
        "cloudfront-js-2.0 redirect/rewrite",
        V1,
        Runtime::Js2,
        None,
        iterations,
    );
    bench(
        "cloudfront-js-2.0 bundled example",
        example,
        Runtime::Js2,
        None,
        iterations,
    );
    bench(
        "cloudfront-js-2.0 module + KVS get",
        V2_KVS,
        Runtime::Js2,
        Some(&kvs),
        iterations,
    );
    utilization_of_published_examples();
}
