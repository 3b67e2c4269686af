//! The IMAP client session: RFC 9051 / RFC 3501 command sequences, RFC 2595 STARTTLS, RFC 4959 SASL-IR,
//! RFC 4315 UIDPLUS, RFC 6851 MOVE, RFC 7888 LITERAL+.
//!
//! One method per command, named after it. Every command gets a fresh tag ([`tag`]); responses are read one
//! at a time through the [`PingPong`] engine with the IMAP framing of [`dialect`], until the tagged
//! completion. Untagged data is collected by the method that asked for it; CAPABILITY (parsed once into
//! typed [`Capabilities`]), EXISTS and EXPUNGE are tracked for all. A tagged response with a tag we did not
//! send, a continuation nobody asked for, or an untagged BYE ends the session (exit 9, exit 9, exit 7). NO
//! and BAD are refusals (exit 6; exit 5 during login). Message bodies are streamed to a [`BodySink`] during
//! FETCH and never held in memory. The session knows nothing of files or flags.

pub mod actions;
pub mod append;
pub mod bodystructure;
pub mod capability;
pub mod date;
pub mod dialect;
pub mod envelope;
pub mod fetch_items;
pub mod idle;
pub mod mailbox;
pub mod quote;
pub mod response;
pub mod set;
pub mod tag;
pub mod utf7;
pub mod value;

use std::time::Instant;

use crate::credentials::{Credentials, Secret};
use crate::error::{Error, ErrorKind, Result};
use crate::pingpong::{Command, PingPong, SessionConfig, Wire};
use crate::sasl::{self, Challenge, Mechanism};
use crate::transport::Stream;
use crate::url::Target;

pub use capability::{Capabilities, Capability};
pub use dialect::{BodySink, ImapDialect, Literals};
pub use fetch_items::{FetchItems, PartNumber, Section};
pub use idle::Idled;
pub use mailbox::{Mailbox, MailboxStatus, Selected};
pub use quote::Part;
pub use response::{Body, Fetch, ListEntry, Response, Status, StatusText};

#[cfg(test)]
mod tests;

/// The most mailboxes one LIST may return: real accounts have hundreds, a large shared server tens of
/// thousands; each entry is kept in memory, so a server streaming `* LIST` forever must stop somewhere.
pub const MAX_MAILBOXES: usize = 100_000;

/// The most bytes of names and attributes one LIST may return (16 MiB): a hundred thousand real names
/// take a few MiB, while entries the size of the line cap would make [`MAX_MAILBOXES`] of them
/// gigabytes of memory.
pub const MAX_LIST_BYTES: usize = 16 * 1024 * 1024;

/// How to reach and log in to a server.
#[derive(Clone)]
pub struct Config {
    /// What every session shares: TLS, timeouts, transcript.
    pub session: SessionConfig,
    /// `--auth`.
    pub auth: Option<Mechanism>,
}

/// A logged-in IMAP connection; over a socket, or a scripted stream in unit tests.
pub struct Session<S: Wire = Stream> {
    pp: PingPong<ImapDialect, S>,
    tags: tag::Tags,
    caps: Capabilities,
    host: String,
    port: u16,
    config: Config,
    /// Messages in the selected mailbox, as last announced.
    pub exists: u32,
    /// An EXISTS announced more messages than `exists` held (see [`Session::take_arrived`]).
    arrived: bool,
}

/// The error for a NO or BAD completion of `what`.
fn refused(what: &str, st: &StatusText) -> Error {
    let kind = if st.has_code("UNAVAILABLE") || st.has_code("INUSE") {
        ErrorKind::Transient
    } else {
        ErrorKind::Permanent
    };
    Error::new(
        kind,
        format!("{what}: {}", crate::terminal::clip(&st.describe(), 300)),
    )
}

/// The error for an untagged BYE in the middle of `what`.
fn bye(what: &str, st: &StatusText) -> Error {
    Error::new(
        ErrorKind::Transient,
        format!(
            "{what}: the server closed the session: {}",
            crate::terminal::clip(&st.text, 300)
        ),
    )
}

/// What one response means while a command runs.
enum Routed {
    /// The command's tagged completion.
    Done(StatusText),
    /// Untagged data.
    Data(Response),
}

