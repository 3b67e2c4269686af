//! Per-file records of a multi-file transfer (ftp-get, ftp-put) and the end of such a run.
//!
//! `--json` prints `{"files": [...]}` with `{url, path, bytes, status, error}` each; the status words and
//! the exit-code rule are the common [`ItemResult`] and [`Tally`]'s, so this module owns only the record's
//! shape.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::ops::Outcome;
use crate::ops::common::{ItemResult, Tally, Ui};

/// One file's result, as printed with `--json`.
#[derive(Debug, Serialize)]
pub struct FileRecord {
    /// The remote URL (without password).
    pub url: String,
    /// The local path (`-` for stdout or stdin).
    pub path: String,
    /// Bytes transferred in this run, or the file's size when it was already complete.
    pub bytes: u64,
    /// `ok`, `skipped` or `failed`, and the error.
    #[serde(flatten)]
    pub result: ItemResult,
    /// What was done when it was not a transfer: `deleted` (`--delete`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'static str>,
}

impl FileRecord {
    /// A file transferred completely.
    pub fn ok(url: String, path: String, bytes: u64) -> FileRecord {
        FileRecord {
            url,
            path,
            bytes,
            result: ItemResult::ok(),
            action: None,
        }
    }

    /// A target entry removed by `--delete`.
    pub fn deleted(url: String, path: String) -> FileRecord {
        FileRecord {
            url,
            path,
            bytes: 0,
            result: ItemResult::ok(),
            action: Some("deleted"),
        }
    }

    /// A file that failed with `e`.
    pub fn failed(url: String, path: String, e: &Error) -> FileRecord {
        FileRecord {
            url,
            path,
            bytes: 0,
            result: ItemResult::failed(e),
            action: None,
        }
    }

    /// A file skipped for a reason the user must act on (an unsafe name): counts as a failure (exit 10).
    pub fn refused(url: String, path: String, e: &Error) -> FileRecord {
        FileRecord {
            url,
            path,
            bytes: 0,
            result: ItemResult::refused(e),
            action: None,
        }
    }

    /// A file left alone by design (a symlink not followed), with the reason: not a failure.
    pub fn skipped(url: String, path: String, why: &str) -> FileRecord {
        FileRecord {
            url,
            path,
            bytes: 0,
            result: ItemResult::skipped(why),
            action: None,
        }
    }

    /// Marks a file reported as transferred as failed after all (its commit failed).
    pub fn fail(&mut self, e: &Error) {
        self.bytes = 0;
        self.result = ItemResult::failed(e);
    }
}

/// Prints the `--json` document when asked and derives the run's outcome from the records.
pub fn finish(ui: &Ui, records: &[FileRecord]) -> Result<Outcome> {
    for r in records {
        ui.log(&crate::ops::common::LogRecord {
            server: &r.url,
            item: &r.path,
            size: Some(r.bytes),
            result: &r.result,
            reply: r.action,
            queue_id: None,
        });
    }
    if ui.json() {
        ui.print_json(&serde_json::json!({ "files": records }))?;
    }
    Tally::of(records.iter().map(|r| &r.result)).outcome(ui, "files", None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn records_keep_their_json_field_names_and_status_words() {
        let e = Error::new(ErrorKind::Permanent, "RETR a: 550 gone");
        let mut late = FileRecord::ok("ftp://h/b".into(), "b".into(), 3);
        late.fail(&Error::new(ErrorKind::LocalIo, "b: disk full"));
        let records = [
            FileRecord::ok("ftp://h/c".into(), "c".into(), 7),
            FileRecord::failed("ftp://h/a".into(), "a".into(), &e),
            FileRecord::skipped("ftp://h/l".into(), "l".into(), "symlink (not followed)"),
            FileRecord::refused("ftp://h/x".into(), String::new(), &e),
            late,
        ];
        let json = serde_json::to_string(&records).unwrap();
        assert_eq!(
            json,
            concat!(
                r#"[{"url":"ftp://h/c","path":"c","bytes":7,"status":"ok","error":null},"#,
                r#"{"url":"ftp://h/a","path":"a","bytes":0,"status":"failed","error":{"exit_code":6,"message":"RETR a: 550 gone"}},"#,
                r#"{"url":"ftp://h/l","path":"l","bytes":0,"status":"skipped","error":{"exit_code":0,"message":"symlink (not followed)"}},"#,
                r#"{"url":"ftp://h/x","path":"","bytes":0,"status":"skipped","error":{"exit_code":10,"message":"RETR a: 550 gone"}},"#,
                r#"{"url":"ftp://h/b","path":"b","bytes":0,"status":"failed","error":{"exit_code":8,"message":"b: disk full"}}]"#
            )
        );
    }
}
