//! The page (Leptos, client-side rendered): controls, live views of the three brain states, plots.
//! It never touches tensors: it talks to the training worker through [`client::Client`] with the
//! messages of [`crate::shared::protocol`].

mod app;
mod client;
mod controls;
mod diagram;
pub mod draw;
mod drawpad;
mod evaluation;
mod explorer;
mod files;
mod held;
mod measured;
mod model;
mod polite;
mod remembered;
mod share;
mod state;
mod store;

pub use app::App;

/// Mount the page into `<body>`.
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
