//! Composing a MIME message (RFC 5322 header, RFC 2045/2046 body) onto any `io::Write`.
//!
//! [`MessageBuilder`] takes From/To/Cc/Subject, a text body and attachments and writes a complete message
//! with CRLF line endings: a single text/plain entity when there is nothing attached, else
//! multipart/mixed; an HTML body makes the text and the HTML a multipart/alternative (RFC 2046 §5.1.4,
//! the text first), inside the multipart/mixed when there are attachments. Header values are RFC 2047-encoded when not plain ASCII and folded; file names become
//! RFC 2231 parameters; each part gets 7bit (ASCII text with short lines), quoted-printable or base64,
//! whichever is smaller. Attachments are read twice in 128 KiB blocks (once to choose the encoding, once to
//! encode), never loaded whole. CR, LF or NUL in a header value is a usage error (exit 2). This module does
//! not send anything (smtp-send does) and does not dot-stuff.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::encode::{Base64Encoder, Encoder, LineEnding, QpEncoder};
use super::header::{check_value, encode_address, encode_header, encode_param, fold};
use super::stream::{BLOCK, read_full};
use crate::error::{Error, Result};

/// Where a part's bytes come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// A file, streamed.
    File(PathBuf),
}

/// An attachment: its source, the name shown to the recipient and its content type.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The data.
    pub source: Source,
    /// The suggested file name (RFC 2231-encoded when not ASCII).
    pub name: String,
    /// `type/subtype`; guessed from the name's extension when `None`.
    pub content_type: Option<String>,
}

impl Attachment {
    /// An attachment read from `path`, named after its last component, typed by extension.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "attachment".to_string());
        Attachment {
            source: Source::File(path),
            name,
            content_type: None,
        }
    }
}

/// Builds a message. All setters take owned strings; validation happens in [`MessageBuilder::write_to`].
#[derive(Debug, Clone, Default)]
pub struct MessageBuilder {
    from: Option<String>,
    to: Vec<String>,
    cc: Vec<String>,
    subject: Option<String>,
    date: Option<String>,
    message_id: Option<String>,
    text: Option<Source>,
    attachments: Vec<Attachment>,
    boundary: Option<String>,
    reply_to: Vec<String>,
    html: Option<Source>,
    /// Extra fields, in order, written after Subject.
    extra: Vec<(String, String)>,
}

impl MessageBuilder {
    /// An empty message.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets From (`Name <addr>` or `addr`).
    pub fn from(mut self, from: impl Into<String>) -> Self {
        self.from = Some(from.into());
        self
    }

    /// Adds a To address.
    pub fn to(mut self, to: impl Into<String>) -> Self {
        self.to.push(to.into());
        self
    }

    /// Adds a Cc address.
    pub fn cc(mut self, cc: impl Into<String>) -> Self {
        self.cc.push(cc.into());
        self
    }

    /// Sets the Subject.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Overrides the Date header (default: now, UTC).
    pub fn date(mut self, date: impl Into<String>) -> Self {
        self.date = Some(date.into());
        self
    }

    /// Overrides the Message-ID (default: generated, `<…@hostname>`).
    pub fn message_id(mut self, id: impl Into<String>) -> Self {
        self.message_id = Some(id.into());
        self
    }

    /// Overrides the multipart boundary (tests; default: generated, cannot occur in encoded parts).
    pub fn boundary(mut self, b: impl Into<String>) -> Self {
        self.boundary = Some(b.into());
        self
    }

