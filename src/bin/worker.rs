//! The training Web Worker's entry point (built by trunk with `data-type="worker"`).

#[cfg(target_family = "wasm")]
fn main() {
    pad::run_constructors_once!();
    pad::web::worker::run();
}

#[cfg(not(target_family = "wasm"))]
fn main() {
    eprintln!("`worker` runs in the browser, started by the page (see README.md)");
}
