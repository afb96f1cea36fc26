//! The fuzz targets' bodies: each hands outside bytes to one parser and checks its answer — an
//! error with a message, or a value consistent with the input. A panic, a hang or an allocation
//! beyond libFuzzer's limit is a finding. Shared by `cargo fuzz` (fuzz/fuzz_targets/) and by the
//! stable replay of the committed corpora (tests/fuzz_corpus.rs).
#![allow(dead_code)] // each fuzz binary uses one target

use pad::data::upload::{NamedFile, dataset_from_files};
use pad::data::{Dataset, ImageSet, SIDE, bundle, cifar, idx, svhn};
use pad::session::url::PageParams;

/// An error must say something.
fn said(e: pad::Error) {
    assert!(!e.to_string().trim().is_empty(), "an error without a message");
}

/// What every reader promises of the images it returns: 32×32 images of 1 or 3 channels, one
/// label each, at least one image.
fn check_set(set: &ImageSet) {
    assert!(set.channels == 1 || set.channels == 3, "{} channels", set.channels);
    assert!(!set.labels.is_empty());
    assert_eq!(set.pixels.len(), set.labels.len() * set.channels * SIDE * SIDE);
}

fn check_dataset(ds: &Dataset) {
    ds.validate().expect("a dataset a reader returned is valid");
    check_set(&ds.train);
    if !ds.test.is_empty() {
        check_set(&ds.test);
    }
    assert!(ds.classes.len() <= 256);
}

/// Splits an input into two files: the first two bytes say where.
fn halves(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (head, rest) = data.split_at_checked(2)?;
    let cut = (u16::from_le_bytes([head[0], head[1]]) as usize).min(rest.len());
    Some(rest.split_at(cut))
}

/// IDX (raw or gzip): one array, then images + labels from the two halves.
pub fn idx(data: &[u8]) {
    match idx::parse("fuzz.idx", data) {
        Ok(a) => assert_eq!(a.dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d)), Some(a.data.len())),
        Err(e) => said(e),
    }
    if let Some((images, labels)) = halves(data) {
        match idx::images_and_labels("images", images, "labels", labels) {
            Ok(set) => check_set(&set),
            Err(e) => said(e),
        }
    }
}

/// A CIFAR-10 binary batch.
pub fn cifar(data: &[u8]) {
    match cifar::parse("fuzz.bin", data) {
        Ok(set) => {
            check_set(&set);
            assert_eq!(set.len() * cifar::RECORD, data.len());
            assert_eq!(set.channels, 3);
        }
        Err(e) => said(e),
    }
}

/// An SVHN MAT v5 file (plain and zlib-compressed elements).
pub fn svhn(data: &[u8]) {
    if let Err(e) = svhn::parse_mat("fuzz.mat", data) {
        said(e);
    }
    match svhn::parse("fuzz.mat", data) {
        Ok(set) => {
            check_set(&set);
            assert!(set.labels.iter().all(|&l| l < 10));
        }
        Err(e) => said(e),
    }
}

/// The project's bundle format.
pub fn bundle(data: &[u8]) {
    if let Err(e) = bundle::header("fuzz.padb", data) {
        said(e);
    }
    match bundle::decode("fuzz.padb", data) {
        Ok(ds) => check_dataset(&ds),
        Err(e) => said(e),
    }
}

/// File names the page's picker might hand over, chosen by the input's first byte.
const NAMES: [&str; 10] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "data_batch_1.bin",
    "test_batch.bin",
    "train_32x32.mat",
    "test_32x32.mat",
    "mnist.padb",
    "batches.meta.txt",
];

/// The page's uploads: two files, named from the input, recognised by content.
pub fn upload(data: &[u8]) {
    let Some((&names, rest)) = data.split_first() else { return };
    let Some((a, b)) = halves(rest) else { return };
    let name = |k: u8| NAMES[k as usize % NAMES.len()];
    let files = [NamedFile::new(name(names & 0x0f), a.to_vec()), NamedFile::new(name(names >> 4), b.to_vec())];
    for given in [&files[..1], &files[..]] {
        match dataset_from_files(given) {
            Ok(ds) => check_dataset(&ds),
            Err(e) => said(e),
        }
    }
}

/// URL parameters: whatever the address holds, the page gets settings that work, every note is
/// short, and the share link built from the result reads back to the same page without notes.
pub fn url(data: &[u8]) {
    let query = String::from_utf8_lossy(data);
    let p = PageParams::parse(&query);
    p.form.parse(None).expect("the form a URL gives always works");
    assert!(p.notes.iter().all(|n| n.chars().count() <= 200), "a long note: {:?}", p.notes);
    let again = PageParams::parse(&p.to_query());
    assert_eq!(again.notes, Vec::<String>::new(), "the share link of {query:?}");
    assert_eq!(PageParams { notes: Vec::new(), ..p }, again);
    let _ = again.embed_code("https://example.org/pad/");
}
