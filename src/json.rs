//! `--json` output: one document on stdout, written in one go, so a closed pipe or a full disk is an error
//! like any other output failure.

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};

/// An error in JSON output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorJson {
    /// The exit code this error alone would have.
    pub exit_code: u8,
    /// The message.
    pub message: String,
}

/// Prints `doc` as pretty JSON followed by a newline on stdout.
pub fn print(doc: &impl Serialize) -> Result<()> {
    // Rendered first, written in one go: stdout is line-buffered, and a pretty document written to it
    // directly costs one write(2) per line (tens of thousands for a large listing).
    let mut bytes = serde_json::to_vec_pretty(doc)
        .map_err(|e| Error::local("stdout", std::io::Error::from(e)))?;
    bytes.push(b'\n');
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)
        .and_then(|_| out.flush())
        .map_err(|e| Error::local("stdout", e))
}
