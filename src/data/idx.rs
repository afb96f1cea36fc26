//! IDX files (MNIST, Fashion-MNIST; optionally gzip-compressed): a 4-byte magic
//! `0x00 0x00 type ndim`, `ndim` big-endian u32 sizes, then the data. Only unsigned bytes
//! (type 0x08) occur in these datasets.

use super::{ImageSet, check_count, gunzip_limited, is_gzip};
use crate::Error;

/// Largest file this reader will decompress (the full MNIST training images are 47 MB).
const MAX_BYTES: usize = 1 << 30;

/// A parsed IDX array of bytes.
#[derive(Debug, PartialEq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// Parse an IDX file (raw or gzip).
pub fn parse(what: &str, bytes: &[u8]) -> Result<IdxArray, Error> {
    let raw;
    let bytes = if is_gzip(bytes) {
        raw = gunzip_limited(what, bytes, MAX_BYTES)?;
        &raw[..]
    } else {
        bytes
    };
    if bytes.len() < 4 {
        return Err(Error::Data(format!("{what}: too short for an IDX file ({} bytes)", bytes.len())));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(Error::Data(format!("{what}: not an IDX file (wrong magic number)")));
    }
    if bytes[2] != 0x08 {
        return Err(Error::Data(format!("{what}: IDX element type 0x{:02x} is not supported (expected unsigned bytes, 0x08)", bytes[2])));
    }
    let ndim = bytes[3] as usize;
    if ndim == 0 || ndim > 4 {
        return Err(Error::Data(format!("{what}: IDX arrays of {ndim} dimensions are not supported")));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(Error::Data(format!("{what}: truncated IDX header")));
    }
    let dims: Vec<usize> = bytes[4..header].chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize).collect();
    let expected = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let body = bytes.len() - header;
    match expected {
        Some(n) if n == body => Ok(IdxArray { dims, data: bytes[header..].to_vec() }),
        Some(n) if n > body => Err(Error::Data(format!("{what}: truncated: header declares {n} data bytes but the file holds {body}"))),
        Some(n) => Err(Error::Data(format!("{what}: {} bytes after the declared {n} data bytes", body - n))),
        None => Err(Error::Data(format!("{what}: declared dimensions {dims:?} are absurdly large"))),
    }
}

/// Images from an idx3 file and labels from an idx1 file.
pub fn images_and_labels(image_name: &str, images: &[u8], label_name: &str, labels: &[u8]) -> Result<ImageSet, Error> {
    from_arrays(image_name, parse(image_name, images)?, label_name, parse(label_name, labels)?)
}

/// Images and labels from already parsed idx3 (N×H×W) and idx1 (N) arrays.
pub fn from_arrays(image_name: &str, img: IdxArray, label_name: &str, lab: IdxArray) -> Result<ImageSet, Error> {
    if img.dims.len() != 3 {
        return Err(Error::Data(format!(
            "{image_name}: expected a 3-dimensional image array (N×H×W), found {} dimensions",
            img.dims.len()
        )));
    }
    if lab.dims.len() != 1 {
        return Err(Error::Data(format!("{label_name}: expected a 1-dimensional label array, found {} dimensions", lab.dims.len())));
    }
    let n = check_count(image_name, img.dims[0] as u64)?;
    if lab.dims[0] != n {
        return Err(Error::Data(format!("{label_name} has {} labels but {image_name} has {n} images", lab.dims[0])));
    }
    let (h, w) = (img.dims[1], img.dims[2]);
    if !(8..=256).contains(&h) || !(8..=256).contains(&w) {
        return Err(Error::Data(format!("{image_name}: images of {h}×{w} pixels are not supported (8 to 256)")));
    }
    if let Some(&l) = lab.data.iter().find(|&&l| l > 9) {
        return Err(Error::Data(format!("{label_name}: label {l} is out of range 0..10")));
    }
    ImageSet::from_raw(1, h, w, img.data, lab.data)
}
