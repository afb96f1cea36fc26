//! The drawing pad: draw your own input (mouse, touch or pen), made an image as MNIST's digits
//! were (`shared/drawing.rs`), and see what the model makes of it — its reconstruction, an
//! occluded version and what the encoder still sees through it, its place on the evaluation's
//! latent map, and the linear probe's class probabilities. For the 1-channel datasets (MNIST,
//! Fashion-MNIST).

use super::client::Client;
use super::explorer::Picture;
use super::state::Page;
use crate::shared::drawing::{self, EXAMPLES, Stroke};
use crate::shared::protocol::DrawnView;
use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, PointerEvent};

/// The panel, as the pictures' text alternatives name it.
const OF: &str = "Drawing pad";

/// Side of the pad in canvas pixels; the pen's width, as a share of it (MNIST's strokes are about
/// a tenth of the digit's box).
const PAD: f64 = 224.0;
const PEN: f64 = 0.075;

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

/// A blank pad: black (no ink), with a white round pen.
fn clear(canvas: &HtmlCanvasElement) {
    let Some(c) = context(canvas) else { return };
    c.set_fill_style_str("#000");
    c.fill_rect(0.0, 0.0, PAD, PAD);
    c.set_stroke_style_str("#fff");
    c.set_line_width(PEN * PAD);
    c.set_line_cap("round");
    c.set_line_join("round");
}

/// The pad's ink (its red channel, 0…1), row-major.
fn ink(canvas: &HtmlCanvasElement) -> Option<Vec<f32>> {
    let data = context(canvas)?.get_image_data(0.0, 0.0, PAD, PAD).ok()?.data();
    Some(data.chunks_exact(4).map(|p| p[0] as f32 / 255.0).collect())
}

/// Draw strokes given in the unit square.
fn strokes(canvas: &HtmlCanvasElement, lines: &[Stroke]) {
    let Some(c) = context(canvas) else { return };
    for line in lines {
        c.begin_path();
        for (k, &(x, y)) in line.iter().enumerate() {
            let (x, y) = (x as f64 * PAD, y as f64 * PAD);
            if k == 0 { c.move_to(x, y) } else { c.line_to(x, y) }
        }
        c.stroke();
    }
}

/// A pointer's position in the pad's own pixels (CSS may show it at another size).
fn position(canvas: &HtmlCanvasElement, ev: &PointerEvent) -> (f64, f64) {
    let rect = canvas.get_bounding_client_rect();
    let scale = PAD / rect.width().max(1.0);
    (ev.offset_x() as f64 * scale, ev.offset_y() as f64 * scale)
}

