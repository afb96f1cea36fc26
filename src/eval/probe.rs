//! Linear separability of the latents (docs/decisions.md#linear-probe; decisions `probe-accuracy`
//! and `stable-probe`).

use crate::Error;
use crate::model::Init;
use crate::readback::read_i64;
use burn::module::Module;
use burn::nn::Linear;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams, SgdConfig};
use burn::prelude::*;
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// The official probe's settings (`--lrC 0.2 --niterC 20`, batch 64).
pub const OFFICIAL_LR: f64 = 0.2;
pub const OFFICIAL_EPOCHS: usize = 20;
pub const BATCH: usize = 64;

/// The stable probe's settings: full-batch Adam on standardised latents with a small L2 penalty.
pub const STABLE_STEPS: usize = 300;
pub const STABLE_LR: f64 = 0.05;
pub const STABLE_L2: f32 = 1e-4;

/// Test accuracy of a classifier, both ways of `probe-accuracy`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Accuracy {
    /// Mean of per-batch accuracies over full batches of 64 (drop_last), as the official script;
    /// `None` when the test split has fewer than 64 images.
    pub per_batch: Option<f32>,
    /// Fraction of all test images classified correctly.
    pub all: f32,
}

/// A trained linear read-out: the classifier and, for the stable probe, the standardisation.
#[derive(Clone)]
pub struct Probe {
    pub linear: Linear,
    /// (mean, std) per latent dimension, applied before the linear layer.
    pub standardise: Option<(Tensor<2>, Tensor<2>)>,
}

impl Probe {
    pub fn logits(&self, z: Tensor<2>) -> Tensor<2> {
        let z = match &self.standardise {
            Some((m, s)) => (z - m.clone()) / s.clone(),
            None => z,
        };
        self.linear.forward(z)
    }

    /// Accuracy on latents `z` with labels `y` (async read of the predictions).
    pub async fn accuracy(&self, z: Tensor<2>, y: &[u8]) -> Result<Accuracy, Error> {
        if y.is_empty() {
            return Err(Error::Config("cannot measure accuracy on an empty test split".into()));
        }
        let pred = read_i64(self.logits(z).argmax(1).flatten::<1>(0, 1)).await?;
        let hits: Vec<bool> = pred.iter().zip(y).map(|(&p, &l)| p == l as i64).collect();
        let all = hits.iter().filter(|&&h| h).count() as f32 / hits.len() as f32;
        let batches: Vec<f32> = hits.chunks_exact(BATCH).map(|b| b.iter().filter(|&&h| h).count() as f32 / BATCH as f32).collect();
        let per_batch = (!batches.is_empty()).then(|| batches.iter().sum::<f32>() / batches.len() as f32);
        Ok(Accuracy { per_batch, all })
    }
}

fn check(z: &Tensor<2>, y: &[u8], classes: usize) -> Result<(), Error> {
    let n = z.dims()[0];
    if n != y.len() || n < BATCH {
        return Err(Error::Config(format!(
            "the probe needs at least {BATCH} training latents with labels, got {n} latents and {} labels",
            y.len()
        )));
    }
    if classes < 2 {
        return Err(Error::Config("the probe needs at least 2 classes".into()));
    }
    Ok(())
}

/// The official probe: `nn.Linear(n_z, classes)` with PyTorch's default init, plain SGD lr 0.2,
/// batch 64 shuffled with drop_last, 20 epochs, no standardisation (`linear-probe`).
pub async fn train_official<R: Rng>(z: Tensor<2>, y: &[u8], classes: usize, rng: &mut R) -> Result<Probe, Error> {
    check(&z, y, classes)?;
    let device = z.device().inner();
    let ad = device.clone().autodiff();
    let nz = z.dims()[1];
    let mut linear = Init { rng, device: &ad }.linear(nz, classes);
    let loss = CrossEntropyLossConfig::new().init(&ad);
    let mut sgd = SgdConfig::new().init();
    let targets = super::labels(y, &device);
    let mut order: Vec<usize> = (0..y.len()).collect();
    for _ in 0..OFFICIAL_EPOCHS {
        order.shuffle(rng);
        for batch in order.chunks_exact(BATCH) {
            let idx: Vec<i64> = batch.iter().map(|&i| i as i64).collect();
            let idx = Tensor::<1, Int>::from_data(TensorData::new(idx, [BATCH]), &device);
            let xb = z.clone().select(0, idx.clone());
            let yb = targets.clone().select(0, idx);
            let l = loss.forward(linear.forward(xb.autodiff()), yb.autodiff());
            let grads = GradientsParams::from_grads(l.backward(), &linear);
            linear = sgd.step(OFFICIAL_LR, linear, grads);
            crate::pace::breathe().await;
        }
    }
    Ok(Probe { linear: linear.valid(), standardise: None })
}

/// The stable probe (`stable-probe`): latents standardised with training statistics,
/// multinomial logistic regression trained full-batch with Adam for a fixed schedule (the loss
/// is convex, so this converges; `tests/probe.rs` checks it separates separable data).
pub async fn train_stable<R: Rng>(z: Tensor<2>, y: &[u8], classes: usize, rng: &mut R) -> Result<Probe, Error> {
    check(&z, y, classes)?;
    let device = z.device().inner();
    let ad = device.clone().autodiff();
    let nz = z.dims()[1];
    let (var, mean) = z.clone().var_mean(0);
    let std = var.sqrt().clamp_min(1e-6);
    let zs = ((z - mean.clone()) / std.clone()).autodiff();
    let mut linear = Init { rng, device: &ad }.linear(nz, classes);
    let loss = CrossEntropyLossConfig::new().init(&ad);
    let mut adam = AdamConfig::new().init();
    let targets = super::labels(y, &device).autodiff();
    for _ in 0..STABLE_STEPS {
        let l = loss.forward(linear.forward(zs.clone()), targets.clone()) + linear.weight.val().square().sum().mul_scalar(STABLE_L2);
        let grads = GradientsParams::from_grads(l.backward(), &linear);
        linear = adam.step(STABLE_LR, linear, grads);
        crate::pace::breathe().await;
    }
    Ok(Probe { linear: linear.valid(), standardise: Some((mean, std)) })
}
