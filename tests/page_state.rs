//! The page's state and the settings table, natively: the rules the page follows when the trainer
//! speaks (`shared/page.rs`), and every setting of the table carried through the form, the URL and
//! the command line (`shared/settings.rs`). No browser needed.

use pad::shared::bundled::Bundled;
use pad::shared::images::HostImages;
use pad::shared::page::{Effect, PageState, Payload, Recover, SavedModel, smaller_batch};
use pad::shared::protocol::{
    Backend, Command, DataSummary, DeviceInfo, DreamRequest, DreamView, Event, OutOfMemory, Progress, RunState, Snapshot, Topic,
    TrainerMemory,
};
use pad::shared::records::Losses;
use pad::shared::settings::{Field, Form, Settings, read};
use pad::shared::url::PageParams;
use pad::train::Variant;

fn images(count: usize) -> HostImages {
    HostImages { count, channels: 1, side: 32, pixels: vec![7; count * 1024] }
}

fn data() -> DataSummary {
    DataSummary { name: "MNIST".into(), classes: vec!["0".into()], channels: 1, train: 512, test: 64, preview: images(4) }
}

/// A page whose trainer is up with data loaded.
fn ready() -> PageState {
    let mut p = PageState::default();
    let cpu = DeviceInfo { backend: Backend::Cpu, adapter: String::new(), note: None, software: false };
    assert!(p.apply(Event::Ready(cpu), None).is_empty());
    p.apply(Event::DataLoaded(data()), None);
    assert!(p.ready() && p.busy.is_none());
    p
}

fn pretrained() -> Event {
    Event::Pretrained { variant: Variant::Pad, epoch: 10, dataset: "MNIST".into() }
}

#[test]
fn the_pretrained_snapshot_shows_only_while_no_run_exists() {
    let mut p = ready();
    assert!(!p.has_model(), "data alone is no model");
    p.apply(pretrained(), None);
    assert!(p.has_model() && !p.has_run(), "the snapshot can be explored and evaluated, not saved");
    assert!(p.pretrained().unwrap().contains("PAD after 10 epochs on MNIST"));
    // What ends it: a run, a loaded model, other data, a dead trainer. Idle again does not bring it back.
    let ends = [
        Event::State(RunState::Running),
        Event::State(RunState::Paused),
        Event::ModelLoaded { settings: Settings::default(), epoch: 2, dataset: "MNIST".into(), changes: vec![] },
        Event::DataLoaded(data()),
        Event::Fatal("lost".into()),
    ];
    for end in ends {
        let mut p = ready();
        p.apply(pretrained(), None);
        p.apply(end.clone(), None);
        assert_eq!(p.pretrained(), None, "{end:?}");
        p.apply(Event::State(RunState::Idle), None);
        assert_eq!(p.pretrained(), None, "{end:?}");
    }
    // Messages that leave it: pictures, notices, errors, an idle state.
    let mut p = ready();
    p.apply(pretrained(), None);
    for keep in [Event::State(RunState::Idle), Event::Notice("n".into()), Event::Error { topic: Topic::Model, message: "e".into() }] {
        p.apply(keep, None);
    }
    assert!(p.pretrained().is_some());
    // Its pictures are timed as the snapshot's, not as a run's.
    let snap = Snapshot { epoch: 10, iteration: 0, input: images(1), reconstruction: images(1), nrem: images(1), rem: images(1) };
    p.apply(Event::Images(snap.clone()), Some(1500.0));
    assert_eq!((p.pretrained_ms, p.first_pictures_ms), (Some(1500.0), None));
    p.apply(Event::State(RunState::Running), None);
    p.apply(Event::Images(snap.clone()), Some(9000.0));
    p.apply(Event::Images(snap), Some(9500.0));
    assert_eq!((p.pretrained_ms, p.first_pictures_ms), (Some(1500.0), Some(9000.0)), "the first pictures count once");
}

