//! The settings of a run, declared once: the table in [`settings!`]'s invocation below gives each
//! setting its type, default, URL key (also its `pad train` flag), label, hint, the values it may
//! take and the message when it cannot work. Everything else is derived from it: [`Settings`],
//! the page's [`Form`] and [`Field`]s, parsing with one message per field (shown next to its
//! control), the URL parameters and the share link (`url.rs`), the CLI's flags, defaults and value
//! parsers (module [`read`]), and the checks the trainer repeats. Adding a setting is one entry
//! here plus its use.

use super::config::{LATENT, PhaseWeights, RemInput, StepSemantics, TrainConfig, Variant};
use super::knobs::Knobs;
use super::limits::{BATCH, EPOCHS, IMAGES, MAX_LEARNING_RATE, MAX_WEIGHT, learning_rate_ok, weight_ok};
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// A value a setting holds, as text (in a form, a URL, a command line).
pub trait Value: Sized {
    /// The value of `text`, or what the text is not (a type's own message; the form shows its
    /// field's message instead).
    fn read(text: &str) -> Result<Self, String>;
    fn show(&self) -> String;
}

macro_rules! plain_value {
    ($($t:ty: $what:literal),*) => {$(
        impl Value for $t {
            fn read(text: &str) -> Result<Self, String> {
                text.parse().map_err(|_| format!("'{}' is not {}", crate::quote(text), $what))
            }
            fn show(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
plain_value!(usize: "a whole number", u64: "a whole number", f64: "a number", f32: "a number");

impl Value for Variant {
    fn read(text: &str) -> Result<Self, String> {
        text.parse().map_err(|e: crate::Error| e.to_string())
    }
    fn show(&self) -> String {
        self.name().into()
    }
}

/// A switch: 1/0, true/false, yes/no, on/off.
impl Value for bool {
    fn read(text: &str) -> Result<Self, String> {
        match text {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(format!("'{}' is not 1 or 0", crate::quote(text))),
        }
    }
    fn show(&self) -> String {
        (if *self { "1" } else { "0" }).into()
    }
}

/// How the page's form holds a setting of type `T`: as the text typed into a field (`String`),
/// or as a checkbox (`bool`).
pub trait Input<T>: Sized {
    fn from_value(value: &T) -> Self;
    /// The value, if the input holds one.
    fn value(&self) -> Option<T>;
    /// The input as text: what a text field shows, and (trimmed) what a URL carries.
    fn text(&self) -> String;
    /// Take a URL's text; false if this input cannot hold it (a checkbox and "maybe").
    fn set_text(&mut self, text: &str) -> bool;
}

impl<T: Value> Input<T> for String {
    fn from_value(value: &T) -> Self {
        value.show()
    }
    fn value(&self) -> Option<T> {
        T::read(self.trim()).ok()
    }
    fn text(&self) -> String {
        self.clone()
    }
    fn set_text(&mut self, text: &str) -> bool {
        *self = text.into();
        true
    }
}

impl Input<bool> for bool {
    fn from_value(value: &bool) -> Self {
        *value
    }
    fn value(&self) -> Option<bool> {
        Some(*self)
    }
    fn text(&self) -> String {
        self.show()
    }
    fn set_text(&mut self, text: &str) -> bool {
        bool::read(text).map(|v| *self = v).is_ok()
    }
}

/// Why a field's value cannot be used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: Field,
    pub message: String,
}

/// "epochs must be a whole number from 1 to 1000".
fn whole(what: &str, range: RangeInclusive<usize>) -> String {
    format!("{what} must be a whole number from {} to {}", range.start(), range.end())
}

/// "W must be a number from 0 to 100".
fn knob(what: &str) -> String {
    format!("{what} must be a number from 0 to {MAX_WEIGHT}")
}

/// `$a` if given, else `$b`.
macro_rules! or_else {
    (, $b:expr) => {
        $b
    };
    ($a:expr, $b:expr) => {
        $a
    };
}

/// Declares the settings (see the module's documentation). Each entry:
/// `name: Type, in FormInput, FieldName { key, label, hint, default, valid, message [, invalid] }`
/// — `valid` says which values can work, `message` why text cannot be used, `invalid` (when it
/// says more than `message`) why a value out of range cannot.
macro_rules! settings {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident: $ty:ty, in $input:ty, $field:ident {
            key: $key:literal,
            label: $label:literal,
            hint: $hint:literal,
            default: $default:expr,
            valid: $valid:expr,
            message: $message:expr
            $(, invalid: $invalid:expr)? $(,)?
        }
    ),+ $(,)?) => {
        /// Everything the user chooses for a run.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub struct Settings {
            $($(#[doc = $doc])* pub $name: $ty,)+
        }

        impl Default for Settings {
            fn default() -> Self {
                Self { $($name: $default,)+ }
            }
        }

        /// A control of the settings form: one per setting.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Field {
            $($field,)+
        }

        impl Field {
            pub const ALL: &'static [Field] = &[$(Field::$field),+];

            /// Its URL parameter, and its flag on the command line.
            pub const fn key(self) -> &'static str {
                match self { $(Field::$field => $key,)+ }
            }

            /// Its label on the page.
            pub const fn label(self) -> &'static str {
                match self { $(Field::$field => $label,)+ }
            }

            /// What to know when choosing it (the control's tooltip).
            pub const fn hint(self) -> &'static str {
                match self { $(Field::$field => $hint,)+ }
            }

            /// The field of a URL parameter.
            pub fn from_key(key: &str) -> Option<Field> {
                Self::ALL.iter().copied().find(|f| f.key() == key)
            }

            /// Why text in this field cannot be used.
            pub fn message(self) -> String {
                match self { $(Field::$field => ($message).into(),)+ }
            }

            /// Why a value of this field out of its range cannot be used.
            fn invalid(self) -> String {
                match self { $(Field::$field => or_else!($($invalid)?, $message).into(),)+ }
            }
        }

        /// The form's values as typed.
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct Form {
            $(pub $name: $input,)+
        }

        impl From<&Settings> for Form {
            fn from(s: &Settings) -> Self {
                Self { $($name: <$input as Input<$ty>>::from_value(&s.$name),)+ }
            }
        }

        impl Form {
            /// A field as the URL and the share link write it.
            pub fn text(&self, field: Field) -> String {
                match field { $(Field::$field => <$input as Input<$ty>>::text(&self.$name),)+ }
            }

            /// Set a field from a URL's text; false if its control cannot hold the text.
            pub fn set_text(&mut self, field: Field, text: &str) -> bool {
                match field { $(Field::$field => <$input as Input<$ty>>::set_text(&mut self.$name, text),)+ }
            }

            /// Every field read and checked alone, with one message for each that fails.
            fn read(&self) -> Result<Settings, Vec<FieldError>> {
                let mut errors = Vec::new();
                $(
                    let valid: fn(&$ty) -> bool = $valid;
                    let $name = <$input as Input<$ty>>::value(&self.$name).filter(valid);
                    if $name.is_none() {
                        errors.push(FieldError { field: Field::$field, message: Field::$field.message() });
                    }
                )+
                match ($($name,)+) {
                    ($(Some($name),)+) => Ok(Settings { $($name,)+ }),
                    _ => Err(errors),
                }
            }
        }

        impl Settings {
            /// Each value against its own range.
            fn check_each(&self, errors: &mut Vec<FieldError>) {
                $(
                    let valid: fn(&$ty) -> bool = $valid;
                    if !valid(&self.$name) {
                        errors.push(FieldError { field: Field::$field, message: Field::$field.invalid() });
                    }
                )+
            }
        }

        /// Each setting read from a command line's text: clap's value parsers for `pad train`.
        /// Only the text is read here; the trainer checks the ranges that training needs
        /// ([`TrainConfig::validate`], from the same [`limits`](super::limits)), the page's
        /// own limits (most epochs, largest batch) do not bind the CLI.
        pub mod read {
            use super::*;
            $(
                pub fn $name(text: &str) -> Result<$ty, String> {
                    <$ty as Value>::read(text.trim())
                }
            )+

            /// Each setting read and checked against its own range, with the field's message
            /// (for flags whose range binds the CLI too).
            pub mod checked {
                use super::*;
                $(
                    pub fn $name(text: &str) -> Result<$ty, String> {
                        let valid: fn(&$ty) -> bool = $valid;
                        super::$name(text).ok().filter(valid).ok_or_else(|| Field::$field.invalid())
                    }
                )+
            }
        }
    };
}

