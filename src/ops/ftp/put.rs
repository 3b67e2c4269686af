//! `ftp-put`: upload files, standard input or (`-R`) whole trees, over one session or `--parallel N`.
//!
//! A run first plans on one session: `--mkdirs` creates the URL's missing directories, `-R` walks the
//! local tree (directories only, never symlinks, at most 64 levels) creating each remote directory, and
//! every file becomes a job for the [`pool`] sessions. One upload is TYPE I, then STOR (`--append`:
//! APPE; `-c`: SIZE, then APPE of the rest and a SIZE check; `--atomic`: STOR to a temporary name in the
//! target directory, then RNFR/RNTO), the data streamed with constant memory, the data connection closed
//! cleanly (TLS close_notify, then FIN) and the server's 226/250 awaited: only then does the file count,
//! get its `--chmod` (SITE CHMOD) and, with `--delete-after`, lose its local copy. A local read error
//! resets the data connection instead, so the server never mistakes a cut file for a complete one. A
//! refused rename keeps the temporary file and names it: nothing on the server is deleted first.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::cli::ftp_put::Args;
use crate::error::{Error, ErrorKind, Result};
use crate::ftp::{DataStream, Session, TransferType};
use crate::ops::Outcome;
use crate::ops::ftp::connect::{Connector, FTP_SCHEMES, backoff};
use crate::ops::ftp::file_results::{self, FileResult};
use crate::ops::ftp::pool::{self, Worker};
use crate::progress::{FileBar, Progress};
use crate::terminal::escape;
use crate::url::Target;

const BUF: usize = 256 * 1024;

/// The deepest `-R` goes.
pub const MAX_DEPTH: usize = 64;
/// The most entries one `-R` walk may read.
pub const MAX_ENTRIES: usize = 1_000_000;

