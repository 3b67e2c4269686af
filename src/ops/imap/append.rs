//! `imap-message append`: upload `.eml` files, a Maildir or an mbox into a mailbox, keeping each
//! message's flags and internal date ([`super::sources`]).
//!
//! Each message is streamed as an APPEND literal: its size counted in a first pass over the normalised
//! bytes ([`super::crlf`]), the bytes sent in a second. With LITERAL+ (or LITERAL- for small messages)
//! the APPENDs of a batch go back to back without waiting (pipelined; the completions are read after
//! the batch); otherwise each waits for the server's `+`. With `--state FILE` ([`AppendState`]) the
//! batch is recorded as pending before it goes and as done (with the APPENDUID's UID) once the server
//! confirmed it, so a run that was killed, run again, uploads the rest and nothing twice. Each message
//! gets an [`ItemResult`]: ok, skipped (already uploaded; `--dry-run`) or failed (unreadable, refused);
//! the exit code is [`Tally::outcome`]'s.

use std::path::PathBuf;

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::imap::append::{Item, Sent};
use crate::imap::{FetchItems, Session, date, quote};
use crate::ops::Outcome;
use crate::ops::common::{Connector, ItemResult, Login, NetOptions, Tally, Ui};
use crate::ops::imap::append_state::{AppendState, Pending};
use crate::ops::imap::connect::opener;
use crate::ops::imap::crlf::{Normalised, normalised_len};
use crate::ops::imap::slot::NoBodies;
use crate::ops::imap::sources::{self, Message};
use crate::sasl::Mechanism;
use crate::state::{LOCK_WAIT, RunLock};
use crate::url::Target;

/// How long a resumed run waits before looking again for messages an interrupted run sent.
const SETTLE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What `append` does.
#[derive(Debug, Clone)]
pub struct Options {
    /// The server (its path is [`Options::mailbox`]).
    pub target: Target,
    /// The mailbox uploaded to (UTF-8).
    pub mailbox: String,
    /// Connection, TLS, credentials.
    pub net: NetOptions,
    /// `--auth`.
    pub auth: Option<Mechanism>,
    /// `.eml` files, directories of them, Maildirs, mboxes.
    pub paths: Vec<PathBuf>,
    /// `--state FILE`.
    pub state: Option<PathBuf>,
    /// `--dry-run`.
    pub dry_run: bool,
    /// Messages per batch (one state write before and one after each).
    pub batch: usize,
}

/// One message's result.
#[derive(Debug, Serialize)]
pub struct AppendResult {
    /// Its file, or `mbox@offset`.
    pub source: String,
    /// ok, skipped, failed.
    #[serde(flatten)]
    pub result: ItemResult,
    /// Its UID in the mailbox, when the server said (APPENDUID).
    pub uid: Option<u32>,
}

#[derive(Serialize)]
struct Doc<'a> {
    action: &'a str,
    mailbox: &'a str,
    dry_run: bool,
    messages: &'a [AppendResult],
}

/// A message ready to go: its normalised size and Message-ID.
struct Ready<'a> {
    msg: &'a Message,
    size: u64,
    message_id: Option<String>,
}

/// Runs `append`.
pub fn run(opts: &Options, ui: &Ui) -> Result<Outcome> {
    let _lock = match &opts.state {
        Some(p) => Some(RunLock::state(p, opts.net.timeout.min(LOCK_WAIT))?),
        None => None,
    };
    let mut st = match &opts.state {
        Some(p) => Some(AppendState::load(p, &opts.mailbox)?),
        None => None,
    };
    let msgs = sources::collect(&opts.paths)?;
    let mut results: Vec<AppendResult> = Vec::new();
    let fatal = if opts.dry_run {
        for m in &msgs {
            let done = st.as_ref().is_some_and(|s| s.done.contains_key(&m.key));
            let why = if done {
                "already uploaded"
            } else {
                "dry run: would append"
            };
            if !done && !ui.json() {
                super::message::stdout_line(&format!(
                    "would append {}",
                    crate::terminal::escape(&m.source())
                ))?;
            }
            results.push(AppendResult {
                source: m.source(),
                result: ItemResult::skipped(why),
                uid: None,
            });
        }
        None
    } else {
        let conn = Connector::for_target(opts.target.clone(), &opts.net, Login::Required)?;
        let mut up = Uploader {
            opts,
            ui,
            st: st.take(),
            results: &mut results,
        };
        match conn.open(ui, opener(opts.auth)) {
            Err(e) => Some(e),
            Ok(mut s) => {
                let outcome = up.all(&mut s, &msgs);
                super::message::end_session(s, outcome)
            }
        }
    };
    let tally = Tally::of(results.iter().map(|r| &r.result));
    if ui.json() {
        ui.print_json(&Doc {
            action: "append",
            mailbox: &opts.mailbox,
            dry_run: opts.dry_run,
            messages: &results,
        })?;
    }
    tally.outcome(ui, "messages", fatal)
}

