//! What one thread keeps between invocations: for each runtime version, a QuickJS engine with its
//! environment built (a context, the natives and the prelude) and an image of its memory taken
//! right then, plus the bytecode of the functions it compiled recently.
//!
//! Isolation: the engine lives in its own memory region (see `region`), and after every
//! invocation the region is put back to the image, byte for byte: globals, prototypes, built-ins,
//! pending jobs, the atom table and the allocator's own state are exactly as they were before the
//! function ran, whatever it did, including after a timeout, running out of memory or a panic.
//! Nothing of an invocation survives it except what Rust took out (output, logs), so nothing needs
//! to be collected either.
//!
//! Not for: running code (see `engine`).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;

use rquickjs::loader::{BuiltinResolver, ImportAttributes, Loader};
use rquickjs::module::Declared;
use rquickjs::{Context, Ctx, Module, WriteOptions};

use super::region::{Image, Region};
use crate::types::Runtime;

/// How an invocation gets its engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// The thread's ready engine, restored from its image after the call (the default).
    Pooled,
    /// A new runtime and a full context per call, the function parsed from source and the whole
    /// library built up front: the approach before pooling, kept only to measure against in one
    /// run (`run_unpooled`).
    Fresh,
    /// A runtime of its own on the process heap with the same environment as a ready engine,
    /// for a call that no ready engine can take (see [`with_ready`]).
    Own,
}

/// Compiled functions kept per thread; the emulator and test suites run a few functions many times.
const CODE_CACHE_ENTRIES: usize = 16;

/// Native stack the engine may use; below the 2 MiB of a spawned or blocking-pool thread.
const MAX_STACK_BYTES: usize = 512 * 1024;

/// Address space reserved per ready engine; pages are backed only when touched. An invocation
/// whose memory limit does not fit (with room for the environment) runs [`Reuse::Own`].
const REGION_BYTES: usize = 256 * 1024 * 1024;

/// Room kept in a region beyond the memory limit and the image: freed blocks are reused only by
/// their own size class, so a region holds more than the engine counts as in use. A call that
/// still runs the region out under its limit is run again on an engine of its own.
const REGION_SLACK: usize = 64 * 1024 * 1024;

/// Built-in modules `import` can name (runtime 2.0).
const BUILTIN_MODULES: [&str; 4] = ["cloudfront", "crypto", "querystring", "buffer"];

/// An engine with its environment built, and the image to return it to.
pub struct Ready {
    // Dropped in this order: the context and runtime free into the region, which goes last.
    ctx: Context,
    rt: rquickjs::Runtime,
    image: Image,
    region: Region,
}

impl Ready {
    /// Builds an engine in a new region with `build` and saves its image.
    fn new(build: impl FnOnce(&rquickjs::Runtime) -> rquickjs::Result<Context>) -> Option<Self> {
        let region = Region::reserve(REGION_BYTES)?;
        let rt = new_runtime_in(Some(&region)).ok()?;
        let ctx = build(&rt).ok()?;
        rt.run_gc();
        let image = region.save();
        Some(Self {
            ctx,
            rt,
            image,
            region,
        })
    }
}

impl Drop for Ready {
    fn drop(&mut self) {
        // SAFETY: the image is this region's, and no engine handle is alive outside `with_ready`
        // (which has returned or unwound when a Ready is dropped).
        unsafe { self.region.restore(&self.image) };
    }
}

struct Compiled {
    runtime: Runtime,
    code: Box<str>,
    function: CompiledFunction,
}

/// A function this thread compiled before: how it was compiled and its bytecode. Only functions
/// that passed the syntax rules and compiled are cached, so a hit also skips the syntax scan.
#[derive(Clone)]
pub struct CompiledFunction {
    pub module: bool,
    pub bytes: Rc<[u8]>,
}

