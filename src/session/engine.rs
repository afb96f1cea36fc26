//! The session's engine: the trainer side of the page, behind the Web Worker's message loop.

use super::protocol::{
    Backend, Command, DataSummary, DeviceChoice, DeviceInfo, DrawnView, DreamRequest, DreamView, EvaluationView, Event, Measured, Progress,
    RunState, Snapshot, Topic,
};
use super::settings::Settings;
use crate::Error;
use crate::data::Dataset;
use crate::data::upload::{NamedFile, dataset_from_files};
use crate::eval::dreams;
use crate::eval::pca::Basis;
use crate::eval::probe::Probe;
use crate::readback::read_f32;
use crate::readback::read_images;
use crate::shared::phase::Phase;
use crate::train::{EpochRecord, PhaseImages, Run, Step, Trainer, checkpoint};
use burn::prelude::*;
use web_time::Instant;

/// Images shown per phase (an 8×8 grid at most).
pub const SHOWN: usize = 64;
/// Pictures are read back at most this often while running (and after every single step).
pub const PICTURE_INTERVAL: f64 = 0.5;
/// Test images the browser's probe measures at most (bounded work after each epoch).
pub const PROBE_TEST_IMAGES: usize = 2000;
/// Pairs per class for the latent-organisation ratios in the page (the CLI's default is 500).
pub const LATENT_PAIRS: usize = 200;

/// A run in progress and the bookkeeping the page shows about it.
struct Active {
    run: Run,
    settings: Settings,
    /// The latest evaluation's findings about this model.
    insight: Insight,
    state: RunState,
    /// Running time before the current stretch, and when the current stretch began.
    elapsed: f64,
    since: Option<Instant>,
    /// Exponential moving average of seconds per iteration, and of seconds per probe.
    per_iteration: Option<f64>,
    per_probe: Option<f64>,
    last_pictures: Option<Instant>,
    done: usize,
}

impl Active {
    /// A paused run of `trainer` on the session's data as the settings ask (the first
    /// `images_per_epoch` training images, at most [`PROBE_TEST_IMAGES`] test images), continuing
    /// `history`; the iterations already done count towards progress.
    fn new(trainer: Trainer, data: &Dataset, settings: Settings, history: Vec<EpochRecord>) -> Result<Self, Error> {
        let data = shown_data(data, settings.images_per_epoch);
        let done = trainer.epochs_done();
        let run = Run::new(trainer, data, history)?;
        let done = done * run.per_epoch();
        Ok(Self {
            run,
            settings,
            insight: Insight::default(),
            state: RunState::Paused,
            elapsed: 0.0,
            since: None,
            per_iteration: None,
            per_probe: None,
            last_pictures: None,
            done,
        })
    }

    fn elapsed(&self) -> f64 {
        self.elapsed + self.since.map(|s| s.elapsed().as_secs_f64()).unwrap_or(0.0)
    }

    fn set_running(&mut self, running: bool) {
        match (running, self.since) {
            (true, None) => self.since = Some(Instant::now()),
            (false, Some(s)) => {
                self.elapsed += s.elapsed().as_secs_f64();
                self.since = None;
            }
            _ => {}
        }
        self.state = if running { RunState::Running } else { RunState::Paused };
    }

    fn total_iterations(&self) -> usize {
        self.settings.epochs * self.run.per_epoch()
    }
}

fn ema(old: Option<f64>, new: f64) -> f64 {
    old.map_or(new, |o| 0.8 * o + 0.2 * new)
}

/// A pretrained snapshot shown while no run exists, with the data it is shown on.
struct Pretrained {
    trainer: Trainer,
    /// What it is shown on: `None` for the session's data (no copy), else its first test images.
    data: Option<Dataset>,
    insight: Insight,
}

/// What an evaluation of a model learnt, kept to read new latents with (a drawing's place on the
/// latent map, its class probabilities); it goes with the model.
#[derive(Default)]
struct Insight {
    pca: Option<Basis>,
    probe: Option<(usize, Probe)>,
}

