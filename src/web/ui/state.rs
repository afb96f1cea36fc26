//! Everything the page shows, as signals, and how each event from the trainer changes it.

use crate::session::history::{Hypnogram, LossHistory};
use crate::session::protocol::{DataSummary, DeviceInfo, Event, Progress, RunState, Snapshot, Topic};
use crate::train::EpochRecord;
use leptos::prelude::*;

/// The page's state. `Copy`: every field is a signal handle.
#[derive(Clone, Copy)]
pub struct Page {
    /// What runs the model, once the trainer is ready.
    pub device: RwSignal<Option<DeviceInfo>>,
    pub data: RwSignal<Option<DataSummary>>,
    pub state: RwSignal<RunState>,
    pub progress: RwSignal<Option<Progress>>,
    pub losses: RwSignal<LossHistory>,
    pub hypnogram: RwSignal<Hypnogram>,
    /// The latest pictures of the four phases (the data preview before training).
    pub snapshot: RwSignal<Option<Snapshot>>,
    /// Per-epoch records with the probe results; epoch 0 is the untrained network.
    pub epochs: RwSignal<Vec<EpochRecord>>,
    /// What the trainer is busy with that takes a while (starting, loading, probing).
    pub busy: RwSignal<Option<String>>,
    pub notice: RwSignal<Option<String>>,
    /// Errors, by what they are about.
    pub data_error: RwSignal<Option<String>>,
    pub settings_error: RwSignal<Option<String>>,
    pub run_error: RwSignal<Option<String>>,
    /// Milliseconds from navigation start to the first pictures drawn after training began.
    pub first_pictures_ms: RwSignal<Option<f64>>,
}

impl Page {
    pub fn new() -> Self {
        Self {
            device: RwSignal::new(None),
            data: RwSignal::new(None),
            state: RwSignal::new(RunState::Idle),
            progress: RwSignal::new(None),
            losses: RwSignal::new(LossHistory::default()),
            hypnogram: RwSignal::new(Hypnogram::default()),
            snapshot: RwSignal::new(None),
            epochs: RwSignal::new(Vec::new()),
            busy: RwSignal::new(Some("starting the trainer…".into())),
            notice: RwSignal::new(None),
            data_error: RwSignal::new(None),
            settings_error: RwSignal::new(None),
            run_error: RwSignal::new(None),
            first_pictures_ms: RwSignal::new(None),
        }
    }

    /// Forget the run (a new one starts, or the trainer restarted).
    pub fn clear_run(&self) {
        self.progress.set(None);
        self.losses.set(LossHistory::default());
        self.hypnogram.set(Hypnogram::default());
        self.epochs.set(Vec::new());
        self.run_error.set(None);
        self.settings_error.set(None);
        self.notice.set(None);
    }

    /// The pictures of a dataset before training: its first images as the input grid.
    fn preview(&self, data: &DataSummary) {
        let blank = crate::readback::HostImages { count: 0, channels: data.channels, side: data.preview.side, pixels: Vec::new() };
        self.snapshot.set(Some(Snapshot {
            epoch: 0,
            iteration: 0,
            input: data.preview.clone(),
            reconstruction: blank.clone(),
            nrem: blank.clone(),
            rem: blank,
        }));
    }

    pub fn apply(&self, event: Event) {
        match event {
            Event::Listening => {}
            Event::Ready(info) => {
                self.device.set(Some(info));
                self.busy.set(None);
            }
            Event::DataLoaded(summary) => {
                self.data_error.set(None);
                self.busy.set(None);
                if self.state.get_untracked() == RunState::Idle {
                    self.preview(&summary);
                }
                self.data.set(Some(summary));
            }
            Event::State(s) => {
                self.state.set(s);
                if s != RunState::Running {
                    self.busy.set(None);
                }
            }
            Event::Phase { phase, seconds } => self.hypnogram.update(|h| h.push(phase, seconds)),
            Event::Progress(p) => {
                self.losses.update(|h| h.push(p.done, &p.losses));
                self.progress.set(Some(p));
            }
            Event::Images(s) => {
                if self.first_pictures_ms.get_untracked().is_none() {
                    let now = web_sys::window().and_then(|w| w.performance()).map(|p| p.now());
                    self.first_pictures_ms.set(now);
                }
                self.snapshot.set(Some(s));
            }
            Event::Probing { epoch } => self.busy.set(Some(format!("linear probes after epoch {epoch}…"))),
            Event::Epoch(record) => {
                self.busy.set(None);
                self.epochs.update(|v| v.push(record));
            }
            Event::Notice(n) => self.notice.set(Some(n)),
            Event::Error { topic, message } => {
                self.busy.set(None);
                match topic {
                    Topic::Data => self.data_error.set(Some(message)),
                    Topic::Settings => self.settings_error.set(Some(message)),
                    Topic::Run => self.run_error.set(Some(message)),
                }
            }
            Event::Fatal(message) => self.crashed(&message),
        }
    }

    /// The trainer died (a panic in the worker, a lost GPU): say so; the caller restarts it.
    pub fn crashed(&self, message: &str) {
        self.state.set(RunState::Idle);
        self.busy.set(Some("restarting the trainer…".into()));
        self.run_error.set(Some(format!("The trainer stopped ({message}). It is being restarted; the run was lost.")));
    }
}
