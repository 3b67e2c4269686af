//! `ftp-put FILE... URL`: clap definition and entry point.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use super::common::{FtpArgs, NetArgs};
use super::ftp_sync::SyncArgs;
use crate::error::{Error, Result};
use crate::ops::common::OutputMode;
use crate::ops::ftp::connect::FTP_SCHEMES;
use crate::ops::ftp::put::{self, Options, Source, WriteMode, is_dir_url};
use crate::terminal::escape;
use crate::url::Target;

/// Upload files over FTP or FTPS.
#[derive(Debug, Parser)]
#[command(
    name = "ftp-put",
    version,
    about = "Upload files over FTP or FTPS (explicit AUTH TLS or implicit)",
    long_about = "Upload files over FTP or FTPS (explicit AUTH TLS or implicit).\n\n\
        A URL ending in / is a directory: each FILE keeps its name there (`.` puts the current \
        directory's contents in it, as cp does). Otherwise the URL names the \
        uploaded file (one FILE only). An upload counts only once the data connection is closed (TLS \
        close_notify first) and the server confirms it with 226/250. Paths are relative to the login \
        directory; start the path with %2F for an absolute one.\n\n\
        With --json, standard output gets {\"files\": [...]}: one record per file with url, path, bytes, \
        status and error. status is \"ok\" (uploaded and confirmed; error is null), \"skipped\" (left \
        alone: error.exit_code is 0 for a skip by design, such as a symlink not followed, and 10 for a name \
        that cannot be sent) or \"failed\" (error.exit_code is the code this file alone would exit with); a \
        remote entry removed by --delete has \"action\": \"deleted\".\n\n\
        Mirroring (-R): a file is skipped when the remote copy has the local size and modification time \
        (MLSD facts, else MDTM when the sizes match); uploaded files get the local time with MFMT or SITE \
        UTIME when the server offers one. -c appends only onto a remote part that is the start of the local \
        file: the server's MD5 (HASH, XMD5) says so, or, without one, the remote part was written after the \
        local file last changed; otherwise the file is uploaded whole. --dry-run prints the plan first.",
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
    /// Create missing remote directories of the URL first (MKD; "already exists" is fine); with -R
    /// and only directories to send, once a tree's target turns out missing (an existing one costs
    /// no MKD).
    #[arg(long)]
    pub mkdirs: bool,
    /// Append to the remote file (APPE) instead of replacing it.
    #[arg(long, conflicts_with_all = ["resume", "atomic"])]
    pub append: bool,
    /// Resume: ask the remote size (SIZE), send only the rest (APPE), then check the final size. The
    /// remote part must be the start of the local file (server MD5 via HASH/XMD5, else written after the
    /// local file last changed); otherwise the whole file is uploaded. A remote file as long as the
    /// local one is left as it is on the same evidence.
    #[arg(short = 'c', long = "resume", conflicts_with = "atomic")]
    pub resume: bool,
    /// Upload to a temporary name in the target directory, then rename it (RNFR/RNTO) over the target;
    /// if the server refuses the rename, exit 6 naming the temporary file (nothing is deleted). Stopped by
    /// a signal, it deletes the temporary file (DELE, waiting at most 2 s); it remains if the connection
    /// is gone.
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
    pub sync: SyncArgs,
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
  ftp-put -R --delete --max-delete 50 site ftp://h/www/      # publish: changed files, drop vanished
  ftp-put --json a.csv b.csv ftp://h/in/ | jq '.files[] | select(.status != \"ok\")'";

impl TryFrom<Args> for Options {
    type Error = Error;

