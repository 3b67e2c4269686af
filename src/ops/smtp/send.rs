//! smtp-send: turns flags (or a sendmail command line) into a [`Job`] — envelope plus a message that is
//! composed or read, never held in memory — and delivers it: connect, authenticate, envelope, DATA,
//! per-recipient results, retries, and on a transient failure the queue (`ops::smtp::queue`).
//!
//! Everything that can be refused locally is refused before connecting: CR/LF in a header value or
//! address (exit 2), an unreadable attachment or message (exit 8), a missing sender or recipient (exit 2).
//! A message from stdin is spooled to an unlinked temporary file first, so its size is known for SIZE and
//! it can be retried or queued; a message file is read in place (its header block only, then streamed).

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::Serialize;

use crate::cli::smtp_send::Args;
use crate::config::Account;
use crate::credentials::{self, Credentials, Sources};
use crate::error::{Error, ErrorKind, Result};
use crate::mime::build::{Attachment, MessageBuilder, generate_message_id, rfc5322_date};
use crate::ops::Outcome;
use crate::ops::ftp::connect::backoff;
use crate::ops::smtp::queue;
use crate::sasl::Mechanism;
use crate::smtp::message::{Rewrite, read_header_block};
use crate::smtp::{self, MailParams, RcptResult, Session, address};
use crate::transport::Tls;
use crate::url::{Scheme, Target};

/// The SMTP schemes.
pub const SMTP_SCHEMES: &[Scheme] = &[Scheme::Smtp, Scheme::Smtps];

/// The envelope and the message, ready to send (and to send again).
pub struct Job {
    /// MAIL FROM.
    pub from: String,
    /// RCPT TO, each once.
    pub rcpts: Vec<String>,
    /// Header bytes sent before the body (a rewritten header block; empty when the file is whole).
    pub head: Vec<u8>,
    /// The message source.
    pub file: File,
    /// Where the rest of the message starts in `file`.
    pub body_offset: u64,
    /// How many bytes of `file` follow `body_offset`.
    pub body_len: u64,
    /// May contain 8-bit data (a ready message): BODY=8BITMIME when offered.
    pub eight_bit: bool,
    /// Needs SMTPUTF8 (a UTF-8 address or header).
    pub smtputf8: bool,
}

impl Job {
    /// The message size in octets as read (before CRLF normalisation and dot-stuffing).
    pub fn size(&self) -> u64 {
        self.head.len() as u64 + self.body_len
    }

    /// The MAIL FROM parameters.
    pub fn params(&self) -> MailParams {
        MailParams {
            size: Some(self.size()),
            eight_bit: self.eight_bit,
            smtputf8: self.smtputf8,
        }
    }

    /// The whole message, from its first byte.
    pub fn reader(&mut self) -> Result<impl Read + '_> {
        self.file
            .seek(SeekFrom::Start(self.body_offset))
            .map_err(|e| Error::local("the message", e))?;
        Ok(io::Cursor::new(&self.head).chain((&self.file).take(self.body_len)))
    }
}

/// What one attempt achieved.
pub struct Transaction {
    /// Each recipient's reply.
    pub results: Vec<RcptResult>,
    /// The server's final reply to DATA when the message was sent.
    pub sent: Option<String>,
}

impl Transaction {
    /// Recipients refused with a 4xx (worth trying again later).
    pub fn deferred(&self) -> Vec<String> {
        self.results
            .iter()
            .filter(|r| (400..500).contains(&r.code))
            .map(|r| r.address.clone())
            .collect()
    }

    /// Whether a message that was not sent failed only transiently (every refusal a 4xx).
    pub fn all_deferred(&self) -> bool {
        self.results.iter().all(|r| (400..500).contains(&r.code))
    }
}

/// Everything needed to (re)open authenticated sessions to one server.
pub struct Connector {
    /// Where.
    pub target: Target,
    /// Session settings.
    pub config: smtp::Config,
    /// Credentials, when a user is known (else no AUTH).
    pub creds: Option<Credentials>,
    /// `--auth`.
    pub auth: Option<Mechanism>,
}

