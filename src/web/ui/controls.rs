//! The controls: the data (bundled subsets, your own files by picker or drag and drop), the run's
//! settings with a message next to each control that cannot work, the run buttons, the device.

use super::client::Client;
use super::files;
use super::state::Page;
use crate::shared::bundled::Bundled;
use crate::shared::config::Variant;
use crate::shared::files::NamedFile;
use crate::shared::page::PageState;
use crate::shared::protocol::{Command, DeviceChoice, RunState, TrainerMemory};
use crate::shared::settings::{Field, FieldError, Form};
use leptos::prelude::*;
use web_sys::DragEvent;

/// Where the data comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataChoice {
    Bundled(Bundled),
    Files,
}

impl DataChoice {
    /// The dataset control's value.
    fn value(self) -> &'static str {
        match self {
            DataChoice::Bundled(b) => b.name(),
            DataChoice::Files => "files",
        }
    }

    fn from_value(v: &str) -> Self {
        match v {
            "files" => DataChoice::Files,
            v => DataChoice::Bundled(Bundled::parse(v).unwrap_or_default()),
        }
    }

    /// The bundled file to fetch and its name, if this is a bundled subset.
    pub fn bundle(self) -> Option<(String, &'static str)> {
        match self {
            DataChoice::Bundled(b) => Some((format!("static/data/{}", b.file()), b.file())),
            DataChoice::Files => None,
        }
    }

    /// The pretrained snapshot shown on it before any run, to fetch, and its name.
    pub fn pretrained(self) -> Option<(String, &'static str)> {
        match self {
            DataChoice::Bundled(b) => b.pretrained().map(|f| (format!("static/pretrained/{f}"), f)),
            DataChoice::Files => None,
        }
    }
}

/// Fetch a bundled subset and hand it to the trainer.
pub fn load_bundle(client: &Client, page: Page, choice: DataChoice) {
    let Some((url, name)) = choice.bundle() else { return };
    let client = client.clone();
    page.update(|s| s.busy = Some(format!("downloading {name}…")));
    leptos::task::spawn_local(async move {
        match files::fetch(&url).await {
            Ok(bytes) => client.load(vec![NamedFile::new(name, bytes)]),
            Err(e) => page.update(|s| {
                s.busy = None;
                s.errors.data = Some(format!("cannot download the bundled data ({e})"));
            }),
        }
    });
}

/// Read files the user gave and hand them to the trainer.
fn load_files(client: &Client, page: Page, list: Option<web_sys::FileList>) {
    let picked = list.map(|l| files::take(&l)).unwrap_or_default();
    if picked.is_empty() {
        return;
    }
    let client = client.clone();
    page.update(|s| s.busy = Some("reading your files…".into()));
    leptos::task::spawn_local(async move {
        match files::read(picked).await {
            Ok(f) => client.load(f),
            Err(e) => page.update(|s| {
                s.busy = None;
                s.errors.data = Some(e);
            }),
        }
    });
}

#[component]
pub fn DataControls(client: Client, page: Page, choice: RwSignal<DataChoice>) -> impl IntoView {
    let idle = move || page.with(|s| s.idle());
    let (c1, c2, c3) = (client.clone(), client.clone(), client);
    let on_select = move |ev: leptos::ev::Event| {
        let v = DataChoice::from_value(&event_target_value(&ev));
        choice.set(v);
        page.update(|s| s.errors.data = None);
        load_bundle(&c1, page, v);
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        load_files(&c2, page, input.files());
        input.set_value("");
    };
    let dragging = RwSignal::new(false);
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        choice.set(DataChoice::Files);
        load_files(&c3, page, ev.data_transfer().and_then(|d| d.files()));
    };
    view! {
        <fieldset class="data" prop:disabled=move || !idle()>
            <legend>"Data"</legend>
            <label>
                "Dataset "
                <select id="dataset" on:change=on_select prop:value=move || choice.get().value()>
                    {Bundled::ALL.map(|b| view! { <option value=b.name()>{b.label()}</option> }).to_vec()}
                    <option value="files">"Your own files…"</option>
                </select>
            </label>
            <div
                id="dropzone"
                class="dropzone"
                class:dragging=move || dragging.get()
                on:dragover=move |ev: DragEvent| {
                    ev.prevent_default();
                    dragging.set(true);
                }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <p>
                    "Drop official dataset files here — CIFAR-10 binary batches (" <code>"data_batch_*.bin"</code> ", "
                    <code>"test_batch.bin"</code> "), SVHN " <code>"*_32x32.mat"</code> ", or IDX files (MNIST layout) — or "
                    <label class="file">
                        "choose files"
                        <input id="files" type="file" multiple on:change=on_pick />
                    </label>
                    ". They are read here, in your browser; nothing is uploaded."
                </p>
            </div>
            <p id="data-summary" class="summary">
                {move || page.with(|s| s.data.as_ref().map(|d| {
                    format!(
                        "{}: {} training / {} test images, {} channel{}, {} classes",
                        d.name, d.train, d.test, d.channels, if d.channels == 1 { "" } else { "s" }, d.classes.len()
                    )
                }))}
            </p>
            <p id="data-error" class="error" role="alert">{move || page.with(|s| s.errors.data.clone())}</p>
        </fieldset>
    }
}

