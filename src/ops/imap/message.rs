//! `imap-message`: change messages on the server without downloading them — flag, unflag, copy, move,
//! delete, expire — chosen by UID SEARCH (`--search`, `--uid`, `--older-than`), in UID sets of ranges cut
//! to a bounded command length ([`set::split`]), one command per set and action step, never one per
//! message. `append` (upload) lives in [`super::append`].
//!
//! Deleting never removes more than was chosen: with UIDPLUS the chosen UIDs are expunged with UID
//! EXPUNGE; without it plain EXPUNGE would also remove every other message some client marked \Deleted,
//! so the run refuses (exit 6, before any change) unless `--expunge-all` says that is fine. `move` uses
//! MOVE when offered, else COPY + \Deleted + the same expunge rule. `--dry-run` opens the mailbox
//! read-only (EXAMINE), searches, and reports each UID as `skipped` ("dry run: would …") without changing
//! anything. Each UID gets an [`ItemResult`]; the exit code is [`Tally::outcome`]'s.

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::imap::actions::{CopyUid, FlagOp};
use crate::imap::{Session, date, quote, set};
use crate::ops::Outcome;
use crate::ops::common::{Connector, ItemResult, Login, NetOptions, Tally, Ui};
use crate::ops::imap::connect::opener;
use crate::sasl::Mechanism;
use crate::url::Target;

/// What to do with the chosen messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Add flags (`\Seen`, `$Label1`).
    Flag(Vec<String>),
    /// Remove flags.
    Unflag(Vec<String>),
    /// Copy to a mailbox (UTF-8).
    Copy(String),
    /// Move to a mailbox (UTF-8).
    Move(String),
    /// Delete (\Deleted + UID EXPUNGE).
    Delete,
    /// Delete what `--older-than` chose (the same as delete; named for what users ask for).
    Expire,
}

impl Action {
    /// The name the user typed.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Flag(_) => "flag",
            Action::Unflag(_) => "unflag",
            Action::Copy(_) => "copy",
            Action::Move(_) => "move",
            Action::Delete => "delete",
            Action::Expire => "expire",
        }
    }

    fn expunges(&self) -> bool {
        matches!(self, Action::Move(_) | Action::Delete | Action::Expire)
    }
}

/// Which messages: the conditions are ANDed; at least one is given (checked by `cli`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// `--search CRITERIA` (IMAP SEARCH syntax).
    pub search: Option<String>,
    /// `--uid SET` (`4,7:9`).
    pub uids: Option<String>,
    /// `--older-than DAYS`: (days, by the Date header instead of INTERNALDATE).
    pub older_than: Option<(u32, bool)>,
}

impl Selection {
    /// The UID SEARCH criteria, with `today` (days since 1970-01-01, UTC) for `--older-than`.
    pub fn criteria(&self, today: i64) -> String {
        let mut c: Vec<String> = Vec::new();
        if let Some(u) = &self.uids {
            c.push(format!("UID {u}"));
        }
        if let Some((days, sent)) = self.older_than {
            let key = if sent { "SENTBEFORE" } else { "BEFORE" };
            c.push(format!(
                "{key} {}",
                date::search_date(today - i64::from(days))
            ));
        }
        if let Some(s) = &self.search {
            c.push(if c.is_empty() {
                s.clone()
            } else {
                format!("({s})")
            });
        }
        if c.is_empty() {
            c.push("ALL".into());
        }
        c.join(" ")
    }
}

