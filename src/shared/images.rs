//! Images as the page draws them.

/// A batch of images read back for display: 8-bit values, (count, channels, side, side) order.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HostImages {
    pub count: usize,
    pub channels: usize,
    pub side: usize,
    pub pixels: Vec<u8>,
}

impl HostImages {
    /// Value of image `i`, channel `c`, row `y`, column `x`.
    pub fn at(&self, i: usize, c: usize, y: usize, x: usize) -> u8 {
        self.pixels[((i * self.channels + c) * self.side + y) * self.side + x]
    }
}
