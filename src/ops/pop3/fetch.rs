//! `pop3-fetch`: list or fetch a POP3 mailbox into a [`Store`], keeping or deleting on the server.
//!
//! The no-loss order, per message: RETR (or TOP) streams into a [`Delivery`](crate::store::Delivery);
//! `commit` makes it durable; with `--state` its UIDL is appended to the journal and fsynced
//! ([`UidlState::record`]); only then is DELE sent, and a deletion is reported only after QUIT's `+OK`. A
//! run that ends anywhere in between leaves the message on the server (no QUIT, no UPDATE state: RFC 1939
//! §6) and, with `--state`, the deletion pending in the state file, so the next `--delete` run sends DELE
//! again.
//!
//! `--retries`: a run is a loop of sessions, "open → list → fetch what remains → QUIT", inside the one
//! retry loop ([`with_retries`]). What the run has done (the store, the per-message results, which UIDLs
//! are handled) lives in [`Fetch`], outside any session, so a session that fails transiently mid-run is
//! replaced by a fresh connection and login that fetches only what is not yet durable and sends DELE
//! again for what was stored (a dropped session deleted nothing). A message number is valid for one
//! session only (RFC 1939 §4), so without UIDL only the opening is retried, never a run in progress. A
//! failed QUIT is not retried: the deletions it may or may not have applied stay pending in `--state`.
//!
//! Duplicates after a crash: a fetch batch is journaled (`F uid`) before its RETRs. A message whose `F` has
//! no `S` was maybe stored just before the crash. For a Maildir or `--dir` target the next run first
//! retrieves it into a digest and looks for a stored file with the same bytes ([`Finder`]); only when none
//! exists is it delivered again. An mbox, an MDA or stdout cannot be searched like that: there the window
//! between the commit and the journal record (microseconds) may deliver one message twice after a crash.
//! Two runs at once on one state file would each fetch every new message: `--state` is locked for the
//! whole run ([`RunLock`]); a second run waits, then exits 7. A UIDL list with an empty or repeated id
//! cannot name messages: when the state, `--new-only` or `--delete` depend on it the run stops (exit 9)
//! before any RETR; otherwise messages are named by number ([`listing`]).
//!
//! With PIPELINING (RFC 2449 §6.6) RETRs go out in batches of [`BATCH`] and the bodies are read in order.
//! A local write failure does not stop reading: the rest of the body is drained so the session stays in
//! step, the delivery is discarded and the message counts as failed.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::path::PathBuf;

use serde::Serialize;

use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::json::ErrorJson;
use crate::ops::Outcome;
use crate::ops::common::{Connector, ItemResult, NetOptions, Tally, Ui, with_retries};
use crate::ops::pop3::plan::{self, Listed, Rules, listing};
use crate::ops::pop3::state::UidlState;
use crate::ops::pop3::stored::{Finder, Guarded};
use crate::pingpong::SessionConfig;
use crate::pop3::{Config, Login, Part, Retrieved, Session};
use crate::state::{LOCK_WAIT, RunLock};
use crate::store::{Store, Target as StoreTarget};
use crate::url::Target;

/// RETRs in flight at once when the server offers PIPELINING.
pub const BATCH: usize = 32;

/// What `pop3-fetch` was asked to do, validated.
#[derive(Debug, Clone)]
pub struct Options {
    /// The mailbox: a `pop3://` or `pop3s://` target without a path.
    pub server: Target,
    /// Connection, TLS, credential and retry settings.
    pub net: NetOptions,
    /// How to log in (`--apop`, `--auth`, or the default).
    pub login: Login,
    /// Where messages go.
    pub output: StoreTarget,
    /// `--state FILE`.
    pub state: Option<PathBuf>,
    /// Message numbers or UIDLs to fetch (empty: all).
    pub select: Vec<String>,
    /// `--list`: print number, size and UIDL instead of fetching.
    pub list: bool,
    /// `--delete`.
    pub delete: bool,
    /// `--new-only`.
    pub new_only: bool,
    /// TOP with this many body lines instead of RETR (`--top N`; `--headers-only` is 0).
    pub top: Option<u32>,
    /// `--max-size`.
    pub max_size: Option<u64>,
    /// `--max-messages`.
    pub max_messages: Option<usize>,
    /// `--delete-after-days N` (needs `state`): DELE a stored message N days after it was first seen.
    pub delete_after_days: Option<u32>,
}

