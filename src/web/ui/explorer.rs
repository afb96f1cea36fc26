//! The dream explorer: pick two training images (click them in the data preview, or type their
//! numbers), slide the memory mix λ and the noise share, and see G(z) change; with NREM's occluded
//! dream of the first memory and what the encoder makes of it.

use super::client::Client;
use super::draw;
use super::state::Page;
use crate::shared::images::HostImages;
use crate::shared::protocol::{DreamRequest, DreamView};
use leptos::html::Canvas;
use leptos::prelude::*;
use std::sync::Arc;

/// The panel, as the pictures' text alternatives name it.
const OF: &str = "Dream explorer";

/// One titled picture of a model's answer (the explorer's dream, the drawing pad's view): `pick`
/// takes it from the answer `shown`, and `of` names the panel for the text alternative. With
/// `blank_when_gone`, an answer taken away (a cleared drawing) blanks it; otherwise the last stays.
#[component]
pub(super) fn Picture<T: Send + Sync + 'static>(
    id: &'static str,
    title: &'static str,
    of: &'static str,
    shown: Memo<Option<Arc<T>>>,
    pick: fn(&T) -> HostImages,
    #[prop(optional)] blank_when_gone: bool,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let Some(c) = canvas.get() else { return };
        match shown.get() {
            Some(answer) => draw::grid(&c, &pick(&answer)),
            None if blank_when_gone => draw::grid(&c, &HostImages { count: 0, channels: 1, side: 32, pixels: Vec::new() }),
            None => {}
        }
    });
    view! {
        <figure class="dream-picture">
            <canvas id=id node_ref=canvas class="grid" width="32" height="32" role="img" aria-label=format!("{of}: {title}")></canvas>
            <figcaption>{title}</figcaption>
        </figure>
    }
}

#[component]
pub fn DreamExplorer(client: Client, page: Page) -> impl IntoView {
    let shown = page.select_shared(|s| s.dream.clone());
    let first = RwSignal::new(0usize);
    let second = RwSignal::new(1usize);
    let mix = RwSignal::new(0.5f32);
    let noise = RwSignal::new(0.5f32);
    let has_model = page.select(|s| s.has_model());
    // The page's state sends it when there is a model (and again whenever the model changes),
    // one request in flight and the latest waiting behind it.
    let request = move || DreamRequest { first: first.get(), second: second.get(), mix: mix.get(), noise: noise.get() };
    Effect::new(move |_| {
        let r = request();
        client.run(page.update(|s| s.dream(r)));
    });
    let index = |s: RwSignal<usize>| {
        move |ev: leptos::ev::Event| {
            if let Ok(v) = event_target_value(&ev).trim().parse::<usize>() {
                s.set(v);
            }
        }
    };
    let slider = |s: RwSignal<f32>| {
        move |ev: leptos::ev::Event| {
            if let Ok(v) = event_target_value(&ev).parse::<f32>() {
                s.set(v.clamp(0.0, 1.0));
            }
        }
    };
    // Clicking the data preview picks the first image, a second click the second.
    let next_is_first = RwSignal::new(true);
    let preview = NodeRef::<Canvas>::new();
    let data = page.select_shared(|s| s.data.clone());
    Effect::new(move |_| {
        if let (Some(c), Some(d)) = (preview.get(), data.get()) {
            draw::grid(&c, &d.preview);
        }
    });
    let on_preview = move |ev: leptos::ev::MouseEvent| {
        let Some(c) = preview.get() else { return };
        let rect = c.get_bounding_client_rect();
        let side = page.peek(|s| s.data.as_ref().map_or(32, |d| d.preview.side)) as f64;
        let scale = c.width() as f64 / rect.width().max(1.0);
        let col = ((ev.offset_x() as f64 * scale) / side) as usize;
        let row = ((ev.offset_y() as f64 * scale) / side) as usize;
        let i = row * draw::COLUMNS + col.min(draw::COLUMNS - 1);
        if next_is_first.get_untracked() {
            first.set(i)
        } else {
            second.set(i)
        }
        next_is_first.update(|f| *f = !*f);
    };
    view! {
        <section id="explorer" class="panel explorer">
            <h2>"Dream explorer"</h2>
            <p class="hint">
                "REM dreams from a mix of two memories and noise: z = (1 − noise)·(λ·z₁ + (1 − λ)·z₂) + noise·ε. "
                "λ = noise = 0.5 is the paper's REM mix. Click two images of the data preview, or type their numbers."
            </p>
            <div class="explorer-body">
                <canvas id="explorer-preview" node_ref=preview class="grid pick" width="256" height="256" on:click=on_preview role="img"
                    aria-label="The first training images: click one to pick it as a memory (or type its number in the fields beside)"></canvas>
                <div class="explorer-controls">
                    <label class="field"><span>"first image"</span>
                        <input id="dream-first" type="number" min="0" prop:value=move || first.get().to_string() on:change=index(first) /></label>
                    <label class="field"><span>"second image"</span>
                        <input id="dream-second" type="number" min="0" prop:value=move || second.get().to_string() on:change=index(second) /></label>
                    <label class="field"><span>{move || format!("memory mix λ = {:.2}", mix.get())}</span>
                        <input id="dream-mix" type="range" min="0" max="1" step="0.05" prop:value=move || mix.get().to_string() on:input=slider(mix) /></label>
                    <label class="field"><span>{move || format!("noise share = {:.2}", noise.get())}</span>
                        <input id="dream-noise" type="range" min="0" max="1" step="0.05" prop:value=move || noise.get().to_string() on:input=slider(noise) /></label>
                    <p class="note">{move || (!has_model.get()).then_some("Start a run or load a model to dream.")}</p>
                </div>
                <div class="explorer-pictures">
                    <Picture id="dream-a" title="memory 1" of=OF shown pick=|d: &DreamView| d.first.clone() />
                    <Picture id="dream-b" title="memory 2" of=OF shown pick=|d: &DreamView| d.second.clone() />
                    <Picture id="dream" title="REM dream G(z)" of=OF shown pick=|d: &DreamView| d.dream.clone() />
                    <Picture id="dream-occluded" title="NREM: occluded dream of memory 1" of=OF shown pick=|d: &DreamView| d.occluded.clone() />
                    <Picture id="dream-seen" title="G(E(occluded)): what E makes of it" of=OF shown pick=|d: &DreamView| d.seen.clone() />
                </div>
            </div>
        </section>
    }
}
