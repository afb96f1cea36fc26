//! Latent-space organisation (docs/decisions.md#latent-organisation, the paper's Fig. 6e–f), in
//! the official code's version (decision `latent-squared-distance`): mean *squared* element
//! differences between paired latents, not Euclidean distances; same-class pairs drawn from the
//! two halves of each class list; training images; one 30 % tile-4 occlusion mask shared by the
//! batch; sampling with replacement (`np.random.choice`).

use super::encode;
use crate::Error;
use crate::data::ImageSet;
use crate::model::Encoder;
use crate::readback::read_f32;
use crate::sleep::Occlusion;
use burn::prelude::*;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatentMetrics {
    /// Mean over classes of MSE(z_A, z_B), A and B from the two halves of the class.
    pub intra: f32,
    /// Mean over classes of MSE(z_A, z_C), C from the other classes.
    pub inter: f32,
    /// Mean over classes of MSE(z_A, z_A_occluded).
    pub clean_occluded: f32,
    /// intra / inter: lower means tighter classes.
    pub intra_inter_ratio: f32,
    /// clean-occluded / inter: lower means more robust to occlusion.
    pub occluded_inter_ratio: f32,
    /// Pairs sampled per class.
    pub samples: usize,
}

fn pick<R: Rng>(from: &[usize], n: usize, rng: &mut R) -> Vec<usize> {
    (0..n).map(|_| from[rng.random_range(0..from.len())]).collect()
}

/// The metrics over the classes of `set` that have at least two images; `samples` pairs each.
pub async fn latent_metrics<R: Rng>(
    encoder: &Encoder,
    set: &ImageSet,
    classes: usize,
    samples: usize,
    rng: &mut R,
    device: &Device,
) -> Result<LatentMetrics, Error> {
    if samples == 0 {
        return Err(Error::Config("latent metrics need at least one sample per class".into()));
    }
    let (mut intra, mut inter, mut occ, mut counted) = (0.0f64, 0.0f64, 0.0f64, 0usize);
    for class in 0..classes {
        let members: Vec<usize> = (0..set.len()).filter(|&i| set.labels[i] as usize == class).collect();
        let others: Vec<usize> = (0..set.len()).filter(|&i| set.labels[i] as usize != class).collect();
        if members.len() < 2 || others.is_empty() {
            continue;
        }
        let (first, second) = members.split_at(members.len() / 2);
        let a = pick(first, samples, rng);
        let b = pick(second, samples, rng);
        let c = pick(&others, samples, rng);
        let za = encode(encoder, set, Some(&a), None, rng, device).await;
        let zb = encode(encoder, set, Some(&b), None, rng, device).await;
        let zc = encode(encoder, set, Some(&c), None, rng, device).await;
        // One mask for the whole batch, as `Occlude(0.3, 4)(imgs, d=1)` in the official script.
        let mask = Occlusion { p: 0.3, tile: 4 }.mask(crate::data::SIDE, rng);
        let side = crate::data::SIDE;
        let mask = Tensor::<4>::from_data(TensorData::new(mask, [1, 1, side, side]), device);
        let za_occ = encoder.latent(set.batch(&a, device) * mask);
        let mse = |x: Tensor<2>, y: Tensor<2>| (x - y).square().mean();
        let v = read_f32(Tensor::cat(vec![mse(za.clone(), zb), mse(za.clone(), zc), mse(za, za_occ)], 0)).await?;
        intra += v[0] as f64;
        inter += v[1] as f64;
        occ += v[2] as f64;
        counted += 1;
    }
    if counted == 0 {
        return Err(Error::Config("latent metrics need a class with at least two images and another class".into()));
    }
    let n = counted as f64;
    let (intra, inter, occ) = ((intra / n) as f32, (inter / n) as f32, (occ / n) as f32);
    Ok(LatentMetrics { intra, inter, clean_occluded: occ, intra_inter_ratio: intra / inter, occluded_inter_ratio: occ / inter, samples })
}
