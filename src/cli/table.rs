//! `pad table OUT`: the paper's table and figures from a sweep's cells (`pad sweep`): per variant
//! the linear-probe accuracy at the last epoch, mean ± SEM over seeds (Appendix 1—table 1; the
//! paper's numbers beside it on CIFAR-10 and SVHN), the latent-organisation ratios (Fig. 6e–f),
//! and plots: accuracy per epoch with SEM bands (Fig. 4) and robustness to occlusion (Fig. 5).
//! Cells that are missing or incomplete are named, never silently averaged in.

use super::pictures::{self, Series};
use super::sweep::{Cell, MANIFEST, Manifest, cells};
use pad::Error;
use pad::shared::paper::{PaperDataset, probe_at_epoch_50};
use pad::train::Variant;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct TableArgs {
    /// The sweep's output folder (with sweep.json, or `<variant>/seed<k>/` folders).
    dir: PathBuf,
    /// Where to write table.md, table.csv and the plots (default: the sweep's folder).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Mean and standard error of the mean (sample standard deviation / √n; none for n < 2).
pub fn mean_sem(values: &[f64]) -> Option<(f64, Option<f64>)> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let sem = (n > 1).then(|| {
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (var / n as f64).sqrt()
    });
    Some((mean, sem))
}

/// "58.25 ± 0.70", "58.25" (one value) or "–".
fn show(ms: Option<(f64, Option<f64>)>, digits: usize) -> String {
    match ms {
        None => "–".into(),
        Some((m, None)) => format!("{m:.digits$}"),
        Some((m, Some(s))) => format!("{m:.digits$} ± {s:.digits$}"),
    }
}

/// One cell's results.
#[derive(Default)]
struct Results {
    /// Per epoch (1-based): official and stable probe accuracy, %.
    official: BTreeMap<usize, f64>,
    stable: BTreeMap<usize, f64>,
    last_epoch: usize,
    /// Occlusion level (%) → official probe accuracy (%), from `eval/occlusion.csv`.
    occlusion: Vec<(f64, f64)>,
    /// From `eval/latent.csv`.
    intra_inter: Option<f64>,
    occluded_inter: Option<f64>,
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().map(|h| h.split(',').map(|s| s.trim().to_string()).collect()).unwrap_or_default();
    (header, lines.map(|l| l.split(',').map(|s| s.trim().to_string()).collect()).collect())
}

fn column(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h == name)
}

fn read_cell(dir: &Path) -> Result<Option<Results>, Error> {
    let Ok(text) = std::fs::read_to_string(dir.join("metrics.csv")) else { return Ok(None) };
    let bad = |what: &str| Error::Data(format!("{}: {what}", dir.join("metrics.csv").display()));
    let (header, rows) = csv_rows(&text);
    let (Some(e), Some(o), Some(s)) = (column(&header, "epoch"), column(&header, "probe_official"), column(&header, "probe_stable")) else {
        return Err(bad("not a metrics.csv of pad train (columns epoch, probe_official, probe_stable)"));
    };
    let mut r = Results::default();
    for row in rows {
        let epoch: usize = row.get(e).and_then(|v| v.parse().ok()).ok_or_else(|| bad("an unreadable epoch"))?;
        let pct = |i: usize| row.get(i).and_then(|v| v.parse::<f64>().ok()).map(|v| v * 100.0);
        if let Some(v) = pct(o) {
            r.official.insert(epoch, v);
        }
        if let Some(v) = pct(s) {
            r.stable.insert(epoch, v);
        }
        r.last_epoch = r.last_epoch.max(epoch);
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("eval/occlusion.csv")) {
        let (header, rows) = csv_rows(&text);
        if let (Some(l), Some(a)) = (column(&header, "occlusion"), column(&header, "official_accuracy")) {
            r.occlusion = rows
                .iter()
                .filter_map(|row| Some((row.get(l)?.parse::<f64>().ok()? * 100.0, row.get(a)?.parse::<f64>().ok()? * 100.0)))
                .collect();
        }
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("eval/latent.csv")) {
        let (_, rows) = csv_rows(&text);
        let value = |name: &str| rows.iter().find(|r| r.first().is_some_and(|k| k == name)).and_then(|r| r.get(1)?.parse().ok());
        r.intra_inter = value("intra_inter_ratio");
        r.occluded_inter = value("occluded_inter_ratio");
    }
    Ok(Some(r))
}

