//! `ftp-put FILE... URL`: clap definition and entry point.

use std::process::ExitCode;

use clap::Parser;

use super::common::{FtpArgs, NetArgs};

/// Upload files over FTP or FTPS.
#[derive(Debug, Parser)]
#[command(
    name = "ftp-put",
    version,
    about = "Upload files over FTP or FTPS (explicit AUTH TLS or implicit)",
    long_about = "Upload files over FTP or FTPS (explicit AUTH TLS or implicit).\n\n\
        A URL ending in / is a directory: each FILE keeps its name there. Otherwise the URL names the \
        uploaded file (one FILE only). An upload counts only once the data connection is closed (TLS \
        close_notify first) and the server confirms it with 226/250. Paths are relative to the login \
        directory; start the path with %2F for an absolute one.",
    after_help = super::exit_codes_help(),
    after_long_help = super::examples_and_codes(EXAMPLES),
)]
pub struct Args {
    /// Local files to upload ("-" reads standard input; needs a URL naming the file).
    #[arg(required = true, value_name = "FILE", num_args = 1..)]
    pub files: Vec<String>,
    /// ftp:// or ftps:// URL of the remote file, or of a directory when it ends in /.
    #[arg(required = true, value_name = "URL")]
    pub url: String,
    /// Upload directories with everything in them, creating remote directories (at most 64 levels;
    /// local symlinks are not followed).
    #[arg(short = 'R', long = "recursive")]
    pub recursive: bool,
    /// Create missing remote directories of the URL first (MKD; "already exists" is fine).
    #[arg(long)]
    pub mkdirs: bool,
    /// Append to the remote file (APPE) instead of replacing it.
    #[arg(long, conflicts_with_all = ["resume", "atomic"])]
    pub append: bool,
    /// Resume: ask the remote size (SIZE), send only the rest (APPE), then check the final size.
    #[arg(short = 'c', long = "resume", conflicts_with = "atomic")]
    pub resume: bool,
    /// Upload to a temporary name in the target directory, then rename it (RNFR/RNTO) over the target;
    /// if the server refuses the rename, exit 6 naming the temporary file (nothing is deleted).
    #[arg(long)]
    pub atomic: bool,
    /// Set the remote file's mode after the upload (SITE CHMOD), e.g. 644.
    #[arg(long, value_name = "MODE")]
    pub chmod: Option<String>,
    /// Remove each local file once the server has confirmed its upload.
    #[arg(long)]
    pub delete_after: bool,
    /// Upload with N sessions at once (several files, -R), each with its own data connections.
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
  ftp-put report.pdf ftp://bob@h/outbox/                    # into a directory, keeping the name
  tar c dir | ftp-put - ftp://bob@h/backup/dir.tar          # from standard input
  ftp-put --atomic --chmod 644 site.tgz ftps://h/www/site.tgz
  ftp-put -c big.iso ftp://h/isos/big.iso --retries 5       # resume a cut upload
  ftp-put -R --parallel 4 --mkdirs photos ftp://h/backup/2024/
  ftp-put --json a.csv b.csv ftp://h/in/ | jq '.files[] | select(.status != \"ok\")'";

/// The `ftp-put` binary.
pub fn main() -> ExitCode {
    super::run::<Args, _>("ftp-put", |a| crate::ops::ftp::put::run(&a))
}
