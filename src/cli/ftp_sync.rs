//! The mirroring flags ftp-get and ftp-put share (issue 14): change detection, `--delete`, filters and
//! `--dry-run`, turned into [`SyncOptions`].
//!
//! `--include`, `--exclude` and `--exclude-from` are separate flags whose order matters (the first
//! matching rule wins, as in rsync), so each value is numbered as clap parses it, in command-line order,
//! and the three lists are merged by number.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use clap::Args;

use super::common::parse_size;
use crate::error::{Error, Result};
use crate::ops::ftp::filter::{self, Filters, MAX_EXCLUDE_FILE};
use crate::ops::ftp::sync::{Compare, SyncOptions};

/// A `--include`/`--exclude` value with its position on the command line.
#[derive(Debug, Clone)]
pub struct Ordered(u64, String);

static NEXT: AtomicU64 = AtomicU64::new(0);

fn ordered(s: &str) -> std::result::Result<Ordered, String> {
    Ok(Ordered(NEXT.fetch_add(1, Ordering::Relaxed), s.to_string()))
}

/// An `--exclude-from` file with its position on the command line.
#[derive(Debug, Clone)]
pub struct OrderedFile(u64, PathBuf);

fn ordered_file(s: &str) -> std::result::Result<OrderedFile, String> {
    Ok(OrderedFile(
        NEXT.fetch_add(1, Ordering::Relaxed),
        PathBuf::from(s),
    ))
}

/// Mirroring flags.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Skip a file whose target has the same size and modification time (the default with -R; without
    /// -R every named file is transferred unless this is given). Times are kept: downloads get the
    /// server's time (as --preserve), uploads set the remote time with MFMT or SITE UTIME; a server with
    /// neither keeps the upload time, and a same-size file counts as unchanged there when the remote copy
    /// is not older than the local one (said once per run; MDTM asked only when the listing's date, to
    /// the minute or day in the server's zone, is within a day of the local time).
    #[arg(long, help_heading = "Mirroring")]
    pub newer: bool,
    /// Transfer every file, changed or not.
    #[arg(long, conflicts_with_all = ["newer", "size_only", "ignore_time"], help_heading = "Mirroring")]
    pub overwrite: bool,
    /// Skip a file whose target has the same size, whatever its time (times are still kept).
    #[arg(long, conflicts_with_all = ["newer", "ignore_time"], help_heading = "Mirroring")]
    pub size_only: bool,
    /// Compare sizes only, and neither ask, compare nor set modification times (fewer round trips).
    #[arg(long, conflicts_with = "newer", help_heading = "Mirroring")]
    pub ignore_time: bool,
    /// Transfer only files the target lacks: an existing one is left as it is, whatever its size or
    /// time (lftp's --only-missing, rsync's --ignore-existing).
    #[arg(long, visible_alias = "ignore-existing", conflicts_with_all = ["newer", "overwrite", "size_only", "ignore_time"], help_heading = "Mirroring")]
    pub only_missing: bool,
    /// With -R: remove target files and directories that are not in the source (local ones for ftp-get,
    /// remote ones with DELE/RMD for ftp-put), only after every transfer succeeded. Nothing is deleted when
    /// part of the source could not be listed, when the source is empty and the target is not, or when
    /// more than --max-delete entries would go (exit 10 saying why). Excluded entries are kept. A target
    /// directory where the source now has a file goes too, with all it holds, just before that file
    /// lands (without --delete that file fails); a target file where the source has a directory is
    /// always replaced, a symlink never.
    #[arg(long, help_heading = "Mirroring")]
    pub delete: bool,
    /// --delete, and also remove target entries that --exclude/--no-dotfiles leave out (implies
    /// --delete, as rsync's).
    #[arg(long, help_heading = "Mirroring")]
    pub delete_excluded: bool,
    /// With --delete: refuse to delete anything when more than N entries would go.
    #[arg(long, value_name = "N", help_heading = "Mirroring")]
    pub max_delete: Option<usize>,
    /// Mirror only paths matching GLOB (repeatable). Rules are tried in command-line order with
    /// --exclude, the first match decides, and a path no rule matches is included. A GLOB without "/"
    /// matches the name at any depth; with "/" the path relative to the mirrored directory ("/" at the
    /// start anchors it); "**" crosses directories, "*" does not; a trailing "/" matches directories only.
    #[arg(long, value_name = "GLOB", value_parser = ordered, help_heading = "Mirroring")]
    pub include: Vec<Ordered>,
    /// Leave out paths matching GLOB (repeatable; see --include). An excluded directory is not entered.
    #[arg(long, value_name = "GLOB", value_parser = ordered, help_heading = "Mirroring")]
    pub exclude: Vec<Ordered>,
    /// Read exclude patterns from FILE, one per line, tried where the flag stands among --include and
    /// --exclude ("# comment"; "+ GLOB" includes, "- GLOB" excludes).
    #[arg(long, value_name = "FILE", value_parser = ordered_file, help_heading = "Mirroring")]
    pub exclude_from: Vec<OrderedFile>,
    /// Only files modified after WHEN: a date (2024-05-01, 2024-05-01T12:00:00Z; UTC) or a duration ago
    /// (90s, 30m, 12h, 7d, 2w).
    #[arg(long, value_name = "WHEN", help_heading = "Mirroring")]
    pub newer_than: Option<String>,
    /// Only files modified before WHEN (as --newer-than).
    #[arg(long, value_name = "WHEN", help_heading = "Mirroring")]
    pub older_than: Option<String>,
    /// Only files of at least SIZE bytes (64k, 10M, 1G).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Mirroring")]
    pub min_size: Option<u64>,
    /// Only files of at most SIZE bytes.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Mirroring")]
    pub max_size: Option<u64>,
    /// With -R: make a target directory only when a file goes into it (lftp's --no-empty-dirs, rsync's
    /// --prune-empty-dirs): with filters such as --include '*/' --include '*.pdf' --exclude '*', the
    /// directories without a PDF are not made. Directories that exist are left as they are.
    #[arg(long, visible_alias = "no-empty-dirs", help_heading = "Mirroring")]
    pub prune_empty_dirs: bool,
    /// Leave out names starting with "." (dotfiles are mirrored by default: MLSD, or LIST -a).
    #[arg(long, help_heading = "Mirroring")]
    pub no_dotfiles: bool,
    /// With -R: leave file modes alone. A mirror otherwise gives each file its source's permission bits
    /// (read, write, execute for user, group and others; never set-id or sticky): a download the mode
    /// the listing shows, less the umask (the owner can always read it), an upload the local file's mode
    /// with SITE CHMOD (a server refusing it is said once). An unchanged file whose mode differs gets its
    /// mode alone. Directories get their source's bits too, always with all rights for their owner (so
    /// the next run can write into them).
    #[arg(long, help_heading = "Mirroring")]
    pub no_perms: bool,
    /// Print the plan (transfer, skip, mkdir, chmod, delete, each with its reason) and change nothing; with
    /// --json the plan is {"dry_run": true, "plan": [{"action", "path", "reason"}], "failed": [...]}
    /// (failed: what the plan already knows fails, as the real run's --json records).
    #[arg(long, help_heading = "Mirroring")]
    pub dry_run: bool,
}

