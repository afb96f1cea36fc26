//! Saving and loading models: download the run as a checkpoint (the CLI's format, so a model
//! trained natively opens here and vice versa), load one to continue training or to explore its
//! dreams, and resume from the last autosave after the trainer restarted.

use super::client::Client;
use super::files;
use super::held;
use super::state::Page;
use super::store;
use crate::shared::files::NamedFile;
use crate::shared::page::{Effect, Payload, Recover, smaller_batch};
use crate::shared::protocol::Command;
use crate::shared::settings::{Field, Form};
use leptos::prelude::*;

/// What the page does with the trainer's checkpoints and a loaded model's settings (the effects
/// of [`PageState::apply`](crate::shared::page::PageState::apply) other than sending commands).
pub fn run_effect(client: &Client, page: Page, form: RwSignal<Form>, effect: Effect) {
    match effect {
        // A checkpoint asked for: download it.
        Effect::Download(saved) => {
            let offered = held::bytes(&saved.bytes).ok_or_else(|| "the checkpoint is gone".to_string());
            if let Err(e) = offered.and_then(|b| files::download(&saved.file_name, &b)) {
                page.update(|s| s.errors.model = Some(format!("cannot offer the download ({e})")));
            }
            held::release(&saved.bytes); // the download has its own copy (a Blob)
        }
        // Autosaves go to the browser's store; the last one is offered after a reload.
        Effect::Store(saved) => leptos::task::spawn_local(async move {
            match store::put(&saved).await {
                // Written: the page keeps no copy (Resume reads it back from the store).
                Ok(()) => {
                    if let Some(held) = page.update(|s| s.autosave_stored(&saved)) {
                        held::release(&held);
                    }
                }
                Err(e) => page.update(|s| s.errors.model = Some(format!("autosave: {e}; training goes on"))),
            }
        }),
        // A loaded model brings its settings.
        Effect::AdoptSettings(settings) => form.set(Form::from(&settings)),
        // Back on the CPU after the GPU failed: continue the run as the page holds it.
        Effect::Recover(Recover::Autosave { epochs_left, batch }) => resume_autosave(client, page, form, epochs_left, batch),
        Effect::Recover(Recover::Restart) => super::controls::start_run(client, page, form, None),
        Effect::Remember(measured) => super::remembered::remember(measured),
        Effect::Send(_) | Effect::SlowTick(..) => {} // the client runs these itself
    }
}

/// Load a model file into the trainer with the form's settings (its epochs — or `epochs`, when
/// given — and images per epoch apply to the loaded model); its bytes go beside the command when
/// the page holds them outside its heap.
fn load_model(
    client: &Client,
    page: Page,
    form: RwSignal<Form>,
    file: NamedFile,
    beside: Option<js_sys::Uint8Array>,
    epochs: Option<usize>,
    batch: Option<usize>,
) {
    match form.with_untracked(|f| f.parse(None)) {
        Ok(mut settings) => {
            settings.epochs = epochs.unwrap_or(settings.epochs);
            page.update(|s| {
                s.errors.model = None;
                s.busy = Some(format!("loading {}…", file.name));
            });
            client.send_beside(&Command::LoadModel { file, settings, batch }, beside.as_ref());
        }
        Err(_) => page
            .update(|s| s.errors.model = Some("fix the run settings first (epochs and images per epoch apply to the loaded model)".into())),
    }
}

/// Load the last autosave (held by the page, or read back from the store), to train `epochs` more
/// (the form's number when not given).
fn resume_autosave(client: &Client, page: Page, form: RwSignal<Form>, epochs: Option<usize>, batch: Option<usize>) {
    let Some(saved) = page.peek(|s| s.autosave.clone()) else { return };
    let client = client.clone();
    leptos::task::spawn_local(async move {
        // The bytes go beside the command, straight to the worker (from the store, once written).
        let bytes = match saved.bytes {
            Payload::Stored { ref file, .. } => store::bytes(file.as_deref()).await,
            ref held => Ok(held::bytes(held)),
        };
        match bytes {
            Ok(Some(bytes)) => {
                load_model(&client, page, form, NamedFile::new(saved.file_name.clone(), Vec::new()), Some(bytes), epochs, batch)
            }
            Ok(None) => page.update(|s| s.errors.model = Some("the autosave is gone from this browser's store".into())),
            Err(e) => page.update(|s| s.errors.model = Some(e)),
        }
    });
}

