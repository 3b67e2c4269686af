//! `ftp-get`: download one or more URLs (globs in the last segment, whole trees with `-R`) over one
//! session per server, or `--parallel N` sessions.
//!
//! A run first plans, on one session: globs are expanded, `-R` walks the tree (directories only, never
//! symlinks, at most 64 levels) creating the local directories, and every file becomes a job. The jobs
//! then run on the [`pool`] sessions. Each file streams from the data connection through the progress
//! bar into an [`Output`]: a temporary file beside the target that is committed (fsync, rename) only after
//! the server's 226 and a size check against SIZE, so a cut transfer never leaves a file at the target name
//! (exit 9). `-c` and `--retries` continue from the bytes already written with REST. `--delete-after`
//! sends DELE only after the commit. Server-provided names are checked with [`safe_remote_name`] before they
//! become local paths, and local directories are created by us or refused when they are symlinks; an
//! unsafe name is skipped and the run ends with exit 10.

mod mirror;
mod writeback;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, ErrorKind, Result};
use crate::ftp::data::{PIPE_SIZE, Pipe, SpliceOut, Spliced};
use crate::ftp::list::Kind;
use crate::ftp::{AsciiReader, DataMode, DataStream, RemotePath, Session, TransferType, list_all};
use crate::ops::Outcome;
use crate::ops::common::{NetOptions, Ui, with_retries};
use crate::ops::ftp::connect::FtpConnector;
use crate::ops::ftp::pool::{self, Worker};
use crate::ops::ftp::prescan::Prescan;
use crate::ops::ftp::record::{self, FileRecord};
use crate::ops::ftp::sync::{self, Compare, Facts, PlanItem, SyncOptions, Verdict};
use crate::ops::ftp::walk::safe_remote_name;
use crate::progress::{FileBar, Progress};
use crate::ratelimit::Limited;
use crate::sink::{Committer, DirSync, Output, Ticket};
use crate::terminal::escape;
use crate::url::Target;
use writeback::Writeback;

const BUF: usize = 256 * 1024;

/// The deepest `-R` goes.
pub const MAX_DEPTH: usize = crate::ops::ftp::walk::MAX_DEPTH;
/// The most entries one `-R` walk may list.
pub const MAX_ENTRIES: usize = crate::ops::ftp::walk::MAX_ENTRIES;

/// Where downloaded files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// `-O DIR` (`.` by default): each file under its remote name.
    Dir(PathBuf),
    /// `-o FILE`: the one file.
    File(PathBuf),
    /// `-o -`: standard output, one session.
    Stdout,
}

/// What ftp-get does, as plain values (validated by `cli::ftp_get`).
#[derive(Debug, Clone)]
pub struct Options {
    /// The URLs: files, globs in the last segment, or (`-R`) directories.
    pub targets: Vec<Target>,
    /// `-o` / `-O`.
    pub dest: Dest,
    /// `-c`: continue partial downloads.
    pub resume: bool,
    /// `--ascii`: TYPE A, CRLF becomes LF.
    pub ascii: bool,
    /// `--preserve`: the local modification time from MDTM.
    pub preserve: bool,
    /// `--delete-after`: DELE once the local copy is committed.
    pub delete_after: bool,
    /// `-R`: mirror directory URLs.
    pub recursive: bool,
    /// `--parallel`: sessions per server (1 to [`pool::MAX_PARALLEL`]).
    pub parallel: usize,
    /// `--active` / `--no-epsv`.
    pub mode: DataMode,
    /// `--limit-rate`: the bucket every transfer of the run takes from.
    pub limit: Option<std::sync::Arc<crate::ratelimit::RateLimit>>,
    /// Connection, TLS, credentials, retries.
    pub net: NetOptions,
    /// Change detection, `--delete`, filters, `--dry-run`.
    pub sync: SyncOptions,
}

impl Options {
    /// Whether local files get the server's modification time: `--preserve`, and every mirror (`-R`,
    /// `--newer`, `--size-only`) so the next run can compare, unless `--ignore-time`.
    pub fn keeps_time(&self) -> bool {
        self.preserve
            || (self.sync.keeps_times()
                && (self.recursive || self.sync.compare != Compare::Overwrite))
    }
}