/// Classifies one response while `tag` runs: its completion, untagged data, or the end of the session — a
/// tagged response with a tag we did not send, a continuation nobody asked for (exit 9), BYE (exit 7).
fn route(tag: &str, what: &str, r: Response) -> Result<Routed> {
    match r {
        Response::Tagged(t, _) if t != tag => Err(Error::protocol(format!(
            "{what}: a response tagged {} that belongs to no command",
            crate::terminal::clip(&t, 40)
        ))),
        Response::Tagged(_, st) => Ok(Routed::Done(st)),
        Response::Status(st) if st.status == Status::Bye => Err(bye(what, &st)),
        Response::Continue(_) => Err(Error::protocol(format!(
            "{what}: a continuation request nobody asked for"
        ))),
        other => Ok(Routed::Data(other)),
    }
}

impl Session {
    /// Connects, reads the greeting, secures the connection and logs in: the whole opening sequence.
    ///
    /// `imaps://` starts TLS before the greeting; `--starttls` sends STARTTLS (RFC 2595 §3.1) and never
    /// falls back. A PREAUTH greeting is already logged in; with `--starttls` that is a TLS failure, since
    /// STARTTLS is only allowed before authentication. Capabilities are asked again after TLS and login.
    pub fn open(target: &Target, creds: Option<&Credentials>, config: &Config) -> Result<Session> {
        let pp = PingPong::open(target, &config.session, ImapDialect::default())?;
        Session::start(pp, &target.host, target.port, creds, config)
    }
}

impl<S: Wire> Session<S> {
    /// The opening of [`Session::open`] on a connected stream: greeting, STARTTLS, login.
    pub(crate) fn start(
        pp: PingPong<ImapDialect, S>,
        host: &str,
        port: u16,
        creds: Option<&Credentials>,
        config: &Config,
    ) -> Result<Self> {
        let mut s = Session {
            pp,
            tags: tag::Tags::default(),
            caps: Capabilities::default(),
            host: host.to_string(),
            port,
            config: config.clone(),
            exists: 0,
            arrived: false,
        };
        let preauth = s.greeting()?;
        if config.session.starttls && !s.pp.is_tls() {
            if preauth {
                return Err(Error::new(
                    ErrorKind::Tls,
                    "--starttls: the server greeted with PREAUTH, so STARTTLS is not possible",
                ));
            }
            s = s.starttls()?;
        }
        if !preauth {
            let creds = creds.ok_or_else(|| Error::new(ErrorKind::Auth, "no credentials"))?;
            s.login(creds)?;
        }
        Ok(s)
    }

    /// Whether the server announced the capability called `cap` (any case).
    pub fn has(&self, cap: &str) -> bool {
        self.caps.has_name(cap)
    }

    /// What the server announced last.
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// The greeting (RFC 9051 §7.1.1-§7.1.5): OK, PREAUTH (returns true) or BYE. Capabilities come from its
    /// code or a CAPABILITY command.
    fn greeting(&mut self) -> Result<bool> {
        let deadline = self.pp.greeting_deadline();
        let r = self
            .pp
            .read_reply_with_within(&mut Literals::inline_only(), dialect::INLINE_CAP, deadline)
            .map_err(|e| self.pp.greeting_error(e))?;
        let st = match r {
            Response::Status(st) => st,
            _ => {
                let e = Error::protocol("the greeting is not a status response");
                return Err(self.pp.greeting_error(e));
            }
        };
        let preauth = match st.status {
            Status::Ok => false,
            Status::Preauth => true,
            Status::Bye => return Err(bye("greeting", &st)),
            _ => {
                return Err(Error::protocol(format!(
                    "unexpected greeting: {}",
                    crate::terminal::escape(&st.describe())
                )));
            }
        };
        if !self.take_capability_code(&st)? {
            self.capability()?;
        }
        Ok(preauth)
    }

