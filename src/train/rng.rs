//! Seeded host-side randomness. Every random draw of a run (initial weights, shuffling, noise,
//! occlusion) comes from a ChaCha stream derived from the seed, so a seed gives the same run on any
//! device and an epoch can be replayed from its number alone (exact resume at epoch boundaries).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a random stream is used for.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    /// Initial weights of E and G.
    Init = 1,
    /// Order of the training images in an epoch.
    Shuffle = 2,
    /// Per-iteration draws of the phases: latent noise, occlusion, REM noise.
    Phases = 3,
    /// Evaluation: probe initialisation and shuffling, evaluation masks.
    Eval = 4,
}

/// The stream `kind` of epoch `epoch` of the run seeded with `seed`.
pub fn stream(seed: u64, kind: Stream, epoch: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((kind as u64) << 40) ^ epoch);
    rng
}
