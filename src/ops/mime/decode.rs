//! `mime-decode`: stream-decode base64/quoted-printable, decode header text, or take a message apart
//! (`--list`, `--extract DIR`, `--text`).
//!
//! Joins `mime::decode`, `mime::parse`, `mime::charset` and `mime::filename` with stdin/stdout and the
//! extraction directory. Everything streams: a part being extracted goes from the parser's decoded chunks
//! straight into its file. Names and text from the message are escaped before they reach a terminal.

use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::mime::charset::ToUtf8;
use crate::mime::decode::{Base64Decoder, DecodeStreamError, Decoder, QpDecoder, decode_stream};
use crate::mime::filename;
use crate::mime::header;
use crate::mime::parse::{self, Limits, Part, Visitor, Want};
use crate::mime::stream::StreamError;
use crate::ops::Outcome;
use crate::ops::common::Ui;
use crate::ops::mime::encode::open_input;
use crate::ops::mime::pick::{FieldReader, PartWriter, field_lines};
use crate::sink::{FileSink, UniqueNames};
use crate::terminal;

/// The transfer encoding to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// base64 (RFC 2045 §6.8).
    Base64,
    /// quoted-printable (RFC 2045 §6.7).
    Qp,
}

/// What mime-decode does, validated.
#[derive(Debug, Clone)]
pub struct Options {
    /// The input file; `None` or `-` is stdin.
    pub file: Option<PathBuf>,
    /// The transfer encoding of a stream.
    pub encoding: Encoding,
    /// Junk in the input is an error instead of skipped.
    pub strict: bool,
    /// Quoted-printable hard line breaks stay CRLF (else LF).
    pub crlf: bool,
    /// Decode this header text instead of a stream.
    pub header: Option<String>,
    /// Print this header field of the message (decoded).
    pub field: Option<String>,
    /// With `field`: its addr-specs, one per line.
    pub addresses: bool,
    /// Write this part's decoded body.
    pub part: Option<String>,
    /// List the part tree.
    pub list: bool,
    /// `--list`/`--extract` as one JSON document.
    pub json: bool,
    /// Write every leaf part into this directory.
    pub extract: Option<PathBuf>,
    /// Print the readable body.
    pub text: bool,
}

