//! `ftp-ls URL`: clap definition and entry point.

use std::process::ExitCode;

use clap::Parser;

use super::common::{FtpArgs, NetArgs};

/// List a directory over FTP or FTPS.
#[derive(Debug, Parser)]
#[command(
    name = "ftp-ls",
    version,
    about = "List a remote directory over FTP or FTPS",
    long_about = "List a remote directory over FTP or FTPS.\n\n\
        Uses MLSD when the server offers MLST, else LIST (Unix and DOS formats are parsed), else NLST. \
        Names containing control characters are escaped in text output; --json gives them exactly.",
    after_help = super::exit_codes_help(),
    after_long_help = super::examples_and_codes(EXAMPLES),
)]
pub struct Args {
    /// ftp:// or ftps:// URL of a directory (default: the login directory).
    #[arg(value_name = "URL")]
    pub url: String,
    /// Long format: type, permissions, size, modification time (UTC), name.
    #[arg(short = 'l', long = "long")]
    pub long: bool,
    /// Recurse into subdirectories (at most 64 levels; symlinks are not followed).
    #[arg(short = 'R', long = "recursive")]
    pub recursive: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ftp: FtpArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub net: NetArgs,
}

const EXAMPLES: &str = "Examples:
  ftp-ls ftp://ftp.example.com/pub/
  ftp-ls -lR ftps://bob@h/projects/ --cacert ca.pem
  ftp-ls --json ftp://h/%2Fvar/log/ | jq '.entries[] | select(.type == \"file\") | .path'";

/// The `ftp-ls` binary.
pub fn main() -> ExitCode {
    super::run::<Args, _>("ftp-ls", |a| crate::ops::ftp::ls::run(&a))
}
