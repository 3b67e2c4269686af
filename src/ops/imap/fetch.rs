//! `imap-fetch`: select a mailbox, search it, and stream the chosen messages (or their headers, or one
//! MIME part) into a [`Store`], then delete or move them on the server once they are durable.
//!
//! Order of events per batch of UIDs (one `UID FETCH` each, so a thousand messages are a handful of round
//! trips): each body literal streams into a fresh [`Delivery`] — for a Maildir or `--dir` on one of the
//! commit threads of `pool`, so disk waits overlap; with `--new-only` the state is written with the
//! message as `pending` (see `state`), the delivery is committed, and once the commit has returned
//! the message counts as stored. After the batch, every commit is awaited, the stored UIDs are flagged
//! \Deleted and expunged (or moved), and the state forgets them. A FETCH for a UID not asked for, or a second one for the same UID, is read and dropped.
//! A failure stops the run; what was stored is recorded first, and the run ends with exit 10 if some
//! messages were stored, else with the failure's own code.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::cli::imap_fetch::Args;
use crate::error::{Error, ErrorKind, Result};
use crate::imap::{Body, BodySink, Fetch, Session, quote, set};
use crate::mime::decode::Decoder;
use crate::ops::Outcome;
use crate::ops::imap::connect::Connector;
use crate::ops::imap::pool::{Done, Pool};
use crate::ops::imap::state::{Fnv, Pending, State, already_stored};
use crate::store::{Delivery, Store, Target, ToLf};

/// Commit threads for a Maildir or `--dir`.
const COMMIT_THREADS: usize = 4;

/// The most bytes of a part's MIME header read for `--decode`.
const MIME_HEADER_CAP: usize = 64 * 1024;

/// One message's result, as printed with `--json`.
#[derive(Debug, Serialize)]
pub struct MessageResult {
    /// The UID.
    pub uid: u32,
    /// Bytes stored.
    pub bytes: u64,
    /// `ok`, `skipped` (larger than --max-size), `missing` (gone from the server meanwhile).
    pub status: &'static str,
    /// Where it went: a path, `mda` or `-`.
    pub path: Option<String>,
}

/// The `--json` document.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// The mailbox.
    pub mailbox: String,
    /// Its UIDVALIDITY.
    pub uidvalidity: Option<u32>,
    /// Messages handled, in UID order.
    pub messages: Vec<MessageResult>,
    /// Messages deleted on the server.
    pub deleted: usize,
    /// Messages moved on the server.
    pub moved: usize,
    /// What stopped the run, if anything.
    pub error: Option<ErrorJson>,
}

pub use crate::json::ErrorJson;

/// What happens on the server to a stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Removal {
    Keep,
    Delete,
    Move(String),
}

/// Runs imap-fetch.
pub fn run(args: &Args) -> Result<Outcome> {
    let section = match (&args.part, args.headers_only) {
        (Some(p), _) => check_section(p)?,
        (None, true) => "HEADER".to_string(),
        (None, false) => String::new(),
    };
    quote::search(&args.search)?;
    let removal = match (&args.move_to, args.delete) {
        (Some(m), _) => {
            quote::mailbox(m)?;
            Removal::Move(m.clone())
        }
        (None, true) => Removal::Delete,
        (None, false) => Removal::Keep,
    };
    let conn = Connector::new(&args.url, &args.net, args.auth)?;
    let mailbox = match conn.target.path.trim_end_matches('/') {
        "" => "INBOX".to_string(),
        p => p.to_string(),
    };
    quote::mailbox(&mailbox)?;
    let target = args.output.target();
    let mut store = Store::open(target.clone())?;
    let pool = match target {
        Target::Maildir(_) | Target::Dir(_) => Some(Pool::new(&target, COMMIT_THREADS)?),
        _ => None,
    };
    let mut session = conn.open_with_retries(args.net.retries)?;
    let mut f = Fetcher {
        args,
        section,
        removal,
        state: None,
        state_path: args.state.clone(),
        summary: Summary {
            mailbox: mailbox.clone(),
            uidvalidity: None,
            messages: Vec::new(),
            deleted: 0,
            moved: 0,
            error: None,
        },
        stored: 0,
        pool,
        progress: Advance::default(),
    };
    let result = f.fetch(&mut session, &mut store, &mailbox);
    if let Err(e) = &result {
        // Whatever was stored must be remembered even when the session broke.
        if let (Some(st), Some(path)) = (&f.state, &f.state_path)
            && let Err(se) = st.save(path)
        {
            crate::cli::report("imap-fetch", &se);
        }
        f.summary.error = Some(ErrorJson {
            exit_code: e.kind().exit_code(),
            message: e.to_string(),
        });
        session.close();
    } else {
        session.logout();
    }
    f.finish(result)
}

