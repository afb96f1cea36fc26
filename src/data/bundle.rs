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

use super::resize::resize_plane;
use super::{Dataset, ImageSet, SIDE, check_count};
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

/// A bundle's decompressing payload, read in order: each split's labels, then its pixels.
struct Payload<'a> {
    what: &'a str,
    /// The bytes its header promises.
    expected: usize,
    stream: flate2::read::MultiGzDecoder<&'a [u8]>,
}

impl Payload<'_> {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        use std::io::Read;
        self.stream.read_exact(buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                Error::Data(format!("{}: bundle payload holds fewer bytes than the header promises ({})", self.what, self.expected))
            }
            _ => Error::Data(format!("{}: corrupt compressed data ({e})", self.what)),
        })
    }

    /// `n` images' labels, then their pixels, resized plane by plane as they arrive.
    fn split(&mut self, h: &BundleHeader, n: usize) -> Result<ImageSet, Error> {
        let mut labels = vec![0; n];
        self.fill(&mut labels)?;
        let mut pixels = Vec::with_capacity(n * h.channels * SIDE * SIDE);
        let mut plane = vec![0; h.height * h.width];
        for _ in 0..n * h.channels {
            self.fill(&mut plane)?;
            if (h.height, h.width) == (SIDE, SIDE) {
                pixels.extend_from_slice(&plane);
            } else {
                pixels.extend_from_slice(&resize_plane(&plane, h.height, h.width, SIDE));
            }
        }
        ImageSet::from_raw(h.channels, SIDE, SIDE, pixels, labels)
    }

    /// Nothing may follow the last split.
    fn end(mut self) -> Result<(), Error> {
        use std::io::Read;
        match self.stream.read(&mut [0]) {
            Ok(0) => Ok(()),
            Ok(_) => {
                Err(Error::Data(format!("{}: bundle payload holds more bytes than the header promises ({})", self.what, self.expected)))
            }
            Err(e) => Err(Error::Data(format!("{}: corrupt compressed data ({e})", self.what))),
        }
    }
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

/// Decode a bundle into a ready dataset (images resized to 32×32). The payload is decompressed as
/// it is read, an image at a time into its place in the resized split: it is never held whole (in
/// the browser's WebAssembly heap, whose high-water mark stays for good, the whole payload beside
/// the resized splits raised the trainer's heap by 7 MB for MNIST).
pub fn decode(what: &str, bytes: &[u8]) -> Result<Dataset, Error> {
    let (h, start) = header(what, bytes)?;
    let per = h.channels * h.height * h.width;
    let expected = (h.train + h.test).checked_mul(per + 1).filter(|&n| n <= MAX_PAYLOAD).ok_or_else(|| {
        Error::Data(format!("{what}: bundle declares {} images of {per} bytes, more than this program accepts", h.train + h.test))
    })?;
    let mut payload = Payload { what, expected, stream: flate2::read::MultiGzDecoder::new(&bytes[start..]) };
    let train = payload.split(&h, h.train)?;
    let test = if h.test == 0 { ImageSet { channels: h.channels, ..Default::default() } } else { payload.split(&h, h.test)? };
    payload.end()?;
    let ds = Dataset { name: h.name, classes: h.classes, train, test };
    ds.validate()?;
    Ok(ds)
}
