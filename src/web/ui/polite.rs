//! Polite in a tutorial: the page tells when it goes out of sight — its tab hidden
//! (`visibilitychange`) or, embedded, its frame scrolled out of the viewport
//! (`IntersectionObserver`) — so that training can pause until it is back (`PageState::seen`), and
//! an embedded page posts its content height to the page around it (`postMessage`, type
//! `pad-height`), which the embed code's few lines use to size the frame.

use js_sys::{Array, Object, Reflect};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{IntersectionObserver, IntersectionObserverEntry, ResizeObserver};

/// Call `changed(seen)` whenever the page goes out of sight or comes back.
pub fn watch_sight(changed: impl Fn(bool) + 'static) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let visible = Rc::new(Cell::new(!document.hidden()));
    let in_view = Rc::new(Cell::new(true));
    let seen = Rc::new(Cell::new(visible.get()));
    let changed = Rc::new(changed);
    let update = {
        let (visible, in_view, seen) = (visible.clone(), in_view.clone(), seen.clone());
        Rc::new(move || {
            let now = visible.get() && in_view.get();
            if now != seen.get() {
                seen.set(now);
                changed(now);
            }
        })
    };
    let on_visibility = {
        let (document, update) = (document.clone(), update.clone());
        Closure::<dyn FnMut()>::new(move || {
            visible.set(!document.hidden());
            update();
        })
    };
    let _ = document.add_event_listener_with_callback("visibilitychange", on_visibility.as_ref().unchecked_ref());
    on_visibility.forget(); // lives as long as the page
    let on_intersection = Closure::<dyn FnMut(Array)>::new(move |entries: Array| {
        if let Some(entry) = entries.iter().last().and_then(|e| e.dyn_into::<IntersectionObserverEntry>().ok()) {
            in_view.set(entry.is_intersecting());
            update();
        }
    });
    if let (Ok(observer), Some(body)) = (IntersectionObserver::new(on_intersection.as_ref().unchecked_ref()), document.body()) {
        observer.observe(&body);
    }
    on_intersection.forget();
}

/// In a frame: post the page's content height to the page around it whenever it changes.
pub fn post_height() {
    let Some(window) = web_sys::window() else { return };
    let Some(parent) = window.parent().ok().flatten().filter(|p| !Object::is(p, &window)) else { return };
    let Some(root) = window.document().and_then(|d| d.document_element()) else { return };
    let target = root.clone();
    let on_resize = Closure::<dyn FnMut()>::new(move || {
        let message = Object::new();
        let _ = Reflect::set(&message, &"type".into(), &"pad-height".into());
        let _ = Reflect::set(&message, &"height".into(), &(target.scroll_height() as f64).into());
        let _ = parent.post_message(&message, "*"); // only a height: nothing private leaves the page
    });
    if let Ok(observer) = ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
        observer.observe(&root);
    }
    on_resize.forget();
}
