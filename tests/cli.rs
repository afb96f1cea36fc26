//! The `pad` binary end to end: a tiny training run, resume, evaluation, and clear errors.

use std::path::Path;
use std::process::{Command, Output};

fn pad(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pad")).args(args).output().expect("pad runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `pad train` on a tiny bundled-MNIST setting; `extra` flags replace the defaults they name.
fn train(out: &Path, extra: &[&str]) -> Output {
    let o = out.to_str().unwrap();
    let defaults = [("--dataset", "mnist"), ("--train-limit", "128"), ("--batch", "32"), ("--epochs", "1"), ("--out", o)];
    let mut args = vec!["train"];
    for (flag, value) in defaults {
        if !extra.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    args.extend_from_slice(extra);
    pad(&args)
}

#[test]
fn train_resume_and_eval_write_their_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let o = train(&out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "metrics.csv",
        "checkpoint.padckpt",
        "grids/epoch_001_input.png",
        "grids/epoch_001_reconstruction.png",
        "grids/epoch_001_nrem.png",
        "grids/epoch_001_rem.png",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(csv.starts_with("epoch,iterations,L_img,L_KL,L_real,L_NREM,L_fake,probe_official,probe_official_all,probe_stable"));
    assert_eq!(csv.lines().count(), 3, "header, epoch 0 (untrained probes), epoch 1");
    assert!(csv.lines().nth(1).unwrap().starts_with("0,0,,,,,,"));

    // Without --resume an existing checkpoint is never overwritten.
    let o = train(&out, &[]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--resume"), "{}", stderr(&o));

    // --resume continues to epoch 2 and keeps the history.
    let o = train(&out, &["--resume", "--epochs", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4);
    assert!(csv.lines().nth(3).unwrap().starts_with("2,4,"));

    let eval = dir.path().join("eval");
    let ck = out.join("checkpoint.padckpt");
    let o = pad(&[
        "eval",
        "--checkpoint",
        ck.to_str().unwrap(),
        "--dataset",
        "mnist",
        "--train-limit",
        "256",
        "--samples",
        "20",
        "--out",
        eval.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let curve = std::fs::read_to_string(eval.join("occlusion.csv")).unwrap();
    assert_eq!(curve.lines().count(), 12, "header + 11 occlusion levels");
    for f in ["occlusion.png", "latent.csv", "pca.csv", "pca.png"] {
        assert!(eval.join(f).is_file(), "missing {f}");
    }
}

#[test]
fn bad_input_gives_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--batch", "1"], "at least 2"),
        (vec!["--train-limit", "10"], "fewer than one batch"),
        (vec!["--lr", "NaN"], "learning rate"),
        (vec!["--lr", "1000"], "a loss is NaN or infinite; the last checkpoint in"),
        (vec!["--variant", "dreamless"], "unknown variant"),
        (vec!["--dataset", "cifar10:/nonexistent"], "/nonexistent"),
        (vec!["--dataset", "svhn"], "needs a path"),
        (vec!["--resume"], "--resume: cannot read"),
    ];
    for (extra, expect) in cases {
        let o = train(&out, &extra);
        assert!(!o.status.success(), "{extra:?} must fail");
        assert!(stderr(&o).contains(expect), "{extra:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{extra:?} panicked: {}", stderr(&o));
    }
    // A corrupt checkpoint is refused, not half-read.
    let bad = dir.path().join("bad.padckpt");
    std::fs::write(&bad, b"garbage").unwrap();
    let o = pad(&["eval", "--checkpoint", bad.to_str().unwrap(), "--out", dir.path().join("e").to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("not a PAD checkpoint"), "{}", stderr(&o));
    // A truncated CIFAR-10 file.
    let cifar = dir.path().join("data_batch_1.bin");
    std::fs::write(&cifar, vec![0u8; 3073 * 2 + 10]).unwrap();
    let arg = format!("cifar10:{}", cifar.display());
    let o = pad(&["train", "--dataset", &arg, "--out", out.to_str().unwrap()]);
    assert!(stderr(&o).contains("not a whole number of 3073-byte CIFAR-10 records"), "{}", stderr(&o));
}

/// `pad reference` records what the PyTorch cross-check compares: initial weights, each
/// iteration's batch and random draws, and the losses and weights after it, for both step
/// semantics; the two files share inputs and differ in the updates.
#[test]
fn reference_records_iterations_for_the_pytorch_cross_check() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = pad(&["reference", "--out", out, "--variant", "no-nrem", "--batch", "2", "--channels", "1", "--iterations", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
    let (zero, skip) = (read("no-nrem-zero-filled.safetensors"), read("no-nrem-skip-missing.safetensors"));
    let (_, header) = safetensors::SafeTensors::read_metadata(&zero).unwrap();
    let meta: serde_json::Value = serde_json::from_str(&header.metadata().as_ref().unwrap()["pad"]).unwrap();
    assert_eq!((meta["step_semantics"].as_str(), meta["iterations"].as_u64()), (Some("zero-filled"), Some(2)));
    let (zero, skip) = (safetensors::SafeTensors::deserialize(&zero).unwrap(), safetensors::SafeTensors::deserialize(&skip).unwrap());
    let shape = |t: &safetensors::SafeTensors, n: &str| t.tensor(n).unwrap().shape().to_vec();
    assert_eq!(shape(&zero, "init.encoder.conv1.weight"), vec![64, 1, 4, 4]);
    assert_eq!(shape(&zero, "init.generator.tconv1.weight"), vec![256, 256, 4, 4], "(in, out, k, k) as PyTorch");
    assert_eq!(shape(&zero, "it1.x"), vec![2, 1, 32, 32]);
    assert_eq!(shape(&zero, "it1.keep_mask"), vec![32, 32]);
    assert_eq!(shape(&zero, "it1.rem_noise"), vec![2, 256]);
    assert_eq!(shape(&zero, "it1.losses"), vec![5]);
    assert!(zero.tensor("it0.wake_noise").is_err(), "no-nrem has no wake noise");
    let data = |t: &safetensors::SafeTensors, n: &str| t.tensor(n).unwrap().data().to_vec();
    assert_eq!(data(&zero, "it1.x"), data(&skip, "it1.x"), "the same inputs for both semantics");
    assert_eq!(data(&zero, "it1.rem_noise"), data(&skip, "it1.rem_noise"));
    // With N = 0 the zero-filled NREM step moves E, the skipping one does not.
    assert_ne!(data(&zero, "it0.encoder.conv1.weight"), data(&skip, "it0.encoder.conv1.weight"));
}

/// Killed mid-run (SIGKILL, no chance to clean up), `pad train` leaves a whole checkpoint — they are
/// written to a temporary file and renamed — and `--resume` finishes the run with every epoch in
/// the metrics once. A corrupt checkpoint is refused by `--resume` and left as it was.
#[test]
fn a_killed_training_resumes_from_its_last_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let o = out.to_str().unwrap();
    const EPOCHS: usize = 30;
    let epochs = EPOCHS.to_string();
    let args =
        ["train", "--dataset", "mnist", "--train-limit", "64", "--batch", "32", "--epochs", &epochs, "--probe-every", "0", "--out", o];
    /// Kills the child on every path, a failed assertion included.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Killed(Command::new(env!("CARGO_BIN_EXE_pad")).args(args).stderr(std::process::Stdio::null()).spawn().unwrap());
    let ck = out.join("checkpoint.padckpt");
    let started = std::time::Instant::now();
    while !ck.is_file() {
        assert!(started.elapsed().as_secs() < 600, "no checkpoint after 10 minutes");
        assert!(child.0.try_wait().unwrap().is_none(), "pad train ended early");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(300)); // somewhere in a later epoch, or a write
    drop(child);
    let header = pad::train::checkpoint::read_header(&std::fs::read(&ck).unwrap()).expect("a whole checkpoint after the kill");
    assert!((1..EPOCHS).contains(&header.epoch), "killed after epoch {}", header.epoch);

    let done = pad(&[&args[..], &["--resume"]].concat());
    assert!(done.status.success(), "{}", stderr(&done));
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let rows: Vec<usize> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
    assert_eq!(rows, (1..=EPOCHS).collect::<Vec<_>>(), "every epoch once (no probes: no epoch 0 row)");
    assert_eq!(pad::train::checkpoint::read_header(&std::fs::read(&ck).unwrap()).unwrap().epoch, EPOCHS);

    let corrupt = b"PAD checkpoint, but not really".to_vec();
    std::fs::write(&ck, &corrupt).unwrap();
    let o = pad(&[&args[..], &["--resume"]].concat());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not a PAD checkpoint"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&ck).unwrap(), corrupt, "the refused file is left as it was");
}
