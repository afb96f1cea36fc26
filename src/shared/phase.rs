//! The three brain states, as the page names and draws them.

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
