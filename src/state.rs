//! State-file primitives for the incremental fetch tools: whole-file atomic replacement and an
//! append-only journal, both durable when they return. The formats (which UIDLs, which UIDVALIDITY) stay
//! with each tool; this module only guarantees that a reader sees the old state or the new one, never a
//! torn file, and that an acknowledged record survives a crash. Writes go through `crate::fsys`; a
//! signal that stops the process removes a replacement's temporary file (see `crate::signals`).

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{Error, Result};

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
}
