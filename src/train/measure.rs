//! Choosing a device by measurement. A hardware WebGPU adapter is not always faster than the CPU
//! backend: a weak integrated GPU, a small batch or a small model can favour the CPU (projects that
//! train in the browser report it). So in `auto`, before a first run on such an adapter, the
//! trainer times a few PAD iterations at the run's batch size on each device and trains on the
//! faster (`session::Session`); the page remembers the result per adapter, so that a reload does
//! not measure again. Natively, `pad bench` measures.

use super::{TrainConfig, Trainer};
use crate::Error;
use crate::shared::protocol::Measured;
use burn::prelude::*;
use web_time::Instant;

/// Timed iterations per device. Enough to tell a 2× difference apart; each is one batch.
pub const ITERATIONS: usize = 3;
/// Untimed iterations first: they compile a GPU's kernels (the run would compile the same ones),
/// two because REM's input differs from the second iteration on (memories of two batches mixed).
pub const WARM_UP: usize = 2;

/// Images per second of PAD iterations at `batch` on `device` (random images with `channels`
/// channels; each iteration ends when its losses are read back, so a GPU's queued work counts).
pub async fn images_per_second(device: &Device, batch: usize, channels: usize) -> Result<f64, Error> {
    let config = TrainConfig { batch_size: batch, ..TrainConfig::default() };
    let mut trainer = Trainer::new(config, channels, device)?;
    let x = Tensor::<4>::random([batch, channels, 32, 32], burn::tensor::Distribution::Uniform(-1.0, 1.0), device);
    trainer.begin_epoch(batch * (WARM_UP + ITERATIONS));
    for _ in 0..WARM_UP {
        trainer.iteration(x.clone())?.losses.read().await?;
    }
    let start = Instant::now();
    for _ in 0..ITERATIONS {
        trainer.iteration(x.clone())?.losses.read().await?;
    }
    Ok((batch * ITERATIONS) as f64 / start.elapsed().as_secs_f64().max(1e-9))
}

/// Measure `gpu` (its adapter named `adapter`) against the CPU backend at `batch`. A GPU that
/// fails while measured counts as infinitely slow: the CPU trains.
pub async fn gpu_against_cpu(gpu: &Device, adapter: &str, batch: usize, channels: usize) -> Result<Measured, Error> {
    let webgpu = images_per_second(gpu, batch, channels).await.unwrap_or(0.0);
    let cpu = images_per_second(&Device::flex(), batch, channels).await?;
    Ok(Measured { adapter: adapter.to_string(), batch, webgpu_images_per_second: webgpu, cpu_images_per_second: cpu })
}
