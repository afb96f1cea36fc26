//! The model and the rules of the three phases (docs/decisions.md#architecture, #training), on the
//! CPU backend.

mod common;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::prelude::*;
use common::*;
use pad::readback::{block_on, read_f32};
use pad::sleep::losses::{bce_fake, bce_real, kl_batch, mse};
use pad::sleep::memory::RemInput;
use pad::sleep::{Hippocampus, Occlusion, nrem, rem, wake};
use pad::train::{PhaseOptimizer, StepSemantics, Variant};
use rand::SeedableRng;

fn scalar(t: Tensor<1>) -> f32 {
    block_on(read_f32(t)).unwrap()[0]
}

const E_ALL: [&str; 10] = [
    "conv1.weight",
    "conv1.bias",
    "conv2.weight",
    "conv2.bias",
    "conv3.weight",
    "conv3.bias",
    "conv4.weight",
    "conv4.bias",
    "dis.weight",
    "dis.bias",
];
const G_ALL: [&str; 8] =
    ["tconv1.weight", "tconv1.bias", "tconv2.weight", "tconv2.bias", "tconv3.weight", "tconv3.bias", "tconv4.weight", "tconv4.bias"];

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn except(all: &[&str], drop: &str) -> Vec<String> {
    all.iter().filter(|n| !n.starts_with(drop)).map(|s| s.to_string()).collect()
}

#[test]
fn parameter_counts_match_the_spec() {
    let (e, g) = nets(3, 0);
    assert_eq!(e.num_params(), 1_711_809);
    assert_eq!(g.num_params(), 1_707_459);
    let (e1, g1) = nets(1, 0);
    assert_eq!(e1.num_params(), 1_711_809 - 2 * 64 * 16);
    assert_eq!(g1.num_params(), 1_707_459 - 2 * 64 * 16 - 2);
}

#[test]
fn shapes_and_ranges() {
    let (e, g) = nets(3, 0);
    let out = e.forward(random_batch(4, 3, 1));
    assert_eq!(out.z.dims(), [4, 256]);
    assert_eq!(out.d.dims(), [4]);
    let d = block_on(read_f32(out.d)).unwrap();
    assert!(d.iter().all(|&v| v > 0.0 && v < 1.0));
    let x = g.forward(out.z);
    assert_eq!(x.dims(), [4, 3, 32, 32]);
    let v = block_on(read_f32(x)).unwrap();
    assert!(v.iter().all(|&p| (-1.0..=1.0).contains(&p)));
}

/// The heads and G's first layer are computed as matrix products (model/covering.rs); they must
/// equal the convolutions they stand for.
#[test]
fn covering_layers_equal_their_convolutions() {
    let (e, g) = nets(3, 2);
    let close = |a: Vec<f32>, b: Vec<f32>| {
        assert_eq!(a.len(), b.len());
        let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "largest difference {worst}");
    };
    let h = random_batch(5, 256, 3).slice([0..5, 0..256, 0..4, 0..4]);
    for conv in [&e.conv4, &e.dis] {
        let product = pad::model::covering::conv_covering(conv, h.clone());
        let direct = conv.forward(h.clone()).flatten::<2>(1, 3);
        close(block_on(read_f32(product)).unwrap(), block_on(read_f32(direct)).unwrap());
    }
    let z = random_batch(5, 1, 4).reshape([5, 1024]).slice([0..5, 0..256]);
    let product = pad::model::covering::tconv_from_point(&g.tconv1, z.clone());
    let direct = g.tconv1.forward(z.reshape([5, 256, 1, 1]));
    assert_eq!(product.dims(), [5, 256, 4, 4]);
    close(block_on(read_f32(product)).unwrap(), block_on(read_f32(direct)).unwrap());
}