    /// Sets the text body (UTF-8).
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(Source::Bytes(text.into().into_bytes()));
        self
    }

    /// Sets the text body from a file (UTF-8, or sent as application/octet-stream-like 8-bit text).
    pub fn text_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.text = Some(Source::File(path.into()));
        self
    }

    /// Adds a Reply-To address.
    pub fn reply_to(mut self, addr: impl Into<String>) -> Self {
        self.reply_to.push(addr.into());
        self
    }

    /// Sets an HTML body read from a file: with a text body the two become multipart/alternative.
    pub fn html_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.html = Some(Source::File(path.into()));
        self
    }

    /// Adds a header field (`Date` and `Message-ID` replace the generated ones; a non-ASCII value is
    /// RFC 2047-encoded). The caller validates the name and refuses fields the builder writes itself.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let (name, value) = (name.into(), value.into());
        if name.eq_ignore_ascii_case("Date") {
            self.date = Some(value);
        } else if name.eq_ignore_ascii_case("Message-ID") {
            self.message_id = Some(value);
        } else {
            self.extra.push((name, value));
        }
        self
    }

    /// Adds an attachment.
    pub fn attach(mut self, a: Attachment) -> Self {
        self.attachments.push(a);
        self
    }

    fn check(&self) -> Result<()> {
        let single = [
            ("From", &self.from),
            ("Subject", &self.subject),
            ("Date", &self.date),
            ("Message-ID", &self.message_id),
        ];
        for (name, v) in single {
            if let Some(v) = v {
                check_value(name, v)?;
            }
        }
        for v in &self.to {
            check_value("To", v)?;
        }
        for v in &self.cc {
            check_value("Cc", v)?;
        }
        for v in &self.reply_to {
            check_value("Reply-To", v)?;
        }
        for (name, v) in &self.extra {
            check_value(name, v)?;
            if name.is_empty() || !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
                return Err(Error::usage(format!(
                    "header name {name:?}: expected printable ASCII without ':'"
                )));
            }
        }
        for a in &self.attachments {
            check_value("attachment name", &a.name)?;
            if let Some(t) = &a.content_type {
                check_value("attachment type", t)?;
                if !t.contains('/') || t.contains([';', ' ', '"']) {
                    return Err(Error::usage(format!(
                        "attachment type {t:?}: expected type/subtype"
                    )));
                }
            }
        }
        if let Some(b) = &self.boundary {
            check_value("boundary", b)?;
        }
        Ok(())
    }

    /// Writes the message with CRLF line endings to `out`.
    ///
    /// Errors: a usage error for CR/LF/NUL in a header value; [`Error::local`] naming the file or `what`
    /// (the output's name) for I/O failures.
    pub fn write_to(&self, out: &mut dyn Write, what: &str) -> Result<()> {
        self.check()?;
        let mut head = String::new();
        if let Some(from) = &self.from {
            head.push_str(&format!(
                "From: {}\r\n",
                fold(&encode_address(from), 6, "\r\n")
            ));
        }
        for (name, list) in [
            ("To", &self.to),
            ("Cc", &self.cc),
            ("Reply-To", &self.reply_to),
        ] {
            if !list.is_empty() {
                let mut atoms = Vec::new();
                for (i, addr) in list.iter().enumerate() {
                    let mut a = encode_address(addr);
                    if i + 1 < list.len()
                        && let Some(last) = a.last_mut()
                    {
                        last.push(',');
                    }
                    atoms.extend(a);
                }
                head.push_str(&format!(
                    "{name}: {}\r\n",
                    fold(&atoms, name.len() + 2, "\r\n")
                ));
            }
        }
        if let Some(s) = &self.subject {
            head.push_str(&format!("Subject: {}\r\n", encode_header(s, 9, "\r\n")));
        }
        for (name, v) in &self.extra {
            head.push_str(&format!(
                "{name}: {}\r\n",
                encode_header(v, name.len() + 2, "\r\n")
            ));
        }
        let date = self
            .date
            .clone()
            .unwrap_or_else(|| rfc5322_date(SystemTime::now()));
        head.push_str(&format!("Date: {date}\r\n"));
        let id = self.message_id.clone().unwrap_or_else(generate_message_id);
        head.push_str(&format!("Message-ID: {id}\r\n"));
        head.push_str("MIME-Version: 1.0\r\n");
        let w = |out: &mut dyn Write, b: &[u8]| out.write_all(b).map_err(|e| Error::local(what, e));

        let text = self.text.clone().unwrap_or(Source::Bytes(Vec::new()));
        if self.attachments.is_empty() {
            w(out, head.as_bytes())?;
            self.write_body(out, &text, what)?;
            return out.flush().map_err(|e| Error::local(what, e));
        }
        let boundary = self.boundary.clone().unwrap_or_else(generate_boundary);
        head.push_str(&format!(
            "Content-Type: multipart/mixed;\r\n boundary=\"{boundary}\"\r\n\r\nThis is a multi-part message in MIME format.\r\n"
        ));
        w(out, head.as_bytes())?;
        if self.text.is_some() || self.html.is_some() {
            w(out, format!("\r\n--{boundary}\r\n").as_bytes())?;
            self.write_body(out, &text, what)?;
        }
        for a in &self.attachments {
            w(out, format!("\r\n--{boundary}\r\n").as_bytes())?;
            let ty = a.content_type.clone().unwrap_or_else(|| {
                mime_guess::from_path(&a.name)
                    .first_or_octet_stream()
                    .essence_str()
                    .to_string()
            });
            write_part(out, &a.source, &ty, Some(&a.name), true, what)?;
        }
        w(out, format!("\r\n--{boundary}--\r\n").as_bytes())?;
        out.flush().map_err(|e| Error::local(what, e))
    }
}

