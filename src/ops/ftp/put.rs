//! `ftp-put`: upload files, standard input or (`-R`) whole trees, over one session or `--parallel N`.
//!
//! A run first plans on one session: `--mkdirs` creates the URL's missing directories (for trees alone,
//! only once a tree's walk finds its target missing), `-R` walks the
//! local tree (directories only, never symlinks, at most 64 levels) creating each remote directory, and
//! every file becomes a job for the [`pool`] sessions. One upload is TYPE I, then STOR (`--append`:
//! APPE; `-c`: SIZE, then APPE of the rest and a SIZE check; `--atomic`: STOR to a temporary name in the
//! target directory, then RNFR/RNTO), the data streamed with constant memory, the data connection closed
//! cleanly (TLS close_notify, then FIN) and the server's 226/250 awaited: only then does the file count,
//! get its `--chmod` (SITE CHMOD) and, with `--delete-after`, lose its local copy. A local read error
//! resets the data connection instead, so the server never mistakes a cut file for a complete one. A
//! refused rename keeps the temporary file and names it: nothing on the server is deleted first.

mod mirror;

use crate::hint::Hint;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, ErrorKind, Result};
use crate::ftp::{DataMode, DataStream, RemotePath, Session, TransferType};
use crate::ops::Outcome;
use crate::ops::common::{NetOptions, RetryPolicy, Ui, with_retries};
use crate::ops::ftp::connect::FtpConnector;
use crate::ops::ftp::pool::{self, Worker};
use crate::ops::ftp::prescan::Prescan;
use crate::ops::ftp::record::{self, FileRecord};
use crate::ops::ftp::sync::{self, Compare, Facts, PlanItem, SyncOptions, Verdict};
use crate::progress::{FileBar, Progress};
use crate::terminal::escape;
use crate::url::Target;

const BUF: usize = 256 * 1024;

/// The deepest `-R` goes.
pub const MAX_DEPTH: usize = crate::ops::ftp::walk::MAX_DEPTH;
/// The most entries one `-R` walk may read.
pub const MAX_ENTRIES: usize = crate::ops::ftp::walk::MAX_ENTRIES;

/// Where an upload's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `-`: standard input (the only source, never retried).
    Stdin,
    /// A local file, or with `-R` a directory.
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

/// How each file is written on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// STOR: replace.
    Replace,
    /// `--append`: APPE.
    Append,
    /// `-c`: SIZE, APPE of the rest, SIZE check.
    Resume,
    /// `--atomic`: STOR to a temporary name, then RNFR/RNTO.
    Atomic,
}

/// What ftp-put does, as plain values (validated by `cli::ftp_put`).
#[derive(Debug, Clone)]
pub struct Options {
    /// The local files (standard input only alone, with a URL naming the file).
    pub sources: Vec<Source>,
    /// The remote file, or a directory when its path ends in `/` (or is empty).
    pub target: Target,
    /// `-R`: upload directories with everything in them.
    pub recursive: bool,
    /// `--mkdirs`: create the URL's missing directories first.
    pub mkdirs: bool,
    /// How each file is written.
    pub write: WriteMode,
    /// `--chmod`: an octal mode (3 or 4 digits) for SITE CHMOD.
    pub chmod: Option<String>,
    /// `--delete-after`: remove each local file once its upload is confirmed.
    pub delete_after: bool,
    /// `--parallel`: sessions (1 to [`pool::MAX_PARALLEL`]).
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
    /// Whether uploads get the local modification time (MFMT/SITE UTIME): every mirror (`-R`, `--newer`,
    /// `--size-only`), so the next run can compare, unless `--ignore-time`.
    pub fn keeps_time(&self) -> bool {
        self.sync.keeps_times() && (self.recursive || self.sync.compare != Compare::Overwrite)
    }
}