/// One file to download.
struct Job {
    target: Target,
    local: PathBuf,
    size: Option<u64>,
    /// The remote modification time, when planning asked it exactly.
    mtime: Option<SystemTime>,
    /// The permission bits the local file gets (a mirror's, see [`mirror::local_mode`]).
    mode: Option<u32>,
    /// A mirror with `--delete` where a local directory stands in the file's place: removed, with all
    /// it holds, once the file is downloaded.
    replaces_dir: bool,
}

/// A result in URL order: known at planning time, or the outcome of job `n`.
enum Slot {
    Done(FileRecord),
    Job(usize),
}

/// Runs ftp-get.
pub fn run(opts: &Options, ui: &Ui) -> Result<Outcome> {
    // Several sessions writing one stdout would interleave the files.
    let parallel = if opts.dest == Dest::Stdout {
        1
    } else {
        opts.parallel
    };
    let mut results = Vec::new();
    let dirs = std::sync::Arc::new(DirSync::default());
    // fsync + rename of each file overlap the next transfer; results wait for them below.
    let committer = Committer::new(parallel, dirs.clone());
    let mut tickets = Vec::new();
    let mut planned = mirror::Planned::default();
    // The transfers a `--dry-run` planned (and so did not do).
    let mut dry_transfers = 0;
    let mut rest = &opts.targets[..];
    while let Some(first) = rest.first() {
        let n = rest
            .iter()
            .take_while(|t| server_key(t) == server_key(first))
            .count();
        let (group, later) = rest.split_at(n);
        rest = later;
        let conn =
            FtpConnector::new(first.clone(), &opts.net, opts.mode)?.limited(opts.limit.clone());
        // A tree, a glob or several URLs will have several files: a spare logs in alongside.
        let several = opts.recursive || group.len() > 1 || group.iter().any(|t| has_glob(&t.path));
        // Each tree's local side is read while the server checks the password.
        let mut scans: Vec<Option<Prescan>> = group
            .iter()
            .map(|t| {
                let root = mirror::local_root(opts, t).filter(|_| opts.recursive)?;
                Some(Prescan::start(root, &opts.sync.filters))
            })
            .collect();
        let mut worker = Worker::open(&conn, ui, parallel, several)?;
        let mut slots = Vec::new();
        let mut jobs: Vec<Job> = Vec::new();
        for (target, scan) in group.iter().zip(scans.iter_mut()) {
            plan(
                opts,
                ui,
                &mut worker,
                target,
                (&mut slots, &mut jobs, &mut planned),
                scan.take(),
            );
        }
        if opts.sync.dry_run {
            worker.quit();
            dry_transfers += jobs.len();
            results.extend(slots.into_iter().filter_map(|slot| match slot {
                Slot::Done(r) => Some(r),
                Slot::Job(_) => None,
            }));
            continue;
        }
        if parallel > 1 {
            one_job_per_local_path(ui, &mut slots, &mut jobs);
        }
        let visible = ui.progress() && parallel > 1;
        let total = (parallel > 1).then(|| {
            // Sizes come from the server: summed without overflow (an impossible total shows none).
            let bytes = jobs
                .iter()
                .try_fold(0u64, |sum, j| j.size.and_then(|n| sum.checked_add(n)));
            Progress::totals(jobs.len(), bytes, visible)
        });
        let finished = std::sync::atomic::AtomicUsize::new(0);
        let size_of = |j: &Job| j.size;
        let mut done = pool::run(ui, worker, parallel, (&jobs, size_of), |w, job| {
            let r = fetch(
                opts,
                ui,
                w,
                job,
                Shared {
                    total: total.as_ref(),
                    dirs: &dirs,
                    committer: &committer,
                },
            );
            if let Some(t) = &total {
                let n = finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                t.file_done(n, jobs.len());
            }
            r
        })
        .into_iter();
        if let Some(t) = &total {
            t.finish();
        }
        for slot in slots {
            match slot {
                Slot::Done(r) => results.push(r),
                Slot::Job(_) => {
                    if let Some((r, ticket)) = done.next() {
                        if let Some(t) = ticket {
                            tickets.push((results.len(), t));
                        }
                        results.push(r);
                    }
                }
            }
        }
    }
    for (i, ticket) in tickets {
        if let Err(e) = ticket.wait() {
            ui.item_error(&e);
            if let Some(r) = results.get_mut(i) {
                r.fail(&e);
            }
        }
    }
    committer.finish();
    if opts.sync.dry_run {
        return sync::finish_dry_run(ui, &planned.plan, &results, dry_transfers);
    }
    dirs.sync()?;
    mirror::run_deletions(ui, planned.deletions, &mut results);
    mirror::set_dir_times(ui, planned.dir_times);
    record::finish(ui, &results)
}

