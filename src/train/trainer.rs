//! The [`Trainer`]: one PAD iteration at a time, in the official order and with the official
//! optimizer-step pattern (E steps 3×, G 2× per iteration; docs/decisions.md#gradient-routing).

use super::metrics::Losses;
use super::optimizer::PhaseOptimizer;
use super::rng::{Stream, stream};
use crate::Error;
use crate::model::{Encoder, Generator, Init, ModelShape};
use crate::shared::config::TrainConfig;
use crate::shared::knobs::{KnobChange, Knobs};
use crate::sleep::{Hippocampus, Occlusion, nrem, rem, wake};
use burn::optim::GradientsParams;
use burn::prelude::*;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// What one iteration produced: its losses and the images of each phase, on the plain device.
pub struct IterationOutput {
    pub losses: Losses<Tensor<1>>,
    pub images: PhaseImages,
}

/// The pictures of one iteration, each (B, C, 32, 32) in [−1, 1].
#[derive(Clone)]
pub struct PhaseImages {
    /// Wake's real input batch.
    pub input: Tensor<4>,
    /// Wake's reconstructions G(E_z(x)).
    pub reconstruction: Tensor<4>,
    /// NREM's occluded dreams G(z)·ω.
    pub nrem_dream: Tensor<4>,
    /// REM's dreams G(z_mix).
    pub rem_dream: Tensor<4>,
}

/// Every random draw of one iteration (see [`Trainer::draw_noise`]), as host values.
#[derive(Clone, Debug, PartialEq)]
pub struct IterationNoise {
    /// Wake: Gaussian noise added to z as G's input, (B, n_z) row-major; only for "w/o REM" and
    /// "Wake only" (decision `wake-noise`, docs/decisions.md).
    pub wake: Option<Vec<f32>>,
    /// NREM: the drawn drop probability and tile size…
    pub occlusion: Occlusion,
    /// …and the keep-mask they gave, 32×32, shared by the batch (1 keeps, 0 occludes).
    pub keep_mask: Vec<f32>,
    /// REM: ε ~ N(0, 1), (B, n_z) row-major.
    pub rem: Vec<f32>,
}

/// Wake is done: what the rest of the iteration needs (a phase can only follow its predecessor).
pub struct AfterWake {
    keep_mask: Vec<f32>,
    rem_noise: Vec<f32>,
    x: Tensor<4>,
    reconstruction: Tensor<4>,
    l_img: Tensor<1>,
    l_kl: Tensor<1>,
    l_real: Tensor<1>,
}

impl AfterWake {
    /// Wake's main loss L_img (reading it waits for the phase's work).
    pub fn loss(&self) -> Tensor<1> {
        self.l_img.clone()
    }

    /// Wake's three losses: L_img, L_KL, L_real.
    pub fn losses(&self) -> [Tensor<1>; 3] {
        [self.l_img.clone(), self.l_kl.clone(), self.l_real.clone()]
    }
}

/// NREM is done: what REM needs to finish the iteration.
pub struct AfterNrem {
    wake: AfterWake,
    l_nrem: Tensor<1>,
    nrem_dream: Tensor<4>,
}

impl AfterNrem {
    /// NREM's loss L_NREM (reading it waits for the phase's work).
    pub fn loss(&self) -> Tensor<1> {
        self.l_nrem.clone()
    }
}

pub struct Trainer {
    config: TrainConfig,
    shape: ModelShape,
    /// Plain device (inputs, memory, evaluation).
    device: Device,
    pub(crate) encoder: Encoder,
    pub(crate) generator: Generator,
    pub(crate) opt_e: PhaseOptimizer,
    pub(crate) opt_g: PhaseOptimizer,
    memory: Hippocampus,
    /// Epochs completed.
    pub(crate) epoch: usize,
    /// Iteration index within the current epoch.
    iteration: usize,
    rng: ChaCha8Rng,
    /// The knob changes made during the run ([`Self::tune`]).
    pub(crate) changes: Vec<KnobChange>,
}

