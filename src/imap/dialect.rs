//! IMAP response framing for the engine (RFC 9051 §2.2.2, §4.3): where a response ends, and what each
//! literal in it is.
//!
//! A response is one line, or a line ending in `{n}` (or `~{n}`, RFC 3516) followed by n raw bytes and
//! more of the response, any number of times. Status responses (`TAG OK ...`, `* BYE ...`) and
//! continuations (`+ ...`) end with their line: their text may end in `{5}` without meaning a literal. A
//! literal after a FETCH body item (`BODY[...]`, `BINARY[...]`, `RFC822*`) is a message *body*: the
//! caller's sink streams it (to a file), and the response keeps only the marker `\0n\0` in its place.
//! Any other literal (a mailbox name, an ENVELOPE string) is small and kept inline, at most
//! [`INLINE_CAP`] bytes each and [`RESPONSE_CAP`] in all. A literal size that is not a number, or does
//! not fit in 64 bits, is a protocol violation.

use crate::error::{Error, Result};
use crate::pingpong::{Dialect, LiteralSink, Step};

use super::response::{self, Response};

/// The largest literal kept inside a response (not a message body).
pub const INLINE_CAP: u64 = 64 * 1024;
/// The most bytes a response (lines and inline literals) may hold.
pub const RESPONSE_CAP: usize = 1024 * 1024;

/// What the literal being received is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteralKind {
    /// No literal is pending.
    None,
    /// Kept in the response.
    Inline,
    /// The first body section of `* seq FETCH`, with the UID when it came before the body.
    Body {
        /// Sequence number.
        seq: u32,
        /// UID, if already seen in this response.
        uid: Option<u32>,
    },
    /// A further body section in the same response: read and dropped.
    Discard,
}

/// The IMAP framing state.
#[derive(Debug, Default)]
pub struct ImapDialect {
    buf: Vec<u8>,
    pending: Option<LiteralKind>,
    fetch_seq: Option<u32>,
    body_seen: bool,
}

impl ImapDialect {
    /// What the literal now being streamed is.
    pub fn literal_kind(&self) -> LiteralKind {
        self.pending.unwrap_or(LiteralKind::None)
    }

    /// Appends bytes of an inline literal to the response.
    pub fn push_inline(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    fn reset(&mut self) -> Vec<u8> {
        self.pending = None;
        self.fetch_seq = None;
        self.body_seen = false;
        std::mem::take(&mut self.buf)
    }

    /// Whether the response begun in `line` is a status response or continuation (no literals).
    fn is_status_line(line: &[u8]) -> bool {
        if line.first() == Some(&b'+') {
            return true;
        }
        let mut words = line.splitn(3, |&b| b == b' ');
        let _tag = words.next();
        let second = words.next().unwrap_or_default();
        ["OK", "NO", "BAD", "BYE", "PREAUTH"]
            .iter()
            .any(|w| second.eq_ignore_ascii_case(w.as_bytes()))
    }

    /// `* n FETCH` → n.
    fn fetch_seq(line: &[u8]) -> Option<u32> {
        let rest = line.strip_prefix(b"* ")?;
        let sp = rest.iter().position(|&b| b == b' ')?;
        let n = std::str::from_utf8(&rest[..sp]).ok()?.parse().ok()?;
        let after = &rest[sp + 1..];
        (after.len() >= 5 && after[..5].eq_ignore_ascii_case(b"FETCH")).then_some(n)
    }

    /// The literal announced at the end of `line`: (where the `{`/`~{` starts, size).
    fn trailing_literal(line: &[u8]) -> Result<Option<(usize, u64)>> {
        let Some(body) = line.strip_suffix(b"}") else {
            return Ok(None);
        };
        let Some(open) = body.iter().rposition(|&b| b == b'{') else {
            return Ok(None);
        };
        let digits = &body[open + 1..];
        // `{n+}` and `{n-}` are the client's non-synchronising literals (RFC 7888 §4): never the server's.
        if digits.last().is_some_and(|&b| b == b'+' || b == b'-') {
            return Err(Error::protocol(
                "the server sent a non-synchronising literal {n+}, which only clients may send",
            ));
        }
        let n = std::str::from_utf8(digits)
            .ok()
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<u64>().ok())
            .ok_or_else(|| {
                Error::protocol(format!(
                    "malformed literal size {{{}}}",
                    crate::terminal::clip_bytes(digits, 40)
                ))
            })?;
        let start = if open > 0 && body[open - 1] == b'~' {
            open - 1
        } else {
            open
        };
        Ok(Some((start, n)))
    }