pub struct Session {
    device: Device,
    /// `auto` on a hardware WebGPU adapter not measured before: the first run measures it against
    /// the CPU and trains on the faster ([`Session::measure_devices`]). What it is now.
    measure: Option<DeviceInfo>,
    data: Option<Dataset>,
    active: Option<Active>,
    pretrained: Option<Pretrained>,
}

/// The data a model is shown, explored and evaluated on: the first `images` training images and
/// at most [`PROBE_TEST_IMAGES`] test images.
fn shown_data(data: &Dataset, images: usize) -> Dataset {
    // Copies only what is kept (a clone of the whole set first would raise the worker's heap).
    Dataset {
        name: data.name.clone(),
        classes: data.classes.clone(),
        train: data.train.take(images),
        test: data.test.take(PROBE_TEST_IMAGES),
    }
}

impl Session {
    pub fn new(device: Device) -> Self {
        Self { device, measure: None, data: None, active: None, pretrained: None }
    }

    /// Measure WebGPU (this session's device, `info`) against the CPU before the first run, and
    /// train on the faster (`auto` on a hardware adapter this browser has not measured).
    pub fn measure_before_first_run(mut self, info: DeviceInfo) -> Self {
        self.measure = Some(info);
        self
    }

    /// The first run's measurement (see [`Session::measure_before_first_run`]): both devices time
    /// a few iterations at the run's batch size; the page hears the rates (it remembers them) and
    /// the device that trains, anew, when it is not the one it had.
    async fn measure_devices(&mut self, batch: usize, out: &mut dyn FnMut(Event)) {
        let Some(channels) = self.data.as_ref().map(Dataset::channels) else { return };
        let Some(info) = self.measure.take() else { return };
        out(Event::Measuring { batch });
        match crate::train::measure::gpu_against_cpu(&self.device, &info.adapter, batch.max(2), channels).await {
            Ok(measured) => {
                out(Event::Measured(measured.clone()));
                out(Event::Ready(self.choose(&measured, info)));
            }
            Err(e) => {
                out(Event::Ready(info));
                out(Event::Notice(format!("measuring WebGPU against the CPU failed ({e}): training on WebGPU")));
            }
        }
    }

    /// Take the faster device of `measured` (this session's being WebGPU, `info`): what now runs.
    fn choose(&mut self, measured: &Measured, info: DeviceInfo) -> DeviceInfo {
        match measured.faster() {
            Backend::WebGpu => DeviceInfo { note: Some(format!("{}; {}", measured.describe(), info.note.unwrap_or_default())), ..info },
            Backend::Cpu => {
                self.device = Device::flex();
                self.pretrained = None; // it lived on the GPU
                DeviceInfo { backend: Backend::Cpu, adapter: String::new(), note: Some(measured.describe()), software: false }
            }
        }
    }

    pub fn state(&self) -> RunState {
        self.active.as_ref().map_or(RunState::Idle, |a| a.state)
    }

    /// Whether the driver should run another iteration.
    pub fn is_running(&self) -> bool {
        self.state() == RunState::Running
    }

    /// Carry out one command. Failures become [`Event::Error`]; the session stays usable.
    pub async fn handle(&mut self, command: Command, out: &mut dyn FnMut(Event)) {
        let (topic, result) = match command {
            Command::Init { .. } => (Topic::Run, Err(Error::Config("the trainer is already started".into()))),
            Command::LoadData { files } => (Topic::Data, self.load(&files, out)),
            Command::Start { settings, paused } => {
                self.measure_devices(settings.batch_size, out).await;
                (Topic::Settings, self.start(settings, paused, out))
            }
            Command::Pause => (Topic::Run, self.pause(out)),
            Command::Resume => (Topic::Run, self.resume(out)),
            Command::Step => (Topic::Run, self.step(None, out).await),
            Command::StepPhase(phase) => (Topic::Run, self.step(Some(phase), out).await),
            Command::Reset => {
                self.active = None;
                out(Event::State(RunState::Idle));
                (Topic::Run, Ok(()))
            }
            Command::Tune(knobs) => (Topic::Settings, self.tune(knobs, out)),
            Command::Save => (Topic::Model, self.save(false, out).await),
            Command::LoadModel { file, settings, batch } => (Topic::Model, self.load_model(file, settings, batch, out).await),
            Command::Pretrained { file } => (Topic::Model, self.show_pretrained(file, out).await),
            Command::Dream(request) => (Topic::Model, self.dream(request, out).await),
            Command::Evaluate => (Topic::Model, self.evaluate(out).await),
            Command::Drawn { pixels } => (Topic::Drawing, self.drawn(pixels, out).await),
        };
        if let Err(e) = result {
            out(Event::Error { topic, message: e.to_string() });
        }
    }