#[test]
fn checkpoints_and_loaded_models_become_effects_not_mailboxes() {
    let mut p = ready();
    let saved = |autosave| Event::Saved { file_name: "m.padckpt".into(), bytes: vec![1, 2, 3], epoch: 3, autosave, written: None };
    let model = SavedModel { file_name: "m.padckpt".into(), epoch: 3, bytes: vec![1u8, 2, 3].into() };
    assert_eq!(p.apply(saved(false), None), vec![Effect::Download(model.clone())]);
    assert_eq!(p.autosave, None, "a download is not an autosave");
    assert_eq!(p.apply(saved(true), None), vec![Effect::Store(model.clone())]);
    assert_eq!(p.autosave, Some(model.clone()), "kept to resume after a restart");
    // An autosave found in the store at start-up does not replace this session's.
    p.found_autosave(SavedModel { epoch: 1, ..model.clone() });
    assert_eq!(p.autosave.as_ref().map(|s| s.epoch), Some(3));
    // A loaded model: the form takes its settings, the run's views start over, the preview shows.
    p.apply(Event::Progress(progress()), None);
    let settings = Settings { epochs: 7, ..Settings::for_variant(Variant::NoRem) };
    let effects = p.apply(Event::ModelLoaded { settings: settings.clone(), epoch: 1, dataset: "MNIST".into(), changes: vec![] }, None);
    assert_eq!(effects, vec![Effect::AdoptSettings(settings)]);
    assert!(p.progress.is_none() && p.losses.is_empty());
    assert_eq!(p.notice.as_deref(), Some("Loaded a w/o REM model trained 1 epoch on MNIST: Resume continues it."));
    assert_eq!(p.snapshot.as_ref().map(|s| s.input.count), Some(4), "the data preview until the model's pictures come");
    // The trainer dies: the run is gone, the autosave is offered.
    p.apply(Event::State(RunState::Running), None);
    p.apply(Event::Fatal("device lost".into()), None);
    assert_eq!(p.state, RunState::Idle);
    assert_eq!(p.busy.as_deref(), Some("restarting the trainer…"));
    assert!(p.errors.run.as_deref().unwrap().contains("(device lost)") && p.errors.run.as_deref().unwrap().contains("autosave (epoch 3)"));
}

fn progress() -> Progress {
    let losses = Losses { img: 0.5, kl: 0.1, real: 0.7, nrem: 0.2, fake: 0.6 };
    Progress { epoch: 1, epochs: 2, iteration: 1, per_epoch: 8, done: 1, losses, images_per_second: 10.0, elapsed: 1.0, eta: None }
}

#[test]
fn errors_land_next_to_what_they_are_about_and_end_the_wait() {
    let mut p = ready();
    for (topic, message) in [(Topic::Data, "d"), (Topic::Settings, "s"), (Topic::Run, "r"), (Topic::Model, "m")] {
        p.busy = Some("working…".into());
        p.apply(Event::Error { topic, message: message.into() }, None);
        assert!(p.busy.is_none());
    }
    assert_eq!(
        [&p.errors.data, &p.errors.settings, &p.errors.run, &p.errors.model].map(|e| e.as_deref()),
        [Some("d"), Some("s"), Some("r"), Some("m")]
    );
    p.apply(Event::DataLoaded(data()), None);
    assert_eq!(p.errors.data, None, "new data clears the data error");
    p.clear_run();
    assert_eq!((&p.errors.settings, &p.errors.run, &p.errors.model), (&None, &None, &None));
}

