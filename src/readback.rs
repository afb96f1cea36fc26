//! Reading tensors back to the host. Everything in the core is `async` so that the browser never
//! reads synchronously from WebGPU; native code waits with [`block_on`].

use crate::Error;
use burn::prelude::*;

pub use crate::shared::images::HostImages;

/// Read a float tensor's values (async; one device round trip).
pub async fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, Error> {
    let data = t.into_data_async().await.map_err(|e| Error::Device(format!("{e:?}")))?;
    data.convert::<f32>().try_to_vec::<f32>().map_err(|e| Error::Device(format!("{e:?}")))
}

/// Read an integer tensor's values (async).
pub async fn read_i64<const D: usize>(t: Tensor<D, Int>) -> Result<Vec<i64>, Error> {
    let data = t.into_data_async().await.map_err(|e| Error::Device(format!("{e:?}")))?;
    data.convert::<i64>().try_to_vec::<i64>().map_err(|e| Error::Device(format!("{e:?}")))
}

/// Wait for a future on native targets (the CLI and the tests).
#[cfg(not(target_family = "wasm"))]
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

/// Read the first `max` images of a (B, C, S, S) batch in [−1, 1] as bytes (async).
pub async fn read_images(images: Tensor<4>, max: usize) -> Result<HostImages, Error> {
    let [b, c, h, w] = images.dims();
    let count = b.min(max);
    let v = read_f32(images.slice([0..count, 0..c, 0..h, 0..w])).await?;
    let pixels = v.iter().map(|p| ((p + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8).collect();
    Ok(HostImages { count, channels: c, side: h, pixels })
}