/// What every job of a run shares: the totals bar, the directories still to fsync and the background
/// committer.
#[derive(Clone, Copy)]
struct Shared<'a> {
    total: Option<&'a Progress>,
    dirs: &'a DirSync,
    committer: &'a Committer,
}

/// Targets on the same server as the same user share sessions.
fn server_key(t: &Target) -> String {
    format!("{}://{:?}@{}", t.scheme.name(), t.user, t.authority())
}

/// Downloads one planned file on a worker's session.
fn fetch(
    opts: &Options,
    ui: &Ui,
    w: &mut Worker,
    job: &Job,
    shared: Shared,
) -> (FileRecord, Option<Ticket>) {
    let url = job.target.display();
    let path = job.local.display().to_string();
    let conn = w.conn;
    let result = w
        .session()
        .and_then(|s| get_one(opts, ui, conn, s, job, shared));
    match result {
        Ok((bytes, ticket)) => {
            if job.local.as_os_str() != "-" {
                ui.line(&format!("{path}: {bytes} bytes"));
            }
            (FileRecord::ok(url, path, bytes), ticket)
        }
        Err(e) => {
            w.failed(&e);
            ui.item_error(&e);
            (FileRecord::failed(url, path, &e), None)
        }
    }
}

/// Turns one URL into jobs: itself, its glob's matches, or (`-R`) every file of its tree.
fn plan(
    opts: &Options,
    ui: &Ui,
    w: &mut Worker,
    target: &Target,
    (slots, jobs, planned): (&mut Vec<Slot>, &mut Vec<Job>, &mut mirror::Planned),
    scan: Option<Prescan>,
) {
    let failed = |w: &mut Worker, slots: &mut Vec<Slot>, e: Error| {
        w.failed(&e);
        ui.item_error(&e);
        slots.push(Slot::Done(FileRecord::failed(
            target.display(),
            String::new(),
            &e,
        )));
    };
    if opts.recursive {
        if let Err(e) = mirror::plan_tree(opts, ui, w, target, (slots, jobs, planned), scan) {
            failed(w, slots, e);
        }
        return;
    }
    let files = match w.session().and_then(|s| expand(s, target)) {
        Ok(f) => f,
        Err(e) => return failed(w, slots, e),
    };
    // -O DIR is created for every kind of get, not only -R (issue 14 item 7).
    if let (Dest::Dir(d), false) = (&opts.dest, opts.sync.dry_run)
        && let Err(e) = make_out_dir(d)
    {
        return failed(w, slots, e);
    }
    let glob = files.len() > 1 || has_glob(&target.path);
    for (remote, name) in files {
        let t = target.with_path(remote.into_string());
        let local = match local_path(opts, &name) {
            Ok(local) => local,
            Err(e) => {
                ui.item_error(&e);
                slots.push(Slot::Done(FileRecord::refused(
                    t.display(),
                    String::new(),
                    &e,
                )));
                continue;
            }
        };
        let path = local.display().to_string();
        let rel = if glob { name.as_str() } else { path.as_str() };
        match single(opts, w, &t, &local, glob.then_some(name.as_str())) {
            Ok((Verdict::Transfer(why), facts)) => {
                planned.plan.push(PlanItem {
                    action: "transfer",
                    path: rel.to_string(),
                    reason: why,
                });
                slots.push(Slot::Job(jobs.len()));
                jobs.push(Job {
                    target: t,
                    local,
                    size: facts.size,
                    mtime: facts.mtime,
                    mode: None,
                    replaces_dir: false,
                });
            }
            Ok((Verdict::Skip(why), _)) => {
                planned.plan.push(PlanItem {
                    action: "skip",
                    path: rel.to_string(),
                    reason: why.clone(),
                });
                slots.push(Slot::Done(FileRecord::skipped(t.display(), path, &why)));
            }
            Err(e) => {
                let e = e.within(t.display());
                w.failed(&e);
                ui.item_error(&e);
                slots.push(Slot::Done(FileRecord::failed(t.display(), path, &e)));
            }
        }
    }
}