/// `1`, `1.2`, `2.1.3`: dot-separated part numbers.
fn check_section(p: &str) -> Result<String> {
    let ok = !p.is_empty()
        && p.split('.').all(|n| {
            !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit()) && n != "0"
        });
    if !ok {
        return Err(Error::usage(format!(
            "--part {}: expected part numbers like 1 or 1.2",
            crate::terminal::escape(p)
        )));
    }
    Ok(p.to_string())
}

struct Fetcher<'a> {
    args: &'a Args,
    section: String,
    removal: Removal,
    state: Option<State>,
    state_path: Option<PathBuf>,
    summary: Summary,
    stored: usize,
    pool: Option<Pool>,
    progress: Advance,
}

impl Fetcher<'_> {
    fn warn(&self, msg: &str) {
        if !self.args.net.quiet {
            eprintln!("imap-fetch: warning: {}", crate::terminal::escape(msg));
        }
    }

    fn save_state(&self) -> Result<()> {
        match (&self.state, &self.state_path) {
            (Some(st), Some(p)) => st.save(p),
            _ => Ok(()),
        }
    }

    fn fetch(&mut self, s: &mut Session, store: &mut Store, mailbox: &str) -> Result<()> {
        let writing = self.removal != Removal::Keep || self.args.mark_seen;
        let sel = s.select(mailbox, !writing)?;
        if writing && sel.read_only {
            return Err(Error::new(
                ErrorKind::Permanent,
                format!(
                    "{}: the mailbox is read-only, so messages cannot be marked, deleted or moved",
                    crate::terminal::escape(mailbox)
                ),
            ));
        }
        self.summary.uidvalidity = sel.uidvalidity;
        let mut last_uid = 0u32;
        if self.args.new_only {
            last_uid = self.load_state(s, store, mailbox, sel.uidvalidity)?;
        }
        let criteria = if last_uid > 0 {
            match last_uid.checked_add(1) {
                Some(n) => format!("UID {n}:* ({})", self.args.search),
                None => return Ok(()),
            }
        } else {
            self.args.search.clone()
        };
        let known: HashSet<u32> = self
            .state
            .as_ref()
            .map(|st| st.stored.iter().copied().collect())
            .unwrap_or_default();
        let mut uids: Vec<u32> = s
            .uid_search(&quote::search(&criteria)?)?
            .into_iter()
            .filter(|&u| u > last_uid)
            .collect();
        // Stored by an interrupted run: counted as done, never fetched again.
        let already: Vec<u32> = uids.iter().copied().filter(|u| known.contains(u)).collect();
        uids.retain(|u| !known.contains(u));
        if let Some(n) = self.args.max_messages {
            uids.truncate(n);
        }
        let skipped = self.too_large(s, &uids)?;
        let mut order: Vec<u32> = uids.iter().chain(&already).copied().collect();
        order.sort_unstable();
        self.progress = Advance {
            order,
            next: 0,
            done: already.into_iter().collect(),
        };
        for &u in &skipped {
            self.summary.messages.push(MessageResult {
                uid: u,
                bytes: 0,
                status: "skipped",
                path: None,
            });
            self.progress.done.insert(u);
        }
        self.advance();
        for chunk in uids.chunks(self.args.batch as usize) {
            let wanted: Vec<u32> = chunk
                .iter()
                .copied()
                .filter(|u| !skipped.contains(u))
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let stored = self.batch(s, store, &wanted)?;
            self.remove(s, &stored)?;
        }
        self.save_state()
    }

    /// Loads (or starts) the state, finishes an interrupted run's pending message and removals, and
    /// returns the last stored UID.
    fn load_state(
        &mut self,
        s: &mut Session,
        store: &Store,
        mailbox: &str,
        uidvalidity: Option<u32>,
    ) -> Result<u32> {
        let Some(path) = self.state_path.clone() else {
            return Ok(0);
        };
        let uv = uidvalidity.ok_or_else(|| {
            Error::protocol(
                "the server sent no UIDVALIDITY, so --new-only cannot tell old from new",
            )
        })?;
        let fresh = State {
            version: 1,
            mailbox: mailbox.to_string(),
            uidvalidity: uv,
            ..State::default()
        };
        let mut st = match State::load(&path)? {
            None => fresh,
            Some(old) if old.mailbox != mailbox => {
                self.warn(&format!(
                    "{}: the state is for mailbox {:?}; fetching everything from {mailbox:?}",
                    path.display(),
                    old.mailbox
                ));
                fresh
            }
            Some(old) if old.uidvalidity != uv => {
                self.warn(&format!(
                    "UIDVALIDITY of {mailbox:?} changed from {} to {uv}: fetching every message again",
                    old.uidvalidity
                ));
                fresh
            }
            Some(old) => old,
        };
        for p in std::mem::take(&mut st.pending) {
            if already_stored(store.target(), &p) {
                st.stored.push(p.uid);
                if self.removal != Removal::Keep {
                    st.delete.push(p.uid);
                }
            }
        }
        let last = st.last_uid;
        let leftover = std::mem::take(&mut st.delete);
        self.state = Some(st);
        self.save_state()?;
        if self.removal != Removal::Keep && !leftover.is_empty() {
            // Stored by an earlier run that stopped before removing them.
            if let Some(st) = &mut self.state {
                st.delete = leftover.clone();
            }
            self.save_state()?;
            self.remove(s, &leftover)?;
        } else if let Some(st) = &mut self.state {
            st.delete = leftover;
        }
        Ok(last)
    }

    /// With `--max-size`: the UIDs whose RFC822.SIZE is larger (warned about, never fetched).
    fn too_large(&mut self, s: &mut Session, uids: &[u32]) -> Result<HashSet<u32>> {
        let mut out = HashSet::new();
        let Some(max) = self.args.max_size else {
            return Ok(out);
        };
        let wanted: HashSet<u32> = uids.iter().copied().collect();
        for chunk in uids.chunks(1000) {
            let tag = s.uid_fetch_start(&set::format(chunk), "(UID RFC822.SIZE)")?;
            while let Some(f) = s.fetch_next(&tag, &mut NoBodies, 0)? {
                if let (Some(u), Some(size)) = (f.uid, f.size)
                    && size > max
                    && wanted.contains(&u)
                    && out.insert(u)
                {
                    self.warn(&format!(
                        "UID {u}: {size} bytes, larger than --max-size {max}; skipped"
                    ));
                }
            }
        }
        Ok(out)
    }

    /// With `--decode`: each message's Content-Transfer-Encoding of the part.
    fn encodings(&mut self, s: &mut Session, wanted: &[u32]) -> Result<HashMap<u32, String>> {
        let mut out = HashMap::new();
        if !self.args.decode {
            return Ok(out);
        }
        let items = format!("(UID BODY.PEEK[{}.MIME])", self.section);
        let tag = s.uid_fetch_start(&set::format(wanted), &items)?;
        loop {
            let mut mem = Mem::default();
            let Some(f) = s.fetch_next(&tag, &mut mem, u64::MAX)? else {
                break;
            };
            let header = match f.body {
                Some(Body::Inline(b)) => b,
                Some(Body::Streamed(_)) => mem.buf,
                None => continue,
            };
            if let Some(u) = f.uid {
                out.insert(u, transfer_encoding(&header));
            }
        }
        Ok(out)
    }

    /// Fetches one batch; returns the UIDs stored.
    fn batch(&mut self, s: &mut Session, store: &mut Store, wanted: &[u32]) -> Result<Vec<u32>> {
        let encodings = self.encodings(s, wanted)?;
        let peek = if self.args.mark_seen {
            "BODY"
        } else {
            "BODY.PEEK"
        };
        let items = format!("(UID {peek}[{}])", self.section);
        let tag = s.uid_fetch_start(&set::format(wanted), &items)?;
        let want: HashSet<u32> = wanted.iter().copied().collect();
        let mut got: HashSet<u32> = HashSet::new();
        let mut stored = Vec::new();
        let cap = self.args.max_size.unwrap_or(u64::MAX);
        let mut pool = self.pool.take();
        let result = (|| -> Result<()> {
            loop {
                let mut slot = Slot {
                    store: Some(&mut *store),
                    pool: pool.as_mut(),
                    out: Out::None,
                    fnv: Some(ToLf::new(Fnv::default())),
                    decoder: None,
                    buf: Vec::new(),
                    raw: 0,
                    want: &want,
                    got: &got,
                    encodings: &encodings,
                    decode: self.args.decode,
                };
                let Some(f) = s.fetch_next(&tag, &mut slot, cap)? else {
                    break;
                };
                let Some(uid) = self.accept(&f, &want, &got)? else {
                    slot.abandon();
                    continue;
                };
                let done = self.store_one(uid, &f, slot)?;
                got.insert(uid);
                if let Some(done) = done {
                    self.record(done, &mut stored)?;
                }
                while let Some(done) = pool.as_mut().and_then(Pool::try_done) {
                    self.record(done, &mut stored)?;
                }
            }
            Ok(())
        })();
        // Every commit under way finishes (or fails) before anything else happens.
        let finished = pool.as_mut().map(Pool::wait).unwrap_or_default();
        self.pool = pool;
        let mut first_err = result.err();
        for done in finished {
            if let Err(e) = self.record(done, &mut stored) {
                first_err.get_or_insert(e);
            }
        }
        if let Some(e) = first_err {
            return Err(e);
        }
        for &u in wanted {
            if !got.contains(&u) {
                self.warn(&format!(
                    "UID {u}: the server sent no such message (expunged meanwhile?)"
                ));
                self.summary.messages.push(MessageResult {
                    uid: u,
                    bytes: 0,
                    status: "missing",
                    path: None,
                });
                self.progress.done.insert(u);
            }
        }
        self.advance();
        self.save_state()?;
        Ok(stored)
    }

    /// A finished commit: the message counts as stored.
    fn record(&mut self, done: Done, stored: &mut Vec<u32>) -> Result<()> {
        let uid = done.uid;
        let (bytes, path) = done.result.map_err(|e| e.within(format!("UID {uid}")))?;
        stored.push(uid);
        self.stored += 1;
        self.summary.messages.push(MessageResult {
            uid,
            bytes,
            status: "ok",
            path: Some(path),
        });
        self.progress.done.insert(uid);
        if let Some(st) = &mut self.state {
            st.pending.retain(|p| p.uid != uid);
            st.stored.push(uid);
            if self.removal != Removal::Keep {
                st.delete.push(uid);
            }
        }
        self.advance();
        Ok(())
    }

    /// The UID of a FETCH response that carries a body we asked for and have not stored yet.
    fn accept(&self, f: &Fetch, want: &HashSet<u32>, got: &HashSet<u32>) -> Result<Option<u32>> {
        if f.body.is_none() {
            return Ok(None); // a flag update
        }
        let Some(uid) = f.uid else {
            return Err(Error::protocol(format!(
                "a FETCH response with a body but no UID (message {})",
                f.seq
            )));
        };
        if !want.contains(&uid) || got.contains(&uid) {
            return Ok(None);
        }
        Ok(Some(uid))
    }

    /// Completes one message and starts its commit (after recording it as pending); returns the result
    /// when the commit ran here rather than on a commit thread.
    fn store_one(&mut self, uid: u32, f: &Fetch, mut slot: Slot<'_>) -> Result<Option<Done>> {
        match &f.body {
            Some(Body::Inline(bytes)) => {
                slot.begin(f.seq, Some(uid), bytes.len() as u64)?;
                if !bytes.is_empty() {
                    slot.write(bytes)?;
                }
                slot.end()?;
            }
            Some(Body::Streamed(n)) => {
                if slot.raw != *n || matches!(slot.out, Out::None) {
                    return Err(Error::protocol(format!(
                        "UID {uid}: the body did not arrive as announced"
                    )));
                }
            }
            None => return Err(Error::new(ErrorKind::Internal, "no body")),
        }
        let fnv = slot
            .fnv
            .take()
            .map(ToLf::finish)
            .transpose()
            .map_err(|e| Error::local("hash", e))?
            .unwrap_or_default();
        if let (Some(st), Some(_)) = (&mut self.state, &self.state_path) {
            st.pending.push(Pending {
                uid,
                size: fnv.len,
                hash: fnv.hash,
            });
        }
        self.save_state()?;
        match std::mem::replace(&mut slot.out, Out::None) {
            Out::Local(delivery) => {
                let bytes = delivery.bytes();
                let result = delivery.commit().map(|p| (bytes, p));
                Ok(Some(Done { uid, result }))
            }
            Out::Remote(w) => {
                let pool = slot
                    .pool
                    .as_deref_mut()
                    .ok_or_else(|| Error::new(ErrorKind::Internal, "no commit threads"))?;
                pool.commit(w)?;
                Ok(None)
            }
            Out::None => Err(Error::new(ErrorKind::Internal, "no delivery")),
        }
    }

    /// Moves `last_uid` up through every handled message in UID order.
    fn advance(&mut self) {
        let p = &mut self.progress;
        while p.next < p.order.len() && p.done.contains(&p.order[p.next]) {
            if let Some(st) = &mut self.state {
                st.last_uid = st.last_uid.max(p.order[p.next]);
            }
            p.next += 1;
        }
        if let Some(st) = &mut self.state {
            let last = st.last_uid;
            st.stored.retain(|&u| u > last);
        }
    }

    /// Deletes or moves stored messages on the server, then forgets them in the state.
    fn remove(&mut self, s: &mut Session, uids: &[u32]) -> Result<()> {
        if uids.is_empty() || self.removal == Removal::Keep {
            return Ok(());
        }
        let set = set::format(uids);
        match &self.removal {
            Removal::Keep => {}
            Removal::Delete => {
                s.uid_store_add(&set, "\\Deleted")?;
                s.expunge(&set)?;
                self.summary.deleted += uids.len();
            }
            Removal::Move(dest) => {
                s.uid_move(&set, dest)?;
                self.summary.moved += uids.len();
            }
        }
        if let Some(st) = &mut self.state {
            st.delete.retain(|u| !uids.contains(u));
        }
        self.save_state()
    }

    fn finish(mut self, result: Result<()>) -> Result<Outcome> {
        self.summary.messages.sort_by_key(|m| m.uid);
        let json = self.args.net.json;
        if json {
            crate::json::print(&self.summary)?;
        } else if !self.args.net.quiet {
            let bytes: u64 = self.summary.messages.iter().map(|m| m.bytes).sum();
            let mut line = format!(
                "imap-fetch: {} message(s), {bytes} bytes from {}",
                self.stored,
                crate::terminal::escape(&self.summary.mailbox)
            );
            if self.summary.deleted > 0 {
                line.push_str(&format!(", {} deleted", self.summary.deleted));
            }
            if self.summary.moved > 0 {
                line.push_str(&format!(", {} moved", self.summary.moved));
            }
            eprintln!("{line}");
        }
        match result {
            Ok(()) => Ok(Outcome::Success),
            Err(e) if self.stored > 0 => {
                if !json {
                    crate::cli::report("imap-fetch", &e);
                }
                Ok(Outcome::Partial)
            }
            Err(e) => Err(e.reported(json)),
        }
    }
}

