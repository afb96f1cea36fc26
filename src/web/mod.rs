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
/// heap, the store, a download), rather than at the engine's next collection — which a page or
/// worker that allocates little runs seconds to minutes later (the ready page held its bundled data
/// and its pretrained snapshot twice over that way, 15 MB: BENCHMARKS.md).
///
/// `ArrayBuffer.prototype.transfer(0)` detaches only the JavaScript engine's side: a buffer that
/// the browser made — a fetched body, a message's transferred bytes, a file read — is also held by
/// the browser's own object (Blink's `DOMArrayBuffer` in Chromium), which keeps its memory until a
/// collection. So the buffer is posted, transferred, to a `MessageChannel` whose other end is
/// closed: the browser's own transfer hands the bytes to the message, which is dropped undelivered
/// (measured in Chromium: the 6.5 MB snapshot freed at once, where it had stayed until the
/// collection 30 s after the load; BENCHMARKS.md, memory, fourth pass). Where the engine keeps a
/// posted buffer (or posting fails), `transfer(0)` as before. Already detached: nothing to do.
pub fn free(buffer: &js_sys::ArrayBuffer) {
    if buffer.byte_length() == 0 {
        return;
    }
    thread_local! {
        /// The channel's open end; its other end closed once, at the first call.
        static DROP: Option<web_sys::MessagePort> = web_sys::MessageChannel::new().ok().map(|channel| {
            channel.port2().close();
            channel.port1()
        });
    }
    DROP.with(|port| {
        if let Some(port) = port {
            let _ = port.post_message_with_transferable(&JsValue::NULL, &js_sys::Array::of1(buffer));
        }
    });
    if buffer.byte_length() != 0
        && let Some(transfer) = js_sys::Reflect::get(buffer, &"transfer".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    {
        let _ = transfer.call1(buffer, &0.into());
    }
}
