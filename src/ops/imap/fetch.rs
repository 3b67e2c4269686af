//! `imap-fetch`: select a mailbox, search it, and stream the chosen messages (or their headers, or one
//! MIME part) into a [`Store`], then delete or move them on the server once they are durable.
//!
//! Order of events per batch of UIDs (one `UID FETCH` each, so a thousand messages are a handful of round
//! trips): each body literal streams into a fresh [`Delivery`] — for a Maildir or `--dir` on one of the
//! commit threads of `pool`, so disk waits overlap; with `--new-only` the state is written with the
//! message as `pending` (see `state`) and the delivery is committed. After the batch, every commit is awaited, a Maildir's `new/` is fsynced
//! once for all of them (only then do they count as stored), the stored UIDs are flagged
//! \Deleted and expunged (or moved), and the state forgets them. A FETCH for a UID not asked for, or a
//! second one for the same UID, is read and dropped. A UID asked for and not sent is asked about with
//! `UID SEARCH UID ...`: gone, it is skipped; still there, it failed, and `last_uid` never passes it, so
//! the next run asks again. `--state` is locked for the whole run ([`RunLock`]): a second run waits,
//! then exits 7, rather than fetching the same messages.
//!
//! The run outlives its sessions (`--retries`): what was stored, skipped or is still to be removed on the
//! server, and the state, live in [`Fetcher`], not in the session. When a session fails transiently (a
//! dropped connection, a timeout, `* BYE`), every commit under way is finished and recorded first; then
//! [`with_retries`] opens a fresh, logged-in session, the mailbox is selected again, its UIDVALIDITY must
//! be the one the run started with (else the run stops: the UIDs it holds would name other messages), the
//! stored messages not yet removed are removed, and the batches go on with the UIDs not yet stored.
//! A failure that ends the run is recorded in the state first; the run ends with exit 10 if some
//! messages were stored, else with the failure's own code ([`Tally::outcome`]).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::imap::{Body, BodySink, Fetch, FetchItems, Section, Session, quote};
use crate::ops::Outcome;
use crate::ops::common::{Connector, ItemResult, Login, NetOptions, Tally, Ui, with_retries};
use crate::ops::imap::connect::opener;
use crate::ops::imap::pool::{Done, Pool};
use crate::ops::imap::slot::{Mem, NoBodies, Out, PartInfo, Slot, file_name, transfer_encoding};
use crate::ops::imap::state::{Book, Fnv, Pending, State, already_stored};
use crate::sasl::Mechanism;
use crate::state::{LOCK_WAIT, RunLock};
use crate::store::{Store, Target, ToLf};

pub use crate::json::ErrorJson;

/// Commit threads for a Maildir or `--dir`.
const COMMIT_THREADS: usize = 4;

/// UIDs per size query (`--max-size`).
const SIZE_BATCH: usize = 1000;

/// What happens on the server to a stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// Nothing (the default).
    Keep,
    /// `--delete`: \Deleted and expunged.
    Delete,
    /// `--move-to MBOX` (UTF-8).
    Move(String),
}