struct Uploader<'a> {
    opts: &'a Options,
    ui: &'a Ui,
    st: Option<AppendState>,
    results: &'a mut Vec<AppendResult>,
}

impl Uploader<'_> {
    fn save(&self) -> Result<()> {
        match (&self.st, &self.opts.state) {
            (Some(st), Some(p)) => st.save(p),
            _ => Ok(()),
        }
    }

    fn done(&self, key: &str) -> bool {
        self.st.as_ref().is_some_and(|s| s.done.contains_key(key))
    }

    fn record(&mut self, m: &Message, result: ItemResult, uid: Option<u32>) {
        if let Some(e) = result.error.as_ref().filter(|_| result.is_failure()) {
            self.ui.item_error(&Error::new(
                result.failure().unwrap_or(ErrorKind::Permanent),
                format!("{}: {}", crate::terminal::escape(&m.source()), e.message),
            ));
        }
        self.results.push(AppendResult {
            source: m.source(),
            result,
            uid,
        });
    }

    fn all(&mut self, s: &mut Session, msgs: &[Message]) -> Result<()> {
        self.settle(s)?;
        let mut todo: Vec<&Message> = Vec::new();
        for m in msgs {
            if self.done(&m.key) {
                let uid = self
                    .st
                    .as_ref()
                    .and_then(|st| st.done.get(&m.key).copied().flatten());
                self.results.push(AppendResult {
                    source: m.source(),
                    result: ItemResult::skipped("already uploaded"),
                    uid,
                });
            } else {
                todo.push(m);
            }
        }
        for chunk in todo.chunks(self.opts.batch.max(1)) {
            self.batch(s, chunk)?;
        }
        Ok(())
    }

    /// An interrupted run's pending messages: found on the server (same Message-ID and size) they are
    /// done, otherwise they go again. The killed run's connection may still be finishing its last
    /// APPENDs on the server, so what is not found is looked for once more after [`SETTLE_WAIT`], in a
    /// fresh view of the mailbox.
    fn settle(&mut self, s: &mut Session) -> Result<()> {
        let mut pending = match &self.st {
            Some(st) if !st.pending.is_empty() => st.pending.clone(),
            _ => return Ok(()),
        };
        for round in 0..2 {
            if round > 0 {
                std::thread::sleep(SETTLE_WAIT);
            }
            s.select(&self.opts.mailbox, true)?;
            let mut left = Vec::new();
            for p in pending {
                match self.find(s, &p)? {
                    Some(uid) => {
                        if let Some(st) = self.st.as_mut() {
                            st.done.insert(p.key.clone(), Some(uid));
                        }
                    }
                    None if p.message_id.is_some() => left.push(p),
                    None => {}
                }
            }
            pending = left;
            if pending.is_empty() {
                break;
            }
        }
        if let Some(st) = self.st.as_mut() {
            st.pending.clear();
        }
        self.save()
    }

    /// The UID of a message with `p`'s Message-ID and size, if the mailbox has one.
    fn find(&mut self, s: &mut Session, p: &Pending) -> Result<Option<u32>> {
        let Some(id) = &p.message_id else {
            return Ok(None);
        };
        let criteria = format!("HEADER Message-ID {}", quote::quoted(id));
        let hits = s.uid_search(&quote::search(&criteria)?)?;
        if hits.is_empty() {
            return Ok(None);
        }
        let tag = s.uid_fetch(&hits, &FetchItems::Size)?;
        let mut found = None;
        while let Some(f) = s.fetch_next(&tag, &mut NoBodies, 0)? {
            if f.size == Some(p.size) && f.uid.is_some_and(|u| hits.contains(&u)) {
                found = f.uid;
            }
        }
        Ok(found)
    }

    fn batch(&mut self, s: &mut Session, chunk: &[&Message]) -> Result<()> {
        let mut ready: Vec<Ready> = Vec::new();
        for m in chunk {
            match prepare(m) {
                Ok((size, message_id)) => ready.push(Ready {
                    msg: m,
                    size,
                    message_id,
                }),
                Err(e) => self.record(m, ItemResult::failed(&e), None),
            }
        }
        if let Some(st) = self.st.as_mut() {
            st.pending = ready
                .iter()
                .map(|r| Pending {
                    key: r.msg.key.clone(),
                    message_id: r.message_id.clone(),
                    size: r.size,
                })
                .collect();
        }
        self.save()?;
        if ready.len() > 1 && s.can_multiappend() && self.multi(s, &ready)? {
            if let Some(st) = self.st.as_mut() {
                st.pending.clear();
            }
            return self.save();
        }
        let mut outstanding: Vec<(String, usize)> = Vec::new();
        for (i, r) in ready.iter().enumerate() {
            if !s.literal_non_sync(r.size) && !outstanding.is_empty() {
                self.drain(s, &ready, &mut outstanding)?;
            }
            let (reader, mboxrd) = r.msg.open()?;
            let mut body = Normalised::new(reader, mboxrd);
            let date = r.msg.date.map(date::internal_from_unix);
            match s.append_send(
                &self.opts.mailbox,
                &r.msg.flags,
                date.as_deref(),
                r.size,
                &mut body,
            )? {
                Sent::Tag(t) => outstanding.push((t, i)),
                Sent::Refused(e) => self.record(r.msg, ItemResult::failed(&e), None),
            }
        }
        self.drain(s, &ready, &mut outstanding)?;
        if let Some(st) = self.st.as_mut() {
            st.pending.clear();
        }
        self.save()
    }

    /// The whole batch in one MULTIAPPEND (one server transaction instead of one per message, the
    /// server's per-APPEND commit being what an upload waits for): true when stored. A refusal stores
    /// nothing (RFC 3502 is all or none), so the caller sends the batch again message by message, and
    /// each refused message gets its own error.
    fn multi(&mut self, s: &mut Session, ready: &[Ready]) -> Result<bool> {
        let mut items = ready.iter().map(|r| {
            let (reader, mboxrd) = r.msg.open()?;
            Ok(Item {
                flags: &r.msg.flags,
                date: r.msg.date.map(date::internal_from_unix),
                size: r.size,
                body: Box::new(Normalised::new(reader, mboxrd)),
            })
        });
        let uids = match s.multiappend(&self.opts.mailbox, &mut items)? {
            Ok(uids) => uids,
            Err(_) => return Ok(false),
        };
        for (i, r) in ready.iter().enumerate() {
            let uid = uids.as_ref().and_then(|a| a.uids.get(i).copied());
            if let Some(st) = self.st.as_mut() {
                st.done.insert(r.msg.key.clone(), uid);
                if let Some(a) = &uids {
                    st.uidvalidity = Some(a.uidvalidity);
                }
            }
            self.record(r.msg, ItemResult::ok(), uid);
        }
        Ok(true)
    }

    /// Reads the completions of every outstanding APPEND.
    fn drain(
        &mut self,
        s: &mut Session,
        ready: &[Ready],
        outstanding: &mut Vec<(String, usize)>,
    ) -> Result<()> {
        while !outstanding.is_empty() {
            let tags: Vec<String> = outstanding.iter().map(|(t, _)| t.clone()).collect();
            let (tag, r) = s.append_done(&tags)?;
            let Some(pos) = outstanding.iter().position(|(t, _)| *t == tag) else {
                continue;
            };
            let (_, i) = outstanding.remove(pos);
            let m = ready[i].msg;
            match r {
                Ok(au) => {
                    if let Some(st) = self.st.as_mut() {
                        st.done.insert(m.key.clone(), au.map(|a| a.uid));
                        if let Some(a) = au {
                            st.uidvalidity = Some(a.uidvalidity);
                        }
                    }
                    self.record(m, ItemResult::ok(), au.map(|a| a.uid));
                }
                Err(e) => self.record(m, ItemResult::failed(&e), None),
            }
        }
        Ok(())
    }
}

/// The first pass over a message: its normalised size and Message-ID.
fn prepare(m: &Message) -> Result<(u64, Option<String>)> {
    let (reader, mboxrd) = m.open()?;
    let size = normalised_len(reader, mboxrd).map_err(|e| Error::local(m.source(), e))?;
    let (mut reader, _) = m.open()?;
    Ok((size, sources::message_id(&mut reader)))
}
