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