impl SyncArgs {
    /// The mirroring options; `recursive` makes `--newer` the default and allows `--delete`.
    pub fn options(&self, recursive: bool) -> Result<SyncOptions> {
        if (self.delete || self.delete_excluded) && !recursive {
            let flag = if self.delete {
                "--delete"
            } else {
                "--delete-excluded"
            };
            return Err(Error::usage(format!(
                "{flag} mirrors a tree: use it with -R"
            )));
        }
        let compare = if self.only_missing {
            Compare::Missing
        } else if self.overwrite {
            Compare::Overwrite
        } else if self.size_only {
            Compare::SizeOnly
        } else if self.ignore_time {
            Compare::IgnoreTime
        } else if self.newer || recursive {
            Compare::Newer
        } else {
            Compare::Overwrite
        };
        let mut filters = Filters::default();
        enum Rule<'a> {
            Glob(bool, &'a str),
            File(&'a Path),
        }
        let mut rules: Vec<(u64, Rule)> = self
            .include
            .iter()
            .map(|o| (o.0, Rule::Glob(true, o.1.as_str())))
            .chain(
                self.exclude
                    .iter()
                    .map(|o| (o.0, Rule::Glob(false, o.1.as_str()))),
            )
            .chain(self.exclude_from.iter().map(|o| (o.0, Rule::File(&o.1))))
            .collect();
        rules.sort_by_key(|r| r.0);
        for (_, rule) in rules {
            match rule {
                Rule::Glob(include, glob) => filters.push(include, glob)?,
                Rule::File(path) => filters.push_file(&read_exclude_file(path)?)?,
            }
        }
        let now = std::time::SystemTime::now();
        let when = |flag: &str, v: &Option<String>| -> Result<_> {
            v.as_deref()
                .map(|s| {
                    filter::parse_when(s, now).map_err(|e| Error::usage(format!("{flag}: {e}")))
                })
                .transpose()
        };
        filters.newer_than = when("--newer-than", &self.newer_than)?;
        filters.older_than = when("--older-than", &self.older_than)?;
        filters.min_size = self.min_size;
        filters.max_size = self.max_size;
        filters.dotfiles = !self.no_dotfiles;
        let delete = self.delete || self.delete_excluded;
        if self.max_delete.is_some() && !delete {
            return Err(Error::usage("--max-delete needs --delete"));
        }
        Ok(SyncOptions {
            compare,
            delete,
            delete_excluded: self.delete_excluded,
            max_delete: self.max_delete,
            dry_run: self.dry_run,
            filters,
            perms: recursive && !self.no_perms,
            prune_empty_dirs: self.prune_empty_dirs,
        })
    }
}

/// Reads an `--exclude-from` file (at most [`MAX_EXCLUDE_FILE`] bytes, UTF-8).
fn read_exclude_file(path: &std::path::Path) -> Result<String> {
    use std::io::Read;
    let bad = |e: std::io::Error| Error::usage(format!("--exclude-from {}: {e}", path.display()));
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(bad)?
        .take(MAX_EXCLUDE_FILE + 1)
        .read_to_string(&mut text)
        .map_err(bad)?;
    if text.len() as u64 > MAX_EXCLUDE_FILE {
        return Err(Error::usage(format!(
            "--exclude-from {}: larger than {MAX_EXCLUDE_FILE} bytes",
            path.display()
        )));
    }
    Ok(text)
}
