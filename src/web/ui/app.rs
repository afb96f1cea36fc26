//! The page: controls on the left; progress, the hypnogram, the four phase views and the plots.

use super::client::Client;
use super::controls::{DataChoice, DataControls, DeviceControls, SettingsControls, load_bundle};
use super::draw;
use super::evaluation::EvaluationPanel;
use super::explorer::DreamExplorer;
use super::model::{ModelControls, run_effect};
use super::share::ShareControls;
use super::state::Page;
use crate::shared::files::NamedFile;
use crate::shared::images::HostImages;
use crate::shared::phase::Phase;
use crate::shared::plot::{self, Frame};
use crate::shared::protocol::{Command, RunState, Snapshot};
use crate::shared::settings::{FieldError, describe};
use crate::shared::url::{PageParams, View};
use leptos::html::Canvas;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::{HtmlCanvasElement, MouseEvent};

/// The page's clock: milliseconds since navigation.
fn page_clock() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// "Preparing GPU kernels… 6 s", counting each second while a run waits for its first WebGPU
/// iteration (`PageState::preparing_gpu_since`). Not a live region: a count each second would
/// flood a screen reader; the state line above announces the run.
#[component]
fn PreparingGpu(page: Page) -> impl IntoView {
    let now = RwSignal::new(page_clock());
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if page.peek(|s| s.preparing_gpu_since.is_some()) {
                now.set(page_clock());
            }
        },
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || handle.clear());
    }
    view! {
        <p id="preparing-gpu" class="state">
            {move || page.with(|s| s.preparing_gpu_since).map(|since| format!(
                "Preparing GPU kernels… {:.0} s — the first WebGPU iteration compiles them; the next ones reuse them.",
                ((now.get() - since) / 1000.0).max(0.0)
            ))}
        </p>
    }
}

/// Redraw a canvas from a signal, at most every `min_ms` milliseconds and always in a task of its
/// own (never inside the message handler that changed the signal), the latest value last: plots
/// stay cheap on the page's thread however fast the GPU trains.
fn redraw<T: 'static>(
    canvas: NodeRef<Canvas>,
    source: impl Fn() -> T + 'static,
    min_ms: f64,
    paint: impl Fn(&HtmlCanvasElement, T) + 'static,
) {
    struct Throttle<T> {
        last: f64,
        pending: bool,
        latest: Option<T>,
    }
    let now = page_clock;
    let state = Rc::new(RefCell::new(Throttle { last: f64::NEG_INFINITY, pending: false, latest: None }));
    let paint = Rc::new(paint);
    Effect::new(move |_| {
        let value = source();
        let Some(canvas) = canvas.get() else { return };
        let mut s = state.borrow_mut();
        s.latest = Some(value);
        if s.pending {
            return;
        }
        s.pending = true;
        let wait = (min_ms - (now() - s.last)).max(0.0);
        let (state, paint) = (state.clone(), paint.clone());
        gloo_timers::callback::Timeout::new(wait as u32, move || {
            let v = {
                let mut s = state.borrow_mut();
                s.pending = false;
                s.last = now();
                s.latest.take()
            };
            v.into_iter().for_each(|v| paint(&canvas, v));
        })
        .forget();
    });
}

/// One phase view: a titled grid of images with what it shows.
#[component]
fn PhaseView(
    id: &'static str,
    title: &'static str,
    caption: &'static str,
    page: Page,
    pick: fn(&Snapshot) -> HostImages,
    phase: Option<Phase>,
    /// What the brain state does in the model, its loss, and who learns from it.
    explain: &'static str,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let snapshot = page.select_shared(|s| s.snapshot.clone());
    Effect::new(move |_| {
        if let (Some(c), Some(s)) = (canvas.get(), snapshot.get()) {
            draw::grid(&c, &pick(&s));
        }
    });
    let active = move || phase.is_some() && page.with(|s| s.state == RunState::Running && s.hypnogram.current() == phase);
    view! {
        <figure class="phase" class:active=active>
            <figcaption>
                <strong>{title}</strong>
                <span>{caption}</span>
            </figcaption>
            <canvas id=id node_ref=canvas class="grid" width="256" height="256" role="img" aria-label=format!("{title}: {caption}")></canvas>
            <details class="explain">
                <summary>"What happens here"</summary>
                <p>{explain}</p>
            </details>
        </figure>
    }
}

fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 { format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60) } else { format!("{}:{:02}", s / 60, s % 60) }
}

#[component]
fn ProgressPanel(page: Page) -> impl IntoView {
    let p = move || page.with(|s| s.progress.clone());
    let hyp = NodeRef::<Canvas>::new();
    let hypnogram = page.select(|s| s.hypnogram.clone());
    redraw(
        hyp,
        move || hypnogram.get(),
        200.0,
        |c, h| {
            let _ = draw::hypnogram(c, &h);
        },
    );
    view! {
        <section class="panel progress">
            <h2>"Progress"</h2>
            <div class="bars">
                <label>
                    <span id="epoch-label">{move || p().map(|p| format!("epoch {} / {}", p.epoch, p.epochs)).unwrap_or_else(|| "epoch –".into())}</span>
                    <progress id="epoch-progress" max=move || p().map_or(1, |p| p.epochs) value=move || p().map_or(0.0, |p| (p.epoch - 1) as f64 + p.iteration as f64 / p.per_epoch as f64)></progress>
                </label>
                <label>
                    <span id="iteration-label">{move || p().map(|p| format!("iteration {} / {}", p.iteration, p.per_epoch)).unwrap_or_else(|| "iteration –".into())}</span>
                    <progress id="iteration-progress" max=move || p().map_or(1, |p| p.per_epoch) value=move || p().map_or(0, |p| p.iteration)></progress>
                </label>
            </div>
            <p id="stats" class="stats">
                {move || p().map(|p| {
                    format!(
                        "{:.1} images/s · elapsed {} · {}",
                        p.images_per_second,
                        clock(p.elapsed),
                        p.eta.map(|e| format!("about {} left", clock(e))).unwrap_or_else(|| "estimating time left…".into())
                    )
                })}
            </p>
            <p id="state" class="state" role="status" aria-live="polite" data-state=move || format!("{:?}", page.with(|s| s.state)).to_lowercase()>
                {move || match page.with(|s| s.state) {
                    RunState::Idle => "idle".to_string(),
                    RunState::Running => "training".into(),
                    RunState::Paused => "paused".into(),
                    RunState::Finished => "finished".into(),
                }}
                {move || page.with(|s| s.busy.as_ref().map(|b| format!(" — {b}")))}
            </p>
            <PreparingGpu page=page />
            <figure class="hypnogram">
                <figcaption>
                    <strong>"Hypnogram"</strong>
                    <span>"which brain state runs, iteration after iteration: Wake → NREM → REM"</span>
                </figcaption>
                <canvas id="hypnogram" node_ref=hyp width="520" height="110" role="img"
                    aria-label="Hypnogram: which brain state ran over the last seconds of training, Wake, then NREM, then REM, each iteration"></canvas>
            </figure>
            <table id="loss-values" class="losses">
                <tr>
                    {crate::shared::records::Losses::<f32>::NAMES.map(|n| view! { <th>{n}</th> }).to_vec()}
                </tr>
                <tr>
                    {(0..5)
                        .map(|k| view! { <td>{move || p().map(|p| format!("{:.4}", p.losses.clone().to_array()[k])).unwrap_or_else(|| "–".into())}</td> })
                        .collect::<Vec<_>>()}
                </tr>
            </table>
        </section>
    }
}

/// The value under the pointer on a plot: the handlers for its canvas (move, leave) and the text.
fn readout(
    canvas: NodeRef<Canvas>,
    frame: RwSignal<Option<Frame>>,
    at: impl Fn(&Frame, f64, f64) -> Option<String> + 'static,
) -> (impl Fn(MouseEvent) + 'static, impl Fn(MouseEvent) + 'static, impl Fn() -> Option<String> + 'static) {
    let text = RwSignal::new(None::<String>);
    let on_move = move |ev: MouseEvent| {
        let (Some(c), Some(f)) = (canvas.get_untracked(), frame.get_untracked()) else { return };
        // Pointer position in the canvas's own pixels (CSS may show it at another size).
        let rect = c.get_bounding_client_rect();
        let (sx, sy) = (c.width() as f64 / rect.width().max(1.0), c.height() as f64 / rect.height().max(1.0));
        text.set(at(&f, ev.offset_x() as f64 * sx, ev.offset_y() as f64 * sy));
    };
    (on_move, move |_: MouseEvent| text.set(None), move || text.get())
}