/// One file to upload.
struct Job {
    source: Source,
    remote: RemotePath,
    size: Option<u64>,
    /// The local modification time, set on the remote file after the upload.
    mtime: Option<std::time::SystemTime>,
    /// The local permission bits, set on the remote file after the upload (a mirror's SITE CHMOD).
    mode: Option<u32>,
    /// A mirror with `--delete` where a remote directory stands in the file's place: its entries,
    /// children first, removed (DELE, RMD) just before the upload.
    replaces: Vec<(RemotePath, bool)>,
    /// Whether the remote directory is known to be there (a mirror listed or made it): a refused STOR
    /// then gets no `--mkdirs` hint.
    dir_known: bool,
}

/// A result in argument order: known at planning time, or the outcome of the next job.
enum Slot {
    Done(FileRecord),
    Job,
}

/// Runs ftp-put.
pub fn run(opts: &Options, ui: &Ui) -> Result<Outcome> {
    let target = &opts.target;
    let conn = FtpConnector::new(target.clone(), &opts.net, opts.mode)?.limited(opts.limit.clone());
    // Several files: a spare logs in alongside the first session. A tree: as its uploads start when
    // they come to a MiB or more, else once their pace shows them worth a login (pool::run), as an
    // unchanged tree needs no second login, nor a few small changed files.
    let several = !opts.recursive && opts.sources.len() > 1;
    // Each tree is read while the server checks the password.
    let mut scans: Vec<Option<Prescan>> = opts
        .sources
        .iter()
        .map(|s| match s {
            Source::File(p) if opts.recursive && p.is_dir() => {
                Some(Prescan::start(p.clone(), &opts.sync.filters))
            }
            _ => None,
        })
        .collect();
    let mut worker = Worker::open(&conn, ui, opts.parallel, several)?;
    let dir_url = is_dir_url(&target.path);
    let remote_dir = if dir_url {
        RemotePath::dir(&target.path)
    } else {
        RemotePath::new(target.path.clone()).parent()
    };
    // A dry run changes nothing: its plan makes the missing directories (the walk finds none there).
    // Trees alone need nothing made first: a tree's walk finds its target there (and so its parents), or
    // its plan makes the missing levels (mirror::Planner), which spares an MKD and a listing per run.
    let trees_only = opts.recursive
        && opts
            .sources
            .iter()
            .all(|s| matches!(s, Source::File(p) if p.is_dir()));
    if opts.mkdirs
        && !opts.sync.dry_run
        && !trees_only
        && let Err(e) = worker.session().and_then(|s| mkdirs(s, &remote_dir))
    {
        worker.quit();
        return Err(e);
    }
    let mut slots = Vec::new();
    let mut jobs = Vec::new();
    let mut planned = mirror::Planned::default();
    let mut planner = Planner {
        opts,
        ui,
        slots: &mut slots,
        jobs: &mut jobs,
        planned: &mut planned,
    };
    for (source, scan) in opts.sources.iter().zip(scans.iter_mut()) {
        planner.plan(&mut worker, source, (dir_url, &remote_dir), scan.take());
    }
    if opts.sync.dry_run {
        worker.quit();
        let records: Vec<FileRecord> = slots
            .into_iter()
            .filter_map(|s| match s {
                Slot::Done(r) => Some(r),
                Slot::Job => None,
            })
            .collect();
        return sync::finish_dry_run(ui, &planned.plan, &records, jobs.len());
    }
    let parallel = opts.parallel;
    let total = (parallel > 1).then(|| {
        let bytes = jobs
            .iter()
            .try_fold(0u64, |sum, j| j.size.and_then(|n| sum.checked_add(n)));
        Progress::totals(jobs.len(), bytes, ui.progress())
    });
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let size_of = |j: &Job| j.size;
    let mut done = pool::run(ui, worker, parallel, (&jobs, size_of), |w, job| {
        let r = upload(opts, ui, w, job, (total.as_ref(), &planned.chmod));
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
    mirror::run_deletions(ui, &conn, target, planned.deletions, &mut results);
    record::finish(ui, &results)
}

/// A URL path ending in `/` (or empty: the login directory) names a directory.
pub fn is_dir_url(path: &str) -> bool {
    path.is_empty() || path.ends_with('/')
}

/// Creates `dir` and its missing parents (`--mkdirs`), one MKD per level; a level that already exists
/// is fine.
pub(super) fn mkdirs(s: &mut Session, dir: &RemotePath) -> Result<()> {
    let mut prefix = RemotePath::default();
    let mut levels = Vec::new();
    for part in dir.as_str().split('/') {
        if part.is_empty() {
            if prefix.as_str().is_empty() && dir.as_str().starts_with('/') {
                prefix = RemotePath::new("/");
            }
            continue;
        }
        prefix = prefix.join(part);
        levels.push(prefix.clone());
    }
    // A level that exists refuses MKD (vsftpd does not say why); only the last one is checked: when it
    // is a directory, so are its parents, and a level that is a file makes every MKD below it fail.
    let Some((last, parents)) = levels.split_last() else {
        return Ok(());
    };
    for level in parents {
        match s.mkd(level.as_str()) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Permanent => {}
            Err(e) => return Err(e),
        }
    }
    ensure_dir(s, last.as_str())
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
    opts: &'a Options,
    ui: &'a Ui,
    slots: &'a mut Vec<Slot>,
    jobs: &'a mut Vec<Job>,
    planned: &'a mut mirror::Planned,
}

impl Planner<'_> {
    fn plan(
        &mut self,
        w: &mut Worker,
        source: &Source,
        (dir_url, remote_dir): (bool, &RemotePath),
        scan: Option<Prescan>,
    ) {
        let url_path = RemotePath::new(self.opts.target.path.clone());
        let path = match source {
            Source::Stdin => return self.job(Source::Stdin, url_path, None),
            Source::File(p) => p.clone(),
        };
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => return self.fail(&path, &url_path, Error::local(path.display(), e)),
        };
        let remote = if dir_url {
            // `.` keeps its name as cp(1) does: URL/. is the URL's directory itself.
            let here = path.components().eq([std::path::Component::CurDir]);
            match local_name(&path) {
                _ if here && meta.is_dir() => remote_dir.clone(),
                Ok(name) => remote_dir.join(&name),
                Err(e) => return self.fail(&path, remote_dir, e),
            }
        } else {
            url_path
        };
        if meta.is_dir() {
            if !self.opts.recursive {
                let e = Error::new(
                    ErrorKind::LocalIo,
                    format!(
                        "{}: is a directory (use -R)",
                        escape(&path.display().to_string())
                    ),
                );
                return self.fail(&path, &remote, e);
            }
            self.mirror(w, &path, &remote, scan);
        } else if meta.is_file() {
            let mtime = meta.modified().ok();
            self.file(w, path, remote, Some(meta.len()), mtime);
        } else {
            // A FIFO or device named on the command line is read like a pipe.
            self.job(Source::File(path), remote, None);
        }
    }

    /// A file named on the command line: filters and (with `--newer`, `--size-only`) the comparison with
    /// the remote file decide whether it becomes a job.
    fn file(
        &mut self,
        w: &mut Worker,
        path: PathBuf,
        remote: RemotePath,
        size: Option<u64>,
        mtime: Option<std::time::SystemTime>,
    ) {
        let sync = &self.opts.sync;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let rel = path.display().to_string();
        let why = sync
            .filters
            .excluded(&name, false)
            .or_else(|| sync.filters.limited(size, mtime));
        if let Some(why) = why {
            return self.skip_item(&path, &remote, &rel, &why);
        }
        let verdict = if sync.compare == Compare::Overwrite {
            Ok(Verdict::Transfer("named".into()))
        } else {
            w.session().and_then(|s| {
                let have = s.size(remote.as_str())?;
                let same = have.is_some() && have == size;
                let their = if same && sync.compare == Compare::Newer {
                    s.mdtm(remote.as_str())?
                } else {
                    None
                };
                let dst = have.map(|n| Facts {
                    size: Some(n),
                    mtime: their,
                });
                let src = Facts { size, mtime };
                let times_set = s.features.sync.can_set_time();
                Ok(sync::decide(sync.compare, src, dst, times_set))
            })
        };
        match verdict {
            Ok(Verdict::Transfer(why)) => {
                self.planned.plan.push(PlanItem {
                    action: "transfer",
                    path: rel,
                    reason: why,
                });
                self.slots.push(Slot::Job);
                self.jobs.push(Job {
                    source: Source::File(path),
                    remote,
                    size,
                    mtime,
                    mode: None,
                    replaces: Vec::new(),
                    dir_known: false,
                });
            }
            Ok(Verdict::Skip(why)) => self.skip_item(&path, &remote, &rel, &why),
            Err(e) => {
                w.failed(&e);
                self.fail(&path, &remote, e);
            }
        }
    }

    fn url(&self, remote: &RemotePath) -> String {
        self.opts.target.with_path(remote.to_string()).display()
    }

    fn job(&mut self, source: Source, remote: RemotePath, size: Option<u64>) {
        self.slots.push(Slot::Job);
        self.jobs.push(Job {
            source,
            remote,
            size,
            mtime: None,
            mode: None,
            replaces: Vec::new(),
            dir_known: false,
        });
    }

    fn fail(&mut self, local: &Path, remote: &RemotePath, e: Error) {
        self.ui.item_error(&e);
        let r = FileRecord::failed(self.url(remote), local.display().to_string(), &e);
        self.slots.push(Slot::Done(r));
    }

    fn refuse(&mut self, local: &Path, remote: &RemotePath, e: Error) {
        self.ui.item_error(&e);
        let r = FileRecord::refused(self.url(remote), local.display().to_string(), &e);
        self.slots.push(Slot::Done(r));
    }
}

