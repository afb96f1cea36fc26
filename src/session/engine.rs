//! The session's engine: the trainer side of the page, behind the Web Worker's message loop.

use super::protocol::{Command, DataSummary, DeviceChoice, DeviceInfo, Event, Progress, RunState, Snapshot, Topic};
use super::settings::Settings;
use crate::Error;
use crate::data::Dataset;
use crate::data::upload::{NamedFile, dataset_from_files};
use crate::readback::read_images;
use crate::train::{PhaseImages, Run, Step, Trainer};
use burn::prelude::*;
use web_time::Instant;

/// Images shown per phase (an 8×8 grid at most).
pub const SHOWN: usize = 64;
/// Pictures are read back at most this often while running (and after every single step).
pub const PICTURE_INTERVAL: f64 = 0.5;
/// Test images the browser's probe measures at most (bounded work after each epoch).
pub const PROBE_TEST_IMAGES: usize = 2000;

/// A run in progress and the bookkeeping the page shows about it.
struct Active {
    run: Run,
    settings: Settings,
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

pub struct Session {
    device: Device,
    data: Option<Dataset>,
    active: Option<Active>,
}

impl Session {
    pub fn new(device: Device) -> Self {
        Self { device, data: None, active: None }
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
            Command::Start { settings, paused } => (Topic::Settings, self.start(settings, paused, out)),
            Command::Pause => (Topic::Run, self.pause(out)),
            Command::Resume => (Topic::Run, self.resume(out)),
            Command::Step => (Topic::Run, self.step(out).await),
            Command::Reset => {
                self.active = None;
                out(Event::State(RunState::Idle));
                (Topic::Run, Ok(()))
            }
        };
        if let Err(e) = result {
            out(Event::Error { topic, message: e.to_string() });
        }
    }

    fn load(&mut self, files: &[NamedFile], out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let data = dataset_from_files(files)?;
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
        Ok(())
    }

    fn start(&mut self, settings: Settings, paused: bool, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        if self.active.is_some() {
            return Err(Error::Config("a run is already under way: Reset it first".into()));
        }
        let data = self.data.as_ref().ok_or_else(|| Error::Config("load a dataset first".into()))?;
        settings.check(Some(data.train.len())).map_err(|e| Error::Config(super::settings::describe(&e)))?;
        let mut data = data.clone().limit_train(settings.images_per_epoch);
        data.test = data.test.take(PROBE_TEST_IMAGES);
        if settings.probe && !probes_possible(&data) {
            out(Event::Notice(format!(
                "linear probes are off: they need a test split and at least {} training images",
                crate::eval::probe::BATCH
            )));
        }
        let trainer = Trainer::new(settings.train_config(), data.channels(), &self.device)?;
        let run = Run::new(trainer, data, Vec::new())?;
        let mut active = Active {
            run,
            settings,
            state: RunState::Paused,
            elapsed: 0.0,
            since: None,
            per_iteration: None,
            per_probe: None,
            last_pictures: None,
            done: 0,
        };
        active.set_running(!paused);
        out(Event::State(active.state));
        self.active = Some(active);
        Ok(())
    }

    fn active(&mut self) -> Result<&mut Active, Error> {
        self.active.as_mut().ok_or_else(|| Error::Config("no run: press Start".into()))
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

    async fn step(&mut self, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let a = self.active()?;
        match a.state {
            RunState::Paused => self.iterate(true, out).await,
            RunState::Finished => Err(Error::Config("the run is finished: Reset to start another".into())),
            _ => Err(Error::Config("pause before stepping one iteration".into())),
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

    /// One iteration; at an epoch's end, the probes. A failure ends the run (its weights may be
    /// broken, e.g. NaN), with the error.
    async fn iterate(&mut self, single: bool, out: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let Some(a) = self.active.as_mut() else { return Ok(()) };
        let started = Instant::now();
        let step = match a.run.step_phases(&mut |phase, seconds| out(Event::Phase { phase, seconds })).await {
            Ok(s) => s,
            Err(e) => {
                self.active = None;
                out(Event::State(RunState::Idle));
                return Err(e);
            }
        };
        a.done += 1;
        a.per_iteration = Some(ema(a.per_iteration, started.elapsed().as_secs_f64()));
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
            if a.run.trainer().epochs_done() >= a.settings.epochs {
                a.set_running(false);
                a.state = RunState::Finished;
                out(Event::State(RunState::Finished));
            }
        }
        Ok(())
    }
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
    Ok(Snapshot {
        epoch: step.epoch,
        iteration: step.iteration,
        input: read_images(images.input, SHOWN).await?,
        reconstruction: read_images(images.reconstruction, SHOWN).await?,
        nrem: read_images(images.nrem_dream, SHOWN).await?,
        rem: read_images(images.rem_dream, SHOWN).await?,
    })
}

/// The trainer's main loop, as the worker runs it. The first command must be
/// [`Command::Init`]: `pick_device` turns it into a device. Then commands are handled as they
/// come, and while a run is running one iteration follows another, with `yield_now` between them
/// (the browser's event loop gets its turn there). Returns when every command sender is gone and
/// nothing runs.
pub async fn serve(
    commands: async_channel::Receiver<Command>,
    pick_device: impl AsyncFnOnce(DeviceChoice) -> (Device, DeviceInfo),
    yield_now: impl AsyncFn(),
    out: &mut dyn FnMut(Event),
) {
    let device = loop {
        match commands.recv().await {
            Ok(Command::Init { device }) => break device,
            Ok(_) => out(Event::Error { topic: Topic::Run, message: "the trainer is starting: wait for it to be ready".into() }),
            Err(_) => return,
        }
    };
    let (device, info) = pick_device(device).await;
    out(Event::Ready(info));
    let mut session = Session::new(device);
    loop {
        while let Ok(command) = commands.try_recv() {
            session.handle(command, out).await;
        }
        if session.is_running() {
            session.advance(out).await;
            yield_now().await;
        } else {
            match commands.recv().await {
                Ok(command) => session.handle(command, out).await,
                Err(_) => return,
            }
        }
    }
}
