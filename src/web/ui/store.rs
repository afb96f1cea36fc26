//! The page's own store (IndexedDB): the autosave written after every epoch, so that after a
//! reload, a crash or a lost GPU the page offers to resume, losing at most one epoch. Everything
//! here may fail (private browsing, a full disk, IndexedDB switched off): failures are messages,
//! never a broken page, and training goes on without autosave.

use super::held;
use crate::shared::page::{Payload, SavedModel};
use idb::builder::{DatabaseBuilder, ObjectStoreBuilder};
use idb::{Database, TransactionMode};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::JsValue;

const DATABASE: &str = "pad";
const STORE: &str = "models";
const KEY: &str = "autosave";

async fn open() -> Result<Database, String> {
    DatabaseBuilder::new(DATABASE)
        .version(1)
        .add_object_store(ObjectStoreBuilder::new(STORE))
        .build()
        .await
        .map_err(|e| format!("IndexedDB is not available ({e})"))
}

fn field(o: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(o, &JsValue::from_str(name)).ok().filter(|v| !v.is_undefined())
}

/// Keep `saved` as the autosave (replacing the previous one).
pub async fn put(saved: &SavedModel) -> Result<(), String> {
    let db = open().await?;
    let fail = |e: idb::Error| format!("cannot write the autosave ({e})");
    let value = Object::new();
    let set = |k: &str, v: JsValue| Reflect::set(&value, &JsValue::from_str(k), &v).map(|_| ());
    set("file_name", JsValue::from_str(&saved.file_name))
        .and_then(|_| set("epoch", JsValue::from_f64(saved.epoch as f64)))
        .and_then(|_| set("bytes", held::bytes(&saved.bytes).map_or(JsValue::UNDEFINED, JsValue::from)))
        .map_err(|_| "cannot build the autosave record".to_string())?;
    let tx = db.transaction(&[STORE], TransactionMode::ReadWrite).map_err(fail)?;
    let store = tx.object_store(STORE).map_err(fail)?;
    store.put(&value, Some(&JsValue::from_str(KEY))).map_err(fail)?.await.map_err(fail)?;
    tx.commit().map_err(fail)?.await.map_err(fail)?;
    db.close();
    Ok(())
}

/// The stored autosave record, if there is one.
async fn record() -> Result<Option<JsValue>, String> {
    let db = open().await?;
    let fail = |e: idb::Error| format!("cannot read the autosave ({e})");
    let tx = db.transaction(&[STORE], TransactionMode::ReadOnly).map_err(fail)?;
    let store = tx.object_store(STORE).map_err(fail)?;
    let value = store.get(JsValue::from_str(KEY)).map_err(fail)?.await.map_err(fail)?;
    db.close();
    Ok(value)
}

/// The autosave, if there is one.
pub async fn get() -> Result<Option<SavedModel>, String> {
    let Some(value) = record().await? else { return Ok(None) };
    let (Some(file_name), Some(epoch), Some(bytes)) = (
        field(&value, "file_name").and_then(|v| v.as_string()),
        field(&value, "epoch").and_then(|v| v.as_f64()),
        field(&value, "bytes").map(|v| Uint8Array::new(&v)),
    ) else {
        return Err("the stored autosave is unreadable".into());
    };
    // Left in the store until Resume reads it back (the page holds no copy).
    Ok(Some(SavedModel { file_name, epoch: epoch as usize, bytes: Payload::Stored { len: bytes.length() as usize } }))
}

/// The autosave's bytes, read back from the store (a JavaScript buffer: never copied into the
/// page's heap).
pub async fn bytes() -> Result<Option<Uint8Array>, String> {
    Ok(record().await?.and_then(|v| field(&v, "bytes")).map(|v| Uint8Array::new(&v)))
}
