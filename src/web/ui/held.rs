//! Checkpoints the page holds as JavaScript buffers, outside its WebAssembly heap, by key
//! ([`Payload::Held`]). A wasm heap never shrinks: a 40 MB checkpoint decoded into it on every
//! autosave would leave the page's memory that much larger for good (measured: 24 → 159 MB after
//! the first autosave). So a checkpoint travels from the worker beside its message (a transferred
//! buffer), goes to IndexedDB or a download from here, and back to the worker the same way.

use crate::shared::page::Payload;
use js_sys::Uint8Array;
use std::cell::RefCell;
use std::collections::HashMap;

thread_local! {
    static HELD: RefCell<(u64, HashMap<u64, Uint8Array>)> = RefCell::new((0, HashMap::new()));
}

/// Hold `bytes`; the payload that names them.
pub fn hold(bytes: Uint8Array) -> Payload {
    let len = bytes.length() as usize;
    HELD.with_borrow_mut(|(next, held)| {
        *next += 1;
        held.insert(*next, bytes);
        Payload::Held { key: *next, len }
    })
}

/// The bytes of a payload as a JavaScript array (those held, or a copy of those in memory);
/// `None` for bytes only in the page's store (`store::bytes` reads them).
pub fn bytes(payload: &Payload) -> Option<Uint8Array> {
    match payload {
        Payload::Here(v) => Some(Uint8Array::from(v.as_slice())),
        Payload::Held { key, .. } => HELD.with_borrow(|(_, held)| held.get(key).cloned()),
        Payload::Stored { .. } => None,
    }
}

/// Let a held payload go, and free its buffer now: the page's copies of it (the store's, a
/// download's Blob, a command's) are made by then. Left to V8, a 41 MB checkpoint stayed until
/// its next collection, which a page that allocates little runs seconds to minutes later (the
/// soak saw the browser's memory move between two levels a checkpoint apart, BENCHMARKS.md).
/// Detached ([`crate::web::free`]), it goes at once.
pub fn release(payload: &Payload) {
    if let Payload::Held { key, .. } = payload
        && let Some(bytes) = HELD.with_borrow_mut(|(_, held)| held.remove(key))
    {
        crate::web::free(&bytes.buffer());
    }
}