/// The cells of a sweep folder: from its sweep.json, or found as `<variant>/seed<k>/`.
fn find_cells(dir: &Path) -> Result<(Option<Manifest>, Vec<Cell>), Error> {
    if let Ok(text) = std::fs::read_to_string(dir.join(MANIFEST)) {
        let m: Manifest =
            serde_json::from_str(&text).map_err(|e| Error::Data(format!("{}: unreadable ({e})", dir.join(MANIFEST).display())))?;
        let cells = m.cells.clone();
        return Ok((Some(m), cells));
    }
    let mut variants = Vec::new();
    let mut seeds = std::collections::BTreeSet::new();
    for v in Variant::ALL {
        let Ok(entries) = std::fs::read_dir(dir.join(v.name())) else { continue };
        variants.push(v);
        for e in entries.flatten() {
            if let Some(k) = e.file_name().to_str().and_then(|n| n.strip_prefix("seed")).and_then(|k| k.parse::<u64>().ok()) {
                seeds.insert(k);
            }
        }
    }
    if variants.is_empty() {
        return Err(Error::Config(format!("{} holds no sweep: no sweep.json and no <variant>/seed<k>/ folders", dir.display())));
    }
    Ok((None, cells(&variants, &seeds.into_iter().collect::<Vec<_>>())))
}

