//! Everything the page shows, as signals, and how each event from the trainer changes it.

use crate::session::history::{Hypnogram, LossHistory};
use crate::session::protocol::{DataSummary, DeviceInfo, DreamView, EvaluationView, Event, Progress, RunState, Snapshot, Topic};
use crate::session::settings::Settings;
use crate::train::EpochRecord;
use leptos::prelude::*;
use std::sync::Arc;

/// A checkpoint the trainer handed over: its file name, epochs done and bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedModel {
    pub file_name: String,
    pub epoch: usize,
    pub bytes: Arc<Vec<u8>>,
}

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
    pub model_error: RwSignal<Option<String>>,
    /// The latest autosave (after each epoch), kept to resume after the trainer restarts.
    pub autosave: RwSignal<Option<SavedModel>>,
    /// What the page's store holds, once written ("autosaved after epoch 3").
    pub stored: RwSignal<Option<String>>,
    /// An autosave to write to the page's store (IndexedDB).
    pub to_store: RwSignal<Option<SavedModel>>,
    /// A checkpoint the user asked to download (the download starts when it arrives).
    pub download: RwSignal<Option<SavedModel>>,
    /// The settings of a model just loaded (the form takes them over).
    pub loaded: RwSignal<Option<Settings>>,
    pub dream: RwSignal<Option<DreamView>>,
    /// Evaluations of this page's models, the latest last (the occlusion plot overlays the one before).
    pub evaluations: RwSignal<Vec<EvaluationView>>,
    /// Milliseconds from navigation start to the first pictures drawn after training began.
    pub first_pictures_ms: RwSignal<Option<f64>>,
    /// The pretrained snapshot shown while no run exists (what it is), and milliseconds from
    /// navigation start to its pictures.
    pub pretrained: RwSignal<Option<String>>,
    pub pretrained_ms: RwSignal<Option<f64>>,
}

fn since_navigation() -> Option<f64> {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now())
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
            model_error: RwSignal::new(None),
            autosave: RwSignal::new(None),
            download: RwSignal::new(None),
            to_store: RwSignal::new(None),
            stored: RwSignal::new(None),
            loaded: RwSignal::new(None),
            dream: RwSignal::new(None),
            evaluations: RwSignal::new(Vec::new()),
            first_pictures_ms: RwSignal::new(None),
            pretrained: RwSignal::new(None),
            pretrained_ms: RwSignal::new(None),
        }
    }

    /// The trainer is up and holds data: a run can start, a model can load.
    pub fn ready(&self) -> bool {
        self.device.with(Option::is_some) && self.data.with(Option::is_some)
    }

    /// The trainer holds a model to explore or evaluate: a run's, or the pretrained snapshot.
    pub fn has_model(&self) -> bool {
        self.state.get() != RunState::Idle || self.pretrained.with(Option::is_some)
    }

    /// Forget the run (a new one starts, or the trainer restarted).
    pub fn clear_run(&self) {
        self.progress.set(None);
        self.losses.set(LossHistory::default());
        self.hypnogram.set(Hypnogram::default());
        self.epochs.set(Vec::new());
        self.run_error.set(None);
        self.settings_error.set(None);
        self.model_error.set(None);
        self.notice.set(None);
        self.dream.set(None);
        self.pretrained.set(None);
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
                self.pretrained.set(None);
                self.data.set(Some(summary));
            }
            Event::State(s) => {
                self.state.set(s);
                if s != RunState::Idle {
                    self.pretrained.set(None);
                }
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
                if self.state.get_untracked() != RunState::Idle {
                    if self.first_pictures_ms.get_untracked().is_none() {
                        self.first_pictures_ms.set(since_navigation());
                    }
                } else if self.pretrained.with_untracked(Option::is_some) && self.pretrained_ms.get_untracked().is_none() {
                    self.pretrained_ms.set(since_navigation());
                }
                self.snapshot.set(Some(s));
            }
            Event::Probing { epoch } => self.busy.set(Some(format!("linear probes after epoch {epoch}…"))),
            Event::Epoch(record) => {
                self.busy.set(None);
                self.epochs.update(|v| v.push(record));
            }
            Event::Saved { file_name, bytes, epoch, autosave } => {
                let saved = SavedModel { file_name, epoch, bytes: Arc::new(bytes) };
                if autosave {
                    self.autosave.set(Some(saved.clone()));
                    self.to_store.set(Some(saved));
                } else {
                    self.download.set(Some(saved));
                }
            }
            Event::ModelLoaded { settings, epoch, dataset } => {
                self.clear_run();
                self.busy.set(None);
                // Blank until the loaded model's own pictures arrive.
                if let Some(data) = self.data.get_untracked() {
                    self.preview(&data);
                }
                self.notice.set(Some(format!(
                    "Loaded a {} model trained {epoch} epoch{} on {dataset}: Resume continues it.",
                    settings.variant.label(),
                    if epoch == 1 { "" } else { "s" }
                )));
                self.loaded.set(Some(settings));
            }
            Event::Pretrained { variant, epoch, dataset } => self.pretrained.set(Some(format!(
                "Pretrained snapshot: {} after {epoch} epochs on {dataset}, trained with this project's CLI — its reconstructions and dreams. Start trains your own model from scratch.",
                variant.label()
            ))),
            Event::Dream(view) => self.dream.set(Some(view)),
            Event::Evaluating => self.busy.set(Some("evaluating the model (probes, occlusion, latents)…".into())),
            Event::Evaluated(e) => {
                self.busy.set(None);
                self.evaluations.update(|v| v.push(e));
            }
            Event::Notice(n) => self.notice.set(Some(n)),
            Event::Error { topic, message } => {
                self.busy.set(None);
                match topic {
                    Topic::Data => self.data_error.set(Some(message)),
                    Topic::Settings => self.settings_error.set(Some(message)),
                    Topic::Run => self.run_error.set(Some(message)),
                    Topic::Model => self.model_error.set(Some(message)),
                }
            }
            Event::Fatal(message) => self.crashed(&message),
        }
    }

    /// The trainer died (a panic in the worker, a lost GPU): say so; the caller restarts it.
    pub fn crashed(&self, message: &str) {
        self.state.set(RunState::Idle);
        self.pretrained.set(None); // the snapshot was in the dead worker
        self.busy.set(Some("restarting the trainer…".into()));
        let resume = match self.autosave.get_untracked() {
            Some(s) => format!(" The last autosave (epoch {}) can be resumed: Model → Resume autosave.", s.epoch),
            None => " The run was lost.".into(),
        };
        self.run_error.set(Some(format!("The trainer stopped ({message}). It is being restarted.{resume}")));
    }
}
