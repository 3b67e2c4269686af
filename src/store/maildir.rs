//! Maildir delivery (the qmail maildir(5) protocol): a unique name, written in `tmp/`, fsynced, then
//! moved into `new/` by `renameat2(RENAME_NOREPLACE)` — one call that, like the protocol's link(2) and
//! unlink, never replaces an existing message; link + unlink where the filesystem cannot do it — and
//! `new/` fsynced so the message survives a crash. A signal that stops the process removes the `tmp/`
//! file (see `crate::signals`); every filesystem operation goes through `crate::fsys`.
//!
//! The fsync of `new/` is per message unless the store defers it ([`Maildir::defer_dir_sync`]): then
//! `commit` returns with the file's bytes durable and its name in `new/` not yet, and the caller makes
//! every name durable at once with [`Maildir::sync`] before it counts any of those messages as stored.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// An opened Maildir.
pub struct Maildir {
    dir: PathBuf,
    host: String,
    /// Asked once: the unique names carry it.
    pid: u32,
    /// `commit` leaves the fsync of `new/` to [`Maildir::sync`].
    defer: bool,
}

impl Maildir {
    /// Opens `dir`, creating it and its `tmp`, `new` and `cur` as needed.
    pub fn open(dir: &Path) -> Result<Maildir> {
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(|e| Error::local(dir.display(), e))?;
        }
        Ok(Maildir {
            dir: dir.to_path_buf(),
            host: crate::host::name().unwrap_or_else(|| "localhost".to_string()),
            pid: std::process::id(),
            defer: false,
        })
    }

    /// From now on `commit` does not fsync `new/`: the caller must call [`Maildir::sync`] before it
    /// records any message committed since as stored, or deletes it on the server.
    pub fn defer_dir_sync(&mut self) {
        self.defer = true;
    }

    /// fsyncs `new/`: every name committed into it before this call (by any store of this Maildir, in
    /// any thread of this process) survives a crash once it returns, since fsync(2) of a directory
    /// writes that directory's entries, whichever descriptor made them.
    pub fn sync(&self) -> Result<()> {
        let new_dir = self.dir.join("new");
        crate::fsys::sync_dir(&new_dir).map_err(|e| Error::local(new_dir.display(), e))
    }

    /// A unique base name: seconds, microseconds, pid and a per-process counter, then the host.
    fn unique(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        format!(
            "{}.M{}P{}Q{}.{}",
            now.as_secs(),
            now.subsec_micros(),
            self.pid,
            COUNTER.fetch_add(1, Ordering::Relaxed),
            self.host
        )
    }

    /// Starts a message in `tmp/`.
    pub fn begin(&self) -> Result<Pending<'_>> {
        for _ in 0..100 {
            let name = self.unique();
            let tmp = self.dir.join("tmp").join(&name);
            let created = crate::signals::create_removed_on_signal(&tmp, || {
                crate::fsys::create(
                    OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(0o600)
                        .custom_flags(libc::O_NOFOLLOW),
                    &tmp,
                )
            });
            match created {
                Ok((file, on_signal)) => {
                    return Ok(Pending {
                        maildir: self,
                        file,
                        tmp,
                        name,
                        size: 0,
                        done: false,
                        _on_signal: on_signal,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::local(tmp.display(), e)),
            }
        }
        Err(Error::local(
            self.dir.display(),
            io::Error::other("no unique name in tmp/"),
        ))
    }
}

/// A message being written to `tmp/`.
pub struct Pending<'a> {
    maildir: &'a Maildir,
    file: File,
    tmp: PathBuf,
    name: String,
    size: u64,
    done: bool,
    /// Removes `tmp` if a signal stops the process before the message is delivered.
    _on_signal: crate::signals::Cleanup,
}

impl Pending<'_> {
    /// fsync, move into `new/` as `NAME,S=SIZE` (never replacing a message there), fsync `new/` unless
    /// deferred (see [`Maildir::defer_dir_sync`]).
    pub fn commit(mut self) -> Result<String> {
        let local = |e| Error::local(self.tmp.display(), e);
        crate::fsys::sync(&self.file).map_err(local)?;
        let new_dir = self.maildir.dir.join("new");
        let mut target = new_dir.join(format!("{},S={}", self.name, self.size));
        let mut n = 0;
        loop {
            match place(&self.tmp, &target) {
                Ok(()) => break,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 100 => {
                    n += 1;
                    target = new_dir.join(format!("{}.{n},S={}", self.name, self.size));
                }
                Err(e) => return Err(Error::local(target.display(), e)),
            }
        }
        self.done = true;
        if !self.maildir.defer {
            self.maildir.sync()?;
        }
        Ok(target.display().to_string())
    }
}

/// Moves `tmp` to `target`, never replacing `target`: one rename where the filesystem can refuse to
/// replace, else the maildir(5) link and unlink (a leftover `tmp/` name is only clutter: the message is
/// in `new/`).
fn place(tmp: &Path, target: &Path) -> io::Result<()> {
    if crate::fsys::rename_noreplace(tmp, target)? {
        return Ok(());
    }
    crate::fsys::link(tmp, target)?;
    let _ = std::fs::remove_file(tmp);
    Ok(())
}

impl Write for Pending<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = crate::fsys::write(&mut self.file, buf)?;
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
