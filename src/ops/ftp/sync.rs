//! What a mirror run decides before it moves a byte: whether each source file needs transferring (size
//! and modification time against the target's), which target entries `--delete` removes and whether that
//! is safe, and the plan `--dry-run` prints.
//!
//! Shared by ftp-get (the source is the server) and ftp-put (the source is the local tree). A target is
//! "unchanged" when it has the source's size and, to the second, its modification time: ftp-get sets the
//! local time from the server's (as `--preserve`), ftp-put sets the remote time with MFMT or SITE UTIME.
//! A server that can set neither keeps the upload time, so there a same-size target counts as unchanged
//! when it is not older than the source (it was written after the source last changed).

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::ftp::Session;
use crate::ftp::list::Kind;
use crate::ops::common::Ui;
use crate::ops::ftp::filter::Filters;
use crate::ops::ftp::record::FileRecord;
use crate::ops::ftp::walk::Node;
use crate::terminal::escape;

/// How a source file is compared with its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// `--newer` (the default of `-R`): skip a target with the same size and modification time.
    Newer,
    /// `--overwrite` (the default without `-R`): always transfer.
    Overwrite,
    /// `--size-only`: skip a target of the same size (times are still set for the next run).
    SizeOnly,
    /// `--ignore-time`: skip a target of the same size; times are neither asked, compared nor set.
    IgnoreTime,
    /// `--only-missing`: transfer only what the target lacks; an existing target is left as it is,
    /// whatever its size or time (new files still get their times).
    Missing,
}

/// What mirroring adds to a transfer run.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// How files are compared.
    pub compare: Compare,
    /// `--delete`: remove target entries that are not in the source.
    pub delete: bool,
    /// `--delete-excluded`: also remove target entries the filters exclude.
    pub delete_excluded: bool,
    /// `--max-delete N`: refuse to delete more than N entries.
    pub max_delete: Option<usize>,
    /// `--dry-run`: print the plan, transfer nothing.
    pub dry_run: bool,
    /// `--include`, `--exclude`, `--no-dotfiles`, size and time limits.
    pub filters: Filters,
    /// A mirror (`-R`) without `--no-perms`: files get their source's permission bits.
    pub perms: bool,
    /// `--prune-empty-dirs`: a target directory is made only when a file goes into it.
    pub prune_empty_dirs: bool,
}

impl Default for SyncOptions {
    fn default() -> SyncOptions {
        SyncOptions {
            compare: Compare::Overwrite,
            delete: false,
            delete_excluded: false,
            max_delete: None,
            dry_run: false,
            filters: Filters::default(),
            perms: false,
            prune_empty_dirs: false,
        }
    }
}

impl SyncOptions {
    /// Whether modification times are asked and set (everything but `--ignore-time` and `--overwrite`
    /// without `-R` keeps them, so the next run can compare).
    pub fn keeps_times(&self) -> bool {
        self.compare != Compare::IgnoreTime
    }
}

/// A file's size and modification time, as far as known.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    /// Size in bytes.
    pub size: Option<u64>,
    /// Modification time.
    pub mtime: Option<SystemTime>,
}

/// Whether a file is transferred, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Transfer it.
    Transfer(String),
    /// Leave it.
    Skip(String),
}

