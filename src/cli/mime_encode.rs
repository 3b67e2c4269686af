//! `mime-encode`: clap definition and entry point. Parsing only; the behaviour is `ops::mime::encode`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

use crate::ops::common::OutputMode;
use crate::ops::mime::encode;

/// The transfer encoding to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Encoding {
    /// base64 (RFC 2045 §6.8), 76-column lines.
    Base64,
    /// quoted-printable (RFC 2045 §6.7).
    Qp,
    /// quoted-printable for mostly-ASCII text, base64 otherwise (decided on the first 128 KiB).
    Auto,
}

/// Encode data as base64 or quoted-printable, encode header text (RFC 2047), or build a whole MIME message.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = crate::cli::exit_codes_help(),
    after_long_help = crate::cli::exit_codes_help()
)]
pub struct Args {
    /// Input file; `-` or nothing reads stdin. A regular file (named or as stdin) is mapped rather than
    /// copied, and large ones are coded on two cores where the encoding allows; the output is the same.
    /// With --message: the text body (as --text-file).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Transfer encoding of the output.
    #[arg(short = 'e', long = "encoding", value_enum, default_value = "base64")]
    pub encoding: Encoding,

    /// base64 line length in characters; 0 writes one unbroken line (like `base64 -w 0`).
    #[arg(short = 'w', long, value_name = "COLS", default_value_t = 76)]
    pub wrap: usize,

    /// End output lines with CRLF, canonical MIME (default: LF, like coreutils `base64` and `qprint`).
    /// A whole message (--message) always has CRLF.
    #[arg(long)]
    pub crlf: bool,

    /// LF line endings: the default (kept so older scripts keep working).
    #[arg(long, hide = true, conflicts_with = "crlf")]
    pub lf: bool,

    /// Quoted-printable binary mode: CR and LF are encoded (=0D, =0A) so decoding restores the exact bytes.
    #[arg(long)]
    pub binary: bool,

    /// Encode TEXT as an RFC 2047 header value (encoded-words, B or Q, folded) and print it.
    #[arg(long, value_name = "TEXT", conflicts_with_all = ["message", "file"])]
    pub header: Option<String>,

    /// Build a complete MIME message (multipart/mixed when there are attachments) on stdout.
    #[arg(long)]
    pub message: bool,

    /// The message's text body (UTF-8).
    #[arg(
        long,
        value_name = "TEXT",
        requires = "message",
        conflicts_with = "text_file"
    )]
    pub text: Option<String>,

    /// Read the message's text body from FILE.
    #[arg(long, value_name = "FILE", requires = "message")]
    pub text_file: Option<PathBuf>,

    /// Attach FILE (streamed; content type from the extension). One file per flag; repeatable.
    #[arg(long, value_name = "FILE", requires = "message")]
    pub attach: Vec<PathBuf>,

    /// From address, e.g. `Jörg <j@example.org>`.
    #[arg(long, value_name = "ADDR", requires = "message")]
    pub from: Option<String>,

    /// To address (repeatable).
    #[arg(long, value_name = "ADDR", requires = "message")]
    pub to: Vec<String>,

    /// Cc address (repeatable).
    #[arg(long, value_name = "ADDR", requires = "message")]
    pub cc: Vec<String>,

    /// Subject (RFC 2047-encoded when not ASCII).
    #[arg(long, value_name = "TEXT", requires = "message")]
    pub subject: Option<String>,

    /// Date header value (default: now, UTC).
    #[arg(long, value_name = "DATE", requires = "message")]
    pub date: Option<String>,

    /// Message-ID header value (default: generated).
    #[arg(long, value_name = "ID", requires = "message")]
    pub message_id: Option<String>,
}

impl From<Encoding> for encode::Encoding {
    fn from(e: Encoding) -> Self {
        match e {
            Encoding::Base64 => encode::Encoding::Base64,
            Encoding::Qp => encode::Encoding::Qp,
            Encoding::Auto => encode::Encoding::Auto,
        }
    }
}

impl TryFrom<Args> for encode::Options {
    type Error = crate::Error;

    /// Every usage error of mime-encode: a header value with CR, LF or NUL (clap checks the rest).
    fn try_from(a: Args) -> crate::Result<Self> {
        if let Some(text) = &a.header {
            crate::mime::header::check_value("--header", text)?;
        }
        // With --message the positional FILE is the body (issue 15: it used to be ignored silently).
        let (file, text_file) = match (a.message, a.file, a.text_file) {
            (true, Some(_), Some(_)) => {
                return Err(crate::Error::usage(
                    "--message: give the body once, as FILE or with --text-file",
                ));
            }
            (true, Some(_), None) if a.text.is_some() => {
                return Err(crate::Error::usage(
                    "--message: give the body once, as FILE or with --text",
                ));
            }
            (true, file, text_file) => (None, text_file.or(file)),
            (false, file, text_file) => (file, text_file),
        };
        let message = a.message.then_some(encode::Message {
            from: a.from,
            to: a.to,
            cc: a.cc,
            subject: a.subject,
            date: a.date,
            message_id: a.message_id,
            text: a.text,
            text_file,
            attach: a.attach,
        });
        Ok(encode::Options {
            file,
            encoding: a.encoding.into(),
            wrap: a.wrap,
            crlf: a.crlf,
            binary: a.binary,
            header: a.header,
            message,
        })
    }
}

/// Runs `mime-encode` with the process arguments.
pub fn main() -> ExitCode {
    crate::cli::run_tool(
        "mime-encode",
        |a: Args| Ok((encode::Options::try_from(a)?, OutputMode::default())),
        encode::run,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(args: &[&str]) -> crate::Result<encode::Options> {
        let args = Args::try_parse_from(std::iter::once("mime-encode").chain(args.iter().copied()))
            .map_err(|e| crate::Error::usage(e.to_string()))?;
        encode::Options::try_from(args)
    }

    #[test]
    fn flags_become_options_and_header_injection_is_a_usage_error() {
        let o = options(&["-e", "auto", "-w", "0", "--crlf", "f"]).unwrap();
        assert_eq!(o.encoding, encode::Encoding::Auto);
        assert_eq!((o.wrap, o.crlf, o.binary), (0, true, false));
        assert!(!options(&["--lf"]).unwrap().crlf);
        assert!(o.message.is_none() && o.header.is_none());
        let o = options(&["--message", "--to", "a@b", "--to", "c@d", "--subject", "s"]).unwrap();
        let m = o.message.unwrap();
        assert_eq!(m.to, ["a@b", "c@d"]);
        assert_eq!(m.subject.as_deref(), Some("s"));
        // Issue 15, item 4: one file per --attach; a positional FILE is the body, never dropped.
        let m = options(&["--message", "--attach", "a.pdf", "b.txt"])
            .unwrap()
            .message
            .unwrap();
        assert_eq!(m.attach, [PathBuf::from("a.pdf")]);
        assert_eq!(m.text_file, Some(PathBuf::from("b.txt")));
        for twice in [
            &["--message", "--text-file", "t", "b.txt"][..],
            &["--message", "--text", "t", "b.txt"],
        ] {
            let e = options(twice).unwrap_err();
            assert_eq!(e.kind(), crate::error::ErrorKind::Usage, "{twice:?}");
        }
        let e = options(&["--header", "a\r\nBcc: x"]).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Usage);
        assert_eq!(e.to_string(), "--header: CR, LF or NUL in a header value");
    }
}
