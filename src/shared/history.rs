//! What the page keeps of a run to draw it: the losses over iterations (thinned so that a long
//! run stays cheap to plot) and the hypnogram, the recent sequence of brain states.

use super::phase::Phase;
use super::records::Losses;
use std::collections::VecDeque;

/// Losses per iteration, at most [`LossHistory::CAPACITY`] points: when full, every other point is
/// dropped and from then on only every `stride`-th iteration is kept.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LossHistory {
    /// (iteration of the run, 1-based; the five losses).
    points: Vec<(usize, [f32; 5])>,
    stride: usize,
}

impl LossHistory {
    pub const CAPACITY: usize = 1000;

    pub fn push(&mut self, iteration: usize, losses: &Losses<f32>) {
        let stride = self.stride.max(1);
        if !iteration.is_multiple_of(stride) && iteration != 1 {
            return;
        }
        self.points.push((iteration, losses.clone().to_array()));
        if self.points.len() > Self::CAPACITY {
            let kept: Vec<_> = self.points.iter().copied().enumerate().filter(|(i, _)| i % 2 == 0).map(|(_, p)| p).collect();
            self.points = kept;
            self.stride = stride * 2;
        }
    }

    pub fn points(&self) -> &[(usize, [f32; 5])] {
        &self.points
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

/// One stretch of a brain state on the hypnogram's time axis (seconds of training).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    pub phase: Phase,
    pub start: f64,
    pub end: f64,
}

/// The brain states of the last [`Hypnogram::WINDOW`] seconds of training, at most the last
/// [`Hypnogram::MAX_SEGMENTS`] (30 iterations: a fast GPU runs hundreds in 30 s, more than a
/// small plot can show), in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hypnogram {
    segments: VecDeque<Segment>,
    now: f64,
}

impl Hypnogram {
    pub const WINDOW: f64 = 30.0;
    pub const MAX_SEGMENTS: usize = 90;

    /// `phase` ran for `seconds`, right after the previous one.
    pub fn push(&mut self, phase: Phase, seconds: f64) {
        let start = self.now;
        self.now += seconds.max(0.0);
        self.segments.push_back(Segment { phase, start, end: self.now });
        while self.segments.len() > Self::MAX_SEGMENTS || self.segments.front().is_some_and(|s| s.end < self.now - Self::WINDOW) {
            self.segments.pop_front();
        }
    }

    pub fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.segments.iter()
    }

    /// Seconds of training so far (the right end of the axis).
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Where the axis starts: the oldest segment kept.
    pub fn start(&self) -> f64 {
        self.segments.front().map_or(0.0, |s| s.start)
    }

    /// The state running now (the last one reported).
    pub fn current(&self) -> Option<Phase> {
        self.segments.back().map(|s| s.phase)
    }
}
