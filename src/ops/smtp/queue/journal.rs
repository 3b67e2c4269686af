//! One queue entry's state file, `ID.state`: when it was queued, every attempt (time, exit class, the
//! server's reply) and the send journal, each rewrite atomic (`state::write_atomic`: temp, fsync, rename,
//! directory fsync):
//!
//! ```text
//! ferry-smtp-queue-state 1
//! queued 1767225600
//! phase queued               (queued | sending | sent)
//! attempt 1767225600 7 450 4.2.0 mailbox busy
//! ```
//!
//! The journal makes a crash between the server's 250 and the entry's removal harmless: `sending` is
//! made durable before DATA, `sent` right after the 250, and a flush that finds an entry still `sending`
//! does not send it again (at-most-once; see `--flush-queue` in smtp-send(1)). An entry without a state
//! file (written by an older ferry, or a crash between the message file and its state) counts as queued
//! at the message file's modification time, with no attempt yet.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};

const MAGIC: &str = "ferry-smtp-queue-state 1";
/// The largest state file read back.
const FILE_MAX: u64 = 256 * 1024;
/// The attempts kept (the oldest are forgotten; the count goes on).
const ATTEMPTS_KEPT: usize = 50;
/// The longest reply kept per attempt, in characters.
const REPLY_MAX: usize = 400;

/// Where an entry is in its send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Waiting for its next attempt.
    Queued,
    /// A send began (the envelope was accepted, DATA follows): found after a crash, the server may or
    /// may not have the message.
    Sending,
    /// The server answered 250; only the removal is left.
    Sent,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Queued => "queued",
            Phase::Sending => "sending",
            Phase::Sent => "sent",
        }
    }
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    /// Seconds since the Unix epoch.
    pub time: u64,
    /// The exit code this attempt alone would have had (7 transient, 6 permanent, ...).
    pub exit_code: u8,
    /// The server's reply, or what went wrong (one line).
    pub reply: String,
}

/// An entry's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// When the message was first queued (seconds since the Unix epoch).
    pub queued: u64,
    /// The send journal.
    pub phase: Phase,
    /// How many attempts were made (including forgotten ones).
    pub count: u32,
    /// The most recent attempts, oldest first.
    pub attempts: Vec<Attempt>,
}

/// The state file of the entry whose message file is `msg`.
pub fn path(msg: &Path) -> PathBuf {
    msg.with_extension("state")
}

fn bad(path: &Path, why: &str) -> Error {
    Error::new(
        ErrorKind::LocalIo,
        format!("{}: not a queue state file ({why})", path.display()),
    )
}

/// One line, bounded, without control characters.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(REPLY_MAX)
        .collect()
}

impl State {
    /// A state for an entry queued at `now`.
    pub fn new(now: u64) -> State {
        State {
            queued: now,
            phase: Phase::Queued,
            count: 0,
            attempts: Vec::new(),
        }
    }

    /// Adds an attempt.
    pub fn record(&mut self, time: u64, exit_code: u8, reply: &str) {
        self.count = self.count.saturating_add(1);
        self.attempts.push(Attempt {
            time,
            exit_code,
            reply: one_line(reply),
        });
        if self.attempts.len() > ATTEMPTS_KEPT {
            self.attempts.remove(0);
        }
    }

    /// The last attempt, if any.
    pub fn last(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut s = format!(
            "{MAGIC}\nqueued {}\nphase {}\ncount {}\n",
            self.queued,
            self.phase.name(),
            self.count
        );
        for a in &self.attempts {
            s.push_str(&format!(
                "attempt {} {} {}\n",
                a.time,
                a.exit_code,
                one_line(&a.reply)
            ));
        }
        s
    }

    /// Parses a state file's text.
    pub fn parse(text: &str, path: &Path) -> Result<State> {
        let mut lines = text.lines();
        if lines.next() != Some(MAGIC) {
            return Err(bad(path, "no header line"));
        }
        let mut st = State::new(0);
        let mut count = None;
        let num = |v: &str| v.parse::<u64>().map_err(|_| bad(path, "bad number"));
        for l in lines {
            let (k, v) = l.split_once(' ').unwrap_or((l, ""));
            match k {
                "queued" => st.queued = num(v)?,
                "count" => count = Some(u32::try_from(num(v)?).unwrap_or(u32::MAX)),
                "phase" => {
                    st.phase = match v {
                        "queued" => Phase::Queued,
                        "sending" => Phase::Sending,
                        "sent" => Phase::Sent,
                        _ => return Err(bad(path, "unknown phase")),
                    }
                }
                "attempt" => {
                    let mut f = v.splitn(3, ' ');
                    let time = num(f.next().unwrap_or(""))?;
                    let exit_code = u8::try_from(num(f.next().unwrap_or(""))?)
                        .map_err(|_| bad(path, "bad exit code"))?;
                    st.record(time, exit_code, f.next().unwrap_or(""));
                }
                _ => return Err(bad(path, "unknown line")),
            }
        }
        if let Some(c) = count {
            st.count = st.count.max(c);
        }
        Ok(st)
    }

    /// Reads the state of the entry whose message file is `msg` (see the module doc for a missing one).
    pub fn load(msg: &Path) -> Result<State> {
        let p = path(msg);
        match crate::state::read_optional(&p, FILE_MAX)? {
            Some(bytes) => {
                let text = String::from_utf8(bytes).map_err(|_| bad(&p, "not UTF-8"))?;
                State::parse(&text, &p)
            }
            None => {
                let queued = std::fs::metadata(msg)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs());
                Ok(State::new(queued))
            }
        }
    }

    /// Writes the state of the entry whose message file is `msg`, durably.
    pub fn save(&self, msg: &Path) -> Result<()> {
        crate::state::write_atomic(&path(msg), self.render().as_bytes())
    }
}

/// Removes an entry: its message file first (the entry is gone once it is), then its state file.
pub fn remove(msg: &Path) -> Result<()> {
    std::fs::remove_file(msg).map_err(|e| Error::local(msg.display(), e))?;
    match std::fs::remove_file(path(msg)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::local(path(msg).display(), e)),
    }
    if let Some(dir) = msg.parent() {
        crate::fsys::sync_dir(dir).map_err(|e| Error::local(dir.display(), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_it_did_not_write() {
        let mut st = State::new(100);
        st.record(100, 7, "connect: refused");
        st.record(2000, 7, "450 4.2.0 busy\r\ninjected");
        st.phase = Phase::Sending;
        let text = st.render();
        assert_eq!(
            text,
            "ferry-smtp-queue-state 1\nqueued 100\nphase sending\ncount 2\n\
             attempt 100 7 connect: refused\nattempt 2000 7 450 4.2.0 busy  injected\n"
        );
        let back = State::parse(&text, Path::new("s")).unwrap();
        assert_eq!(back.render(), text);
        for bad in [
            "",
            "ferry-smtp-queue-state 1\nphase maybe\n",
            "x\n",
            "ferry-smtp-queue-state 1\nattempt x 7 r\n",
        ] {
            assert!(State::parse(bad, Path::new("s")).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_the_latest_attempts_are_kept_but_all_counted() {
        let mut st = State::new(0);
        for i in 0..(ATTEMPTS_KEPT as u64 + 5) {
            st.record(i, 7, "r");
        }
        assert_eq!(st.attempts.len(), ATTEMPTS_KEPT);
        assert_eq!(st.count, ATTEMPTS_KEPT as u32 + 5);
        let back = State::parse(&st.render(), Path::new("s")).unwrap();
        assert_eq!(back.count, st.count);
        assert_eq!(back.attempts.first().map(|a| a.time), Some(5));
    }
}