#[test]
fn the_first_webgpu_iteration_shows_kernels_being_prepared_once_per_trainer() {
    let gpu = DeviceInfo { backend: Backend::WebGpu, adapter: "gpu".into(), note: None, software: false };
    let mut p = ready();
    p.apply(Event::State(RunState::Running), Some(5.0));
    assert_eq!(p.preparing_gpu_since, None, "the CPU compiles nothing");

    let mut p = PageState::default();
    p.apply(Event::Ready(gpu.clone()), None);
    p.apply(Event::DataLoaded(data()), None);
    p.apply(Event::State(RunState::Running), Some(1000.0));
    assert_eq!(p.preparing_gpu_since, Some(1000.0));
    p.apply(Event::Progress(progress()), Some(7000.0));
    assert_eq!(p.preparing_gpu_since, None, "an iteration's result ends the wait");
    p.apply(Event::State(RunState::Paused), None);
    p.apply(Event::State(RunState::Running), Some(9000.0));
    assert_eq!(p.preparing_gpu_since, None, "the kernels stay compiled in the same trainer");

    p.apply(Event::Fatal("device lost".into()), None);
    p.apply(Event::Ready(gpu), None);
    p.apply(Event::State(RunState::Running), Some(12000.0));
    assert_eq!(p.preparing_gpu_since, Some(12000.0), "a new trainer compiles them again");
    p.apply(Event::State(RunState::Paused), None);
    assert_eq!(p.preparing_gpu_since, None, "a stopped run waits for nothing");
}

/// An autosave of the running run (after epoch 1).
fn autosaved(p: &mut PageState) {
    let saved = Event::Saved { file_name: "a.padckpt".into(), bytes: vec![1, 2, 3], epoch: 1, autosave: true, written: None };
    assert!(matches!(p.apply(saved, None)[..], [Effect::Store(_)]));
}

/// A page whose run, at epoch 2 of 5, has just been autosaved after epoch 1.
fn running_with_autosave() -> PageState {
    let mut p = ready();
    p.apply(Event::State(RunState::Running), None);
    p.apply(Event::Progress(Progress { epoch: 2, epochs: 5, ..progress() }), None);
    autosaved(&mut p);
    p
}

/// The trainer's answer to loading that autosave.
fn autosave_loaded() -> Event {
    Event::ModelLoaded { settings: Settings::for_variant(Variant::Pad), epoch: 1, dataset: "MNIST".into(), changes: Vec::new() }
}

#[test]
fn out_of_memory_says_so_keeps_the_autosave_and_offers_a_smaller_batch() {
    const MB: f64 = 1048576.0;
    let oom = Event::OutOfMemory(OutOfMemory { asked: 64.0 * MB, in_use: 230.0 * MB, heap: 260.0 * MB });
    let cpu = DeviceInfo { backend: Backend::Cpu, adapter: String::new(), note: None, software: false };
    // Under a running run with its autosave: plain words, the autosave kept, a smaller batch offered.
    let mut p = running_with_autosave();
    p.apply(oom.clone(), None);
    let said = p.errors.run.clone().unwrap();
    assert!(said.contains("ran out of memory: it needed 64 MB more with 230 MB in use (its memory had reached 260 MB)"), "{said}");
    assert!(said.contains("its autosave after epoch 1 is kept") && said.contains("smaller batch"), "{said}");
    assert!(!said.contains("RuntimeError") && !said.contains("unreachable"));
    assert_eq!(p.state, RunState::Idle);
    assert!(p.autosave.is_some(), "nothing the user made is dropped");
    assert!(p.short_of_memory.is_some());
    // The trainer is restarted: nothing continues by itself; the offer waits for the user.
    p.apply(Event::Ready(cpu.clone()), None);
    assert!(p.apply(Event::DataLoaded(data()), None).is_empty());
    assert_eq!(p.continue_smaller(16), Some(Effect::Recover(Recover::Autosave { epochs_left: Some(4), batch: Some(16) })));
    assert_eq!(p.errors.run, None);
    assert_eq!(p.continue_smaller(16), None, "once");
    let effects = p.apply(autosave_loaded(), None);
    assert!(effects.contains(&Effect::Send(Command::Resume)), "it was training: it trains again");
    assert_eq!(p.notice.as_deref(), Some("Training continues at batch 16 from the autosave after epoch 1."));

    // Clicked before the new trainer holds the data: it continues once it does.
    let mut p = ready();
    p.apply(Event::State(RunState::Running), None);
    autosaved(&mut p);
    p.apply(oom.clone(), None);
    assert_eq!(p.continue_smaller(8), None, "the trainer is restarting");
    p.apply(Event::Ready(cpu.clone()), None);
    assert_eq!(p.apply(Event::DataLoaded(data()), None), vec![Effect::Recover(Recover::Autosave { epochs_left: None, batch: Some(8) })]);

    // No autosave of this run yet: start it again, smaller.
    let mut p = ready();
    p.apply(Event::State(RunState::Running), None);
    p.apply(oom.clone(), None);
    assert!(p.errors.run.as_deref().unwrap().contains("no autosave yet: start it again with a smaller batch"));
    assert_eq!(p.continue_smaller(16), Some(Effect::Recover(Recover::Restart)));

    // No run under way (an evaluation ran out): said, nothing offered.
    let mut p = ready();
    p.apply(oom, None);
    assert!(p.errors.run.as_deref().unwrap().contains("ran out of memory"));
    assert!(p.short_of_memory.is_none() && p.continue_smaller(16).is_none());

    // Half the batch, down to the smallest.
    assert_eq!([64, 32, 5, 3, 2].map(smaller_batch), [Some(32), Some(16), Some(2), Some(2), None]);
}