/// Runs `mime-decode`.
pub fn run(a: &Options, _ui: &Ui) -> Result<Outcome> {
    let stdout = io::stdout();
    let tty = stdout.is_terminal();
    let mut out = io::BufWriter::with_capacity(256 * 1024, stdout.lock());
    if let Some(text) = &a.header {
        // `$(mime-encode --header ...)` from a CRLF-era script keeps its CR; it is not part of the value.
        let v = header::decode_header(text.trim_end_matches(['\r', '\n']));
        let v = if tty {
            terminal::escape(&v).into_owned()
        } else {
            v
        };
        writeln!(out, "{v}")
            .and_then(|()| out.flush())
            .map_err(|e| Error::local("stdout", e))?;
        return Ok(Outcome::Success);
    }
    let (input, name) = open_input(a.file.as_deref())?;
    if let Some(path) = &a.part {
        let mut v = PartWriter {
            path: path.clone(),
            found: None,
            writing: false,
            out: &mut out,
        };
        parse::parse(input.into_reader(), &name, &mut v, Limits::default())?;
        v.finish()?;
        out.flush().map_err(|e| Error::local("stdout", e))?;
        return Ok(Outcome::Success);
    }
    if let Some(field) = &a.field {
        let mut v = FieldReader {
            name: field.clone(),
            values: Vec::new(),
        };
        parse::parse(input.into_reader(), &name, &mut v, Limits::default())?;
        for line in field_lines(&v.values, a.addresses, tty)? {
            writeln!(out, "{line}").map_err(|e| Error::local("stdout", e))?;
        }
        out.flush().map_err(|e| Error::local("stdout", e))?;
        return Ok(Outcome::Success);
    }
    if a.list {
        let mut v = Lister {
            entries: Vec::new(),
            json: a.json,
            out: &mut out,
        };
        parse::parse(input.into_reader(), &name, &mut v, Limits::default())?;
        if a.json {
            serde_json::to_writer_pretty(&mut *v.out, &v.entries)
                .map_err(|e| Error::local("stdout", e.into()))?;
            writeln!(v.out).map_err(|e| Error::local("stdout", e))?;
        }
        out.flush().map_err(|e| Error::local("stdout", e))?;
        return Ok(Outcome::Success);
    }
    if let Some(dir) = &a.extract {
        fs::create_dir_all(dir).map_err(|e| Error::local(dir.display(), e))?;
        let mut v = Extractor {
            dir: dir.clone(),
            current: None,
            names: UniqueNames::default(),
            files: Vec::new(),
            json: a.json,
            tty,
            out: &mut out,
        };
        let r = parse::parse(input.into_reader(), &name, &mut v, Limits::default());
        v.close()?;
        if a.json {
            serde_json::to_writer_pretty(&mut *v.out, &v.files)
                .map_err(|e| Error::local("stdout", e.into()))?;
            writeln!(v.out).map_err(|e| Error::local("stdout", e))?;
        }
        out.flush().map_err(|e| Error::local("stdout", e))?;
        r?;
        return Ok(Outcome::Success);
    }
    if a.text {
        let mut v = TextPicker {
            state: TextState::Looking,
            conv: None,
            html: None,
            nested: 0,
            inner: None,
            pending_cr: false,
            tty,
            text: String::new(),
            out: &mut out,
        };
        parse::parse(input.into_reader(), &name, &mut v, Limits::default())?;
        // No top-level text/plain: the top-level HTML as text, else an attached message's body.
        if !v.found() {
            let fallback = match (v.html.take(), v.inner.take()) {
                (Some((charset, html)), _) => Some((charset, html, true)),
                (None, Some(inner)) => Some(inner),
                (None, None) => None,
            };
            if let Some((charset, body, is_html)) = fallback {
                let text = if is_html {
                    html_to_text(charset.as_deref(), &body)?.into_bytes()
                } else {
                    body
                };
                let charset = if is_html {
                    Some("utf-8")
                } else {
                    charset.as_deref()
                };
                v.conv = Some(ToUtf8::new(charset));
                v.emit(&text, true)?;
            }
        }
        out.flush().map_err(|e| Error::local("stdout", e))?;
        return Ok(Outcome::Success);
    }
    let mut dec = match a.encoding {
        Encoding::Base64 => Decoder::Base64(Base64Decoder::new(a.strict)),
        Encoding::Qp => Decoder::Qp(QpDecoder::new(a.strict).text_lf(!a.crlf)),
    };
    decode_stream(&mut dec, input, &mut out).map_err(|e| match e {
        DecodeStreamError::Io(StreamError::Read(e)) => Error::local(&name, e),
        DecodeStreamError::Io(StreamError::Write(e)) => Error::local("stdout", e),
        DecodeStreamError::Malformed(m) => Error::protocol(format!("{name}: {m}")),
    })?;
    Ok(Outcome::Success)
}

/// One line of `--list`.
#[derive(Debug, Serialize)]
struct Entry {
    path: String,
    depth: usize,
    #[serde(rename = "type")]
    mime_type: String,
    charset: Option<String>,
    encoding: String,
    size: Option<u64>,
    filename: Option<String>,
    disposition: Option<String>,
}

struct Lister<'o> {
    entries: Vec<Entry>,
    json: bool,
    out: &'o mut dyn Write,
}

impl Lister<'_> {
    fn emit(&mut self, part: &Part, size: Option<u64>) -> Result<()> {
        let e = Entry {
            path: part.path.clone(),
            depth: part.depth,
            mime_type: part.mime_type().to_string(),
            charset: part.charset().map(str::to_string),
            encoding: part.encoding.clone(),
            size,
            filename: part.filename().map(str::to_string),
            disposition: part.disposition.as_ref().map(|d| d.value.clone()),
        };
        if self.json {
            self.entries.push(e);
            return Ok(());
        }
        let line = format!(
            "{:indent$}{}  {}  {}  {}  {}{}",
            "",
            e.path,
            e.mime_type,
            e.charset.as_deref().unwrap_or("-"),
            e.encoding,
            e.size.map_or("-".to_string(), |s| s.to_string()),
            e.filename
                .as_deref()
                .map_or(String::new(), |f| format!("  {f}")),
            indent = e.depth * 2
        );
        writeln!(self.out, "{}", terminal::escape(&line)).map_err(|e| Error::local("stdout", e))
    }
}

