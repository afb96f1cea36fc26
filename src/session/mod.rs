//! The trainer behind the page: a [`Session`] takes [`Command`]s (load data, start, pause,
//! resume, step, reset) and answers with [`Event`]s (progress, losses, phase timings, pictures,
//! probe results, errors). It is plain Rust over Burn's `Device`: the Web Worker only moves
//! messages in and out ([`serve`]), and the tests drive it natively. The messages, settings and
//! records it shares with the page live in [`crate::shared`].

mod engine;

pub use crate::shared::{history, protocol, settings, url};
pub use engine::*;