/// Decides one named or globbed file: filters (for a glob's matches, `name`), then the comparison with
/// the local file. Nothing is asked of the server when every file is transferred anyway.
fn single(
    opts: &Options,
    w: &mut Worker,
    t: &Target,
    local: &Path,
    name: Option<&str>,
) -> Result<(Verdict, Facts)> {
    let f = &opts.sync.filters;
    if let Some(why) = name.and_then(|n| f.excluded(n, false)) {
        return Ok((Verdict::Skip(why), Facts::default()));
    }
    let limits = f.min_size.is_some() || f.max_size.is_some();
    let times = f.newer_than.is_some() || f.older_than.is_some();
    let dst = match std::fs::metadata(local) {
        Ok(m) if m.is_file() && opts.sync.compare != Compare::Overwrite => Some(Facts {
            size: Some(m.len()),
            mtime: m.modified().ok(),
        }),
        _ => None,
    };
    if dst.is_none() && !limits && !times {
        let why = if opts.sync.compare == Compare::Overwrite {
            "named"
        } else {
            "new"
        };
        return Ok((Verdict::Transfer(why.into()), Facts::default()));
    }
    let s = w.session()?;
    let mut src = Facts {
        size: if opts.ascii { None } else { s.size(&t.path)? },
        mtime: None,
    };
    let same = dst.is_some_and(|d| d.size == src.size && src.size.is_some());
    if times || (same && opts.sync.compare == Compare::Newer) {
        src.mtime = s.mdtm(&t.path)?;
    }
    if let Some(why) = f.limited(src.size, src.mtime) {
        return Ok((Verdict::Skip(why), src));
    }
    if dst.is_none() {
        return Ok((Verdict::Transfer("new".into()), src));
    }
    Ok((sync::decide(opts.sync.compare, src, dst, true), src))
}

/// Parallel sessions must not write the same local file: a later job for a path already taken is skipped.
fn one_job_per_local_path(ui: &Ui, slots: &mut [Slot], jobs: &mut Vec<Job>) {
    let mut all: Vec<Option<Job>> = std::mem::take(jobs).into_iter().map(Some).collect();
    let mut seen = HashSet::new();
    for slot in slots.iter_mut() {
        let Slot::Job(i) = *slot else { continue };
        let Some(job) = all.get_mut(i).and_then(Option::take) else {
            continue;
        };
        if seen.insert(job.local.clone()) {
            *slot = Slot::Job(jobs.len());
            jobs.push(job);
        } else {
            let e = Error::new(
                ErrorKind::Partial,
                format!(
                    "skipping {}: an earlier URL is written to the same local file",
                    job.target.display()
                ),
            );
            ui.warn(&e.to_string());
            *slot = Slot::Done(FileRecord::refused(
                job.target.display(),
                job.local.display().to_string(),
                &e,
            ));
        }
    }
}

/// Creates a local directory of the tree, or accepts an existing real directory; a symlink (or anything
/// else) in its place is refused, so nothing is written outside the target.
fn local_dir(path: &Path) -> Result<()> {
    match std::fs::create_dir(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            match std::fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_dir() => Ok(()),
                _ => Err(Error::new(
                    ErrorKind::LocalIo,
                    format!(
                        "{} exists and is not a directory (symlinks are not followed)",
                        path.display()
                    ),
                )),
            }
        }
        Err(e) => Err(Error::local(
            format!("making the directory {}", path.display()),
            e,
        )),
    }
}

/// Whether the last segment of a URL path is a glob (`*`, `?`, `[`).
pub fn has_glob(path: &str) -> bool {
    RemotePath::new(path).last().contains(['*', '?', '['])
}

/// The glob of a URL's last segment, as ftp-get matches it (`cli` checks it compiles).
pub fn glob_pattern(last: &str) -> Result<glob::Pattern> {
    glob::Pattern::new(last).map_err(|e| Error::usage(format!("bad glob {last:?}: {e}")))
}

