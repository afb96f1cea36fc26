//! The page's state behind one signal: a [`PageState`] (plain Rust in `shared/page.rs`, where its
//! rules live and are tested), and the handle the views read it through.

use crate::shared::page::PageState;
use leptos::prelude::*;

/// The page's state. `Copy`: a signal handle.
#[derive(Clone, Copy)]
pub struct Page(RwSignal<PageState>);

impl Page {
    pub fn new() -> Self {
        Self(RwSignal::new(PageState::default()))
    }

    /// Read the state, tracked: the calling view or effect runs again when it changes.
    pub fn with<T>(&self, f: impl FnOnce(&PageState) -> T) -> T {
        self.0.with(f)
    }

    /// Read the state without tracking (in event handlers).
    pub fn peek<T>(&self, f: impl FnOnce(&PageState) -> T) -> T {
        self.0.with_untracked(f)
    }

    /// A part of the state that notifies only when it changes: for views that cost (canvases),
    /// which must not redraw on every message.
    pub fn select<T: Clone + PartialEq + Send + Sync + 'static>(&self, f: impl Fn(&PageState) -> T + Send + Sync + 'static) -> Memo<T> {
        let state = self.0;
        Memo::new(move |_| state.with(&f))
    }

    /// Change the state (and everything that reads it).
    pub fn update<T>(&self, f: impl FnOnce(&mut PageState) -> T) -> T {
        let mut out = None;
        self.0.update(|s| out = Some(f(s)));
        out.expect("update runs its closure")
    }
}
