//! The page's state as plain data: what the page shows, and how each message from the trainer
//! (and each thing the user does that the trainer does not answer) changes it. The page holds one
//! [`PageState`] behind one signal and runs the [`Effect`]s that [`PageState::apply`] returns; the
//! rules live here, once, and are tested natively like the engine (`tests/page_state.rs`).

use super::history::{Hypnogram, LossHistory};
use super::knobs::KnobChange;
use super::phase::Phase;
use super::protocol::{
    Backend, Command, DataSummary, DeviceInfo, DrawnView, DreamRequest, DreamView, EvaluationView, Event, Measured, OutOfMemory, Progress,
    RunState, Snapshot, Topic, TrainerMemory,
};
use super::records::EpochRecord;
use super::settings::Settings;
use super::slow::SlowMotion;
use std::sync::Arc;

/// A checkpoint's bytes, as the page holds them.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// In the page's own memory (natively, in the tests).
    Here(Arc<Vec<u8>>),
    /// A buffer the browser holds for the page outside its WebAssembly heap, by key
    /// (`web/ui/held.rs`): a heap only grows, so a checkpoint of tens of MB copied into it would
    /// stay that much larger for the page's life.
    Held { key: u64, len: usize },
    /// Only in the page's store, read back when needed: IndexedDB (the autosave the page wrote),
    /// or `file`, a file of the origin's private file system (one the worker wrote itself,
    /// `web/autosave.rs`).
    Stored { len: usize, file: Option<String> },
}

impl From<Vec<u8>> for Payload {
    fn from(bytes: Vec<u8>) -> Self {
        Payload::Here(Arc::new(bytes))
    }
}

/// A checkpoint the trainer handed over: its file name, epochs done and bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedModel {
    pub file_name: String,
    pub epoch: usize,
    pub bytes: Payload,
}

/// What the page must do beyond showing the new state: things with side effects outside it.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Send this command to the trainer.
    Send(Command),
    /// Offer a checkpoint the user asked for as a download.
    Download(SavedModel),
    /// Write the autosave to the page's store (IndexedDB).
    Store(SavedModel),
    /// A loaded model brings its settings: the form takes them over.
    AdoptSettings(Settings),
    /// Remember what `auto` measured on this adapter (local storage): a reload need not measure.
    Remember(Measured),
    /// Slow motion: call [`PageState::slow_tick`] with the rest's number after this many
    /// milliseconds.
    SlowTick(f64, u64),
    /// The trainer restarted on the CPU after its GPU failed holds the data again: continue the
    /// run as the page holds it.
    Recover(Recover),
}

/// How a run continues in a fresh trainer: on the CPU after its GPU failed, or at a smaller
/// batch after the trainer ran out of memory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Recover {
    /// Load this run's autosave with this many epochs left to train (the form's other settings;
    /// `batch`: a smaller batch than the autosave's), then resume it ([`PageState::apply`]) if it
    /// was training.
    Autosave { epochs_left: Option<usize>, batch: Option<usize> },
    /// No autosave of this run yet: start it again with the form's settings.
    Restart,
}

/// A run to continue once the trainer is back ([`PageState::gpu_failed`],
/// [`PageState::continue_smaller`]).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Recovery {
    how: Recover,
    /// It was training (not paused): it trains again once recovered.
    running: bool,
}

/// The batch to continue at after the trainer ran out of memory at `batch`: half of it, down to
/// the smallest the model trains with; `None` below that.
pub fn smaller_batch(batch: usize) -> Option<usize> {
    let smallest = *super::limits::BATCH.start();
    (batch > smallest).then(|| (batch / 2).max(smallest))
}

/// What the page offers after the trainer ran out of memory ([`PageState::out_of_memory`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShortOfMemory {
    /// How the interrupted run would continue (at a smaller batch).
    how: Recover,
    /// Whether it was training (it trains again) or paused.
    running: bool,
}

/// Errors, by what they are about (each shown next to its controls).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Errors {
    pub data: Option<String>,
    pub settings: Option<String>,
    pub run: Option<String>,
    pub model: Option<String>,
    pub drawing: Option<String>,
}

