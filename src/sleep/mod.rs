//! The three brain states of one PAD iteration (docs/decisions.md#training): Wake → NREM → REM.
//!
//! Each phase is a function that builds its objective from the networks and says which network
//! learns from it; [`crate::train::Trainer`] runs them in order and steps the optimizers.

pub mod losses;
pub mod memory;
pub mod nrem;
pub mod occlusion;
pub mod rem;
pub mod wake;

pub use memory::Hippocampus;
pub use occlusion::Occlusion;

pub use crate::shared::phase::Phase;
