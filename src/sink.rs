//! Durable local writes: nothing is lost, nothing is half-written.
//!
//! A [`FileSink`] writes into a temporary file beside its target and, on [`FileSink::commit`], fsyncs it,
//! renames it over the target and fsyncs the directory, so the target name only ever holds a complete file.
//! A resumable sink (`-c`, or a retry) keeps its partial data in `.NAME.ferry-part` beside the target, so a
//! later run continues where this one stopped. Files are opened with `O_NOFOLLOW`, and names are checked by
//! [`safe_name`] before they become paths, so a server cannot make ferry write outside the target directory
//! or through a symlink it did not create. [`Output`] adds stdout and existing non-regular targets
//! (`/dev/null`, a FIFO), which are written directly. It never touches the network.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, Result};

/// A file being written beside its target.
pub struct FileSink {
    file: File,
    tmp: PathBuf,
    target: PathBuf,
    /// Whether `tmp` is the resumable partial file (`.NAME.ferry-part`), which a later `-c` continues.
    resumable: bool,
    keep_partial: bool,
    written: u64,
    done: bool,
    /// Removes `tmp` if a signal stops the process first; None for a partial file that is kept.
    on_signal: Option<crate::signals::Cleanup>,
}

/// The name of the resumable partial file for `target`.
pub fn partial_path(target: &Path) -> PathBuf {
    target.with_file_name(format!(".{}.ferry-part", short_name(target)))
}

/// The target's file name, cut to fit inside a helper file's name (file names are at most 255 bytes); a
/// cut name gets a hash of the whole one, so two long names sharing a prefix do not share helper files.
fn short_name(target: &Path) -> String {
    const KEEP: usize = 180;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.len() <= KEEP {
        return name;
    }
    let mut cut = KEEP;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    // FNV-1a: stable across runs, so -c finds the same partial file again.
    let hash = name.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    });
    format!("{}~{hash:016x}", &name[..cut])
}

/// The mode a new file for `target` is created with (the umask then applies, as for any Unix tool):
/// `0666`, never wider than an existing regular target's mode.
fn new_file_mode(target: &Path) -> u32 {
    match std::fs::symlink_metadata(target) {
        Ok(m) if m.file_type().is_file() => 0o666 & m.permissions().mode(),
        _ => 0o666,
    }
}

