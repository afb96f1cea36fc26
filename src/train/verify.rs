//! Verify a compute device before trusting it: the same small computation on the device and on the
//! CPU backend must agree. On wasm a WebGPU kernel that fails validation is only logged and
//! skipped, and pooled buffers then hand back stale, plausible numbers (cubecl issue 1641): a run
//! would go on, silently wrong. So when WebGPU starts, the worker runs [`against_cpu`] and trains
//! on the CPU when it fails. The same check is the browser tests' proof that the model computes
//! the same on WebGPU as on the CPU.

use super::{TrainConfig, Trainer, Variant, checkpoint};
use crate::Error;
use crate::model::ModelShape;
use crate::readback::read_f32;
use burn::prelude::*;

/// Largest relative difference allowed in the forward pass (E_z, E_d, G(E_z(x))): both devices
/// compute in f32, and reductions summed in another order differ by about 1e-6 relative per
/// layer; a skipped or wrong kernel differs by order 1. 1e-3 leaves a wide margin for the first
/// and none for the second.
pub const FORWARD_TOLERANCE: f32 = 1e-3;
/// Largest relative difference allowed in the five losses of one PAD iteration. Looser than the
/// forward pass: the phases follow Adam steps, whose first update moves each weight by ±lr by
/// the sign of its gradient, and a gradient within rounding of zero may take the other sign on
/// the other device.
pub const LOSS_TOLERANCE: f32 = 1e-2;

/// Images in the check's batch.
const BATCH: usize = 4;

/// How closely the device agreed with the CPU (largest relative differences).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Agreement {
    pub forward: f32,
    pub losses: f32,
}

impl Agreement {
    /// One line for the page, e.g. "checked against the CPU: forward pass within 2e-7, losses within 1e-6".
    pub fn describe(&self) -> String {
        format!("checked against the CPU: forward pass within {:.0e}, losses within {:.0e}", self.forward, self.losses)
    }
}

/// A fixed batch in [−1, 1] (no randomness: the same on both devices).
fn batch(device: &Device) -> Tensor<4> {
    let n = BATCH * ModelShape::SIDE * ModelShape::SIDE;
    let v: Vec<f32> = (0..n).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect();
    Tensor::from_data(TensorData::new(v, [BATCH, 1, ModelShape::SIDE, ModelShape::SIDE]), device)
}

/// Largest difference between `a` and `b`, relative to the largest magnitude in `a`.
fn relative(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return f32::INFINITY;
    }
    let scale = a.iter().map(|v| v.abs()).fold(1e-6f32, f32::max);
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, |m, d| if d.is_nan() { f32::INFINITY } else { m.max(d) }) / scale
}

/// The forward pass (E_z, E_d, G(E_z(x))) and one PAD iteration's losses of `trainer` on the fixed batch.
async fn compute(mut trainer: Trainer, noise: super::IterationNoise) -> Result<(Vec<f32>, Vec<f32>), Error> {
    let device = trainer.device().clone();
    let out = trainer.encoder().forward(batch(&device));
    let dream = trainer.generator().forward(out.z.clone());
    let mut forward = read_f32(out.z).await?;
    forward.extend(read_f32(out.d).await?);
    forward.extend(read_f32(dream).await?);
    trainer.begin_epoch(BATCH);
    let losses = trainer.iteration_with(batch(&device), noise)?.losses.read().await?;
    Ok((forward, losses.to_array().to_vec()))
}

/// Run the same fixed weights, batch and random draws on `device` and on the CPU backend and
/// compare. `Err(Error::Device)` says how far they disagreed when beyond the tolerances.
pub async fn against_cpu(device: &Device) -> Result<Agreement, Error> {
    let cpu = Device::flex();
    let config = TrainConfig { variant: Variant::Pad, batch_size: BATCH, seed: 7, ..TrainConfig::default() };
    let mut reference = Trainer::new(config, 1, &cpu)?;
    let bytes = checkpoint::to_bytes(&reference, "self-check", &[], &[]).await?;
    let noise = reference.draw_noise(BATCH);
    let (on_device, _) = checkpoint::from_bytes(&bytes, device)?;
    let (on_cpu, _) = checkpoint::from_bytes(&bytes, &cpu)?;
    let (forward_cpu, losses_cpu) = compute(on_cpu, noise.clone()).await?;
    let (forward_device, losses_device) = compute(on_device, noise).await?;
    let agreement = Agreement { forward: relative(&forward_cpu, &forward_device), losses: relative(&losses_cpu, &losses_device) };
    if agreement.forward <= FORWARD_TOLERANCE && agreement.losses <= LOSS_TOLERANCE {
        Ok(agreement)
    } else {
        Err(Error::Device(format!(
            "its results differ from the CPU's: forward pass by {:.1e} (at most {FORWARD_TOLERANCE:.0e}), losses by {:.1e} (at most {LOSS_TOLERANCE:.0e})",
            agreement.forward, agreement.losses
        )))
    }
}
