//! The streaming MIME parser (RFC 2045, RFC 2046 §5.1 multipart, §5.2.1 message/rfc822).
//!
//! Reads a message once, front to back, through a fixed 256 KiB buffer and reports each entity to a
//! [`Visitor`]: `start` with its parsed headers, `body` with transfer-decoded chunks (only when the visitor
//! asks for them), `end` with the decoded size. Memory is bounded whatever the message size: header blocks
//! are capped, body lines are never collected, and nesting depth (64) and part count (10 000) are limited —
//! exceeding a limit is a protocol error (exit 9). Malformed structure (a missing close delimiter, junk in
//! headers, a multipart without boundary) gets a best-effort reading, never a panic.
//!
//! Part paths follow IMAP section numbering: the root entity is `0`, children of a multipart are `1`, `2`,
//! … below the root and `P.1`, `P.2` below a part `P`; the message inside a message/rfc822 part `P` is
//! `P.1`. This module does not decide what to do with parts (`ops::mime::decode` does) nor convert charsets.

use std::io::{self, Read};

use super::decode::Decoder;
use super::header::{self, FieldValue};
use crate::error::{Error, Result};

/// Limits applied while parsing.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of multiparts and encapsulated messages.
    pub max_depth: usize,
    /// Most entities in one message.
    pub max_parts: usize,
    /// Largest header block of one entity, in bytes.
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_parts: 10_000,
            max_header_bytes: 1024 * 1024,
        }
    }
}

/// One entity (a part, a multipart container or an encapsulated message) as its headers describe it.
#[derive(Debug, Clone)]
pub struct Part {
    /// IMAP-style section path (`0` for the root).
    pub path: String,
    /// Nesting depth (0 for the root).
    pub depth: usize,
    /// Content-Type, defaulted per RFC 2045 §5.2 (or message/rfc822 inside multipart/digest).
    pub content_type: FieldValue,
    /// Content-Disposition, when present.
    pub disposition: Option<FieldValue>,
    /// Content-Transfer-Encoding, lower-cased (`7bit` when absent).
    pub encoding: String,
    /// All header fields, names as written, values unfolded but not decoded.
    pub headers: Vec<(String, String)>,
    /// Whether the entity holds other entities (multipart, message/rfc822) rather than data.
    pub container: bool,
}

impl Part {
    /// The `type/subtype`, lower-case.
    pub fn mime_type(&self) -> &str {
        &self.content_type.value
    }

    /// The charset parameter, if any.
    pub fn charset(&self) -> Option<&str> {
        self.content_type.param("charset")
    }

    /// The suggested file name (Content-Disposition `filename`, else Content-Type `name`), decoded from
    /// RFC 2231 / RFC 2047 but not yet made safe (see `filename::sanitize`).
    pub fn filename(&self) -> Option<&str> {
        self.disposition
            .as_ref()
            .and_then(|d| d.param("filename"))
            .or_else(|| self.content_type.param("name"))
            .filter(|s| !s.is_empty())
    }

    /// Whether Content-Disposition says `attachment`.
    pub fn is_attachment(&self) -> bool {
        self.disposition
            .as_ref()
            .is_some_and(|d| d.value == "attachment")
    }

    /// The first header field called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a visitor wants of a leaf part's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Decode it and call [`Visitor::body`].
    Body,
    /// Skip it (its size is then the encoded size).
    Skip,
}

/// Receives the parser's events.
pub trait Visitor {
    /// An entity starts; for a leaf, say whether its body is wanted.
    fn start(&mut self, part: &Part) -> Result<Want>;
    /// A chunk of the current leaf's decoded body.
    fn body(&mut self, data: &[u8]) -> Result<()>;
    /// The entity ends; `size` is the decoded body size of a leaf (0 for containers).
    fn end(&mut self, part: &Part, size: u64) -> Result<()>;
}

const BUF: usize = 256 * 1024;
const FLUSH_AT: usize = 128 * 1024;

/// Hands out lines (or pieces of over-long lines) from a fixed buffer.
struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    at_line_start: bool,
    offset: u64,
}

/// A line piece: `buf[start..end]`, whether it begins a line and whether it ends one.
#[derive(Clone, Copy)]
struct Piece {
    start: usize,
    end: usize,
    line_start: bool,
}

impl<R: Read> LineReader<R> {
    fn new(inner: R) -> Self {
        LineReader {
            inner,
            buf: vec![0; BUF],
            pos: 0,
            len: 0,
            eof: false,
            at_line_start: true,
            offset: 0,
        }
    }

