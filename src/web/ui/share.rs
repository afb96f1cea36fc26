//! Share and embed: the current settings as a link, and an iframe snippet of the compact layout.

use super::controls::DataChoice;
use crate::shared::settings::Form;
use crate::shared::url::{PageParams, View};
use leptos::prelude::*;

/// The page's address without its query.
fn base() -> String {
    web_sys::window()
        .and_then(|w| {
            let l = w.location();
            Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?))
        })
        .unwrap_or_default()
}

/// Put `text` on the clipboard when the browser allows it (the text is shown either way).
fn copy(text: String) {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(&text);
    }
}

#[component]
pub fn ShareControls(form: RwSignal<Form>, choice: RwSignal<DataChoice>, params: PageParams) -> impl IntoView {
    let shown = RwSignal::new(None::<String>);
    let current = move || PageParams {
        form: form.get_untracked(),
        dataset: match choice.get_untracked() {
            DataChoice::Bundled(b) => b,
            DataChoice::Files => Default::default(), // your own files cannot travel in a link
        },
        embed: false,
        autostart: false,
        notes: Vec::new(),
        ..params.clone()
    };
    let current2 = current.clone();
    let share = move |_| {
        let q = current().to_query();
        let link = if q.is_empty() { base() } else { format!("{}?{q}", base()) };
        copy(link.clone());
        shown.set(Some(link));
    };
    let embed = move |_| {
        let code = PageParams { view: View::Dreams, autostart: true, ..current2() }.embed_code(&base());
        copy(code.clone());
        shown.set(Some(code));
    };
    view! {
        <fieldset class="share">
            <legend>"Share"</legend>
            <div class="buttons">
                <button id="share-link" on:click=share title="a link to this page with the current settings (copied)">"Share link"</button>
                <button id="embed-code" on:click=embed title="an iframe of the compact dream view, 640×480 (copied)">"Copy embed code"</button>
            </div>
            <textarea id="share-text" readonly rows="3" hidden=move || shown.with(Option::is_none) prop:value=move || shown.get().unwrap_or_default()></textarea>
            {move || (choice.get() == DataChoice::Files).then(|| view! { <p class="hint">"Your own files stay on your machine: a shared link opens with bundled MNIST."</p> })}
        </fieldset>
    }
}
