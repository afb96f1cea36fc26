//! A training run over a dataset: epochs of shuffled mini-batches, per-epoch mean losses, linear
//! probes and the metrics history. Every face (the CLI, the browser worker) drives it one
//! iteration at a time and decides what to show between iterations.

use super::metrics::{EpochRecord, LossMean, Losses};
use super::trainer::{AfterNrem, AfterWake};
use super::{PhaseImages, Trainer, checkpoint};
use crate::Error;
use crate::data::Dataset;
use crate::eval::probe::Probe;
use crate::model::Encoder;
use crate::readback::read_f32;
use crate::shared::knobs::{KnobChange, Knobs};
use crate::sleep::Phase;
use burn::prelude::Tensor;
use web_time::Instant;

pub struct Run {
    trainer: Trainer,
    data: Dataset,
    history: Vec<EpochRecord>,
    /// Visiting order of the current epoch; empty between epochs.
    order: Vec<usize>,
    /// Next batch of the current epoch.
    next: usize,
    mean: LossMean,
    started: Option<Instant>,
    /// The encoder before any training, kept until its probe (epoch 0) is recorded.
    untrained: Option<Encoder>,
    /// The iteration under way when it is stepped one phase at a time.
    pending: Pending,
    latest_probe: Option<(usize, Probe)>,
}

/// How far the current iteration has got (its phases run in order: Wake → NREM → REM).
#[derive(Default)]
enum Pending {
    /// No iteration under way: the next phase is Wake.
    #[default]
    None,
    Woke(Box<AfterWake>),
    Dreamt(Box<AfterNrem>),
}

/// What a single phase produced: its losses (those it computes, by [`Losses::NAMES`] index), and
/// the whole iteration once REM has closed it.
pub struct PhaseStep {
    pub phase: Phase,
    pub losses: [Option<f32>; 5],
    pub step: Option<Step>,
}

/// What one iteration produced.
pub struct Step {
    /// 1-based epoch and iteration within it.
    pub epoch: usize,
    pub iteration: usize,
    pub losses: Losses<f32>,
    pub images: PhaseImages,
    /// This was the epoch's last iteration: call [`Run::end_epoch`].
    pub epoch_complete: bool,
}

impl Run {
    /// A run of `trainer` over `data`, continuing `history` (empty for a new run).
    pub fn new(trainer: Trainer, data: Dataset, history: Vec<EpochRecord>) -> Result<Self, Error> {
        let batch = trainer.config().batch_size;
        if data.train.len() < batch {
            return Err(Error::Config(format!("{} training images are fewer than one batch of {batch}", data.train.len())));
        }
        if data.channels() != trainer.shape().channels {
            return Err(Error::Config(format!(
                "the model is for {}-channel images but {} has {} channels",
                trainer.shape().channels,
                data.name,
                data.channels()
            )));
        }
        let untrained = (history.is_empty() && trainer.epochs_done() == 0).then(|| trainer.encoder());
        Ok(Self {
            trainer,
            data,
            history,
            order: Vec::new(),
            next: 0,
            mean: LossMean::default(),
            started: None,
            untrained,
            pending: Pending::None,
            latest_probe: None,
        })
    }

    pub fn trainer(&self) -> &Trainer {
        &self.trainer
    }

    pub fn data(&self) -> &Dataset {
        &self.data
    }

    pub fn history(&self) -> &[EpochRecord] {
        &self.history
    }

    /// Iterations per epoch (drop_last, as the official loader).
    pub fn per_epoch(&self) -> usize {
        self.data.train.len() / self.trainer.config().batch_size
    }

    /// Turn the knobs from the next iteration on (the next phase, when an iteration is stepped
    /// phase by phase; [`Trainer::tune`]), marked at the iterations the run has done.
    pub fn tune(&mut self, knobs: Knobs) -> Result<Option<KnobChange>, Error> {
        // Between epochs the next epoch has not begun: none of its iterations is done.
        let in_epoch = if self.order.is_empty() { 0 } else { self.next };
        let at = self.trainer.epochs_done() * self.per_epoch() + in_epoch;
        self.trainer.tune(knobs, at)
    }

