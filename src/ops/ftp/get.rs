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

use crate::cli::ftp_get::Args;
use crate::error::{Error, ErrorKind, Result};
use crate::ftp::list::Kind;
use crate::ftp::{Session, TransferType};
use crate::ops::Outcome;
use crate::ops::ftp::connect::{Connector, FTP_SCHEMES, backoff};
use crate::ops::ftp::file_results::{self, FileResult};
use crate::ops::ftp::pool::{self, Worker};
use crate::pingpong::Command;
use crate::progress::{FileBar, Progress};
use crate::sink::{Committer, DirSync, Output, Ticket, safe_name};
use crate::terminal::escape;
use crate::url::Target;

const BUF: usize = 256 * 1024;

/// The deepest `-R` goes.
pub const MAX_DEPTH: usize = 64;
/// The most entries one `-R` walk may list.
pub const MAX_ENTRIES: usize = 1_000_000;

/// One file to download.
struct Job {
    target: Target,
    local: PathBuf,
    size: Option<u64>,
}

/// A result in URL order: known at planning time, or the outcome of job `n`.
enum Slot {
    Done(FileResult),
    Job(usize),
}

/// Runs ftp-get.
pub fn run(args: &Args) -> Result<Outcome> {
    let targets: Vec<Target> = args
        .urls
        .iter()
        .map(|u| Target::parse(u, FTP_SCHEMES))
        .collect::<Result<_>>()?;
    let single = targets.len() == 1 && !has_glob(&targets[0].path) && !args.recursive;
    let to_stdout = args.output.as_ref().is_some_and(|o| o.as_os_str() == "-");
    if args.output.is_some() && args.recursive {
        return Err(Error::usage("-R writes a tree: use -O DIR, not -o"));
    }
    if args.output.is_some() && !to_stdout && !single {
        return Err(Error::usage(
            "-o FILE takes one URL without a glob; use -O DIR for several files",
        ));
    }
    if args.ascii && args.resume {
        return Err(Error::usage("--ascii transfers cannot be resumed (-c)"));
    }
    if args.recursive && targets.iter().any(|t| has_glob(&t.path)) {
        return Err(Error::usage("-R takes directory URLs, not globs"));
    }
    // Several sessions writing one stdout would interleave the files.
    let parallel = if to_stdout {
        1
    } else {
        usize::from(args.parallel)
    };
    let mut results = Vec::new();
    let dirs = std::sync::Arc::new(DirSync::default());
    // fsync + rename of each file overlap the next transfer; results wait for them below.
    let committer = Committer::new(parallel, dirs.clone());
    let mut tickets = Vec::new();
    let mut rest = &targets[..];
    while let Some(first) = rest.first() {
        let n = rest
            .iter()
            .take_while(|t| server_key(t) == server_key(first))
            .count();
        let (group, later) = rest.split_at(n);
        rest = later;
        let conn = Connector::new(first, &args.net, &args.ftp)?;
        let session = conn.open_with_retries(first, args.net.retries, "ftp-get")?;
        let mut worker = Worker::new(&conn, first, Some(session));
        let mut slots = Vec::new();
        let mut jobs = Vec::new();
        for target in group {
            plan(args, &mut worker, target, &mut slots, &mut jobs);
        }
        if parallel > 1 {
            one_job_per_local_path(&mut slots, &mut jobs);
        }
        let visible = Progress::wanted(args.net.quiet) && parallel > 1;
        let total = (parallel > 1).then(|| {
            let bytes = jobs.iter().map(|j| j.size).sum::<Option<u64>>();
            Progress::totals(jobs.len(), bytes, visible)
        });
        let finished = std::sync::atomic::AtomicUsize::new(0);
        let mut done = pool::run("ftp-get", worker, parallel, &jobs, |w, job| {
            let r = fetch(
                args,
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
            report(args, &e);
            results[i].fail(&e);
        }
    }
    committer.finish();
    dirs.sync()?;
    file_results::finish("ftp-get", args.net.json, args.net.quiet, results)
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
fn fetch(args: &Args, w: &mut Worker, job: &Job, shared: Shared) -> (FileResult, Option<Ticket>) {
    let url = job.target.display();
    let path = job.local.display().to_string();
    let conn = w.conn;
    let result = w
        .session()
        .and_then(|s| get_one(args, conn, s, job, shared));
    match result {
        Ok((bytes, ticket)) => {
            if !args.net.quiet && !args.net.json && job.local.as_os_str() != "-" {
                eprintln!("{}: {bytes} bytes", escape(&path));
            }
            (FileResult::ok(url, path, bytes), ticket)
        }
        Err(e) => {
            w.failed(&e);
            report(args, &e);
            (FileResult::failed(url, path, &e, "failed"), None)
        }
    }
}

/// Turns one URL into jobs: itself, its glob's matches, or (`-R`) every file of its tree.
fn plan(args: &Args, w: &mut Worker, target: &Target, slots: &mut Vec<Slot>, jobs: &mut Vec<Job>) {
    if args.recursive {
        let mut tree = Tree {
            args,
            out: PathBuf::new(),
            slots: Vec::new(),
            jobs,
            entries: 0,
        };
        let walked = tree.walk_root(w, target);
        slots.append(&mut tree.slots);
        if let Err(e) = walked {
            w.failed(&e);
            slots.push(Slot::Done(planning_failed(args, target, e, "failed")));
        }
        return;
    }
    let files = match w.session().and_then(|s| expand(s, target)) {
        Ok(f) => f,
        Err(e) => {
            w.failed(&e);
            slots.push(Slot::Done(planning_failed(args, target, e, "failed")));
            return;
        }
    };
    for (remote, name) in files {
        let t = target.with_path(remote);
        match local_path(args, &name) {
            Ok(local) => {
                slots.push(Slot::Job(jobs.len()));
                jobs.push(Job {
                    target: t,
                    local,
                    size: None,
                });
            }
            Err(e) => slots.push(Slot::Done(planning_failed(args, &t, e, "skipped"))),
        }
    }
}

fn planning_failed(args: &Args, t: &Target, e: Error, status: &'static str) -> FileResult {
    report(args, &e);
    FileResult::failed(t.display(), String::new(), &e, status)
}

/// Parallel sessions must not write the same local file: a later job for a path already taken is skipped.
fn one_job_per_local_path(slots: &mut [Slot], jobs: &mut Vec<Job>) {
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
            eprintln!("ftp-get: {}", escape(&e.to_string()));
            *slot = Slot::Done(FileResult::failed(
                job.target.display(),
                job.local.display().to_string(),
                &e,
                "skipped",
            ));
        }
    }
}

/// The `-R` walk: lists directories depth-first on the planning session, creates the local directories
/// and records one job per file.
struct Tree<'r> {
    args: &'r Args,
    out: PathBuf,
    slots: Vec<Slot>,
    jobs: &'r mut Vec<Job>,
    entries: usize,
}