impl Connector {
    /// Resolves the server (URL, `--account`, or the config file's default account when no URL is
    /// given), TLS settings and credentials. No network I/O.
    pub fn new(args: &Args) -> Result<Connector> {
        let account: Option<Account> =
            match (&args.net.account, &args.url) {
                (Some(name), _) => Some(crate::config::account(Some(name))?),
                (None, None) => Some(crate::config::account(None).map_err(|e| {
                    e.within("no URL given and no default account in the config file")
                })?),
                (None, Some(_)) => None,
            };
        let url = match (&args.url, account.as_ref().and_then(|a| a.url.clone())) {
            (Some(u), _) => u.clone(),
            (None, Some(u)) => u,
            (None, None) => return Err(Error::usage("no URL: give one, or a url in the account")),
        };
        let target = Target::parse(&url, SMTP_SCHEMES)?;
        let starttls =
            args.net.starttls || account.as_ref().is_some_and(|a| a.starttls == Some(true));
        let mut tls_options = args.net.tls_options();
        if let Some(ca) = account.as_ref().and_then(|a| a.cacert.clone()) {
            tls_options.cacert.push(ca);
        }
        let tls = if target.scheme.implicit_tls() || starttls {
            Some(Tls::new(&tls_options)?)
        } else {
            None
        };
        let helo = match &args.helo {
            Some(h) => {
                if h.is_empty()
                    || h.len() > 255
                    || h.chars().any(|c| c.is_whitespace() || c.is_control())
                {
                    return Err(Error::usage(format!(
                        "--helo {h:?}: expected a host name or [address]"
                    )));
                }
                h.clone()
            }
            None => local_host_name(),
        };
        let config = smtp::Config {
            session: crate::pingpong::SessionConfig {
                tls,
                starttls,
                connect_timeout: args.net.connect_timeout()?,
                timeout: args.net.timeout()?,
                transcript: args.net.transcript(),
            },
            helo,
        };
        let user_known = target.user.is_some()
            || args.net.user.is_some()
            || account.as_ref().is_some_and(|a| a.user.is_some());
        let creds = if user_known || args.auth.is_some() {
            let sources = Sources {
                user: args.net.user.clone(),
                password_file: args.net.password_file.clone(),
                password_command: args.net.password_command.clone(),
                netrc_file: args.net.netrc_file.clone(),
                account,
                anonymous_ok: false,
            };
            Some(credentials::resolve(&target, &sources)?)
        } else {
            None
        };
        Ok(Connector {
            target,
            config,
            creds,
            auth: args.auth,
        })
    }

    /// Opens a session, authenticated when credentials were given.
    pub fn open(&self) -> Result<Session> {
        let mut s = Session::open(&self.target, &self.config)?;
        if let Some(creds) = &self.creds
            && let Err(e) = s.auth(creds, self.auth)
        {
            s.quit();
            return Err(e);
        }
        Ok(s)
    }
}

/// This host's name for EHLO: the kernel's host name when it is a plausible domain, else `localhost`.
fn local_host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        })
        .unwrap_or_else(|| "localhost".to_string())
}

/// The sender sendmail uses when nothing names one: `$LOGNAME@host` (or `$USER`, or `root`).
fn default_sender() -> String {
    let user = std::env::var("LOGNAME")
        .or_else(|_| std::env::var("USER"))
        .ok()
        .filter(|u| {
            !u.is_empty()
                && u.bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'@' && b != b'<' && b != b'>')
        })
        .unwrap_or_else(|| "root".to_string());
    format!("{user}@{}", local_host_name())
}

/// Recipients from flags (each `--to/--cc/--bcc` one mailbox), each once.
fn flag_recipients(args: &Args) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (what, list) in [("--to", &args.to), ("--cc", &args.cc), ("--bcc", &args.bcc)] {
        for v in list {
            push_unique(&mut out, address::mailbox(v, what)?);
        }
    }
    Ok(out)
}

fn push_unique(out: &mut Vec<String>, a: String) {
    if !out.iter().any(|o| o.eq_ignore_ascii_case(&a)) {
        out.push(a);
    }
}

