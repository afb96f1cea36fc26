//! The lowered convolutions (src/model/conv) against Burn's own: values and all three gradients,
//! on PAD's layer shapes, batches of 1, 2 and 64, one and three channels, odd sizes and the
//! covering layers' geometry.

mod common;

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::prelude::*;
use burn::tensor::Distribution;
use common::cpu;
use pad::model::conv::{self, Activation, lowering};
use pad::readback::{block_on, read_f32};

fn read<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    block_on(read_f32(t)).unwrap()
}

/// Largest difference relative to the largest magnitude: float sums in another order differ by
/// a few ulps of the sum, not of each element.
fn assert_close(what: &str, lowered: Vec<f32>, burn: Vec<f32>) {
    assert_eq!(lowered.len(), burn.len(), "{what}: lengths");
    let scale = burn.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
    let worst = lowered.iter().zip(&burn).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst <= 2e-5 * scale, "{what}: largest difference {worst} at scale {scale}");
}

fn random<const D: usize>(shape: [usize; D], seed: u64) -> Tensor<D> {
    let dev = cpu();
    dev.seed(seed);
    Tensor::random(shape, Distribution::Uniform(-1.0, 1.0), &dev)
}

/// Each case without an activation and with PAD's fused LeakyReLU(0.2), against Burn's
/// `leaky_relu` after Burn's layer.
const THEN: [Activation; 2] = [Activation::Linear, pad::model::LEAKY];

struct Case {
    batch: usize,
    channels: usize,
    side: [usize; 2],
    filters: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
}

const fn pad_layer(batch: usize, channels: usize, side: usize, filters: usize) -> Case {
    Case { batch, channels, side: [side, side], filters, kernel: 4, stride: 2, padding: 1 }
}

/// E's conv1–3 and G's mirrored layers at batch 1, 2 and 64; 1 and 3 image channels; the 4×4
/// heads' geometry (no padding); odd, non-square inputs with other kernels and strides.
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for batch in [1, 2, 64] {
        for channels in [1, 3] {
            cases.push(pad_layer(batch, channels, 32, 64));
        }
        cases.push(pad_layer(batch, 64, 16, 128));
        cases.push(pad_layer(batch, 128, 8, 256));
    }
    cases.push(Case { batch: 3, channels: 256, side: [4, 4], filters: 16, kernel: 4, stride: 2, padding: 0 });
    cases.push(Case { batch: 2, channels: 5, side: [7, 9], filters: 6, kernel: 3, stride: 1, padding: 2 });
    cases.push(Case { batch: 3, channels: 2, side: [11, 6], filters: 4, kernel: 5, stride: 3, padding: 1 });
    cases.push(Case { batch: 1, channels: 3, side: [5, 5], filters: 2, kernel: 1, stride: 1, padding: 0 });
    cases
}

/// A parameter on `device` (tracked when it is an autodiff device) with `t`'s values.
fn param<const D: usize>(t: Tensor<D>, device: &Device) -> burn::module::Param<Tensor<D>> {
    burn::module::Param::from_data(t.into_data(), device)
}

fn conv_layer(c: &Case, device: &Device, seed: u64) -> Conv2d {
    let mut layer = Conv2dConfig::new([c.channels, c.filters], [c.kernel, c.kernel])
        .with_stride([c.stride, c.stride])
        .with_padding(PaddingConfig2d::Explicit(c.padding, c.padding, c.padding, c.padding))
        .init(device);
    layer.weight = param(random([c.filters, c.channels, c.kernel, c.kernel], seed), device);
    layer.bias = Some(param(random([c.filters], seed + 1), device));
    layer
}

/// The transposed convolution that mirrors `c`: from `c`'s output back to its input's size.
fn tconv_layer(c: &Case, device: &Device, seed: u64) -> ConvTranspose2d {
    let mut layer = ConvTranspose2dConfig::new([c.filters, c.channels], [c.kernel, c.kernel])
        .with_stride([c.stride, c.stride])
        .with_padding([c.padding, c.padding])
        .init(device);
    layer.weight = param(random([c.filters, c.channels, c.kernel, c.kernel], seed), device);
    layer.bias = Some(param(random([c.channels], seed + 1), device));
    layer
}

fn geometry(c: &Case) -> lowering::Geometry {
    lowering::Geometry {
        batch: c.batch,
        channels: c.channels,
        height: c.side[0],
        width: c.side[1],
        filters: c.filters,
        kernel: c.kernel,
        stride: c.stride,
        padding: c.padding,
    }
}

/// Values, input, weight and bias gradients of `f` against `reference` for one input: the
/// gradients of `Σ y·r` for a random `r`, so every output element weighs differently.
fn compare(
    what: &str,
    x: Tensor<4>,
    weight: impl Fn() -> (Tensor<4>, Tensor<1>),
    lowered: impl Fn(Tensor<4>) -> Tensor<4>,
    reference: impl Fn(Tensor<4>) -> Tensor<4>,
) {
    let x = x.autodiff().require_grad();
    let y = lowered(x.clone());
    let y_ref = reference(x.clone());
    assert_eq!(y.dims(), y_ref.dims(), "{what}: output shape");
    let r = random(y.dims(), 99).autodiff();
    let grads = (y.clone() * r.clone()).sum().backward();
    let gx = x.grad(&grads).unwrap();
    let (w, b) = weight();
    let (gw, gb) = (w.grad(&grads).unwrap(), b.grad(&grads).unwrap());
    let grads = (y_ref.clone() * r).sum().backward();
    assert_close(&format!("{what}: values"), read(y.inner()), read(y_ref.inner()));
    assert_close(&format!("{what}: input gradient"), read(gx), read(x.grad(&grads).unwrap()));
    assert_close(&format!("{what}: weight gradient"), read(gw), read(w.grad(&grads).unwrap()));
    assert_close(&format!("{what}: bias gradient"), read(gb), read(b.grad(&grads).unwrap()));
}

