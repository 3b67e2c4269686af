//! `ftp-rm [-r] [--force] [--dry-run] URL...`: clap definition, usage checks and entry point.

use std::process::ExitCode;

use clap::Parser;

use super::common::{FtpArgs, NetArgs};
use crate::error::{Error, Result};
use crate::ops::common::OutputMode;
use crate::ops::ftp::connect::FTP_SCHEMES;
use crate::ops::ftp::get::{glob_pattern, has_glob};
use crate::ops::ftp::rm::{self, Options};
use crate::terminal::escape;
use crate::url::Target;

/// Remove remote files, globs and trees over FTP or FTPS.
#[derive(Debug, Parser)]
#[command(
    name = "ftp-rm",
    version,
    about = "Remove remote files, globs and (with -r) directory trees over FTP or FTPS",
    long_about = "Remove remote files, globs and (with -r) directory trees over FTP or FTPS.\n\n\
        A glob (*, ?, [..]) in the last path segment matches the names in its directory (a leading dot \
        must be matched literally). A URL ending in / names a directory. With -r a tree is listed \
        whole first, then removed depth-first: each directory's files first, then its subdirectories, \
        then the directory itself (RMD). Symlinks are removed as entries, never followed. A directory \
        that still holds something that could not be removed is left in place (exit 10). The login \
        directory (ftp://host/) or root (ftp://host/%2F) is refused with -r unless --force is given, \
        and even then only emptied.\n\n\
        Per-entry status words in --json: ok, skipped (--dry-run, or not attempted), failed.",
    after_help = super::exit_codes_help(),
    after_long_help = super::examples_and_codes(EXAMPLES),
)]
pub struct Args {
    /// ftp:// or ftps:// URLs of files, globs or (with -r) directories.
    #[arg(value_name = "URL", required = true)]
    pub urls: Vec<String>,
    /// Remove directories and everything in them (at most 64 levels).
    #[arg(short = 'r', short_alias = 'R', long = "recursive")]
    pub recursive: bool,
    /// Allow -r on the login or root directory (it is emptied, not removed).
    #[arg(long)]
    pub force: bool,
    /// Print what would be removed (stdout; with --json the document) and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ftp: FtpArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub net: NetArgs,
}

const EXAMPLES: &str = "Examples:
  ftp-rm ftp://bob@h/incoming/old.zip
  ftp-rm 'ftp://bob@h/logs/*.gz' --dry-run
  ftp-rm -r ftps://bob@h/site/build/ --cacert ca.pem
  ftp-rm --json -r ftp://bob@h/tmp/ | jq '.entries[] | select(.status == \"failed\")'";

impl TryFrom<Args> for Options {
    type Error = Error;

    /// Parses the URLs and checks them against the flags (exit 2 here, before any connection).
    fn try_from(a: Args) -> Result<Options> {
        let mut targets = Vec::new();
        for url in &a.urls {
            let t = Target::parse(url, FTP_SCHEMES)?;
            let path = crate::ftp::RemotePath::new(t.path.clone());
            if has_glob(&t.path) {
                glob_pattern(path.last())?;
            } else if !a.recursive && (t.path.is_empty() || t.path.ends_with('/')) {
                return Err(Error::usage(format!(
                    "{} names a directory: use -r to remove it and everything in it",
                    escape(&t.display())
                )));
            }
            if a.recursive && !a.force && is_login_or_root(&t.path) {
                return Err(Error::usage(format!(
                    "refusing to remove everything in the login or root directory ({}): \
                     add --force if you mean it",
                    escape(&t.display())
                )));
            }
            targets.push(t);
        }
        Ok(Options {
            targets,
            recursive: a.recursive,
            dry_run: a.dry_run,
            mode: a.ftp.mode(),
            limit: a.ftp.limit()?,
            net: a.net.options()?,
        })
    }
}

/// Whether an FTP URL path names the login directory or the root: `""`, `/`, or anything that resolves
/// to them or above (`.`, `a/..`, `/./`), since the server resolves the dots.
fn is_login_or_root(path: &str) -> bool {
    let mut depth = 0usize;
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return true,
            },
            _ => depth += 1,
        }
    }
    depth == 0
}

/// The options and output mode of a parsed command line.
pub fn options(a: Args) -> Result<(Options, OutputMode)> {
    let mode = a.net.output();
    Ok((Options::try_from(a)?, mode))
}

/// The `ftp-rm` binary.
pub fn main() -> ExitCode {
    super::run_tool("ftp-rm", options, rm::run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(argv: &[&str]) -> Result<Options> {
        super::super::common::testing::options::<Args, Options>("ftp-rm", argv)
    }

    fn usage(argv: &[&str]) -> String {
        super::super::common::testing::usage_error::<Args, Options>("ftp-rm", argv)
    }

    #[test]
    fn urls_and_flags() {
        let o = opts(&["-r", "--dry-run", "ftp://h/a/", "ftps://h/%2Fb/*.txt"]).unwrap();
        assert!(o.recursive && o.dry_run);
        assert_eq!(o.targets[0].path, "a/");
        assert_eq!(o.targets[1].path, "/b/*.txt");
        assert!(!opts(&["ftp://h/f"]).unwrap().recursive);
    }

    #[test]
    fn the_login_or_root_directory_needs_force() {
        for url in [
            "ftp://h",
            "ftp://h/",
            "ftp://h/%2F",
            "ftp://h//",
            "ftp://h/.",
            "ftp://h/a/..",
        ] {
            let e = usage(&["-r", url]);
            assert!(e.contains("add --force"), "{url}: {e}");
        }
        assert_eq!(
            opts(&["-r", "--force", "ftp://h/"]).unwrap().targets.len(),
            1
        );
        assert!(opts(&["-r", "ftp://h/a/../b"]).is_ok());
        assert!(opts(&["-r", "ftp://h/*"]).is_ok());
    }

    #[test]
    fn usage_errors() {
        assert!(usage(&["ftp://h/dir/"]).contains("use -r"));
        assert!(usage(&["ftp://h/"]).contains("use -r"));
        assert!(usage(&["ftp://h/[a"]).contains("bad glob"));
        assert!(usage(&["pop3://h/a"]).contains("scheme"));
        assert!(usage(&[]).contains("URL"));
    }
}