#[component]
pub fn ModelControls(client: Client, page: Page, form: RwSignal<Form>) -> impl IntoView {
    leptos::task::spawn_local(async move {
        match store::get().await {
            Ok(Some(saved)) => page.update(|s| s.found_autosave(saved)),
            Ok(None) => {}
            Err(e) => page.update(|s| s.errors.model = Some(format!("autosave is off: {e}"))),
        }
    });
    let ready = move || page.with(|s| s.ready());
    let has_run = move || page.with(|s| s.has_run());
    let load = {
        let client = client.clone();
        move |file: NamedFile, beside: Option<js_sys::Uint8Array>| load_model(&client, page, form, file, beside, None, None)
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
                    Ok(mut f) => load(f.remove(0), None),
                    Err(e) => page.update(|s| s.errors.model = Some(e)),
                }
            });
        }
    };
    let save = {
        let client = client.clone();
        move |_| {
            page.update(|s| s.errors.model = None);
            client.send(&Command::Save);
        }
    };
    let resume = {
        let client = client.clone();
        move |_| resume_autosave(&client, page, form, None, None)
    };
    view! {
        <fieldset class="model">
            <legend>"Model"</legend>
            <div class="buttons">
                <button id="save" on:click=save disabled=move || !has_run()>"Save model"</button>
                <label class="file button" class:disabled=move || !ready()>
                    "Load model…"
                    <input id="load-model" type="file" accept=".padckpt" on:change=on_pick prop:disabled=move || !ready() />
                </label>
                <button
                    id="resume-autosave"
                    on:click=resume
                    disabled=move || !ready() || page.with(|s| s.autosave.is_none() || s.has_run())
                    title="continue from the checkpoint written after the last completed epoch"
                >
                    {move || page.with(|s| s.autosave.as_ref().map(|s| format!("Resume autosave (epoch {})", s.epoch))).unwrap_or_else(|| "Resume autosave".into())}
                </button>
            </div>
            <p class="hint">
                "A saved model holds the weights, the optimizer state, the settings and the metrics — the CLI's "
                <code>".padckpt"</code> " format. Loading continues it, paused, for the number of epochs set above."
            </p>
            <p id="autosave-status" class="hint">{move || page.with(|s| s.stored.clone())}</p>
            <p id="model-error" class="error" role="alert">{move || page.with(|s| s.errors.model.clone())}</p>
        </fieldset>
    }
}

/// After the trainer ran out of memory under a run: continue it at half the batch (the form's
/// batch halved) — from its autosave, or from its start when it had none.
#[component]
pub fn SmallerBatch(client: Client, page: Page, form: RwSignal<Form>) -> impl IntoView {
    let offer = move || {
        let short = page.with(|s| s.short_of_memory.is_some());
        let batch = form.with(|f| f.text(Field::BatchSize).parse::<usize>().ok());
        batch.filter(|_| short).and_then(smaller_batch)
    };
    let go = move |_| {
        let Some(batch) = offer() else { return };
        form.update(|f| {
            f.set_text(Field::BatchSize, &batch.to_string());
        });
        if let Some(effect) = page.update(|s| s.continue_smaller(batch)) {
            run_effect(&client, page, form, effect);
        }
    };
    view! {
        <button id="smaller-batch" on:click=go hidden=move || offer().is_none() disabled=move || page.with(|s| s.busy.is_some())>
            {move || format!("Continue at batch {}", offer().unwrap_or_default())}
        </button>
    }
}
