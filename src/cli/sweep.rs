//! `pad sweep`: the paper's table as one command. One `pad train` (then `pad eval`) per cell —
//! variant × seed — in `OUT/<variant>/seed<k>/`, run as child processes of this same binary:
//! resumable (a finished cell is skipped, an interrupted one resumes from its checkpoint), `--jobs
//! N` cells at once, one overall progress bar. On a cluster, `--emit slurm` writes a Slurm array
//! script whose task i runs `pad sweep --cell i …` (exactly cell i), and `pad table OUT` collects
//! the results. The sweep's description is kept in `OUT/sweep.json` for `pad table`.

use super::train::CHECKPOINT;
use super::{DeviceArg, WeightArgs, ensure_dir, parse_dataset};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use pad::Error;
use pad::shared::settings::read;
use pad::train::Variant;
use pad::train::checkpoint;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the evaluation writes last (`pad eval`): its presence means the cell's evaluation is done.
const EVALUATED: &str = "eval/pca.png";
/// The sweep's description, in OUT.
pub const MANIFEST: &str = "sweep.json";

#[derive(clap::Args, Clone)]
pub struct SweepArgs {
    /// The dataset of every cell (as for `pad train`: mnist, cifar10:PATH, svhn:PATH…).
    #[arg(long, default_value = "mnist", value_parser = checked_dataset)]
    dataset: String,
    /// Test split file (overrides the one found next to the dataset).
    #[arg(long)]
    test: Option<PathBuf>,
    /// Variants, comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = read::variant, default_value = "pad,no-nrem,no-rem,no-memory-mix,wake-only")]
    variants: Vec<Variant>,
    /// Seeds: a range `0..4` (0, 1, 2, 3), `0..=3`, or a list `1,5,9`.
    #[arg(long, value_parser = parse_seeds, default_value = "0..4")]
    seeds: Seeds,
    /// Epochs of every cell.
    #[arg(long, default_value_t = 50)]
    epochs: usize,
    /// Output folder: one folder per cell, `OUT/<variant>/seed<k>/`.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceArg,
    /// Cells run at once on this machine (each gets its share of the cores).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: u64,
    /// Run exactly this cell (0-based, variants first, then seeds) and nothing else: what a Slurm
    /// array task does.
    #[arg(long)]
    cell: Option<usize>,
    /// Write a scheduler script instead of running (`slurm`: OUT/sweep.sbatch, one array task a cell).
    #[arg(long, value_enum)]
    emit: Option<Emit>,
    #[command(flatten)]
    slurm: SlurmArgs,
    #[command(flatten)]
    train: CellArgs,
}

/// Passed to every cell's `pad train` (and `pad eval`) as given.
#[derive(clap::Args, Clone, Debug, Default, Serialize, Deserialize)]
pub struct CellArgs {
    #[arg(long)]
    batch: Option<usize>,
    #[arg(long)]
    lr: Option<f64>,
    /// Use only the first N training images.
    #[arg(long)]
    train_limit: Option<usize>,
    #[arg(long)]
    probe_every: Option<usize>,
    /// zero-filled (PyTorch 1.x, the published runs) or skip-missing (PyTorch ≥ 2).
    #[arg(long)]
    step_semantics: Option<String>,
    /// No evaluation after training (occlusion curve, latent ratios: `pad eval`).
    #[arg(long)]
    no_eval: bool,
    /// Image pairs per class for the evaluation's latent metrics.
    #[arg(long)]
    eval_samples: Option<usize>,
    #[command(flatten)]
    #[serde(skip)]
    weights: WeightArgs,
}

