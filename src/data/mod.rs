//! Datasets: readers for the official file formats, the project's bundle format, and the
//! conversion of images to network inputs (32×32, [−1, 1]; docs/decisions.md#input-normalisation).
//!
//! Every reader validates what it is given and answers a clear [`Error::Data`] on truncated,
//! oversized, wrong-magic or inconsistent input; none of them panics or allocates more than the
//! bytes it was handed justify.

pub mod bundle;
pub mod cifar;
#[cfg(not(target_family = "wasm"))]
pub mod files;
pub mod idx;
pub mod resize;
pub mod source;
pub mod svhn;
pub mod upload;

use crate::Error;
use burn::prelude::*;

/// Images of one split, stored compactly as bytes: N × C × 32 × 32, channel-major per image.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageSet {
    pub channels: usize,
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
}

/// Side of every network input (`input-normalisation`).
pub const SIDE: usize = 32;

pub use crate::shared::limits::MAX_IMAGES;

impl ImageSet {
    /// Build from raw images of any size; images that are not 32×32 are resized bilinearly as
    /// torchvision's `Resize(32)` does (decision `bilinear-resize`, docs/decisions.md).
    pub fn from_raw(channels: usize, height: usize, width: usize, pixels: Vec<u8>, labels: Vec<u8>) -> Result<Self, Error> {
        let per = channels * height * width;
        if per == 0 || pixels.len() != per * labels.len() {
            return Err(Error::Data(format!(
                "{} labels but {} pixel bytes: expected {} bytes for {}×{}×{} images",
                labels.len(),
                pixels.len(),
                per * labels.len(),
                channels,
                height,
                width
            )));
        }
        let pixels = if (height, width) == (SIDE, SIDE) { pixels } else { resize::resize_all(&pixels, height, width, SIDE) };
        Ok(Self { channels, pixels, labels })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Bytes of one image.
    pub fn image_len(&self) -> usize {
        self.channels * SIDE * SIDE
    }

    /// The bytes of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.image_len();
        &self.pixels[i * n..(i + 1) * n]
    }

    /// Keep the images at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Self {
        let mut pixels = Vec::with_capacity(indices.len() * self.image_len());
        for &i in indices {
            pixels.extend_from_slice(self.image(i));
        }
        Self { channels: self.channels, pixels, labels: indices.iter().map(|&i| self.labels[i]).collect() }
    }

    /// The first `n` images (all if fewer).
    pub fn take(&self, n: usize) -> Self {
        let n = n.min(self.len());
        Self { channels: self.channels, pixels: self.pixels[..n * self.image_len()].to_vec(), labels: self.labels[..n].to_vec() }
    }

    /// Network input for the images at `indices`: (B, C, 32, 32), `ToTensor` then
    /// `Normalize(0.5, 0.5)`, i.e. x/255·2 − 1 ∈ [−1, 1].
    pub fn batch(&self, indices: &[usize], device: &Device) -> Tensor<4> {
        let mut v = Vec::with_capacity(indices.len() * self.image_len());
        for &i in indices {
            v.extend(self.image(i).iter().map(|&p| p as f32 / 127.5 - 1.0));
        }
        Tensor::from_data(TensorData::new(v, [indices.len(), self.channels, SIDE, SIDE]), device)
    }

    /// The images as display bytes (no device involved).
    pub fn host_images(&self) -> crate::readback::HostImages {
        crate::readback::HostImages { count: self.len(), channels: self.channels, side: SIDE, pixels: self.pixels.clone() }
    }

    /// Images per class label.
    pub fn class_counts(&self, classes: usize) -> Vec<usize> {
        let mut c = vec![0; classes];
        for &l in &self.labels {
            if (l as usize) < classes {
                c[l as usize] += 1;
            }
        }
        c
    }
}

/// A dataset with its class names and both splits.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub name: String,
    pub classes: Vec<String>,
    pub train: ImageSet,
    pub test: ImageSet,
}

impl Dataset {
    pub fn channels(&self) -> usize {
        self.train.channels
    }

    /// Check that both splits agree and every label names a class.
    pub fn validate(&self) -> Result<(), Error> {
        if self.train.is_empty() {
            return Err(Error::Data(format!("{}: the training split has no images", self.name)));
        }
        if !self.test.is_empty() && self.test.channels != self.train.channels {
            return Err(Error::Data(format!(
                "{}: training images have {} channels but test images {}",
                self.name, self.train.channels, self.test.channels
            )));
        }
        for (split, set) in [("training", &self.train), ("test", &self.test)] {
            if let Some(&l) = set.labels.iter().find(|&&l| l as usize >= self.classes.len()) {
                return Err(Error::Data(format!("{}: {split} label {l} is out of range 0..{}", self.name, self.classes.len())));
            }
        }
        Ok(())
    }

    /// Keep at most `n` training images (a stratified-enough prefix of already shuffled data).
    pub fn limit_train(mut self, n: usize) -> Self {
        self.train = self.train.take(n);
        self
    }
}

/// Digits 0–9, for MNIST and SVHN.
pub fn digit_classes() -> Vec<String> {
    (0..10).map(|d| d.to_string()).collect()
}

/// A reader must not trust a declared size: cap what it will allocate.
pub(crate) fn check_count(what: &str, n: u64) -> Result<usize, Error> {
    if n == 0 {
        return Err(Error::Data(format!("{what}: the file declares zero images")));
    }
    if n > MAX_IMAGES as u64 {
        return Err(Error::Data(format!("{what}: declares {n} images, more than the {MAX_IMAGES} this program accepts")));
    }
    Ok(n as usize)
}

/// Read a decompressing stream to its end, refusing to produce more than `limit` bytes (a zip
/// bomb, or a header that lies about its size, must not exhaust memory).
fn read_limited(what: &str, stream: impl std::io::Read, limit: usize) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let mut out = Vec::new();
    stream.take(limit as u64 + 1).read_to_end(&mut out).map_err(|e| Error::Data(format!("{what}: corrupt compressed data ({e})")))?;
    if out.len() > limit {
        return Err(Error::Data(format!("{what}: decompresses to more than {limit} bytes")));
    }
    Ok(out)
}

/// Decompress gzip data (IDX files, bundles) with a size limit.
pub(crate) fn gunzip_limited(what: &str, bytes: &[u8], limit: usize) -> Result<Vec<u8>, Error> {
    read_limited(what, flate2::read::MultiGzDecoder::new(bytes), limit)
}

/// Decompress zlib data (MAT files) with a size limit.
pub(crate) fn inflate_zlib_limited(what: &str, bytes: &[u8], limit: usize) -> Result<Vec<u8>, Error> {
    read_limited(what, flate2::read::ZlibDecoder::new(bytes), limit)
}

pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}
