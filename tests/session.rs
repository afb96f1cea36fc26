//! The trainer behind the page, driven natively: files handed over in memory, the settings form,
//! and a session taking commands and answering with events.

mod common;

use common::{cifar_records, gzip};
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
        wake_weight: "-1".into(),
        nrem_weight: "heavy".into(),
        rem_weight: "101".into(),
        epsilon: "NaN".into(),
        memory_mix: true,
        probe: true,
    };
    let e = fields(bad, Some(8000));
    assert_eq!(
        e.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
        vec![
            Field::Variant,
            Field::Epochs,
            Field::BatchSize,
            Field::LearningRate,
            Field::Seed,
            Field::ImagesPerEpoch,
            Field::WakeWeight,
            Field::NremWeight,
            Field::RemWeight,
            Field::Epsilon
        ]
    );
    assert_eq!(e[6].1, "W must be a number from 0 to 100");
    assert_eq!(e[9].1, "ε must be a number from 0 to 100");
    assert_eq!(e[0].1, "expected one of pad, no-nrem, no-rem, no-memory-mix, wake-only");
    assert_eq!(e[1].1, "epochs must be a whole number from 1 to 1000");
    assert_eq!(e[2].1, "batch size must be a whole number from 2 to 1024");
    assert_eq!(e[3].1, "learning rate must be a number above 0 and at most 10000 (2e-4 in the paper; large rates diverge)");
    for lr in ["0", "1e5", "inf", "-2e-4", ""] {
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
fn serve(script: Vec<Command>, react: impl FnMut(&Event) -> Vec<Command>) -> Vec<Event> {
    let cpu = DeviceInfo { backend: Backend::Cpu, adapter: String::new(), note: None, software: false };
    serve_on(DeviceChoice::Cpu, cpu, script, react)
}

/// [`serve`], the device picked for `choice` being described by `info` (it is the CPU).
fn serve_on(choice: DeviceChoice, info: DeviceInfo, script: Vec<Command>, mut react: impl FnMut(&Event) -> Vec<Command>) -> Vec<Event> {
    let (tx, rx) = async_channel::unbounded();
    for c in script {
        tx.try_send(c).unwrap();
    }
    let mut tx = Some(tx);
    let mut events = Vec::new();
    let pick = async |asked: DeviceChoice| {
        assert_eq!(asked, choice);
        (common::cpu(), info)
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
            Command::Init { device: DeviceChoice::Cpu, measured: Vec::new() },
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
    let mut shots: Vec<_> = events.iter().filter_map(|e| if let Event::Images(s) = e { Some(s) } else { None }).collect();
    // At the end, the finished model on the first 64 training images (fixed draws).
    let finished = shots.pop().unwrap();
    assert_eq!((finished.epoch, finished.iteration, finished.reconstruction.count), (1, 0, 64));
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
fn auto_measures_a_hardware_gpu_against_the_cpu_once_and_trains_on_the_faster() {
    // A "hardware WebGPU adapter" that is the CPU backend underneath: the flow, not the speeds.
    let gpu = DeviceInfo { backend: Backend::WebGpu, adapter: "test · gpu".into(), note: Some("checked".into()), software: false };
    let script = |measured| {
        vec![
            Command::Init { device: DeviceChoice::Auto, measured },
            Command::LoadData { files: vec![mnist()] },
            Command::Start { settings: tiny(1), paused: false },
        ]
    };
    let events = serve_on(DeviceChoice::Auto, gpu.clone(), script(Vec::new()), |_| vec![]);
    assert!(matches!(&events[0], Event::Ready(info) if info.backend == Backend::WebGpu));
    let at = events.iter().position(|e| matches!(e, Event::Measuring { batch: 8 })).expect("measured at the run's batch size");
    let Event::Measured(m) = &events[at + 1] else { panic!("{:?}", events[at + 1]) };
    assert_eq!((m.adapter.as_str(), m.batch), ("test · gpu", 8));
    assert!(m.webgpu_images_per_second > 0.0 && m.cpu_images_per_second > 0.0);
    let Event::Ready(now) = &events[at + 2] else { panic!("{:?}", events[at + 2]) };
    assert_eq!(now.backend, m.faster());
    assert!(now.note.as_deref().unwrap().starts_with(&m.describe()));
    assert_eq!(states(&events), vec![RunState::Running, RunState::Finished]);

    // Measured before on this browser: no measuring, the faster from the start, said so.
    for (webgpu, cpu, backend, arrow) in [(1.0, 100.0, Backend::Cpu, "→ CPU"), (300.0, 50.0, Backend::WebGpu, "→ WebGPU")] {
        let before = pad::session::protocol::Measured {
            adapter: "test · gpu".into(),
            batch: 32,
            webgpu_images_per_second: webgpu,
            cpu_images_per_second: cpu,
        };
        let events = serve_on(DeviceChoice::Auto, gpu.clone(), script(vec![before]), |_| vec![]);
        let Event::Ready(info) = &events[0] else { panic!("{:?}", events[0]) };
        assert_eq!(info.backend, backend);
        let note = info.note.as_deref().unwrap();
        assert!(note.contains(arrow) && note.contains("at batch 32") && note.contains("(measured before on this browser)"), "{note}");
        assert!(!events.iter().any(|e| matches!(e, Event::Measuring { .. })));
        assert_eq!(states(&events), vec![RunState::Running, RunState::Finished]);
    }
    // Another adapter's measurement does not count; a software adapter or a chosen device is
    // never measured.
    let other =
        pad::session::protocol::Measured { adapter: "other".into(), batch: 8, webgpu_images_per_second: 1.0, cpu_images_per_second: 2.0 };
    let events = serve_on(DeviceChoice::Auto, gpu.clone(), script(vec![other]), |_| vec![]);
    assert!(events.iter().any(|e| matches!(e, Event::Measuring { .. })));
    let software = DeviceInfo { software: true, ..gpu.clone() };
    let events = serve_on(DeviceChoice::Auto, software, script(Vec::new()), |_| vec![]);
    assert!(!events.iter().any(|e| matches!(e, Event::Measuring { .. })));
    let mut chosen = script(Vec::new());
    chosen[0] = Command::Init { device: DeviceChoice::WebGpu, measured: Vec::new() };
    let events = serve_on(DeviceChoice::WebGpu, gpu, chosen, |_| vec![]);
    assert!(!events.iter().any(|e| matches!(e, Event::Measuring { .. })));
}

#[test]
fn software_adapters_are_known_by_name_or_by_the_browsers_word() {
    let software = |fallback, names: &[&str]| DeviceInfo::is_software_adapter(fallback, names);
    assert!(software(false, &["google", "swiftshader", ""]));
    assert!(software(false, &["", "", "Microsoft Basic Render Driver"]));
    assert!(software(false, &["mesa", "", "llvmpipe (LLVM 15.0.6, 256 bits)"]));
    assert!(software(false, &["", "", "Lavapipe"]));
    assert!(software(true, &["intel", "gen-12lp", ""]), "the browser says it is a fallback adapter");
    assert!(!software(false, &["nvidia", "ampere", "NVIDIA GeForce RTX 3060"]));
    assert!(!software(false, &["apple", "metal-3", ""]));
}

#[test]
fn measured_rates_read_as_the_page_shows_them() {
    let m =
        pad::session::protocol::Measured { adapter: "a".into(), batch: 32, webgpu_images_per_second: 310.4, cpu_images_per_second: 48.2 };
    assert_eq!(m.describe(), "WebGPU 310 img/s · CPU 48 img/s at batch 32 → WebGPU");
    let slow = pad::session::protocol::Measured { webgpu_images_per_second: 2.31, ..m };
    assert_eq!((slow.faster(), slow.describe().as_str()), (Backend::Cpu, "WebGPU 2.3 img/s · CPU 48 img/s at batch 32 → CPU"));
}

#[test]
fn pause_step_resume_and_reset_do_what_they_say() {
    let mut paused_once = false;
    let events = serve(
        vec![
            Command::Init { device: DeviceChoice::Cpu, measured: Vec::new() },
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
            Command::Init { device: DeviceChoice::Cpu, measured: Vec::new() },
            Command::Start { settings: tiny(1), paused: false },
            Command::Init { device: DeviceChoice::Cpu, measured: Vec::new() },
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
    // A file that is not a dataset is answered as soon as it is read, ahead of the commands
    // queued before it (it changes nothing).
    assert_eq!(e[1].0, Topic::Data);
    assert!(e[1].1.starts_with("broken.bin: not a recognised dataset file"), "{}", e[1].1);
    assert_eq!(e[2], (Topic::Settings, "invalid setting: load a dataset first".into()));
    assert_eq!(e[3], (Topic::Run, "invalid setting: the trainer is already started".into()));
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
fn url_parameters_set_up_the_page_and_bad_ones_fall_back_with_a_note() {
    use pad::session::url::{Bundled, PageParams, View};
    assert_eq!(PageParams::parse(""), PageParams::default());
    assert_eq!(PageParams::parse("?device=webgpu").device, DeviceChoice::WebGpu);
    assert_eq!(PageParams::parse("device=cpu").device, DeviceChoice::Cpu);
    // The embed example, and every setting.
    let p = PageParams::parse("?embed=1&dataset=mnist&variant=pad&view=dreams&autostart=1");
    assert!(p.embed && p.autostart && p.notes.is_empty());
    assert_eq!((p.dataset, p.view, p.form.variant.as_str()), (Bundled::Mnist, View::Dreams, "pad"));
    let p = PageParams::parse("dataset=fashion&variant=no-rem&epochs=3&batch=16&lr=1e-3&seed=7&images=512&probe=0&view=plots");
    assert!(p.notes.is_empty(), "{:?}", p.notes);
    let s = p.form.parse(None).unwrap();
    assert_eq!((p.dataset, p.view), (Bundled::Fashion, View::Plots));
    assert_eq!(
        (s.variant, s.epochs, s.batch_size, s.learning_rate, s.seed, s.images_per_epoch, s.probe),
        (Variant::NoRem, 3, 16, 1e-3, 7, 512, false)
    );
    // Invalid values: the default, with a note each; the page still gets a usable form.
    let p = PageParams::parse("?device=%FF%FEgpu&x=1&device&lr=NaN&epochs=-1&batch=4096&embed=maybe&view=everything&dataset=imagenet");
    assert_eq!(p.device, DeviceChoice::Auto);
    assert_eq!(p.form, Form::from(&Settings::default()));
    assert!(!p.embed);
    assert_eq!(
        p.notes,
        vec![
            "device '\u{fffd}\u{fffd}gpu' is not auto, webgpu or cpu: using the default",
            "unknown parameter 'x' ignored",
            "device '' is not auto, webgpu or cpu: using the default",
            "embed 'maybe' is not 1 or 0: using the default",
            "view 'everything' is not all, dreams or plots: using the default",
            "dataset 'imagenet' is not a bundled dataset (mnist or fashion): using the default",
            "lr 'NaN': learning rate must be a number above 0 and at most 10000 (2e-4 in the paper; large rates diverge); using the default",
            "epochs '-1': epochs must be a whole number from 1 to 1000; using the default",
            "batch '4096': batch size must be a whole number from 2 to 1024; using the default",
        ]
    );
    // Settings that only fail together: images below one batch.
    let p = PageParams::parse("batch=128&images=100");
    assert_eq!(p.form.batch_size, "128");
    assert_eq!(p.form.images_per_epoch, "2048");
    assert_eq!(p.notes, vec!["images '100': images per epoch must be at least one batch (128); using the default"]);
    // Absurd addresses: bounded notes, no panic.
    let long = format!("?device={}", "a".repeat(5000));
    let p = PageParams::parse(&long);
    assert!(p.notes.iter().all(|n| n.len() < 140), "{:?}", p.notes);
    assert!(p.notes[0].contains("longer than 2048 characters"));
    let _ = PageParams::parse("%%%&&&==&=%E2%82");
}

#[test]
fn a_share_link_reproduces_the_page_and_the_embed_code_is_an_iframe() {
    use pad::session::url::{Bundled, PageParams, View};
    assert_eq!(PageParams::default().to_query(), "", "defaults are left out");
    let mut p = PageParams::parse("dataset=fashion&variant=wake-only&epochs=4&lr=0.001&seed=3&probe=0&device=cpu&view=dreams");
    assert!(p.notes.is_empty(), "{:?}", p.notes);
    let q = p.to_query();
    assert_eq!(PageParams::parse(&q), p, "{q}");
    p.embed = true;
    p.autostart = true;
    assert_eq!(PageParams::parse(&p.to_query()), p);
    let code = PageParams { dataset: Bundled::Mnist, view: View::Dreams, ..PageParams::default() }.embed_code("https://example.org/pad/");
    let (iframe, script) = code.split_once('\n').expect("the iframe, then the lines that resize it");
    assert_eq!(
        iframe,
        "<iframe src=\"https://example.org/pad/?view=dreams&amp;embed=1\" width=\"640\" height=\"480\" style=\"border:0\" title=\"PAD — Perturbed and Adversarial Dreaming, live\" allow=\"clipboard-write\"></iframe>"
    );
    // The frame takes the height the page posts, from its own frame only, bounded.
    assert!(script.starts_with("<script>") && script.ends_with("</script>"), "{script}");
    assert!(
        script.contains("\"pad-height\"") && script.contains("f.contentWindow===e.source") && script.contains("Math.min(4000"),
        "{script}"
    );
    // autopause=0 travels in the link.
    let p = PageParams::parse("autopause=0&view=plots");
    assert!(!p.autopause && p.notes.is_empty());
    assert_eq!(p.to_query(), "view=plots&autopause=0");
    assert!(PageParams::default().autopause);
}

fn saved(events: &[Event]) -> Vec<(String, Vec<u8>, usize, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Saved { file_name, bytes, epoch, autosave, .. } => Some((file_name.clone(), bytes.clone(), *epoch, *autosave)),
            _ => None,
        })
        .collect()
}

fn images(events: &[Event]) -> Vec<&pad::session::protocol::Snapshot> {
    events.iter().filter_map(|e| if let Event::Images(s) = e { Some(s) } else { None }).collect()
}

fn model_errors(events: &[Event]) -> Vec<String> {
    events.iter().filter_map(|e| if let Event::Error { topic: Topic::Model, message } = e { Some(message.clone()) } else { None }).collect()
}

#[test]
fn a_saved_model_loads_back_with_identical_pictures_and_continues_training() {
    let settings = Settings { probe: false, ..tiny(1) };
    let first = serve(
        vec![
            Command::Init { device: DeviceChoice::Cpu, measured: Vec::new() },
            Command::LoadData { files: vec![mnist()] },
            Command::Start { settings: settings.clone(), paused: false },
        ],
        |e| if matches!(e, Event::State(RunState::Finished)) { vec![Command::Save] } else { vec![] },
    );
    // An autosave after the epoch, then the download asked for.
    let s = saved(&first);
    assert_eq!(s.iter().map(|s| (s.2, s.3)).collect::<Vec<_>>(), vec![(1, true), (1, false)]);
    assert!(s[1].0.starts_with("pad-pad-") && s[1].0.ends_with("-epoch1.padckpt"), "{}", s[1].0);
    assert_eq!(s[0].1, s[1].1, "nothing changed in between");
    // The finished model is shown on fixed images: that is what a load must reproduce.
    let shown = *images(&first).last().unwrap();
    assert_eq!(shown.iteration, 0);

    let file = NamedFile::new(s[1].0.clone(), s[1].1.clone());
    let dream = |first, second, mix, noise| Command::Dream(pad::session::protocol::DreamRequest { first, second, mix, noise });
    let second = serve(
        vec![
            Command::Init { device: DeviceChoice::Cpu, measured: Vec::new() },
            Command::LoadData { files: vec![mnist()] },
            Command::LoadModel { file: file.clone(), settings: settings.clone(), batch: None },
            dream(0, 1, 0.5, 0.5),
            dream(0, 1, 1.0, 0.0),
            dream(0, 64, 0.5, 0.5),
            Command::Evaluate,
            Command::Resume,
        ],
        |_| vec![],
    );
    let Some(Event::ModelLoaded { settings: loaded, epoch, .. }) = second.iter().find(|e| matches!(e, Event::ModelLoaded { .. })) else {
        panic!("{second:?}")
    };
    assert_eq!((*epoch, loaded.epochs, loaded.batch_size, loaded.variant), (1, 2, 8, Variant::Pad));
    let after = images(&second);
    assert_eq!(after[0], shown, "identical pictures from the loaded model");
    assert_eq!(states(&second), vec![RunState::Paused, RunState::Running, RunState::Finished]);
    let progress: Vec<_> = second.iter().filter_map(|e| if let Event::Progress(p) = e { Some((p.epoch, p.done)) } else { None }).collect();
    assert_eq!(progress[0], (2, 9), "training continues with epoch 2");
    // After the trainer ran out of memory at its batch: the same file continues at a smaller one.
    let smaller = serve(
        vec![
            Command::Init { device: DeviceChoice::Cpu, measured: Vec::new() },
            Command::LoadData { files: vec![mnist()] },
            Command::LoadModel { file, settings: settings.clone(), batch: Some(4) },
            Command::Resume,
        ],
        |_| vec![],
    );
    let Some(Event::ModelLoaded { settings: loaded, .. }) = smaller.iter().find(|e| matches!(e, Event::ModelLoaded { .. })) else {
        panic!("{smaller:?}")
    };
    assert_eq!((loaded.batch_size, loaded.epochs), (4, 2));
    let per_epoch = |events: &[Event]| events.iter().find_map(|e| if let Event::Progress(p) = e { Some(p.per_epoch) } else { None });
    assert_eq!(per_epoch(&smaller), per_epoch(&second).map(|n| 2 * n), "half the batch, twice the iterations");
    assert_eq!(states(&smaller), vec![RunState::Paused, RunState::Running, RunState::Finished]);
    // The dream explorer: the sliders change the dream; a bad pick is refused.
    let dreams: Vec<_> = second.iter().filter_map(|e| if let Event::Dream(d) = e { Some(d) } else { None }).collect();
    assert_eq!(dreams.len(), 2);
    assert_ne!(dreams[0].dream.pixels, dreams[1].dream.pixels);
    assert_eq!(dreams[0].first.pixels, after[0].input.pixels[..1024], "image 0 is the first training image");
    assert_eq!(dreams[0].occluded.pixels, dreams[1].occluded.pixels, "NREM's view does not depend on the sliders");
    assert_eq!(model_errors(&second), vec!["invalid setting: pick images 0 to 63"]);
    // The evaluation views' data: Fig. 5's curve at 0, 10, …, 100 %, the ratios, the PCA map.
    let Some(Event::Evaluated(ev)) = second.iter().find(|e| matches!(e, Event::Evaluated(_))) else { panic!("no evaluation") };
    assert_eq!((ev.variant, ev.epoch), (Variant::Pad, 1));
    assert_eq!(ev.occlusion.iter().map(|p| (p.0 * 10.0).round() as usize).collect::<Vec<_>>(), (0..=10).collect::<Vec<_>>());
    assert!(ev.occlusion.iter().all(|p| (0.0..=1.0).contains(&p.1) && (0.0..=1.0).contains(&p.2)));
    assert!((ev.occlusion[10].2 - 0.1).abs() < 0.05, "fully occluded images are guessed at chance: {:?}", ev.occlusion[10]);
    assert!(ev.intra_inter > 0.0 && ev.intra_inter < 1.5 && ev.occluded_inter > 0.0);
    assert_eq!(ev.pca.len(), 2 * 600, "60 test images per class, clean and occluded");
    assert_eq!(ev.pca.iter().filter(|p| p.3).count(), 600);
}

#[test]
fn a_checkpoint_that_does_not_fit_changes_nothing() {
    let cifar = {
        let trainer = pad::train::Trainer::new(Settings::default().train_config(), 3, &common::cpu()).unwrap();
        block_on(pad::train::checkpoint::to_bytes(&trainer, "CIFAR-10", &[], &[])).unwrap()
    };
    let events = serve(
        vec![
            Command::Init { device: DeviceChoice::Cpu, measured: Vec::new() },
            Command::LoadModel { file: NamedFile::new("early.padckpt", cifar.clone()), settings: tiny(1), batch: None },
            Command::LoadData { files: vec![mnist()] },
            Command::LoadModel { file: NamedFile::new("cifar.padckpt", cifar.clone()), settings: tiny(1), batch: None },
            Command::LoadModel {
                file: NamedFile::new("garbage.padckpt", b"PK\x03\x04 not a checkpoint".to_vec()),
                settings: tiny(1),
                batch: None,
            },
            Command::LoadModel { file: NamedFile::new("cut.padckpt", cifar[..cifar.len() / 2].to_vec()), settings: tiny(1), batch: None },
            Command::Save,
            Command::Dream(pad::session::protocol::DreamRequest { first: 0, second: 1, mix: 0.5, noise: 0.5 }),
            Command::Evaluate,
        ],
        |_| vec![],
    );
    let e = model_errors(&events);
    assert_eq!(e[0], "invalid setting: load the data to continue on first");
    assert!(
        e[1].starts_with("checkpoint: cifar.padckpt: the model was trained on 3-channel images (CIFAR-10), the loaded data"),
        "{}",
        e[1]
    );
    assert!(e[1].ends_with("has 1 channel"), "{}", e[1]);
    assert!(e[2].starts_with("checkpoint: garbage.padckpt: not a PAD checkpoint"), "{}", e[2]);
    assert!(e[3].starts_with("checkpoint: cut.padckpt: "), "{}", e[3]);
    assert_eq!(e[4], "invalid setting: nothing to save yet: train or load a model first");
    assert_eq!(e[5], "invalid setting: the dream explorer needs a model: start a run or load one");
    assert_eq!(e[6], "invalid setting: evaluation needs a model: start a run or load one");
    assert!(states(&events).is_empty(), "no run was created");
    // A model whose batch is larger than the loaded data: refused with the data's size.
    let events = serve(
        vec![
            Command::Init { device: DeviceChoice::Cpu, measured: Vec::new() },
            Command::LoadData { files: vec![NamedFile::new("data_batch_1.bin", cifar_records(&[1, 2, 3, 4]))] },
            Command::LoadModel { file: NamedFile::new("cifar.padckpt", cifar), settings: tiny(1), batch: None },
        ],
        |_| vec![],
    );
    assert_eq!(model_errors(&events), vec!["invalid setting: the dataset has only 4 training images"]);
    assert!(states(&events).is_empty(), "no run was created");
}

fn shipped_snapshot() -> NamedFile {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/static/pretrained/mnist-pad.padckpt");
    NamedFile::new("mnist-pad.padckpt", std::fs::read(path).unwrap())
}

#[test]
fn the_pretrained_snapshot_shows_dreams_while_idle_and_start_trains_afresh() {
    // The shipped file: PAD after 10 epochs on the bundled MNIST, as README's command makes it.
    let file = shipped_snapshot();
    let header = pad::train::checkpoint::read_header(&file.bytes).unwrap();
    assert_eq!((header.config.variant, header.epoch, header.channels, header.dataset.as_str()), (Variant::Pad, 10, 1, "MNIST"));
    assert!(file.bytes.len() < 7_500_000, "weights only, in f16: {} bytes", file.bytes.len());
    let dream = Command::Dream(pad::session::protocol::DreamRequest { first: 0, second: 1, mix: 0.5, noise: 0.5 });
    let events = serve(
        vec![
            Command::Init { device: DeviceChoice::Cpu, measured: Vec::new() },
            Command::LoadData { files: vec![mnist()] },
            Command::Pretrained { file: file.clone() },
            dream.clone(),
            Command::Evaluate,
            Command::Start { settings: Settings { probe: false, ..tiny(1) }, paused: false },
            Command::Pretrained { file },
        ],
        |_| vec![],
    );
    assert!(model_errors(&events).is_empty(), "{:?}", model_errors(&events));
    let Some(Event::Pretrained { variant, epoch, dataset }) = events.iter().find(|e| matches!(e, Event::Pretrained { .. })) else {
        panic!("no snapshot shown")
    };
    assert_eq!((*variant, *epoch, dataset.as_str()), (Variant::Pad, 10, "MNIST"));
    assert_eq!(events.iter().filter(|e| matches!(e, Event::Pretrained { .. })).count(), 1, "ignored once a run exists");
    // Its pictures come before any run: the four phases of 64 images, epoch 10.
    let shown = images(&events)[0];
    assert_eq!((shown.epoch, shown.iteration, shown.reconstruction.count, shown.rem.count), (10, 0, 64, 64));
    let first_state = events.iter().position(|e| matches!(e, Event::State(_))).unwrap();
    let dreamt = events.iter().position(|e| matches!(e, Event::Dream(_))).unwrap();
    let evaluated = events.iter().position(|e| matches!(e, Event::Evaluated(_))).unwrap();
    assert!(dreamt < first_state && evaluated < first_state, "explorer and evaluation work on the snapshot while idle");
    let Some(Event::Evaluated(ev)) = events.get(evaluated) else { unreachable!() };
    assert_eq!(ev.epoch, 10);
    assert!(ev.occlusion[0].2 > 0.85, "a trained encoder: stable probe {:.3} on clean test images", ev.occlusion[0].2);
    // Start trains a fresh model (epoch 1 of 1), not the snapshot.
    assert_eq!(states(&events), vec![RunState::Running, RunState::Finished]);
    let progress: Vec<_> =
        events.iter().filter_map(|e| if let Event::Progress(p) = e { Some((p.epoch, p.epochs)) } else { None }).collect();
    assert_eq!(progress[0], (1, 1));
    // On other data (the page switched datasets while the snapshot downloaded) it is not shown.
    let fashion = NamedFile::new("fashion.padb", std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/data/fashion.padb")).unwrap());
    let events = serve(
        vec![
            Command::Init { device: DeviceChoice::Cpu, measured: Vec::new() },
            Command::LoadData { files: vec![fashion] },
            Command::Pretrained { file: shipped_snapshot() },
            Command::Start { settings: Settings { probe: false, ..tiny(1) }, paused: false },
        ],
        |_| vec![],
    );
    assert!(!events.iter().any(|e| matches!(e, Event::Pretrained { .. })), "not shown on Fashion-MNIST");
    assert!(model_errors(&events).is_empty());
    // Nor, silently, on RGB data (no channel-mismatch error for a file the user never asked for).
    let events = serve(
        vec![
            Command::Init { device: DeviceChoice::Cpu, measured: Vec::new() },
            Command::LoadData { files: vec![NamedFile::new("data_batch_1.bin", cifar_records(&[1, 2, 3, 4, 5, 6, 7, 8]))] },
            Command::Pretrained { file: shipped_snapshot() },
            Command::Start { settings: Settings { probe: false, images_per_epoch: 8, ..tiny(1) }, paused: false },
        ],
        |_| vec![],
    );
    assert!(!events.iter().any(|e| matches!(e, Event::Pretrained { .. })) && model_errors(&events).is_empty(), "{events:?}");
}

/// The worker reads commands while it probes: a file dropped during the epoch-end probe gets its
/// message before the probe ends (the probe yields between slices, crate::pace; here at every
/// slice), and the run goes on.
#[test]
fn a_file_dropped_during_a_probe_is_answered_before_the_probe_ends() {
    pad::pace::set_yield(std::time::Duration::ZERO, || Box::pin(futures_lite::future::yield_now()));
    let mut dropped = false;
    let events = serve(
        vec![
            Command::Init { device: DeviceChoice::Cpu, measured: Vec::new() },
            Command::LoadData { files: vec![mnist()] },
            Command::Start { settings: tiny(1), paused: false },
        ],
        |e| {
            if matches!(e, Event::Probing { .. }) && !std::mem::replace(&mut dropped, true) {
                vec![Command::LoadData { files: vec![NamedFile::new("garbage.bin", b"not a dataset at all".to_vec())] }]
            } else {
                vec![]
            }
        },
    );
    let at = |f: &dyn Fn(&Event) -> bool| events.iter().position(f).unwrap_or_else(|| panic!("{events:?}"));
    let probing = at(&|e| matches!(e, Event::Probing { epoch: 1 }));
    let answered = at(
        &|e| matches!(e, Event::Error { topic: Topic::Data, message } if message.contains("garbage.bin: not a recognised dataset file")),
    );
    let probed = at(&|e| matches!(e, Event::Epoch(r) if r.epoch == 1));
    assert!(probing < answered && answered < probed, "probing at {probing}, answered at {answered}, probe done at {probed}");
    assert_eq!(states(&events), vec![RunState::Running, RunState::Finished]);
}
