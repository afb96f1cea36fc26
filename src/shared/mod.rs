//! What the page and the trainer share, and the page's own logic — plain Rust that builds without
//! Burn. The page's wasm module (feature `trainer` off) is this tree and `web::ui`; the worker, the
//! CLI and the tests add the trainer's modules on top.
//!
//! - [`protocol`]: the messages between page and trainer, with the records they carry
//!   ([`records`], [`images`], [`files`], [`phase`]);
//! - [`settings`]: the one table of a run's settings (form, URL, CLI flags, checks), with the
//!   ranges of [`limits`] and the training configuration and conditions of [`config`]; [`knobs`]:
//!   the settings that act mid-run, and their changes;
//! - [`url`]: the page's URL parameters and share link; [`bundled`]: the datasets shipped with it;
//! - [`page`]: the page's state and how each message changes it; [`history`]: the plots' data.

pub mod bundled;
pub mod config;
pub mod drawing;
pub mod files;
pub mod history;
pub mod images;
pub mod knobs;
pub mod limits;
pub mod page;
pub mod paper;
pub mod phase;
pub mod plot;
pub mod protocol;
pub mod records;
pub mod settings;
pub mod slow;
pub mod url;
