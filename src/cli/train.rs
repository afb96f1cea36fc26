//! `pad train`: the training loop with progress, metrics, image grids and resumable checkpoints.

use super::{DeviceArg, WeightArgs, ensure_dir, parse_dataset, pictures};
use indicatif::{ProgressBar, ProgressStyle};
use pad::Error;
use pad::data::Dataset;
use pad::data::source::DatasetSpec;
use pad::readback::block_on;
use pad::shared::settings::{Field, Settings, read};
use pad::train::checkpoint::{self, write_atomic};
use pad::train::{EpochRecord, Losses, Run, StepSemantics, TrainConfig, Trainer, Variant};
use std::path::{Path, PathBuf};

pub const CHECKPOINT: &str = "checkpoint.padckpt";

#[derive(clap::Args)]
pub struct TrainArgs {
    /// mnist | fashion (bundled), or cifar10:PATH | svhn:PATH | idx:PATH | bundle:PATH (a folder of
    /// official files or a single training file).
    #[arg(long, value_parser = parse_dataset, default_value = "mnist")]
    dataset: DatasetSpec,
    // The run's settings: flag, default and accepted values from the settings table
    // (`shared/settings.rs`), as the page's form and URL use them.
    /// pad | no-nrem | no-rem | no-memory-mix | wake-only
    #[arg(long = Field::Variant.key(), value_parser = read::variant, default_value_t = Settings::default().variant)]
    variant: Variant,
    /// Train until this many epochs are done (counting those of a resumed checkpoint).
    #[arg(long = Field::Epochs.key(), value_parser = read::epochs, default_value_t = Settings::default().epochs)]
    epochs: usize,
    /// Mini-batch size (64 in the paper; at least 2).
    #[arg(long = Field::BatchSize.key(), value_parser = read::batch_size, default_value_t = Settings::default().batch_size)]
    batch: usize,
    #[arg(long = Field::Seed.key(), value_parser = read::seed, default_value_t = Settings::default().seed)]
    seed: u64,
    /// Adam learning rate of E and G.
    #[arg(long = Field::LearningRate.key(), value_parser = read::learning_rate, default_value_t = Settings::default().learning_rate)]
    lr: f64,
    /// Latent size n_z.
    #[arg(long, default_value_t = pad::shared::config::LATENT)]
    latent: usize,
    /// Output folder: metrics.csv, grids/, checkpoint.padckpt.
    #[arg(long)]
    out: PathBuf,
    /// Use only the first N training images.
    #[arg(long)]
    train_limit: Option<usize>,
    /// Test split file (overrides the one found next to the dataset).
    #[arg(long)]
    test: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceArg,
    /// Continue the checkpoint in --out instead of starting afresh.
    #[arg(long)]
    resume: bool,
    /// Adam steps for parameters a phase gave no gradient: zero-filled (PyTorch 1.x, the published
    /// runs) or skip-missing (PyTorch ≥ 2).
    #[arg(long, value_enum, default_value = "zero-filled")]
    step_semantics: SemanticsArg,
    /// Run the linear probes every N epochs (0: never).
    #[arg(long, default_value_t = 1)]
    probe_every: usize,
    #[command(flatten)]
    weights: WeightArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SemanticsArg {
    ZeroFilled,
    SkipMissing,
}

/// The dataset of a run, with --train-limit applied and checked against the batch size (decision
/// `batch-of-two`, docs/decisions.md).
pub fn load_data(spec: &DatasetSpec, test: Option<&Path>, limit: Option<usize>, batch: usize) -> Result<Dataset, Error> {
    let mut data = spec.load(test)?;
    if let Some(n) = limit {
        data = data.limit_train(n);
    }
    if data.train.len() < batch {
        return Err(Error::Config(format!("{} training images are fewer than one batch of {batch}", data.train.len())));
    }
    Ok(data)
}

fn start(args: &TrainArgs, data: &Dataset, device: &burn::tensor::Device) -> Result<(Trainer, Vec<EpochRecord>), Error> {
    let path = args.out.join(CHECKPOINT);
    if args.resume {
        let bytes = std::fs::read(&path).map_err(|e| Error::io(format!("--resume: cannot read {}", path.display()), e))?;
        let (trainer, header) = checkpoint::from_bytes(&bytes, device)?;
        if header.channels != data.channels() {
            return Err(Error::Checkpoint(format!(
                "{} was trained on {}-channel images ({}), but {} has {} channels",
                path.display(),
                header.channels,
                header.dataset,
                data.name,
                data.channels()
            )));
        }
        if let Some(w) = args.weights.over(header.config.variant)
            && w != header.config.weights()
        {
            return Err(Error::Config(format!(
                "{} was trained as {}: --w/--n/--r/--epsilon/--mix cannot change a run (leave them out to resume it)",
                path.display(),
                header.config.label()
            )));
        }
        eprintln!("resuming {} ({}, {} epochs done) from {}", header.config.label(), header.dataset, header.epoch, path.display());
        return Ok((trainer, header.history));
    }
    if path.exists() {
        return Err(Error::Config(format!(
            "{} already holds a checkpoint: pass --resume to continue it, or choose another --out",
            args.out.display()
        )));
    }
    let config = TrainConfig {
        variant: args.variant,
        batch_size: args.batch,
        learning_rate: args.lr,
        seed: args.seed,
        latent: args.latent,
        step_semantics: match args.step_semantics {
            SemanticsArg::ZeroFilled => StepSemantics::ZeroFilled,
            SemanticsArg::SkipMissing => StepSemantics::SkipMissing,
        },
        weights: args.weights.over(args.variant),
    };
    Ok((Trainer::new(config, data.channels(), device)?, Vec::new()))
}

fn write_metrics(path: &Path, history: &[EpochRecord]) -> Result<(), Error> {
    let opt = |v: Option<f32>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
    let mut s = format!("epoch,iterations,{},probe_official,probe_official_all,probe_stable,seconds\n", Losses::<f32>::NAMES.join(","));
    for r in history {
        let l = r.losses.clone().map(|l| l.to_array().map(|v| format!("{v:.6}"))).unwrap_or_else(|| [(); 5].map(|_| String::new()));
        s += &format!(
            "{},{},{},{},{},{},{:.2}\n",
            r.epoch,
            r.iterations,
            l.join(","),
            opt(r.probe_official),
            opt(r.probe_official_all),
            opt(r.probe_stable),
            r.seconds
        );
    }
    write_atomic(path, s.as_bytes())
}

fn probes_due(args: &TrainArgs, data: &Dataset, epoch: usize) -> bool {
    args.probe_every > 0 && epoch.is_multiple_of(args.probe_every) && !data.test.is_empty()
}

/// One line per epoch for the log.
fn describe(r: &EpochRecord) -> String {
    let pct = |v: Option<f32>| v.map(|v| format!("{:.1}%", v * 100.0)).unwrap_or("-".into());
    let losses = match &r.losses {
        Some(l) => format!("L_img {:.4} L_KL {:.4} L_real {:.4} L_NREM {:.4} L_fake {:.4}", l.img, l.kl, l.real, l.nrem, l.fake),
        None => "untrained".into(),
    };
    format!("epoch {}: {losses} | probe official {} stable {} | {:.1}s", r.epoch, pct(r.probe_official), pct(r.probe_stable), r.seconds)
}

pub fn run(args: TrainArgs) -> Result<(), Error> {
    // Before any work (a dataset can take a while to read); the page's largest batch does not bind the CLI.
    let least = *pad::shared::limits::BATCH.start();
    if args.batch < least {
        return Err(Error::Config(format!(
            "--batch must be at least {least}: the KL term needs a batch standard deviation (got {})",
            args.batch
        )));
    }
    let device = args.device.init()?;
    let data = load_data(&args.dataset, args.test.as_deref(), args.train_limit, args.batch)?;
    ensure_dir(&args.out)?;
    let (trainer, history) = start(&args, &data, &device)?;
    let first = trainer.epochs_done();
    if first >= args.epochs {
        eprintln!("{first} epochs already done; nothing to train (raise --epochs)");
        return Ok(());
    }
    let mut run = Run::new(trainer, data, history)?;
    let (t, d) = (run.trainer(), run.data());
    eprintln!(
        "{} on {}: {} training / {} test images, batch {}, {} iterations per epoch, device {:?}",
        t.config().label(),
        d.name,
        d.train.len(),
        d.test.len(),
        t.config().batch_size,
        run.per_epoch(),
        args.device
    );
    let grids = args.out.join("grids");
    ensure_dir(&grids)?;
    if probes_due(&args, run.data(), 0)
        && let Some(record) = block_on(run.baseline())?
    {
        eprintln!("{}", describe(record));
    }
    let bar = ProgressBar::new(((args.epochs - first) * run.per_epoch()) as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} epoch {prefix} [{bar:30}] {pos}/{len} it · {per_sec} · eta {eta} · {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    for epoch in first + 1..=args.epochs {
        bar.set_prefix(format!("{epoch}/{}", args.epochs));
        let images = loop {
            let step = block_on(run.step()).map_err(|e| match e {
                Error::Diverged(m) => {
                    Error::Diverged(format!("{m}; the last checkpoint in {} is kept — try a smaller --lr", args.out.display()))
                }
                e => e,
            })?;
            bar.set_message(format!("L_img {:.4} L_NREM {:.4} L_fake {:.3}", step.losses.img, step.losses.nrem, step.losses.fake));
            bar.inc(1);
            if step.epoch_complete {
                break step.images;
            }
        };
        let probe = probes_due(&args, run.data(), epoch);
        if probe {
            bar.set_message("linear probes…");
        }
        let line = describe(block_on(run.end_epoch(probe))?);
        bar.suspend(|| eprintln!("{line}")); // printed also when the bar is hidden (no terminal)
        pictures::save_phase_grids(&images, &grids, epoch)?;
        write_atomic(&args.out.join(CHECKPOINT), &block_on(run.checkpoint())?)?;
        write_metrics(&args.out.join("metrics.csv"), run.history())?;
    }
    bar.finish_and_clear();
    eprintln!("done: {} (metrics.csv, grids/, {CHECKPOINT})", args.out.display());
    Ok(())
}