    /// Whether the text before a literal names a body section.
    fn is_body_item(prefix: &[u8]) -> bool {
        let p = prefix.strip_suffix(b" ").unwrap_or(prefix);
        if p.ends_with(b"]") || p.ends_with(b">") {
            // BODY[...] / BINARY[...] (with an optional <origin>), not a response code.
            let open = p.iter().rposition(|&b| b == b'[');
            return open.is_some_and(|o| {
                let before = &p[..o];
                let word = before.rsplit(|&b| b == b' ' || b == b'(').next();
                word.is_some_and(|w| {
                    w.eq_ignore_ascii_case(b"BODY") || w.eq_ignore_ascii_case(b"BINARY")
                })
            });
        }
        let word = p
            .rsplit(|&b| b == b' ' || b == b'(')
            .next()
            .unwrap_or_default();
        [&b"RFC822"[..], b"RFC822.HEADER", b"RFC822.TEXT"]
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w))
    }

    /// The UID in a FETCH response's bytes so far, when it came before the body.
    fn uid_so_far(buf: &[u8]) -> Option<u32> {
        let upper: Vec<u8> = buf.iter().map(u8::to_ascii_uppercase).collect();
        let at = memchr::memmem::find(&upper, b" UID ")
            .or_else(|| memchr::memmem::find(&upper, b"(UID "))?;
        let digits: Vec<u8> = buf[at + 5..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .copied()
            .collect();
        std::str::from_utf8(&digits).ok()?.parse().ok()
    }
}

impl Dialect for ImapDialect {
    type Reply = Response;

    fn feed(&mut self, line: &[u8]) -> Result<Step<Response>> {
        let first = self.buf.is_empty() && self.pending.is_none();
        self.pending = None;
        if first {
            if Self::is_status_line(line) {
                return response::parse(line).map(Step::Done);
            }
            self.fetch_seq = Self::fetch_seq(line);
        }
        if self.buf.len() + line.len() > RESPONSE_CAP {
            return Err(Error::protocol(format!(
                "response longer than {RESPONSE_CAP} bytes"
            )));
        }
        let Some((start, n)) = Self::trailing_literal(line)? else {
            self.buf.extend_from_slice(line);
            let bytes = self.reset();
            return response::parse(&bytes).map(Step::Done);
        };
        let prefix = &line[..start];
        match self.fetch_seq {
            Some(seq) if Self::is_body_item(prefix) => {
                self.buf.extend_from_slice(prefix);
                let kind = if self.body_seen {
                    LiteralKind::Discard
                } else {
                    LiteralKind::Body {
                        seq,
                        uid: Self::uid_so_far(&self.buf),
                    }
                };
                self.body_seen = true;
                self.buf.push(0);
                self.buf.extend_from_slice(n.to_string().as_bytes());
                self.buf.push(0);
                self.pending = Some(kind);
            }
            _ => {
                if n > INLINE_CAP || self.buf.len() as u64 + n > RESPONSE_CAP as u64 {
                    return Err(Error::protocol(format!(
                        "a {n}-byte literal where a short string belongs"
                    )));
                }
                self.buf.extend_from_slice(line);
                self.buf.extend_from_slice(b"\r\n");
                self.pending = Some(LiteralKind::Inline);
            }
        }
        Ok(Step::Literal(n))
    }
}

/// Where message bodies go while a FETCH response arrives.
pub trait BodySink {
    /// A body of `len` bytes for message `seq` (UID when known) starts.
    fn begin(&mut self, seq: u32, uid: Option<u32>, len: u64) -> Result<()>;
    /// The next bytes.
    fn write(&mut self, chunk: &[u8]) -> Result<()>;
    /// The body is complete.
    fn end(&mut self) -> Result<()>;
}

/// Routes literals: inline ones into the response, bodies to a [`BodySink`] (or nowhere).
pub struct Literals<'a> {
    body: Option<&'a mut dyn BodySink>,
}

impl<'a> Literals<'a> {
    /// Bodies to `body`.
    pub fn to(body: &'a mut dyn BodySink) -> Self {
        Literals { body: Some(body) }
    }

    /// Bodies dropped (a FETCH nobody asked for).
    pub fn inline_only() -> Self {
        Literals { body: None }
    }
}

