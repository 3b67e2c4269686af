//! State-file primitives for the incremental fetch tools: whole-file atomic replacement, an append-only
//! journal, both durable when they return, and [`RunLock`], the lock one run holds on its state file (or
//! smtp-send on its queue, ftp-get -R on its target tree) so that two overlapping runs never fetch or
//! send the same mail twice, nor write the same files at once. The formats (which UIDLs, which UIDVALIDITY) stay
//! with each tool; this module only guarantees that a reader sees the old state or the new one, never a
//! torn file, and that an acknowledged record survives a crash. Writes go through `crate::fsys`; a
//! signal that stops the process removes a replacement's temporary file (see `crate::signals`).

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};

fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn sync_dir(path: &Path) -> Result<()> {
    crate::fsys::sync_dir(dir_of(path)).map_err(|e| Error::local(dir_of(path).display(), e))
}

/// Replaces `path` with `contents`: a temporary file in the same directory, fsync, rename, fsync of the
/// directory. A crash at any point leaves either the old file or the new one.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let local = |e| Error::local(path.display(), e);
    crate::fsys::before_create().map_err(local)?;
    // Created and registered for removal on a signal in one step (see `crate::signals`).
    let mut tmp = tempfile::Builder::new()
        .prefix(".ferry-state.")
        .make_in(dir_of(path), |p| {
            crate::signals::create_removed_on_signal(p, || {
                OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                    .open(p)
            })
        })
        .map_err(local)?;
    crate::fsys::write_all(&mut tmp.as_file_mut().0, contents).map_err(local)?;
    crate::fsys::sync(&tmp.as_file().0).map_err(local)?;
    // The rename through the seam; the temporary file removes itself on any failure before it.
    crate::fsys::rename(tmp.path(), path).map_err(local)?;
    // Renamed away: `tempfile` must not remove whatever may take that name later.
    let _ = tmp.into_temp_path().keep();
    sync_dir(path)
}

/// Reads a state file: None when it does not exist; a file larger than `cap` bytes, or a symlink, is a
/// local error (a state file is never that big, and is never followed elsewhere).
pub fn read_optional(path: &Path, cap: u64) -> Result<Option<Vec<u8>>> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::local(path.display(), e)),
    };
    let mut out = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::local(path.display(), e))?;
    if out.len() as u64 > cap {
        return Err(Error::local(
            path.display(),
            std::io::Error::other(format!("state file larger than {cap} bytes")),
        ));
    }
    Ok(Some(out))
}

/// The longest a run waits for another run to release its lock: long enough to ride out a run that is
/// just finishing, short enough that a cron job started every minute never piles up.
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

/// An exclusive `flock(2)` held for a whole run, released when dropped (or when the process ends, however
/// it ends). The lock file is never removed: removing it would let a third run lock a new file while the
/// second still holds the old one.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Locks the state file `path` through `PATH.lock` beside it (the state itself is replaced by
    /// rename, so a lock on it would stay with the old file). See [`RunLock::take`] for `wait`.
    pub fn state(path: &Path, wait: Duration) -> Result<RunLock> {
        let mut name = path.as_os_str().to_owned();
        name.push(".lock");
        RunLock::take(Path::new(&name), path, wait)
    }

    /// Locks the directory `dir` through `DIR/.lock`.
    pub fn dir(dir: &Path, wait: Duration) -> Result<RunLock> {
        RunLock::take(&dir.join(".lock"), dir, wait)
    }

    /// Takes the lock on `lock` (created mode 0600, never through a symlink), trying again for up to
    /// `wait`; still held by another run after that, it is a temporary failure (exit 7) naming `what`.
    pub fn take(lock: &Path, what: &Path, wait: Duration) -> Result<RunLock> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(lock)
            .map_err(|e| Error::local(lock.display(), e))?;
        match flock_within(&file, what, wait)? {
            Locked::Free | Locked::AfterWaiting => Ok(RunLock { _file: file }),
            Locked::Unsupported(err) => Err(Error::local(lock.display(), err)),
        }
    }

    /// Locks the directory `dir` itself (`flock(2)` on the directory: no file is added to it, so a
    /// mirror's target holds only what it mirrors), waiting as [`RunLock::take`] does. `Ok(None)` where
    /// the file system cannot lock (the run goes on unlocked); the bool says whether another run held the
    /// lock first, so that what the caller read of the tree before may be out of date.
    pub fn tree(dir: &Path, wait: Duration) -> Result<Option<(RunLock, bool)>> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
            .open(dir)
            .map_err(|e| Error::local(dir.display(), e))?;
        Ok(match flock_within(&file, dir, wait)? {
            Locked::Free => Some((RunLock { _file: file }, false)),
            Locked::AfterWaiting => Some((RunLock { _file: file }, true)),
            Locked::Unsupported(_) => None,
        })
    }
}