    fn load(&mut self, files: &[NamedFile], out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        self.adopt(dataset_from_files(files)?, out);
        Ok(())
    }

    /// Announce data read from the page's files (summary and preview) and take it as the
    /// session's data.
    fn adopt(&mut self, data: Dataset, out: &mut dyn FnMut(Event)) {
        let preview = data.train.take(SHOWN).host_images();
        out(Event::DataLoaded(DataSummary {
            name: data.name.clone(),
            classes: data.classes.clone(),
            channels: data.channels(),
            train: data.train.len(),
            test: data.test.len(),
            preview,
        }));
        if self.active.is_some() {
            out(Event::Notice("the new data is used from the next run (Reset, then Start)".into()));
        }
        self.data = Some(data);
        self.pretrained = None;
    }

    fn start(&mut self, settings: Settings, paused: bool, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        if self.active.is_some() {
            return Err(Error::Config("a run is already under way: Reset it first".into()));
        }
        let data = self.data.as_ref().ok_or_else(|| Error::Config("load a dataset first".into()))?;
        settings.check(Some(data.train.len())).map_err(|e| Error::Config(super::settings::describe(&e)))?;
        let trainer = Trainer::new(settings.train_config(), data.channels(), &self.device)?;
        let mut active = Active::new(trainer, data, settings, Vec::new())?;
        if active.settings.probe && !probes_possible(active.run.data()) {
            out(Event::Notice(format!(
                "linear probes are off: they need a test split and at least {} training images",
                crate::eval::probe::BATCH
            )));
        }
        active.set_running(!paused);
        out(Event::State(active.state));
        self.replace_model(active);
        Ok(())
    }

    /// A run becomes the trainer's model (started, or loaded from a checkpoint). The pretrained
    /// snapshot is only ever shown while no run exists: it ends here (and when other data
    /// arrives, [`Session::adopt`]); the page's side of the rule is `PageState::ends_pretrained`.
    fn replace_model(&mut self, active: Active) {
        self.active = Some(active);
        self.pretrained = None;
    }

    /// The run's checkpoint, as a file to download (or, after an epoch, for the page's autosave).
    async fn save(&mut self, autosave: bool, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let a = self.active.as_ref().ok_or_else(|| Error::Config("nothing to save yet: train or load a model first".into()))?;
        let bytes = a.run.checkpoint().await?;
        let epoch = a.run.trainer().epochs_done();
        let data: String =
            a.run.data().name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
        let file_name = format!("pad-{}-{}-epoch{epoch}.padckpt", a.settings.variant.name(), data.trim_matches('-'));
        out(Event::Saved { file_name, bytes, epoch, autosave, written: None });
        Ok(())
    }

    /// A checkpoint file opened (its header read, the file's bytes taken, not copied), if it fits
    /// the loaded data (its channels); errors name the file.
    fn fitting(&self, file: NamedFile) -> Result<(checkpoint::Opened, &Dataset), Error> {
        let data = self.data.as_ref().ok_or_else(|| Error::Config("load the data to continue on first".into()))?;
        let opened = checkpoint::Opened::new(file.bytes).map_err(|e| named(&file.name, e))?;
        let header = &opened.header;
        if header.channels != data.channels() {
            return Err(named(
                &file.name,
                Error::Checkpoint(format!(
                    "the model was trained on {}-channel images ({}), the loaded data ({}) has {} channel{}",
                    header.channels,
                    header.dataset,
                    data.name,
                    data.channels(),
                    if data.channels() == 1 { "" } else { "s" }
                )),
            ));
        }
        Ok((opened, data))
    }

