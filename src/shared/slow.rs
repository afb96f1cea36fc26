//! Slow motion: the page plays a paused run one phase at a time (Wake, NREM, REM, Wake…), with a
//! rest between phases, by asking the trainer for one phase step after another; the run itself
//! stays paused. One phase step is with the trainer at a time, and only the latest rest's timer
//! counts (stopping and playing again within a rest must not start two chains).

use super::phase::Phase;
use super::protocol::{Command, RunState};

#[derive(Clone, Debug, PartialEq)]
pub struct SlowMotion {
    /// Seconds of rest between two phases.
    pub seconds: f64,
    playing: bool,
    /// Play once the run that is starting is paused (its first phase is already asked for).
    start: bool,
    /// Stopped because the page went out of sight: it plays again when it is back.
    auto_paused: bool,
    /// A phase step is with the trainer.
    in_flight: bool,
    /// The rest whose end counts (older timers are ignored).
    rest: u64,
}

impl Default for SlowMotion {
    fn default() -> Self {
        Self { seconds: 1.0, playing: false, start: false, auto_paused: false, in_flight: false, rest: 0 }
    }
}

impl SlowMotion {
    pub fn playing(&self) -> bool {
        self.playing
    }

    /// Play the paused run from its `next` phase: the step to ask for, unless one is already
    /// with the trainer (its answer starts the rest).
    pub fn play(&mut self, state: RunState, next: Phase) -> Option<Command> {
        if state != RunState::Paused || self.playing {
            return None;
        }
        self.playing = true;
        self.ask(next)
    }

    /// A phase step asked for by hand (a "Step Wake/NREM/REM" button), or by the run's start.
    pub fn step(&mut self, next: Phase) -> Command {
        self.in_flight = true;
        Command::StepPhase(next)
    }

    /// A run is starting with its first phase asked for: play once it is paused.
    pub fn play_once_started(&mut self) {
        self.start = true;
        self.in_flight = true;
    }

    fn ask(&mut self, next: Phase) -> Option<Command> {
        (!self.in_flight).then(|| self.step(next))
    }

    /// A phase step was answered: the rest to wait (milliseconds) and its number, if playing.
    pub fn answered(&mut self) -> Option<(f64, u64)> {
        self.in_flight = false;
        self.playing.then(|| {
            self.rest += 1;
            (self.seconds * 1000.0, self.rest)
        })
    }

    /// Rest `rest` is over: the next phase, if it is the latest rest and slow motion still plays.
    pub fn rested(&mut self, rest: u64, state: RunState, next: Phase) -> Option<Command> {
        if !(self.playing && rest == self.rest && state == RunState::Paused) {
            return None;
        }
        self.ask(next)
    }

    /// The run changed state: a starting run plays once paused; anything but paused stops it.
    pub fn state(&mut self, state: RunState) {
        match state {
            RunState::Paused if self.start => {
                self.start = false;
                self.playing = true;
            }
            RunState::Paused => {}
            _ => {
                self.playing = false;
                self.auto_paused = false;
            }
        }
    }

    /// Stop (after the phase under way).
    pub fn stop(&mut self) {
        self.playing = false;
        self.start = false;
        self.auto_paused = false;
    }

    /// A step failed, or the trainer is gone: nothing in flight, stopped.
    pub fn failed(&mut self) {
        self.in_flight = false;
        self.stop();
    }

    /// The page went out of sight: stop, to play again when it is back. True if it was playing.
    pub fn hide(&mut self) -> bool {
        let was = self.playing;
        if was {
            self.playing = false;
            self.auto_paused = true;
        }
        was
    }

    /// The page is back: true if it was stopped for being out of sight (then play again).
    pub fn back(&mut self) -> bool {
        std::mem::take(&mut self.auto_paused)
    }
}
