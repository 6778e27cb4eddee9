//! One invocation in QuickJS: builds a fresh runtime and context with the limits, installs the
//! natives and the prelude, compiles the function (script or ES module), calls the handler, drives
//! its promise, and turns every failure into a FunctionErrorMessage-like line.
//!
//! Not for: output shaping (see `normalize`) or syntax policy (see `syntax`).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rquickjs::context::EvalOptions;
use rquickjs::function::Opt;
use rquickjs::loader::{BuiltinLoader, BuiltinResolver};
use rquickjs::{
    CatchResultExt, CaughtError, Context, Ctx, Exception, Function, Module, Object, Value,
    WriteOptions,
};

use super::{Invocation, Outcome, hash, normalize, utilization};
use crate::types::Runtime;

const PRELUDE: &str = include_str!("prelude.js");

/// Name under which the function's source is compiled (appears in stack traces).
const SOURCE_NAME: &str = "function.js";

/// Appended to the function so the driver finds `handler` in both scripts and modules.
const HANDLER_HOOK: &str =
    "\n;globalThis.__cf_handler = (typeof handler === 'function') ? handler : undefined;\n";

/// Logs are cut at this many bytes in total, as the service truncates function logs at 10 KB.
const MAX_LOG_BYTES: usize = 10 * 1024;

/// Native stack the engine may use; below the 2 MiB of a spawned or blocking-pool thread.
const MAX_STACK_BYTES: usize = 512 * 1024;

#[derive(Default)]
struct LogBuf {
    lines: Vec<String>,
    bytes: usize,
    truncated: bool,
}

impl LogBuf {
    fn push(&mut self, line: String) {
        if self.truncated {
            return;
        }
        if self.bytes + line.len() > MAX_LOG_BYTES {
            self.truncated = true;
            self.lines.push("[logs truncated at 10 KB]".to_owned());
            return;
        }
        self.bytes += line.len();
        self.lines.push(line);
    }
}

/// How the run ended, before it becomes an [`Outcome`].
struct Ended {
    output: Option<serde_json::Value>,
    error: Option<String>,
    elapsed: Duration,
}

/// Runs the invocation; `module` selects ES module compilation.
pub fn execute(inv: &Invocation<'_>, module: bool) -> Outcome {
    let logs = Rc::new(RefCell::new(LogBuf::default()));
    let timed_out = Arc::new(AtomicBool::new(false));
    let ended = run_engine(inv, module, &logs, &timed_out);
    let logs = std::mem::take(&mut logs.borrow_mut().lines);
    let timed_out = timed_out.load(Ordering::Relaxed);
    match ended {
        Ok(e) => {
            let error = if timed_out {
                Some(timeout_message(inv))
            } else {
                e.error
            };
            let compute_utilization = if timed_out {
                100
            } else {
                utilization(e.elapsed)
            };
            Outcome {
                output: if error.is_some() { None } else { e.output },
                logs,
                error,
                compute_utilization,
                elapsed: e.elapsed,
            }
        }
        Err(msg) => Outcome {
            output: None,
            logs,
            error: Some(if timed_out { timeout_message(inv) } else { msg }),
            compute_utilization: if timed_out { 100 } else { 0 },
            elapsed: Duration::ZERO,
        },
    }
}

fn timeout_message(inv: &Invocation<'_>) -> String {
    format!(
        "ExecutionTimeout: the function exceeded the maximum allowed compute time (stopped after {} ms; compute utilization over 100)",
        inv.limits.time_budget.as_millis()
    )
}

fn memory_message(inv: &Invocation<'_>) -> String {
    format!(
        "MemoryLimitExceeded: the function ran out of memory (limit {} bytes)",
        inv.limits.memory_bytes
    )
}

