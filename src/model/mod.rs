//! The cortical networks of PAD (docs/decisions.md#architecture): the encoder/discriminator `E` and
//! the generator `G`.
//!
//! Both are plain Burn modules over a runtime [`Device`](burn::tensor::Device); the same code runs on
//! the CPU (Flex), natively on wgpu, and on WebGPU in the browser.

pub mod conv;
pub mod covering;
mod encoder;
mod generator;
mod init;

pub use encoder::{Encoder, EncoderOutput};
pub use generator::Generator;
pub use init::Init;

use burn::module::Param;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// E's and G's hidden activation: LeakyReLU(0.2) (docs/decisions.md#architecture).
pub const LEAKY: conv::Activation = conv::Activation::LeakyRelu(0.2);

/// Shape hyper-parameters shared by E and G.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelShape {
    /// Image channels: 1 for MNIST/Fashion-MNIST, 3 for CIFAR-10/SVHN.
    pub channels: usize,
    /// Latent size `n_z` (256 in the paper).
    pub latent: usize,
}

impl ModelShape {
    /// Images are always 32×32 (docs/decisions.md#input-normalisation).
    pub const SIDE: usize = 32;

    pub fn new(channels: usize, latent: usize) -> Self {
        Self { channels, latent }
    }

    /// Number of scalars in one image.
    pub fn image_len(&self) -> usize {
        self.channels * Self::SIDE * Self::SIDE
    }
}

/// Put a constant input on the same side of autodiff as a module's parameters, so that a plain
/// tensor (a stored memory, a dream) can feed a network that is learning.
pub(crate) fn lift<const D: usize>(x: Tensor<D>, param: &Param<Tensor<4>>) -> Tensor<D> {
    if param.val().is_autodiff() { x.autodiff() } else { x }
}
