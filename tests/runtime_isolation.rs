//! Nothing of one invocation is visible to the next, although a thread reuses its engine: globals,
//! prototypes, console output, key value store contents and memory limits, including after a
//! function that ran out of time or memory. Each test runs its invocations in order on one thread,
//! the way the emulator's workers and `test` do.

use std::time::Duration;

use cloudfront_publish::runtime::{self, Invocation, KeyValueStore, Limits, Outcome};
use cloudfront_publish::types::Runtime;
use serde_json::{Value, json};

fn event() -> Value {
    json!({"version": "1.0", "context": {"eventType": "viewer-request"},
           "request": {"method": "GET", "uri": "/", "querystring": {}, "headers": {}, "cookies": {}}})
}

fn run_limits(code: &str, rt: Runtime, kvs: Option<&KeyValueStore>, limits: &Limits) -> Outcome {
    let ev = event();
    runtime::run(Invocation {
        code,
        runtime: rt,
        event: &ev,
        kvs,
        limits,
    })
}

fn run(code: &str, rt: Runtime) -> Outcome {
    run_limits(code, rt, None, &Limits::default())
}

/// A function that reports what it sees in the `x-seen` header.
fn seen(out: &Outcome) -> String {
    assert_eq!(out.error, None);
    out.output.as_ref().unwrap()["request"]["headers"]["x-seen"]["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

const POLLUTE: &str = r#"
var leakedVar = 'var';
globalThis.leaked = 'global';
Array.prototype.leakedMethod = function () { return 'proto'; };
Object.prototype.leakedProp = 'object';
String.prototype.trim = function () { return 'patched'; };
JSON.stringify = function () { return 'patched'; };
Math.max = function () { return -1; };
console.log('from the polluter');
function handler(event) { console.log('polluter handler'); return event.request; }
"#;

const INSPECT: &str = r#"
function handler(event) {
    var seen = [typeof leakedVar, typeof globalThis.leaked, typeof [].leakedMethod,
                typeof ({}).leakedProp, ' x '.trim(), Math.max(1, 2)].join(',');
    event.request.headers['x-seen'] = { value: seen };
    return event.request;
}
"#;

const CLEAN: &str = "undefined,undefined,undefined,undefined,x,2";

#[test]
fn globals_prototypes_and_built_ins_do_not_leak() {
    for rt in [Runtime::Js1, Runtime::Js2] {
        assert_eq!(seen(&run(INSPECT, rt)), CLEAN, "{rt} before");
        let out = run(POLLUTE, rt);
        assert_eq!(out.error, None);
        let out = run(INSPECT, rt);
        assert_eq!(seen(&out), CLEAN, "{rt} after");
        assert!(out.logs.is_empty(), "{rt}: {:?}", out.logs);
    }
}

#[test]
fn functions_see_no_built_ins_that_cloudfront_functions_lacks() {
    // QuickJS's own `performance` and `DOMException` are not in CloudFront Functions: a function
    // using them must fail here as it would in the service, not pass locally.
    let code = "function handler(e) { e.request.headers['x-seen'] = { value:
                [typeof performance, typeof DOMException, typeof JSON, typeof Promise].join(',') };
                return e.request; }";
    for rt in [Runtime::Js1, Runtime::Js2] {
        assert_eq!(
            seen(&run(code, rt)),
            "undefined,undefined,object,function",
            "{rt}"
        );
    }
}

