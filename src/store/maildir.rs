//! Maildir delivery (the qmail maildir(5) protocol): a unique name, written in `tmp/`, fsynced, then
//! linked into `new/` — link(2) never replaces an existing message — and `tmp/` unlinked; `new/` is
//! fsynced so the message survives a crash once `commit` returns. A signal that stops the process removes
//! the `tmp/` file (see `crate::signals`); every filesystem operation goes through `crate::fsys`.

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
        })
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
            std::process::id(),
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
    /// fsync, link into `new/` as `NAME,S=SIZE`, unlink from `tmp/`, fsync `new/`.
    pub fn commit(mut self) -> Result<String> {
        let local = |e| Error::local(self.tmp.display(), e);
        crate::fsys::sync(&self.file).map_err(local)?;
        let new_dir = self.maildir.dir.join("new");
        let mut target = new_dir.join(format!("{},S={}", self.name, self.size));
        let mut n = 0;
        loop {
            match crate::fsys::link(&self.tmp, &target) {
                Ok(()) => break,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 100 => {
                    n += 1;
                    target = new_dir.join(format!("{}.{n},S={}", self.name, self.size));
                }
                Err(e) => return Err(Error::local(target.display(), e)),
            }
        }
        self.done = true;
        let _ = std::fs::remove_file(&self.tmp);
        crate::fsys::sync_dir(&new_dir).map_err(|e| Error::local(new_dir.display(), e))?;
        Ok(target.display().to_string())
    }
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