#[test]
fn initialisation_follows_weights_init() {
    let (e, g) = nets(3, 7);
    let w = block_on(read_f32(e.conv2.weight.val().inner())).unwrap();
    let mean = w.iter().sum::<f32>() / w.len() as f32;
    let std = (w.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / w.len() as f32).sqrt();
    assert!(mean.abs() < 1e-3 && (std - 0.02).abs() < 1e-3, "conv weights N(0, 0.02): mean {mean}, std {std}");
    // Conv2d bias bound 1/sqrt(in·16); ConvTranspose2d bias bound 1/sqrt(out·16) (PyTorch's fan_in).
    let b = block_on(read_f32(e.conv2.bias.as_ref().unwrap().val().inner())).unwrap();
    let bound = 1.0 / ((64 * 16) as f32).sqrt();
    assert!(b.iter().all(|v| v.abs() <= bound) && b.iter().any(|v| v.abs() > bound * 0.5));
    let tb = block_on(read_f32(g.tconv2.bias.as_ref().unwrap().val().inner())).unwrap();
    let tbound = 1.0 / ((128 * 16) as f32).sqrt();
    assert!(tb.iter().all(|v| v.abs() <= tbound) && tb.iter().any(|v| v.abs() > tbound * 0.5));
    // Same seed, same weights.
    assert_eq!(common::values(&nets(3, 7).0), common::values(&e));
}

#[test]
fn losses_match_hand_computed_values() {
    let dev = cpu();
    // z: 3 samples × 2 dims. Dim 0: [1, 2, 3] → mean 2, unbiased var 1. Dim 1: [0, 0, 3] → mean 1, var 3.
    let z = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 0.0, 2.0, 0.0, 3.0, 3.0], [3, 2]), &dev);
    let kl = |m: f64, v: f64| (v + m * m) / 2.0 - 0.5 * v.ln() - 0.5;
    let expected = (kl(2.0, 1.0) + kl(1.0, 3.0)) / 2.0;
    assert!((scalar(kl_batch(z)) as f64 - expected).abs() < 1e-5);
    let d = Tensor::<1>::from_data(TensorData::new(vec![0.9f32, 0.2], [2]), &dev);
    let real = -(0.9f64.ln() + 0.2f64.ln()) / 2.0;
    let fake = -(0.1f64.ln() + 0.8f64.ln()) / 2.0;
    assert!((scalar(bce_real(d.clone())) as f64 - real).abs() < 1e-5);
    assert!((scalar(bce_fake(d)) as f64 - fake).abs() < 1e-5);
    // PyTorch clamps log terms at −100: d = 0 gives 100, not infinity.
    let zero = Tensor::<1>::from_data(TensorData::new(vec![0.0f32, 1.0], [2]), &dev);
    assert!((scalar(bce_real(zero.clone())) - 50.0).abs() < 1e-3);
    assert!((scalar(bce_fake(zero)) - 50.0).abs() < 1e-3);
    let a = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0], [2, 2]), &dev);
    assert!((scalar(mse(a.clone(), a.zeros_like())) - 7.5).abs() < 1e-6);
}

/// A saturated discriminator (d rounds to exactly 0 or 1) gives the clamped loss and a finite,
/// zero gradient, as PyTorch's BCELoss, never NaN.
#[test]
fn bce_stays_finite_when_the_sigmoid_saturates() {
    let ad = cpu().autodiff();
    let logits = Tensor::<1>::from_data(TensorData::new(vec![200.0f32, -200.0], [2]), &ad).require_grad();
    let d = burn::tensor::activation::sigmoid(logits.clone());
    let loss = bce_real(d.clone()) + bce_fake(d);
    assert!((scalar(loss.clone().inner()) - 100.0).abs() < 1e-3, "each clamped term contributes 50");
    let grads = loss.backward();
    let g = block_on(read_f32(logits.grad(&grads).unwrap())).unwrap();
    assert!(g.iter().all(|v| v.is_finite()), "gradient {g:?}");
}

#[test]
fn occlusion_tiles_and_statistics() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    for (s, tiles) in (1..=8).zip([1024, 256, 121, 64, 49, 36, 25, 16]) {
        let occ = Occlusion { p: 0.5, tile: s };
        assert_eq!(occ.tiles_per_side(32).pow(2), tiles);
        let m = occ.mask(32, &mut rng);
        // Constant within each tile (edge tiles truncated).
        for r in 0..32 {
            for c in 0..32 {
                assert_eq!(m[r * 32 + c], m[(r / s * s) * 32 + c / s * s], "tile {s} at ({r},{c})");
            }
        }
    }
    assert!(Occlusion { p: 0.0, tile: 3 }.mask(32, &mut rng).iter().all(|&v| v == 1.0));
    assert!(Occlusion { p: 1.0, tile: 3 }.mask(32, &mut rng).iter().all(|&v| v == 0.0));
    // Fraction of dropped tiles ≈ p over many masks.
    let occ = Occlusion { p: 0.3, tile: 4 };
    let masks = occ.masks(32, 400, &mut rng);
    let dropped = masks.iter().filter(|&&v| v == 0.0).count() as f64 / masks.len() as f64;
    assert!((dropped - 0.3).abs() < 0.02, "dropped fraction {dropped}");
    // NREM draws: p in [0, 1), s in 1..=8, every size seen, mean p ≈ 0.5.
    let draws: Vec<Occlusion> = (0..4000).map(|_| Occlusion::draw_nrem(&mut rng)).collect();
    assert!(draws.iter().all(|o| (0.0..1.0).contains(&o.p) && (1..=8).contains(&o.tile)));
    assert!((1..=8).all(|s| draws.iter().any(|o| o.tile == s)));
    let mean_p = draws.iter().map(|o| o.p as f64).sum::<f64>() / draws.len() as f64;
    assert!((mean_p - 0.5).abs() < 0.03);
}

