//! One invocation in QuickJS: a new context on the thread's runtime (see `pool`) with the limits,
//! the natives and the prelude; the function compiled (script or ES module, from cached bytecode
//! when this thread compiled it before); the handler called and its promise driven; every failure
//! turned into a FunctionErrorMessage-like line (see `messages`).
//!
//! Not for: output shaping (see `normalize`) or syntax policy (see `syntax`).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rquickjs::function::Opt;
use rquickjs::{
    CatchResultExt, Context, Ctx, Exception, Function, Module, Object, Value, WriteOptions,
};

use super::messages::{self, INTERNAL_PREFIX, MEMORY_PREFIX, SOURCE_NAME};
use super::pool::{self, Reuse};
use super::{Invocation, Outcome, bytecode, hash, normalize, utilization};
use crate::types::Runtime;

const PRELUDE: &str = include_str!("prelude.js");
const LIBRARY: &str = include_str!("library.js");
const CLOUDFRONT: &str = include_str!("cloudfront.js");

/// Appended to the function so the driver finds `handler` in both scripts and modules.
const HANDLER_HOOK: &str =
    "\n;globalThis.__cf_handler = (typeof handler === 'function') ? handler : undefined;\n";

/// Logs are cut at this many bytes in total, as the service truncates function logs at 10 KB.
const MAX_LOG_BYTES: usize = 10 * 1024;

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

impl Ended {
    fn failed(error: String, elapsed: Duration) -> Self {
        Self {
            output: None,
            error: Some(error),
            elapsed,
        }
    }
}

/// Runs the invocation; `module` selects ES module compilation.
pub fn execute(
    inv: &Invocation<'_>,
    module: bool,
    cached: Option<pool::CompiledFunction>,
    reuse: Reuse,
) -> Outcome {
    let logs = Rc::new(RefCell::new(LogBuf::default()));
    let timed_out = Arc::new(AtomicBool::new(false));
    let ran = pool::with_runtime(reuse, |rt| {
        let ended = run_engine(rt, inv, module, cached, reuse, &logs, &timed_out);
        let jobs_left = rt.is_job_pending();
        let failed_inside = match &ended {
            Ok(e) => e.error.as_deref().is_some_and(poisons),
            Err(msg) => poisons(msg),
        };
        let reusable = !jobs_left && !failed_inside && !timed_out.load(Ordering::Relaxed);
        (ended, reusable)
    });
    let ended =
        ran.unwrap_or_else(|e| Err(format!("{INTERNAL_PREFIX} cannot start the engine: {e}")));
    let logs = std::mem::take(&mut logs.borrow_mut().lines);
    let timed_out = timed_out.load(Ordering::Relaxed);
    let (output, error, elapsed) = match ended {
        Ok(e) => (e.output, e.error, e.elapsed),
        Err(msg) => (None, Some(msg), Duration::ZERO),
    };
    let error = if timed_out {
        Some(messages::timeout_message(inv))
    } else {
        error
    };
    let compute_utilization = if timed_out { 100 } else { utilization(elapsed) };
    Outcome {
        output: if error.is_some() { None } else { output },
        logs,
        error,
        compute_utilization,
        elapsed,
    }
}

/// Failures after which the runtime is not trusted for the next invocation.
fn poisons(error: &str) -> bool {
    error.starts_with(MEMORY_PREFIX) || error.starts_with(INTERNAL_PREFIX)
}

/// Sets the limits, builds the context and runs; `Err` carries a ready error message for
/// failures outside the handler.
fn run_engine(
    rt: &rquickjs::Runtime,
    inv: &Invocation<'_>,
    module: bool,
    cached: Option<pool::CompiledFunction>,
    reuse: Reuse,
    logs: &Rc<RefCell<LogBuf>>,
    timed_out: &Arc<AtomicBool>,
) -> Result<Ended, String> {
    rt.set_memory_limit(inv.limits.memory_bytes);
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
    let ctx = new_context(rt, reuse)
        .map_err(|e| messages::describe(inv, e, "cannot create a context"))?;
    let kvs_json = inv.kvs.and_then(|map| serde_json::to_string(map).ok());
    ctx.with(|ctx| -> Result<Ended, String> {
        bytecode::update_stack_top(&ctx);
        install_globals(&ctx, inv, kvs_json, logs)
            .map_err(|e| messages::describe(inv, e, "cannot install the environment"))?;
        run_prelude(&ctx, reuse).map_err(|e| messages::caught_message(inv, e))?;
        load_function(&ctx, inv, module, cached, reuse)
            .map_err(|e| messages::caught_message(inv, e))?;
        call_handler(&ctx, inv)
    })
}

