//! The whole evaluation of a model, as `pad eval` writes it and the page draws it: both probes,
//! the occlusion-robustness curve (Fig. 5), the latent-organisation ratios (Fig. 6e–f) and a 2-D
//! PCA of test latents with their occluded versions (Fig. 6).

use super::latent::{self, LatentMetrics};
use super::occlusion_curve::{self, OcclusionPoint};
use super::pca::{self, Projection};
use super::probe::Probe;
use super::{ProbeReport, encode, probe_report};
use crate::Error;
use crate::data::Dataset;
use crate::model::Encoder;
use crate::readback::read_f32;
use crate::sleep::Occlusion;
use crate::train::{Stream, stream};
use burn::prelude::*;

/// Test images per class in the PCA picture.
pub const PCA_PER_CLASS: usize = 60;
/// Share of tiles occluded for the PCA's open markers and the clean-occluded ratio.
pub const PCA_OCCLUSION: f32 = 0.3;

pub struct Evaluation {
    pub probes: ProbeReport,
    pub curve: Vec<OcclusionPoint>,
    pub latent: LatentMetrics,
    /// The PCA: first the clean latents of `chosen` (test indices), then their occluded versions.
    pub pca: Projection,
    pub chosen: Vec<usize>,
    /// The stable probe as trained here (it reads new latents, e.g. a drawing's).
    pub stable: Probe,
}

/// Evaluate `encoder` on `data` (which needs a test split); `samples` pairs per class for the
/// latent ratios. Every draw comes from the `seed`'s evaluation streams.
pub async fn evaluate(encoder: &Encoder, data: &Dataset, seed: u64, samples: usize, device: &Device) -> Result<Evaluation, Error> {
    let (probes, official, stable) = probe_report(encoder, data, seed, device).await?;
    let mut rng = stream(seed, Stream::Eval, 1);
    let levels = occlusion_curve::paper_levels();
    let curve = occlusion_curve::occlusion_curve(encoder, &data.test, &official, &stable, &levels, &mut rng, device).await?;
    let latent = latent::latent_metrics(encoder, &data.train, data.classes.len(), samples, &mut rng, device).await?;
    let mut chosen = Vec::new();
    for k in 0..data.classes.len() {
        chosen.extend((0..data.test.len()).filter(|&i| data.test.labels[i] as usize == k).take(PCA_PER_CLASS));
    }
    let clean = encode(encoder, &data.test, Some(&chosen), None, &mut rng, device).await;
    let occluded = encode(encoder, &data.test, Some(&chosen), Some(Occlusion { p: PCA_OCCLUSION, tile: 4 }), &mut rng, device).await;
    let [_, latent_size] = clean.dims();
    let mut values = read_f32(clean).await?;
    values.extend(read_f32(occluded).await?);
    let pca = pca::pca2(&values, 2 * chosen.len(), latent_size);
    Ok(Evaluation { probes, curve, latent, pca, chosen, stable })
}