fn dir_of(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

impl FileSink {
    /// A fresh temporary file for `target`.
    pub fn create(target: &Path) -> Result<FileSink> {
        let name = short_name(target);
        crate::fsys::before_create().map_err(|e| {
            Error::local(
                format!("creating a temporary file for {}", target.display()),
                e,
            )
        })?;
        let mode = new_file_mode(target);
        // Created and registered for removal on a signal in one step (see `signals`).
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".ferry-tmp")
            .make_in(dir_of(target), |path| {
                crate::signals::create_removed_on_signal(path, || {
                    OpenOptions::new()
                        .read(true)
                        .write(true)
                        .create_new(true)
                        .mode(mode)
                        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                        .open(path)
                })
            })
            .map_err(|e| {
                Error::local(
                    format!("creating a temporary file for {}", target.display()),
                    e,
                )
            })?;
        let ((file, on_signal), path) = tmp
            .keep()
            .map_err(|e| Error::local(target.display(), e.error))?;
        Ok(FileSink {
            file,
            tmp: path,
            target: target.to_path_buf(),
            resumable: false,
            keep_partial: false,
            written: 0,
            done: false,
            on_signal: Some(on_signal),
        })
    }

    /// The resumable partial file for `target`, created or continued; [`FileSink::len`] says where it ends.
    /// An existing, shorter target is taken over as the partial file (it is incomplete by definition).
    /// A symlink at the target is refused: resuming would take over or replace a file ferry did not write.
    pub fn resume(target: &Path) -> Result<FileSink> {
        let part = partial_path(target);
        let existing = std::fs::symlink_metadata(target).ok();
        if existing
            .as_ref()
            .is_some_and(|m| m.file_type().is_symlink())
        {
            return Err(Error::local(
                target.display(),
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "is a symlink: not resuming through it",
                ),
            ));
        }
        if !part.exists()
            && let Some(meta) = &existing
            && meta.file_type().is_file()
        {
            crate::fsys::rename(target, &part)
                .map_err(|e| Error::local(format!("resuming {}", target.display()), e))?;
        }
        let file = crate::fsys::create(
            OpenOptions::new()
                .create(true)
                .append(true)
                .custom_flags(libc::O_NOFOLLOW)
                .mode(new_file_mode(target)),
            &part,
        )
        .map_err(|e| Error::local(part.display(), e))?;
        let written = file
            .metadata()
            .map_err(|e| Error::local(part.display(), e))?
            .len();
        // Kept on a signal too: the documented resumable partial that the next `-c` continues.
        Ok(FileSink {
            file,
            tmp: part,
            target: target.to_path_buf(),
            resumable: true,
            keep_partial: true,
            written,
            done: false,
            on_signal: None,
        })
    }

    /// Bytes in the file so far.
    pub fn len(&self) -> u64 {
        self.written
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.written == 0
    }

    /// Keeps the partial file on failure (and on a signal), so a later `-c` resumes. Only a sink made by
    /// [`FileSink::resume`] has such a file: a temporary file of [`FileSink::create`] is never kept, as no
    /// later run would find it.
    pub fn keep_partial(&mut self, keep: bool) {
        self.keep_partial = keep && self.resumable;
        if self.keep_partial {
            self.on_signal = None;
        } else if self.on_signal.is_none() {
            // Best effort: a sink created before a signal that is now cleaning up fails its next write.
            self.on_signal = crate::signals::remove_on_signal(&self.tmp).ok();
        }
    }

    /// Where the file is being written (the temporary or partial file).
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// The file written so far, opened again for reading (`-c` hashes the part it would continue).
    pub fn read_back(&self) -> Result<File> {
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&self.tmp)
            .map_err(|e| Error::local(self.tmp.display(), e))
    }

    /// Throws away what was written, to start over from byte 0.
    pub fn truncate(&mut self) -> Result<()> {
        self.file
            .set_len(0)
            .map_err(|e| Error::local(self.tmp.display(), e))?;
        self.written = 0;
        Ok(())
    }

    /// Gives the file `mode` (permission bits) before it gets its name, so it never shows another.
    pub fn set_mode(&self, mode: u32) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        self.file
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(|e| Error::local(self.tmp.display(), e))
    }

    /// Makes the file durable and gives it its name: fsync, mtime, rename, fsync of the directory.
    pub fn commit(self, mtime: Option<SystemTime>) -> Result<()> {
        let dirs = DirSync::default();
        self.commit_deferred(mtime, &dirs)?;
        // A directory that cannot be opened for its fsync (write-only) does not fail the file (see
        // `fsys::sync_dir`); a failed fsync does: the new name may not survive a crash.
        dirs.sync()
    }
}

/// The most directories [`DirSync::sync`] flushes at once.
const DIR_SYNC_THREADS: usize = 8;

/// Directories whose entries changed and still need an fsync. A run of many small files syncs each file
/// before its rename as always, but each directory once at the end ([`DirSync::sync`]) instead of once per
/// file; until then a crash can lose a renamed entry, never expose a partial file.
#[derive(Default)]
pub struct DirSync {
    dirs: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
}

impl DirSync {
    /// Notes that `dir` needs an fsync.
    pub fn add(&self, dir: &Path) {
        if let Ok(mut d) = self.dirs.lock() {
            d.insert(dir.to_path_buf());
        }
    }

    /// Fsyncs every noted directory; several at once (up to [`DIR_SYNC_THREADS`]), so that the
    /// filesystem's journal can commit them together instead of one flush of the device each. The first
    /// failure is the result; every directory is still tried.
    pub fn sync(&self) -> Result<()> {
        let dirs: Vec<PathBuf> = match self.dirs.lock() {
            Ok(mut d) => std::mem::take(&mut *d).into_iter().collect(),
            Err(_) => return Ok(()),
        };
        let next = std::sync::atomic::AtomicUsize::new(0);
        let failed: std::sync::Mutex<Option<Error>> = std::sync::Mutex::new(None);
        let work = || {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(dir) = dirs.get(i) else { break };
                if let Err(e) = crate::fsys::sync_dir(dir) {
                    let mut f = failed.lock().unwrap_or_else(|p| p.into_inner());
                    f.get_or_insert(Error::local(dir.display(), e));
                }
            }
        };
        std::thread::scope(|scope| {
            for _ in 1..dirs.len().min(DIR_SYNC_THREADS) {
                // A helper that cannot be started leaves its share to the others.
                let _ = std::thread::Builder::new().spawn_scoped(scope, work);
            }
            work();
        });
        failed
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .map_or(Ok(()), Err)
    }
}

