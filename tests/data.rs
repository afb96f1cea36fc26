//! Dataset readers: real files where available, and crafted bad files that must give clear errors.

mod common;

use common::{gzip, idx_bytes};

use pad::data::{bundle, cifar, idx, resize, svhn};
use std::io::Write;

fn err<T: std::fmt::Debug>(r: Result<T, pad::Error>) -> String {
    r.expect_err("must be refused").to_string()
}

#[test]
fn idx_reads_raw_and_gzip_and_resizes_to_32() {
    let images = idx_bytes(8, &[3, 28, 28], &vec![200u8; 3 * 28 * 28]);
    let labels = idx_bytes(8, &[3], &[1, 2, 9]);
    for (i, l) in [(images.clone(), labels.clone()), (gzip(&images), gzip(&labels))] {
        let set = idx::images_and_labels("img", &i, "lab", &l).unwrap();
        assert_eq!(set.len(), 3);
        assert_eq!(set.channels, 1);
        assert_eq!(set.pixels.len(), 3 * 32 * 32);
        assert!(set.pixels.iter().all(|&p| p == 200), "a constant image stays constant");
        assert_eq!(set.labels, vec![1, 2, 9]);
    }
}

#[test]
fn idx_rejects_bad_files() {
    let good_l = idx_bytes(8, &[2], &[1, 2]);
    let cases: Vec<(&str, Vec<u8>, Vec<u8>, &str)> = vec![
        ("empty", vec![], good_l.clone(), "too short"),
        ("wrong magic", vec![1, 2, 8, 3, 0, 0, 0, 0], good_l.clone(), "wrong magic"),
        ("float type", idx_bytes(0x0d, &[2, 28, 28], &[0; 8]), good_l.clone(), "not supported"),
        ("truncated header", vec![0, 0, 8, 3, 0, 0], good_l.clone(), "truncated IDX header"),
        ("truncated data", idx_bytes(8, &[2, 28, 28], &[0; 100]), good_l.clone(), "truncated"),
        ("trailing bytes", idx_bytes(8, &[2, 28, 28], &vec![0; 2 * 784 + 5]), good_l.clone(), "bytes after"),
        ("huge declared size", idx_bytes(8, &[u32::MAX, u32::MAX, u32::MAX], &[0; 8]), good_l.clone(), "absurdly large"),
        ("4 billion images", idx_bytes(8, &[4_000_000_000, 28, 28], &[]), good_l.clone(), "truncated"),
        ("label count", idx_bytes(8, &[2, 28, 28], &vec![0; 2 * 784]), idx_bytes(8, &[3], &[0; 3]), "has 3 labels but"),
        ("label range", idx_bytes(8, &[2, 28, 28], &vec![0; 2 * 784]), idx_bytes(8, &[2], &[0, 10]), "out of range"),
        ("zero images", idx_bytes(8, &[0, 28, 28], &[]), idx_bytes(8, &[0], &[]), "zero images"),
        ("labels as images", good_l.clone(), good_l.clone(), "3-dimensional"),
        ("corrupt gzip", vec![0x1f, 0x8b, 8, 0, 1, 2, 3], good_l.clone(), "corrupt compressed data"),
        ("tiny images", idx_bytes(8, &[2, 2, 2], &[0; 8]), good_l.clone(), "not supported"),
    ];
    for (name, img, lab, expect) in cases {
        let msg = err(idx::images_and_labels("img", &img, "lab", &lab));
        assert!(msg.contains(expect), "{name}: got '{msg}'");
    }
}

#[test]
fn cifar_parses_records_and_rejects_bad_files() {
    let mut rec = vec![7u8];
    rec.extend((0..3072).map(|i| (i % 256) as u8));
    let two = [rec.clone(), rec.clone()].concat();
    let set = cifar::parse("c", &two).unwrap();
    assert_eq!((set.len(), set.channels, set.labels[0]), (2, 3, 7));
    assert_eq!(&set.image(1)[..3], &[0, 1, 2]);
    assert!(err(cifar::parse("c", &[])).contains("empty"));
    assert!(err(cifar::parse("c", &two[..5000])).contains("not a whole number"));
    let mut bad = two.clone();
    bad[3073] = 10;
    assert!(err(cifar::parse("c", &bad)).contains("record 1 has label 10"));
}