impl MessageBuilder {
    /// The body entity: text/plain; text/html alone when there is only HTML; both in a
    /// multipart/alternative (plain first, RFC 2046 §5.1.4: the last is the preferred one).
    fn write_body(&self, out: &mut dyn Write, text: &Source, what: &str) -> Result<()> {
        let Some(html) = &self.html else {
            return write_part(out, text, "text/plain", None, false, what);
        };
        if self.text.is_none() {
            return write_part(out, html, "text/html", None, false, what);
        }
        let b = match &self.boundary {
            Some(b) => format!("{b}_alt"),
            None => generate_boundary(),
        };
        let w = |out: &mut dyn Write, s: String| {
            out.write_all(s.as_bytes())
                .map_err(|e| Error::local(what, e))
        };
        w(
            out,
            format!("Content-Type: multipart/alternative;\r\n boundary=\"{b}\"\r\n\r\n--{b}\r\n"),
        )?;
        write_part(out, text, "text/plain", None, false, what)?;
        w(out, format!("\r\n--{b}\r\n"))?;
        write_part(out, html, "text/html", None, false, what)?;
        w(out, format!("\r\n--{b}--\r\n"))
    }
}

/// What a first pass over a part's data found.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Total bytes.
    pub len: u64,
    /// Bytes outside printable ASCII (excluding CR, LF, tab).
    pub non_ascii: u64,
    /// Bytes quoted-printable would have to encode.
    pub qp_escapes: u64,
    /// A NUL byte or a CR not followed by LF was seen.
    pub binary: bool,
    /// Longest line, in bytes.
    pub max_line: u64,
    /// The data is valid UTF-8.
    pub utf8: bool,
    /// A line starts with `--=_` (could be mistaken for our boundary in 7bit).
    pub dash_line: bool,
    /// A LF not preceded by CR was seen.
    pub bare_lf: bool,
}

/// Scans data in blocks for [`Stats`].
#[derive(Debug)]
pub struct Scanner {
    stats: Stats,
    line: u64,
    prev_cr: bool,
    utf8_carry: Vec<u8>,
    line_head: Vec<u8>,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner {
            stats: Stats {
                utf8: true,
                ..Stats::default()
            },
            line: 0,
            prev_cr: false,
            utf8_carry: Vec::new(),
            line_head: Vec::new(),
        }
    }
}

impl Scanner {
    /// Scans the next block.
    pub fn feed(&mut self, data: &[u8]) {
        let s = &mut self.stats;
        s.len += data.len() as u64;
        for &b in data {
            if self.prev_cr && b != b'\n' {
                s.binary = true;
            }
            let prev_cr = self.prev_cr;
            self.prev_cr = b == b'\r';
            match b {
                b'\n' => {
                    if !prev_cr {
                        s.bare_lf = true;
                    }
                    s.max_line = s.max_line.max(self.line);
                    self.line = 0;
                    self.line_head.clear();
                    continue;
                }
                b'\r' => {}
                0 => {
                    s.binary = true;
                    s.qp_escapes += 1;
                }
                b'\t' | b' ' => {}
                b'=' => s.qp_escapes += 1,
                0x21..=0x7e => {}
                _ => {
                    s.non_ascii += 1;
                    s.qp_escapes += 1;
                }
            }
            if b != b'\r' {
                self.line += 1;
            }
            if self.line_head.len() < 4 {
                self.line_head.push(b);
                if self.line_head == b"--=_" {
                    s.dash_line = true;
                }
            }
        }
        if s.utf8 {
            self.utf8_carry.extend_from_slice(data);
            match std::str::from_utf8(&self.utf8_carry) {
                Ok(_) => self.utf8_carry.clear(),
                Err(e) if e.error_len().is_none() => {
                    let keep = self.utf8_carry.split_off(e.valid_up_to());
                    self.utf8_carry = keep;
                }
                Err(_) => {
                    s.utf8 = false;
                    self.utf8_carry = Vec::new();
                }
            }
        }
    }

