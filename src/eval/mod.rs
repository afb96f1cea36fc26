//! Evaluation of the learned representation (docs/decisions.md#evaluation): linear probes,
//! robustness to occlusion and latent-space organisation. All of it runs on the model's device;
//! host reads are async.

pub mod dreams;
pub mod evaluation;
pub mod latent;
pub mod occlusion_curve;
pub mod pca;
pub mod probe;

use crate::data::ImageSet;
use crate::model::Encoder;
use crate::sleep::Occlusion;
use burn::prelude::*;
use rand::Rng;

/// Images per encoder forward when encoding a whole split.
const CHUNK: usize = 256;

/// Latents z = E_z(x) of the images at `indices` (all when `None`), optionally occluded with one
/// independent mask per image (evaluation masks, docs/decisions.md#occlusion-robustness). Shape
/// (N, n_z), on `device`. Yields to the host between chunks ([`crate::pace`]).
pub async fn encode<R: Rng>(
    encoder: &Encoder,
    set: &ImageSet,
    indices: Option<&[usize]>,
    occlusion: Option<Occlusion>,
    rng: &mut R,
    device: &Device,
) -> Tensor<2> {
    let all: Vec<usize>;
    let indices = match indices {
        Some(i) => i,
        None => {
            all = (0..set.len()).collect();
            &all
        }
    };
    let mut parts: Vec<Tensor<2>> = Vec::with_capacity(indices.len().div_ceil(CHUNK));
    for chunk in indices.chunks(CHUNK) {
        let mut x = set.batch(chunk, device);
        if let Some(occ) = occlusion {
            let side = crate::data::SIDE;
            let masks = occ.masks(side, chunk.len(), rng);
            x = x * Tensor::<4>::from_data(TensorData::new(masks, [chunk.len(), 1, side, side]), device);
        }
        parts.push(encoder.latent(x));
        crate::pace::breathe().await;
    }
    Tensor::cat(parts, 0)
}

/// Labels as an integer tensor.
pub fn labels(labels: &[u8], device: &Device) -> Tensor<1, Int> {
    let v: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
    Tensor::from_data(TensorData::new(v, [labels.len()]), device)
}

/// Both probes on a dataset's splits, as reported after each epoch.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProbeReport {
    pub official: probe::Accuracy,
    pub stable: probe::Accuracy,
}

/// Encode both splits with `encoder`, train the official and the stable probe on the training
/// latents and measure them on the test latents. `seed` fixes the probes' init and shuffling.
pub async fn probe_report(
    encoder: &Encoder,
    data: &crate::data::Dataset,
    seed: u64,
    device: &Device,
) -> Result<(ProbeReport, probe::Probe, probe::Probe), crate::Error> {
    if data.test.is_empty() {
        return Err(crate::Error::Config(format!("{} has no test split to measure the probe on", data.name)));
    }
    let mut rng = crate::train::stream(seed, crate::train::Stream::Eval, 0);
    let train_z = encode(encoder, &data.train, None, None, &mut rng, device).await;
    let test_z = encode(encoder, &data.test, None, None, &mut rng, device).await;
    let k = data.classes.len();
    let official = probe::train_official(train_z.clone(), &data.train.labels, k, &mut rng).await?;
    let stable = probe::train_stable(train_z, &data.train.labels, k, &mut rng).await?;
    let report = ProbeReport {
        official: official.accuracy(test_z.clone(), &data.test.labels).await?,
        stable: stable.accuracy(test_z, &data.test.labels).await?,
    };
    Ok((report, official, stable))
}
