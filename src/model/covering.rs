//! Layers whose 4×4 kernel meets a 4×4 (or 1×1) map exactly once: E's two heads (conv4, dis: a
//! 4×4 map to 1×1) and G's first layer (tconv1: 1×1 to 4×4). Each is mathematically one matrix
//! product over the whole batch, and computing it as one is several times faster on the CPU
//! backend, which runs convolutions image by image (one matrix-vector product per image and
//! per backward pass). The parameters stay the `Conv2d`/`ConvTranspose2d` tensors of the paper's
//! layers, so checkpoints and the PyTorch layouts are unchanged.

use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::prelude::*;

/// `conv.forward(x)` flattened to (B, out) for a kernel that covers the whole input (no padding).
pub fn conv_covering(conv: &Conv2d, x: Tensor<4>) -> Tensor<2> {
    let [cout, cin, kh, kw] = conv.weight.dims();
    let [b, c, h, w] = x.dims();
    debug_assert_eq!([c, h, w], [cin, kh, kw], "the kernel must cover the whole input");
    let weight = conv.weight.val().reshape([cout, cin * kh * kw]).transpose();
    let y = x.reshape([b, c * h * w]).matmul(weight);
    match &conv.bias {
        Some(bias) => y + bias.val().unsqueeze_dim(0),
        None => y,
    }
}

/// `tconv.forward(z)` for a (B, in) latent read as a 1×1 map (stride 1, no padding): (B, out, k, k).
pub fn tconv_from_point(tconv: &ConvTranspose2d, z: Tensor<2>) -> Tensor<4> {
    let [cin, cout, kh, kw] = tconv.weight.dims();
    let [b, _] = z.dims();
    let y = z.matmul(tconv.weight.val().reshape([cin, cout * kh * kw])).reshape([b, cout, kh, kw]);
    match &tconv.bias {
        Some(bias) => y + bias.val().reshape([1, cout, 1, 1]),
        None => y,
    }
}