/// Commits files on background threads, so a file's fsync and rename overlap the next transfer. Each
/// [`Committer::submit`] returns a [`Ticket`] that tells, once waited for, whether that file is durable
/// under its name; nothing counts as done before that. Files are committed in submission order when
/// there is one thread (so two downloads to the same name end with the later one).
pub struct Committer {
    tx: Option<std::sync::mpsc::Sender<Commit>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

type Commit = (
    FileSink,
    Option<SystemTime>,
    std::sync::mpsc::SyncSender<Result<()>>,
);

/// The pending outcome of one background commit.
pub struct Ticket(std::sync::mpsc::Receiver<Result<()>>);

impl Ticket {
    /// Waits until the file is committed (or failed).
    pub fn wait(self) -> Result<()> {
        self.0.recv().unwrap_or_else(|_| {
            Err(Error::new(
                crate::error::ErrorKind::Internal,
                "a background commit was lost",
            ))
        })
    }
}

impl Committer {
    /// Starts `threads` (at least one) committing threads, noting directories in `dirs`.
    pub fn new(threads: usize, dirs: std::sync::Arc<DirSync>) -> Committer {
        let (tx, rx) = std::sync::mpsc::channel::<Commit>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let threads = (0..threads.max(1))
            .map(|_| {
                let rx = rx.clone();
                let dirs = dirs.clone();
                std::thread::spawn(move || {
                    loop {
                        let next = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        let Ok((sink, mtime, done)) = next else {
                            return;
                        };
                        let _ = done.send(sink.commit_deferred(mtime, &dirs));
                    }
                })
            })
            .collect();
        Committer {
            tx: Some(tx),
            threads,
        }
    }

    /// Queues `sink` for commit.
    pub fn submit(&self, sink: FileSink, mtime: Option<SystemTime>) -> Ticket {
        // One answer: a one-slot channel (an unbounded one allocates a 31-slot block per ticket,
        // 1.7 KB a file held until the run's end).
        let (done, ticket) = std::sync::mpsc::sync_channel(1);
        if let Some(tx) = &self.tx
            && let Err(std::sync::mpsc::SendError((sink, mtime, done))) =
                tx.send((sink, mtime, done))
        {
            // No thread is left to take it: commit here.
            let _ = done.send(sink.commit(mtime));
        }
        Ticket(ticket)
    }

