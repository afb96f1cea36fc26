//! `pad eval`: the paper's evaluations of a checkpoint — probe accuracy, the occlusion-robustness
//! curve (Fig. 5), latent-organisation ratios and a PCA map of the latents (Fig. 6).

use super::train::load_data;
use super::{DeviceArg, ensure_dir, parse_dataset, pictures};
use pad::Error;
use pad::data::source::DatasetSpec;
use pad::eval::{evaluation, occlusion_curve};
use pad::readback::block_on;
use pad::train::checkpoint;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct EvalArgs {
    /// A checkpoint written by `pad train` (its checkpoint.padckpt).
    #[arg(long)]
    checkpoint: PathBuf,
    /// The dataset to evaluate on (same forms as for `pad train`).
    #[arg(long, value_parser = parse_dataset, default_value = "mnist")]
    dataset: DatasetSpec,
    #[arg(long)]
    test: Option<PathBuf>,
    #[arg(long)]
    train_limit: Option<usize>,
    /// Image pairs per class for the latent metrics (the official script uses 1000; 500 by default).
    #[arg(long, default_value_t = 500)]
    samples: usize,
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceArg,
}

pub fn run(args: EvalArgs) -> Result<(), Error> {
    let device = args.device.init()?;
    let bytes = std::fs::read(&args.checkpoint).map_err(|e| Error::io(format!("cannot read {}", args.checkpoint.display()), e))?;
    let (trainer, header) = checkpoint::from_bytes(&bytes, &device)?;
    let data = load_data(&args.dataset, args.test.as_deref(), args.train_limit, probe_min())?;
    if data.channels() != header.channels {
        return Err(Error::Checkpoint(format!(
            "the checkpoint expects {}-channel images, {} has {}",
            header.channels,
            data.name,
            data.channels()
        )));
    }
    if data.test.is_empty() {
        return Err(Error::Config(format!("{} has no test split: pass --test", data.name)));
    }
    ensure_dir(&args.out)?;
    let encoder = trainer.encoder();
    let seed = header.config.seed;
    eprintln!(
        "evaluating {} after {} epochs on {} ({} train / {} test)",
        header.config.label(),
        header.epoch,
        data.name,
        data.train.len(),
        data.test.len()
    );

    let ev = block_on(evaluation::evaluate(&encoder, &data, seed, args.samples, &device))?;
    let report = &ev.probes;
    eprintln!(
        "probe: official {} (per-batch mean), {:.2}% (all test images); stable {:.2}%",
        report.official.per_batch.map(|v| format!("{:.2}%", v * 100.0)).unwrap_or("-".into()),
        report.official.all * 100.0,
        report.stable.all * 100.0
    );

    let curve = &ev.curve;
    let mut csv = String::from("occlusion,official_accuracy,official_per_batch,stable_accuracy\n");
    for p in curve {
        let per_batch = p.official_per_batch.map(|v| format!("{v:.4}")).unwrap_or_default();
        csv += &format!("{:.1},{:.4},{per_batch},{:.4}\n", p.level, p.official, p.stable);
    }
    write(&args.out.join("occlusion.csv"), &csv)?;
    let pct =
        |f: fn(&occlusion_curve::OcclusionPoint) -> f32| curve.iter().map(|p| (p.level * 100.0, f(p) * 100.0, 0.0)).collect::<Vec<_>>();
    pictures::line_plot(
        &args.out.join("occlusion.png"),
        &format!("Robustness to occlusion (tile 4) — {} on {}", header.config.label(), data.name),
        "occluded tiles (%)",
        "test accuracy (%)",
        0.0..100.0,
        &[("official probe".into(), pct(|p| p.official)), ("stable probe".into(), pct(|p| p.stable))],
    )?;

    let m = &ev.latent;
    write(
        &args.out.join("latent.csv"),
        &format!(
            "metric,value\nintra,{}\ninter,{}\nclean_occluded,{}\nintra_inter_ratio,{}\noccluded_inter_ratio,{}\nsamples_per_class,{}\n",
            m.intra, m.inter, m.clean_occluded, m.intra_inter_ratio, m.occluded_inter_ratio, m.samples
        ),
    )?;
    eprintln!(
        "latent organisation (mean squared differences, see docs/decisions.md): intra/inter {:.3}, clean-occluded/inter {:.3}",
        m.intra_inter_ratio, m.occluded_inter_ratio
    );

    // PCA of test latents: up to 60 per class, with their 30 %-occluded versions as rings.
    let (proj, chosen) = (&ev.pca, &ev.chosen);
    let mut csv = String::from("index,label,occluded,pc1,pc2\n");
    let mut points = Vec::new();
    for (j, p) in proj.points.iter().enumerate() {
        let (i, open) = (chosen[j % chosen.len()], j >= chosen.len());
        let label = data.test.labels[i] as usize;
        csv += &format!("{i},{label},{},{},{}\n", open as u8, p[0], p[1]);
        points.push((*p, label, open));
    }
    write(&args.out.join("pca.csv"), &csv)?;
    pictures::scatter_plot(
        &args.out.join("pca.png"),
        &format!(
            "Test latents, PCA ({:.0}% + {:.0}% of variance); rings: 30% occluded",
            proj.explained[0] * 100.0,
            proj.explained[1] * 100.0
        ),
        &points,
        &data.classes,
    )?;
    eprintln!("wrote occlusion.csv/png, latent.csv, pca.csv/png to {}", args.out.display());
    Ok(())
}

/// The probe needs at least one batch of training latents.
fn probe_min() -> usize {
    pad::eval::probe::BATCH
}

fn write(path: &std::path::Path, s: &str) -> Result<(), Error> {
    std::fs::write(path, s).map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}