impl Errors {
    fn slot(&mut self, topic: Topic) -> &mut Option<String> {
        match topic {
            Topic::Data => &mut self.data,
            Topic::Settings => &mut self.settings,
            Topic::Run => &mut self.run,
            Topic::Model => &mut self.model,
            Topic::Drawing => &mut self.drawing,
        }
    }
}

/// Everything the page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct PageState {
    /// What runs the model, once the trainer is ready.
    pub device: Option<DeviceInfo>,
    /// The loaded data. Large values (pictures) are shared (`Arc`), so that the page's views can
    /// hold them cheaply and tell a new one from the last by its pointer.
    pub data: Option<Arc<DataSummary>>,
    pub state: RunState,
    pub progress: Option<Progress>,
    pub losses: LossHistory,
    pub hypnogram: Hypnogram,
    /// The run's knob changes, in order (marked on the loss plot).
    pub changes: Vec<KnobChange>,
    /// The latest value of each loss (by `Losses::NAMES` index), from the last iteration or the
    /// last phase stepped alone: what the model diagram labels.
    pub phase_losses: [Option<f32>; 5],
    /// The phase the current iteration runs next (the one "Step" button that works).
    pub next_phase: Phase,
    /// The phase the model diagram shows while no run trains: the tab chosen, or the phase just
    /// stepped.
    pub shown_phase: Phase,
    /// Slow motion: one phase step after another, with a rest between them.
    pub slow: SlowMotion,
    /// The latest pictures of the four phases (the data preview before training).
    pub snapshot: Option<Arc<Snapshot>>,
    /// Per-epoch records with the probe results; epoch 0 is the untrained network.
    pub epochs: Vec<EpochRecord>,
    /// The trainer's memory as it last reported it.
    pub trainer_memory: Option<TrainerMemory>,
    /// The trainer ran out of memory under a run: continuing it at a smaller batch is offered.
    pub short_of_memory: Option<ShortOfMemory>,
    /// What the trainer is busy with that takes a while (starting, loading, probing).
    pub busy: Option<String>,
    pub notice: Option<String>,
    pub errors: Errors,
    /// The latest autosave (after each epoch, or found in the store), kept to resume after the
    /// trainer restarts or the page reloads.
    pub autosave: Option<SavedModel>,
    /// What the page's store holds, once written ("autosaved after epoch 3").
    pub stored: Option<String>,
    pub dream: Option<Arc<DreamView>>,
    /// Evaluations of this page's models, the latest last (the occlusion plot overlays the one before).
    pub evaluations: Arc<Vec<EvaluationView>>,
    /// Milliseconds from navigation start to the first pictures drawn after training began.
    pub first_pictures_ms: Option<f64>,
    /// Since when (the page's clock) a run has been waiting for its first WebGPU iteration, which
    /// compiles the GPU kernels — seconds on a first visit; see [`PageState::preparing_gpu`].
    pub preparing_gpu_since: Option<f64>,
    /// This trainer's GPU kernels are compiled (an iteration finished on WebGPU): a new worker
    /// compiles them again.
    gpu_kernels_ready: bool,
    /// Why training left the GPU, when it did mid-session (shown on the device line).
    pub gpu_failure: Option<String>,
    /// The run to continue on the CPU after the GPU failed.
    recovery: Option<Recovery>,
    /// The latest run's state while it was active (running or paused): the run a GPU failure
    /// interrupts, even when the failing step has already ended it (the trainer reports the
    /// failed step, and the run idle, before the device's loss reaches it). Gone when the run
    /// finishes, is reset, or another starts.
    last_active: Option<RunState>,
    /// The autosave is this run's own (saved since it started, or the one it was resumed from),
    /// not one found from an earlier visit.
    autosave_is_this_run: bool,
    /// Milliseconds from navigation start to the pretrained snapshot's pictures.
    pub pretrained_ms: Option<f64>,
    /// The pretrained snapshot the trainer shows while no run exists (what it is); see
    /// [`PageState::ends_pretrained`].
    pretrained: Option<String>,
    /// What the model made of the latest drawing (the drawing pad).
    pub drawn: Option<Arc<DrawnView>>,
    /// The dream explorer's and the drawing pad's requests.
    dream_asked: OneInFlight<DreamRequest>,
    drawing: OneInFlight<Vec<u8>>,
    /// The page is in sight: its tab visible and (embedded) its frame in the viewport.
    seen: bool,
    /// Training was paused because the page went out of sight: it resumes when it is back.
    auto_paused: bool,
}

