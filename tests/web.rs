//! The model on WebGPU in the browser (wasm-bindgen-test in headless Chromium with a software
//! adapter): the same weights give the same forward pass as the CPU backend, and a full PAD
//! iteration runs with finite losses. Run by `scripts/test.sh`; natively this file is empty.
#![cfg(target_family = "wasm")]

use burn::prelude::*;
use pad::model::ModelShape;
use pad::readback::read_f32;
use pad::train::{TrainConfig, Trainer, Variant, checkpoint};
use std::cell::OnceCell;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

thread_local!(static GPU: OnceCell<Device> = const { OnceCell::new() });

/// The page's WebGPU device (the runtime starts once per page).
async fn webgpu() -> Device {
    if let Some(d) = GPU.with(|c| c.get().cloned()) {
        return d;
    }
    let d = Device::wgpu_options().init_async().await.expect("a WebGPU adapter (run Chromium with --enable-unsafe-webgpu)");
    GPU.with(|c| c.get_or_init(|| d.clone()).clone())
}

fn config() -> TrainConfig {
    TrainConfig { variant: Variant::Pad, batch_size: 4, seed: 7, ..TrainConfig::default() }
}

/// A fixed batch in [−1, 1] (no randomness: the same on both devices).
fn batch(device: &Device) -> Tensor<4> {
    let n = 4 * ModelShape::SIDE * ModelShape::SIDE;
    let v: Vec<f32> = (0..n).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect();
    Tensor::from_data(TensorData::new(v, [4, 1, ModelShape::SIDE, ModelShape::SIDE]), device)
}

fn assert_close(what: &str, a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = a.iter().map(|v| v.abs()).fold(1e-6f32, f32::max);
    let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
    assert!(worst <= tol * scale, "{what}: largest difference {worst} (scale {scale})");
}

#[wasm_bindgen_test]
async fn a_forward_pass_on_webgpu_matches_the_cpu_backend() {
    let cpu = Device::flex();
    let fresh = Trainer::new(config(), 1, &cpu).unwrap();
    let bytes = checkpoint::to_bytes(&fresh, "test", &[], &[]).await.unwrap();
    let gpu = webgpu().await;
    let (on_gpu, _) = checkpoint::from_bytes(&bytes, &gpu).unwrap();
    let (on_cpu, _) = checkpoint::from_bytes(&bytes, &cpu).unwrap();
    let outputs = async |t: &Trainer, device: &Device| {
        let out = t.encoder().forward(batch(device));
        let dream = t.generator().forward(out.z.clone());
        (read_f32(out.z).await.unwrap(), read_f32(out.d).await.unwrap(), read_f32(dream).await.unwrap())
    };
    let (zc, dc, gc) = outputs(&on_cpu, &cpu).await;
    let (zg, dg, gg) = outputs(&on_gpu, &gpu).await;
    assert_close("E_z", &zc, &zg, 1e-3);
    assert_close("E_d", &dc, &dg, 1e-3);
    assert_close("G(E_z(x))", &gc, &gg, 1e-3);
}

#[wasm_bindgen_test]
async fn one_pad_iteration_on_webgpu_gives_finite_losses() {
    let gpu = webgpu().await;
    let mut t = Trainer::new(config(), 1, &gpu).unwrap();
    t.begin_epoch(4);
    let losses = t.iteration(batch(&gpu)).unwrap().losses.read().await.unwrap();
    assert!(losses.is_finite(), "{losses:?}");
    assert!(losses.img > 0.0 && losses.real > 0.0 && losses.fake > 0.0 && losses.nrem > 0.0, "{losses:?}");
}