/// Where an upload's bytes come from.
enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    fn display(&self) -> String {
        match self {
            Source::Stdin => "-".to_string(),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// One file to upload.
struct Job {
    source: Source,
    remote: String,
    size: Option<u64>,
}

/// A result in argument order: known at planning time, or the outcome of the next job.
enum Slot {
    Done(FileResult),
    Job,
}

/// How each file is written on the server.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Replace,
    Append,
    Resume,
    Atomic,
}

/// Runs ftp-put.
pub fn run(args: &Args) -> Result<Outcome> {
    let target = Target::parse(&args.url, FTP_SCHEMES)?;
    validate(args, &target)?;
    let conn = Connector::new(&target, &args.net, &args.ftp)?;
    let session = conn.open_with_retries(&target, args.net.retries, "ftp-put")?;
    let mut worker = Worker::new(&conn, &target, Some(session));
    let dir_url = is_dir_url(&target.path);
    let remote_dir = if dir_url {
        dir_of_dir_url(&target.path)
    } else {
        parent(&target.path)
    };
    if args.mkdirs
        && let Err(e) = worker.session().and_then(|s| mkdirs(s, &remote_dir))
    {
        worker.quit();
        return Err(e);
    }
    let mut slots = Vec::new();
    let mut jobs = Vec::new();
    let mut planner = Planner {
        args,
        target: &target,
        slots: &mut slots,
        jobs: &mut jobs,
        entries: 0,
    };
    for file in &args.files {
        planner.plan(&mut worker, file, dir_url, &remote_dir);
    }
    let parallel = usize::from(args.parallel);
    let total = (parallel > 1).then(|| {
        let bytes = jobs.iter().map(|j| j.size).sum::<Option<u64>>();
        Progress::totals(jobs.len(), bytes, Progress::wanted(args.net.quiet))
    });
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let mut done = pool::run("ftp-put", worker, parallel, &jobs, |w, job| {
        let r = upload(args, &target, w, job, total.as_ref());
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
    let mut results = Vec::new();
    for slot in slots {
        match slot {
            Slot::Done(r) => results.push(r),
            Slot::Job => results.extend(done.next()),
        }
    }
    file_results::finish("ftp-put", args.net.json, args.net.quiet, results)
}

/// Checks flag combinations before any connection.
fn validate(args: &Args, target: &Target) -> Result<()> {
    if let Some(mode) = &args.chmod
        && !(matches!(mode.len(), 3 | 4) && mode.bytes().all(|b| (b'0'..=b'7').contains(&b)))
    {
        return Err(Error::usage(format!(
            "--chmod takes an octal mode such as 644, not {}",
            escape(mode)
        )));
    }
    let stdin = args.files.iter().filter(|f| *f == "-").count();
    if stdin > 0 {
        if stdin > 1 || args.files.len() > 1 {
            return Err(Error::usage("\"-\" (standard input) must be the only FILE"));
        }
        if is_dir_url(&target.path) {
            return Err(Error::usage(
                "standard input has no name: give a URL naming the file, not a directory",
            ));
        }
        if args.resume || args.delete_after || args.recursive {
            return Err(Error::usage(
                "-c, --delete-after and -R need files, not standard input",
            ));
        }
    }
    if args.files.len() > 1 && !is_dir_url(&target.path) {
        return Err(Error::usage(
            "several FILEs need a directory URL (ending in /)",
        ));
    }
    Ok(())
}

/// A URL path ending in `/` (or empty: the login directory) names a directory.
fn is_dir_url(path: &str) -> bool {
    path.is_empty() || path.ends_with('/')
}

/// A directory URL's path without its trailing `/` (`/` itself stays).
fn dir_of_dir_url(path: &str) -> String {
    let t = path.trim_end_matches('/');
    if t.is_empty() && path.starts_with('/') {
        "/".into()
    } else {
        t.into()
    }
}

/// The directory part of a remote file path (`""`: the login directory).
fn parent(path: &str) -> String {
    match path.rsplit_once('/') {
        Some(("", _)) => "/".into(),
        Some((d, _)) => d.into(),
        None => String::new(),
    }
}

/// `dir` joined with `name` as the server sees it.
fn join(dir: &str, name: &str) -> String {
    match dir {
        "" => name.to_string(),
        "/" => format!("/{name}"),
        d => format!("{d}/{name}"),
    }
}

/// Creates `dir` and its missing parents (`--mkdirs`), one MKD per level; a level that already exists
/// is fine.
fn mkdirs(s: &mut Session, dir: &str) -> Result<()> {
    let mut prefix = String::new();
    for part in dir.split('/') {
        if part.is_empty() {
            if prefix.is_empty() && dir.starts_with('/') {
                prefix.push('/');
            }
            continue;
        }
        prefix = join(&prefix, part);
        ensure_dir(s, &prefix)?;
    }
    Ok(())
}

/// MKD, treating "already exists" as success: a refused MKD is followed by a check that `dir` is a
/// directory (servers word the refusal differently; vsftpd says only "Create directory operation
/// failed").
fn ensure_dir(s: &mut Session, dir: &str) -> Result<()> {
    match s.mkd(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::Permanent => {
            if s.is_dir(dir)? {
                Ok(())
            } else {
                Err(e)
            }
        }
        Err(e) => Err(e),
    }
}

/// Turns arguments into jobs, walking directories for `-R`.
struct Planner<'a> {
    args: &'a Args,
    target: &'a Target,
    slots: &'a mut Vec<Slot>,
    jobs: &'a mut Vec<Job>,
    entries: usize,
}

impl Planner<'_> {
    fn plan(&mut self, w: &mut Worker, file: &str, dir_url: bool, remote_dir: &str) {
        if file == "-" {
            self.job(Source::Stdin, self.target.path.clone(), None);
            return;
        }
        let path = PathBuf::from(file);
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => return self.fail(&path, &self.target.path.clone(), Error::local(file, e)),
        };
        let remote = if dir_url {
            match local_name(&path) {
                Ok(name) => join(remote_dir, &name),
                Err(e) => return self.fail(&path, remote_dir, e),
            }
        } else {
            self.target.path.clone()
        };
        if meta.is_dir() {
            if !self.args.recursive {
                let e = Error::new(
                    ErrorKind::LocalIo,
                    format!("{}: is a directory (use -R)", escape(file)),
                );
                return self.fail(&path, &remote, e);
            }
            self.tree(w, &path, &remote, 0);
        } else if meta.is_file() {
            self.job(Source::File(path), remote, Some(meta.len()));
        } else {
            // A FIFO or device named on the command line is read like a pipe.
            self.job(Source::File(path), remote, None);
        }
    }

    /// Creates the remote directory `remote` and plans everything in the local directory `local`.
    fn tree(&mut self, w: &mut Worker, local: &Path, remote: &str, depth: usize) {
        if let Err(e) = w.session().and_then(|s| ensure_dir(s, remote)) {
            w.failed(&e);
            return self.fail(local, remote, e);
        }
        let mut entries: Vec<(String, PathBuf, std::fs::FileType, u64)> = Vec::new();
        let listed = std::fs::read_dir(local).map_err(|e| Error::local(local.display(), e));
        let listed = match listed {
            Ok(l) => l,
            Err(e) => return self.fail(local, remote, e),
        };
        for entry in listed {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => return self.fail(local, remote, Error::local(local.display(), e)),
            };
            self.entries += 1;
            if self.entries > MAX_ENTRIES {
                let e = Error::new(
                    ErrorKind::LocalIo,
                    format!("the tree has more than {MAX_ENTRIES} entries"),
                );
                return self.fail(local, remote, e);
            }
            let path = entry.path();
            let name = match local_name(&path) {
                Ok(n) => n,
                Err(e) => {
                    self.fail_as(&path, remote, e, "skipped");
                    continue;
                }
            };
            match entry.file_type() {
                Ok(ft) => {
                    let len = if ft.is_file() {
                        entry.metadata().map(|m| m.len()).unwrap_or(0)
                    } else {
                        0
                    };
                    entries.push((name, path, ft, len));
                }
                Err(e) => self.fail(&path, remote, Error::local(path.display(), e)),
            }
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, path, ft, len) in entries {
            let sub = join(remote, &name);
            if ft.is_dir() {
                if depth + 1 >= MAX_DEPTH {
                    let e = Error::new(
                        ErrorKind::Partial,
                        format!(
                            "not entering {}: deeper than {MAX_DEPTH} levels",
                            path.display()
                        ),
                    );
                    self.fail_as(&path, &sub, e, "skipped");
                    continue;
                }
                self.tree(w, &path, &sub, depth + 1);
            } else if ft.is_file() {
                self.job(Source::File(path), sub, Some(len));
            } else {
                let why = if ft.is_symlink() {
                    "symlink (not followed)"
                } else {
                    "not a regular file"
                };
                if !self.args.net.quiet && !self.args.net.json {
                    eprintln!(
                        "ftp-put: skipping {}: {why}",
                        escape(&path.display().to_string())
                    );
                }
                self.slots.push(Slot::Done(FileResult::ignored(
                    self.target.with_path(sub).display(),
                    path.display().to_string(),
                    why.into(),
                )));
            }
        }
    }

    fn job(&mut self, source: Source, remote: String, size: Option<u64>) {
        self.slots.push(Slot::Job);
        self.jobs.push(Job {
            source,
            remote,
            size,
        });
    }

    fn fail(&mut self, local: &Path, remote: &str, e: Error) {
        self.fail_as(local, remote, e, "failed");
    }

    fn fail_as(&mut self, local: &Path, remote: &str, e: Error, status: &'static str) {
        report(self.args, &e);
        self.slots.push(Slot::Done(FileResult::failed(
            self.target.with_path(remote.to_string()).display(),
            local.display().to_string(),
            &e,
            status,
        )));
    }
}