#[test]
fn the_trainer_memory_is_kept_as_reported() {
    let mut p = ready();
    let m = TrainerMemory { heap: 2e8, in_use: 1e8, most: 1.5e8, gpu: Some((3e7, 4e7)) };
    p.apply(Event::Memory(m), None);
    assert_eq!(p.trainer_memory, Some(m));
    // The worker tells it when a figure moved by a megabyte, or the GPU's came or went.
    let mb = 1048576.0;
    assert!(!TrainerMemory { in_use: 1e8 + 0.5 * mb, ..m }.moved_from(&m));
    assert!(TrainerMemory { most: 1.5e8 + mb, ..m }.moved_from(&m));
    assert!(TrainerMemory { gpu: Some((3e7, 4e7 + 2.0 * mb)), ..m }.moved_from(&m));
    assert!(TrainerMemory { gpu: None, ..m }.moved_from(&m));
}

#[test]
fn a_failed_gpu_moves_the_run_to_the_cpu_and_it_continues_by_itself() {
    // With this run's autosave: load it once the CPU trainer holds the data, then resume.
    let mut p = running_with_autosave();
    // The failing GPU's step ends the run before its loss is reported.
    p.apply(Event::State(RunState::Idle), None);
    p.apply(Event::Error { topic: Topic::Model, message: "the staging buffer could not be mapped".into() }, None);
    p.apply(Event::GpuFailed("the WebGPU device was lost (Destroyed)".into()), None);
    assert_eq!(p.errors.model, None, "the failure's fallout is not shown");
    assert_eq!(p.state, RunState::Idle);
    assert_eq!(p.errors.run, None, "not an error: the page handles it");
    assert!(p.gpu_failure.as_deref().unwrap().contains("(the WebGPU device was lost (Destroyed)): training moved to the CPU"));
    let cpu = DeviceInfo { backend: Backend::Cpu, adapter: String::new(), note: None, software: false };
    p.apply(Event::Ready(cpu.clone()), None);
    let again = p.apply(Event::DataLoaded(data()), None);
    assert_eq!(again, vec![Effect::Recover(Recover::Autosave { epochs_left: Some(4), batch: None })], "the run's 5 epochs, 1 autosaved");
    let effects = p.apply(autosave_loaded(), None);
    assert!(effects.contains(&Effect::Send(Command::Resume)), "{effects:?}");
    assert!(p.notice.as_deref().unwrap().contains("continues from the autosave after epoch 1"));
    assert!(p.gpu_failure.is_some(), "the device line keeps saying why");
    assert!(!p.apply(autosave_loaded(), None).contains(&Effect::Send(Command::Resume)), "once");

    // Before the run's first autosave (an earlier visit's does not count): the run starts again.
    let mut p = ready();
    p.found_autosave(SavedModel { file_name: "old.padckpt".into(), epoch: 7, bytes: Payload::Here(vec![1].into()) });
    p.apply(Event::State(RunState::Running), None);
    p.apply(Event::GpuFailed("WebGPU reported an error".into()), None);
    p.apply(Event::Ready(cpu.clone()), None);
    assert_eq!(p.apply(Event::DataLoaded(data()), None), vec![Effect::Recover(Recover::Restart)]);
    assert!(p.apply(Event::DataLoaded(data()), None).is_empty(), "once");

    // Paused: loaded again, left paused. No run: nothing to continue.
    let mut p = ready();
    p.apply(Event::State(RunState::Running), None);
    autosaved(&mut p);
    p.apply(Event::State(RunState::Paused), None);
    p.apply(Event::GpuFailed("lost".into()), None);
    p.apply(Event::Ready(cpu.clone()), None);
    assert_eq!(p.apply(Event::DataLoaded(data()), None), vec![Effect::Recover(Recover::Autosave { epochs_left: None, batch: None })]);
    assert!(!p.apply(autosave_loaded(), None).contains(&Effect::Send(Command::Resume)));
    let mut p = ready();
    p.apply(Event::GpuFailed("lost".into()), None);
    p.apply(Event::Ready(cpu.clone()), None);
    assert!(p.apply(Event::DataLoaded(data()), None).is_empty());
    assert!(p.gpu_failure.is_some());
    // A finished run, or one the user reset, is not continued either.
    for end in [|p: &mut PageState| drop(p.apply(Event::State(RunState::Finished), None)), |p: &mut PageState| p.reset_asked()] {
        let mut p = ready();
        p.apply(Event::State(RunState::Running), None);
        end(&mut p);
        p.apply(Event::GpuFailed("lost".into()), None);
        p.apply(Event::Ready(cpu.clone()), None);
        assert!(p.apply(Event::DataLoaded(data()), None).is_empty());
    }
}

