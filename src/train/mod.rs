//! The trainer: one iteration = Wake → NREM → REM on a mini-batch (docs/decisions.md#training),
//! the variants, the optimizers and the checkpoint format. Shared by the CLI, the browser
//! worker and the tests.

#[cfg(feature = "trainer")]
pub mod checkpoint;
mod config;
pub mod metrics;
#[cfg(feature = "trainer")]
pub mod optimizer;
mod rng;
#[cfg(feature = "trainer")]
mod run;
#[cfg(feature = "trainer")]
mod trainer;
#[cfg(feature = "trainer")]
pub mod verify;

pub use config::{MAX_LEARNING_RATE, PhaseWeights, StepSemantics, TrainConfig, Variant};
pub use metrics::{EpochRecord, Losses};
#[cfg(feature = "trainer")]
pub use optimizer::PhaseOptimizer;
pub use rng::{Stream, stream};
#[cfg(feature = "trainer")]
pub use run::{Run, Step};
#[cfg(feature = "trainer")]
pub use trainer::{AfterNrem, AfterWake, IterationNoise, IterationOutput, PhaseImages, Trainer};