/// Which messages are handled, in UID order, to move `last_uid` only over a complete prefix.
#[derive(Default)]
struct Advance {
    order: Vec<u32>,
    next: usize,
    done: HashSet<u32>,
}

/// The Content-Transfer-Encoding in a MIME header (unfolded, case-insensitive); `7bit` when absent.
fn transfer_encoding(header: &[u8]) -> String {
    let text = String::from_utf8_lossy(header);
    let mut value: Option<String> = None;
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if let Some(v) = &mut value {
            if line.starts_with([' ', '\t']) {
                v.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((name, v)) = line.split_once(':')
            && name
                .trim()
                .eq_ignore_ascii_case("content-transfer-encoding")
        {
            value = Some(v.trim().to_string());
        }
    }
    value
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_else(|| "7bit".to_string())
}

/// Bodies are not expected (a size query): any that comes is dropped.
struct NoBodies;

impl BodySink for NoBodies {
    fn begin(&mut self, _: u32, _: Option<u32>, _: u64) -> Result<()> {
        Ok(())
    }
    fn write(&mut self, _: &[u8]) -> Result<()> {
        Ok(())
    }
    fn end(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A small body in memory (a part's MIME header), at most [`MIME_HEADER_CAP`] bytes kept.
#[derive(Default)]
struct Mem {
    buf: Vec<u8>,
}

impl BodySink for Mem {
    fn begin(&mut self, _: u32, _: Option<u32>, _: u64) -> Result<()> {
        self.buf.clear();
        Ok(())
    }
    fn write(&mut self, chunk: &[u8]) -> Result<()> {
        let room = MIME_HEADER_CAP.saturating_sub(self.buf.len());
        self.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        Ok(())
    }
    fn end(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Where one message's bytes go.
enum Out<'s> {
    /// Nowhere (not wanted, or not begun).
    None,
    /// A delivery in this thread (mbox, MDA, stdout: order matters).
    Local(Delivery<'s>),
    /// A delivery on commit thread n.
    Remote(usize),
}

/// Where the body of one FETCH response goes: a delivery begun when the body starts (for a UID we
/// want), decoded when asked, hashed as stored for the state's `pending` record.
struct Slot<'s> {
    store: Option<&'s mut Store>,
    pool: Option<&'s mut Pool>,
    out: Out<'s>,
    fnv: Option<ToLf<Fnv>>,
    decoder: Option<Decoder>,
    buf: Vec<u8>,
    raw: u64,
    want: &'s HashSet<u32>,
    got: &'s HashSet<u32>,
    encodings: &'s HashMap<u32, String>,
    decode: bool,
}

impl Slot<'_> {
    fn emit(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(h) = &mut self.fnv {
            h.write_all(bytes).map_err(|e| Error::local("hash", e))?;
        }
        match &mut self.out {
            Out::None => Ok(()),
            Out::Local(d) => d
                .write_all(bytes)
                .map_err(|e| Error::local("writing the message", e)),
            Out::Remote(w) => match &self.pool {
                Some(p) => p.data(*w, bytes),
                None => Ok(()),
            },
        }
    }

    /// Drops a body that turned out not to be wanted.
    fn abandon(self) {
        if let (Out::Remote(w), Some(p)) = (&self.out, &self.pool) {
            let _ = p.abort(*w);
        }
    }
}

impl BodySink for Slot<'_> {
    fn begin(&mut self, seq: u32, uid: Option<u32>, _len: u64) -> Result<()> {
        if let Some(u) = uid
            && (!self.want.contains(&u) || self.got.contains(&u))
        {
            return Ok(()); // not asked for: read and dropped
        }
        if !matches!(self.out, Out::None) {
            return Ok(());
        }
        if self.decode {
            let u = uid.ok_or_else(|| {
                Error::protocol(format!(
                    "message {seq}: the server sent the body before the UID, which --decode needs first"
                ))
            })?;
            let cte = self.encodings.get(&u).map_or("7bit", String::as_str);
            self.decoder = Some(Decoder::for_encoding(cte, false));
        }
        let hint = uid.map_or_else(|| format!("seq-{seq}"), |u| u.to_string());
        if let Some(pool) = self.pool.as_deref_mut() {
            self.out = Out::Remote(pool.begin(uid.unwrap_or(0), hint)?);
        } else if let Some(store) = self.store.take() {
            self.out = Out::Local(store.begin(&hint)?);
        }
        Ok(())
    }

    fn write(&mut self, chunk: &[u8]) -> Result<()> {
        if matches!(self.out, Out::None) {
            return Ok(());
        }
        self.raw += chunk.len() as u64;
        match self.decoder.take() {
            Some(mut dec) => {
                let mut out = std::mem::take(&mut self.buf);
                out.clear();
                let r = dec.feed(chunk, &mut out);
                self.decoder = Some(dec);
                self.emit(&out)?;
                self.buf = out;
                r.map_err(|e| Error::protocol(format!("decoding the part: {e:?}")))
            }
            None => self.emit(chunk),
        }
    }

    fn end(&mut self) -> Result<()> {
        if let Some(mut dec) = self.decoder.take() {
            let mut out = Vec::new();
            let r = dec.finish(&mut out);
            self.emit(&out)?;
            r.map_err(|e| Error::protocol(format!("decoding the part: {e:?}")))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_encodings() {
        assert_eq!(check_section("1.2").unwrap(), "1.2");
        for bad in ["", "1.", ".1", "a", "1..2", "0", "1 2", "HEADER"] {
            assert!(check_section(bad).is_err(), "{bad}");
        }
        assert_eq!(
            transfer_encoding(
                b"Content-Type: text/plain\r\nContent-Transfer-Encoding:\r\n  BASE64\r\n\r\n"
            ),
            "base64"
        );
        assert_eq!(transfer_encoding(b"Content-Type: text/plain\r\n"), "7bit");
    }
}