/// Resources of each Slurm array task (`--emit slurm`).
#[derive(clap::Args, Clone)]
pub struct SlurmArgs {
    /// Wall time of one cell, HH:MM:SS.
    #[arg(long, default_value = "12:00:00")]
    slurm_time: String,
    #[arg(long, default_value_t = 8)]
    slurm_cpus: usize,
    #[arg(long, default_value = "16G")]
    slurm_mem: String,
    /// GPUs per task (with --device wgpu or cuda).
    #[arg(long, default_value_t = 0)]
    slurm_gpus: usize,
    #[arg(long)]
    slurm_partition: Option<String>,
    #[arg(long)]
    slurm_account: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Emit {
    Slurm,
}

/// A list of seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Seeds(pub Vec<u64>);

fn checked_dataset(s: &str) -> Result<String, String> {
    parse_dataset(s).map(|_| s.to_string())
}

/// `0..4`, `0..=3`, `1,5,9` or `7`.
pub fn parse_seeds(s: &str) -> Result<Seeds, String> {
    let s = s.trim();
    let num = |t: &str| t.trim().parse::<u64>().map_err(|_| format!("'{t}' is not a seed (a whole number)"));
    let seeds: Vec<u64> = if let Some((a, b)) = s.split_once("..=") {
        (num(a)?..=num(b)?).collect()
    } else if let Some((a, b)) = s.split_once("..") {
        (num(a)?..num(b)?).collect()
    } else {
        s.split(',').map(num).collect::<Result<_, _>>()?
    };
    match seeds.len() {
        0 => Err(format!("'{s}' names no seed (a range a..b ends before b)")),
        1..=10_000 => Ok(Seeds(seeds)),
        _ => Err(format!("'{s}' names more than 10000 seeds")),
    }
}

/// One run of the grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub index: usize,
    pub variant: Variant,
    pub seed: u64,
    /// Relative to OUT: `<variant>/seed<k>`.
    pub dir: PathBuf,
}

/// What `pad table` needs to know of a sweep.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub dataset: String,
    pub epochs: usize,
    pub variants: Vec<Variant>,
    pub seeds: Vec<u64>,
    pub train: CellArgs,
    pub cells: Vec<Cell>,
}

/// The grid: variants first, then seeds (cell i of a Slurm array is `cells(..)[i]`).
pub fn cells(variants: &[Variant], seeds: &[u64]) -> Vec<Cell> {
    let pairs = variants.iter().flat_map(|&v| seeds.iter().map(move |&s| (v, s)));
    pairs
        .enumerate()
        .map(|(index, (variant, seed))| Cell { index, variant, seed, dir: Path::new(variant.name()).join(format!("seed{seed}")) })
        .collect()
}

/// How far a cell is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Progress {
    /// Epochs its checkpoint holds (0: none yet).
    Training(usize),
    /// Trained; the evaluation is missing.
    Evaluating,
    Done,
}

fn progress(dir: &Path, epochs: usize, eval: bool) -> Progress {
    let done = std::fs::read(dir.join(CHECKPOINT)).ok().and_then(|b| checkpoint::read_header(&b).ok()).map_or(0, |h| h.epoch);
    match (done >= epochs, eval && !dir.join(EVALUATED).is_file()) {
        (false, _) => Progress::Training(done),
        (true, true) => Progress::Evaluating,
        (true, false) => Progress::Done,
    }
}

/// Epochs done as `metrics.csv` says (cheap: for the progress bar while a cell trains).
fn epochs_logged(dir: &Path) -> usize {
    let csv = std::fs::read_to_string(dir.join("metrics.csv")).unwrap_or_default();
    csv.lines().skip(1).filter_map(|l| l.split(',').next()?.parse::<usize>().ok()).max().unwrap_or(0)
}

impl SweepArgs {
    fn cells(&self) -> Vec<Cell> {
        cells(&self.variants, &self.seeds.0)
    }

    fn manifest(&self) -> Manifest {
        Manifest {
            dataset: self.dataset.clone(),
            epochs: self.epochs,
            variants: self.variants.clone(),
            seeds: self.seeds.0.clone(),
            train: self.train.clone(),
            cells: self.cells(),
        }
    }

    fn device_name(&self) -> String {
        self.device.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default()
    }

    /// The `pad train` flags every cell shares, as given (not the phase weights: a resumed run keeps
    /// its own).
    fn passed_flags(&self) -> Vec<String> {
        let t = &self.train;
        let pairs = [
            ("--test", self.test.as_ref().map(|p| p.display().to_string())),
            ("--batch", t.batch.map(|v| v.to_string())),
            ("--lr", t.lr.map(|v| v.to_string())),
            ("--train-limit", t.train_limit.map(|v| v.to_string())),
            ("--probe-every", t.probe_every.map(|v| v.to_string())),
            ("--step-semantics", t.step_semantics.clone()),
        ];
        pairs.into_iter().filter_map(|(flag, v)| v.map(|v| [flag.to_string(), v])).flatten().collect()
    }

