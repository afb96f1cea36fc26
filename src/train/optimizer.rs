//! Adam with the published runs' zero-gradient semantics (decision `zero-filled-steps`,
//! docs/decisions.md).
//!
//! The official code calls `zero_grad()` before every phase and `step()` after it. Under PyTorch
//! 1.x, `zero_grad()` fills every existing `.grad` with zeros, so a step moves *every* parameter
//! that has ever had a gradient (momentum-only move, step counter advances) even when the current
//! phase gave it none. PyTorch ≥ 2 (`set_to_none=True`) skips such parameters, as Burn's own
//! `ModuleOptimizer` does. Both are offered; the 1.x behaviour is the default.
//!
//! The Adam arithmetic is Burn's (`burn::optim::Adam`; on the CPU the same arithmetic in one pass,
//! `fused_adam`); this type only decides which parameters a step touches and keeps the state keyed by parameter path (e.g. `conv1.weight`), so that a
//! checkpoint can be read back asynchronously and loaded onto any device.

use super::StepSemantics;
use burn::module::{Module, ModuleMapper, Param};
use burn::optim::{Adam, AdamConfig, AdamState, AdaptiveMomentumState, GradientsParams, Optimizer};
use burn::prelude::*;
use std::collections::BTreeMap;

/// Adam state of one parameter, flattened to one dimension (Adam is element-wise).
pub type MomentState = AdaptiveMomentumState<1>;

/// Adam (lr, β = (0.5, 0.999), ε = 1e-8, no weight decay; decision `adam-settings`) over one
/// network.
pub struct PhaseOptimizer {
    adam: Adam,
    lr: f64,
    semantics: StepSemantics,
    /// Per-parameter state; a parameter is present iff it has ever had a gradient
    /// (PyTorch: `.grad is not None`).
    state: BTreeMap<String, MomentState>,
}

/// Adam's β₁, β₂ and ε in the official code (PyTorch defaults apart from β₁; Burn's default ε is
/// 1e-5, `adam-settings`).
pub const BETAS: (f32, f32) = (0.5, 0.999);
pub const EPSILON: f32 = 1e-8;

/// Adam's settings in the official code.
pub fn adam_config() -> AdamConfig {
    AdamConfig::new().with_beta_1(BETAS.0).with_beta_2(BETAS.1).with_epsilon(EPSILON)
}

impl PhaseOptimizer {
    pub fn new(lr: f64, semantics: StepSemantics) -> Self {
        Self { adam: adam_config().build(), lr, semantics, state: BTreeMap::new() }
    }

    /// One `optimizer.step()` after `zero_grad()` and the phase's backward passes.
    pub fn step<M: Module>(&mut self, module: M, grads: GradientsParams) -> M {
        let mut mapper = StepMapper { opt: self, grads, path: Vec::new() };
        module.map(&mut mapper)
    }

    /// A new learning rate from the next step on (a knob turned mid-run); Adam's moments stay.
    pub fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }

    /// The state of every parameter stepped so far, by path.
    pub fn state(&self) -> &BTreeMap<String, MomentState> {
        &self.state
    }

    /// Replace the state (loading a checkpoint).
    pub fn set_state(&mut self, state: BTreeMap<String, MomentState>) {
        self.state = state;
    }

    pub fn semantics(&self) -> StepSemantics {
        self.semantics
    }
}

struct StepMapper<'a> {
    opt: &'a mut PhaseOptimizer,
    grads: GradientsParams,
    path: Vec<String>,
}

impl ModuleMapper for StepMapper<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let key = self.path.join(".");
        let previous = self.opt.state.remove(&key);
        let grad = match (self.grads.remove::<D>(param.id), &previous, self.opt.semantics) {
            (Some(g), _, _) => g,
            (None, Some(_), StepSemantics::ZeroFilled) => param.val().inner().zeros_like(),
            (None, _, _) => {
                if let Some(s) = previous {
                    self.opt.state.insert(key, s);
                }
                return param;
            }
        };
        let (adam, lr) = (&self.opt.adam, self.opt.lr);
        let mut new_state = None;
        let param = param.map(|tensor| {
            let (require_grad, autodiff) = (tensor.is_require_grad(), tensor.is_autodiff());
            let shape = tensor.shape();
            let n = shape.num_elements();
            let flat = tensor.inner().reshape([n]);
            let grad = grad.reshape([n]);
            let (updated, state) = if super::fused_adam::applies(&flat) {
                let (updated, state) = super::fused_adam::step(lr, flat, grad, previous);
                (updated, Some(state))
            } else {
                let (updated, state) = adam.step(lr, flat, grad, previous.map(|momentum| AdamState { momentum }));
                (updated, state.map(|s| s.momentum))
            };
            new_state = state;
            let updated = updated.reshape(shape);
            match (autodiff, require_grad) {
                (true, true) => updated.autodiff().require_grad(),
                (true, false) => updated.autodiff(),
                (false, _) => updated,
            }
        });
        if let Some(s) = new_state {
            self.opt.state.insert(key, s);
        }
        param
    }
}
