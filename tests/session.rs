//! The trainer behind the page, driven natively: files handed over in memory, the settings form,
//! and a session taking commands and answering with events.

mod common;

use common::gzip;
use pad::data::upload::{NamedFile, dataset_from_files};
use pad::readback::block_on;
use pad::session::protocol::{self, Backend, Command, DeviceChoice, DeviceInfo, Event, RunState, Topic};
use pad::session::settings::{Field, Form, Settings};
use pad::sleep::Phase;
use pad::train::Variant;

/// A byte-valued IDX file.
fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    common::idx_bytes(8, dims, data)
}

fn cifar_records(labels: &[u8]) -> Vec<u8> {
    labels.iter().flat_map(|&l| std::iter::once(l).chain(std::iter::repeat_n(l * 20, 3072))).collect()
}

fn err(files: Vec<NamedFile>) -> String {
    dataset_from_files(&files).expect_err("must be refused").to_string()
}

#[test]
fn uploaded_files_are_recognised_by_content_and_split_by_name() {
    // CIFAR-10: training batches and the test batch, in any order, plus the class-name list.
    let ds = dataset_from_files(&[
        NamedFile::new("test_batch.bin", cifar_records(&[3, 4])),
        NamedFile::new("data_batch_1.bin", cifar_records(&[0, 1, 2])),
        NamedFile::new("data_batch_2.bin", cifar_records(&[9])),
        NamedFile::new("batches.meta.txt", b"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n".to_vec()),
    ])
    .unwrap();
    assert_eq!((ds.name.as_str(), ds.train.len(), ds.test.len(), ds.channels()), ("CIFAR-10", 4, 2, 3));
    assert_eq!(ds.train.labels, vec![0, 1, 2, 9]);
    assert_eq!(ds.classes[9], "j");
    // IDX: images and labels paired per split, raw or gzip, by the MNIST names.
    let imgs = |n: u32| idx_bytes(&[n, 28, 28], &vec![7u8; n as usize * 784]);
    let labs = |l: &[u8]| idx_bytes(&[l.len() as u32], l);
    let ds = dataset_from_files(&[
        NamedFile::new("train-images-idx3-ubyte.gz", gzip(&imgs(3))),
        NamedFile::new("train-labels-idx1-ubyte", labs(&[1, 2, 3])),
        NamedFile::new("t10k-images-idx3-ubyte", imgs(2)),
        NamedFile::new("t10k-labels-idx1-ubyte.gz", gzip(&labs(&[4, 5]))),
    ])
    .unwrap();
    assert_eq!((ds.train.len(), ds.test.len(), ds.train.pixels.len()), (3, 2, 3 * 32 * 32));
    // A training file alone is a dataset without a test split.
    let ds = dataset_from_files(&[NamedFile::new("my.bin", cifar_records(&[5, 6]))]).unwrap();
    assert_eq!((ds.train.len(), ds.test.len()), (2, 0));
    // The bundled subsets are files like any other.
    let bundle = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/data/mnist.padb")).unwrap();
    let ds = dataset_from_files(&[NamedFile::new("mnist.padb", bundle.clone())]).unwrap();
    assert_eq!((ds.train.len(), ds.test.len()), (8000, 2000));

    // What cannot be a dataset says why.
    assert!(err(vec![]).contains("no file"));
    assert!(err(vec![NamedFile::new("x.bin", vec![])]).contains("x.bin: the file is empty"));
    assert!(err(vec![NamedFile::new("notes.pdf", b"%PDF-1.4 whatever".to_vec())]).contains("notes.pdf: not a recognised dataset file"));
    assert!(err(vec![NamedFile::new("a.bin", cifar_records(&[1])), NamedFile::new("b", imgs(1))]).contains("mix formats"));
    assert!(err(vec![NamedFile::new("test_batch.bin", cifar_records(&[1]))]).contains("no training file"));
    assert!(err(vec![NamedFile::new("a.bin", cifar_records(&[1, 12]))]).contains("label 12"));
    assert!(err(vec![NamedFile::new("train-images-idx3-ubyte", imgs(2))]).contains("one IDX images file and one IDX labels file"));
    assert!(err(vec![NamedFile::new("m.padb", bundle.clone()), NamedFile::new("n.padb", bundle)]).contains("alone"));
    let mut truncated = cifar_records(&[1, 2]);
    truncated.pop();
    assert!(err(vec![NamedFile::new("d.bin", truncated)]).contains("not a recognised dataset file"));
}