#[component]
pub fn DrawingPad(client: Client, page: Page) -> impl IntoView {
    let pad = NodeRef::<Canvas>::new();
    let shown = page.select_shared(|s| s.drawn.clone());
    let pen_down = RwSignal::new(false);
    let one_channel = page.select(|s| s.data.as_ref().is_some_and(|d| d.channels == 1));
    let fit = move || page.peek(|s| s.data.as_ref().map_or(20, |d| drawing::fit_for(&d.name)));
    Effect::new(move |_| {
        if let Some(c) = pad.get() {
            clear(&c);
        }
    });
    // What is on the pad goes to the model (one drawing with the trainer at a time).
    let send = {
        let client = client.clone();
        move || {
            let Some(c) = pad.get_untracked() else { return };
            let pixels = ink(&c).and_then(|ink| drawing::preprocess(&ink, PAD as usize, PAD as usize, fit()));
            client.run(page.update(|s| s.draw(pixels)));
        }
    };
    let (send1, send2) = (send.clone(), send);
    let down = move |ev: PointerEvent| {
        let Some(c) = pad.get_untracked() else { return };
        ev.prevent_default();
        let _ = c.set_pointer_capture(ev.pointer_id());
        pen_down.set(true);
        let (x, y) = position(&c, &ev);
        if let Some(ctx) = context(&c) {
            ctx.begin_path();
            ctx.move_to(x, y);
            ctx.line_to(x, y);
            ctx.stroke();
        }
    };
    let moved = move |ev: PointerEvent| {
        let (Some(c), true) = (pad.get_untracked(), pen_down.get_untracked()) else { return };
        let (x, y) = position(&c, &ev);
        if let Some(ctx) = context(&c) {
            ctx.line_to(x, y);
            ctx.stroke();
        }
    };
    let up = move |_: PointerEvent| {
        if pen_down.get_untracked() {
            pen_down.set(false);
            send1();
        }
    };
    let erase = move |_| {
        if let Some(c) = pad.get_untracked() {
            clear(&c);
        }
        client.run(page.update(|s| s.draw(None)));
    };
    let example = move |lines: &'static [Stroke]| {
        let send = send2.clone();
        move |_| {
            let Some(c) = pad.get_untracked() else { return };
            clear(&c);
            strokes(&c, lines);
            send();
        }
    };
    let probabilities = move || {
        page.with(|s| {
            let (Some(d), Some(data)) = (s.drawn.as_ref(), s.data.as_ref()) else { return Vec::new() };
            let Some(p) = d.probabilities.as_ref() else { return Vec::new() };
            let best = p.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1)).map(|b| b.0);
            p.iter()
                .enumerate()
                .map(|(k, v)| {
                    let name = data.classes.get(k).cloned().unwrap_or_else(|| k.to_string());
                    view! {
                        <li class:best=Some(k) == best>
                            <span class="class">{name}</span>
                            <span class="bar" style=format!("--p:{:.3}", v)></span>
                            <span class="value">{format!("{:.0} %", v * 100.0)}</span>
                        </li>
                    }
                })
                .collect::<Vec<_>>()
        })
    };
    let probe_note = move || {
        page.with(|s| match s.drawn.as_ref() {
            None => "Draw something (or pick an example) to see what the model makes of it.".to_string(),
            Some(d) => {
                let probe = match d.probe_epoch {
                    Some(e) => format!("The linear probe of epoch {e} reads its latent as:"),
                    None => "No linear probe yet: one is trained after each epoch (with probes on), or by Evaluate.".into(),
                };
                let map = match d.place {
                    Some((x, y)) => format!(" On the evaluation's latent map it lands at ({x:.2}, {y:.2}), the black triangle."),
                    None => " Evaluate the model to see where it lands on the latent map.".into(),
                };
                format!("{probe}{map}")
            }
        })
    };
    view! {
        <section id="drawing" class="panel drawing">
            <h2>"Draw your own input"</h2>
            <p class="hint">
                "Draw a digit (or, on Fashion-MNIST, a piece of clothing) with the mouse, a finger or a pen. It is made an image as MNIST's were — "
                "scaled into the 20×20 box, centred by its mass in 28×28, then 32×32 — and the model shows what it makes of it. "
                "From the keyboard, the example buttons draw for you."
            </p>
            <p class="note" hidden=move || one_channel.get()>"The drawing pad works with the 1-channel datasets (MNIST, Fashion-MNIST)."</p>
            <div class="drawing-body" hidden=move || !one_channel.get()>
                <div class="drawing-pad">
                    <canvas id="drawpad" node_ref=pad width=PAD height=PAD role="img"
                        aria-label="Drawing pad: draw with the mouse, a finger or a pen; from the keyboard, the example buttons below draw for you"
                        on:pointerdown=down on:pointermove=moved on:pointerup=up.clone() on:pointercancel=up></canvas>
                    <div class="buttons">
                        <button id="drawing-clear" on:click=erase>"Clear"</button>
                        <span class="hint">"examples:"</span>
                        {EXAMPLES.map(|(name, lines)| view! {
                            <button class="drawing-example" data-example=name on:click=example(lines) aria-label=format!("draw the example {name}")>{name}</button>
                        }).to_vec()}
                    </div>
                </div>
                <div class="explorer-pictures">
                    <Picture id="drawn-input" title="what the model sees (32×32)" of=OF shown pick=|d: &DrawnView| d.input.clone() blank_when_gone=true />
                    <Picture id="drawn-reconstruction" title="G(E_z(x)): its reconstruction" of=OF shown pick=|d: &DrawnView| d.reconstruction.clone() blank_when_gone=true />
                    <Picture id="drawn-occluded" title="30 % of it occluded" of=OF shown pick=|d: &DrawnView| d.occluded.clone() blank_when_gone=true />
                    <Picture id="drawn-seen" title="G(E_z(occluded)): what E still sees" of=OF shown pick=|d: &DrawnView| d.seen.clone() blank_when_gone=true />
                </div>
                <div class="drawing-probe">
                    <p id="drawing-error" class="error" role="alert">{move || page.with(|s| s.errors.drawing.clone())}</p>
                    <p id="drawing-note" class="note" role="status">{probe_note}</p>
                    <ul id="drawing-probabilities" class="probabilities">{probabilities}</ul>
                </div>
            </div>
        </section>
    }
}