#[test]
fn a_function_replacing_json_still_gets_its_output_and_logs_written() {
    let code = "JSON.stringify = function () { return 'patched'; };
                JSON.parse = function () { return null; };
                function handler(e) { console.log({ a: 1 }); e.request.headers['x-seen'] = { value: 'ok' }; return e.request; }";
    let out = run(code, Runtime::Js2);
    assert_eq!(seen(&out), "ok");
    assert_eq!(out.logs, vec![r#"{"a":1}"#]);
}

#[test]
fn the_library_is_rebuilt_for_each_invocation() {
    let patch = "Buffer.prototype.toString = function () { return 'patched'; };\n\
                 require('crypto').createHash = function () { return null; };\n\
                 function handler(e) { return e.request; }";
    let check = "function handler(e) {\n\
                 var s = [Buffer.from('hi').toString('hex'), require('crypto').createHash('md5').update('a').digest('hex')].join(',');\n\
                 e.request.headers['x-seen'] = { value: s }; return e.request; }";
    assert_eq!(run(patch, Runtime::Js2).error, None);
    assert_eq!(
        seen(&run(check, Runtime::Js2)),
        "6869,0cc175b9c0f1b6a831c399e269772661"
    );
}

#[test]
fn the_same_code_starts_from_scratch_every_time() {
    // The second run uses the cached bytecode; its top level still runs in a new context.
    let code = "globalThis.count = (globalThis.count || 0) + 1;\n\
                function handler(e) { e.request.headers['x-seen'] = { value: String(count) }; return e.request; }";
    for rt in [Runtime::Js1, Runtime::Js2] {
        for _ in 0..3 {
            assert_eq!(seen(&run(code, rt)), "1", "{rt}");
        }
    }
}

#[test]
fn code_compiled_for_2_0_still_meets_the_1_0_rules() {
    // The thread caches what it compiled; a hit must not skip the 1.0 syntax rules for code
    // that was first compiled (and passed) under 2.0.
    let code = "function handler(e) { let uri = e.request.uri; return e.request; }";
    for _ in 0..2 {
        assert_eq!(run(code, Runtime::Js2).error, None);
    }
    let out = run(code, Runtime::Js1);
    let err = out.error.unwrap_or_default();
    assert!(
        err.starts_with("SyntaxError") && err.contains("let"),
        "{err}"
    );
}

#[test]
fn console_output_belongs_to_its_invocation() {
    // Work still queued when the handler returns (a promise chain that logs) must not run later.
    let busy = "function handler(e) {\n\
                (async function () { for (var i = 0; i < 1000; i++) { await null; console.log('late ' + i); } })();\n\
                console.log('own'); return e.request; }";
    let out = run(busy, Runtime::Js2);
    assert_eq!(out.logs, vec!["own"]);
    let out = run(
        "function handler(e) { console.log('next'); return e.request; }",
        Runtime::Js2,
    );
    assert_eq!(out.logs, vec!["next"]);
}

#[test]
fn key_value_store_contents_belong_to_their_invocation() {
    let code = "import cf from 'cloudfront';\n\
                async function handler(e) {\n\
                  const kvs = cf.kvs();\n\
                  const s = [await kvs.exists('a'), await kvs.exists('b'), (await kvs.meta()).keyCount].join(',');\n\
                  e.request.headers['x-seen'] = { value: s }; return e.request; }";
    let limits = Limits::default();
    let one: KeyValueStore = [("a".to_owned(), "1".to_owned())].into();
    let two: KeyValueStore = [
        ("b".to_owned(), "2".to_owned()),
        ("c".to_owned(), "3".to_owned()),
    ]
    .into();
    assert_eq!(
        seen(&run_limits(code, Runtime::Js2, Some(&one), &limits)),
        "true,false,1"
    );
    assert_eq!(
        seen(&run_limits(code, Runtime::Js2, Some(&two), &limits)),
        "false,true,2"
    );
    // And no store at all: cf.kvs() throws, whatever came before.
    let out = run_limits(code, Runtime::Js2, None, &limits);
    assert!(out.error.unwrap_or_default().contains("no key value store"));
}

/// Allocates about `mb` MiB and keeps it alive until the handler returns.
fn allocate(mb: usize) -> String {
    format!(
        "function handler(e) {{ var keep = []; for (var i = 0; i < {mb}; i++) keep.push(new Uint8Array(1024 * 1024)); \
         e.request.headers['x-seen'] = {{ value: String(keep.length) }}; return e.request; }}"
    )
}

#[test]
fn memory_limits_do_not_leak_across_invocations() {
    let tight = Limits {
        memory_bytes: 4 * 1024 * 1024,
        ..Limits::default()
    };
    let roomy = Limits {
        memory_bytes: 32 * 1024 * 1024,
        ..Limits::default()
    };
    let code = allocate(12);
    // 12 MiB does not fit in 4, fits in 32, and again does not fit in 4: each run has its own limit.
    let out = run_limits(&code, Runtime::Js2, None, &tight);
    assert!(out.error.unwrap_or_default().contains("out of memory"));
    assert_eq!(seen(&run_limits(&code, Runtime::Js2, None, &roomy)), "12");
    let out = run_limits(&code, Runtime::Js2, None, &tight);
    assert!(out.error.unwrap_or_default().contains("out of memory"));
    // What one invocation allocated is freed for the next: ten runs of 12 MiB under 32 MiB.
    for _ in 0..10 {
        assert_eq!(seen(&run_limits(&code, Runtime::Js2, None, &roomy)), "12");
    }
}

#[test]
fn nothing_leaks_after_a_timeout() {
    let limits = Limits {
        time_budget: Duration::from_millis(50),
        ..Limits::default()
    };
    let code = "globalThis.leaked = 'global'; Array.prototype.leakedMethod = function () {};\n\
                function handler(e) { console.log('before the loop'); for (;;) {} }";
    for rt in [Runtime::Js1, Runtime::Js2] {
        let out = run_limits(code, rt, None, &limits);
        assert!(
            out.error.unwrap_or_default().contains("compute time"),
            "{rt}"
        );
        // The next invocation, with the default budget, sees a clean environment and its own logs.
        let out = run(INSPECT, rt);
        assert_eq!(seen(&out), CLEAN, "{rt}");
        assert!(out.logs.is_empty());
    }
}

#[test]
fn nothing_leaks_after_running_out_of_memory() {
    let code = "globalThis.leaked = 'global'; Object.prototype.leakedProp = 'object';\n\
                function handler(e) { console.log('before the bomb'); var a = []; for (;;) a.push(new Array(10000).fill('x')); }";
    for rt in [Runtime::Js1, Runtime::Js2] {
        let out = run(code, rt);
        assert!(
            out.error.unwrap_or_default().contains("out of memory"),
            "{rt}"
        );
        let out = run(INSPECT, rt);
        assert_eq!(seen(&out), CLEAN, "{rt}");
        assert!(out.logs.is_empty());
        // And the full default limit is available again.
        assert_eq!(seen(&run(&allocate(8), rt)), "8", "{rt}");
    }
}

#[test]
fn math_random_differs_between_invocations() {
    // Every invocation starts from the same engine image; its random numbers must not.
    let code = "function handler(e) { var r = Math.random();\n\
                if (!(r >= 0 && r < 1)) throw new Error('out of range ' + r);\n\
                e.request.headers['x-seen'] = { value: String(r) + ',' + typeof Math.random + ',' + Math.random.name };\n\
                return e.request; }";
    for rt in [Runtime::Js1, Runtime::Js2] {
        let seen: std::collections::BTreeSet<String> =
            (0..5).map(|_| seen(&run(code, rt))).collect();
        assert_eq!(seen.len(), 5, "{rt}: {seen:?}");
        assert!(
            seen.iter().all(|s| s.ends_with(",function,random")),
            "{rt}: {seen:?}"
        );
    }
}

#[test]
fn a_function_that_drops_the_environment_and_forces_collection_breaks_nothing_after_it() {
    // Drops every name that leads to the natives, then makes garbage until the engine collects:
    // whatever the collector frees must be whole again for the next invocation.
    let wreck = "globalThis.console = null; delete globalThis.require; delete globalThis.__cf_modules;\n\
                 delete globalThis.Buffer; delete globalThis.TextEncoder;\n\
                 function handler(e) { var junk = [];\n\
                   for (var i = 0; i < 20000; i++) { var a = {}; var b = { a: a }; a.b = b; junk.push(String(i)); }\n\
                   return e.request; }";
    let after = "function handler(e) { console.log('still here');\n\
                 e.request.headers['x-seen'] = { value: Buffer.from('hi').toString('hex') + ',' + require('crypto').createHash('md5').update('a').digest('hex') };\n\
                 return e.request; }";
    for _ in 0..3 {
        assert_eq!(run(wreck, Runtime::Js2).error, None);
        let out = run(after, Runtime::Js2);
        assert_eq!(seen(&out), "6869,0cc175b9c0f1b6a831c399e269772661");
        assert_eq!(out.logs, vec!["still here"]);
    }
}

#[test]
fn a_memory_limit_larger_than_a_ready_engine_holds_still_runs_and_is_enforced() {
    // Beyond what a thread's ready engine reserves, the call gets an engine of its own.
    let huge = Limits {
        memory_bytes: 1 << 30,
        ..Limits::default()
    };
    assert_eq!(
        seen(&run_limits(&allocate(300), Runtime::Js2, None, &huge)),
        "300"
    );
    let out = run_limits(&allocate(1100), Runtime::Js2, None, &huge);
    let err = out.error.unwrap_or_default();
    assert!(err.contains("memory"), "{err}");
    assert_eq!(seen(&run(&allocate(2), Runtime::Js2)), "2");
}

#[test]
fn an_engine_of_its_own_has_the_same_environment_as_a_ready_one() {
    // Limits no ready engine takes (beyond a region, or 0 for none) get an engine of their own.
    let code = "function handler(e) { e.request.headers['x-seen'] = { value:
                [typeof performance, typeof DOMException, typeof Buffer, typeof require('crypto').createHash].join(',') };
                return e.request; }";
    let expected = "undefined,undefined,function,function";
    assert_eq!(seen(&run(code, Runtime::Js2)), expected, "ready engine");
    for memory_bytes in [1 << 30, 0] {
        let limits = Limits {
            memory_bytes,
            ..Limits::default()
        };
        assert_eq!(
            seen(&run_limits(code, Runtime::Js2, None, &limits)),
            expected,
            "memory_bytes {memory_bytes}"
        );
    }
}

