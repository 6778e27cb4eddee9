//! FunctionErrorMessage lines: how a failed invocation is reported (exception, thrown value, time
//! budget, memory limit), phrased as the service phrases them where it publishes them.
//!
//! Not for: deciding that an invocation failed (see `engine`).

use rquickjs::{CaughtError, Exception, Value};

use super::Invocation;

/// Name under which the function's source is compiled (appears in stack traces).
pub const SOURCE_NAME: &str = "function.js";

/// Start of the message for a function stopped by its time budget.
pub const TIMEOUT_PREFIX: &str = "ExecutionTimeout:";

/// Start of the message for a function that ran out of memory.
pub const MEMORY_PREFIX: &str = "MemoryLimitExceeded:";

/// Start of the message for a failure of the engine itself rather than of the function.
pub const INTERNAL_PREFIX: &str = "InternalError:";

pub fn timeout_message(inv: &Invocation<'_>) -> String {
    format!(
        "{TIMEOUT_PREFIX} the function exceeded the maximum allowed compute time (stopped after {} ms; compute utilization over 100)",
        inv.limits.time_budget.as_millis()
    )
}

pub fn memory_message(inv: &Invocation<'_>) -> String {
    format!(
        "{MEMORY_PREFIX} the function ran out of memory (limit {} bytes)",
        inv.limits.memory_bytes
    )
}

/// Message for an error that is not a JavaScript exception value.
pub fn describe(inv: &Invocation<'_>, e: rquickjs::Error, what: &str) -> String {
    if matches!(e, rquickjs::Error::Allocation) {
        return memory_message(inv);
    }
    format!("{INTERNAL_PREFIX} {what}: {e}")
}

/// FunctionErrorMessage for a caught error.
pub fn caught_message(inv: &Invocation<'_>, e: CaughtError<'_>) -> String {
    match e {
        CaughtError::Exception(ex) => exception_message(inv, &ex),
        CaughtError::Value(v) => value_message(inv, &v),
        CaughtError::Error(rquickjs::Error::Allocation) => memory_message(inv),
        CaughtError::Error(rquickjs::Error::WouldBlock) => {
            "The function's top level awaits something that never settles".to_owned()
        }
        CaughtError::Error(other) => {
            let text = other.to_string();
            if text.contains("out of memory") {
                memory_message(inv)
            } else {
                format!("Error: {text}")
            }
        }
    }
}

fn exception_message(inv: &Invocation<'_>, ex: &Exception<'_>) -> String {
    let obj = ex.as_object();
    let name: String = obj
        .get::<_, Option<String>>("name")
        .ok()
        .flatten()
        .unwrap_or_else(|| "Error".to_owned());
    let message = ex.message().unwrap_or_default();
    if message.contains("out of memory") {
        return memory_message(inv);
    }
    if name == "SyntaxError" {
        // The engine reports where; keep the position, it is what the user needs to fix it.
        let at = ex
            .stack()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.contains(SOURCE_NAME))
                    .map(|l| l.trim().to_owned())
            })
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        return format!("SyntaxError: {message}{at}");
    }
    if message.is_empty() {
        name
    } else {
        format!("{name}: {message}")
    }
}

pub fn value_message(inv: &Invocation<'_>, v: &Value<'_>) -> String {
    if v.is_null() {
        // QuickJS throws `null` when it cannot even allocate the "out of memory" error.
        return format!("{} (or the function threw null)", memory_message(inv));
    }
    if let Some(obj) = v.as_object() {
        if let Some(ex) = Exception::from_object(obj.clone()) {
            return exception_message(inv, &ex);
        }
        let name: Option<String> = obj.get("name").ok().flatten();
        let message: Option<String> = obj.get("message").ok().flatten();
        if let Some(message) = message {
            return format!("{}: {message}", name.unwrap_or_else(|| "Error".to_owned()));
        }
    }
    if let Some(s) = v.as_string().and_then(|s| s.to_string().ok()) {
        return format!("Uncaught {s}");
    }
    let text = v
        .ctx()
        .json_stringify(v.clone())
        .ok()
        .flatten()
        .and_then(|s| s.to_string().ok())
        .unwrap_or_else(|| "a non-error value".to_owned());
    format!("Uncaught {text}")
}
