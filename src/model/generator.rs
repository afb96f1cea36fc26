//! Generator `G` (docs/decisions.md#generator; `network.py::Generator`): the encoder's mirror with
//! transposed convs.

use super::conv::{self, Activation};
use super::{Init, LEAKY, ModelShape, covering};
use burn::nn::conv::ConvTranspose2d;
use burn::prelude::*;
use burn::tensor::activation::tanh;
use rand::Rng;

#[derive(Module, Debug)]
pub struct Generator {
    /// stride 1, pad 0: 1×1 → 4×4 (the paper's stride 2 gives the same output).
    pub tconv1: ConvTranspose2d,
    pub tconv2: ConvTranspose2d,
    pub tconv3: ConvTranspose2d,
    pub tconv4: ConvTranspose2d,
}

impl Generator {
    pub fn new<R: Rng>(shape: ModelShape, init: &mut Init<'_, R>) -> Self {
        Self {
            tconv1: init.tconv(shape.latent, 256, 1, 0),
            tconv2: init.tconv(256, 128, 2, 1),
            tconv3: init.tconv(128, 64, 2, 1),
            tconv4: init.tconv(64, shape.channels, 2, 1),
        }
    }

    /// (B, n_z) → (B, C, 32, 32) in [−1, 1].
    ///
    /// The official `forward(z, reverse=True)` puts a gradient-reversal layer on the output; here
    /// the reversal is applied to G's gradients in the REM phase instead (see `sleep::rem`), which
    /// is the same thing since nothing in G lies after that layer.
    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        let h = LEAKY.apply(covering::tconv_from_point(&self.tconv1, z)); // (B, 256, 4, 4)
        let h = conv::conv_transpose2d(&self.tconv2, h, LEAKY); // (B, 128, 8, 8)
        let h = conv::conv_transpose2d(&self.tconv3, h, LEAKY); // (B, 64, 16, 16)
        tanh(conv::conv_transpose2d(&self.tconv4, h, Activation::Linear)) // (B, C, 32, 32)
    }
}
