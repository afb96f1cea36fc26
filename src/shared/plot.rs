//! What the page's plots show under the pointer: a plot's frame (its plotting area in canvas
//! pixels and the data ranges it spans) turns a pointer position into data coordinates, and the
//! point of a series nearest to it becomes one line of text ("L_NREM at iteration 120: 0.2345").
//! Plain Rust, tested natively (`tests/page_state.rs`); the canvases keep their frame when drawn.

use super::history::LossHistory;
use super::records::{EpochRecord, Losses};

/// Where a plot drew its data: pixel ranges of the plotting area and the data ranges they span.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// Left and right edge, top and bottom edge of the plotting area, in canvas pixels.
    pub x_px: (f64, f64),
    pub y_px: (f64, f64),
    /// The data at the left and right edge, at the bottom and top edge.
    pub x: (f64, f64),
    pub y: (f64, f64),
    /// The y axis is logarithmic.
    pub log_y: bool,
}

impl Frame {
    /// The data coordinates of a canvas pixel, if it lies in the plotting area.
    pub fn data_at(&self, px: f64, py: f64) -> Option<(f64, f64)> {
        let (l, r) = self.x_px;
        let (t, b) = self.y_px;
        if !(l..=r).contains(&px) || !(t..=b).contains(&py) || r <= l || b <= t {
            return None;
        }
        let fx = (px - l) / (r - l);
        let fy = (b - py) / (b - t);
        let x = self.x.0 + fx * (self.x.1 - self.x.0);
        let y = if self.log_y && self.y.0 > 0.0 && self.y.1 > 0.0 {
            (self.y.0.ln() + fy * (self.y.1.ln() - self.y.0.ln())).exp()
        } else {
            self.y.0 + fy * (self.y.1 - self.y.0)
        };
        Some((x, y))
    }
}

/// The loss nearest to the pointer: the recorded iteration nearest in x, then the loss whose value
/// is nearest in y (on the plot's log scale).
pub fn loss_at(history: &LossHistory, frame: &Frame, px: f64, py: f64) -> Option<String> {
    let (x, y) = frame.data_at(px, py)?;
    let (iteration, values) = history.points().iter().min_by(|a, b| (a.0 as f64 - x).abs().total_cmp(&(b.0 as f64 - x).abs()))?;
    let distance = |v: f32| if v > 0.0 && y > 0.0 { (v as f64).ln() - y.ln() } else { f64::INFINITY }.abs();
    let (k, v) =
        values.iter().copied().enumerate().filter(|(_, v)| v.is_finite()).min_by(|a, b| distance(a.1).total_cmp(&distance(b.1)))?;
    Some(format!("{} at iteration {iteration}: {v:.4}", Losses::<f32>::NAMES[k]))
}

/// The probe accuracy nearest to the pointer: the epoch nearest in x, then the probe nearest in y.
pub fn probe_at(epochs: &[EpochRecord], frame: &Frame, px: f64, py: f64) -> Option<String> {
    let (x, y) = frame.data_at(px, py)?;
    let record = epochs.iter().min_by(|a, b| (a.epoch as f64 - x).abs().total_cmp(&(b.epoch as f64 - x).abs()))?;
    let probes = [("stable probe", record.probe_stable), ("official probe", record.probe_official.or(record.probe_official_all))];
    let (name, v) =
        probes.into_iter().filter_map(|(n, v)| Some((n, v? as f64 * 100.0))).min_by(|a, b| (a.1 - y).abs().total_cmp(&(b.1 - y).abs()))?;
    Some(format!("{name} after epoch {}: {v:.1} %", record.epoch))
}
