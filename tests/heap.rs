//! The trainer's heap, counted as the browser's worker counts it (`src/heap.rs`): in the browser a
//! WebAssembly heap never shrinks, so every transient copy raises the tab's memory for good. A
//! save must hold the file and about one tensor more than training does — not the file three
//! times, as `Writer::into_bytes` made it (measured: 152 MB in use at an autosave, 121 MB after) —
//! and opening a checkpoint must take its bytes without copying them.

use pad::data::upload::NamedFile;
use pad::heap::Counted;
use pad::readback::block_on;
use pad::session::protocol::{Backend, Command, DeviceChoice, DeviceInfo, Event, RunState};
use pad::session::settings::Settings;
use std::sync::Mutex;

mod common;

#[global_allocator]
static HEAP: Counted = Counted::new();

/// The counter is the process's: one test reads it at a time.
static ONE: Mutex<()> = Mutex::new(());

const MB: f64 = 1048576.0;

#[test]
fn an_autosave_holds_the_file_and_little_more_than_training() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let mnist = NamedFile::new("mnist.padb", std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/data/mnist.padb")).unwrap());
    let settings = Settings { epochs: 1, batch_size: 32, images_per_epoch: 256, ..Settings::default() };
    let (tx, rx) = async_channel::unbounded();
    for c in [
        Command::Init { device: DeviceChoice::Cpu, measured: Vec::new() },
        Command::LoadData { files: vec![mnist] },
        Command::Start { settings, paused: false },
    ] {
        tx.try_send(c).unwrap();
    }
    let mut tx = Some(tx);
    let cpu = DeviceInfo { backend: Backend::Cpu, adapter: String::new(), note: None, software: false };
    // What iterations leave in use (model, Adam's moments, data) and the peak of the autosave.
    let (mut training, mut saved) = (0, None);
    block_on(pad::session::serve(rx, async |_| (common::cpu(), cpu), async || {}, &mut |e| {
        let peak = HEAP.take_peak();
        match e {
            Event::Phase { .. } => training = training.max(HEAP.in_use()),
            Event::Saved { bytes, autosave: true, .. } => saved = Some((peak, bytes.len())),
            Event::State(RunState::Finished) => tx = None,
            _ => {}
        }
    }));
    let (peak, file) = saved.expect("an autosave after the epoch");
    let (training, peak, file) = (training as f64 / MB, peak as f64 / MB, file as f64 / MB);
    println!("in use while training {training:.1} MB; the autosave's peak {peak:.1} MB for a {file:.1} MB file");
    assert!(peak - training < 1.25 * file, "the autosave held {:.1} MB more than training for a {file:.1} MB file", peak - training);
}

#[test]
fn opening_a_checkpoint_takes_its_bytes_without_a_copy() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let trainer = pad::train::Trainer::new(pad::train::TrainConfig::default(), 1, &common::cpu()).unwrap();
    let bytes = block_on(pad::train::checkpoint::to_bytes(&trainer, "MNIST", &[], &[])).unwrap();
    drop(trainer);
    let before = HEAP.in_use();
    HEAP.take_peak();
    let opened = pad::train::checkpoint::Opened::new(bytes).unwrap();
    let opening = (HEAP.take_peak() - before) as f64 / MB;
    assert!(opening < 1.0, "opening a checkpoint held {opening:.1} MB more");
    opened.load(&common::cpu()).unwrap();
}

/// A bundle is decompressed an image at a time into its resized splits: decoding holds the
/// dataset and little more (it held the whole payload beside the splits, and grew both by
/// doubling: 22 MB at its peak for MNIST's 9.8 MB).
#[test]
fn a_bundle_decodes_without_holding_its_payload() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let mnist = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/data/mnist.padb")).unwrap();
    let before = HEAP.in_use();
    HEAP.take_peak();
    let data = pad::data::bundle::decode("mnist.padb", &mnist).unwrap();
    let (kept, peak) = ((HEAP.in_use() - before) as f64 / MB, (HEAP.take_peak() - before) as f64 / MB);
    println!("the dataset {kept:.1} MB; decoding's peak {peak:.1} MB");
    assert!(peak < 1.1 * kept, "decoding held {peak:.1} MB for a {kept:.1} MB dataset");
    drop(data);
}

/// Loading a checkpoint holds its file, the model, and one tensor more: each stored tensor is
/// decoded as its parameter is reached, and the fresh parameter it replaces is freed then (it
/// decoded every tensor first and kept the fresh model until the end: 26 MB above the file for
/// a 13 MB model, the pretrained snapshot's load that set the ready page's heap).
#[test]
fn loading_a_checkpoint_holds_the_file_the_model_and_little_more() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let pretrained = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/pretrained/mnist-pad.padckpt")).unwrap();
    let before = HEAP.in_use();
    HEAP.take_peak();
    let (trainer, _) = pad::train::checkpoint::Opened::new(pretrained).unwrap().load(&common::cpu()).unwrap();
    let peak = (HEAP.take_peak() - before) as f64 / MB;
    use burn::module::Module;
    let model = (trainer.encoder().num_params() + trainer.generator().num_params()) as f64 * 4.0 / MB;
    println!("a {model:.1} MB model; the load's peak {peak:.1} MB above its file");
    assert!(peak < 1.4 * model, "the load held {peak:.1} MB above its file for a {model:.1} MB model");
}
