//! The page's entry point (built by trunk for the browser): mounts the Leptos app. Training runs
//! in the `worker` binary.
#![deny(unsafe_code)]

#[cfg(target_family = "wasm")]
#[allow(unsafe_code)] // the linker-made constructors, run once (the macro's SAFETY note)
fn main() {
    pad::run_constructors_once!();
    pad::web::ui::mount();
}

#[cfg(not(target_family = "wasm"))]
fn main() {
    eprintln!("`app` is the browser build: serve it with `bash scripts/serve.sh` (see README.md)");
}