    /// The stats of everything fed.
    pub fn finish(mut self) -> Stats {
        self.stats.max_line = self.stats.max_line.max(self.line);
        if self.prev_cr {
            self.stats.binary = true;
        }
        if !self.utf8_carry.is_empty() {
            self.stats.utf8 = false;
        }
        self.stats
    }
}

/// A Content-Transfer-Encoding this builder writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cte {
    /// ASCII text with short lines, line endings normalized to CRLF.
    SevenBit,
    /// quoted-printable, text mode.
    QuotedPrintable,
    /// base64.
    Base64,
}

impl Cte {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Cte::SevenBit => "7bit",
            Cte::QuotedPrintable => "quoted-printable",
            Cte::Base64 => "base64",
        }
    }
}

/// Chooses the encoding for data with `stats`: 7bit for ASCII text with lines ≤ 76, else the smaller of
/// quoted-printable and base64 for text, base64 for everything else. With `exact` (attachments), text whose
/// line breaks are not already CRLF goes as base64 so the recipient gets the file's bytes unchanged (7bit and
/// quoted-printable text carry canonical CRLF line breaks, RFC 2049 §4).
pub fn choose_encoding(stats: &Stats, text: bool, exact: bool) -> Cte {
    if !text || stats.binary || (exact && stats.bare_lf) {
        return Cte::Base64;
    }
    if stats.non_ascii == 0 && stats.max_line <= 76 && !stats.dash_line {
        return Cte::SevenBit;
    }
    let qp = stats.len + 2 * stats.qp_escapes + stats.len / 73 * 3;
    let b64 = stats.len.div_ceil(3) * 4 * 78 / 76;
    if qp <= b64 {
        Cte::QuotedPrintable
    } else {
        Cte::Base64
    }
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| Error::local(path.display(), e))
}

fn for_each_block(source: &Source, mut f: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
    match source {
        Source::Bytes(b) => {
            for chunk in b.chunks(BLOCK) {
                f(chunk)?;
            }
            Ok(())
        }
        Source::File(path) => {
            let mut file = open(path)?;
            let mut buf = vec![0u8; BLOCK];
            loop {
                let n =
                    read_full(&mut file, &mut buf).map_err(|e| Error::local(path.display(), e))?;
                if n == 0 {
                    return Ok(());
                }
                f(&buf[..n])?;
            }
        }
    }
}

