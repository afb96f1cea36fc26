//! The evaluation views of the paper: robustness to occlusion (Fig. 5, with the evaluation before
//! overlaid, e.g. PAD vs without NREM) and the latent map (Fig. 6: a 2-D PCA of test latents by
//! class, occluded versions as open markers) with the organisation ratios.

use super::client::Client;
use super::draw;
use super::state::Page;
use crate::shared::protocol::{Command, RunState};
use leptos::html::Canvas;
use leptos::prelude::*;

#[component]
pub fn EvaluationPanel(client: Client, page: Page) -> impl IntoView {
    let curve = NodeRef::<Canvas>::new();
    let map = NodeRef::<Canvas>::new();
    let evaluations = page.select_shared(|s| Some(s.evaluations.clone()));
    // Where the drawing pad's latest drawing lands on the map.
    let place = page.select(|s| s.drawn.as_ref().and_then(|d| d.place));
    Effect::new(move |_| {
        let evals = evaluations.get().unwrap_or_default();
        if let (Some(c), Some(latest)) = (curve.get(), evals.last()) {
            let _ = draw::occlusion(&c, latest, evals.len().checked_sub(2).map(|i| &evals[i]));
        }
        if let (Some(c), Some(latest)) = (map.get(), evals.last()) {
            let _ = draw::latent_map(&c, latest, place.get());
        }
    });
    let can = move || page.with(|s| s.has_model() && s.state != RunState::Running && s.busy.is_none());
    let ratios = move || {
        evaluations.with(|v| {
            v.as_ref().and_then(|v| v.last()).map(|e| {
                format!(
                    "{} after {} epoch{}: intra/inter {:.3} · clean-occluded/inter {:.3} (lower is better: classes tight, occlusion barely moves a latent)",
                    e.variant.label(),
                    e.epoch,
                    if e.epoch == 1 { "" } else { "s" },
                    e.intra_inter,
                    e.occluded_inter
                )
            })
        })
    };
    view! {
        <section id="evaluation" class="panel evaluation">
            <h2>"Evaluation"</h2>
            <div class="buttons">
                <button id="evaluate" on:click=move |_| client.send(&Command::Evaluate) disabled=move || !can()
                    title="probes on clean latents, tested under tile-4 occlusion 0–100 %; latent ratios; PCA of test latents">
                    "Evaluate the model"
                </button>
            </div>
            <p class="hint">
                "Pause or finish a run (or load a model, or use the pretrained snapshot), then evaluate it. Evaluate another model (e.g. without NREM) "
                "and the occlusion plot keeps the one before as a dashed line — the paper's Fig. 5 live."
            </p>
            <div class="plots" hidden=move || evaluations.with(|v| v.as_ref().is_none_or(|v| v.is_empty()))>
                <canvas id="occlusion" node_ref=curve width="560" height="300" role="img"
                    aria-label="Robustness to occlusion: probe test accuracy against the share of occluded tiles, 0 to 100 %, with the evaluation before dashed"></canvas>
                <canvas id="latent-map" node_ref=map width="560" height="300" role="img"
                    aria-label="Latent map: a 2-D PCA of test latents coloured by class, their 30 %-occluded versions as rings; the ratios are below"></canvas>
            </div>
            <p id="latent-ratios" class="summary">{ratios}</p>
        </section>
    }
}
