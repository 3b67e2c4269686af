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

/// Fields that hold address lists: bare local names in them are qualified, their display names may be
/// RFC 2047-encoded.
const ADDRESS_FIELDS: &[&str] = &[
    "From",
    "To",
    "Cc",
    "Bcc",
    "Reply-To",
    "Sender",
    "Resent-From",
    "Resent-To",
    "Resent-Cc",
    "Resent-Bcc",
    "Resent-Sender",
];

/// Structured fields RFC 2047 does not apply to (§5): a raw UTF-8 byte in them can only travel with
/// SMTPUTF8.
const STRUCTURED_FIELDS: &[&str] = &[
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Received",
    "Return-Path",
    "MIME-Version",
    "Content-Type",
    "Content-Disposition",
    "Content-Transfer-Encoding",
    "Content-ID",
    "DKIM-Signature",
    "ARC-Seal",
    "ARC-Message-Signature",
    "Authentication-Results",
];

fn is_one_of(f: &Field, names: &[&str]) -> bool {
    names.iter().any(|n| f.is(n))
}

/// Rewrites a header block as [`HeaderBlock::head`] holds it: each field for which `f` returns a new
/// value becomes `Name: value` (CRLF), the others and the final blank line stay as they are.
fn map_fields(head: &[u8], mut f: impl FnMut(&Field) -> Result<Option<String>>) -> Result<Vec<u8>> {
    let (fields, consumed, blank) = split(head, "the header")?;
    let mut out = Vec::with_capacity(head.len() + 64);
    for field in &fields {
        match f(field)? {
            Some(v) => {
                out.extend_from_slice(field.name);
                out.extend_from_slice(b": ");
                out.extend_from_slice(v.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            None => out.extend_from_slice(field.raw),
        }
    }
    if let Some(b) = blank {
        out.extend_from_slice(b);
    }
    out.extend_from_slice(&head[consumed.min(head.len())..]);
    Ok(out)
}

/// Folds a value at its spaces (inside a quoted string too: RFC 5322 §3.2.4 allows FWS there).
fn refold(value: &str, name_len: usize) -> String {
    let atoms: Vec<String> = value.split(' ').map(str::to_string).collect();
    crate::mime::header::fold(&atoms, name_len + 2, "\r\n")
}

/// The header block with bare local names in the address fields qualified by `domain` (issue 15:
/// cron's `To: root` becomes `To: root@domain`, which the next hop can route).
pub fn qualify_header(head: &[u8], domain: &str) -> Result<Vec<u8>> {
    map_fields(head, |f| {
        if !is_one_of(f, ADDRESS_FIELDS) {
            return Ok(None);
        }
        Ok(address::qualify_list(&f.value(), domain)?.map(|v| refold(&v, f.name.len())))
    })
}

/// The header block with its non-ASCII text RFC 2047-encoded, so a message whose addresses are all ASCII
/// needs no SMTPUTF8: unstructured fields (Subject, Comments, X-…) encoded whole, display names in
/// address fields encoded as phrases. `None` when that cannot be done — a UTF-8 address in a field, or
/// raw UTF-8 in a structured field (Content-Type, Message-ID, …) — and the message needs SMTPUTF8.
pub fn ascii_header(head: &[u8]) -> Result<Option<Vec<u8>>> {
    let mut impossible = false;
    let out = map_fields(head, |f| {
        if f.raw.is_ascii() {
            return Ok(None);
        }
        let value = f.value();
        let name_len = f.name.len();
        if is_one_of(f, ADDRESS_FIELDS) {
            let Some(elements) = address::split_elements(&value) else {
                impossible = true;
                return Ok(None);
            };
            let mut atoms = Vec::new();
            for (i, el) in elements.iter().enumerate() {
                let el = el.trim();
                if el.is_empty() {
                    continue;
                }
                let addrs = address::parse_list(el)?;
                if addrs.iter().any(|a| !a.is_ascii()) || addrs.len() != 1 {
                    impossible = true;
                    return Ok(None);
                }
                let mut a = match el.rfind('<') {
                    Some(lt) => {
                        let name = el[..lt].trim();
                        let name = name
                            .strip_prefix('"')
                            .and_then(|n| n.strip_suffix('"'))
                            .map_or_else(|| name.to_string(), |n| n.replace("\\\"", "\""));
                        crate::mime::header::encode_address(&format!("{name} <{}>", addrs[0]))
                    }
                    // `addr (comment)`: the address alone; a comment cannot carry encoded text safely.
                    None => vec![addrs[0].clone()],
                };
                if i + 1 < elements.len()
                    && let Some(last) = a.last_mut()
                {
                    last.push(',');
                }
                atoms.extend(a);
            }
            return Ok(Some(crate::mime::header::fold(
                &atoms,
                name_len + 2,
                "\r\n",
            )));
        }
        if is_one_of(f, STRUCTURED_FIELDS)
            || f.name.len() > 8 && f.name[..8].eq_ignore_ascii_case(b"Content-")
        {
            impossible = true;
            return Ok(None);
        }
        Ok(Some(crate::mime::header::encode_header(
            &value,
            name_len + 2,
            "\r\n",
        )))
    })?;
    Ok((!impossible).then_some(out))
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

    /// Issue 15, item 2: `To: root` leaves as `To: root@example.com`; other fields untouched.
    #[test]
    fn bare_names_are_qualified_in_address_fields() {
        let hb = read(
            "To: root, ann@x\nCc: Cron <cron>\nSubject: root\n\nbody\n",
            false,
        );
        let head = qualify_header(&hb.head, "example.com").unwrap();
        assert_eq!(
            String::from_utf8(head).unwrap(),
            "To: root@example.com, ann@x\r\nCc: Cron <cron@example.com>\r\nSubject: root\n\
             Date: Thu, 01 Jan 1970 00:00:00 +0000\r\nMessage-ID: <id@x>\r\n\n"
        );
    }

    /// Issue 15, item 5: UTF-8 text in a header with ASCII addresses becomes RFC 2047 words.
    #[test]
    fn non_ascii_text_is_encoded_unless_an_address_needs_utf8() {
        let hb = read(
            "From: \"Jörg, Ops\" <j@x>\nSubject: Grüße\nX-Note: ok\n\nbody\n",
            false,
        );
        let head = String::from_utf8(ascii_header(&hb.head).unwrap().unwrap()).unwrap();
        assert!(head.is_ascii(), "{head}");
        assert!(
            head.starts_with("From: =?UTF-8?Q?J=C3=B6rg=2C_Ops?= <j@x>\r\nSubject: =?UTF-8?B?R3LDvMOfZQ==?=\r\nX-Note: ok\n"),
            "{head}"
        );
        let decode = crate::mime::header::decode_header;
        assert_eq!(decode("=?UTF-8?Q?J=C3=B6rg=2C_Ops?="), "Jörg, Ops");
        assert_eq!(decode("=?UTF-8?B?R3LDvMOfZQ==?="), "Grüße");
        for needs_utf8 in ["To: jörg@x\n\n", "Content-Type: text/plain; name=\"ä\"\n\n"] {
            let hb = read(needs_utf8, false);
            assert_eq!(ascii_header(&hb.head).unwrap(), None, "{needs_utf8}");
        }
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
