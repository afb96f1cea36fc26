//! The page's state behind one signal: a [`PageState`] (plain Rust in `shared/page.rs`, where its
//! rules live and are tested), and the handle the views read it through.

use crate::shared::page::PageState;
use leptos::prelude::*;
use std::sync::Arc;

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

    /// A shared (large) part of the state, told apart by its pointer: cloning and comparing it
    /// costs nothing however big its pictures are.
    pub fn select_shared<T: Send + Sync + 'static>(
        &self,
        f: impl Fn(&PageState) -> Option<Arc<T>> + Send + Sync + 'static,
    ) -> Memo<Option<Arc<T>>> {
        let state = self.0;
        Memo::new_with_compare(
            move |_| state.with(&f),
            |old, new| match (old, new) {
                (Some(Some(a)), Some(Some(b))) => !Arc::ptr_eq(a, b),
                (Some(None), Some(None)) => false,
                _ => true,
            },
        )
    }

    /// Change the state (and everything that reads it).
    pub fn update<T>(&self, f: impl FnOnce(&mut PageState) -> T) -> T {
        let mut out = None;
        self.0.update(|s| out = Some(f(s)));
        out.expect("update runs its closure")
    }
}
