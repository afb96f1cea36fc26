//! What a run reports: the five losses of an iteration and one row of the run's history per
//! epoch (also a row of the CLI's `metrics.csv`).

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

impl Losses<f32> {
    pub fn is_finite(&self) -> bool {
        self.clone().to_array().iter().all(|v| v.is_finite())
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
