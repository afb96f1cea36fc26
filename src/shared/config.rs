//! Training settings: the paper's conditions (docs/decisions.md#conditions) and the run's
//! hyper-parameters.

use super::knobs::Knobs;
use super::limits::{BATCH, MAX_LEARNING_RATE, learning_rate_ok};
use crate::Error;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The conditions of the paper's ablation table (`conditions`; Appendix 1—table 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// Full PAD: Wake, NREM and REM.
    Pad,
    /// NREM weight 0 (its optimizer step still runs, decision `nrem-step-always`,
    /// docs/decisions.md).
    NoNrem,
    /// REM off; wake latent noise std 0.5 and NREM weight 0.5 (decision `wake-noise`).
    NoRem,
    /// REM driven by the current memory alone, no noise (decision `rem-first-iteration`).
    NoMemoryMix,
    /// Wake alone, with wake latent noise std 0.5 (`wake-noise`).
    WakeOnly,
}

impl Variant {
    pub const ALL: [Variant; 5] = [Variant::Pad, Variant::NoNrem, Variant::NoRem, Variant::NoMemoryMix, Variant::WakeOnly];

    /// The command-line / URL name.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Pad => "pad",
            Variant::NoNrem => "no-nrem",
            Variant::NoRem => "no-rem",
            Variant::NoMemoryMix => "no-memory-mix",
            Variant::WakeOnly => "wake-only",
        }
    }

    /// The paper's label.
    pub fn label(self) -> &'static str {
        match self {
            Variant::Pad => "PAD",
            Variant::NoNrem => "w/o NREM",
            Variant::NoRem => "w/o REM",
            Variant::NoMemoryMix => "w/o memory mix",
            Variant::WakeOnly => "Wake only",
        }
    }

    /// Phase weights and inputs of this condition (`conditions` table).
    pub fn weights(self) -> PhaseWeights {
        let pad = PhaseWeights { wake: 1.0, nrem: 1.0, rem: 1.0, wake_noise_std: 0.0, rem_input: RemInput::MemoryMix };
        match self {
            Variant::Pad => pad,
            Variant::NoNrem => PhaseWeights { nrem: 0.0, ..pad },
            Variant::NoRem => PhaseWeights { nrem: 0.5, rem: 0.0, wake_noise_std: 0.5, ..pad },
            Variant::NoMemoryMix => PhaseWeights { rem_input: RemInput::SingleMemory, ..pad },
            Variant::WakeOnly => PhaseWeights { nrem: 0.0, rem: 0.0, wake_noise_std: 0.5, ..pad },
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Variant {
    /// "pad, no-nrem, …": every variant's name, for messages.
    pub fn names() -> String {
        Variant::ALL.map(|v| v.name()).join(", ")
    }
}

impl FromStr for Variant {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Variant::ALL.into_iter().find(|v| v.name() == s).ok_or_else(|| {
            // The value may come from a URL: quoted back short.
            Error::Config(format!("unknown variant '{}': expected one of {}", crate::quote(s), Variant::names()))
        })
    }
}

/// W, N, R of the official code (`--W --N --R`) plus the condition-specific inputs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseWeights {
    /// W: weight of L_img in Wake.
    pub wake: f32,
    /// N: weight of L_NREM.
    pub nrem: f32,
    /// R: REM on (> 0) or off; also gates L_real in Wake (`real-loss-gated`).
    pub rem: f32,
    /// Std of the Gaussian noise added to z as G's input in Wake (`--epsilon`).
    pub wake_noise_std: f32,
    pub rem_input: RemInput,
}

/// Everything that defines a training run apart from the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub variant: Variant,
    /// Mini-batch size (64 in the paper; at least 2 for the batch KL term, `batch-of-two`).
    pub batch_size: usize,
    /// Adam learning rate of both optimizers (2e-4).
    pub learning_rate: f64,
    pub seed: u64,
    /// Latent size n_z (256).
    pub latent: usize,
    pub step_semantics: StepSemantics,
    /// The official code's free phase weights (`--W --N --R --epsilon`), when they differ from the
    /// variant's preset; `None`: the variant's [`Variant::weights`]. Left out of a checkpoint's
    /// header when `None`, so headers of preset runs read as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<PhaseWeights>,
}

