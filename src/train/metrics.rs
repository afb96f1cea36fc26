//! Per-iteration losses and the per-epoch history a run keeps.

#[cfg(feature = "trainer")]
use crate::Error;
#[cfg(feature = "trainer")]
use burn::prelude::*;
#[cfg(feature = "trainer")]
use burn::tensor::Transaction;
use serde::{Deserialize, Serialize};

/// The five losses the paper plots (docs/decisions.md#losses), as device tensors or as read values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Losses<T> {
    /// Wake reconstruction L_img.
    pub img: T,
    /// Wake batch-KL L_KL.
    pub kl: T,
    /// Wake BCE on real images L_real.
    pub real: T,
    /// NREM latent reconstruction L_NREM.
    pub nrem: T,
    /// REM BCE on dreams L_fake.
    pub fake: T,
}

impl<T> Losses<T> {
    pub const NAMES: [&'static str; 5] = ["L_img", "L_KL", "L_real", "L_NREM", "L_fake"];

    pub fn to_array(self) -> [T; 5] {
        [self.img, self.kl, self.real, self.nrem, self.fake]
    }

    pub fn from_array([img, kl, real, nrem, fake]: [T; 5]) -> Self {
        Self { img, kl, real, nrem, fake }
    }
}

#[cfg(feature = "trainer")]
impl Losses<Tensor<1>> {
    /// Read all five in one device round trip (async: safe on WebGPU).
    pub async fn read(self) -> Result<Losses<f32>, Error> {
        let mut tx = Transaction::default();
        for t in self.to_array() {
            tx = tx.register(t);
        }
        let data = tx.execute_async().await.map_err(|e| Error::Device(format!("{e:?}")))?;
        let mut out = [0f32; 5];
        for (o, d) in out.iter_mut().zip(data) {
            *o = d.try_to_vec::<f32>().map_err(|e| Error::Device(format!("{e:?}")))?[0];
        }
        Ok(Losses::from_array(out))
    }
}

impl Losses<f32> {
    pub fn is_finite(&self) -> bool {
        self.clone().to_array().iter().all(|v| v.is_finite())
    }
}

/// Running mean of losses over an epoch.
#[derive(Clone, Debug, Default)]
pub struct LossMean {
    sum: [f64; 5],
    count: usize,
}

impl LossMean {
    pub fn add(&mut self, l: &Losses<f32>) {
        for (s, v) in self.sum.iter_mut().zip(l.clone().to_array()) {
            *s += v as f64;
        }
        self.count += 1;
    }

    pub fn mean(&self) -> Losses<f32> {
        let n = self.count.max(1) as f64;
        Losses::from_array(self.sum.map(|s| (s / n) as f32))
    }
}

/// One row of the run's history (and of `metrics.csv`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number; 0 is the untrained network (probes only).
    pub epoch: usize,
    pub iterations: usize,
    /// Mean losses over the epoch's iterations (none for epoch 0).
    pub losses: Option<Losses<f32>>,
    /// Official probe: mean of per-batch test accuracies, batch 64, drop_last (decision
    /// `probe-accuracy`).
    pub probe_official: Option<f32>,
    /// Official probe, plain accuracy over all test images (`probe-accuracy`).
    pub probe_official_all: Option<f32>,
    /// Stable probe (decision `stable-probe`).
    pub probe_stable: Option<f32>,
    pub seconds: f64,
}

impl EpochRecord {
    /// A record without probe results (they are filled in when the probes run).
    pub fn new(epoch: usize, iterations: usize, losses: Option<Losses<f32>>, seconds: f64) -> Self {
        Self { epoch, iterations, losses, probe_official: None, probe_official_all: None, probe_stable: None, seconds }
    }
}
