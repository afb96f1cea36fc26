//! Datasets from files a user hands over in memory (the page's file picker or drag and drop):
//! each file is recognised by its content, IDX images are paired with their labels, and the split
//! (training or test) comes from the file name, as in the official distributions
//! (`data_batch_1.bin` / `test_batch.bin`, `train_32x32.mat` / `test_32x32.mat`,
//! `train-images-idx3-ubyte` / `t10k-images-idx3-ubyte`).

use super::idx::{self, IdxArray};
use super::{Dataset, ImageSet, bundle, cifar, digit_classes, svhn};
use crate::Error;
pub use crate::shared::files::NamedFile;

/// What a file holds, judged from its bytes.
enum Content {
    Bundle,
    Svhn,
    Idx(IdxArray),
    Cifar,
    /// `batches.meta.txt`: CIFAR-10's class names, one per line.
    ClassNames(Vec<String>),
}

/// The dataset formats a set of files can be in (one per dataset).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Format {
    Bundle,
    Cifar,
    Svhn,
    Idx,
}

impl Format {
    fn label(self) -> &'static str {
        match self {
            Format::Bundle => "PAD bundle",
            Format::Cifar => "CIFAR-10",
            Format::Svhn => "SVHN",
            Format::Idx => "IDX",
        }
    }
}

impl Content {
    fn format(&self) -> Option<Format> {
        match self {
            Content::Bundle => Some(Format::Bundle),
            Content::Svhn => Some(Format::Svhn),
            Content::Idx(_) => Some(Format::Idx),
            Content::Cifar => Some(Format::Cifar),
            Content::ClassNames(_) => None,
        }
    }
}

const FORMATS: &str = "a CIFAR-10 binary batch (.bin), an SVHN *_32x32.mat file, IDX files (MNIST layout) or a PAD bundle (.padb)";

fn recognise(file: &NamedFile) -> Result<Content, Error> {
    let b = &file.bytes;
    if b.is_empty() {
        return Err(Error::Data(format!("{}: the file is empty", file.name)));
    }
    if b.starts_with(b"PADBNDL") {
        return Ok(Content::Bundle);
    }
    if b.starts_with(b"MATLAB") {
        return Ok(Content::Svhn);
    }
    // IDX: two zero bytes, an element type, 1 to 4 dimensions (any element type, so that an IDX file
    // of floats gets the IDX reader's own message).
    let idx_magic = super::is_gzip(b) || (b.len() >= 4 && b[0] == 0 && b[1] == 0 && (1..=4).contains(&b[3]));
    if idx_magic {
        match idx::parse(&file.name, b) {
            Ok(a) => return Ok(Content::Idx(a)),
            // A CIFAR-10 record can start like an IDX header (label 0, pixels 0 and 8).
            Err(_) if b.len().is_multiple_of(cifar::RECORD) => return Ok(Content::Cifar),
            Err(e) => return Err(e),
        }
    }
    if b.len().is_multiple_of(cifar::RECORD) {
        return Ok(Content::Cifar);
    }
    if file.name.ends_with(".txt") && b.len() < 4096 {
        let text = String::from_utf8_lossy(b);
        let names: Vec<String> = text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        if !names.is_empty() {
            return Ok(Content::ClassNames(names));
        }
    }
    Err(Error::Data(format!("{}: not a recognised dataset file; expected {FORMATS}", file.name)))
}

/// Build a dataset from the given files. The training split is required; the test split is
/// optional (without it the linear probe cannot be measured).
pub fn dataset_from_files(files: &[NamedFile]) -> Result<Dataset, Error> {
    if files.is_empty() {
        return Err(Error::Data("no file given".into()));
    }
    let mut parts = Vec::with_capacity(files.len());
    for f in files {
        parts.push((f, recognise(f)?));
    }
    let mut class_names = None;
    parts.retain(|(_, c)| match c {
        Content::ClassNames(n) => {
            class_names = Some(n.clone());
            false
        }
        _ => true,
    });
    let formats: Vec<Format> = parts.iter().filter_map(|(_, c)| c.format()).collect();
    let Some(&format) = formats.first() else {
        return Err(Error::Data("only a class-name list was given; add the image files".into()));
    };
    if let Some(other) = formats.iter().find(|f| **f != format) {
        return Err(Error::Data(format!("the files mix formats ({} and {}); give files of one dataset", format.label(), other.label())));
    }
    let (train, test): (Vec<_>, Vec<_>) = parts.into_iter().partition(|(f, _)| !f.is_test());
    let ds = match format {
        Format::Bundle => {
            let all: Vec<_> = train.iter().chain(&test).collect();
            if all.len() != 1 {
                return Err(Error::Data("a PAD bundle holds both splits: give it alone".into()));
            }
            bundle::decode(&all[0].0.name, &all[0].0.bytes)?
        }
        Format::Cifar => {
            let parse = |set: &[(&NamedFile, Content)]| -> Result<Vec<ImageSet>, Error> {
                set.iter().map(|(f, _)| cifar::parse(&f.name, &f.bytes)).collect()
            };
            let classes = match class_names {
                Some(n) if n.len() == cifar::CLASSES.len() => n,
                _ => cifar::classes(),
            };
            Dataset {
                name: "CIFAR-10".into(),
                classes,
                train: cifar::concat(need_train(parse(&train)?)?),
                test: cifar::concat(parse(&test)?),
            }
        }
        Format::Svhn => {
            let parse = |set: &[(&NamedFile, Content)]| -> Result<Vec<ImageSet>, Error> {
                set.iter().map(|(f, _)| svhn::parse(&f.name, &f.bytes)).collect()
            };
            let train = cifar::concat(need_train(parse(&train)?)?);
            Dataset { name: "SVHN".into(), classes: digit_classes(), train, test: cifar::concat(parse(&test)?) }
        }
        Format::Idx => {
            let train = idx_split("training", train)?.ok_or_else(|| Error::Data(missing_train()))?;
            let test = idx_split("test", test)?.unwrap_or(ImageSet { channels: 1, ..Default::default() });
            Dataset { name: "IDX".into(), classes: digit_classes(), train, test }
        }
    };
    ds.validate()?;
    Ok(ds)
}

fn missing_train() -> String {
    "no training file: names with 'test' or 't10k' are read as the test split".into()
}

fn need_train(sets: Vec<ImageSet>) -> Result<Vec<ImageSet>, Error> {
    if sets.is_empty() { Err(Error::Data(missing_train())) } else { Ok(sets) }
}

/// Pair the images (3-D) and labels (1-D) of one split.
fn idx_split(split: &str, parts: Vec<(&NamedFile, Content)>) -> Result<Option<ImageSet>, Error> {
    if parts.is_empty() {
        return Ok(None);
    }
    let (mut images, mut labels) = (Vec::new(), Vec::new());
    for (f, c) in parts {
        let Content::Idx(a) = c else { unreachable!("one format per dataset") };
        if a.dims.len() == 1 { labels.push((f, a)) } else { images.push((f, a)) }
    }
    match (images.len(), labels.len()) {
        (1, 1) => {
            let ((fi, img), (fl, lab)) = (images.remove(0), labels.remove(0));
            idx::from_arrays(&fi.name, img, &fl.name, lab).map(Some)
        }
        (i, l) => Err(Error::Data(format!(
            "the {split} split needs one IDX images file and one IDX labels file, got {i} images and {l} labels files"
        ))),
    }
}