    /// One PAD iteration on the next batch (starting an epoch when none is under way), or the rest
    /// of the iteration under way when phases of it were stepped ([`Self::step_phase`]). Losses
    /// are read back (async); a NaN or infinite loss stops the run with an error.
    pub async fn step(&mut self) -> Result<Step, Error> {
        self.step_observed(None).await
    }

    /// [`Self::step`], waiting for each phase's work to finish and reporting how long it took
    /// (`on_phase(phase, seconds)`, for the hypnogram). Costs two more device round trips.
    pub async fn step_phases(&mut self, on_phase: &mut dyn FnMut(Phase, f64)) -> Result<Step, Error> {
        self.step_observed(Some(on_phase)).await
    }

    async fn step_observed(&mut self, on_phase: Option<&mut dyn FnMut(Phase, f64)>) -> Result<Step, Error> {
        let mut clock = PhaseClock { on_phase, since: Instant::now() };
        loop {
            if let Some(step) = self.advance(&mut clock, false).await?.step {
                return Ok(step);
            }
        }
    }

    /// The phase the current iteration runs next.
    pub fn next_phase(&self) -> Phase {
        match self.pending {
            Pending::None => Phase::Wake,
            Pending::Woke(_) => Phase::Nrem,
            Pending::Dreamt(_) => Phase::Rem,
        }
    }

    /// Run the next phase of the iteration only ([`Self::next_phase`]): Wake starts an iteration
    /// on the next batch, REM closes it. Its losses are read back (async), and how long it took
    /// reported to `on_phase`.
    pub async fn step_phase(&mut self, on_phase: &mut dyn FnMut(Phase, f64)) -> Result<PhaseStep, Error> {
        let mut clock = PhaseClock { on_phase: Some(on_phase), since: Instant::now() };
        self.advance(&mut clock, true).await
    }

    /// One phase; `losses`: read the losses of Wake and NREM (REM reads all five anyway).
    async fn advance(&mut self, clock: &mut PhaseClock<'_>, losses: bool) -> Result<PhaseStep, Error> {
        let mut values = [None; 5];
        let read = async |t: Tensor<1>| -> Result<Option<f32>, Error> { Ok(read_f32(t).await?.first().copied()) };
        match std::mem::take(&mut self.pending) {
            Pending::None => {
                if self.order.is_empty() {
                    self.order = self.trainer.begin_epoch(self.data.train.len());
                    self.next = 0;
                    self.mean = LossMean::default();
                    self.started = Some(Instant::now());
                }
                let b = self.trainer.config().batch_size;
                let idx = &self.order[self.next * b..(self.next + 1) * b];
                let x = self.data.train.batch(idx, self.trainer.device());
                let noise = self.trainer.draw_noise(b);
                let wake = self.trainer.wake(x, noise)?;
                if losses {
                    let [img, kl, real] = wake.losses();
                    values[..3].copy_from_slice(&[read(img).await?, read(kl).await?, read(real).await?]);
                }
                clock.done(Phase::Wake, (!losses).then(|| wake.loss())).await?;
                self.pending = Pending::Woke(Box::new(wake));
                Ok(PhaseStep { phase: Phase::Wake, losses: values, step: None })
            }
            Pending::Woke(wake) => {
                let nrem = self.trainer.nrem(*wake);
                if losses {
                    values[3] = read(nrem.loss()).await?;
                }
                clock.done(Phase::Nrem, (!losses).then(|| nrem.loss())).await?;
                self.pending = Pending::Dreamt(Box::new(nrem));
                Ok(PhaseStep { phase: Phase::Nrem, losses: values, step: None })
            }
            Pending::Dreamt(nrem) => {
                let out = self.trainer.rem(*nrem);
                let losses = out.losses.read().await?;
                clock.done(Phase::Rem, None).await?;
                let (epoch, iteration) = (self.trainer.epochs_done() + 1, self.next + 1);
                if !losses.is_finite() {
                    return Err(Error::Diverged(format!(
                        "training diverged at epoch {epoch}, iteration {iteration}: a loss is NaN or infinite"
                    )));
                }
                self.mean.add(&losses);
                self.next += 1;
                let step =
                    Step { epoch, iteration, losses: losses.clone(), images: out.images, epoch_complete: self.next == self.per_epoch() };
                Ok(PhaseStep { phase: Phase::Rem, losses: losses.to_array().map(Some), step: Some(step) })
            }
        }
    }

