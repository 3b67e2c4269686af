//! The `--queue DIR` of smtp-send: messages kept after a transient failure, and `--flush-queue DIR URL`,
//! which sends them again.
//!
//! A queue file is the envelope followed by the message exactly as it would have been sent (Bcc already
//! removed, Date and Message-ID already added):
//!
//! ```text
//! ferry-smtp-queue 1
//! from ann@example.com
//! to bob@example.org
//! flags 8bit smtputf8        (either word optional)
//!
//! <the message>
//! ```
//!
//! Files are written durably (a temporary file in DIR, fsync, a hard link to a fresh `*.msg` name, fsync
//! of DIR), so a name only ever holds a complete entry. A flush holds an exclusive lock on `DIR/.lock`,
//! removes an entry only after the server's 250 for the message, and rewrites it (the same way) when only
//! some of its recipients were deferred again. A permanently refused entry stays for the user to see.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::Outcome;
use crate::ops::common::{Connector, ItemResult, Tally, Ui};
use crate::pingpong::SessionConfig;
use crate::sink::FileSink;
use crate::smtp::{Session, address};
use crate::url::Target;

use super::job::Job;
use super::send::{refusal, session_usable, transact};

const MAGIC: &str = "ferry-smtp-queue 1";
/// The longest envelope line read back.
const LINE_MAX: usize = 1024;
/// The most recipients one entry may hold.
const RCPT_MAX: usize = 100_000;

fn local(what: impl std::fmt::Display) -> impl FnOnce(io::Error) -> Error {
    move |e| Error::local(what, e)
}

/// Writes `job` for `rcpts` into DIR (created 0700 if missing) and returns the entry's path.
pub fn enqueue(dir: &Path, job: &mut Job, rcpts: &[String]) -> Result<PathBuf> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(local(dir.display()))?;
    let mut sink = FileSink::create(&dir.join("entry"))?;
    let mut pre = format!("{MAGIC}\nfrom {}\n", job.from);
    for r in rcpts {
        pre.push_str(&format!("to {r}\n"));
    }
    let mut flags = Vec::new();
    if job.eight_bit {
        flags.push("8bit");
    }
    if job.smtputf8 {
        flags.push("smtputf8");
    }
    pre.push_str(&format!("flags {}\n\n", flags.join(" ")));
    sink.write_all(pre.as_bytes())
        .map_err(local(dir.display()))?;
    io::copy(&mut job.reader()?, &mut sink).map_err(local(dir.display()))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let pid = std::process::id();
    sink.commit_unique(|n| dir.join(format!("{stamp}.{pid}.{n}.msg")))
}

/// Reads a queue entry back into a job (the message stays in the file).
pub fn load(path: &Path) -> Result<Job> {
    let what = path.display().to_string();
    let bad = |why: &str| {
        Error::new(
            ErrorKind::LocalIo,
            format!("{what}: not a queue entry ({why})"),
        )
    };
    let file = File::open(path).map_err(local(&what))?;
    let len = file.metadata().map_err(local(&what))?.len();
    let mut r = BufReader::new(file);
    let mut offset = 0u64;
    let mut line = Vec::new();
    let mut next = |r: &mut BufReader<File>, line: &mut Vec<u8>| -> Result<String> {
        line.clear();
        r.by_ref()
            .take(LINE_MAX as u64 + 1)
            .read_until(b'\n', line)
            .map_err(local(&what))?;
        offset += line.len() as u64;
        if line.len() > LINE_MAX || line.last() != Some(&b'\n') {
            return Err(Error::new(
                ErrorKind::LocalIo,
                format!("{what}: not a queue entry (bad envelope line)"),
            ));
        }
        line.pop();
        String::from_utf8(line.clone()).map_err(|_| {
            Error::new(
                ErrorKind::LocalIo,
                format!("{what}: not a queue entry (not UTF-8)"),
            )
        })
    };
    if next(&mut r, &mut line)? != MAGIC {
        return Err(bad("no header line"));
    }
    let mut from = None;
    let mut rcpts = Vec::new();
    let (mut eight_bit, mut smtputf8) = (false, false);
    loop {
        let l = next(&mut r, &mut line)?;
        if l.is_empty() {
            break;
        }
        match l.split_once(' ').unwrap_or((l.as_str(), "")) {
            ("from", a) => from = Some(a.to_string()),
            ("to", a) => {
                address::check(a)?;
                if rcpts.len() >= RCPT_MAX {
                    return Err(bad("too many recipients"));
                }
                rcpts.push(a.to_string());
            }
            ("flags", f) => {
                eight_bit = f.split(' ').any(|w| w == "8bit");
                smtputf8 = f.split(' ').any(|w| w == "smtputf8");
            }
            _ => return Err(bad("unknown envelope line")),
        }
    }
    let from = from.ok_or_else(|| bad("no sender"))?;
    address::check(&from)?;
    if rcpts.is_empty() {
        return Err(bad("no recipients"));
    }
    let mut file = r.into_inner();
    file.seek(SeekFrom::Start(offset)).map_err(local(&what))?;
    Ok(Job {
        from,
        rcpts,
        head: Vec::new(),
        file,
        body_offset: offset,
        body_len: len.saturating_sub(offset),
        eight_bit,
        smtputf8,
        // Not kept in a queue entry: a queued message is resent without a DSN request.
        dsn: Default::default(),
    })
}