    /// A checkpoint file's model, for the loaded data: checked in full (format, version, every
    /// tensor, the data's channels) before anything changes; errors name the file.
    fn open_model(&self, file: NamedFile) -> Result<(Trainer, checkpoint::CheckpointHeader, &Dataset), Error> {
        let name = file.name.clone();
        let (opened, data) = self.fitting(file)?;
        let (trainer, header) = opened.load(&self.device).map_err(|e| named(&name, e))?;
        Ok((trainer, header, data))
    }

    /// Show a pretrained snapshot while no run exists (the state stays idle), and only on the data
    /// it was trained on (the page may have switched datasets while it downloaded).
    async fn show_pretrained(&mut self, file: NamedFile, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let name = file.name.clone();
        let (opened, data) = match self.fitting(file) {
            Ok((opened, data)) if self.active.is_none() && opened.header.dataset == data.name => (opened, data),
            _ => return Ok(()), // a run exists, or other data arrived while the snapshot downloaded
        };
        let (trainer, header) = opened.load(&self.device).map_err(|e| named(&name, e))?;
        // Shown on the session's own data, unless its test split is larger than the page measures.
        let data = (data.test.len() > PROBE_TEST_IMAGES).then(|| shown_data(data, data.train.len()));
        let pictures = model_pictures(&trainer, data.as_ref().or(self.data.as_ref()).expect("fitting needs data")).await?;
        out(Event::Pretrained { variant: header.config.variant, epoch: header.epoch, dataset: header.dataset });
        out(Event::Images(pictures));
        self.pretrained = Some(Pretrained { trainer, data, insight: Insight::default() });
        Ok(())
    }

    /// Rebuild the run from a checkpoint file, paused. Checked in full before anything changes.
    async fn load_model(
        &mut self,
        file: NamedFile,
        settings: Settings,
        batch: Option<usize>,
        out: &mut dyn FnMut(Event),
    ) -> Result<(), Error> {
        let (mut trainer, header, data) = self.open_model(file)?;
        let mut settings = Settings::continuing(trainer.config(), header.epoch, &settings, data.train.len());
        if let Some(batch) = batch {
            settings.batch_size = batch;
        }
        settings.check(Some(data.train.len())).map_err(|e| Error::Config(super::settings::describe(&e)))?;
        trainer.rebatch(settings.batch_size);
        self.replace_model(Active::new(trainer, data, settings.clone(), header.history.clone())?);
        if header.dataset != self.data.as_ref().map_or("", |d| d.name.as_str()) {
            out(Event::Notice(format!("this model was trained on {}; it continues on the loaded data", header.dataset)));
        }
        out(Event::ModelLoaded { settings, epoch: header.epoch, dataset: header.dataset, changes: header.changes });
        for record in header.history {
            out(Event::Epoch(record));
        }
        out(Event::State(RunState::Paused));
        self.show_model(out).await
    }

    /// The run's model on fixed images with fixed draws ([`model_pictures`]).
    async fn show_model(&mut self, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let Some(a) = self.active.as_ref() else { return Ok(()) };
        out(Event::Images(model_pictures(a.run.trainer(), a.run.data()).await?));
        Ok(())
    }

    /// The model the explorer and the evaluation look at — the run's, or else the pretrained
    /// snapshot — with its data; `needs` says what for, in the error when there is none.
    fn model(&self, needs: &str) -> Result<(&Trainer, &Dataset), Error> {
        match (&self.active, &self.pretrained) {
            (Some(a), _) => Ok((a.run.trainer(), a.run.data())),
            (None, Some(p)) => match p.data.as_ref().or(self.data.as_ref()) {
                Some(data) => Ok((&p.trainer, data)),
                None => Err(Error::Config(format!("{needs} needs data: load a dataset"))),
            },
            (None, None) => Err(Error::Config(format!("{needs} needs a model: start a run or load one"))),
        }
    }

    /// The model's insight (the run's, or else the pretrained snapshot's), as [`Self::model`].
    fn insight(&mut self) -> Option<&mut Insight> {
        match (&mut self.active, &mut self.pretrained) {
            (Some(a), _) => Some(&mut a.insight),
            (None, Some(p)) => Some(&mut p.insight),
            (None, None) => None,
        }
    }

