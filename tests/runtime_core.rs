//! The embedded runtime as a library: handler calls, output shape, logs, errors and both runtimes.

use cloudfront_publish::runtime::{self, Invocation, KeyValueStore, Limits, Outcome};
use cloudfront_publish::types::Runtime;
use serde_json::{Value, json};

fn viewer_request(uri: &str) -> Value {
    json!({
        "version": "1.0",
        "context": {"eventType": "viewer-request", "distributionDomainName": "d111111abcdef8.cloudfront.net"},
        "viewer": {"ip": "198.51.100.11"},
        "request": {
            "method": "GET",
            "uri": uri,
            "querystring": {"utm": {"value": "x"}},
            "headers": {"host": {"value": "example.com"}, "accept": {"value": "text/html"}},
            "cookies": {"session": {"value": "abc"}}
        }
    })
}

fn run_with(code: &str, rt: Runtime, event: &Value, kvs: Option<&KeyValueStore>) -> Outcome {
    let limits = Limits::default();
    runtime::run(Invocation {
        code,
        runtime: rt,
        event,
        kvs,
        limits: &limits,
    })
}

fn run2(code: &str, event: &Value) -> Outcome {
    run_with(code, Runtime::Js2, event, None)
}

fn run1(code: &str, event: &Value) -> Outcome {
    run_with(code, Runtime::Js1, event, None)
}

#[test]
fn returning_the_request_gives_request_output_with_standard_fields() {
    let out = run2(
        "function handler(event) { return event.request; }",
        &viewer_request("/a"),
    );
    assert_eq!(out.error, None);
    let o = out.output.unwrap();
    assert_eq!(o["request"]["uri"], "/a");
    assert_eq!(o["request"]["method"], "GET");
    assert_eq!(o["request"]["headers"]["host"]["value"], "example.com");
    assert_eq!(o["request"]["cookies"]["session"]["value"], "abc");
    assert_eq!(o["request"]["querystring"]["utm"]["value"], "x");
}

#[test]
fn both_runtimes_run_a_plain_es5_redirect() {
    let code = r#"
        function handler(event) {
            var host = event.request.headers.host.value;
            if (host.indexOf('www.') !== 0) {
                return {
                    statusCode: 301,
                    statusDescription: 'Moved Permanently',
                    headers: { location: { value: 'https://www.' + host + event.request.uri } }
                };
            }
            return event.request;
        }
    "#;
    for rt in [Runtime::Js1, Runtime::Js2] {
        let out = run_with(code, rt, &viewer_request("/docs"), None);
        assert_eq!(out.error, None, "{rt}");
        let o = out.output.unwrap();
        assert_eq!(o["response"]["statusCode"], 301);
        assert_eq!(
            o["response"]["headers"]["location"]["value"],
            "https://www.example.com/docs"
        );
        assert_eq!(o["response"]["cookies"], json!({}));
    }
}

#[test]
fn console_log_lines_are_collected_in_order() {
    let out = run2(
        "function handler(e) { console.log('uri', e.request.uri); console.log({a: 1}); console.log(42, true); return e.request; }",
        &viewer_request("/x"),
    );
    assert_eq!(out.logs, vec!["uri /x", "{\"a\":1}", "42 true"]);
}

#[test]
fn logs_before_a_throw_are_kept_and_the_error_is_reported() {
    let out = run2(
        "function handler(e) { console.log('before'); throw new Error('boom'); }",
        &viewer_request("/"),
    );
    assert_eq!(out.output, None);
    assert_eq!(out.logs, vec!["before"]);
    assert_eq!(out.error.as_deref(), Some("Error: boom"));
}

#[test]
fn type_errors_from_the_engine_are_reported_with_their_name() {
    let out = run2(
        "function handler(e) { return e.request.nothing.value; }",
        &viewer_request("/"),
    );
    let err = out.error.unwrap();
    assert!(err.starts_with("TypeError: "), "{err}");
}

#[test]
fn throwing_a_string_is_reported() {
    let out = run2(
        "function handler(e) { throw 'plain'; }",
        &viewer_request("/"),
    );
    assert_eq!(out.error.as_deref(), Some("Uncaught plain"));
}