    /// Waits for every queued commit to finish.
    pub fn finish(mut self) {
        self.tx = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl FileSink {
    /// Like [`FileSink::commit`], leaving the directory's fsync to `dirs`.
    pub fn commit_deferred(mut self, mtime: Option<SystemTime>, dirs: &DirSync) -> Result<()> {
        let target = self.target.clone();
        let local = |e| Error::local(target.display(), e);
        self.file.flush().map_err(local)?;
        if let Some(t) = mtime {
            self.file.set_modified(t).map_err(local)?;
        }
        crate::fsys::sync(&self.file).map_err(local)?;
        crate::fsys::rename(&self.tmp, &self.target).map_err(local)?;
        self.done = true;
        self.on_signal = None;
        dirs.add(dir_of(&self.target));
        Ok(())
    }

    /// Makes the file durable and gives it the first name `candidate(n)`, n = 0, 1, …, that does not exist
    /// yet. `link(2)` never replaces an existing entry and never follows a symlink, so nothing is
    /// overwritten and a name only ever holds a complete file.
    pub fn commit_unique(self, candidate: impl Fn(u32) -> PathBuf) -> Result<PathBuf> {
        self.commit_unique_in(&UniqueNames::default(), candidate)
    }

    /// Like [`FileSink::commit_unique`], starting at the number after the last one `names` handed out for
    /// the same `candidate(0)`: N files of one name cost N links, not N²/2.
    pub fn commit_unique_in(
        mut self,
        names: &UniqueNames,
        candidate: impl Fn(u32) -> PathBuf,
    ) -> Result<PathBuf> {
        let tmp = self.tmp.clone();
        let local = |e| Error::local(tmp.display(), e);
        self.file.flush().map_err(local)?;
        crate::fsys::sync(&self.file).map_err(local)?;
        let key = candidate(0);
        let first = names.next(&key);
        for n in first..first.saturating_add(MAX_NAME_TRIES) {
            let path = candidate(n);
            match crate::fsys::link(&self.tmp, &path) {
                Ok(()) => {
                    names.used(key, n);
                    let _ = std::fs::remove_file(&self.tmp);
                    self.done = true;
                    self.on_signal = None;
                    crate::fsys::sync_dir(dir_of(&path))
                        .map_err(|e| Error::local(dir_of(&path).display(), e))?;
                    return Ok(path);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::local(path.display(), e)),
            }
        }
        Err(Error::local(
            key.display(),
            io::Error::new(io::ErrorKind::AlreadyExists, "no free name"),
        ))
    }
}

/// How many numbered names one commit tries before giving up.
const MAX_NAME_TRIES: u32 = 100_000;

/// The next number to try per base name, shared by the commits of one run (and its threads).
#[derive(Debug, Default)]
pub struct UniqueNames {
    next: std::sync::Mutex<std::collections::HashMap<PathBuf, u32>>,
}

impl UniqueNames {
    fn next(&self, key: &Path) -> u32 {
        let map = self.next.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).copied().unwrap_or(0)
    }

    fn used(&self, key: PathBuf, n: u32) {
        let mut map = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let next = map.entry(key).or_insert(0);
        *next = (*next).max(n.saturating_add(1));
    }
}

impl Write for FileSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = crate::fsys::write(&mut self.file, buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if self.keep_partial && self.written > 0 {
            let _ = self.file.sync_all();
        } else {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Where a download goes.
pub enum Output {
    /// A regular file, written durably.
    File(FileSink),
    /// Standard output.
    Stdout(io::Stdout),
    /// An existing non-regular file (`/dev/null`, a FIFO, a terminal), written directly.
    Device(File),
}

impl Output {
    /// The output for `target`: `-` is stdout; an existing device or FIFO is written directly; anything
    /// else is a durable file sink (resumable when `resume`).
    pub fn open(target: &Path, resume: bool) -> Result<Output> {
        if target.as_os_str() == "-" {
            return Ok(Output::Stdout(io::stdout()));
        }
        if let Ok(meta) = std::fs::metadata(target) {
            let ft = meta.file_type();
            if meta.is_dir() {
                return Err(Error::local(
                    target.display(),
                    io::Error::new(io::ErrorKind::IsADirectory, "is a directory"),
                ));
            }
            if !ft.is_file() {
                let f = OpenOptions::new()
                    .write(true)
                    .open(target)
                    .map_err(|e| Error::local(target.display(), e))?;
                return Ok(Output::Device(f));
            }
        }
        if resume {
            FileSink::resume(target).map(Output::File)
        } else {
            FileSink::create(target).map(Output::File)
        }
    }

    /// Bytes already present (a resumable partial file), where the transfer should continue.
    pub fn offset(&self) -> u64 {
        match self {
            Output::File(f) => f.len(),
            _ => 0,
        }
    }

    /// The descriptor of a file or device output, which a download may write with `splice(2)`; `None`
    /// for stdout (shared with the rest of the process, written through its buffer).
    pub fn raw_fd(&self) -> Option<std::os::fd::RawFd> {
        use std::os::fd::AsRawFd;
        match self {
            Output::File(f) => Some(f.file.as_raw_fd()),
            Output::Device(f) => Some(f.as_raw_fd()),
            Output::Stdout(_) => None,
        }
    }

    /// Counts `n` bytes written to [`Output::raw_fd`] directly, so the file's length stays known.
    pub fn wrote_directly(&mut self, n: usize) {
        if let Output::File(f) = self {
            f.written = f.written.saturating_add(n as u64);
        }
    }

    /// Like [`Output::commit`], leaving a file's directory fsync to `dirs`.
    pub fn commit_deferred(self, mtime: Option<SystemTime>, dirs: &DirSync) -> Result<()> {
        match self {
            Output::File(f) => f.commit_deferred(mtime, dirs),
            other => other.commit(mtime),
        }
    }

    /// Finishes the output: commits a file, flushes the others.
    pub fn commit(self, mtime: Option<SystemTime>) -> Result<()> {
        match self {
            Output::File(f) => f.commit(mtime),
            Output::Stdout(mut s) => s.flush().map_err(|e| Error::local("stdout", e)),
            Output::Device(mut f) => f.flush().map_err(|e| Error::local("output", e)),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::File(f) => f.write(buf),
            Output::Stdout(s) => s.write(buf),
            Output::Device(f) => f.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::File(f) => f.write_all(buf),
            Output::Stdout(s) => s.lock().write_all(buf),
            Output::Device(f) => f.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::File(f) => f.flush(),
            Output::Stdout(s) => s.flush(),
            Output::Device(f) => f.flush(),
        }
    }
}

/// Checks a server-provided name before it becomes one local path component: not empty, not `.` or `..`,
/// no `/`, `\` or NUL, no control characters. Returns why it is unsafe.
pub fn safe_name(name: &str) -> std::result::Result<(), &'static str> {
    if name.is_empty() || name == "." || name == ".." {
        return Err("empty, '.' or '..'");
    }
    if name.contains('/') || name.contains('\\') {
        return Err("contains a path separator");
    }
    if name.chars().any(|c| c.is_control()) {
        return Err("contains control characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_renames_and_drop_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.bin");
        let mut s = FileSink::create(&target).unwrap();
        s.write_all(b"hello").unwrap();
        assert!(!target.exists());
        s.commit(None).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"hello");
        let mut s = FileSink::create(&dir.path().join("gone")).unwrap();
        s.write_all(b"x").unwrap();
        drop(s);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "only the committed file remains");
    }

