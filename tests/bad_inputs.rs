//! The bad-input table: files, checkpoints, settings and URLs a stranger might hand the page or
//! the CLI, each with the exact message the user sees, and proof that nothing broke — the page's
//! trainer keeps its data and its run (the same checkpoint before and after), and still trains;
//! the CLI exits with status 1 and one line. `--nocapture` prints the table for RELIABILITY.md.

mod common;

use common::{cifar_records, gzip, idx_bytes};
use pad::data::upload::NamedFile;
use pad::readback::block_on;
use pad::session::Session;
use pad::session::protocol::{Command, Event, RunState};
use pad::session::settings::Settings;
use pad::session::url::PageParams;

fn file(name: &str, bytes: Vec<u8>) -> NamedFile {
    NamedFile::new(name, bytes)
}

/// A byte-valued IDX file.
fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    idx_bytes(0x08, dims, data)
}

fn mnist() -> NamedFile {
    file("mnist.padb", std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/data/mnist.padb")).unwrap())
}

/// A bundle with a replaced JSON header (the payload stays the bundled MNIST's).
fn bundle_with(edit: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
    let b = mnist().bytes;
    let len = u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&b[12..12 + len]).unwrap();
    edit(&mut header);
    let json = serde_json::to_vec(&header).unwrap();
    [&b[..8], &(json.len() as u32).to_le_bytes()[..], &json, &b[12 + len..]].concat()
}

fn tiny() -> Settings {
    Settings { epochs: 1, batch_size: 8, images_per_epoch: 64, probe: false, ..Settings::default() }
}

/// A checkpoint of a fresh model, edited by `edit` (header JSON, tensors).
fn checkpoint(channels: usize, edit: impl Fn(&mut serde_json::Value, &mut Vec<burn_pack::Tensor>)) -> Vec<u8> {
    let t = pad::train::Trainer::new(tiny().train_config(), channels, &common::cpu()).unwrap();
    let bytes = block_on(pad::train::checkpoint::to_bytes(&t, "MNIST", &[], &[])).unwrap();
    let reader = burn_pack::Reader::from_bytes(burn_pack::Bytes::from_bytes_vec(bytes)).unwrap();
    let mut header: serde_json::Value = serde_json::from_str(&reader.metadata()["pad"]).unwrap();
    let mut tensors = reader.into_tensors().unwrap();
    edit(&mut header, &mut tensors);
    burn_pack::Writer::new(tensors).with_metadata("pad", &header.to_string()).into_bytes().unwrap().to_vec()
}

enum Input {
    /// Files for the page's data picker (`LoadData`).
    Data(Vec<NamedFile>),
    /// A checkpoint for *Load model…* (`LoadModel`).
    Model(NamedFile),
    /// Settings for Start.
    Start(Settings),
    /// A page address's query.
    Url(String),
    /// Arguments of the `pad` binary.
    Cli(Vec<String>),
}

struct Case {
    name: &'static str,
    input: Input,
    message: &'static str,
}

