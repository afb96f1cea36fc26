//! The trainer behind the page: a [`Session`] takes [`Command`]s (load data, start, pause,
//! resume, step, reset) and answers with [`Event`]s (progress, losses, phase timings, pictures,
//! probe results, errors). It is plain Rust over Burn's `Device`: the Web Worker only moves
//! messages in and out ([`serve`]), and the tests drive it natively.

pub mod history;
pub mod protocol;
pub mod settings;
pub mod url;
// The engine needs Burn; the page's own build (feature `trainer` off) only shares the messages.
#[cfg(feature = "trainer")]
mod engine;
#[cfg(feature = "trainer")]
pub use engine::*;