/// A local file's name as it will be sent: UTF-8 without control characters (CR/LF could never be sent,
/// and the others would reach terminals and logs on the other side).
fn local_name(path: &Path) -> Result<String> {
    let name = path.file_name().ok_or_else(|| {
        Error::usage(format!(
            "{}: no name to give it under the URL (name the directory, or end the URL without /)",
            path.display()
        ))
    })?;
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

/// A STOR, APPE or a mirror's MKD of its target refused with 550/553 in a subdirectory: the directory
/// may be missing, which `--mkdirs` fixes (vsftpd says "553 Could not create file.", Pure-FTPd and
/// ProFTPD 550); not said when the directory is known to be there (`dir_known`: a mirror listed or
/// made it), where the refusal is the server's permissions.
fn refused_here(opts: &Options, (remote, dir_known): (&str, bool), e: Error) -> Error {
    let in_subdir = remote.trim_start_matches('/').contains('/');
    if !opts.mkdirs && !dir_known && in_subdir && matches!(e.reply_code(), Some(550 | 553)) {
        e.with_hint(Hint::Mkdirs)
    } else {
        e
    }
}

/// Uploads one planned file on a worker's session.
fn upload(
    opts: &Options,
    ui: &Ui,
    w: &mut Worker,
    job: &Job,
    (total, chmod): (Option<&Progress>, &Chmod),
) -> FileRecord {
    let url = opts.target.with_path(job.remote.to_string()).display();
    let local = job.source.display();
    let conn = w.conn;
    let result = w.session().and_then(|s| {
        let bar = Bar {
            total,
            visible: ui.progress(),
            limit: opts.limit.as_deref(),
        };
        for (path, dir) in &job.replaces {
            if *dir {
                s.rmd(path.as_str())
            } else {
                s.dele(path.as_str())
            }
            .map_err(|e| e.within(format!("replacing what stands at {}", job.remote)))?;
        }
        put_one(opts, ui, conn, s, job, bar, chmod)
    });
    let result = result.and_then(|bytes| {
        if let (true, Source::File(p)) = (opts.delete_after, &job.source) {
            std::fs::remove_file(p).map_err(|e| {
                Error::local(format!("uploaded, but removing {} failed", p.display()), e)
            })?;
        }
        Ok(bytes)
    });
    match result {
        Ok(bytes) => {
            ui.line(&format!("{url}: {bytes} bytes"));
            FileRecord::ok(url, local, bytes)
        }
        Err(e) => {
            w.failed(&e);
            ui.item_error(&e);
            FileRecord::failed(url, local, &e)
        }
    }
}

/// One file, retrying transient failures on a fresh session when the source can be read again (a file,
/// not standard input) and a repeat cannot duplicate data (not `--append`).
fn put_one(
    opts: &Options,
    ui: &Ui,
    conn: &FtpConnector,
    session: &mut Session,
    job: &Job,
    bar: Bar,
    chmod: &Chmod,
) -> Result<u64> {
    let policy = match (&job.source, opts.write) {
        (Source::Stdin, _) | (_, WriteMode::Append) => RetryPolicy {
            retries: 0,
            ..opts.net.retry
        },
        _ => opts.net.retry,
    };
    // Outer error: a failed try (retried when transient); inner error: the end, as it is.
    with_retries(&policy, ui, |attempt| {
        if attempt > 0 {
            match conn.open_once() {
                Ok(s) => drop(std::mem::replace(session, s)),
                Err(e) if e.kind().is_transient() => return Err(e),
                Err(e) => return Ok(Err(e)),
            }
        }
        attempt_one(opts, ui, session, job, bar, chmod).map(Ok)
    })
    .map_err(|e| e.within(escape(&job.source.display())))?
}

/// One attempt: TYPE I, the upload in its write mode, then chmod (`--chmod`, or a mirror's local mode)
/// and (atomic) the rename.
fn attempt_one(
    opts: &Options,
    ui: &Ui,
    s: &mut Session,
    job: &Job,
    bar: Bar,
    chmod: &Chmod,
) -> Result<u64> {
    s.type_(TransferType::Binary)?;
    let mut input = match &job.source {
        Source::Stdin => Input::Stdin(std::io::stdin().lock()),
        Source::File(p) => Input::File(File::open(p).map_err(|e| Error::local(p.display(), e))?),
    };
    let remote = job.remote.as_str();
    let sent = match opts.write {
        WriteMode::Replace => {
            let data = s
                .stor(remote)
                .map_err(|e| refused_here(opts, (remote, job.dir_known), e))?;
            send(s, data, &mut input, job, 0, bar, &format!("STOR {remote}"))?
        }
        WriteMode::Append => {
            let data = s
                .appe(remote)
                .map_err(|e| refused_here(opts, (remote, job.dir_known), e))?;
            send(s, data, &mut input, job, 0, bar, &format!("APPE {remote}"))?
        }
        WriteMode::Resume => resume(ui, s, job, bar)?,
        WriteMode::Atomic => {
            let sent = atomic(opts, (ui, chmod), s, job, &mut input, bar)?;
            set_time(opts, ui, s, job);
            return Ok(sent);
        }
    };
    if let Some(m) = &opts.chmod {
        s.site_chmod(m, remote)?;
    }
    set_time(opts, ui, s, job);
    if let Some(mode) = job.mode {
        keep_mode(ui, s, remote, mode, chmod);
    }
    Ok(sent)
}

/// Gives the uploaded file the local modification time (MFMT or SITE UTIME), so the next mirror run
/// can compare. The upload stands either way: a refusal is a warning, and a server offering neither
/// command was noted when planning.
fn set_time(opts: &Options, ui: &Ui, s: &mut Session, job: &Job) {
    let Some(t) = job.mtime.filter(|_| opts.keeps_time()) else {
        return;
    };
    if let Err(e) = s.set_mtime(t, job.remote.as_str()) {
        ui.warn(&format!(
            "uploaded, but setting the modification time of {} failed: {e}",
            escape(job.remote.as_str())
        ));
    }
}

/// What a run has learnt of the server's SITE CHMOD ([`keep_mode`]), shared by planning and uploads.
#[derive(Default)]
pub struct Chmod {
    /// Refused before it ever worked: asked no more this run.
    refused: AtomicBool,
    /// Worked at least once: a later refusal is that file's.
    worked: AtomicBool,
}

impl Chmod {
    /// Whether the server refused SITE CHMOD (said once; not asked again).
    pub fn refused(&self) -> bool {
        self.refused.load(Ordering::Relaxed)
    }
}

/// Gives a remote file the local file's permission bits (a mirror's SITE CHMOD, once its upload is
/// confirmed). The file stands either way. A refusal (5xx: no SITE CHMOD, or chmod not allowed) before
/// any SITE CHMOD worked is said once per run and SITE CHMOD asked no more, so a server that never
/// allows it costs one round trip and one line, not one per file every night. Once one has worked, a
/// refusal is that file's (ProFTPD cuts a trailing space off the name, then finds no such file), a
/// warning for it alone, as is anything else. Whether the mode was set.
fn keep_mode(ui: &Ui, s: &mut Session, path: &str, mode: u32, chmod: &Chmod) -> bool {
    if chmod.refused() {
        return false;
    }
    match s.site_chmod(&format!("{mode:03o}"), path) {
        Ok(()) => {
            chmod.worked.store(true, Ordering::Relaxed);
            return true;
        }
        Err(e) if e.kind() == ErrorKind::Permanent && !chmod.worked.load(Ordering::Relaxed) => {
            if !chmod.refused.swap(true, Ordering::Relaxed) {
                ui.warn(&format!(
                    "the server refused SITE CHMOD ({e}): remote files keep the modes it gives them \
                     (--no-perms says not to try)"
                ));
            }
        }
        Err(e) => ui.warn(&format!("setting the mode of {} failed: {e}", escape(path))),
    }
    false
}

/// `-c`: SIZE says how much the server has (550: nothing yet), APPE sends the rest, SIZE confirms the
/// result matches the local file.
fn resume(ui: &Ui, s: &mut Session, job: &Job, bar: Bar) -> Result<u64> {
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
    // A remote file as long as the local one is complete only on the same evidence as a part: one
    // changed locally since would otherwise stay stale, and a mirror would then mark it current.
    let stale = if have > 0 {
        not_resumable(s, &mut file, path, remote, have)?
    } else {
        None
    };
    if let Some(why) = stale {
        ui.note(&format!(
            "not resuming {}: {why}; uploading it whole",
            escape(remote)
        ));
        file.seek(SeekFrom::Start(0))
            .map_err(|e| Error::local(path.display(), e))?;
        let mut input = Input::File(file);
        let data = s.stor(remote)?;
        sent = send(s, data, &mut input, job, 0, bar, &format!("STOR {remote}"))?;
    } else if have < len {
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

/// Why the `have` bytes on the server must not be taken for the start of the local file (or, as long
/// as it, for all of it), if they must not: the server's MD5 of them (HASH, XMD5;
/// [`sync::check_part`]) differs from ours, or, when no digest proves them, the remote file is not newer
/// than the local one ([`sync::may_resume`]: a file changed after the cut upload would get its new tail
/// glued onto its old head).
fn not_resumable(
    s: &mut Session,
    file: &mut File,
    path: &Path,
    remote: &str,
    have: u64,
) -> Result<Option<&'static str>> {
    let open = || {
        file.try_clone()
            .map_err(|e| Error::local(path.display(), e))
    };
    match sync::check_part(s, remote, have, true, path, open)? {
        sync::Part::Same => return Ok(None),
        sync::Part::Differs => return Ok(Some("the remote copy differs from the local file")),
        sync::Part::Unproven => {}
    }
    let meta = file.metadata().ok();
    let local = meta.as_ref().and_then(|m| m.modified().ok());
    let whole = meta.is_some_and(|m| m.len() == have);
    let remote_time = s.mdtm(remote)?;
    Ok((!sync::may_resume(local, remote_time, whole))
        .then_some("the local file changed after the remote copy was written"))
}

/// `--atomic`: STOR to a temporary name beside the target, chmod it (`--chmod`, or a mirror's local
/// mode: the target's name never shows the server's default mode, which may be wider), then RNFR/RNTO
/// over the target. A failed upload or `--chmod` removes the temporary file (it is ours); a refused
/// rename keeps and names it.
fn atomic(
    opts: &Options,
    (ui, chmod): (&Ui, &Chmod),
    s: &mut Session,
    job: &Job,
    input: &mut Input,
    bar: Bar,
) -> Result<u64> {
    let remote = job.remote.as_str();
    let tmp = temp_name(&job.remote);
    // On a signal the process waits (a bounded time) for the DELE below to remove the temporary name.
    let _hold = crate::signals::RemoteCleanup::hold();
    let stored = s
        .stor(tmp.as_str())
        .map_err(|e| refused_here(opts, (tmp.as_str(), job.dir_known), e))
        .and_then(|data| {
            let sent = send(s, data, input, job, 0, bar, &format!("STOR {tmp}"))?;
            if let Some(m) = &opts.chmod {
                s.site_chmod(m, tmp.as_str())?;
            }
            if let Some(mode) = job.mode {
                keep_mode(ui, s, tmp.as_str(), mode, chmod);
            }
            Ok(sent)
        });
    let sent = match stored {
        Ok(n) => n,
        Err(e) => {
            if !pool::session_may_be_broken(&e) {
                let _ = s.dele(tmp.as_str());
            }
            return Err(e);
        }
    };
    let kept = |e: Error| {
        Error::new(
            e.kind(),
            format!(
                "{}; the upload is kept as {}",
                e.context(),
                escape(tmp.as_str())
            ),
        )
    };
    s.rnfr(tmp.as_str()).map_err(kept)?;
    s.rnto(remote).map_err(kept)?;
    Ok(sent)
}

/// A temporary name in `remote`'s directory: hidden, marked as ferry's, unique per process and moment,
/// and short enough for any server's name limit.
fn temp_name(remote: &RemotePath) -> RemotePath {
    let (dir, name) = remote.split();
    let mut short = String::new();
    for c in name.chars() {
        if short.len() + c.len_utf8() > 100 {
            break;
        }
        short.push(c);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    dir.join(&format!(
        ".{short}.ferry-{:x}{nanos:08x}.tmp",
        std::process::id()
    ))
}

/// Where progress goes: the run's totals bar, or a bar per file when `visible`.
#[derive(Clone, Copy)]
struct Bar<'a> {
    total: Option<&'a Progress>,
    visible: bool,
    /// `--limit-rate` (rides along with the progress to every upload).
    limit: Option<&'a crate::ratelimit::RateLimit>,
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
    let Bar {
        total,
        visible,
        limit,
    } = bar;
    let progress = FileBar::new(total, job.remote.as_str(), job.size, start, visible);
    // A limited upload reads in small chunks; sendfile(2) would move megabytes past the bucket.
    let mut buf = vec![0u8; limit.map_or(BUF, |l| l.chunk().min(BUF))];
    let mut zero_copy = limit.is_none();
    let mut sent = 0u64;
    let result = loop {
        let mut moved = next_chunk(input, &mut data, &mut buf, &mut zero_copy);
        // A signal stops the upload at the next chunk and never lets it end as complete (issue 13).
        if let Err(e) = crate::signals::check() {
            moved = Moved::Local(e);
        }
        match moved {
            Moved::Bytes(n) => {
                sent = sent.saturating_add(n as u64);
                progress.inc(n as u64);
                if let Some(l) = limit {
                    l.take(n as u64);
                }
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
    fn temp_names_stay_in_the_directory_and_short() {
        let t = temp_name(&RemotePath::new("in/report.pdf")).into_string();
        assert!(t.starts_with("in/.report.pdf.ferry-"), "{t}");
        assert!(t.ends_with(".tmp"));
        let long = format!("d/{}", "é".repeat(200));
        let t = temp_name(&RemotePath::new(long)).into_string();
        assert!(t.len() < 160, "{}", t.len());
        assert!(t.starts_with("d/."));
        let t = temp_name(&RemotePath::new("/x")).into_string();
        assert!(t.starts_with("/.x.ferry-"), "{t}");
        let t = temp_name(&RemotePath::new("x")).into_string();
        assert!(t.starts_with(".x.ferry-"), "{t}");
    }

    #[test]
    fn directory_urls() {
        assert!(is_dir_url(""));
        assert!(is_dir_url("up/"));
        assert!(!is_dir_url("up/f"));
    }
}