impl Trainer {
    /// A fresh network initialised from `config.seed` on `device` (a plain device; autodiff is
    /// added here).
    pub fn new(config: TrainConfig, channels: usize, device: &Device) -> Result<Self, Error> {
        config.validate()?;
        if !(channels == 1 || channels == 3) {
            return Err(Error::Config(format!("images must have 1 or 3 channels, got {channels}")));
        }
        let shape = ModelShape::new(channels, config.latent);
        let device = device.clone().inner();
        let train_device = device.clone().autodiff();
        let mut rng = stream(config.seed, Stream::Init, 0);
        let mut init = Init { rng: &mut rng, device: &train_device };
        let encoder = Encoder::new(shape, &mut init);
        let generator = Generator::new(shape, &mut init);
        let opt = || PhaseOptimizer::new(config.learning_rate, config.step_semantics);
        Ok(Self {
            opt_e: opt(),
            opt_g: opt(),
            rng: stream(config.seed, Stream::Phases, 0),
            config,
            shape,
            device,
            encoder,
            generator,
            memory: Hippocampus::default(),
            epoch: 0,
            iteration: 0,
            changes: Vec::new(),
        })
    }

    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Train on at most `batch_size` images at a time from now on (the rest of the configuration
    /// stays): how a run continues after the browser's trainer ran out of memory at its own
    /// batch. Nothing holds a batch's size between iterations, so the next one takes it.
    pub fn rebatch(&mut self, batch_size: usize) {
        self.config.batch_size = batch_size;
    }

    pub fn shape(&self) -> ModelShape {
        self.shape
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Turn the knobs: they act from the next iteration (the next phase, between phase steps).
    /// `at` is the number of iterations the run has done (where the loss plot marks the change).
    /// Returns the change, if anything changed; refuses knobs the trainer cannot train with.
    pub fn tune(&mut self, knobs: Knobs, at: usize) -> Result<Option<KnobChange>, Error> {
        let before = self.config.knobs();
        if knobs == before {
            return Ok(None);
        }
        let mut config = self.config.clone();
        config.set_knobs(knobs);
        config.validate()?;
        self.config = config;
        self.opt_e.set_learning_rate(knobs.learning_rate);
        self.opt_g.set_learning_rate(knobs.learning_rate);
        let change = KnobChange { iteration: at, epoch: self.epoch + 1, before, after: knobs };
        self.changes.push(change.clone());
        Ok(Some(change))
    }

    /// The knob changes made during the run, in order.
    pub fn changes(&self) -> &[KnobChange] {
        &self.changes
    }

    /// Epochs completed so far.
    pub fn epochs_done(&self) -> usize {
        self.epoch
    }

    /// The encoder without autodiff, for evaluation.
    pub fn encoder(&self) -> Encoder {
        self.encoder.valid()
    }

    /// The generator without autodiff, for dreaming on demand.
    pub fn generator(&self) -> Generator {
        self.generator.valid()
    }

    /// Start the next epoch: returns the order in which to visit `n` training images
    /// (shuffled, seeded by the run's seed and the epoch number).
    pub fn begin_epoch(&mut self, n: usize) -> Vec<usize> {
        let epoch = self.epoch as u64;
        self.iteration = 0;
        self.rng = stream(self.config.seed, Stream::Phases, epoch);
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut stream(self.config.seed, Stream::Shuffle, epoch));
        order
    }

    /// Mark the current epoch as completed.
    pub fn end_epoch(&mut self) {
        self.epoch += 1;
    }

    fn normal(&mut self, rows: usize, std: f32) -> Vec<f32> {
        (0..rows * self.shape.latent)
            .map(|_| {
                let s: f64 = StandardNormal.sample(&mut self.rng);
                std * s as f32
            })
            .collect()
    }

    fn latents(&self, v: Vec<f32>) -> Tensor<2> {
        let n = self.shape.latent;
        let rows = v.len() / n;
        Tensor::from_data(TensorData::new(v, [rows, n]), &self.device)
    }

    /// The random draws of the next iteration on a batch of `batch`, from the run's stream in the
    /// official order: wake latent noise (only for the conditions that have it), NREM's occlusion
    /// and its mask, REM's noise.
    pub fn draw_noise(&mut self, batch: usize) -> IterationNoise {
        let weights = self.config.weights();
        let wake = (weights.wake_noise_std > 0.0).then(|| self.normal(batch, weights.wake_noise_std));
        let occlusion = Occlusion::draw_nrem(&mut self.rng);
        let keep_mask = occlusion.mask(ModelShape::SIDE, &mut self.rng);
        let rem = self.normal(batch, 1.0);
        IterationNoise { wake, occlusion, keep_mask, rem }
    }

    /// One PAD iteration on the real batch `x` (B, C, 32, 32) in [−1, 1] on the plain device:
    /// Wake → NREM → REM.
    pub fn iteration(&mut self, x: Tensor<4>) -> Result<IterationOutput, Error> {
        let noise = self.draw_noise(x.dims()[0]);
        self.iteration_with(x, noise)
    }

    /// [`Self::iteration`] with given random draws (the cross-check against the PyTorch
    /// reference feeds both the same); the run's own stream is not touched.
    pub fn iteration_with(&mut self, x: Tensor<4>, noise: IterationNoise) -> Result<IterationOutput, Error> {
        let wake = self.wake(x, noise)?;
        let nrem = self.nrem(wake);
        Ok(self.rem(nrem))
    }

    /// Wake: E and G learn from the real batch `x`; the latents are stored in the hippocampus.
    /// `noise` holds the iteration's draws ([`Self::draw_noise`]); the iteration goes on with
    /// [`Self::nrem`] on what this returns.
    pub fn wake(&mut self, x: Tensor<4>, noise: IterationNoise) -> Result<AfterWake, Error> {
        let [b, c, h, w] = x.dims();
        if b < 2 || c != self.shape.channels || h != ModelShape::SIDE || w != ModelShape::SIDE {
            return Err(Error::Config(format!("batch of shape {b}×{c}×{h}×{w} does not fit a model for ≥2×{}×32×32", self.shape.channels)));
        }
        let weights = self.config.weights();
        let n = b * self.shape.latent;
        let wake_ok = noise.wake.as_ref().map_or(weights.wake_noise_std == 0.0, |v| v.len() == n);
        if !wake_ok || noise.rem.len() != n || noise.keep_mask.len() != ModelShape::SIDE * ModelShape::SIDE {
            return Err(Error::Config(format!("the iteration's random draws do not fit a batch of {b} and this variant")));
        }
        let IterationNoise { wake: wake_noise, keep_mask, rem: rem_noise, .. } = noise;
        let wake_noise = wake_noise.map(|v| self.latents(v));
        let pass = wake::wake(&self.encoder, &self.generator, x.clone(), wake_noise, &weights);
        self.memory.store(pass.z);
        let mut grads = pass.objective.backward();
        let ge = GradientsParams::from_module(&mut grads, &self.encoder);
        let gg = GradientsParams::from_module(&mut grads, &self.generator);
        self.step_encoder(ge);
        self.step_generator(gg);
        let plain = |t: Tensor<1>| t.detach().inner();
        Ok(AfterWake {
            keep_mask,
            rem_noise,
            x,
            reconstruction: pass.reconstruction.detach().inner(),
            l_img: plain(pass.l_img),
            l_kl: plain(pass.l_kl),
            l_real: plain(pass.l_real),
        })
    }

    /// NREM: only E learns, mapping an occluded dream of the stored memory back to it.
    pub fn nrem(&mut self, mut wake: AfterWake) -> AfterNrem {
        let weights = self.config.weights();
        let mask = std::mem::take(&mut wake.keep_mask);
        let mask = Tensor::<4>::from_data(TensorData::new(mask, [1, 1, ModelShape::SIDE, ModelShape::SIDE]), &self.device);
        let memory = self.memory.current().expect("Wake stores a memory before NREM");
        let (l_nrem, dream, ge) = if weights.nrem > 0.0 {
            let pass = nrem::nrem(&self.encoder, &self.generator, memory, mask);
            let mut grads = pass.l_nrem.clone().mul_scalar(weights.nrem).backward();
            (pass.l_nrem, pass.dream, GradientsParams::from_module(&mut grads, &self.encoder))
        } else {
            // Still computed for the logs; `optimizerD.step()` still runs (`nrem-step-always`).
            let pass = nrem::nrem(&self.encoder.valid(), &self.generator, memory, mask);
            (pass.l_nrem, pass.dream, GradientsParams::new())
        };
        self.step_encoder(ge);
        AfterNrem { wake, l_nrem: l_nrem.detach().inner(), nrem_dream: dream }
    }

    /// REM: E_d learns to call a dream of mixed memories "fake", G learns the opposite through a
    /// reversed gradient. Ends the iteration: today's memory becomes yesterday's.
    pub fn rem(&mut self, mut nrem: AfterNrem) -> IterationOutput {
        let weights = self.config.weights();
        let eps = self.latents(std::mem::take(&mut nrem.wake.rem_noise));
        let z_mix = self.memory.rem_latent(weights.rem_input, eps, self.iteration == 0);
        let (l_fake, rem_dream) = if weights.rem > 0.0 {
            let pass = rem::rem(&self.encoder, &self.generator, z_mix);
            let mut grads = pass.l_fake.backward();
            let ge = GradientsParams::from_module(&mut grads, &self.encoder);
            let gg = rem::reverse_gradients(GradientsParams::from_module(&mut grads, &self.generator), &self.generator);
            self.step_encoder(ge);
            self.step_generator(gg);
            (pass.l_fake, pass.dream)
        } else {
            let pass = rem::rem(&self.encoder.valid(), &self.generator.valid(), z_mix);
            (pass.l_fake, pass.dream)
        };
        self.memory.consolidate();
        self.iteration += 1;
        let AfterNrem { wake, l_nrem, nrem_dream } = nrem;
        IterationOutput {
            losses: Losses { img: wake.l_img, kl: wake.l_kl, real: wake.l_real, nrem: l_nrem, fake: l_fake.detach().inner() },
            images: PhaseImages { input: wake.x, reconstruction: wake.reconstruction, nrem_dream, rem_dream: rem_dream.detach().inner() },
        }
    }

    fn step_encoder(&mut self, grads: GradientsParams) {
        self.encoder = self.opt_e.step(self.encoder.clone(), grads);
    }

    fn step_generator(&mut self, grads: GradientsParams) {
        self.generator = self.opt_g.step(self.generator.clone(), grads);
    }
}
