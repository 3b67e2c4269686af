//! `ftp-get`: download one or more URLs (globs in the last segment, whole trees with `-R`) over one
//! session per server, or `--parallel N` sessions.
//!
//! A run first plans, on one session: globs are expanded, `-R` walks the tree (directories only, never
//! symlinks, at most 64 levels) creating the local directories, and every file becomes a job. The jobs
//! then run on the [`pool`] sessions. Each file streams from the data connection through the progress
//! bar into an [`Output`]: a temporary file beside the target that is committed (fsync, rename) only after
//! the server's 226 and a size check against SIZE, so a cut transfer never leaves a file at the target name
//! (exit 9). `-c` and `--retries` continue from the bytes already written with REST. `--delete-after`
//! sends DELE only after the commit. Server-provided names are checked with [`safe_name`] before they
//! become local paths, and local directories are created by us or refused when they are symlinks; an
//! unsafe name is skipped and the run ends with exit 10.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, ErrorKind, Result};
use crate::ftp::list::Kind;
use crate::ftp::{AsciiReader, DataMode, RemotePath, Session, TransferType};
use crate::ops::Outcome;
use crate::ops::common::{NetOptions, Ui, with_retries};
use crate::ops::ftp::connect::FtpConnector;
use crate::ops::ftp::pool::{self, Worker};
use crate::ops::ftp::record::{self, FileRecord};
use crate::progress::{FileBar, Progress};
use crate::sink::{Committer, DirSync, Output, Ticket, safe_name};
use crate::terminal::escape;
use crate::url::Target;

const BUF: usize = 256 * 1024;

/// The deepest `-R` goes.
pub const MAX_DEPTH: usize = 64;
/// The most entries one `-R` walk may list.
pub const MAX_ENTRIES: usize = 1_000_000;

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
}

