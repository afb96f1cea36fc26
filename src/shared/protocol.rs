//! The messages between the page (the UI, on the main thread) and the trainer (in a Web Worker).
//! Plain serde types, sent as postcard bytes, so that each side can be tested alone.

use super::files::NamedFile;
use super::images::HostImages;
use super::knobs::{KnobChange, Knobs};
use super::phase::Phase;
use super::records::{EpochRecord, Losses};
use super::settings::Settings;
use crate::Error;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which compute device the user asked for (`?device=` and the device control).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceChoice {
    /// A hardware WebGPU adapter if there is one, else the CPU.
    #[default]
    Auto,
    /// WebGPU whatever the adapter (a software one too); the CPU only if there is no WebGPU.
    WebGpu,
    /// The CPU backend (Burn's Flex, compiled to WebAssembly).
    Cpu,
}

impl DeviceChoice {
    pub const ALL: [DeviceChoice; 3] = [DeviceChoice::Auto, DeviceChoice::WebGpu, DeviceChoice::Cpu];

    pub fn name(self) -> &'static str {
        match self {
            DeviceChoice::Auto => "auto",
            DeviceChoice::WebGpu => "webgpu",
            DeviceChoice::Cpu => "cpu",
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DeviceChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| Error::Config(format!("unknown device '{s}': expected auto, webgpu or cpu")))
    }
}

/// The backend that runs the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Backend {
    WebGpu,
    Cpu,
}

/// What runs the model, shown on the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub backend: Backend,
    /// The WebGPU adapter's vendor and architecture (empty for the CPU).
    pub adapter: String,
    /// Why this backend runs when it is not the one asked for, or what to expect of it.
    pub note: Option<String>,
    /// An emulated GPU (SwiftShader, a fallback adapter): seconds per iteration, so the page skips
    /// extras such as the pretrained snapshot's pictures.
    pub software: bool,
}

/// Software renderers that present themselves as WebGPU adapters (Chromium's SwiftShader,
/// Windows' WARP — "Microsoft Basic Render Driver" —, Mesa's llvmpipe and lavapipe): GPU work
/// emulated on the CPU, slower than the CPU backend, so `auto` does not use them.
const SOFTWARE_ADAPTERS: [&str; 4] = ["swiftshader", "basic render driver", "llvmpipe", "lavapipe"];

impl DeviceInfo {
    /// An adapter emulated on the CPU: the browser says it is a fallback adapter, or its vendor,
    /// architecture or description names a software renderer ([`SOFTWARE_ADAPTERS`]).
    pub fn is_software_adapter(fallback: bool, names: &[&str]) -> bool {
        fallback || names.iter().any(|n| SOFTWARE_ADAPTERS.iter().any(|s| n.to_ascii_lowercase().contains(s)))
    }

    /// One line for the page, e.g. "WebGPU (google · swiftshader)".
    pub fn describe(&self) -> String {
        match (self.backend, self.adapter.is_empty()) {
            (Backend::WebGpu, false) => format!("WebGPU ({})", self.adapter),
            (Backend::WebGpu, true) => "WebGPU".into(),
            (Backend::Cpu, _) => "CPU (WebAssembly, Burn Flex)".into(),
        }
    }
}

/// WebGPU against the CPU backend, measured on this browser for one adapter at one batch size
/// (`train/measure.rs`): in `auto` the faster trains, and the page remembers it per adapter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// The adapter, as [`DeviceInfo::adapter`] names it.
    pub adapter: String,
    pub batch: usize,
    pub webgpu_images_per_second: f64,
    pub cpu_images_per_second: f64,
}

impl Measured {
    /// The faster backend (WebGPU on a tie: it leaves the page's CPU free).
    pub fn faster(&self) -> Backend {
        if self.webgpu_images_per_second >= self.cpu_images_per_second { Backend::WebGpu } else { Backend::Cpu }
    }

