//! Per-file results of a multi-file transfer (ftp-get, ftp-put) and the run's outcome derived from them.
//!
//! Each file ends as `ok`, `failed` or `skipped`; `--json` prints them as `{"files": [...]}` with
//! `{url, path, bytes, status, error}` each. A skipped file counts as a failure when it was skipped for a
//! reason the user must see (an unsafe name); a skip by design (a remote symlink that is not followed)
//! does not. All ok → exit 0; every file failed the same way → that failure's code; otherwise exit 10.

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::ops::Outcome;

/// One file's result, as printed with `--json`.
#[derive(Debug, Serialize)]
pub struct FileResult {
    /// The remote URL (without password).
    pub url: String,
    /// The local path (`-` for stdout or stdin).
    pub path: String,
    /// Bytes transferred in this run, or the file's size when it was already complete.
    pub bytes: u64,
    /// `ok`, `failed` or `skipped`.
    pub status: &'static str,
    /// What went wrong.
    pub error: Option<ErrorJson>,
    #[serde(skip)]
    kind: Option<ErrorKind>,
}

pub use crate::json::ErrorJson;

impl FileResult {
    /// A file transferred completely.
    pub fn ok(url: String, path: String, bytes: u64) -> FileResult {
        FileResult {
            url,
            path,
            bytes,
            status: "ok",
            error: None,
            kind: None,
        }
    }

    /// Marks a file reported as transferred as failed after all (its commit failed).
    pub fn fail(&mut self, e: &Error) {
        *self = FileResult::failed(
            std::mem::take(&mut self.url),
            std::mem::take(&mut self.path),
            e,
            "failed",
        );
    }

    /// A file that failed (`failed`) or was skipped as unsafe (`skipped`, counted as a partial failure).
    pub fn failed(url: String, path: String, e: &Error, status: &'static str) -> FileResult {
        let kind = if status == "skipped" {
            ErrorKind::Partial
        } else {
            e.kind()
        };
        FileResult {
            url,
            path,
            bytes: 0,
            status,
            error: Some(ErrorJson {
                exit_code: kind.exit_code(),
                message: e.to_string(),
            }),
            kind: Some(kind),
        }
    }

    /// A file left alone by design (not a failure), with the reason.
    pub fn ignored(url: String, path: String, why: String) -> FileResult {
        FileResult {
            url,
            path,
            bytes: 0,
            status: "skipped",
            error: Some(ErrorJson {
                exit_code: 0,
                message: why,
            }),
            kind: None,
        }
    }

    /// Whether this result makes the run less than a success.
    pub fn is_failure(&self) -> bool {
        self.kind.is_some()
    }
}

/// Prints the JSON document when asked and derives the outcome: all ok → success; every file failed the
/// same way → that failure's error; else partial (exit 10).
pub fn finish(tool: &str, json: bool, quiet: bool, results: Vec<FileResult>) -> Result<Outcome> {
    if json {
        let doc = serde_json::json!({ "files": results });
        crate::json::print(&doc)?;
    }
    let failures: Vec<&FileResult> = results.iter().filter(|r| r.is_failure()).collect();
    if failures.is_empty() {
        return Ok(Outcome::Success);
    }
    let kinds: Vec<ErrorKind> = failures.iter().filter_map(|r| r.kind).collect();
    let all_failed = failures.len() == results.len();
    if all_failed && kinds.iter().all(|k| *k == kinds[0]) && kinds[0] != ErrorKind::Partial {
        let msg = failures[0]
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default();
        if results.len() == 1 {
            // Printed as it happened (or in the JSON); exit with its code without printing it twice.
            return Err(Error::new(kinds[0], msg).reported(!json));
        }
        return Err(Error::new(
            kinds[0],
            format!("all {} files failed", results.len()),
        ));
    }
    if !json && !quiet {
        eprintln!(
            "{tool}: {} of {} files failed",
            failures.len(),
            results.len()
        );
    }
    Ok(Outcome::Partial)
}
