//! Weight initialisation of the official code (`utils.py::weights_init`,
//! docs/decisions.md#initialisation), drawn from the project's seeded host RNG so that one seed
//! gives the same network on every device.

use burn::module::Param;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::prelude::*;
use rand::Rng;
use rand_distr::{Distribution, Normal, Uniform};

/// Source of initial weights: every conv weight ~ N(0, 0.02); biases keep PyTorch's default
/// U(−1/√fan_in, 1/√fan_in), where a transposed conv's fan_in is `out_channels·k²`.
pub struct Init<'a, R: Rng> {
    pub rng: &'a mut R,
    pub device: &'a Device,
}

const K: usize = 4;

impl<R: Rng> Init<'_, R> {
    fn normal(&mut self, n: usize, std: f32) -> Vec<f32> {
        let d = Normal::new(0.0f32, std).expect("positive std");
        (0..n).map(|_| d.sample(self.rng)).collect()
    }

    fn uniform(&mut self, n: usize, bound: f32) -> Vec<f32> {
        let d = Uniform::new_inclusive(-bound, bound).expect("finite bound");
        (0..n).map(|_| d.sample(self.rng)).collect()
    }

    fn weight(&mut self, shape: [usize; 4]) -> Param<Tensor<4>> {
        let data = TensorData::new(self.normal(shape.iter().product(), 0.02), shape);
        Param::from_data(data, self.device)
    }

    fn bias(&mut self, n: usize, fan_in: usize) -> Param<Tensor<1>> {
        let bound = 1.0 / (fan_in as f32).sqrt();
        Param::from_data(TensorData::new(self.uniform(n, bound), [n]), self.device)
    }

    /// A 4×4 `Conv2d` with the given stride and symmetric padding.
    pub fn conv(&mut self, cin: usize, cout: usize, stride: usize, pad: usize) -> Conv2d {
        let mut c = Conv2dConfig::new([cin, cout], [K, K])
            .with_stride([stride, stride])
            .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
            .init(self.device);
        c.weight = self.weight([cout, cin, K, K]);
        c.bias = Some(self.bias(cout, cin * K * K));
        c
    }

    /// A 4×4 `ConvTranspose2d`; weight layout (in, out, k, k) as in PyTorch.
    pub fn tconv(&mut self, cin: usize, cout: usize, stride: usize, pad: usize) -> ConvTranspose2d {
        let mut c =
            ConvTranspose2dConfig::new([cin, cout], [K, K]).with_stride([stride, stride]).with_padding([pad, pad]).init(self.device);
        c.weight = self.weight([cin, cout, K, K]);
        c.bias = Some(self.bias(cout, cout * K * K));
        c
    }

    /// The linear probe's PyTorch default init: U(−1/√in, 1/√in) for weight and bias.
    pub fn linear(&mut self, din: usize, dout: usize) -> burn::nn::Linear {
        let mut l = burn::nn::LinearConfig::new(din, dout).init(self.device);
        let bound = 1.0 / (din as f32).sqrt();
        // Burn stores Linear weights as (in, out).
        l.weight = Param::from_data(TensorData::new(self.uniform(din * dout, bound), [din, dout]), self.device);
        l.bias = Some(Param::from_data(TensorData::new(self.uniform(dout, bound), [dout]), self.device));
        l
    }
}