fn cases() -> Vec<Case> {
    use Input::*;
    let images = idx(&[2, 8, 8], &[0; 128]);
    let labels = idx(&[2], &[1, 2]);
    let pair =
        |images: Vec<u8>, labels: Vec<u8>| Data(vec![file("train-images-idx3-ubyte", images), file("train-labels-idx1-ubyte", labels)]);
    let cli = |args: &[&str]| Cli(args.iter().map(|s| s.to_string()).collect());
    let mut hdf5 = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .".to_vec();
    hdf5.resize(128, b' ');
    hdf5.extend(b"\x89HDF\r\n\x1a\n");
    let mut svhn_bad_shape = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/svhn_tiny.mat")).unwrap();
    svhn_bad_shape.truncate(600);
    vec![
        Case {
            name: "empty file",
            input: Data(vec![file("train-images-idx3-ubyte", vec![])]),
            message: "train-images-idx3-ubyte: the file is empty",
        },
        Case {
            name: "IDX truncated",
            input: pair(images[..60].to_vec(), labels.clone()),
            message: "train-images-idx3-ubyte: truncated: header declares 128 data bytes but the file holds 44",
        },
        Case {
            name: "IDX of floats (element type 0x0d)",
            input: pair(idx_bytes(0x0d, &[2, 8, 8], &[0; 512]), labels.clone()),
            message: "train-images-idx3-ubyte: IDX element type 0x0d is not supported (expected unsigned bytes, 0x08)",
        },
        Case {
            name: "IDX wrong dimensions (2-D images)",
            input: pair(idx(&[2, 64], &[0; 128]), labels.clone()),
            message: "train-images-idx3-ubyte: expected a 3-dimensional image array (N×H×W), found 2 dimensions",
        },
        Case {
            name: "IDX label out of range",
            input: pair(images.clone(), idx(&[2], &[1, 12])),
            message: "train-labels-idx1-ubyte: label 12 is out of range 0..10",
        },
        Case {
            name: "IDX zero images",
            input: pair(idx(&[0, 8, 8], &[]), idx(&[0], &[])),
            message: "train-images-idx3-ubyte: the file declares zero images",
        },
        Case {
            name: "IDX huge declared size (4 billion images)",
            input: pair(idx(&[4_000_000_000, 28, 28], &[0; 64]), labels.clone()),
            message: "train-images-idx3-ubyte: truncated: header declares 3136000000000 data bytes but the file holds 64",
        },
        Case {
            name: "IDX labels and images disagree",
            input: pair(images.clone(), idx(&[3], &[1, 2, 3])),
            message: "train-labels-idx1-ubyte has 3 labels but train-images-idx3-ubyte has 2 images",
        },
        Case {
            name: "IDX tiny images (2×2)",
            input: pair(idx(&[2, 2, 2], &[0; 8]), labels.clone()),
            message: "train-images-idx3-ubyte: images of 2×2 pixels are not supported (8 to 256)",
        },
        Case {
            name: "gzip IDX cut short",
            input: pair(gzip(&images)[..30].to_vec(), labels.clone()),
            message: "train-images-idx3-ubyte: corrupt compressed data (incomplete deflate stream)",
        },
        Case {
            name: "CIFAR-10 truncated record",
            input: Data(vec![file("data_batch_1.bin", cifar_records(&[1, 2])[..5000].to_vec())]),
            message: "data_batch_1.bin: not a recognised dataset file; expected a CIFAR-10 binary batch (.bin), an SVHN *_32x32.mat file, IDX files (MNIST layout) or a PAD bundle (.padb)",
        },
        Case {
            name: "CIFAR-10 label out of range",
            input: Data(vec![file("data_batch_1.bin", cifar_records(&[1, 11]))]),
            message: "data_batch_1.bin: record 1 has label 11, outside 0..10 (not a CIFAR-10 file?)",
        },
        Case {
            name: "SVHN MATLAB v7.3 (HDF5)",
            input: Data(vec![file("train_32x32.mat", hdf5)]),
            message: "train_32x32.mat: MATLAB v7.3 (HDF5) files are not supported; save with -v7 or use the official SVHN files",
        },
        Case {
            name: "SVHN file cut short",
            input: Data(vec![file("train_32x32.mat", svhn_bad_shape)]),
            message: "train_32x32.mat: not a valid MATLAB v5 file (element runs past the end of the file at byte 0)",
        },
        Case {
            name: "bundle of another version",
            input: Data(vec![file("x.padb", b"PADBNDL9\0\0\0\0".to_vec())]),
            message: "x.padb: not a PAD data bundle (a different bundle version)",
        },
        Case {
            name: "bundle declaring a billion images",
            input: Data(vec![file("x.padb", bundle_with(|h| h["train"] = 1_000_000_000.into()))]),
            message: "x.padb: declares 1000000000 images, more than the 1000000 this program accepts",
        },
        Case {
            name: "bundle with 1-pixel-high images",
            input: Data(vec![file("x.padb", bundle_with(|h| h["height"] = 1.into()))]),
            message: "x.padb: bundle declares unsupported images 1×1×28",
        },
        Case {
            name: "files of two formats",
            input: Data(vec![file("data_batch_1.bin", cifar_records(&[1])), file("train-images-idx3-ubyte", images.clone())]),
            message: "the files mix formats (CIFAR-10 and IDX); give files of one dataset",
        },
        Case {
            name: "only a class-name list",
            input: Data(vec![file("batches.meta.txt", b"cat\ndog\n".to_vec())]),
            message: "only a class-name list was given; add the image files",
        },
        Case {
            name: "an unknown file (a PNG)",
            input: Data(vec![file("picture.png", b"\x89PNG\r\n\x1a\n0000".to_vec())]),
            message: "picture.png: not a recognised dataset file; expected a CIFAR-10 binary batch (.bin), an SVHN *_32x32.mat file, IDX files (MNIST layout) or a PAD bundle (.padb)",
        },
        Case {
            name: "checkpoint: not one",
            input: Model(file("notes.padckpt", b"hello".to_vec())),
            message: "checkpoint: notes.padckpt: not a PAD checkpoint (Invalid header: insufficient bytes)",
        },
        Case {
            name: "checkpoint: truncated",
            input: Model(file("cut.padckpt", checkpoint(1, |_, _| {})[..5000].to_vec())),
            message: "checkpoint: cut.padckpt: not a PAD checkpoint (Validation error: File truncated: expected at least 13662720 bytes, got 5000 bytes)",
        },
        Case {
            name: "checkpoint: another version",
            input: Model(file("v9.padckpt", checkpoint(1, |h, _| h["version"] = 9.into()))),
            message: "checkpoint: v9.padckpt: format version 9 is not supported by this program (it reads version 1)",
        },
        Case {
            name: "checkpoint: for RGB images",
            input: Model(file("rgb.padckpt", checkpoint(3, |_, _| {}))),
            message: "checkpoint: rgb.padckpt: the model was trained on 3-channel images (MNIST), the loaded data (MNIST) has 1 channel",
        },
        Case {
            name: "checkpoint: another image side",
            input: Model(file("side.padckpt", checkpoint(1, |h, _| h["image_side"] = 64.into()))),
            message: "checkpoint: side.padckpt: unsupported model shape 1×64×64 with latent 256",
        },
        Case {
            name: "checkpoint: NaN weights",
            input: Model(file(
                "nan.padckpt",
                checkpoint(1, |_, t| {
                    let k = t.iter().position(|t| t.name == "encoder.conv1.weight").unwrap();
                    let n = t[k].shape.iter().product::<usize>();
                    let nan: Vec<u8> = std::iter::repeat_n(f32::NAN.to_le_bytes(), n).flatten().collect();
                    t[k] = burn_pack::Tensor::new(
                        t[k].name.clone(),
                        t[k].dtype,
                        t[k].shape.clone(),
                        None,
                        burn_pack::Bytes::from_bytes_vec(nan),
                    );
                }),
            )),
            message: "checkpoint: nan.padckpt: tensor 'encoder.conv1.weight' holds NaN or infinite values",
        },
        Case {
            name: "checkpoint: a tensor missing",
            input: Model(file("partial.padckpt", checkpoint(1, |_, t| t.retain(|t| t.name != "generator.tconv2.weight")))),
            message: "checkpoint: partial.padckpt: 'generator.tconv2.weight' is missing",
        },
        Case {
            name: "NaN learning rate",
            input: Start(Settings { learning_rate: f64::NAN, ..tiny() }),
            message: "invalid setting: learning rate must be a number above 0 and at most 10000 (2e-4 in the paper; large rates diverge)",
        },
        Case {
            name: "batch size 1",
            input: Start(Settings { batch_size: 1, ..tiny() }),
            message: "invalid setting: batch size must be from 2 (the KL term needs a batch standard deviation) to 1024",
        },
        Case {
            name: "more images than the data holds",
            input: Start(Settings { images_per_epoch: 9_000_000, ..tiny() }),
            message: "invalid setting: the dataset has only 8000 training images",
        },
        Case {
            name: "URL: non-UTF-8 value",
            input: Url("?lr=%FF%FE&epochs=3".into()),
            message: "lr '\u{fffd}\u{fffd}': learning rate must be a number above 0 and at most 10000 (2e-4 in the paper; large rates diverge); using the default",
        },
        Case {
            name: "URL: absurd number",
            input: Url("?epochs=99999999999999999999999&batch=-4".into()),
            message: "epochs '99999999999999999999999': epochs must be a whole number from 1 to 1000; using the default; batch '-4': batch size must be a whole number from 2 to 1024; using the default",
        },
        Case {
            name: "URL: 5,000 characters",
            input: Url(format!("?seed={}", "9".repeat(5000))),
            message: "the address is longer than 2048 characters: the rest is ignored; seed '9999999999999999999999999999999999999999…': seed must be a whole number from 0 to 18446744073709551615; using the default",
        },
        Case { name: "URL: unknown parameter", input: Url("?<script>=1".into()), message: "unknown parameter '<script>' ignored" },
        Case {
            name: "CLI: missing dataset folder",
            input: cli(&["train", "--dataset", "cifar10:/nonexistent", "--out", "/tmp/pad-bad"]),
            message: "error: cannot read /nonexistent: No such file or directory (os error 2)",
        },
        Case {
            name: "CLI: NaN learning rate",
            input: cli(&["train", "--lr", "NaN", "--out", "/tmp/pad-bad"]),
            message: "error: invalid setting: learning rate must be a number in (0, 10000], got NaN",
        },
        Case {
            name: "CLI: eval of a non-checkpoint",
            input: cli(&["eval", "--checkpoint", "Cargo.toml", "--out", "/tmp/pad-bad"]),
            message: "error: checkpoint: not a PAD checkpoint or corrupt (Invalid magic number)",
        },
    ]
}

