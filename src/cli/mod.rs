//! The native command-line face of the core: argument parsing and the subcommands.

mod bench;
mod bundle;
mod eval;
mod export;
mod layers;
mod pictures;
mod reference;
mod sweep;
mod table;
mod train;

use clap::{Parser, Subcommand, ValueEnum};
use pad::Error;
use pad::data::source::DatasetSpec;
use pad::shared::config::RemInput;
use pad::shared::settings::Field;
use pad::shared::settings::read::checked;
use pad::train::{PhaseWeights, Variant};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "pad", version, about = "PAD — Perturbed and Adversarial Dreaming (Deperrois et al., eLife 2022)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model through Wake → NREM → REM, writing metrics, image grids and checkpoints.
    Train(train::TrainArgs),
    /// Occlusion-robustness curve and latent-organisation metrics of a trained checkpoint.
    Eval(eval::EvalArgs),
    /// Write a checkpoint's weights alone in half precision (the page's pretrained snapshot).
    Export(export::ExportArgs),
    /// Milliseconds per phase and per iteration on the chosen device.
    Bench(bench::BenchArgs),
    /// Rebuild the bundled datasets in static/data from their source packages.
    Bundle(bundle::BundleArgs),
    /// Record a few iterations (weights, batch, random draws, losses) for the PyTorch cross-check.
    Reference(reference::ReferenceArgs),
    /// Train (and evaluate) every variant × seed of a grid: the paper's table in one command,
    /// resumable, on one machine (--jobs N) or as a Slurm array (--emit slurm).
    Sweep(Box<sweep::SweepArgs>),
    /// The paper's table and figures from a sweep: table.md/.csv (mean ± SEM over seeds, the
    /// paper's numbers beside), curves.png (Fig. 4), occlusion.png (Fig. 5), latent ratios.
    Table(table::TableArgs),
}

/// Compute device.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DeviceArg {
    /// Burn's Flex backend on the CPU.
    Cpu,
    /// Burn's wgpu backend (Vulkan, Metal, DX12…; a software adapter where there is no GPU).
    Wgpu,
    /// Burn's CUDA backend (NVIDIA; builds with the `cuda` feature).
    Cuda,
}

impl DeviceArg {
    pub fn init(self) -> Result<burn::tensor::Device, Error> {
        match self {
            DeviceArg::Cpu => Ok(burn::tensor::Device::flex()),
            #[cfg(feature = "gpu")]
            DeviceArg::Wgpu => {
                burn::tensor::Device::wgpu_options().init().map_err(|e| Error::Device(format!("no usable wgpu adapter: {e}")))
            }
            #[cfg(not(feature = "gpu"))]
            DeviceArg::Wgpu => {
                Err(Error::Device("this build of pad has no GPU backend: build it with the `gpu` feature (a default one)".into()))
            }
            #[cfg(feature = "cuda")]
            DeviceArg::Cuda => cuda(),
            #[cfg(not(feature = "cuda"))]
            DeviceArg::Cuda => {
                Err(Error::Device("this build of pad has no CUDA backend: build it with `cargo build --release --features cuda`".into()))
            }
        }
    }
}

/// The first CUDA device, checked with one small operation: without a driver or a GPU, Burn's
/// CUDA backend fails on first use (a panic), which becomes a message here.
#[cfg(feature = "cuda")]
fn cuda() -> Result<burn::tensor::Device, Error> {
    let device = burn::tensor::Device::cuda(0);
    let probe = device.clone();
    let works = std::panic::catch_unwind(move || burn::tensor::Tensor::<1>::ones([4], &probe).sum().into_scalar::<f32>() == 4.0);
    match works {
        Ok(true) => Ok(device),
        _ => Err(Error::Device("no usable CUDA device (is there an NVIDIA GPU and its driver?): try --device wgpu or cpu".into())),
    }
}

pub fn parse_dataset(s: &str) -> Result<DatasetSpec, String> {
    s.parse().map_err(|e: Error| e.to_string())
}

/// The official code's free phase weights (its `--W --N --R --epsilon`) and REM's memory mix,
/// overriding the variant's preset for those given: `--w 1 --n 1 --r 0 --epsilon 0` is its
/// README's "w/o REM". Names, messages and ranges from the settings table (the page's knobs).
#[derive(clap::Args, Clone, Debug, Default, PartialEq)]
pub struct WeightArgs {
    /// W: weight of L_img in Wake.
    #[arg(long = Field::WakeWeight.key(), value_name = "W", value_parser = checked::wake_weight, allow_hyphen_values = true)]
    pub w: Option<f32>,
    /// N: weight of L_NREM.
    #[arg(long = Field::NremWeight.key(), value_name = "N", value_parser = checked::nrem_weight, allow_hyphen_values = true)]
    pub n: Option<f32>,
    /// R: REM on when above 0 (also gates L_real in Wake).
    #[arg(long = Field::RemWeight.key(), value_name = "R", value_parser = checked::rem_weight, allow_hyphen_values = true)]
    pub r: Option<f32>,
    /// Std of Wake's latent noise on G's input.
    #[arg(long = Field::Epsilon.key(), value_parser = checked::epsilon, allow_hyphen_values = true)]
    pub epsilon: Option<f32>,
    /// REM dreams from mixed memories and noise (1) or the current memory alone (0).
    #[arg(long = Field::MemoryMix.key(), value_name = "1|0", value_parser = checked::memory_mix)]
    pub mix: Option<bool>,
}

impl WeightArgs {
    /// The weights to train with: the preset of `variant` with the given ones in place, or
    /// `None` when none is given.
    pub fn over(&self, variant: Variant) -> Option<PhaseWeights> {
        if *self == Self::default() {
            return None;
        }
        let p = variant.weights();
        Some(PhaseWeights {
            wake: self.w.unwrap_or(p.wake),
            nrem: self.n.unwrap_or(p.nrem),
            rem: self.r.unwrap_or(p.rem),
            wake_noise_std: self.epsilon.unwrap_or(p.wake_noise_std),
            rem_input: self.mix.map_or(p.rem_input, RemInput::from_mix),
        })
    }

    /// The flags again, for a `pad train` run of the sweep.
    pub fn to_args(&self) -> Vec<String> {
        let weights =
            [(Field::WakeWeight, self.w), (Field::NremWeight, self.n), (Field::RemWeight, self.r), (Field::Epsilon, self.epsilon)]
                .into_iter()
                .filter_map(|(field, v)| v.map(|v| (field, v.to_string())));
        let mix = self.mix.map(|m| (Field::MemoryMix, if m { "1" } else { "0" }.to_string()));
        weights.chain(mix).flat_map(|(field, v)| [format!("--{}", field.key()), v]).collect()
    }
}

/// Create the output folder (and say so clearly when that fails).
pub fn ensure_dir(dir: &PathBuf) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(a) => train::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Export(a) => export::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Bundle(a) => bundle::run(a),
        Command::Reference(a) => reference::run(a),
        Command::Sweep(a) => sweep::run(*a),
        Command::Table(a) => table::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