#[test]
fn convolutions_equal_burns() {
    let ad = cpu().autodiff();
    for (i, c) in cases().iter().enumerate() {
        let layer = conv_layer(c, &ad, 10 + i as u64);
        assert!(conv::is_lowered(&layer), "{:?} runs lowered", geometry(c));
        for then in THEN {
            let x = random([c.batch, c.channels, c.side[0], c.side[1]], 20 + i as u64);
            compare(
                &format!("conv {:?} then {then:?}", geometry(c)),
                x,
                || (layer.weight.val(), layer.bias.as_ref().unwrap().val()),
                |x| conv::conv2d(&layer, x, then),
                |x| then.apply(layer.forward(x)),
            );
        }
    }
}

#[test]
fn transposed_convolutions_equal_burns() {
    let ad = cpu().autodiff();
    for (i, c) in cases().iter().enumerate() {
        let layer = tconv_layer(c, &ad, 30 + i as u64);
        let g = geometry(c);
        assert!(conv::is_lowered_transposed(&layer), "{g:?} runs lowered");
        // Burn's output size for this input is (P−1)·s − 2·pad + k, which is c's input size only
        // when the stride divides evenly; the lowered layer must follow Burn either way.
        for then in THEN {
            let x = random([c.batch, c.filters, g.out_height(), g.out_width()], 40 + i as u64);
            compare(
                &format!("transposed conv {g:?} then {then:?}"),
                x,
                || (layer.weight.val(), layer.bias.as_ref().unwrap().val()),
                |x| conv::conv_transpose2d(&layer, x, then),
                |x| then.apply(layer.forward(x)),
            );
        }
    }
}

/// Without autodiff (evaluation, dreams on the plain device) the lowered layers give Burn's values.
#[test]
fn inference_equals_burns() {
    let dev = cpu();
    let c = pad_layer(4, 3, 32, 64);
    let layer = conv_layer(&c, &dev, 1);
    assert!(conv::is_lowered(&layer));
    let x = random([4, 3, 32, 32], 2);
    assert_close("conv", read(conv::conv2d(&layer, x.clone(), Activation::Linear)), read(layer.forward(x)));
    let t = tconv_layer(&c, &dev, 3);
    let z = random([4, 64, 16, 16], 4);
    let leaky = pad::model::LEAKY;
    assert_close("transposed conv", read(conv::conv_transpose2d(&t, z.clone(), leaky)), read(leaky.apply(t.forward(z))));
}

/// A layer the lowering does not cover (no bias here) still runs, through Burn's kernel.
#[test]
fn uncovered_layers_fall_back_to_burn() {
    let dev = cpu();
    let c = pad_layer(2, 3, 8, 4);
    let mut layer = conv_layer(&c, &dev, 5);
    layer.bias = None;
    assert!(!conv::is_lowered(&layer));
    let x = random([2, 3, 8, 8], 6);
    assert_eq!(read(conv::conv2d(&layer, x.clone(), pad::model::LEAKY)), read(pad::model::LEAKY.apply(layer.forward(x))));
}

/// The blocks that bound the patch buffer split a large batch without changing the sums' terms.
#[test]
fn blocks_cover_the_whole_batch() {
    let g = lowering::Geometry { batch: 70, channels: 64, height: 16, width: 16, filters: 8, kernel: 4, stride: 2, padding: 1 };
    const { assert!(70 * 64 * 1024 > lowering::BLOCK, "the case needs more than one block") };
    let x: Vec<f32> = (0..70 * 64 * 256).map(|i| ((i * 7919) % 113) as f32 / 113.0 - 0.5).collect();
    let w: Vec<f32> = (0..8 * 64 * 16).map(|i| ((i * 104729) % 97) as f32 / 97.0 - 0.5).collect();
    let y = lowering::forward(&g, &x, &w, None, 1.0);
    // Image 69 (in the last block) alone gives the same output as inside the batch.
    let one = lowering::Geometry { batch: 1, ..g };
    let last = lowering::forward(&one, &x[69 * 64 * 256..], &w, None, 1.0);
    assert_eq!(&y[69 * 8 * 64..], &last[..]);
    // The weight gradient over the batch is the sum of the per-image ones.
    let dy: Vec<f32> = (0..70 * 8 * 64).map(|i| ((i * 31) % 17) as f32 / 17.0 - 0.5).collect();
    let weight_grad = |g: &lowering::Geometry, x: &[f32], dy: &[f32]| lowering::backward(g, x, dy, &w, false, true).1.unwrap();
    let dw = weight_grad(&g, &x, &dy);
    let mut sum = vec![0.0f64; dw.len()];
    for b in 0..70 {
        let part = weight_grad(&one, &x[b * 64 * 256..(b + 1) * 64 * 256], &dy[b * 512..(b + 1) * 512]);
        sum.iter_mut().zip(part).for_each(|(s, p)| *s += p as f64);
    }
    let worst = dw.iter().zip(&sum).map(|(a, b)| (*a as f64 - b).abs()).fold(0.0, f64::max);
    assert!(worst < 1e-3, "largest difference {worst}");
}

/// The model's strided layers (E's conv1–3, G's tconv2–4) take the lowered path on the CPU.
#[test]
fn pad_layers_run_lowered_on_the_cpu() {
    let (e, g) = common::nets(3, 1);
    for c in [&e.conv1, &e.conv2, &e.conv3] {
        assert!(conv::is_lowered(c));
    }
    for t in [&g.tconv2, &g.tconv3, &g.tconv4] {
        assert!(conv::is_lowered_transposed(t));
    }
}
