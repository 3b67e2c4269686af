//! `pop3-fetch`: list or fetch a POP3 mailbox into a [`Store`], keeping or deleting on the server.
//!
//! The no-loss order, per message: RETR (or TOP) streams into a [`Delivery`]; `commit` makes it durable;
//! with `--state` its UIDL is appended to the journal and fsynced ([`UidlState::record`]); only then is
//! DELE sent, and a deletion is reported only after QUIT's `+OK`. A run that ends anywhere in between
//! leaves the message on the server (no QUIT, no UPDATE state: RFC 1939 §6) and, with `--state`, the
//! deletion pending in the state file, so the next `--delete` run sends DELE again.
//!
//! Duplicates after a crash: a fetch batch is journaled (`F uid`) before its RETRs. A message whose `F` has
//! no `S` was maybe stored just before the crash. For a Maildir or `--dir` target the next run first
//! retrieves it into a digest (size and MD5) and looks for a stored file with the same bytes; only when none
//! exists is it delivered again. An mbox, an MDA or stdout cannot be searched like that: there the window
//! between the commit and the journal record (microseconds) may deliver one message twice after a crash.
//!
//! With PIPELINING (RFC 2449 §6.6) RETRs go out in batches of [`BATCH`] and the bodies are read in order.
//! A local write failure does not stop reading: the rest of the body is drained so the session stays in
//! step, the delivery is discarded and the message counts as failed (exit 10, or 8 when nothing else
//! worked).

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use serde::Serialize;

use crate::cli::pop3_fetch::Args;
use crate::credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::Outcome;
use crate::ops::pop3::state::UidlState;
use crate::pop3::{Config, Login, Part, Retrieved, Session};
use crate::store::{Store, Target as StoreTarget, ToLf};
use crate::transport::Tls;
use crate::url::{Scheme, Target};

/// RETRs in flight at once when the server offers PIPELINING.
pub const BATCH: usize = 32;

/// One message as the server lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// The message number in this session.
    pub number: u32,
    /// The size LIST reported.
    pub size: u64,
    /// The unique id, when the server supports UIDL.
    pub uidl: Option<String>,
}

/// One message's result, as printed with `--json`.
#[derive(Debug, Serialize)]
pub struct MessageResult {
    /// The message number.
    pub number: u32,
    /// The unique id.
    pub uidl: Option<String>,
    /// The size LIST reported.
    pub size: u64,
    /// `fetched`, `skipped` or `failed`.
    pub status: &'static str,
    /// Where it went: a path, `mda` or `-`.
    pub stored: Option<String>,
    /// Whether the server confirmed its deletion (QUIT +OK).
    pub deleted: bool,
    /// What went wrong, or why it was skipped.
    pub error: Option<String>,
    #[serde(skip)]
    kind: Option<ErrorKind>,
    #[serde(skip)]
    dele_sent: bool,
}