    /// One line for the page: "WebGPU 310 img/s · CPU 48 img/s at batch 32 → WebGPU".
    pub fn describe(&self) -> String {
        let rate = |v: f64| if v >= 10.0 { format!("{v:.0}") } else { format!("{v:.1}") };
        format!(
            "WebGPU {} img/s · CPU {} img/s at batch {} → {}",
            rate(self.webgpu_images_per_second),
            rate(self.cpu_images_per_second),
            self.batch,
            match self.faster() {
                Backend::WebGpu => "WebGPU",
                Backend::Cpu => "CPU",
            }
        )
    }
}

/// What the page asks of the trainer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Pick the device; must come first, exactly once. `measured`: what this browser measured
    /// before (the page's local storage), so that `auto` does not measure an adapter again.
    Init {
        device: DeviceChoice,
        measured: Vec<Measured>,
    },
    /// Read these files as the dataset of the next run (the bundled subsets arrive this way too).
    LoadData {
        files: Vec<NamedFile>,
    },
    /// A new run on the loaded data; `paused` starts it without running (for single steps).
    Start {
        settings: Settings,
        paused: bool,
    },
    Pause,
    Resume,
    /// One iteration, then pause (the rest of it, when phases of it were stepped).
    Step,
    /// Only the next phase of the iteration, which must be this one (they run in order: Wake,
    /// NREM, REM), then pause: answered by [`Event::PhaseStep`] (and, after REM, by what an
    /// iteration reports).
    StepPhase(Phase),
    /// Discard the run.
    Reset,
    /// Turn the knobs of the run (phase weights, memory mix, learning rate): they act from the
    /// next iteration; answered by [`Event::Tuned`] when something changed. Without a run,
    /// nothing to do (the next Start brings its settings).
    Tune(Knobs),
    /// The run's model as a checkpoint file (the CLI's format): answered by [`Event::Saved`].
    Save,
    /// Continue from a checkpoint file (saved here or by the CLI) on the loaded data: the run is
    /// rebuilt paused, for `settings.epochs` more epochs with the checkpoint's variant, batch,
    /// learning rate and seed — or at `batch`, a smaller batch than the checkpoint's, when given
    /// (the trainer ran out of memory with its own). A file that does not fit changes nothing.
    LoadModel {
        file: NamedFile,
        settings: Settings,
        batch: Option<usize>,
    },
    /// Show a pretrained snapshot (a checkpoint, e.g. the weights-only one in
    /// `static/pretrained/`) while no run is under way: its pictures on the loaded data, and the
    /// dream explorer and the evaluation use it until a run starts or a model is loaded. The
    /// state stays idle, so Start still trains a fresh model. Answered by
    /// [`Event::Pretrained`] and [`Event::Images`]; ignored while a run exists.
    Pretrained {
        file: NamedFile,
    },
    /// The dream explorer: two training images (indices into the loaded training split), the
    /// memory mix and the noise share, both in [0, 1]. Answered by [`Event::Dream`].
    Dream(DreamRequest),
    /// Your own input (the drawing pad): a 28×28 image, bytes with 255 for ink, as
    /// `drawing::preprocess` makes it. Answered by [`Event::Drawn`].
    Drawn {
        pixels: Vec<u8>,
    },
    /// Evaluate the current model (probes, occlusion robustness, latent organisation, PCA):
    /// answered by [`Event::Evaluated`].
    Evaluate,
}

/// The evaluation of a model as the page draws it (the paper's Figs. 5 and 6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluationView {
    pub variant: super::config::Variant,
    pub epoch: usize,
    /// (occluded share of tiles, official probe accuracy, stable probe accuracy), tile 4.
    pub occlusion: Vec<(f32, f32, f32)>,
    /// Mean squared latent distance within a class over between classes, and between an image
    /// and its 30 %-occluded version over between classes (lower is better).
    pub intra_inter: f32,
    pub occluded_inter: f32,
    /// PCA of test latents: (pc1, pc2, class, occluded version).
    pub pca: Vec<(f32, f32, u8, bool)>,
    pub explained: [f32; 2],
}

