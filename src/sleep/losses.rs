//! The loss functions (docs/decisions.md#losses), with the official code's reductions and PyTorch
//! semantics.

use burn::prelude::*;

/// PyTorch's `BCELoss` clamps each log term at −100 (decision `bce-clamp`).
const LOG_FLOOR: f64 = -100.0;

/// `nn.MSELoss()`: mean over all elements (not the paper's per-sample sum; `mse-mean`).
pub fn mse<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> Tensor<1> {
    (a - b).square().mean()
}

/// Batch KL term (the paper's eq. 4): mean_j[(σ_j² + μ_j²)/2 − log σ_j − 1/2] with the batch mean μ
/// and the unbiased (N−1) batch std σ of each latent dimension. Needs a batch of at least 2
/// (decision `batch-of-two`).
pub fn kl_batch(z: Tensor<2>) -> Tensor<1> {
    let (var, mean) = z.var_mean(0); // (1, n_z) each, var unbiased
    let log_std = var.clone().log().mul_scalar(0.5);
    ((var + mean.square()).mul_scalar(0.5) - log_std).sub_scalar(0.5).mean()
}

/// log(x) clamped at −100 as in PyTorch's `BCELoss`, with a finite gradient: where x rounds to 0
/// (a saturated sigmoid), the value is −100 and the gradient 0, instead of 0·∞ = NaN.
fn clamped_log(x: Tensor<1>) -> Tensor<1> {
    let vanished = x.clone().lower_elem(f32::MIN_POSITIVE);
    x.clamp_min(f32::MIN_POSITIVE).log().mask_fill(vanished, LOG_FLOOR).clamp_min(LOG_FLOOR)
}

/// BCE against the label "real" (1): −mean(log d).
pub fn bce_real(d: Tensor<1>) -> Tensor<1> {
    clamped_log(d).mean().neg()
}

/// BCE against the label "dreamed" (0): −mean(log(1 − d)).
pub fn bce_fake(d: Tensor<1>) -> Tensor<1> {
    clamped_log(d.neg().add_scalar(1.0)).mean().neg()
}
