//! The knobs that act mid-run: the official code's phase weights (W, N, R, the Wake latent noise
//! ε), REM's memory mix and the learning rate. A change takes effect at the next iteration (while
//! an iteration is stepped phase by phase, at its next phase), without a reset; the run keeps each change ([`KnobChange`]) in its history and its checkpoint,
//! and the loss plot marks it. The five variants are presets of these knobs
//! ([`Knobs::preset`]).

use super::config::{PhaseWeights, Variant};
use super::settings::{Settings, describe};
use serde::{Deserialize, Serialize};

/// What a run trains with now, of what may change while it runs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Knobs {
    pub weights: PhaseWeights,
    /// Adam's learning rate of both networks.
    pub learning_rate: f64,
}

impl Knobs {
    /// The variant whose preset these weights are, if one is ("custom" otherwise).
    pub fn preset(&self) -> Option<Variant> {
        preset_of(&self.weights)
    }

    /// Knobs a run can be turned to: the settings table's own checks of these settings, with the
    /// form's message for each that fails.
    pub fn check(&self) -> Result<(), String> {
        let mut settings = Settings::default();
        settings.set_knobs(*self);
        settings.check(None).map_err(|errors| describe(&errors))
    }

    /// What differs from `before`, short: "R 1 → 0, lr 0.0002 → 0.0001".
    pub fn changes_from(&self, before: &Knobs) -> String {
        let (a, b) = (before.weights, self.weights);
        let mut parts = Vec::new();
        for (name, old, new) in
            [("W", a.wake, b.wake), ("N", a.nrem, b.nrem), ("R", a.rem, b.rem), ("ε", a.wake_noise_std, b.wake_noise_std)]
        {
            if old != new {
                parts.push(format!("{name} {old} → {new}"));
            }
        }
        if a.rem_input != b.rem_input {
            parts.push(format!("memory mix {}", if b.rem_input.is_mix() { "on" } else { "off" }));
        }
        if before.learning_rate != self.learning_rate {
            parts.push(format!("lr {} → {}", before.learning_rate, self.learning_rate));
        }
        parts.join(", ")
    }
}

/// The variant whose preset `weights` are, if one is.
pub fn preset_of(weights: &PhaseWeights) -> Option<Variant> {
    Variant::ALL.into_iter().find(|v| v.weights() == *weights)
}

/// One change of the knobs during a run, made after `iteration` iterations of the run (counted as
/// the loss plot counts), in epoch `epoch` (1-based): iteration `iteration + 1` is the first to
/// use it (from its next phase, when it was under way).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KnobChange {
    pub iteration: usize,
    pub epoch: usize,
    pub before: Knobs,
    pub after: Knobs,
}

impl KnobChange {
    /// "from iteration 41: R 1 → 0".
    pub fn describe(&self) -> String {
        format!("from iteration {}: {}", self.iteration + 1, self.after.changes_from(&self.before))
    }
}
