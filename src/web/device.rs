//! Choosing the compute device in the browser (in the worker, where training runs).
//!
//! cubecl panics on its first kernel in wasm when the adapter lacks the `timestamp-query` feature
//! (`Timings::system()` in cubecl-wgpu 0.11.3's `compute/stream.rs`), although only profiling needs
//! it: the worker's first script (`static/worker-entry.js`) reports it to cubecl and keeps it out of
//! the device's required features. Without that script (the worker started some other way) such an
//! adapter is refused, as before. In `auto`
//! mode a software adapter (`DeviceInfo::is_software_adapter`) loses to the CPU backend, which is
//! faster than emulated GPU compute, and a hardware one is timed against it at the first run
//! (`train/measure.rs`, in the session); `webgpu` takes any adapter. A WebGPU device is used only once its self-check agrees
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
    /// `timestamp-query` reported by `static/worker-entry.js`, not by the adapter.
    timestamp_query_emulated: bool,
}

impl Adapter {
    fn describe(&self) -> String {
        let parts: Vec<&str> =
            [&self.vendor, &self.architecture, &self.description].into_iter().map(String::as_str).filter(|s| !s.is_empty()).collect();
        if parts.is_empty() { "unnamed adapter".into() } else { parts.join(" · ") }
    }

    /// Emulated on the CPU: slower than Burn's own CPU backend.
    fn software(&self) -> bool {
        DeviceInfo::is_software_adapter(self.fallback, &[&self.vendor, &self.architecture, &self.description])
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
    let timestamp_query_emulated = get(&js_sys::global(), "padTimestampQueryEmulated").as_bool().unwrap_or(false);
    Ok(Some(Adapter {
        vendor: text(&info, "vendor"),
        architecture: text(&info, "architecture"),
        description: text(&info, "description"),
        fallback,
        timestamp_query,
        timestamp_query_emulated,
    }))
}

/// The first line of an error (WebGPU's validation messages run over many).
fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or(s).trim()
}

fn cpu(note: Option<String>) -> (Device, DeviceInfo) {
    (Device::flex(), DeviceInfo { backend: Backend::Cpu, adapter: String::new(), note, software: false })
}

/// The device for `choice`, initialised (WebGPU's runtime can start only once per page or worker).
/// `on_failure` hears, in words, if the GPU fails later — its device lost (driver reset, out of
/// memory, `destroy()`) or a WebGPU error nobody caught (`onuncapturederror`: a kernel that failed
/// validation was skipped, so the numbers that follow cannot be trusted, cubecl's issue 1641):
/// training cannot go on there, and the page moves it to the CPU.
pub async fn pick(choice: DeviceChoice, on_failure: fn(String)) -> (Device, DeviceInfo) {
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
            // Ours replace cubecl's handlers (which panic on an uncaptured error, and only mark
            // the device on a loss): set before the self-check, so that an error there ends it
            // too, and again after it, in case cubecl installed its own meanwhile.
            let watch = || {
                setup.device.set_device_lost_callback(move |reason, message| {
                    let why = if message.is_empty() { format!("{reason:?}") } else { format!("{reason:?}: {message}") };
                    on_failure(format!("the WebGPU device was lost ({why})"));
                });
                setup.device.on_uncaptured_error(std::sync::Arc::new(move |error| {
                    on_failure(format!("WebGPU reported an error the trainer did not expect: {}", first_line(&error.to_string())));
                }));
            };
            watch();
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
            watch();
            let software = adapter.software();
            let mut note = if software { format!("a software adapter: expect seconds per iteration; {checked}") } else { checked };
            if adapter.timestamp_query_emulated {
                note.push_str("; the adapter lacks timestamp-query, which only profiling needs: left out");
            }
            (device, DeviceInfo { backend: Backend::WebGpu, adapter: name, note: Some(note), software })
        }
        Err(e) => cpu(Some(format!("WebGPU did not start ({e}): training on the CPU instead"))),
    }
}