#[test]
fn a_function_that_fragments_memory_under_its_limit_does_not_run_out() {
    // About 6 MiB alive at a time, in another size class each round: well under the 16 MiB
    // limit, but more than a region holds when freed blocks serve only their own class.
    let code = "function handler(e) { var n = 0;\n\
                for (var k = 0; k < 60; k++) { var size = Math.floor(1100 * Math.pow(1.19, k % 40));\n\
                  var keep = []; var total = 0;\n\
                  while (total < 6 * 1024 * 1024) { keep.push(new ArrayBuffer(size)); total += size; }\n\
                  keep = null; n++; }\n\
                console.log('rounds ' + n);\n\
                e.request.headers['x-seen'] = { value: String(n) }; return e.request; }";
    let limits = Limits {
        time_budget: Duration::from_secs(30),
        ..Limits::default()
    };
    let out = run_limits(code, Runtime::Js2, None, &limits);
    assert_eq!(seen(&out), "60");
    assert_eq!(out.logs, vec!["rounds 60"], "the logs of one run only");
    assert_eq!(seen(&run(&allocate(2), Runtime::Js2)), "2");
}

#[test]
fn a_module_checked_for_syntax_then_run_on_the_same_thread_runs() {
    // check_syntax compiles in the thread's ready 2.0 engine, which runs the function next.
    let code = "import cf from 'cloudfront';\n\
                export function handler(e) { e.request.headers['x-seen'] = { value: typeof cf.kvs }; return e.request; }";
    assert_eq!(runtime::check_syntax(code, Runtime::Js2), Ok(()));
    assert_eq!(seen(&run(code, Runtime::Js2)), "function");
    assert_eq!(runtime::check_syntax(code, Runtime::Js2), Ok(()));
    assert_eq!(seen(&run(code, Runtime::Js2)), "function");
}
