//! Choosing the compute device in the browser (in the worker, where training runs).
//!
//! WebGPU needs an adapter with the `timestamp-query` feature: cubecl panics on its first kernel
//! without it in wasm (`Timings::system()` in cubecl-wgpu 0.11.3's `compute/stream.rs`). In `auto`
//! mode a software adapter (SwiftShader, or one the browser marks as a fallback) loses to the CPU
//! backend, which is faster than emulated GPU compute; `webgpu` takes any adapter. A WebGPU device is used only once its self-check agrees
//! with the CPU backend (`train/verify.rs`). Whatever runs, the page says so and why.

use crate::session::protocol::{Backend, DeviceChoice, DeviceInfo};
use burn::prelude::Device;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// What the browser says about its WebGPU adapter.
struct Adapter {
    vendor: String,
    architecture: String,
    description: String,
    fallback: bool,
    timestamp_query: bool,
}

impl Adapter {
    fn describe(&self) -> String {
        let parts: Vec<&str> =
            [&self.vendor, &self.architecture, &self.description].into_iter().map(String::as_str).filter(|s| !s.is_empty()).collect();
        if parts.is_empty() { "unnamed adapter".into() } else { parts.join(" · ") }
    }

    /// Emulated on the CPU: slower than Burn's own CPU backend.
    fn software(&self) -> bool {
        self.fallback || self.architecture.contains("swiftshader") || self.description.to_ascii_lowercase().contains("swiftshader")
    }
}

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn text(o: &JsValue, key: &str) -> String {
    get(o, key).as_string().unwrap_or_default()
}

fn call(o: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = get(o, method).dyn_into()?;
    f.apply(o, &args.iter().collect())
}

/// `navigator.gpu.requestAdapter({ powerPreference: "high-performance" })` in the current global
/// scope (window or worker); `None` when there is no WebGPU or no adapter.
async fn request_adapter() -> Result<Option<Adapter>, JsValue> {
    let gpu = get(&get(&js_sys::global(), "navigator"), "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Ok(None);
    }
    // The adapter cubecl will use (it asks for high performance): on a two-GPU laptop an
    // options-less request may describe the other one.
    let options = js_sys::Object::new();
    Reflect::set(&options, &"powerPreference".into(), &"high-performance".into())?;
    let adapter = JsFuture::from(call(&gpu, "requestAdapter", &[options.into()])?.dyn_into::<Promise>()?).await?;
    if adapter.is_null() || adapter.is_undefined() {
        return Ok(None);
    }
    let info = get(&adapter, "info");
    let fallback = get(&info, "isFallbackAdapter").as_bool().or_else(|| get(&adapter, "isFallbackAdapter").as_bool()).unwrap_or(false);
    let timestamp_query = call(&get(&adapter, "features"), "has", &["timestamp-query".into()])?.as_bool().unwrap_or(false);
    Ok(Some(Adapter {
        vendor: text(&info, "vendor"),
        architecture: text(&info, "architecture"),
        description: text(&info, "description"),
        fallback,
        timestamp_query,
    }))
}

fn cpu(note: Option<String>) -> (Device, DeviceInfo) {
    (Device::flex(), DeviceInfo { backend: Backend::Cpu, adapter: String::new(), note, software: false })
}

/// The device for `choice`, initialised (WebGPU's runtime can start only once per page or worker).
/// `on_lost` hears, in words, if the GPU device is lost later (driver reset, out of memory,
/// `destroy()`): training cannot go on after that.
pub async fn pick(choice: DeviceChoice, on_lost: fn(String)) -> (Device, DeviceInfo) {
    if choice == DeviceChoice::Cpu {
        return cpu(None);
    }
    let adapter = match request_adapter().await {
        Ok(Some(a)) => a,
        Ok(None) => return cpu(Some("WebGPU is not available in this browser's workers: training on the CPU instead".into())),
        Err(e) => return cpu(Some(format!("WebGPU could not be queried ({e:?}): training on the CPU instead"))),
    };
    let name = adapter.describe();
    if !adapter.timestamp_query {
        return cpu(Some(format!(
            "the WebGPU adapter ({name}) lacks the timestamp-query feature Burn needs in the browser: training on the CPU instead"
        )));
    }
    if choice == DeviceChoice::Auto && adapter.software() {
        return cpu(Some(format!(
            "only a software WebGPU adapter is available ({name}), slower than the CPU backend: training on the CPU (add ?device=webgpu to use it anyway)"
        )));
    }
    match Device::wgpu_options().init_with_setup_async().await {
        Ok((device, setup)) => {
            // Trust the GPU only once it computes what the CPU computes (a kernel that fails
            // validation would otherwise hand back stale numbers: train/verify.rs).
            let checked = match crate::train::verify::against_cpu(&device).await {
                Ok(agreement) => agreement.describe(),
                Err(e) => {
                    return cpu(Some(format!(
                        "the WebGPU adapter ({name}) failed its self-check, {}: training on the CPU instead",
                        e.to_string().trim_start_matches("device error: ")
                    )));
                }
            };
            setup.device.set_device_lost_callback(move |reason, message| {
                let why = if message.is_empty() { format!("{reason:?}") } else { format!("{reason:?}: {message}") };
                on_lost(format!("the WebGPU device was lost ({why})"));
            });
            let software = adapter.software();
            let note = if software { format!("a software adapter: expect seconds per iteration; {checked}") } else { checked };
            (device, DeviceInfo { backend: Backend::WebGpu, adapter: name, note: Some(note), software })
        }
        Err(e) => cpu(Some(format!("WebGPU did not start ({e}): training on the CPU instead"))),
    }
}
