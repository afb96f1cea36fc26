//! `pad bench`: milliseconds per phase and per PAD iteration on a device (random CIFAR-shaped
//! data by default: batch 64, 3×32×32), reported as medians over the timed iterations.

use super::DeviceArg;
use burn::prelude::*;
use pad::Error;
use pad::readback::{block_on, read_f32};
use pad::sleep::Phase;
use pad::train::{TrainConfig, Trainer, Variant};
use std::time::Instant;

#[derive(clap::Args)]
pub struct BenchArgs {
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceArg,
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Image channels (3: CIFAR-10/SVHN shapes, 1: MNIST shapes).
    #[arg(long, default_value_t = 3)]
    channels: usize,
    /// Timed iterations (after one untimed warm-up iteration).
    #[arg(long, default_value_t = 5)]
    iters: usize,
    #[arg(long, value_parser = pad::shared::settings::read::variant, default_value = "pad")]
    variant: Variant,
    /// Time each convolution (forward and backward) and a large matrix product instead.
    #[arg(long)]
    layers: bool,
    /// First compare the device with the CPU backend (the page's WebGPU self-check: the same
    /// weights, batch and draws give the same forward pass and PAD losses) and print how closely
    /// they agree; a device beyond the tolerances fails the command.
    #[arg(long)]
    self_check: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { f64::NAN } else { v[v.len() / 2] }
}

pub fn run(args: BenchArgs) -> Result<(), Error> {
    if args.iters == 0 {
        return Err(Error::Config("--iters must be at least 1".into()));
    }
    let device = args.device.init()?;
    if args.self_check {
        let agreement = block_on(pad::train::verify::against_cpu(&device))?;
        println!("self-check on {:?}: {}", args.device, agreement.describe());
    }
    if args.layers {
        return super::layers::run(&device, args.batch, args.channels, args.iters);
    }
    let config = TrainConfig { variant: args.variant, batch_size: args.batch, ..TrainConfig::default() };
    let mut trainer = Trainer::new(config, args.channels, &device)?;
    let x = Tensor::<4>::random([args.batch, args.channels, 32, 32], burn::tensor::Distribution::Uniform(-1.0, 1.0), &device);
    trainer.begin_epoch(args.batch);
    let mut per_phase: Vec<Vec<f64>> = vec![Vec::new(); 3];
    let mut total = Vec::new();
    for it in 0..=args.iters {
        let start = Instant::now();
        // Wait for each phase's work to finish before timing the next one.
        let wait = |loss: Tensor<1>| block_on(read_f32(loss)).map(|_| Instant::now());
        let noise = trainer.draw_noise(args.batch);
        let wake = trainer.wake(x.clone(), noise)?;
        let after_wake = wait(wake.loss())?;
        let nrem = trainer.nrem(wake);
        let after_nrem = wait(nrem.loss())?;
        let out = trainer.rem(nrem);
        let after_rem = wait(out.losses.fake)?;
        let times = [after_wake - start, after_nrem - after_wake, after_rem - after_nrem].map(|d| d.as_secs_f64() * 1e3);
        let ms = start.elapsed().as_secs_f64() * 1e3;
        if it > 0 {
            total.push(ms);
            for (p, t) in per_phase.iter_mut().zip(times) {
                p.push(t);
            }
        }
        eprintln!("{} iteration {it}: {ms:.1} ms", if it == 0 { "warm-up" } else { "timed" });
    }
    println!(
        "device {:?}, batch {}, {}×32×32, variant {}, median of {} iterations:",
        args.device, args.batch, args.channels, args.variant, args.iters
    );
    for (phase, t) in Phase::ALL.iter().zip(per_phase) {
        println!("  {:<5} {:>9.1} ms", phase.label(), median(t));
    }
    let m = median(total);
    println!("  total {m:>9.1} ms per iteration ({:.1} images/s)", args.batch as f64 / (m / 1e3));
    Ok(())
}