#[test]
fn cifar_reads_the_shared_subset() {
    let Some(dir) = common::shared_data() else {
        eprintln!("skipped: ../shared/data/cifar10 is not present");
        return;
    };
    let bytes = std::fs::read(dir.join("data_batch_1.bin")).unwrap();
    let set = cifar::parse("data_batch_1.bin", &bytes).unwrap();
    assert_eq!(set.len(), 10_000);
    assert_eq!(&set.labels[..10], &[6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
    assert_eq!(set.class_counts(10), vec![1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981]);
    let test = cifar::parse("test_batch.bin", &std::fs::read(dir.join("test_batch.bin")).unwrap()).unwrap();
    assert_eq!(&test.labels[..10], &[3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    // The directory form finds the batches and the test file.
    let ds = pad::data::source::DatasetSpec::Cifar10(dir).load(None).unwrap();
    assert_eq!((ds.train.len(), ds.test.len(), ds.classes[0].as_str()), (20_000, 1_000, "airplane"));
}

/// A minimal MATLAB v5 writer for tests: numeric arrays, optionally zlib-compressed.
fn mat_element(ty: u32, data: &[u8]) -> Vec<u8> {
    let mut v = ty.to_le_bytes().to_vec();
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(data);
    while !v.len().is_multiple_of(8) {
        v.push(0);
    }
    v
}

fn mat_matrix(name: &str, class: u8, dims: &[i32], ty: u32, data: &[u8]) -> Vec<u8> {
    let mut body = mat_element(6, &[class, 0, 0, 0, 0, 0, 0, 0]);
    body.extend(mat_element(5, &dims.iter().flat_map(|d| d.to_le_bytes()).collect::<Vec<_>>()));
    body.extend(mat_element(1, name.as_bytes()));
    body.extend(mat_element(ty, data));
    mat_element(14, &body)
}

fn mat_file(elements: &[Vec<u8>], compress: bool) -> Vec<u8> {
    let mut v = b"MATLAB 5.0 MAT-file, written by a test".to_vec();
    v.resize(116, b' ');
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&0x0100u16.to_le_bytes());
    v.extend_from_slice(b"IM");
    for e in elements {
        if compress {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            z.write_all(e).unwrap();
            let z = z.finish().unwrap();
            v.extend_from_slice(&15u32.to_le_bytes());
            v.extend_from_slice(&(z.len() as u32).to_le_bytes());
            v.extend_from_slice(&z);
        } else {
            v.extend_from_slice(e);
        }
    }
    v
}

/// X: 32×32×3×2 column-major uint8 where pixel value encodes (row, col, channel, image).
fn svhn_x(n: usize) -> Vec<u8> {
    let mut x = vec![0u8; 32 * 32 * 3 * n];
    for img in 0..n {
        for ch in 0..3 {
            for col in 0..32 {
                for row in 0..32 {
                    x[row + 32 * (col + 32 * (ch + 3 * img))] = (row * 7 + col * 3 + ch * 50 + img * 11) as u8;
                }
            }
        }
    }
    x
}

#[test]
fn svhn_mat_reader_handles_plain_and_compressed_files() {
    let x = mat_matrix("X", 9, &[32, 32, 3, 2], 2, &svhn_x(2));
    // y stored as doubles, 10 meaning digit 0.
    let y = mat_matrix("y", 6, &[2, 1], 9, &[10f64, 3.0].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>());
    for compress in [false, true] {
        let set = svhn::parse("t.mat", &mat_file(&[x.clone(), y.clone()], compress)).unwrap();
        assert_eq!(set.labels, vec![0, 3], "label 10 is digit 0 (`svhn-mat`, docs/decisions.md)");
        // image 1, channel 2, row 5, col 9
        let px = set.image(1)[2 * 1024 + 5 * 32 + 9];
        assert_eq!(px, (5 * 7 + 9 * 3 + 2 * 50 + 11) as u8);
    }
    // y stored compactly as uint8 (MATLAB does this for small integers).
    let y8 = mat_matrix("y", 6, &[2, 1], 2, &[1, 10]);
    assert_eq!(svhn::parse("t.mat", &mat_file(&[x.clone(), y8], true)).unwrap().labels, vec![1, 0]);
}

/// A file written by a real MAT writer (scipy.io.savemat, compressed; tests/fixtures/make_svhn_fixture.py).
#[test]
fn svhn_mat_reader_reads_a_scipy_written_file() {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/svhn_tiny.mat")).unwrap();
    let set = svhn::parse("svhn_tiny.mat", &bytes).unwrap();
    assert_eq!(set.labels, vec![0, 1, 9]);
    for (img, ch, row, col) in [(0, 0, 0, 0), (2, 1, 5, 9), (1, 2, 31, 30)] {
        let expected = ((7 * row + 3 * col + 50 * ch + 11 * img) % 256) as u8;
        assert_eq!(set.image(img)[ch * 1024 + row * 32 + col], expected, "image {img} channel {ch} ({row},{col})");
    }
}

#[test]
fn svhn_mat_reader_rejects_bad_files() {
    let x = mat_matrix("X", 9, &[32, 32, 3, 2], 2, &svhn_x(2));
    let y = mat_matrix("y", 6, &[2, 1], 2, &[1, 2]);
    let good = mat_file(&[x.clone(), y.clone()], false);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "too short"),
        ("no endian", vec![0; 200], "not a MATLAB v5 file"),
        ("truncated", good[..good.len() - 100].to_vec(), "past the end"),
        ("no y", mat_file(std::slice::from_ref(&x), false), "no variable 'y'"),
        ("no X", mat_file(std::slice::from_ref(&y), true), "no variable 'X'"),
        ("label 0", mat_file(&[x.clone(), mat_matrix("y", 6, &[2, 1], 2, &[0, 2])], false), "outside 1..=10"),
        ("label count", mat_file(&[x.clone(), mat_matrix("y", 6, &[3, 1], 2, &[1, 2, 3])], false), "3 labels"),
        ("X shape", mat_file(&[mat_matrix("X", 9, &[28, 28, 1, 2], 2, &[0; 28 * 28 * 2]), y.clone()], false), "expected (32, 32, 3, N)"),
        ("X lies about size", mat_file(&[mat_matrix("X", 9, &[32, 32, 3, 4_000_000], 2, &svhn_x(2)), y.clone()], false), "declares"),
        (
            "corrupt zlib",
            {
                let mut f = mat_file(&[x.clone(), y.clone()], true);
                let n = f.len();
                f[200..n - 10].iter_mut().for_each(|b| *b ^= 0x5a);
                f
            },
            "MATLAB",
        ),
        ("HDF5 (v7.3)", [vec![0u8; 128], b"\x89HDF\r\n".to_vec()].concat(), "v7.3"),
    ];
    for (name, bytes, expect) in cases {
        let msg = err(svhn::parse("t.mat", &bytes));
        assert!(msg.contains(expect) || (expect == "MATLAB" && msg.contains("compressed")), "{name}: got '{msg}'");
    }
}

#[test]
fn bundles_round_trip_and_reject_bad_bytes() {
    let header = bundle::BundleHeader {
        name: "tiny".into(),
        classes: vec!["a".into(), "b".into()],
        channels: 1,
        height: 28,
        width: 28,
        train: 3,
        test: 1,
        source: "test".into(),
        licence: "none".into(),
    };
    let train = bundle::RawSplit { pixels: vec![9; 3 * 784], labels: vec![0, 1, 1] };
    let test = bundle::RawSplit { pixels: vec![4; 784], labels: vec![1] };
    let bytes = bundle::encode(&header, &train, &test).unwrap();
    let ds = bundle::decode("b", &bytes).unwrap();
    assert_eq!((ds.train.len(), ds.test.len(), ds.train.pixels.len()), (3, 1, 3 * 1024));
    assert_eq!(ds.train.labels, vec![0, 1, 1]);
    assert!(err(bundle::decode("b", b"garbage")).contains("not a PAD data bundle"));
    assert!(err(bundle::decode("b", &bytes[..bytes.len() - 30])).contains("b:"));
    let mut lying = bytes.clone();
    let json_end = 12 + u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let text = String::from_utf8(bytes[12..json_end].to_vec()).unwrap().replace("\"train\":3", "\"train\":4");
    lying.splice(12..json_end, text.bytes());
    lying[8..12].copy_from_slice(&(text.len() as u32).to_le_bytes());
    assert!(err(bundle::decode("b", &lying)).contains("header promises"));
    // A header declaring a huge payload is refused before decompressing anything.
    let huge = String::from_utf8(bytes[12..json_end].to_vec())
        .unwrap()
        .replace("\"train\":3", "\"train\":1000000")
        .replace("\"height\":28", "\"height\":256");
    let mut bomb = bytes[..8].to_vec();
    bomb.extend_from_slice(&(huge.len() as u32).to_le_bytes());
    bomb.extend_from_slice(huge.as_bytes());
    bomb.extend_from_slice(&bytes[json_end..]);
    assert!(err(bundle::decode("b", &bomb)).contains("more than this program accepts"));
    let mut bad_label = bundle::RawSplit { pixels: vec![9; 3 * 784], labels: vec![0, 5, 1] };
    let bytes = bundle::encode(&header, &bad_label, &test).unwrap();
    assert!(err(bundle::decode("b", &bytes)).contains("out of range"));
    bad_label.labels.pop();
    assert!(bundle::encode(&header, &bad_label, &test).is_err());
}

#[test]
fn the_bundled_subsets_load() {
    use pad::data::source::DatasetSpec;
    let mnist = DatasetSpec::Mnist.load(None).unwrap();
    assert_eq!((mnist.train.len(), mnist.test.len(), mnist.channels()), (8_000, 2_000, 1));
    assert_eq!(mnist.test.class_counts(10), vec![200; 10], "stratified test split");
    let fashion = DatasetSpec::Fashion.load(None).unwrap();
    assert_eq!(fashion.channels(), 1);
    assert_eq!((fashion.train.len(), fashion.test.len()), (7_500, 2_000));
    assert_eq!(fashion.classes[9], "Ankle boot");
}

#[test]
fn bilinear_resize_follows_pil() {
    // A horizontal ramp stays monotone, keeps its ends, and a constant stays constant.
    let ramp: Vec<u8> = (0..28 * 28).map(|i| ((i % 28) * 9) as u8).collect();
    let out = resize::resize_plane(&ramp, 28, 28, 32);
    let row: Vec<u8> = out[..32].to_vec();
    assert!(row.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!((row[0], row[31]), (0, 243));
    // Output pixel 1 has its centre at input 1.3125: PIL's triangle filter weighs pixels 0 and 1.
    assert_eq!(row[1], ((1.3125f64 - 0.5) * 9.0).round() as u8);
}

#[test]
fn dataset_names_parse_with_clear_errors() {
    use pad::data::source::DatasetSpec;
    assert_eq!("mnist".parse::<DatasetSpec>().unwrap(), DatasetSpec::Mnist);
    assert_eq!("cifar10:/x".parse::<DatasetSpec>().unwrap(), DatasetSpec::Cifar10("/x".into()));
    assert!("cifar10".parse::<DatasetSpec>().unwrap_err().to_string().contains("needs a path"));
    assert!("imagenet".parse::<DatasetSpec>().unwrap_err().to_string().contains("unknown dataset"));
    let missing = DatasetSpec::Cifar10("/nonexistent/cifar".into()).load(None);
    assert!(err(missing).contains("/nonexistent/cifar"));
}
