//! The page's URL parameters (`?device=webgpu`), parsed in plain Rust. An invalid value falls back
//! to the default with a note the page shows; nothing in a URL can break the page.

use super::protocol::DeviceChoice;

/// What the URL asks for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageParams {
    pub device: DeviceChoice,
    /// One line per ignored parameter or value.
    pub notes: Vec<String>,
}

/// Longest value quoted back in a note.
const QUOTE: usize = 40;

fn quote(v: &str) -> String {
    let mut s: String = v.chars().take(QUOTE).collect();
    if v.chars().count() > QUOTE {
        s.push('…');
    }
    s
}

impl PageParams {
    /// Parse a query string (with or without the leading `?`).
    pub fn parse(query: &str) -> Self {
        let mut p = PageParams::default();
        let query = query.strip_prefix('?').unwrap_or(query);
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "device" => match value.parse() {
                    Ok(d) => p.device = d,
                    Err(_) => p.notes.push(format!("device '{}' is not auto, webgpu or cpu: using auto", quote(&value))),
                },
                other => p.notes.push(format!("unknown parameter '{}' ignored", quote(other))),
            }
        }
        p
    }
}