    /// `pad train` for a cell, resuming its checkpoint if it has one.
    fn train_command(&self, cell: &Cell, resume: bool) -> Vec<String> {
        let dir = self.out.join(&cell.dir);
        let mut a: Vec<String> = vec!["train".into(), "--dataset".into(), self.dataset.clone()];
        a.extend(["--variant".into(), cell.variant.name().into(), "--seed".into(), cell.seed.to_string()]);
        a.extend(["--epochs".into(), self.epochs.to_string(), "--out".into(), dir.display().to_string()]);
        a.extend(["--device".into(), self.device_name()]);
        a.extend(self.passed_flags());
        if resume {
            a.push("--resume".into());
        } else {
            a.extend(self.train.weights.to_args()); // a resumed run keeps the weights it was trained with
        }
        a
    }

    /// `pad eval` of a trained cell.
    fn eval_command(&self, cell: &Cell) -> Vec<String> {
        let dir = self.out.join(&cell.dir);
        let mut a: Vec<String> = vec!["eval".into(), "--checkpoint".into(), dir.join(CHECKPOINT).display().to_string()];
        a.extend(["--dataset".into(), self.dataset.clone(), "--out".into(), dir.join("eval").display().to_string()]);
        a.extend(["--device".into(), self.device_name()]);
        if let Some(t) = &self.test {
            a.extend(["--test".into(), t.display().to_string()]);
        }
        if let Some(n) = self.train.train_limit {
            a.extend(["--train-limit".into(), n.to_string()]);
        }
        if let Some(n) = self.train.eval_samples {
            a.extend(["--samples".into(), n.to_string()]);
        }
        a
    }

    /// The flags that describe the sweep (for a Slurm task's `pad sweep --cell i …`).
    fn sweep_flags(&self, out: &Path) -> Vec<String> {
        let mut a: Vec<String> = vec!["--dataset".into(), self.dataset.clone()];
        a.extend(["--variants".into(), self.variants.iter().map(|v| v.name()).collect::<Vec<_>>().join(",")]);
        a.extend(["--seeds".into(), self.seeds.0.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(",")]);
        a.extend(["--epochs".into(), self.epochs.to_string(), "--out".into(), out.display().to_string()]);
        a.extend(["--device".into(), self.device_name()]);
        a.extend(self.passed_flags());
        a.extend(self.train.weights.to_args());
        if self.train.no_eval {
            a.push("--no-eval".into());
        }
        if let Some(n) = self.train.eval_samples {
            a.extend(["--eval-samples".into(), n.to_string()]);
        }
        a
    }
}

/// Run `pad ARGS` (this binary): its output appended to `log`, or shown when `log` is `None`.
fn pad(args: &[String], log: Option<&Path>, threads: Option<usize>) -> Result<(), Error> {
    let exe = std::env::current_exe().map_err(|e| Error::io("cannot find this program's path", e))?;
    let mut cmd = Command::new(exe);
    cmd.args(args).stdin(Stdio::null());
    if let Some(n) = threads
        && std::env::var_os("RAYON_NUM_THREADS").is_none()
    {
        cmd.env("RAYON_NUM_THREADS", n.to_string());
    }
    if let Some(log) = log {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| Error::io(format!("cannot write {}", log.display()), e))?;
        let err = file.try_clone().map_err(|e| Error::io(format!("cannot write {}", log.display()), e))?;
        cmd.stdout(file).stderr(err);
    }
    let status = cmd.status().map_err(|e| Error::io(format!("cannot run pad {}", args[0]), e))?;
    if status.success() {
        return Ok(());
    }
    let tail = log.and_then(|l| std::fs::read_to_string(l).ok()).map(|s| last_error(&s)).unwrap_or_default();
    Err(Error::Config(format!("pad {} failed ({status}){tail}", args[0])))
}

/// The error line of a failed child's log, for the summary.
fn last_error(log: &str) -> String {
    log.lines().rev().find(|l| l.starts_with("error")).map(|l| format!(": {l}")).unwrap_or_default()
}