impl Default for PageState {
    fn default() -> Self {
        Self {
            device: None,
            data: None,
            state: RunState::Idle,
            progress: None,
            losses: LossHistory::default(),
            hypnogram: Hypnogram::default(),
            changes: Vec::new(),
            phase_losses: [None; 5],
            next_phase: Phase::Wake,
            shown_phase: Phase::Wake,
            slow: SlowMotion::default(),
            snapshot: None,
            epochs: Vec::new(),
            trainer_memory: None,
            short_of_memory: None,
            busy: Some("starting the trainer…".into()),
            notice: None,
            errors: Errors::default(),
            autosave: None,
            stored: None,
            dream: None,
            evaluations: Arc::default(),
            first_pictures_ms: None,
            preparing_gpu_since: None,
            gpu_kernels_ready: false,
            gpu_failure: None,
            recovery: None,
            last_active: None,
            autosave_is_this_run: false,
            pretrained_ms: None,
            pretrained: None,
            drawn: None,
            dream_asked: OneInFlight::default(),
            drawing: OneInFlight::default(),
            seen: true,
            auto_paused: false,
        }
    }
}

impl PageState {
    /// The trainer is up and holds data: a run can start, a model can load.
    pub fn ready(&self) -> bool {
        self.device.is_some() && self.data.is_some()
    }

    /// A run exists (running, paused or finished): it can be saved, and settings wait for Reset.
    pub fn has_run(&self) -> bool {
        self.state != RunState::Idle
    }

    /// Settings and data can change (no run, or a finished one).
    pub fn idle(&self) -> bool {
        matches!(self.state, RunState::Idle | RunState::Finished)
    }

    /// The trainer holds a model to explore or evaluate: a run's, or the pretrained snapshot.
    pub fn has_model(&self) -> bool {
        self.has_run() || self.pretrained.is_some()
    }

    /// What the pretrained snapshot on show is, if one is.
    pub fn pretrained(&self) -> Option<&str> {
        self.pretrained.as_deref()
    }

    /// The trainer's model stops being the pretrained snapshot on these messages: a run started
    /// (or a model loaded), other data arrived, or the trainer died. The one statement of the rule
    /// "no pretrained view once a run exists" on the page's side (the engine's is
    /// `Session::replace_model`).
    fn ends_pretrained(event: &Event) -> bool {
        matches!(event, Event::State(s) if *s != RunState::Idle)
            || matches!(event, Event::DataLoaded(_) | Event::ModelLoaded { .. } | Event::Fatal(_) | Event::GpuFailed(_))
    }

    /// Forget the run (a new one starts, or the trainer restarted).
    pub fn clear_run(&mut self) {
        self.autosave_is_this_run = false;
        self.last_active = None;
        self.progress = None;
        self.losses = LossHistory::default();
        self.hypnogram = Hypnogram::default();
        self.changes.clear();
        self.phase_losses = [None; 5];
        self.next_phase = Phase::Wake;
        self.slow.stop();
        self.epochs.clear();
        self.errors.run = None;
        self.errors.settings = None;
        self.errors.model = None;
        self.notice = None;
        self.dream = None;
        self.drawn = None;
        self.pretrained = None;
    }

    /// The pictures of a dataset before training: its first images as the input grid.
    fn preview(&mut self) {
        let Some(data) = &self.data else { return };
        let blank = super::images::HostImages { count: 0, channels: data.channels, side: data.preview.side, pixels: Vec::new() };
        self.snapshot = Some(Arc::new(Snapshot {
            epoch: 0,
            iteration: 0,
            input: data.preview.clone(),
            reconstruction: blank.clone(),
            nrem: blank.clone(),
            rem: blank,
        }));
    }

