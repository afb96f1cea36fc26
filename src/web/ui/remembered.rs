//! What `auto` measured on this browser (WebGPU against the CPU, per adapter: `train/measure.rs`),
//! kept in local storage so that a reload does not measure again; each new trainer is given the
//! list. Local storage may be off (private browsing, a sandboxed frame): then nothing is
//! remembered and `auto` measures again, nothing else changes.

use crate::shared::protocol::Measured;

const KEY: &str = "pad.measured-devices";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Everything measured before on this browser (empty when nothing is, or it cannot be read).
pub fn load() -> Vec<Measured> {
    storage().and_then(|s| s.get_item(KEY).ok().flatten()).and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default()
}

/// Remember `measured`, replacing what was measured before on the same adapter.
pub fn remember(measured: Measured) {
    let mut all = load();
    all.retain(|m| m.adapter != measured.adapter);
    all.push(measured);
    if let (Some(s), Ok(text)) = (storage(), serde_json::to_string(&all)) {
        let _ = s.set_item(KEY, &text);
    }
}
