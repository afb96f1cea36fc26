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

/// The parts of the model a diagram shows (docs/decisions.md#architecture, #memory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The real images x.
    Input,
    /// E's convolutional trunk, shared by its two heads.
    Trunk,
    /// E_z: the latent code z.
    Latent,
    /// E_d: real or fake.
    Discriminator,
    /// The hippocampus: the stored latents of Wake.
    Memory,
    /// G: images from latents.
    Generator,
    /// NREM's perturbation (occluded tiles).
    Occlusion,
}

/// What a brain state does in the model: the parts its data flows through, the networks that learn
/// from it, and its losses (docs/decisions.md#gradient-routing, #losses).
pub struct Flow {
    pub parts: &'static [Part],
    /// The networks whose weights this phase changes ("E" for trunk and heads, "G").
    pub learns: &'static [&'static str],
    /// Its losses, as `Losses::NAMES` names them.
    pub losses: &'static [&'static str],
    /// G learns through a reversed gradient (REM: E_d's loss, sign flipped into G).
    pub reversed_into_generator: bool,
    /// One sentence for the diagram.
    pub says: &'static str,
}

impl Phase {
    pub fn flow(self) -> Flow {
        use Part::*;
        match self {
            Phase::Wake => Flow {
                parts: &[Input, Trunk, Latent, Discriminator, Generator, Memory],
                learns: &["E", "G"],
                losses: &["L_img", "L_KL", "L_real"],
                reversed_into_generator: false,
                says: "x → E → z → G(z) ≈ x; E_d(x) says real; z is stored in the hippocampus.",
            },
            Phase::Nrem => Flow {
                parts: &[Memory, Generator, Occlusion, Trunk, Latent],
                learns: &["E"],
                losses: &["L_NREM"],
                reversed_into_generator: false,
                says: "a stored z → G dreams → tiles occluded → E maps the dream back to z; G does not learn.",
            },
            Phase::Rem => Flow {
                parts: &[Memory, Generator, Trunk, Discriminator],
                learns: &["E", "G"],
                losses: &["L_fake"],
                reversed_into_generator: true,
                says: "two memories + noise → G dreams → E_d calls it fake; G learns the reverse (−∇).",
            },
        }
    }
}
