//! Where a codec's input comes from, handed to it block by block.
//!
//! A regular file (named, or redirected to stdin) is mapped a window at a time while its pages are in the
//! page cache (as mincore tells on a sample of pages): the codecs then read the cache directly instead of paying a copy per byte, which
//! at their speed is most of the cost. Memory stays bounded by the window, which is unmapped before the
//! next one is mapped. From the first window that is not cached, and for anything else (a pipe, a terminal,
//! a socket), input is read ahead on a second thread ([`super::readahead`]): for data still on disk that
//! is faster than taking it one page fault at a time.
//!
//! A file that shrinks while mapped would raise SIGBUS on the missing pages; a handler turns that into the
//! documented local-I/O exit instead of a crash. A file that grows is read on to its new end, as `read(2)`
//! would, and the shared file offset is left where reading stopped, as `read(2)` leaves it.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::sync::{Once, OnceLock};

use super::stream::{BLOCK, StreamError, read_full};

/// How much of a file is mapped at once (a multiple of the page size).
pub const WINDOW: usize = BLOCK * 32;

/// A codec's input.
pub enum Input {
    /// A regular file, read from its current offset.
    File(File),
    /// Anything else.
    Reader(Box<dyn Read + Send>),
}

impl Input {
    /// The file as a mapped source when it is a regular file, else as a reader.
    pub fn from_file(f: File) -> Input {
        match f.metadata() {
            Ok(m) if m.is_file() => Input::File(f),
            _ => Input::Reader(Box::new(f)),
        }
    }

    /// Standard input: mapped when it is redirected from a regular file.
    pub fn stdin() -> Input {
        match io::stdin().as_fd().try_clone_to_owned() {
            Ok(fd) => Input::from_file(File::from(fd)),
            Err(_) => Input::Reader(Box::new(io::stdin())),
        }
    }

    /// A plain reader over the same bytes (for the message parser).
    pub fn into_reader(self) -> Box<dyn Read + Send> {
        match self {
            Input::File(f) => Box::new(f),
            Input::Reader(r) => r,
        }
    }

    /// Up to `n` bytes from the start of the input, which stay part of it (content sniffing).
    pub fn peek(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; n];
        let got = match self {
            Input::File(f) => {
                let at = f.stream_position()?;
                let mut got = 0;
                while got < n {
                    match f.read_at(&mut buf[got..], at + got as u64) {
                        Ok(0) => break,
                        Ok(k) => got += k,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                got
            }
            Input::Reader(r) => {
                let got = read_full(r, &mut buf)?;
                let rest = std::mem::replace(r, Box::new(io::empty()));
                *r = Box::new(io::Cursor::new(buf[..got].to_vec()).chain(rest));
                got
            }
        };
        buf.truncate(got);
        Ok(buf)
    }

    /// Calls `each` on every block of the input in order (at most [`WINDOW`] bytes each: a mapped window is
    /// handed over whole, so the codecs can split it across cores); returns the bytes read, the first error
    /// of `each`, or the read error.
    pub fn for_each_block(
        self,
        mut each: impl FnMut(&[u8]) -> Result<(), StreamError>,
    ) -> Result<u64, StreamError> {
        let mut f = match self {
            Input::Reader(r) => return super::readahead::for_each_block(r, each),
            Input::File(f) => f,
        };
        let mut total = 0u64;
        let mut at = f.stream_position().map_err(StreamError::Read)?;
        let end = f.metadata().map_err(StreamError::Read)?.len();
        while at < end {
            let len = usize::try_from(end - at).unwrap_or(usize::MAX).min(WINDOW);
            let Some(map) = map_window(&f, at, len) else {
                break;
            };
            if !resident(&map) {
                // Not (all) in the page cache: faulting pages in from disk one mapping fault at a time is
                // slower than read(2) with the kernel's read-ahead, so the rest is read on a second thread.
                drop(map);
                f.seek(SeekFrom::Start(at)).map_err(StreamError::Read)?;
                return super::readahead::for_each_block(Box::new(f), each).map(|n| total + n);
            }
            // Leave the offset where the bytes handed out end, whatever `each` decides.
            at += len as u64;
            f.seek(SeekFrom::Start(at)).map_err(StreamError::Read)?;
            each(&map)?;
            total += len as u64;
        }
        // The rest (a file that grew, or one that cannot be mapped) is read as usual.
        f.seek(SeekFrom::Start(at)).map_err(StreamError::Read)?;
        let mut buf = vec![0u8; BLOCK];
        loop {
            let n = read_full(&mut f, &mut buf).map_err(StreamError::Read)?;
            if n == 0 {
                return Ok(total);
            }
            each(&buf[..n])?;
            total += n as u64;
        }
    }
}

/// Whether `map` is in the page cache, judged by mincore(2) on every 64th page and the last (asking about
/// every page costs as much as a tenth of the coding; a page missed here is only a slower fault); `false`
/// when that cannot be told.
fn resident(map: &memmap2::Mmap) -> bool {
    // SAFETY: sysconf has no memory effects.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) })
        .unwrap_or(4096)
        .max(1);
    let addr = map.as_ptr() as usize;
    // The mapping itself starts at the page boundary below the first byte (memmap2 aligns the offset).
    let start = addr - addr % page;
    let end = addr + map.len();
    let last = (end - 1) - (end - 1) % page;
    (start..end)
        .step_by(page * 64)
        .chain(std::iter::once(last))
        .all(|p| {
            let mut present = 0u8;
            // SAFETY: `p` is a page of the live mapping; mincore writes one byte for one page.
            let rc = unsafe { libc::mincore(p as *mut libc::c_void, page, &mut present) };
            rc == 0 && present & 1 == 1
        })
}

/// Maps `len` bytes of `f` at `at`, read-only (faulted in as read: populating up front measured slower); `None` where the file cannot be mapped.
fn map_window(f: &File, at: u64, len: usize) -> Option<memmap2::Mmap> {
    static SIGBUS: Once = Once::new();
    SIGBUS.call_once(install_sigbus_handler);
    // SAFETY: the mapping is read-only and private to this process; the one hazard, the file shrinking
    // under it, raises SIGBUS, which the handler turns into an orderly exit.
    let map = unsafe { memmap2::MmapOptions::new().offset(at).len(len).map(f) };
    let map = map.ok()?;
    let _ = map.advise(memmap2::Advice::Sequential);
    Some(map)
}

/// The exit for an input file that shrank under its mapping: the local-I/O code, one line on stderr in the
/// usual `tool: error: ...` form (composed here, before the handler can run, since it may not allocate).
fn install_sigbus_handler() {
    static MESSAGE: OnceLock<Vec<u8>> = OnceLock::new();
    extern "C" fn on_sigbus(_: libc::c_int) {
        if let Some(m) = MESSAGE.get() {
            // SAFETY: write(2) is async-signal-safe and `m` is a complete, never-freed buffer.
            unsafe { libc::write(2, m.as_ptr().cast(), m.len()) };
        }
        // SAFETY: _exit(2) is async-signal-safe.
        unsafe { libc::_exit(i32::from(crate::error::ErrorKind::LocalIo.exit_code())) };
    }
    let tool = std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "ferry".to_string());
    MESSAGE.get_or_init(|| {
        format!("{tool}: error: the input file shrank while it was being read\n").into_bytes()
    });
    // SAFETY: a zeroed sigaction with a plain handler and an empty mask is valid.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigbus as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
    }
}
