//! Saving and loading models: download the run as a checkpoint (the CLI's format, so a model
//! trained natively opens here and vice versa), load one to continue training or to explore its
//! dreams, and resume from the last autosave after the trainer restarted.

use super::client::Client;
use super::files;
use super::state::Page;
use super::store;
use crate::data::upload::NamedFile;
use crate::session::protocol::{Command, RunState};
use crate::session::settings::Form;
use leptos::prelude::*;

#[component]
pub fn ModelControls(client: Client, page: Page, form: RwSignal<Form>) -> impl IntoView {
    // A checkpoint asked for arrives as an event: download it then.
    Effect::new(move |_| {
        if let Some(saved) = page.download.get() {
            if let Err(e) = files::download(&saved.file_name, &saved.bytes) {
                page.model_error.set(Some(format!("cannot offer the download ({e})")));
            }
            page.download.set(None);
        }
    });
    // Autosaves go to the browser's store; the last one is offered after a reload.
    Effect::new(move |_| {
        if let Some(saved) = page.to_store.get() {
            page.to_store.set(None);
            leptos::task::spawn_local(async move {
                match store::put(&saved).await {
                    Ok(()) => page.stored.set(Some(format!("Autosaved in this browser after epoch {}.", saved.epoch))),
                    Err(e) => page.model_error.set(Some(format!("autosave: {e}; training goes on"))),
                }
            });
        }
    });
    leptos::task::spawn_local(async move {
        match store::get().await {
            Ok(Some(saved)) if page.autosave.with_untracked(Option::is_none) => {
                page.notice.set(Some(format!(
                    "This browser holds a model autosaved after epoch {} ({}): Model → Resume autosave continues it.",
                    saved.epoch, saved.file_name
                )));
                page.autosave.set(Some(saved));
            }
            Ok(_) => {}
            Err(e) => page.model_error.set(Some(format!("autosave is off: {e}"))),
        }
    });
    // A loaded model brings its settings.
    Effect::new(move |_| {
        if let Some(s) = page.loaded.get() {
            form.set(Form::from(&s));
        }
    });
    let ready = move || page.ready();
    let has_model = move || page.state.get() != RunState::Idle;
    let settings = move || form.with_untracked(|f| f.parse(None));
    let load = {
        let client = client.clone();
        move |file: NamedFile| {
            page.model_error.set(None);
            match settings() {
                Ok(settings) => {
                    page.busy.set(Some(format!("loading {}…", file.name)));
                    client.send(&Command::LoadModel { file, settings });
                }
                Err(_) => {
                    page.model_error.set(Some("fix the run settings first (epochs and images per epoch apply to the loaded model)".into()))
                }
            }
        }
    };
    let on_pick = {
        let load = load.clone();
        move |ev: leptos::ev::Event| {
            let input: web_sys::HtmlInputElement = event_target(&ev);
            let picked = input.files().map(|l| files::take(&l)).unwrap_or_default();
            input.set_value("");
            let Some(file) = picked.into_iter().next() else { return };
            let load = load.clone();
            leptos::task::spawn_local(async move {
                match files::read(vec![file]).await {
                    Ok(mut f) => load(f.remove(0)),
                    Err(e) => page.model_error.set(Some(e)),
                }
            });
        }
    };
    let save = {
        let client = client.clone();
        move |_| {
            page.model_error.set(None);
            client.send(&Command::Save);
        }
    };
    let resume = move |_| {
        if let Some(saved) = page.autosave.get_untracked() {
            load(NamedFile::new(saved.file_name.clone(), saved.bytes.to_vec()));
        }
    };
    view! {
        <fieldset class="model">
            <legend>"Model"</legend>
            <div class="buttons">
                <button id="save" on:click=save disabled=move || !has_model()>"Save model"</button>
                <label class="file button" class:disabled=move || !ready()>
                    "Load model…"
                    <input id="load-model" type="file" accept=".padckpt" on:change=on_pick prop:disabled=move || !ready() />
                </label>
                <button
                    id="resume-autosave"
                    on:click=resume
                    disabled=move || !ready() || page.autosave.with(Option::is_none) || page.state.get() != RunState::Idle
                    title="continue from the checkpoint written after the last completed epoch"
                >
                    {move || page.autosave.with(|s| s.as_ref().map(|s| format!("Resume autosave (epoch {})", s.epoch))).unwrap_or_else(|| "Resume autosave".into())}
                </button>
            </div>
            <p class="hint">
                "A saved model holds the weights, the optimizer state, the settings and the metrics — the CLI's "
                <code>".padckpt"</code> " format. Loading continues it, paused, for the number of epochs set above."
            </p>
            <p id="autosave-status" class="hint">{move || page.stored.get()}</p>
            <p id="model-error" class="error" role="alert">{move || page.model_error.get()}</p>
        </fieldset>
    }
}
