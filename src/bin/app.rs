//! Placeholder browser entry point (the Leptos app lands with the browser issue): shows that the
//! page and the wasm build work.

#[cfg(target_family = "wasm")]
fn main() {
    console_error_panic_hook::set_once();
    let doc = web_sys::window().and_then(|w| w.document());
    if let Some(body) = doc.as_ref().and_then(|d| d.body()) {
        let p = doc.as_ref().and_then(|d| d.create_element("p").ok());
        if let Some(p) = p {
            p.set_text_content(Some(&format!("PAD core loaded: variants {:?}", pad::train::Variant::ALL.map(|v| v.label()))));
            let _ = body.append_child(&p);
        }
    }
}

#[cfg(not(target_family = "wasm"))]
fn main() {
    eprintln!("`app` is the browser build: run it with `trunk serve` (see README.md)");
}