    /// Takes the capabilities from a `[CAPABILITY ...]` code; false when `st` has none.
    fn take_capability_code(&mut self, st: &StatusText) -> Result<bool> {
        match &st.code {
            Some(c) if c.name == "CAPABILITY" => {
                self.caps = Capabilities::parse(c.args.split_whitespace())?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// CAPABILITY (RFC 9051 §6.1.1).
    pub fn capability(&mut self) -> Result<()> {
        let tag = self.send("CAPABILITY", vec![])?;
        self.complete(&tag, "CAPABILITY", &mut |_| Ok(()))?;
        Ok(())
    }

    /// STARTTLS (RFC 2595 §3.1, RFC 9051 §6.2.1): refused or not offered is a TLS failure (exit 4); bytes
    /// after the OK and before the handshake are a protocol violation (exit 9, checked by the engine).
    fn starttls(mut self) -> Result<Self> {
        if !self.caps.has(Capability::StartTls) {
            return Err(crate::pingpong::starttls_not_offered("STARTTLS"));
        }
        let tag = self.tags.next_tag();
        let tls = self.config.session.tls_client()?;
        self.pp = self.pp.starttls(tls, &self.host, |pp| {
            pp.send(&Command::new("STARTTLS").tagged(tag.clone()))?;
            let deadline = pp.deadline();
            loop {
                let r = pp.read_reply_with_within(
                    &mut Literals::inline_only(),
                    dialect::INLINE_CAP,
                    deadline,
                )?;
                if let Routed::Done(st) = route(&tag, "STARTTLS", r)? {
                    return Ok(match st.status {
                        Status::Ok => Ok(()),
                        _ => Err(refused("STARTTLS", &st)),
                    });
                }
            }
        })?;
        self.caps = Capabilities::default();
        self.capability()?;
        Ok(self)
    }

    /// LOGIN (RFC 9051 §6.2.3) or AUTHENTICATE (§6.2.2, RFC 4959 SASL-IR): AUTHENTICATE when `--auth` asks
    /// or the server lists SASL mechanisms, else LOGIN — refused when the server says LOGINDISABLED.
    fn login(&mut self, creds: &Credentials) -> Result<()> {
        let offered = self.caps.auth_mechanisms();
        let result = if self.config.auth.is_some() || !offered.is_empty() {
            let mech = sasl::choose(self.config.auth, &offered)?;
            self.authenticate(mech, creds)
        } else {
            if self.caps.has(Capability::LoginDisabled) {
                return Err(Error::new(
                    ErrorKind::Auth,
                    "the server refuses LOGIN on this connection (LOGINDISABLED); use imaps:// or --starttls",
                ));
            }
            quote::check("user name", &creds.user)?;
            quote::check("password", creds.password.expose())?;
            if !creds.user.is_ascii() || !creds.password.expose().is_ascii() {
                return Err(Error::new(
                    ErrorKind::Auth,
                    "LOGIN cannot carry a non-ASCII user or password and the server offers no SASL mechanism",
                ));
            }
            let arg = format!(
                "{} {}",
                quote::quoted(&creds.user),
                quote::quoted(creds.password.expose())
            );
            let tag = self.tags.next_tag();
            self.pp
                .send(&Command::secret("LOGIN", &Secret::new(arg)).tagged(tag.clone()))?;
            self.complete(&tag, "LOGIN", &mut |_| Ok(()))
        };
        let st = result.map_err(|e| match e.kind() {
            ErrorKind::Permanent => e.with_kind(ErrorKind::Auth),
            _ => e,
        })?;
        if !self.take_capability_code(&st)? {
            self.capability()?;
        }
        Ok(())
    }

    /// AUTHENTICATE (RFC 9051 §6.2.2): the initial response on the command line when the server has
    /// SASL-IR, else after the first empty challenge; every answer is a masked line.
    fn authenticate(&mut self, mech: Mechanism, creds: &Credentials) -> Result<StatusText> {
        let mut client =
            sasl::Client::new(mech, &creds.user, &creds.password, &self.host, self.port);
        let verb = mech.authenticate_command();
        sasl::exchange(
            &mut Authenticate {
                session: self,
                verb,
                tag: String::new(),
            },
            &mut client,
            "AUTHENTICATE",
        )
    }

    /// Sends `verb` with `parts` under a new tag: synchronizing literals wait for the server's `+`,
    /// LITERAL+ ones do not (RFC 7888). Returns the tag.
    fn send(&mut self, verb: &'static str, parts: Vec<Part>) -> Result<String> {
        let tag = self.tags.next_tag();
        let plus = self.caps.literal_plus();
        let mut line = String::new();
        let mut first = true;
        for part in parts {
            match part {
                Part::Text(t) => line.push_str(&t),
                Part::Literal(bytes) => {
                    line.push_str(&format!(
                        "{{{}{}}}",
                        bytes.len(),
                        if plus { "+" } else { "" }
                    ));
                    self.send_line(verb, &tag, &line, first)?;
                    first = false;
                    line.clear();
                    if !plus {
                        self.wait_continue(&tag, verb)?;
                    }
                    self.pp.write_raw(&bytes)?;
                }
            }
        }
        if first || !line.is_empty() {
            self.send_line(verb, &tag, &line, first)?;
        } else {
            self.send_line(verb, &tag, "", false)?;
        }
        Ok(tag)
    }

    /// The first line of a command through the engine; later lines (after a literal) as raw bytes.
    fn send_line(&mut self, verb: &'static str, tag: &str, text: &str, first: bool) -> Result<()> {
        if first {
            let cmd = if text.is_empty() {
                Command::new(verb)
            } else {
                Command::with(verb, text)
            };
            return self.pp.send(&cmd.tagged(tag));
        }
        quote::check(verb, text)?;
        self.pp.transcript().sent(text);
        let mut bytes = Vec::with_capacity(text.len() + 2);
        bytes.extend_from_slice(text.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        self.pp.write_raw(&bytes)
    }

    /// Waits for the `+` that lets a synchronizing literal go.
    fn wait_continue(&mut self, tag: &str, verb: &str) -> Result<()> {
        let deadline = self.pp.deadline();
        loop {
            let r = self.response_within(deadline)?;
            if let Response::Continue(_) = r {
                return Ok(());
            }
            if let Some(st) = self.untagged_or_done(tag, verb, r, &mut |_| Ok(()))? {
                return Err(refused(verb, &st));
            }
        }
    }

    /// Handles one response while `tag` runs: Some(status) for its completion; untagged data goes to
    /// `data` after the session took what it tracks.
    fn untagged_or_done(
        &mut self,
        tag: &str,
        what: &str,
        r: Response,
        data: &mut dyn FnMut(Response) -> Result<()>,
    ) -> Result<Option<StatusText>> {
        match route(tag, what, r)? {
            Routed::Done(st) => Ok(Some(st)),
            Routed::Data(Response::Capability(c)) => {
                self.caps = c;
                Ok(None)
            }
            Routed::Data(r) => self.untagged(r, data).map(|_| None),
        }
    }

    /// Untagged data: EXISTS and EXPUNGE are tracked, everything goes to `data`.
    fn untagged(
        &mut self,
        r: Response,
        data: &mut dyn FnMut(Response) -> Result<()>,
    ) -> Result<()> {
        match r {
            Response::Exists(n) => {
                self.arrived |= n > self.exists;
                self.exists = n;
            }
            Response::Expunge(_) => self.exists = self.exists.saturating_sub(1),
            _ => {}
        }
        data(r)
    }

    /// One response without body literals, by `deadline` (shared by every response of a command, so that
    /// untagged data cannot extend the wait for the completion).
    fn response_within(&mut self, deadline: Instant) -> Result<Response> {
        self.pp
            .read_reply_with_within(&mut Literals::inline_only(), dialect::INLINE_CAP, deadline)
    }

    /// Reads responses until `tag` completes: its OK status, or the refusal as an error. The whole
    /// command gets one timeout, however much untagged data comes before its completion.
    fn complete(
        &mut self,
        tag: &str,
        what: &str,
        data: &mut dyn FnMut(Response) -> Result<()>,
    ) -> Result<StatusText> {
        let deadline = self.pp.deadline();
        loop {
            let r = self.response_within(deadline)?;
            if let Some(st) = self.untagged_or_done(tag, what, r, data)? {
                return match st.status {
                    Status::Ok => Ok(st),
                    _ => Err(refused(what, &st)),
                };
            }
        }
    }

    /// A command with parts and no data of interest.
    fn simple(&mut self, verb: &'static str, parts: Vec<Part>, what: &str) -> Result<StatusText> {
        let tag = self.send(verb, parts)?;
        self.complete(&tag, what, &mut |_| Ok(()))
    }

    /// SELECT (RFC 9051 §6.3.2) or, when `read_only`, EXAMINE (§6.3.3).
    pub fn select(&mut self, name: &str, read_only: bool) -> Result<Selected> {
        let verb = if read_only { "EXAMINE" } else { "SELECT" };
        let mut sel = Selected {
            name: name.to_string(),
            read_only,
            ..Selected::default()
        };
        let tag = self.send(verb, vec![Part::Text(quote::mailbox(name)?)])?;
        let what = format!("{verb} {}", crate::terminal::escape(name));
        let st = self.complete(&tag, &what, &mut |r| {
            if let Response::Status(st) = &r {
                if let Some(v) = st.code_number("UIDVALIDITY") {
                    sel.uidvalidity = u32::try_from(v).ok();
                }
                if let Some(v) = st.code_number("UIDNEXT") {
                    sel.uidnext = u32::try_from(v).ok();
                }
            }
            Ok(())
        })?;
        if st.has_code("READ-ONLY") {
            sel.read_only = true;
        }
        sel.exists = self.exists;
        Ok(sel)
    }

    /// UID SEARCH (RFC 9051 §6.4.4 with §6.4.9; RFC 4731 `RETURN (ALL)` when the server has ESEARCH): the
    /// UIDs matching `criteria` (user IMAP syntax), sorted. Every SEARCH/ESEARCH response of the command
    /// counts towards one total of at most [`response::MAX_SEARCH`] UIDs, checked before any range is
    /// expanded; more is a protocol violation (exit 9).
    pub fn uid_search(&mut self, criteria: &[Part]) -> Result<Vec<u32>> {
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        let mut total: u64 = 0;
        // RFC 4731 ESEARCH answers with ranges: a big mailbox's result stays a short line.
        let mut parts = criteria.to_vec();
        if self.caps.has(Capability::ESearch) {
            parts.insert(0, Part::Text("RETURN (ALL) ".to_string()));
        }
        let tag = self.send("UID SEARCH", parts)?;
        self.complete(&tag, "UID SEARCH", &mut |r| {
            if let Response::Search(v) = r {
                total = total.saturating_add(response::count_ranges(&v));
                if total > response::MAX_SEARCH {
                    return Err(Error::protocol(format!(
                        "UID SEARCH: the server named more than {} UIDs",
                        response::MAX_SEARCH
                    )));
                }
                ranges.extend(v);
            }
            Ok(())
        })?;
        let mut uids: Vec<u32> = Vec::new();
        for (lo, hi) in ranges {
            uids.extend(lo..=hi);
        }
        uids.sort_unstable();
        uids.dedup();
        Ok(uids)
    }

    /// Starts UID FETCH (RFC 9051 §6.4.5, §6.4.9) of `items` for the UIDs in `set`; read the responses with
    /// [`Session::fetch_next`]. Returns the tag.
    pub fn uid_fetch_start(&mut self, set: &str, items: &str) -> Result<String> {
        self.send("UID FETCH", vec![Part::Text(format!("{set} {items}"))])
    }

    /// Starts UID FETCH (RFC 9051 §6.4.5, §6.4.9) of `items` for `uids` (any order; sent as a compressed
    /// sequence set); read the responses with [`Session::fetch_next`]. Returns the tag.
    pub fn uid_fetch(&mut self, uids: &[u32], items: &FetchItems) -> Result<String> {
        self.uid_fetch_start(&set::format(uids), &items.to_string())
    }

    /// Deletes `uids`: UID STORE +FLAGS.SILENT (\Deleted) (RFC 9051 §6.4.6), then UID EXPUNGE (RFC 4315
    /// §2.1) or EXPUNGE (RFC 9051 §6.4.3), as [`Session::expunge`] decides.
    pub fn delete_messages(&mut self, uids: &[u32]) -> Result<()> {
        let set = set::format(uids);
        self.uid_store_add(&set, "\\Deleted")?;
        self.expunge(&set)
    }

    /// Moves `uids` to mailbox `dest` (UTF-8): UID MOVE (RFC 6851 §3.1) or UID COPY + delete, as
    /// [`Session::uid_move`] decides.
    pub fn move_messages(&mut self, uids: &[u32], dest: &str) -> Result<()> {
        self.uid_move(&set::format(uids), dest)
    }

    /// The next FETCH response of the running command `tag` (bodies streamed to `body`, each at most
    /// `cap` bytes), or None once it completed. Other untagged data before it shares one timeout.
    pub fn fetch_next(
        &mut self,
        tag: &str,
        body: &mut dyn BodySink,
        cap: u64,
    ) -> Result<Option<Fetch>> {
        let deadline = self.pp.deadline();
        loop {
            let r = self
                .pp
                .read_reply_with_within(&mut Literals::to(body), cap, deadline)?;
            if let Response::Fetch(f) = r {
                return Ok(Some(f));
            }
            if let Some(st) = self.untagged_or_done(tag, "UID FETCH", r, &mut |_| Ok(()))? {
                return match st.status {
                    Status::Ok => Ok(None),
                    _ => Err(refused("UID FETCH", &st)),
                };
            }
        }
    }

    /// UID STORE (RFC 9051 §6.4.6) `+FLAGS.SILENT (flags)` on `set`.
    pub fn uid_store_add(&mut self, set: &str, flags: &str) -> Result<()> {
        self.simple(
            "UID STORE",
            vec![Part::Text(format!("{set} +FLAGS.SILENT ({flags})"))],
            "UID STORE",
        )?;
        Ok(())
    }

    /// Removes the messages in `set` marked \Deleted: UID EXPUNGE (RFC 4315 §2.1) when the server has
    /// UIDPLUS, else EXPUNGE (RFC 9051 §6.4.3), which also removes other messages marked \Deleted.
    pub fn expunge(&mut self, set: &str) -> Result<()> {
        if self.caps.has(Capability::UidPlus) {
            self.simple(
                "UID EXPUNGE",
                vec![Part::Text(set.to_string())],
                "UID EXPUNGE",
            )?;
        } else {
            self.simple("EXPUNGE", vec![], "EXPUNGE")?;
        }
        Ok(())
    }

    /// Moves `set` to `dest`: UID MOVE (RFC 6851) when offered, else UID COPY, then \Deleted and expunge.
    pub fn uid_move(&mut self, set: &str, dest: &str) -> Result<()> {
        let target = quote::mailbox(dest)?;
        if self.caps.has(Capability::Move) {
            self.simple(
                "UID MOVE",
                vec![Part::Text(format!("{set} {target}"))],
                "UID MOVE",
            )?;
            return Ok(());
        }
        self.simple(
            "UID COPY",
            vec![Part::Text(format!("{set} {target}"))],
            "UID COPY",
        )?;
        self.uid_store_add(set, "\\Deleted")?;
        self.expunge(set)
    }

    /// LIST (RFC 9051 §6.3.9) with reference "" and `pattern` (UTF-8; `*` and `%` wildcards). More than
    /// [`MAX_MAILBOXES`] entries, or more than [`MAX_LIST_BYTES`] of them, is a protocol violation
    /// (exit 9).
    pub fn list(&mut self, pattern: &str) -> Result<Vec<ListEntry>> {
        let mut out = Vec::new();
        let mut bytes = 0usize;
        let pat = quote::mailbox(pattern)?;
        let tag = self.send("LIST", vec![Part::Text(format!("\"\" {pat}"))])?;
        self.complete(&tag, "LIST", &mut |r| {
            if let Response::List(e) = r {
                if out.len() >= MAX_MAILBOXES {
                    return Err(Error::protocol(format!(
                        "LIST: the server listed more than {MAX_MAILBOXES} mailboxes"
                    )));
                }
                bytes = bytes
                    .saturating_add(e.wire_name.len())
                    .saturating_add(e.attributes.iter().map(String::len).sum());
                if bytes > MAX_LIST_BYTES {
                    return Err(Error::protocol(format!(
                        "LIST: the server listed more than {MAX_LIST_BYTES} bytes of mailbox names"
                    )));
                }
                out.push(e);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// STATUS (RFC 9051 §6.3.11): MESSAGES UNSEEN UIDNEXT UIDVALIDITY.
    pub fn status(&mut self, name: &str) -> Result<MailboxStatus> {
        let wire = utf7::encode(name);
        let mut items = None;
        let tag = self.send(
            "STATUS",
            vec![Part::Text(format!(
                "{} (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)",
                quote::mailbox(name)?
            ))],
        )?;
        let what = format!("STATUS {}", crate::terminal::escape(name));
        self.complete(&tag, &what, &mut |r| {
            if let Response::MailboxStatus(m, v) = r
                && m.eq_ignore_ascii_case(wire.as_bytes())
            {
                items = Some(v);
            }
            Ok(())
        })?;
        let items = items.ok_or_else(|| Error::protocol(format!("{what}: no STATUS data")))?;
        Ok(MailboxStatus::from_items(name, &items))
    }

    /// A command on one mailbox name: CREATE, DELETE, SUBSCRIBE, UNSUBSCRIBE (RFC 9051 §6.3.4-§6.3.8).
    pub fn mailbox_command(&mut self, verb: &'static str, name: &str) -> Result<()> {
        let what = format!("{verb} {}", crate::terminal::escape(name));
        self.simple(verb, vec![Part::Text(quote::mailbox(name)?)], &what)?;
        Ok(())
    }

    /// RENAME (RFC 9051 §6.3.6).
    pub fn rename(&mut self, old: &str, new: &str) -> Result<()> {
        let what = format!(
            "RENAME {} {}",
            crate::terminal::escape(old),
            crate::terminal::escape(new)
        );
        self.simple(
            "RENAME",
            vec![Part::Text(format!(
                "{} {}",
                quote::mailbox(old)?,
                quote::mailbox(new)?
            ))],
            &what,
        )?;
        Ok(())
    }

    /// LOGOUT (RFC 9051 §6.1.3): BYE then OK; a server that just closes is fine too.
    pub fn logout(mut self) {
        if let Ok(tag) = self.send("LOGOUT", vec![]) {
            let deadline = self.pp.deadline();
            for _ in 0..8 {
                match self.response_within(deadline) {
                    Ok(Response::Tagged(t, _)) if t == tag => break,
                    Ok(_) => continue,
                    Err(_) => break,
                }
            }
        }
        self.pp.close();
    }

    /// Closes the connection without LOGOUT (after an error that may have left it out of step).
    pub fn close(self) {
        self.pp.close();
    }
}

/// IMAP's framing of a SASL exchange (RFC 9051 §6.2.2): the initial response goes with AUTHENTICATE only
/// when the server has SASL-IR (RFC 4959), `+ challenge` continues, the tagged completion ends it.
struct Authenticate<'a, S: Wire> {
    session: &'a mut Session<S>,
    verb: &'static str,
    tag: String,
}

impl<S: Wire> sasl::Exchange for Authenticate<'_, S> {
    type Done = StatusText;

    fn start(&mut self, initial: Option<&Secret>) -> Result<bool> {
        self.tag = self.session.tags.next_tag();
        let (cmd, sent) = match initial {
            Some(ir) if self.session.caps.has(Capability::SaslIr) => {
                (Command::secret(self.verb, ir), true)
            }
            _ => (Command::new(self.verb), false),
        };
        self.session.pp.send(&cmd.tagged(self.tag.clone()))?;
        Ok(sent)
    }

    fn send(&mut self, line: &Command) -> Result<()> {
        self.session.pp.send(line)
    }

    fn next(&mut self) -> Result<Challenge<StatusText>> {
        let deadline = self.session.pp.deadline();
        loop {
            let r = self.session.response_within(deadline)?;
            if let Response::Continue(challenge) = r {
                return Ok(Challenge::Continue(challenge));
            }
            if let Some(st) =
                self.session
                    .untagged_or_done(&self.tag, "AUTHENTICATE", r, &mut |_| Ok(()))?
            {
                return Ok(Challenge::Done(match st.status {
                    Status::Ok => Ok(st),
                    _ => Err(refused("AUTHENTICATE", &st)),
                }));
            }
        }
    }
}
