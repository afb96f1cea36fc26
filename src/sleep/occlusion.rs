//! NREM's perturbation (docs/decisions.md#occlusion, `utils.py::Occlude`): square tiles of the
//! image set to 0 (mid-grey in [−1, 1]) independently with probability p.

use rand::{Rng, RngExt};

/// One occlusion setting: drop probability and tile side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Occlusion {
    /// Probability that a tile is zeroed.
    pub p: f32,
    /// Tile side in pixels; the grid is anchored at (0, 0) and edge tiles are truncated.
    pub tile: usize,
}

impl Occlusion {
    /// NREM's per-iteration draw: p ~ U[0, 1) and s uniform in 1..=8.
    pub fn draw_nrem<R: Rng>(rng: &mut R) -> Self {
        let p = rng.random::<f32>();
        let tile = rng.random_range(1..=8);
        Self { p, tile }
    }

    /// Number of tiles per side of a `side`×`side` image.
    pub fn tiles_per_side(&self, side: usize) -> usize {
        side.div_ceil(self.tile)
    }

    /// A `side`×`side` keep-mask (1 keeps a pixel, 0 occludes it), shared by all channels.
    /// Draws one uniform per tile, row-major over tiles, as `np.random.rand() < p`.
    pub fn mask<R: Rng>(&self, side: usize, rng: &mut R) -> Vec<f32> {
        let n = self.tiles_per_side(side);
        let dropped: Vec<bool> = (0..n * n).map(|_| rng.random::<f32>() < self.p).collect();
        let mut mask = vec![1.0f32; side * side];
        for (i, m) in mask.iter_mut().enumerate() {
            let (row, col) = (i / side, i % side);
            if dropped[(row / self.tile) * n + col / self.tile] {
                *m = 0.0;
            }
        }
        mask
    }

    /// `count` independent masks, one per image (evaluation,
    /// docs/decisions.md#occlusion-robustness), concatenated.
    pub fn masks<R: Rng>(&self, side: usize, count: usize, rng: &mut R) -> Vec<f32> {
        (0..count).flat_map(|_| self.mask(side, rng)).collect()
    }
}