#[component]
fn Plots(page: Page) -> impl IntoView {
    let losses = NodeRef::<Canvas>::new();
    let probes = NodeRef::<Canvas>::new();
    let history = page.select(|s| (s.losses.clone(), s.changes.clone()));
    let epochs = page.select(|s| (s.epochs.clone(), s.data.as_ref().map(|d| d.name.clone()).unwrap_or_default()));
    // Each plot keeps the frame it was drawn in, to read the value under the pointer.
    let (loss_frame, probe_frame) = (RwSignal::new(None::<Frame>), RwSignal::new(None::<Frame>));
    redraw(losses, move || history.get(), 300.0, move |c, (h, changes)| loss_frame.set(draw::losses(c, &h, &changes).ok().flatten()));
    redraw(
        probes,
        move || epochs.get(),
        0.0,
        move |c, (e, dataset)| probe_frame.set(draw::probes(c, &e, &draw::paper_references(&dataset)).ok().flatten()),
    );
    // What each plot shows, in words (its text alternative), from the latest values.
    let loss_summary = move || {
        page.with(|s| match s.losses.points().last() {
            Some((i, v)) => {
                let values: Vec<String> =
                    crate::shared::records::Losses::<f32>::NAMES.iter().zip(v).map(|(n, v)| format!("{n} {v:.4}")).collect();
                let marks: Vec<String> = s.changes.iter().map(|c| c.describe()).collect();
                let marks = if marks.is_empty() { String::new() } else { format!("; knobs turned {}", marks.join("; ")) };
                format!("Losses per iteration, log scale; at iteration {i}: {}{marks}", values.join(", "))
            }
            None => "Losses per iteration, log scale: nothing trained yet".into(),
        })
    };
    let probe_summary = move || {
        page.with(|s| match s.epochs.iter().rev().find(|r| r.probe_stable.is_some()) {
            Some(r) => format!(
                "Linear-probe test accuracy per epoch; after epoch {}: stable probe {:.1} %, official probe {}",
                r.epoch,
                r.probe_stable.unwrap_or(0.0) * 100.0,
                r.probe_official.map_or("–".into(), |v| format!("{:.1} %", v * 100.0))
            ),
            None => "Linear-probe test accuracy per epoch: no probe has run yet".into(),
        })
    };
    let loss_readout = readout(losses, loss_frame, move |f, x, y| page.peek(|s| plot::loss_at(&s.losses, f, x, y)));
    let probe_readout = readout(probes, probe_frame, move |f, x, y| page.peek(|s| plot::probe_at(&s.epochs, f, x, y)));
    let swatch = |name: &'static str, colour, dash: &str| {
        view! { <span class="swatch" style=format!("--c:{};--dash:{dash}", draw::css(colour))>{name}</span> }
    };
    view! {
        <section class="panel plots">
            <figure>
                <canvas id="losses" node_ref=losses width="560" height="300" role="img" aria-label=loss_summary
                    on:mousemove=loss_readout.0 on:mouseleave=loss_readout.1></canvas>
                <p id="losses-readout" class="readout">{loss_readout.2}</p>
                <figcaption class="legend">
                    {crate::shared::records::Losses::<f32>::NAMES
                        .into_iter()
                        .zip(draw::LOSS_COLOURS.into_iter().zip(draw::LOSS_DASHES))
                        .map(|(n, (c, (_, dash)))| swatch(n, c, dash))
                        .collect::<Vec<_>>()}
                </figcaption>
            </figure>
            <figure>
                <canvas id="probes" node_ref=probes width="560" height="300" role="img" aria-label=probe_summary
                    on:mousemove=probe_readout.0 on:mouseleave=probe_readout.1></canvas>
                <p id="probes-readout" class="readout">{probe_readout.2}</p>
                <figcaption class="legend">
                    {swatch("stable probe (standardised latents, converged)", draw::PROBE_COLOURS[0], draw::PROBE_DASHES[0])}
                    {swatch("official probe (SGD 0.2, 20 epochs)", draw::PROBE_COLOURS[1], draw::PROBE_DASHES[1])}
                </figcaption>
            </figure>
            <p class="hint">
                "After each epoch a linear read-out is trained on the latents z of the training images and tested on the test split. "
                "The stable probe (standardised latents, trained to convergence) is the headline; the official one (plain SGD, as the paper's code) swings more."
            </p>
        </section>
    }
}