impl Visitor for Lister<'_> {
    fn start(&mut self, part: &Part) -> Result<Want> {
        if part.container {
            self.emit(part, None)?;
        }
        Ok(Want::Body)
    }

    fn body(&mut self, _data: &[u8]) -> Result<()> {
        Ok(())
    }

    fn end(&mut self, part: &Part, size: u64) -> Result<()> {
        if !part.container {
            self.emit(part, Some(size))?;
        }
        Ok(())
    }
}

/// One extracted file, for `--extract --json`.
#[derive(Debug, Serialize)]
struct Extracted {
    part: String,
    #[serde(rename = "type")]
    mime_type: String,
    file: String,
    size: u64,
}

struct Extractor<'o> {
    dir: PathBuf,
    current: Option<(io::BufWriter<FileSink>, String)>,
    /// The numbers handed out per name in this run: N parts of one name cost N links, not N²/2.
    names: UniqueNames,
    files: Vec<Extracted>,
    json: bool,
    tty: bool,
    out: &'o mut dyn Write,
}

impl Extractor<'_> {
    /// Commits the current part's file under its unique name (fsync, link, directory fsync).
    fn close(&mut self) -> Result<Option<PathBuf>> {
        let Some((w, name)) = self.current.take() else {
            return Ok(None);
        };
        let sink = w
            .into_inner()
            .map_err(|e| Error::local(self.dir.join(&name).display(), e.into_error()))?;
        let dir = &self.dir;
        sink.commit_unique_in(&self.names, |n| dir.join(filename::numbered(&name, n)))
            .map(Some)
    }
}

/// A fallback name for a part without a usable file name: `part-1.2.txt`.
fn fallback_name(part: &Part) -> String {
    let ext = mime_guess::get_mime_extensions_str(part.mime_type())
        .and_then(|exts| {
            // mime_guess lists extensions alphabetically; prefer the conventional one where it is known.
            let preferred = [
                "txt", "html", "eml", "jpg", "png", "pdf", "zip", "json", "xml", "csv",
            ];
            preferred
                .iter()
                .find(|p| exts.contains(p))
                .copied()
                .or(exts.first().copied())
        })
        .unwrap_or(if part.mime_type() == "message/rfc822" {
            "eml"
        } else {
            "bin"
        });
    format!("part-{}.{ext}", part.path)
}

impl Visitor for Extractor<'_> {
    fn start(&mut self, part: &Part) -> Result<Want> {
        if part.container {
            return Ok(Want::Skip);
        }
        let name = part
            .filename()
            .and_then(filename::sanitize)
            .unwrap_or_else(|| fallback_name(part));
        let sink = FileSink::create(&self.dir.join(&name))?;
        self.current = Some((io::BufWriter::with_capacity(256 * 1024, sink), name));
        Ok(Want::Body)
    }

    fn body(&mut self, data: &[u8]) -> Result<()> {
        if let Some((w, name)) = &mut self.current {
            w.write_all(data)
                .map_err(|e| Error::local(self.dir.join(&*name).display(), e))?;
        }
        Ok(())
    }

    fn end(&mut self, part: &Part, size: u64) -> Result<()> {
        if part.container {
            return Ok(());
        }
        if let Some(path) = self.close()? {
            let shown = path.display().to_string();
            if self.json {
                self.files.push(Extracted {
                    part: part.path.clone(),
                    mime_type: part.mime_type().to_string(),
                    file: shown,
                    size,
                });
            } else {
                let shown = if self.tty {
                    terminal::escape(&shown).into_owned()
                } else {
                    shown
                };
                writeln!(self.out, "{shown}").map_err(|e| Error::local("stdout", e))?;
            }
        }
        Ok(())
    }
}

#[derive(PartialEq, Eq)]
enum TextState {
    Looking,
    InText,
    InHtml,
    /// In a text part of an attached message (kept in case the message itself has no text).
    InInner,
    Done,
}

/// Renders an HTML body (at most [`HTML_CAP`] bytes, in `charset`) as readable plain text: paragraphs,
/// lists and tables laid out in 80 columns, links as numbered footnotes.
fn html_to_text(charset: Option<&str>, html: &[u8]) -> Result<String> {
    let mut utf8 = String::with_capacity(html.len());
    ToUtf8::new(charset).feed(html, &mut utf8, true);
    html2text::config::plain()
        .allow_width_overflow()
        .string_from_read(utf8.as_bytes(), 80)
        .map_err(|e| Error::protocol(format!("cannot render the HTML body as text: {e}")))
}

