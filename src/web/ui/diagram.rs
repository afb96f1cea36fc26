//! The model diagram: the encoder's trunk and heads (E_z, E_d), the generator G, the hippocampal
//! memory and NREM's occlusion, drawn as SVG; the running brain state's data path lights up, the
//! networks that learn in it are marked, REM's reversed gradient into G is drawn, and the phase's
//! losses are shown with their current values. While no run trains, three buttons choose the
//! phase to look at. What each phase does is `Phase::flow` (shared/phase.rs).

use super::client::Client;
use super::controls::start_run;
use super::state::Page;
use crate::shared::phase::{Part, Phase};
use crate::shared::protocol::Command;
use crate::shared::protocol::RunState;
use crate::shared::records::Losses;
use crate::shared::settings::Form;
use leptos::prelude::*;

/// A rectangle: x, y, width, height (the SVG's units).
type Rect = (f64, f64, f64, f64);

/// A box of the diagram: its part, label and rectangle.
const BOXES: [(Part, &str, Rect); 7] = [
    (Part::Input, "x (image)", (10.0, 82.0, 70.0, 36.0)),
    (Part::Trunk, "E: trunk", (110.0, 75.0, 90.0, 50.0)),
    (Part::Latent, "E_z → z", (240.0, 30.0, 90.0, 36.0)),
    (Part::Discriminator, "E_d: real?", (240.0, 134.0, 90.0, 36.0)),
    (Part::Memory, "hippocampus", (380.0, 8.0, 120.0, 34.0)),
    (Part::Generator, "G", (380.0, 82.0, 90.0, 36.0)),
    (Part::Occlusion, "occlusion", (510.0, 82.0, 90.0, 36.0)),
];

/// The arrows: from, to, the phases whose data flows along it.
const ARROWS: [(Part, Part, &[Phase]); 7] = [
    (Part::Input, Part::Trunk, &[Phase::Wake]),
    (Part::Trunk, Part::Latent, &[Phase::Wake, Phase::Nrem]),
    (Part::Trunk, Part::Discriminator, &[Phase::Wake, Phase::Rem]),
    (Part::Latent, Part::Generator, &[Phase::Wake]),
    (Part::Latent, Part::Memory, &[Phase::Wake]),
    (Part::Memory, Part::Generator, &[Phase::Nrem, Phase::Rem]),
    (Part::Generator, Part::Occlusion, &[Phase::Nrem]),
];

fn rect(part: Part) -> Rect {
    BOXES.iter().find(|b| b.0 == part).map(|b| b.2).expect("every part has a box")
}

/// The point where the segment from the centre of `a` towards the centre of `b` leaves `a`'s box.
fn border(a: Rect, towards: (f64, f64)) -> (f64, f64) {
    let (cx, cy) = (a.0 + a.2 / 2.0, a.1 + a.3 / 2.0);
    let (dx, dy) = (towards.0 - cx, towards.1 - cy);
    let t = [(a.2 / 2.0) / dx.abs().max(1e-9), (a.3 / 2.0) / dy.abs().max(1e-9)].into_iter().fold(f64::INFINITY, f64::min);
    (cx + dx * t, cy + dy * t)
}

fn centre(r: Rect) -> (f64, f64) {
    (r.0 + r.2 / 2.0, r.1 + r.3 / 2.0)
}

/// The networks a box belongs to ("E" or "G"), for the "learns" marks.
fn network(part: Part) -> Option<&'static str> {
    match part {
        Part::Trunk | Part::Latent | Part::Discriminator => Some("E"),
        Part::Generator => Some("G"),
        _ => None,
    }
}

/// The rests slow motion offers between phases, in seconds.
const SLOW_SECONDS: [f64; 5] = [0.25, 0.5, 1.0, 2.0, 4.0];

