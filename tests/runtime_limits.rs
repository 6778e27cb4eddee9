//! The runtime's limits: code size, the time budget (interrupt handler), memory and stack depth.
//! No timed assertions: each test checks which error a runaway function ends with.

use std::time::Duration;

use cloudfront_publish::runtime::{self, Invocation, Limits, Outcome};
use cloudfront_publish::types::Runtime;
use serde_json::{Value, json};

fn event() -> Value {
    json!({"version": "1.0", "context": {"eventType": "viewer-request"},
           "request": {"method": "GET", "uri": "/", "querystring": {}, "headers": {}, "cookies": {}}})
}

fn run(code: &str, rt: Runtime, limits: &Limits) -> Outcome {
    let ev = event();
    runtime::run(Invocation {
        code,
        runtime: rt,
        event: &ev,
        kvs: None,
        limits,
    })
}

fn small_budget() -> Limits {
    Limits {
        time_budget: Duration::from_millis(100),
        ..Limits::default()
    }
}

#[test]
fn infinite_loop_ends_with_a_timeout_error_and_full_utilization() {
    for rt in [Runtime::Js1, Runtime::Js2] {
        let out = run(
            "function handler(e) { while (true) {} }",
            rt,
            &small_budget(),
        );
        let err = out.error.unwrap_or_default();
        assert!(err.contains("maximum allowed compute time"), "{rt}: {err}");
        assert_eq!(out.compute_utilization, 100);
        assert_eq!(out.output, None);
    }
}

#[test]
fn the_timeout_cannot_be_caught_by_the_function() {
    let code = "function handler(e) { try { for (;;) {} } catch (x) { return e.request; } }";
    let out = run(code, Runtime::Js2, &small_budget());
    assert!(out.error.unwrap().contains("compute time"));
}

#[test]
fn an_infinite_loop_at_top_level_is_stopped_too() {
    let out = run(
        "for (;;) {}\nfunction handler(e) { return e.request; }",
        Runtime::Js2,
        &small_budget(),
    );
    assert!(out.error.unwrap().contains("compute time"));
}

#[test]
fn an_endless_async_loop_is_stopped() {
    let code = "async function handler(e) { for (;;) { await null; } }";
    let out = run(code, Runtime::Js2, &small_budget());
    assert!(out.error.unwrap().contains("compute time"));
}

#[test]
fn a_memory_bomb_ends_with_a_memory_error() {
    let limits = Limits {
        memory_bytes: 8 * 1024 * 1024,
        ..Limits::default()
    };
    let code =
        "function handler(e) { var a = []; for (;;) { a.push(new Array(10000).fill('x')); } }";
    let out = run(code, Runtime::Js2, &limits);
    let err = out.error.unwrap_or_default();
    assert!(err.contains("out of memory"), "{err}");
    assert_eq!(out.output, None);
}

#[test]
fn an_object_allocation_bomb_ends_with_a_memory_error() {
    let code = "function handler(e) { var a = []; for (;;) { a.push({x: new Array(1000)}); } }";
    let out = run(code, Runtime::Js2, &Limits::default());
    let err = out.error.unwrap_or_default();
    assert!(err.contains("out of memory"), "{err}");
}

#[test]
fn a_string_doubling_bomb_ends_with_an_engine_limit_error() {
    let code = "function handler(e) { var s = 'x'; for (;;) { s = s + s; } }";
    let out = run(code, Runtime::Js1, &Limits::default());
    let err = out.error.unwrap_or_default();
    assert!(
        err.contains("out of memory") || err.contains("string too long"),
        "{err}"
    );
    assert_eq!(out.output, None);
}

#[test]
fn deep_recursion_ends_with_an_error_not_a_crash() {
    let code =
        "function f(n) { return f(n + 1) + 1; }\nfunction handler(e) { f(0); return e.request; }";
    let out = run(code, Runtime::Js2, &Limits::default());
    let err = out.error.unwrap_or_default();
    assert!(err.contains("stack"), "{err}");
}

#[test]
fn code_over_the_size_limit_is_rejected_before_compiling() {
    let limits = Limits {
        max_code_bytes: 100,
        ..Limits::default()
    };
    // Would be a syntax error if it were compiled: the size check comes first.
    let code = format!(
        "function handler(e) {{ return e.request; }} /*{}*/ (",
        "x".repeat(200)
    );
    let out = run(&code, Runtime::Js2, &limits);
    let err = out.error.unwrap();
    assert!(err.starts_with("FunctionSizeLimitExceeded"), "{err}");
    assert!(err.contains("100"), "{err}");
}

#[test]
fn code_exactly_at_the_size_limit_runs() {
    let base = "function handler(e) { return e.request; }";
    let limits = Limits {
        max_code_bytes: base.len(),
        ..Limits::default()
    };
    let out = run(base, Runtime::Js2, &limits);
    assert_eq!(out.error, None);
}

#[test]
fn logs_are_truncated_at_10_kb() {
    let code = "function handler(e) { for (var i = 0; i < 100; i++) console.log(new Array(200).join('y')); return e.request; }";
    let out = run(code, Runtime::Js2, &Limits::default());
    let total: usize = out.logs.iter().map(String::len).sum();
    assert!(total <= 10 * 1024 + 64, "{total}");
    assert!(out.logs.last().unwrap().contains("truncated"));
    assert_eq!(out.error, None);
}

#[test]
fn runs_after_a_timeout_are_unaffected() {
    let out = run(
        "function handler(e) { for (;;) {} }",
        Runtime::Js2,
        &small_budget(),
    );
    assert!(out.error.unwrap().contains("compute time"));
    // Order, not time: every later run, with the default budget, completes.
    for _ in 0..20 {
        let out = run(
            "function handler(e) { return e.request; }",
            Runtime::Js2,
            &Limits::default(),
        );
        assert_eq!(out.error, None);
    }
}