/// What imap-fetch does, checked by `cli`.
#[derive(Debug, Clone)]
pub struct Options {
    /// The server (the URL's path is [`Options::mailbox`]).
    pub target: crate::url::Target,
    /// The mailbox (UTF-8; `INBOX` when the URL names none).
    pub mailbox: String,
    /// Connection, TLS, credentials, retries.
    pub net: NetOptions,
    /// `--auth`.
    pub auth: Option<Mechanism>,
    /// `--search`: IMAP SEARCH criteria as the user wrote them.
    pub search: String,
    /// The whole message, its header (`--headers-only`) or one part (`--part`).
    pub section: Section,
    /// `--mark-seen`: fetch with BODY[] (the server sets \Seen).
    pub mark_seen: bool,
    /// `--decode`: decode the part's Content-Transfer-Encoding (only with a part section).
    pub decode: bool,
    /// `--delete` or `--move-to`.
    pub removal: Removal,
    /// `--new-only --state FILE`.
    pub state: Option<PathBuf>,
    /// `--max-size`.
    pub max_size: Option<u64>,
    /// `--max-messages`.
    pub max_messages: Option<usize>,
    /// `--batch`: UIDs per UID FETCH (at least 1).
    pub batch: usize,
    /// Where messages go.
    pub output: Target,
    /// `--mailbox PATTERN` (repeatable): LIST patterns; each mailbox they match goes into its own
    /// folder under the output (see `folders`). Empty: [`Options::mailbox`] alone, into the output.
    pub patterns: Vec<String>,
    /// `--idle`: keep watching the mailbox after the first fetch.
    pub watch: Option<crate::ops::imap::idle::Watch>,
    /// `--list`: envelopes, flags and sizes of the matching messages instead of fetching them.
    pub list: bool,
    /// `--list --json`: also BODYSTRUCTURE's part tree.
    pub list_json: bool,
}

/// One message's result, as printed with `--json`.
#[derive(Debug, Serialize)]
pub struct MessageResult {
    /// The UID.
    pub uid: u32,
    /// Bytes stored.
    pub bytes: u64,
    /// `ok`; `skipped` (larger than --max-size, or gone from the server meanwhile; exit code 0).
    #[serde(flatten)]
    pub result: ItemResult,
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

/// Runs imap-fetch: sessions (one, or more with `--retries`) until every chosen message is handled;
/// with `--mailbox`, every matching mailbox in turn (`folders`); with `--idle`, for as long as the
/// process lives (`idle`).
pub fn run(opts: &Options, ui: &Ui) -> Result<Outcome> {
    if opts.list {
        return crate::ops::imap::list::run(opts, ui);
    }
    let conn = Connector::for_target(opts.target.clone(), &opts.net, Login::Required)?;
    // One run per state file: two at once would both fetch (and store) every new message.
    let _lock = match &opts.state {
        Some(p) => Some(RunLock::state(p, opts.net.timeout.min(LOCK_WAIT))?),
        None => None,
    };
    let book = match &opts.state {
        Some(p) => Some(Book::load(p, !opts.patterns.is_empty())?),
        None => None,
    };
    if !opts.patterns.is_empty() {
        return crate::ops::imap::folders::run(opts, ui, &conn, book);
    }
    // Several messages on stdout are an mbox (mboxrd), never bodies run together; a watch may fetch
    // any number, so it is one from the start.
    let output = match (&opts.output, &opts.watch) {
        (Target::Stdout, Some(_)) => stdout_mbox(),
        (t, _) => t.clone(),
    };
    let mut store = Store::open(output.clone())?;
    let mut f = Fetcher::new(opts, ui, &opts.mailbox, &output, book)?;
    if let Some(w) = &opts.watch {
        return crate::ops::imap::idle::run(w, &conn, f, &mut store);
    }
    let open = opener(opts.auth);
    let result = with_retries(&opts.net.retry, ui, |_| {
        let mut s = conn.open_once(&open)?;
        match f.session(&mut s, &mut store) {
            Ok(()) => {
                s.logout();
                Ok(())
            }
            Err(e) => {
                s.close();
                // Whatever was stored must be remembered even when the session broke.
                if let Err(se) = f.save_state() {
                    ui.error(&se);
                }
                Err(e)
            }
        }
    });
    f.finish(result.err())
}

/// Standard output as mboxrd (`--mbox -`).
pub(super) fn stdout_mbox() -> Target {
    Target::Mbox(PathBuf::from("-"))
}

/// The run of one mailbox: its state, results and plan, kept across sessions.
pub(super) struct Fetcher<'a> {
    pub(super) opts: &'a Options,
    pub(super) ui: &'a Ui,
    /// The mailbox (UTF-8).
    mailbox: String,
    /// The state file, when there is one.
    pub(super) book: Option<Book>,
    /// This mailbox's state: from the file, or (watching without one) kept in memory only.
    state: Option<State>,
    /// Keep a state in memory even without a file (a watch must know what it fetched already).
    pub(super) remember: bool,
    pub(super) summary: Summary,
    /// Whether a session of this run selected the mailbox (its UIDVALIDITY is the run's).
    selected: bool,
    /// The UIDs to fetch, decided by the first session that searched.
    plan: Option<Vec<u32>>,
    /// Stored (durable) messages not yet deleted or moved on the server.
    to_remove: Vec<u32>,
    pool: Option<Pool>,
    progress: Advance,
}