settings! {
    /// The paper's condition: PAD or one of its ablations.
    variant: Variant, in String, Variant {
        key: "variant",
        label: "Variant",
        hint: "PAD, or one of the paper's ablations",
        default: Variant::Pad,
        valid: |_| true,
        message: format!("expected one of {}", Variant::names()),
    },
    /// Train until this many epochs are done (counting those of a resumed model).
    epochs: usize, in String, Epochs {
        key: "epochs",
        label: "Epochs",
        hint: "train until this many epochs are done",
        default: 10,
        valid: |v| EPOCHS.contains(v),
        message: whole("epochs", EPOCHS),
    },
    /// Mini-batch size.
    batch_size: usize, in String, BatchSize {
        key: "batch",
        label: "Batch size",
        hint: "64 in the paper; at least 2",
        default: 64,
        valid: |v| BATCH.contains(v),
        message: whole("batch size", BATCH),
        invalid: format!("batch size must be from {} (the KL term needs a batch standard deviation) to {}", BATCH.start(), BATCH.end()),
    },
    /// Adam's learning rate, for E and G.
    learning_rate: f64, in String, LearningRate {
        key: "lr",
        label: "Learning rate",
        hint: "Adam, 2e-4 in the paper",
        default: 2e-4,
        valid: |v| learning_rate_ok(*v),
        message: format!(
            "learning rate must be a number above 0 and at most {} (2e-4 in the paper; large rates diverge)",
            MAX_LEARNING_RATE
        ),
    },
    /// Seeds the weights, the batches and every random draw.
    seed: u64, in String, Seed {
        key: "seed",
        label: "Seed",
        hint: "the same seed, settings and data give the same run",
        default: 0,
        valid: |_| true,
        message: format!("seed must be a whole number from 0 to {}", u64::MAX),
    },
    /// Training images used (a subset of the dataset: the first ones); at least one batch.
    images_per_epoch: usize, in String, ImagesPerEpoch {
        key: "images",
        label: "Images per epoch",
        hint: "the first images of the training split; at least one batch",
        default: 2048,
        valid: |v| IMAGES.contains(v),
        message: whole("images per epoch", IMAGES),
    },
    /// W: the weight of Wake's reconstruction loss L_img (a knob: acts mid-run).
    wake_weight: f32, in String, WakeWeight {
        key: "w",
        label: "W (L_img)",
        hint: "Wake: weight of the reconstruction loss; acts at the next iteration",
        default: Variant::Pad.weights().wake,
        valid: |v| weight_ok(*v),
        message: knob("W"),
    },
    /// N: the weight of NREM's loss L_NREM (0: E does not learn in NREM).
    nrem_weight: f32, in String, NremWeight {
        key: "n",
        label: "N (L_NREM)",
        hint: "NREM: weight of the occluded-dream loss, 0 turns NREM's learning off",
        default: Variant::Pad.weights().nrem,
        valid: |v| weight_ok(*v),
        message: knob("N"),
    },
    /// R: REM on (above 0) or off; also gates Wake's L_real.
    rem_weight: f32, in String, RemWeight {
        key: "r",
        label: "R (REM)",
        hint: "REM on above 0, off at 0 (it also gates Wake's L_real)",
        default: Variant::Pad.weights().rem,
        valid: |v| weight_ok(*v),
        message: knob("R"),
    },
    /// ε: the std of the Gaussian noise added to z as G's input in Wake.
    epsilon: f32, in String, Epsilon {
        key: "epsilon",
        label: "ε (Wake noise)",
        hint: "std of the noise added to the latent before G in Wake (0.5 in w/o REM and Wake only)",
        default: Variant::Pad.weights().wake_noise_std,
        valid: |v| weight_ok(*v),
        message: knob("ε"),
    },
    /// REM dreams from a mix of two memories and noise (off: the current memory alone).
    memory_mix: bool, in bool, MemoryMix {
        key: "mix",
        label: "REM mixes memories",
        hint: "REM dreams from ¼ today's memory + ¼ yesterday's + ½ noise; off: today's memory alone",
        default: Variant::Pad.weights().rem_input.is_mix(),
        valid: |_| true,
        message: "mix must be 1 (on) or 0 (off)",
    },
    /// Run the linear probes after every epoch.
    probe: bool, in bool, Probe {
        key: "probe",
        label: "linear probes after each epoch",
        hint: "a linear read-out of the latents, trained and tested after every epoch",
        default: true,
        valid: |_| true,
        message: "probe must be 1 (on) or 0 (off)",
    },
}