/// How [`flock_within`] ended.
enum Locked {
    Free,
    AfterWaiting,
    /// `flock` failed for another reason than another holder (a file system without locks).
    Unsupported(std::io::Error),
}

/// An exclusive `flock` on `file`, tried every 50 ms for up to `wait`; still held by another run after
/// that, a temporary failure (exit 7) naming `what`.
fn flock_within(file: &File, what: &Path, wait: Duration) -> Result<Locked> {
    let deadline = Instant::now() + wait;
    let mut waited = false;
    loop {
        // SAFETY: flock on a descriptor `file` owns; no memory is shared.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(if waited {
                Locked::AfterWaiting
            } else {
                Locked::Free
            });
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Ok(Locked::Unsupported(err));
        }
        if Instant::now() >= deadline {
            return Err(Error::new(
                ErrorKind::Transient,
                format!("another run holds the lock on {}", what.display()),
            ));
        }
        waited = true;
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An append-only journal of text records, one per line; each `append` is on disk when it returns.
pub struct Journal {
    file: File,
    path: std::path::PathBuf,
}

impl Journal {
    /// Opens (creating) the journal for appending.
    pub fn open(path: &Path) -> Result<Journal> {
        let file = crate::fsys::create(
            OpenOptions::new()
                .append(true)
                .create(true)
                .custom_flags(libc::O_NOFOLLOW),
            path,
        )
        .map_err(|e| Error::local(path.display(), e))?;
        sync_dir(path)?;
        Ok(Journal {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Appends one record (which must not contain a line break) and fsyncs.
    pub fn append(&mut self, record: &str) -> Result<()> {
        if record.contains(['\n', '\r']) {
            return Err(Error::new(
                crate::error::ErrorKind::Internal,
                "journal record with a line break",
            ));
        }
        let mut line = Vec::with_capacity(record.len() + 1);
        line.extend_from_slice(record.as_bytes());
        line.push(b'\n');
        crate::fsys::write_all(&mut self.file, &line)
            .and_then(|_| crate::fsys::sync_data(&self.file))
            .map_err(|e| Error::local(self.path.display(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_replace_journal_and_caps() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("state");
        assert_eq!(read_optional(&p, 100).unwrap(), None);
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(read_optional(&p, 100).unwrap().unwrap(), b"two");
        assert!(read_optional(&p, 2).is_err());
        let names: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left");

        let j = d.path().join("journal");
        let mut w = Journal::open(&j).unwrap();
        w.append("a 1").unwrap();
        w.append("b 2").unwrap();
        assert!(w.append("c\nd").is_err());
        drop(w);
        Journal::open(&j).unwrap().append("c 3").unwrap();
        assert_eq!(std::fs::read(&j).unwrap(), b"a 1\nb 2\nc 3\n");

        std::os::unix::fs::symlink(&j, d.path().join("link")).unwrap();
        assert!(read_optional(&d.path().join("link"), 100).is_err());
    }

    /// Issue 13, defect 7: one run at a time per state file; the second waits, then exit 7.
    #[test]
    fn a_second_run_waits_then_gives_up() {
        let d = tempfile::tempdir().unwrap();
        let st = d.path().join("state");
        let held = RunLock::state(&st, Duration::ZERO).unwrap();
        let started = Instant::now();
        let e = RunLock::state(&st, Duration::from_millis(200)).unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(200));
        assert_eq!(e.kind(), ErrorKind::Transient);
        assert_eq!(
            e.to_string(),
            format!("another run holds the lock on {}", st.display())
        );
        drop(held);
        let _again = RunLock::state(&st, Duration::ZERO).unwrap();
        assert!(d.path().join("state.lock").exists());
        let _dir = RunLock::dir(d.path(), Duration::ZERO).unwrap();
        assert!(RunLock::dir(d.path(), Duration::ZERO).is_err());
    }
}
