//! `pad bench --layers`: where an iteration's time goes — each convolution of E and G at the
//! benchmark's batch, forward and backward (gradients for the input and the weights), with its
//! arithmetic and the rate reached (each layer as the model runs it, with its LeakyReLU: lowered on the CPU, src/model/conv) — plus a large matrix product as the backend's practical peak.

use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::prelude::*;
use pad::Error;
use pad::model::{Encoder, Generator, Init, ModelShape, conv as lowered, covering};
use pad::readback::{block_on, read_f32};
use std::time::Instant;

/// One layer to time: its name, its forward FLOPs at this batch, and how to run it.
struct Layer<'a> {
    name: &'static str,
    gflop: f64,
    input: Tensor<4>,
    /// The layer's weight, to read its gradient.
    weight: Tensor<4>,
    forward: Box<dyn Fn(Tensor<4>) -> Tensor<1> + 'a>,
}

fn conv<'a>(name: &'static str, c: &'a Conv2d, b: usize, side: usize, device: &Device) -> Layer<'a> {
    let [cout, cin, k, _] = c.weight.dims();
    let out = side / 2;
    Layer {
        name,
        gflop: 2.0 * (b * out * out * cout * cin * k * k) as f64 / 1e9,
        input: Tensor::random([b, cin, side, side], burn::tensor::Distribution::Default, device),
        weight: c.weight.val(),
        forward: Box::new(move |x| lowered::conv2d(c, x, pad::model::LEAKY).sum()),
    }
}

fn tconv<'a>(name: &'static str, t: &'a ConvTranspose2d, b: usize, side: usize, device: &Device) -> Layer<'a> {
    let [cin, cout, k, _] = t.weight.dims();
    Layer {
        name,
        gflop: 2.0 * (b * side * side * cin * cout * k * k) as f64 / 1e9,
        input: Tensor::random([b, cin, side, side], burn::tensor::Distribution::Default, device),
        weight: t.weight.val(),
        forward: Box::new(move |x| lowered::conv_transpose2d(t, x, pad::model::LEAKY).sum()),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median milliseconds of `f` over `reps` runs after one warm-up; `f` returns a scalar to read
/// back, so that the time includes finishing the work on asynchronous devices.
fn time(reps: usize, f: impl Fn() -> Tensor<1>) -> Result<f64, Error> {
    let mut v = Vec::new();
    for i in 0..=reps {
        let start = Instant::now();
        block_on(read_f32(f()))?;
        if i > 0 {
            v.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    Ok(median(v))
}

pub fn run(device: &Device, batch: usize, channels: usize, reps: usize) -> Result<(), Error> {
    let train = device.clone().autodiff();
    let shape = ModelShape::new(channels, 256);
    let mut rng = pad::train::stream(0, pad::train::Stream::Init, 0);
    let mut init = Init { rng: &mut rng, device: &train };
    let (e, g) = (Encoder::new(shape, &mut init), Generator::new(shape, &mut init));
    let b = batch;
    let layers = vec![
        conv("E conv1", &e.conv1, b, 32, &train),
        conv("E conv2", &e.conv2, b, 16, &train),
        conv("E conv3", &e.conv3, b, 8, &train),
        Layer {
            name: "E conv4 (z head, as a product)",
            gflop: 2.0 * (b * 256 * 16 * shape.latent) as f64 / 1e9,
            input: Tensor::random([b, 256, 4, 4], burn::tensor::Distribution::Default, &train),
            weight: e.conv4.weight.val(),
            forward: Box::new(|x| covering::conv_covering(&e.conv4, x).sum()),
        },
        Layer {
            name: "G tconv1 (as a product)",
            gflop: 2.0 * (b * shape.latent * 256 * 16) as f64 / 1e9,
            input: Tensor::random([b, shape.latent, 1, 1], burn::tensor::Distribution::Default, &train),
            weight: g.tconv1.weight.val(),
            forward: Box::new(|x| covering::tconv_from_point(&g.tconv1, x.flatten::<2>(1, 3)).sum()),
        },
        tconv("G tconv2", &g.tconv2, b, 4, &train),
        tconv("G tconv3", &g.tconv3, b, 8, &train),
        tconv("G tconv4", &g.tconv4, b, 16, &train),
    ];
    println!("batch {batch}, {channels}×32×32, median of {reps} runs; backward = gradients for input and weights (2× the forward FLOPs)");
    println!("| layer | GFLOP forward | forward ms | GFLOP/s | backward ms | GFLOP/s | of which weight gradient ms |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    // One untimed pass through every layer first: the first products of a process (thread pool,
    // allocator arenas, packing buffers) would otherwise be charged to the first layer.
    for layer in &layers {
        let x = layer.input.clone().require_grad();
        block_on(read_f32(x.grad(&(layer.forward)(x.clone()).backward()).expect("input gradient").sum()))?;
    }
    let (mut fwd_total, mut bwd_total) = (0.0, 0.0);
    for layer in &layers {
        let fwd = time(reps, || (layer.forward)(layer.input.clone()))?;
        let both = time(reps, || {
            let x = layer.input.clone().require_grad();
            let grads = (layer.forward)(x.clone()).backward();
            x.grad(&grads).expect("input gradient").sum()
        })?;
        let weight_only = time(reps, || {
            let grads = (layer.forward)(layer.input.clone()).backward();
            layer.weight.grad(&grads).expect("weight gradient").sum()
        })?;
        let bwd = (both - fwd).max(0.0);
        let bwd_weight = (weight_only - fwd).max(0.0);
        fwd_total += fwd;
        bwd_total += bwd;
        let rate = |gflop: f64, ms: f64| gflop / (ms / 1e3);
        println!(
            "| {} | {:.3} | {fwd:.1} | {:.0} | {bwd:.1} | {:.0} | {bwd_weight:.1} |",
            layer.name,
            layer.gflop,
            rate(layer.gflop, fwd),
            rate(2.0 * layer.gflop, bwd)
        );
    }
    println!("| all layers once | | {fwd_total:.1} | | {bwd_total:.1} | |");
    let n = 1024;
    let a = Tensor::<2>::random([n, n], burn::tensor::Distribution::Default, device);
    let ms = time(reps, || a.clone().matmul(a.clone()).sum().reshape([1]))?;
    println!(
        "matrix product {n}×{n}×{n}: {ms:.1} ms = {:.0} GFLOP/s (the backend's practical peak)",
        2.0 * (n * n * n) as f64 / 1e9 / (ms / 1e3)
    );
    Ok(())
}
