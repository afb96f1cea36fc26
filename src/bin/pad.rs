//! `pad`: train, evaluate and benchmark PAD natively (see `pad --help`).
#![forbid(unsafe_code)]

#[cfg(not(target_family = "wasm"))]
#[path = "../cli/mod.rs"]
mod cli;

/// mimalloc keeps freed blocks for reuse: an iteration allocates and frees megabytes of tensors
/// per operation, which the system allocator hands back to the kernel and then takes again, a page
/// fault per 4 KB (a tenth of an iteration's time under `perf`; BENCHMARKS.md).
#[cfg(not(target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_family = "wasm"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_family = "wasm")]
fn main() {}