/// Sets up the engine and runs; `Err` carries a ready error message for failures outside the handler.
fn run_engine(
    inv: &Invocation<'_>,
    module: bool,
    logs: &Rc<RefCell<LogBuf>>,
    timed_out: &Arc<AtomicBool>,
) -> Result<Ended, String> {
    let internal = |what: &str, e: rquickjs::Error| format!("InternalError: {what}: {e}");
    let rt = rquickjs::Runtime::new().map_err(|e| internal("cannot start the engine", e))?;
    rt.set_memory_limit(inv.limits.memory_bytes);
    rt.set_max_stack_size(MAX_STACK_BYTES);
    let deadline = Instant::now() + inv.limits.time_budget;
    let flag = Arc::clone(timed_out);
    rt.set_interrupt_handler(Some(Box::new(move || {
        if Instant::now() >= deadline {
            flag.store(true, Ordering::Relaxed);
            true
        } else {
            false
        }
    })));
    if inv.runtime == Runtime::Js2 {
        let names = ["cloudfront", "crypto", "querystring", "buffer"];
        let mut resolver = BuiltinResolver::default();
        let mut loader = BuiltinLoader::default();
        for name in names {
            resolver.add_module(name);
            loader.add_module(name, builtin_module_source(name));
        }
        rt.set_loader(resolver, loader);
    }
    let ctx = Context::full(&rt).map_err(|e| internal("cannot create a context", e))?;
    let event_json = inv.event.to_string();
    let kvs_json = match inv.kvs {
        Some(map) => serde_json::to_string(map).ok(),
        None => None,
    };

    ctx.with(|ctx| -> Result<Ended, String> {
        install_globals(&ctx, inv, kvs_json, logs)
            .map_err(|e| describe(inv, e, "cannot install the environment"))?;
        eval_prelude(&ctx).map_err(|e| caught_message(inv, e))?;

        // Compile and run the top level of the function.
        let mut source = String::with_capacity(inv.code.len() + HANDLER_HOOK.len());
        source.push_str(inv.code);
        source.push_str(HANDLER_HOOK);
        if module {
            let declared = Module::declare(ctx.clone(), SOURCE_NAME, source)
                .catch(&ctx)
                .map_err(|e| caught_message(inv, e))?;
            let (_module, promise) = declared.eval().catch(&ctx).map_err(|e| caught_message(inv, e))?;
            promise
                .finish::<()>()
                .catch(&ctx)
                .map_err(|e| caught_message(inv, e))?;
        } else {
            let mut opts = EvalOptions::default();
            opts.strict = true;
            opts.filename = Some(SOURCE_NAME.to_owned());
            ctx.eval_with_options::<(), _>(source, opts)
                .catch(&ctx)
                .map_err(|e| caught_message(inv, e))?;
        }

        // Call the handler and drive its promise to the end.
        let invoke: Function = ctx
            .globals()
            .get("__cf_invoke")
            .map_err(|e| internal("the driver is missing", e))?;
        let started = CpuClock::start();
        let called = invoke.call::<_, Object>((event_json,)).catch(&ctx);
        let state = match called {
            Ok(state) => state,
            Err(e) => {
                return Ok(Ended {
                    output: None,
                    error: Some(caught_message(inv, e)),
                    elapsed: started.elapsed(),
                });
            }
        };
        while !state.get::<_, bool>("done").unwrap_or(true) {
            if !ctx.execute_pending_job() {
                break;
            }
        }
        let elapsed = started.elapsed();
        if !state.get::<_, bool>("done").unwrap_or(false) {
            return Ok(Ended {
                output: None,
                error: Some(
                    "The handler's promise never settled (it waits on something that never happens, and timers do not exist in CloudFront Functions)"
                        .to_owned(),
                ),
                elapsed,
            });
        }
        if state.get::<_, bool>("threw").unwrap_or(false) {
            let err: Value = state.get("error").unwrap_or_else(|_| Value::new_undefined(ctx.clone()));
            return Ok(Ended {
                output: None,
                error: Some(value_message(inv, &err)),
                elapsed,
            });
        }
        let json: Option<String> = state.get("json").unwrap_or(None);
        let returned = match json {
            None => None,
            Some(text) => Some(serde_json::from_str::<serde_json::Value>(&text).map_err(|e| {
                format!("InternalError: the function's result is not valid JSON: {e}")
            })?),
        };
        match normalize::function_output(inv.event, returned.as_ref()) {
            Ok(output) => Ok(Ended {
                output: Some(output),
                error: None,
                elapsed,
            }),
            Err(msg) => Ok(Ended {
                output: None,
                error: Some(msg),
                elapsed,
            }),
        }
    })
}

