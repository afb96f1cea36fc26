//! The Web Worker that trains: it only moves messages between the page and a
//! [`Session`](crate::session::Session) (via [`serve`](crate::session::serve)), so the page's
//! thread never runs a tensor operation.

use super::{autosave, device, yield_now};
use crate::heap::{Counted, Refusal};
use crate::session::protocol::{self, Command, Event, OutOfMemory, Topic, TrainerMemory};
use burn::tensor::Device;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// The worker's heap: every allocation counted; one refused is told to the page (`heap.rs`).
#[global_allocator]
static HEAP: Counted = Counted::new();

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Send an event to the page (its bytes are transferred, not copied).
fn post(event: &Event) {
    let bytes = Uint8Array::from(&protocol::encode(event)[..]);
    let transfer = Array::of1(&bytes.buffer());
    if let Err(e) = scope().post_message_with_transfer(&bytes, &transfer) {
        web_sys::console::error_2(&"cannot post to the page".into(), &e);
    }
}

/// Send an event. An autosave the worker writes to a file itself where it can (`autosave.rs`:
/// the page is then told the file's name); other checkpoints go beside their message.
fn post_event(event: Event) {
    match event {
        Event::Saved { file_name, bytes, epoch, autosave: true, written: None } => {
            let name = file_name.clone();
            let done = move |result| match result {
                Ok(written) => post(&Event::Saved { file_name: name, bytes: Vec::new(), epoch, autosave: true, written: Some(written) }),
                Err(bytes) => post_beside(name, bytes, epoch, true),
            };
            if let Err(p) = autosave::write(autosave::Pending { bytes, epoch, done: Box::new(done) }) {
                post_beside(file_name, p.bytes, epoch, true);
            }
        }
        Event::Saved { file_name, bytes, epoch, autosave, .. } => post_beside(file_name, bytes, epoch, autosave),
        event => post(&event),
    }
}

/// Send a checkpoint with its bytes beside its message (`[event, bytes]`, both transferred), so
/// that the page never copies them into its WebAssembly heap (`web/ui/held.rs`).
fn post_beside(file_name: String, bytes: Vec<u8>, epoch: usize, autosave: bool) {
    let payload = Uint8Array::from(&bytes[..]);
    drop(bytes);
    let header = Uint8Array::from(&protocol::encode(&Event::Saved { file_name, bytes: Vec::new(), epoch, autosave, written: None })[..]);
    let both = Array::of2(&header, &payload);
    let transfer = Array::of2(&header.buffer(), &payload.buffer());
    if let Err(e) = scope().post_message_with_transfer(&both, &transfer) {
        web_sys::console::error_2(&"cannot post to the page".into(), &e);
    }
}

/// A command from the page: its bytes, or `[command, file bytes]` for a model file sent beside
/// its message (`LoadModel`, `Pretrained`: the page holds checkpoints outside its heap).
fn command(data: JsValue) -> Result<Command, String> {
    let (message, file) = match data.dyn_ref::<Array>() {
        Some(parts) => (parts.get(0), Some(Uint8Array::new(&parts.get(1)))),
        None => (data, None),
    };
    let bytes = message.dyn_into::<Uint8Array>().map_err(|_| "not bytes".to_string())?;
    let decoded = protocol::decode(&bytes.to_vec()).map_err(|e| e.to_string());
    // Both were transferred here and are copied into the heap now: free them at once.
    super::free(&bytes.buffer());
    let mut command: Command = decoded?;
    if let Some(file) = file {
        if let Command::LoadModel { file: f, .. } | Command::Pretrained { file: f } = &mut command {
            f.bytes = file.to_vec();
        }
        super::free(&file.buffer());
    }
    Ok(command)
}