    /// What the model makes of a drawing: its pictures, its place on the latest evaluation's
    /// latent map, the latest probe's class probabilities.
    async fn drawn(&mut self, pixels: Vec<u8>, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let side = crate::shared::drawing::SIDE;
        if pixels.len() != side * side {
            return Err(Error::Data(format!("a drawing is {side}×{side} bytes, got {}", pixels.len())));
        }
        let epoch_probe = self.active.as_ref().and_then(|a| a.run.latest_probe().cloned());
        let (pca, probe) = match self.insight() {
            Some(i) => (i.pca.clone(), [i.probe.clone(), epoch_probe].into_iter().flatten().max_by_key(|p| p.0)),
            None => (None, None),
        };
        let (trainer, _) = self.model("drawing")?;
        if trainer.shape().channels != 1 {
            return Err(Error::Config(format!(
                "drawing needs a model of 1-channel images (MNIST, Fashion-MNIST); this one sees {} channels",
                trainer.shape().channels
            )));
        }
        let x = crate::data::ImageSet::from_raw(1, side, side, pixels, vec![0])?.batch(&[0], trainer.device());
        let seen = dreams::seen(&trainer.encoder(), &trainer.generator(), x.clone());
        let place = match &pca {
            Some(basis) => {
                let p = basis.project(&read_f32(seen.z.clone()).await?);
                Some((p[0], p[1]))
            }
            None => None,
        };
        let probabilities = match &probe {
            Some((_, p)) => Some(read_f32(burn::tensor::activation::softmax(p.logits(seen.z.clone()), 1)).await?),
            None => None,
        };
        out(Event::Drawn(DrawnView {
            input: read_images(x, 1).await?,
            reconstruction: read_images(seen.reconstruction, 1).await?,
            occluded: read_images(seen.occluded, 1).await?,
            seen: read_images(seen.seen, 1).await?,
            place,
            probabilities,
            probe_epoch: probe.map(|p| p.0),
        }));
        Ok(())
    }

    /// The dream explorer's pictures.
    async fn dream(&mut self, r: DreamRequest, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let (trainer, data) = self.model("the dream explorer")?;
        let n = data.train.len();
        if r.first >= n || r.second >= n {
            return Err(Error::Config(format!("pick images 0 to {}", n - 1)));
        }
        if !(0.0..=1.0).contains(&r.mix) || !(0.0..=1.0).contains(&r.noise) {
            return Err(Error::Config("the mix and the noise share must lie between 0 and 1".into()));
        }
        let image = |i: usize| data.train.batch(&[i], trainer.device());
        let (first, second) = (image(r.first), image(r.second));
        let e = dreams::explore(&trainer.encoder(), &trainer.generator(), first.clone(), second.clone(), r.mix, r.noise);
        out(Event::Dream(DreamView {
            request: r,
            first: read_images(first, 1).await?,
            second: read_images(second, 1).await?,
            dream: read_images(e.dream, 1).await?,
            occluded: read_images(e.occluded, 1).await?,
            seen: read_images(e.seen, 1).await?,
        }));
        Ok(())
    }

    /// Evaluate the current model on the run's data (its test split, at most
    /// [`PROBE_TEST_IMAGES`] images).
    async fn evaluate(&mut self, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        if self.state() == RunState::Running {
            return Err(Error::Config("pause the run to evaluate the model".into()));
        }
        let (trainer, data) = self.model("evaluation")?;
        if !probes_possible(data) {
            return Err(Error::Config(format!("evaluation needs a test split and at least {} training images", crate::eval::probe::BATCH)));
        }
        out(Event::Evaluating);
        let ev = crate::eval::evaluation::evaluate(&trainer.encoder(), data, trainer.config().seed, LATENT_PAIRS, trainer.device()).await?;
        let n = ev.chosen.len();
        let epoch = trainer.epochs_done();
        let view = EvaluationView {
            variant: trainer.config().variant,
            epoch,
            occlusion: ev.curve.iter().map(|p| (p.level, p.official, p.stable)).collect(),
            intra_inter: ev.latent.intra_inter_ratio,
            occluded_inter: ev.latent.occluded_inter_ratio,
            pca: ev.pca.points.iter().enumerate().map(|(j, p)| (p[0], p[1], data.test.labels[ev.chosen[j % n]], j >= n)).collect(),
            explained: ev.pca.explained,
        };
        if let Some(i) = self.insight() {
            i.pca = Some(ev.pca.basis);
            i.probe = Some((epoch, ev.stable));
        }
        out(Event::Evaluated(view));
        Ok(())
    }