/// The prelude compiled once per process: parsing it is most of the cost of a fresh context.
fn prelude_bytecode() -> Option<&'static [u8]> {
    static BYTECODE: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    BYTECODE
        .get_or_init(|| {
            let rt = rquickjs::Runtime::new().ok()?;
            let ctx = Context::full(&rt).ok()?;
            ctx.with(|ctx| {
                Module::declare(ctx, "prelude.js", PRELUDE)
                    .and_then(|m| m.write(WriteOptions::default()))
                    .ok()
            })
        })
        .as_deref()
}

/// Runs the prelude from the cached bytecode, or from source if it could not be compiled.
fn eval_prelude<'js>(ctx: &Ctx<'js>) -> Result<(), CaughtError<'js>> {
    match prelude_bytecode() {
        Some(bytes) => {
            // SAFETY: the bytes were written by `Module::write` of this same QuickJS build in this
            // process, from our own source, which is what `Module::load` requires.
            let module = unsafe { Module::load(ctx.clone(), bytes) }.catch(ctx)?;
            let (_module, promise) = module.eval().catch(ctx)?;
            promise.finish::<()>().catch(ctx)
        }
        None => ctx.eval::<(), _>(PRELUDE).catch(ctx),
    }
}

/// Source of the built-in ES modules: thin re-exports of what the prelude built.
fn builtin_module_source(name: &str) -> String {
    let base = format!("const m = globalThis.__cf_modules[{name:?}];\nexport default m;\n");
    let named: &[&str] = match name {
        "crypto" => &["createHash", "createHmac"],
        "querystring" => &[
            "parse",
            "stringify",
            "escape",
            "unescape",
            "decode",
            "encode",
        ],
        "buffer" => &["Buffer"],
        _ => &[],
    };
    let mut src = base;
    for n in named {
        src.push_str(&format!("export const {n} = m.{n};\n"));
    }
    src
}

fn install_globals<'js>(
    ctx: &Ctx<'js>,
    inv: &Invocation<'_>,
    kvs_json: Option<String>,
    logs: &Rc<RefCell<LogBuf>>,
) -> rquickjs::Result<()> {
    let g = ctx.globals();
    g.set("__cf_v2", inv.runtime == Runtime::Js2)?;
    g.set("__cf_kvs_json", kvs_json)?;
    let sink = Rc::clone(logs);
    g.set(
        "__cf_native_log",
        Function::new(ctx.clone(), move |line: String| {
            sink.borrow_mut().push(line);
        })?,
    )?;
    g.set(
        "__cf_native_hash",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             alg: String,
             key: Opt<Option<String>>,
             data: String|
             -> rquickjs::Result<String> {
                let key = match key.0.flatten() {
                    Some(k) => {
                        Some(hash::byte_string(&k).map_err(|m| Exception::throw_type(&ctx, &m))?)
                    }
                    None => None,
                };
                let data = hash::byte_string(&data).map_err(|m| Exception::throw_type(&ctx, &m))?;
                let out = hash::digest(&alg, key.as_deref(), &data)
                    .map_err(|m| Exception::throw_type(&ctx, &m))?;
                Ok(hash::hex(&out))
            },
        )?,
    )?;
    Ok(())
}

/// Message for an error that is not a JavaScript exception value.
fn describe(inv: &Invocation<'_>, e: rquickjs::Error, what: &str) -> String {
    if matches!(e, rquickjs::Error::Allocation) {
        return memory_message(inv);
    }
    format!("InternalError: {what}: {e}")
}

/// FunctionErrorMessage for a caught error.
fn caught_message(inv: &Invocation<'_>, e: CaughtError<'_>) -> String {
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

fn value_message(inv: &Invocation<'_>, v: &Value<'_>) -> String {
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

/// Measures the calling thread's CPU time, so that compute utilization does not count time the
/// thread spent preempted on a busy machine (CI runners, parallel tests). Falls back to wall time.
struct CpuClock {
    cpu: Option<Duration>,
    wall: Instant,
}

impl CpuClock {
    fn start() -> Self {
        Self {
            cpu: thread_cpu_time(),
            wall: Instant::now(),
        }
    }

    fn elapsed(&self) -> Duration {
        match (self.cpu, thread_cpu_time()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => self.wall.elapsed(),
        }
    }
}

#[cfg(unix)]
fn thread_cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the pointer we pass, which lives on our stack.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(unix))]
fn thread_cpu_time() -> Option<Duration> {
    None
}
