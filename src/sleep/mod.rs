//! The three brain states of one PAD iteration (docs/decisions.md#training): Wake → NREM → REM.
//!
//! Each phase is a function that builds its objective from the networks and says which network
//! learns from it; [`crate::train::Trainer`] runs them in order and steps the optimizers.

#[cfg(feature = "trainer")]
pub mod losses;
pub mod memory;
#[cfg(feature = "trainer")]
pub mod nrem;
pub mod occlusion;
#[cfg(feature = "trainer")]
pub mod rem;
#[cfg(feature = "trainer")]
pub mod wake;

#[cfg(feature = "trainer")]
pub use memory::Hippocampus;
pub use occlusion::Occlusion;

/// The brain state a piece of work belongs to (for timing and the hypnogram).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Phase {
    Wake,
    Nrem,
    Rem,
}

impl Phase {
    pub const ALL: [Phase; 3] = [Phase::Wake, Phase::Nrem, Phase::Rem];

    pub fn label(self) -> &'static str {
        match self {
            Phase::Wake => "Wake",
            Phase::Nrem => "NREM",
            Phase::Rem => "REM",
        }
    }
}
