//! `pad`: train, evaluate and benchmark PAD natively (see `pad --help`).
#![forbid(unsafe_code)]

#[cfg(not(target_family = "wasm"))]
#[path = "../cli/mod.rs"]
mod cli;

#[cfg(not(target_family = "wasm"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_family = "wasm")]
fn main() {}