/// A message/* entity below the root: an attached (forwarded, bounced) message.
fn is_attached_message(part: &Part) -> bool {
    part.depth > 0 && part.mime_type().starts_with("message/")
}

/// The largest text/html part kept in memory as a fallback for a message without text/plain.
const HTML_CAP: usize = 8 << 20;

struct TextPicker<'o> {
    state: TextState,
    conv: Option<ToUtf8>,
    html: Option<(Option<String>, Vec<u8>)>,
    /// How many attached messages (message/* parts below the root) the parser is inside.
    nested: usize,
    /// The first text part of an attached message: charset, bytes (capped), whether HTML.
    inner: Option<(Option<String>, Vec<u8>, bool)>,
    pending_cr: bool,
    tty: bool,
    text: String,
    out: &'o mut dyn Write,
}

impl TextPicker<'_> {
    fn found(&self) -> bool {
        matches!(self.state, TextState::InText | TextState::Done)
    }

    /// Converts to UTF-8, turns CRLF into LF and escapes control characters for a terminal.
    fn emit(&mut self, data: &[u8], last: bool) -> Result<()> {
        let Some(conv) = self.conv.as_mut() else {
            return Ok(());
        };
        self.text.clear();
        conv.feed(data, &mut self.text, last);
        let mut s = String::with_capacity(self.text.len() + 1);
        if self.pending_cr {
            s.push('\r');
            self.pending_cr = false;
        }
        s.push_str(&self.text);
        if s.ends_with('\r') && !last {
            s.pop();
            self.pending_cr = true;
        }
        let s = s.replace("\r\n", "\n");
        let s = if self.tty {
            let mut t = String::with_capacity(s.len());
            for line in s.split_inclusive('\n') {
                let (body, nl) = match line.strip_suffix('\n') {
                    Some(b) => (b, "\n"),
                    None => (line, ""),
                };
                t.push_str(&terminal::escape(body));
                t.push_str(nl);
            }
            t
        } else {
            s
        };
        self.out
            .write_all(s.as_bytes())
            .map_err(|e| Error::local("stdout", e))
    }
}

impl Visitor for TextPicker<'_> {
    fn start(&mut self, part: &Part) -> Result<Want> {
        if part.container {
            if is_attached_message(part) {
                self.nested += 1;
            }
            return Ok(Want::Skip);
        }
        if self.state != TextState::Looking || part.is_attachment() {
            return Ok(Want::Skip);
        }
        if self.nested > 0 {
            // An attached message's text is only the last resort: the message's own body comes first.
            let t = part.mime_type();
            if self.inner.is_none() && (t == "text/plain" || t == "text/html") {
                self.state = TextState::InInner;
                self.inner = Some((
                    part.charset().map(str::to_string),
                    Vec::new(),
                    t == "text/html",
                ));
                return Ok(Want::Body);
            }
            return Ok(Want::Skip);
        }
        match part.mime_type() {
            "text/plain" => {
                self.state = TextState::InText;
                self.html = None;
                self.conv = Some(ToUtf8::new(part.charset()));
                Ok(Want::Body)
            }
            "text/html" if self.html.is_none() => {
                self.state = TextState::InHtml;
                self.html = Some((part.charset().map(str::to_string), Vec::new()));
                Ok(Want::Body)
            }
            _ => Ok(Want::Skip),
        }
    }

    fn body(&mut self, data: &[u8]) -> Result<()> {
        match self.state {
            TextState::InText => self.emit(data, false),
            TextState::InHtml => {
                if let Some((_, buf)) = &mut self.html {
                    let room = HTML_CAP.saturating_sub(buf.len());
                    buf.extend_from_slice(&data[..room.min(data.len())]);
                }
                Ok(())
            }
            TextState::InInner => {
                if let Some((_, buf, _)) = &mut self.inner {
                    let room = HTML_CAP.saturating_sub(buf.len());
                    buf.extend_from_slice(&data[..room.min(data.len())]);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn end(&mut self, part: &Part, _size: u64) -> Result<()> {
        if part.container {
            if is_attached_message(part) {
                self.nested = self.nested.saturating_sub(1);
            }
            return Ok(());
        }
        match self.state {
            TextState::InText => {
                self.emit(&[], true)?;
                self.state = TextState::Done;
            }
            TextState::InHtml | TextState::InInner => self.state = TextState::Looking,
            _ => {}
        }
        Ok(())
    }
}
