//! Wake (docs/decisions.md#training-iteration): reconstruct the real batch, regularise the
//! latent batch, and (with REM on) learn that real images are real. E and G both learn; the
//! latents go to the hippocampus.

use super::losses::{bce_real, kl_batch, mse};
use crate::model::{Encoder, Generator};
use crate::train::PhaseWeights;
use burn::prelude::*;

/// The Wake objective and what it produced.
pub struct WakePass {
    /// What is backpropagated: L_KL + [R>0]·L_real + W·L_img.
    pub objective: Tensor<1>,
    pub l_img: Tensor<1>,
    pub l_kl: Tensor<1>,
    pub l_real: Tensor<1>,
    /// Latents before the wake update (still attached; store them detached).
    pub z: Tensor<2>,
    /// G(z + noise): the reconstructions.
    pub reconstruction: Tensor<4>,
}

/// Wake forward pass on a real batch `x` (B, C, 32, 32) in [−1, 1].
///
/// `latent_noise` (B, n_z) is added to z only as G's input (the "w/o REM" and "Wake only"
/// conditions, decision `wake-noise`, docs/decisions.md); the KL term always acts on the clean
/// z and always has weight 1.
pub fn wake(encoder: &Encoder, generator: &Generator, x: Tensor<4>, latent_noise: Option<Tensor<2>>, weights: &PhaseWeights) -> WakePass {
    let out = encoder.forward(x.clone());
    let l_real = bce_real(out.d);
    let l_kl = kl_batch(out.z.clone());
    let g_input = match latent_noise {
        Some(noise) => out.z.clone() + noise,
        None => out.z.clone(),
    };
    let reconstruction = generator.forward(g_input);
    let l_img = mse(reconstruction.clone(), x);

    let mut objective = l_kl.clone();
    if weights.rem > 0.0 {
        objective = objective + l_real.clone();
    }
    if weights.wake > 0.0 {
        objective = objective + l_img.clone().mul_scalar(weights.wake);
    }
    WakePass { objective, l_img, l_kl, l_real, z: out.z, reconstruction }
}