/// The remote files a URL stands for: itself, or the glob's matches (files only) in its directory.
fn expand(session: &mut Session, target: &Target) -> Result<Vec<(RemotePath, String)>> {
    let path = RemotePath::new(target.path.clone());
    let (dir, last) = path.split();
    if last.is_empty() {
        return Err(Error::usage(format!(
            "{} names a directory, not a file",
            target.display()
        )));
    }
    if !has_glob(path.as_str()) {
        return Ok(vec![(path.clone(), last.to_string())]);
    }
    let pattern = glob_pattern(last)?;
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    // Only a pattern starting with a dot matches a dotfile, and vsftpd's plain LIST hides them.
    let listed = if last.starts_with('.') {
        session.list_dir_all(dir.as_str())
    } else {
        session.list_dir(dir.as_str())
    };
    let mut names: Vec<String> = match listed {
        Ok(entries) if !entries.is_empty() => entries
            .into_iter()
            .filter(|e| e.kind != Kind::Dir)
            .map(|e| e.name)
            .collect(),
        // NLST only where LIST gave nothing or was refused: after a timeout or a cut connection the
        // session is out of step, and NLST would read the listing's late final reply as its own.
        Ok(_) => session.nlst(dir.as_str())?,
        Err(e) if list_all::refused(&e) => session.nlst(dir.as_str())?,
        Err(e) => return Err(e),
    };
    names.retain(|n| pattern.matches_with(n, opts));
    names.sort();
    // A name the server lists twice is fetched once (defect 16 of issue 13).
    names.dedup();
    if names.is_empty() {
        return Err(Error::new(
            ErrorKind::Permanent,
            format!("{}: no file matches", target.display()),
        ));
    }
    Ok(names.into_iter().map(|n| (dir.join(&n), n)).collect())
}

/// Where a remote file goes locally; a server-provided name must be safe.
fn local_path(opts: &Options, name: &str) -> Result<PathBuf> {
    let dir = match &opts.dest {
        Dest::File(f) => return Ok(f.clone()),
        Dest::Stdout => return Ok(PathBuf::from("-")),
        Dest::Dir(d) => d,
    };
    safe_remote_name(name).map_err(|why| {
        Error::new(
            ErrorKind::Partial,
            format!("skipping unsafe remote name {}: {why}", escape(name)),
        )
    })?;
    Ok(dir.join(name))
}

/// Downloads one file, retrying transient failures on a fresh session and resuming from what was written.
fn get_one(
    opts: &Options,
    ui: &Ui,
    conn: &FtpConnector,
    session: &mut Session,
    job: &Job,
    shared: Shared,
) -> Result<(u64, Option<Ticket>)> {
    let (t, local) = (&job.target, job.local.as_path());
    // When the partial copy was last written: `-c` continues it only if the remote file is not newer.
    let partial_time = if opts.resume {
        std::fs::symlink_metadata(crate::sink::partial_path(local))
            .or_else(|_| std::fs::symlink_metadata(local))
            .and_then(|m| m.modified())
            .ok()
    } else {
        None
    };
    let mut out = if job.replaces_dir {
        // The directory in the way goes just before the rename (below), not before the download.
        crate::sink::FileSink::create(local).map(Output::File)?
    } else {
        Output::open(local, opts.resume)?
    };
    if let Output::File(f) = &mut out {
        f.keep_partial(opts.resume);
    }
    let mut written = out.offset();
    // Bytes received in this run: the local offset may shrink (a longer local file is started over), so
    // the count is never `written - start` (defect 4 of issue 13: that wrapped).
    let mut received = 0u64;
    // Outer error: a failed try (retried when transient); inner error: the end, as it is.
    let mtime = with_retries(&opts.net.retry, ui, |attempt| {
        if attempt > 0 {
            // An ASCII download cannot resume (the local length is not the remote offset): start over.
            if opts.ascii
                && written > 0
                && let Output::File(f) = &mut out
            {
                if let Err(e) = f.truncate() {
                    return Ok(Err(e));
                }
                written = 0;
            }
            match conn.open_once() {
                Ok(s) => std::mem::replace(session, s).quit(),
                Err(e) if e.kind().is_transient() => return Err(e),
                Err(e) => return Ok(Err(e)),
            }
        }
        let counts = Counts {
            written: &mut written,
            received: &mut received,
            partial_time,
        };
        match transfer(opts, ui, session, job, &mut out, counts, shared.total) {
            Ok(mtime) => Ok(Ok(mtime)),
            // Bytes already on standard output cannot be taken back.
            Err(e)
                if opts.ascii
                    && written > 0
                    && !matches!(out, Output::File(_))
                    && opts.net.retry.allows(attempt, &e) =>
            {
                Ok(Err(e))
            }
            Err(e) => Err(e),
        }
    })
    .map_err(|e| e.within(t.display()))??;
    if let (Some(mode), Output::File(f)) = (job.mode, &out) {
        f.set_mode(mode)?;
    }
    if job.replaces_dir {
        std::fs::remove_dir_all(local)
            .map_err(|e| Error::local(format!("replacing the directory {}", local.display()), e))?;
    }
    // DELE only once the new name is durable, directory included.
    if opts.delete_after {
        out.commit(mtime).map_err(|e| e.within(local.display()))?;
        session.dele(&t.path)?;
        return Ok((received, None));
    }
    if let Output::File(f) = out {
        return Ok((received, Some(shared.committer.submit(f, mtime))));
    }
    out.commit_deferred(mtime, shared.dirs)
        .map_err(|e| e.within(local.display()))?;
    Ok((received, None))
}

