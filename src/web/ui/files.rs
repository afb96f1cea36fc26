//! Bytes into the page: the bundled subsets (fetched from the page's origin) and the user's own
//! files (read locally; nothing leaves the browser).

use crate::shared::files::NamedFile;
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, FileList, Response};

/// Largest total the page reads from the user's files (the full SVHN training file is 182 MB).
pub const MAX_TOTAL: f64 = 1024.0 * 1024.0 * 1024.0;

fn js(e: wasm_bindgen::JsValue) -> String {
    e.as_string().or_else(|| js_sys::JSON::stringify(&e).ok().and_then(|s| s.as_string())).unwrap_or_else(|| format!("{e:?}"))
}

/// GET `url` from the page's origin.
pub async fn fetch(url: &str) -> Result<Vec<u8>, String> {
    Ok(copied(fetch_js(url).await?))
}

/// A JavaScript buffer's bytes in the heap, the buffer freed at once ([`crate::web::free`]).
fn copied(bytes: Uint8Array) -> Vec<u8> {
    let v = bytes.to_vec();
    crate::web::free(&bytes.buffer());
    v
}

/// Fetch `url`'s bytes as a JavaScript buffer (to send beside a command: never through the heap).
pub async fn fetch_js(url: &str) -> Result<Uint8Array, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: Response = JsFuture::from(window.fetch_with_str(url)).await.map_err(js)?.dyn_into().map_err(js)?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(js)?).await.map_err(js)?;
    Ok(Uint8Array::new(&buffer))
}

/// The files of a picker or a drop, taken at once (a picker's list empties when it is reset).
pub fn take(list: &FileList) -> Vec<File> {
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// Read files the user gave.
pub async fn read(files: Vec<File>) -> Result<Vec<NamedFile>, String> {
    let total: f64 = files.iter().map(|f| f.size()).sum();
    if total > MAX_TOTAL {
        return Err(format!("the files hold {:.0} MB; the page reads at most {:.0} MB", total / 1e6, MAX_TOTAL / 1e6));
    }
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let buffer = JsFuture::from(f.array_buffer()).await.map_err(|e| format!("{}: cannot be read ({})", f.name(), js(e)))?;
        out.push(NamedFile::new(f.name(), copied(Uint8Array::new(&buffer))));
    }
    Ok(out)
}

/// Offer `bytes` as a download named `name` (an object URL clicked through a link).
pub fn download(name: &str, bytes: &Uint8Array) -> Result<(), String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let parts = js_sys::Array::of1(bytes);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(js)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js)?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a").map_err(js)?.dyn_into().map_err(|_| "no link element")?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The click has started the download; the URL can go once the browser has taken it.
    gloo_timers::callback::Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}
