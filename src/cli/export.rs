//! `pad export`: a checkpoint's weights alone, in half precision, with its header — the pretrained
//! snapshot the page shows on first visit (`static/pretrained/`), written atomically.

use pad::Error;
use pad::train::checkpoint;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ExportArgs {
    /// A checkpoint written by `pad train` (its checkpoint.padckpt).
    #[arg(long)]
    checkpoint: PathBuf,
    /// The snapshot to write (weights only, f16; opens wherever a checkpoint does).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: ExportArgs) -> Result<(), Error> {
    let bytes = std::fs::read(&args.checkpoint).map_err(|e| Error::io(format!("cannot read {}", args.checkpoint.display()), e))?;
    let snapshot = checkpoint::weights_only_half(&bytes)?;
    checkpoint::write_atomic(&args.out, &snapshot)?;
    let header = checkpoint::read_header(&snapshot)?;
    eprintln!(
        "{}: {} after {} epochs on {}, weights only in f16 — {:.2} MB (the checkpoint: {:.2} MB)",
        args.out.display(),
        header.config.label(),
        header.epoch,
        header.dataset,
        snapshot.len() as f64 / 1e6,
        bytes.len() as f64 / 1e6
    );
    Ok(())
}
