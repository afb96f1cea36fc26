//! The trainer: one iteration = Wake → NREM → REM on a mini-batch (spec §3), the variants, the
//! optimizers and the checkpoint format. Shared by the CLI, the browser worker and the tests.

pub mod checkpoint;
mod config;
pub mod metrics;
pub mod optimizer;
mod rng;
mod run;
mod trainer;

pub use config::{PhaseWeights, TrainConfig, Variant};
pub use metrics::{EpochRecord, Losses};
pub use optimizer::{PhaseOptimizer, StepSemantics};
pub use rng::{Stream, stream};
pub use run::{Run, Step};
pub use trainer::{AfterNrem, AfterWake, IterationNoise, IterationOutput, PhaseImages, Trainer};