thread_local! {
    static READY: RefCell<[Option<Ready>; 2]> = const { RefCell::new([None, None]) };
    /// Set when building a ready engine failed on this thread (no address space, say), so that
    /// later calls go straight to an engine of their own instead of trying again every time.
    static UNBUILDABLE: std::cell::Cell<[bool; 2]> = const { std::cell::Cell::new([false, false]) };
    static CODE: RefCell<Vec<Compiled>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on this thread's ready engine for `version` (built with `build` the first time), then
/// restores the engine. `f` returns its result and whether the engine may be kept (an internal
/// failure drops it, and the next call builds a new one).
///
/// `None` when no ready engine can take the call, and the caller then runs it on an engine of its
/// own ([`Reuse::Own`]): the memory limit is 0 (unlimited) or does not fit a region, no engine
/// could be built, or the call ran the region out before its memory limit (its result is thrown
/// away; it runs again elsewhere).
///
/// The restore is sound only because nothing made after the image points out of the region at
/// memory that a later call could free: `f` must not create Rust-backed engine objects
/// (`Function::new`, classes, `Persistent`, userdata, promise hooks); see `clippy.toml`.
pub fn with_ready<T>(
    version: Runtime,
    memory_limit: usize,
    build: impl FnOnce(&rquickjs::Runtime) -> rquickjs::Result<Context>,
    f: impl FnOnce(&rquickjs::Runtime, &Context) -> (T, bool),
) -> Option<T> {
    let slot = usize::from(version == Runtime::Js2);
    if memory_limit == 0 || UNBUILDABLE.with(|u| u.get()[slot]) {
        return None;
    }
    let taken = READY.with(|r| r.borrow_mut()[slot].take());
    let ready = match taken.or_else(|| Ready::new(build)) {
        Some(ready) => ready,
        None => {
            UNBUILDABLE.with(|u| {
                let mut flags = u.get();
                flags[slot] = true;
                u.set(flags);
            });
            return None;
        }
    };
    if memory_limit.saturating_add(ready.image.len() + REGION_SLACK) > ready.region.capacity() {
        READY.with(|r| r.borrow_mut()[slot] = Some(ready));
        return None;
    }
    let (out, keep) = f(&ready.rt, &ready.ctx);
    let exhausted = ready.region.exhausted();
    if keep {
        // SAFETY: every engine handle `f` made was confined to it and has been dropped.
        unsafe { ready.region.restore(&ready.image) };
        READY.with(|r| r.borrow_mut()[slot] = Some(ready));
    }
    // (A Ready that is not kept restores itself as it drops.)
    (!exhausted).then_some(out)
}

/// A new runtime with the limits and module loader every invocation needs, in `region` when given
/// (else on the process heap).
pub fn new_runtime_in(region: Option<&Region>) -> rquickjs::Result<rquickjs::Runtime> {
    let rt = match region {
        Some(region) => rquickjs::Runtime::new_with_alloc(region.allocator())?,
        None => rquickjs::Runtime::new()?,
    };
    rt.set_max_stack_size(MAX_STACK_BYTES);
    let mut resolver = BuiltinResolver::default();
    for name in BUILTIN_MODULES {
        resolver.add_module(name);
    }
    rt.set_loader(resolver, Builtins);
    Ok(rt)
}

/// Loads the built-in modules in every context of a runtime (rquickjs's `BuiltinLoader` hands
/// each source out once, for a runtime that has one context).
struct Builtins;

impl Loader for Builtins {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        // Compiled once per process, then read from bytecode in every context.
        static BYTES: [OnceLock<Vec<u8>>; 4] = [const { OnceLock::new() }; 4];
        let Some(i) = BUILTIN_MODULES.iter().position(|m| *m == name) else {
            return Err(rquickjs::Error::new_loading(name));
        };
        if let Some(bytes) = BYTES[i].get() {
            // SAFETY: written by `Module::write` of this same engine build in this process, from
            // our own source, which is what `Module::load` requires.
            return unsafe { Module::load(ctx.clone(), bytes) };
        }
        let module = Module::declare(ctx.clone(), name, builtin_module_source(name))?;
        let bytes = module.write(WriteOptions::default())?;
        let _ = BYTES[i].set(bytes);
        Ok(module)
    }
}

/// Source of the built-in ES modules: thin re-exports of what the prelude provides.
fn builtin_module_source(name: &str) -> String {
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
    let mut src = format!("const m = globalThis.__cf_modules[{name:?}];\nexport default m;\n");
    for n in named {
        src.push_str(&format!("export const {n} = m.{n};\n"));
    }
    src
}

/// What this thread compiled for `code` in `runtime` before, if it is still cached.
pub fn cached_code(runtime: Runtime, code: &str) -> Option<CompiledFunction> {
    CODE.with(|c| {
        c.borrow()
            .iter()
            .find(|e| e.runtime == runtime && &*e.code == code)
            .map(|e| e.function.clone())
    })
}

/// Remembers the bytecode of `code`, dropping the oldest entry when the cache is full.
pub fn cache_code(runtime: Runtime, code: &str, function: CompiledFunction) {
    CODE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CODE_CACHE_ENTRIES {
            c.remove(0);
        }
        c.push(Compiled {
            runtime,
            code: code.into(),
            function,
        });
    });
}