/// Train (or resume) and evaluate one cell, as far as it still needs.
fn run_cell(args: &SweepArgs, cell: &Cell, log: bool, threads: Option<usize>) -> Result<(), Error> {
    let dir = args.out.join(&cell.dir);
    ensure_dir(&dir)?;
    let log = log.then(|| dir.join("sweep.log"));
    let eval = !args.train.no_eval;
    if let Progress::Training(done) = progress(&dir, args.epochs, eval) {
        let resume = dir.join(CHECKPOINT).is_file() && done > 0;
        pad(&args.train_command(cell, resume), log.as_deref(), threads)?;
    }
    if progress(&dir, args.epochs, eval) == Progress::Evaluating {
        pad(&args.eval_command(cell), log.as_deref(), threads)?;
    }
    Ok(())
}

pub fn run(args: SweepArgs) -> Result<(), Error> {
    parse_dataset(&args.dataset).map_err(Error::Config)?;
    if args.epochs == 0 {
        return Err(Error::Config("--epochs must be at least 1".into()));
    }
    let cells = args.cells();
    if let Some(i) = args.cell {
        let cell = cells
            .get(i)
            .ok_or_else(|| Error::Config(format!("--cell {i}: this sweep has {} cells (0 to {})", cells.len(), cells.len() - 1)))?;
        eprintln!("cell {i} of {}: {} seed {} in {}", cells.len(), cell.variant.label(), cell.seed, args.out.join(&cell.dir).display());
        return run_cell(&args, cell, false, None);
    }
    ensure_dir(&args.out)?;
    let manifest = serde_json::to_string_pretty(&args.manifest()).expect("the manifest serialises");
    checkpoint::write_atomic(&args.out.join(MANIFEST), manifest.as_bytes())?;
    if let Some(Emit::Slurm) = args.emit {
        let path = args.out.join("sweep.sbatch");
        let out = std::path::absolute(&args.out).map_err(|e| Error::io("cannot resolve --out", e))?;
        ensure_dir(&out.join("slurm"))?;
        let exe = std::env::current_exe().map_err(|e| Error::io("cannot find this program's path", e))?;
        checkpoint::write_atomic(&path, slurm_script(&args, &out, &exe, cells.len()).as_bytes())?;
        eprintln!("wrote {} ({} array tasks). Submit it with: sbatch {}", path.display(), cells.len(), path.display());
        eprintln!("then, when it is done: pad table {}", args.out.display());
        return Ok(());
    }
    sweep(&args, cells)
}