    /// Take in one message from the trainer; `now` is the page's clock (milliseconds since
    /// navigation), for the time-to-pictures marks.
    pub fn apply(&mut self, event: Event, now: Option<f64>) -> Vec<Effect> {
        let mut effects = Vec::new();
        // After these the trainer's model is another one, or in another state: the explorer's
        // pictures are asked for again.
        // (After an epoch or an evaluation, the drawing pad's probe and latent map are new.)
        let model_changes =
            matches!(event, Event::State(_) | Event::ModelLoaded { .. } | Event::Pretrained { .. } | Event::Epoch(_) | Event::Evaluated(_));
        if Self::ends_pretrained(&event) {
            self.pretrained = None;
        }
        self.preparing_gpu(&event, now);
        match event {
            Event::Listening => {}
            Event::Ready(info) => {
                self.device = Some(info);
                self.busy = None;
            }
            Event::DataLoaded(summary) => {
                self.errors.data = None;
                self.busy = None;
                self.data = Some(Arc::new(summary));
                if self.state == RunState::Idle {
                    self.preview();
                }
                if let Some(r) = self.recovery {
                    effects.push(Effect::Recover(r.how));
                    if r.how == Recover::Restart {
                        self.recovery = None; // the run starts again: nothing left to do
                    }
                }
            }
            Event::State(s) => {
                self.state = s;
                match s {
                    RunState::Running | RunState::Paused => self.last_active = Some(s),
                    RunState::Finished => self.last_active = None,
                    RunState::Idle => {} // a failed step, perhaps the GPU's: see `last_active`
                }
                if s != RunState::Running {
                    self.busy = None;
                }
                self.slow.state(s);
                match s {
                    RunState::Paused => effects.extend(self.resume_if_back()),
                    RunState::Running => {}
                    _ => self.auto_paused = false,
                }
            }
            Event::Phase { phase, seconds } => self.hypnogram.push(phase, seconds),
            Event::PhaseStep { phase, losses, next } => {
                for (slot, value) in self.phase_losses.iter_mut().zip(losses) {
                    *slot = value.or(*slot);
                }
                self.next_phase = next;
                self.shown_phase = phase;
                effects.extend(self.slow.answered().map(|(ms, rest)| Effect::SlowTick(ms, rest)));
            }
            Event::Progress(p) => {
                self.phase_losses = p.losses.clone().to_array().map(Some);
                self.next_phase = Phase::Wake;
                self.losses.push(p.done, &p.losses);
                self.progress = Some(p);
            }
            Event::Images(s) => {
                if self.state != RunState::Idle {
                    self.first_pictures_ms = self.first_pictures_ms.or(now);
                } else if self.pretrained.is_some() {
                    self.pretrained_ms = self.pretrained_ms.or(now);
                }
                self.snapshot = Some(Arc::new(s));
            }
            Event::Probing { epoch } => self.busy = Some(format!("linear probes after epoch {epoch}…")),
            Event::Epoch(record) => {
                self.busy = None;
                self.epochs.push(record);
            }
            Event::Tuned(change) => {
                self.errors.settings = None;
                self.notice = Some(format!("Knobs turned {}.", change.describe()));
                self.changes.push(change);
            }
            Event::Saved { file_name, bytes, epoch, autosave, written } => {
                let bytes = match written {
                    Some(w) => Payload::Stored { len: w.len, file: Some(w.file) },
                    None => bytes.into(),
                };
                effects.push(self.saved(SavedModel { file_name, epoch, bytes }, autosave));
            }
            Event::ModelLoaded { settings, epoch, dataset, changes } => {
                self.clear_run();
                self.changes = changes;
                self.busy = None;
                self.preview(); // blank until the loaded model's own pictures arrive
                self.notice = Some(format!(
                    "Loaded a {} model trained {epoch} epoch{} on {dataset}: Resume continues it.",
                    settings.variant.label(),
                    if epoch == 1 { "" } else { "s" }
                ));
                effects.push(Effect::AdoptSettings(settings));
                if let Some(r) = self.recovery.take() {
                    // The autosave the interrupted run continues from.
                    self.autosave_is_this_run = true;
                    let (whence, paused) =
                        (format!("the autosave after epoch {epoch}"), if r.running { "" } else { " (paused, as it was)" });
                    self.notice = Some(match r.how {
                        Recover::Autosave { batch: Some(batch), .. } => {
                            format!("Training continues at batch {batch} from {whence}{paused}.")
                        }
                        _ => format!("Training moved to the CPU and continues from {whence}{paused}."),
                    });
                    if r.running {
                        effects.push(Effect::Send(Command::Resume));
                    }
                }
            }
            Event::Pretrained { variant, epoch, dataset } => {
                self.pretrained = Some(format!(
                    "Pretrained snapshot: {} after {epoch} epochs on {dataset}, trained with this project's CLI — its reconstructions and dreams. Start trains your own model from scratch.",
                    variant.label()
                ))
            }
            Event::Dream(view) => {
                self.dream = Some(Arc::new(view));
                effects.extend(self.dream_answered());
            }
            Event::Drawn(view) => {
                // A drawing cleared while it was with the trainer is not shown again.
                if self.drawing.asked().is_some() {
                    self.errors.drawing = None;
                    self.drawn = Some(Arc::new(view));
                }
                effects.extend(self.drawing_answered());
            }
            Event::Evaluating => self.busy = Some("evaluating the model (probes, occlusion, latents)…".into()),
            Event::Measuring { batch } => {
                self.busy = Some(format!("timing WebGPU and the CPU at batch {batch}, to train on the faster…"));
            }
            Event::Measured(measured) => effects.push(Effect::Remember(measured)),
            Event::Evaluated(e) => {
                self.busy = None;
                Arc::make_mut(&mut self.evaluations).push(e);
            }
            Event::Memory(memory) => self.trainer_memory = Some(memory),
            Event::OutOfMemory(oom) => self.out_of_memory(oom),
            Event::Notice(n) => self.notice = Some(n),
            Event::Error { topic, message } => {
                self.busy = None;
                *self.errors.slot(topic) = Some(message);
                match topic {
                    // A refused Start or step: slow motion stops (its step, if any, failed).
                    Topic::Run | Topic::Settings => self.slow.failed(),
                    Topic::Model => effects.extend(self.dream_answered()),
                    Topic::Drawing => effects.extend(self.drawing_answered()),
                    Topic::Data => {}
                }
            }
            Event::Fatal(message) => self.crashed(&message),
            Event::GpuFailed(message) => self.gpu_failed(&message),
        }
        if model_changes {
            effects.extend(self.ask_again());
        }
        effects
    }