impl<'a> Fetcher<'a> {
    /// The run of `mailbox` into `output` (commit threads for a Maildir or `--dir`).
    pub(super) fn new(
        opts: &'a Options,
        ui: &'a Ui,
        mailbox: &str,
        output: &Target,
        book: Option<Book>,
    ) -> Result<Fetcher<'a>> {
        let pool = match output {
            Target::Maildir(_) | Target::Dir(_) => Some(Pool::new(output, COMMIT_THREADS)?),
            _ => None,
        };
        Ok(Fetcher {
            opts,
            ui,
            mailbox: mailbox.to_string(),
            book,
            state: None,
            remember: false,
            summary: Summary {
                mailbox: mailbox.to_string(),
                uidvalidity: None,
                messages: Vec::new(),
                deleted: 0,
                moved: 0,
                error: None,
            },
            selected: false,
            plan: None,
            to_remove: Vec::new(),
            pool,
            progress: Advance::default(),
        })
    }

    fn warn(&self, msg: &str) {
        self.ui.notice(&format!("warning: {msg}"));
    }

    pub(super) fn save_state(&mut self) -> Result<()> {
        match (&mut self.state, &mut self.book) {
            (Some(st), Some(book)) => {
                st.delete = self.to_remove.clone();
                book.save(st)
            }
            _ => Ok(()),
        }
    }

    /// One session's share of the run: select, check, finish pending removals, search (once), fetch
    /// the UIDs not yet handled.
    pub(super) fn session(&mut self, s: &mut Session, store: &mut Store) -> Result<()> {
        self.select(s, store)?;
        self.pass(s, store)
    }

    /// Selects the mailbox (EXAMINE unless writing) and checks it is the one the run started with.
    pub(super) fn select(&mut self, s: &mut Session, store: &Store) -> Result<()> {
        let mailbox = &self.mailbox;
        let writing = self.opts.removal != Removal::Keep || self.opts.mark_seen;
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
        if self.selected {
            if sel.uidvalidity.is_none() || sel.uidvalidity != self.summary.uidvalidity {
                return Err(Error::new(
                    ErrorKind::Permanent,
                    format!(
                        "the UIDVALIDITY of {} changed from {} to {} between sessions, so the UIDs of \
                         this run name other messages now; stopping (run again to fetch afresh)",
                        crate::terminal::escape(mailbox),
                        show(self.summary.uidvalidity),
                        show(sel.uidvalidity)
                    ),
                ));
            }
        } else {
            self.selected = true;
            self.summary.uidvalidity = sel.uidvalidity;
        }
        if (self.book.is_some() || self.remember) && self.state.is_none() {
            self.load_state(store, sel.uidvalidity)?;
        }
        Ok(())
    }

    /// Removals still due, the search (once per pass), and the batches of what is not yet handled.
    pub(super) fn pass(&mut self, s: &mut Session, store: &mut Store) -> Result<()> {
        self.remove(s)?;
        let plan = match self.plan.take() {
            Some(plan) => plan,
            None => {
                let plan = self.search(s)?;
                // One message to stdout is itself; several are an mbox (item 7 of issue 17).
                if *store.target() == Target::Stdout && plan.len() > 1 {
                    *store = Store::open(stdout_mbox())?;
                }
                plan
            }
        };
        let todo: Vec<u32> = plan
            .iter()
            .copied()
            .filter(|u| !self.progress.done.contains(u) && !self.progress.failed.contains(u))
            .collect();
        self.plan = Some(plan);
        for chunk in todo.chunks(self.opts.batch.max(1)) {
            self.batch(s, store, chunk)?;
            self.remove(s)?;
        }
        self.save_state()
    }

    /// The UIDs to fetch: the search (above the state's last UID), less what an interrupted run
    /// stored, at most `--max-messages`, less what is over `--max-size` (recorded as skipped).
    fn search(&mut self, s: &mut Session) -> Result<Vec<u32>> {
        let last_uid = self.state.as_ref().map_or(0, |st| st.last_uid);
        let criteria = if last_uid > 0 {
            match last_uid.checked_add(1) {
                Some(n) => format!("UID {n}:* ({})", self.opts.search),
                None => return Ok(Vec::new()),
            }
        } else {
            self.opts.search.clone()
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
        if let Some(n) = self.opts.max_messages {
            uids.truncate(n);
        }
        let skipped = self.too_large(s, &uids)?;
        let mut order: Vec<u32> = uids.iter().chain(&already).copied().collect();
        order.sort_unstable();
        self.progress = Advance {
            order,
            next: 0,
            done: already.into_iter().collect(),
            failed: HashSet::new(),
        };
        for (uid, why) in skipped {
            self.summary.messages.push(MessageResult {
                uid,
                bytes: 0,
                result: ItemResult::skipped(why),
                path: None,
            });
            self.progress.done.insert(uid);
        }
        self.advance();
        uids.retain(|u| !self.progress.done.contains(u));
        Ok(uids)
    }

    /// Loads (or starts) the state and settles an interrupted run's pending messages: one that reached
    /// the store counts as stored (and, with --delete or --move-to, is to be removed); the UIDs the
    /// state lists for removal stay listed until they are removed, whatever stops this run.
    fn load_state(&mut self, store: &Store, uidvalidity: Option<u32>) -> Result<()> {
        let path = self
            .book
            .as_ref()
            .map_or_else(|| PathBuf::from("(memory)"), |b| b.path().to_path_buf());
        let mailbox = &self.mailbox;
        let uv = uidvalidity.ok_or_else(|| {
            Error::protocol(
                "the server sent no UIDVALIDITY, so --new-only cannot tell old from new",
            )
        })?;
        let fresh = State {
            version: 1,
            mailbox: mailbox.clone(),
            uidvalidity: uv,
            ..State::default()
        };
        let mut st = match self.book.as_ref().and_then(|b| b.get(mailbox)) {
            None => fresh,
            Some(old) if old.mailbox != *mailbox => {
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
        let mut to_remove = std::mem::take(&mut st.delete);
        for p in std::mem::take(&mut st.pending) {
            if already_stored(store.target(), &p) {
                st.stored.push(p.uid);
                if self.opts.removal != Removal::Keep {
                    to_remove.push(p.uid);
                }
            }
        }
        self.to_remove = to_remove;
        self.state = Some(st);
        self.save_state()
    }

    /// With `--max-size`: the UIDs whose RFC822.SIZE is larger (noted, never fetched), with why.
    fn too_large(&mut self, s: &mut Session, uids: &[u32]) -> Result<Vec<(u32, String)>> {
        let mut out = Vec::new();
        let Some(max) = self.opts.max_size else {
            return Ok(out);
        };
        let wanted: HashSet<u32> = uids.iter().copied().collect();
        let mut seen = HashSet::new();
        for chunk in uids.chunks(SIZE_BATCH) {
            let tag = s.uid_fetch(chunk, &FetchItems::Size)?;
            while let Some(f) = s.fetch_next(&tag, &mut NoBodies, 0)? {
                if let (Some(u), Some(size)) = (f.uid, f.size)
                    && size > max
                    && wanted.contains(&u)
                    && seen.insert(u)
                {
                    let why = format!("{size} bytes, larger than --max-size {max}");
                    self.warn(&format!("UID {u}: {why}; skipped"));
                    out.push((u, why));
                }
            }
        }
        Ok(out)
    }

    /// With `--decode`: the part's section, whose MIME header names the transfer encoding.
    fn decoded_part(&self) -> Option<&crate::imap::PartNumber> {
        match &self.opts.section {
            Section::Part(p) if self.opts.decode => Some(p),
            _ => None,
        }
    }

    /// With `--decode`: each message's Content-Transfer-Encoding of the part, and the name it is stored
    /// under (its own file name, else `UID-partN`).
    fn encodings(&mut self, s: &mut Session, wanted: &[u32]) -> Result<HashMap<u32, PartInfo>> {
        let mut out = HashMap::new();
        let Some(part) = self.decoded_part() else {
            return Ok(out);
        };
        let items = FetchItems::peek(Section::Mime(part.clone()));
        let tag = s.uid_fetch(wanted, &items)?;
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
                let name = file_name(&header).unwrap_or_else(|| format!("{u}-part{part}"));
                let encoding = transfer_encoding(&header);
                out.insert(u, PartInfo { encoding, name });
            }
        }
        Ok(out)
    }

    /// Fetches one batch; every message whose commit finished is recorded, even when the batch fails.
    fn batch(&mut self, s: &mut Session, store: &mut Store, wanted: &[u32]) -> Result<()> {
        let encodings = self.encodings(s, wanted)?;
        let items = FetchItems::Body {
            section: self.opts.section.clone(),
            mark_seen: self.opts.mark_seen,
        };
        let tag = s.uid_fetch(wanted, &items)?;
        let want: HashSet<u32> = wanted.iter().copied().collect();
        let mut got: HashSet<u32> = HashSet::new();
        let cap = self.opts.max_size.unwrap_or(u64::MAX);
        let decode = self.decoded_part().is_some();
        let mut pool = self.pool.take();
        // Commits finished on the commit threads, not yet durable in name (see below).
        let mut unsynced: Vec<Done> = Vec::new();
        let result = (|| -> Result<()> {
            loop {
                let mut slot = Slot {
                    store: Some(&mut *store),
                    pool: pool.as_mut(),
                    out: Out::None,
                    // The hash is of the bytes as stored: decoded parts are not line-converted.
                    fnv: Some(if decode {
                        ToLf::raw(Fnv::default())
                    } else {
                        ToLf::new(Fnv::default())
                    }),
                    decoder: None,
                    buf: Vec::new(),
                    raw: 0,
                    want: &want,
                    got: &got,
                    encodings: &encodings,
                    decode,
                };
                let f = match s.fetch_next(&tag, &mut slot, cap) {
                    Ok(Some(f)) => f,
                    Ok(None) => break,
                    Err(e) => {
                        // A body cut off mid-literal is never committed.
                        slot.abandon();
                        return Err(e);
                    }
                };
                let Some(uid) = accept(&f, &want, &got)? else {
                    slot.abandon();
                    continue;
                };
                if let Section::Part(part) = &self.opts.section
                    && is_empty(&f)
                {
                    // A server answers a section the message does not have with NIL or an empty
                    // string: nothing to store, ever, so the UID is handled (and failed).
                    slot.abandon();
                    got.insert(uid);
                    let e =
                        Error::new(ErrorKind::Permanent, format!("no part {part} in UID {uid}"));
                    self.failed(uid, &e);
                    self.progress.done.insert(uid);
                    self.advance();
                    continue;
                }
                let done = self.store_one(uid, &f, slot)?;
                got.insert(uid);
                if let Some(done) = done {
                    // Committed here (mbox, MDA, stdout): durable on its own.
                    self.record(done)?;
                }
                while let Some(done) = pool.as_mut().and_then(Pool::try_done) {
                    match done.result {
                        Err(e) => return Err(e.within(format!("UID {}", done.uid))),
                        Ok(_) => unsynced.push(done),
                    }
                }
            }
            Ok(())
        })();
        // Every commit under way finishes (or fails) before anything else happens.
        unsynced.extend(pool.as_mut().map(Pool::wait).unwrap_or_default());
        // Durability: a commit thread's Done means the message's bytes are fsynced and its name is in
        // `new/`, but that name is durable only once `new/` is fsynced — here, once for the whole batch.
        // Nothing below this sync (record: `stored` in the state, `to_remove`; then the state save, and
        // the \Deleted/EXPUNGE or MOVE in `remove`) sees a message of this batch before it; a failed sync
        // records none of them, so none is deleted and a later run fetches them again (a state's
        // `pending` entry finds the copy if it survived). The per-message state save in `store_one`
        // comes before the commit and lists the message only as `pending`.
        let synced = match (&pool, unsynced.is_empty()) {
            (Some(p), false) => p.sync(),
            _ => Ok(()),
        };
        self.pool = pool;
        let mut first_err = result.err();
        match synced {
            Ok(()) => {
                for done in unsynced {
                    if let Err(e) = self.record(done) {
                        first_err.get_or_insert(e);
                    }
                }
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
        if let Some(e) = first_err {
            return Err(e);
        }
        self.missing(s, wanted, &got)?;
        self.advance();
        self.save_state()
    }

    /// The UIDs of a batch the server sent no body for. Only those a `UID SEARCH` confirms are gone
    /// count as handled (skipped: expunged meanwhile); one the server still has failed and stays below
    /// `last_uid`, so a later run asks for it again.
    fn missing(&mut self, s: &mut Session, wanted: &[u32], got: &HashSet<u32>) -> Result<()> {
        let missing: Vec<u32> = wanted
            .iter()
            .copied()
            .filter(|u| !got.contains(u))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let criteria = format!("UID {}", crate::imap::set::format(&missing));
        let present: HashSet<u32> = s
            .uid_search(&quote::search(&criteria)?)?
            .into_iter()
            .collect();
        for u in missing {
            if present.contains(&u) {
                let e = Error::protocol(format!(
                    "UID {u}: the server sent no body for it, yet still has it; it is not recorded as \
                     fetched"
                ));
                self.failed(u, &e);
                continue;
            }
            let why = "the server sent no such message (expunged meanwhile?)";
            self.warn(&format!("UID {u}: {why}"));
            self.summary.messages.push(MessageResult {
                uid: u,
                bytes: 0,
                result: ItemResult::skipped(why),
                path: None,
            });
            self.progress.done.insert(u);
        }
        Ok(())
    }

    /// Records a failed message: reported now, counted by [`Tally`], never fetched again in this run.
    fn failed(&mut self, uid: u32, e: &Error) {
        self.ui.item_error(e);
        self.summary.messages.push(MessageResult {
            uid,
            bytes: 0,
            result: ItemResult::failed(e),
            path: None,
        });
        self.progress.failed.insert(uid);
    }

    /// A finished commit: the message counts as stored.
    fn record(&mut self, done: Done) -> Result<()> {
        let uid = done.uid;
        let (bytes, path) = done.result.map_err(|e| e.within(format!("UID {uid}")))?;
        self.summary.messages.push(MessageResult {
            uid,
            bytes,
            result: ItemResult::ok(),
            path: Some(path),
        });
        self.progress.done.insert(uid);
        if self.opts.removal != Removal::Keep {
            self.to_remove.push(uid);
        }
        if let Some(st) = &mut self.state {
            st.pending.retain(|p| p.uid != uid);
            st.stored.push(uid);
        }
        self.advance();
        Ok(())
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
        if let Some(st) = &mut self.state {
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

    /// Deletes or moves the stored messages not yet removed, then forgets them in the state.
    fn remove(&mut self, s: &mut Session) -> Result<()> {
        if self.to_remove.is_empty() {
            return Ok(());
        }
        let uids = self.to_remove.clone();
        match &self.opts.removal {
            Removal::Keep => return Ok(()),
            Removal::Delete => {
                s.delete_messages(&uids)?;
                self.summary.deleted += uids.len();
            }
            Removal::Move(dest) => {
                s.move_messages(&uids, dest)?;
                self.summary.moved += uids.len();
            }
        }
        self.to_remove.retain(|u| !uids.contains(u));
        self.save_state()
    }

    /// The summary (a note, or the `--json` document) and the outcome.
    pub(super) fn finish(mut self, fatal: Option<Error>) -> Result<Outcome> {
        self.close_summary(fatal.as_ref());
        let tally = Tally::of(self.summary.messages.iter().map(|m| &m.result));
        if self.ui.json() {
            self.ui.print_json(&self.summary)?;
        } else {
            // After a failure the summary says what was done before it; a success is quiet.
            if fatal.is_some() || tally.failed > 0 {
                self.ui.notice(&self.summary.line());
            } else {
                self.ui.note(&self.summary.line());
            }
        }
        tally.outcome(self.ui, "messages", fatal)
    }

    /// Sorts the results and records what stopped this mailbox's run, if anything.
    pub(super) fn close_summary(&mut self, fatal: Option<&Error>) {
        self.summary.messages.sort_by_key(|m| m.uid);
        self.summary.error = fatal.map(|e| ErrorJson {
            exit_code: e.kind().exit_code(),
            message: e.to_string(),
        });
        self.log_messages();
    }

    /// One transaction-log line per message of this pass (`--log`).
    fn log_messages(&self) {
        let server = self.opts.target.display();
        for m in &self.summary.messages {
            let item = format!(
                "{} UID {} -> {}",
                self.summary.mailbox,
                m.uid,
                m.path.as_deref().unwrap_or("-")
            );
            self.ui.log(&crate::ops::common::LogRecord {
                server: &server,
                item: &item,
                size: Some(m.bytes),
                result: &m.result,
                reply: None,
                queue_id: None,
            });
        }
    }

    /// Starts another pass over the mailbox (a watch): the next search asks for what is above the
    /// state's `last_uid`, and the results so far are handed back (for a report) and forgotten.
    pub(super) fn next_pass(&mut self) -> Summary {
        self.plan = None;
        self.log_messages();
        let fresh = Summary {
            mailbox: self.summary.mailbox.clone(),
            uidvalidity: self.summary.uidvalidity,
            messages: Vec::new(),
            deleted: 0,
            moved: 0,
            error: None,
        };
        std::mem::replace(&mut self.summary, fresh)
    }
}

impl Summary {
    /// The human summary: `N message(s), B bytes from MAILBOX[, D deleted][, M moved]`.
    pub fn line(&self) -> String {
        let ok = self
            .messages
            .iter()
            .filter(|m| m.result.status == crate::ops::common::ItemStatus::Ok)
            .count();
        let bytes: u64 = self.messages.iter().map(|m| m.bytes).sum();
        let mut line = format!("{ok} message(s), {bytes} bytes from {}", self.mailbox);
        if self.deleted > 0 {
            line.push_str(&format!(", {} deleted", self.deleted));
        }
        if self.moved > 0 {
            line.push_str(&format!(", {} moved", self.moved));
        }
        line
    }
}

fn show(uidvalidity: Option<u32>) -> String {
    uidvalidity.map_or_else(|| "none".to_string(), |v| v.to_string())
}

/// The UID of a FETCH response that carries a body we asked for and have not stored yet.
fn accept(f: &Fetch, want: &HashSet<u32>, got: &HashSet<u32>) -> Result<Option<u32>> {
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

/// Which messages are handled, in UID order, to move `last_uid` only over a complete prefix.
#[derive(Default)]
struct Advance {
    order: Vec<u32>,
    next: usize,
    done: HashSet<u32>,
    /// Failed in this run: not tried again by a later session of it, and never passed by `last_uid`.
    failed: HashSet<u32>,
}

/// Whether a FETCH carries an empty body (NIL, `""` or `{0}`).
fn is_empty(f: &Fetch) -> bool {
    matches!(&f.body, Some(Body::Inline(b)) if b.is_empty())
        || matches!(f.body, Some(Body::Streamed(0)))
}