/// Whole seconds since the epoch (FTP times have no fractions; local ones do).
fn secs(t: SystemTime) -> Option<u64> {
    t.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// Decides one file. `times_set`: whether the target's time was set from the source's by the last run
/// (false for uploads to a server without MFMT/SITE UTIME).
pub fn decide(compare: Compare, src: Facts, dst: Option<Facts>, times_set: bool) -> Verdict {
    let Some(dst) = dst else {
        return Verdict::Transfer("new".into());
    };
    if compare == Compare::Overwrite {
        return Verdict::Transfer("--overwrite".into());
    }
    if compare == Compare::Missing {
        return Verdict::Skip("exists (--only-missing)".into());
    }
    match (src.size, dst.size) {
        (Some(a), Some(b)) if a != b => {
            return Verdict::Transfer(format!("size differs ({a} bytes, target {b})"));
        }
        (Some(_), Some(_)) => {}
        _ => return Verdict::Transfer("size unknown".into()),
    }
    if compare != Compare::Newer {
        return Verdict::Skip("unchanged (same size)".into());
    }
    match (src.mtime.and_then(secs), dst.mtime.and_then(secs)) {
        (Some(a), Some(b)) if a == b => Verdict::Skip("unchanged (same size and time)".into()),
        (Some(a), Some(b)) if !times_set && b >= a => {
            Verdict::Skip("unchanged (same size, target not older)".into())
        }
        (Some(_), Some(_)) => Verdict::Transfer("modification time differs".into()),
        _ => Verdict::Skip("unchanged (same size; no modification time)".into()),
    }
}

/// How far a LIST date can be from the file's real time: listings show the server's local time (UTC-12
/// to UTC+14) and only to the minute (recent files) or the day (older ones). 26 hours covers both.
const LIST_SLACK: u64 = 26 * 3600;

/// Whether a LIST date alone proves the target is not older than the source: the listed time minus
/// [`LIST_SLACK`] is still at or after the source's. That is the one time question [`decide`] asks of an
/// upload to a server that cannot set times, so such a file needs no MDTM (issue 14: a nightly upload of
/// an unchanged tree to vsftpd otherwise asks MDTM for every file). Unknown times prove nothing.
pub fn listed_not_older(src: Option<SystemTime>, listed: Option<SystemTime>) -> bool {
    match (src.and_then(secs), listed.and_then(secs)) {
        (Some(src), Some(listed)) => listed.checked_sub(LIST_SLACK).is_some_and(|t| t >= src),
        _ => false,
    }
}

/// Whether `-c` may append to a target holding the start of a source (`whole`: keep a target as long as
/// the source as it is): only a target written after the source last changed can be an earlier, cut
/// copy of it (a source changed after the partial copy was written would otherwise get its tail glued
/// onto the old head). Times are compared in whole seconds (MDTM's), so a part of the source's own
/// second may be older and does not count; a whole copy with the source's time is what a mirror
/// leaves (unchanged, as the mirrors' comparison has it). Unknown times allow it.
pub fn may_resume(
    src_mtime: Option<SystemTime>,
    dst_mtime: Option<SystemTime>,
    whole: bool,
) -> bool {
    match (src_mtime.and_then(secs), dst_mtime.and_then(secs)) {
        (Some(src), Some(dst)) => dst > src || (whole && dst == src),
        _ => true,
    }
}

/// One line of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanItem {
    /// `transfer`, `skip`, `mkdir` or `delete`.
    pub action: &'static str,
    /// The path relative to the mirrored directory (or the file's URL/path outside `-R`).
    pub path: String,
    /// Why.
    pub reason: String,
}

/// Ends a `--dry-run`: prints its plan ([`print_plan`]) and derives the exit status by the real run's
/// rule (`report::Tally`), with each of the `transfers` planned counted as done: every file failing
/// alike is that failure's exit code (6 for a listing refused), some failing is 10.
pub fn finish_dry_run(
    ui: &Ui,
    plan: &[PlanItem],
    records: &[FileRecord],
    transfers: usize,
) -> Result<crate::ops::Outcome> {
    let failed: Vec<&FileRecord> = records.iter().filter(|r| r.result.is_failure()).collect();
    print_plan(ui, plan, &failed)?;
    let mut tally = crate::ops::common::report::Tally::of(records.iter().map(|r| &r.result));
    tally.ok += transfers;
    tally.outcome(ui, "files", None)
}

/// Prints the plan of a `--dry-run`: one line per item (failures were said on stderr as they came), or
/// `{"dry_run": true, "plan": [...], "failed": [...]}` with the files the plan already failed (the
/// `--json` records of a real run).
fn print_plan(ui: &Ui, plan: &[PlanItem], failed: &[&FileRecord]) -> Result<()> {
    if ui.json() {
        return ui
            .print_json(&serde_json::json!({ "dry_run": true, "plan": plan, "failed": failed }));
    }
    let mut text = String::new();
    for p in plan {
        text.push_str(&format!(
            "{:<8} {} ({})\n",
            p.action,
            escape(&p.path),
            escape(&p.reason)
        ));
    }
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::local("stdout", e))
}

/// Whether a name is one of ferry's own temporary files (a download's `.NAME.*.ferry-tmp`, an atomic
/// upload's `.NAME.ferry-*.tmp`): never deleted by a mirror, which would race a concurrent run.
fn is_ferry_temp(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    is_download_temp(name)
        || (name.starts_with('.') && name.contains(".ferry-") && name.ends_with(".tmp"))
}

/// A target directory a mirror makes.
#[derive(Debug, Clone)]
pub struct NewDir {
    /// Its path relative to the mirrored directory.
    pub rel: String,
    /// Its mode ([`dir_mode`]), when modes are kept.
    pub mode: Option<u32>,
    /// It replaces a file of its name.
    pub in_place: bool,
}

