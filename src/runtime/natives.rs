//! The functions Rust gives the prelude (`__cf_native_*`) and `Math.random`, as plain C functions:
//! they own no Rust memory, so an engine image that holds them can be restored any number of
//! times (see `region`), and what they write or read belongs to the invocation running on the
//! thread ([`begin`] / [`end`]), not to the context they were created in.
//!
//! Not for: running code (see `engine`).

use std::cell::RefCell;
use std::ffi::{CString, c_int};
use std::ptr::NonNull;

use rquickjs::{Ctx, Exception, Object, Value, qjs};

use super::hash;

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

/// What the running invocation's natives write to and read from.
#[derive(Default)]
struct Current {
    logs: LogBuf,
    kvs_json: Option<String>,
}

thread_local! {
    static CURRENT: RefCell<Current> = RefCell::new(Current::default());
}

/// Starts an invocation on this thread: no logs yet, and `kvs_json` as its key value store.
pub fn begin(kvs_json: Option<String>) {
    CURRENT.with(|c| {
        *c.borrow_mut() = Current {
            logs: LogBuf::default(),
            kvs_json,
        }
    });
}

/// Drops what the invocation logged so far (it runs again from the start); the store stays.
pub fn forget_logs() {
    CURRENT.with(|c| c.borrow_mut().logs = LogBuf::default());
}

/// Ends the invocation and returns what it logged.
pub fn end() -> Vec<String> {
    CURRENT.with(|c| std::mem::take(&mut *c.borrow_mut()).logs.lines)
}

type NativeFn = unsafe extern "C" fn(
    *mut qjs::JSContext,
    qjs::JSValue,
    c_int,
    *mut qjs::JSValue,
) -> qjs::JSValue;

/// Puts the natives on the global object and replaces `Math.random`. `library` loads a lazily
/// built part of the environment by name and returns its factory.
pub fn install(ctx: &Ctx<'_>, v2: bool) -> rquickjs::Result<()> {
    let g = ctx.globals();
    g.set("__cf_v2", v2)?;
    let natives: [(&str, NativeFn, c_int); 4] = [
        ("__cf_native_log", log, 1),
        ("__cf_native_hash", digest, 3),
        ("__cf_native_library", library, 1),
        ("__cf_native_kvs", kvs, 0),
    ];
    for (name, f, length) in natives {
        g.set(name, new_function(ctx, name, f, length)?)?;
    }
    // The engine's own generator is seeded when the context is made; an image restored many times
    // would give every invocation the same numbers.
    let math: Object = g.get("Math")?;
    math.set("random", new_function(ctx, "random", random, 0)?)?;
    Ok(())
}

fn new_function<'js>(
    ctx: &Ctx<'js>,
    name: &str,
    f: NativeFn,
    length: c_int,
) -> rquickjs::Result<Value<'js>> {
    let cname = CString::new(name)?;
    // SAFETY: the context is live; the name is NUL-terminated and copied into an atom.
    let raw = unsafe {
        qjs::JS_NewCFunction2(
            ctx.as_raw().as_ptr(),
            Some(f),
            cname.as_ptr(),
            length,
            qjs::JSCFunctionEnum_JS_CFUNC_generic,
            0,
        )
    };
    // SAFETY: `raw` is an owned value of this context (or the exception marker, checked first).
    unsafe {
        if qjs::JS_IsException(raw) {
            return Err(rquickjs::Error::Exception);
        }
        Ok(Value::from_raw(ctx.clone(), raw))
    }
}