impl Tree<'_> {
    /// Mirrors the directory `target` names into `-O DIR`/its last segment (into DIR itself for the
    /// login or root directory).
    fn walk_root(&mut self, w: &mut Worker, target: &Target) -> Result<()> {
        let trimmed = target.path.trim_end_matches('/');
        let remote = if trimmed.is_empty() && target.path.starts_with('/') {
            "/"
        } else {
            trimmed
        };
        let out = self
            .args
            .output_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("."));
        let base = remote.rsplit('/').next().unwrap_or("");
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
        self.walk(w, target, remote, &local, "", 0)
    }

    fn walk(
        &mut self,
        w: &mut Worker,
        target: &Target,
        remote: &str,
        local: &Path,
        rel: &str,
        depth: usize,
    ) -> Result<()> {
        let mut entries = crate::ops::ftp::ls::list_dir(w.session()?, remote)?;
        // Some servers (vsftpd) list a missing directory as empty.
        if depth == 0 && entries.is_empty() && !w.session()?.is_dir(remote)? {
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
            let sub = match remote {
                "" => entry.name.clone(),
                "/" => format!("/{}", entry.name),
                r => format!("{r}/{}", entry.name),
            };
            let t = target.with_path(sub.clone());
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
                    if !self.args.net.quiet && !self.args.net.json {
                        eprintln!("ftp-get: not following symlink {}", escape(&rel_path));
                    }
                    self.slots.push(Slot::Done(FileResult::ignored(
                        t.display(),
                        path.display().to_string(),
                        "symlink (not followed)".into(),
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
                        report(self.args, &e);
                        self.slots.push(Slot::Done(FileResult::failed(
                            t.display(),
                            path.display().to_string(),
                            &e,
                            "failed",
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
        report(self.args, &e);
        self.slots.push(Slot::Done(FileResult::failed(
            t.display(),
            String::new(),
            &e,
            "skipped",
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

fn report(args: &Args, e: &Error) {
    if !args.net.json {
        crate::cli::report("ftp-get", e);
    }
}

fn has_glob(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    last.contains(['*', '?', '['])
}

/// The remote files a URL stands for: itself, or the glob's matches (files only) in its directory.
fn expand(session: &mut Session, target: &Target) -> Result<Vec<(String, String)>> {
    let path = &target.path;
    let (dir, last) = match path.rsplit_once('/') {
        Some((d, l)) => (
            if d.is_empty() && path.starts_with('/') {
                "/"
            } else {
                d
            },
            l,
        ),
        None => ("", path.as_str()),
    };
    if last.is_empty() {
        return Err(Error::usage(format!(
            "{} names a directory, not a file",
            target.display()
        )));
    }
    if !has_glob(path) {
        return Ok(vec![(path.clone(), last.to_string())]);
    }
    let pattern =
        glob::Pattern::new(last).map_err(|e| Error::usage(format!("bad glob {last:?}: {e}")))?;
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let mut names: Vec<String> = match session.list_dir(dir) {
        Ok(entries) if !entries.is_empty() => entries
            .into_iter()
            .filter(|e| e.kind != Kind::Dir)
            .map(|e| e.name)
            .collect(),
        Ok(_) | Err(_) => session.nlst(dir)?,
    };
    names.retain(|n| pattern.matches_with(n, opts));
    names.sort();
    if names.is_empty() {
        return Err(Error::new(
            ErrorKind::Permanent,
            format!("{}: no file matches", target.display()),
        ));
    }
    let join = |n: &str| match dir {
        "" => n.to_string(),
        "/" => format!("/{n}"),
        d => format!("{d}/{n}"),
    };
    Ok(names.into_iter().map(|n| (join(&n), n)).collect())
}

/// Where a remote file goes locally; a server-provided name must be safe.
fn local_path(args: &Args, name: &str) -> Result<PathBuf> {
    if let Some(o) = &args.output {
        return Ok(o.clone());
    }
    safe_name(name).map_err(|why| {
        Error::new(
            ErrorKind::Partial,
            format!(
                "skipping unsafe remote name {}: {why}",
                crate::terminal::escape(name)
            ),
        )
    })?;
    let dir = args
        .output_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(dir.join(name))
}

/// Downloads one file, retrying transient failures on a fresh session and resuming from what was written.
fn get_one(
    args: &Args,
    conn: &Connector,
    session: &mut Session,
    job: &Job,
    shared: Shared,
) -> Result<(u64, Option<Ticket>)> {
    let (t, local) = (&job.target, job.local.as_path());
    let mut out = Output::open(local, args.resume)?;
    if let Output::File(f) = &mut out {
        f.keep_partial(args.resume);
    }
    let start = out.offset();
    let mut written = start;
    let mut attempt = 0;
    loop {
        match transfer(args, session, job, &mut out, &mut written, shared.total) {
            Ok(Done::Complete(mtime)) => {
                // DELE only once the new name is durable, directory included.
                if args.delete_after {
                    out.commit(mtime).map_err(|e| e.within(local.display()))?;
                    session.dele(&t.path)?;
                    return Ok((written - start, None));
                }
                if let Output::File(f) = out {
                    return Ok((written - start, Some(shared.committer.submit(f, mtime))));
                }
                out.commit_deferred(mtime, shared.dirs)
                    .map_err(|e| e.within(local.display()))?;
                return Ok((written - start, None));
            }
            Err(e) if attempt < args.net.retries && e.kind().is_transient() => {
                attempt += 1;
                eprintln!("ftp-get: {e}; retrying ({attempt}/{})", args.net.retries);
                backoff(attempt);
                if args.ascii && written > 0 {
                    if let Output::File(f) = &mut out {
                        f.truncate()?;
                        written = 0;
                    } else {
                        return Err(e);
                    }
                }
                match conn.open(t) {
                    Ok(s) => std::mem::replace(session, s).quit(),
                    Err(e2) if e2.kind().is_transient() => continue,
                    Err(e2) => return Err(e2),
                }
            }
            Err(e) => return Err(e.within(t.display())),
        }
    }
}

enum Done {
    Complete(Option<std::time::SystemTime>),
}

/// One attempt: TYPE, SIZE, MDTM, REST + RETR, stream, 226, size check.
fn transfer(
    args: &Args,
    s: &mut Session,
    job: &Job,
    out: &mut Output,
    written: &mut u64,
    total: Option<&Progress>,
) -> Result<Done> {
    let path = &job.target.path;
    let ttype = if args.ascii {
        TransferType::Ascii
    } else {
        TransferType::Binary
    };
    s.type_(ttype)?;
    // A size from the -R listing saves the SIZE round trip per file.
    let size = match (args.ascii, job.size) {
        (true, _) => None,
        (false, Some(known)) => Some(known),
        (false, None) => s.size(path)?,
    };
    let mtime = if args.preserve { s.mdtm(path)? } else { None };
    if let Some(size) = size {
        if *written == size && args.resume {
            return Ok(Done::Complete(mtime));
        }
        if *written > size
            && let Output::File(f) = out
        {
            f.truncate()?;
            *written = 0;
        }
    }
    let what = format!("RETR {path}");
    let mut data = s.transfer(Command::with("RETR", path.clone()), Some(*written))?;
    let progress = FileBar::new(
        total,
        path,
        size,
        *written,
        Progress::wanted(args.net.quiet),
    );
    let copied = copy(&mut data, out, &progress, args.ascii, written);
    drop(progress);
    drop(data);
    let done = s.transfer_complete(&what);
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
    Ok(Done::Complete(mtime))
}

/// Streams data to the output; in ASCII mode CRLF becomes LF.
fn copy(
    data: &mut impl Read,
    out: &mut Output,
    progress: &FileBar,
    ascii: bool,
    written: &mut u64,
) -> Result<()> {
    let mut buf = vec![0u8; BUF];
    let mut pending_cr = false;
    loop {
        let n = match data.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::network("reading data", e)),
        };
        let chunk: std::borrow::Cow<[u8]> = if ascii {
            std::borrow::Cow::Owned(crlf_to_lf(&buf[..n], &mut pending_cr))
        } else {
            std::borrow::Cow::Borrowed(&buf[..n])
        };
        out.write_all(&chunk)
            .map_err(|e| Error::local("writing output", e))?;
        *written += chunk.len() as u64;
        progress.inc(n as u64);
    }
    if pending_cr {
        out.write_all(b"\r")
            .map_err(|e| Error::local("writing output", e))?;
        *written += 1;
    }
    Ok(())
}

/// CRLF → LF across chunk boundaries (`pending_cr`: the previous chunk ended in CR).
fn crlf_to_lf(chunk: &[u8], pending_cr: &mut bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(chunk.len() + 1);
    for &b in chunk {
        if *pending_cr {
            *pending_cr = false;
            if b != b'\n' {
                out.push(b'\r');
            }
        }
        if b == b'\r' {
            *pending_cr = true;
        } else {
            out.push(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_conversion_spans_chunks() {
        let mut cr = false;
        let mut out = crlf_to_lf(b"a\r", &mut cr);
        out.extend(crlf_to_lf(b"\nb\r\rc", &mut cr));
        assert_eq!(out, b"a\nb\r\rc");
        assert!(!cr);
    }

    #[test]
    fn globs_only_in_the_last_segment() {
        assert!(has_glob("pub/*.csv"));
        assert!(!has_glob("p*b/a.csv"));
    }
}