    /// The first WebGPU iteration of a trainer compiles its kernels, for seconds, before any
    /// number moves: the page shows "preparing GPU kernels… 6 s" from the run's start until an
    /// iteration's result arrives (or the run stops), so that a visitor knows why.
    fn preparing_gpu(&mut self, event: &Event, now: Option<f64>) {
        match event {
            Event::Ready(_) => {
                self.gpu_kernels_ready = false;
                self.preparing_gpu_since = None;
            }
            Event::State(RunState::Running) => {
                let on_gpu = self.device.as_ref().is_some_and(|d| d.backend == Backend::WebGpu);
                if on_gpu && !self.gpu_kernels_ready && self.preparing_gpu_since.is_none() {
                    self.preparing_gpu_since = Some(now.unwrap_or(0.0));
                }
            }
            // (A trainer that dies stops waiting too: `crashed`.)
            Event::State(_) => self.preparing_gpu_since = None,
            Event::Progress(_) | Event::PhaseStep { .. } => {
                self.preparing_gpu_since = None;
                self.gpu_kernels_ready = true;
            }
            _ => {}
        }
    }

    /// The trainer died (a panic in the worker): say so; the page restarts it.
    pub fn crashed(&mut self, message: &str) {
        self.state = RunState::Idle;
        self.preparing_gpu_since = None; // the next trainer's `Ready` starts its kernels afresh
        self.pretrained = None; // the snapshot was in the dead worker
        self.dream_asked.lost(); // and so were the explorer's and the drawing pad's requests
        self.drawing.lost();
        self.slow.failed();
        self.busy = Some("restarting the trainer…".into());
        let resume = match &self.autosave {
            Some(s) => format!(" The last autosave (epoch {}) can be resumed: Model → Resume autosave.", s.epoch),
            None => " The run was lost.".into(),
        };
        self.errors.run = Some(format!("The trainer stopped ({message}). It is being restarted.{resume}"));
    }