/// Builds the job from the flags: composes the message into a spool file, or reads a ready one's header
/// block. All local refusals happen here, before any connection.
pub fn prepare(args: &Args) -> Result<Job> {
    match &args.message {
        Some(path) => prepare_ready(args, path),
        None => prepare_composed(args),
    }
}

fn prepare_composed(args: &Args) -> Result<Job> {
    let from_value = args.from.clone().ok_or_else(|| {
        Error::usage("--from is required to compose a message (or use --message)")
    })?;
    let from = address::mailbox(&from_value, "--from")?;
    let rcpts = flag_recipients(args)?;
    if rcpts.is_empty() {
        return Err(Error::usage("no recipients: give --to, --cc or --bcc"));
    }
    let mut b = MessageBuilder::new().from(from_value);
    for t in &args.to {
        b = b.to(t.clone());
    }
    for c in &args.cc {
        b = b.cc(c.clone());
    }
    if let Some(s) = &args.subject {
        b = b.subject(s.clone());
    }
    // Kept alive until the message is composed: a body read from stdin is spooled to a named file.
    let mut _stdin_body = None;
    if let Some(text) = &args.body {
        b = b.text(text.clone());
    } else if let Some(path) = &args.body_file {
        if path.as_os_str() == "-" {
            let mut tmp = tempfile::NamedTempFile::new()
                .map_err(|e| Error::local("a temporary file for the body", e))?;
            io::copy(&mut io::stdin().lock(), tmp.as_file_mut())
                .map_err(|e| Error::local("stdin", e))?;
            b = b.text_file(tmp.path().to_path_buf());
            _stdin_body = Some(tmp);
        } else {
            b = b.text_file(path.clone());
        }
    }
    for a in &args.attach {
        b = b.attach(Attachment::file(a.clone()));
    }
    let file =
        tempfile::tempfile().map_err(|e| Error::local("a temporary file for the message", e))?;
    let mut w = BufWriter::with_capacity(128 * 1024, file);
    b.write_to(&mut w, "the composed message")?;
    let file = w
        .into_inner()
        .map_err(|e| Error::local("the composed message", e.into_error()))?;
    let len = file
        .metadata()
        .map_err(|e| Error::local("the composed message", e))?
        .len();
    let smtputf8 = !from.is_ascii() || rcpts.iter().any(|r| !r.is_ascii());
    Ok(Job {
        from,
        rcpts,
        head: Vec::new(),
        file,
        body_offset: 0,
        body_len: len,
        eight_bit: false,
        smtputf8,
    })
}

fn prepare_ready(args: &Args, path: &Path) -> Result<Job> {
    let what = if path.as_os_str() == "-" {
        "stdin".to_string()
    } else {
        path.display().to_string()
    };
    // Validate the flags first: nothing is read before a usage error could stop us.
    let envelope_from = args
        .from
        .as_deref()
        .map(|f| address::mailbox(f, "--from"))
        .transpose()?;
    let mut rcpts = flag_recipients(args)?;
    if let Some(name) = &args.full_name {
        crate::mime::header::check_value("-F", name)?;
    }
    let mut file = open_message(path, args.dot_ends_input)?;
    let len = file.metadata().map_err(|e| Error::local(&what, e))?.len();
    let add_from = if args.sendmail {
        let addr = envelope_from.clone().unwrap_or_else(default_sender);
        Some(match &args.full_name {
            Some(name) => format!("{} <{addr}>", name.trim()),
            None => addr,
        })
    } else {
        None
    };
    let rewrite = Rewrite {
        strip_bcc: args.read_recipients,
        date: rfc5322_date(std::time::SystemTime::now()),
        message_id: generate_message_id(),
        from: add_from,
    };
    let hb = read_header_block(&mut file, &rewrite, &what)?;
    if args.read_recipients {
        for r in hb.recipients() {
            push_unique(&mut rcpts, r);
        }
    }
    if rcpts.is_empty() {
        return Err(Error::usage(if args.read_recipients {
            "no recipients: the message has no To, Cc or Bcc"
        } else {
            "no recipients: give --to, or -t to take them from the message"
        }));
    }
    let from = match envelope_from.or(hb.from.clone()) {
        Some(f) => f,
        None if args.sendmail => default_sender(),
        None => {
            return Err(Error::usage(
                "no sender: give --from (the message has no From field)",
            ));
        }
    };
    address::check(&from)?;
    let smtputf8 = hb.non_ascii || !from.is_ascii() || rcpts.iter().any(|r| !r.is_ascii());
    Ok(Job {
        from,
        rcpts,
        body_len: len.saturating_sub(hb.body_offset),
        body_offset: hb.body_offset,
        head: hb.head,
        file,
        eight_bit: true,
        smtputf8,
    })
}