/// A context with the ECMAScript built-ins; without QuickJS's `performance` and `DOMException`,
/// which are not in CloudFront Functions (and cost time to build in every context).
fn new_context(rt: &rquickjs::Runtime, reuse: Reuse) -> rquickjs::Result<Context> {
    if reuse == Reuse::Fresh {
        // As before pooling.
        return Context::full(rt);
    }
    use rquickjs::context::intrinsic::{
        Date, Eval, Json, MapSet, Promise, Proxy, RegExp, RegExpCompiler, TypedArrays, WeakRef,
    };
    Context::custom::<(
        Date,
        Eval,
        RegExpCompiler,
        RegExp,
        Json,
        Proxy,
        MapSet,
        TypedArrays,
        Promise,
        WeakRef,
    )>(rt)
}

/// Bytecode of a script compiled once per process (the prelude and the library).
fn process_bytecode(
    ctx: &Ctx<'_>,
    cell: &'static OnceLock<Vec<u8>>,
    source: &str,
    name: &str,
) -> rquickjs::Result<&'static [u8]> {
    if let Some(bytes) = cell.get() {
        return Ok(bytes);
    }
    let bytes = bytecode::compile_script(ctx, source, name, true)?;
    Ok(cell.get_or_init(|| bytes))
}

fn run_prelude<'js>(ctx: &Ctx<'js>, reuse: Reuse) -> Result<(), rquickjs::CaughtError<'js>> {
    static PRELUDE_BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    let bytes = process_bytecode(ctx, &PRELUDE_BYTES, PRELUDE, "prelude.js").catch(ctx)?;
    bytecode::run_script(ctx, bytes).catch(ctx)?;
    if reuse == Reuse::Fresh {
        // The approach before pooling built the whole environment up front.
        ctx.eval::<(), _>("void globalThis.__cf_modules.crypto;")
            .catch(ctx)?;
    }
    Ok(())
}

std::thread_local! {
    /// CPU time spent loading the library during the current handler call: building the
    /// environment, which compute utilization does not count (it did not when it was built up front).
    static LIBRARY_TIME: std::cell::Cell<Duration> = const { std::cell::Cell::new(Duration::ZERO) };
}

/// The factory of a lazily loaded part of the environment (`library` or `cloudfront`), loaded
/// into the calling context.
fn library<'js>(ctx: Ctx<'js>, name: String) -> rquickjs::Result<Value<'js>> {
    static LIBRARY_BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    static CLOUDFRONT_BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    let started = CpuClock::start();
    let bytes = match name.as_str() {
        "cloudfront" => process_bytecode(&ctx, &CLOUDFRONT_BYTES, CLOUDFRONT, "cloudfront.js")?,
        _ => process_bytecode(&ctx, &LIBRARY_BYTES, LIBRARY, "library.js")?,
    };
    let factory = bytecode::run_script(&ctx, bytes);
    LIBRARY_TIME.with(|t| t.set(t.get() + started.elapsed()));
    factory
}

/// Compiles (or loads from this thread's cache) and runs the top level of the function.
fn load_function<'js>(
    ctx: &Ctx<'js>,
    inv: &Invocation<'_>,
    module: bool,
    cached: Option<pool::CompiledFunction>,
    reuse: Reuse,
) -> Result<(), rquickjs::CaughtError<'js>> {
    let remember = |bytes: Vec<u8>| {
        if reuse == Reuse::Pooled {
            let function = pool::CompiledFunction {
                module,
                bytes: bytes.into(),
            };
            pool::cache_code(inv.runtime, inv.code, function);
        }
    };
    if module {
        let declared = match &cached {
            // SAFETY: the bytes were written by `Module::write` of this same engine build in this
            // process, from the function's own source, which is what `Module::load` requires.
            Some(compiled) => unsafe { Module::load(ctx.clone(), &compiled.bytes) }.catch(ctx)?,
            None => {
                let declared =
                    Module::declare(ctx.clone(), SOURCE_NAME, with_hook(inv.code)).catch(ctx)?;
                remember(declared.write(WriteOptions::default()).catch(ctx)?);
                declared
            }
        };
        let (_module, promise) = declared.eval().catch(ctx)?;
        promise.finish::<()>().catch(ctx)
    } else {
        let bytes: Rc<[u8]> = match cached {
            Some(compiled) => compiled.bytes,
            None => {
                let bytes = bytecode::compile_script(ctx, &with_hook(inv.code), SOURCE_NAME, false)
                    .catch(ctx)?;
                let shared: Rc<[u8]> = bytes.as_slice().into();
                remember(bytes);
                shared
            }
        };
        bytecode::run_script(ctx, &bytes).catch(ctx).map(|_| ())
    }
}

fn with_hook(code: &str) -> String {
    let mut source = String::with_capacity(code.len() + HANDLER_HOOK.len());
    source.push_str(code);
    source.push_str(HANDLER_HOOK);
    source
}

