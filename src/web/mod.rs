//! The browser faces of the core (WebAssembly only): the training worker and the page.

pub mod device;
pub mod ui;
pub mod worker;

use wasm_bindgen::prelude::*;

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