    fn active(&mut self) -> Result<&mut Active, Error> {
        self.active.as_mut().ok_or_else(|| Error::Config("no run: press Start".into()))
    }

    fn tune(&mut self, knobs: crate::shared::knobs::Knobs, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        knobs.check().map_err(Error::Config)?;
        let Some(a) = self.active.as_mut() else { return Ok(()) };
        if let Some(change) = a.run.tune(knobs)? {
            a.settings.set_knobs(knobs);
            out(Event::Tuned(change));
        }
        Ok(())
    }

    fn pause(&mut self, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let a = self.active()?;
        if a.state == RunState::Running {
            a.set_running(false);
            out(Event::State(a.state));
        }
        Ok(())
    }

    fn resume(&mut self, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let a = self.active()?;
        match a.state {
            RunState::Paused => {
                a.set_running(true);
                out(Event::State(a.state));
                Ok(())
            }
            RunState::Finished => Err(Error::Config("the run is finished: Reset to start another".into())),
            _ => Ok(()),
        }
    }

    /// One iteration (`None`), or one phase of it.
    async fn step(&mut self, phase: Option<Phase>, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let a = self.active()?;
        match (a.state, phase) {
            (RunState::Paused, None) => self.iterate(true, out).await,
            (RunState::Paused, Some(phase)) if a.run.next_phase() == phase => self.iterate_phase(out).await,
            (RunState::Paused, Some(phase)) => Err(Error::Config(format!(
                "this iteration's next phase is {}: the phases run in order, Wake → NREM → REM (asked for {})",
                a.run.next_phase().label(),
                phase.label()
            ))),
            (RunState::Finished, _) => Err(Error::Config("the run is finished: Reset to start another".into())),
            _ => Err(Error::Config("pause before stepping".into())),
        }
    }

    /// One iteration of the running session (the driver calls this while [`Self::is_running`]).
    pub async fn advance(&mut self, out: &mut dyn FnMut(Event)) {
        if self.is_running()
            && let Err(e) = self.iterate(false, out).await
        {
            out(Event::Error { topic: Topic::Run, message: e.to_string() });
        }
    }

    /// The next phase of the iteration alone; after REM, what an iteration reports.
    async fn iterate_phase(&mut self, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let Some(a) = self.active.as_mut() else { return Ok(()) };
        let result = a.run.step_phase(&mut |phase, seconds| out(Event::Phase { phase, seconds })).await;
        let stepped = self.survive(result, out)?;
        // After REM, what the iteration reports (and an epoch's end) comes first: slow motion
        // rests from the answer on, so its next phase finds the run as the epoch left it.
        if let Some(step) = stepped.step {
            self.iterated(step, None, true, out).await?;
        }
        let next = self.active.as_ref().map_or(Phase::Wake, |a| a.run.next_phase());
        out(Event::PhaseStep { phase: stepped.phase, losses: stepped.losses, next });
        Ok(())
    }

    /// A failed step ends the run (its weights may be broken, e.g. NaN), with the error.
    fn survive<T>(&mut self, result: Result<T, Error>, out: &mut dyn FnMut(Event)) -> Result<T, Error> {
        result.map_err(|e| {
            self.active = None;
            out(Event::State(RunState::Idle));
            match e {
                Error::Diverged(m) => Error::Diverged(format!("{m}: the run is stopped; lower the learning rate (2e-4 in the paper)")),
                e => e,
            }
        })
    }

