//! Reading tensors back to the host. Everything in the core is `async` so that the browser never
//! reads synchronously from WebGPU; native code waits with [`block_on`].

use crate::Error;
use burn::prelude::*;

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