impl NewDir {
    /// The plan's reason for making it.
    pub fn why(&self) -> &'static str {
        if self.in_place {
            "new directory, in place of a file"
        } else {
            "new directory"
        }
    }
}

/// `--prune-empty-dirs`: new target directories held back until a file goes into them.
#[derive(Debug, Default)]
pub struct Pending(Vec<NewDir>);

impl Pending {
    /// Holds back a new directory.
    pub fn hold(&mut self, dir: NewDir) {
        self.0.push(dir);
    }

    /// The walk (in pre-order) has come to `rel`: a held directory it has left got no file, and is
    /// dropped.
    pub fn walked_to(&mut self, rel: &str) {
        self.0.retain(|d| within_dir(&d.rel, rel));
    }

    /// The held directories, outermost first, for a file about to be transferred: each one is an
    /// ancestor of it (the others were dropped as the walk left them).
    pub fn take(&mut self) -> Vec<NewDir> {
        std::mem::take(&mut self.0)
    }
}

/// Whether the relative path `rel` lies below the relative directory `dir`.
pub fn within_dir(dir: &str, rel: &str) -> bool {
    rel.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// The mode a mirror gives a directory whose source has `mode`: its read, write and execute bits, and
/// always all three for its owner (a directory copied as `r-x` could take no new file on the next run,
/// nor lose one).
pub fn dir_mode(mode: u32) -> u32 {
    mode & 0o777 | 0o700
}

/// Whether a name is a download's temporary file (`.NAME.XXXXXX.ferry-tmp`, see [`crate::sink`]).
pub fn is_download_temp(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.starts_with('.') && name.ends_with(".ferry-tmp")
}

/// Whether `rel` is one of the directories `dirs` or lies under one (ancestors looked up, so a long
/// list of directories costs nothing per path).
pub fn within(dirs: &HashSet<String>, rel: &str) -> bool {
    !dirs.is_empty()
        && (dirs.contains(rel)
            || rel
                .match_indices('/')
                .any(|(i, _)| dirs.contains(&rel[..i])))
}

/// The target entries `--delete` removes: those not in `source`, children before their directories.
/// An excluded entry is kept unless `--delete-excluded`; a directory keeping anything is kept.
pub fn deletions(target: &[Node], source: &HashSet<String>, opts: &SyncOptions) -> Vec<Node> {
    // Sets, not scans: a tree of 100 000 vanished files would otherwise compare each with every other.
    let mut gone_dirs: HashSet<&str> = HashSet::new();
    let mut kept_under: HashSet<&str> = HashSet::new();
    let mut gone = Vec::new();
    for n in target {
        let excluded = opts.filters.excluded(&n.rel, n.kind == Kind::Dir).is_some();
        let parent_gone = n
            .rel
            .rsplit_once('/')
            .is_some_and(|(p, _)| gone_dirs.contains(p));
        // Excluded entries are kept unless --delete-excluded, which removes them even when the source
        // has them.
        let spared = (excluded && !opts.delete_excluded) || is_ferry_temp(&n.rel);
        let delete = !spared && (!source.contains(&n.rel) || excluded);
        if delete || (parent_gone && !spared) {
            if n.kind == Kind::Dir {
                gone_dirs.insert(&n.rel);
            }
            gone.push(n.clone());
        } else {
            // Every directory above a kept entry stays.
            let mut rel = n.rel.as_str();
            while let Some((parent, _)) = rel.rsplit_once('/') {
                if !kept_under.insert(parent) {
                    break;
                }
                rel = parent;
            }
        }
    }
    // A directory that keeps something (an excluded file, a temp file) stays.
    gone.retain(|n| n.kind != Kind::Dir || !kept_under.contains(n.rel.as_str()));
    gone.reverse();
    gone
}

/// Why `--delete` must not run, if it must not: a source listing failed, the source is empty while the
/// target is not (a wrong URL or an unmounted disk looks exactly like that), or more than `--max-delete`
/// entries would go.
pub fn refuse_delete(
    opts: &SyncOptions,
    source_incomplete: bool,
    source_files: usize,
    target_entries: usize,
    doomed: usize,
) -> Option<Error> {
    let why = if source_incomplete {
        "part of the source could not be listed".to_string()
    } else if source_files == 0 && target_entries > 0 {
        "the source is empty and the target is not".to_string()
    } else if let Some(max) = opts.max_delete.filter(|&m| doomed > m) {
        format!("{doomed} entries would be deleted, more than --max-delete {max}")
    } else {
        return None;
    };
    Some(Error::new(
        ErrorKind::Partial,
        format!("not deleting anything: {why}"),
    ))
}

/// A listing time that is only a date or a minute is no basis for "unchanged": such a time is asked
/// again exactly (MDTM) before comparing.
pub fn needs_exact_time(compare: Compare, node: &Node) -> bool {
    compare == Compare::Newer && !node.exact_time
}

/// The longest part `-c` has the server hash whole; a longer one is compared on its first and last
/// [`DIGEST_WINDOW`] bytes (the server reads what it hashes, and its reply may take at most `--timeout`),
/// and must pass the time rule too.
const DIGEST_WHOLE_MAX: u64 = 512 << 20;
/// See [`DIGEST_WHOLE_MAX`].
const DIGEST_WINDOW: u64 = 64 << 20;

/// What the server's digest says of the part `-c` would continue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Every byte of the part matches: continue it.
    Same,
    /// Some byte differs: start over.
    Differs,
    /// No digest proves it (the server has none, refuses, or only windows of a long part were
    /// compared): the time rule ([`may_resume`]) decides.
    Unproven,
}