#[test]
fn the_dream_explorer_keeps_one_request_in_flight_and_the_latest_waiting() {
    let mut p = ready();
    assert!(p.apply(Event::State(RunState::Paused), None).is_empty(), "a model; the explorer has asked nothing yet");
    let r = |first| DreamRequest { first, second: 1, mix: 0.5, noise: 0.5 };
    assert_eq!(p.dream(r(0)), vec![Effect::Send(Command::Dream(r(0)))]);
    assert!(p.dream(r(1)).is_empty() && p.dream(r(2)).is_empty(), "a dragged slider does not queue work");
    let view = DreamView { request: r(0), first: images(1), second: images(1), dream: images(1), occluded: images(1), seen: images(1) };
    assert_eq!(p.apply(Event::Dream(view.clone()), None), vec![Effect::Send(Command::Dream(r(2)))], "only the latest");
    assert!(p.apply(Event::Dream(view), None).is_empty());
    // An error about the model answers the request too.
    p.dream(r(3));
    p.dream(r(4));
    assert_eq!(p.apply(Event::Error { topic: Topic::Model, message: "x".into() }, None), vec![Effect::Send(Command::Dream(r(4)))]);
    // A restarted trainer never answers the old request, and the one waiting is dropped with it.
    p.dream(r(5));
    p.crashed("gone");
    assert!(p.dream(r(6)).is_empty(), "no model in the new trainer yet: remembered");
    let effects = p.apply(Event::State(RunState::Paused), None);
    assert_eq!(effects, vec![Effect::Send(Command::Dream(r(6)))], "asked for once there is a model");
}

