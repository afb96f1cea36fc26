//! The page's URL parameters, parsed in plain Rust, and the share link built from the page's
//! state. An invalid value falls back to its default with a note the page shows; nothing in a
//! URL can break the page.
//!
//! `?dataset=mnist&variant=pad&epochs=5&batch=32&lr=2e-4&seed=1&images=1024&probe=0`
//! `&device=auto&view=dreams&embed=1&autostart=1&pretrained=0&autopause=0`

pub use super::bundled::Bundled;
use super::protocol::DeviceChoice;
use super::settings::{Field, Form, Settings};
use crate::quote;

/// Which parts of the page an embed shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// Everything.
    #[default]
    All,
    /// The four phase views and progress: reconstructions and dreams.
    Dreams,
    /// Progress and the loss and probe plots.
    Plots,
}

impl View {
    pub fn name(self) -> &'static str {
        match self {
            View::All => "all",
            View::Dreams => "dreams",
            View::Plots => "plots",
        }
    }
}

/// What the URL asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct PageParams {
    pub device: DeviceChoice,
    pub dataset: Bundled,
    /// The settings form's starting values (every invalid one replaced by its default).
    pub form: Form,
    pub view: View,
    /// The compact layout for an iframe (640×480).
    pub embed: bool,
    /// Start training as soon as the data is loaded.
    pub autostart: bool,
    /// Show the pretrained snapshot of the bundled MNIST before any run (`pretrained=0`: don't).
    pub pretrained: bool,
    /// Pause training while the page is out of sight (hidden tab, embed scrolled away) and resume
    /// when it is back (`autopause=0`: keep training).
    pub autopause: bool,
    /// One line per ignored parameter or value.
    pub notes: Vec<String>,
}

impl Default for PageParams {
    fn default() -> Self {
        Self {
            device: DeviceChoice::default(),
            dataset: Bundled::default(),
            form: Form::from(&Settings::default()),
            view: View::default(),
            embed: false,
            autostart: false,
            pretrained: true,
            autopause: true,
            notes: Vec::new(),
        }
    }
}

/// A device reporting this much memory or less (GB) gets [`SMALL_DEVICE_SETTINGS`].
pub const SMALL_DEVICE_GB: f64 = 4.0;
/// Batch size and images per epoch on a small device.
pub const SMALL_DEVICE_SETTINGS: (usize, usize) = (16, 512);

/// Longest query read; the rest is ignored (with a note).
pub const MAX_QUERY: usize = 2048;

/// A switch's value: 1/0, true/false, yes/no, on/off.
fn flag(value: &str) -> Option<bool> {
    <bool as super::settings::Value>::read(value).ok()
}

