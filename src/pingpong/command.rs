//! Commands as sent on a control connection, and their redacted form for the transcript.
//!
//! A [`Command`] is a verb and an optional argument; a secret argument (a password, a SASL response) is
//! held as [`Secret`] and shows as `****` in [`Command::redacted`]. CR, LF and NUL in an argument are refused
//! before anything is sent, so no value can smuggle a second command.

use crate::credentials::Secret;
use crate::error::{Error, Result};

enum Arg {
    None,
    Plain(String),
    Secret(Secret),
}

/// One protocol command.
pub struct Command {
    verb: &'static str,
    arg: Arg,
}

impl Command {
    /// A command without argument (`FEAT`, `QUIT`).
    pub fn new(verb: &'static str) -> Self {
        Command {
            verb,
            arg: Arg::None,
        }
    }

    /// A command with an argument (`RETR pub/a.csv`).
    pub fn with(verb: &'static str, arg: impl Into<String>) -> Self {
        Command {
            verb,
            arg: Arg::Plain(arg.into()),
        }
    }

    /// A command whose argument must never be shown (`PASS`).
    pub fn secret(verb: &'static str, arg: &Secret) -> Self {
        Command {
            verb,
            arg: Arg::Secret(arg.clone()),
        }
    }

    /// A bare line that is all secret: a SASL answer to a server challenge (`> ****` in the transcript).
    pub fn line(secret: &Secret) -> Self {
        Command {
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
        match &self.arg {
            Arg::None => self.verb.to_string(),
            Arg::Plain(a) => format!("{} {a}", self.verb),
            Arg::Secret(_) if self.verb.is_empty() => "****".to_string(),
            Arg::Secret(_) => format!("{} ****", self.verb),
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
        let l = Command::line(&Secret::new("AGFubgBwdw=="));
        assert_eq!(l.wire().unwrap(), b"AGFubgBwdw==\r\n");
        assert_eq!(l.redacted(), "****");
        assert_eq!(Command::line(&Secret::new("")).wire().unwrap(), b"\r\n");
    }
}
