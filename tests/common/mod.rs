//! Helpers shared by the integration tests (CPU backend).
#![allow(dead_code)]

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use pad::model::{Encoder, Generator, Init, ModelShape};
use pad::readback::{block_on, read_f32};
use pad::train::{Stream, stream};

pub fn cpu() -> Device {
    Device::flex()
}

/// A fresh E and G on the autodiff CPU device.
pub fn nets(channels: usize, seed: u64) -> (Encoder, Generator) {
    let ad = cpu().autodiff();
    let mut rng = stream(seed, Stream::Init, 0);
    let mut init = Init { rng: &mut rng, device: &ad };
    let shape = ModelShape::new(channels, 256);
    (Encoder::new(shape, &mut init), Generator::new(shape, &mut init))
}

pub fn random_batch(b: usize, c: usize, seed: u64) -> Tensor<4> {
    let dev = cpu();
    dev.seed(seed);
    Tensor::random([b, c, 32, 32], burn::tensor::Distribution::Uniform(-1.0, 1.0), &dev)
}

/// Parameter path → None (no gradient) or Some(the gradient is not all zero).
pub fn grad_map<M: Module>(module: &M, grads: &GradientsParams) -> Vec<(String, Option<bool>)> {
    struct V<'a> {
        grads: &'a GradientsParams,
        path: Vec<String>,
        out: Vec<(String, Option<bool>)>,
    }
    impl ModuleVisitor for V<'_> {
        fn enter_module(&mut self, name: &str, _: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            let nonzero = self.grads.get::<D>(p.id).map(|g| block_on(read_f32(g.abs().sum())).unwrap()[0] > 0.0);
            self.out.push((self.path.join("."), nonzero));
        }
    }
    let mut v = V { grads, path: vec![], out: vec![] };
    module.visit(&mut v);
    v.out
}

/// Names of the parameters with a non-zero gradient. Every other parameter must have no gradient
/// at all (absent, as PyTorch's `None`), not a gradient of zeros.
pub fn with_grad<M: Module>(module: &M, grads: &GradientsParams) -> Vec<String> {
    grad_map(module, grads)
        .into_iter()
        .filter_map(|(n, g)| {
            assert!(g != Some(false), "{n} has a gradient of zeros instead of none");
            (g == Some(true)).then_some(n)
        })
        .collect()
}

/// All float parameter values of a module, flattened, in visiting order.
pub fn values<M: Module>(module: &M) -> Vec<Vec<f32>> {
    struct V(Vec<Vec<f32>>);
    impl ModuleVisitor for V {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            self.0.push(block_on(read_f32(p.val().inner())).unwrap());
        }
    }
    let mut v = V(vec![]);
    module.visit(&mut v);
    v.0
}

pub fn shared_data() -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/cifar10");
    p.join("data_batch_1.bin").is_file().then_some(p)
}

/// Every parameter's gradient values (empty where it has none), in visiting order.
pub fn grad_values<M: Module>(module: &M, grads: &GradientsParams) -> Vec<Vec<f32>> {
    struct V<'a>(&'a GradientsParams, Vec<Vec<f32>>);
    impl ModuleVisitor for V<'_> {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            self.1.push(self.0.get::<D>(p.id).map(|g| block_on(read_f32(g)).unwrap()).unwrap_or_default());
        }
    }
    let mut v = V(grads, vec![]);
    module.visit(&mut v);
    v.1
}

/// An IDX file: magic (element type `magic_type`), big-endian dimensions, data.
pub fn idx_bytes(magic_type: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, magic_type, dims.len() as u8];
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(data);
    v
}

/// CIFAR-10 binary records with these labels (every pixel of record `l` is `20·l`).
pub fn cifar_records(labels: &[u8]) -> Vec<u8> {
    labels.iter().flat_map(|&l| std::iter::once(l).chain(std::iter::repeat_n(l * 20, 3072))).collect()
}

pub fn gzip(b: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}
