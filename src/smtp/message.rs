//! A ready message's header block (RFC 5322 §2.2, §3.6): read once, bounded, and rewritten for sending —
//! the recipients `-t` takes from To, Cc and Bcc; Bcc removed (§3.6.3: blind copies must not show);
//! Date and Message-ID added when missing (§3.6, RFC 6409 §8); a From added when missing and asked for
//! (sendmail's `-F`). Only the header block is ever in memory (at most [`HEADER_CAP`] bytes): the body
//! is streamed from the source afterwards, starting at [`HeaderBlock::body_offset`].
//!
//! A leading mbox `From ` line is dropped. A line that is neither a header field nor a continuation ends
//! the header block as if a blank line were there, and a blank line is added so the body is not read as
//! header by the next hop. Line endings are kept; DATA makes them CRLF.

use std::io::Read;

use super::address;
use crate::error::{Error, ErrorKind, Result};

/// The largest header block read (1 MiB).
pub const HEADER_CAP: usize = 1 << 20;

/// What to change in the header block.
#[derive(Debug, Clone, Default)]
pub struct Rewrite {
    /// Remove Bcc fields (`-t`).
    pub strip_bcc: bool,
    /// The Date value to add when there is none.
    pub date: String,
    /// The Message-ID value to add when there is none.
    pub message_id: String,
    /// A From value to add when there is none (sendmail `-F NAME` / `-f ADDR`).
    pub from: Option<String>,
}

/// A header block as read and rewritten.
#[derive(Debug, Clone, Default)]
pub struct HeaderBlock {
    /// The rewritten header block, including the blank line that ends it (when the message has a body).
    pub head: Vec<u8>,
    /// Where the body starts in the source.
    pub body_offset: u64,
    /// Addresses in To fields.
    pub to: Vec<String>,
    /// Addresses in Cc fields.
    pub cc: Vec<String>,
    /// Addresses in Bcc fields.
    pub bcc: Vec<String>,
    /// The address of the first From field.
    pub from: Option<String>,
    /// The address of the Sender field.
    pub sender: Option<String>,
    /// A header byte outside ASCII (an RFC 6532 header: needs SMTPUTF8).
    pub non_ascii: bool,
}

impl HeaderBlock {
    /// The recipients `-t` sends to: To, Cc and Bcc, each address once, in order.
    pub fn recipients(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for a in self.to.iter().chain(&self.cc).chain(&self.bcc) {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(a)) {
                out.push(a.clone());
            }
        }
        out
    }
}

/// One raw field: its name and its whole text (continuation lines included, line endings kept).
struct Field<'a> {
    name: &'a [u8],
    raw: &'a [u8],
}

impl Field<'_> {
    fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// The unfolded value (RFC 5322 §2.2.3), lossily decoded.
    fn value(&self) -> String {
        let v = &self.raw[self.name.len() + 1..];
        let text = String::from_utf8_lossy(v);
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c != '\r' && c != '\n' {
                out.push(c);
            }
        }
        out.trim().to_string()
    }
}

