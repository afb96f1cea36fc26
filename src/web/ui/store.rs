//! The page's own store (IndexedDB): the autosave written after every epoch, so that after a
//! reload, a crash or a lost GPU the page offers to resume, losing at most one epoch. Everything
//! here may fail (private browsing, a full disk, IndexedDB switched off): failures are messages,
//! never a broken page, and training goes on without autosave.

use super::held;
use crate::shared::page::{Payload, SavedModel};
use idb::builder::{DatabaseBuilder, ObjectStoreBuilder};
use idb::{Database, TransactionMode};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, FileSystemDirectoryHandle, FileSystemFileHandle};

const DATABASE: &str = "pad";
const STORE: &str = "models";
const KEY: &str = "autosave";
/// The autosave's name, epoch and size without its bytes: what a page load reads (the record
/// itself, 41 MB, is read only when resumed). Stores written before it have the record alone.
const INFO: &str = "autosave-info";

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

/// Keep `saved` as the autosave (replacing the previous one): its bytes, or — written by the
/// worker to a file of the origin's private file system — only the file's name (the bytes this
/// store held before are deleted).
pub async fn put(saved: &SavedModel) -> Result<(), String> {
    let db = open().await?;
    let fail = |e: idb::Error| format!("cannot write the autosave ({e})");
    let bytes = held::bytes(&saved.bytes);
    let (len, file) = match &saved.bytes {
        Payload::Stored { len, file } => (*len, file.clone()),
        _ => (bytes.as_ref().map_or(0, |b| b.length() as usize), None),
    };
    let record = |with_bytes: bool| {
        let value = Object::new();
        let set = |k: &str, v: JsValue| Reflect::set(&value, &JsValue::from_str(k), &v).map(|_| ());
        set("file_name", JsValue::from_str(&saved.file_name))
            .and_then(|_| set("epoch", JsValue::from_f64(saved.epoch as f64)))
            .and_then(|_| set("len", JsValue::from_f64(len as f64)))
            .and_then(|_| file.as_deref().map_or(Ok(()), |f| set("file", JsValue::from_str(f))))
            .and_then(|_| if with_bytes { set("bytes", bytes.clone().map_or(JsValue::UNDEFINED, JsValue::from)) } else { Ok(()) })
            .map(|_| value)
            .map_err(|_| "cannot build the autosave record".to_string())
    };
    let tx = db.transaction(&[STORE], TransactionMode::ReadWrite).map_err(fail)?;
    let store = tx.object_store(STORE).map_err(fail)?;
    if file.is_some() {
        store.delete(JsValue::from_str(KEY)).map_err(fail)?.await.map_err(fail)?;
    } else {
        store.put(&record(true)?.into(), Some(&JsValue::from_str(KEY))).map_err(fail)?.await.map_err(fail)?;
    }
    store.put(&record(false)?.into(), Some(&JsValue::from_str(INFO))).map_err(fail)?.await.map_err(fail)?;
    tx.commit().map_err(fail)?.await.map_err(fail)?;
    db.close();
    Ok(())
}

/// The stored record under `key`, if there is one.
async fn record(key: &str) -> Result<Option<JsValue>, String> {
    let db = open().await?;
    let fail = |e: idb::Error| format!("cannot read the autosave ({e})");
    let tx = db.transaction(&[STORE], TransactionMode::ReadOnly).map_err(fail)?;
    let store = tx.object_store(STORE).map_err(fail)?;
    let value = store.get(JsValue::from_str(key)).map_err(fail)?.await.map_err(fail)?;
    db.close();
    Ok(value)
}

/// The autosave, if there is one.
pub async fn get() -> Result<Option<SavedModel>, String> {
    let info = match record(INFO).await? {
        Some(info) => Some(info),
        None => record(KEY).await?, // a store from before the info record
    };
    let Some(value) = info else { return Ok(None) };
    let len = field(&value, "len").and_then(|v| v.as_f64()).or_else(|| field(&value, "bytes").map(|v| Uint8Array::new(&v).length() as f64));
    let (Some(file_name), Some(epoch), Some(len)) =
        (field(&value, "file_name").and_then(|v| v.as_string()), field(&value, "epoch").and_then(|v| v.as_f64()), len)
    else {
        return Err("the stored autosave is unreadable".into());
    };
    // Left in the store until Resume reads it back (the page holds no copy).
    let file = field(&value, "file").and_then(|v| v.as_string());
    Ok(Some(SavedModel { file_name, epoch: epoch as usize, bytes: Payload::Stored { len: len as usize, file } }))
}

/// The autosave's bytes, read back from the store — or from `file` of the origin's private file
/// system, where the worker wrote it (a JavaScript buffer: never copied into the page's heap).
pub async fn bytes(file: Option<&str>) -> Result<Option<Uint8Array>, String> {
    match file {
        Some(name) => read_file(name).await.map(Some).map_err(|e| format!("cannot read the autosave file ({e:?})")),
        None => Ok(record(KEY).await?.and_then(|v| field(&v, "bytes")).map(|v| Uint8Array::new(&v))),
    }
}

async fn read_file(name: &str) -> Result<Uint8Array, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let root: FileSystemDirectoryHandle = JsFuture::from(window.navigator().storage().get_directory()).await?.dyn_into()?;
    let handle: FileSystemFileHandle = JsFuture::from(root.get_file_handle(name)).await?.dyn_into()?;
    let file: Blob = JsFuture::from(handle.get_file()).await?.dyn_into()?;
    Ok(Uint8Array::new(&JsFuture::from(file.array_buffer()).await?))
}