/// Per variant: the mean ± SEM of `f` over its complete cells.
fn per_variant<'a>(done: &'a [(&'a Cell, Results)], variant: Variant, f: impl Fn(&Results) -> Option<f64>) -> Option<(f64, Option<f64>)> {
    let values: Vec<f64> = done.iter().filter(|(c, _)| c.variant == variant).filter_map(|(_, r)| f(r)).collect();
    mean_sem(&values)
}

/// Mean ± SEM over a variant's complete cells of the points each cell gives (x rounded to a whole
/// number: an epoch, an occlusion level in %), as a plot series.
fn curve(done: &[(&Cell, Results)], variant: Variant, points: impl Fn(&Results) -> Vec<(f64, f64)>) -> Series {
    let mut by_x: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for (_, r) in done.iter().filter(|(c, _)| c.variant == variant) {
        for (x, y) in points(r) {
            by_x.entry(x.round() as i64).or_default().push(y);
        }
    }
    let points = by_x.iter().filter_map(|(&x, v)| mean_sem(v).map(|(m, s)| (x as f32, m as f32, s.unwrap_or(0.0) as f32)));
    (variant.label().to_string(), points.collect())
}

/// One probe's accuracies per epoch in a cell's results.
type Probe = fn(&Results) -> &BTreeMap<usize, f64>;

pub fn run(args: TableArgs) -> Result<(), Error> {
    let (manifest, cells) = find_cells(&args.dir)?;
    let mut results = Vec::new();
    for c in &cells {
        results.push((c, read_cell(&args.dir.join(&c.dir))?));
    }
    let epochs = manifest
        .as_ref()
        .map(|m| m.epochs)
        .unwrap_or_else(|| results.iter().filter_map(|(_, r)| r.as_ref()).map(|r| r.last_epoch).max().unwrap_or(0));
    let (mut done, mut missing) = (Vec::new(), Vec::new());
    for (c, r) in results {
        let name = format!("{} seed {}", c.variant.name(), c.seed);
        match r {
            None => missing.push(format!("{name} (not started: no metrics.csv)")),
            Some(r) if r.last_epoch < epochs => missing.push(format!("{name} ({} of {epochs} epochs)", r.last_epoch)),
            Some(r) => {
                if r.occlusion.is_empty() {
                    missing.push(format!("{name} (trained; no evaluation: eval/ is missing)"));
                }
                done.push((c, r));
            }
        }
    }
    let dataset = manifest.as_ref().map(|m| m.dataset.clone()).unwrap_or_else(|| "(dataset not recorded: no sweep.json)".into());
    let paper = PaperDataset::of(&dataset);
    let variants: Vec<Variant> = {
        let mut v: Vec<Variant> = cells.iter().map(|c| c.variant).collect();
        v.dedup();
        v
    };
    let seeds: Vec<String> = {
        let mut s: Vec<u64> = cells.iter().map(|c| c.seed).collect();
        s.sort();
        s.dedup();
        s.iter().map(|s| s.to_string()).collect()
    };
    let out = args.out.clone().unwrap_or_else(|| args.dir.clone());
    super::ensure_dir(&out)?;

    // table.md and table.csv
    let last = |m: &BTreeMap<usize, f64>| m.get(&epochs).copied();
    let mut md = format!(
        "# PAD sweep: {dataset}, {epochs} epochs, seeds {}\n\nLinear-probe test accuracy after epoch {epochs}, % — mean ± SEM over seeds (n: seeds with a complete \
         run). Official probe: the paper's (plain SGD, mean of per-batch accuracies); stable: standardised latents, converged. Latent \
         ratios (mean squared distances; lower is better) from `pad eval`.\n\n",
        seeds.join(", ")
    );
    let paper_head = paper.map(|p| format!(" paper, {} epoch 50 (official) |", p.label())).unwrap_or_default();
    md += &format!("| variant | official probe | stable probe | n |{paper_head} intra/inter | clean-occluded/inter |\n");
    md += &format!("|---|---|---|---|{}---|---|\n", if paper.is_some() { "---|" } else { "" });
    let mut csv = String::from(
        "variant,n,official_mean,official_sem,stable_mean,stable_sem,paper_mean,paper_sem,intra_inter_mean,intra_inter_sem,occluded_inter_mean,occluded_inter_sem\n",
    );
    let num = |ms: Option<(f64, Option<f64>)>| match ms {
        None => ",".to_string(),
        Some((m, s)) => format!("{m:.4},{}", s.map(|s| format!("{s:.4}")).unwrap_or_default()),
    };
    for &v in &variants {
        let n = done.iter().filter(|(c, _)| c.variant == v).count();
        let official = per_variant(&done, v, |r| last(&r.official));
        let stable = per_variant(&done, v, |r| last(&r.stable));
        let ii = per_variant(&done, v, |r| r.intra_inter);
        let oi = per_variant(&done, v, |r| r.occluded_inter);
        let reported = paper.map(|p| probe_at_epoch_50(p, v)).map(|(m, s)| (m as f64, Some(s as f64)));
        let paper_cell = paper.map(|_| format!(" {} |", show(reported, 2))).unwrap_or_default();
        md += &format!(
            "| {} | {} | {} | {n} |{paper_cell} {} | {} |\n",
            v.label(),
            show(official, 2),
            show(stable, 2),
            show(ii, 3),
            show(oi, 3)
        );
        csv += &format!("{},{n},{},{},{},{},{}\n", v.name(), num(official), num(stable), num(reported), num(ii), num(oi));
    }
    if missing.is_empty() {
        md += &format!("\nAll {} cells complete.\n", cells.len());
    } else {
        md += &format!(
            "\n**Missing or incomplete ({} of {} cells)**, left out of the numbers above: {}.\n",
            missing.len(),
            cells.len(),
            missing.join("; ")
        );
    }
    md += "\nPlots: `curves.png` (official probe per epoch, mean with SEM band; Fig. 4), `curves-stable.png` (the stable probe), \
           `occlusion.png` (official probe under tile-4 occlusion after the last epoch; Fig. 5).\n";
    write(&out.join("table.md"), &md)?;
    write(&out.join("table.csv"), &csv)?;

    // Plots.
    let series = |probe: Probe| {
        let epochs = move |r: &Results| probe(r).iter().map(|(&e, &v)| (e as f64, v)).collect();
        variants.iter().map(|&v| curve(&done, v, epochs)).collect::<Vec<_>>()
    };
    // Short in a title: the paper's name for its datasets, else the kind of data ("mnist", "idx"…).
    let short = paper.map(|p| p.label().to_string()).unwrap_or_else(|| dataset.split(':').next().unwrap_or_default().to_string());
    let title = |what: &str| format!("{what} — {short}, mean ± SEM over seeds");
    let probes: [(&str, &str, Probe); 2] = [("curves.png", "Official", |r| &r.official), ("curves-stable.png", "Stable", |r| &r.stable)];
    for (file, which, probe) in probes {
        let title = title(&format!("{which} linear probe per epoch"));
        pictures::line_plot(&out.join(file), &title, "epoch", "test accuracy (%)", 0.0..100.0, &series(probe))?;
    }
    let occlusion: Vec<Series> = variants.iter().map(|&v| curve(&done, v, |r| r.occlusion.clone())).collect();
    pictures::line_plot(
        &out.join("occlusion.png"),
        &title("Robustness to occlusion (tile 4), official probe"),
        "occluded tiles (%)",
        "test accuracy (%)",
        0.0..100.0,
        &occlusion,
    )?;
    print!("{md}");
    eprintln!("wrote table.md, table.csv, curves.png, curves-stable.png, occlusion.png to {}", out.display());
    Ok(())
}

fn write(path: &Path, s: &str) -> Result<(), Error> {
    std::fs::write(path, s).map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}
