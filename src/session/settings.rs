//! The settings of a run in the page, parsed from the form's text with one message per field that
//! cannot work (shown next to its control) — checked again by the trainer.

use crate::train::{MAX_LEARNING_RATE, StepSemantics, TrainConfig, Variant};

/// What a learning rate must be (the form's message).
const LEARNING_RATE: &str = "learning rate must be a number above 0 and at most 10000 (2e-4 in the paper; large rates diverge)";
use serde::{Deserialize, Serialize};

/// Everything the user chooses for a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub variant: Variant,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub seed: u64,
    /// Training images used (a subset of the dataset: the first ones); at least one batch.
    pub images_per_epoch: usize,
    /// Run the linear probes after every epoch.
    pub probe: bool,
}

impl Default for Settings {
    /// Dreams within a minute on a laptop GPU: the paper's batch and learning rate on a 2,048-image
    /// subset (32 iterations an epoch).
    fn default() -> Self {
        Self { variant: Variant::Pad, epochs: 10, batch_size: 64, learning_rate: 2e-4, seed: 0, images_per_epoch: 2048, probe: true }
    }
}

/// A control of the settings form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    Variant,
    Epochs,
    BatchSize,
    LearningRate,
    Seed,
    ImagesPerEpoch,
}

/// Why a field's value cannot be used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: Field,
    pub message: String,
}

pub const MAX_EPOCHS: usize = 1000;
pub const MAX_BATCH: usize = 1024;

/// The form's values as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Form {
    pub variant: String,
    pub epochs: String,
    pub batch_size: String,
    pub learning_rate: String,
    pub seed: String,
    pub images_per_epoch: String,
    pub probe: bool,
}

impl From<&Settings> for Form {
    fn from(s: &Settings) -> Self {
        Self {
            variant: s.variant.name().into(),
            epochs: s.epochs.to_string(),
            batch_size: s.batch_size.to_string(),
            learning_rate: s.learning_rate.to_string(),
            seed: s.seed.to_string(),
            images_per_epoch: s.images_per_epoch.to_string(),
            probe: s.probe,
        }
    }
}

/// The value, or its message recorded against `field`.
fn keep<T>(errors: &mut Vec<FieldError>, field: Field, r: Result<T, String>) -> Option<T> {
    r.map_err(|message| errors.push(FieldError { field, message })).ok()
}

fn whole(text: &str, what: &str, min: usize, max: usize) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(format!("{what} must be a whole number from {min} to {max}")),
    }
}

impl Form {
    /// Parse and check every field; `train_images` is the size of the loaded training split, when
    /// known. Returns all the problems at once.
    pub fn parse(&self, train_images: Option<usize>) -> Result<Settings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let variant =
            keep(e, Field::Variant, self.variant.trim().parse::<Variant>().map_err(|_| format!("expected one of {}", Variant::names())));
        let epochs = keep(e, Field::Epochs, whole(&self.epochs, "epochs", 1, MAX_EPOCHS));
        let batch = keep(e, Field::BatchSize, whole(&self.batch_size, "batch size", 2, MAX_BATCH));
        let lr = keep(
            e,
            Field::LearningRate,
            match self.learning_rate.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 && v <= MAX_LEARNING_RATE => Ok(v),
                _ => Err(LEARNING_RATE.into()),
            },
        );
        let seed = keep(
            e,
            Field::Seed,
            self.seed.trim().parse::<u64>().map_err(|_| "seed must be a whole number from 0 to 18446744073709551615".into()),
        );
        let images = keep(e, Field::ImagesPerEpoch, whole(&self.images_per_epoch, "images per epoch", 2, crate::data::MAX_IMAGES));
        let (Some(variant), Some(epochs), Some(batch_size), Some(learning_rate), Some(seed), Some(images_per_epoch)) =
            (variant, epochs, batch, lr, seed, images)
        else {
            return Err(errors);
        };
        let settings = Settings { variant, epochs, batch_size, learning_rate, seed, images_per_epoch, probe: self.probe };
        settings.check(train_images)?;
        Ok(settings)
    }
}

impl Settings {
    /// Check values that depend on each other and on the data (`train_images`, when known).
    pub fn check(&self, train_images: Option<usize>) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field, message: String| errors.push(FieldError { field, message });
        if !(1..=MAX_EPOCHS).contains(&self.epochs) {
            fail(Field::Epochs, format!("epochs must be a whole number from 1 to {MAX_EPOCHS}"));
        }
        if !(2..=MAX_BATCH).contains(&self.batch_size) {
            fail(Field::BatchSize, format!("batch size must be from 2 (the KL term needs a batch standard deviation) to {MAX_BATCH}"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0 && self.learning_rate <= MAX_LEARNING_RATE) {
            fail(Field::LearningRate, LEARNING_RATE.into());
        }
        if self.images_per_epoch < self.batch_size {
            fail(Field::ImagesPerEpoch, format!("images per epoch must be at least one batch ({})", self.batch_size));
        }
        if let Some(n) = train_images
            && self.images_per_epoch > n
        {
            fail(Field::ImagesPerEpoch, format!("the dataset has only {n} training images"));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// The trainer's configuration for these settings.
    pub fn train_config(&self) -> TrainConfig {
        TrainConfig {
            variant: self.variant,
            batch_size: self.batch_size,
            learning_rate: self.learning_rate,
            seed: self.seed,
            latent: TrainConfig::default().latent,
            step_semantics: StepSemantics::ZeroFilled,
        }
    }
}

/// All messages of a list of field errors, one line each (for places without per-field slots).
pub fn describe(errors: &[FieldError]) -> String {
    errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ")
}