#[component]
pub fn App() -> impl IntoView {
    let query = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let mut params = PageParams::parse(&query);
    let device_memory =
        web_sys::window().and_then(|w| js_sys::Reflect::get(&w.navigator(), &"deviceMemory".into()).ok()).and_then(|v| v.as_f64());
    params.fit_device(device_memory);
    let page = Page::new();
    let client = Client::new(page, params.device);
    let bundled = DataChoice::Bundled(params.dataset);
    let choice = RwSignal::new(bundled);
    let form = RwSignal::new(params.form.clone());
    {
        // The runner holds the client that holds it: a cycle, harmless, as both live as long as
        // the page.
        let me = client.clone();
        client.on_effect(move |effect| run_effect(&me, page, form, effect));
    }
    // Out of sight (hidden tab, embed scrolled away): pause until back, unless `?autopause=0`.
    let autopause = params.autopause;
    super::polite::watch_sight({
        let client = client.clone();
        move |seen| client.run(page.update(|s| s.seen(seen, autopause)))
    });
    if params.embed {
        super::polite::post_height();
    }
    load_bundle(&client, page, bundled);
    // `?autostart=1`: start once the trainer and the data are ready (once).
    if params.autostart {
        let (client, started) = (client.clone(), RwSignal::new(false));
        Effect::new(move |_| {
            if page.with(|s| s.ready()) && !started.get_untracked() && !page.peek(|s| s.has_run()) {
                started.set(true);
                match form.with_untracked(|f| f.parse(page.peek(|s| s.data.as_ref().map(|d| d.train)))) {
                    Ok(settings) => client.send(&Command::Start { settings, paused: false }),
                    Err(e) => page.update(|s| s.errors.settings = Some(describe(&e))),
                }
            }
        });
    }
    // The pretrained snapshot, once the bundled MNIST is shown and nothing else runs: a visitor sees
    // reconstructions and dreams at once (after the first paint; `?pretrained=0` turns it off, and an
    // emulated GPU, seconds per pass, skips it).
    if params.pretrained && !params.autostart {
        let (client, asked) = (client.clone(), RwSignal::new(false));
        Effect::new(move |_| {
            let ready = page.with(|s| s.ready() && s.device.as_ref().is_some_and(|d| !d.software));
            let shown = choice.get_untracked();
            if let (true, false, false, Some((url, name))) = (ready, asked.get_untracked(), page.peek(|s| s.has_run()), shown.pretrained())
            {
                asked.set(true);
                let client = client.clone();
                leptos::task::spawn_local(async move {
                    match super::files::fetch_js(&url).await {
                        // Still nothing else to show, on the data it was made for. The bytes go
                        // beside the command, straight to the worker.
                        Ok(bytes) if !page.peek(|s| s.has_run()) && choice.get_untracked() == shown => {
                            client.give_beside(&Command::Pretrained { file: NamedFile::new(name, Vec::new()) }, bytes)
                        }
                        Ok(bytes) => crate::web::free(&bytes.buffer()),
                        Err(e) => page
                            .update(|s| s.notice = Some(format!("the pretrained snapshot is not available ({e}); Start trains a model"))),
                    }
                });
            }
        });
    }
    let errors = RwSignal::new(Vec::<FieldError>::new());
    // Fewer training images than the default subset: use them all.
    let train_images = page.select(|s| s.data.as_ref().map(|d| d.train));
    Effect::new(move |_| {
        if let Some(n) = train_images.get()
            && form.with_untracked(|f| f.images_per_epoch.trim().parse::<usize>().is_ok_and(|v| v > n))
        {
            form.update(|f| f.images_per_epoch = n.to_string());
        }
    });
    let notes = params.notes.join("; ");
    let (embed, view) = (params.embed, params.view);
    let shows = move |part: View| view == View::All || view == part;
    view! {
        <header>
            <h1>"PAD — Perturbed and Adversarial Dreaming"</h1>
            <p>
                "A cortical model that learns to see by being awake, dreaming (NREM) and dreaming adversarially (REM), "
                "trained live in your browser. Deperrois, Petrovici, Senn & Jordan, "
                <a href="https://doi.org/10.7554/eLife.76384">"eLife 2022"</a> " · "
                <a href="https://arxiv.org/abs/2109.04261">"arXiv 2109.04261"</a> "."
            </p>
            <p id="url-note" class="note">{(!notes.is_empty()).then(|| notes.clone())}</p>
        </header>
        <main id="app" class:embed=embed data-view=view.name() data-state=move || format!("{:?}", page.with(|s| s.state)).to_lowercase()
            data-first-pictures-ms=move || page.with(|s| s.first_pictures_ms).map(|v| format!("{v:.0}"))
            data-pretrained-ms=move || page.with(|s| s.pretrained_ms).map(|v| format!("{v:.0}"))>
            <aside class="panel controls">
                <DataControls client=client.clone() page choice />
                <SettingsControls client=client.clone() page form errors />
                <DeviceControls client=client.clone() page />
                <ModelControls client=client.clone() page form />
                <ShareControls form choice params=params.clone() />
                <p id="run-error" class="error" role="alert">{move || page.with(|s| s.errors.run.clone())}</p>
                <super::model::SmallerBatch client=client.clone() page form />
                <p id="notice" class="note" role="status">{move || page.with(|s| s.notice.clone())}</p>
            </aside>
            <div class="main">
                <ProgressPanel page />
                <section class="panel phases" hidden=!shows(View::Dreams)>
                    {(!embed).then(|| view! { <super::diagram::ModelDiagram client=client.clone() page form /> })}
                    <p id="pretrained-note" class="note" hidden=move || page.with(|s| s.pretrained().is_none())>{move || page.with(|s| s.pretrained().map(String::from))}</p>
                    <PhaseView id="input" title="Wake: input" caption="real images the cortex sees" page pick=|s| s.input.clone() phase=None
                        explain="Awake, the cortex sees real images x. The encoder E turns each into a latent code z = E_z(x), which the hippocampus stores as a memory for the night; the generator G reconstructs G(z) (next view)." />
                    <PhaseView id="reconstruction" title="Wake: reconstruction" caption="G(E_z(x)): E and G learn L_img + L_KL (+ L_real)" page pick=|s| s.reconstruction.clone() phase=Some(Phase::Wake)
                        explain="Wake: E and G learn together to reconstruct what is seen, L_img = mean (x − G(E_z(x)))², with L_KL pulling the batch of latents towards a standard normal, and E's discriminator head E_d learning to call real images real, L_real = −log E_d(x). Both networks learn." />
                    <PhaseView id="nrem" title="NREM: perturbed dream" caption="G(z) of a stored memory, occluded; E learns to map it back to z" page pick=|s| s.nrem.clone() phase=Some(Phase::Nrem)
                        explain="NREM, perturbed dreaming: G dreams from a stored memory z and the dream is occluded (random square tiles removed). Only the encoder learns, to map the occluded dream back to the memory it came from: L_NREM = mean (E_z(occluded G(z)) − z)². G does not change. This is what makes the representation robust to occlusion." />
                    <PhaseView id="rem" title="REM: adversarial dream" caption="G(mix of two memories + noise); E_d calls it fake, G learns the reverse" page pick=|s| s.rem.clone() phase=Some(Phase::Rem)
                        explain="REM, adversarial dreaming: two memories are mixed with noise, z = 0.25 z + 0.25 z_old + 0.5 ε, and G dreams G(z). E_d learns to call the dream fake, L_fake = −log(1 − E_d(G(z))); G learns the opposite through a reversed gradient, as in a GAN — so dreams become realistic and creative, and E learns semantic features." />
                </section>
                {(!embed).then(|| view! { <DreamExplorer client=client.clone() page /> })}
                {(!embed).then(|| view! { <super::drawpad::DrawingPad client=client.clone() page /> })}
                {(!embed && shows(View::Plots)).then(|| view! { <EvaluationPanel client=client.clone() page /> })}
                {shows(View::Plots).then(|| view! { <Plots page /> })}
            </div>
        </main>
    }
}