    /// The GPU failed under the trainer: the page restarts it on the CPU and, once it holds the
    /// data again, continues the run from the last state the page holds — this run's autosave
    /// (at most the current epoch is redone), or the run from its start when it has none yet —,
    /// by itself ([`Effect::Recover`]). The device line says why it left the GPU.
    pub fn gpu_failed(&mut self, message: &str) {
        let was = self.last_active.take();
        let how = self.continuation(None);
        self.crashed(message);
        // What the failing GPU made fail on its way out (a read-back, a step) is its fallout.
        self.errors.run = None;
        self.errors.model = None;
        self.recovery = was.map(|was| Recovery { how, running: was == RunState::Running });
        self.gpu_failure = Some(format!("WebGPU failed ({message}): training moved to the CPU"));
        self.busy = Some("moving to the CPU…".into());
        self.notice = Some(match self.recovery {
            Some(Recovery { how: Recover::Autosave { .. }, .. }) => {
                "The GPU failed: training moves to the CPU and continues from this run's autosave.".into()
            }
            Some(_) => "The GPU failed before this run's first autosave: the run starts again on the CPU.".into(),
            None => "The GPU failed: the trainer moves to the CPU.".into(),
        });
    }

    /// How the interrupted run continues in a new trainer (at `batch`, if given): from this run's
    /// autosave with the epochs that were left (at most the current epoch is redone), or from its
    /// start when it has none yet.
    fn continuation(&self, batch: Option<usize>) -> Recover {
        match (&self.autosave, self.autosave_is_this_run) {
            (Some(saved), true) => {
                Recover::Autosave { epochs_left: self.progress.as_ref().map(|p| p.epochs.saturating_sub(saved.epoch).max(1)), batch }
            }
            _ => Recover::Restart,
        }
    }

    /// The trainer's heap refused an allocation (the browser would not grow it) and the worker
    /// ended: the page restarts it and says so in plain words; the last autosave stays (the
    /// store's copy), and continuing the interrupted run at a smaller batch is offered
    /// ([`PageState::continue_smaller`]).
    pub fn out_of_memory(&mut self, oom: OutOfMemory) {
        let was = self.last_active.take();
        self.crashed("out of memory");
        let mb = |b: f64| format!("{:.0} MB", (b / 1048576.0).max(1.0));
        let kept = match (&self.autosave, was) {
            (_, None) => String::new(),
            (Some(saved), Some(_)) if self.autosave_is_this_run => {
                format!(
                    " The model is safe: its autosave after epoch {} is kept; continue from it with a smaller batch, which needs less memory.",
                    saved.epoch
                )
            }
            _ => " The run had no autosave yet: start it again with a smaller batch, which needs less memory.".into(),
        };
        self.errors.run = Some(format!(
            "The trainer ran out of memory: it needed {} more with {} in use (its memory had reached {}), and the browser would not give it more. It has been restarted.{kept}",
            mb(oom.asked),
            mb(oom.in_use),
            mb(oom.heap)
        ));
        self.short_of_memory = was.map(|was| ShortOfMemory { how: self.continuation(None), running: was == RunState::Running });
    }

    /// Continue the run the trainer ran out of memory under at `batch` (the form holds it already):
    /// what to do ([`Effect::Recover`]), when such a run is waiting.
    pub fn continue_smaller(&mut self, batch: usize) -> Option<Effect> {
        let short = self.short_of_memory.take()?;
        let how = match short.how {
            Recover::Autosave { epochs_left, .. } => Recover::Autosave { epochs_left, batch: Some(batch) },
            Recover::Restart => Recover::Restart,
        };
        self.errors.run = None;
        if matches!(how, Recover::Autosave { .. }) {
            self.recovery = Some(Recovery { how, running: short.running });
            if self.busy.is_some() {
                return None; // the new trainer is not ready: it continues once it holds the data
            }
        }
        Some(Effect::Recover(how))
    }