#[test]
fn missing_handler_is_an_error() {
    let out = run2(
        "function notHandler(e) { return e.request; }",
        &viewer_request("/"),
    );
    assert!(out.error.unwrap().contains("handler is not defined"));
}

#[test]
fn returning_undefined_is_an_error() {
    let out = run2("function handler(e) { }", &viewer_request("/"));
    assert!(out.error.unwrap().contains("returned undefined"));
}

#[test]
fn syntax_errors_are_reported_as_syntax_errors() {
    let out = run2(
        "function handler(e) { return e.request; ",
        &viewer_request("/"),
    );
    assert!(out.error.unwrap().starts_with("SyntaxError"));
}

#[test]
fn runtime_1_syntax_errors_come_from_the_engine_when_the_scan_cannot_follow() {
    let out = run1(
        "function handler(e) { var s = 'open; return e.request; }",
        &viewer_request("/"),
    );
    assert!(out.error.unwrap().starts_with("SyntaxError"));
}

#[test]
fn functions_run_in_strict_mode() {
    let out = run2(
        "function handler(e) { undeclared = 1; return e.request; }",
        &viewer_request("/"),
    );
    assert!(out.error.unwrap().starts_with("ReferenceError"));
}

#[test]
fn event_without_event_type_is_rejected() {
    let ev = json!({"request": {"uri": "/"}});
    let out = run2("function handler(e) { return e.request; }", &ev);
    assert!(out.error.unwrap().contains("context.eventType"));
}

#[test]
fn viewer_response_output_is_a_response_with_added_headers() {
    let ev = json!({
        "version": "1.0",
        "context": {"eventType": "viewer-response"},
        "viewer": {"ip": "1.2.3.4"},
        "request": {"method": "GET", "uri": "/", "querystring": {}, "headers": {}, "cookies": {}},
        "response": {"statusCode": 200, "statusDescription": "OK", "headers": {"content-type": {"value": "text/html"}}, "cookies": {}}
    });
    let code = r#"
        function handler(event) {
            var r = event.response;
            r.headers['strict-transport-security'] = { value: 'max-age=63072000' };
            r.cookies['seen'] = { value: '1', attributes: 'Secure; Path=/' };
            return r;
        }
    "#;
    let out = run1(code, &ev);
    assert_eq!(out.error, None);
    let o = out.output.unwrap();
    assert_eq!(o["response"]["statusCode"], 200);
    assert_eq!(
        o["response"]["headers"]["strict-transport-security"]["value"],
        "max-age=63072000"
    );
    assert_eq!(
        o["response"]["cookies"]["seen"],
        json!({"value": "1", "attributes": "Secure; Path=/"})
    );
}

#[test]
fn runtime_1_rejects_let_const_class_async_at_compile_time() {
    for src in [
        "function handler(e) { let x = 1; return e.request; }",
        "const y = 2; function handler(e) { return e.request; }",
        "class A {} function handler(e) { return e.request; }",
        "async function handler(e) { return e.request; }",
        "import cf from 'cloudfront'; function handler(e) { return e.request; }",
    ] {
        let out = run1(src, &viewer_request("/"));
        let err = out.error.unwrap_or_default();
        assert!(err.starts_with("SyntaxError"), "{src}: {err}");
        assert_eq!(out.output, None);
    }
}

#[test]
fn runtime_1_accepts_arrow_functions_templates_and_exponent() {
    let code = "function handler(e) { var f = (x) => x ** 2; e.request.headers['x-n'] = {value: `${f(3)}`}; return e.request; }";
    let out = run1(code, &viewer_request("/"));
    assert_eq!(out.error, None);
    assert_eq!(
        out.output.unwrap()["request"]["headers"]["x-n"]["value"],
        "9"
    );
}