/// What the dream explorer asks for.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DreamRequest {
    pub first: usize,
    pub second: usize,
    pub mix: f32,
    pub noise: f32,
}

/// What the dream explorer shows (one image each).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DreamView {
    pub request: DreamRequest,
    pub first: HostImages,
    pub second: HostImages,
    /// G((1 − noise)·(mix·z₁ + (1 − mix)·z₂) + noise·ε).
    pub dream: HostImages,
    /// NREM's occluded dream of the first memory, and G(E_z(·)) of it.
    pub occluded: HostImages,
    pub seen: HostImages,
}

/// What the model makes of a drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrawnView {
    /// The drawing as the model sees it (32×32), its reconstruction G(E_z(x)), a 30 %-occluded
    /// version and G(E_z(occluded)).
    pub input: HostImages,
    pub reconstruction: HostImages,
    pub occluded: HostImages,
    pub seen: HostImages,
    /// Its place on the latent map (pc1, pc2 of the latest evaluation's PCA), when there is one.
    pub place: Option<(f32, f32)>,
    /// The linear probe's class probabilities, and the epoch whose probe it is (the latest:
    /// after an epoch, or an evaluation's), when there is one.
    pub probabilities: Option<Vec<f32>>,
    pub probe_epoch: Option<usize>,
}

/// Where the run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunState {
    /// No run: settings and data can change.
    Idle,
    Running,
    Paused,
    /// All epochs done.
    Finished,
}

/// A loaded dataset, as the page describes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    pub name: String,
    pub classes: Vec<String>,
    pub channels: usize,
    pub train: usize,
    pub test: usize,
    /// The first training images, shown before any training.
    pub preview: HostImages,
}

/// Progress after an iteration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// 1-based epoch and iteration within it.
    pub epoch: usize,
    pub epochs: usize,
    pub iteration: usize,
    pub per_epoch: usize,
    /// Iterations done in the whole run.
    pub done: usize,
    pub losses: Losses<f32>,
    /// Training throughput over the recent iterations.
    pub images_per_second: f64,
    /// Seconds spent running (pauses excluded).
    pub elapsed: f64,
    /// Seconds left, once it can be estimated.
    pub eta: Option<f64>,
}

/// The pictures of one iteration (the first images of the batch).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub epoch: usize,
    pub iteration: usize,
    /// Wake's real input.
    pub input: HostImages,
    /// Wake's reconstructions.
    pub reconstruction: HostImages,
    /// NREM's occluded dreams.
    pub nrem: HostImages,
    /// REM's dreams.
    pub rem: HostImages,
}

