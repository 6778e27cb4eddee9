//! The embedded CloudFront Functions runtime: runs a function's `handler(event)` in QuickJS with the
//! semantics, modules and limits of `cloudfront-js-1.0` / `cloudfront-js-2.0`.
//!
//! Pure: it knows nothing of publishing, files or the network. The emulator's TestFunction and the
//! `test` command both call [`run`].
//!
//! How it is built: each thread keeps, per runtime version, one QuickJS engine whose whole memory
//! lives in a private region (`region.rs`): a context with the natives (`natives.rs`) and a small
//! JavaScript prelude (`prelude.js`: `console`, `require`, the restrictions on dynamic code, the
//! driver), and an image of that memory taken once it was built (`pool.rs`). A call loads the
//! function's bytecode (cached per thread), runs it, and puts the region back to the image byte for
//! byte, so globals, prototypes, built-ins and everything else start from the same state every
//! time, after a timeout or an out-of-memory too. The rest of the environment
//! (`library.js`: `crypto`, `querystring`, the 1.0 byte-string helpers, and the 2.0 `Buffer`,
//! `TextEncoder`/`TextDecoder`, `atob`/`btoa` and `cloudfront` module) is compiled once per process
//! and loaded into a context the first time the function touches one of those names. Rust does the
//! digests and the limits. Source with `import`/`export` is compiled as an ES module (2.0 only); any
//! other source as a strict script. 1.0 sources are pre-scanned for the ES6+ keywords the service
//! rejects (see `syntax.rs` for exactly what is checked). [`check_syntax`] compiles without running.
//!
//! Compute utilization is an estimate: the handler's measured CPU time on its thread (including awaited promise
//! jobs, excluding compiling the code and building the environment) as a share of
//! [`UTILIZATION_REFERENCE`], rounded up. The service does not publish its budget, so compare the
//! numbers between runs of this runtime, not with the service's to the percent.

mod bytecode;
mod engine;
mod hash;
mod messages;
mod natives;
mod normalize;
mod pool;
mod region;
mod syntax;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::types::Runtime;

pub use normalize::{OutputError, function_output};

/// Contents of the function's one key value store (key → value as stored).
pub type KeyValueStore = BTreeMap<String, String>;

/// Limits for one invocation.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest accepted code size in bytes (the service quota, 10 KB by default).
    pub max_code_bytes: usize,
    /// Wall-clock budget after which the engine's interrupt handler stops the function.
    pub time_budget: Duration,
    /// Memory cap for the engine.
    pub memory_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_code_bytes: crate::types::MAX_FUNCTION_CODE_BYTES,
            time_budget: Duration::from_millis(500),
            memory_bytes: 16 * 1024 * 1024,
        }
    }
}

/// One call of a function with one event.
#[derive(Debug, Clone, Copy)]
pub struct Invocation<'a> {
    /// The function's source code.
    pub code: &'a str,
    /// Which runtime's rules apply.
    pub runtime: Runtime,
    /// The CloudFront event object (`{"version","context","viewer","request",...}`).
    pub event: &'a serde_json::Value,
    /// The associated key value store, if any.
    pub kvs: Option<&'a KeyValueStore>,
    /// Limits to enforce.
    pub limits: &'a Limits,
}

/// What one call produced, shaped as the TestFunction API reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// FunctionOutput: `{"request": {...}}` or `{"response": {...}}`; `None` when the function failed.
    pub output: Option<serde_json::Value>,
    /// `console.log` lines, in order.
    pub logs: Vec<String>,
    /// FunctionErrorMessage, when the function threw, timed out, ran out of memory or did not compile.
    pub error: Option<String>,
    /// Estimated compute utilization, 0-100 (share of the service's per-invocation budget).
    pub compute_utilization: u32,
    /// Measured run time of the handler.
    pub elapsed: Duration,
}

/// The run time that counts as 100 % compute utilization in this runtime's estimate.
pub const UTILIZATION_REFERENCE: Duration = Duration::from_millis(1);

/// Runs `handler(event)` once. Never panics; every failure is reported in [`Outcome::error`].
pub fn run(inv: Invocation<'_>) -> Outcome {
    if UNPOOLED.load(std::sync::atomic::Ordering::Relaxed) {
        return run_unpooled(inv);
    }
    run_with(inv, pool::Reuse::Pooled)
}