fn field_error(errors: RwSignal<Vec<FieldError>>, field: Field) -> impl Fn() -> Option<String> {
    move || errors.with(|e| e.iter().find(|e| e.field == field).map(|e| e.message.clone()))
}

/// A text input bound to one field of the form (its label, hint and id from the settings
/// table), with its message; `on_change` runs when an edit is complete (Enter, leaving the field).
#[component]
fn TextField(
    field: Field,
    form: RwSignal<Form>,
    errors: RwSignal<Vec<FieldError>>,
    #[prop(optional)] on_change: Option<UnsyncCallback<()>>,
) -> impl IntoView {
    let message = field_error(errors, field);
    let invalid = field_error(errors, field);
    view! {
        <label class="field" title=field.hint()>
            <span>{field.label()}</span>
            <input
                id=field.key()
                type="text"
                inputmode="decimal"
                prop:value=move || form.with(|f| f.text(field))
                class:invalid=move || invalid().is_some()
                on:input=move |ev| form.update(|f| {
                    f.set_text(field, &event_target_value(&ev));
                })
                on:change=move |_| if let Some(c) = on_change { c.run(()) }
            />
            <span class="field-error" data-field=field.key()>{message}</span>
        </label>
    }
}

/// Start a new run with the form's settings (a run that exists is reset first): running, or
/// paused and then given `first` (a step, one phase). Nothing happens while the form is invalid.
pub fn start_run(client: &Client, page: Page, form: RwSignal<Form>, first: Option<Command>) {
    let train_images = page.peek(|s| s.data.as_ref().map(|d| d.train));
    let Ok(settings) = form.with_untracked(|f| f.parse(train_images)) else { return };
    if page.peek(|s| s.has_run()) {
        client.send(&Command::Reset);
    }
    page.update(|s| s.clear_run());
    client.send(&Command::Start { settings, paused: first.is_some() });
    if let Some(command) = first {
        client.send(&command);
    }
}

#[component]
pub fn SettingsControls(client: Client, page: Page, form: RwSignal<Form>, errors: RwSignal<Vec<FieldError>>) -> impl IntoView {
    let idle = move || page.with(|s| s.idle());
    let train_images = page.select(|s| s.data.as_ref().map(|d| d.train));
    // Check the form as it is typed, against the loaded data.
    Effect::new(move |_| {
        let train = train_images.get();
        errors.set(form.with(|f| f.parse(train)).err().unwrap_or_default());
    });
    let settings = move || form.with_untracked(|f| f.parse(train_images.get_untracked()));
    // A knob turned while a run exists acts at its next iteration (once the whole form is valid).
    let tune = {
        let client = client.clone();
        UnsyncCallback::new(move |()| {
            if !matches!(page.peek(|s| s.state), RunState::Running | RunState::Paused) {
                return;
            }
            if let Ok(s) = settings() {
                client.send(&Command::Tune(s.knobs()));
            }
        })
    };
    let start = {
        let client = client.clone();
        move |paused: bool| start_run(&client, page, form, paused.then_some(Command::Step))
    };
    let (start1, start2) = (start.clone(), start);
    let reset = {
        let client = client.clone();
        move |_| {
            page.update(PageState::reset_asked);
            client.send(&Command::Reset)
        }
    };
    let cmd = move |c: Command| {
        let client = client.clone();
        move |_| client.send(&c)
    };
    let (pause, resume, step) = (cmd(Command::Pause), cmd(Command::Resume), cmd(Command::Step));
    let state = move || page.with(|s| s.state);
    let ready = move || page.with(|s| s.ready());
    let control = move |field: Field| match field {
        Field::Variant => view! {
            <label class="field" title="PAD or one of the paper's ablations: each sets the knobs below (touching one makes the run custom)">
                <span>{field.label()}</span>
                <select
                    id=field.key()
                    prop:value=move || form.with(|f| if f.custom() { "custom".into() } else { f.variant.clone() })
                    on:change=move |ev| {
                        let Ok(v) = event_target_value(&ev).parse::<Variant>() else { return };
                        form.update(|f| f.choose_variant(v));
                        tune.run(());
                    }
                >
                    {Variant::ALL.map(|v| view! { <option value=v.name()>{v.label()}</option> }).to_vec()}
                    <option value="custom" disabled>"custom"</option>
                </select>
                <span class="field-error" data-field=field.key()>{field_error(errors, field)}</span>
            </label>
        }
        .into_any(),
        Field::Probe | Field::MemoryMix => view! {
            <label class="check" title=field.hint()>
                <input
                    id=field.key()
                    type="checkbox"
                    prop:checked=move || form.with(|f| f.text(field) == "1")
                    on:change=move |ev| {
                        form.update(|f| {
                            f.set_text(field, if event_target_checked(&ev) { "1" } else { "0" });
                        });
                        if field.is_knob() {
                            tune.run(());
                        }
                    }
                />
                " " {field.label()}
            </label>
        }
        .into_any(),
        _ if field.is_knob() => view! { <TextField field form errors on_change=tune /> }.into_any(),
        _ => view! { <TextField field form errors /> }.into_any(),
    };
    view! {
        <fieldset class="settings" prop:disabled=move || !idle()>
            <legend>"Run"</legend>
            // One control per setting of the table: the switch a checkbox, every other a text
            // field; the knobs (and the variant, their preset) have a group of their own.
            {Field::ALL.iter().filter(|f| !f.is_knob() && **f != Field::Variant).map(|&f| control(f)).collect::<Vec<_>>()}
            <p id="settings-error" class="error" role="alert">{move || page.with(|s| s.errors.settings.clone())}</p>
        </fieldset>
        <fieldset class="knobs" prop:disabled=move || !page.with(|s| s.ready())>
            <legend>"Knobs — they act mid-run, at the next iteration"</legend>
            {std::iter::once(Field::Variant).chain(Field::ALL.iter().copied().filter(|f| f.is_knob())).map(control).collect::<Vec<_>>()}
        </fieldset>
        <div class="buttons">
            <button id="start" on:click=move |_| start1(false) disabled=move || !ready() || !errors.with(Vec::is_empty) || state() == RunState::Running || state() == RunState::Paused>
                "Start"
            </button>
            <button
                id="pause"
                on:click=move |ev| if page.peek(|s| s.slow.playing()) { page.update(|s| s.slow.stop()) } else { pause(ev) }
                disabled=move || state() != RunState::Running && !page.with(|s| s.slow.playing())
            >
                "Pause"
            </button>
            <button id="resume" on:click=resume disabled=move || state() != RunState::Paused>"Resume"</button>
            <button
                id="step"
                on:click=move |ev| if state() == RunState::Paused { step(ev) } else { start2(true) }
                disabled=move || !ready() || state() == RunState::Running || !errors.with(Vec::is_empty)
                title="one Wake → NREM → REM iteration"
            >
                "Step"
            </button>
            <button id="reset" on:click=reset disabled=move || state() == RunState::Idle>"Reset"</button>
        </div>
    }
}

