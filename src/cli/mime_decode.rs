//! `mime-decode`: clap definition and entry point. Parsing only; the behaviour is `ops::mime::decode`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

use crate::ops::common::OutputMode;
use crate::ops::mime::decode;

/// The transfer encoding to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Encoding {
    /// base64 (RFC 2045 §6.8).
    Base64,
    /// quoted-printable (RFC 2045 §6.7).
    Qp,
}

/// Decode base64 or quoted-printable data, RFC 2047 header text, or take a MIME message apart.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = crate::cli::exit_codes_help(),
    after_long_help = crate::cli::exit_codes_help()
)]
pub struct Args {
    /// Input file; `-` or nothing reads stdin. Decoding a stream, a regular file (named or as stdin) is
    /// mapped rather than copied, and large ones are decoded on two cores where the encoding allows; the
    /// output is the same.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Transfer encoding of the input (without --list/--extract/--text/--header).
    #[arg(short = 'e', long = "encoding", value_enum, default_value = "base64")]
    pub encoding: Encoding,

    /// Make junk in the input an error (exit 9) naming its byte offset, instead of skipping it.
    #[arg(long)]
    pub strict: bool,

    /// Quoted-printable: keep hard line breaks as CRLF (canonical MIME) instead of writing LF, so a
    /// text file encoded on Unix comes back byte for byte. Encoded =0D=0A is data and always kept.
    #[arg(long)]
    pub crlf: bool,

    /// With a message FILE (`-` for stdin): print the decoded value of its header field NAME, one line
    /// per occurrence. Without FILE: decode the RFC 2047 encoded-words in TEXT and print it (unknown
    /// charsets are left as they are; a trailing CR/LF is trimmed).
    #[arg(long, value_name = "NAME|TEXT", conflicts_with_all = ["list", "extract", "text"])]
    pub header: Option<String>,

    /// With --header NAME FILE: print the addr-spec of each address in the field, one per line.
    #[arg(long, requires = "header")]
    pub addresses: bool,

    /// Write the decoded body of one part (its PATH as --list shows it, e.g. 1.2) to stdout.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["list", "extract", "text", "header"])]
    pub part: Option<String>,

    /// List the message's part tree: path, type, charset, encoding, decoded size, file name.
    #[arg(long, conflicts_with_all = ["extract", "text"])]
    pub list: bool,

    /// With --list or --extract: one JSON document on stdout.
    #[arg(long)]
    pub json: bool,

    /// Write every leaf part into DIR (created if missing) under a safe, unique name; prints the names.
    #[arg(long, value_name = "DIR", conflicts_with = "text")]
    pub extract: Option<PathBuf>,

    /// Print the readable body (the first inline text/plain part, else text/html) converted to UTF-8.
    #[arg(long)]
    pub text: bool,
}

impl TryFrom<Args> for decode::Options {
    type Error = crate::Error;

    /// The usage errors clap cannot see: --header NAME with a FILE must be a field name, and
    /// --addresses needs a message to read it from.
    fn try_from(a: Args) -> crate::Result<Self> {
        let (header, field) = match (a.header, &a.file) {
            (Some(name), Some(_)) => {
                if !crate::ops::mime::pick::is_field_name(&name) {
                    return Err(crate::Error::usage(format!(
                        "--header {name:?}: not a header field name (with a FILE, --header names a field)"
                    )));
                }
                (None, Some(name))
            }
            (text, _) => (text, None),
        };
        if a.addresses && field.is_none() {
            return Err(crate::Error::usage(
                "--addresses needs a message FILE (or - for stdin) to read the field from",
            ));
        }
        Ok(decode::Options {
            file: a.file,
            encoding: match a.encoding {
                Encoding::Base64 => decode::Encoding::Base64,
                Encoding::Qp => decode::Encoding::Qp,
            },
            strict: a.strict,
            crlf: a.crlf,
            header,
            field,
            addresses: a.addresses,
            part: a.part,
            list: a.list,
            json: a.json,
            extract: a.extract,
            text: a.text,
        })
    }
}

/// Runs `mime-decode` with the process arguments.
pub fn main() -> ExitCode {
    crate::cli::run_tool(
        "mime-decode",
        |a: Args| Ok((decode::Options::try_from(a)?, OutputMode::default())),
        decode::run,
    )
}