/// A local file's name as it will be sent: UTF-8 without control characters (CR/LF could never be sent,
/// and the others would reach terminals and logs on the other side).
fn local_name(path: &Path) -> Result<String> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::usage(format!("{} has no file name", path.display())))?;
    let name = name.to_str().ok_or_else(|| {
        Error::new(
            ErrorKind::Partial,
            format!("skipping {}: the name is not UTF-8", path.display()),
        )
    })?;
    if name.chars().any(char::is_control) {
        return Err(Error::new(
            ErrorKind::Partial,
            format!(
                "skipping {}: the name contains control characters",
                escape(name)
            ),
        ));
    }
    Ok(name.to_string())
}

fn report(args: &Args, e: &Error) {
    if !args.net.json {
        crate::cli::report("ftp-put", e);
    }
}

/// Uploads one planned file on a worker's session.
fn upload(
    args: &Args,
    target: &Target,
    w: &mut Worker,
    job: &Job,
    total: Option<&Progress>,
) -> FileResult {
    let url = target.with_path(job.remote.clone()).display();
    let local = job.source.display();
    let conn = w.conn;
    let result = w.session().and_then(|s| {
        let bar = Bar {
            total,
            visible: Progress::wanted(args.net.quiet),
        };
        put_one(args, conn, target, s, job, bar)
    });
    let result = result.and_then(|bytes| {
        if let (true, Source::File(p)) = (args.delete_after, &job.source) {
            std::fs::remove_file(p).map_err(|e| {
                Error::local(format!("uploaded, but removing {} failed", p.display()), e)
            })?;
        }
        Ok(bytes)
    });
    match result {
        Ok(bytes) => {
            if !args.net.quiet && !args.net.json {
                eprintln!("{}: {bytes} bytes", escape(&url));
            }
            FileResult::ok(url, local, bytes)
        }
        Err(e) => {
            w.failed(&e);
            report(args, &e);
            FileResult::failed(url, local, &e, "failed")
        }
    }
}