/// Calls the handler, drives its promise to the end and normalizes what it returned.
fn call_handler(ctx: &Ctx<'_>, inv: &Invocation<'_>) -> Result<Ended, String> {
    let invoke: Function = ctx
        .globals()
        .get("__cf_invoke")
        .map_err(|e| format!("{INTERNAL_PREFIX} the driver is missing: {e}"))?;
    let event_json = inv.event.to_string();
    LIBRARY_TIME.with(|t| t.set(Duration::ZERO));
    let started = CpuClock::start();
    let state = match invoke.call::<_, Object>((event_json,)).catch(ctx) {
        Ok(state) => state,
        Err(e) => {
            return Ok(Ended::failed(
                messages::caught_message(inv, e),
                started.elapsed(),
            ));
        }
    };
    while !state.get::<_, bool>("done").unwrap_or(true) {
        if !ctx.execute_pending_job() {
            break;
        }
    }
    let elapsed = started
        .elapsed()
        .saturating_sub(LIBRARY_TIME.with(|t| t.get()));
    if !state.get::<_, bool>("done").unwrap_or(false) {
        return Ok(Ended::failed(
            "The handler's promise never settled (it waits on something that never happens, and timers do not exist in CloudFront Functions)"
                .to_owned(),
            elapsed,
        ));
    }
    if state.get::<_, bool>("threw").unwrap_or(false) {
        let err: Value = state
            .get("error")
            .unwrap_or_else(|_| Value::new_undefined(ctx.clone()));
        return Ok(Ended::failed(messages::value_message(inv, &err), elapsed));
    }
    let json: Option<String> = state.get("json").unwrap_or(None);
    let returned = match json {
        None => None,
        Some(text) => Some(
            serde_json::from_str::<serde_json::Value>(&text).map_err(|e| {
                format!("{INTERNAL_PREFIX} the function's result is not valid JSON: {e}")
            })?,
        ),
    };
    Ok(
        match normalize::function_output(inv.event, returned.as_ref()) {
            Ok(output) => Ended {
                output: Some(output),
                error: None,
                elapsed,
            },
            Err(e) => Ended::failed(e.to_string(), elapsed),
        },
    )
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
    g.set("__cf_native_library", Function::new(ctx.clone(), library)?)?;
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

/// A syntax error as the engine reports it: message and, when it gives one, 1-based position.
pub struct CompileError {
    pub message: String,
    pub position: Option<(usize, usize)>,
}

/// Compiles the function (script, or ES module when `module`) in a new context without running
/// any of it.
pub fn compile_only(code: &str, module: bool, limits: &super::Limits) -> Result<(), CompileError> {
    let internal = |e: rquickjs::Error| CompileError {
        message: format!("{INTERNAL_PREFIX} cannot start the engine: {e}"),
        position: None,
    };
    let ran = pool::with_runtime(Reuse::Pooled, |rt| {
        rt.set_memory_limit(limits.memory_bytes);
        let deadline = Instant::now() + limits.time_budget;
        rt.set_interrupt_handler(Some(Box::new(move || Instant::now() >= deadline)));
        let result = new_context(rt, Reuse::Pooled)
            .map_err(internal)
            .and_then(|ctx| {
                ctx.with(|ctx| {
                    bytecode::update_stack_top(&ctx);
                    let compiled = if module {
                        Module::declare(ctx.clone(), SOURCE_NAME, code)
                            .map(|_| ())
                            .catch(&ctx)
                    } else {
                        bytecode::compile_script(&ctx, code, SOURCE_NAME, false)
                            .map(|_| ())
                            .catch(&ctx)
                    };
                    compiled.map_err(|e| compile_error(e))
                })
            });
        let reusable = result
            .as_ref()
            .err()
            .is_none_or(|e| !e.message.starts_with(INTERNAL_PREFIX));
        (result, reusable && !rt.is_job_pending())
    });
    ran.map_err(internal)?
}

fn compile_error(e: rquickjs::CaughtError<'_>) -> CompileError {
    match e {
        rquickjs::CaughtError::Exception(ex) => {
            let position = ex.stack().and_then(|stack| stack_position(&stack));
            CompileError {
                message: ex.message().unwrap_or_default(),
                position,
            }
        }
        other => CompileError {
            message: other.to_string(),
            position: None,
        },
    }
}

/// `function.js:LINE:COLUMN` from an engine stack trace.
fn stack_position(stack: &str) -> Option<(usize, usize)> {
    let at = stack.find(SOURCE_NAME)? + SOURCE_NAME.len();
    let mut parts = stack[at..].strip_prefix(':')?.splitn(3, ':');
    let line = parts.next()?.parse().ok()?;
    let column: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((line, column.parse().ok()?))
}