/// Compares a part of `have` bytes, held locally in the file at `path` (opened by `open`, only when the
/// server has a digest to compare with), with the server's MD5 of the same bytes of `remote`.
/// `remote_is_part`: the remote file is the part (an upload's), so a digest of the whole remote file
/// (HASH, XMD5) covers it; a download's part is the start of a longer remote file, which only a range
/// (`XMD5 path start end`) covers. Past [`DIGEST_WHOLE_MAX`] two windows are compared, by range, and at
/// best leave the part [`Part::Unproven`].
pub fn check_part(
    s: &mut Session,
    remote: &str,
    have: u64,
    remote_is_part: bool,
    path: &Path,
    mut open: impl FnMut() -> Result<File>,
) -> Result<Part> {
    let whole = have <= DIGEST_WHOLE_MAX;
    let ranges = if whole {
        vec![(0, have)]
    } else {
        vec![(0, DIGEST_WINDOW), (have - DIGEST_WINDOW, have)]
    };
    let mut local = None;
    for (start, end) in ranges {
        let theirs = if whole && remote_is_part {
            s.md5(remote)?
        } else {
            s.md5_range(remote, start, end)?
        };
        let Some(theirs) = theirs else {
            return Ok(Part::Unproven);
        };
        let file = match &mut local {
            Some(file) => file,
            None => local.insert(open()?),
        };
        if md5_range(file, path, start, end - start)? != theirs {
            return Ok(Part::Differs);
        }
    }
    Ok(if whole { Part::Same } else { Part::Unproven })
}