#[test]
fn the_dream_explorer_follows_the_model() {
    let mut p = ready();
    let r = DreamRequest { first: 2, second: 3, mix: 0.25, noise: 0.5 };
    let view = DreamView { request: r, first: images(1), second: images(1), dream: images(1), occluded: images(1), seen: images(1) };
    assert!(p.dream(r).is_empty(), "no model: nothing to ask");
    let again = vec![Effect::Send(Command::Dream(r))];
    // Whenever the model changes, the explorer's pictures are asked for again.
    assert_eq!(p.apply(pretrained(), None), again, "the pretrained snapshot");
    p.apply(Event::Dream(view.clone()), None);
    for event in [
        Event::State(RunState::Running),
        Event::State(RunState::Paused),
        Event::State(RunState::Finished),
        Event::ModelLoaded { settings: Settings::default(), epoch: 2, dataset: "MNIST".into(), changes: vec![] },
    ] {
        assert!(p.apply(event.clone(), None).ends_with(&again), "{event:?}");
        p.apply(Event::Dream(view.clone()), None);
    }
    // Reset: no model any more, nothing asked.
    assert!(p.apply(Event::State(RunState::Idle), None).is_empty());
    assert!(!p.has_model());
}

/// A value other than the default for every field, as text (a new setting fails to compile here
/// until it has one).
fn other(field: Field) -> &'static str {
    match field {
        Field::Variant => "no-memory-mix",
        Field::Epochs => "3",
        Field::BatchSize => "16",
        Field::LearningRate => "0.001",
        Field::Seed => "42",
        Field::ImagesPerEpoch => "256",
        Field::Probe => "0",
        Field::WakeWeight => "0.5",
        Field::NremWeight => "0.5",
        Field::RemWeight => "0",
        Field::Epsilon => "0.5",
        Field::MemoryMix => "0",
    }
}

#[test]
fn every_setting_of_the_table_travels_through_form_url_and_command_line() {
    let default = Form::from(&Settings::default());
    let mut keys: Vec<_> = Field::ALL.iter().map(|f| f.key()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), Field::ALL.len(), "one URL key per setting");
    for &field in Field::ALL {
        assert!(!field.label().is_empty() && !field.hint().is_empty() && !field.message().is_empty(), "{field:?}");
        assert_eq!(Field::from_key(field.key()), Some(field));
        // The form holds it, the share link carries it, the URL brings it back.
        let mut form = default.clone();
        assert!(form.set_text(field, other(field)), "{field:?}");
        if field == Field::Variant {
            // Choosing a variant sets its preset's weights (and the link leaves them out).
            form.choose_variant(other(field).parse().unwrap());
        }
        assert_ne!(form, default, "{field:?}");
        let params = PageParams { form: form.clone(), ..PageParams::default() };
        let query = params.to_query();
        assert_eq!(query, format!("{}={}", field.key(), other(field)), "only what differs from the default");
        let back = PageParams::parse(&query);
        assert!(back.notes.is_empty(), "{:?}", back.notes);
        assert_eq!(back.form, form, "{field:?}");
        assert!(back.form.parse(None).is_ok(), "{field:?}");
        // Text that is not a value: a note, and the default.
        let bad = PageParams::parse(&format!("{}=%3F%3F", field.key()));
        assert_eq!(bad.form, default, "{field:?}");
        assert_eq!(bad.notes.len(), 1, "{field:?}: {:?}", bad.notes);
        assert!(bad.notes[0].starts_with(&format!("{} '??'", field.key())), "{:?}", bad.notes);
    }
    // The command line reads the same text (its flags are the URL keys: `pad train --lr 0.001`).
    assert_eq!(read::variant("no-rem"), Ok(Variant::NoRem));
    assert_eq!(read::learning_rate(" 0.001 "), Ok(0.001));
    assert!(read::variant("dreamless").unwrap_err().contains("unknown variant 'dreamless'"));
    assert!(read::batch_size("many").unwrap_err().contains("is not a whole number"));
    // A loaded model's settings: its training settings, the rest as asked.
    let config = pad::train::TrainConfig { variant: Variant::WakeOnly, batch_size: 8, learning_rate: 1e-3, seed: 5, ..Default::default() };
    let wanted = Settings { epochs: 2, images_per_epoch: 4, probe: false, ..Settings::default() };
    let s = Settings::continuing(&config, 3, &wanted, 100);
    assert_eq!(s.train_config(), pad::train::TrainConfig { step_semantics: config.step_semantics, ..config });
    assert_eq!((s.epochs, s.images_per_epoch, s.probe), (5, 8, false), "3 done + 2 more; at least one batch");
}

