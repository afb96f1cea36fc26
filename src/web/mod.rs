//! The browser faces of the core (WebAssembly only): the training worker and the page.

#[cfg(feature = "trainer")]
pub mod autosave;
#[cfg(feature = "trainer")]
pub mod device;
pub mod ui;
#[cfg(feature = "trainer")]
pub mod worker;

use wasm_bindgen::prelude::*;

/// Run the module's static constructors, once, first thing in a browser binary's `main` (cubecl
/// registers its IR dialects through `inventory` constructors).
///
/// A binary linked for wasm32-unknown-unknown is a "command" module: unless its code calls
/// `__wasm_call_ctors` itself, wasm-ld wraps *every* export so that it runs all constructors
/// again — on every call from JavaScript into the module (each event handler, each GPU callback),
/// which measured about 1 ms a call and most of the page's main-thread time. Calling them once
/// stops the wrapping (lld: an input that calls `__wasm_call_ctors` takes care of them). A macro,
/// so that the call sits in the binary alone: any module whose objects reference the symbol loses
/// the wrappers, and a binary that does not call it (the wasm tests) would then run none.
#[macro_export]
macro_rules! run_constructors_once {
    () => {{
        unsafe extern "C" {
            fn __wasm_call_ctors();
        }
        // SAFETY: the linker-generated constructor function takes no arguments and only
        // initialises statics; it runs here once, at start-up, before any other code of the module.
        unsafe { __wasm_call_ctors() }
    }};
}

/// Let the event loop run (a macrotask: `setTimeout(…, 0)` in the page or the worker).
pub async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout =
            js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(f) => {
                let _ = f.call2(&JsValue::UNDEFINED, &resolve, &0.into());
            }
            None => {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Bytes of this module's WebAssembly memory (its heap's high-water mark: wasm memory only grows).
pub fn wasm_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64
}

/// Free a JavaScript buffer now, once its bytes are copied where they are kept (the module's
/// heap, the store, a download): detached (`ArrayBuffer.prototype.transfer(0)`, where the engine
/// has it), it goes at once rather than at V8's next collection, which a page or worker that
/// allocates little runs seconds to minutes later — the ready page held its bundled data and its
/// pretrained snapshot twice over that way (15 MB, BENCHMARKS.md). Already detached: nothing to do.
pub fn free(buffer: &js_sys::ArrayBuffer) {
    if let Some(transfer) = js_sys::Reflect::get(buffer, &"transfer".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok()) {
        let _ = transfer.call1(buffer, &0.into());
    }
}