    fn next(&mut self) -> io::Result<Option<Piece>> {
        let mut scanned = self.pos;
        loop {
            if let Some(k) = self.buf[scanned..self.len].iter().position(|&b| b == b'\n') {
                let piece = Piece {
                    start: self.pos,
                    end: scanned + k + 1,
                    line_start: self.at_line_start,
                };
                self.pos = piece.end;
                self.at_line_start = true;
                self.offset += (piece.end - piece.start) as u64;
                return Ok(Some(piece));
            }
            if self.eof || self.len - self.pos == self.buf.len() {
                if self.pos == self.len {
                    return Ok(None);
                }
                let piece = Piece {
                    start: self.pos,
                    end: self.len,
                    line_start: self.at_line_start,
                };
                self.pos = self.len;
                self.at_line_start = false;
                self.offset += (piece.end - piece.start) as u64;
                return Ok(Some(piece));
            }
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.len, 0);
                self.len -= self.pos;
                self.pos = 0;
            }
            scanned = self.len;
            loop {
                match self.inner.read(&mut self.buf[self.len..]) {
                    Ok(0) => {
                        self.eof = true;
                        break;
                    }
                    Ok(n) => {
                        self.len += n;
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
}

/// How an entity's data ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Eof,
    /// A boundary line of the multipart at `level` in the boundary stack; `close` for `--b--`.
    Boundary {
        level: usize,
        close: bool,
    },
}

fn match_boundary(line: &[u8], bounds: &[Vec<u8>]) -> Option<End> {
    let rest = line.strip_prefix(b"--")?;
    for (level, b) in bounds.iter().enumerate().rev() {
        if let Some(after) = rest.strip_prefix(b.as_slice()) {
            if after.starts_with(b"--") {
                return Some(End::Boundary { level, close: true });
            }
            if after
                .iter()
                .all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
            {
                return Some(End::Boundary {
                    level,
                    close: false,
                });
            }
        }
    }
    None
}

fn line_ending_len(line: &[u8]) -> usize {
    if line.ends_with(b"\r\n") {
        2
    } else if line.ends_with(b"\n") {
        1
    } else {
        0
    }
}

/// What the header reader stopped at.
enum HeaderEnd {
    Blank,
    At(End),
}

struct Parser<'v, R> {
    rd: LineReader<R>,
    v: &'v mut dyn Visitor,
    bounds: Vec<Vec<u8>>,
    parts: usize,
    limits: Limits,
    raw: Vec<u8>,
    decoded: Vec<u8>,
}

/// What a whole parse saw.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    /// Entities reported.
    pub parts: usize,
    /// Bytes read.
    pub bytes: u64,
}

/// Parses a message from `input`, reporting entities to `visitor`.
///
/// Errors: reading `input` fails ([`Error::local`] naming `what`), a limit is exceeded
/// ([`Error::protocol`]), or the visitor fails.
pub fn parse(
    input: impl Read,
    what: &str,
    visitor: &mut dyn Visitor,
    limits: Limits,
) -> Result<Summary> {
    let mut p = Parser {
        rd: LineReader::new(input),
        v: visitor,
        bounds: Vec::new(),
        parts: 0,
        limits,
        raw: Vec::with_capacity(FLUSH_AT + BUF),
        decoded: Vec::with_capacity(FLUSH_AT * 2),
    };
    p.entity("0".to_string(), 0, "text/plain", what)?;
    Ok(Summary {
        parts: p.parts,
        bytes: p.rd.offset,
    })
}

fn child_path(parent: &str, n: usize) -> String {
    if parent == "0" {
        n.to_string()
    } else {
        format!("{parent}.{n}")
    }
}

