//! Per-item results and the one rule that turns them into a run's [`Outcome`].
//!
//! Every tool that handles several items (files, messages, recipients) records each as an [`ItemResult`]:
//! one [`ItemStatus`] vocabulary — `ok`, `skipped`, `failed` — serialised the same way by every `--json`,
//! and, for anything not `ok`, the error with the exit code it alone would have. A skip by design (a
//! symlink not followed, a message over `--max-size`) carries exit code 0 and is no failure; a skip the
//! user must see (an unsafe remote name) carries exit code 10 and counts as one.
//!
//! [`Tally`] decides the exit code of the run: nothing failed → 0; every item failed, all the same way →
//! that way's code; anything else with a failure → 10 (partial). A run-ending error after some items were
//! done is reported and makes the run partial; before any item was done it is the run's error.

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::json::ErrorJson;
use crate::ops::Outcome;

use super::ui::Ui;

/// How one item ended, as every tool's `--json` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    /// Done: transferred, stored, accepted.
    Ok,
    /// Left alone, on purpose or because it was unsafe (see the error's exit code).
    Skipped,
    /// Tried and failed.
    Failed,
}

/// One item's status and error; tools flatten it into their per-item JSON record.
#[derive(Debug, Clone, Serialize)]
pub struct ItemResult {
    /// How it ended.
    pub status: ItemStatus,
    /// What went wrong, or why it was skipped.
    pub error: Option<ErrorJson>,
    #[serde(skip)]
    failure: Option<ErrorKind>,
}

impl ItemResult {
    /// Done.
    pub fn ok() -> ItemResult {
        ItemResult {
            status: ItemStatus::Ok,
            error: None,
            failure: None,
        }
    }

    /// Tried and failed with `e`.
    pub fn failed(e: &Error) -> ItemResult {
        ItemResult {
            status: ItemStatus::Failed,
            error: Some(ErrorJson {
                exit_code: e.kind().exit_code(),
                message: e.to_string(),
            }),
            failure: Some(e.kind()),
        }
    }

    /// Skipped for a reason the user must act on (an unsafe name, a duplicate target): a failure that
    /// makes the run partial (exit 10).
    pub fn refused(e: &Error) -> ItemResult {
        ItemResult {
            status: ItemStatus::Skipped,
            error: Some(ErrorJson {
                exit_code: ErrorKind::Partial.exit_code(),
                message: e.to_string(),
            }),
            failure: Some(ErrorKind::Partial),
        }
    }

    /// Skipped by design (`why` says which rule), not a failure.
    pub fn skipped(why: impl Into<String>) -> ItemResult {
        ItemResult {
            status: ItemStatus::Skipped,
            error: Some(ErrorJson {
                exit_code: 0,
                message: why.into(),
            }),
            failure: None,
        }
    }

    /// Whether this item makes the run less than a success.
    pub fn is_failure(&self) -> bool {
        self.failure.is_some()
    }

    /// The kind of failure, when it is one.
    pub fn failure(&self) -> Option<ErrorKind> {
        self.failure
    }
}

/// The counts of a run's items and the rule that makes them an outcome.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Items done.
    pub ok: usize,
    /// Items skipped by design.
    pub skipped: usize,
    /// Items that failed (including refused skips).
    pub failed: usize,
    /// The kind shared by every failure so far (`None` once two kinds differ, or before any failure).
    common: Option<ErrorKind>,
    mixed: bool,
}