#[component]
pub fn DeviceControls(client: Client, page: Page) -> impl IntoView {
    let current = RwSignal::new(client.device());
    // The trainer left a failed GPU for the CPU: the control says so.
    Effect::new(move |_| {
        if page.with(|s| s.gpu_failure.is_some()) {
            current.set(DeviceChoice::Cpu);
        }
    });
    let on_change = move |ev: leptos::ev::Event| {
        let Ok(d) = event_target_value(&ev).parse::<DeviceChoice>() else { return };
        current.set(d);
        client.switch_device(d);
    };
    view! {
        <fieldset class="device">
            <legend>"Device"</legend>
            <label>
                "Compute on "
                <select id="device" prop:value=move || current.get().name() on:change=on_change>
                    <option value="auto">"auto (GPU if a hardware one is available)"</option>
                    <option value="webgpu">"WebGPU (any adapter)"</option>
                    <option value="cpu">"CPU (WebAssembly)"</option>
                </select>
            </label>
            <p id="device-info" class="summary">
                {move || page.with(|s| s.device.as_ref().map(|d| format!("Running on {}", d.describe()))).unwrap_or_else(|| "starting…".into())}
            </p>
            <p id="memory" class="summary">{move || page.with(|s| memory_line(s.trainer_memory))}</p>
            <p id="device-note" class="note">
                {move || page.with(|s| s.gpu_failure.clone().or_else(|| s.device.as_ref().and_then(|d| d.note.clone())))}
            </p>
            <p class="hint">"Changing the device restarts the trainer and discards the current run."</p>
        </fieldset>
    }
}

/// What the page uses: the trainer's WebAssembly heap (as it reported it: its size, and what live
/// allocations hold of it), the GPU's buffers on WebGPU, the page's own heap, and the page's
/// JavaScript heap where the browser tells it (Chromium's `performance.memory`).
fn memory_line(trainer: Option<TrainerMemory>) -> Option<String> {
    let mb = |b: f64| format!("{:.0} MB", b / 1048576.0);
    let trainer = trainer?;
    let js_heap = web_sys::window()
        .and_then(|w| w.performance())
        .and_then(|p| js_sys::Reflect::get(&p, &"memory".into()).ok())
        .and_then(|m| js_sys::Reflect::get(&m, &"usedJSHeapSize".into()).ok())
        .and_then(|v| v.as_f64());
    let js = js_heap.map(|b| format!(" · JS heap {}", mb(b))).unwrap_or_default();
    let gpu = trainer.gpu.map(|(in_use, reserved)| format!(" · GPU buffers {} ({} in use)", mb(reserved), mb(in_use))).unwrap_or_default();
    Some(format!(
        "Memory: trainer {} ({} in use, at most {}){gpu} · page {} (WebAssembly){js}",
        mb(trainer.heap),
        mb(trainer.in_use),
        mb(trainer.most),
        mb(crate::web::wasm_memory_bytes())
    ))
}