/// One message's result, as printed with `--json`.
#[derive(Debug, Serialize)]
pub struct MessageResult {
    /// The message number (in the session that last handled it).
    pub number: u32,
    /// The unique id.
    pub uidl: Option<String>,
    /// The size LIST reported.
    pub size: u64,
    /// `ok`, `skipped` or `failed`, and what went wrong or why it was skipped.
    #[serde(flatten)]
    pub result: ItemResult,
    /// Where it went: a path, `mda` or `-`.
    pub stored: Option<String>,
    /// Whether the server confirmed its deletion (QUIT +OK).
    pub deleted: bool,
    /// DELE is wanted: stored with `--delete`, or left pending by an earlier run.
    #[serde(skip)]
    delete: bool,
    /// DELE was accepted in the current session.
    #[serde(skip)]
    dele_sent: bool,
}

/// Runs pop3-fetch.
pub fn run(opts: &Options, ui: &Ui) -> Result<Outcome> {
    let connector = Connector::for_target(
        opts.server.clone(),
        &opts.net,
        crate::ops::common::Login::Required,
    )?;
    if opts.list {
        return list(opts, ui, &connector);
    }
    let creds = connector
        .creds
        .as_ref()
        .ok_or_else(|| Error::new(ErrorKind::Internal, "no credentials"))?;
    // The mailbox is the user at the host, whichever port or TLS flavour reaches it.
    let account = format!(
        "{}@{}",
        percent_encoding::utf8_percent_encode(&creds.user, percent_encoding::NON_ALPHANUMERIC),
        opts.server.host
    );
    // One run per state file: two at once would both fetch (and store) every new message.
    let _lock = match &opts.state {
        Some(p) => Some(RunLock::state(p, opts.net.timeout.min(LOCK_WAIT))?),
        None => None,
    };
    let state = match &opts.state {
        Some(p) => Some(UidlState::load(p, &account)?),
        None => None,
    };
    let mut fetch = Fetch::new(opts, ui, state);
    let fatal = match with_retries(&connector.retry, ui, |_| fetch.session(&connector)) {
        Ok(Ok(())) => None,
        Ok(Err(e)) | Err(e) => Some(e),
    };
    fetch.conclude(fatal)
}

/// Opens a logged-in session: the protocol's half of the [`Connector`].
fn open(login: Login) -> impl Fn(&Target, &SessionConfig, Option<&Credentials>) -> Result<Session> {
    move |target, session, creds| {
        let creds = creds.ok_or_else(|| Error::new(ErrorKind::Internal, "no credentials"))?;
        let config = Config {
            session: session.clone(),
            login,
        };
        Session::open(target, creds, &config)
    }
}

/// `--list`: STAT, LIST and UIDL, printed as `number size uidl` lines or JSON.
fn list(opts: &Options, ui: &Ui, connector: &Connector) -> Result<Outcome> {
    let listed = with_retries(&connector.retry, ui, |_| {
        let mut session = connector.open_once(open(opts.login))?;
        match listing(&mut session, false, &|w| {
            ui.notice(&format!("warning: {w}"))
        }) {
            Ok(l) => {
                let _ = session.quit();
                Ok(l)
            }
            Err(e) => {
                session.abort();
                Err(e)
            }
        }
    })?;
    if ui.json() {
        ui.print_json(&serde_json::json!({ "messages": listed }))?;
        return Ok(Outcome::Success);
    }
    let mut out = io::stdout().lock();
    for m in &listed {
        writeln!(
            out,
            "{} {} {}",
            m.number,
            m.size,
            m.uidl.as_deref().unwrap_or("-")
        )
        .map_err(|e| Error::local("stdout", e))?;
    }
    out.flush().map_err(|e| Error::local("stdout", e))?;
    Ok(Outcome::Success)
}

/// The state of one run, kept across its sessions.
struct Fetch<'a> {
    opts: &'a Options,
    ui: &'a Ui,
    state: Option<UidlState>,
    /// Opened after the first listing (a listing failure leaves the target untouched).
    store: Option<Store>,
    finder: Finder,
    results: Vec<MessageResult>,
    /// The UIDLs this run has a result for, and that result's index.
    handled: HashMap<String, usize>,
    /// Fetches tried so far (for `--max-messages` across sessions).
    tried: usize,
    /// Whether unmatched selectors were reported (once per run).
    selected: bool,
}

