//! Reproducing the paper's table: `pad sweep` (cells, resumption, one cell for a Slurm array task,
//! the Slurm script run without Slurm), `pad table` (mean ± SEM on crafted metrics), and the
//! official code's phase weights as `pad train` flags. Tiny runs on the bundled MNIST.

use std::path::Path;
use std::process::{Command, Output};

fn pad(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pad")).args(args).output().expect("pad runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `pad sweep` on a tiny setting (64 images, batch 32, no probes, no evaluation) plus `extra`.
fn sweep(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["sweep", "--dataset", "mnist", "--train-limit", "64", "--batch", "32", "--probe-every", "0", "--no-eval"];
    args.extend(["--out", out.to_str().unwrap()]);
    args.extend_from_slice(extra);
    pad(&args)
}

/// Epochs done by a cell, from its checkpoint's metrics (0: not started).
fn epochs(cell: &Path) -> usize {
    std::fs::read_to_string(cell.join("metrics.csv")).map_or(0, |s| s.lines().count().saturating_sub(1))
}

#[test]
fn a_sweep_runs_every_cell_resumes_interrupted_ones_and_skips_finished_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("grid");
    let grid = ["--variants", "pad,wake-only", "--seeds", "0..2"];
    let o = sweep(&out, &[&grid[..], &["--epochs", "1", "--jobs", "2"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).lines().filter(|l| l.starts_with("done: ")).count(),
        4,
        "a line per finished cell, also without a terminal: {}",
        stderr(&o)
    );
    for cell in ["pad/seed0", "pad/seed1", "wake-only/seed0", "wake-only/seed1"] {
        assert_eq!(epochs(&out.join(cell)), 1, "{cell}");
    }
    assert!(out.join("sweep.json").is_file());
    // An interrupted cell (here: one asked for more epochs) resumes from its checkpoint.
    let before = std::fs::metadata(out.join("pad/seed0/checkpoint.padckpt")).unwrap().modified().unwrap();
    let o = sweep(&out, &[&grid[..], &["--epochs", "2"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("0 done, 4 to run"), "{}", stderr(&o));
    for cell in ["pad/seed0", "pad/seed1", "wake-only/seed0", "wake-only/seed1"] {
        assert_eq!(epochs(&out.join(cell)), 2, "{cell}: epoch 1 kept, epoch 2 added");
        let log = std::fs::read_to_string(out.join(cell).join("sweep.log")).unwrap();
        assert!(log.contains("resuming"), "{cell}: {log}");
    }
    // Finished cells are skipped: nothing is written again.
    let after = std::fs::metadata(out.join("pad/seed0/checkpoint.padckpt")).unwrap().modified().unwrap();
    assert!(after > before);
    let o = sweep(&out, &[&grid[..], &["--epochs", "2"]].concat());
    assert!(o.status.success() && stderr(&o).contains("4 done, 0 to run"), "{}", stderr(&o));
    assert_eq!(std::fs::metadata(out.join("pad/seed0/checkpoint.padckpt")).unwrap().modified().unwrap(), after);
}

#[test]
fn cell_i_runs_exactly_cell_i_variants_first_then_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("grid");
    let grid = ["--variants", "pad,no-rem", "--seeds", "0..2", "--epochs", "1"];
    // Cells: 0 pad seed0, 1 pad seed1, 2 no-rem seed0, 3 no-rem seed1.
    let o = sweep(&out, &[&grid[..], &["--cell", "2"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("cell 2 of 4"), "{}", stderr(&o));
    assert_eq!(epochs(&out.join("no-rem/seed0")), 1);
    assert!(!out.join("pad").exists() && !out.join("no-rem/seed1").exists(), "no other cell ran");
    let o = sweep(&out, &[&grid[..], &["--cell", "4"]].concat());
    assert!(!o.status.success() && stderr(&o).contains("this sweep has 4 cells (0 to 3)"), "{}", stderr(&o));
}

#[test]
fn the_slurm_script_is_one_array_task_per_cell_and_runs_without_slurm() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("grid");
    let grid = ["--variants", "pad,no-rem", "--seeds", "0..2", "--epochs", "1"];
    let resources = ["--emit", "slurm", "--slurm-gpus", "1", "--slurm-partition", "gpu", "--slurm-time", "02:00:00", "--device", "cpu"];
    let o = sweep(&out, &[&grid[..], &resources].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out.join("pad").exists(), "emitting runs nothing");
    let script = std::fs::read_to_string(out.join("sweep.sbatch")).unwrap();
    for line in [
        "#!/bin/bash",
        "#SBATCH --array=0-3",
        "#SBATCH --time=02:00:00",
        "#SBATCH --cpus-per-task=8",
        "#SBATCH --gres=gpu:1",
        "#SBATCH --partition=gpu",
        "/slurm/%A_%a.log",
        "sweep --cell \"$SLURM_ARRAY_TASK_ID\" --dataset mnist --variants pad,no-rem --seeds 0,1 --epochs 1",
        "--train-limit 64",
        "--no-eval",
    ] {
        assert!(script.contains(line), "missing {line:?} in:\n{script}");
    }
    assert!(out.join("slurm").is_dir(), "Slurm does not create its log folder");
    // What a Slurm array task does, without Slurm: task 3 trains cell 3 and nothing else.
    let o = Command::new("bash")
        .arg(out.join("sweep.sbatch"))
        .env("SLURM_ARRAY_TASK_ID", "3")
        .env("PAD", env!("CARGO_BIN_EXE_pad"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(epochs(&out.join("no-rem/seed1")), 1);
    assert!(!out.join("pad").exists() && !out.join("no-rem/seed0").exists());
}

/// A cell's metrics.csv with (official, stable) probe accuracies per epoch from 1.
fn metrics(cell: &Path, probes: &[(f32, f32)]) {
    std::fs::create_dir_all(cell).unwrap();
    let mut s = String::from("epoch,iterations,L_img,L_KL,L_real,L_NREM,L_fake,probe_official,probe_official_all,probe_stable,seconds\n");
    for (i, (o, st)) in probes.iter().enumerate() {
        s += &format!("{},10,0.1,0.1,0.1,0.1,0.1,{o},{o},{st},1.0\n", i + 1);
    }
    std::fs::write(cell.join("metrics.csv"), s).unwrap();
}

fn eval(cell: &Path, intra_inter: f32, curve: &[(f32, f32)]) {
    std::fs::create_dir_all(cell.join("eval")).unwrap();
    let latent = format!("metric,value\nintra,1\ninter,2\nclean_occluded,1\nintra_inter_ratio,{intra_inter}\noccluded_inter_ratio,0.5\n");
    std::fs::write(cell.join("eval/latent.csv"), latent).unwrap();
    let mut occ = String::from("occlusion,official_accuracy,official_per_batch,stable_accuracy\n");
    for (level, acc) in curve {
        occ += &format!("{level},{acc},{acc},{acc}\n");
    }
    std::fs::write(cell.join("eval/occlusion.csv"), occ).unwrap();
}

#[test]
fn the_table_gives_mean_and_standard_error_over_seeds_and_names_missing_cells() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    // PAD: three complete seeds, official 40, 42, 44 % at epoch 2 → 42.00 ± 2/√3 = 1.15; stable 50 % each.
    for (k, last) in [(0, 0.40), (1, 0.42), (2, 0.44)] {
        let cell = out.join(format!("pad/seed{k}"));
        metrics(&cell, &[(0.2, 0.5), (last, 0.5)]);
        eval(&cell, 0.8 + 0.1 * k as f32, &[(0.0, last), (0.5, 0.2)]);
    }
    // Wake only: one complete seed, one stopped after epoch 1, one never started.
    metrics(&out.join("wake-only/seed0"), &[(0.2, 0.3), (0.3, 0.35)]);
    metrics(&out.join("wake-only/seed1"), &[(0.2, 0.3)]);
    std::fs::create_dir_all(out.join("wake-only/seed2")).unwrap();
    let cells: Vec<_> = (0..6)
        .map(|i| {
            let (v, k) = (["pad", "wake-only"][i / 3], i % 3);
            serde_json::json!({ "index": i, "variant": v, "seed": k, "dir": format!("{v}/seed{k}") })
        })
        .collect();
    let manifest = serde_json::json!({
        "dataset": "cifar10:/data/cifar-10-batches-bin",
        "epochs": 2,
        "variants": ["pad", "wake-only"],
        "seeds": [0, 1, 2],
        "train": { "batch": null, "lr": null, "train_limit": null, "probe_every": null, "step_semantics": null, "no_eval": false, "eval_samples": null },
        "cells": cells,
    });
    std::fs::write(out.join("sweep.json"), manifest.to_string()).unwrap();
    let o = pad(&["table", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let md = std::fs::read_to_string(out.join("table.md")).unwrap();
    assert!(md.contains("| PAD | 42.00 ± 1.15 | 50.00 ± 0.00 | 3 | 58.25 ± 0.70 | 0.900 ± 0.058 | 0.500 ± 0.000 |"), "{md}");
    assert!(md.contains("| Wake only | 30.00 | 35.00 | 1 | 42.25 ± 0.54 |"), "one seed: no SEM\n{md}");
    assert!(md.contains("wake-only seed 1 (1 of 2 epochs)") && md.contains("wake-only seed 2 (not started"), "{md}");
    assert!(md.contains("wake-only seed 0 (trained; no evaluation"), "{md}");
    let csv = std::fs::read_to_string(out.join("table.csv")).unwrap();
    assert!(csv.lines().any(|l| l.starts_with("pad,3,42.0000,1.1547,50.0000,0.0000,58.2500,0.7000,0.9000,0.0577,")), "{csv}");
    for plot in ["curves.png", "curves-stable.png", "occlusion.png"] {
        assert!(std::fs::metadata(out.join(plot)).unwrap().len() > 1000, "{plot}");
    }
    // Not a sweep: a clear message.
    let empty = tempfile::tempdir().unwrap();
    let o = pad(&["table", empty.path().to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("holds no sweep"), "{}", stderr(&o));
}

#[test]
fn the_official_phase_weights_are_flags_and_a_run_keeps_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let o = out.to_str().unwrap();
    let base = ["train", "--dataset", "mnist", "--train-limit", "64", "--batch", "32", "--epochs", "1", "--probe-every", "0", "--out", o];
    // The official README's "w/o REM": W 1, N 1, R 0, ε 0 (the preset has N 0.5 and ε 0.5).
    let r = pad(&[&base[..], &["--variant", "no-rem", "--w", "1", "--n", "1", "--r", "0", "--epsilon", "0"]].concat());
    assert!(r.status.success(), "{}", stderr(&r));
    assert!(stderr(&r).contains("w/o REM, W 1 N 1 R 0 ε 0"), "{}", stderr(&r));
    // Resuming keeps the run's weights; other weights are refused.
    let more = [
        "train",
        "--dataset",
        "mnist",
        "--train-limit",
        "64",
        "--batch",
        "32",
        "--epochs",
        "2",
        "--probe-every",
        "0",
        "--out",
        o,
        "--resume",
    ];
    let r = pad(&more);
    assert!(r.status.success() && stderr(&r).contains("resuming w/o REM, W 1 N 1 R 0 ε 0"), "{}", stderr(&r));
    let r = pad(&[&more[..], &["--n", "0.5"]].concat());
    assert!(!r.status.success() && stderr(&r).contains("cannot change a run"), "{}", stderr(&r));
    // The page's knobs' messages and ranges (one settings table).
    for (bad, says) in
        [(["--w", "-1"], "W must be"), (["--epsilon", "NaN"], "ε must be"), (["--r", "lots"], "R must be"), (["--n", "101"], "N must be")]
    {
        let r = pad(&[&base[..], &bad[..]].concat());
        assert!(!r.status.success() && stderr(&r).contains(&format!("{says} a number from 0 to 100")), "{bad:?}: {}", stderr(&r));
    }
    let r = pad(&[&base[..], &["--mix", "maybe"]].concat());
    assert!(!r.status.success() && stderr(&r).contains("mix must be 1 (on) or 0 (off)"), "{}", stderr(&r));
}