impl Tally {
    /// Counts every result of `items`.
    pub fn of<'a>(items: impl IntoIterator<Item = &'a ItemResult>) -> Tally {
        let mut t = Tally::default();
        for r in items {
            t.add(r);
        }
        t
    }

    /// Counts one result.
    pub fn add(&mut self, r: &ItemResult) {
        match (r.status, r.failure) {
            (_, Some(kind)) => self.add_failure(kind),
            (ItemStatus::Ok, None) => self.ok += 1,
            (_, None) => self.skipped += 1,
        }
    }

    /// Counts one failure of `kind`.
    pub fn add_failure(&mut self, kind: ErrorKind) {
        self.failed += 1;
        match self.common {
            None if !self.mixed => self.common = Some(kind),
            Some(k) if k != kind => {
                self.common = None;
                self.mixed = true;
            }
            _ => {}
        }
    }

    /// All items counted.
    pub fn total(&self) -> usize {
        self.ok + self.skipped + self.failed
    }

    /// The run's outcome. `noun` names the items in the summary (`files`, `messages`, `recipients`);
    /// `fatal` is the error that ended the run early, if any. Per-item failures were reported as they
    /// happened; this prints only the summary line (not under `-q` or `--json`) or the fatal error.
    pub fn outcome(&self, ui: &Ui, noun: &str, fatal: Option<Error>) -> Result<Outcome> {
        if let Some(e) = fatal {
            if self.ok == 0 {
                return Err(e);
            }
            ui.item_error(&e);
            return Ok(Outcome::Partial);
        }
        if self.failed == 0 {
            return Ok(Outcome::Success);
        }
        if self.failed == self.total()
            && let Some(kind) = self.common
            && kind != ErrorKind::Partial
        {
            if self.failed > 1 {
                ui.item_error(&Error::new(
                    kind,
                    format!("all {} {noun} failed", self.failed),
                ));
            }
            return Ok(Outcome::Failed(kind));
        }
        ui.notice(&format!(
            "{} of {} {noun} failed",
            self.failed,
            self.total()
        ));
        Ok(Outcome::Partial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::common::ui::OutputMode;

    fn ui() -> Ui {
        Ui::capturing("t", OutputMode::default())
    }

    fn err(kind: ErrorKind) -> Error {
        Error::new(kind, "x")
    }

    #[test]
    fn the_outcome_rule() {
        let ok = ItemResult::ok();
        let perm = ItemResult::failed(&err(ErrorKind::Permanent));
        let trans = ItemResult::failed(&err(ErrorKind::Transient));
        let unsafe_name = ItemResult::refused(&err(ErrorKind::LocalIo));
        let by_design = ItemResult::skipped("symlink");
        let u = ui();
        let outcome = |items: &[&ItemResult]| {
            Tally::of(items.iter().copied())
                .outcome(&u, "files", None)
                .unwrap()
        };
        assert_eq!(outcome(&[]), Outcome::Success);
        assert_eq!(outcome(&[&ok, &by_design]), Outcome::Success);
        assert_eq!(outcome(&[&perm]), Outcome::Failed(ErrorKind::Permanent));
        assert_eq!(
            outcome(&[&perm, &perm]),
            Outcome::Failed(ErrorKind::Permanent)
        );
        assert_eq!(outcome(&[&perm, &trans]), Outcome::Partial);
        assert_eq!(outcome(&[&ok, &perm]), Outcome::Partial);
        assert_eq!(outcome(&[&perm, &by_design]), Outcome::Partial);
        assert_eq!(outcome(&[&unsafe_name]), Outcome::Partial);
        assert_eq!(
            u.captured(),
            "t: error: all 2 files failed\nt: 2 of 2 files failed\nt: 1 of 2 files failed\nt: 1 of 2 files failed\nt: 1 of 1 files failed\n"
        );
    }

    #[test]
    fn a_fatal_error_is_the_runs_unless_something_was_done() {
        let u = ui();
        let none = Tally::default();
        let e = none
            .outcome(&u, "messages", Some(err(ErrorKind::Timeout)))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        let some = Tally::of([&ItemResult::ok()]);
        assert_eq!(
            some.outcome(&u, "messages", Some(err(ErrorKind::Timeout)))
                .unwrap(),
            Outcome::Partial
        );
        assert_eq!(u.captured(), "t: error: x\n");
    }

    #[test]
    fn statuses_serialise_as_one_vocabulary() {
        let json = serde_json::to_string(&[
            ItemResult::ok(),
            ItemResult::skipped("why"),
            ItemResult::failed(&err(ErrorKind::Permanent)),
        ])
        .unwrap();
        assert_eq!(
            json,
            r#"[{"status":"ok","error":null},{"status":"skipped","error":{"exit_code":0,"message":"why"}},{"status":"failed","error":{"exit_code":6,"message":"x"}}]"#
        );
    }
}