impl PageParams {
    /// Parse a query string (with or without the leading `?`).
    pub fn parse(query: &str) -> Self {
        let mut p = PageParams::default();
        let mut query = query.strip_prefix('?').unwrap_or(query);
        if query.len() > MAX_QUERY {
            let cut = (0..=MAX_QUERY).rev().find(|&i| query.is_char_boundary(i)).unwrap_or(0);
            query = &query[..cut];
            p.notes.push(format!("the address is longer than {MAX_QUERY} characters: the rest is ignored"));
        }
        let mut given = Vec::new();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let (key, value) = (key.as_ref(), value.trim());
            let bad = |what: &str| format!("{key} '{}' {what}: using the default", quote(value));
            match key {
                "device" => match value.parse() {
                    Ok(d) => p.device = d,
                    Err(_) => p.notes.push(bad("is not auto, webgpu or cpu")),
                },
                "dataset" => match Bundled::parse(value) {
                    Some(b) => p.dataset = b,
                    None => p.notes.push(bad("is not a bundled dataset (mnist or fashion)")),
                },
                "view" => match value {
                    "all" => p.view = View::All,
                    "dreams" => p.view = View::Dreams,
                    "plots" => p.view = View::Plots,
                    _ => p.notes.push(bad("is not all, dreams or plots")),
                },
                "embed" | "autostart" | "pretrained" | "autopause" => match (flag(value), key) {
                    (Some(v), "embed") => p.embed = v,
                    (Some(v), "autostart") => p.autostart = v,
                    (Some(v), "autopause") => p.autopause = v,
                    (Some(v), _) => p.pretrained = v,
                    (None, _) => p.notes.push(bad("is not 1 or 0")),
                },
                other => match Field::from_key(other) {
                    Some(field) if p.form.set_text(field, value) => given.push((field, value.to_string())),
                    Some(field) => p.notes.push(format!("{other} '{}': {}; using the default", quote(value), field.message())),
                    None => p.notes.push(format!("unknown parameter '{}' ignored", quote(other))),
                },
            }
        }
        // A variant without its weights means the variant's preset.
        p.form.preset_except(&given.iter().map(|g| g.0).collect::<Vec<_>>());
        // Settings are checked together (images ≥ batch…); each one that fails goes back to its default.
        if let Err(errors) = p.form.parse(None) {
            let default = p.form.preset();
            for (field, value) in given {
                if let Some(e) = errors.iter().find(|e| e.field == field) {
                    p.form.set_text(field, &default.text(field));
                    p.notes.push(format!("{} '{}': {}; using the default", field.key(), quote(&value), e.message));
                }
            }
            if p.form.parse(None).is_err() {
                p.form = default;
            }
        }
        p
    }

    /// Fit a device that reports `gigabytes` of memory (`navigator.deviceMemory`, Chromium only):
    /// at [`SMALL_DEVICE_GB`] or less, a smaller batch and subset ([`SMALL_DEVICE_SETTINGS`])
    /// unless the address chose them, said in a note. A phone's browser ends a tab long before a
    /// desktop's would.
    pub fn fit_device(&mut self, gigabytes: Option<f64>) {
        let Some(gb) = gigabytes.filter(|gb| *gb <= SMALL_DEVICE_GB) else { return };
        let default = Form::from(&Settings::default());
        let (batch, images) = SMALL_DEVICE_SETTINGS;
        let mut changed = Vec::new();
        for (field, value) in [(Field::BatchSize, batch), (Field::ImagesPerEpoch, images)] {
            if self.form.text(field).trim() == default.text(field) {
                self.form.set_text(field, &value.to_string());
                changed.push(format!("{} {value}", field.label().to_lowercase()));
            }
        }
        if !changed.is_empty() {
            self.notes.push(format!(
                "this device reports {gb} GB of memory: {} by default, to keep the tab small (set them higher if it copes)",
                changed.join(", ")
            ));
        }
    }

    /// The query string that reproduces this page: settings, dataset, device, view (defaults left
    /// out), plus `embed` and `autostart` when set.
    pub fn to_query(&self) -> String {
        let default = PageParams::default();
        let mut q = form_urlencoded::Serializer::new(String::new());
        if self.dataset != default.dataset {
            q.append_pair("dataset", self.dataset.name());
        }
        // The phase weights are left out when they are the variant's preset.
        let preset = self.form.preset();
        for &field in Field::ALL {
            let v = self.form.text(field);
            let base = if Field::PRESET.contains(&field) { &preset } else { &default.form };
            if v.trim() != base.text(field) {
                q.append_pair(field.key(), v.trim());
            }
        }
        if self.device != default.device {
            q.append_pair("device", self.device.name());
        }
        if self.view != default.view {
            q.append_pair("view", self.view.name());
        }
        if self.embed {
            q.append_pair("embed", "1");
        }
        if self.autostart {
            q.append_pair("autostart", "1");
        }
        if !self.pretrained {
            q.append_pair("pretrained", "0");
        }
        if !self.autopause {
            q.append_pair("autopause", "0");
        }
        q.finish()
    }

    /// An iframe snippet that embeds the page at `base` (its address without the query) with these
    /// parameters, in the compact layout: 640×480, and a few lines that let the frame take the
    /// height the page posts (`postMessage`, type `pad-height`) — without them the fixed size stays.
    pub fn embed_code(&self, base: &str) -> String {
        let embedded = PageParams { embed: true, notes: Vec::new(), ..self.clone() };
        let src = format!("{base}?{}", embedded.to_query()).replace('&', "&amp;").replace('"', "&quot;");
        format!(
            "<iframe src=\"{src}\" width=\"640\" height=\"480\" style=\"border:0\" title=\"PAD — Perturbed and Adversarial Dreaming, live\" allow=\"clipboard-write\"></iframe>\n\
             <script>addEventListener(\"message\",e=>{{if(e.data&&e.data.type===\"pad-height\")for(const f of document.querySelectorAll(\"iframe\"))if(f.contentWindow===e.source)f.height=Math.min(4000,Math.ceil(+e.data.height)||480)}})</script>"
        )
    }
}
