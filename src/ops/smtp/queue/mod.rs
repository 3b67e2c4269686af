//! The `--queue DIR` of smtp-send: messages kept after a transient failure; `--flush-queue DIR URL`,
//! which tries them again on a schedule and gives them up with a notice; `--queue-list` and
//! `--queue-drop`.
//!
//! - [`entry`]: the message file `ID.msg` (envelope and message, written once, never changed).
//! - [`journal`]: the state file `ID.state` (attempts and the send journal, rewritten atomically).
//! - [`schedule`]: backoff (`--retry-after`, doubling, 4 h cap) and expiry (`--max-age`); the test clock.
//! - [`notice`]: the RFC 3464 non-delivery notice and its local fallback (`dead_letter`).
//! - [`flush`](mod@flush): `--flush-queue`, over a [`Delivery`]: [`relay`] (the run's server) or direct
//!   delivery (`ops::smtp::mx::flush`).
//! - [`admin`](mod@admin): `--queue-list`, `--queue-drop`.
//!
//! Queueing needs no lock (each entry is written under a fresh name); a flush holds `DIR/.lock` for its
//! whole run, so concurrent cron runs never send an entry twice.

pub mod admin;
pub mod entry;
pub mod flush;
pub mod journal;
pub mod notice;
pub mod relay;
pub mod schedule;

use std::path::{Path, PathBuf};

use crate::error::Result;

use super::job::Job;

pub use admin::{Admin, admin};
pub use flush::{Delivery, flush};
pub use relay::Relay;
pub use schedule::Schedule;

/// How a flush treats entries: its schedule, and where notices go when they cannot be sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// `--retry-after`, `--max-age`.
    pub schedule: Schedule,
    /// The account's `dead_letter` mailbox: a Maildir (a path ending in `/`, or a directory) or an mbox
    /// file, where a notice that cannot be sent is delivered.
    pub dead_letter: Option<PathBuf>,
}

/// Queues `job` for `rcpts` in DIR after a failed first attempt (`why`, one line) and returns the
/// message file's path. The attempt counts for the backoff: the entry is first due `--retry-after`
/// later.
pub fn enqueue(dir: &Path, job: &mut Job, rcpts: &[String]) -> Result<PathBuf> {
    enqueue_after(dir, job, rcpts, "not sent (transient failure)")
}

/// [`enqueue`] with the failed attempt's reply or error.
pub fn enqueue_after(dir: &Path, job: &mut Job, rcpts: &[String], why: &str) -> Result<PathBuf> {
    let path = entry::write(dir, job, rcpts)?;
    let now = schedule::now();
    let mut st = journal::State::new(now);
    st.record(now, crate::ErrorKind::Transient.exit_code(), why);
    if let Err(e) = st.save(&path) {
        // Not queued after all: the caller reports the failure, so the entry must not stay behind.
        let _ = journal::remove(&path);
        return Err(e);
    }
    Ok(path)
}