#[test]
fn the_settings_form_names_every_bad_field() {
    let good = Form::from(&Settings::default());
    assert_eq!(good.parse(Some(8000)).unwrap(), Settings::default());
    let fields = |f: Form, n: Option<usize>| f.parse(n).unwrap_err().into_iter().map(|e| (e.field, e.message)).collect::<Vec<_>>();
    let bad = Form {
        variant: "dreamy".into(),
        epochs: "0".into(),
        batch_size: "1".into(),
        learning_rate: "NaN".into(),
        seed: "-3".into(),
        images_per_epoch: "lots".into(),
        probe: true,
    };
    let e = fields(bad, Some(8000));
    assert_eq!(
        e.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
        vec![Field::Variant, Field::Epochs, Field::BatchSize, Field::LearningRate, Field::Seed, Field::ImagesPerEpoch]
    );
    assert!(e[0].1.contains("unknown variant 'dreamy'"), "{}", e[0].1);
    assert_eq!(e[1].1, "epochs must be a whole number from 1 to 1000");
    assert_eq!(e[2].1, "batch size must be a whole number from 2 to 1024");
    assert_eq!(e[3].1, "learning rate must be a number above 0 and at most 1 (e.g. 2e-4)");
    for lr in ["0", "1.5", "inf", "-2e-4", ""] {
        let f = Form { learning_rate: lr.into(), ..good.clone() };
        assert_eq!(fields(f, None)[0].0, Field::LearningRate, "{lr}");
    }
    // Values that only fail together, or against the data.
    let f = Form { batch_size: "128".into(), images_per_epoch: "100".into(), ..good.clone() };
    assert_eq!(fields(f, None), vec![(Field::ImagesPerEpoch, "images per epoch must be at least one batch (128)".into())]);
    let f = Form { images_per_epoch: "9000".into(), ..good.clone() };
    assert_eq!(fields(f, Some(8000)), vec![(Field::ImagesPerEpoch, "the dataset has only 8000 training images".into())]);
    let f = Form { variant: " no-rem ".into(), learning_rate: "1e-3".into(), ..good };
    let s = f.parse(Some(8000)).unwrap();
    assert_eq!((s.variant, s.learning_rate), (Variant::NoRem, 1e-3));
}

#[test]
fn messages_round_trip_and_garbage_is_an_error() {
    let c = Command::Start { settings: Settings::default(), paused: true };
    assert_eq!(protocol::decode::<Command>(&protocol::encode(&c)).unwrap(), c);
    assert!(protocol::decode::<Command>(&[200, 1, 2]).unwrap_err().to_string().contains("malformed message"));
    assert!(protocol::decode::<Event>(&[]).is_err());
    assert_eq!("webgpu".parse::<DeviceChoice>().unwrap(), DeviceChoice::WebGpu);
    assert!("gpu".parse::<DeviceChoice>().unwrap_err().to_string().contains("expected auto, webgpu or cpu"));
}

