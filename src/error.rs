//! The one error type of ferry and the one place where an error becomes an exit code.
//!
//! Every fallible function in the library returns [`Result`]. An [`Error`] carries an [`ErrorKind`] (what the
//! user's script needs to branch on), a human context ("RETR pub/a.csv: 550 No such file") and optionally the
//! underlying cause. [`EXIT_CODES`] is the contract of `../shared/docs/cli.md`; `--help`, the man pages and
//! README are generated from it, and [`ErrorKind::exit_code`] is the only `match` that maps kinds to codes.

use std::fmt;
use std::io;

use crate::hint::Hint;

/// What went wrong, in the terms of the exit-code contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A bug in ferry (exit 1).
    Internal,
    /// Bad flag, bad URL, CR/LF in a value (exit 2).
    Usage,
    /// DNS, refused, unreachable (exit 3).
    Connect,
    /// Handshake, certificate, STARTTLS not offered or refused, session reuse refused (exit 4).
    Tls,
    /// Authentication failed or no usable credentials (exit 5).
    Auth,
    /// The server refused permanently: FTP/SMTP 5xx, POP3 -ERR, IMAP NO/BAD (exit 6).
    Permanent,
    /// The server refused transiently: FTP/SMTP 4xx (exit 7).
    Transient,
    /// Cannot read input, write output, disk full, unsafe target (exit 8).
    LocalIo,
    /// Malformed, oversized or unexpected reply; truncated transfer (exit 9).
    Protocol,
    /// Some items failed, others succeeded (exit 10).
    Partial,
    /// A connect, reply or data wait ran out (exit 11).
    Timeout,
}

/// The exit-code table: code, kind, and the sentence users read in `--help`, man pages and README.
pub const EXIT_CODES: &[(u8, &str)] = &[
    (0, "success (including \"nothing new to fetch\")"),
    (1, "internal error"),
    (
        2,
        "usage error (bad flag, bad URL, CR/LF in a header value or address)",
    ),
    (3, "cannot connect (DNS, refused, unreachable)"),
    (
        4,
        "TLS failure (handshake, certificate, STARTTLS not offered or refused, session reuse refused)",
    ),
    (5, "authentication failed or no usable credentials"),
    (
        6,
        "server refused permanently (FTP/SMTP 5xx, POP3 -ERR, IMAP NO/BAD)",
    ),
    (7, "server refused transiently (FTP/SMTP 4xx)"),
    (
        8,
        "local I/O error (cannot read input, write output, disk full, unsafe target)",
    ),
    (
        9,
        "protocol violation (malformed, oversized or unexpected reply; truncated transfer)",
    ),
    (
        10,
        "partial success (some files, messages or recipients failed; details on stderr / in --json)",
    ),
    (11, "timeout"),
    (
        129,
        "stopped by SIGHUP (temporary files removed; a -c partial download kept for the next -c)",
    ),
    (
        130,
        "stopped by SIGINT (Ctrl-C; temporary files removed; a -c partial download kept for the next -c)",
    ),
    (
        143,
        "stopped by SIGTERM (temporary files removed; a -c partial download kept for the next -c)",
    ),
];

impl ErrorKind {
    /// The process exit code for this kind: the only mapping in the code base.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Internal => 1,
            ErrorKind::Usage => 2,
            ErrorKind::Connect => 3,
            ErrorKind::Tls => 4,
            ErrorKind::Auth => 5,
            ErrorKind::Permanent => 6,
            ErrorKind::Transient => 7,
            ErrorKind::LocalIo => 8,
            ErrorKind::Protocol => 9,
            ErrorKind::Partial => 10,
            ErrorKind::Timeout => 11,
        }
    }

    /// Whether `--retries` may try again after this kind of failure (connect, 4xx, timeouts, dropped links).
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorKind::Connect | ErrorKind::Transient | ErrorKind::Timeout | ErrorKind::Protocol
        )
    }
}