/// Every cell that still needs work, `--jobs` at a time, with one progress bar.
fn sweep(args: &SweepArgs, cells: Vec<Cell>) -> Result<(), Error> {
    let eval = !args.train.no_eval;
    let total = cells.len();
    // Seed by seed (every variant of seed 0 first): a sweep stopped half-way has every variant.
    let mut todo: Vec<Cell> =
        cells.iter().filter(|c| progress(&args.out.join(&c.dir), args.epochs, eval) != Progress::Done).cloned().collect();
    todo.sort_by_key(|c| (args.seeds.0.iter().position(|&s| s == c.seed), c.index));
    let todo = VecDeque::from(todo);
    eprintln!(
        "sweep: {total} cells ({} variants × {} seeds) in {}; {} done, {} to run, {} at a time",
        args.variants.len(),
        args.seeds.0.len(),
        args.out.display(),
        total - todo.len(),
        todo.len(),
        args.jobs
    );
    let bar = ProgressBar::new((total * args.epochs) as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} epochs · {elapsed} · eta {eta} · {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let jobs = (args.jobs as usize).min(todo.len().max(1));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (jobs > 1).then(|| (cores / jobs).max(1));
    let queue = Arc::new(Mutex::new(todo));
    let running: Arc<Mutex<Vec<Cell>>> = Arc::default();
    let failed: Arc<Mutex<Vec<(Cell, String)>>> = Arc::default();
    let workers: Vec<_> = (0..jobs)
        .map(|_| {
            let (args, queue, running, failed, bar) = (args.clone(), queue.clone(), running.clone(), failed.clone(), bar.clone());
            std::thread::spawn(move || {
                loop {
                    // Taken in a statement of its own: a guard in the loop's condition would be held
                    // for the whole cell, and the other workers would wait for it.
                    let next = queue.lock().expect("queue").pop_front();
                    let Some(cell) = next else { break };
                    running.lock().expect("running").push(cell.clone());
                    let result = run_cell(&args, &cell, true, threads);
                    running.lock().expect("running").retain(|c| c != &cell);
                    let name = format!("{} seed {}", cell.variant.name(), cell.seed);
                    match result {
                        // Printed also when the bar is hidden (no terminal: a log file, a Slurm job).
                        Ok(()) => bar.suspend(|| eprintln!("done: {name}")),
                        Err(e) => {
                            let log = args.out.join(&cell.dir).join("sweep.log");
                            bar.suspend(|| eprintln!("FAILED: {name}: {e} (log: {})", log.display()));
                            failed.lock().expect("failed").push((cell, e.to_string()));
                        }
                    }
                }
            })
        })
        .collect();
    while workers.iter().any(|w| !w.is_finished()) {
        let epochs: usize = cells.iter().map(|c| epochs_logged(&args.out.join(&c.dir)).min(args.epochs)).sum();
        bar.set_position(epochs as u64);
        let now = running.lock().expect("running").clone();
        bar.set_message(
            now.iter()
                .map(|c| format!("{} seed {}: epoch {}", c.variant.name(), c.seed, epochs_logged(&args.out.join(&c.dir))))
                .collect::<Vec<_>>()
                .join(" | "),
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    for w in workers {
        let _ = w.join();
    }
    bar.finish_and_clear();
    let failed = failed.lock().expect("failed");
    if failed.is_empty() {
        eprintln!("sweep done: {total} cells in {}. Next: pad table {}", args.out.display(), args.out.display());
        Ok(())
    } else {
        let list: Vec<_> = failed.iter().map(|(c, _)| format!("{} seed {}", c.variant.name(), c.seed)).collect();
        Err(Error::Config(format!(
            "{} of {total} cells failed ({}); run the same command again to retry them (finished cells are kept)",
            failed.len(),
            list.join(", ")
        )))
    }
}

/// Quote for a POSIX shell.
fn sh(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./,:=+@%".contains(c)) {
        s.into()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A Slurm array script: task i runs `pad sweep --cell i` with this sweep's flags.
pub fn slurm_script(args: &SweepArgs, out: &Path, exe: &Path, cells: usize) -> String {
    let s = &args.slurm;
    let mut lines = vec![
        "#!/bin/bash".to_string(),
        format!(
            "# PAD sweep: {cells} cells ({} × seeds {}), one per array task. Written by `pad sweep --emit slurm`.",
            args.variants.iter().map(|v| v.name()).collect::<Vec<_>>().join(", "),
            args.seeds.0.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(",")
        ),
        "# Submit: sbatch sweep.sbatch · afterwards: pad table OUT (see README, \"On a cluster\").".into(),
        "#SBATCH --job-name=pad-sweep".into(),
        format!("#SBATCH --array=0-{}", cells - 1),
        format!("#SBATCH --time={}", s.slurm_time),
        format!("#SBATCH --cpus-per-task={}", s.slurm_cpus),
        format!("#SBATCH --mem={}", s.slurm_mem),
        format!("#SBATCH --output={}/slurm/%A_%a.log", out.display()),
    ];
    if s.slurm_gpus > 0 {
        lines.push(format!("#SBATCH --gres=gpu:{}", s.slurm_gpus));
    }
    if let Some(p) = &s.slurm_partition {
        lines.push(format!("#SBATCH --partition={p}"));
    }
    if let Some(a) = &s.slurm_account {
        lines.push(format!("#SBATCH --account={a}"));
    }
    lines.push("set -euo pipefail".into());
    lines.push(format!("export RAYON_NUM_THREADS=\"${{SLURM_CPUS_PER_TASK:-{}}}\"", s.slurm_cpus));
    lines.push(format!("PAD=\"${{PAD:-{}}}\"", exe.display()));
    let flags: Vec<String> = args.sweep_flags(out).iter().map(|f| sh(f)).collect();
    lines.push(format!("exec \"$PAD\" sweep --cell \"$SLURM_ARRAY_TASK_ID\" {}", flags.join(" ")));
    lines.join("\n") + "\n"
}
