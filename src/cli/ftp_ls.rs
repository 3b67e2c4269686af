//! `ftp-ls URL`: clap definition and entry point.

use std::process::ExitCode;

use clap::Parser;

use super::common::{FtpArgs, NetArgs};
use crate::error::{Error, Result};
use crate::ops::common::OutputMode;
use crate::ops::ftp::connect::FTP_SCHEMES;
use crate::ops::ftp::ls::{self, Options};
use crate::url::Target;

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
    /// Show names starting with a dot on every server: MLSD, else `LIST -a` (without it, dotfiles
    /// show as the server's NLST or LIST gives them: vsftpd and ProFTPD hide them). A directory the
    /// server may not be read is an error, not a listing of itself.
    #[arg(short = 'a', long = "all")]
    pub all: bool,
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
  ftp-ls -la ftp://h/www/                      # .htaccess and other dotfiles too
  ftp-ls --json ftp://h/%2Fvar/log/ | jq '.entries[] | select(.type == \"file\") | .path'";

impl TryFrom<Args> for Options {
    type Error = Error;

    /// Parses the URL and the flags (exit 2 here, before any connection).
    fn try_from(a: Args) -> Result<Options> {
        Ok(Options {
            target: Target::parse(&a.url, FTP_SCHEMES)?,
            long: a.long,
            recursive: a.recursive,
            all: a.all,
            mode: a.ftp.mode(),
            limit: a.ftp.limit()?,
            net: a.net.options()?,
        })
    }
}

/// The options and output mode of a parsed command line.
pub fn options(a: Args) -> Result<(Options, OutputMode)> {
    let mode = a.net.output();
    Ok((Options::try_from(a)?, mode))
}

/// The `ftp-ls` binary.
pub fn main() -> ExitCode {
    super::run_tool("ftp-ls", options, ls::run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn opts(argv: &[&str]) -> Result<Options> {
        super::super::common::testing::options::<Args, Options>("ftp-ls", argv)
    }

    #[test]
    fn urls_and_flags() {
        let o = opts(&["-lR", "--no-epsv", "ftps://h/pub/"]).unwrap();
        assert!(o.long && o.recursive);
        assert_eq!(o.mode, crate::ftp::DataMode::PassiveNoEpsv);
        assert_eq!(o.target.path, "pub/");
        let e = opts(&["pop3://h/"]).err().map(|e| e.kind());
        assert_eq!(e, Some(ErrorKind::Usage));
        let e = opts(&["--timeout", "nan", "ftp://h/"])
            .err()
            .map(|e| e.kind());
        assert_eq!(e, Some(ErrorKind::Usage));
    }
}