    #[test]
    fn only_a_resumable_partial_is_ever_kept() {
        // Issue 13, defect 13: a kept `.ferry-tmp` was never found by a later -c; only `.NAME.ferry-part` is.
        let dir = tempfile::tempdir().unwrap();
        let mut s = FileSink::create(&dir.path().join("t")).unwrap();
        s.keep_partial(true);
        s.write_all(b"abc").unwrap();
        drop(s);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut s = FileSink::resume(&dir.path().join("t")).unwrap();
        s.write_all(b"abc").unwrap();
        drop(s);
        assert_eq!(
            std::fs::read(partial_path(&dir.path().join("t"))).unwrap(),
            b"abc"
        );
    }

    #[test]
    fn dir_sync_flushes_every_directory_and_reports_a_failure() {
        let d = tempfile::tempdir().unwrap();
        let dirs = DirSync::default();
        for name in ["a", "b", "c", "e", "f", "g", "h", "i", "j", "k"] {
            std::fs::create_dir(d.path().join(name)).unwrap();
            dirs.add(&d.path().join(name));
        }
        dirs.sync().unwrap();
        assert!(dirs.dirs.lock().unwrap().is_empty());
        dirs.add(&d.path().join("a"));
        dirs.add(&d.path().join("missing"));
        let e = dirs.sync().unwrap_err();
        assert!(e.to_string().contains("missing"), "{e}");
    }

