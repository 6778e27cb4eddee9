//! What one thread keeps between invocations: one QuickJS runtime (the allocator, atom table and
//! module loader, never a context) and the bytecode of the functions it compiled recently.
//!
//! Isolation: every invocation gets a new context (its own globals, prototypes and built-ins), and
//! a runtime is thrown away instead of reused after anything that may leave state behind in it: a
//! timeout, an out-of-memory, an engine failure, or jobs still queued when the handler returned.
//! After each invocation the context is dropped and the garbage collected, so the next one starts
//! with the runtime's baseline memory under its own limit.
//!
//! Not for: running code (see `engine`).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;

use rquickjs::loader::{BuiltinResolver, ImportAttributes, Loader};
use rquickjs::module::Declared;
use rquickjs::{Ctx, Module, WriteOptions};

use crate::types::Runtime;

/// How an invocation gets its engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// The thread's runtime and bytecode cache, the library loaded on first use (the default).
    Pooled,
    /// A new runtime per call, the function parsed from source and the whole library built up
    /// front: the approach before pooling, kept to measure against in one run.
    Fresh,
}

/// Invocations after which a runtime is replaced anyway, so nothing can accumulate without bound.
const MAX_USES: u32 = 1000;

/// Compiled functions kept per thread; the emulator and test suites run a few functions many times.
const CODE_CACHE_ENTRIES: usize = 16;

/// Native stack the engine may use; below the 2 MiB of a spawned or blocking-pool thread.
const MAX_STACK_BYTES: usize = 512 * 1024;

/// Built-in modules `import` can name (runtime 2.0).
const BUILTIN_MODULES: [&str; 4] = ["cloudfront", "crypto", "querystring", "buffer"];

struct Pooled {
    rt: rquickjs::Runtime,
    uses: u32,
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
    static RUNTIME: RefCell<Option<Pooled>> = const { RefCell::new(None) };
    static CODE: RefCell<Vec<Compiled>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with a runtime; `f` returns its result and whether the runtime may be reused.
pub fn with_runtime<T>(
    reuse: Reuse,
    f: impl FnOnce(&rquickjs::Runtime) -> (T, bool),
) -> rquickjs::Result<T> {
    let taken = match reuse {
        Reuse::Pooled => RUNTIME.with(|r| r.borrow_mut().take()),
        Reuse::Fresh => None,
    };
    let mut pooled = match taken {
        Some(p) => p,
        None => Pooled {
            rt: new_runtime()?,
            uses: 0,
        },
    };
    let (out, reusable) = f(&pooled.rt);
    pooled.uses += 1;
    if reuse == Reuse::Pooled && reusable && pooled.uses < MAX_USES {
        pooled.rt.run_gc();
        RUNTIME.with(|r| *r.borrow_mut() = Some(pooled));
    }
    Ok(out)
}

fn new_runtime() -> rquickjs::Result<rquickjs::Runtime> {
    let rt = rquickjs::Runtime::new()?;
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
