//! SVHN cropped digits, official `*_32x32.mat` (MATLAB v5 MAT-file, decision `svhn-mat`,
//! docs/decisions.md): variable `X` (32, 32, 3, N) uint8 in column-major order and `y` (N, 1) with
//! labels 1–10, 10 meaning digit 0.
//!
//! No maintained Rust crate reads MAT v5 with the size checks this program needs (a declared
//! size must never drive an allocation), so this is a small reader for exactly the subset of the
//! format these files use: a 128-byte header, then data elements (`miMATRIX`, possibly inside
//! zlib-compressed `miCOMPRESSED` elements) holding numeric arrays.

use super::{ImageSet, SIDE, check_count, inflate_zlib_limited};
use crate::Error;

const HEADER: usize = 128;
const MI_INT8: u32 = 1;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;
/// The official training file inflates to about 220 MB; this caps all compressed elements together.
const MAX_INFLATED: usize = 1 << 30;
/// Non-8-bit arrays are widened to f64: only label-sized ones are accepted.
const MAX_WIDENED: usize = super::MAX_IMAGES;

/// A numeric array of a MAT file, values widened to f64.
#[derive(Debug, PartialEq)]
pub struct MatArray {
    pub name: String,
    pub dims: Vec<usize>,
    /// Raw bytes when the stored type is 8-bit unsigned (the pixels), else empty.
    pub bytes: Vec<u8>,
    /// Values for any other numeric type (the labels).
    pub values: Vec<f64>,
}

struct Cursor<'a> {
    what: &'a str,
    b: &'a [u8],
    pos: usize,
    big_endian: bool,
}

impl<'a> Cursor<'a> {
    fn err(&self, msg: &str) -> Error {
        Error::Data(format!("{}: not a valid MATLAB v5 file ({msg} at byte {})", self.what, self.pos))
    }

    fn u32_at(&self, at: usize) -> Result<u32, Error> {
        let s = self.b.get(at..at + 4).ok_or_else(|| self.err("truncated"))?;
        let a = [s[0], s[1], s[2], s[3]];
        Ok(if self.big_endian { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) })
    }

    /// Next data element: (type, payload). Handles the small-element form and 8-byte padding.
    fn element(&mut self) -> Result<(u32, &'a [u8]), Error> {
        let first = self.u32_at(self.pos)?;
        if first >> 16 != 0 {
            // Small data element: 2-byte size, 2-byte type, 4 bytes of data.
            let (ty, n) = (first & 0xffff, (first >> 16) as usize);
            if n > 4 {
                return Err(self.err("small element larger than 4 bytes"));
            }
            let data = self.b.get(self.pos + 4..self.pos + 4 + n).ok_or_else(|| self.err("truncated"))?;
            self.pos += 8;
            return Ok((ty, data));
        }
        let n = self.u32_at(self.pos + 4)? as usize;
        let start = self.pos + 8;
        let data =
            start.checked_add(n).and_then(|end| self.b.get(start..end)).ok_or_else(|| self.err("element runs past the end of the file"))?;
        // Compressed elements are not padded; everything else is padded to 8 bytes.
        self.pos = if first == MI_COMPRESSED { start + n } else { start + n.div_ceil(8) * 8 };
        Ok((first, data))
    }

    fn done(&self) -> bool {
        self.pos >= self.b.len()
    }
}

fn numbers(what: &str, ty: u32, data: &[u8], big_endian: bool) -> Result<Vec<f64>, Error> {
    macro_rules! conv {
        ($t:ty, $n:expr) => {
            data.chunks_exact($n)
                .map(|c| {
                    let a: [u8; $n] = c.try_into().expect("chunk size");
                    (if big_endian { <$t>::from_be_bytes(a) } else { <$t>::from_le_bytes(a) }) as f64
                })
                .collect()
        };
    }
    Ok(match ty {
        1 => data.iter().map(|&b| b as i8 as f64).collect(),
        2 => data.iter().map(|&b| b as f64).collect(),
        3 => conv!(i16, 2),
        4 => conv!(u16, 2),
        5 => conv!(i32, 4),
        6 => conv!(u32, 4),
        7 => conv!(f32, 4),
        9 => conv!(f64, 8),
        12 => conv!(i64, 8),
        13 => conv!(u64, 8),
        _ => return Err(Error::Data(format!("{what}: unsupported MATLAB numeric type {ty}"))),
    })
}

