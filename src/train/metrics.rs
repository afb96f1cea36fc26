//! Per-iteration losses and the per-epoch history a run keeps.

use crate::Error;
pub use crate::shared::records::{EpochRecord, Losses};
use burn::prelude::*;
use burn::tensor::Transaction;

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
