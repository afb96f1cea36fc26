//! The project's compact bundle format for the subsets shipped in `static/`.
//!
//! ```text
//! "PADBNDL1"                 8 bytes magic (format version 1)
//! header length              u32 little-endian
//! header                     UTF-8 JSON: name, classes, channels, height, width, train, test, source, licence
//! payload                    gzip of: train labels, train pixels, test labels, test pixels (u8)
//! ```
//! Pixels are stored at their native size (28×28 for MNIST) and resized to 32×32 on load
//! (decision `bilinear-resize`, docs/decisions.md), which keeps the page's download small.

use super::{Dataset, ImageSet, check_count, gunzip_limited};
use crate::Error;
use serde::{Deserialize, Serialize};
use std::io::Write;

pub const MAGIC: &[u8; 8] = b"PADBNDL1";
const MAX_HEADER: usize = 64 * 1024;
/// Largest payload a bundle may declare (bundles are meant for web pages: a few MB).
const MAX_PAYLOAD: usize = 1 << 30;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BundleHeader {
    pub name: String,
    pub classes: Vec<String>,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub train: usize,
    pub test: usize,
    /// Where the images come from (package and version).
    pub source: String,
    pub licence: String,
}

/// Raw (not yet resized) contents of a bundle.
pub struct RawSplit {
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
}

/// Encode a bundle. `train`/`test` pixels are `channels×height×width` bytes per image.
pub fn encode(header: &BundleHeader, train: &RawSplit, test: &RawSplit) -> Result<Vec<u8>, Error> {
    let per = header.channels * header.height * header.width;
    for (s, n) in [(train, header.train), (test, header.test)] {
        if s.labels.len() != n || s.pixels.len() != n * per {
            return Err(Error::Data("bundle: split sizes do not match the header".into()));
        }
    }
    let json = serde_json::to_vec(header).map_err(|e| Error::Data(format!("bundle header: {e}")))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for part in [&train.labels, &train.pixels, &test.labels, &test.pixels] {
        gz.write_all(part).map_err(|e| Error::io("bundle", e))?;
    }
    let payload = gz.finish().map_err(|e| Error::io("bundle", e))?;
    let mut out = Vec::with_capacity(12 + json.len() + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Read only the header (cheap: for listing what a bundle holds).
pub fn header(what: &str, bytes: &[u8]) -> Result<(BundleHeader, usize), Error> {
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        let hint = if bytes.starts_with(b"PADBNDL") { " (a different bundle version)" } else { "" };
        return Err(Error::Data(format!("{what}: not a PAD data bundle{hint}")));
    }
    let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    if len > MAX_HEADER || 12 + len > bytes.len() {
        return Err(Error::Data(format!("{what}: bundle header is truncated or too large")));
    }
    let h: BundleHeader =
        serde_json::from_slice(&bytes[12..12 + len]).map_err(|e| Error::Data(format!("{what}: bad bundle header ({e})")))?;
    if !(h.channels == 1 || h.channels == 3) || !(8..=256).contains(&h.height) || !(8..=256).contains(&h.width) {
        return Err(Error::Data(format!("{what}: bundle declares unsupported images {}×{}×{}", h.channels, h.height, h.width)));
    }
    if h.classes.is_empty() || h.classes.len() > 256 {
        return Err(Error::Data(format!("{what}: bundle declares {} classes", h.classes.len())));
    }
    check_count(what, h.train as u64)?;
    if h.test > super::MAX_IMAGES {
        return Err(Error::Data(format!("{what}: bundle declares {} test images", h.test)));
    }
    Ok((h, 12 + len))
}

/// Decode a bundle into a ready dataset (images resized to 32×32).
pub fn decode(what: &str, bytes: &[u8]) -> Result<Dataset, Error> {
    let (h, start) = header(what, bytes)?;
    let per = h.channels * h.height * h.width;
    let expected = (h.train + h.test).checked_mul(per + 1).filter(|&n| n <= MAX_PAYLOAD).ok_or_else(|| {
        Error::Data(format!("{what}: bundle declares {} images of {per} bytes, more than this program accepts", h.train + h.test))
    })?;
    let body = gunzip_limited(what, &bytes[start..], expected)?;
    if body.len() != expected {
        return Err(Error::Data(format!("{what}: bundle payload holds {} bytes, the header promises {expected}", body.len())));
    }
    let (train_labels, rest) = body.split_at(h.train);
    let (train_pixels, rest) = rest.split_at(h.train * per);
    let (test_labels, test_pixels) = rest.split_at(h.test);
    let train = ImageSet::from_raw(h.channels, h.height, h.width, train_pixels.to_vec(), train_labels.to_vec())?;
    let test = if h.test == 0 {
        ImageSet { channels: h.channels, ..Default::default() }
    } else {
        ImageSet::from_raw(h.channels, h.height, h.width, test_pixels.to_vec(), test_labels.to_vec())?
    };
    let ds = Dataset { name: h.name, classes: h.classes, train, test };
    ds.validate()?;
    Ok(ds)
}