/// A failure with its kind, a human context and an optional cause.
pub struct Error {
    kind: ErrorKind,
    context: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    hint: Option<Hint>,
    reply_code: Option<u16>,
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` described by `context`.
    pub fn new(kind: ErrorKind, context: impl Into<String>) -> Self {
        Error {
            kind,
            context: context.into(),
            source: None,
            hint: None,
            reply_code: None,
        }
    }

    /// Attaches advice for the user (see [`crate::hint`]).
    pub fn with_hint(mut self, hint: Hint) -> Self {
        self.hint = Some(hint);
        self
    }

    /// The advice the error was raised with.
    pub fn hint(&self) -> Option<Hint> {
        self.hint
    }

    /// Records the server's reply code (FTP, SMTP) that the error reports.
    pub fn with_reply_code(mut self, code: u16) -> Self {
        self.reply_code = Some(code);
        self
    }

    /// The server's reply code, when the error reports a coded reply.
    pub fn reply_code(&self) -> Option<u16> {
        self.reply_code
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// A usage error (exit 2).
    pub fn usage(context: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage, context)
    }

    /// A protocol violation (exit 9).
    pub fn protocol(context: impl Into<String>) -> Self {
        Error::new(ErrorKind::Protocol, context)
    }

    /// A local I/O failure (exit 8) on `what`, e.g. a path.
    pub fn local(what: impl fmt::Display, err: io::Error) -> Self {
        Error::new(ErrorKind::LocalIo, what.to_string()).with_source(err)
    }

    /// An I/O failure on a network stream: timeouts become [`ErrorKind::Timeout`], a closed or reset
    /// connection a [`ErrorKind::Protocol`] violation (the server went away mid-conversation).
    pub fn network(what: impl fmt::Display, err: io::Error) -> Self {
        let kind = match err.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ErrorKind::Timeout,
            _ => match tls_kind(&err) {
                Some(kind) => kind,
                None => ErrorKind::Protocol,
            },
        };
        let trickled = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<crate::stall::Trickled>());
        match kind {
            // A transfer below its minimum rate says so (`crate::stall`).
            ErrorKind::Timeout if let Some(t) = trickled => {
                Error::new(kind, format!("{what}: {t}"))
            }
            // The OS's words for a read timeout ("Resource temporarily unavailable") only mislead.
            ErrorKind::Timeout => Error::new(kind, format!("{what}: timed out")),
            _ => Error::new(kind, what.to_string()).with_source(err),
        }
    }

    /// The same error with another kind (e.g. a handshake's I/O failure is a TLS failure).
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// The kind, which decides the exit code.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human context without the cause chain.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// Prefixes the context with `outer`, e.g. the file a transfer was for; a context that already
    /// starts with it (a local error naming the same file) is left as it is, not said twice.
    pub fn within(mut self, outer: impl fmt::Display) -> Self {
        let outer = outer.to_string();
        let named = self
            .context
            .strip_prefix(&outer)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(": "));
        if !named {
            self.context = format!("{outer}: {}", self.context);
        }
        self
    }

    /// Whether this error was caused by a closed pipe on our output (`ftp-get -o - | head`). Only a
    /// local write counts: EPIPE on a socket is the server hanging up mid-conversation (a message not
    /// delivered, a file not uploaded), never a quiet success.
    pub fn is_broken_pipe(&self) -> bool {
        if self.kind != ErrorKind::LocalIo {
            return false;
        }
        let mut cur: Option<&(dyn std::error::Error + 'static)> = self
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static));
        while let Some(e) = cur {
            if let Some(io) = e.downcast_ref::<io::Error>()
                && io.kind() == io::ErrorKind::BrokenPipe
            {
                return true;
            }
            cur = e.source();
        }
        false
    }
}

/// TLS errors surface from rustls wrapped in `io::Error`; they are TLS failures, not protocol ones.
fn tls_kind(err: &io::Error) -> Option<ErrorKind> {
    let inner = err.get_ref()?;
    #[cfg(feature = "rustls")]
    if inner.downcast_ref::<rustls::Error>().is_some() {
        return Some(ErrorKind::Tls);
    }
    #[cfg(feature = "native-tls")]
    if inner.downcast_ref::<native_tls::Error>().is_some() {
        return Some(ErrorKind::Tls);
    }
    let _ = inner;
    None
}

impl Error {
    /// A copy of this error for a second report (the error itself owns its cause, which cannot be
    /// cloned): the same kind, hint and reply code, the cause's words folded into the context.
    pub fn copied(&self) -> Error {
        Error {
            kind: self.kind,
            context: self.with_causes(),
            source: None,
            hint: crate::hint::for_error(self),
            reply_code: self.reply_code,
        }
    }

    /// The context followed by the text of each cause.
    fn with_causes(&self) -> String {
        // io::Error wrapping a library error displays the same text as its source: print each text once.
        let mut shown = self.context.clone();
        let mut cur: Option<&(dyn std::error::Error + 'static)> = self
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static));
        while let Some(e) = cur {
            let text = e.to_string();
            if !shown.ends_with(&text) {
                shown.push_str(": ");
                shown.push_str(&text);
            }
            cur = e.source();
        }
        shown
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.with_causes();
        if let Some(hint) = crate::hint::for_error(self) {
            shown.push_str("; hint: ");
            shown.push_str(&hint.text());
        }
        f.write_str(&shown)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {self}", self.kind)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_keeps_the_cause_kind_and_hint() {
        let e = Error::local("t/closed", io::Error::from_raw_os_error(13));
        let c = e.copied();
        assert_eq!(c.to_string(), e.to_string());
        assert!(
            c.to_string().starts_with("t/closed: Permission denied"),
            "{c}"
        );
        assert_eq!(c.kind(), ErrorKind::LocalIo);
        let h = Error::protocol("x").with_hint(Hint::Mkdirs).copied();
        assert_eq!(h.hint(), Some(Hint::Mkdirs));
    }

    #[test]
    fn within_names_the_outer_context_once() {
        let e = |ctx: &str| Error::new(ErrorKind::LocalIo, ctx);
        assert_eq!(e("STOR f: 553").within("a/f").context(), "a/f: STOR f: 553");
        assert_eq!(e("a/f: stopped").within("a/f").context(), "a/f: stopped");
        assert_eq!(e("a/f").within("a/f").context(), "a/f");
        assert_eq!(e("a/fg: x").within("a/f").context(), "a/f: a/fg: x");
    }

    #[test]
    fn table_and_mapping_agree() {
        let kinds = [
            ErrorKind::Internal,
            ErrorKind::Usage,
            ErrorKind::Connect,
            ErrorKind::Tls,
            ErrorKind::Auth,
            ErrorKind::Permanent,
            ErrorKind::Transient,
            ErrorKind::LocalIo,
            ErrorKind::Protocol,
            ErrorKind::Partial,
            ErrorKind::Timeout,
        ];
        let codes: Vec<u8> = kinds.iter().map(|k| k.exit_code()).collect();
        let table: Vec<u8> = EXIT_CODES
            .iter()
            .skip(1)
            .map(|(c, _)| *c)
            .filter(|c| *c < 128)
            .collect();
        assert_eq!(codes, table);
        // The signal rows are the shell's 128 + signal number, as `signals::exit_code` gives them.
        let signals: Vec<u8> = [libc::SIGHUP, libc::SIGINT, libc::SIGTERM]
            .into_iter()
            .map(crate::signals::exit_code)
            .collect();
        let rows: Vec<u8> = EXIT_CODES
            .iter()
            .map(|(c, _)| *c)
            .filter(|c| *c >= 128)
            .collect();
        assert_eq!(signals, rows);
    }

    #[test]
    fn timeouts_and_broken_pipes_are_recognised() {
        let e = Error::network("reading reply", io::Error::from(io::ErrorKind::TimedOut));
        assert_eq!(e.kind(), ErrorKind::Timeout);
        let e = Error::network("reading", io::Error::from(io::ErrorKind::WouldBlock));
        assert_eq!(e.to_string(), "reading: timed out");
        assert_eq!(e.kind(), ErrorKind::Timeout);
        let e = Error::local("stdout", io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(e.is_broken_pipe());
        assert_eq!(e.to_string(), "stdout: broken pipe");
        let e = Error::network(
            "sending the message",
            io::Error::from(io::ErrorKind::BrokenPipe),
        );
        assert!(
            !e.is_broken_pipe(),
            "a server hanging up is no closed stdout"
        );
    }
}
