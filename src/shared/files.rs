//! Files the user hands over, as the page reads them and the trainer receives them.

use serde::{Deserialize, Serialize};

/// A file's name and bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamedFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl NamedFile {
    pub fn new(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self { name: name.into(), bytes }
    }

    /// Test split by the official naming (`test_batch.bin`, `test_32x32.mat`, `t10k-…`).
    pub fn is_test(&self) -> bool {
        let n = self.name.to_ascii_lowercase();
        n.contains("test") || n.contains("t10k")
    }
}