/// Writes one entity: its headers, a blank line and the encoded data.
fn write_part(
    out: &mut dyn Write,
    source: &Source,
    ty: &str,
    name: Option<&str>,
    attachment: bool,
    what: &str,
) -> Result<()> {
    let mut scanner = Scanner::default();
    for_each_block(source, |b| {
        scanner.feed(b);
        Ok(())
    })?;
    let stats = scanner.finish();
    let text = ty.starts_with("text/");
    let cte = choose_encoding(&stats, text, attachment);
    let mut params = Vec::new();
    if text {
        let cs = if stats.non_ascii == 0 && !stats.binary {
            Some("us-ascii")
        } else if stats.utf8 {
            Some("utf-8")
        } else {
            None
        };
        if let Some(cs) = cs {
            params.push(format!("charset={cs}"));
        }
    }
    if let Some(n) = name {
        params.extend(encode_param("name", n));
    }
    let mut head = format!("Content-Type: {ty}");
    for p in &params {
        head.push_str(";\r\n ");
        head.push_str(p);
    }
    head.push_str(&format!(
        "\r\nContent-Transfer-Encoding: {}\r\n",
        cte.as_str()
    ));
    if let Some(n) = name {
        head.push_str(if attachment {
            "Content-Disposition: attachment"
        } else {
            "Content-Disposition: inline"
        });
        for p in encode_param("filename", n) {
            head.push_str(";\r\n ");
            head.push_str(&p);
        }
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())
        .map_err(|e| Error::local(what, e))?;
    let mut buf = Vec::with_capacity(BLOCK * 2);
    match cte {
        Cte::SevenBit => {
            let mut prev_cr = false;
            for_each_block(source, |b| {
                for &c in b {
                    if c == b'\n' && !prev_cr {
                        buf.push(b'\r');
                    }
                    prev_cr = c == b'\r';
                    buf.push(c);
                }
                out.write_all(&buf).map_err(|e| Error::local(what, e))?;
                buf.clear();
                Ok(())
            })?;
        }
        Cte::QuotedPrintable | Cte::Base64 => {
            let mut enc = if cte == Cte::Base64 {
                Encoder::Base64(Base64Encoder::new(76, LineEnding::Crlf))
            } else {
                Encoder::Qp(QpEncoder::new(false, LineEnding::Crlf))
            };
            for_each_block(source, |b| {
                enc.feed(b, &mut buf);
                out.write_all(&buf).map_err(|e| Error::local(what, e))?;
                buf.clear();
                Ok(())
            })?;
            // The data's own last line break stays; the delimiter brings its own CRLF (RFC 2046 §5.1.1).
            enc.finish(&mut buf);
            out.write_all(&buf).map_err(|e| Error::local(what, e))?;
        }
    }
    Ok(())
}

/// A multipart boundary that cannot occur in base64 or quoted-printable output (`=_` is neither).
pub fn generate_boundary() -> String {
    format!("=_ferry_{:016x}", unique_number())
}

fn unique_number() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x = t
        ^ (u64::from(std::process::id()) << 32)
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    // splitmix64 finalizer: spread the bits.
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A Message-ID `<hex.hex@host>` (RFC 5322 §3.6.4).
pub fn generate_message_id() -> String {
    let host = crate::host::name().unwrap_or_else(|| "ferry.invalid".to_string());
    format!("<{:016x}.{:x}@{host}>", unique_number(), std::process::id())
}

/// Formats `t` as an RFC 5322 date in UTC: `Tue, 01 Jul 2025 10:52:37 +0000`.
pub fn rfc5322_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::time::civil_from_days(days);
    let wd = (days + 4).rem_euclid(7) as usize;
    const WD: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MO: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        WD[wd],
        d,
        MO[(m - 1) as usize],
        y,
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Reads all of `r` (for small inputs such as `--text-file -`).
pub fn read_small(r: &mut dyn Read, what: &str, cap: usize) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    r.take(cap as u64 + 1)
        .read_to_end(&mut v)
        .map_err(|e| Error::local(what, e))?;
    if v.len() > cap {
        return Err(Error::usage(format!("{what}: larger than {cap} bytes")));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc5322_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 +0000");
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_709_210_096);
        assert_eq!(rfc5322_date(t), "Thu, 29 Feb 2024 12:34:56 +0000");
    }

    #[test]
    fn header_injection_is_a_usage_error() {
        let m = MessageBuilder::new().subject("hi\r\nBcc: victim@example.com");
        let e = m.write_to(&mut Vec::new(), "out").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Usage);
    }

    #[test]
    fn encoding_choice() {
        let scan = |d: &[u8]| {
            let mut s = Scanner::default();
            s.feed(d);
            s.finish()
        };
        assert_eq!(
            choose_encoding(&scan(b"hello\nworld\n"), true, false),
            Cte::SevenBit
        );
        assert_eq!(
            choose_encoding(
                &scan("héllo wörld, this is mostly ASCII text with an accent or two.\n".as_bytes()),
                true,
                false
            ),
            Cte::QuotedPrintable
        );
        assert_eq!(
            choose_encoding(&scan("日本語のテキスト".as_bytes()), true, false),
            Cte::Base64
        );
        assert_eq!(choose_encoding(&scan(b"hello"), false, false), Cte::Base64);
        assert_eq!(
            choose_encoding(&scan(b"hello\nworld\n"), true, true),
            Cte::Base64
        );
        assert_eq!(
            choose_encoding(&scan(b"hello\r\nworld\r\n"), true, true),
            Cte::SevenBit
        );
    }
}