/// Set by the benchmarks only, to measure the emulator with the old approach in the same run.
static UNPOOLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes every [`run`] in the process work as [`run_unpooled`] (benchmarks only).
#[doc(hidden)]
pub fn set_unpooled_for_benchmarks(on: bool) {
    UNPOOLED.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// [`run`] the way it worked before runtimes were reused: a new engine and a full context per
/// call, the source parsed every time and the whole environment built up front. Only for
/// measuring the two side by side (`cargo bench --bench runtime`); the same results for
/// CloudFront Functions code, slower (its full context also has QuickJS's `performance` and
/// `DOMException`).
#[doc(hidden)]
pub fn run_unpooled(inv: Invocation<'_>) -> Outcome {
    run_with(inv, pool::Reuse::Fresh)
}

fn run_with(inv: Invocation<'_>, reuse: pool::Reuse) -> Outcome {
    if inv.code.len() > inv.limits.max_code_bytes {
        return Outcome {
            error: Some(format!(
                "FunctionSizeLimitExceeded: the function code is {} bytes, more than the limit of {} bytes",
                inv.code.len(),
                inv.limits.max_code_bytes
            )),
            ..Outcome::default()
        };
    }
    if inv
        .event
        .pointer("/context/eventType")
        .and_then(serde_json::Value::as_str)
        .is_none()
    {
        return Outcome {
            error: Some("InvalidArgument: the event object has no context.eventType".to_owned()),
            ..Outcome::default()
        };
    }
    let cached = match reuse {
        pool::Reuse::Pooled => pool::cached_code(inv.runtime, inv.code),
        pool::Reuse::Fresh | pool::Reuse::Own => None,
    };
    let module = match (&cached, inv.runtime) {
        (Some(compiled), _) => compiled.module,
        (None, Runtime::Js1) => {
            if let Err(e) = syntax::check_v1(inv.code) {
                return Outcome {
                    error: Some(format!("SyntaxError: {}", e.message)),
                    ..Outcome::default()
                };
            }
            false
        }
        (None, Runtime::Js2) => syntax::is_module(inv.code),
    };
    // The engine is C code behind a safe wrapper; a panic there must still not escape `run`.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        engine::execute(&inv, module, cached, reuse)
    })) {
        Ok(outcome) => outcome,
        Err(_) => Outcome {
            error: Some("InternalError: the embedded runtime failed unexpectedly".to_owned()),
            ..Outcome::default()
        },
    }
}

/// A syntax error in a function's code, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong, as the engine (or the 1.0 rules) phrase it.
    pub message: String,
}

/// Compiles `code` for `runtime` as the service does before any request, and applies the 1.0
/// rules, without running any of it (not even the top level). Pure: no files, no network.
///
/// When the engine gives no position for its error (it always has so far), the error is placed
/// at line 1, column 1.
pub fn check_syntax(code: &str, runtime: Runtime) -> Result<(), SyntaxError> {
    let module = match runtime {
        Runtime::Js1 => {
            syntax::check_v1(code).map_err(|e| SyntaxError {
                line: e.line,
                column: e.column,
                message: e.message,
            })?;
            false
        }
        Runtime::Js2 => syntax::is_module(code),
    };
    let limits = Limits::default();
    let compiled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        engine::compile_only(code, module, &limits)
    }));
    match compiled {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            let (line, column) = e.position.unwrap_or((1, 1));
            Err(SyntaxError {
                line,
                column,
                message: e.message,
            })
        }
        Err(_) => Err(SyntaxError {
            line: 1,
            column: 1,
            message: "InternalError: the embedded runtime failed unexpectedly".to_owned(),
        }),
    }
}

/// Compute utilization estimate (0-100) for a handler run time.
pub fn utilization(elapsed: Duration) -> u32 {
    let ratio = elapsed.as_nanos().saturating_mul(100);
    let reference = UTILIZATION_REFERENCE.as_nanos().max(1);
    let pct = ratio.div_ceil(reference);
    u32::try_from(pct.min(100)).unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_syntax_reports_a_2_0_syntax_error_with_line_and_column() {
        let code = "function handler(event) {\n  var a = 1;\n  var b = a +* 2;\n  return event.request;\n}\n";
        let err = check_syntax(code, Runtime::Js2).unwrap_err();
        assert_eq!((err.line, err.column), (3, 14), "{err}");
        assert!(err.to_string().starts_with("line 3, column 14: "), "{err}");
    }

    #[test]
    fn check_syntax_applies_the_1_0_rules() {
        let code = "function handler(event) {\n  var x = 1;\n    const y = 2;\n  return event.request;\n}\n";
        let err = check_syntax(code, Runtime::Js1).unwrap_err();
        assert_eq!((err.line, err.column), (3, 5), "{err}");
        assert!(err.message.contains("\"const\""), "{err}");
        // The same file is fine in 2.0.
        assert_eq!(check_syntax(code, Runtime::Js2), Ok(()));
    }

    #[test]
    fn check_syntax_accepts_valid_files_and_does_not_run_them() {
        // The top level would throw, and loop forever after that, if it ran.
        let script =
            "throw new Error('ran');\nfor (;;) {}\nfunction handler(e) { return e.request; }";
        assert_eq!(check_syntax(script, Runtime::Js1), Ok(()));
        assert_eq!(check_syntax(script, Runtime::Js2), Ok(()));
        let module = "import cf from 'cloudfront';\nconst kvs = cf.kvs();\nasync function handler(e) { return e.request; }";
        assert_eq!(check_syntax(module, Runtime::Js2), Ok(()));
        let bundled = include_str!("../../examples/function.js");
        assert_eq!(check_syntax(bundled, Runtime::Js2), Ok(()));
    }

    #[test]
    fn check_syntax_reports_module_syntax_errors_too() {
        let code =
            "import cf from 'cloudfront';\nexport function handler(e) {\n  return e.request\n}}\n";
        let err = check_syntax(code, Runtime::Js2).unwrap_err();
        assert_eq!(err.line, 4, "{err}");
    }
}
