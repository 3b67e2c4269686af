//! Coded replies: the three-digit replies of FTP (RFC 959 §4.2) and SMTP (RFC 5321 §4.2), one type for both.
//!
//! [`CodedReply`] is a code and the text of each line; its [`Class`] is the first digit, and
//! [`CodedReply::refused`] turns a reply a command does not accept into the error its class implies:
//! 4xx → transient (exit 7), 5xx → permanent (exit 6), anything else → protocol violation (exit 9).
//! Protocol-specific mappings (FTP 530, SMTP's AUTH failures) stay with their sessions. Where a reply ends
//! differs between the two protocols, so framing stays in each protocol's dialect; this module only
//! parses the code ([`reply_code`]). Reply text is escaped whenever it is shown ([`CodedReply::text`]):
//! it comes from the server and may hold terminal control sequences.

use crate::error::{Error, ErrorKind};

/// The three-digit code that starts an FTP or SMTP reply line (RFC 959 §4.2, RFC 5321 §4.2), and the byte
/// after it (space: last line; `-`: more follow). None when the line does not start with three digits.
pub fn reply_code(line: &[u8]) -> Option<(u16, Option<u8>)> {
    if line.len() < 3 || !line[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code =
        (line[0] - b'0') as u16 * 100 + (line[1] - b'0') as u16 * 10 + (line[2] - b'0') as u16;
    Some((code, line.get(3).copied()))
}

/// The class of a reply, its first digit (RFC 959 §4.2.1, RFC 5321 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// 1xx: the action is starting; another reply follows.
    Preliminary,
    /// 2xx: done.
    Completion,
    /// 3xx: more is needed from the client.
    Intermediate,
    /// 4xx: not done, worth trying again.
    TransientNegative,
    /// 5xx: not done, and will not be.
    PermanentNegative,
}

/// One complete coded reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedReply {
    /// The three-digit code.
    pub code: u16,
    /// The text of each line, code and separator removed (FTP: from the first and last line only).
    pub lines: Vec<String>,
}

impl CodedReply {
    /// The class; None for a code outside 100..=599 (which the dialects refuse anyway).
    pub fn class(&self) -> Option<Class> {
        match self.code / 100 {
            1 => Some(Class::Preliminary),
            2 => Some(Class::Completion),
            3 => Some(Class::Intermediate),
            4 => Some(Class::TransientNegative),
            5 => Some(Class::PermanentNegative),
            _ => None,
        }
    }

    /// The reply text on one line, control characters escaped (safe for a terminal or JSON).
    pub fn text(&self) -> String {
        let joined = self.lines.join(" ");
        crate::terminal::escape(joined.trim()).into_owned()
    }

    /// The text of the first line, as sent (PASV/EPSV/SIZE values, a 334 challenge, a greeting's domain).
    pub fn first(&self) -> &str {
        self.lines.first().map(String::as_str).unwrap_or("")
    }

    /// The text of the last line, as sent (where a multi-line reply puts its result: ProFTPD's
    /// `213-Computing MD5 digest` / `213 MD5 0-20 HEX name`).
    pub fn last(&self) -> &str {
        self.lines.last().map(String::as_str).unwrap_or("")
    }

    /// Whether this is a positive completion (2xx).
    pub fn is_ok(&self) -> bool {
        self.class() == Some(Class::Completion)
    }

    /// Whether this is a transient negative completion (4xx).
    pub fn is_transient(&self) -> bool {
        self.class() == Some(Class::TransientNegative)
    }

    /// The error kind this reply's class implies when a command does not accept it.
    pub fn kind(&self) -> ErrorKind {
        match self.class() {
            Some(Class::TransientNegative) => ErrorKind::Transient,
            Some(Class::PermanentNegative) => ErrorKind::Permanent,
            _ => ErrorKind::Protocol,
        }
    }

    /// The error for a reply that `what` does not accept: `what: 550 text`, or `what: unexpected reply 227
    /// text` for a reply that is no refusal at all.
    pub fn refused(&self, what: &str) -> Error {
        self.refused_as(what, self.kind())
    }

    /// Like [`CodedReply::refused`] with the kind a protocol assigns to this code (FTP 530: exit 5). The
    /// server's text is clipped to 1000 bytes (a reply may be a megabyte).
    pub fn refused_as(&self, what: &str, kind: ErrorKind) -> Error {
        let prefix = if kind == ErrorKind::Protocol {
            "unexpected reply "
        } else {
            ""
        };
        Error::new(
            kind,
            format!(
                "{what}: {prefix}{} {}",
                self.code,
                crate::terminal::clip(self.lines.join(" ").trim(), 1000)
            ),
        )
        .with_reply_code(self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(code: u16) -> CodedReply {
        CodedReply {
            code,
            lines: vec!["x\u{1b}[31m ".into()],
        }
    }

    #[test]
    fn classes_and_refusal_kinds() {
        assert_eq!(r(150).class(), Some(Class::Preliminary));
        assert_eq!(r(226).class(), Some(Class::Completion));
        assert_eq!(r(334).class(), Some(Class::Intermediate));
        assert_eq!(r(421).class(), Some(Class::TransientNegative));
        assert_eq!(r(550).class(), Some(Class::PermanentNegative));
        assert_eq!(r(650).class(), None);
        assert_eq!(r(421).refused("MAIL").kind(), ErrorKind::Transient);
        assert_eq!(r(550).refused("RCPT").kind(), ErrorKind::Permanent);
        let e = r(354).refused("MAIL");
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert_eq!(e.to_string(), "MAIL: unexpected reply 354 x\\x1b[31m");
        assert_eq!(
            r(530).refused_as("PASS", ErrorKind::Auth).to_string(),
            "PASS: 530 x\\x1b[31m"
        );
        assert!(r(250).is_ok() && !r(250).is_transient() && r(451).is_transient());
        assert_eq!(reply_code(b"250-x"), Some((250, Some(b'-'))));
        assert_eq!(reply_code(b"25"), None);
    }
}