/// Opens a ready message: a regular file in place; stdin, a pipe or a device spooled to an unlinked
/// temporary file (so it has a size and can be read again). With `dot_ends` (sendmail without `-i`) a
/// line of a single `.` ends the input.
fn open_message(path: &Path, dot_ends: bool) -> Result<File> {
    if path.as_os_str() != "-" {
        let file = File::open(path).map_err(|e| Error::local(path.display(), e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::local(path.display(), e))?;
        if meta.is_file() && !dot_ends {
            return Ok(file);
        }
        return spool(
            &mut BufReader::new(file),
            dot_ends,
            &path.display().to_string(),
        );
    }
    spool(&mut io::stdin().lock(), dot_ends, "stdin")
}

fn spool(src: &mut dyn BufRead, dot_ends: bool, what: &str) -> Result<File> {
    let tmp =
        tempfile::tempfile().map_err(|e| Error::local("a temporary file for the message", e))?;
    let mut w = BufWriter::with_capacity(128 * 1024, tmp);
    if dot_ends {
        copy_until_dot(src, &mut w, what)?;
    } else {
        io::copy(src, &mut w).map_err(|e| Error::local(what, e))?;
    }
    let mut file = w
        .into_inner()
        .map_err(|e| Error::local("the spooled message", e.into_error()))?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| Error::local("the spooled message", e))?;
    Ok(file)
}

/// Copies `src` to `out` until a line that is a single `.` (sendmail's end of input without `-i`).
pub fn copy_until_dot(src: &mut dyn BufRead, out: &mut dyn Write, what: &str) -> Result<()> {
    let mut at_line_start = true;
    // A "." or ".\r" at the start of a line, held back until we know whether the line ends there.
    let mut held: Vec<u8> = Vec::with_capacity(2);
    let mut run: Vec<u8> = Vec::with_capacity(64 * 1024);
    loop {
        let chunk = src.fill_buf().map_err(|e| Error::local(what, e))?;
        if chunk.is_empty() {
            run.extend_from_slice(&held);
            out.write_all(&run)
                .map_err(|e| Error::local("the spooled message", e))?;
            return Ok(());
        }
        let n = chunk.len();
        for &b in chunk {
            if !held.is_empty() {
                held.push(b);
                match held.as_slice() {
                    b".\n" | b".\r\n" => {
                        out.write_all(&run)
                            .map_err(|e| Error::local("the spooled message", e))?;
                        return Ok(());
                    }
                    b".\r" => continue,
                    _ => {
                        run.extend_from_slice(&held);
                        held.clear();
                        at_line_start = b == b'\n';
                        continue;
                    }
                }
            }
            if at_line_start && b == b'.' {
                held.push(b);
                continue;
            }
            run.push(b);
            at_line_start = b == b'\n';
        }
        src.consume(n);
        out.write_all(&run)
            .map_err(|e| Error::local("the spooled message", e))?;
        run.clear();
    }
}

/// One transaction on an open session: envelope, then DATA when at least one recipient was accepted (all
/// of them with `all_or_nothing`), else RSET.
pub fn transact(s: &mut Session, job: &mut Job, all_or_nothing: bool) -> Result<Transaction> {
    let results = s.envelope(&job.from, &job.params(), &job.rcpts)?;
    let accepted = results.iter().filter(|r| r.accepted()).count();
    if accepted == 0 || (all_or_nothing && accepted < results.len()) {
        s.rset()?;
        return Ok(Transaction {
            results,
            sent: None,
        });
    }
    let mut body = job.reader()?;
    let reply = s.data(&mut body)?;
    Ok(Transaction {
        results,
        sent: Some(format!("{} {}", reply.code, reply.text())),
    })
}