    /// The user reset the run: nothing to continue if the GPU fails later.
    pub fn reset_asked(&mut self) {
        self.last_active = None;
    }

    /// The user chose another device: the trainer starts over there, without the run.
    pub fn switch_device(&mut self) {
        self.device = None;
        self.gpu_failure = None;
        self.recovery = None;
        self.last_active = None;
        self.state = RunState::Idle;
        self.dream_asked.lost();
        self.drawing.lost();
        self.clear_run();
    }

    /// The dream explorer asks for a picture: sent at once, or kept (replacing an older one) until
    /// the request with the trainer is answered; while there is no model, only remembered (it is
    /// sent once there is one).
    pub fn dream(&mut self, request: DreamRequest) -> Vec<Effect> {
        let has_model = self.has_model();
        self.dream_asked.ask(request, has_model).map(Command::Dream).map(Effect::Send).into_iter().collect()
    }

    /// The drawing pad has a new drawing (28×28, [`super::drawing::preprocess`]), or was cleared
    /// (`None`); sent as the explorer's requests are.
    pub fn draw(&mut self, pixels: Option<Vec<u8>>) -> Vec<Effect> {
        let Some(pixels) = pixels else {
            self.drawing.forget();
            self.drawn = None;
            self.errors.drawing = None;
            return Vec::new();
        };
        let has_model = self.has_model();
        self.drawing.ask(pixels, has_model).map(|pixels| Effect::Send(Command::Drawn { pixels })).into_iter().collect()
    }

    /// The explorer's request was answered (or failed): the one waiting, if any.
    fn dream_answered(&mut self) -> Option<Effect> {
        self.dream_asked.answered().map(|r| Effect::Send(Command::Dream(r)))
    }

    /// The drawing pad's request was answered (or failed): the one waiting, if any.
    fn drawing_answered(&mut self) -> Option<Effect> {
        self.drawing.answered().map(|pixels| Effect::Send(Command::Drawn { pixels }))
    }

    /// The model changed (a run started, paused, finished or was reset, a model was loaded, the
    /// pretrained snapshot arrived): the explorer's and the drawing pad's pictures are redrawn
    /// from it.
    fn ask_again(&mut self) -> Vec<Effect> {
        let has_model = self.has_model();
        let dream = self.dream_asked.again(has_model).map(Command::Dream);
        let drawing = self.drawing.again(has_model).map(|pixels| Command::Drawn { pixels });
        dream.into_iter().chain(drawing).map(Effect::Send).collect()
    }

    /// Play the paused run in slow motion: one phase, [`SlowMotion::seconds`] of rest, the next…
    pub fn play_slowly(&mut self) -> Vec<Effect> {
        self.slow.play(self.state, self.next_phase).map(Effect::Send).into_iter().collect()
    }

    /// Step the paused run's next phase by hand.
    pub fn step_phase(&mut self) -> Vec<Effect> {
        if self.state != RunState::Paused {
            return Vec::new();
        }
        vec![Effect::Send(self.slow.step(self.next_phase))]
    }

    /// Rest `rest` of slow motion is over: the next phase, if it still plays.
    pub fn slow_tick(&mut self, rest: u64) -> Vec<Effect> {
        self.slow.rested(rest, self.state, self.next_phase).map(Effect::Send).into_iter().collect()
    }

    /// The page went out of sight (`false`: a hidden tab, an embed scrolled away) or came back.
    /// With `autopause` (the default; `?autopause=0` turns it off) a running run pauses while the
    /// page is out of sight and resumes when it is back, saying so; a run the user paused stays
    /// paused.
    pub fn seen(&mut self, seen: bool, autopause: bool) -> Vec<Effect> {
        self.seen = seen;
        if !autopause {
            return Vec::new();
        }
        if !seen && self.slow.hide() {
            self.notice = Some("Slow motion paused while the page is out of sight: it plays again when it is back.".into());
            return Vec::new();
        }
        if seen && self.slow.back() {
            self.notice = Some("Slow motion plays again: the page is in sight.".into());
            return self.play_slowly();
        }
        if !seen && self.state == RunState::Running && !self.auto_paused {
            self.auto_paused = true;
            self.notice =
                Some("Paused while the page is out of sight: training resumes when it is back (?autopause=0 keeps it running).".into());
            return vec![Effect::Send(Command::Pause)];
        }
        self.resume_if_back()
    }