    /// One iteration (the rest of it, when phases of it were stepped); at an epoch's end, the
    /// probes.
    async fn iterate(&mut self, single: bool, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let Some(a) = self.active.as_mut() else { return Ok(()) };
        let started = Instant::now();
        let result = a.run.step_phases(&mut |phase, seconds| out(Event::Phase { phase, seconds })).await;
        let step = self.survive(result, out)?;
        self.iterated(step, Some(started), single, out).await
    }

    /// What an iteration reports (progress, pictures), and the end of an epoch; `started`: when
    /// the iteration began, for the throughput (`None` for one stepped phase by phase, whose
    /// pauses would count).
    async fn iterated(&mut self, step: Step, started: Option<Instant>, single: bool, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let Some(a) = self.active.as_mut() else { return Ok(()) };
        a.done += 1;
        if let Some(started) = started {
            a.per_iteration = Some(ema(a.per_iteration, started.elapsed().as_secs_f64()));
        }
        out(Event::Progress(progress(a, &step)));
        let due = single || step.epoch_complete || a.last_pictures.is_none_or(|t| t.elapsed().as_secs_f64() >= PICTURE_INTERVAL);
        if due {
            out(Event::Images(snapshot(&step, step.images.clone()).await?));
            a.last_pictures = Some(Instant::now());
        }
        if step.epoch_complete {
            let probe = a.settings.probe && probes_possible(a.run.data());
            if probe {
                out(Event::Probing { epoch: step.epoch });
            }
            let t = Instant::now();
            let had = a.run.history().len();
            a.run.end_epoch(probe).await?;
            if probe {
                a.per_probe = Some(ema(a.per_probe, t.elapsed().as_secs_f64()));
            }
            for record in &a.run.history()[had..] {
                out(Event::Epoch(record.clone()));
            }
            let finished = a.run.trainer().epochs_done() >= a.settings.epochs;
            // Autosave after every epoch (before saying the run is over): a reload or a lost device
            // costs at most one epoch.
            self.save(true, out).await?;
            if finished && let Some(a) = self.active.as_mut() {
                a.set_running(false);
                a.state = RunState::Finished;
                out(Event::State(RunState::Finished));
                self.show_model(out).await?;
            }
        }
        Ok(())
    }
}

/// A checkpoint error, naming the file it came from.
fn named(file: &str, e: Error) -> Error {
    Error::Checkpoint(format!("{file}: {}", e.to_string().trim_start_matches("checkpoint: ")))
}

/// The probes need a test split and at least one probe batch of training latents.
fn probes_possible(data: &Dataset) -> bool {
    !data.test.is_empty() && data.train.len() >= crate::eval::probe::BATCH
}

fn progress(a: &Active, step: &Step) -> Progress {
    let left = a.total_iterations().saturating_sub(a.done);
    let epochs_left = a.settings.epochs.saturating_sub(step.epoch - usize::from(!step.epoch_complete));
    let eta = a.per_iteration.map(|t| left as f64 * t + a.per_probe.unwrap_or(0.0) * epochs_left as f64);
    Progress {
        epoch: step.epoch,
        epochs: a.settings.epochs,
        iteration: step.iteration,
        per_epoch: a.run.per_epoch(),
        done: a.done,
        losses: step.losses.clone(),
        images_per_second: a.per_iteration.map_or(0.0, |t| a.settings.batch_size as f64 / t.max(1e-9)),
        elapsed: a.elapsed(),
        eta,
    }
}

/// Read the shown images of every phase back (async).
async fn snapshot(step: &Step, images: PhaseImages) -> Result<Snapshot, Error> {
    pictures(step.epoch, step.iteration, images).await
}

/// A model's pictures on the first training images of `data`, with fixed draws (a loaded model
/// shows exactly what it showed when it was saved).
async fn model_pictures(trainer: &Trainer, data: &Dataset) -> Result<Snapshot, Error> {
    let n = SHOWN.min(data.train.len());
    let x = data.train.batch(&(0..n).collect::<Vec<_>>(), trainer.device());
    let images = dreams::model_view(&trainer.encoder(), &trainer.generator(), x);
    pictures(trainer.epochs_done(), 0, images).await
}

