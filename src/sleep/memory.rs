//! The "hippocampus" (docs/decisions.md#memory): a trivial buffer of the current and previous
//! latent batches.

pub use crate::shared::config::RemInput;
use burn::prelude::*;

/// Latents stored during Wake, detached and on the plain (non-autodiff) device.
#[derive(Default)]
pub struct Hippocampus {
    current: Option<Tensor<2>>,
    previous: Option<Tensor<2>>,
}

impl Hippocampus {
    /// Wake stores this iteration's latents (computed before the wake update).
    pub fn store(&mut self, z: Tensor<2>) {
        self.current = Some(z.detach().inner());
    }

    /// The episodic memory NREM replays.
    pub fn current(&self) -> Option<Tensor<2>> {
        self.current.clone()
    }

    /// End of REM: today's memory becomes yesterday's (`z_old = z`).
    pub fn consolidate(&mut self) {
        self.previous = self.current.clone();
    }

    /// Forget everything (start of training).
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// REM's latent input. `first_of_epoch` follows the official code: at i == 0 of every epoch
    /// the mix is 0.5·z + 0.5·ε even though a previous batch exists.
    pub fn rem_latent(&self, input: RemInput, noise: Tensor<2>, first_of_epoch: bool) -> Tensor<2> {
        let z = self.current.clone().expect("REM runs after Wake stored a memory");
        match (input, &self.previous) {
            (RemInput::SingleMemory, _) => z,
            (RemInput::MemoryMix, Some(old)) if !first_of_epoch => {
                z.mul_scalar(0.25) + old.clone().mul_scalar(0.25) + noise.mul_scalar(0.5)
            }
            (RemInput::MemoryMix, _) => z.mul_scalar(0.5) + noise.mul_scalar(0.5),
        }
    }
}
