//! E's and G's strided convolutions, and the one place that decides how they run.
//!
//! On the CPU backend (Flex, natively and in the browser's worker) PAD's convolutions and
//! transposed convolutions run as a few large matrix products per layer with a handwritten
//! backward pass ([`lowering`], [`extension`]): Burn's own CPU kernels compute each image — and a
//! weight gradient one input channel at a time — as thin products at a fifth of the machine's peak
//! (BENCHMARKS.md, "Where the time goes"). Every other device (WebGPU, wgpu, CUDA) keeps Burn's own
//! kernels, and so does any layer the lowering does not cover. The parameters stay the layers'
//! `Conv2d`/`ConvTranspose2d` tensors, so checkpoints and the PyTorch layouts are unchanged; the
//! results equal Burn's to float rounding (tests/conv.rs).

mod extension;
pub(crate) use extension::values;
pub mod lowering;

use burn::backend::Dispatch;
use burn::module::Param;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::prelude::*;
use burn::tensor::activation::leaky_relu;
use extension::LoweredConv;

/// What follows a layer; LeakyReLU is fused into the lowered layers, forward and backward.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// Nothing: the layer's output as it is.
    Linear,
    /// LeakyReLU with this negative slope.
    LeakyRelu(f64),
}

impl Activation {
    /// The slope the lowered kernels take (1: none).
    fn slope(self) -> f32 {
        match self {
            Activation::Linear => 1.0,
            Activation::LeakyRelu(slope) => slope as f32,
        }
    }

    /// The activation by Burn's own operations (after a layer that does not run lowered).
    pub fn apply(self, y: Tensor<4>) -> Tensor<4> {
        match self {
            Activation::Linear => y,
            Activation::LeakyRelu(slope) => leaky_relu(y, slope),
        }
    }
}

/// `then(conv.forward(x))`, lowered to matrix products on the CPU backend.
pub fn conv2d(conv: &Conv2d, x: Tensor<4>, then: Activation) -> Tensor<4> {
    match conv_plan(conv) {
        Some((padding, bias)) => Tensor::from_dispatch(<Dispatch as LoweredConv>::lowered_conv2d(
            x.into_dispatch(),
            conv.weight.val().into_dispatch(),
            bias.val().into_dispatch(),
            conv.stride[0],
            padding,
            then.slope(),
        )),
        None => then.apply(conv.forward(x)),
    }
}

/// `then(tconv.forward(x))`, lowered to matrix products on the CPU backend.
pub fn conv_transpose2d(tconv: &ConvTranspose2d, x: Tensor<4>, then: Activation) -> Tensor<4> {
    match tconv_plan(tconv) {
        Some((padding, bias)) => Tensor::from_dispatch(<Dispatch as LoweredConv>::lowered_conv_transpose2d(
            x.into_dispatch(),
            tconv.weight.val().into_dispatch(),
            bias.val().into_dispatch(),
            tconv.stride[0],
            padding,
            then.slope(),
        )),
        None => then.apply(tconv.forward(x)),
    }
}

/// Whether [`conv2d`] runs this layer lowered (else through Burn's own kernel).
pub fn is_lowered(conv: &Conv2d) -> bool {
    conv_plan(conv).is_some()
}

/// Whether [`conv_transpose2d`] runs this layer lowered (else through Burn's own kernel).
pub fn is_lowered_transposed(tconv: &ConvTranspose2d) -> bool {
    tconv_plan(tconv).is_some()
}

/// A convolution that runs lowered: its padding (the same on every side) and its bias.
fn conv_plan(conv: &Conv2d) -> Option<(usize, &Param<Tensor<1>>)> {
    let padding = match conv.padding {
        PaddingConfig2d::Explicit(top, left, bottom, right) if top == left && left == bottom && bottom == right => top,
        PaddingConfig2d::Valid => 0,
        _ => return None,
    };
    let bias = conv.bias.as_ref()?;
    (conv.groups == 1 && lowers(&conv.weight.val(), conv.kernel_size, conv.stride, conv.dilation)).then_some((padding, bias))
}

/// A transposed convolution that runs lowered: its padding (the same on both axes, no output
/// padding) and its bias.
fn tconv_plan(tconv: &ConvTranspose2d) -> Option<(usize, &Param<Tensor<1>>)> {
    let [pad_h, pad_w] = tconv.padding;
    let bias = tconv.bias.as_ref()?;
    (tconv.groups == 1
        && pad_h == pad_w
        && tconv.padding_out == [0, 0]
        && lowers(&tconv.weight.val(), tconv.kernel_size, tconv.stride, tconv.dilation))
    .then_some((pad_h, bias))
}

/// Whether a layer with this weight and shape can run lowered: on the CPU backend, in `f32`, with
/// a square kernel, one stride for both axes and no dilation.
fn lowers(weight: &Tensor<4>, kernel: [usize; 2], stride: [usize; 2], dilation: [usize; 2]) -> bool {
    weight.device().inner() == Device::flex()
        && lowering::supports(weight.dtype())
        && kernel[0] == kernel[1]
        && stride[0] == stride[1]
        && dilation == [1, 1]
}