/// Runs pop3-fetch.
pub fn run(args: &Args) -> Result<Outcome> {
    let target = Target::parse(&args.url, &[Scheme::Pop3, Scheme::Pop3s])?;
    if !target.path.is_empty() {
        return Err(Error::usage(
            "a POP3 URL names a mailbox account, not a path: drop the path",
        ));
    }
    let store_target = args.output.target();
    if args.net.json && !args.list && matches!(store_target, StoreTarget::Stdout) {
        return Err(Error::usage(
            "--json prints on stdout: choose --maildir, --mbox, --dir or --mda for the messages",
        ));
    }
    let config = Config {
        session: crate::pingpong::SessionConfig {
            tls: if target.scheme.implicit_tls() || args.net.starttls {
                Some(Tls::new(&args.net.tls_options())?)
            } else {
                None
            },
            starttls: args.net.starttls,
            connect_timeout: args.net.connect_timeout()?,
            timeout: args.net.timeout()?,
            transcript: args.net.transcript(),
        },
        login: match (args.apop, args.auth) {
            (true, _) => Login::Apop,
            (false, Some(m)) => Login::Sasl(m),
            (false, None) => Login::Default,
        },
    };
    let creds = credentials::resolve(&target, &args.net.sources(false)?)?;
    // The mailbox is the user at the host, whichever port or TLS flavour reaches it.
    let account = format!(
        "{}@{}",
        percent_encoding::utf8_percent_encode(&creds.user, percent_encoding::NON_ALPHANUMERIC),
        target.host
    );
    let mut state = match &args.state {
        Some(p) if !args.list => Some(UidlState::load(p, &account)?),
        _ => None,
    };

    let mut session = Session::open(&target, &creds, &config)?;
    let listed = match listing(&mut session) {
        Ok(l) => l,
        Err(e) => {
            session.abort();
            return Err(e);
        }
    };
    if args.list {
        let r = print_listing(args, &listed);
        let _ = session.quit();
        return r.map(|_| Outcome::Success);
    }
    let has_uidl = listed.iter().all(|m| m.uidl.is_some());
    if state.is_some() && !has_uidl {
        session.abort();
        return Err(Error::new(
            ErrorKind::Permanent,
            "the server does not support UIDL, which --state and --new-only need",
        ));
    }
    let mut run = Run {
        args,
        store: Store::open(store_target.clone())?,
        searchable: match &store_target {
            StoreTarget::Maildir(d) => vec![d.join("new"), d.join("cur")],
            StoreTarget::Dir(d) => vec![d.clone()],
            _ => Vec::new(),
        },
        size_index: None,
        results: Vec::new(),
        pipelining: session.capabilities.pipelining,
    };
    let outcome = run.fetch_all(&mut session, &mut state, &listed);
    let mut results = std::mem::take(&mut run.results);
    let outcome = match outcome {
        Ok(()) => finish_session(args, session, &mut state, &mut results, &listed),
        Err(e) => {
            session.abort();
            Err(e)
        }
    };
    conclude(args, outcome, results)
}

/// STAT, LIST and UIDL joined by message number.
fn listing(session: &mut Session) -> Result<Vec<Listed>> {
    let (count, _) = session.stat()?;
    if count == 0 {
        return Ok(Vec::new());
    }
    let sizes = session.list()?;
    let uidls: HashMap<u32, String> = session.uidl()?.unwrap_or_default().into_iter().collect();
    Ok(sizes
        .into_iter()
        .map(|(number, size)| Listed {
            number,
            size,
            uidl: uidls.get(&number).cloned(),
        })
        .collect())
}

fn print_listing(args: &Args, listed: &[Listed]) -> Result<()> {
    if args.net.json {
        return crate::json::print(&serde_json::json!({ "messages": listed }));
    }
    let mut out = io::stdout().lock();
    for m in listed {
        writeln!(
            out,
            "{} {} {}",
            m.number,
            m.size,
            m.uidl.as_deref().unwrap_or("-")
        )
        .map_err(|e| Error::local("stdout", e))?;
    }
    out.flush().map_err(|e| Error::local("stdout", e))
}

struct Run<'a> {
    args: &'a Args,
    store: Store,
    /// Directories where a stored copy of an in-doubt message can be looked for.
    searchable: Vec<PathBuf>,
    /// Files in `searchable` by size, built on first need.
    size_index: Option<HashMap<u64, Vec<PathBuf>>>,
    results: Vec<MessageResult>,
    pipelining: bool,
}

