//! `ftp-get URL... [-o FILE | -O DIR]`: clap definition and entry point.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use super::common::{FtpArgs, NetArgs};

/// Download files over FTP or FTPS.
#[derive(Debug, Parser)]
#[command(
    name = "ftp-get",
    version,
    about = "Download files over FTP or FTPS (explicit AUTH TLS or implicit)",
    long_about = "Download files over FTP or FTPS (explicit AUTH TLS or implicit).\n\n\
        Files are written to a temporary file beside the target, checked against the server's SIZE, fsynced \
        and renamed, so the target name never holds a partial file. Paths are relative to the login \
        directory; start the path with %2F for an absolute one. A glob (*, ?, [..]) in the last path segment \
        downloads every matching file.",
    after_help = super::exit_codes_help(),
    after_long_help = super::examples_and_codes(EXAMPLES),
)]
pub struct Args {
    /// ftp:// or ftps:// URL of a file, or of files with a glob in the last segment.
    #[arg(required = true, value_name = "URL")]
    pub urls: Vec<String>,
    /// Write to FILE ("-" for stdout). One URL only, unless FILE is "-".
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        conflicts_with = "output_dir"
    )]
    pub output: Option<PathBuf>,
    /// Write files into DIR under their remote names (default: the current directory).
    #[arg(short = 'O', long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Resume: continue a partial download (SIZE + REST); a complete file is left as it is.
    #[arg(short = 'c', long = "resume")]
    pub resume: bool,
    /// ASCII mode (TYPE A): CRLF line endings become LF.
    #[arg(long)]
    pub ascii: bool,
    /// Set the local file's modification time from the server's (MDTM).
    #[arg(long)]
    pub preserve: bool,
    /// Delete the remote file after the local copy is committed (DELE).
    #[arg(long)]
    pub delete_after: bool,
    /// Mirror directory URLs: the tree goes into DIR/NAME (NAME: the URL's last segment). At most 64
    /// levels; remote symlinks are not followed and never become local symlinks; unsafe names are skipped
    /// (exit 10).
    #[arg(short = 'R', long = "recursive")]
    pub recursive: bool,
    /// Download with N sessions at once (several URLs, globs, -R), each with its own data connections.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ftp: FtpArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub net: NetArgs,
}

const EXAMPLES: &str = "Examples:
  ftp-get ftp://ftp.example.com/pub/README                      # anonymous, into ./README
  ftp-get -o - ftp://h/pub/data.csv | head                      # to stdout
  ftp-get -O out 'ftp://bob@h/reports/*.csv' --starttls -c      # glob, explicit TLS, resume
  ftp-get ftps://h/%2Fsrv/big.iso --retries 3 --preserve        # implicit TLS, absolute path
  ftp-get -R --parallel 4 -O mirror ftp://h/pub/tree/           # mirror a tree into mirror/tree
  ftp-get --netrc-file ~/.netrc-ftp --json ftp://bob@h/a ftp://bob@h/b";

/// The `ftp-get` binary.
pub fn main() -> ExitCode {
    super::run::<Args, _>("ftp-get", |a| crate::ops::ftp::get::run(&a))
}
