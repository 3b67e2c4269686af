//! Appending to an mbox file (mboxrd): `fcntl` and `flock` write locks (both, since readers use either;
//! on Linux they do not conflict with each other), waited for at most 30 seconds; the length before the
//! message is remembered and any failure — or a delivery dropped without commit — truncates the file back
//! to it, so a failed write leaves the file byte-identical to before. A signal that stops the process
//! truncates it back too (see `crate::signals`): every write runs under the signal registry's lock, so
//! none lands after that truncation.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Writes the `From ` separator line: `From MAILER-DAEMON Sat Nov 22 14:15:21 2026` (asctime, UTC).
pub fn separator(out: &mut dyn Write) -> io::Result<()> {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let days = secs.div_euclid(86_400);
    let (y, m, d) = crate::time::civil_from_days(days);
    let tod = secs.rem_euclid(86_400);
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    writeln!(
        out,
        "From MAILER-DAEMON {} {} {:2} {:02}:{:02}:{:02} {y}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m as usize).saturating_sub(1) % 12],
        d,
        tod / 3600,
        tod / 60 % 60,
        tod % 60
    )
}

/// One message being appended under lock.
pub struct Append {
    file: File,
    path: PathBuf,
    start: u64,
    done: bool,
    /// Truncates the file back to `start` if a signal stops the process before the commit.
    on_signal: Option<crate::signals::Cleanup>,
}

fn lock(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    let deadline = Instant::now() + LOCK_WAIT;
    let mut fcntl_done = false;
    loop {
        if !fcntl_done {
            // SAFETY: a zeroed flock is a valid argument; F_SETLK only reads it.
            let mut fl: libc::flock = unsafe { std::mem::zeroed() };
            fl.l_type = libc::F_WRLCK as _;
            fl.l_whence = libc::SEEK_SET as _;
            // SAFETY: fd is an open descriptor owned by `file`.
            fcntl_done = unsafe { libc::fcntl(fd, libc::F_SETLK, &fl) } == 0;
        }
        // SAFETY: as above.
        if fcntl_done && unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "mbox is locked by another program",
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Append {
    /// Opens (creating, mode 0600, never through a symlink) and locks `path`, then writes the separator.
    pub fn open(path: &Path) -> Result<Append> {
        let local = |e| Error::local(path.display(), e);
        let mut file = crate::fsys::create(
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW),
            path,
        )
        .map_err(local)?;
        lock(&file).map_err(local)?;
        let start = file.seek(SeekFrom::End(0)).map_err(local)?;
        let on_signal = crate::signals::truncate_on_signal(&file, start).map_err(local)?;
        let mut append = Append {
            file,
            path: path.to_path_buf(),
            start,
            done: false,
            on_signal: Some(on_signal),
        };
        // A message must start after a blank line; repair a file whose last line is unterminated.
        if start > 0 {
            let mut last = [0u8; 1];
            append
                .file
                .read_exact_at(&mut last, start - 1)
                .map_err(local)?;
            if last[0] != b'\n' {
                append.write_all(b"\n").map_err(local)?;
            }
        }
        separator(&mut append).map_err(local)?;
        Ok(append)
    }

    /// Ends the message with its blank line and fsyncs; the lock goes with the file.
    pub fn commit(mut self) -> Result<String> {
        let path = self.path.clone();
        let local = |e| Error::local(path.display(), e);
        self.write_all(b"\n").map_err(local)?;
        crate::fsys::sync(&self.file).map_err(local)?;
        self.done = true;
        self.on_signal = None;
        Ok(self.path.display().to_string())
    }
}

impl Write for Append {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let file = &mut self.file;
        crate::signals::while_running(|| crate::fsys::write(file, buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Append {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.file.set_len(self.start);
            let _ = self.file.sync_all();
        }
    }
}
