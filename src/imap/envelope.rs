//! ENVELOPE (RFC 9051 §7.5.2 `envelope`) as a type: date, subject, the six address lists, In-Reply-To and
//! Message-ID, read from a parsed [`Value`]. Header texts are decoded from RFC 2047 encoded-words here
//! (display names and the subject); nothing is escaped for a terminal (callers do that where they print).
//! A server's malformed ENVELOPE is a protocol violation; a missing field is NIL, never a guess.

use serde::Serialize;

use super::value::Value;
use crate::error::{Error, Result};
use crate::mime::header::decode_header;

/// The most addresses kept per list: a message To ten thousand people still lists well.
const MAX_ADDRESSES: usize = 10_000;

/// One address (RFC 9051 `address`: name, route, mailbox, host).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Address {
    /// The display name, decoded.
    pub name: Option<String>,
    /// `mailbox@host`, or the group name for an RFC 5322 group start.
    pub email: Option<String>,
}

impl Address {
    /// `Name <a@b>`, `a@b` or the name alone.
    pub fn display(&self) -> String {
        match (&self.name, &self.email) {
            (Some(n), Some(e)) if !n.is_empty() => format!("{n} <{e}>"),
            (_, Some(e)) => e.clone(),
            (Some(n), None) => n.clone(),
            (None, None) => String::new(),
        }
    }
}

/// A message's envelope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Envelope {
    /// The Date header, as sent.
    pub date: Option<String>,
    /// The Subject, decoded.
    pub subject: Option<String>,
    /// From.
    pub from: Vec<Address>,
    /// Sender.
    pub sender: Vec<Address>,
    /// Reply-To.
    pub reply_to: Vec<Address>,
    /// To.
    pub to: Vec<Address>,
    /// Cc.
    pub cc: Vec<Address>,
    /// Bcc.
    pub bcc: Vec<Address>,
    /// In-Reply-To, as sent.
    pub in_reply_to: Option<String>,
    /// Message-ID, as sent.
    pub message_id: Option<String>,
}

fn bad(what: &str) -> Error {
    Error::protocol(format!("malformed ENVELOPE: {what}"))
}

/// A text field (nstring): None for NIL; decoded when `decode`.
fn text(v: &Value, decode: bool) -> Result<Option<String>> {
    match v {
        Value::Nil => Ok(None),
        Value::Str(_) | Value::Atom(_) => {
            let t = v.text().unwrap_or_default();
            Ok(Some(if decode { decode_header(&t) } else { t }))
        }
        Value::List(_) => Err(bad("a list where a string belongs")),
    }
}

fn addresses(v: &Value) -> Result<Vec<Address>> {
    let items = match v {
        Value::Nil => return Ok(Vec::new()),
        Value::List(items) => items,
        _ => return Err(bad("an address list is not a list")),
    };
    let mut out = Vec::new();
    for a in items.iter().take(MAX_ADDRESSES) {
        let parts = a
            .list()
            .filter(|p| p.len() == 4)
            .ok_or_else(|| bad("an address is not four fields"))?;
        let name = text(&parts[0], true)?;
        let mailbox = text(&parts[2], false)?;
        let host = text(&parts[3], false)?;
        let email = match (mailbox, host) {
            (Some(m), Some(h)) => Some(format!("{m}@{h}")),
            // RFC 9051: NIL host marks a group start (mailbox = group name) or end (both NIL).
            (Some(m), None) => Some(m),
            (None, _) => None,
        };
        if name.is_none() && email.is_none() {
            continue;
        }
        out.push(Address { name, email });
    }
    Ok(out)
}

impl Envelope {
    /// Reads an ENVELOPE value: a list of exactly ten fields.
    pub fn from_value(v: &Value) -> Result<Envelope> {
        let f = v
            .list()
            .filter(|f| f.len() == 10)
            .ok_or_else(|| bad("not a list of ten fields"))?;
        Ok(Envelope {
            date: text(&f[0], false)?,
            subject: text(&f[1], true)?,
            from: addresses(&f[2])?,
            sender: addresses(&f[3])?,
            reply_to: addresses(&f[4])?,
            to: addresses(&f[5])?,
            cc: addresses(&f[6])?,
            bcc: addresses(&f[7])?,
            in_reply_to: text(&f[8], false)?,
            message_id: text(&f[9], false)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::response::{Response, parse};

    fn envelope_of(line: &[u8]) -> Result<Envelope> {
        let Response::Fetch(f) = parse(line)? else {
            panic!()
        };
        Envelope::from_value(f.envelope.as_ref().unwrap())
    }

    #[test]
    fn fields_addresses_and_encoded_words() {
        let e = envelope_of(b"* 1 FETCH (UID 3 ENVELOPE (\"Mon, 7 Feb 1994 21:52:25 -0800\" \"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= =?UTF-8?Q?_aus_K=C3=B6ln?=\" ((\"=?ISO-8859-1?Q?J=F6rg?=\" NIL \"joerg\" \"example.org\")) NIL NIL ((NIL NIL \"team\" NIL)(NIL NIL \"ann\" \"h\")(NIL NIL NIL NIL)) NIL NIL NIL {6}\r\n<a@b>\r))").unwrap();
        assert_eq!(e.date.as_deref(), Some("Mon, 7 Feb 1994 21:52:25 -0800"));
        assert_eq!(e.subject.as_deref(), Some("Grüße aus Köln"));
        assert_eq!(e.from[0].display(), "Jörg <joerg@example.org>");
        assert_eq!(e.to.len(), 2);
        assert_eq!(e.to[0].email.as_deref(), Some("team"));
        assert_eq!(e.message_id.as_deref(), Some("<a@b>\r"));
        assert!(e.sender.is_empty() && e.in_reply_to.is_none());
    }

    #[test]
    fn malformed_envelopes_are_protocol_errors() {
        for line in [
            &b"* 1 FETCH (ENVELOPE (NIL NIL))"[..],
            b"* 1 FETCH (ENVELOPE (NIL NIL ((NIL NIL \"a\")) NIL NIL NIL NIL NIL NIL NIL))",
            b"* 1 FETCH (ENVELOPE (() NIL NIL NIL NIL NIL NIL NIL NIL NIL))",
            b"* 1 FETCH (ENVELOPE NIL)",
        ] {
            let e = envelope_of(line).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Protocol);
        }
    }
}
