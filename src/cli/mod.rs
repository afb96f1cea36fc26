//! The native command-line face of the core: argument parsing and the subcommands.

mod bench;
mod bundle;
mod eval;
mod export;
mod layers;
mod pictures;
mod reference;
mod train;

use clap::{Parser, Subcommand, ValueEnum};
use pad::Error;
use pad::data::source::DatasetSpec;
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
}

/// Compute device.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DeviceArg {
    /// Burn's Flex backend on the CPU.
    Cpu,
    /// Burn's wgpu backend (Vulkan, Metal, DX12…; a software adapter where there is no GPU).
    Wgpu,
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
        }
    }
}

pub fn parse_dataset(s: &str) -> Result<DatasetSpec, String> {
    s.parse().map_err(|e: Error| e.to_string())
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