async fn pictures(epoch: usize, iteration: usize, images: PhaseImages) -> Result<Snapshot, Error> {
    Ok(Snapshot {
        epoch,
        iteration,
        input: read_images(images.input, SHOWN).await?,
        reconstruction: read_images(images.reconstruction, SHOWN).await?,
        nrem: read_images(images.nrem_dream, SHOWN).await?,
        rem: read_images(images.rem_dream, SHOWN).await?,
    })
}

/// What the serve loop hands the session, in the order the commands came.
enum Work {
    Command(Command),
    /// A [`Command::LoadData`] whose files the reader has read.
    Data(Dataset),
}

/// The trainer's main loop, as the worker runs it. The first command must be
/// [`Command::Init`]: `pick_device` turns it into a device. Then two loops share the thread:
/// - the *reader* takes every command as it arrives, even while the session computes (it runs
///   whenever the session yields: between iterations, and between the slices of a probe or an
///   evaluation, [`crate::pace`]). It reads dropped files at once: a file that is not a dataset
///   is answered there and then (nothing changes, so its message may overtake the answers to
///   earlier commands); everything else joins the session's queue in order;
/// - the *session* handles the queue in order, and while a run is running one iteration follows
///   another, with `yield_now` between them (the browser's event loop gets its turn there).
///
/// Returns when every command sender is gone and the queue is done.
pub async fn serve(
    commands: async_channel::Receiver<Command>,
    pick_device: impl AsyncFnOnce(DeviceChoice) -> (Device, DeviceInfo),
    yield_now: impl AsyncFn(),
    out: &mut dyn FnMut(Event),
) {
    let (choice, measured) = loop {
        match commands.recv().await {
            Ok(Command::Init { device, measured }) => break (device, measured),
            Ok(_) => out(Event::Error { topic: Topic::Run, message: "the trainer is starting: wait for it to be ready".into() }),
            Err(_) => return,
        }
    };
    let (device, info) = pick_device(choice).await;
    let mut session = Session::new(device);
    // `auto` on a hardware adapter: the faster of WebGPU and the CPU, as measured on this browser
    // before, or at the first run.
    let info = if choice == DeviceChoice::Auto && info.backend == Backend::WebGpu && !info.software {
        match measured.iter().find(|m| m.adapter == info.adapter) {
            Some(m) => {
                let chosen = session.choose(m, info);
                DeviceInfo { note: chosen.note.map(|n| format!("{n} (measured before on this browser)")), ..chosen }
            }
            None => {
                session = session.measure_before_first_run(info.clone());
                info
            }
        }
    } else {
        info
    };
    out(Event::Ready(info));
    // Both loops speak to the page; neither holds `out` across an await.
    let out = std::cell::RefCell::new(out);
    let (queue, work) = async_channel::unbounded::<Work>();
    let reader = async {
        let emit = |e: Event| (*out.borrow_mut())(e);
        while let Ok(command) = commands.recv().await {
            let next = match command {
                Command::LoadData { files } => match dataset_from_files(&files) {
                    Ok(data) => Work::Data(data),
                    Err(e) => {
                        emit(Event::Error { topic: Topic::Data, message: e.to_string() });
                        continue;
                    }
                },
                command => Work::Command(command),
            };
            if queue.send(next).await.is_err() {
                return;
            }
        }
        queue.close(); // the page is gone: the session ends once its queue is done
    };
    let session = async {
        let mut emit = |e: Event| (*out.borrow_mut())(e);
        loop {
            let next = match work.try_recv() {
                Ok(next) => Some(next),
                Err(_) if session.is_running() => None,
                Err(_) => match work.recv().await {
                    Ok(next) => Some(next),
                    Err(_) => return,
                },
            };
            match next {
                Some(Work::Command(command)) => session.handle(command, &mut emit).await,
                Some(Work::Data(data)) => session.adopt(data, &mut emit),
                None => {
                    session.advance(&mut emit).await;
                    yield_now().await;
                    crate::pace::rested();
                    // Let the reader queue what came during the iteration (where the host's
                    // yield does not suspend, as natively).
                    futures_lite::future::yield_now().await;
                }
            }
        }
    };
    futures_lite::future::zip(reader, session).await;
}