/// What the trainer tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The worker listens for commands (it drops those sent before: the page waits for this).
    Listening,
    /// The device is ready.
    Ready(DeviceInfo),
    DataLoaded(DataSummary),
    State(RunState),
    /// A phase of the current iteration finished after `seconds` (the hypnogram).
    Phase {
        phase: Phase,
        seconds: f64,
    },
    /// A single phase was stepped: the losses it computed (by `Losses::NAMES` index) and the
    /// phase that comes next.
    PhaseStep {
        phase: Phase,
        losses: [Option<f32>; 5],
        next: Phase,
    },
    Progress(Progress),
    Images(Snapshot),
    /// An epoch closed (with its probe results when probes are on). Epoch 0 is the untrained
    /// network.
    Epoch(EpochRecord),
    /// The probes of the epoch that just ended are running (they take a while).
    Probing {
        epoch: usize,
    },
    /// The run's knobs changed (also re-sent for a loaded model's earlier changes).
    Tuned(KnobChange),
    /// A checkpoint of the run, to download (`autosave`: written after an epoch, for the page's
    /// own store).
    Saved {
        file_name: String,
        bytes: Vec<u8>,
        epoch: usize,
        autosave: bool,
        /// The browser's worker wrote the autosave itself (`web/autosave.rs`); `bytes` is empty.
        written: Option<Written>,
    },
    /// A checkpoint was loaded: the run's settings now, the epochs it had done, what it was
    /// trained on, the knob changes made during it, and its metrics history (re-sent as
    /// [`Event::Epoch`]s after this).
    ModelLoaded {
        settings: Settings,
        epoch: usize,
        dataset: String,
        changes: Vec<KnobChange>,
    },
    /// A pretrained snapshot is shown: its variant, the epochs it was trained and on what.
    Pretrained {
        variant: super::config::Variant,
        epoch: usize,
        dataset: String,
    },
    Dream(DreamView),
    Drawn(DrawnView),
    /// The evaluation is running (it takes a while).
    Evaluating,
    /// `auto` times WebGPU and the CPU at the run's batch size before its first run (seconds).
    Measuring {
        batch: usize,
    },
    /// What that measured: the page remembers it for this adapter (a `Ready` with the chosen
    /// device follows).
    Measured(Measured),
    Evaluated(EvaluationView),
    /// The trainer's memory (sent when it moved by a megabyte).
    Memory(TrainerMemory),
    /// The trainer's heap refused an allocation (the browser would not grow it): the worker
    /// ends next. The page says so in words, keeps the last autosave and offers a smaller batch.
    OutOfMemory(OutOfMemory),
    /// Something worth knowing that is not an error.
    Notice(String),
    /// Something failed; the trainer is still usable.
    Error {
        topic: Topic,
        message: String,
    },
    /// The trainer itself broke (a panic): it must be restarted and its run is gone.
    Fatal(String),
    /// The GPU failed under the trainer (its device lost, or a WebGPU error nobody caught): the
    /// page moves training to the CPU and continues the run from the last state it holds.
    GpuFailed(String),
}

/// An autosave the worker wrote to a file of the origin's private file system (OPFS).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    pub file: String,
    pub len: usize,
}

/// What the trainer's memory holds, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainerMemory {
    /// Its WebAssembly heap: a high-water mark (a wasm memory only grows).
    pub heap: f64,
    /// Of that, what live allocations hold now, and the most they ever held at once.
    pub in_use: f64,
    pub most: f64,
    /// The GPU's buffers on WebGPU, as the backend's allocator reports them: (in use, reserved).
    pub gpu: Option<(f64, f64)>,
}

impl TrainerMemory {
    /// A figure moved by a megabyte or more since `before`, or the GPU's came or went: worth
    /// telling the page.
    pub fn moved_from(&self, before: &TrainerMemory) -> bool {
        let moved = |a: f64, b: f64| (a - b).abs() >= 1048576.0;
        let gpu = match (self.gpu, before.gpu) {
            (Some(a), Some(b)) => moved(a.0, b.0) || moved(a.1, b.1),
            (a, b) => a.is_some() != b.is_some(),
        };
        gpu || moved(self.heap, before.heap) || moved(self.in_use, before.in_use) || moved(self.most, before.most)
    }
}

/// An allocation the trainer's heap refused, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutOfMemory {
    pub asked: f64,
    pub in_use: f64,
    pub heap: f64,
}

/// What a failure is about, so the page can show it next to the right control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Topic {
    /// The data files.
    Data,
    /// The settings of a new run.
    Settings,
    /// The run itself, or a command that does not fit its state.
    Run,
    /// Saving, loading or exploring a model.
    Model,
    /// The drawing pad.
    Drawing,
}

/// Encode a message for `postMessage`.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    postcard::to_allocvec(message).expect("the protocol's types always serialise")
}

/// Decode a message; a malformed one is an error, never a panic.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    postcard::from_bytes(bytes).map_err(|e| Error::Data(format!("malformed message ({e})")))
}
