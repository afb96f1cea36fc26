//! The Web Worker that trains: it only moves messages between the page and a
//! [`Session`](crate::session::Session) (via [`serve`](crate::session::serve)), so the page's
//! thread never runs a tensor operation.

use super::{device, yield_now};
use crate::session::protocol::{self, Command, Event, Topic};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

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

/// Send an event; a checkpoint's bytes go beside it (`[event, bytes]`, both transferred), so that
/// the page never copies them into its WebAssembly heap (`web/ui/held.rs`).
fn post_event(event: Event) {
    match event {
        Event::Saved { file_name, bytes, epoch, autosave } => {
            let payload = Uint8Array::from(&bytes[..]);
            drop(bytes);
            let header = Uint8Array::from(&protocol::encode(&Event::Saved { file_name, bytes: Vec::new(), epoch, autosave })[..]);
            let both = Array::of2(&header, &payload);
            let transfer = Array::of2(&header.buffer(), &payload.buffer());
            if let Err(e) = scope().post_message_with_transfer(&both, &transfer) {
                web_sys::console::error_2(&"cannot post to the page".into(), &e);
            }
        }
        event => post(&event),
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
    let mut command: Command = protocol::decode(&bytes.to_vec()).map_err(|e| e.to_string())?;
    if let (Some(file), Command::LoadModel { file: f, .. } | Command::Pretrained { file: f }) = (file, &mut command) {
        f.bytes = file.to_vec();
    }
    Ok(command)
}

/// Start the worker: listen for commands and serve them until the page closes.
pub fn run() {
    std::panic::set_hook(Box::new(|info| {
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
        let pick = async |choice| device::pick(choice, |message| post(&Event::GpuFailed(message))).await;
        // After each event, the heap's size when it moved by a megabyte or more (the page shows it).
        let mut reported = 0.0;
        crate::session::serve(rx, pick, yield_now, &mut |e| {
            post_event(e);
            let now = super::wasm_memory_bytes();
            if (now - reported).abs() >= 1048576.0 {
                reported = now;
                post(&Event::Memory { wasm_bytes: now });
            }
        })
        .await;
    });
}
