//! The trainer: one iteration = Wake → NREM → REM on a mini-batch (docs/decisions.md#training),
//! the variants, the optimizers and the checkpoint format. Shared by the CLI, the browser
//! worker and the tests.

pub mod checkpoint;
pub mod fused_adam;
pub mod measure;
pub mod metrics;
pub mod optimizer;
mod rng;
mod run;
mod trainer;
pub mod verify;

pub use crate::shared::config::{PhaseWeights, StepSemantics, TrainConfig, Variant};
pub use crate::shared::limits::MAX_LEARNING_RATE;
pub use metrics::{EpochRecord, Losses};
pub use optimizer::PhaseOptimizer;
pub use rng::{Stream, stream};
pub use run::{PhaseStep, Run, Step};
pub use trainer::{AfterNrem, AfterWake, IterationNoise, IterationOutput, PhaseImages, Trainer};