/// Runs `body` on the call's arguments and turns its result into what the engine expects: an
/// owned value, or the exception marker with the exception pending.
///
/// # Safety
/// The engine's calling convention: a live context and `argc` valid values at `argv`.
unsafe fn call(
    ctx: *mut qjs::JSContext,
    argc: c_int,
    argv: *mut qjs::JSValue,
    body: impl for<'js> FnOnce(&Ctx<'js>, &[Value<'js>]) -> rquickjs::Result<Value<'js>>,
) -> qjs::JSValue {
    let Some(raw_ctx) = NonNull::new(ctx) else {
        return qjs::JS_EXCEPTION;
    };
    // SAFETY: the engine passes its live context and `argc` borrowed values; each is duplicated
    // before rquickjs takes ownership of it, and the result is duplicated before its handle drops.
    unsafe {
        let ctx = Ctx::from_raw(raw_ctx);
        let count = usize::try_from(argc).unwrap_or(0);
        let args: Vec<Value<'_>> = (0..count)
            .map(|i| Value::from_raw(ctx.clone(), qjs::JS_DupValue(ctx_ptr(&ctx), *argv.add(i))))
            .collect();
        // A panic must not unwind into the engine's C frames (that aborts the process): it
        // becomes an InternalError, after which the engine is not reused.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&ctx, &args)));
        match result {
            Ok(Ok(value)) => qjs::JS_DupValue(ctx_ptr(&ctx), value.as_raw()),
            Ok(Err(rquickjs::Error::Exception)) => qjs::JS_EXCEPTION,
            Ok(Err(e)) => {
                let _ = Exception::throw_internal(&ctx, &e.to_string());
                qjs::JS_EXCEPTION
            }
            Err(_) => {
                let _ = Exception::throw_internal(&ctx, "a native function failed unexpectedly");
                qjs::JS_EXCEPTION
            }
        }
    }
}

fn ctx_ptr(ctx: &Ctx<'_>) -> *mut qjs::JSContext {
    ctx.as_raw().as_ptr()
}

fn arg<'js>(args: &[Value<'js>], i: usize, ctx: &Ctx<'js>) -> Value<'js> {
    args.get(i)
        .cloned()
        .unwrap_or_else(|| Value::new_undefined(ctx.clone()))
}

/// A native with the engine's calling convention whose body gets rquickjs's context and arguments.
macro_rules! native {
    ($(#[$doc:meta])* fn $name:ident($ctx:ident, $args:pat_param) $body:block) => {
        $(#[$doc])*
        unsafe extern "C" fn $name(
            ctx: *mut qjs::JSContext,
            _this: qjs::JSValue,
            argc: c_int,
            argv: *mut qjs::JSValue,
        ) -> qjs::JSValue {
            // SAFETY: the engine calls natives with its calling convention (see `call`).
            unsafe { call(ctx, argc, argv, |$ctx, $args| $body) }
        }
    };
}

native! {
    /// `__cf_native_log(line)`: one line of the invocation's logs.
    fn log(ctx, args) {
        let line: String = arg(args, 0, ctx).get()?;
        CURRENT.with(|c| c.borrow_mut().logs.push(line));
        Ok(Value::new_undefined(ctx.clone()))
    }
}

native! {
    /// `__cf_native_hash(alg, keyByteString | null, dataByteString)`: the digest or HMAC, in hex.
    fn digest(ctx, args) {
        let alg: String = arg(args, 0, ctx).get()?;
        let key: Option<String> = arg(args, 1, ctx).get()?;
        let data: String = arg(args, 2, ctx).get()?;
        let throw = |m: String| Exception::throw_type(ctx, &m);
        let key = match key {
            Some(k) => Some(hash::byte_string(&k).map_err(throw)?),
            None => None,
        };
        let data = hash::byte_string(&data).map_err(throw)?;
        let out = hash::digest(&alg, key.as_deref(), &data).map_err(throw)?;
        string(ctx, &hash::hex(&out))
    }
}

native! {
    /// `__cf_native_library(name)`: the factory of `library.js` or `cloudfront.js`.
    fn library(ctx, args) {
        let name: String = arg(args, 0, ctx).get()?;
        super::engine::library(ctx.clone(), name)
    }
}

native! {
    /// `__cf_native_kvs()`: the invocation's key value store as JSON, or null without one.
    fn kvs(ctx, _) {
        match CURRENT.with(|c| c.borrow().kvs_json.clone()) {
            Some(json) => string(ctx, &json),
            None => Ok(Value::new_null(ctx.clone())),
        }
    }
}

native! {
    /// `Math.random()`: from the thread's generator, which no restored image rewinds.
    fn random(ctx, _) {
        Ok(Value::new_float(ctx.clone(), fastrand::f64()))
    }
}

fn string<'js>(ctx: &Ctx<'js>, text: &str) -> rquickjs::Result<Value<'js>> {
    rquickjs::String::from_str(ctx.clone(), text).map(|s| s.into_value())
}
