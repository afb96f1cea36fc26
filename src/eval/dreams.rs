//! Dreams on demand, without learning: what a trained model makes of fixed images (the page's
//! view of a loaded or finished model) and the dream explorer (two memories, a mix and a noise
//! share). Every random draw comes from a fixed seed, so the same weights always give the same
//! pictures — a saved model shows exactly what it showed before saving.

use crate::model::{Encoder, Generator, ModelShape};
use crate::sleep::{Occlusion, nrem, rem};
use crate::train::{PhaseImages, Stream, stream};
use burn::prelude::*;
use rand_distr::{Distribution, StandardNormal};

/// Seed of the fixed draws (noise and occlusion) of the pictures on demand.
const SEED: u64 = 0xd5ea;

fn noise(rows: usize, latent: usize, device: &Device) -> Tensor<2> {
    let mut rng = stream(SEED, Stream::Eval, 1);
    let v: Vec<f32> = (0..rows * latent).map(|_| StandardNormal.sample(&mut rng)).collect();
    Tensor::from_data(TensorData::new(v, [rows, latent]), device)
}

/// NREM's perturbation of fixed strength: half of the 4×4 tiles dropped, one mask for the batch.
fn occlusion_mask(device: &Device) -> Tensor<4> {
    let mut rng = stream(SEED, Stream::Eval, 2);
    let side = ModelShape::SIDE;
    let mask = Occlusion { p: 0.5, tile: 4 }.mask(side, &mut rng);
    Tensor::from_data(TensorData::new(mask, [1, 1, side, side]), device)
}

/// The four phase pictures of a model on the images `x` (B ≥ 1): the input, its reconstruction
/// G(E_z(x)), NREM's occluded dream of each memory, and REM's dream of each memory mixed with the
/// next one and noise (0.25 z + 0.25 z_next + 0.5 ε, the paper's mix).
pub fn model_view(encoder: &Encoder, generator: &Generator, x: Tensor<4>) -> PhaseImages {
    let device = x.device();
    let [b, ..] = x.dims();
    let z = encoder.latent(x.clone());
    let reconstruction = generator.forward(z.clone());
    let nrem_dream = nrem::nrem(encoder, generator, z.clone(), occlusion_mask(&device)).dream;
    let next = if b > 1 { Tensor::cat(vec![z.clone().slice(1..b), z.clone().slice(0..1)], 0) } else { z.clone() };
    let [_, latent] = z.dims();
    let z_mix = z.mul_scalar(0.25) + next.mul_scalar(0.25) + noise(b, latent, &device).mul_scalar(0.5);
    let rem_dream = rem::rem(encoder, generator, z_mix).dream;
    PhaseImages { input: x, reconstruction, nrem_dream, rem_dream }
}

/// What the dream explorer shows.
pub struct Explored {
    /// G((1 − noise)·(mix·z_a + (1 − mix)·z_b) + noise·ε): mix = noise = 0.5 is REM's dream.
    pub dream: Tensor<4>,
    /// NREM's occluded dream of memory a, and the reconstruction from what E makes of it:
    /// G(E_z(occluded)) — how well perturbed dreaming has taught E to see through occlusion.
    pub occluded: Tensor<4>,
    pub seen: Tensor<4>,
}

/// Dream from two images `a` and `b` (each 1×C×32×32); `mix` and `noise` in [0, 1].
pub fn explore(encoder: &Encoder, generator: &Generator, a: Tensor<4>, b: Tensor<4>, mix: f32, noise_share: f32) -> Explored {
    let device = a.device();
    let z = encoder.latent(Tensor::cat(vec![a, b], 0));
    let [_, latent] = z.dims();
    let (za, zb) = (z.clone().slice(0..1), z.slice(1..2));
    let memory = za.clone().mul_scalar(mix) + zb.mul_scalar(1.0 - mix);
    let z_dream = memory.mul_scalar(1.0 - noise_share) + noise(1, latent, &device).mul_scalar(noise_share);
    let dream = generator.forward(z_dream);
    let occluded = nrem::nrem(encoder, generator, za, occlusion_mask(&device)).dream;
    let seen = generator.forward(encoder.latent(occluded.clone()));
    Explored { dream, occluded, seen }
}

/// What the model makes of one image of your own (the drawing pad).
pub struct Seen {
    /// Its latent E_z(x), and the reconstruction G(E_z(x)).
    pub z: Tensor<2>,
    pub reconstruction: Tensor<4>,
    /// A fixed 30 % of its 4×4 tiles occluded (the level of the latent map's open markers), and
    /// G(E_z(occluded)): what E still sees through the occlusion.
    pub occluded: Tensor<4>,
    pub seen: Tensor<4>,
}

/// The drawing pad's pictures of `x` (1×C×32×32).
pub fn seen(encoder: &Encoder, generator: &Generator, x: Tensor<4>) -> Seen {
    let device = x.device();
    let mut rng = stream(SEED, Stream::Eval, 3);
    let side = ModelShape::SIDE;
    let mask = Occlusion { p: crate::eval::evaluation::PCA_OCCLUSION, tile: 4 }.mask(side, &mut rng);
    let occluded = x.clone() * Tensor::<4>::from_data(TensorData::new(mask, [1, 1, side, side]), &device);
    let z = encoder.latent(Tensor::cat(vec![x, occluded.clone()], 0));
    let pictures = generator.forward(z.clone());
    Seen { z: z.slice(0..1), reconstruction: pictures.clone().slice(0..1), occluded, seen: pictures.slice(1..2) }
}