/// The byte counters of one download: the output's length and what this run received.
struct Counts<'a> {
    written: &'a mut u64,
    received: &'a mut u64,
    /// When the partial file being resumed was last written.
    partial_time: Option<SystemTime>,
}

/// One attempt: TYPE, SIZE, MDTM, REST + RETR, stream, 226, size check. Returns the remote modification
/// time for `--preserve`.
fn transfer(
    opts: &Options,
    ui: &Ui,
    s: &mut Session,
    job: &Job,
    out: &mut Output,
    counts: Counts,
    total: Option<&Progress>,
) -> Result<Option<SystemTime>> {
    let Counts {
        written,
        received,
        partial_time,
    } = counts;
    let path = &job.target.path;
    let ttype = if opts.ascii {
        TransferType::Ascii
    } else {
        TransferType::Binary
    };
    s.type_(ttype)?;
    // A size from the -R listing saves the SIZE round trip per file.
    let size = match (opts.ascii, job.size) {
        (true, _) => None,
        (false, Some(known)) => Some(known),
        (false, None) => s.size(path)?,
    };
    // A local file as long as the remote one is complete only on the same evidence as a partial one:
    // a remote file changed since would otherwise stay stale here, its new time set on the old bytes.
    let resuming = opts.resume && size.is_some_and(|n| *written > 0 && *written <= n);
    let remote_time = match job.mtime {
        Some(t) => Some(t),
        None if opts.keeps_time() || resuming => s.mdtm(path)?,
        None => None,
    };
    let mtime = remote_time.filter(|_| opts.keeps_time());
    // A file the listing showed empty has no byte to fetch: no data connection (as lftp's mirror). Its
    // content is right whatever the server would have said to RETR; a listing that was wrong shows
    // another size to the next run, which then downloads it.
    if job.size == Some(0) && !opts.ascii && *written == 0 {
        return Ok(mtime);
    }
    if let Some(size) = size {
        // A local file longer than the remote one is no partial copy of it; nor is one whose bytes
        // differ from the remote file's start: both start over (issue 14).
        let stale = if resuming {
            not_resumable(s, out, path, (*written, size), (remote_time, partial_time))?
        } else {
            None
        };
        if *written == size && opts.resume && stale.is_none() {
            return Ok(mtime);
        }
        if let Some(why) = stale {
            ui.note(&format!("not resuming {}: {why}", escape(path)));
        }
        if (*written > size || stale.is_some())
            && let Output::File(f) = out
        {
            f.truncate()?;
            *written = 0;
        }
    }
    let data = s.retr(path, *written)?;
    let progress = FileBar::new(total, path, size, *written, ui.progress());
    // The data stream is dropped (closed) before the server's final reply is read.
    let before = *written;
    let limit = opts.limit.clone();
    let copied = if opts.ascii {
        copy(
            AsciiReader::new(Limited::new(data, limit)),
            out,
            &progress,
            written,
            BUF,
        )
    } else if limit.is_none() && out.raw_fd().is_some() {
        // No rate limit to meter and a descriptor to write: the kernel moves the bytes (splice).
        splice_copy(data, out, &progress, written)
    } else {
        // A rate-limited stream is written as it comes (the progress moves at the metered pace).
        let gather = if limit.is_some() { 1 } else { BUF };
        copy(Limited::new(data, limit), out, &progress, written, gather)
    };
    *received = received.saturating_add(written.saturating_sub(before));
    drop(progress);
    let done = s.transfer_complete(&format!("RETR {path}"));
    copied?;
    done?;
    if let Some(size) = size
        && *written != size
    {
        return Err(Error::protocol(if *written < size {
            format!("truncated transfer: {written} of {size} bytes")
        } else {
            format!("the server sent {written} bytes, more than the {size} its SIZE said")
        }));
    }
    out.flush().map_err(|e| Error::local("output", e))?;
    Ok(mtime)
}