impl LiteralSink<ImapDialect> for Literals<'_> {
    fn begin(&mut self, d: &mut ImapDialect, len: u64) -> Result<()> {
        match (d.literal_kind(), self.body.as_deref_mut()) {
            (LiteralKind::Body { seq, uid }, Some(b)) => b.begin(seq, uid, len),
            _ => Ok(()),
        }
    }

    fn bytes(&mut self, d: &mut ImapDialect, chunk: &[u8]) -> Result<()> {
        match (d.literal_kind(), self.body.as_deref_mut()) {
            (LiteralKind::Inline, _) => {
                d.push_inline(chunk);
                Ok(())
            }
            (LiteralKind::Body { .. }, Some(b)) => b.write(chunk),
            _ => Ok(()),
        }
    }

    fn end(&mut self, d: &mut ImapDialect) -> Result<()> {
        match (d.literal_kind(), self.body.as_deref_mut()) {
            (LiteralKind::Body { .. }, Some(b)) => b.end(),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::response::{Body, Fetch};

    fn feed_all(d: &mut ImapDialect, parts: &[&[u8]]) -> Vec<Step<Response>> {
        parts.iter().map(|p| d.feed(p).unwrap()).collect()
    }

    #[test]
    fn status_lines_never_have_literals() {
        let mut d = ImapDialect::default();
        let Step::Done(Response::Tagged(_, st)) = d.feed(b"A1 OK done {5}").unwrap() else {
            panic!()
        };
        assert_eq!(st.text, "done {5}");
        assert!(matches!(
            d.feed(b"+ {5}").unwrap(),
            Step::Done(Response::Continue(_))
        ));
    }

    #[test]
    fn body_literal_becomes_a_marker_and_inline_literal_stays() {
        let mut d = ImapDialect::default();
        let steps = feed_all(&mut d, &[b"* 3 FETCH (UID 17 BODY[] {5}"]);
        assert!(matches!(steps[0], Step::Literal(5)));
        assert_eq!(
            d.literal_kind(),
            LiteralKind::Body {
                seq: 3,
                uid: Some(17)
            }
        );
        assert!(matches!(
            d.feed(b" ENVELOPE ({2}").unwrap(),
            Step::Literal(2)
        ));
        assert_eq!(d.literal_kind(), LiteralKind::Inline);
    }

    #[test]
    fn inline_literal_round_trip() {
        let mut d = ImapDialect::default();
        assert!(matches!(
            d.feed(b"* LIST () \"/\" {3}").unwrap(),
            Step::Literal(3)
        ));
        assert_eq!(d.literal_kind(), LiteralKind::Inline);
        d.push_inline(b"a b");
        let Step::Done(Response::List(l)) = d.feed(b"").unwrap() else {
            panic!()
        };
        assert_eq!(l.wire_name, b"a b");
        // And the body case end to end.
        assert!(matches!(
            d.feed(b"* 1 FETCH (BODY[] {0}").unwrap(),
            Step::Literal(0)
        ));
        let Step::Done(Response::Fetch(f)) = d.feed(b" UID 9)").unwrap() else {
            panic!()
        };
        assert_eq!(
            f,
            Fetch {
                seq: 1,
                uid: Some(9),
                body: Some(Body::Streamed(0)),
                ..Fetch::default()
            }
        );
    }

    #[test]
    fn bad_literal_sizes() {
        for line in [
            &b"* 1 FETCH (BODY[] {99999999999999999999999}"[..],
            b"* 1 FETCH (BODY[] {-1}",
            b"* 1 FETCH (BODY[] {}",
            b"* 1 FETCH (BODY[] {12a}",
        ] {
            let e = ImapDialect::default().feed(line).err().unwrap();
            assert_eq!(e.kind(), crate::ErrorKind::Protocol);
        }
        let e = ImapDialect::default()
            .feed(b"* LIST () \"/\" {100000000}")
            .err()
            .unwrap();
        assert_eq!(e.kind(), crate::ErrorKind::Protocol);
    }

    #[test]
    fn a_server_literal_plus_is_a_protocol_violation() {
        // Issue 13, defect 9: RFC 7888 literals are client-only syntax.
        for line in [&b"* 1 FETCH (BODY[] {5+}"[..], b"* LIST () \"/\" {3-}"] {
            let e = ImapDialect::trailing_literal(line).unwrap_err();
            assert_eq!(e.kind(), crate::error::ErrorKind::Protocol);
        }
        assert_eq!(
            ImapDialect::trailing_literal(b"* 1 FETCH (BODY[] {5}")
                .unwrap()
                .map(|l| l.1),
            Some(5)
        );
    }

    proptest::proptest! {
        /// Server text with multi-byte characters anywhere: the IMAP framing and response parser never
        /// panic.
        #[test]
        fn imap_line_parsers_never_panic(lines in proptest::collection::vec("(\\d{3}[ -]?|\\+OK |-ERR |\\+ |\\* |A1 |[-dl][rwx-]{0,9} )?[a-z0-9 ()|,.:=<>\\[\\]{}~+-é€𝄞\u{80}-\u{10ffff}]{0,120}", 1..4)) {
            let mut d = ImapDialect::default();
            for l in &lines {
                if d.feed(l.as_bytes()).is_err() {
                    d = ImapDialect::default();
                }
            }
        }
    }
}
