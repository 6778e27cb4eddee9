//! The embedded CloudFront Functions runtime: runs a function's `handler(event)` in QuickJS with the
//! semantics, modules and limits of `cloudfront-js-1.0` / `cloudfront-js-2.0`.
//!
//! Pure: it knows nothing of publishing, files or the network. The emulator's TestFunction and the
//! `test` command both call [`run`].

use std::collections::BTreeMap;
use std::time::Duration;

use crate::types::Runtime;

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

/// Runs `handler(event)` once. Never panics; every failure is reported in [`Outcome::error`].
pub fn run(inv: Invocation<'_>) -> Outcome {
    let _ = inv;
    Outcome {
        error: Some("the embedded runtime is not built yet".to_owned()),
        ..Outcome::default()
    }
}
