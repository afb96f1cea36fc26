//! REM, adversarial dreaming (docs/decisions.md#training-iteration): G dreams from a mix of
//! memories and noise, E_d learns to call the dream "fake", and G learns the opposite through a
//! reversed gradient.

use super::losses::bce_fake;
use crate::model::{Encoder, Generator};
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;

pub struct RemPass {
    /// L_fake = −mean log(1 − E_d(G(z_mix))): E descends it, G ascends it.
    pub l_fake: Tensor<1>,
    /// The REM dream G(z_mix), attached to G's graph.
    pub dream: Tensor<4>,
}

/// REM forward pass from the mixed latent `z_mix` (plain device, a constant for the graph).
/// Only the discriminator head is read: the dream's latent z is unused, so conv4 gets no gradient.
pub fn rem(encoder: &Encoder, generator: &Generator, z_mix: Tensor<2>) -> RemPass {
    let dream = generator.forward(crate::model::lift(z_mix, &generator.tconv1.weight));
    let d = encoder.discriminate(dream.clone());
    RemPass { l_fake: bce_fake(d), dream }
}

/// The official code's gradient-reversal layer sits on G's output, so every G gradient of L_fake is
/// multiplied by −1 and E's are untouched: negating G's gradients after backward is the same.
pub fn reverse_gradients<M: Module>(grads: GradientsParams, module: &M) -> GradientsParams {
    struct Negate(GradientsParams);
    impl ModuleVisitor for Negate {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.0.remove::<D>(param.id) {
                self.0.register::<D>(param.id, g.neg());
            }
        }
    }
    let mut v = Negate(grads);
    module.visit(&mut v);
    v.0
}