    /// Resume a run paused for being out of sight, once it is paused and the page is seen again
    /// (the pause may still be on its way when the page comes back).
    fn resume_if_back(&mut self) -> Vec<Effect> {
        if !(self.seen && self.auto_paused && self.state == RunState::Paused) {
            return Vec::new();
        }
        self.auto_paused = false;
        self.notice = Some("Resumed: the page is in sight again.".into());
        vec![Effect::Send(Command::Resume)]
    }

    /// A checkpoint from the trainer (its bytes may have come beside the message, `Payload::Held`):
    /// an autosave is kept (to resume) and stored, one asked for is offered as a download.
    pub fn saved(&mut self, saved: SavedModel, autosave: bool) -> Effect {
        if autosave {
            self.autosave_is_this_run = true;
            self.autosave = Some(saved.clone());
            Effect::Store(saved)
        } else {
            Effect::Download(saved)
        }
    }

    /// The autosave `saved` is in the page's store: from now on it is read back from there when
    /// needed (the page holds no copy). Returns the bytes it held, to let go; `None` if a newer
    /// autosave came meanwhile.
    pub fn autosave_stored(&mut self, saved: &SavedModel) -> Option<Payload> {
        let a = self.autosave.as_mut().filter(|a| *a == saved)?;
        let (len, file) = match &a.bytes {
            Payload::Here(v) => (v.len(), None),
            Payload::Held { len, .. } => (*len, None),
            Payload::Stored { len, file } => (*len, file.clone()),
        };
        self.stored = Some(format!("Autosaved in this browser after epoch {}.", saved.epoch));
        Some(std::mem::replace(&mut a.bytes, Payload::Stored { len, file }))
    }

    /// An autosave found in the page's store at start-up (kept unless this session made one).
    pub fn found_autosave(&mut self, saved: SavedModel) {
        if self.autosave.is_none() {
            self.notice = Some(format!(
                "This browser holds a model autosaved after epoch {} ({}): Model → Resume autosave continues it.",
                saved.epoch, saved.file_name
            ));
            self.autosave = Some(saved);
        }
    }
}

/// A request to the trainer answered by a picture (the dream explorer's, the drawing pad's): one
/// with the trainer at a time, and the latest waiting behind it, so that a dragged slider or a
/// busy pen never queues up work. The last one asked is kept, to ask again when the model changes.
#[derive(Clone, Debug, PartialEq)]
struct OneInFlight<T> {
    asked: Option<T>,
    busy: bool,
    waiting: Option<T>,
}

impl<T> Default for OneInFlight<T> {
    fn default() -> Self {
        Self { asked: None, busy: false, waiting: None }
    }
}

impl<T: Clone> OneInFlight<T> {
    /// Ask for `request`: what to send now, if anything (nothing while there is no model, or
    /// while another request is with the trainer).
    fn ask(&mut self, request: T, has_model: bool) -> Option<T> {
        self.asked = Some(request.clone());
        if !has_model {
            return None;
        }
        if self.busy {
            self.waiting = Some(request);
            return None;
        }
        self.busy = true;
        Some(request)
    }

    /// The request with the trainer was answered (or failed): the one waiting, to send.
    fn answered(&mut self) -> Option<T> {
        let next = self.waiting.take();
        self.busy = next.is_some();
        next
    }

    /// The model changed: the last request, to send again.
    fn again(&mut self, has_model: bool) -> Option<T> {
        self.asked.clone().and_then(|r| self.ask(r, has_model))
    }

    /// The last request asked, if any (none after [`Self::forget`]).
    fn asked(&self) -> Option<&T> {
        self.asked.as_ref()
    }

    /// Nothing to show or ask again (the one with the trainer, if any, still counts as in flight).
    fn forget(&mut self) {
        self.asked = None;
        self.waiting = None;
    }

    /// The trainer is gone, and the request with it.
    fn lost(&mut self) {
        self.busy = false;
        self.waiting = None;
    }
}