/// Whether an error left the session in step (a refusal the server sent), so QUIT is still polite.
fn session_usable(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Permanent | ErrorKind::Transient | ErrorKind::Usage
    )
}

/// Opens a session, runs one transaction and quits, retrying transient failures `retries` times.
pub fn deliver(conn: &Connector, job: &mut Job, args: &Args) -> Result<Transaction> {
    let mut attempt = 0;
    loop {
        let result =
            conn.open()
                .and_then(|mut s| match transact(&mut s, job, args.all_or_nothing) {
                    Ok(t) => {
                        s.quit();
                        Ok(t)
                    }
                    Err(e) => {
                        if session_usable(&e) {
                            s.quit();
                        } else {
                            s.close();
                        }
                        Err(e)
                    }
                });
        let retry = match &result {
            Err(e) => e.kind().is_transient(),
            Ok(t) => t.sent.is_none() && t.all_deferred() && !args.all_or_nothing,
        };
        if !retry || attempt >= args.net.retries {
            return result;
        }
        attempt += 1;
        if !args.net.quiet {
            let why = match &result {
                Err(e) => e.to_string(),
                Ok(_) => "every recipient was deferred".to_string(),
            };
            eprintln!(
                "smtp-send: {}; retrying ({attempt}/{})",
                crate::terminal::escape(&why),
                args.net.retries
            );
        }
        backoff(attempt);
    }
}

/// One recipient in `--json` output.
#[derive(Debug, Serialize)]
pub struct RcptJson {
    /// The address.
    pub address: String,
    /// `accepted`, `refused`, `queued` or `not-sent`.
    pub status: &'static str,
    /// The server's reply code (absent when not asked).
    pub code: Option<u16>,
    /// The server's reply text.
    pub text: Option<String>,
}

/// The `--json` document.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The server (without password).
    pub server: String,
    /// The envelope sender.
    pub from: String,
    /// The message size in octets.
    pub size: u64,
    /// `sent`, `partial`, `refused`, `queued` or `failed`.
    pub status: &'static str,
    /// Per recipient.
    pub recipients: Vec<RcptJson>,
    /// The server's reply to the message.
    pub reply: Option<String>,
    /// The queue file, when queued.
    pub queued: Option<String>,
    /// What went wrong.
    pub error: Option<crate::json::ErrorJson>,
}

/// Runs smtp-send (and sendmail mode).
pub fn run(args: &Args) -> Result<Outcome> {
    if let Some(dir) = &args.flush_queue {
        let conn = Connector::new(args)?;
        return queue::flush(&conn, dir, args);
    }
    let mut job = prepare(args)?;
    let conn = Connector::new(args)?;
    let result = deliver(&conn, &mut job, args);
    let mut report = Report {
        server: conn.target.display(),
        from: job.from.clone(),
        size: job.size(),
        status: "failed",
        recipients: Vec::new(),
        reply: None,
        queued: None,
        error: None,
    };
    let outcome = match result {
        Ok(t) => settle(args, &mut job, t, &mut report),
        Err(e) => {
            let mut e = e;
            if e.kind().is_transient()
                && let Some(dir) = &args.queue
            {
                let rcpts = job.rcpts.clone();
                match queue::enqueue(dir, &mut job, &rcpts) {
                    Ok(path) => {
                        report.status = "queued";
                        report.queued = Some(path.display().to_string());
                        e = Error::new(
                            ErrorKind::Transient,
                            format!("{e}; queued as {}", path.display()),
                        );
                    }
                    Err(qe) => e = qe.within(format!("{e}; queueing failed")),
                }
            }
            report.recipients = job
                .rcpts
                .iter()
                .map(|a| RcptJson {
                    address: a.clone(),
                    status: if report.queued.is_some() {
                        "queued"
                    } else {
                        "not-sent"
                    },
                    code: None,
                    text: None,
                })
                .collect();
            report.error = Some(crate::json::ErrorJson {
                exit_code: e.kind().exit_code(),
                message: e.to_string(),
            });
            Err(e)
        }
    };
    if args.net.json {
        crate::json::print(&report)?;
    }
    outcome
}