    /// Checks every flag combination and parses the URL (exit 2 here, before any connection).
    fn try_from(a: Args) -> Result<Options> {
        let target = Target::parse(&a.url, FTP_SCHEMES)?;
        if let Some(mode) = &a.chmod
            && !(matches!(mode.len(), 3 | 4) && mode.bytes().all(|b| (b'0'..=b'7').contains(&b)))
        {
            return Err(Error::usage(format!(
                "--chmod takes an octal mode such as 644, not {}",
                escape(mode)
            )));
        }
        let dir_url = is_dir_url(&target.path);
        let stdin = a.files.iter().filter(|f| *f == "-").count();
        if stdin > 0 {
            if stdin > 1 || a.files.len() > 1 {
                return Err(Error::usage("\"-\" (standard input) must be the only FILE"));
            }
            if dir_url {
                return Err(Error::usage(
                    "standard input has no name: give a URL naming the file, not a directory",
                ));
            }
            if a.resume || a.delete_after || a.recursive {
                return Err(Error::usage(
                    "-c, --delete-after and -R need files, not standard input",
                ));
            }
        }
        if a.sync.dry_run && a.delete_after {
            return Err(Error::usage(
                "--dry-run changes nothing: drop --delete-after",
            ));
        }
        if a.files.len() > 1 && !dir_url {
            return Err(Error::usage(
                "several FILEs need a directory URL (ending in /)",
            ));
        }
        let write = if a.atomic {
            WriteMode::Atomic
        } else if a.resume {
            WriteMode::Resume
        } else if a.append {
            WriteMode::Append
        } else {
            WriteMode::Replace
        };
        let sources = a
            .files
            .iter()
            .map(|f| match f.as_str() {
                "-" => Source::Stdin,
                f => Source::File(PathBuf::from(f)),
            })
            .collect();
        Ok(Options {
            sources,
            target,
            recursive: a.recursive,
            mkdirs: a.mkdirs,
            write,
            chmod: a.chmod,
            delete_after: a.delete_after,
            parallel: usize::from(a.parallel),
            mode: a.ftp.mode(),
            limit: a.ftp.limit()?,
            net: a.net.options()?,
            sync: a.sync.options(a.recursive)?,
        })
    }
}

/// The options and output mode of a parsed command line.
pub fn options(a: Args) -> Result<(Options, OutputMode)> {
    let mode = a.net.output();
    Ok((Options::try_from(a)?, mode))
}

/// The `ftp-put` binary.
pub fn main() -> ExitCode {
    super::run_tool("ftp-put", options, put::run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(argv: &[&str]) -> Result<Options> {
        super::super::common::testing::options::<Args, Options>("ftp-put", argv)
    }

    fn usage(argv: &[&str]) -> String {
        super::super::common::testing::usage_error::<Args, Options>("ftp-put", argv)
    }

    #[test]
    fn every_usage_error_is_raised_here() {
        assert_eq!(
            usage(&["--chmod", "9x", "f", "ftp://h/f"]),
            "--chmod takes an octal mode such as 644, not 9x"
        );
        assert_eq!(
            usage(&["--chmod", "64", "f", "ftp://h/f"]),
            "--chmod takes an octal mode such as 644, not 64"
        );
        assert_eq!(
            usage(&["-", "-", "ftp://h/f"]),
            "\"-\" (standard input) must be the only FILE"
        );
        assert_eq!(
            usage(&["-", "a", "ftp://h/d/"]),
            "\"-\" (standard input) must be the only FILE"
        );
        assert_eq!(
            usage(&["-", "ftp://h/d/"]),
            "standard input has no name: give a URL naming the file, not a directory"
        );
        for flag in ["-c", "--delete-after", "-R"] {
            assert_eq!(
                usage(&[flag, "-", "ftp://h/f"]),
                "-c, --delete-after and -R need files, not standard input"
            );
        }
        assert_eq!(
            usage(&["a", "b", "ftp://h/f"]),
            "several FILEs need a directory URL (ending in /)"
        );
        assert!(usage(&["a", "smtp://h/f"]).starts_with("bad URL"));
        assert!(usage(&["--connect-timeout", "0", "a", "ftp://h/"]).contains("--connect-timeout"));
    }

    #[test]
    fn flags_become_plain_options() {
        let o = opts(&["a", "-", "ftp://h/in/"]);
        assert!(o.is_err());
        let o = opts(&["a", "b", "ftp://h/in/"]).unwrap();
        assert_eq!(
            o.sources,
            [Source::File("a".into()), Source::File("b".into())]
        );
        assert_eq!(
            (o.write, o.target.path.as_str()),
            (WriteMode::Replace, "in/")
        );
        let o = opts(&["--append", "-", "ftp://h/f"]).unwrap();
        assert_eq!(
            (o.sources, o.write),
            (vec![Source::Stdin], WriteMode::Append)
        );
        let o = opts(&["-c", "--chmod", "0644", "--parallel", "3", "a", "ftp://h/f"]).unwrap();
        assert_eq!(
            (o.write, o.chmod.as_deref(), o.parallel),
            (WriteMode::Resume, Some("0644"), 3)
        );
        let o = opts(&["--atomic", "--mkdirs", "--active", "a", "ftp://h/f"]).unwrap();
        assert_eq!(o.write, WriteMode::Atomic);
        assert!(o.mkdirs && o.mode == crate::ftp::DataMode::Active);
    }
}