/// The MD5 (lower-case hex) of the `n` bytes of `file` from `start` on (fewer at its end).
pub fn md5_range(file: &mut File, path: &Path, start: u64, n: u64) -> Result<String> {
    use md5::{Digest, Md5};
    let local = |e| Error::local(path.display(), e);
    file.seek(SeekFrom::Start(start)).map_err(local)?;
    let mut h = Md5::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut left = n;
    while left > 0 {
        let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        let got = file.read(&mut buf[..want]).map_err(local)?;
        if got == 0 {
            break;
        }
        h.update(&buf[..got]);
        left = left.saturating_sub(got as u64);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn t(s: u64) -> Option<SystemTime> {
        Some(UNIX_EPOCH + Duration::from_secs(s))
    }

    fn f(size: u64, mtime: u64) -> Facts {
        Facts {
            size: Some(size),
            mtime: t(mtime),
        }
    }

    #[test]
    fn a_listed_date_settles_not_older_only_beyond_the_slack() {
        let day = 86_400;
        let src = t(10 * day);
        assert!(listed_not_older(src, t(10 * day + LIST_SLACK)));
        assert!(!listed_not_older(src, t(10 * day + LIST_SLACK - 1)));
        assert!(
            !listed_not_older(src, t(11 * day)),
            "within the slack: MDTM decides"
        );
        assert!(!listed_not_older(src, t(1)), "older, or before the slack");
        assert!(!listed_not_older(None, t(20 * day)));
        assert!(!listed_not_older(src, None));
    }

    #[test]
    fn only_missing_leaves_any_existing_target() {
        let m = Compare::Missing;
        assert_eq!(
            decide(m, f(1, 1), None, true),
            Verdict::Transfer("new".into())
        );
        for dst in [f(2, 1), f(1, 90), f(1, 1)] {
            assert_eq!(
                decide(m, f(1, 1), Some(dst), true),
                Verdict::Skip("exists (--only-missing)".into())
            );
        }
    }

    #[test]
    fn decisions() {
        use Verdict::*;
        let n = Compare::Newer;
        assert_eq!(decide(n, f(1, 1), None, true), Transfer("new".into()));
        assert_eq!(
            decide(n, f(1, 1), Some(f(2, 1)), true),
            Transfer("size differs (1 bytes, target 2)".into())
        );
        assert!(matches!(
            decide(n, f(1, 100), Some(f(1, 100)), true),
            Skip(_)
        ));
        // Same size, another time: the same-size change is caught.
        assert!(matches!(
            decide(n, f(1, 100), Some(f(1, 90)), true),
            Transfer(_)
        ));
        assert!(matches!(
            decide(n, f(1, 100), Some(f(1, 110)), true),
            Transfer(_)
        ));
        // Without settable remote times, a target written after the source changed is current.
        assert!(matches!(
            decide(n, f(1, 100), Some(f(1, 110)), false),
            Skip(_)
        ));
        assert!(matches!(
            decide(n, f(1, 100), Some(f(1, 90)), false),
            Transfer(_)
        ));
        assert!(matches!(
            decide(Compare::SizeOnly, f(1, 100), Some(f(1, 5)), true),
            Skip(_)
        ));
        assert!(matches!(
            decide(Compare::IgnoreTime, f(1, 100), Some(f(1, 5)), true),
            Skip(_)
        ));
        assert!(matches!(
            decide(Compare::Overwrite, f(1, 1), Some(f(1, 1)), true),
            Transfer(_)
        ));
        let unknown = Facts::default();
        assert!(matches!(
            decide(n, unknown, Some(f(1, 1)), true),
            Transfer(_)
        ));
    }

    #[test]
    fn resume_only_onto_a_target_written_after_the_source() {
        assert!(
            !may_resume(t(100), t(100), false),
            "the same second: either may be first"
        );
        assert!(
            may_resume(t(100), t(100), true),
            "a whole copy, the source's time"
        );
        assert!(may_resume(t(100), t(101), false));
        assert!(!may_resume(t(200), t(100), false));
        assert!(!may_resume(t(200), t(100), true));
        assert!(may_resume(None, t(1), false));
    }

    fn node(rel: &str, kind: Kind) -> Node {
        Node {
            rel: rel.into(),
            kind,
            size: None,
            mtime: None,
            exact_time: true,
            mode: None,
        }
    }

    #[test]
    fn within_is_the_directory_itself_or_below_it_never_a_sibling_of_the_same_prefix() {
        let dirs = HashSet::from(["a/b".to_string()]);
        assert!(within(&dirs, "a/b"));
        assert!(within(&dirs, "a/b/c/d"));
        assert!(!within(&dirs, "a/bc"));
        assert!(!within(&dirs, "a"));
        assert!(!within(&HashSet::new(), "a/b"));
    }

    #[test]
    fn deletions_are_children_first_and_spare_excluded_and_temp_files() {
        let target = vec![
            node("a", Kind::File),
            node("d", Kind::Dir),
            node("d/x", Kind::File),
            node("d/y.log", Kind::File),
            node("e", Kind::Dir),
            node("e/f", Kind::File),
            node(".f.ferry-tmp", Kind::File),
            // An excluded file two levels down keeps both directories above it.
            node("k", Kind::Dir),
            node("k/l", Kind::Dir),
            node("k/l/m.log", Kind::File),
        ];
        let source: HashSet<String> = ["a".to_string()].into();
        let mut opts = SyncOptions::default();
        opts.filters.push(false, "*.log").unwrap();
        let rels: Vec<_> = deletions(&target, &source, &opts)
            .into_iter()
            .map(|n| n.rel)
            .collect();
        assert_eq!(rels, ["e/f", "e", "d/x"]);
        opts.delete_excluded = true;
        let rels: Vec<_> = deletions(&target, &source, &opts)
            .into_iter()
            .map(|n| n.rel)
            .collect();
        assert_eq!(
            rels,
            ["k/l/m.log", "k/l", "k", "e/f", "e", "d/y.log", "d/x", "d"]
        );
    }

    #[test]
    fn delete_safety() {
        let mut o = SyncOptions::default();
        assert!(refuse_delete(&o, true, 5, 5, 1).is_some());
        assert!(refuse_delete(&o, false, 0, 3, 3).is_some());
        assert!(refuse_delete(&o, false, 0, 0, 0).is_none());
        assert!(refuse_delete(&o, false, 2, 5, 3).is_none());
        o.max_delete = Some(2);
        assert_eq!(
            refuse_delete(&o, false, 2, 5, 3).unwrap().to_string(),
            "not deleting anything: 3 entries would be deleted, more than --max-delete 2"
        );
    }
}
