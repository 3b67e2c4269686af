//! POP3 replies (RFC 1939 §3, RFC 2449 §8 extended response codes, RFC 5034 §4 continuations).
//!
//! A reply starts with `+OK` or `-ERR`; during AUTH the server may also send a continuation `+ base64`.
//! Whether a multi-line body follows a positive status line depends on the command, so the session tells
//! [`Pop3Dialect`] what it expects before reading ([`Expect`]). Multi-line bodies read through the dialect
//! (CAPA, LIST, UIDL: small and bounded by the engine's reply cap) are un-stuffed here (RFC 1939 §3: a line
//! starting with `.` has it removed; a lone `.` ends the body). Message bodies (RETR, TOP) do not pass through
//! the dialect: they stream through `PingPong::read_dot_body`.
//!
//! [`Reply::refused`] turns a `-ERR` into the error its RFC 2449 code implies: `[AUTH]` → authentication
//! (exit 5), `[IN-USE]`, `[LOGIN-DELAY]`, `[SYS/TEMP]` → transient (exit 7), anything else → permanent
//! (exit 6).

use crate::error::{Error, ErrorKind, Result};
use crate::pingpong::{Dialect, Step};

/// The status indicator of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `+OK`.
    Ok,
    /// `-ERR`.
    Err,
    /// `+ ` (a SASL challenge, RFC 5034 §4).
    Continue,
}

/// One complete reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// `+OK`, `-ERR` or a continuation.
    pub status: Status,
    /// The RFC 2449 response code of a `-ERR [CODE] text`, e.g. `AUTH`, `SYS/TEMP`.
    pub code: Option<String>,
    /// The text after the status indicator (and after the response code).
    pub text: String,
    /// The un-stuffed lines of a multi-line body, without the terminating `.`.
    pub lines: Vec<String>,
}

impl Reply {
    /// Whether the status is `+OK`.
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// The error for a reply that `what` does not accept; `login` marks a login command, where a plain
    /// `-ERR` means the credentials were refused.
    pub fn refused(&self, what: &str, login: bool) -> Error {
        let kind = match (self.status, self.code.as_deref()) {
            (Status::Continue, _) => ErrorKind::Protocol,
            (Status::Ok, _) => ErrorKind::Protocol,
            (Status::Err, Some(c)) if c.eq_ignore_ascii_case("AUTH") => ErrorKind::Auth,
            (Status::Err, Some(c))
                if c.eq_ignore_ascii_case("IN-USE")
                    || c.eq_ignore_ascii_case("LOGIN-DELAY")
                    || c.to_ascii_uppercase().starts_with("SYS/TEMP") =>
            {
                ErrorKind::Transient
            }
            (Status::Err, Some(c)) if c.to_ascii_uppercase().starts_with("SYS/PERM") => {
                ErrorKind::Permanent
            }
            (Status::Err, _) if login => ErrorKind::Auth,
            (Status::Err, _) => ErrorKind::Permanent,
        };
        let status = match self.status {
            Status::Ok => "unexpected +OK",
            Status::Err => "-ERR",
            Status::Continue => "unexpected continuation +",
        };
        let code = match &self.code {
            Some(c) => format!(" [{c}]"),
            None => String::new(),
        };
        let text = crate::terminal::escape(&self.text).into_owned();
        Error::new(kind, format!("{what}: {status}{code} {text}"))
    }
}

/// What the next reply may look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expect {
    /// One status line.
    #[default]
    Single,
    /// A status line and, after `+OK`, a dot-terminated body.
    Multi,
    /// One status line or a SASL continuation (`+ challenge`).
    Auth,
}

/// Reply framing for the engine.
#[derive(Debug, Default)]
pub struct Pop3Dialect {
    expect: Expect,
    open: Option<Reply>,
}

impl Pop3Dialect {
    /// Sets what the next reply may be; it falls back to [`Expect::Single`] once that reply is complete.
    pub fn expect(&mut self, expect: Expect) {
        self.expect = expect;
    }
}

/// Parses a status line.
pub fn status_line(line: &[u8], allow_continue: bool) -> Result<Reply> {
    let text = |from: usize| {
        String::from_utf8_lossy(line.get(from..).unwrap_or(b""))
            .trim_start()
            .to_string()
    };
    let upper = line
        .iter()
        .take(4)
        .map(u8::to_ascii_uppercase)
        .collect::<Vec<_>>();
    let (status, rest) = if upper.starts_with(b"+OK") && matches!(line.get(3), None | Some(b' ')) {
        (Status::Ok, text(3))
    } else if upper.starts_with(b"-ERR") && matches!(line.get(4), None | Some(b' ')) {
        (Status::Err, text(4))
    } else if allow_continue && (line == b"+" || line.starts_with(b"+ ")) {
        // RFC 5034 §4: "+" SP [base64]; some servers send a bare "+".
        (Status::Continue, text(1))
    } else {
        return Err(Error::protocol(format!(
            "malformed POP3 status line: {}",
            crate::terminal::clip_bytes(line, 80)
        )));
    };
    let (code, text) = match (status, rest.strip_prefix('[')) {
        (Status::Err, Some(r)) => match r.split_once(']') {
            Some((code, after))
                if !code.is_empty() && code.bytes().all(|b| b.is_ascii_graphic() && b != b'[') =>
            {
                (Some(code.to_string()), after.trim_start().to_string())
            }
            _ => (None, rest),
        },
        _ => (None, rest),
    };
    Ok(Reply {
        status,
        code,
        text,
        lines: Vec::new(),
    })
}