#[test]
fn bundled_datasets_are_named_once() {
    for b in Bundled::ALL {
        assert_eq!(Bundled::parse(b.name()), Some(b));
        assert!(b.file().ends_with(".padb") && b.label().contains("Bundled"));
        let path = format!("{}/static/data/{}", env!("CARGO_MANIFEST_DIR"), b.file());
        assert!(std::path::Path::new(&path).is_file(), "{path}");
        if let Some(p) = b.pretrained() {
            let path = format!("{}/static/pretrained/{p}", env!("CARGO_MANIFEST_DIR"));
            assert!(std::path::Path::new(&path).is_file(), "{path}");
        }
    }
    assert_eq!(Bundled::parse("fashion-mnist"), Some(Bundled::Fashion));
    assert_eq!(Bundled::parse("imagenet"), None);
}

#[test]
fn the_plots_read_the_value_under_the_pointer() {
    use pad::shared::history::LossHistory;
    use pad::shared::plot::{Frame, loss_at, probe_at};
    use pad::shared::records::EpochRecord;
    // A 100×100-pixel plotting area from (50, 10): iterations 1–101, losses 0.01–1 on a log axis.
    let frame = Frame { x_px: (50.0, 150.0), y_px: (10.0, 110.0), x: (1.0, 101.0), y: (0.01, 1.0), log_y: true };
    assert_eq!(frame.data_at(40.0, 50.0), None, "left of the plotting area");
    let (x, y) = frame.data_at(100.0, 60.0).unwrap();
    assert!((x - 51.0).abs() < 1e-9 && (y - 0.1).abs() < 1e-9, "the middle: iteration 51, 0.1 on the log axis");
    let mut h = LossHistory::default();
    for i in 1..=101 {
        h.push(i, &Losses { img: 0.5, kl: 0.1, real: 0.7, nrem: 0.02, fake: 0.6 });
    }
    assert_eq!(loss_at(&h, &frame, 100.0, 60.0).as_deref(), Some("L_KL at iteration 51: 0.1000"));
    assert_eq!(loss_at(&h, &frame, 150.0, 100.0).as_deref(), Some("L_NREM at iteration 101: 0.0200"));
    assert_eq!(loss_at(&LossHistory::default(), &frame, 100.0, 60.0), None, "nothing plotted yet");
    // Probes: epochs 0–4, 0–100 %, linear.
    let frame = Frame { x_px: (0.0, 400.0), y_px: (0.0, 100.0), x: (0.0, 4.0), y: (0.0, 100.0), log_y: false };
    let mut epochs: Vec<EpochRecord> = (0..=4).map(|e| EpochRecord::new(e, 10, None, 1.0)).collect();
    for r in &mut epochs {
        r.probe_stable = Some(0.6);
        r.probe_official = Some(0.3);
    }
    assert_eq!(probe_at(&epochs, &frame, 210.0, 35.0).as_deref(), Some("stable probe after epoch 2: 60.0 %"));
    assert_eq!(probe_at(&epochs, &frame, 390.0, 72.0).as_deref(), Some("official probe after epoch 4: 30.0 %"));
}