/// Why `-c` must not continue (or, when it is as long, keep) the local copy holding the first `have`
/// of the remote file's `size` bytes of `path`, if it must not: the server's MD5 of those bytes differs
/// from the copy's ([`sync::check_part`]), or, when no digest proves the copy, the remote file changed
/// after the copy was last written (`times`: the remote modification time, the copy's).
fn not_resumable(
    s: &mut Session,
    out: &Output,
    path: &str,
    (have, size): (u64, u64),
    times: (Option<SystemTime>, Option<SystemTime>),
) -> Result<Option<&'static str>> {
    let whole = have == size;
    let changed = (!sync::may_resume(times.0, times.1, whole))
        .then_some("the remote file changed after the local copy was written");
    let Output::File(f) = out else {
        return Ok(changed);
    };
    Ok(
        match sync::check_part(s, path, have, whole, f.path(), || f.read_back())? {
            sync::Part::Same => None,
            sync::Part::Differs => Some("the local copy differs from the remote file"),
            sync::Part::Unproven => changed,
        },
    )
}

/// Streams a binary download into a file or device with `splice(2)` (socket to pipe to output, no copy
/// through user space), falling back to [`copy`] for TLS or an output that takes no splice. The byte
/// count, the size check and the commit are the same as with `copy`.
fn splice_copy(
    mut data: DataStream,
    out: &mut Output,
    progress: &FileBar,
    written: &mut u64,
) -> Result<()> {
    let (Some(fd), Ok(pipe)) = (out.raw_fd(), Pipe::new()) else {
        return copy(data, out, progress, written, BUF);
    };
    // Only touched when the output refuses splice and the pipe's contents are copied instead.
    let mut buf = vec![0u8; BUF];
    let mut direct = Direct { out, fd };
    let mut writeback = Writeback::new(Some(fd));
    loop {
        let (n, plain) = match data.splice_to(&pipe, &mut direct, PIPE_SIZE, &mut buf) {
            None => (0, true),
            Some(Spliced::Bytes(0)) => return finish(writeback),
            Some(Spliced::Bytes(n)) => (n, false),
            Some(Spliced::Unsupported(n)) => (n, true),
            Some(Spliced::Net(e)) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Some(Spliced::Net(e)) => return Err(Error::network("reading data", e)),
            Some(Spliced::Local(e)) => return Err(Error::local("writing output", e)),
        };
        *written = written
            .checked_add(n as u64)
            .ok_or_else(|| Error::protocol("the download is longer than 2^64 bytes"))?;
        progress.inc(n as u64);
        writeback.wrote(n);
        if plain {
            finish(writeback)?;
            return copy(data, direct.out, progress, written, BUF);
        }
    }
}

/// An [`Output`] seen by [`DataStream::splice_to`]: its descriptor, and its length kept up to date.
struct Direct<'a> {
    out: &'a mut Output,
    fd: std::os::fd::RawFd,
}

impl Write for Direct<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl SpliceOut for Direct<'_> {
    fn fd(&self) -> std::os::fd::RawFd {
        self.fd
    }

    fn spliced(&mut self, n: usize) {
        self.out.wrote_directly(n);
    }
}