fn matrix(what: &str, payload: &[u8], big_endian: bool) -> Result<Option<MatArray>, Error> {
    let mut c = Cursor { what, b: payload, pos: 0, big_endian };
    let (ty, flags) = c.element()?;
    if ty != MI_UINT32 || flags.len() < 8 {
        return Err(c.err("array flags missing"));
    }
    let class = flags[if big_endian { 3 } else { 0 }];
    if !(6..=15).contains(&class) {
        return Ok(None); // cell, struct, char, sparse…: not a numeric array
    }
    let (ty, dims) = c.element()?;
    if ty != MI_INT32 {
        return Err(c.err("dimensions missing"));
    }
    let dims: Vec<usize> = numbers(what, MI_INT32, dims, big_endian)?.into_iter().map(|d| d.max(0.0) as usize).collect();
    let (ty, name) = c.element()?;
    if ty != MI_INT8 {
        return Err(c.err("array name missing"));
    }
    let name = String::from_utf8_lossy(name).into_owned();
    let (ty, real) = c.element()?;
    let count = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or_else(|| c.err("absurd dimensions"))?;
    let elem = match ty {
        1 | 2 => 1,
        3 | 4 => 2,
        5..=7 => 4,
        9 | 12 | 13 => 8,
        _ => return Err(Error::Data(format!("{what}: variable '{name}' has unsupported numeric type {ty}"))),
    };
    if real.len() != count.saturating_mul(elem) {
        return Err(Error::Data(format!(
            "{what}: variable '{name}' declares {dims:?} ({count} values) but holds {} bytes of type {ty}",
            real.len()
        )));
    }
    if ty != 2 && count > MAX_WIDENED {
        return Err(Error::Data(format!(
            "{what}: variable '{name}' holds {count} values of type {ty}; only 8-bit images and label-sized arrays are supported"
        )));
    }
    let (bytes, values) = if ty == 2 { (real.to_vec(), Vec::new()) } else { (Vec::new(), numbers(what, ty, real, big_endian)?) };
    Ok(Some(MatArray { name, dims, bytes, values }))
}

/// All numeric arrays of a MAT v5 file.
pub fn parse_mat(what: &str, bytes: &[u8]) -> Result<Vec<MatArray>, Error> {
    if bytes.len() < HEADER {
        return Err(Error::Data(format!("{what}: too short for a MATLAB file ({} bytes)", bytes.len())));
    }
    if bytes.starts_with(b"\x89HDF") || bytes[HEADER..].starts_with(b"\x89HDF") || bytes.starts_with(b"MATLAB 7.3") {
        return Err(Error::Data(format!(
            "{what}: MATLAB v7.3 (HDF5) files are not supported; save with -v7 or use the official SVHN files"
        )));
    }
    let big_endian = match &bytes[126..128] {
        b"IM" => false,
        b"MI" => true,
        _ => return Err(Error::Data(format!("{what}: not a MATLAB v5 file (no endian indicator in the header)"))),
    };
    let mut arrays = Vec::new();
    let mut budget = MAX_INFLATED;
    collect(what, &bytes[HEADER..], big_endian, &mut arrays, 0, &mut budget)?;
    Ok(arrays)
}

fn collect(what: &str, body: &[u8], big_endian: bool, out: &mut Vec<MatArray>, depth: usize, budget: &mut usize) -> Result<(), Error> {
    let mut c = Cursor { what, b: body, pos: 0, big_endian };
    while !c.done() {
        let (ty, payload) = c.element()?;
        match ty {
            MI_MATRIX => out.extend(matrix(what, payload, big_endian)?),
            MI_COMPRESSED if depth == 0 => {
                let inflated = inflate_zlib_limited(what, payload, *budget)?;
                *budget -= inflated.len();
                collect(what, &inflated, big_endian, out, depth + 1, budget)?;
            }
            _ => {} // other top-level elements are skipped
        }
    }
    Ok(())
}

/// SVHN images and labels from an official `*_32x32.mat` file.
pub fn parse(what: &str, bytes: &[u8]) -> Result<ImageSet, Error> {
    let arrays = parse_mat(what, bytes)?;
    let x = arrays
        .iter()
        .find(|a| a.name == "X")
        .ok_or_else(|| Error::Data(format!("{what}: no variable 'X' (is this an SVHN *_32x32.mat file?)")))?;
    let y = arrays
        .iter()
        .find(|a| a.name == "y")
        .ok_or_else(|| Error::Data(format!("{what}: no variable 'y' (is this an SVHN *_32x32.mat file?)")))?;
    if x.dims.len() != 4 || x.dims[0] != SIDE || x.dims[1] != SIDE || x.dims[2] != 3 {
        return Err(Error::Data(format!("{what}: X has shape {:?}, expected (32, 32, 3, N)", x.dims)));
    }
    if x.bytes.is_empty() {
        return Err(Error::Data(format!("{what}: X must hold 8-bit pixels")));
    }
    let n = check_count(what, x.dims[3] as u64)?;
    let labels_f = if y.values.is_empty() { y.bytes.iter().map(|&b| b as f64).collect() } else { y.values.clone() };
    if labels_f.len() != n {
        return Err(Error::Data(format!("{what}: X has {n} images but y has {} labels", labels_f.len())));
    }
    let mut labels = Vec::with_capacity(n);
    for (i, &v) in labels_f.iter().enumerate() {
        if v.fract() != 0.0 || !(1.0..=10.0).contains(&v) {
            return Err(Error::Data(format!("{what}: label {v} of image {i} is outside 1..=10")));
        }
        labels.push(if v == 10.0 { 0 } else { v as u8 }); // `svhn-mat`: label 10 is digit 0
    }
    // Column-major X[r, c, ch, n] sits at r + 32·(c + 32·(ch + 3·n)); we store n, ch, r, c.
    let plane = SIDE * SIDE;
    let mut pixels = vec![0u8; n * 3 * plane];
    for img in 0..n {
        for ch in 0..3 {
            let src = &x.bytes[(img * 3 + ch) * plane..(img * 3 + ch + 1) * plane];
            let dst = &mut pixels[(img * 3 + ch) * plane..(img * 3 + ch + 1) * plane];
            for col in 0..SIDE {
                for row in 0..SIDE {
                    dst[row * SIDE + col] = src[col * SIDE + row];
                }
            }
        }
    }
    ImageSet::from_raw(3, SIDE, SIDE, pixels, labels)
}