#[component]
pub fn ModelDiagram(client: Client, page: Page, form: RwSignal<Form>) -> impl IntoView {
    let running = move || page.with(|s| s.state == RunState::Running);
    // The phase shown: the one that runs, else the one chosen or just stepped.
    let shown = move || page.with(|s| if s.state == RunState::Running { s.hypnogram.current() } else { None }.unwrap_or(s.shown_phase));
    let lit = move |part: Part| shown().flow().parts.contains(&part);
    let learns = move |part: Part| network(part).is_some_and(|n| shown().flow().learns.contains(&n));
    // One phase at a time: only the iteration's next phase can be stepped (Wake also starts a
    // paused run when none exists).
    let form_ok = move || form.with(|f| f.parse(page.with(|s| s.data.as_ref().map(|d| d.train))).is_ok());
    let can_step = move |p: Phase| {
        page.with(|s| {
            s.ready()
                && !s.slow.playing()
                && match s.state {
                    RunState::Paused => s.next_phase == p,
                    RunState::Idle | RunState::Finished => p == Phase::Wake,
                    RunState::Running => false,
                }
        }) && form_ok()
    };
    let step = {
        let client = client.clone();
        move |p: Phase| {
            if page.peek(|s| s.state == RunState::Paused && s.next_phase == p) {
                client.run(page.update(|s| s.step_phase()));
            } else if p == Phase::Wake {
                let first = page.update(|s| s.slow.step(Phase::Wake));
                start_run(&client, page, form, Some(first));
            }
        }
    };
    let step_button = move |p: Phase| {
        let step = step.clone();
        view! {
            <button
                id=format!("step-{}", p.label().to_lowercase())
                class="phase-step"
                on:click=move |_| step(p)
                disabled=move || !can_step(p)
                title=format!("run only {} of the current iteration, then pause", p.label())
            >
                {format!("Step {}", p.label())}
            </button>
        }
    };
    let slow_playing = move || page.with(|s| s.slow.playing());
    let toggle_slow = move |_| {
        if page.peek(|s| s.slow.playing()) {
            page.update(|s| s.slow.stop());
        } else if page.peek(|s| s.state == RunState::Paused) {
            let effects = page.update(|s| s.play_slowly());
            client.run(effects);
        } else {
            // A new run, paused, its Wake asked for; slow motion plays once it is paused.
            start_run(&client, page, form, Some(Command::StepPhase(Phase::Wake)));
            page.update(|s| s.slow.play_once_started());
        }
    };
    let slow_seconds = move |ev: leptos::ev::Event| {
        if let Ok(v) = event_target_value(&ev).parse::<f64>() {
            page.update(|s| s.slow.seconds = v);
        }
    };
    let boxes = BOXES.map(|(part, label, (x, y, w, h))| {
        view! {
            <g class="part" class:on=move || lit(part) class:learns=move || learns(part)>
                <rect x=x y=y width=w height=h rx="6"></rect>
                <text x=x + w / 2.0 y=y + h / 2.0 + 4.0 text-anchor="middle">{label}</text>
            </g>
        }
    });
    let arrows = ARROWS.map(|(from, to, phases)| {
        let (a, b) = (rect(from), rect(to));
        let (x1, y1) = border(a, centre(b));
        let (x2, y2) = border(b, centre(a));
        view! { <line class="flow" class:on=move || phases.contains(&shown()) x1=x1 y1=y1 x2=x2 y2=y2 marker-end="url(#arrow)"></line> }
    });
    let losses = move || {
        let values = page.with(|s| s.phase_losses);
        shown()
            .flow()
            .losses
            .iter()
            .map(|name| {
                let k = Losses::<f32>::NAMES.iter().position(|n| n == name).expect("a loss of the table");
                let value = values[k].map(|v| format!("{v:.4}")).unwrap_or_else(|| "–".into());
                format!("{name} {value}")
            })
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let learning = move || {
        let f = shown().flow();
        format!(
            "learns: {}{}",
            f.learns.join(" and "),
            if f.reversed_into_generator { " (G through the reversed gradient −∇)" } else { "" }
        )
    };
    let tab = move |p: Phase| {
        view! {
            <button class="phase-tab" aria-pressed=move || (shown() == p).to_string() on:click=move |_| page.update(|s| s.shown_phase = p) disabled=running>
                {p.label()}
            </button>
        }
    };
    view! {
        <figure id="diagram" class="diagram" data-phase=move || shown().label()>
            <figcaption>
                <strong>"The model, one brain state at a time"</strong>
                <span>{move || if running() { "lit: the state that runs now" } else { "choose a state:" }}</span>
                {Phase::ALL.map(tab).to_vec()}
            </figcaption>
            <svg viewBox="0 0 610 200" role="img" aria-label=move || format!("Model diagram, {}: {} {}", shown().label(), shown().flow().says, learning())>
                <defs>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M 0 0 L 10 5 L 0 10 z"></path>
                    </marker>
                </defs>
                {arrows.to_vec()}
                // Dreams go back into the encoder: NREM's occluded one, REM's.
                <path class="flow" class:on=move || shown() == Phase::Nrem d="M 555 118 Q 360 215 165 125" marker-end="url(#arrow)"></path>
                <path class="flow" class:on=move || shown() == Phase::Rem d="M 415 118 Q 300 180 175 125" marker-end="url(#arrow)"></path>
                // REM: E_d's loss flows back into G with its sign flipped.
                <path class="reversed" class:on=move || shown().flow().reversed_into_generator d="M 330 152 Q 400 150 420 120" marker-end="url(#arrow)"></path>
                <text class="reversed-label" class:on=move || shown().flow().reversed_into_generator x="392" y="165">"−∇"</text>
                {boxes.to_vec()}
            </svg>
            <div class="phase-steps" role="group" aria-label="One brain state at a time">
                {Phase::ALL.map(step_button).to_vec()}
                <button id="slow" on:click=toggle_slow aria-pressed=move || slow_playing().to_string()
                    disabled=move || !(slow_playing() || Phase::ALL.into_iter().any(can_step))>
                    "Slow motion"
                </button>
                <label>
                    "rest "
                    <select id="slow-seconds" on:change=slow_seconds prop:value=move || page.with(|s| s.slow.seconds.to_string())>
                        {SLOW_SECONDS.map(|v| view! { <option value=v.to_string()>{format!("{v} s")}</option> }).to_vec()}
                    </select>
                    " between phases"
                </label>
                <span id="next-phase" class="hint">
                    {move || page.with(|s| (s.state == RunState::Paused).then(|| format!("next: {}", s.next_phase.label())))}
                </span>
            </div>
            <p class="diagram-says">{move || shown().flow().says}</p>
            <p id="diagram-losses" class="summary">{losses}" — "{learning}</p>
        </figure>
    }
}
