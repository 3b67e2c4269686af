//! SMTP replies (RFC 5321 §4.2): a three-digit code, single- or multi-line, with an optional RFC 3463
//! enhanced status code.
//!
//! [`SmtpDialect`] frames replies for the engine: `ddd-text` continues a reply, `ddd text` (or a bare `ddd`)
//! ends it. Every line of one reply must carry the same code (§4.2.1); anything else is a protocol
//! violation, as is a line that does not start with a code. [`Reply::refused`] turns a reply a command
//! does not accept into the error its class implies: 4xx → transient (exit 7), 5xx → permanent (exit 6),
//! anything else → protocol violation (exit 9).

use crate::error::{Error, ErrorKind, Result};
use crate::pingpong::{Dialect, Step};

/// One complete reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit code.
    pub code: u16,
    /// The text of each line, code and separator removed.
    pub lines: Vec<String>,
}

impl Reply {
    /// The reply text on one line, control characters escaped (safe for a terminal or JSON).
    pub fn text(&self) -> String {
        let joined = self.lines.join(" ");
        crate::terminal::escape(joined.trim()).into_owned()
    }

    /// The text of the first line, as sent (a 334 challenge, the greeting's domain).
    pub fn first(&self) -> &str {
        self.lines.first().map(String::as_str).unwrap_or("")
    }

    /// Whether this is a positive completion (2xx).
    pub fn is_ok(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// Whether this is a transient negative completion (4xx).
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// The error kind this reply's class implies when a command does not accept it.
    pub fn kind(&self) -> ErrorKind {
        match self.code {
            400..=499 => ErrorKind::Transient,
            500..=599 => ErrorKind::Permanent,
            _ => ErrorKind::Protocol,
        }
    }

    /// The error for a reply that `what` does not accept.
    pub fn refused(&self, what: &str) -> Error {
        let kind = self.kind();
        let prefix = if kind == ErrorKind::Protocol {
            "unexpected reply "
        } else {
            ""
        };
        Error::new(
            kind,
            format!("{what}: {prefix}{} {}", self.code, self.text()),
        )
    }
}

/// Reply framing for the engine.
#[derive(Debug, Default)]
pub struct SmtpDialect {
    open: Option<(u16, Vec<String>)>,
}

use crate::pingpong::reply_code as code_of;

impl Dialect for SmtpDialect {
    type Reply = Reply;

    fn feed(&mut self, line: &[u8]) -> Result<Step<Reply>> {
        let malformed = || {
            Error::protocol(format!(
                "malformed reply line: {}",
                crate::terminal::escape_bytes(&line[..line.len().min(80)])
            ))
        };
        let (code, sep) = match code_of(line) {
            Some((code, sep)) if (200..600).contains(&code) => (code, sep),
            _ => return Err(malformed()),
        };
        if let Some((open, _)) = &self.open
            && *open != code
        {
            return Err(Error::protocol(format!(
                "reply code changed from {open} to {code} within one reply"
            )));
        }
        let text = String::from_utf8_lossy(line.get(4..).unwrap_or(b"")).into_owned();
        match sep {
            Some(b'-') => {
                self.open
                    .get_or_insert_with(|| (code, Vec::new()))
                    .1
                    .push(text);
                Ok(Step::More)
            }
            None | Some(b' ') => {
                let mut lines = self.open.take().map(|(_, l)| l).unwrap_or_default();
                lines.push(text);
                Ok(Step::Done(Reply { code, lines }))
            }
            Some(_) => Err(malformed()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(lines: &[&str]) -> Result<Reply> {
        let mut d = SmtpDialect::default();
        for l in lines {
            if let Step::Done(r) = d.feed(l.as_bytes())? {
                return Ok(r);
            }
        }
        panic!("reply not complete");
    }

    #[test]
    fn single_and_multi_line() {
        let r = feed_all(&["220 mx.example.com ESMTP"]).unwrap();
        assert_eq!((r.code, r.first()), (220, "mx.example.com ESMTP"));
        let r = feed_all(&["250-mx.example.com", "250-PIPELINING", "250 SIZE 1000"]).unwrap();
        assert_eq!(r.lines, vec!["mx.example.com", "PIPELINING", "SIZE 1000"]);
        assert_eq!(feed_all(&["250"]).unwrap().lines, vec![""]);
        assert_eq!(feed_all(&["334 "]).unwrap().code, 334);
    }

    #[test]
    fn garbage_and_mixed_codes_are_protocol_errors() {
        for bad in ["hello", "99 x", "2x0 x", "220x", "150 x", "600 x", ""] {
            let e = SmtpDialect::default().feed(bad.as_bytes()).err().unwrap();
            assert_eq!(e.kind(), ErrorKind::Protocol, "{bad:?}");
        }
        let e = feed_all(&["250-a", "251 b"]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
    }

    #[test]
    fn refusal_kinds_follow_the_class() {
        let r = |code| Reply {
            code,
            lines: vec!["x\u{1b}[31m".into()],
        };
        assert_eq!(r(421).refused("MAIL").kind(), ErrorKind::Transient);
        assert_eq!(r(550).refused("RCPT").kind(), ErrorKind::Permanent);
        assert_eq!(r(354).refused("MAIL").kind(), ErrorKind::Protocol);
        assert!(!r(550).refused("RCPT").to_string().contains('\u{1b}'));
    }
}