impl Field {
    /// The settings a variant's preset sets (the phase weights and REM's input).
    pub const PRESET: [Field; 5] = [Field::WakeWeight, Field::NremWeight, Field::RemWeight, Field::Epsilon, Field::MemoryMix];

    /// A knob: a setting that acts mid-run, at the next iteration (the preset's and the learning
    /// rate). The others wait for the next run.
    pub fn is_knob(self) -> bool {
        self == Field::LearningRate || Self::PRESET.contains(&self)
    }
}

impl Form {
    /// Choose a variant: its preset sets the phase weights (touching one afterwards makes the run
    /// "custom", [`Form::custom`]).
    pub fn choose_variant(&mut self, variant: Variant) {
        let preset = Form::from(&Settings::for_variant(variant));
        self.variant = preset.variant.clone();
        for field in Field::PRESET {
            self.set_text(field, &preset.text(field));
        }
    }

    /// The form as it would be with its variant just chosen (the default variant if its text is
    /// not one): what a URL leaves out.
    pub fn preset(&self) -> Form {
        let mut base = Form::from(&Settings::default());
        base.choose_variant(Input::<Variant>::value(&self.variant).unwrap_or(Settings::default().variant));
        base
    }

    /// Set every preset field not in `given` from the variant's preset (a URL that names a
    /// variant and not its weights means the variant's).
    pub fn preset_except(&mut self, given: &[Field]) {
        let preset = self.preset();
        for field in Field::PRESET.into_iter().filter(|f| !given.contains(f)) {
            self.set_text(field, &preset.text(field));
        }
    }

