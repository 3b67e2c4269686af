//! Commands as sent on a control connection, and their redacted form for the transcript.
//!
//! A [`Command`] is a verb and an optional argument; a secret argument (a password, a SASL response) is
//! held as [`Secret`] and shows as `****` in [`Command::redacted`]. CR, LF and NUL in an argument are refused
//! before anything is sent, so no value can smuggle a second command. An IMAP command carries its tag in
//! front ([`Command::tagged`]).

use crate::error::{Error, Result};
use crate::secret::Secret;

enum Arg {
    None,
    Plain(String),
    Secret(Secret),
}

/// One protocol command.
pub struct Command {
    tag: Option<String>,
    verb: &'static str,
    arg: Arg,
}

impl Command {
    /// A command without argument (`FEAT`, `QUIT`).
    pub fn new(verb: &'static str) -> Self {
        Command {
            tag: None,
            verb,
            arg: Arg::None,
        }
    }

    /// A command with an argument (`RETR pub/a.csv`).
    pub fn with(verb: &'static str, arg: impl Into<String>) -> Self {
        Command {
            tag: None,
            verb,
            arg: Arg::Plain(arg.into()),
        }
    }

    /// A command whose argument must never be shown (`PASS`).
    pub fn secret(verb: &'static str, arg: &Secret) -> Self {
        Command {
            tag: None,
            verb,
            arg: Arg::Secret(arg.clone()),
        }
    }

    /// The same command with a tag in front (IMAP, RFC 9051 §2.2.1: `A0001 SELECT INBOX`). The tag is
    /// checked like an argument.
    pub fn tagged(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// A bare line that is all secret: a SASL answer to a server challenge (`> ****` in the transcript).
    pub fn line(secret: &Secret) -> Self {
        Command {
            tag: None,
            verb: "",
            arg: Arg::Secret(secret.clone()),
        }
    }

    /// The verb.
    pub fn verb(&self) -> &'static str {
        self.verb
    }

    /// The bytes to send, CRLF included.
    pub fn wire(&self) -> Result<Vec<u8>> {
        let arg = match &self.arg {
            Arg::None => None,
            Arg::Plain(s) => Some(s.as_str()),
            Arg::Secret(s) => Some(s.expose()),
        };
        let mut out = Vec::with_capacity(self.verb.len() + arg.map_or(0, str::len) + 3);
        if let Some(t) = &self.tag {
            if t.is_empty() || t.bytes().any(|b| b <= b' ' || b >= 0x7f) {
                return Err(Error::usage(format!("bad tag for {}", self.verb)));
            }
            out.extend_from_slice(t.as_bytes());
            out.push(b' ');
        }
        out.extend_from_slice(self.verb.as_bytes());
        if let Some(a) = arg {
            let what = if self.verb.is_empty() {
                "SASL answer"
            } else {
                self.verb
            };
            if a.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return Err(Error::usage(format!(
                    "{what} argument contains CR, LF or NUL"
                )));
            }
            if !self.verb.is_empty() {
                out.push(b' ');
            }
            out.extend_from_slice(a.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        Ok(out)
    }

    /// The command as the transcript shows it: secrets as `****`.
    pub fn redacted(&self) -> String {
        let tag = self
            .tag
            .as_deref()
            .map_or(String::new(), |t| format!("{t} "));
        match &self.arg {
            Arg::None => format!("{tag}{}", self.verb),
            Arg::Plain(a) => format!("{tag}{} {a}", self.verb),
            Arg::Secret(_) if self.verb.is_empty() => format!("{tag}****"),
            Arg::Secret(_) => format!("{tag}{} ****", self.verb),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_and_redaction() {
        let c = Command::secret("PASS", &Secret::new("hunter2"));
        assert_eq!(c.wire().unwrap(), b"PASS hunter2\r\n");
        assert_eq!(c.redacted(), "PASS ****");
        assert_eq!(Command::new("QUIT").wire().unwrap(), b"QUIT\r\n");
        let e = Command::with("RETR", "a\r\nDELE b").wire().unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Usage);
        let c = Command::secret("LOGIN", &Secret::new("bob pw")).tagged("A1");
        assert_eq!(c.wire().unwrap(), b"A1 LOGIN bob pw\r\n");
        assert_eq!(c.redacted(), "A1 LOGIN ****");
        assert_eq!(Command::new("NOOP").tagged("A2").redacted(), "A2 NOOP");
        assert!(Command::new("NOOP").tagged("A 2").wire().is_err());
        let l = Command::line(&Secret::new("AGFubgBwdw=="));
        assert_eq!(l.wire().unwrap(), b"AGFubgBwdw==\r\n");
        assert_eq!(l.redacted(), "****");
        assert_eq!(Command::line(&Secret::new("")).wire().unwrap(), b"\r\n");
    }
}