#[test]
fn rem_latent_mixes_memories_as_the_code() {
    let dev = cpu();
    let t = |v: f32| Tensor::<2>::from_data(TensorData::new(vec![v; 4], [2, 2]), &dev);
    let read = |x: Tensor<2>| block_on(read_f32(x)).unwrap()[0];
    let mut h = Hippocampus::default();
    h.store(t(4.0));
    // First iteration of an epoch (or no previous memory): 0.5·z + 0.5·ε.
    assert_eq!(read(h.rem_latent(RemInput::MemoryMix, t(2.0), true)), 3.0);
    assert_eq!(read(h.rem_latent(RemInput::MemoryMix, t(2.0), false)), 3.0);
    h.consolidate();
    h.store(t(8.0));
    // 0.25·z + 0.25·z_old + 0.5·ε
    assert_eq!(read(h.rem_latent(RemInput::MemoryMix, t(2.0), false)), 0.25 * 8.0 + 0.25 * 4.0 + 1.0);
    assert_eq!(read(h.rem_latent(RemInput::MemoryMix, t(2.0), true)), 5.0);
    // w/o memory mix: z alone, no noise.
    assert_eq!(read(h.rem_latent(RemInput::SingleMemory, t(2.0), false)), 8.0);
}

/// Wake: L_real reaches the trunk and E_d, L_KL trunk and E_z, L_img trunk, E_z and G
/// (docs/decisions.md#gradient-routing).
#[test]
fn wake_gradients_reach_exactly_the_specified_parameters() {
    let (e, g) = nets(3, 1);
    let x = random_batch(8, 3, 2);
    let pad = Variant::Pad.weights();
    let pass = wake::wake(&e, &g, x.clone(), None, &pad);
    let mut grads = pass.objective.backward();
    let ge = GradientsParams::from_module(&mut grads, &e);
    let gg = GradientsParams::from_module(&mut grads, &g);
    assert_eq!(with_grad(&e, &ge), names(&E_ALL));
    assert_eq!(with_grad(&g, &gg), names(&G_ALL));

    // Without REM, L_real is not backpropagated: E_d gets nothing.
    let pass = wake::wake(&e, &g, x.clone(), None, &Variant::NoRem.weights());
    let mut grads = pass.objective.backward();
    assert_eq!(with_grad(&e, &GradientsParams::from_module(&mut grads, &e)), except(&E_ALL, "dis"));

    // Each loss alone.
    let pass = wake::wake(&e, &g, x.clone(), None, &pad);
    let mut grads = pass.l_real.backward();
    let ge = GradientsParams::from_module(&mut grads, &e);
    assert_eq!(with_grad(&e, &ge), except(&E_ALL, "conv4"));
    assert!(with_grad(&g, &GradientsParams::from_module(&mut grads, &g)).is_empty());
    let pass = wake::wake(&e, &g, x.clone(), None, &pad);
    let mut grads = pass.l_kl.backward();
    assert_eq!(with_grad(&e, &GradientsParams::from_module(&mut grads, &e)), except(&E_ALL, "dis"));
    assert!(with_grad(&g, &GradientsParams::from_module(&mut grads, &g)).is_empty());
    let pass = wake::wake(&e, &g, x, None, &pad);
    let mut grads = pass.l_img.backward();
    assert_eq!(with_grad(&e, &GradientsParams::from_module(&mut grads, &e)), except(&E_ALL, "dis"));
    assert_eq!(with_grad(&g, &GradientsParams::from_module(&mut grads, &g)), names(&G_ALL));
}

