//! `--queue-list DIR [--json]` and `--queue-drop ID --queue DIR`: what is waiting, and removing an entry
//! by hand. Neither talks to a server. Dropping takes the flush lock, so it never removes an entry a
//! running flush is sending.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::ops::Outcome;
use crate::ops::common::Ui;
use crate::time::rfc3339;

use super::entry;
use super::journal::{self, Attempt, Phase, State};
use super::schedule::{self, Schedule};

/// A queue administration run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admin {
    /// `--queue-list DIR`: the entries, with when each is tried next under `Schedule`.
    List(PathBuf, Schedule),
    /// `--queue-drop ID --queue DIR`.
    Drop(PathBuf, String),
}

/// One entry in `--queue-list --json`.
#[derive(Debug, Serialize)]
pub struct ListedJson {
    /// The ID (for `--queue-drop`).
    pub id: String,
    /// The envelope sender (empty: the null sender).
    pub from: String,
    /// The recipients still waiting.
    pub recipients: Vec<String>,
    /// When it was queued (RFC 3339).
    pub queued: String,
    /// Seconds since it was queued.
    pub age: u64,
    /// Attempts so far.
    pub attempts: u32,
    /// When a flush tries it next (RFC 3339); an expired entry is given up by the next flush.
    pub next_attempt: String,
    /// `queued`, `sending` (a flush was interrupted: given up as uncertain by the next) or `sent`.
    pub phase: Phase,
    /// The latest attempts (time, exit code, reply), oldest first.
    pub history: Vec<Attempt>,
}

/// `--queue-list` or `--queue-drop`.
pub fn admin(a: &Admin, ui: &Ui) -> Result<Outcome> {
    match a {
        Admin::List(dir, sched) => list(dir, sched, ui),
        Admin::Drop(dir, id) => drop_entry(dir, id, ui),
    }
}

/// A duration for people: `3d4h`, `25m`, `40s`.
fn human(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h{m:02}m"),
        (d, h, _) => format!("{d}d{h}h"),
    }
}

fn list(dir: &std::path::Path, sched: &Schedule, ui: &Ui) -> Result<Outcome> {
    let now = schedule::now();
    let mut out = Vec::new();
    let paths = match entry::entries(dir) {
        Err(e) if !dir.exists() => return Err(e.within("--queue-list")),
        r => r?,
    };
    for path in paths {
        let id = entry::id_of(&path);
        let (job, st) = match (entry::load(&path), State::load(&path)) {
            (Ok(j), Ok(s)) => (j, s),
            (Err(e), _) | (_, Err(e)) => {
                ui.item_error(&e.within(&id));
                continue;
            }
        };
        out.push(ListedJson {
            id,
            from: job.from.clone(),
            recipients: job.rcpts.clone(),
            queued: rfc3339(st.queued),
            age: now.saturating_sub(st.queued),
            attempts: st.count,
            next_attempt: rfc3339(sched.next_attempt(&st).max(now)),
            phase: st.phase,
            history: st.attempts.clone(),
        });
    }
    if ui.json() {
        ui.print_json(&out)?;
        return Ok(Outcome::Success);
    }
    let mut text = String::new();
    for e in &out {
        let last = e.history.last().map_or("-", |a| a.reply.as_str());
        let next = if e.phase == Phase::Queued {
            e.next_attempt.clone()
        } else {
            format!("({:?})", e.phase).to_lowercase()
        };
        text.push_str(&format!(
            "{}  age {}  attempts {}  next {}  <{}> -> {}  last: {}\n",
            e.id,
            human(e.age),
            e.attempts,
            next,
            e.from,
            e.recipients
                .iter()
                .map(|r| format!("<{r}>"))
                .collect::<Vec<_>>()
                .join(" "),
            crate::terminal::escape(last)
        ));
    }
    use std::io::Write;
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| Error::local("standard output", e))?;
    Ok(Outcome::Success)
}

fn drop_entry(dir: &std::path::Path, id: &str, ui: &Ui) -> Result<Outcome> {
    let path = entry::path_of(dir, id)?;
    let _lock = crate::state::RunLock::dir(dir, Duration::from_secs(10))?;
    if !path.exists() {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("no entry {id:?} in {}", dir.display()),
        ));
    }
    journal::remove(&path)?;
    ui.note(&format!("dropped {id}"));
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_people_write_them() {
        assert_eq!(human(40), "40s");
        assert_eq!(human(25 * 60), "25m");
        assert_eq!(human(3600 + 5 * 60), "1h05m");
        assert_eq!(human(3 * 86_400 + 4 * 3600 + 59), "3d4h");
    }
}
