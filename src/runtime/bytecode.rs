//! Compiling a script once and running it in many contexts: QuickJS bytecode for the function's
//! source and for the lazily loaded library, so a warm invocation reads bytecode instead of parsing.
//!
//! rquickjs offers bytecode for ES modules only; scripts go through the C API here, the one place
//! in the runtime with raw engine calls. Not for: deciding what to compile (see `engine`).

use std::ffi::CString;

use rquickjs::{Ctx, Error, Result, Value, qjs};

/// Compiles `source` as a strict global script named `name` and returns its bytecode; `strip`
/// leaves out line numbers and source text (for our own scripts, whose stack frames nobody reads).
///
/// A syntax error is left pending in the context as the engine's exception, so `.catch(ctx)`
/// turns the returned `Error::Exception` into the SyntaxError with its position.
pub fn compile_script(ctx: &Ctx<'_>, source: &str, name: &str, strip: bool) -> Result<Vec<u8>> {
    let src = CString::new(source)?;
    let file = CString::new(name)?;
    let flags =
        qjs::JS_EVAL_TYPE_GLOBAL | qjs::JS_EVAL_FLAG_STRICT | qjs::JS_EVAL_FLAG_COMPILE_ONLY;
    let ctx_ptr = ctx.as_raw().as_ptr();
    // SAFETY: `ctx_ptr` is the live context behind `ctx`; `src` and `file` are NUL-terminated and
    // outlive the call; the compiled function value is owned here and freed below.
    unsafe {
        let func = qjs::JS_Eval(
            ctx_ptr,
            src.as_ptr(),
            source.len() as _,
            file.as_ptr(),
            flags as i32,
        );
        if qjs::JS_IsException(func) {
            return Err(Error::Exception);
        }
        let mut write_flags = qjs::JS_WRITE_OBJ_BYTECODE;
        if strip {
            write_flags |= qjs::JS_WRITE_OBJ_STRIP_DEBUG | qjs::JS_WRITE_OBJ_STRIP_SOURCE;
        }
        let mut len: qjs::size_t = 0;
        let buf = qjs::JS_WriteObject(ctx_ptr, &mut len, func, write_flags as i32);
        qjs::JS_FreeValue(ctx_ptr, func);
        if buf.is_null() {
            return Err(Error::Exception);
        }
        let bytes = std::slice::from_raw_parts(buf, len as usize).to_vec();
        qjs::js_free(ctx_ptr, buf.cast());
        Ok(bytes)
    }
}

/// Runs bytecode written by [`compile_script`] in `ctx` and returns the script's completion value.
pub fn run_script<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> Result<Value<'js>> {
    let ctx_ptr = ctx.as_raw().as_ptr();
    // SAFETY: the bytes come from `compile_script` of this same engine build in this process
    // (never from outside), which is what JS_READ_OBJ_BYTECODE requires; JS_EvalFunction takes
    // ownership of the function value, and the result is handed to rquickjs as an owned value.
    unsafe {
        let func = qjs::JS_ReadObject(
            ctx_ptr,
            bytes.as_ptr(),
            bytes.len() as _,
            qjs::JS_READ_OBJ_BYTECODE as i32,
        );
        if qjs::JS_IsException(func) {
            return Err(Error::Exception);
        }
        let result = qjs::JS_EvalFunction(ctx_ptr, func);
        if qjs::JS_IsException(result) {
            return Err(Error::Exception);
        }
        Ok(Value::from_raw(ctx.clone(), result))
    }
}

/// Re-anchors the engine's stack limit at the current stack position: a runtime reused on a
/// thread is entered from different depths, and the limit is measured from where it was set.
pub fn update_stack_top(ctx: &Ctx<'_>) {
    // SAFETY: the runtime pointer comes from the live context; the call only reads the stack
    // pointer and stores it in the runtime.
    unsafe { qjs::JS_UpdateStackTop(qjs::JS_GetRuntime(ctx.as_raw().as_ptr())) }
}