/// NREM changes only the encoder's trunk and E_z: G runs without gradient, E_d is unused.
#[test]
fn nrem_gradients_reach_only_the_encoder_trunk_and_latent_head() {
    let (e, g) = nets(3, 1);
    let memory = e.valid().latent(random_batch(8, 3, 5));
    let mask = Tensor::<4>::from_data(
        TensorData::new(Occlusion { p: 0.4, tile: 4 }.mask(32, &mut rand_chacha::ChaCha8Rng::seed_from_u64(1)), [1, 1, 32, 32]),
        &cpu(),
    );
    let pass = nrem::nrem(&e, &g, memory, mask);
    let mut grads = pass.l_nrem.backward();
    let ge = GradientsParams::from_module(&mut grads, &e);
    let gg = GradientsParams::from_module(&mut grads, &g);
    assert_eq!(with_grad(&e, &ge), except(&E_ALL, "dis"));
    assert!(gg.is_empty(), "G must receive no gradient in NREM");
}

/// REM: E trunk and E_d descend L_fake, E_z gets nothing, G gets the reversed gradient.
#[test]
fn rem_gradients_and_the_reversed_generator_update() {
    let (e, g) = nets(3, 1);
    let z_mix = Tensor::<2>::random([8, 256], burn::tensor::Distribution::Normal(0.0, 1.0), &cpu());
    let pass = rem::rem(&e, &g, z_mix.clone());
    let l0 = scalar(pass.l_fake.clone().inner());
    let mut grads = pass.l_fake.backward();
    let ge = GradientsParams::from_module(&mut grads, &e);
    let plain = GradientsParams::from_module(&mut grads, &g);
    assert_eq!(with_grad(&e, &ge), except(&E_ALL, "conv4"));
    assert_eq!(with_grad(&g, &plain), names(&G_ALL));

    // The reversed gradient is exactly the negative of plain descent on L_fake.
    let pass = rem::rem(&e, &g, z_mix.clone());
    let mut grads = pass.l_fake.backward();
    let reversed = rem::reverse_gradients(GradientsParams::from_module(&mut grads, &g), &g);
    let (a, b) = (grad_values(&g, &plain), grad_values(&g, &reversed));
    assert_eq!(a.len(), 8);
    for (x, y) in a.iter().zip(&b) {
        assert!(!x.is_empty() && x.iter().zip(y).all(|(p, q)| *p == -*q));
    }

    // Stepping G with it raises L_fake (ascent), where plain descent lowers it.
    let mut opt = PhaseOptimizer::new(1e-3, StepSemantics::ZeroFilled);
    let g_up = opt.step(g.clone(), reversed);
    let mut opt = PhaseOptimizer::new(1e-3, StepSemantics::ZeroFilled);
    let g_down = opt.step(g.clone(), plain);
    let l_up = scalar(rem::rem(&e.valid(), &g_up.valid(), z_mix.clone()).l_fake);
    let l_down = scalar(rem::rem(&e.valid(), &g_down.valid(), z_mix).l_fake);
    assert!(l_up > l0 && l_down < l0, "L_fake {l0}: after reversed step {l_up}, after descent {l_down}");
}

fn linear_grads(lin: &burn::nn::Linear, weight: Option<f32>, bias: Option<f32>) -> GradientsParams {
    let mut g = GradientsParams::new();
    if let Some(v) = weight {
        g.register::<2>(lin.weight.id, lin.weight.val().inner().ones_like().mul_scalar(v));
    }
    if let (Some(v), Some(b)) = (bias, &lin.bias) {
        g.register::<1>(b.id, b.val().inner().ones_like().mul_scalar(v));
    }
    g
}