    /// The stable probe of the latest epoch's probes, with that epoch (it reads new latents, e.g.
    /// a drawing's).
    pub fn latest_probe(&self) -> Option<&(usize, Probe)> {
        self.latest_probe.as_ref()
    }

    async fn probe(&mut self, encoder: &Encoder, record: &mut EpochRecord) -> Result<(), Error> {
        let t = &self.trainer;
        let (report, _, stable) = crate::eval::probe_report(encoder, &self.data, t.config().seed, t.device()).await?;
        self.latest_probe = Some((record.epoch, stable));
        record.probe_official = report.official.per_batch;
        record.probe_official_all = Some(report.official.all);
        record.probe_stable = Some(report.stable.all);
        Ok(())
    }

    /// Epoch 0 of a new run: both probes on the untrained encoder (the curves' baseline). Does
    /// nothing when it is recorded already or the run continues an earlier one.
    pub async fn baseline(&mut self) -> Result<Option<&EpochRecord>, Error> {
        let Some(untrained) = self.untrained.take() else { return Ok(None) };
        let mut record = EpochRecord::new(0, 0, None, 0.0);
        self.probe(&untrained, &mut record).await?;
        self.history.insert(0, record);
        Ok(self.history.first())
    }

    /// Close the epoch whose last iteration just ran: mean losses, optionally the probes (and the
    /// untrained baseline, if not recorded yet), history.
    pub async fn end_epoch(&mut self, probe: bool) -> Result<&EpochRecord, Error> {
        self.trainer.end_epoch();
        let iterations = self.next;
        self.order.clear();
        let seconds = self.started.map(|s| s.elapsed().as_secs_f64()).unwrap_or(0.0);
        let mut record = EpochRecord::new(self.trainer.epochs_done(), iterations, Some(self.mean.mean()), seconds);
        if probe && !self.data.test.is_empty() {
            self.baseline().await?;
            let encoder = self.trainer.encoder();
            self.probe(&encoder, &mut record).await?;
        }
        self.history.push(record);
        Ok(self.history.last().expect("just pushed"))
    }

    /// The run as checkpoint bytes (async: reads the weights back).
    pub async fn checkpoint(&self) -> Result<Vec<u8>, Error> {
        checkpoint::to_bytes(&self.trainer, &self.data.name, &self.data.classes, &self.history).await
    }
}

/// Times the phases of one iteration when someone watches (`on_phase`); costs nothing otherwise.
struct PhaseClock<'a> {
    on_phase: Option<&'a mut dyn FnMut(Phase, f64)>,
    since: Instant,
}

impl PhaseClock<'_> {
    /// `phase` has been issued: wait for its work (reading `loss`; `None` when the caller already
    /// waited) and report how long it took.
    async fn done(&mut self, phase: Phase, loss: Option<Tensor<1>>) -> Result<(), Error> {
        if let Some(report) = self.on_phase.as_mut() {
            if let Some(loss) = loss {
                read_f32(loss).await?;
            }
            report(phase, self.since.elapsed().as_secs_f64());
            self.since = Instant::now();
        }
        Ok(())
    }
}
