//! Keeps a download's durable write moving while the bytes arrive, so the fsync before the rename finds
//! little left to do (issue 19).
//!
//! Two steps, both driven by the byte count of the copy loop:
//! - every [`Writeback::STEP`] bytes, `sync_file_range(SYNC_FILE_RANGE_WRITE)` starts write-out of the
//!   dirty pages (a hint: it does not wait, and it never flushes the device's cache);
//! - every [`Writeback::FLUSH`] bytes, a helper thread runs `fdatasync(2)` while the copy goes on, so the
//!   device's write cache is emptied in steps instead of all at once by the final fsync (on this
//!   machine's virtual disk one cache flush after 1 GiB took up to 1.4 s).
//!
//! Neither replaces the final fsync, which is still what makes the file durable. A background
//! `fdatasync` that fails is an error of the download: Linux reports a write-back error once per open
//! file, so the final fsync on the same descriptor might no longer see it.

use std::io;
use std::os::fd::RawFd;
use std::thread::JoinHandle;

/// The write-back state of one output descriptor (see the module header).
pub struct Writeback {
    /// The output's descriptor; `None` once it refused the hint (a pipe, a device).
    fd: Option<RawFd>,
    /// Bytes written since the last hint.
    pending: usize,
    /// Bytes written since the last background flush started.
    unflushed: usize,
    /// The background `fdatasync` in progress or finished but not yet joined.
    flush: Option<JoinHandle<io::Result<()>>>,
    /// The first error of a background flush.
    failed: Option<io::Error>,
}

impl Writeback {
    /// Bytes between two write-out hints.
    pub const STEP: usize = 8 << 20;
    /// Bytes between two background flushes.
    pub const FLUSH: usize = 128 << 20;

    /// Write-back for `fd` (`None`: nothing to do, e.g. stdout).
    pub fn new(fd: Option<RawFd>) -> Writeback {
        Writeback {
            fd,
            pending: 0,
            unflushed: 0,
            flush: None,
            failed: None,
        }
    }

    /// Counts `n` more bytes written to the descriptor; hints or flushes when a step is reached.
    pub fn wrote(&mut self, n: usize) {
        self.pending = self.pending.saturating_add(n);
        self.unflushed = self.unflushed.saturating_add(n);
        if self.pending < Self::STEP {
            return;
        }
        self.pending = 0;
        let Some(fd) = self.fd else {
            return;
        };
        // SAFETY: `fd` is the output's open descriptor for the whole copy; offset 0 and length 0 cover
        // the whole file; SYNC_FILE_RANGE_WRITE only starts write-out of dirty pages.
        let r = unsafe { libc::sync_file_range(fd, 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
        if r != 0 {
            // A pipe, a device or a filesystem without it: no hint again.
            self.fd = None;
            return;
        }
        if self.unflushed >= Self::FLUSH && self.flush.as_ref().is_none_or(|h| h.is_finished()) {
            self.join();
            self.unflushed = 0;
            self.flush = Some(flush_in_background(fd));
        }
    }

    /// Waits for the background flush and keeps its error.
    fn join(&mut self) {
        if let Some(h) = self.flush.take() {
            let r = h
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the flush thread failed")));
            if let Err(e) = r {
                self.failed.get_or_insert(e);
            }
        }
    }

    /// Waits for the background flush; the error of any flush that failed.
    pub fn finish(mut self) -> io::Result<()> {
        self.join();
        match self.failed.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    #[cfg(test)]
    fn state(&self) -> (Option<RawFd>, usize) {
        (self.fd, self.pending)
    }
}

/// Runs `fdatasync(fd)` in a new thread. The caller keeps `fd` open until the thread is joined.
fn flush_in_background(fd: RawFd) -> JoinHandle<io::Result<()>> {
    std::thread::spawn(move || {
        // SAFETY: fdatasync only reads the descriptor number; the caller keeps it open (see above).
        if unsafe { libc::fdatasync(fd) } == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    })
}

impl Drop for Writeback {
    fn drop(&mut self) {
        // The descriptor must outlive the thread using it.
        self.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;

    #[test]
    fn hints_a_file_and_gives_up_on_a_pipe() {
        let f = tempfile::tempfile().unwrap();
        let mut w = Writeback::new(Some(f.as_raw_fd()));
        w.wrote(Writeback::STEP - 1);
        assert_eq!(w.state(), (Some(f.as_raw_fd()), Writeback::STEP - 1));
        w.wrote(1);
        assert_eq!(w.state(), (Some(f.as_raw_fd()), 0));
        let (r, _w) = std::io::pipe().unwrap();
        let mut w = Writeback::new(Some(r.as_raw_fd()));
        w.wrote(Writeback::STEP);
        assert_eq!(w.state(), (None, 0));
        assert!(w.flush.is_none());
    }

    #[test]
    fn flushes_in_the_background_every_flush_step() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"data").unwrap();
        let mut w = Writeback::new(Some(f.as_raw_fd()));
        for _ in 0..Writeback::FLUSH / Writeback::STEP - 1 {
            w.wrote(Writeback::STEP);
        }
        assert!(
            w.flush.is_none(),
            "no flush before {} bytes",
            Writeback::FLUSH
        );
        w.wrote(Writeback::STEP);
        assert!(w.flush.is_some());
        assert_eq!(w.unflushed, 0);
        w.finish().unwrap();
    }

    #[test]
    fn a_failed_background_flush_is_reported_by_finish() {
        // fdatasync on no descriptor fails (EBADF) as a write-back error would; the copy must see it.
        let mut w = Writeback::new(None);
        w.flush = Some(flush_in_background(-1));
        assert_eq!(w.finish().unwrap_err().raw_os_error(), Some(libc::EBADF));
        let mut w = Writeback::new(None);
        w.flush = Some(flush_in_background(-1));
        w.join();
        assert!(w.flush.is_none() && w.failed.is_some());
    }
}
