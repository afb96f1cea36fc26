//! `pad`: train, evaluate and benchmark PAD natively (see `pad --help`).
#![deny(unsafe_code)] // allowed once: `keep_freed_memory` (an allocator option)

#[cfg(not(target_family = "wasm"))]
#[path = "../cli/mod.rs"]
mod cli;

/// mimalloc, told to keep what is freed (`keep_freed_memory`): an iteration allocates and frees
/// megabytes of tensors per operation, which the system allocator — and mimalloc by default, 10 ms
/// after a free — hands back to the kernel and then takes again, a page fault and a zeroed page per
/// 4 KB (a tenth of an iteration's time under `perf`; BENCHMARKS.md).
#[cfg(not(target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's options (mimalloc.h `mi_option_e`): never return freed memory to the kernel (the
/// process's peak stays what training needs), and commit its arenas at once.
#[cfg(not(target_family = "wasm"))]
#[allow(unsafe_code)]
fn keep_freed_memory() {
    use libmimalloc_sys::{mi_option_set, mi_option_t};
    const ARENA_EAGER_COMMIT: mi_option_t = 4;
    const PURGE_DELAY: mi_option_t = 15;
    // SAFETY: mi_option_set stores a value in mimalloc's option table (no pointers); it is not
    // thread-safe, and runs first thing in `main`, before any thread exists. Both options exist in
    // the mimalloc v3 that libmimalloc-sys builds.
    unsafe {
        mi_option_set(ARENA_EAGER_COMMIT, 1);
        mi_option_set(PURGE_DELAY, -1);
    }
}

#[cfg(not(target_family = "wasm"))]
fn main() -> std::process::ExitCode {
    keep_freed_memory();
    cli::main()
}

#[cfg(target_family = "wasm")]
fn main() {}