/// After the module failed: when its heap had just refused an allocation, tell the page it ran
/// out of memory — in place of the bare `RuntimeError: unreachable` of the trap, or of what the
/// tasks the trap cut short make fail next — and end the worker (`true`). This allocates a
/// little; the refused request was a large one.
fn out_of_memory() -> bool {
    let Some(Refusal { asked, in_use }) = HEAP.refused() else { return false };
    post(&Event::OutOfMemory(OutOfMemory { asked: asked as f64, in_use: in_use as f64, heap: super::wasm_memory_bytes() }));
    scope().close(); // its tasks were cut short mid-way: none may run again
    true
}

/// The worker's `error` event (a trap reaches it): see [`out_of_memory`].
fn on_error(event: web_sys::ErrorEvent) {
    if out_of_memory() {
        event.prevent_default();
    }
}

/// A heap limit a prelude script set before the worker started (`self.padHeapLimit`, bytes): a
/// small device played in a test (`heap.rs`).
fn heap_limit() -> Option<usize> {
    js_sys::Reflect::get(&js_sys::global(), &"padHeapLimit".into()).ok()?.as_f64().map(|b| b as usize)
}

/// The trainer's memory as the page was last told it.
#[derive(Default)]
struct Told {
    memory: TrainerMemory,
    /// When the GPU's allocator was last asked (the page's clock, ms).
    gpu_asked: f64,
}

impl Told {
    /// After an event: tell the page what the memory holds when a figure moved. `gpu`: the WebGPU
    /// device, whose allocator reports its buffers, asked at most every 2 s (it first records
    /// the queued work); the CPU backend reports none.
    fn after_event(&mut self, gpu: Option<&Device>) {
        let now = js_sys::Date::now();
        let gpu = match gpu {
            Some(d) if now - self.gpu_asked >= 2000.0 => {
                self.gpu_asked = now;
                d.memory_pool_usage().map(|u| (u.bytes_in_use as f64, u.bytes_reserved as f64))
            }
            _ => self.memory.gpu,
        };
        let memory = TrainerMemory { heap: super::wasm_memory_bytes(), in_use: HEAP.in_use() as f64, most: HEAP.most() as f64, gpu };
        if memory.moved_from(&self.memory) {
            self.memory = memory;
            post(&Event::Memory(memory));
        }
    }
}

/// Start the worker: listen for commands and serve them until the page closes.
pub fn run() {
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(on_error);
    let _ = scope().add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
    on_error.forget(); // lives as long as the worker
    if let Some(limit) = heap_limit() {
        HEAP.limit(limit);
    }
    std::panic::set_hook(Box::new(|info| {
        if out_of_memory() {
            return; // the fallout of the refused allocation, not a fault of its own
        }
        console_error_panic_hook::hook(info);
        // A panic aborts the module: tell the page first, in words.
        post(&Event::Fatal(info.to_string()));
    }));
    let (tx, rx) = async_channel::unbounded::<Command>();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |m: MessageEvent| match command(m.data()) {
        Ok(command) => {
            let _ = tx.try_send(command);
        }
        Err(e) => post(&Event::Error { topic: Topic::Run, message: format!("the trainer got a message it cannot read ({e})") }),
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget(); // lives as long as the worker
    post(&Event::Listening);
    // Long work (probes, evaluations) yields in slices, so commands are read while it runs.
    crate::pace::set_yield(crate::pace::SLICE, || Box::pin(yield_now()));
    wasm_bindgen_futures::spawn_local(async move {
        let gpu = std::rc::Rc::new(std::cell::RefCell::new(None::<Device>));
        let picked = gpu.clone();
        let pick = async move |choice| {
            let (device, info) = device::pick(choice, |message| post(&Event::GpuFailed(message))).await;
            if info.backend == protocol::Backend::WebGpu {
                *picked.borrow_mut() = Some(device.clone());
            }
            (device, info)
        };
        let mut told = Told::default();
        crate::session::serve(rx, pick, yield_now, &mut |e| {
            post_event(e);
            told.after_event(gpu.borrow().as_ref());
        })
        .await;
    });
}
