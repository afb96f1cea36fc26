//! `pad reference`: what the PyTorch cross-check (`benches/reference/`) compares against — a few
//! PAD iterations from fixed initial weights on a fixed batch, with every random draw recorded, for
//! both optimizer step semantics (decision `zero-filled-steps`, docs/decisions.md: PyTorch 1.x
//! `zero_grad()` vs `set_to_none=True`).
//!
//! One safetensors file per step semantics, `<variant>-<semantics>.safetensors`, holding
//! - `init.encoder.<path>`, `init.generator.<path>`: the initial weights (PyTorch layouts);
//! - per iteration k (from 0): `it<k>.x` (B, C, 32, 32), `it<k>.keep_mask` (32, 32),
//!   `it<k>.rem_noise` (B, n_z), `it<k>.wake_noise` (B, n_z; only the variants with wake noise),
//!   and the results: `it<k>.losses` (L_img, L_KL, L_real, L_NREM, L_fake) and the weights after
//!   the iteration, `it<k>.encoder.<path>`, `it<k>.generator.<path>`;
//! - metadata `pad`: JSON with the settings (variant, phase weights, batch, learning rate, Adam's β
//!   and ε, step semantics, iterations; iteration 0 is the first of its epoch).

use super::ensure_dir;
use burn::prelude::*;
use pad::Error;
use pad::readback::block_on;
use pad::shared::settings::read;
use pad::train::optimizer::{BETAS, EPSILON};
use pad::train::{StepSemantics, TrainConfig, Trainer, Variant, checkpoint};
use rand::SeedableRng;
use rand_distr::{Distribution, Uniform};
use safetensors::{Dtype, tensor::TensorView};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ReferenceArgs {
    /// Folder for the files.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_parser = read::variant, default_value = "pad")]
    variant: Variant,
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// Image channels (3: CIFAR-10 shapes).
    #[arg(long, default_value_t = 3)]
    channels: usize,
    #[arg(long, default_value_t = 3)]
    iterations: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn run(args: ReferenceArgs) -> Result<(), Error> {
    if args.iterations == 0 || args.batch < 2 {
        return Err(Error::Config("--iterations must be at least 1 and --batch at least 2".into()));
    }
    ensure_dir(&args.out)?;
    let device = Device::flex();
    let side = pad::model::ModelShape::SIDE;
    for semantics in [StepSemantics::ZeroFilled, StepSemantics::SkipMissing] {
        let config = TrainConfig {
            variant: args.variant,
            batch_size: args.batch,
            seed: args.seed,
            step_semantics: semantics,
            ..TrainConfig::default()
        };
        let mut trainer = Trainer::new(config.clone(), args.channels, &device)?;
        let mut tensors: Vec<(String, Vec<usize>, Vec<f32>)> = Vec::new();
        let weights = |t: &Trainer, prefix: &str| -> Result<Vec<_>, Error> {
            Ok(block_on(checkpoint::weights(t))?.into_iter().map(|(n, s, v)| (format!("{prefix}.{n}"), s, v)).collect())
        };
        tensors.extend(weights(&trainer, "init")?);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed ^ 0x5eed);
        let pixels = Uniform::new(-1.0f32, 1.0).expect("valid range");
        trainer.begin_epoch(args.batch);
        for k in 0..args.iterations {
            let shape = vec![args.batch, args.channels, side, side];
            let x: Vec<f32> = (0..shape.iter().product::<usize>()).map(|_| pixels.sample(&mut rng)).collect();
            let noise = trainer.draw_noise(args.batch);
            let latent = vec![args.batch, config.latent];
            tensors.push((format!("it{k}.x"), shape.clone(), x.clone()));
            tensors.push((format!("it{k}.keep_mask"), vec![side, side], noise.keep_mask.clone()));
            tensors.push((format!("it{k}.rem_noise"), latent.clone(), noise.rem.clone()));
            if let Some(w) = &noise.wake {
                tensors.push((format!("it{k}.wake_noise"), latent, w.clone()));
            }
            let input = Tensor::<4>::from_data(TensorData::new(x, shape), &device);
            let losses = block_on(trainer.iteration_with(input, noise)?.losses.read())?;
            tensors.push((format!("it{k}.losses"), vec![5], losses.to_array().to_vec()));
            tensors.extend(weights(&trainer, &format!("it{k}"))?);
        }
        let meta = serde_json::json!({
            "variant": args.variant.name(),
            "weights": args.variant.weights(),
            "batch": args.batch,
            "channels": args.channels,
            "latent": config.latent,
            "learning_rate": config.learning_rate,
            "betas": [BETAS.0, BETAS.1],
            "epsilon": EPSILON,
            "step_semantics": semantics,
            "iterations": args.iterations,
        });
        let data: Vec<(String, Vec<usize>, Vec<u8>)> = tensors.into_iter().map(|(n, s, v)| (n, s, bytes(&v))).collect();
        let views = data
            .iter()
            .map(|(n, s, b)| TensorView::new(Dtype::F32, s.clone(), b).map(|v| (n.clone(), v)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Config(format!("safetensors: {e}")))?;
        let info = std::collections::HashMap::from([("pad".to_string(), meta.to_string())]);
        let file = args.out.join(format!(
            "{}-{}.safetensors",
            args.variant.name(),
            serde_json::to_value(semantics).expect("serialisable").as_str().unwrap_or("?")
        ));
        let encoded = safetensors::serialize(views, Some(info)).map_err(|e| Error::Config(format!("safetensors: {e}")))?;
        std::fs::write(&file, encoded).map_err(|e| Error::io(format!("cannot write {}", file.display()), e))?;
        println!("wrote {} ({} iterations, {:?})", file.display(), args.iterations, semantics);
    }
    Ok(())
}