/// One file, retrying transient failures on a fresh session when the source can be read again (a file,
/// not standard input) and a repeat cannot duplicate data (not `--append`).
fn put_one(
    args: &Args,
    conn: &Connector,
    target: &Target,
    session: &mut Session,
    job: &Job,
    bar: Bar,
) -> Result<u64> {
    let mode = if args.atomic {
        Mode::Atomic
    } else if args.resume {
        Mode::Resume
    } else if args.append {
        Mode::Append
    } else {
        Mode::Replace
    };
    let retries = match (&job.source, mode) {
        (Source::Stdin, _) | (_, Mode::Append) => 0,
        _ => args.net.retries,
    };
    let mut attempt = 0;
    loop {
        match attempt_one(args, session, job, mode, bar) {
            Ok(n) => return Ok(n),
            Err(e) if attempt < retries && e.kind().is_transient() => {
                attempt += 1;
                eprintln!("ftp-put: {e}; retrying ({attempt}/{retries})");
                backoff(attempt);
                match conn.open(target) {
                    Ok(s) => drop(std::mem::replace(session, s)),
                    Err(e2) if e2.kind().is_transient() => continue,
                    Err(e2) => return Err(e2),
                }
            }
            Err(e) => return Err(e.within(escape(&job.source.display()))),
        }
    }
}

/// One attempt: TYPE I, the upload in `mode`, then chmod and (atomic) the rename.
fn attempt_one(args: &Args, s: &mut Session, job: &Job, mode: Mode, bar: Bar) -> Result<u64> {
    s.type_(TransferType::Binary)?;
    let mut input = match &job.source {
        Source::Stdin => Input::Stdin(std::io::stdin().lock()),
        Source::File(p) => Input::File(File::open(p).map_err(|e| Error::local(p.display(), e))?),
    };
    let remote = job.remote.as_str();
    let sent = match mode {
        Mode::Replace => {
            let data = s.stor(remote)?;
            send(s, data, &mut input, job, 0, bar, &format!("STOR {remote}"))?
        }
        Mode::Append => {
            let data = s.appe(remote)?;
            send(s, data, &mut input, job, 0, bar, &format!("APPE {remote}"))?
        }
        Mode::Resume => resume(s, job, bar)?,
        Mode::Atomic => return atomic(args, s, job, &mut input, bar),
    };
    if let Some(m) = &args.chmod {
        s.site_chmod(m, remote)?;
    }
    Ok(sent)
}

