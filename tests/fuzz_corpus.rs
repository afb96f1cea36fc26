//! The fuzz targets (fuzz/targets.rs) on stable Rust: every input of each target's committed
//! corpus — the seeds (valid samples) and what `cargo fuzz` found and minimised — and every input
//! that once crashed a target (fuzz/regressions/). Long fuzz runs need nightly and are recorded in
//! RELIABILITY.md; this replay is what CI runs.

#[path = "../fuzz/checkpoint_target.rs"]
mod checkpoint_target;
mod common;
#[path = "../fuzz/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect()).unwrap_or_default();
    files.retain(|p| p.is_file());
    files.sort();
    files
}

/// Run `target` on its corpus and regressions; returns how many inputs ran.
fn replay(target: &str, run: fn(&[u8])) -> usize {
    let corpus = inputs(&fuzz_dir().join("corpus").join(target));
    assert!(!corpus.is_empty(), "fuzz/corpus/{target} holds no seeds");
    let all: Vec<PathBuf> = corpus.into_iter().chain(inputs(&fuzz_dir().join("regressions").join(target))).collect();
    for path in &all {
        let bytes = std::fs::read(path).unwrap();
        if let Err(panic) = std::panic::catch_unwind(|| run(&bytes)) {
            std::panic::resume_unwind(Box::new(format!("{target} panics on {}: {panic:?}", path.display())));
        }
    }
    all.len()
}

#[test]
fn idx_corpus() {
    replay("idx", targets::idx);
}

#[test]
fn cifar_corpus() {
    replay("cifar", targets::cifar);
}

#[test]
fn svhn_corpus() {
    replay("svhn", targets::svhn);
}

#[test]
fn bundle_corpus() {
    replay("bundle", targets::bundle);
}

#[test]
fn upload_corpus() {
    replay("upload", targets::upload);
}

#[test]
fn url_corpus() {
    replay("url", targets::url);
}

#[test]
fn checkpoint_corpus() {
    replay("checkpoint", checkpoint_target::checkpoint);
}

/// Writes the seed corpora (valid samples of every format) into fuzz/corpus/<target>/seed-*:
/// `cargo test --release --test fuzz_corpus -- --ignored write_seeds`.
#[test]
#[ignore]
fn write_seeds() {
    use pad::data::bundle::{BundleHeader, RawSplit, encode};
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
    };
    use common::{cifar_records, gzip, idx_bytes};
    let idx = |dims: &[u32], data: &[u8]| idx_bytes(8, dims, data);
    let two = |a: &[u8], b: &[u8]| [&(a.len() as u16).to_le_bytes()[..], a, b].concat();
    // IDX: two 8×8 images and their labels, raw and gzip.
    let images = idx(&[2, 8, 8], &(0..128u8).collect::<Vec<_>>());
    let labels = idx(&[2], &[3, 7]);
    write("idx", "images-labels", &two(&images, &labels));
    write("idx", "gzip-images-labels", &two(&gzip(&images), &gzip(&labels)));
    write("idx", "labels", &labels);
    // CIFAR-10: two records.
    write("cifar", "two-records", &cifar_records(&[1, 9]));
    // SVHN: the scipy-written fixture (plain and compressed elements).
    write("svhn", "tiny", &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/svhn_tiny.mat")).unwrap());
    // Bundle: two training and one test image of 8×8.
    let header = BundleHeader {
        name: "seed".into(),
        classes: vec!["a".into(), "b".into()],
        channels: 1,
        height: 8,
        width: 8,
        train: 2,
        test: 1,
        source: "fuzz seed".into(),
        licence: "MIT".into(),
    };
    let split = |n: usize| RawSplit { pixels: vec![128; n * 64], labels: (0..n as u8).map(|i| i % 2).collect() };
    let padb = encode(&header, &split(2), &split(1)).unwrap();
    write("bundle", "small", &padb);
    // Uploads: IDX pair, CIFAR train + test, a bundle alone.
    write("upload", "idx-pair", &[&[0x10][..], &two(&images, &labels)].concat());
    write("upload", "cifar-train-test", &[&[0x54][..], &two(&cifar_records(&[2]), &cifar_records(&[5]))].concat());
    write("upload", "bundle", &[&[0x88][..], &two(&padb, &[])].concat());
    // URL parameters.
    for (name, q) in [
        (
            "all",
            "?dataset=fashion&variant=no-rem&epochs=3&batch=16&lr=1e-3&seed=7&images=512&probe=0&device=cpu&view=dreams&embed=1&autostart=1&pretrained=0",
        ),
        ("bad", "embed=maybe&view=nope&lr=abc&dataset=imagenet&batch=1&images=2&x=%FF%FE"),
        ("empty", ""),
    ] {
        write("url", name, q.as_bytes());
    }
    // Checkpoints: a real header with a few small tensors (f32 and f16) and Adam scalars; the full
    // model's 40 MB would not fit a fuzz input.
    let trainer = pad::train::Trainer::new(pad::train::TrainConfig::default(), 1, &burn::tensor::Device::flex()).unwrap();
    let full = pad::readback::block_on(pad::train::checkpoint::to_bytes(&trainer, "MNIST", &[], &[])).unwrap();
    let half = pad::train::checkpoint::weights_only_half(&full).unwrap();
    for (name, bytes) in [("f32", &full), ("f16", &half)] {
        let reader = burn_pack::Reader::from_bytes(burn_pack::Bytes::from_bytes_vec(bytes.clone())).unwrap();
        let (meta, scalars) = (reader.metadata().clone(), reader.scalars().clone());
        let small: Vec<_> =
            reader.into_tensors().unwrap().into_iter().filter(|t| t.shape.iter().product::<usize>() <= 64).take(3).collect();
        let mut w = burn_pack::Writer::new(small);
        for (k, v) in &meta {
            w = w.with_metadata(k, v);
        }
        for (k, v) in scalars {
            w = w.with_scalar(&k, v);
        }
        write("checkpoint", name, &w.into_bytes().unwrap());
    }
}