/// Reads the header block from `src` (at most [`HEADER_CAP`] bytes plus the body's first bytes) and
/// applies `rewrite`. `what` names the source in errors.
pub fn read_header_block(src: &mut dyn Read, rewrite: &Rewrite, what: &str) -> Result<HeaderBlock> {
    let mut buf = Vec::with_capacity(64 * 1024);
    src.take(HEADER_CAP as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::local(what, e))?;
    let (fields, consumed, blank) = split(&buf, what)?;
    let mut hb = HeaderBlock {
        body_offset: consumed as u64,
        ..HeaderBlock::default()
    };
    let (mut has_date, mut has_id, mut has_from) = (false, false, false);
    for f in &fields {
        if f.raw.iter().any(|b| !b.is_ascii()) {
            hb.non_ascii = true;
        }
        let list = |f: &Field| -> Result<Vec<String>> {
            let name = String::from_utf8_lossy(f.name).into_owned();
            address::parse_list(&f.value()).map_err(|e| e.within(format!("{what}: {name}")))
        };
        if f.is("To") {
            hb.to.extend(list(f)?);
        } else if f.is("Cc") {
            hb.cc.extend(list(f)?);
        } else if f.is("Bcc") {
            hb.bcc.extend(list(f)?);
            if rewrite.strip_bcc {
                continue;
            }
        } else if f.is("From") {
            has_from = true;
            if hb.from.is_none() {
                hb.from = list(f)?.into_iter().next();
            }
        } else if f.is("Sender") {
            hb.sender = list(f)?.into_iter().next();
        } else if f.is("Date") {
            has_date = true;
        } else if f.is("Message-ID") {
            has_id = true;
        }
        hb.head.extend_from_slice(f.raw);
    }
    let mut add = |name: &str, value: &str| -> Result<()> {
        crate::mime::header::check_value(name, value)?;
        hb.head
            .extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        Ok(())
    };
    if !has_from && let Some(from) = &rewrite.from {
        let atoms = crate::mime::header::encode_address(from);
        add("From", &crate::mime::header::fold(&atoms, 6, "\r\n"))?;
    }
    if !has_date {
        add("Date", &rewrite.date)?;
    }
    if !has_id {
        add("Message-ID", &rewrite.message_id)?;
    }
    match blank {
        Some(line) => hb.head.extend_from_slice(line),
        None if consumed < buf.len() => hb.head.extend_from_slice(b"\r\n"),
        None => {}
    }
    Ok(hb)
}

/// A split header block: its fields, the offset where the body starts, and the blank line that ended the
/// block (None when a non-field line or the end of input did).
type Split<'a> = (Vec<Field<'a>>, usize, Option<&'a [u8]>);

/// Splits `buf` into header fields.
fn split<'a>(buf: &'a [u8], what: &str) -> Result<Split<'a>> {
    let mut fields: Vec<Field<'a>> = Vec::new();
    let mut pos = 0usize;
    let mut open: Option<(usize, usize)> = None; // (start, name length) of the field being read
    let close = |open: &mut Option<(usize, usize)>, end: usize, fields: &mut Vec<Field<'a>>| {
        if let Some((start, name_len)) = open.take() {
            fields.push(Field {
                name: &buf[start..start + name_len],
                raw: &buf[start..end],
            });
        }
    };
    if buf.starts_with(b"From ") {
        pos = line_end(buf, 0).unwrap_or(buf.len());
    }
    loop {
        if pos >= buf.len() {
            if buf.len() > HEADER_CAP {
                return Err(Error::new(
                    ErrorKind::LocalIo,
                    format!("{what}: the header block is larger than {HEADER_CAP} bytes"),
                ));
            }
            close(&mut open, pos, &mut fields);
            return Ok((fields, buf.len(), None));
        }
        let Some(end) = line_end(buf, pos) else {
            if buf.len() > HEADER_CAP {
                return Err(Error::new(
                    ErrorKind::LocalIo,
                    format!("{what}: the header block is larger than {HEADER_CAP} bytes"),
                ));
            }
            // The last line has no line ending: it is still part of the header (or the body).
            let line = &buf[pos..];
            if matches!(line.first(), Some(b' ' | b'\t')) && open.is_some() {
                close(&mut open, buf.len(), &mut fields);
                return Ok((fields, buf.len(), None));
            }
            close(&mut open, pos, &mut fields);
            if let Some(n) = field_name_len(line) {
                fields.push(Field {
                    name: &line[..n],
                    raw: line,
                });
                return Ok((fields, buf.len(), None));
            }
            return Ok((fields, pos, None));
        };
        let line = &buf[pos..end];
        if line == b"\n" || line == b"\r\n" {
            close(&mut open, pos, &mut fields);
            return Ok((fields, end, Some(line)));
        }
        if matches!(line[0], b' ' | b'\t') && open.is_some() {
            pos = end;
            continue;
        }
        close(&mut open, pos, &mut fields);
        match field_name_len(line) {
            Some(n) => open = Some((pos, n)),
            None => return Ok((fields, pos, None)),
        }
        if fields.len() > 10_000 {
            return Err(Error::new(
                ErrorKind::LocalIo,
                format!("{what}: more than 10000 header fields"),
            ));
        }
        pos = end;
    }
}

