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
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, doc)
        .map_err(|e| Error::local("stdout", std::io::Error::from(e)))?;
    out.write_all(b"\n")
        .and_then(|_| out.flush())
        .map_err(|e| Error::local("stdout", e))
}
