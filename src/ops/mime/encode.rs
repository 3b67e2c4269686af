//! `mime-encode`: stream a file through a transfer encoder, encode a header value, or build a message.
//!
//! Joins `mime::encode` / `mime::header` / `mime::build` with stdin/stdout and files. Input comes through
//! `mime::input` (mapped files, read-ahead pipes), output through one locked stdout; a closed pipe surfaces as `Error::local("stdout", …)`, which
//! `cli::finish` turns into a quiet exit 0.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::mime::build::{Attachment, MessageBuilder, Scanner};
use crate::mime::encode::{Base64Encoder, Encoder, LineEnding, QpEncoder, encode_stream};
use crate::mime::header;
use crate::mime::input::Input;
use crate::mime::stream::{BLOCK, StreamError};
use crate::ops::Outcome;
use crate::ops::common::Ui;

/// The transfer encoding to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// base64 (RFC 2045 §6.8).
    Base64,
    /// quoted-printable (RFC 2045 §6.7).
    Qp,
    /// quoted-printable for mostly-ASCII text, base64 otherwise (decided on the first 128 KiB).
    Auto,
}

/// What mime-encode does, validated.
#[derive(Debug, Clone)]
pub struct Options {
    /// The input file; `None` or `-` is stdin.
    pub file: Option<PathBuf>,
    /// The transfer encoding of the output.
    pub encoding: Encoding,
    /// base64 line length; 0 for one unbroken line.
    pub wrap: usize,
    /// CRLF line endings (canonical MIME) instead of LF.
    pub crlf: bool,
    /// Quoted-printable binary mode (CR and LF encoded).
    pub binary: bool,
    /// Encode this header value (RFC 2047) instead of a stream; checked for CR, LF and NUL.
    pub header: Option<String>,
    /// Build a whole message instead of encoding a stream.
    pub message: Option<Message>,
}

/// The message `--message` builds.
#[derive(Debug, Clone, Default)]
pub struct Message {
    /// From.
    pub from: Option<String>,
    /// To, in order.
    pub to: Vec<String>,
    /// Cc, in order.
    pub cc: Vec<String>,
    /// Subject.
    pub subject: Option<String>,
    /// Date (default: now).
    pub date: Option<String>,
    /// Message-ID (default: generated).
    pub message_id: Option<String>,
    /// The text body.
    pub text: Option<String>,
    /// The text body's file (`-` for stdin).
    pub text_file: Option<PathBuf>,
    /// Files to attach.
    pub attach: Vec<PathBuf>,
}

/// Opens FILE, or stdin for `-` / nothing; returns the input and its name for messages.
pub(crate) fn open_input(file: Option<&Path>) -> Result<(Input, String)> {
    match file {
        None => Ok((Input::stdin(), "stdin".to_string())),
        Some(p) if p == Path::new("-") => Ok((Input::stdin(), "stdin".to_string())),
        Some(p) => {
            let f = File::open(p).map_err(|e| Error::local(p.display(), e))?;
            Ok((Input::from_file(f), p.display().to_string()))
        }
    }
}

/// Runs `mime-encode`.
pub fn run(a: &Options, _ui: &Ui) -> Result<Outcome> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(256 * 1024, stdout.lock());
    if let Some(text) = &a.header {
        // Folded lines inside the value follow --crlf; the line ends in LF, as a shell's `$(...)` expects.
        let eol = if a.crlf { "\r\n" } else { "\n" };
        let v = header::encode_header(text, 0, eol);
        out.write_all(v.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush())
            .map_err(|e| Error::local("stdout", e))?;
        return Ok(Outcome::Success);
    }
    if let Some(m) = &a.message {
        return build_message(m, &mut out);
    }
    let eol = if a.crlf {
        LineEnding::Crlf
    } else {
        LineEnding::Lf
    };
    let (mut input, name) = open_input(a.file.as_deref())?;
    let kind = match a.encoding {
        Encoding::Auto => {
            let first = input.peek(BLOCK).map_err(|e| Error::local(&name, e))?;
            let mut s = Scanner::default();
            s.feed(&first);
            let st = s.finish();
            // Mostly ASCII text: fewer than 1 in 8 bytes would need an escape, and no NULs.
            if !st.binary && st.qp_escapes * 8 <= st.len.max(1) && st.max_line <= 998 {
                Encoding::Qp
            } else {
                Encoding::Base64
            }
        }
        k => k,
    };
    let mut enc = match kind {
        Encoding::Qp => Encoder::Qp(QpEncoder::new(a.binary, eol)),
        _ => Encoder::Base64(Base64Encoder::new(a.wrap, eol)),
    };
    encode_stream(&mut enc, input, &mut out).map_err(|e| match e {
        StreamError::Read(e) => Error::local(&name, e),
        StreamError::Write(e) => Error::local("stdout", e),
    })?;
    Ok(Outcome::Success)
}

fn build_message(a: &Message, out: &mut dyn Write) -> Result<Outcome> {
    let mut m = MessageBuilder::new();
    if let Some(f) = &a.from {
        m = m.from(f.clone());
    }
    for t in &a.to {
        m = m.to(t.clone());
    }
    for c in &a.cc {
        m = m.cc(c.clone());
    }
    if let Some(s) = &a.subject {
        m = m.subject(s.clone());
    }
    if let Some(d) = &a.date {
        m = m.date(d.clone());
    }
    if let Some(id) = &a.message_id {
        m = m.message_id(id.clone());
    }
    if let Some(t) = &a.text {
        m = m.text(t.clone());
    }
    if let Some(p) = &a.text_file {
        if p == Path::new("-") {
            let body = crate::mime::build::read_small(&mut io::stdin().lock(), "stdin", 64 << 20)?;
            m = m.text(String::from_utf8_lossy(&body).into_owned());
        } else {
            m = m.text_file(p.clone());
        }
    }
    for p in &a.attach {
        if !p.is_file() {
            let e = io::Error::new(io::ErrorKind::NotFound, "not a readable regular file");
            return Err(Error::local(p.display(), e));
        }
        m = m.attach(Attachment::file(p.clone()));
    }
    m.write_to(out, "stdout")?;
    Ok(Outcome::Success)
}