/// Streams the data to the output, counting what was written; each write waits for `gather` bytes (or
/// the end of the data).
fn copy(
    mut data: impl Read,
    out: &mut Output,
    progress: &FileBar,
    written: &mut u64,
    gather: usize,
) -> Result<()> {
    let mut buf = vec![0u8; BUF];
    let mut writeback = Writeback::new(out.raw_fd());
    loop {
        // Fill the buffer before writing: a TLS stream yields one 16 KiB record per read, and one write
        // per record costs more syscalls than the decryption saves (issue 19).
        let (n, end) = fill(&mut data, &mut buf, gather);
        if n > 0 {
            out.write_all(&buf[..n])
                .map_err(|e| Error::local("writing output", e))?;
            *written = written
                .checked_add(n as u64)
                .ok_or_else(|| Error::protocol("the download is longer than 2^64 bytes"))?;
            progress.inc(n as u64);
            writeback.wrote(n);
        }
        match end {
            Some(Ok(())) => return finish(writeback),
            Some(Err(e)) => return Err(Error::network("reading data", e)),
            None => {}
        }
    }
}

/// Ends a copy's write-back: the error of a background flush is an error writing the output.
fn finish(writeback: Writeback) -> Result<()> {
    writeback
        .finish()
        .map_err(|e| Error::local("writing output", e))
}

/// Reads into `buf` until it holds `gather` bytes (or is full), the data ends or a read fails. Returns
/// the bytes read and, when the data ended (`Ok`) or failed (`Err`), how; the bytes read before a
/// failure are still returned, so they are written (a resumable partial keeps them).
fn fill(
    data: &mut impl Read,
    buf: &mut [u8],
    gather: usize,
) -> (usize, Option<std::io::Result<()>>) {
    let mut n = 0;
    while n < gather.min(buf.len()) {
        match data.read(&mut buf[n..]) {
            Ok(0) => return (n, Some(Ok(()))),
            Ok(m) => n += m,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (n, Some(Err(e))),
        }
    }
    (n, None)
}

/// Creates the `-O` directory and its parents when missing (used as it is when there, even a
/// symlink); a file in its place is named as such, not as "File exists".
pub(super) fn make_out_dir(d: &Path) -> Result<()> {
    std::fs::create_dir_all(d).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::new(
                ErrorKind::LocalIo,
                format!("{} exists and is not a directory", d.display()),
            )
        } else {
            Error::local(d.display(), e)
        }
    })
}

#[cfg(test)]
mod tests {

    use super::*;

    /// Yields the scripted reads in turn: bytes, or an error.
    struct Script(std::collections::VecDeque<std::io::Result<Vec<u8>>>);

    impl Read for Script {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.pop_front() {
                None => Ok(0),
                Some(Err(e)) => Err(e),
                Some(Ok(b)) => {
                    buf[..b.len()].copy_from_slice(&b);
                    Ok(b.len())
                }
            }
        }
    }

    #[test]
    fn fill_gathers_reads_and_keeps_the_bytes_before_an_error() {
        use std::io::{Error, ErrorKind};
        let mut buf = [0u8; 10];
        // Gathers small reads (retrying an interruption) until the buffer is full.
        let mut r = Script(
            vec![
                Ok(b"abc".to_vec()),
                Err(Error::from(ErrorKind::Interrupted)),
                Ok(b"defg".to_vec()),
                Ok(b"hij".to_vec()),
                Ok(b"k".to_vec()),
            ]
            .into(),
        );
        let (n, end) = fill(&mut r, &mut buf, 10);
        assert_eq!((&buf[..n], end.is_none()), (&b"abcdefghij"[..], true));
        // The end of the data returns what was read with it.
        let (n, end) = fill(&mut r, &mut buf, 10);
        assert_eq!((&buf[..n], matches!(end, Some(Ok(())))), (&b"k"[..], true));
        // A failure keeps the bytes read before it.
        let mut r = Script(vec![Ok(b"xy".to_vec()), Err(Error::from(ErrorKind::TimedOut))].into());
        let (n, end) = fill(&mut r, &mut buf, 10);
        assert_eq!(&buf[..n], b"xy");
        assert_eq!(end.unwrap().unwrap_err().kind(), ErrorKind::TimedOut);
        // gather 1 (a rate-limited stream): every read is written as it comes.
        let mut r = Script(vec![Ok(b"ab".to_vec()), Ok(b"cd".to_vec())].into());
        let (n, end) = fill(&mut r, &mut buf, 1);
        assert_eq!((&buf[..n], end.is_none()), (&b"ab"[..], true));
    }

    #[test]
    fn globs_only_in_the_last_segment() {
        assert!(has_glob("pub/*.csv"));
        assert!(has_glob("[ab].txt"));
        assert!(!has_glob("p*b/a.csv"));
        assert!(!has_glob("pub/"));
    }
}