#[test]
fn training_pauses_out_of_sight_and_resumes_when_back() {
    let (pause, resume) = (vec![Effect::Send(Command::Pause)], vec![Effect::Send(Command::Resume)]);
    let mut p = ready();
    p.apply(Event::State(RunState::Running), None);
    assert_eq!(p.seen(false, true), pause, "hidden while training: pause");
    assert!(p.notice.as_deref().unwrap().starts_with("Paused while the page is out of sight"));
    assert!(p.seen(false, true).is_empty(), "once");
    // Back before the pause arrived: the resume waits for it.
    assert!(p.seen(true, true).is_empty());
    assert_eq!(p.apply(Event::State(RunState::Paused), None), resume);
    assert_eq!(p.notice.as_deref(), Some("Resumed: the page is in sight again."));
    p.apply(Event::State(RunState::Running), None);
    // Out of sight, paused, then back: resumed.
    p.seen(false, true);
    assert!(p.apply(Event::State(RunState::Paused), None).is_empty(), "still out of sight");
    assert_eq!(p.seen(true, true), resume);
    p.apply(Event::State(RunState::Running), None);
    // A run the user paused stays paused; an idle page does nothing; autopause off does nothing.
    p.apply(Event::State(RunState::Paused), None);
    assert!(p.seen(false, true).is_empty() && p.seen(true, true).is_empty());
    p.apply(Event::State(RunState::Running), None);
    assert!(p.seen(false, false).is_empty() && p.seen(true, false).is_empty(), "?autopause=0");
    // A reset while out of sight forgets the pause.
    p.seen(false, true);
    p.apply(Event::State(RunState::Idle), None);
    assert!(p.seen(true, true).is_empty());
}

#[test]
fn the_diagram_shows_each_phase_as_the_trainer_routes_it() {
    use pad::shared::phase::{Part, Phase};
    let (wake, nrem, rem) = (Phase::Wake.flow(), Phase::Nrem.flow(), Phase::Rem.flow());
    // Who learns (docs/decisions.md#gradient-routing): Wake both, NREM the encoder alone, REM both,
    // G only through the reversed gradient.
    assert_eq!((wake.learns, nrem.learns, rem.learns), (&["E", "G"][..], &["E"][..], &["E", "G"][..]));
    assert!(rem.reversed_into_generator && !wake.reversed_into_generator && !nrem.reversed_into_generator);
    // Every loss once, in its phase.
    let mut all: Vec<&str> = [wake.losses, nrem.losses, rem.losses].concat();
    all.sort();
    let mut names = Losses::<f32>::NAMES.to_vec();
    names.sort();
    assert_eq!(all, names);
    // Data paths: only NREM occludes, only Wake sees real images, dreams start from memory.
    assert!(nrem.parts.contains(&Part::Occlusion) && !wake.parts.contains(&Part::Occlusion) && !rem.parts.contains(&Part::Occlusion));
    assert!(wake.parts.contains(&Part::Input) && !nrem.parts.contains(&Part::Input) && !rem.parts.contains(&Part::Input));
    assert!(nrem.parts.contains(&Part::Memory) && rem.parts.contains(&Part::Memory));
    assert!(rem.parts.contains(&Part::Discriminator) && !nrem.parts.contains(&Part::Discriminator));
}

#[test]
fn a_small_device_gets_a_smaller_batch_and_subset_unless_the_address_chose_them() {
    let mut p = PageParams::parse("");
    p.fit_device(Some(8.0));
    assert_eq!((p.form.text(Field::BatchSize), p.notes.len()), ("64".to_string(), 0));
    p.fit_device(None);
    assert!(p.notes.is_empty(), "a browser that does not say");
    p.fit_device(Some(4.0));
    assert_eq!((p.form.text(Field::BatchSize), p.form.text(Field::ImagesPerEpoch)), ("16".to_string(), "512".to_string()));
    assert_eq!(
        p.notes,
        vec![
            "this device reports 4 GB of memory: batch size 16, images per epoch 512 by default, to keep the tab small (set them higher if it copes)"
        ]
    );
    let mut chosen = PageParams::parse("batch=32");
    chosen.fit_device(Some(2.0));
    assert_eq!((chosen.form.text(Field::BatchSize), chosen.form.text(Field::ImagesPerEpoch)), ("32".to_string(), "512".to_string()));
    assert!(chosen.form.parse(None).is_ok());
}