#[test]
fn runtime_2_accepts_es2020_syntax() {
    let code = r#"
        const suffix = '.html';
        function handler(event) {
            const { request } = event;
            let { uri } = request;
            const parts = [...uri.split('/')];
            const last = parts.at(-1) ?? '';
            request.uri = last.includes('.') ? uri : `${uri}${suffix}`;
            request.headers['x-opt'] = { value: String(request.headers?.missing?.value ?? 'none') };
            return request;
        }
    "#;
    let out = run2(code, &viewer_request("/about"));
    assert_eq!(out.error, None);
    let o = out.output.unwrap();
    assert_eq!(o["request"]["uri"], "/about.html");
    assert_eq!(o["request"]["headers"]["x-opt"]["value"], "none");
}

#[test]
fn runtime_2_async_handler_is_awaited() {
    let code =
        "async function handler(e) { await null; e.request.uri = '/async'; return e.request; }";
    let out = run2(code, &viewer_request("/"));
    assert_eq!(out.error, None);
    assert_eq!(out.output.unwrap()["request"]["uri"], "/async");
}

#[test]
fn runtime_2_rejected_promise_is_an_error() {
    let code = "async function handler(e) { await null; throw new TypeError('late'); }";
    let out = run2(code, &viewer_request("/"));
    assert_eq!(out.error.as_deref(), Some("TypeError: late"));
}

#[test]
fn a_promise_that_never_settles_is_an_error_not_a_hang() {
    let code = "function handler(e) { return new Promise(function () {}); }";
    let out = run2(code, &viewer_request("/"));
    assert!(out.error.unwrap().contains("never settled"));
}

#[test]
fn eval_and_function_constructor_are_unavailable() {
    for (code, needle) in [
        (
            "function handler(e) { eval('1'); return e.request; }",
            "eval",
        ),
        (
            "function handler(e) { new Function('return 1')(); return e.request; }",
            "Function constructor",
        ),
        (
            "function handler(e) { (function(){}).constructor('return 1'); return e.request; }",
            "Function constructor",
        ),
    ] {
        for rt in [Runtime::Js1, Runtime::Js2] {
            let out = run_with(code, rt, &viewer_request("/"), None);
            let err = out.error.unwrap_or_default();
            assert!(err.contains(needle), "{rt} {code}: {err}");
        }
    }
}

#[test]
fn function_instanceof_still_works_after_the_constructor_is_removed() {
    let code = "function handler(e) { e.request.headers['x-f'] = {value: String(handler instanceof Function)}; return e.request; }";
    let out = run2(code, &viewer_request("/"));
    assert_eq!(
        out.output.unwrap()["request"]["headers"]["x-f"]["value"],
        "true"
    );
}

#[test]
fn timers_do_not_exist() {
    let out = run2(
        "function handler(e) { setTimeout(function(){}, 1); return e.request; }",
        &viewer_request("/"),
    );
    let err = out.error.unwrap();
    assert!(
        err.starts_with("ReferenceError") && err.contains("setTimeout"),
        "{err}"
    );
}

#[test]
fn invalid_header_in_output_is_an_error_naming_it() {
    let out = run2(
        "function handler(e) { e.request.headers['x-bad'] = 'nope'; return e.request; }",
        &viewer_request("/"),
    );
    assert!(out.error.unwrap().contains("request.headers.x-bad"));
}

#[test]
fn compute_utilization_is_within_0_to_100_and_elapsed_is_measured() {
    let out = run2(
        "function handler(e) { return e.request; }",
        &viewer_request("/"),
    );
    assert!(out.compute_utilization <= 100);
    assert!(out.elapsed > std::time::Duration::ZERO);
}

#[test]
fn runtime_is_callable_from_another_thread() {
    let handle = std::thread::spawn(|| {
        run2(
            "function handler(e) { return e.request; }",
            &viewer_request("/t"),
        )
    });
    let out = handle.join().unwrap();
    assert_eq!(out.output.unwrap()["request"]["uri"], "/t");
}

#[test]
fn es_module_source_with_export_finds_the_handler() {
    let code = "export function handler(e) { e.request.uri = '/m'; return e.request; }";
    let out = run2(code, &viewer_request("/"));
    assert_eq!(out.error, None);
    assert_eq!(out.output.unwrap()["request"]["uri"], "/m");
}