/// `-c`: SIZE says how much the server has (550: nothing yet), APPE sends the rest, SIZE confirms the
/// result matches the local file.
fn resume(s: &mut Session, job: &Job, bar: Bar) -> Result<u64> {
    let Source::File(path) = &job.source else {
        return Err(Error::usage("-c needs a file, not standard input"));
    };
    let remote = job.remote.as_str();
    let mut file = File::open(path).map_err(|e| Error::local(path.display(), e))?;
    let len = file
        .metadata()
        .map_err(|e| Error::local(path.display(), e))?
        .len();
    let have = match s.size(remote)? {
        Some(n) => n,
        None if s.features.size => 0,
        None => {
            return Err(Error::new(
                ErrorKind::Permanent,
                format!(
                    "SIZE {remote}: the server cannot tell the remote size, so -c cannot resume"
                ),
            ));
        }
    };
    if have > len {
        return Err(Error::new(
            ErrorKind::Permanent,
            format!(
                "the remote file has {have} bytes, more than the local {len}: not resuming (upload without -c to replace it)"
            ),
        ));
    }
    let mut sent = 0;
    if have < len {
        file.seek(SeekFrom::Start(have))
            .map_err(|e| Error::local(path.display(), e))?;
        let mut input = Input::File(file);
        let data = s.appe(remote)?;
        sent = send(
            s,
            data,
            &mut input,
            job,
            have,
            bar,
            &format!("APPE {remote}"),
        )?;
    }
    match s.size(remote)? {
        Some(n) if n == len => Ok(sent),
        Some(n) => Err(Error::protocol(format!(
            "after resuming, the server has {n} bytes of {remote}, not {len}"
        ))),
        None => Err(Error::protocol(format!(
            "after resuming, SIZE {remote} gives no size to check"
        ))),
    }
}

/// `--atomic`: STOR to a temporary name beside the target, chmod it, then RNFR/RNTO over the target. A
/// failed upload or chmod removes the temporary file (it is ours); a refused rename keeps and names it.
fn atomic(args: &Args, s: &mut Session, job: &Job, input: &mut Input, bar: Bar) -> Result<u64> {
    let remote = job.remote.as_str();
    let tmp = temp_name(remote);
    let stored = s.stor(&tmp).and_then(|data| {
        let sent = send(s, data, input, job, 0, bar, &format!("STOR {tmp}"))?;
        if let Some(m) = &args.chmod {
            s.site_chmod(m, &tmp)?;
        }
        Ok(sent)
    });
    let sent = match stored {
        Ok(n) => n,
        Err(e) => {
            if !pool::session_may_be_broken(&e) {
                let _ = s.dele(&tmp);
            }
            return Err(e);
        }
    };
    let kept = |e: Error| {
        Error::new(
            e.kind(),
            format!("{}; the upload is kept as {}", e.context(), escape(&tmp)),
        )
    };
    s.rnfr(&tmp).map_err(kept)?;
    s.rnto(remote).map_err(kept)?;
    Ok(sent)
}

/// A temporary name in `remote`'s directory: hidden, marked as ferry's, unique per process and moment,
/// and short enough for any server's name limit.
fn temp_name(remote: &str) -> String {
    let (dir, name) = match remote.rsplit_once('/') {
        Some((d, n)) => (Some(d), n),
        None => (None, remote),
    };
    let mut cut = name.len().min(100);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = format!(
        ".{}.ferry-{:x}{nanos:08x}.tmp",
        &name[..cut],
        std::process::id()
    );
    match dir {
        Some(d) => format!("{d}/{tmp}"),
        None => tmp,
    }
}

/// Where progress goes: the run's totals bar, or a bar per file when `visible`.
#[derive(Clone, Copy)]
struct Bar<'a> {
    total: Option<&'a Progress>,
    visible: bool,
}