/// Latent size n_z of the paper and the official code.
pub const LATENT: usize = 256;

impl Default for TrainConfig {
    /// The paper's run: the settings' defaults (PAD, batch 64, learning rate 2e-4, seed 0),
    /// n_z = [`LATENT`], zero-filled steps.
    fn default() -> Self {
        super::settings::Settings::default().train_config()
    }
}

impl TrainConfig {
    /// The phase weights this run trains with: its own, or its variant's preset.
    pub fn weights(&self) -> PhaseWeights {
        self.weights.unwrap_or_else(|| self.variant.weights())
    }

    /// The knobs as they are now.
    pub fn knobs(&self) -> Knobs {
        Knobs { weights: self.weights(), learning_rate: self.learning_rate }
    }

    /// Turn the knobs (mid-run: they act from the next iteration on). The weights stay the
    /// variant's preset (`None`) when they are it.
    pub fn set_knobs(&mut self, knobs: Knobs) {
        self.learning_rate = knobs.learning_rate;
        self.weights = (knobs.weights != self.variant.weights()).then_some(knobs.weights);
    }

    /// What the run is called: the variant's label, or the weights when they are not its preset
    /// ("w/o REM, W 1 N 1 R 0 ε 0").
    pub fn label(&self) -> String {
        match self.weights.filter(|w| *w != self.variant.weights()) {
            None => self.variant.label().into(),
            Some(w) => {
                let mix = match (w.rem_input == self.variant.weights().rem_input, w.rem_input.is_mix()) {
                    (true, _) => "",
                    (false, true) => ", memory mix on",
                    (false, false) => ", memory mix off",
                };
                format!("{}, W {} N {} R {} ε {}{mix}", self.variant.label(), w.wake, w.nrem, w.rem, w.wake_noise_std)
            }
        }
    }

    /// Refuse settings the model cannot train with, with a message that says why.
    pub fn validate(&self) -> Result<(), Error> {
        let w = self.weights();
        for (name, v) in [("W", w.wake), ("N", w.nrem), ("R", w.rem), ("epsilon", w.wake_noise_std)] {
            // The page's and the CLI's inputs also cap them at MAX_WEIGHT (limits.rs); a run
            // trained with more still loads.
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::Config(format!("the phase weight {name} must be a number of at least 0, got {v}")));
            }
        }
        if self.batch_size < *BATCH.start() {
            return Err(Error::Config(format!(
                "batch size must be at least {} (the KL term needs a batch standard deviation), got {}",
                BATCH.start(),
                self.batch_size
            )));
        }
        if !learning_rate_ok(self.learning_rate) {
            return Err(Error::Config(format!("learning rate must be a number in (0, {MAX_LEARNING_RATE}], got {}", self.learning_rate)));
        }
        if !(1..=4096).contains(&self.latent) {
            return Err(Error::Config(format!("latent size must be between 1 and 4096, got {}", self.latent)));
        }
        Ok(())
    }
}

/// What an optimizer step does with parameters the current phase gave no gradient.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepSemantics {
    /// PyTorch 1.x `zero_grad()`: step them with g = 0 once they have ever had a gradient.
    #[default]
    ZeroFilled,
    /// PyTorch ≥ 2 `zero_grad(set_to_none=True)`: leave them untouched.
    SkipMissing,
}

/// How REM builds its latent from memory (docs/decisions.md#rem-latent, decision
/// `rem-first-iteration`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RemInput {
    /// PAD: 0.25·z + 0.25·z_old + 0.5·ε (0.5·z + 0.5·ε on the first iteration of an epoch).
    MemoryMix,
    /// "w/o memory mix": the current memory z alone, no noise.
    SingleMemory,
}

impl RemInput {
    /// The memory-mix switch (the page's checkbox, `--mix 1|0`) as a REM input.
    pub fn from_mix(mix: bool) -> Self {
        if mix { RemInput::MemoryMix } else { RemInput::SingleMemory }
    }

    /// REM mixes memories and noise.
    pub fn is_mix(self) -> bool {
        self == RemInput::MemoryMix
    }
}