impl<R: Read> Parser<'_, R> {
    fn next_piece(&mut self, what: &str) -> Result<Option<Piece>> {
        self.rd.next().map_err(|e| Error::local(what, e))
    }

    fn read_headers(&mut self, what: &str) -> Result<(Vec<(String, String)>, HeaderEnd)> {
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut total = 0usize;
        let mut continuing = false;
        loop {
            let Some(piece) = self.next_piece(what)? else {
                return Ok((headers, HeaderEnd::At(End::Eof)));
            };
            let line = &self.rd.buf[piece.start..piece.end];
            total += line.len();
            if total > self.limits.max_header_bytes {
                return Err(Error::protocol(format!(
                    "{what}: header block larger than {} bytes at byte {}",
                    self.limits.max_header_bytes, self.rd.offset
                )));
            }
            if piece.line_start {
                if line.starts_with(b"--")
                    && let Some(end) = match_boundary(line, &self.bounds)
                {
                    return Ok((headers, HeaderEnd::At(end)));
                }
                if line == b"\n" || line == b"\r\n" {
                    return Ok((headers, HeaderEnd::Blank));
                }
            }
            let text = String::from_utf8_lossy(line);
            let text = text.trim_end_matches(['\r', '\n']);
            let folded = piece.line_start && text.starts_with([' ', '\t']);
            if (continuing || folded) && !headers.is_empty() {
                if let Some(last) = headers.last_mut() {
                    last.1.push_str(text);
                }
            } else if piece.line_start
                && let Some((name, value)) = text.split_once(':')
            {
                let name = name.trim();
                if !name.is_empty() && !name.contains(' ') {
                    headers.push((name.to_string(), value.trim_start().to_string()));
                }
            }
            continuing = !self.rd.at_line_start;
        }
    }

    /// Skips a preamble or epilogue: lines up to the next boundary of any enclosing multipart.
    fn skip_to_boundary(&mut self, what: &str) -> Result<End> {
        loop {
            let Some(piece) = self.next_piece(what)? else {
                return Ok(End::Eof);
            };
            let line = &self.rd.buf[piece.start..piece.end];
            if piece.line_start
                && line.starts_with(b"--")
                && let Some(end) = match_boundary(line, &self.bounds)
            {
                return Ok(end);
            }
        }
    }

    fn entity(
        &mut self,
        path: String,
        depth: usize,
        default_type: &str,
        what: &str,
    ) -> Result<End> {
        self.parts += 1;
        if self.parts > self.limits.max_parts {
            return Err(Error::protocol(format!(
                "{what}: more than {} MIME parts",
                self.limits.max_parts
            )));
        }
        let (headers, hend) = self.read_headers(what)?;
        let mut part = describe(path, depth, headers, default_type);
        if let HeaderEnd::At(end) = hend {
            part.container = false;
            self.v.start(&part)?;
            self.v.end(&part, 0)?;
            return Ok(end);
        }
        let ty = part.mime_type().to_string();
        let boundary = part
            .content_type
            .param("boundary")
            .filter(|b| !b.is_empty() && b.len() <= 200)
            .map(|b| b.as_bytes().to_vec());
        if ty.starts_with("multipart/") && boundary.is_some() {
            if depth >= self.limits.max_depth {
                return Err(Error::protocol(format!(
                    "{what}: MIME nesting deeper than {}",
                    self.limits.max_depth
                )));
            }
            let child_default = if ty == "multipart/digest" {
                "message/rfc822"
            } else {
                "text/plain"
            };
            self.v.start(&part)?;
            self.bounds.extend(boundary);
            let mine = self.bounds.len() - 1;
            let mut end = self.skip_to_boundary(what)?;
            let mut n = 0;
            let end = loop {
                match end {
                    End::Boundary {
                        level,
                        close: false,
                    } if level == mine => {
                        n += 1;
                        end =
                            self.entity(child_path(&part.path, n), depth + 1, child_default, what)?;
                    }
                    End::Boundary { level, close: true } if level == mine => {
                        self.bounds.truncate(mine);
                        break self.skip_to_boundary(what)?;
                    }
                    other => break other,
                }
            };
            self.bounds.truncate(mine);
            self.v.end(&part, 0)?;
            return Ok(end);
        }
        let encapsulated = (ty == "message/rfc822" || ty == "message/global")
            && matches!(part.encoding.as_str(), "7bit" | "8bit" | "binary");
        if encapsulated {
            if depth >= self.limits.max_depth {
                return Err(Error::protocol(format!(
                    "{what}: MIME nesting deeper than {}",
                    self.limits.max_depth
                )));
            }
            self.v.start(&part)?;
            let end = self.entity(child_path(&part.path, 1), depth + 1, "text/plain", what)?;
            self.v.end(&part, 0)?;
            return Ok(end);
        }
        part.container = false;
        let want = self.v.start(&part)?;
        let (end, size) = self.leaf_body(&part, want, what)?;
        self.v.end(&part, size)?;
        Ok(end)
    }

    fn flush(&mut self, dec: &mut Option<Decoder>, upto: usize, size: &mut u64) -> Result<()> {
        match dec {
            Some(d) => {
                // Lenient decoders do not fail; junk in a message is skipped, as mail readers do.
                let _ = d.feed(&self.raw[..upto], &mut self.decoded);
                *size += self.decoded.len() as u64;
                if !self.decoded.is_empty() {
                    self.v.body(&self.decoded)?;
                }
                self.decoded.clear();
            }
            None => *size += upto as u64,
        }
        self.raw.drain(..upto);
        Ok(())
    }

    fn leaf_body(&mut self, part: &Part, want: Want, what: &str) -> Result<(End, u64)> {
        let mut dec = match want {
            Want::Body => Some(Decoder::for_encoding(&part.encoding, false)),
            Want::Skip => None,
        };
        let mut size = 0u64;
        self.raw.clear();
        // The line ending of the last line is held back: before a boundary it belongs to the delimiter
        // (RFC 2046 §5.1.1).
        let mut held = 0usize;
        let end = loop {
            let Some(piece) = self.next_piece(what)? else {
                break End::Eof;
            };
            let line = &self.rd.buf[piece.start..piece.end];
            if piece.line_start
                && line.starts_with(b"--")
                && let Some(end) = match_boundary(line, &self.bounds)
            {
                let keep = self.raw.len() - held;
                self.raw.truncate(keep);
                break end;
            }
            held = line_ending_len(line);
            self.raw.extend_from_slice(line);
            if self.raw.len() >= FLUSH_AT {
                let upto = self.raw.len() - held;
                self.flush(&mut dec, upto, &mut size)?;
            }
        };
        let upto = self.raw.len();
        self.flush(&mut dec, upto, &mut size)?;
        if let Some(d) = dec.as_mut() {
            let _ = d.finish(&mut self.decoded);
            size += self.decoded.len() as u64;
            if !self.decoded.is_empty() {
                self.v.body(&self.decoded)?;
            }
            self.decoded.clear();
        }
        Ok((end, size))
    }
}