    #[test]
    fn deferred_commit_names_the_file_and_remembers_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = DirSync::default();
        let mut s = FileSink::create(&dir.path().join("f")).unwrap();
        s.write_all(b"x").unwrap();
        s.commit_deferred(None, &dirs).unwrap();
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"x");
        assert_eq!(dirs.dirs.lock().unwrap().len(), 1);
        dirs.sync().unwrap();
        assert!(dirs.dirs.lock().unwrap().is_empty());
    }

    #[test]
    fn resume_keeps_and_continues_partials() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("big");
        let mut s = FileSink::resume(&target).unwrap();
        s.write_all(b"abc").unwrap();
        drop(s);
        assert!(partial_path(&target).exists());
        let mut s = FileSink::resume(&target).unwrap();
        assert_eq!(s.len(), 3);
        s.write_all(b"def").unwrap();
        s.commit(None).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"abcdef");
        assert!(!partial_path(&target).exists());
    }

    #[test]
    fn commit_unique_never_overwrites_or_follows_links() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"old").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("a-1.txt")).unwrap();
        let mut s = FileSink::create(&dir.path().join("a.txt")).unwrap();
        s.write_all(b"new").unwrap();
        let name = |n: u32| match n {
            0 => dir.path().join("a.txt"),
            n => dir.path().join(format!("a-{n}.txt")),
        };
        let path = s.commit_unique(name).unwrap();
        assert_eq!(path, dir.path().join("a-2.txt"));
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read(dir.path().join("a.txt")).unwrap(), b"old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            3,
            "no temp file left"
        );
    }

    #[test]
    fn helper_files_of_long_names_fit() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join(format!("{}.txt", "é".repeat(125)));
        let mut s = FileSink::create(&target).unwrap();
        s.write_all(b"x").unwrap();
        s.commit(None).unwrap();
        assert!(target.exists());
        assert!(FileSink::resume(&dir.path().join("x".repeat(255))).is_ok());
    }

    #[test]
    fn partial_through_symlink_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        std::os::unix::fs::symlink("/etc/passwd", partial_path(&target)).unwrap();
        assert!(FileSink::resume(&target).is_err());
    }

    #[test]
    fn unsafe_names() {
        for bad in ["", ".", "..", "a/b", "..\\x", "a\nb", "\x1b[2J"] {
            assert!(safe_name(bad).is_err(), "{bad:?}");
        }
        assert!(safe_name("ok name.tar.gz").is_ok());
        assert!(safe_name("..hidden").is_ok());
    }

    /// The process umask (read by setting and restoring it; tests in this module run it once).
    fn umask() -> u32 {
        // SAFETY: umask(2) cannot fail; it is set back at once.
        let old = unsafe { libc::umask(0o022) };
        unsafe { libc::umask(old) };
        old as u32
    }

    #[test]
    fn new_files_follow_the_umask_and_never_widen_a_target() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let fresh = dir.path().join("fresh");
        let mut s = FileSink::create(&fresh).unwrap();
        s.write_all(b"x").unwrap();
        s.commit(None).unwrap();
        assert_eq!(mode(&fresh), 0o666 & !umask());
        let resumed = dir.path().join("resumed");
        let mut s = FileSink::resume(&resumed).unwrap();
        s.write_all(b"x").unwrap();
        s.commit(None).unwrap();
        assert_eq!(
            mode(&resumed),
            mode(&fresh),
            "a resumed file gets the same mode"
        );
        let private = dir.path().join("private");
        std::fs::write(&private, b"old").unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
        let mut s = FileSink::create(&private).unwrap();
        s.write_all(b"new").unwrap();
        s.commit(None).unwrap();
        assert_eq!(mode(&private), 0o600);
        // A mirror's mode (ftp-get -R) is set on the temporary file, and the name appears with it.
        let mut s = FileSink::create(&private).unwrap();
        s.write_all(b"newer").unwrap();
        s.set_mode(0o751).unwrap();
        s.commit(None).unwrap();
        assert_eq!(mode(&private), 0o751);
        assert_eq!(crate::fsys::umask(), umask(), "the umask read from /proc");
    }

    #[test]
    fn resume_refuses_a_symlink_target() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::write(&real, b"abc").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let e = FileSink::resume(&link).err().unwrap();
        assert_eq!(e.kind(), crate::error::ErrorKind::LocalIo);
        assert!(e.to_string().contains("symlink"), "{e}");
        assert_eq!(std::fs::read(&real).unwrap(), b"abc");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn repeated_names_cost_one_link_each() {
        // Issue 13, defect 16: the n-th file of one name used to try n names.
        let dir = tempfile::tempdir().unwrap();
        let names = UniqueNames::default();
        let tries = std::cell::Cell::new(0u32);
        let name = |n: u32| {
            tries.set(tries.get() + 1);
            match n {
                0 => dir.path().join("a.txt"),
                n => dir.path().join(format!("a-{n}.txt")),
            }
        };
        for i in 0..200u32 {
            let mut s = FileSink::create(&dir.path().join("a.txt")).unwrap();
            s.write_all(&i.to_le_bytes()).unwrap();
            s.commit_unique_in(&names, name).unwrap();
        }
        // One call for the key and one for the free name per commit.
        assert_eq!(tries.get(), 400);
        assert_eq!(
            std::fs::read(dir.path().join("a-199.txt")).unwrap(),
            199u32.to_le_bytes()
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 200);
    }
}
