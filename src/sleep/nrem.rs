//! NREM, perturbed dreaming (docs/decisions.md#training-iteration): G dreams the stored memory
//! (no learning in G), the dream is occluded, and the encoder learns to map the occluded dream
//! back to the memory.

use super::losses::mse;
use crate::model::{Encoder, Generator};
use burn::prelude::*;

pub struct NremPass {
    /// L_NREM = mean (E_z(G(z)·ω) − z)², the quantity backpropagated (times the NREM weight).
    pub l_nrem: Tensor<1>,
    /// The occluded dream G(z)·ω (plain device).
    pub dream: Tensor<4>,
}

/// NREM forward pass. `memory` is the detached latent batch from this iteration's Wake (plain
/// device); `keep_mask` (1, 1, 32, 32) is the occlusion mask shared by the whole batch.
pub fn nrem(encoder: &Encoder, generator: &Generator, memory: Tensor<2>, keep_mask: Tensor<4>) -> NremPass {
    // `valid()` runs G without autodiff: the official `torch.no_grad()`.
    let dream = generator.valid().forward(memory.clone()) * keep_mask;
    let z_hat = encoder.latent(crate::model::lift(dream.clone(), &encoder.conv1.weight));
    NremPass { l_nrem: mse(z_hat, memory), dream }
}