/// Builds a [`Part`] from its header fields.
fn describe(
    path: String,
    depth: usize,
    headers: Vec<(String, String)>,
    default_type: &str,
) -> Part {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let mut content_type = get("content-type")
        .map(header::parse_field)
        .unwrap_or_default();
    if !content_type.value.contains('/') || content_type.value.contains(char::is_whitespace) {
        // RFC 2045 §5.2: an invalid Content-Type means text/plain; us-ascii.
        content_type = FieldValue {
            value: default_type.to_string(),
            params: if default_type == "text/plain" {
                vec![("charset".to_string(), "us-ascii".to_string())]
            } else {
                Vec::new()
            },
        };
    }
    let disposition = get("content-disposition").map(header::parse_field);
    let encoding = get("content-transfer-encoding")
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "7bit".to_string());
    let container =
        content_type.value.starts_with("multipart/") || content_type.value == "message/rfc822";
    Part {
        path,
        depth,
        content_type,
        disposition,
        encoding,
        headers,
        container,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect {
        events: Vec<String>,
        body: Vec<u8>,
    }

    impl Visitor for Collect {
        fn start(&mut self, p: &Part) -> Result<Want> {
            self.events.push(format!("{} {}", p.path, p.mime_type()));
            Ok(Want::Body)
        }
        fn body(&mut self, d: &[u8]) -> Result<()> {
            self.body.extend_from_slice(d);
            Ok(())
        }
        fn end(&mut self, p: &Part, size: u64) -> Result<()> {
            self.events.push(format!("/{} {size}", p.path));
            Ok(())
        }
    }

    #[test]
    fn nested_multipart_and_rfc822() {
        let msg = b"Content-Type: multipart/mixed; boundary=a\r\n\r\npre\r\n--a\r\n\r\nhello\r\n--a\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n--b--\r\n--a--\r\nepilogue\r\n";
        let mut c = Collect::default();
        parse(&msg[..], "msg", &mut c, Limits::default()).unwrap();
        assert_eq!(
            c.events,
            [
                "0 multipart/mixed",
                "1 text/plain",
                "/1 5",
                "2 message/rfc822",
                "2.1 multipart/alternative",
                "2.1.1 text/plain",
                "/2.1.1 2",
                "/2.1 0",
                "/2 0",
                "/0 0"
            ]
        );
        assert_eq!(c.body, b"hellohi");
    }

    #[test]
    fn limits_are_errors_not_panics() {
        let mut msg = Vec::new();
        for i in 0..70 {
            msg.extend_from_slice(
                format!("Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n").as_bytes(),
            );
        }
        let mut c = Collect::default();
        let e = parse(&msg[..], "m", &mut c, Limits::default()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Protocol);
    }
}
