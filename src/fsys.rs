//! The filesystem seam under every durable write (`sink`, `store`, `state`): create, write, fsync,
//! rename, link and directory fsync, each a thin call into std.
//!
//! Built with the `fault-injection` cargo feature (the test build; never a release build), the
//! environment variable `FERRY_FAULT_AT=N` makes the N-th of these operations in the process fail with an
//! `io::Error` (and say so on stderr), so a test can fail every operation of a run in turn and check that
//! nothing partial is visible, no temporary file is left and no mail is deleted on the server. Unlinking a
//! temporary file is cleanup, not an operation that can be failed here. `FERRY_FAULT_TRACE=FILE` appends
//! one line per operation (`N OP PATH`) to FILE, so a test can find the number of a given operation and
//! check the order of operations.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// The process umask, read once from `/proc/self/status` (setting and restoring it with umask(2)
/// would race the run's other threads creating files); `0o077`, the strictest usual one, when that
/// cannot be read.
pub fn umask() -> u32 {
    static UMASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Umask:"))
                    .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
            })
            .map_or(0o077, |m| m & 0o777)
    })
}

/// Creates or opens `path` with `opts`.
pub fn create(opts: &OpenOptions, path: &Path) -> io::Result<File> {
    fault("create", Some(path))?;
    opts.open(path)
}

/// A point before an operation done by another library (a temporary file that `tempfile` creates).
pub fn before_create() -> io::Result<()> {
    fault("create", None)
}

/// Writes some of `buf` to `file`.
pub fn write(file: &mut File, buf: &[u8]) -> io::Result<usize> {
    fault("write", None)?;
    file.write(buf)
}

/// Writes all of `buf` to `file`.
pub fn write_all(file: &mut File, buf: &[u8]) -> io::Result<()> {
    fault("write", None)?;
    file.write_all(buf)
}

/// fsyncs `file`'s data and metadata.
pub fn sync(file: &File) -> io::Result<()> {
    fault("sync", None)?;
    file.sync_all()
}

/// fsyncs `file`'s data.
pub fn sync_data(file: &File) -> io::Result<()> {
    fault("sync", None)?;
    file.sync_data()
}

/// Renames `from` to `to`, replacing `to`.
pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    fault("rename", Some(to))?;
    std::fs::rename(from, to)
}

/// Links `from` as `to`; never replaces `to`, never follows a symlink at `to`.
pub fn link(from: &Path, to: &Path) -> io::Result<()> {
    fault("link", Some(to))?;
    std::fs::hard_link(from, to)
}

/// Renames `from` to `to` only if `to` does not exist (`renameat2(2)` with `RENAME_NOREPLACE`): one
/// system call where [`link`] and an unlink take two, with the same promise never to replace a message.
/// `Ok(false)` when this filesystem or kernel cannot do it (EINVAL, ENOSYS; NFS, old kernels): nothing
/// happened, and the caller links instead. `AlreadyExists` when `to` exists.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<bool> {
    use std::os::unix::ffi::OsStrExt;
    fault("rename", Some(to))?;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in a path"))
    };
    let (f, t) = (c(from)?, c(to)?);
    // SAFETY: both are NUL-terminated strings that live across the call; AT_FDCWD resolves them as paths.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            f.as_ptr(),
            libc::AT_FDCWD,
            t.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if r == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) => Ok(false),
        _ => Err(e),
    }
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
    fault("sync_dir", Some(dir))?;
    match d.sync_all() {
        // Some filesystems cannot fsync a directory at all; nothing more can be done there.
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(()),
        other => other,
    }
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
fn fault(_op: &str, _path: Option<&Path>) -> io::Result<()> {
    Ok(())
}

/// Counts operations, traces them to `FERRY_FAULT_TRACE` and fails the one `FERRY_FAULT_AT` names.
#[cfg(feature = "fault-injection")]
fn fault(op: &str, path: Option<&Path>) -> io::Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Mutex, OnceLock};
    static AT: OnceLock<Option<u64>> = OnceLock::new();
    static TRACE: OnceLock<Option<Mutex<File>>> = OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let at = *AT.get_or_init(|| {
        std::env::var("FERRY_FAULT_AT")
            .ok()
            .and_then(|v| v.parse().ok())
    });
    let trace = TRACE.get_or_init(|| {
        let path = std::env::var_os("FERRY_FAULT_TRACE")?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()?;
        Some(Mutex::new(file))
    });
    if at.is_none() && trace.is_none() {
        return Ok(());
    }
    let n = COUNT.fetch_add(1, Ordering::SeqCst).saturating_add(1);
    if let Some(t) = trace
        && let Ok(mut t) = t.lock()
    {
        let path = path.map(|p| p.display().to_string()).unwrap_or_default();
        let _ = writeln!(t, "{n} {op} {path}");
    }
    if Some(n) == at {
        eprintln!("ferry: injected fault at filesystem operation {n}");
        return Err(io::Error::other(format!(
            "injected fault at filesystem operation {n}"
        )));
    }
    Ok(())
}
