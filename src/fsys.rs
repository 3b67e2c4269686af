//! The filesystem seam under every durable write (`sink`, `store`, `state`): create, write, fsync,
//! rename, link and directory fsync, each a thin call into std.
//!
//! Built with the `fault-injection` cargo feature (the test build; never a release build), the
//! environment variable `FERRY_FAULT_AT=N` makes the N-th of these operations in the process fail with an
//! `io::Error` (and say so on stderr), so a test can fail every operation of a run in turn and check that
//! nothing partial is visible, no temporary file is left and no mail is deleted on the server. Unlinking a
//! temporary file is cleanup, not an operation that can be failed here.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Creates or opens `path` with `opts`.
pub fn create(opts: &OpenOptions, path: &Path) -> io::Result<File> {
    fault()?;
    opts.open(path)
}

/// A point before an operation done by another library (a temporary file that `tempfile` creates).
pub fn before_create() -> io::Result<()> {
    fault()
}

/// Writes some of `buf` to `file`.
pub fn write(file: &mut File, buf: &[u8]) -> io::Result<usize> {
    fault()?;
    file.write(buf)
}

/// Writes all of `buf` to `file`.
pub fn write_all(file: &mut File, buf: &[u8]) -> io::Result<()> {
    fault()?;
    file.write_all(buf)
}

/// fsyncs `file`'s data and metadata.
pub fn sync(file: &File) -> io::Result<()> {
    fault()?;
    file.sync_all()
}

/// fsyncs `file`'s data.
pub fn sync_data(file: &File) -> io::Result<()> {
    fault()?;
    file.sync_data()
}

/// Renames `from` to `to`, replacing `to`.
pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    fault()?;
    std::fs::rename(from, to)
}

/// Links `from` as `to`; never replaces `to`, never follows a symlink at `to`.
pub fn link(from: &Path, to: &Path) -> io::Result<()> {
    fault()?;
    std::fs::hard_link(from, to)
}

/// fsyncs the directory `dir`, so entries renamed or linked into it survive a crash. A directory that
/// cannot be opened for reading (write-only, say) or a filesystem that cannot fsync directories (EINVAL)
/// cannot be synced by anyone and is not an error; any other failed fsync is.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    let d = match File::open(dir) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => return Ok(()),
        Err(e) => return Err(e),
    };
    fault()?;
    match d.sync_all() {
        // Some filesystems cannot fsync a directory at all; nothing more can be done there.
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(()),
        other => other,
    }
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
fn fault() -> io::Result<()> {
    Ok(())
}

/// Counts operations and fails the one `FERRY_FAULT_AT` names.
#[cfg(feature = "fault-injection")]
fn fault() -> io::Result<()> {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static AT: OnceLock<Option<u64>> = OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let Some(at) = *AT.get_or_init(|| {
        std::env::var("FERRY_FAULT_AT")
            .ok()
            .and_then(|v| v.parse().ok())
    }) else {
        return Ok(());
    };
    let n = COUNT.fetch_add(1, Ordering::SeqCst).saturating_add(1);
    if n == at {
        eprintln!("ferry: injected fault at filesystem operation {n}");
        return Err(io::Error::other(format!(
            "injected fault at filesystem operation {n}"
        )));
    }
    Ok(())
}