/// One file to download.
struct Job {
    target: Target,
    local: PathBuf,
    size: Option<u64>,
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
    let mut rest = &opts.targets[..];
    while let Some(first) = rest.first() {
        let n = rest
            .iter()
            .take_while(|t| server_key(t) == server_key(first))
            .count();
        let (group, later) = rest.split_at(n);
        rest = later;
        let conn = FtpConnector::new(first.clone(), &opts.net, opts.mode)?;
        let session = conn.open(ui)?;
        let mut worker = Worker::new(&conn, Some(session));
        let mut slots = Vec::new();
        let mut jobs = Vec::new();
        for target in group {
            plan(opts, ui, &mut worker, target, &mut slots, &mut jobs);
        }
        if parallel > 1 {
            one_job_per_local_path(ui, &mut slots, &mut jobs);
        }
        let visible = ui.progress() && parallel > 1;
        let total = (parallel > 1).then(|| {
            let bytes = jobs.iter().map(|j| j.size).sum::<Option<u64>>();
            Progress::totals(jobs.len(), bytes, visible)
        });
        let finished = std::sync::atomic::AtomicUsize::new(0);
        let mut done = pool::run(ui, worker, parallel, &jobs, |w, job| {
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
    dirs.sync()?;
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
    slots: &mut Vec<Slot>,
    jobs: &mut Vec<Job>,
) {
    if opts.recursive {
        let mut tree = Tree {
            opts,
            ui,
            out: PathBuf::new(),
            slots: Vec::new(),
            jobs,
            entries: 0,
        };
        let walked = tree.walk_root(w, target);
        slots.append(&mut tree.slots);
        if let Err(e) = walked {
            w.failed(&e);
            ui.item_error(&e);
            slots.push(Slot::Done(FileRecord::failed(
                target.display(),
                String::new(),
                &e,
            )));
        }
        return;
    }
    let files = match w.session().and_then(|s| expand(s, target)) {
        Ok(f) => f,
        Err(e) => {
            w.failed(&e);
            ui.item_error(&e);
            slots.push(Slot::Done(FileRecord::failed(
                target.display(),
                String::new(),
                &e,
            )));
            return;
        }
    };
    for (remote, name) in files {
        let t = target.with_path(remote.into_string());
        match local_path(opts, &name) {
            Ok(local) => {
                slots.push(Slot::Job(jobs.len()));
                jobs.push(Job {
                    target: t,
                    local,
                    size: None,
                });
            }
            Err(e) => {
                ui.item_error(&e);
                slots.push(Slot::Done(FileRecord::refused(
                    t.display(),
                    String::new(),
                    &e,
                )));
            }
        }
    }
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

/// The `-R` walk: lists directories depth-first on the planning session, creates the local directories
/// and records one job per file.
struct Tree<'r> {
    opts: &'r Options,
    ui: &'r Ui,
    out: PathBuf,
    slots: Vec<Slot>,
    jobs: &'r mut Vec<Job>,
    entries: usize,
}

impl Tree<'_> {
    /// Mirrors the directory `target` names into `-O DIR`/its last segment (into DIR itself for the
    /// login or root directory).
    fn walk_root(&mut self, w: &mut Worker, target: &Target) -> Result<()> {
        let remote = RemotePath::dir(&target.path);
        let out = match &self.opts.dest {
            Dest::Dir(d) => d.clone(),
            Dest::File(_) | Dest::Stdout => PathBuf::from("."),
        };
        let base = remote.last();
        let local = if base.is_empty() {
            out.clone()
        } else {
            safe_name(base).map_err(|why| {
                Error::new(
                    ErrorKind::LocalIo,
                    format!("{} cannot be a local directory: {why}", escape(base)),
                )
            })?;
            out.join(base)
        };
        self.out = out;
        self.walk(w, target, &remote, &local, "", 0)
    }

    fn walk(
        &mut self,
        w: &mut Worker,
        target: &Target,
        remote: &RemotePath,
        local: &Path,
        rel: &str,
        depth: usize,
    ) -> Result<()> {
        let mut entries = crate::ops::ftp::ls::list_dir(w.session()?, remote.as_str())?;
        // Some servers (vsftpd) list a missing directory as empty.
        if depth == 0 && entries.is_empty() && !w.session()?.is_dir(remote.as_str())? {
            return Err(Error::new(
                ErrorKind::Permanent,
                format!("{}: no such directory", target.display()),
            ));
        }
        self.entries += entries.len();
        if self.entries > MAX_ENTRIES {
            return Err(Error::protocol(format!(
                "the tree has more than {MAX_ENTRIES} entries"
            )));
        }
        if depth == 0 {
            // The -O directory is the user's: created when missing, used as it is (even a symlink).
            std::fs::create_dir_all(&self.out).map_err(|e| Error::local(self.out.display(), e))?;
        }
        if local != self.out {
            local_dir(local)?;
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        for entry in entries {
            let rel_path = if rel.is_empty() {
                entry.name.clone()
            } else {
                format!("{rel}/{}", entry.name)
            };
            let sub = remote.join(&entry.name);
            let t = target.with_path(sub.to_string());
            if let Err(why) = safe_name(&entry.name) {
                self.skip(
                    &t,
                    Error::new(
                        ErrorKind::Partial,
                        format!("skipping unsafe remote name {}: {why}", escape(&rel_path)),
                    ),
                );
                continue;
            }
            let path = local.join(&entry.name);
            match entry.kind {
                Kind::Link => {
                    self.ui
                        .note(&format!("not following symlink {}", escape(&rel_path)));
                    self.slots.push(Slot::Done(FileRecord::skipped(
                        t.display(),
                        path.display().to_string(),
                        "symlink (not followed)",
                    )));
                }
                Kind::Dir => {
                    if depth + 1 >= MAX_DEPTH {
                        self.skip(
                            &t,
                            Error::new(
                                ErrorKind::Partial,
                                format!(
                                    "not entering {}: deeper than {MAX_DEPTH} levels",
                                    escape(&rel_path)
                                ),
                            ),
                        );
                        continue;
                    }
                    let walked = self.walk(w, target, &sub, &path, &rel_path, depth + 1);
                    if let Err(e) = walked {
                        if self.entries > MAX_ENTRIES {
                            return Err(e);
                        }
                        w.failed(&e);
                        let e = e.within(escape(&rel_path));
                        self.ui.item_error(&e);
                        self.slots.push(Slot::Done(FileRecord::failed(
                            t.display(),
                            path.display().to_string(),
                            &e,
                        )));
                    }
                }
                Kind::File | Kind::Other => {
                    self.slots.push(Slot::Job(self.jobs.len()));
                    self.jobs.push(Job {
                        target: t,
                        local: path,
                        size: entry.size,
                    });
                }
            }
        }
        Ok(())
    }

    fn skip(&mut self, t: &Target, e: Error) {
        self.ui.item_error(&e);
        self.slots.push(Slot::Done(FileRecord::refused(
            t.display(),
            String::new(),
            &e,
        )));
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
        Err(e) => Err(Error::local(path.display(), e)),
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
    let mut names: Vec<String> = match session.list_dir(dir.as_str()) {
        Ok(entries) if !entries.is_empty() => entries
            .into_iter()
            .filter(|e| e.kind != Kind::Dir)
            .map(|e| e.name)
            .collect(),
        Ok(_) | Err(_) => session.nlst(dir.as_str())?,
    };
    names.retain(|n| pattern.matches_with(n, opts));
    names.sort();
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
    safe_name(name).map_err(|why| {
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
    let mut out = Output::open(local, opts.resume)?;
    if let Output::File(f) = &mut out {
        f.keep_partial(opts.resume);
    }
    let start = out.offset();
    let mut written = start;
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
        match transfer(opts, ui, session, job, &mut out, &mut written, shared.total) {
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
    // DELE only once the new name is durable, directory included.
    if opts.delete_after {
        out.commit(mtime).map_err(|e| e.within(local.display()))?;
        session.dele(&t.path)?;
        return Ok((written - start, None));
    }
    if let Output::File(f) = out {
        return Ok((written - start, Some(shared.committer.submit(f, mtime))));
    }
    out.commit_deferred(mtime, shared.dirs)
        .map_err(|e| e.within(local.display()))?;
    Ok((written - start, None))
}

/// One attempt: TYPE, SIZE, MDTM, REST + RETR, stream, 226, size check. Returns the remote modification
/// time for `--preserve`.
fn transfer(
    opts: &Options,
    ui: &Ui,
    s: &mut Session,
    job: &Job,
    out: &mut Output,
    written: &mut u64,
    total: Option<&Progress>,
) -> Result<Option<SystemTime>> {
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
    let mtime = if opts.preserve { s.mdtm(path)? } else { None };
    if let Some(size) = size {
        if *written == size && opts.resume {
            return Ok(mtime);
        }
        if *written > size
            && let Output::File(f) = out
        {
            f.truncate()?;
            *written = 0;
        }
    }
    let data = crate::ratelimit::Limited::new(s.retr(path, *written)?, opts.limit.clone());
    let progress = FileBar::new(total, path, size, *written, ui.progress());
    // The data stream is dropped (closed) before the server's final reply is read.
    let copied = if opts.ascii {
        copy(AsciiReader::new(data), out, &progress, written)
    } else {
        copy(data, out, &progress, written)
    };
    drop(progress);
    let done = s.transfer_complete(&format!("RETR {path}"));
    copied?;
    done?;
    if let Some(size) = size
        && *written != size
    {
        return Err(Error::protocol(format!(
            "truncated transfer: {written} of {size} bytes"
        )));
    }
    out.flush().map_err(|e| Error::local("output", e))?;
    Ok(mtime)
}

/// Streams the data to the output, counting what was written.
fn copy(
    mut data: impl Read,
    out: &mut Output,
    progress: &FileBar,
    written: &mut u64,
) -> Result<()> {
    let mut buf = vec![0u8; BUF];
    loop {
        let n = match data.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::network("reading data", e)),
        };
        out.write_all(&buf[..n])
            .map_err(|e| Error::local("writing output", e))?;
        *written += n as u64;
        progress.inc(n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_only_in_the_last_segment() {
        assert!(has_glob("pub/*.csv"));
        assert!(has_glob("[ab].txt"));
        assert!(!has_glob("p*b/a.csv"));
        assert!(!has_glob("pub/"));
    }
}
