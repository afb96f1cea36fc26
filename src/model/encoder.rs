//! Encoder/discriminator `E` (docs/decisions.md#encoder; `network.py::Discriminator`).

use super::{Init, LEAKY, ModelShape, conv, covering};
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::activation::sigmoid;
use rand::Rng;

/// Shared conv trunk (conv1–3) with two heads on the conv3 output: `E_z` (conv4, linear) gives the
/// latent `z`, `E_d` (dis, sigmoid) says "real" or "dreamed".
#[derive(Module, Debug)]
pub struct Encoder {
    pub conv1: Conv2d,
    pub conv2: Conv2d,
    pub conv3: Conv2d,
    /// `E_z`: 256×4×4 → n_z×1×1, no activation.
    pub conv4: Conv2d,
    /// `E_d`: 256×4×4 → 1×1×1, then sigmoid. Reads conv3's output, not z.
    pub dis: Conv2d,
}

/// Both heads of one encoder pass.
pub struct EncoderOutput {
    /// Latent `z`, shape (B, n_z).
    pub z: Tensor<2>,
    /// Discriminator output `d ∈ (0, 1)`, shape (B,).
    pub d: Tensor<1>,
}

impl Encoder {
    pub fn new<R: Rng>(shape: ModelShape, init: &mut Init<'_, R>) -> Self {
        Self {
            conv1: init.conv(shape.channels, 64, 2, 1),
            conv2: init.conv(64, 128, 2, 1),
            conv3: init.conv(128, 256, 2, 1),
            conv4: init.conv(256, shape.latent, 2, 0),
            dis: init.conv(256, 1, 2, 0),
        }
    }

    /// conv1–3 with LeakyReLU(0.2): (B, C, 32, 32) → (B, 256, 4, 4).
    fn trunk(&self, x: Tensor<4>) -> Tensor<4> {
        let h = conv::conv2d(&self.conv1, x, LEAKY); // (B, 64, 16, 16)
        let h = conv::conv2d(&self.conv2, h, LEAKY); // (B, 128, 8, 8)
        conv::conv2d(&self.conv3, h, LEAKY) // (B, 256, 4, 4)
    }

    /// `E_z` on the trunk's output: (B, n_z).
    fn z_head(&self, h: Tensor<4>) -> Tensor<2> {
        covering::conv_covering(&self.conv4, h)
    }

    /// `E_d` on the trunk's output: (B,) in (0, 1).
    fn d_head(&self, h: Tensor<4>) -> Tensor<1> {
        sigmoid(covering::conv_covering(&self.dis, h)).flatten::<1>(0, 1)
    }

    /// Both heads (Wake).
    pub fn forward(&self, x: Tensor<4>) -> EncoderOutput {
        let h = self.trunk(x);
        EncoderOutput { z: self.z_head(h.clone()), d: self.d_head(h) }
    }

    /// Only the discriminator head (REM): the dream's latent is unused, so it is not computed.
    pub fn discriminate(&self, x: Tensor<4>) -> Tensor<1> {
        self.d_head(self.trunk(x))
    }

    /// Only the latent head (NREM, evaluation).
    pub fn latent(&self, x: Tensor<4>) -> Tensor<2> {
        self.z_head(self.trunk(x))
    }
}