/// What an upload reads: a file (sent with `sendfile(2)` on plain connections) or standard input.
enum Input {
    File(File),
    Stdin(std::io::StdinLock<'static>),
}

/// One step of an upload.
enum Moved {
    Bytes(usize),
    End,
    /// Reading the local input failed.
    Local(std::io::Error),
    /// Sending failed.
    Net(std::io::Error),
}

/// Moves the next chunk from `input` to `data`: `sendfile(2)` for a file on a plain connection (until it
/// reports that it cannot; `zero_copy` then turns off), else read and write through `buf`.
fn next_chunk(
    input: &mut Input,
    data: &mut DataStream,
    buf: &mut [u8],
    zero_copy: &mut bool,
) -> Moved {
    if let (Input::File(f), true) = (&*input, *zero_copy) {
        match data.send_file(f, BUF * 16) {
            Some(Ok(0)) => return Moved::End,
            Some(Ok(n)) => return Moved::Bytes(n),
            Some(Err(e)) => match e.raw_os_error() {
                Some(libc::EINTR) => return Moved::Bytes(0),
                Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => *zero_copy = false,
                Some(libc::EIO | libc::EBADF | libc::EOVERFLOW) => return Moved::Local(e),
                _ => return Moved::Net(e),
            },
            None => *zero_copy = false,
        }
    }
    let read = match input {
        Input::File(f) => f.read(buf),
        Input::Stdin(s) => s.read(buf),
    };
    match read {
        Ok(0) => Moved::End,
        Ok(n) => match data.write_all(&buf[..n]) {
            Ok(()) => Moved::Bytes(n),
            Err(e) => Moved::Net(e),
        },
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Moved::Bytes(0),
        Err(e) => Moved::Local(e),
    }
}

/// Streams `input` into the data connection, closes it cleanly and waits for the server's 226/250. A
/// local read error resets the connection (the server must not see a clean end); a failed write defers
/// to the server's reply, which says why (552 disk full, 426 aborted).
fn send(
    s: &mut Session,
    mut data: DataStream,
    input: &mut Input,
    job: &Job,
    start: u64,
    bar: Bar,
    what: &str,
) -> Result<u64> {
    let Bar { total, visible } = bar;
    let progress = FileBar::new(total, &job.remote, job.size, start, visible);
    let mut buf = vec![0u8; BUF];
    let mut zero_copy = true;
    let mut sent = 0u64;
    let result = loop {
        match next_chunk(input, &mut data, &mut buf, &mut zero_copy) {
            Moved::Bytes(n) => {
                sent += n as u64;
                progress.inc(n as u64);
            }
            Moved::End => break Ok(()),
            Moved::Net(e) => break Err(Error::network("sending data", e)),
            Moved::Local(e) => {
                data.abort();
                let _ = s.transfer_complete(what);
                return Err(Error::local(job.source.display(), e));
            }
        }
    };
    drop(progress);
    let closed = result.and_then(|_| data.close_write());
    let done = s.transfer_complete(what);
    if done.is_ok() {
        data.drain();
    }
    drop(data);
    match (closed, done) {
        (Ok(()), Ok(())) => Ok(sent),
        (_, Err(server)) => Err(server),
        (Err(e), Ok(())) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_paths() {
        assert_eq!(dir_of_dir_url("up/"), "up");
        assert_eq!(dir_of_dir_url("/"), "/");
        assert_eq!(dir_of_dir_url(""), "");
        assert_eq!(parent("a/b/c.txt"), "a/b");
        assert_eq!(parent("/c.txt"), "/");
        assert_eq!(parent("c.txt"), "");
        assert_eq!(join("", "x"), "x");
        assert_eq!(join("/", "x"), "/x");
        assert_eq!(join("a/b", "x"), "a/b/x");
    }

    #[test]
    fn temp_names_stay_in_the_directory_and_short() {
        let t = temp_name("in/report.pdf");
        assert!(t.starts_with("in/.report.pdf.ferry-"), "{t}");
        assert!(t.ends_with(".tmp"));
        let long = format!("d/{}", "é".repeat(200));
        let t = temp_name(&long);
        assert!(t.len() < 160, "{}", t.len());
        assert!(t.starts_with("d/."));
    }
}
