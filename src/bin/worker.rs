//! The training Web Worker's entry point (built by trunk with `data-type="worker"`).
#![deny(unsafe_code)]

#[cfg(target_family = "wasm")]
#[allow(unsafe_code)] // the linker-made constructors, run once (the macro's SAFETY note)
fn main() {
    pad::run_constructors_once!();
    pad::web::worker::run();
}

#[cfg(not(target_family = "wasm"))]
fn main() {
    eprintln!("`worker` runs in the browser, started by the page (see README.md)");
}