    /// The weights differ from the chosen variant's preset (the variant control says "custom").
    pub fn custom(&self) -> bool {
        let preset = self.preset();
        Field::PRESET.into_iter().any(|f| {
            let (a, b) = (self.text(f), preset.text(f));
            a.trim() != b && a.trim().parse::<f32>().ok().is_none_or(|a| Some(a) != b.parse::<f32>().ok())
        })
    }

    /// Parse and check every field; `train_images` is the size of the loaded training split, when
    /// known. Returns all the problems at once.
    pub fn parse(&self, train_images: Option<usize>) -> Result<Settings, Vec<FieldError>> {
        let settings = self.read()?;
        settings.check(train_images)?;
        Ok(settings)
    }
}

impl Settings {
    /// Check every value, those that depend on each other and those that depend on the data
    /// (`train_images`, when known).
    pub fn check(&self, train_images: Option<usize>) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        self.check_each(&mut errors);
        // One message per field: a check against the batch or the data says more than the range.
        let mut fail = |field, message: String| match errors.iter_mut().find(|e| e.field == field) {
            Some(e) => e.message = message,
            None => errors.push(FieldError { field, message }),
        };
        if self.images_per_epoch < self.batch_size {
            fail(Field::ImagesPerEpoch, format!("images per epoch must be at least one batch ({})", self.batch_size));
        }
        if let Some(n) = train_images
            && self.images_per_epoch > n
        {
            fail(Field::ImagesPerEpoch, format!("the dataset has only {n} training images"));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// The trainer's configuration for these settings.
    pub fn train_config(&self) -> TrainConfig {
        TrainConfig {
            variant: self.variant,
            batch_size: self.batch_size,
            learning_rate: self.learning_rate,
            seed: self.seed,
            latent: LATENT,
            step_semantics: StepSemantics::ZeroFilled,
            weights: (self.weights() != self.variant.weights()).then_some(self.weights()),
        }
    }

    /// The default settings for `variant`: its preset's phase weights (`Settings { variant, ..
    /// Settings::default() }` would keep PAD's).
    pub fn for_variant(variant: Variant) -> Settings {
        let mut s = Settings { variant, ..Settings::default() };
        s.set_weights(variant.weights());
        s
    }

    /// The phase weights the knobs give.
    pub fn weights(&self) -> PhaseWeights {
        PhaseWeights {
            wake: self.wake_weight,
            nrem: self.nrem_weight,
            rem: self.rem_weight,
            wake_noise_std: self.epsilon,
            rem_input: RemInput::from_mix(self.memory_mix),
        }
    }

    /// The knobs that act mid-run.
    pub fn knobs(&self) -> Knobs {
        Knobs { weights: self.weights(), learning_rate: self.learning_rate }
    }

    /// Set the knobs (and nothing else).
    pub fn set_knobs(&mut self, knobs: Knobs) {
        self.set_weights(knobs.weights);
        self.learning_rate = knobs.learning_rate;
    }

    fn set_weights(&mut self, w: PhaseWeights) {
        self.wake_weight = w.wake;
        self.nrem_weight = w.nrem;
        self.rem_weight = w.rem;
        self.epsilon = w.wake_noise_std;
        self.memory_mix = w.rem_input.is_mix();
    }

    /// The settings of a model loaded from a checkpoint trained with `config` for `epochs_done`
    /// epochs, continued for `wanted.epochs` more on `train_images` images: the checkpoint's
    /// training settings (the inverse of [`Settings::train_config`]), the rest as `wanted`.
    pub fn continuing(config: &TrainConfig, epochs_done: usize, wanted: &Settings, train_images: usize) -> Settings {
        let mut settings = Settings {
            variant: config.variant,
            batch_size: config.batch_size,
            seed: config.seed,
            epochs: epochs_done + wanted.epochs.max(1),
            images_per_epoch: wanted.images_per_epoch.min(train_images).max(config.batch_size),
            ..wanted.clone()
        };
        settings.set_knobs(config.knobs());
        settings
    }
}

/// All messages of a list of field errors, one line each (for places without per-field slots).
pub fn describe(errors: &[FieldError]) -> String {
    errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ")
}
