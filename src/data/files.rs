//! Loading datasets from the file system (native only; the browser reads files the user picks).

use super::source::DatasetSpec;
use super::{Dataset, ImageSet, bundle, cifar, digit_classes, idx, svhn};
use crate::Error;
use std::path::{Path, PathBuf};

/// The bundled subsets, compiled into native binaries.
pub mod bundled {
    pub const MNIST: &[u8] = include_bytes!("../../static/data/mnist.padb");
    pub const FASHION: &[u8] = include_bytes!("../../static/data/fashion.padb");
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    if meta.len() > 4 << 30 {
        return Err(Error::Data(format!("{}: file of {} bytes is too large", path.display(), meta.len())));
    }
    std::fs::read(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))
}

fn name(path: &Path) -> String {
    path.display().to_string()
}

/// Files of `dir` whose name satisfies `pred`, sorted.
fn files(dir: &Path, pred: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>, Error> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("cannot list {}", dir.display()), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&pred))
        .collect();
    v.sort();
    Ok(v)
}

fn first_existing(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// The test split: the file the user named, else the one found next to the training data, else none.
fn test_split(
    named: Option<&Path>,
    found: Option<PathBuf>,
    channels: usize,
    parse: impl Fn(&Path) -> Result<ImageSet, Error>,
) -> Result<ImageSet, Error> {
    match named.map(Path::to_path_buf).or(found) {
        Some(p) => parse(&p),
        None => Ok(ImageSet { channels, ..Default::default() }),
    }
}

fn load_cifar(path: &Path, test: Option<&Path>) -> Result<Dataset, Error> {
    let parse = |p: &Path| cifar::parse(&name(p), &read(p)?);
    let (train, test_file) = if path.is_dir() {
        let batches = files(path, |n| n.starts_with("data_batch") && n.ends_with(".bin"))?;
        if batches.is_empty() {
            return Err(Error::Data(format!("{}: no data_batch_*.bin files (CIFAR-10 binary version)", path.display())));
        }
        let sets = batches.iter().map(|p| parse(p)).collect::<Result<Vec<_>, _>>()?;
        (cifar::concat(sets), first_existing(path, &["test_batch.bin"]))
    } else {
        (parse(path)?, None)
    };
    let test = test_split(test, test_file, 3, parse)?;
    Ok(Dataset { name: "CIFAR-10".into(), classes: cifar::classes(), train, test })
}

fn load_svhn(path: &Path, test: Option<&Path>) -> Result<Dataset, Error> {
    let parse = |p: &Path| svhn::parse(&name(p), &read(p)?);
    let (train_file, test_file) = if path.is_dir() {
        let train =
            first_existing(path, &["train_32x32.mat"]).ok_or_else(|| Error::Data(format!("{}: no train_32x32.mat", path.display())))?;
        (train, first_existing(path, &["test_32x32.mat"]))
    } else {
        (path.to_path_buf(), None)
    };
    let train = parse(&train_file)?;
    let test = test_split(test, test_file, 3, parse)?;
    Ok(Dataset { name: "SVHN".into(), classes: digit_classes(), train, test })
}

/// The labels file that goes with an IDX images file, by the MNIST naming convention.
fn idx_labels_for(images: &Path) -> Option<PathBuf> {
    let n = images.file_name()?.to_str()?;
    let l = n.replace("images-idx3", "labels-idx1").replace("images.idx3", "labels.idx1");
    (l != n).then(|| images.with_file_name(l)).filter(|p| p.is_file())
}

fn load_idx_pair(images: &Path) -> Result<ImageSet, Error> {
    let labels = idx_labels_for(images).ok_or_else(|| {
        Error::Data(format!("{}: cannot find its labels file (expected …labels-idx1-ubyte next to it)", images.display()))
    })?;
    idx::images_and_labels(&name(images), &read(images)?, &name(&labels), &read(&labels)?)
}

fn load_idx(path: &Path, test: Option<&Path>) -> Result<Dataset, Error> {
    let (train_images, test_images) = if path.is_dir() {
        let t = first_existing(path, &["train-images-idx3-ubyte", "train-images-idx3-ubyte.gz", "train-images.idx3-ubyte"])
            .ok_or_else(|| Error::Data(format!("{}: no train-images-idx3-ubyte[.gz]", path.display())))?;
        (t, first_existing(path, &["t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz", "t10k-images.idx3-ubyte"]))
    } else {
        (path.to_path_buf(), None)
    };
    let train = load_idx_pair(&train_images)?;
    let test = test_split(test, test_images, 1, load_idx_pair)?;
    Ok(Dataset { name: "IDX".into(), classes: digit_classes(), train, test })
}

impl DatasetSpec {
    /// Load the dataset; `test` overrides where the test split comes from.
    pub fn load(&self, test: Option<&Path>) -> Result<Dataset, Error> {
        let ds = match self {
            DatasetSpec::Mnist => bundle::decode("bundled MNIST", bundled::MNIST)?,
            DatasetSpec::Fashion => bundle::decode("bundled Fashion-MNIST", bundled::FASHION)?,
            DatasetSpec::Cifar10(p) => load_cifar(p, test)?,
            DatasetSpec::Svhn(p) => load_svhn(p, test)?,
            DatasetSpec::Idx(p) => load_idx(p, test)?,
            DatasetSpec::Bundle(p) => bundle::decode(&name(p), &read(p)?)?,
        };
        ds.validate()?;
        Ok(ds)
    }
}
