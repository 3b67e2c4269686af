//! Typed IMAP responses (RFC 9051 §7, RFC 3501 §7) and the parser that makes them from one framed
//! response.
//!
//! The dialect (`dialect.rs`) hands over a response's bytes with small literals inline (`{n}\r\n` and the
//! n bytes, as on the wire) and each streamed message-body literal replaced by a marker `\0n\0` — NUL
//! cannot occur in a line, so the marker is unambiguous. The parser is a bounded recursive descent over
//! those bytes: list nesting at most [`MAX_DEPTH`], numbers checked for overflow, and anything it does not
//! need (ENVELOPE, BODYSTRUCTURE, unknown items) skipped by shape, never by guessing. Only what ferry uses
//! is typed: status responses with their codes, CAPABILITY, EXISTS/EXPUNGE, SEARCH, LIST/LSUB, STATUS and
//! FETCH (UID, RFC822.SIZE, FLAGS, one body section).

use super::capability::Capabilities;
use super::value::Value;
use crate::error::{Error, Result};

/// The deepest parenthesised list accepted in a response.
pub const MAX_DEPTH: usize = 32;

/// The status of a tagged or untagged status response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// OK.
    Ok,
    /// NO: the command failed.
    No,
    /// BAD: the command was not understood.
    Bad,
    /// BYE: the server is closing the connection.
    Bye,
    /// PREAUTH (greeting only): already authenticated.
    Preauth,
}

/// A response code in brackets (RFC 9051 §7.1): its name in upper case and its arguments as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// `UIDVALIDITY`, `CAPABILITY`, `TRYCREATE`, ...
    pub name: String,
    /// The text after the name, up to the closing bracket.
    pub args: String,
}

/// A status response's code and human text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusText {
    /// OK, NO, BAD, BYE or PREAUTH.
    pub status: Status,
    /// The response code, if any.
    pub code: Option<Code>,
    /// The text.
    pub text: String,
}

impl StatusText {
    /// The code's argument as a number, when the code is `name`.
    pub fn code_number(&self, name: &str) -> Option<u64> {
        self.code
            .as_ref()
            .filter(|c| c.name == name)
            .and_then(|c| c.args.split_whitespace().next()?.parse().ok())
    }

    /// Whether the code is `name`.
    pub fn has_code(&self, name: &str) -> bool {
        self.code.as_ref().is_some_and(|c| c.name == name)
    }

    /// `NO [CODE] text` for messages.
    pub fn describe(&self) -> String {
        let status = match self.status {
            Status::Ok => "OK",
            Status::No => "NO",
            Status::Bad => "BAD",
            Status::Bye => "BYE",
            Status::Preauth => "PREAUTH",
        };
        match &self.code {
            Some(c) if c.args.is_empty() => format!("{status} [{}] {}", c.name, self.text),
            Some(c) => format!("{status} [{} {}] {}", c.name, c.args, self.text),
            None => format!("{status} {}", self.text),
        }
    }
}

/// A mailbox from LIST or LSUB (RFC 9051 §7.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// Name attributes (`\HasNoChildren`, `\Noselect`, `\Sent`, ...).
    pub attributes: Vec<String>,
    /// The hierarchy delimiter; None for a flat namespace.
    pub delimiter: Option<char>,
    /// The name as on the wire (modified UTF-7).
    pub wire_name: Vec<u8>,
}

/// A message body section in a FETCH response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Streamed to the caller's sink while the response arrived; this many bytes.
    Streamed(u64),
    /// Sent as a quoted string or NIL (empty).
    Inline(Vec<u8>),
}