fn mnist() -> NamedFile {
    NamedFile::new("mnist.padb", std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/data/mnist.padb")).unwrap())
}

fn tiny(epochs: usize) -> Settings {
    Settings { epochs, batch_size: 8, images_per_epoch: 64, ..Settings::default() }
}

/// Serve `script` through the worker's loop on the CPU; `react` may answer events with more
/// commands (returning `None` closes the channel once nothing runs).
fn serve(script: Vec<Command>, mut react: impl FnMut(&Event) -> Vec<Command>) -> Vec<Event> {
    let (tx, rx) = async_channel::unbounded();
    for c in script {
        tx.try_send(c).unwrap();
    }
    let mut tx = Some(tx);
    let mut events = Vec::new();
    let pick = async |choice: DeviceChoice| {
        assert_eq!(choice, DeviceChoice::Cpu);
        (common::cpu(), DeviceInfo { backend: Backend::Cpu, adapter: String::new(), note: None })
    };
    block_on(pad::session::serve(rx, pick, async || {}, &mut |e| {
        for c in react(&e) {
            tx.as_ref().expect("still open").try_send(c).unwrap();
        }
        if matches!(e, Event::State(RunState::Finished | RunState::Idle) | Event::Error { .. }) {
            tx = None; // nothing more to say once the run is over
        }
        events.push(e);
    }));
    events
}

fn states(events: &[Event]) -> Vec<RunState> {
    events.iter().filter_map(|e| if let Event::State(s) = e { Some(*s) } else { None }).collect()
}

#[test]
fn a_session_trains_through_the_phases_and_reports_everything_the_page_shows() {
    let events = serve(
        vec![
            Command::Init { device: DeviceChoice::Cpu },
            Command::LoadData { files: vec![mnist()] },
            Command::Start { settings: tiny(1), paused: false },
        ],
        |_| vec![],
    );
    assert!(matches!(&events[0], Event::Ready(info) if info.backend == Backend::Cpu));
    let Event::DataLoaded(summary) = &events[1] else { panic!("{:?}", events[1]) };
    assert_eq!((summary.train, summary.test, summary.channels, summary.preview.count), (8000, 2000, 1, 64));
    assert_eq!(states(&events), vec![RunState::Running, RunState::Finished]);
    // Every iteration reports Wake, NREM, REM in that order, then its progress.
    let phases: Vec<Phase> = events.iter().filter_map(|e| if let Event::Phase { phase, .. } = e { Some(*phase) } else { None }).collect();
    assert_eq!(phases.len(), 8 * 3, "64 images, batch 8: 8 iterations");
    assert!(phases.chunks(3).all(|c| c == [Phase::Wake, Phase::Nrem, Phase::Rem]));
    let progress: Vec<_> = events.iter().filter_map(|e| if let Event::Progress(p) = e { Some(p) } else { None }).collect();
    assert_eq!(progress.iter().map(|p| p.done).collect::<Vec<_>>(), (1..=8).collect::<Vec<_>>());
    let last = progress.last().unwrap();
    assert_eq!((last.epoch, last.epochs, last.iteration, last.per_epoch), (1, 1, 8, 8));
    assert!(last.losses.is_finite() && last.images_per_second > 0.0 && last.elapsed > 0.0);
    assert_eq!(last.eta, Some(0.0), "nothing left to do");
    // Pictures: the first iteration's, and the epoch's last at least; 8 images of each phase.
    let shots: Vec<_> = events.iter().filter_map(|e| if let Event::Images(s) = e { Some(s) } else { None }).collect();
    assert!(shots.len() >= 2 && shots[0].iteration == 1 && shots.last().unwrap().iteration == 8);
    for s in &shots {
        for h in [&s.input, &s.reconstruction, &s.nrem, &s.rem] {
            assert_eq!((h.count, h.channels, h.side, h.pixels.len()), (8, 1, 32, 8 * 1024));
        }
    }
    // The probe curve starts at the untrained network.
    let epochs: Vec<_> = events.iter().filter_map(|e| if let Event::Epoch(r) = e { Some(r) } else { None }).collect();
    assert_eq!(epochs.iter().map(|r| r.epoch).collect::<Vec<_>>(), vec![0, 1]);
    assert!(epochs.iter().all(|r| r.probe_stable.is_some() && r.probe_official_all.is_some()));
    assert!(!events.iter().any(|e| matches!(e, Event::Error { .. })), "{events:?}");
    assert_eq!(events.iter().filter(|e| matches!(e, Event::Probing { epoch: 1 })).count(), 1);
}

#[test]
fn pause_step_resume_and_reset_do_what_they_say() {
    let mut paused_once = false;
    let events = serve(
        vec![
            Command::Init { device: DeviceChoice::Cpu },
            Command::LoadData { files: vec![mnist()] },
            Command::Start { settings: Settings { probe: false, ..tiny(1) }, paused: true },
            Command::Step,
            Command::Step,
        ],
        |e| match e {
            // After the two single steps: run, then pause on the next iteration, then reset.
            Event::Progress(p) if p.done == 2 => vec![Command::Resume],
            Event::Progress(p) if p.done == 3 && !paused_once => {
                paused_once = true;
                vec![Command::Pause]
            }
            Event::State(RunState::Paused) if paused_once => vec![Command::Step, Command::Reset],
            _ => vec![],
        },
    );
    assert_eq!(states(&events), vec![RunState::Paused, RunState::Running, RunState::Paused, RunState::Idle]);
    let done: Vec<usize> = events.iter().filter_map(|e| if let Event::Progress(p) = e { Some(p.done) } else { None }).collect();
    assert_eq!(done, vec![1, 2, 3, 4], "two steps, one running iteration, one more step");
    // Every single step shows its pictures.
    let shot_iters: Vec<usize> = events.iter().filter_map(|e| if let Event::Images(s) = e { Some(s.iteration) } else { None }).collect();
    assert!(shot_iters.starts_with(&[1, 2]) && shot_iters.ends_with(&[4]), "{shot_iters:?}");
}

#[test]
fn a_session_refuses_what_cannot_work_and_stays_usable() {
    let errors = |events: &[Event]| {
        events
            .iter()
            .filter_map(|e| if let Event::Error { topic, message } = e { Some((*topic, message.clone())) } else { None })
            .collect::<Vec<_>>()
    };
    let events = serve(
        vec![
            Command::Pause,
            Command::Init { device: DeviceChoice::Cpu },
            Command::Start { settings: tiny(1), paused: false },
            Command::Init { device: DeviceChoice::Cpu },
            Command::LoadData { files: vec![NamedFile::new("broken.bin", vec![1, 2, 3])] },
            Command::LoadData { files: vec![mnist()] },
            Command::Start { settings: Settings { images_per_epoch: 9000, ..tiny(1) }, paused: true },
            Command::Resume,
            Command::Start { settings: tiny(1), paused: true },
            Command::Start { settings: tiny(1), paused: true },
            Command::Reset,
        ],
        |_| vec![],
    );
    let e = errors(&events);
    assert_eq!(e[0], (Topic::Run, "the trainer is starting: wait for it to be ready".into()));
    assert_eq!(e[1], (Topic::Settings, "invalid setting: load a dataset first".into()));
    assert_eq!(e[2], (Topic::Run, "invalid setting: the trainer is already started".into()));
    assert_eq!(e[3].0, Topic::Data);
    assert!(e[3].1.starts_with("broken.bin: not a recognised dataset file"), "{}", e[3].1);
    assert_eq!(e[4], (Topic::Settings, "invalid setting: the dataset has only 8000 training images".into()));
    assert_eq!(e[5], (Topic::Run, "invalid setting: no run: press Start".into()));
    assert_eq!(e[6], (Topic::Settings, "invalid setting: a run is already under way: Reset it first".into()));
    assert_eq!(e.len(), 7);
    assert_eq!(states(&events), vec![RunState::Paused, RunState::Idle]);
}

#[test]
fn the_page_keeps_a_bounded_loss_history_and_a_sliding_hypnogram() {
    use pad::session::history::{Hypnogram, LossHistory};
    let mut h = LossHistory::default();
    let l = pad::train::Losses { img: 1.0, kl: 2.0, real: 3.0, nrem: 4.0, fake: 5.0 };
    for i in 1..=5000 {
        h.push(i, &l);
    }
    let its: Vec<usize> = h.points().iter().map(|p| p.0).collect();
    assert!(its.len() <= LossHistory::CAPACITY && its.len() > LossHistory::CAPACITY / 4, "{}", its.len());
    assert_eq!(its[0], 1);
    assert!(its.windows(2).all(|w| w[0] < w[1]) && *its.last().unwrap() > 4900);
    assert_eq!(h.points()[0].1, [1.0, 2.0, 3.0, 4.0, 5.0]);

    // Slow iterations: the last 30 s are kept.
    let mut g = Hypnogram::default();
    for _ in 0..20 {
        for p in Phase::ALL {
            g.push(p, 1.0);
        }
    }
    assert!((g.now() - 60.0).abs() < 1e-9);
    assert_eq!(g.current(), Some(Phase::Rem));
    let s: Vec<_> = g.segments().collect();
    assert_eq!((s.len(), g.start()), (31, 29.0), "every segment that ends in the last 30 s");
    assert!(s.windows(2).all(|w| (w[0].end - w[1].start).abs() < 1e-9), "contiguous");
    // Fast iterations: the last 30 iterations are kept.
    for _ in 0..1000 {
        for p in Phase::ALL {
            g.push(p, 0.001);
        }
    }
    let s: Vec<_> = g.segments().collect();
    assert_eq!(s.len(), Hypnogram::MAX_SEGMENTS);
    assert_eq!((s[0].phase, s.last().unwrap().phase), (Phase::Wake, Phase::Rem));
}

#[test]
fn url_parameters_choose_the_device_and_bad_ones_fall_back_with_a_note() {
    use pad::session::url::PageParams;
    assert_eq!(PageParams::parse(""), PageParams::default());
    assert_eq!(PageParams::parse("?device=webgpu").device, DeviceChoice::WebGpu);
    assert_eq!(PageParams::parse("device=cpu").device, DeviceChoice::Cpu);
    let p = PageParams::parse("?device=%FF%FEgpu&x=1&device");
    assert_eq!(p.device, DeviceChoice::Auto);
    assert_eq!(p.notes[0], "device '\u{fffd}\u{fffd}gpu' is not auto, webgpu or cpu: using auto");
    assert_eq!(p.notes[1], "unknown parameter 'x' ignored");
    assert_eq!(p.notes[2], "device '' is not auto, webgpu or cpu: using auto");
    let long = format!("?device={}", "a".repeat(5000));
    assert!(PageParams::parse(&long).notes[0].len() < 120);
}
