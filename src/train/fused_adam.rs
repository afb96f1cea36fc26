//! Adam's update as one pass over a parameter on the CPU backend (a Burn backend extension).
//!
//! Burn's `Adam::step` is a dozen tensor operations per parameter, each a pass over memory and a
//! new buffer; PAD steps its 3.4 M parameters three times an iteration, which made the optimizer a
//! tenth of an iteration on the CPU (BENCHMARKS.md). Here the same arithmetic, in the same order
//! and the same `f32` roundings as `burn::optim::Adam` with [`BETAS`] and [`EPSILON`], runs as one
//! loop. Other devices keep Burn's `Adam`.

use super::optimizer::{BETAS, EPSILON, MomentState};
use burn::backend::flex::FlexTensor;
use burn::backend::{Backend, Dispatch, Flex, backend_extension, tensor::FloatTensor};
use burn::prelude::*;

/// One Adam step of a flattened parameter, with its moments.
#[backend_extension(Flex)]
pub trait FusedAdam: Backend {
    /// `(param, moment_1, moment_2)` after the step numbered `time` (1 for the first), with
    /// learning rate `lr`.
    fn adam_update(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        moment_1: FloatTensor<Self>,
        moment_2: FloatTensor<Self>,
        lr: f64,
        time: usize,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

impl FusedAdam for Flex {
    fn adam_update(
        param: FlexTensor,
        grad: FlexTensor,
        moment_1: FlexTensor,
        moment_2: FlexTensor,
        lr: f64,
        time: usize,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        let (b1, b2) = BETAS;
        let (f1, f2) = (1.0 - b1, 1.0 - b2);
        let t = time as i32;
        // Burn's AdaptiveMomentum::transform, term by term.
        let bc2 = (1.0 - b2.powi(t)).sqrt();
        let factor = bc2 / (1.0 - b1.powi(t));
        let eps = EPSILON * bc2;
        let lr = lr as f32;
        let (p, g, m1, m2) = (values(&param), values(&grad), values(&moment_1), values(&moment_2));
        let n = p.len();
        assert!(g.len() == n && m1.len() == n && m2.len() == n, "Adam: one gradient and moment per element");
        let (mut p2, mut m1n, mut m2n) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        let update = |start: usize, p2: &mut [f32], m1n: &mut [f32], m2n: &mut [f32]| {
            let end = start + p2.len();
            let (p, g, m1, m2) = (&p[start..end], &g[start..end], &m1[start..end], &m2[start..end]);
            for i in 0..p2.len() {
                let m = m1[i] * b1 + g[i] * f1;
                let v = m2[i] * b2 + g[i] * g[i] * f2;
                p2[i] = p[i] - m * factor / (v.sqrt() + eps) * lr;
                m1n[i] = m;
                m2n[i] = v;
            }
        };
        // Natively in parallel chunks (a pass over memory per parameter, the larger ones 4 MB).
        #[cfg(not(target_family = "wasm"))]
        {
            use rayon::prelude::*;
            const CHUNK: usize = 1 << 16;
            p2.par_chunks_mut(CHUNK)
                .zip(m1n.par_chunks_mut(CHUNK))
                .zip(m2n.par_chunks_mut(CHUNK))
                .enumerate()
                .for_each(|(i, ((p2, m1n), m2n))| update(i * CHUNK, p2, m1n, m2n));
        }
        #[cfg(target_family = "wasm")]
        update(0, &mut p2, &mut m1n, &mut m2n);
        (flat(p2), flat(m1n), flat(m2n))
    }
}

fn values(t: &FlexTensor) -> std::borrow::Cow<'_, [f32]> {
    match t.as_slice::<f32>() {
        Some(v) => std::borrow::Cow::Borrowed(v),
        None => std::borrow::Cow::Owned(t.to_contiguous().as_slice::<f32>().expect("contiguous f32").to_vec()),
    }
}

fn flat(values: Vec<f32>) -> FlexTensor {
    let n = values.len();
    FlexTensor::from_data(TensorData::new(values, [n]))
}

/// Whether this parameter's step runs fused: a plain `f32` tensor on the CPU backend.
pub fn applies(param: &Tensor<1>) -> bool {
    param.device() == Device::flex() && param.dtype() == burn::tensor::DType::F32
}

/// Burn's `Adam::step` (β, ε as the official code's) on a flattened parameter, in one pass:
/// the new parameter and state. Only for tensors [`applies`] accepts.
pub fn step(lr: f64, param: Tensor<1>, grad: Tensor<1>, state: Option<MomentState>) -> (Tensor<1>, MomentState) {
    // The first step's moments `(1−β)·g` equal `0·β + (1−β)·g` exactly.
    let (time, m1, m2) = match state {
        Some(s) => (s.time + 1, s.moment_1, s.moment_2),
        None => (1, param.zeros_like(), param.zeros_like()),
    };
    let (p, m1, m2) =
        <Dispatch as FusedAdam>::adam_update(param.into_dispatch(), grad.into_dispatch(), m1.into_dispatch(), m2.into_dispatch(), lr, time);
    let state = MomentState { time, moment_1: Tensor::from_dispatch(m1), moment_2: Tensor::from_dispatch(m2), max_moment_2: None };
    (Tensor::from_dispatch(p), state)
}
