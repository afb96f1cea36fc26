//! The paper's reported numbers (eLife, Appendix 1—table 1; docs/decisions.md#reported-numbers):
//! linear-probe accuracy at epoch 50 on unoccluded test images, %, mean ± SEM over 4
//! initialisations, measured with the official probe. Drawn as reference lines on the page's probe
//! plot and printed beside a sweep's results by `pad table`.

use super::config::Variant;

/// A dataset of the paper's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaperDataset {
    Cifar10,
    Svhn,
}

impl PaperDataset {
    /// The paper's dataset a dataset name or `--dataset` argument refers to, if any.
    pub fn of(name: &str) -> Option<Self> {
        let n = name.to_ascii_lowercase().replace('-', "");
        if n.contains("cifar10") {
            Some(PaperDataset::Cifar10)
        } else if n.contains("svhn") {
            Some(PaperDataset::Svhn)
        } else {
            None
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PaperDataset::Cifar10 => "CIFAR-10",
            PaperDataset::Svhn => "SVHN",
        }
    }
}

/// The paper's (mean, SEM) for a variant on a dataset, in %.
pub fn probe_at_epoch_50(dataset: PaperDataset, variant: Variant) -> (f32, f32) {
    use PaperDataset::*;
    use Variant::*;
    match (dataset, variant) {
        (Cifar10, Pad) => (58.25, 0.70),
        (Cifar10, NoMemoryMix) => (53.87, 0.85),
        (Cifar10, NoRem) => (46.00, 0.43),
        (Cifar10, NoNrem) => (58.00, 0.34),
        (Cifar10, WakeOnly) => (42.25, 0.54),
        (Svhn, Pad) => (78.92, 0.40),
        (Svhn, NoMemoryMix) => (60.87, 5.07),
        (Svhn, NoRem) => (42.30, 1.51),
        (Svhn, NoNrem) => (73.25, 0.22),
        (Svhn, WakeOnly) => (41.93, 0.65),
    }
}
