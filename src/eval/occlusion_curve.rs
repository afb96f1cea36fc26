//! Robustness to occlusion (docs/decisions.md#occlusion-robustness, the paper's Fig. 5): probes
//! trained on clean training latents, evaluated on test images occluded with tile-4 masks, one
//! independent mask per image, at 0, 10, …, 100 %.

use super::encode;
use super::probe::Probe;
use crate::Error;
use crate::data::ImageSet;
use crate::model::Encoder;
use crate::sleep::Occlusion;
use burn::prelude::*;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Tile size of the paper's occlusion results.
pub const TILE: usize = 4;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OcclusionPoint {
    /// Fraction of tiles occluded.
    pub level: f32,
    /// Accuracy (all test images) of the official probe.
    pub official: f32,
    /// The official probe's mean of per-batch accuracies (batch 64, drop_last), as Fig. 5.
    pub official_per_batch: Option<f32>,
    /// Accuracy (all test images) of the stable probe.
    pub stable: f32,
}

/// Accuracy at each occlusion level in `levels` (fractions in [0, 1]).
pub async fn occlusion_curve<R: Rng>(
    encoder: &Encoder,
    test: &ImageSet,
    official: &Probe,
    stable: &Probe,
    levels: &[f32],
    rng: &mut R,
    device: &Device,
) -> Result<Vec<OcclusionPoint>, Error> {
    let mut out = Vec::with_capacity(levels.len());
    for &level in levels {
        let occ = Occlusion { p: level, tile: TILE };
        let z = encode(encoder, test, None, Some(occ), rng, device).await;
        let a = official.accuracy(z.clone(), &test.labels).await?;
        let b = stable.accuracy(z, &test.labels).await?;
        out.push(OcclusionPoint { level, official: a.all, official_per_batch: a.per_batch, stable: b.all });
    }
    Ok(out)
}

/// 0, 10, …, 100 %.
pub fn paper_levels() -> Vec<f32> {
    (0..=10).map(|k| k as f32 / 10.0).collect()
}