impl<'a> Fetch<'a> {
    fn new(opts: &'a Options, ui: &'a Ui, state: Option<UidlState>) -> Fetch<'a> {
        Fetch {
            opts,
            ui,
            state,
            store: None,
            finder: Finder::new(&opts.output),
            results: Vec::new(),
            handled: HashMap::new(),
            tried: 0,
            selected: false,
        }
    }

    fn part(&self, n: u32) -> Part {
        match self.opts.top {
            Some(lines) => Part::Top(n, lines),
            None => Part::Whole(n),
        }
    }

    fn push(&mut self, m: &Listed, result: ItemResult) -> usize {
        self.results.push(MessageResult {
            number: m.number,
            uidl: m.uidl.clone(),
            size: m.size,
            result,
            stored: None,
            deleted: false,
            delete: false,
            dele_sent: false,
        });
        let i = self.results.len() - 1;
        if let Some(u) = &m.uidl {
            self.handled.insert(u.clone(), i);
        }
        i
    }

    fn push_failed(&mut self, m: &Listed, e: Error) -> usize {
        self.ui.item_error(&e);
        self.push(m, ItemResult::failed(&e))
    }

    /// One session: open, list, fetch what remains, QUIT. `Err` is for the retry loop (retried when
    /// transient); `Ok(Err)` ends the run without a retry.
    fn session(&mut self, connector: &Connector) -> Result<Result<()>> {
        let mut session = connector.open_once(open(self.opts.login))?;
        let strict = self.state.is_some() || self.opts.new_only || self.opts.delete;
        let ui = self.ui;
        let listed = match listing(&mut session, strict, &|w| {
            ui.notice(&format!("warning: {w}"))
        }) {
            Ok(l) => l,
            Err(e) => {
                session.abort();
                return Err(e);
            }
        };
        let has_uidl = listed.iter().all(|m| m.uidl.is_some());
        if !has_uidl && (self.state.is_some() || !self.results.is_empty()) {
            session.abort();
            return Ok(Err(Error::new(
                ErrorKind::Permanent,
                if self.state.is_some() {
                    "the server does not support UIDL, which --state and --new-only need"
                } else {
                    "the server stopped reporting UIDLs: the run cannot resume safely"
                },
            )));
        }
        match self.fetch_all(&mut session, &listed) {
            Ok(()) => Ok(self.quit(session, &listed)),
            Err(e) => {
                session.abort();
                // Without UIDL a new session cannot tell which messages this one handled.
                if has_uidl { Err(e) } else { Ok(Err(e)) }
            }
        }
    }

    /// Selects, fetches and (with --delete) marks messages; errors end the session.
    fn fetch_all(&mut self, session: &mut Session, listed: &[Listed]) -> Result<()> {
        let opts = self.opts;
        // A dropped session deleted nothing: every wanted DELE is sent again on this one.
        for r in &mut self.results {
            r.dele_sent = false;
        }
        let rules = Rules {
            select: &opts.select,
            new_only: opts.new_only,
            delete: opts.delete,
            max_size: opts.max_size,
            max_messages: opts.max_messages.map(|m| m.saturating_sub(self.tried)),
        };
        let mut plan = plan::plan(listed, &rules, &self.handled, self.state.as_ref());
        let expired = self.expired(listed)?;
        plan.todo
            .retain(|m| !expired.iter().any(|e| e.number == m.number));
        if !self.selected {
            self.selected = true;
            for sel in &plan.unmatched {
                let e = Error::new(
                    ErrorKind::Permanent,
                    format!("no message {} on the server", crate::terminal::escape(sel)),
                );
                let none = Listed {
                    number: 0,
                    size: 0,
                    uidl: None,
                };
                self.push_failed(&none, e);
            }
        }
        let mut to_delete: Vec<usize> = Vec::new();
        for &(i, m) in &plan.known {
            if self.results[i].delete {
                self.results[i].number = m.number;
                to_delete.push(i);
            }
        }
        for m in &plan.pending {
            let i = self.push(m, ItemResult::skipped("stored on an earlier run; deleting"));
            self.results[i].delete = true;
            to_delete.push(i);
        }
        for m in &expired {
            let days = opts.delete_after_days.unwrap_or(0);
            let why = format!("stored at least {days} day(s) ago; deleting (--delete-after-days)");
            let i = self.push(m, ItemResult::skipped(why));
            self.results[i].delete = true;
            to_delete.push(i);
        }
        for m in &plan.too_big {
            let why = format!("larger than --max-size {}", opts.max_size.unwrap_or(0));
            self.push(m, ItemResult::skipped(why));
        }
        if self.store.is_none() {
            self.store = Some(Store::open(opts.output.clone())?);
        }
        let pipelining = session.capabilities.pipelining;
        self.delete(session, &to_delete, pipelining)?;
        let batch = if pipelining { BATCH } else { 1 };
        for chunk in plan.todo.chunks(batch) {
            if let Some(st) = self.state.as_mut() {
                // In-doubt ones keep their F record; only fresh fetches need one.
                let fresh: Vec<&str> = chunk
                    .iter()
                    .filter_map(|m| m.uidl.as_deref())
                    .filter(|u| !st.is_in_doubt(u))
                    .collect();
                st.begin(&fresh)?;
            }
            let mut stored = Vec::new();
            let mut plain = Vec::new();
            for m in chunk {
                if let Some(i) = self.resolve_doubt(session, m)? {
                    stored.push(i);
                } else {
                    plain.push(*m);
                }
            }
            if pipelining {
                for m in &plain {
                    session.request(self.part(m.number))?;
                }
            }
            for m in &plain {
                if !pipelining {
                    session.request(self.part(m.number))?;
                }
                if let Some(i) = self.fetch_one(session, m)? {
                    stored.push(i);
                }
            }
            if opts.delete {
                self.delete(session, &stored, pipelining)?;
            }
        }
        Ok(())
    }

    /// With `--delete-after-days N`: the listed messages stored (durably, by this or an earlier run) at
    /// least N days ago and not yet handled by this run. Stored messages without a first-seen time get
    /// now as theirs first.
    fn expired<'l>(&mut self, listed: &'l [Listed]) -> Result<Vec<&'l Listed>> {
        let (Some(days), Some(st)) = (self.opts.delete_after_days, self.state.as_mut()) else {
            return Ok(Vec::new());
        };
        let now = crate::time::now_secs();
        let stored: Vec<&str> = listed
            .iter()
            .filter_map(|m| m.uidl.as_deref())
            .filter(|u| st.is_seen(u))
            .collect();
        st.note_first_seen(&stored, now)?;
        let age = i64::from(days).saturating_mul(86_400);
        Ok(listed
            .iter()
            .filter(|m| {
                m.uidl.as_deref().is_some_and(|u| {
                    !self.handled.contains_key(u)
                        && st.is_seen(u)
                        && st
                            .first_seen(u)
                            .is_some_and(|t| now.saturating_sub(t) >= age)
                })
            })
            .collect())
    }

    /// A message whose fetch an earlier run journaled but never recorded: when a copy with the same bytes
    /// is already stored, records it and returns its result index.
    fn resolve_doubt(&mut self, session: &mut Session, m: &Listed) -> Result<Option<usize>> {
        let doubt = match (self.state.as_ref(), &m.uidl) {
            (Some(st), Some(u)) => st.is_in_doubt(u) && self.finder.can_search(),
            _ => false,
        };
        if !doubt {
            return Ok(None);
        }
        let part = self.part(m.number);
        let Some(path) = self.finder.find(session, part, body_limit(m.size))? else {
            return Ok(None);
        };
        self.tried += 1;
        let mut result = ItemResult::ok();
        result.error = Some(ErrorJson {
            exit_code: 0,
            message: "already stored by an interrupted run".into(),
        });
        let i = self.push(m, result);
        self.results[i].stored = Some(path.display().to_string());
        self.stored(i)?;
        Ok(Some(i))
    }

    /// Records a durable message in the state (before any DELE) and marks it for deletion.
    fn stored(&mut self, i: usize) -> Result<()> {
        let delete = self.opts.delete;
        self.results[i].delete = delete;
        if let (Some(st), Some(u)) = (self.state.as_mut(), &self.results[i].uidl) {
            st.record(u, delete)?;
            if self.opts.delete_after_days.is_some() {
                st.note_first_seen(&[u], crate::time::now_secs())?;
            }
        }
        Ok(())
    }

    /// Reads one requested message into the store; `Some(result index)` when it is durable.
    fn fetch_one(&mut self, session: &mut Session, m: &Listed) -> Result<Option<usize>> {
        let hint = m.uidl.clone().unwrap_or_else(|| m.number.to_string());
        let part = self.part(m.number);
        let limit = body_limit(m.size);
        let store = self
            .store
            .as_mut()
            .ok_or_else(|| Error::new(ErrorKind::Internal, "no store"))?;
        // The delivery borrows the store: decide inside, record outside.
        let result: Result<String> = match store.begin(&hint) {
            Err(e) => {
                // Keep the session in step: read the body into nothing.
                session.response(part, &mut io::sink(), limit)?;
                Err(e)
            }
            Ok(delivery) => {
                let mut guard = Guarded {
                    inner: delivery,
                    error: None,
                };
                match session.response(part, &mut guard, limit)? {
                    Retrieved::Refused(e) => Err(e),
                    Retrieved::Body(_) => match guard.error.take() {
                        Some(e) => Err(Error::local(format!("storing message {}", m.number), e)),
                        None => guard
                            .inner
                            .commit()
                            .map_err(|e| e.within(format!("message {}", m.number))),
                    },
                }
            }
        };
        self.tried += 1;
        match result {
            Ok(place) => {
                let i = self.push(m, ItemResult::ok());
                self.results[i].stored = Some(place);
                self.stored(i)?;
                Ok(Some(i))
            }
            Err(e) => {
                self.push_failed(m, e);
                Ok(None)
            }
        }
    }

    /// DELE for the given results (pipelined when possible); a refusal marks that message failed.
    fn delete(&mut self, session: &mut Session, which: &[usize], pipelining: bool) -> Result<()> {
        if pipelining {
            for &i in which {
                session.dele_request(self.results[i].number)?;
            }
        }
        for &i in which {
            let n = self.results[i].number;
            let r = if pipelining {
                session.dele_response(n)
            } else {
                session.dele(n)
            };
            match r {
                Ok(()) => self.results[i].dele_sent = true,
                Err(e) if e.kind() == ErrorKind::Permanent || e.kind() == ErrorKind::Transient => {
                    self.ui.item_error(&e);
                    // Stored, but still on the server: the run is partial whatever the refusal said.
                    self.results[i].result = ItemResult::failed(&e.with_kind(ErrorKind::Partial));
                    self.results[i].delete = false;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// QUIT; on `+OK` the marked messages are deleted (RFC 1939 §6) and the state forgets them.
    fn quit(&mut self, session: Session, listed: &[Listed]) -> Result<()> {
        let marked: Vec<usize> = (0..self.results.len())
            .filter(|&i| self.results[i].dele_sent)
            .collect();
        match session.quit() {
            Ok(()) => {
                let mut gone = Vec::new();
                for &i in &marked {
                    let r = &mut self.results[i];
                    r.deleted = true;
                    r.delete = false;
                    if let Some(u) = &r.uidl {
                        gone.push(u.clone());
                    }
                }
                if let Some(st) = self.state.as_mut() {
                    st.confirm_deleted(&gone)?;
                    let on_server: HashSet<&str> = listed
                        .iter()
                        .filter_map(|m| m.uidl.as_deref())
                        .filter(|u| !gone.iter().any(|g| g == u))
                        .collect();
                    st.compact(Some(&on_server))?;
                }
                Ok(())
            }
            Err(e) if marked.is_empty() => {
                self.ui.notice(&format!("error: {}", e.within("warning")));
                Ok(())
            }
            Err(e) => Err(Error::new(
                ErrorKind::Partial,
                format!(
                    "deletion of {} message(s) was not confirmed (they are stored locally and still on the server{}): {e}",
                    marked.len(),
                    if self.state.is_some() {
                        "; the next --delete run deletes them"
                    } else {
                        ""
                    }
                ),
            )),
        }
    }

    /// Prints the JSON document or the summary line and decides the outcome.
    fn conclude(self, fatal: Option<Error>) -> Result<Outcome> {
        let server = self.opts.server.display();
        for r in &self.results {
            let item = format!(
                "{} -> {}",
                r.uidl.clone().unwrap_or_else(|| format!("#{}", r.number)),
                r.stored.as_deref().unwrap_or("-")
            );
            self.ui.log(&crate::ops::common::LogRecord {
                server: &server,
                item: &item,
                size: Some(r.size),
                result: &r.result,
                reply: None,
                queue_id: None,
            });
        }
        let tally = Tally::of(self.results.iter().map(|r| &r.result));
        let fetched = self.results.iter().filter(|r| r.stored.is_some()).count();
        let deleted = self.results.iter().filter(|r| r.deleted).count();
        if self.ui.json() {
            let error = fatal.as_ref().map(|e| ErrorJson {
                exit_code: e.kind().exit_code(),
                message: e.to_string(),
            });
            self.ui.print_json(&serde_json::json!({
                "messages": self.results,
                "fetched": fetched,
                "deleted": deleted,
                "failed": tally.failed,
                "error": error,
            }))?;
        } else {
            let line = format!(
                "{fetched} fetched, {} skipped, {} failed, {deleted} deleted",
                tally.skipped, tally.failed
            );
            // After a failure the summary says what was done before it; a success is quiet.
            if fatal.is_some() || tally.failed > 0 {
                self.ui.notice(&line);
            } else {
                self.ui.note(&line);
            }
        }
        tally.outcome(self.ui, "messages", fatal)
    }
}

/// The most body bytes accepted for a message LIST said is `size` bytes: room for a server that counts
/// line endings differently, never unbounded.
fn body_limit(size: u64) -> u64 {
    size.saturating_mul(2).saturating_add(1 << 20)
}
