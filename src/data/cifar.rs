//! CIFAR-10 binary version: records of 1 label byte + 3,072 pixel bytes (1,024 red, 1,024 green,
//! 1,024 blue, each 32×32 row-major), no header.

use super::{ImageSet, SIDE, check_count};
use crate::Error;

pub const RECORD: usize = 1 + 3 * SIDE * SIDE;

pub const CLASSES: [&str; 10] = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

/// Parse one CIFAR-10 binary batch file.
pub fn parse(what: &str, bytes: &[u8]) -> Result<ImageSet, Error> {
    if bytes.is_empty() {
        return Err(Error::Data(format!("{what}: the file is empty")));
    }
    if !bytes.len().is_multiple_of(RECORD) {
        return Err(Error::Data(format!(
            "{what}: {} bytes is not a whole number of {RECORD}-byte CIFAR-10 records (truncated or not a CIFAR-10 binary file)",
            bytes.len()
        )));
    }
    let n = check_count(what, (bytes.len() / RECORD) as u64)?;
    let mut labels = Vec::with_capacity(n);
    let mut pixels = Vec::with_capacity(n * (RECORD - 1));
    for (i, rec) in bytes.chunks_exact(RECORD).enumerate() {
        if rec[0] > 9 {
            return Err(Error::Data(format!("{what}: record {i} has label {}, outside 0..10 (not a CIFAR-10 file?)", rec[0])));
        }
        labels.push(rec[0]);
        pixels.extend_from_slice(&rec[1..]);
    }
    ImageSet::from_raw(3, SIDE, SIDE, pixels, labels)
}

/// Concatenate several batches (e.g. `data_batch_1.bin` … `data_batch_5.bin`).
pub fn concat(sets: Vec<ImageSet>) -> ImageSet {
    let mut out = ImageSet { channels: 3, ..Default::default() };
    for s in sets {
        out.pixels.extend(s.pixels);
        out.labels.extend(s.labels);
    }
    out
}

pub fn classes() -> Vec<String> {
    CLASSES.iter().map(|s| s.to_string()).collect()
}