/// What imap-message does (every action but append).
#[derive(Debug, Clone)]
pub struct Options {
    /// The server (its path is [`Options::mailbox`]).
    pub target: Target,
    /// The mailbox acted on (UTF-8).
    pub mailbox: String,
    /// Connection, TLS, credentials.
    pub net: NetOptions,
    /// `--auth`.
    pub auth: Option<Mechanism>,
    /// The messages.
    pub select: Selection,
    /// The action.
    pub action: Action,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--expunge-all`: allow plain EXPUNGE when the server lacks UIDPLUS.
    pub expunge_all: bool,
}

/// One UID's result.
#[derive(Debug, Serialize)]
pub struct UidResult {
    /// The UID in the mailbox acted on.
    pub uid: u32,
    /// ok, skipped (dry run) or failed.
    #[serde(flatten)]
    pub result: ItemResult,
    /// Its UID in the destination of copy/move, when the server said (COPYUID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dest_uid: Option<u32>,
}

#[derive(Serialize)]
struct Doc<'a> {
    action: &'a str,
    mailbox: &'a str,
    dry_run: bool,
    messages: &'a [UidResult],
}

/// Days since 1970-01-01 now (UTC).
fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs / 86_400).unwrap_or(0)
}

/// Runs one imap-message action.
pub fn run(opts: &Options, ui: &Ui) -> Result<Outcome> {
    let conn = Connector::for_target(opts.target.clone(), &opts.net, Login::Required)?;
    let mut s = conn.open(ui, opener(opts.auth))?;
    let mut results: Vec<UidResult> = Vec::new();
    let outcome = act(opts, ui, &mut s, &mut results);
    let fatal = end_session(s, outcome);
    let tally = Tally::of(results.iter().map(|r| &r.result));
    if ui.json() {
        ui.print_json(&Doc {
            action: opts.action.name(),
            mailbox: &opts.mailbox,
            dry_run: opts.dry_run,
            messages: &results,
        })?;
    }
    tally.outcome(ui, "messages", fatal)
}

fn act(opts: &Options, ui: &Ui, s: &mut Session, out: &mut Vec<UidResult>) -> Result<()> {
    let sel = s.select(&opts.mailbox, opts.dry_run)?;
    if !opts.dry_run && sel.read_only {
        return Err(Error::new(
            ErrorKind::Permanent,
            format!(
                "{}: the mailbox is read-only",
                crate::terminal::escape(&opts.mailbox)
            ),
        ));
    }
    // Checked before any change: without UIDPLUS only EXPUNGE of everything \Deleted is possible.
    let move_native = matches!(opts.action, Action::Move(_)) && s.has_move();
    if opts.action.expunges() && !move_native && !s.has_uidplus() && !opts.expunge_all {
        return Err(Error::new(
            ErrorKind::Permanent,
            "the server lacks UIDPLUS, so the chosen messages cannot be expunged alone (plain EXPUNGE \
             also removes every other message marked \\Deleted); nothing was changed; use --expunge-all \
             to allow that",
        ));
    }
    let uids = s.uid_search(&quote::search(&opts.select.criteria(today()))?)?;
    if opts.dry_run {
        let what = match &opts.action {
            Action::Flag(f) => format!("flag {}", f.join(" ")),
            Action::Unflag(f) => format!("unflag {}", f.join(" ")),
            Action::Copy(m) => format!("copy to {m}"),
            Action::Move(m) => format!("move to {m}"),
            Action::Delete | Action::Expire => "delete".to_string(),
        };
        for uid in uids {
            if !ui.json() {
                stdout_line(&format!(
                    "would {} UID {uid}",
                    crate::terminal::escape(&what)
                ))?;
            }
            out.push(UidResult {
                uid,
                result: ItemResult::skipped(format!("dry run: would {what}")),
                dest_uid: None,
            });
        }
        return Ok(());
    }
    let mut flagged_deleted = false;
    for (piece, members) in set::split(&uids, set::MAX_SET_LEN) {
        let r = step(opts, s, &piece, move_native);
        let (result, copy) = match r {
            Ok(c) => (ItemResult::ok(), c),
            // A refusal of this set: the next set may still go.
            Err(e) if matches!(e.kind(), ErrorKind::Permanent) => {
                ui.item_error(&e);
                (ItemResult::failed(&e), None)
            }
            Err(e) => return Err(e),
        };
        if result.failure().is_none() && opts.action.expunges() && !s.has_uidplus() && !move_native
        {
            flagged_deleted = true;
        }
        let dest = copy.as_ref().and_then(|c| dest_map(c, &members));
        for (i, uid) in members.iter().enumerate() {
            out.push(UidResult {
                uid: *uid,
                result: result.clone(),
                dest_uid: dest.as_ref().and_then(|d| d.get(i).copied()),
            });
        }
    }
    if flagged_deleted {
        s.expunge_all()?;
    }
    Ok(())
}

/// The action's commands for one UID set; the COPYUID of copy/move when the server gave one.
fn step(
    opts: &Options,
    s: &mut Session,
    piece: &str,
    move_native: bool,
) -> Result<Option<CopyUid>> {
    let deleted = ["\\Deleted".to_string()];
    match &opts.action {
        Action::Flag(f) => s.uid_store(piece, FlagOp::Add, f).map(|_| None),
        Action::Unflag(f) => s.uid_store(piece, FlagOp::Remove, f).map(|_| None),
        Action::Copy(m) => s.uid_copy(piece, m),
        Action::Move(m) if move_native => s.uid_move_only(piece, m),
        Action::Move(m) => {
            let c = s.uid_copy(piece, m)?;
            s.uid_store(piece, FlagOp::Add, &deleted)?;
            if s.has_uidplus() {
                s.uid_expunge(piece)?;
            }
            Ok(c)
        }
        Action::Delete | Action::Expire => {
            s.uid_store(piece, FlagOp::Add, &deleted)?;
            if s.has_uidplus() {
                s.uid_expunge(piece)?;
            }
            Ok(None)
        }
    }
}

/// A line of data on stdout (the dry run's plan; also under `-q`).
pub(super) fn stdout_line(line: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").map_err(|e| Error::local("stdout", e))
}

/// The destination UID of each of `members` (ascending) from a COPYUID, when its sets line up.
fn dest_map(c: &CopyUid, members: &[u32]) -> Option<Vec<u32>> {
    let src = set::expand(&c.source, members.len())?;
    let dst = set::expand(&c.dest, members.len())?;
    if src.len() != dst.len() {
        return None;
    }
    let pairs: std::collections::HashMap<u32, u32> = src.into_iter().zip(dst).collect();
    members.iter().map(|u| pairs.get(u).copied()).collect()
}

/// Ends a session after its work: LOGOUT when it is still in step (done, or a refusal), else just
/// drops the connection; the work's error, if any, is handed back.
pub(super) fn end_session(s: Session, outcome: Result<()>) -> Option<Error> {
    match outcome {
        Ok(()) => {
            s.logout();
            None
        }
        Err(e) if e.kind() == ErrorKind::Permanent => {
            s.logout();
            Some(e)
        }
        Err(e) => {
            s.close();
            Some(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_and_them() {
        let mut sel = Selection {
            search: Some("FROM \"bob\" UNSEEN".into()),
            ..Selection::default()
        };
        assert_eq!(sel.criteria(19_727), "FROM \"bob\" UNSEEN");
        sel.uids = Some("4,7:9".into());
        sel.older_than = Some((30, false));
        assert_eq!(
            sel.criteria(19_727),
            "UID 4,7:9 BEFORE 6-Dec-2023 (FROM \"bob\" UNSEEN)"
        );
        let sent = Selection {
            older_than: Some((1, true)),
            ..Selection::default()
        };
        assert_eq!(sent.criteria(19_727), "SENTBEFORE 4-Jan-2024");
        assert_eq!(Selection::default().criteria(0), "ALL");
    }
}
