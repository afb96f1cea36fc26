//! The ranges a run's values may take, declared once: the settings form, the URL, the CLI and the
//! trainer's own checks all use these.

use std::ops::RangeInclusive;

/// Largest number of images a split may hold (SVHN's `extra` split has 531,131).
pub const MAX_IMAGES: usize = 1_000_000;

/// Epochs of a run.
pub const EPOCHS: RangeInclusive<usize> = 1..=1000;

/// Mini-batch size: at least 2, because the batch KL term needs a batch standard deviation
/// (decision `batch-of-two`, docs/decisions.md).
pub const BATCH: RangeInclusive<usize> = 2..=1024;

/// Training images per epoch (at least one batch, checked with the batch size).
pub const IMAGES: RangeInclusive<usize> = 2..=MAX_IMAGES;

/// Largest learning rate accepted. Far above any useful value (the paper's is 2e-4): large rates
/// are allowed so that divergence can be watched, and a run whose losses turn NaN or infinite stops
/// with a message (its last autosave stays).
pub const MAX_LEARNING_RATE: f64 = 1e4;

/// A learning rate the trainer accepts: a number in (0, [`MAX_LEARNING_RATE`]].
pub fn learning_rate_ok(lr: f64) -> bool {
    lr.is_finite() && lr > 0.0 && lr <= MAX_LEARNING_RATE
}

/// Largest phase weight (W, N, R) or Wake latent-noise std (ε) accepted: far above the official
/// values (0, 0.5 and 1), so that their effect can be watched.
pub const MAX_WEIGHT: f32 = 100.0;

/// A phase weight or noise std the trainer accepts: a number in [0, [`MAX_WEIGHT`]].
pub fn weight_ok(w: f32) -> bool {
    w.is_finite() && (0.0..=MAX_WEIGHT).contains(&w)
}