/// The entries in DIR, oldest name first.
fn entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).map_err(local(dir.display()))? {
        let e = e.map_err(local(dir.display()))?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !name.starts_with('.')
            && name.ends_with(".msg")
            && e.file_type().is_ok_and(|t| t.is_file())
        {
            v.push(e.path());
        }
    }
    v.sort();
    Ok(v)
}

/// One queue entry in the `--json` document of a flush.
#[derive(Debug, Serialize)]
pub struct EntryJson {
    /// The entry's path.
    pub entry: String,
    /// `ok` (sent and removed) or `failed` (kept; the error says why).
    #[serde(flatten)]
    pub result: ItemResult,
}

/// The `--json` document of a flush.
#[derive(Debug, Serialize)]
pub struct FlushReport {
    /// Each entry tried, in order.
    pub messages: Vec<EntryJson>,
    /// The entries sent (and removed, or rewritten for their deferred recipients).
    pub sent: Vec<String>,
    /// The entries left in the queue.
    pub queued: Vec<String>,
}

/// `--flush-queue DIR`: sends every entry over one session (reopened after a broken one), removing each
/// after its 250. The exit code follows the common rule over the entries (`Tally`); a server that cannot
/// be reached ends the flush (the rest stays queued). One flush per queue at a time (`DIR/.lock`): a
/// second waits up to `lock_wait`, then fails with exit 7.
pub fn flush(
    conn: &Connector,
    open: &impl Fn(&Target, &SessionConfig, Option<&Credentials>) -> Result<Session>,
    dir: &Path,
    lock_wait: Duration,
    ui: &Ui,
) -> Result<Outcome> {
    // One flush per queue: two would send the same entries twice.
    let _lock = crate::state::RunLock::dir(dir, lock_wait)?;
    let list = entries(dir)?;
    let mut messages = Vec::new();
    let mut sent = Vec::new();
    let mut fatal = None;
    let mut session: Option<Session> = None;
    for path in &list {
        let name = path.display().to_string();
        let mut job = match load(path) {
            Ok(j) => j,
            Err(e) => {
                ui.item_error(&e);
                messages.push(EntryJson {
                    entry: name,
                    result: ItemResult::failed(&e),
                });
                continue;
            }
        };
        let s = match session.as_mut() {
            Some(s) => s,
            None => match conn.open_once(open) {
                Ok(s) => session.insert(s),
                Err(e) => {
                    // The server is unreachable: the rest stays queued too.
                    fatal = Some(e.within("flushing the queue"));
                    break;
                }
            },
        };
        let result = match transact(s, &mut job, false) {
            Ok(t) => {
                let rejected: Vec<_> = t.results.iter().filter(|r| !r.accepted()).collect();
                for r in &rejected {
                    ui.warn(&format!("{name}: {}", refusal(r)));
                }
                match &t.sent {
                    Some(reply) => {
                        let deferred = t.deferred();
                        let result = if deferred.is_empty() {
                            std::fs::remove_file(path).map_err(local(&name))?;
                            if let Ok(d) = File::open(dir) {
                                let _ = d.sync_all();
                            }
                            ItemResult::ok()
                        } else {
                            requeue(path, &mut job, &deferred)?;
                            ItemResult::failed(&Error::new(
                                ErrorKind::Transient,
                                format!(
                                    "{name}: sent, but kept for {} deferred recipient(s)",
                                    deferred.len()
                                ),
                            ))
                        };
                        ui.note(&format!("{name}: sent ({reply})"));
                        sent.push(name.clone());
                        result
                    }
                    None => {
                        let kind = if t.all_deferred() {
                            ErrorKind::Transient
                        } else {
                            ErrorKind::Permanent
                        };
                        ItemResult::failed(&Error::new(kind, format!("{name}: not sent")))
                    }
                }
            }
            Err(e) => {
                let e = e.within(&name);
                ui.item_error(&e);
                if let Some(s) = session.take() {
                    if session_usable(&e) {
                        s.quit();
                    } else {
                        s.close();
                    }
                }
                ItemResult::failed(&e)
            }
        };
        messages.push(EntryJson {
            entry: name,
            result,
        });
    }
    if let Some(s) = session {
        s.quit();
    }
    let tally = Tally::of(messages.iter().map(|m| &m.result));
    if ui.json() {
        let queued = entries(dir)?
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        ui.print_json(&FlushReport {
            messages,
            sent,
            queued,
        })?;
    }
    tally.outcome(ui, "queued messages", fatal)
}

/// Rewrites an entry for the recipients still deferred (a new entry, then the old one removed).
fn requeue(path: &Path, job: &mut Job, rcpts: &[String]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let new = enqueue(dir, job, rcpts)?;
    std::fs::remove_file(path).map_err(local(path.display()))?;
    let _ = new;
    Ok(())
}