/// The index just past the next LF at or after `from`.
fn line_end(buf: &[u8], from: usize) -> Option<usize> {
    memchr::memchr(b'\n', &buf[from..]).map(|i| from + i + 1)
}

/// The length of the field name when `line` starts a header field (RFC 5322 §3.6.8: printable ASCII
/// except `:`, then `:`; obsolete whitespace before the colon is tolerated).
fn field_name_len(line: &[u8]) -> Option<usize> {
    let colon = memchr::memchr(b':', line)?;
    let name = &line[..colon];
    let trimmed = name.iter().rposition(|&b| b != b' ' && b != b'\t')? + 1;
    if name[..trimmed].iter().all(|&b| (33..=126).contains(&b)) {
        Some(colon)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(strip: bool) -> Rewrite {
        Rewrite {
            strip_bcc: strip,
            date: "Thu, 01 Jan 1970 00:00:00 +0000".into(),
            message_id: "<id@x>".into(),
            from: None,
        }
    }

    fn read(msg: &str, strip: bool) -> HeaderBlock {
        read_header_block(&mut msg.as_bytes(), &rw(strip), "msg").unwrap()
    }

    #[test]
    fn recipients_bcc_and_added_fields() {
        let msg = "From: Ann <ann@x>\nTo: \"B, b\" <b@y>,\n c@z\nBcc: hidden@w (secret)\nSubject: hi\n\nbody\n";
        let hb = read(msg, true);
        assert_eq!(hb.recipients(), vec!["b@y", "c@z", "hidden@w"]);
        assert_eq!(hb.from.as_deref(), Some("ann@x"));
        let head = String::from_utf8(hb.head.clone()).unwrap();
        assert_eq!(
            head,
            "From: Ann <ann@x>\nTo: \"B, b\" <b@y>,\n c@z\nSubject: hi\nDate: Thu, 01 Jan 1970 00:00:00 +0000\r\nMessage-ID: <id@x>\r\n\n"
        );
        assert_eq!(&msg[hb.body_offset as usize..], "body\n");
        let kept = read(msg, false);
        assert!(
            String::from_utf8(kept.head)
                .unwrap()
                .contains("Bcc: hidden@w")
        );
    }

    #[test]
    fn present_fields_are_kept_and_odd_shapes_survive() {
        let hb = read("Date: x\r\nMessage-Id: <a@b>\r\nTo: a@b\r\n\r\n.\r\n", true);
        assert_eq!(hb.head, b"Date: x\r\nMessage-Id: <a@b>\r\nTo: a@b\r\n\r\n");
        // No blank line: a non-field line starts the body and a blank line is added.
        let msg = "From sender Thu Jan 1\nTo: a@b\nthis is body\n";
        let hb = read(msg, true);
        assert!(
            String::from_utf8(hb.head.clone())
                .unwrap()
                .ends_with(">\r\n\r\n")
        );
        assert!(!String::from_utf8(hb.head).unwrap().contains("From sender"));
        assert_eq!(&msg[hb.body_offset as usize..], "this is body\n");
        // Headers only, without a final line ending.
        let hb = read("To: a@b", true);
        assert_eq!(hb.to, vec!["a@b"]);
        assert_eq!(hb.body_offset, 7);
        // Non-ASCII header bytes ask for SMTPUTF8.
        assert!(read("To: jösé@x\n\nb", true).non_ascii);
    }

    #[test]
    fn huge_header_blocks_are_refused() {
        let big = format!("X-Big: {}\n", "a".repeat(HEADER_CAP + 10));
        let e = read_header_block(&mut big.as_bytes(), &rw(true), "msg").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LocalIo);
        // A huge body after a small header is fine.
        let msg = format!("To: a@b\n\n{}", "b".repeat(HEADER_CAP + 10));
        assert_eq!(read(&msg, true).body_offset, 9);
    }
}
