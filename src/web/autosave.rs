//! The autosave, written by the worker itself as a file of the origin's private file system
//! (OPFS), straight from its heap to disk.
//!
//! Handed to the page, a 41 MB checkpoint was copied into a JavaScript buffer, sent over, copied
//! again by IndexedDB's serialisation and once more in the browser process on its way to disk:
//! measured, the tab's memory rose by 150–190 MB above what training holds at each autosave. A
//! `FileSystemSyncAccessHandle` (dedicated workers only) writes a view of the worker's heap: no
//! copy at all. The page then keeps the file's name (its store's record names it, `store.rs`) and
//! reads the file back only to resume it.
//!
//! Two files take turns (`autosave-0…`, `autosave-1…`, by the epoch's parity), so a write cut
//! short never damages the autosave the page's record names. Where the browser offers no such
//! file system, or a write fails, the worker falls back to handing the bytes to the page, for
//! good.

use crate::shared::protocol::Written;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemGetFileOptions, FileSystemReadWriteOptions, FileSystemSyncAccessHandle,
    WorkerGlobalScope,
};

/// The autosave file of `epoch` (one of two, taking turns).
pub fn file_name(epoch: usize) -> String {
    format!("autosave-{}.padckpt", epoch % 2)
}

thread_local! {
    /// Writing failed once (or the browser has no such file system): the page stores autosaves.
    static UNAVAILABLE: Cell<bool> = const { Cell::new(false) };
    /// Autosaves waiting for the one being written, in order (the page shows each as it lands).
    static WAITING: RefCell<VecDeque<Pending>> = const { RefCell::new(VecDeque::new()) };
    static WRITING: Cell<bool> = const { Cell::new(false) };
}

/// An autosave to write: its bytes, and what the page is told once it is written.
pub struct Pending {
    pub bytes: Vec<u8>,
    pub epoch: usize,
    /// Called with where it was written, or with the bytes back when it could not be.
    pub done: Box<dyn FnOnce(Result<Written, Vec<u8>>)>,
}

/// Write `pending` (after the one being written, if any); `Err(pending)` at once where autosaves
/// cannot be written here.
pub fn write(pending: Pending) -> Result<(), Pending> {
    if UNAVAILABLE.get() || !available() {
        UNAVAILABLE.set(true);
        return Err(pending);
    }
    WAITING.with_borrow_mut(|w| w.push_back(pending));
    if !WRITING.replace(true) {
        wasm_bindgen_futures::spawn_local(async {
            while let Some(p) = WAITING.with_borrow_mut(VecDeque::pop_front) {
                if UNAVAILABLE.get() {
                    (p.done)(Err(p.bytes));
                    continue;
                }
                let name = file_name(p.epoch);
                match write_file(&name, &p.bytes).await {
                    Ok(()) => (p.done)(Ok(Written { file: name, len: p.bytes.len() })),
                    Err(e) => {
                        web_sys::console::warn_2(&"autosaves go to the page: the private file system refused one".into(), &e);
                        UNAVAILABLE.set(true);
                        (p.done)(Err(p.bytes));
                    }
                }
            }
            WRITING.set(false);
        });
    }
    Ok(())
}

/// The browser offers what writing needs (`navigator.storage.getDirectory`, and
/// `createSyncAccessHandle` on file handles): called where they are missing, web-sys's bindings
/// would throw through the module.
fn available() -> bool {
    let get = |o: &JsValue, k: &str| js_sys::Reflect::get(o, &k.into()).ok().filter(|v| !v.is_undefined() && !v.is_null());
    let storage = get(&js_sys::global(), "navigator").and_then(|n| get(&n, "storage"));
    let directory = storage.as_ref().and_then(|s| get(s, "getDirectory")).is_some_and(|f| f.is_function());
    let handle = get(&js_sys::global(), "FileSystemFileHandle").and_then(|c| get(&c, "prototype"));
    let sync = handle.and_then(|p| get(&p, "createSyncAccessHandle")).is_some_and(|f| f.is_function());
    directory && sync
}

async fn write_file(name: &str, bytes: &[u8]) -> Result<(), JsValue> {
    let scope: WorkerGlobalScope = js_sys::global().dyn_into()?;
    let storage = scope.navigator().storage();
    let root: FileSystemDirectoryHandle = JsFuture::from(storage.get_directory()).await?.dyn_into()?;
    let create = FileSystemGetFileOptions::new();
    create.set_create(true);
    let file: FileSystemFileHandle = JsFuture::from(root.get_file_handle_with_options(name, &create)).await?.dyn_into()?;
    let access: FileSystemSyncAccessHandle = JsFuture::from(file.create_sync_access_handle()).await?.dyn_into()?;
    let at = FileSystemReadWriteOptions::new();
    at.set_at(0.0);
    // A view of the heap: written synchronously, so nothing moves it meanwhile.
    let written = access.write_with_u8_array_and_options(bytes, &at).and_then(|n| {
        access.truncate_with_f64(bytes.len() as f64)?;
        access.flush()?;
        Ok(n)
    });
    access.close();
    match written? {
        n if n as usize == bytes.len() => Ok(()),
        n => Err(format!("wrote {n} of {} bytes", bytes.len()).into()),
    }
}