/// What a FETCH response carried (RFC 9051 §7.5.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fetch {
    /// The message sequence number.
    pub seq: u32,
    /// UID.
    pub uid: Option<u32>,
    /// RFC822.SIZE.
    pub size: Option<u64>,
    /// FLAGS.
    pub flags: Option<Vec<String>>,
    /// The first BODY[...] / BINARY[...] / RFC822* section.
    pub body: Option<Body>,
    /// INTERNALDATE, as sent (`17-Jul-1996 02:44:25 -0700`).
    pub internal_date: Option<String>,
    /// ENVELOPE, unparsed (see [`super::envelope`]).
    pub envelope: Option<Value>,
    /// BODYSTRUCTURE (or BODY without a section), unparsed (see [`super::bodystructure`]).
    pub structure: Option<Value>,
}

/// One server response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `+ text`: the server waits for more of the command.
    Continue(String),
    /// `TAG OK|NO|BAD ...`: a command is complete.
    Tagged(String, StatusText),
    /// `* OK|NO|BAD|BYE|PREAUTH ...`.
    Status(StatusText),
    /// `* CAPABILITY ...`.
    Capability(Capabilities),
    /// `* n EXISTS`.
    Exists(u32),
    /// `* n EXPUNGE`: message n is gone, later ones move down by one.
    Expunge(u32),
    /// `* SEARCH n...` or `* ESEARCH ... ALL set`: the UIDs as inclusive ranges, never expanded here, so a
    /// short line naming millions of UIDs costs a few bytes until the session has checked the total.
    Search(Vec<(u32, u32)>),
    /// `* LIST ...` or `* LSUB ...`.
    List(ListEntry),
    /// `* STATUS mailbox (NAME n ...)`.
    MailboxStatus(Vec<u8>, Vec<(String, u64)>),
    /// `* n FETCH (...)`.
    Fetch(Fetch),
    /// Anything else ferry does not use (FLAGS, RECENT, ENABLED, ...), by its name.
    Other(String),
}

/// Parses one framed response.
pub fn parse(bytes: &[u8]) -> Result<Response> {
    let mut p = Parser { b: bytes, i: 0 };
    let r = p.response()?;
    Ok(r)
}

/// The most UIDs one search may name in all, over every SEARCH/ESEARCH response of the command: a
/// mailbox with more messages than this does not exist in practice, and the expanded list (4 bytes a
/// UID) stays at 40 MB. More is a protocol violation (exit 9).
pub const MAX_SEARCH: u64 = 10_000_000;

/// The UIDs in `ranges` (inclusive, any order), counted without expanding them.
pub fn count_ranges(ranges: &[(u32, u32)]) -> u64 {
    ranges
        .iter()
        .map(|&(lo, hi)| u64::from(hi.abs_diff(lo)) + 1)
        .sum()
}

