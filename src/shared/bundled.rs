//! The datasets bundled with the page (`static/data/`, built by `pad bundle`): the one place that
//! names them, for the page's dataset control, the URL's `dataset=` and the pretrained snapshot.

/// A bundled dataset (your own files cannot travel in a link).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Bundled {
    #[default]
    Mnist,
    Fashion,
}

impl Bundled {
    pub const ALL: [Bundled; 2] = [Bundled::Mnist, Bundled::Fashion];

    /// Its name in a URL and in the dataset control.
    pub fn name(self) -> &'static str {
        match self {
            Bundled::Mnist => "mnist",
            Bundled::Fashion => "fashion",
        }
    }

    /// The dataset a name means (`fashion-mnist` too).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "fashion-mnist" => Some(Bundled::Fashion),
            _ => Self::ALL.into_iter().find(|b| b.name() == name),
        }
    }

    /// What the dataset control shows.
    pub fn label(self) -> &'static str {
        match self {
            Bundled::Mnist => "Bundled MNIST (8,000 train / 2,000 test)",
            Bundled::Fashion => "Bundled Fashion-MNIST (7,500 / 2,000)",
        }
    }

    /// The bundle's file name; the page fetches it from `static/data/`.
    pub fn file(self) -> &'static str {
        match self {
            Bundled::Mnist => "mnist.padb",
            Bundled::Fashion => "fashion.padb",
        }
    }

    /// The pretrained snapshot shown on it before any run (`pad export`; see README), in
    /// `static/pretrained/`.
    pub fn pretrained(self) -> Option<&'static str> {
        match self {
            Bundled::Mnist => Some("mnist-pad.padckpt"),
            Bundled::Fashion => None,
        }
    }
}