/// Turns a finished transaction into the outcome: all accepted → 0; some refused → 10 (their 4xx ones
/// queued with `--queue`); nothing sent → 6, or 7 when every refusal was a 4xx (queued with `--queue`).
fn settle(args: &Args, job: &mut Job, t: Transaction, report: &mut Report) -> Result<Outcome> {
    let tool = if args.sendmail {
        "sendmail"
    } else {
        "smtp-send"
    };
    let mut queued_for: Vec<String> = Vec::new();
    let deferred = t.deferred();
    let transient_fail = t.sent.is_none() && t.all_deferred() && !args.all_or_nothing;
    if let Some(dir) = &args.queue
        && !deferred.is_empty()
        && (t.sent.is_some() || transient_fail)
    {
        let path = queue::enqueue(dir, job, &deferred)?;
        report.queued = Some(path.display().to_string());
        queued_for = deferred.clone();
    }
    report.reply = t.sent.clone();
    report.recipients = t
        .results
        .iter()
        .map(|r| RcptJson {
            address: r.address.clone(),
            status: if r.accepted() && t.sent.is_some() {
                "accepted"
            } else if queued_for.contains(&r.address) {
                "queued"
            } else if r.accepted() {
                "not-sent"
            } else {
                "refused"
            },
            code: Some(r.code),
            text: Some(r.text.clone()),
        })
        .collect();
    let refused: Vec<&RcptResult> = t.results.iter().filter(|r| !r.accepted()).collect();
    if !args.net.json {
        for r in &refused {
            eprintln!(
                "{tool}: refused <{}>: {} {}",
                crate::terminal::escape(&r.address),
                r.code,
                r.text
            );
        }
        if let Some(q) = &report.queued {
            eprintln!(
                "{tool}: queued for {} deferred recipient(s) as {q}",
                queued_for.len()
            );
        }
    }
    match &t.sent {
        Some(reply) => {
            let accepted = t.results.len() - refused.len();
            if !args.net.json && !args.net.quiet && !args.sendmail {
                eprintln!(
                    "{tool}: sent to {accepted} of {} recipient(s): {}",
                    t.results.len(),
                    reply
                );
            }
            if refused.is_empty() {
                report.status = "sent";
                Ok(Outcome::Success)
            } else {
                report.status = "partial";
                Ok(Outcome::Partial)
            }
        }
        None => {
            report.status = if report.queued.is_some() {
                "queued"
            } else {
                "refused"
            };
            let (kind, why) = if args.all_or_nothing && refused.len() < t.results.len() {
                (
                    ErrorKind::Permanent,
                    format!(
                        "--all-or-nothing: {} of {} recipients refused; nothing sent",
                        refused.len(),
                        t.results.len()
                    ),
                )
            } else if transient_fail {
                (
                    ErrorKind::Transient,
                    "every recipient was deferred; nothing sent".to_string(),
                )
            } else {
                (
                    ErrorKind::Permanent,
                    "every recipient was refused; nothing sent".to_string(),
                )
            };
            let e = Error::new(kind, why);
            report.error = Some(crate::json::ErrorJson {
                exit_code: kind.exit_code(),
                message: e.to_string(),
            });
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn until_dot(input: &str) -> String {
        let mut out = Vec::new();
        copy_until_dot(
            &mut io::BufReader::with_capacity(3, input.as_bytes()),
            &mut out,
            "t",
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn sendmail_input_ends_at_a_lone_dot() {
        assert_eq!(until_dot("a\n.\nb\n"), "a\n");
        assert_eq!(until_dot("a\r\n.\r\nb\n"), "a\r\n");
        assert_eq!(until_dot(".\n"), "");
        assert_eq!(until_dot("a\n..\n.b\n.\rx\nend"), "a\n..\n.b\n.\rx\nend");
        assert_eq!(until_dot("a\n."), "a\n.");
    }
}