/// Parses a sequence-set of UIDs (`1:5,7`) into inclusive ranges (`lo <= hi`), appended to `out`.
fn parse_set(set: &[u8], out: &mut Vec<(u32, u32)>) -> Result<()> {
    let text = std::str::from_utf8(set).map_err(|_| bad("sequence set"))?;
    for range in text.split(',') {
        let (a, b) = range.split_once(':').unwrap_or((range, range));
        let a: u32 = a.parse().map_err(|_| bad("sequence set"))?;
        let b: u32 = b.parse().map_err(|_| bad("sequence set"))?;
        out.push((a.min(b), a.max(b)));
    }
    Ok(())
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

fn bad(what: &str) -> Error {
    Error::protocol(format!("malformed IMAP response: {what}"))
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(bad(&format!(
                "expected {:?} at byte {}",
                char::from(c),
                self.i
            )))
        }
    }

    fn at_end(&self) -> bool {
        self.i >= self.b.len()
    }

    /// The rest of the response as text (resp-text), lossily.
    fn rest_text(&mut self) -> String {
        let t = String::from_utf8_lossy(&self.b[self.i.min(self.b.len())..]).into_owned();
        self.i = self.b.len();
        t
    }

    /// Bytes up to a delimiter: an atom, a tag, a flag, a number.
    fn word(&mut self) -> &'a [u8] {
        let start = self.i;
        while let Some(c) = self.peek() {
            if matches!(
                c,
                b' ' | b'(' | b')' | b'{' | b'"' | 0 | b'\r' | b'\n' | b']' | b'['
            ) {
                break;
            }
            self.i += 1;
        }
        &self.b[start..self.i]
    }

    fn atom(&mut self) -> Result<String> {
        let w = self.word();
        if w.is_empty() {
            return Err(bad(&format!("expected an atom at byte {}", self.i)));
        }
        Ok(String::from_utf8_lossy(w).into_owned())
    }

    fn number<T: std::str::FromStr>(&mut self) -> Result<T> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        std::str::from_utf8(&self.b[start..self.i])
            .ok()
            .filter(|s| !s.is_empty())
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(&format!("expected a number at byte {start}")))
    }

    fn response(&mut self) -> Result<Response> {
        if self.eat(b'+') {
            self.eat(b' ');
            return Ok(Response::Continue(self.rest_text()));
        }
        if self.eat(b'*') {
            self.expect(b' ')?;
            return self.untagged();
        }
        let tag = self.word();
        if tag.is_empty() {
            return Err(bad("no tag"));
        }
        let tag = String::from_utf8_lossy(tag).into_owned();
        self.expect(b' ')?;
        let st = self.status_text()?;
        if matches!(st.status, Status::Preauth | Status::Bye) {
            return Err(bad("tagged PREAUTH or BYE"));
        }
        Ok(Response::Tagged(tag, st))
    }

    fn status_word(w: &str) -> Option<Status> {
        Some(match w.to_ascii_uppercase().as_str() {
            "OK" => Status::Ok,
            "NO" => Status::No,
            "BAD" => Status::Bad,
            "BYE" => Status::Bye,
            "PREAUTH" => Status::Preauth,
            _ => return None,
        })
    }

    fn status_text(&mut self) -> Result<StatusText> {
        let w = self.atom()?;
        let status = Self::status_word(&w).ok_or_else(|| bad(&format!("unknown status {w}")))?;
        self.status_rest(status)
    }

    /// `[SP] ["[" code "]" SP] text`; a server may omit the text.
    fn status_rest(&mut self, status: Status) -> Result<StatusText> {
        self.eat(b' ');
        let mut code = None;
        if self.eat(b'[') {
            let name = self.atom()?.to_ascii_uppercase();
            let mut args = String::new();
            if self.eat(b' ') {
                let start = self.i;
                let end = self.b[start..]
                    .iter()
                    .position(|&c| c == b']')
                    .map(|p| start + p)
                    .ok_or_else(|| bad("unterminated response code"))?;
                args = String::from_utf8_lossy(&self.b[start..end]).into_owned();
                self.i = end;
            }
            self.expect(b']')?;
            self.eat(b' ');
            code = Some(Code { name, args });
        }
        Ok(StatusText {
            status,
            code,
            text: self.rest_text(),
        })
    }

    fn untagged(&mut self) -> Result<Response> {
        if self.peek().is_some_and(|c| c.is_ascii_digit()) {
            let n: u32 = self.number()?;
            self.expect(b' ')?;
            let what = self.atom()?.to_ascii_uppercase();
            return match what.as_str() {
                "EXISTS" => Ok(Response::Exists(n)),
                "EXPUNGE" => Ok(Response::Expunge(n)),
                "FETCH" => {
                    self.expect(b' ')?;
                    self.fetch(n).map(Response::Fetch)
                }
                _ => Ok(Response::Other(what)),
            };
        }
        let name = self.atom()?.to_ascii_uppercase();
        if let Some(status) = Self::status_word(&name) {
            return Ok(Response::Status(self.status_rest(status)?));
        }
        match name.as_str() {
            "CAPABILITY" => {
                let mut caps = Capabilities::default();
                while self.eat(b' ') {
                    if self.at_end() {
                        break;
                    }
                    caps.insert(&self.atom()?)?;
                }
                Ok(Response::Capability(caps))
            }
            "SEARCH" => {
                let mut uids = Vec::new();
                while self.eat(b' ') {
                    if self.peek() == Some(b'(') || self.at_end() {
                        break; // RFC 7162 (MODSEQ n)
                    }
                    let n = self.number()?;
                    uids.push((n, n));
                }
                Ok(Response::Search(uids))
            }
            "ESEARCH" => {
                // RFC 4731: [SP "(" TAG tag ")"] [SP "UID"] *(SP name SP value); only ALL is used.
                let mut uids = Vec::new();
                while self.eat(b' ') {
                    if self.peek() == Some(b'(') {
                        self.skip_value(0)?;
                        continue;
                    }
                    let name = self.atom()?.to_ascii_uppercase();
                    if name == "UID" {
                        continue;
                    }
                    self.expect(b' ')?;
                    if name == "ALL" {
                        let set = self.word();
                        parse_set(set, &mut uids)?;
                    } else {
                        self.skip_value(0)?;
                    }
                }
                Ok(Response::Search(uids))
            }
            "LIST" | "LSUB" => {
                self.expect(b' ')?;
                self.list_entry().map(Response::List)
            }
            "STATUS" => {
                self.expect(b' ')?;
                let mailbox = self.astring()?;
                self.expect(b' ')?;
                self.expect(b'(')?;
                let mut items = Vec::new();
                while !self.eat(b')') {
                    if !items.is_empty() {
                        self.expect(b' ')?;
                    }
                    let k = self.atom()?.to_ascii_uppercase();
                    self.expect(b' ')?;
                    let v: u64 = self.number()?;
                    items.push((k, v));
                }
                Ok(Response::MailboxStatus(mailbox, items))
            }
            _ => Ok(Response::Other(name)),
        }
    }

    fn list_entry(&mut self) -> Result<ListEntry> {
        self.expect(b'(')?;
        let mut attributes = Vec::new();
        while !self.eat(b')') {
            if !attributes.is_empty() {
                self.expect(b' ')?;
            }
            attributes.push(self.atom()?);
        }
        self.expect(b' ')?;
        let delimiter = match self.nstring()? {
            None => None,
            Some(d) if d.len() == 1 && d[0].is_ascii() => Some(char::from(d[0])),
            Some(_) => return Err(bad("hierarchy delimiter is not one character")),
        };
        self.expect(b' ')?;
        let wire_name = self.astring()?;
        // RFC 5258 extended data may follow; it is not needed.
        Ok(ListEntry {
            attributes,
            delimiter,
            wire_name,
        })
    }

    /// A quoted string (RFC 9051 §4.3: `\"` and `\\` escapes).
    fn quoted(&mut self) -> Result<Vec<u8>> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(bad("unterminated quoted string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self
                        .peek()
                        .ok_or_else(|| bad("unterminated quoted string"))?;
                    out.push(c);
                    self.i += 1;
                }
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// `{n}` CRLF and n bytes (also `~{n}`, RFC 3516).
    fn literal(&mut self) -> Result<Vec<u8>> {
        self.eat(b'~');
        self.expect(b'{')?;
        let n: usize = self.number()?;
        self.expect(b'}')?;
        self.expect(b'\r')?;
        self.expect(b'\n')?;
        let end = self
            .i
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| bad("literal longer than the response"))?;
        let v = self.b[self.i..end].to_vec();
        self.i = end;
        Ok(v)
    }

    /// The `\0n\0` marker of a streamed literal.
    fn marker(&mut self) -> Result<u64> {
        self.expect(0)?;
        let n = self.number()?;
        self.expect(0)?;
        Ok(n)
    }

    /// string / NIL / streamed marker, as a body.
    fn nstring_body(&mut self) -> Result<Body> {
        match self.peek() {
            Some(0) => Ok(Body::Streamed(self.marker()?)),
            _ => Ok(Body::Inline(self.nstring()?.unwrap_or_default())),
        }
    }

    fn nstring(&mut self) -> Result<Option<Vec<u8>>> {
        match self.peek() {
            Some(b'"') => self.quoted().map(Some),
            Some(b'{') | Some(b'~') => self.literal().map(Some),
            _ => {
                let w = self.atom()?;
                if w.eq_ignore_ascii_case("NIL") {
                    Ok(None)
                } else {
                    Err(bad(&format!("expected a string or NIL, got {w}")))
                }
            }
        }
    }

    fn astring(&mut self) -> Result<Vec<u8>> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') | Some(b'~') => self.literal(),
            _ => {
                let start = self.i;
                // ASTRING-CHAR includes ']' (resp-specials).
                while let Some(c) = self.peek() {
                    if matches!(c, b' ' | b'(' | b')' | b'{' | b'"' | 0 | b'\r' | b'\n') {
                        break;
                    }
                    self.i += 1;
                }
                if start == self.i {
                    return Err(bad("expected a string"));
                }
                Ok(self.b[start..self.i].to_vec())
            }
        }
    }

    /// A FETCH item name: an atom with an optional `[section]` and `<origin>`.
    fn item_name(&mut self) -> Result<String> {
        let mut name = self.atom()?.to_ascii_uppercase();
        if self.eat(b'[') {
            let start = self.i;
            let end = self.b[start..]
                .iter()
                .position(|&c| c == b']')
                .map(|p| start + p)
                .ok_or_else(|| bad("unterminated section"))?;
            name.push('[');
            name.push_str(&String::from_utf8_lossy(&self.b[start..end]));
            name.push(']');
            self.i = end + 1;
            if self.eat(b'<') {
                let _: u64 = self.number()?;
                self.expect(b'>')?;
            }
        }
        Ok(name)
    }

    fn fetch(&mut self, seq: u32) -> Result<Fetch> {
        let mut f = Fetch {
            seq,
            ..Fetch::default()
        };
        self.expect(b'(')?;
        let mut first = true;
        while !self.eat(b')') {
            if !first {
                self.expect(b' ')?;
            }
            first = false;
            let name = self.item_name()?;
            self.expect(b' ')?;
            match name.as_str() {
                "UID" => f.uid = Some(self.number()?),
                "RFC822.SIZE" => f.size = Some(self.number()?),
                "FLAGS" => {
                    self.expect(b'(')?;
                    let mut flags = Vec::new();
                    while !self.eat(b')') {
                        if !flags.is_empty() {
                            self.expect(b' ')?;
                        }
                        flags.push(self.atom()?);
                    }
                    f.flags = Some(flags);
                }
                "INTERNALDATE" => {
                    f.internal_date = self
                        .nstring()?
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                }
                "ENVELOPE" => f.envelope = Some(self.value(0)?),
                "BODYSTRUCTURE" | "BODY" => f.structure = Some(self.value(0)?),
                n if n.starts_with("BODY[")
                    || n.starts_with("BINARY[")
                    || n == "RFC822"
                    || n == "RFC822.HEADER"
                    || n == "RFC822.TEXT" =>
                {
                    let body = self.nstring_body()?;
                    if f.body.is_none() {
                        f.body = Some(body);
                    }
                }
                _ => self.skip_value(0)?,
            }
        }
        if !self.at_end() {
            return Err(bad("bytes after a FETCH response"));
        }
        Ok(f)
    }

    /// One value of any shape as a [`Value`]: list (at most [`MAX_DEPTH`] deep), string, literal, NIL,
    /// atom or number. A streamed-body marker is not a value here.
    fn value(&mut self, depth: usize) -> Result<Value> {
        match self.peek() {
            Some(b'(') => {
                if depth >= MAX_DEPTH {
                    return Err(bad("lists nested too deeply"));
                }
                self.i += 1;
                let mut items = Vec::new();
                while !self.eat(b')') {
                    // A multipart BODYSTRUCTURE's parts follow each other without a space (RFC 9051
                    // `body-type-mpart = 1*body SP media-subtype`).
                    let adjacent =
                        self.peek() == Some(b'(') && matches!(items.last(), Some(Value::List(_)));
                    if !items.is_empty() && !adjacent {
                        self.expect(b' ')?;
                    }
                    items.push(self.value(depth + 1)?);
                }
                Ok(Value::List(items))
            }
            Some(b'"') => self.quoted().map(Value::Str),
            Some(b'{') | Some(b'~') => self.literal().map(Value::Str),
            _ => {
                let w = self.atom()?;
                if w.eq_ignore_ascii_case("NIL") {
                    Ok(Value::Nil)
                } else {
                    Ok(Value::Atom(w))
                }
            }
        }
    }

    /// Skips one value of any shape: list, string, literal, marker, atom or number.
    fn skip_value(&mut self, depth: usize) -> Result<()> {
        match self.peek() {
            Some(b'(') => {
                if depth >= MAX_DEPTH {
                    return Err(bad("lists nested too deeply"));
                }
                self.i += 1;
                let mut first = true;
                while !self.eat(b')') {
                    if !first {
                        self.expect(b' ')?;
                    }
                    first = false;
                    self.skip_value(depth + 1)?;
                }
                Ok(())
            }
            Some(b'"') => self.quoted().map(drop),
            Some(b'{') | Some(b'~') => self.literal().map(drop),
            Some(0) => self.marker().map(drop),
            _ => {
                let w = self.word();
                if w.is_empty() {
                    return Err(bad(&format!("unexpected byte at {}", self.i)));
                }
                // A `BODY[...]`-like atom inside skipped data.
                if self.eat(b'[') {
                    let start = self.i;
                    let end = self.b[start..]
                        .iter()
                        .position(|&c| c == b']')
                        .ok_or_else(|| bad("unterminated bracket"))?;
                    self.i = start + end + 1;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_responses() {
        let r = parse(b"A0001 OK [READ-WRITE] SELECT completed").unwrap();
        match r {
            Response::Tagged(t, st) => {
                assert_eq!(t, "A0001");
                assert_eq!(st.status, Status::Ok);
                assert!(st.has_code("READ-WRITE"));
                assert_eq!(st.text, "SELECT completed");
            }
            other => panic!("{other:?}"),
        }
        let r = parse(b"* OK [UIDVALIDITY 3857529045] UIDs valid").unwrap();
        let Response::Status(st) = r else { panic!() };
        assert_eq!(st.code_number("UIDVALIDITY"), Some(3857529045));
        let r = parse(b"* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] Dovecot ready.").unwrap();
        let Response::Status(st) = r else { panic!() };
        assert_eq!(st.code.unwrap().args, "IMAP4rev1 LITERAL+ AUTH=PLAIN");
        assert!(matches!(
            parse(b"A1 NO").unwrap(),
            Response::Tagged(
                _,
                StatusText {
                    status: Status::No,
                    ..
                }
            )
        ));
        assert_eq!(parse(b"+ ").unwrap(), Response::Continue(String::new()));
        assert_eq!(parse(b"+ YWJj").unwrap(), Response::Continue("YWJj".into()));
        assert!(parse(b"A1 MAYBE x").is_err());
        assert!(parse(b"A1 OK [UIDNEXT 5").is_err());
    }

    #[test]
    fn data_responses() {
        assert_eq!(
            parse(b"* CAPABILITY IMAP4rev1 uidplus MOVE").unwrap(),
            Response::Capability(Capabilities::parse(["IMAP4rev1", "UIDPLUS", "move"]).unwrap())
        );
        assert_eq!(parse(b"* 23 EXISTS").unwrap(), Response::Exists(23));
        assert_eq!(parse(b"* 3 EXPUNGE").unwrap(), Response::Expunge(3));
        assert_eq!(parse(b"* SEARCH").unwrap(), Response::Search(vec![]));
        assert_eq!(
            parse(b"* SEARCH 2 84 882 (MODSEQ 917162500)").unwrap(),
            Response::Search(vec![(2, 2), (84, 84), (882, 882)])
        );
        assert!(parse(b"* SEARCH 99999999999").is_err());
        assert_eq!(
            parse(b"* ESEARCH (TAG \"A0003\") UID ALL 1:3,7,9:8 COUNT 6").unwrap(),
            Response::Search(vec![(1, 3), (7, 7), (8, 9)])
        );
        assert_eq!(
            parse(b"* ESEARCH (TAG \"A1\") UID").unwrap(),
            Response::Search(vec![])
        );
        // The whole UID space is a few bytes as ranges; the session caps the total (MAX_SEARCH).
        let r = parse(b"* ESEARCH UID ALL 1:4294967295").unwrap();
        assert_eq!(r, Response::Search(vec![(1, u32::MAX)]));
        assert_eq!(
            count_ranges(&[(1, u32::MAX), (5, 5)]),
            u64::from(u32::MAX) + 1
        );
        assert_eq!(
            parse(b"* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent &AOQ-\"").unwrap(),
            Response::List(ListEntry {
                attributes: vec!["\\HasNoChildren".into(), "\\Sent".into()],
                delimiter: Some('/'),
                wire_name: b"Sent &AOQ-".to_vec()
            })
        );
        assert_eq!(
            parse(b"* LIST () NIL {5}\r\na\"b c").unwrap(),
            Response::List(ListEntry {
                attributes: vec![],
                delimiter: None,
                wire_name: b"a\"b c".to_vec()
            })
        );
        assert_eq!(
            parse(b"* STATUS INBOX (MESSAGES 231 UIDNEXT 44292)").unwrap(),
            Response::MailboxStatus(
                b"INBOX".to_vec(),
                vec![("MESSAGES".into(), 231), ("UIDNEXT".into(), 44292)]
            )
        );
        assert_eq!(
            parse(b"* 4 RECENT").unwrap(),
            Response::Other("RECENT".into())
        );
        assert_eq!(
            parse(b"* FLAGS (\\Answered \\Seen)").unwrap(),
            Response::Other("FLAGS".into())
        );
    }

    #[test]
    fn fetch_responses() {
        let r = parse(b"* 12 FETCH (UID 44 RFC822.SIZE 4286 FLAGS (\\Seen) BODY[] \x004286\x00)")
            .unwrap();
        assert_eq!(
            r,
            Response::Fetch(Fetch {
                seq: 12,
                uid: Some(44),
                size: Some(4286),
                flags: Some(vec!["\\Seen".into()]),
                body: Some(Body::Streamed(4286)),
                ..Fetch::default()
            })
        );
        let r = parse(b"* 1 FETCH (BODY[1.2]<0> \"abc\" UID 7 INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" ENVELOPE (NIL \"x\" ((NIL NIL \"a\" \"b\")) {2}\r\n()))").unwrap();
        let Response::Fetch(f) = r else { panic!() };
        assert_eq!(f.uid, Some(7));
        assert_eq!(f.body, Some(Body::Inline(b"abc".to_vec())));
        let r = parse(b"* 1 FETCH (BODY[HEADER.FIELDS (FROM TO)] NIL)").unwrap();
        let Response::Fetch(f) = r else { panic!() };
        assert_eq!(f.body, Some(Body::Inline(vec![])));
        let deep = format!("* 1 FETCH (X {}{})", "(".repeat(100), ")".repeat(100));
        assert!(parse(deep.as_bytes()).is_err());
        assert!(parse(b"* 1 FETCH (UID 1").is_err());
        assert!(parse(b"* 1 FETCH (BODY[] {99}\r\nab)").is_err());
    }
}