impl Dialect for Pop3Dialect {
    type Reply = Reply;

    fn feed(&mut self, line: &[u8]) -> Result<Step<Reply>> {
        if let Some(reply) = &mut self.open {
            if line == b"." {
                let done = self.open.take().unwrap_or_else(|| Reply {
                    status: Status::Ok,
                    code: None,
                    text: String::new(),
                    lines: Vec::new(),
                });
                return Ok(Step::Done(done));
            }
            let unstuffed = line.strip_prefix(b".").unwrap_or(line);
            reply
                .lines
                .push(String::from_utf8_lossy(unstuffed).into_owned());
            return Ok(Step::More);
        }
        let expect = std::mem::take(&mut self.expect);
        let reply = status_line(line, expect == Expect::Auth)?;
        if expect == Expect::Multi && reply.status == Status::Ok {
            self.open = Some(reply);
            return Ok(Step::More);
        }
        Ok(Step::Done(reply))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(expect: Expect, lines: &[&str]) -> Result<Reply> {
        let mut d = Pop3Dialect::default();
        d.expect(expect);
        for l in lines {
            if let Step::Done(r) = d.feed(l.as_bytes())? {
                return Ok(r);
            }
        }
        panic!("reply not complete");
    }

    #[test]
    fn single_and_multi_line() {
        let r = feed_all(Expect::Single, &["+OK 2 320"]).unwrap();
        assert_eq!((r.status, r.text.as_str()), (Status::Ok, "2 320"));
        let r = feed_all(Expect::Multi, &["+OK list", "1 120", "..x", "."]).unwrap();
        assert_eq!(r.lines, vec!["1 120", ".x"]);
        let r = feed_all(Expect::Multi, &["-ERR no such message"]).unwrap();
        assert_eq!(r.status, Status::Err);
        let r = feed_all(Expect::Single, &["+ok"]).unwrap();
        assert!(r.is_ok());
    }

    #[test]
    fn response_codes_decide_the_kind() {
        let r = feed_all(Expect::Single, &["-ERR [IN-USE] locked"]).unwrap();
        assert_eq!(r.code.as_deref(), Some("IN-USE"));
        assert_eq!(r.text, "locked");
        assert_eq!(r.refused("PASS", true).kind(), ErrorKind::Transient);
        let r = feed_all(Expect::Single, &["-ERR [AUTH] bad"]).unwrap();
        assert_eq!(r.refused("RETR", false).kind(), ErrorKind::Auth);
        let r = feed_all(Expect::Single, &["-ERR [SYS/TEMP/DISK] later"]).unwrap();
        assert_eq!(r.refused("RETR", false).kind(), ErrorKind::Transient);
        let r = feed_all(Expect::Single, &["-ERR wrong"]).unwrap();
        assert_eq!(r.refused("PASS", true).kind(), ErrorKind::Auth);
        assert_eq!(r.refused("DELE 1", false).kind(), ErrorKind::Permanent);
        let r = feed_all(Expect::Single, &["-ERR [not a code"]).unwrap();
        assert_eq!((r.code, r.text.as_str()), (None, "[not a code"));
    }

    #[test]
    fn continuations_only_during_auth() {
        let r = feed_all(Expect::Auth, &["+ VXNlcm5hbWU6"]).unwrap();
        assert_eq!(
            (r.status, r.text.as_str()),
            (Status::Continue, "VXNlcm5hbWU6")
        );
        assert!(feed_all(Expect::Auth, &["+"]).is_ok());
        assert!(feed_all(Expect::Single, &["+ abc"]).is_err());
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        for bad in ["hello", "+OKAY", "-ERROR x", "", "OK"] {
            let e = Pop3Dialect::default().feed(bad.as_bytes()).err().unwrap();
            assert_eq!(e.kind(), ErrorKind::Protocol, "{bad}");
        }
    }

    proptest::proptest! {
        /// Server text with multi-byte characters anywhere: no parser of POP3 lines panics.
        #[test]
        fn pop3_line_parsers_never_panic(lines in proptest::collection::vec("(\\d{3}[ -]?|\\+OK |-ERR |\\+ |\\* |A1 |[-dl][rwx-]{0,9} )?[a-z0-9 ()|,.:=<>\\[\\]{}~+-é€𝄞\u{80}-\u{10ffff}]{0,120}", 1..4)) {
            for expect in [Expect::Single, Expect::Multi, Expect::Auth] {
                let mut d = Pop3Dialect::default();
                d.expect(expect);
                for l in &lines {
                    if let Ok(Step::Done(r)) = d.feed(l.as_bytes()) {
                        let _ = r.refused(l, false);
                        let _ = crate::pop3::apop_timestamp(&r.text);
                    }
                }
            }
        }
    }
}
