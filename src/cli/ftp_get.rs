//! `ftp-get URL... [-o FILE | -O DIR]`: clap definition and entry point.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use super::common::{FtpArgs, NetArgs};
use super::ftp_sync::SyncArgs;
use crate::error::{Error, Result};
use crate::ftp::RemotePath;
use crate::ops::common::OutputMode;
use crate::ops::ftp::connect::FTP_SCHEMES;
use crate::ops::ftp::get::{self, Dest, Options, glob_pattern, has_glob};
use crate::url::Target;

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
        downloads every matching file.\n\n\
        With --json, standard output gets {\"files\": [...]}: one record per file with url, path, bytes, \
        status and error. status is \"ok\" (downloaded; error is null), \"skipped\" (left alone: \
        error.exit_code is 0 for a skip by design, such as a symlink not followed, and 10 for an unsafe name) \
        or \"failed\" (error.exit_code is the code this file alone would exit with); a local entry removed by \
        --delete has \"action\": \"deleted\".\n\n\
        Mirroring (-R): a file is skipped when the local copy has the server's size and modification time \
        (MLSD facts, else MDTM when the sizes match); downloaded files get the server's time, so the next run \
        can compare. Dotfiles are included (MLSD, or LIST -a). --dry-run prints the plan first. Exit 0 when \
        everything is in sync, 10 when some files failed or a --delete was refused. The local tree is locked \
        for the whole run: a second run into it waits for the first (up to --timeout, at most 10 s), then \
        exits 7.",
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
    /// Write files into DIR under their remote names (default: the current directory; created when
    /// missing).
    #[arg(short = 'O', long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Resume: continue a partial download (SIZE + REST); a complete file is left as it is. A partial
    /// or complete-looking file whose bytes differ from the remote file's (the server's MD5 of that
    /// range, XMD5, when it offers one), else one written before the remote file last changed (MDTM),
    /// or one longer than the remote file, is downloaded again.
    /// The partial data is kept as .NAME.ferry-part (also when the run is stopped by a signal) for the
    /// next -c; without -c an interrupted download leaves nothing behind.
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
    /// (exit 10). Files and directories get the server's times (directories once their files are in).
    /// The local tree is locked for the run (a second run waits up to 10 s, then exits 7), and
    /// temporary files that killed runs left in it (untouched for an hour) are removed.
    #[arg(short = 'R', long = "recursive")]
    pub recursive: bool,
    /// Download with N sessions at once (several URLs, globs, -R), each with its own data connections.
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
  ftp-get ftp://ftp.example.com/pub/README                      # anonymous, into ./README
  ftp-get -o - ftp://h/pub/data.csv | head                      # to stdout
  ftp-get -O out 'ftp://bob@h/reports/*.csv' --starttls -c      # glob, explicit TLS, resume
  ftp-get ftps://h/%2Fsrv/big.iso --retries 3 --preserve        # implicit TLS, absolute path
  ftp-get -R --parallel 4 -O mirror ftp://h/pub/tree/           # mirror a tree into mirror/tree
  ftp-get -R --delete --exclude '*.tmp' -O m ftp://h/site/      # nightly: changed files, drop vanished
  ftp-get -R --dry-run --json -O m ftp://h/site/                # what would change, as JSON
  ftp-get --netrc-file ~/.netrc-ftp --json ftp://bob@h/a ftp://bob@h/b";

impl TryFrom<Args> for Options {
    type Error = Error;

    /// Checks every flag combination and parses the URLs (exit 2 here, before any connection).
    fn try_from(a: Args) -> Result<Options> {
        let targets: Vec<Target> = a
            .urls
            .iter()
            .map(|u| Target::parse(u, FTP_SCHEMES))
            .collect::<Result<_>>()?;
        let globbed = |t: &Target| has_glob(&t.path);
        let single = targets.len() == 1 && !targets.iter().any(globbed) && !a.recursive;
        let dest = match (a.output, a.output_dir) {
            (Some(o), _) if o.as_os_str() == "-" => Dest::Stdout,
            (Some(o), _) => Dest::File(o),
            (None, d) => Dest::Dir(d.unwrap_or_else(|| PathBuf::from("."))),
        };
        if a.recursive && !matches!(dest, Dest::Dir(_)) {
            return Err(Error::usage("-R writes a tree: use -O DIR, not -o"));
        }
        if matches!(dest, Dest::File(_)) && !single {
            return Err(Error::usage(
                "-o FILE takes one URL without a glob; use -O DIR for several files",
            ));
        }
        if a.sync.dry_run && a.delete_after {
            return Err(Error::usage(
                "--dry-run changes nothing: drop --delete-after",
            ));
        }
        if a.ascii && a.resume {
            return Err(Error::usage("--ascii transfers cannot be resumed (-c)"));
        }
        if a.recursive && targets.iter().any(globbed) {
            return Err(Error::usage("-R takes directory URLs, not globs"));
        }
        if !a.recursive {
            for t in &targets {
                let path = RemotePath::new(t.path.clone());
                let last = path.last();
                if last.is_empty() {
                    return Err(Error::usage(format!(
                        "{} names a directory, not a file",
                        t.display()
                    )));
                }
                if has_glob(last) {
                    glob_pattern(last)?;
                }
            }
        }
        Ok(Options {
            targets,
            dest,
            resume: a.resume,
            ascii: a.ascii,
            preserve: a.preserve,
            delete_after: a.delete_after,
            recursive: a.recursive,
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

/// The `ftp-get` binary.
pub fn main() -> ExitCode {
    super::run_tool("ftp-get", options, get::run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(argv: &[&str]) -> Result<Options> {
        super::super::common::testing::options::<Args, Options>("ftp-get", argv)
    }

    fn usage(argv: &[&str]) -> String {
        super::super::common::testing::usage_error::<Args, Options>("ftp-get", argv)
    }

    #[test]
    fn every_usage_error_is_raised_here() {
        assert_eq!(
            usage(&["-R", "-o", "x", "ftp://h/d/"]),
            "-R writes a tree: use -O DIR, not -o"
        );
        assert_eq!(
            usage(&["-R", "-o", "-", "ftp://h/d/"]),
            "-R writes a tree: use -O DIR, not -o"
        );
        assert_eq!(
            usage(&["-o", "x", "ftp://h/a", "ftp://h/b"]),
            "-o FILE takes one URL without a glob; use -O DIR for several files"
        );
        assert_eq!(
            usage(&["-o", "x", "ftp://h/*.csv"]),
            "-o FILE takes one URL without a glob; use -O DIR for several files"
        );
        assert_eq!(
            usage(&["--ascii", "-c", "ftp://h/a"]),
            "--ascii transfers cannot be resumed (-c)"
        );
        assert_eq!(
            usage(&["-R", "ftp://h/*.d"]),
            "-R takes directory URLs, not globs"
        );
        assert_eq!(
            usage(&["ftp://h/pub/"]),
            "ftp://h:21/pub/ names a directory, not a file"
        );
        assert!(usage(&["ftp://h/[z-a"]).starts_with("bad glob \"[z-a\""));
        assert!(usage(&["imap://h/a"]).starts_with("bad URL"));
        assert!(usage(&["--timeout", "0", "ftp://h/a"]).contains("--timeout"));
        assert_eq!(
            usage(&["--delete", "ftp://h/a"]),
            "--delete mirrors a tree: use it with -R"
        );
        // --delete-excluded implies --delete (as rsync's); --max-delete needs either.
        assert!(
            opts(&["-R", "--delete-excluded", "ftp://h/d/"])
                .unwrap()
                .sync
                .delete
        );
        assert_eq!(
            usage(&["--delete-excluded", "ftp://h/a"]),
            "--delete-excluded mirrors a tree: use it with -R"
        );
        assert_eq!(
            usage(&["-R", "--max-delete", "3", "ftp://h/d/"]),
            "--max-delete needs --delete"
        );
        assert!(usage(&["-R", "--newer", "--overwrite", "ftp://h/d/"]).contains("--overwrite"));
        assert!(usage(&["-R", "--exclude", "[z-", "ftp://h/d/"]).starts_with("bad filter pattern"));
        assert!(
            usage(&["-R", "--newer-than", "yesterday", "ftp://h/d/"]).starts_with("--newer-than")
        );
        assert!(
            usage(&["-R", "--exclude-from", "/nonexistent/x", "ftp://h/d/"])
                .starts_with("--exclude-from /nonexistent/x")
        );
        assert_eq!(
            usage(&["--dry-run", "--delete-after", "ftp://h/a"]),
            "--dry-run changes nothing: drop --delete-after"
        );
    }

    #[test]
    fn mirroring_flags() {
        use crate::ops::ftp::sync::Compare;
        assert_eq!(
            opts(&["ftp://h/a"]).unwrap().sync.compare,
            Compare::Overwrite
        );
        assert_eq!(
            opts(&["--newer", "ftp://h/a"]).unwrap().sync.compare,
            Compare::Newer
        );
        assert_eq!(
            opts(&["-R", "ftp://h/d/"]).unwrap().sync.compare,
            Compare::Newer
        );
        let o = opts(&["-R", "--size-only", "ftp://h/d/"]).unwrap();
        assert_eq!(o.sync.compare, Compare::SizeOnly);
        let o = opts(&["-R", "--ignore-time", "ftp://h/d/"]).unwrap();
        assert_eq!(o.sync.compare, Compare::IgnoreTime);
        assert!(!o.keeps_time());
        for flag in ["--only-missing", "--ignore-existing"] {
            let o = opts(&["-R", flag, "ftp://h/d/"]).unwrap();
            assert_eq!(o.sync.compare, Compare::Missing);
            assert!(o.keeps_time());
        }
        assert!(opts(&["-R", "--only-missing", "--overwrite", "ftp://h/d/"]).is_err());
        assert!(opts(&["-R", "ftp://h/d/"]).unwrap().keeps_time());
        assert!(!opts(&["ftp://h/a"]).unwrap().keeps_time());
        // Include and exclude rules keep their command-line order.
        let o = opts(&[
            "-R",
            "--exclude",
            "*.log",
            "--include",
            "keep.log",
            "ftp://h/d/",
        ])
        .unwrap();
        assert!(o.sync.filters.excluded("keep.log", false).is_some());
        let o = opts(&[
            "-R",
            "--include",
            "keep.log",
            "--exclude",
            "*.log",
            "--delete",
            "--max-delete",
            "5",
            "--delete-excluded",
            "--no-dotfiles",
            "--dry-run",
            "ftp://h/d/",
        ])
        .unwrap();
        assert!(o.sync.filters.excluded("keep.log", false).is_none());
        assert!(o.sync.filters.excluded(".x", false).is_some());
        assert!(o.sync.delete && o.sync.delete_excluded && o.sync.dry_run);
        assert_eq!(o.sync.max_delete, Some(5));
        // An --exclude-from file's rules stand where the flag does, as in rsync.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rules");
        std::fs::write(&file, "# logs\n*.log\n+ x.tmp\n").unwrap();
        let file = file.to_str().unwrap();
        let o = opts(&[
            "-R",
            "--exclude-from",
            file,
            "--include",
            "keep.log",
            "ftp://h/d/",
        ])
        .unwrap();
        assert!(o.sync.filters.excluded("keep.log", false).is_some());
        let o = opts(&[
            "-R",
            "--include",
            "keep.log",
            "--exclude-from",
            file,
            "ftp://h/d/",
        ])
        .unwrap();
        assert!(o.sync.filters.excluded("keep.log", false).is_none());
        assert!(o.sync.filters.excluded("other.log", false).is_some());
        let o = opts(&[
            "-R",
            "--exclude-from",
            file,
            "--exclude",
            "*.tmp",
            "ftp://h/d/",
        ])
        .unwrap();
        assert!(o.sync.filters.excluded("x.tmp", false).is_none());
        assert!(o.sync.filters.excluded("y.tmp", false).is_some());
    }

    #[test]
    fn flags_become_plain_options() {
        let o = opts(&["ftp://h/a"]).unwrap();
        assert_eq!(o.dest, Dest::Dir(PathBuf::from(".")));
        assert_eq!(o.mode, crate::ftp::DataMode::Passive);
        assert_eq!((o.parallel, o.net.retry.retries), (1, 0));
        assert_eq!(o.targets[0].path, "a");
        let o = opts(&[
            "-o",
            "-",
            "--active",
            "--retries",
            "3",
            "ftp://h/a",
            "ftp://h/b",
        ])
        .unwrap();
        assert_eq!(o.dest, Dest::Stdout);
        assert_eq!(o.mode, crate::ftp::DataMode::Active);
        assert_eq!(o.net.retry.retries, 3);
        let o = opts(&[
            "-R",
            "-O",
            "m",
            "--parallel",
            "4",
            "--no-epsv",
            "ftp://h/t/",
        ])
        .unwrap();
        assert_eq!(o.dest, Dest::Dir(PathBuf::from("m")));
        assert_eq!(o.mode, crate::ftp::DataMode::PassiveNoEpsv);
        assert!(o.recursive && o.parallel == 4);
        let o = opts(&[
            "-o",
            "f",
            "--ascii",
            "--preserve",
            "--delete-after",
            "ftp://h/a",
        ])
        .unwrap();
        assert_eq!(o.dest, Dest::File(PathBuf::from("f")));
        assert!(o.ascii && o.preserve && o.delete_after && !o.resume);
    }
}
