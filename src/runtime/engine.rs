//! One invocation in QuickJS: the thread's ready engine (see `pool`: a context with the natives
//! and the prelude, restored from an image after every call) with the limits set; the function
//! compiled (script or ES module, from cached bytecode when this thread compiled it before); the
//! handler called and its promise driven; every failure turned into a FunctionErrorMessage-like
//! line (see `messages`).
//!
//! Not for: output shaping (see `normalize`) or syntax policy (see `syntax`).

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rquickjs::{CatchResultExt, Context, Ctx, Function, Module, Object, Value, WriteOptions};

use super::messages::{self, INTERNAL_PREFIX, SOURCE_NAME};
use super::pool::{self, Reuse};
use super::{Invocation, Outcome, bytecode, natives, normalize, utilization};
use crate::types::Runtime;

const PRELUDE: &str = include_str!("prelude.js");
const LIBRARY: &str = include_str!("library.js");
const CLOUDFRONT: &str = include_str!("cloudfront.js");

/// Appended to the function so the driver finds `handler` in both scripts and modules.
const HANDLER_HOOK: &str =
    "\n;globalThis.__cf_handler = (typeof handler === 'function') ? handler : undefined;\n";

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
    natives::begin(inv.kvs.and_then(|map| serde_json::to_string(map).ok()));
    let mut timed_out = Arc::new(AtomicBool::new(false));
    let pooled = match reuse {
        Reuse::Pooled => pool::with_ready(
            inv.runtime,
            inv.limits.memory_bytes,
            |rt| environment(rt, inv.runtime, Reuse::Pooled),
            |rt, ctx| {
                let ended = run_engine(rt, ctx, inv, module, cached.clone(), reuse, &timed_out);
                let keep = match &ended {
                    Ok(e) => !e.error.as_deref().is_some_and(poisons),
                    Err(msg) => !poisons(msg),
                };
                (ended, keep)
            },
        ),
        Reuse::Fresh | Reuse::Own => None,
    };
    let ended = match pooled {
        Some(ended) => ended,
        None => {
            // Nothing of a first attempt (a region run out) may show in this one.
            natives::forget_logs();
            timed_out = Arc::new(AtomicBool::new(false));
            let own = if reuse == Reuse::Fresh {
                Reuse::Fresh
            } else {
                Reuse::Own
            };
            run_on_own_runtime(inv, module, own, &timed_out)
        }
    };
    let logs = natives::end();
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

/// A call on a runtime of its own, built for it alone: with the environment of `reuse` (the
/// ready engines' for [`Reuse::Own`], the first release's full one for [`Reuse::Fresh`]).
fn run_on_own_runtime(
    inv: &Invocation<'_>,
    module: bool,
    reuse: Reuse,
    timed_out: &Arc<AtomicBool>,
) -> Result<Ended, String> {
    let internal = |e: rquickjs::Error| format!("{INTERNAL_PREFIX} cannot start the engine: {e}");
    let rt = pool::new_runtime_in(None).map_err(internal)?;
    rt.set_memory_limit(inv.limits.memory_bytes);
    let ctx = environment(&rt, inv.runtime, reuse)
        .map_err(|e| messages::describe(inv, e, "cannot create a context"))?;
    run_engine(&rt, &ctx, inv, module, None, reuse, timed_out)
}

/// Failures after which the engine is not trusted for the next invocation, even restored.
fn poisons(error: &str) -> bool {
    error.starts_with(INTERNAL_PREFIX)
}

/// Sets the limits and runs the function in `ctx`; `Err` carries a ready error message for
/// failures outside the handler.
fn run_engine(
    rt: &rquickjs::Runtime,
    ctx: &Context,
    inv: &Invocation<'_>,
    module: bool,
    cached: Option<pool::CompiledFunction>,
    reuse: Reuse,
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
    ctx.with(|ctx| -> Result<Ended, String> {
        bytecode::update_stack_top(&ctx);
        load_function(&ctx, inv, module, cached, reuse)
            .map_err(|e| messages::caught_message(inv, e))?;
        call_handler(&ctx, inv)
    })
}

/// A context with the CloudFront Functions environment for `version`: the ECMAScript built-ins
/// (without QuickJS's `performance` and `DOMException`, which are not in CloudFront Functions),
/// the natives and the prelude.
fn environment(
    rt: &rquickjs::Runtime,
    version: Runtime,
    reuse: Reuse,
) -> rquickjs::Result<Context> {
    let ctx = new_context(rt, reuse)?;
    ctx.with(|ctx| -> rquickjs::Result<()> {
        bytecode::update_stack_top(&ctx);
        natives::install(&ctx, version == Runtime::Js2)?;
        run_prelude(&ctx, reuse)
    })?;
    Ok(ctx)
}

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

fn run_prelude(ctx: &Ctx<'_>, reuse: Reuse) -> rquickjs::Result<()> {
    static PRELUDE_BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    let bytes = process_bytecode(ctx, &PRELUDE_BYTES, PRELUDE, "prelude.js")?;
    bytecode::run_script(ctx, bytes)?;
    if reuse == Reuse::Fresh {
        // The approach before pooling built the whole environment up front.
        ctx.eval::<(), _>("void globalThis.__cf_modules.crypto;")?;
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
pub fn library<'js>(ctx: Ctx<'js>, name: String) -> rquickjs::Result<Value<'js>> {
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

/// Compiles the function (script, or ES module when `module`) without running any of it.
pub fn compile_only(code: &str, module: bool, limits: &super::Limits) -> Result<(), CompileError> {
    let internal = |e: rquickjs::Error| CompileError {
        message: format!("{INTERNAL_PREFIX} cannot start the engine: {e}"),
        position: None,
    };
    let compile = |rt: &rquickjs::Runtime, ctx: &Context| {
        rt.set_memory_limit(limits.memory_bytes);
        let deadline = Instant::now() + limits.time_budget;
        rt.set_interrupt_handler(Some(Box::new(move || Instant::now() >= deadline)));
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
            compiled.map_err(compile_error)
        })
    };
    let pooled = pool::with_ready(
        Runtime::Js2,
        limits.memory_bytes,
        |rt| environment(rt, Runtime::Js2, Reuse::Pooled),
        |rt, ctx| {
            let result = compile(rt, ctx);
            let keep = result
                .as_ref()
                .err()
                .is_none_or(|e| !e.message.starts_with(INTERNAL_PREFIX));
            (result, keep)
        },
    );
    match pooled {
        Some(result) => result,
        None => {
            let rt = pool::new_runtime_in(None).map_err(internal)?;
            let ctx = new_context(&rt, Reuse::Own).map_err(internal)?;
            compile(&rt, &ctx)
        }
    }
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
