//! Adam's update as one pass over a parameter on the CPU backend (a Burn backend extension).
//!
//! Burn's `Adam::step` is a dozen tensor operations per parameter, each a pass over memory and a
//! new buffer; PAD steps its 3.4 M parameters three times an iteration, which made the optimizer a
//! tenth of an iteration on the CPU (BENCHMARKS.md). Here the same arithmetic, in the same order
//! and the same `f32` roundings as `burn::optim::Adam` with [`BETAS`] and [`EPSILON`], runs as one
//! loop. Other devices keep Burn's `Adam`.

use super::optimizer::{BETAS, EPSILON, MomentState};
use crate::model::conv::values;
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
        let g = values(&grad);
        let n = g.len();
        // In place: the parameter and its moments are normally this step's only owners (else
        // `storage_mut` copies them first), so the step needs no new buffers — Burn's Adam, whose
        // operations also reuse unique buffers, needed none either.
        let (mut p, mut m1, mut m2) = (whole(param), whole(moment_1), whole(moment_2));
        {
            let (ps, m1s, m2s) = (p.storage_mut::<f32>(), m1.storage_mut::<f32>(), m2.storage_mut::<f32>());
            assert!(ps.len() == n && m1s.len() == n && m2s.len() == n, "Adam: one gradient and moment per element");
            let update = |start: usize, p: &mut [f32], m1: &mut [f32], m2: &mut [f32]| {
                let g = &g[start..start + p.len()];
                for i in 0..p.len() {
                    let m = m1[i] * b1 + g[i] * f1;
                    let v = m2[i] * b2 + g[i] * g[i] * f2;
                    p[i] -= m * factor / (v.sqrt() + eps) * lr;
                    m1[i] = m;
                    m2[i] = v;
                }
            };
            // Natively in parallel chunks (a pass over memory per parameter, the larger ones 4 MB).
            #[cfg(not(target_family = "wasm"))]
            {
                use rayon::prelude::*;
                const CHUNK: usize = 1 << 16;
                ps.par_chunks_mut(CHUNK)
                    .zip(m1s.par_chunks_mut(CHUNK))
                    .zip(m2s.par_chunks_mut(CHUNK))
                    .enumerate()
                    .for_each(|(i, ((p, m1), m2))| update(i * CHUNK, p, m1, m2));
            }
            #[cfg(target_family = "wasm")]
            update(0, ps, m1s, m2s);
        }
        (p, m1, m2)
    }
}

/// A tensor whose storage is exactly its values in order (copied into one when it is a view).
fn whole(t: FlexTensor) -> FlexTensor {
    let layout = t.layout();
    let exact = layout.is_contiguous() && layout.start_offset() == 0 && t.storage::<f32>().len() == layout.num_elements();
    if exact { t } else { t.to_contiguous() }
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