impl Run<'_> {
    fn part(&self, n: u32) -> Part {
        if self.args.headers_only {
            Part::Top(n, 0)
        } else if let Some(l) = self.args.top {
            Part::Top(n, l)
        } else {
            Part::Whole(n)
        }
    }

    fn report(&self, e: &Error) {
        if !self.args.net.json {
            crate::cli::report("pop3-fetch", e);
        }
    }

    fn push(&mut self, m: &Listed, status: &'static str, err: Option<Error>) -> usize {
        if let Some(e) = &err
            && status == "failed"
        {
            self.report(e);
        }
        self.results.push(MessageResult {
            number: m.number,
            uidl: m.uidl.clone(),
            size: m.size,
            status,
            stored: None,
            deleted: false,
            error: err.as_ref().map(|e| e.to_string()),
            kind: err.map(|e| e.kind()),
            dele_sent: false,
        });
        self.results.len() - 1
    }

    /// Selects, fetches and (with --delete) marks messages; fatal errors end the session.
    fn fetch_all(
        &mut self,
        session: &mut Session,
        state: &mut Option<UidlState>,
        listed: &[Listed],
    ) -> Result<()> {
        let args = self.args;
        let mut chosen: Vec<&Listed> = Vec::new();
        if args.select.is_empty() {
            chosen.extend(listed.iter());
        } else {
            for sel in &args.select {
                let found = if !sel.is_empty() && sel.bytes().all(|b| b.is_ascii_digit()) {
                    listed.iter().find(|m| sel.parse() == Ok(m.number))
                } else {
                    listed
                        .iter()
                        .find(|m| m.uidl.as_deref() == Some(sel.as_str()))
                };
                match found {
                    Some(m) if !chosen.iter().any(|c| c.number == m.number) => chosen.push(m),
                    Some(_) => {}
                    None => {
                        let e = Error::new(
                            ErrorKind::Permanent,
                            format!("no message {} on the server", crate::terminal::escape(sel)),
                        );
                        self.report(&e);
                        self.results.push(MessageResult {
                            number: 0,
                            uidl: None,
                            size: 0,
                            status: "failed",
                            stored: None,
                            deleted: false,
                            error: Some(e.to_string()),
                            kind: Some(e.kind()),
                            dele_sent: false,
                        });
                    }
                }
            }
        }

        // Deletions recorded by an earlier run and never confirmed go first.
        let mut to_delete: Vec<usize> = Vec::new();
        if args.delete
            && let Some(st) = state.as_ref()
        {
            for m in listed {
                if m.uidl.as_ref().is_some_and(|u| st.pending().contains(u)) {
                    let i = self.push(m, "skipped", None);
                    self.results[i].error = Some("stored on an earlier run; deleting".into());
                    to_delete.push(i);
                }
            }
        }

        let mut todo: Vec<&Listed> = Vec::new();
        for m in chosen {
            let seen = match (state.as_ref(), &m.uidl) {
                (Some(st), Some(u)) => st.is_seen(u),
                _ => false,
            };
            if args.new_only && seen {
                continue;
            }
            if let Some(max) = args.max_size
                && m.size > max
            {
                let i = self.push(m, "skipped", None);
                self.results[i].error = Some(format!("larger than --max-size {max}"));
                continue;
            }
            todo.push(m);
        }
        if let Some(max) = args.max_messages {
            todo.truncate(max);
        }

        self.delete(session, &to_delete)?;
        let batch = if self.pipelining { BATCH } else { 1 };
        for chunk in todo.chunks(batch) {
            if let Some(st) = state.as_mut() {
                let uids: Vec<&str> = chunk.iter().filter_map(|m| m.uidl.as_deref()).collect();
                // In-doubt ones keep their F record; only fresh fetches need one.
                let fresh: Vec<&str> = uids
                    .iter()
                    .copied()
                    .filter(|u| !st.is_in_doubt(u))
                    .collect();
                if !fresh.is_empty() {
                    st.begin(&fresh)?;
                }
            }
            let mut fetched = Vec::new();
            let mut plain = Vec::new();
            for m in chunk {
                let doubt = match (state.as_ref(), &m.uidl) {
                    (Some(st), Some(u)) => st.is_in_doubt(u) && !self.searchable.is_empty(),
                    _ => false,
                };
                if doubt && let Some(path) = self.find_stored(session, m)? {
                    let i = self.push(m, "fetched", None);
                    self.results[i].stored = Some(path.display().to_string());
                    self.results[i].error = Some("already stored by an interrupted run".into());
                    if let (Some(st), Some(u)) = (state.as_mut(), &m.uidl) {
                        st.record(u, args.delete)?;
                    }
                    fetched.push(i);
                } else {
                    plain.push(*m);
                }
            }
            if self.pipelining {
                for m in &plain {
                    session.request(self.part(m.number))?;
                }
            }
            for m in &plain {
                if !self.pipelining {
                    session.request(self.part(m.number))?;
                }
                if let Some(i) = self.fetch_one(session, m)? {
                    if let (Some(st), Some(u)) = (state.as_mut(), &m.uidl) {
                        st.record(u, args.delete)?;
                    }
                    fetched.push(i);
                }
            }
            if args.delete {
                self.delete(session, &fetched)?;
            }
        }
        Ok(())
    }

    /// Reads one requested message into the store; `Some(result index)` when it is durable.
    fn fetch_one(&mut self, session: &mut Session, m: &Listed) -> Result<Option<usize>> {
        let hint = m.uidl.clone().unwrap_or_else(|| m.number.to_string());
        let part = self.part(m.number);
        let limit = body_limit(m.size);
        // The delivery borrows the store: decide inside, record outside.
        let result: Result<String> = match self.store.begin(&hint) {
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
        match result {
            Ok(place) => {
                let i = self.push(m, "fetched", None);
                self.results[i].stored = Some(place);
                Ok(Some(i))
            }
            Err(e) => {
                self.push(m, "failed", Some(e));
                Ok(None)
            }
        }
    }

    /// For a message whose earlier fetch was interrupted: retrieves it into a digest and looks for a stored
    /// file with the same bytes.
    fn find_stored(&mut self, session: &mut Session, m: &Listed) -> Result<Option<PathBuf>> {
        let part = self.part(m.number);
        // The store keeps LF line endings: digest what it would have written.
        let mut lf = ToLf::new(Digester::default());
        match session.retrieve(part, &mut lf, body_limit(m.size))? {
            Retrieved::Refused(_) => return Ok(None),
            Retrieved::Body(_) => {}
        }
        let digest = lf.finish().map_err(|e| Error::local("digest", e))?;
        let (len, sum) = (digest.len, digest.md5.finalize());
        if self.size_index.is_none() {
            let mut index: HashMap<u64, Vec<PathBuf>> = HashMap::new();
            for dir in &self.searchable {
                let Ok(entries) = std::fs::read_dir(dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    if let Ok(meta) = entry.metadata()
                        && meta.is_file()
                    {
                        index.entry(meta.len()).or_default().push(entry.path());
                    }
                }
            }
            self.size_index = Some(index);
        }
        let candidates = self
            .size_index
            .as_ref()
            .and_then(|i| i.get(&len))
            .cloned()
            .unwrap_or_default();
        for path in candidates {
            if file_md5(&path).is_some_and(|s| s == sum.as_slice()) {
                return Ok(Some(path));
            }
        }
        Ok(None)
    }

    /// DELE for the given results (pipelined when possible); a refusal marks that message failed.
    fn delete(&mut self, session: &mut Session, which: &[usize]) -> Result<()> {
        if self.pipelining {
            for &i in which {
                session.dele_request(self.results[i].number)?;
            }
        }
        for &i in which {
            let n = self.results[i].number;
            let r = if self.pipelining {
                session.dele_response(n)
            } else {
                session.dele(n)
            };
            match r {
                Ok(()) => self.results[i].dele_sent = true,
                Err(e) if e.kind() == ErrorKind::Permanent || e.kind() == ErrorKind::Transient => {
                    self.report(&e);
                    self.results[i].error = Some(e.to_string());
                    self.results[i].kind = Some(ErrorKind::Partial);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// QUIT; on `+OK` the marked messages are deleted (RFC 1939 §6) and the state forgets them.
fn finish_session(
    args: &Args,
    session: Session,
    state: &mut Option<UidlState>,
    results: &mut [MessageResult],
    listed: &[Listed],
) -> Result<()> {
    let marked: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].dele_sent)
        .collect();
    let quit = session.quit();
    match quit {
        Ok(()) => {
            let mut gone = Vec::new();
            for &i in &marked {
                results[i].deleted = true;
                if let Some(u) = &results[i].uidl {
                    gone.push(u.clone());
                }
            }
            if let Some(st) = state.as_mut() {
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
            if !args.net.quiet && !args.net.json {
                crate::cli::report("pop3-fetch", &e.within("warning"));
            }
            Ok(())
        }
        Err(e) => Err(Error::new(
            ErrorKind::Partial,
            format!(
                "deletion of {} message(s) was not confirmed (they are stored locally and still on the server{}): {e}",
                marked.len(),
                if state.is_some() {
                    "; the next --delete run deletes them"
                } else {
                    ""
                }
            ),
        )),
    }
}

/// Prints the JSON or the summary and picks the exit code.
fn conclude(args: &Args, outcome: Result<()>, results: Vec<MessageResult>) -> Result<Outcome> {
    let fetched = results.iter().filter(|r| r.status == "fetched").count();
    let failed: Vec<&MessageResult> = results
        .iter()
        .filter(|r| r.status == "failed" || r.kind == Some(ErrorKind::Partial))
        .collect();
    let deleted = results.iter().filter(|r| r.deleted).count();
    if args.net.json {
        let err = outcome.as_ref().err().map(
            |e| serde_json::json!({ "exit_code": e.kind().exit_code(), "message": e.to_string() }),
        );
        crate::json::print(&serde_json::json!({
            "messages": results,
            "fetched": fetched,
            "deleted": deleted,
            "failed": failed.len(),
            "error": err,
        }))?;
    } else if !args.net.quiet {
        let skipped = results.iter().filter(|r| r.status == "skipped").count();
        eprintln!(
            "pop3-fetch: {fetched} fetched, {skipped} skipped, {} failed, {deleted} deleted",
            failed.len()
        );
    }
    outcome.map_err(|e| e.reported(false))?;
    if failed.is_empty() {
        return Ok(Outcome::Success);
    }
    // Nothing worked and every failure is of one kind: exit with that kind's code.
    let kinds: Vec<ErrorKind> = failed.iter().filter_map(|r| r.kind).collect();
    if fetched == 0 && !kinds.is_empty() && kinds.iter().all(|k| *k == kinds[0]) {
        return Err(
            Error::new(kinds[0], format!("{} message(s) failed", failed.len())).reported(true),
        );
    }
    Ok(Outcome::Partial)
}

/// The most body bytes accepted for a message LIST said is `size` bytes: room for a server that counts
/// line endings differently, never unbounded.
fn body_limit(size: u64) -> u64 {
    size.saturating_mul(2).saturating_add(1 << 20)
}

/// A writer that remembers its first error and swallows the rest, so a body is always read to its end.
struct Guarded<W: Write> {
    inner: W,
    error: Option<io::Error>,
}

impl<W: Write> Write for Guarded<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.error.is_none()
            && let Err(e) = self.inner.write_all(buf)
        {
            self.error = Some(e);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.error.is_none()
            && let Err(e) = self.inner.flush()
        {
            self.error = Some(e);
        }
        Ok(())
    }
}

#[derive(Default)]
struct Digester {
    md5: Md5,
    len: u64,
}

impl Write for Digester {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.md5.update(buf);
        self.len += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn file_md5(path: &Path) -> Option<Vec<u8>> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut d = Digester::default();
    io::copy(&mut f, &mut d).ok()?;
    Some(d.md5.finalize().to_vec())
}
