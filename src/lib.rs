//! PAD — Perturbed and Adversarial Dreaming (Deperrois et al., eLife 2022; arXiv 2109.04261).
//!
//! One model core over Burn's runtime [`Device`](burn::tensor::Device), shared by the native CLI
//! (`pad`), the browser app and the tests:
//! - [`model`]: the encoder/discriminator `E` and the generator `G`
//!   (docs/decisions.md#architecture);
//! - [`sleep`]: the three brain states — Wake, NREM (perturbed dreaming), REM (adversarial
//!   dreaming) — with occlusion and the hippocampal memory (docs/decisions.md#training);
//! - [`train`]: the trainer, variants, optimizer semantics and checkpoints;
//! - [`eval`]: linear probes, occlusion robustness, latent organisation
//!   (docs/decisions.md#evaluation);
//! - [`data`]: readers for the official dataset files and the bundled subsets;
//! - [`session`]: the trainer behind the browser page (commands in, events out);
//! - [`shared`]: what the page and the trainer share — messages, the settings table, records, URL
//!   parameters — and the page's state, all without Burn.
//!
//! Feature `trainer` (default) is everything that runs Burn: every module but [`shared`] (and
//! `web::ui`, the page). The page's own wasm module is built without it
//! (`data-cargo-no-default-features` in index.html), so it does not carry Burn's kernels; the
//! split is the list of modules below, not gates item by item.

// `unsafe` in two places: the matrix-product call of the lowered convolutions
// (`model::conv::lowering::matmul`, bounds asserted before it) and the worker's counted allocator
// (`heap`, which passes every call on to the system's); plus `run_constructors_once!`, expanded in
// the browser binaries.
#![deny(unsafe_code)]

// The trainer's heap, counted (the worker's global allocator; Burn-free, tested natively).
pub mod heap;

// Burn-free: the messages, settings and records the page and the trainer share, and the page's
// own state. The page's wasm module is built from this alone (feature `trainer` off).
pub mod shared;

// The trainer (feature `trainer`): everything that runs Burn — the worker, the CLI and the tests.
#[cfg(feature = "trainer")]
pub mod data;
#[cfg(feature = "trainer")]
pub mod eval;
#[cfg(feature = "trainer")]
pub mod model;
#[cfg(feature = "trainer")]
pub mod pace;
#[cfg(feature = "trainer")]
pub mod readback;
#[cfg(feature = "trainer")]
pub mod session;
#[cfg(feature = "trainer")]
pub mod sleep;
#[cfg(feature = "trainer")]
pub mod train;

// The browser's faces: the page (`web::ui`) and, with the trainer, the worker.
#[cfg(target_family = "wasm")]
pub mod web;

/// Every failure the core reports to a user: a message that says what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting that cannot work (batch size, learning rate, shapes…).
    #[error("invalid setting: {0}")]
    Config(String),
    /// A data file that cannot be read as what it claims to be.
    #[error("{0}")]
    Data(String),
    /// A checkpoint that cannot be loaded into this model.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// Training produced NaN or infinite losses.
    #[error("{0}")]
    Diverged(String),
    /// The compute device failed (lost GPU, out of memory…).
    #[error("device error: {0}")]
    Device(String),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }
}

/// Longest outside value quoted back in a message.
const QUOTE: usize = 40;

/// A value from outside (a URL, a command line) as a message quotes it: control characters
/// dropped, at most [`QUOTE`] characters, an ellipsis where it was cut.
pub(crate) fn quote(v: &str) -> String {
    let mut s: String = v.chars().filter(|c| !c.is_control()).take(QUOTE).collect();
    if v.chars().count() > QUOTE {
        s.push('…');
    }
    s
}