/// The first error a session answers to a command, and the events it sent.
fn answer(session: &mut Session, command: Command) -> (Option<String>, Vec<Event>) {
    let mut events = Vec::new();
    block_on(session.handle(command, &mut |e| events.push(e)));
    let error = events.iter().find_map(|e| if let Event::Error { message, .. } = e { Some(message.clone()) } else { None });
    (error, events)
}

fn save(session: &mut Session) -> Vec<u8> {
    let (_, events) = answer(session, Command::Save);
    events.into_iter().find_map(|e| if let Event::Saved { bytes, .. } = e { Some(bytes) } else { None }).expect("saved")
}

#[test]
fn every_bad_input_gets_its_message_and_nothing_breaks() {
    // The page's trainer with the bundled MNIST and a run one iteration in: what must survive.
    let mut session = Session::new(common::cpu());
    assert_eq!(answer(&mut session, Command::LoadData { files: vec![mnist()] }).0, None);
    assert_eq!(answer(&mut session, Command::Start { settings: tiny(), paused: true }).0, None);
    assert_eq!(answer(&mut session, Command::Step).0, None);
    let before = save(&mut session);

    let mut table = vec!["| bad input | what the user reads |".to_string(), "| --- | --- |".into()];
    let mut wrong = Vec::new();
    for case in cases() {
        let got = match case.input {
            Input::Data(files) => answer(&mut session, Command::LoadData { files }).0.unwrap_or_else(|| "(accepted)".into()),
            Input::Model(file) => {
                answer(&mut session, Command::LoadModel { file, settings: tiny(), batch: None }).0.unwrap_or_else(|| "(accepted)".into())
            }
            Input::Start(settings) => {
                // Start needs no run; a fresh session with the data is the page after Reset.
                let mut fresh = Session::new(common::cpu());
                answer(&mut fresh, Command::LoadData { files: vec![mnist()] });
                let message = answer(&mut fresh, Command::Start { settings, paused: true }).0.unwrap_or_else(|| "(accepted)".into());
                assert_eq!(fresh.state(), RunState::Idle, "{}: no run was created", case.name);
                message
            }
            Input::Url(query) => {
                let p = PageParams::parse(&query);
                assert!(p.form.parse(None).is_ok(), "{}: the page still gets settings that work", case.name);
                p.notes.join("; ")
            }
            Input::Cli(args) => {
                let o = std::process::Command::new(env!("CARGO_BIN_EXE_pad")).args(&args).output().unwrap();
                assert_eq!(o.status.code(), Some(1), "{}: exit status", case.name);
                String::from_utf8_lossy(&o.stderr).trim().to_string()
            }
        };
        table.push(format!("| {} | {} |", case.name, got.replace('|', "\\|")));
        if got != case.message {
            wrong.push(format!("{}:\n  expected {:?}\n  got      {:?}", case.name, case.message, got));
        }
        // Nothing broke: the data and the run are the same as before every bad input.
        assert_eq!(session.state(), RunState::Paused, "{}: the run survives", case.name);
    }
    println!("{}", table.join("\n"));
    assert!(table.len() - 2 >= 20);
    assert_eq!(save(&mut session), before, "the run's model is untouched");
    // And the trainer still trains.
    let (error, events) = answer(&mut session, Command::Step);
    assert_eq!(error, None);
    assert!(events.iter().any(|e| matches!(e, Event::Progress(p) if p.done == 2)));
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