/// Decision `zero-filled-steps` (docs/decisions.md): the PyTorch 1.x zero-filled step moves a
/// parameter that had a gradient before even when the current phase gives it none; the PyTorch
/// ≥ 2 option leaves it alone.
#[test]
fn optimizer_step_semantics() {
    let ad = cpu().autodiff();
    let lin = burn::nn::LinearConfig::new(3, 2).init(&ad);
    let w0 = values(&lin);
    for semantics in [StepSemantics::ZeroFilled, StepSemantics::SkipMissing] {
        let mut opt = PhaseOptimizer::new(0.1, semantics);
        // Step 1: only the weight has a gradient. The bias has never had one: untouched.
        let l1 = opt.step(lin.clone(), linear_grads(&lin, Some(1.0), None));
        let v1 = values(&l1);
        assert_ne!(v1[0], w0[0]);
        assert_eq!(v1[1], w0[1], "a parameter that never had a gradient is never stepped");
        // Step 2: only the bias has a gradient.
        let l2 = opt.step(l1.clone(), linear_grads(&l1, None, Some(1.0)));
        let v2 = values(&l2);
        assert_ne!(v2[1], v1[1]);
        let time_w = opt.state()["weight"].time;
        match semantics {
            StepSemantics::ZeroFilled => {
                // Momentum-only move with g = 0: m = 0.5·m₁, v = 0.999·v₁, step counter 2.
                assert_eq!(time_w, 2);
                let expected_delta =
                    0.1 * (0.5 * 0.5) / (1.0 - 0.25) / ((0.999f64 * 0.001).sqrt() / (1.0 - 0.999f64.powi(2)).sqrt() + 1e-8);
                let delta = (v1[0][0] - v2[0][0]) as f64;
                assert!((delta - expected_delta).abs() < 1e-4, "momentum step {delta} vs {expected_delta}");
            }
            StepSemantics::SkipMissing => {
                assert_eq!(time_w, 1);
                assert_eq!(v2[0], v1[0]);
            }
        }
    }
}

/// Decision `adam-settings`: ε = 1e-8 (Burn's default is 1e-5): a first step with a tiny
/// gradient still moves a parameter by almost the full learning rate.
#[test]
fn adam_uses_pytorch_epsilon() {
    let ad = cpu().autodiff();
    let lin = burn::nn::LinearConfig::new(3, 2).init(&ad);
    let w0 = values(&lin);
    let mut opt = PhaseOptimizer::new(2e-4, StepSemantics::ZeroFilled);
    let l1 = opt.step(lin.clone(), linear_grads(&lin, Some(1e-5), None));
    let delta = (w0[0][0] - values(&l1)[0][0]) as f64;
    let expected = 2e-4 * 1e-5 / (1e-5 + 1e-8);
    assert!((delta - expected).abs() < 1e-8, "first Adam step {delta}, expected {expected}");
}

/// On the CPU, Adam runs as one pass per parameter (train/fused_adam.rs): the same arithmetic as
/// Burn's `Adam` with the official settings, to the bit, over several steps with moments.
#[test]
fn fused_adam_equals_burns_adam() {
    use burn::optim::{AdamState, Optimizer};
    use pad::train::fused_adam;
    let dev = cpu();
    let adam = pad::train::optimizer::adam_config().build();
    let n = 1000;
    let mut p_fused = Tensor::<1>::random([n], burn::tensor::Distribution::Normal(0.0, 0.02), &dev);
    let mut p_burn = p_fused.clone();
    assert!(fused_adam::applies(&p_fused));
    let (mut s_fused, mut s_burn) = (None, None);
    for step in 0..4u64 {
        dev.seed(step);
        // Gradients of every size, zeros included (a step with no gradient under zero-filled steps).
        let scale = [1.0, 1e-5, 0.0, 3.0][step as usize];
        let g = Tensor::<1>::random([n], burn::tensor::Distribution::Normal(0.0, 1.0), &dev) * scale;
        let lr = [2e-4, 2e-4, 1e-3, 5e-5][step as usize];
        let (p, s) = fused_adam::step(lr, p_fused, g.clone(), s_fused);
        (p_fused, s_fused) = (p, Some(s));
        let (p, s) = adam.step(lr, p_burn, g, s_burn.map(|momentum| AdamState { momentum }));
        (p_burn, s_burn) = (p, s.map(|s| s.momentum));
        let (f, b) = (s_fused.as_ref().unwrap(), s_burn.as_ref().unwrap());
        assert_eq!(f.time, b.time);
        for (what, x, y) in [("param", &p_fused, &p_burn), ("moment 1", &f.moment_1, &b.moment_1), ("moment 2", &f.moment_2, &b.moment_2)] {
            assert_eq!(block_on(read_f32(x.clone())).unwrap(), block_on(read_f32(y.clone())).unwrap(), "step {step}: {what}");
        }
    }
}
