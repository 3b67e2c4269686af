//! FTP data connections (RFC 959 §3.2, RFC 2428, RFC 4217 §9-10).
//!
//! Passive mode asks EPSV first and falls back to PASV when the server does not understand it (500/501/502)
//! or when connecting to the EPSV port fails. The address inside a PASV reply is never used: the data
//! connection always goes to the control connection's peer, so a hostile or NATed server cannot point us at
//! a third host (the "FTP bounce" family). Active mode listens on the control connection's local address and
//! announces it with EPRT (PORT for IPv4 when EPRT is refused), and accepts only a connection from the
//! control peer's address. With `PROT P` the data connection is a TLS client that resumes the control
//! connection's session (the shared session store of [`Tls`]).

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::transport::{self, Route, Stream, Tls};

/// How data connections are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataMode {
    /// EPSV, PASV when EPSV is not understood.
    Passive,
    /// PASV only (`--no-epsv`).
    PassiveNoEpsv,
    /// EPRT, PORT on IPv4 (`--active`).
    Active,
}

/// A data connection being set up: connected (passive) or listening (active).
pub enum Pending {
    /// Connected to the server's passive port.
    Connected(TcpStream),
    /// Waiting for the server to connect.
    Listening(TcpListener, IpAddr),
}

impl Pending {
    /// Completes the connection (accepting in active mode) and starts TLS when `tls` is given.
    pub fn establish(self, tls: Option<(&Tls, &str)>, timeout: Duration) -> Result<DataStream> {
        let tcp = match self {
            Pending::Connected(s) => s,
            Pending::Listening(listener, peer) => accept(&listener, peer, timeout)?,
        };
        tcp.set_read_timeout(Some(timeout))
            .and_then(|_| tcp.set_write_timeout(Some(timeout)))
            .map_err(|e| Error::network("data connection", e))?;
        let stream = match tls {
            None => Stream::Plain(tcp),
            Some((tls, host)) => tls
                .wrap(tcp, host, timeout)
                .map_err(|e| e.within("TLS on the data connection"))?,
        };
        Ok(DataStream {
            stream,
            deadline: None,
            trickle: None,
        })
    }
}

/// Accepts one connection from `peer` within `timeout`; connections from other addresses are dropped.
fn accept(listener: &TcpListener, peer: IpAddr, timeout: Duration) -> Result<TcpStream> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::new(
                ErrorKind::Timeout,
                "waiting for the server's active-mode data connection: timed out",
            ));
        }
        let mut pfd = libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&mut pfd, 1, ms.max(1)) };
        if n <= 0 {
            continue;
        }
        let (s, addr) = listener
            .accept()
            .map_err(|e| Error::network("accepting the data connection", e))?;
        if addr.ip() == peer {
            s.set_nonblocking(false)
                .map_err(|e| Error::network("data connection", e))?;
            return Ok(s);
        }
    }
}

/// Opens the listener for active mode on the control connection's local address.
pub fn listen(local: SocketAddr) -> Result<TcpListener> {
    let l = TcpListener::bind(SocketAddr::new(local.ip(), 0)).map_err(|e| {
        Error::new(ErrorKind::Connect, "opening the active-mode listener").with_source(e)
    })?;
    l.set_nonblocking(true)
        .map_err(|e| Error::network("active-mode listener", e))?;
    Ok(l)
}

/// Connects to the server's passive port on `host`: the control peer's address, or, through a proxy,
/// the server's name as the control connection used it (the proxy made that connection, so only the
/// name is known here).
pub fn connect(host: &str, port: u16, timeout: Duration, route: &Route) -> Result<TcpStream> {
    transport::connect(host, port, timeout, route).map_err(|e| e.within("data connection"))
}

/// The port in an EPSV reply: `229 Entering Extended Passive Mode (|||6446|)` (RFC 2428 §3).
pub fn parse_epsv(text: &str) -> Option<u16> {
    let open = text.find('(')?;
    let inner = &text[open + 1..];
    let close = inner.find(')')?;
    let inner = &inner[..close];
    let delim = inner.chars().next()?;
    let parts: Vec<&str> = inner.split(delim).collect();
    if parts.len() != 5 || !parts[1].is_empty() || !parts[2].is_empty() || !parts[4].is_empty() {
        return None;
    }
    parts[3].parse().ok().filter(|&p| p != 0)
}

/// The port in a PASV reply: `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)`; the address is ignored.
pub fn parse_pasv(text: &str) -> Option<u16> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let nums: Vec<u16> = text[start..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(6)
        .map(|s| s.parse::<u16>().ok().filter(|&n| n <= 255))
        .collect::<Option<Vec<_>>>()?;
    if nums.len() != 6 {
        return None;
    }
    Some(nums[4] * 256 + nums[5]).filter(|&p| p != 0)
}

/// The argument of EPRT for `addr` (RFC 2428 §2).
pub fn eprt_arg(addr: SocketAddr) -> String {
    let proto = if addr.is_ipv4() { 1 } else { 2 };
    format!("|{proto}|{}|{}|", addr.ip(), addr.port())
}

/// The argument of PORT for an IPv4 `addr`.
pub fn port_arg(addr: SocketAddr) -> Option<String> {
    match addr.ip() {
        IpAddr::V4(ip) => {
            let o = ip.octets();
            let p = addr.port();
            Some(format!(
                "{},{},{},{},{},{}",
                o[0],
                o[1],
                o[2],
                o[3],
                p >> 8,
                p & 0xff
            ))
        }
        IpAddr::V6(_) => None,
    }
}

/// An established data connection.
pub struct DataStream {
    stream: Stream,
    /// When reading must have ended ([`DataStream::set_deadline`]).
    deadline: Option<Instant>,
    /// The file's minimum rate ([`DataStream::set_min_rate`]).
    trickle: Option<crate::stall::Trickle>,
}

impl DataStream {
    /// Makes every read after `deadline` fail with a timeout, and each read before it wait at most until
    /// then: a listing, like a reply, must arrive whole within `--timeout`, so a server trickling it a byte
    /// at a time (each read well within the timeout) or sending it forever cannot hold the client.
    pub fn set_deadline(&mut self, deadline: Instant) {
        self.deadline = Some(deadline);
    }

    /// Makes a file transfer (reads, writes and splices) fail with a timeout once it moves less than the
    /// minimum rate of `trickle` over a whole timeout ([`crate::stall`]): each call waits at most the
    /// timeout, so a server taking or giving a byte a minute could hold the client for years.
    pub fn set_min_rate(&mut self, trickle: crate::stall::Trickle) {
        self.trickle = Some(trickle);
    }

    /// Counts `n` bytes moved against the minimum rate, if one is set.
    fn moved(&mut self, n: usize) -> io::Result<()> {
        match &mut self.trickle {
            Some(t) => t.add(n).map_err(crate::stall::Trickled::into_io),
            None => Ok(()),
        }
    }

    /// Whether the TLS session of the control connection was resumed.
    pub fn resumed(&self) -> bool {
        self.stream.resumed()
    }

    /// Closes the stream cleanly (TLS close_notify, then TCP); an upload counts only after this.
    pub fn finish(self) -> Result<()> {
        self.stream
            .close()
            .map_err(|e| Error::network("closing the data connection", e))
    }

    /// Ends an upload: TLS close_notify, then TCP FIN, keeping the socket open. The server learns that the
    /// file is complete from this; the caller then waits for its 226 and only then drops the stream, so
    /// bytes the server sends late (a TLS session ticket) cannot turn the close into a reset that loses
    /// the file's tail.
    pub fn close_write(&mut self) -> Result<()> {
        self.stream
            .close_write()
            .map_err(|e| Error::network("closing the data connection", e))
    }

    /// Sends up to `max` bytes of `file` from its current position with `sendfile(2)` on a plain data
    /// connection (no copy through user space); `None` when the connection is TLS, which needs the bytes
    /// in user space. `Some(Ok(0))` is the end of the file.
    pub fn send_file(&mut self, file: &std::fs::File, max: usize) -> Option<io::Result<usize>> {
        let Stream::Plain(tcp) = &self.stream else {
            return None;
        };
        // SAFETY: two open descriptors; a null offset makes the kernel use and advance the file position.
        let n =
            unsafe { libc::sendfile(tcp.as_raw_fd(), file.as_raw_fd(), std::ptr::null_mut(), max) };
        Some(if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        })
    }

    /// Moves up to `max` bytes from a plain data connection to `out` with `splice(2)` through `pipe`: the
    /// bytes never enter user space (socket pages into the pipe, the pipe into the file or `/dev/null`).
    /// `None` when the connection is TLS (the bytes must be decrypted in user space). `Ok(0)` is the end
    /// of the data. When `out` refuses splice (a file opened for append, an old kernel), the bytes
    /// already in the pipe are copied through `buf` instead and [`Spliced::Unsupported`] tells the caller
    /// to use plain reads from now on; nothing is lost or reordered.
    pub fn splice_to(
        &mut self,
        pipe: &Pipe,
        out: &mut impl SpliceOut,
        max: usize,
        buf: &mut [u8],
    ) -> Option<Spliced> {
        let Stream::Plain(tcp) = &self.stream else {
            return None;
        };
        // SAFETY: two open descriptors, null offsets (both are streams or use the file position).
        let n = unsafe {
            libc::splice(
                tcp.as_raw_fd(),
                std::ptr::null_mut(),
                pipe.w.as_raw_fd(),
                std::ptr::null_mut(),
                max,
                libc::SPLICE_F_MOVE | libc::SPLICE_F_MORE,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return Some(match e.raw_os_error() {
                Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => Spliced::Unsupported(0),
                // A read timeout on the socket arrives as EAGAIN (SO_RCVTIMEO applies to splice too).
                Some(libc::EAGAIN) => Spliced::Net(io::Error::new(io::ErrorKind::TimedOut, e)),
                _ => Spliced::Net(e),
            });
        }
        let n = n as usize;
        if let Err(e) = self.moved(n) {
            return Some(Spliced::Net(e));
        }
        let mut left = n;
        while left > 0 {
            // SAFETY: as above; `out` is open for writing.
            let m = unsafe {
                libc::splice(
                    pipe.r.as_raw_fd(),
                    std::ptr::null_mut(),
                    out.fd(),
                    std::ptr::null_mut(),
                    left,
                    libc::SPLICE_F_MOVE | libc::SPLICE_F_MORE,
                )
            };
            if m > 0 {
                left -= m as usize;
                out.spliced(m as usize);
                continue;
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) if m < 0 => {
                    // The output takes no splice: copy what is in the pipe the ordinary way.
                    return Some(match pipe.drain(left, out, buf) {
                        Ok(()) => Spliced::Unsupported(n),
                        Err(e) => Spliced::Local(e),
                    });
                }
                _ if m == 0 => {
                    return Some(Spliced::Local(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the output took no bytes",
                    )));
                }
                _ => return Some(Spliced::Local(e)),
            }
        }
        Some(Spliced::Bytes(n))
    }

    /// After an upload's final reply: reads what the server still sends on the data connection until it
    /// closes (at most 64 KiB, each read at most 1 s). With TLS 1.3 every data connection resumes the
    /// control connection's session with a ticket and the server hands out new tickets on each one; an
    /// upload never reads otherwise, so without this the tickets run out and the next data connection
    /// needs a full handshake, which `require_ssl_reuse` servers refuse (522).
    pub fn drain(&mut self) {
        if !self.stream.is_tls() {
            return;
        }
        let _ = self.stream.set_read_timeout(Some(Duration::from_secs(1)));
        let mut buf = [0u8; 4096];
        let mut total = 0;
        while total < 64 * 1024 {
            match self.stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    }

    /// Abandons an upload that must not look complete (the local file could not be read): the socket is
    /// reset (SO_LINGER 0) instead of closed, so the server sees an error rather than the end of the file.
    pub fn abort(self) {
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: a valid socket descriptor and a correctly sized linger struct for the call's duration.
        unsafe {
            libc::setsockopt(
                self.stream.tcp().as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            );
        }
        drop(self);
    }
}

/// Where [`DataStream::splice_to`] puts the bytes: a descriptor for splice, and the ordinary writer for
/// the bytes that must be copied after all.
pub trait SpliceOut: Write {
    /// The descriptor written by splice.
    fn fd(&self) -> std::os::fd::RawFd;
    /// Counts `n` bytes that went to [`SpliceOut::fd`] directly (not through `write`).
    fn spliced(&mut self, n: usize);
}

/// What one [`DataStream::splice_to`] step did.
#[derive(Debug)]
pub enum Spliced {
    /// Moved this many bytes (0: the end of the data).
    Bytes(usize),
    /// The socket or the output takes no splice; this many bytes were still moved (the rest by copying,
    /// counted by the writer itself).
    Unsupported(usize),
    /// Reading the data connection failed.
    Net(io::Error),
    /// Writing the output failed.
    Local(io::Error),
}

/// The kernel pipe a download is spliced through (1 MiB when the system allows, its default otherwise).
pub struct Pipe {
    r: std::os::fd::OwnedFd,
    w: std::os::fd::OwnedFd,
}

/// The pipe size asked for: what one splice moves at most. 1 MiB is Linux's default limit for an
/// unprivileged process (`/proc/sys/fs/pipe-max-size`).
pub const PIPE_SIZE: usize = 1 << 20;

impl Pipe {
    /// A new pipe, close-on-exec.
    pub fn new() -> io::Result<Pipe> {
        use std::os::fd::FromRawFd;
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 succeeded, so both descriptors are open and owned by nobody else.
        let (r, w) = unsafe {
            (
                std::os::fd::OwnedFd::from_raw_fd(fds[0]),
                std::os::fd::OwnedFd::from_raw_fd(fds[1]),
            )
        };
        // Best effort: a smaller pipe only means more, smaller splices.
        // SAFETY: an open pipe descriptor and an integer argument.
        unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETPIPE_SZ, PIPE_SIZE as libc::c_int) };
        Ok(Pipe { r, w })
    }

    /// Copies the `left` bytes waiting in the pipe to `out` through `buf`.
    fn drain(&self, mut left: usize, out: &mut impl Write, buf: &mut [u8]) -> io::Result<()> {
        use std::io::Read;
        let mut r = std::fs::File::from(self.r.try_clone()?);
        while left > 0 {
            let want = left.min(buf.len());
            let n = match r.read(&mut buf[..want]) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            out.write_all(&buf[..n])?;
            left -= n;
        }
        Ok(())
    }
}

/// A listing read under `--limit-rate` ([`DataStream::paced`]).
pub struct PacedListing {
    data: DataStream,
    limit: Option<std::sync::Arc<crate::ratelimit::RateLimit>>,
}

impl DataStream {
    /// The stream read through `--limit-rate`'s bucket, each wait of the limiter moving the deadline
    /// ([`DataStream::set_deadline`]) back by as long: the waits are the client's, not the server's, so
    /// a large listing under a low rate is no timeout, while a server trickling it still is.
    pub fn paced(self, limit: Option<std::sync::Arc<crate::ratelimit::RateLimit>>) -> PacedListing {
        PacedListing { data: self, limit }
    }
}

impl Read for PacedListing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = match &self.limit {
            Some(l) => buf.len().min(l.chunk()),
            None => buf.len(),
        };
        let n = self.data.read(&mut buf[..len])?;
        if let Some(l) = &self.limit {
            let waited = l.take(n as u64);
            if let Some(d) = &mut self.data.deadline {
                *d += waited;
            }
        }
        Ok(n)
    }
}

impl Read for DataStream {
    /// A TLS peer that closes TCP without close_notify reads as end of data; the caller checks the byte
    /// count against SIZE and the server's final reply, which decide whether the transfer was complete.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(deadline) = self.deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "not all sent within --timeout",
                ));
            }
            self.stream.set_read_timeout(Some(left))?;
        }
        match self.stream.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
            Ok(n) => self.moved(n).map(|()| n),
            other => other,
        }
    }
}

impl Write for DataStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.stream.write(buf)?;
        self.moved(n).map(|()| n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsv_and_pasv_replies() {
        assert_eq!(
            parse_epsv("Entering Extended Passive Mode (|||6446|)"),
            Some(6446)
        );
        assert_eq!(parse_epsv("ok (!!!21!)"), Some(21));
        assert_eq!(parse_epsv("(|||0|)"), None);
        assert_eq!(parse_epsv("(|1|10.0.0.1|21|)"), None);
        assert_eq!(parse_epsv("no parens"), None);
        assert_eq!(
            parse_pasv("Entering Passive Mode (10,255,0,1,4,1)."),
            Some(1025)
        );
        assert_eq!(parse_pasv("=10,255,0,1,4,1"), Some(1025));
        assert_eq!(parse_pasv("(10,255,0,1,999,1)"), None);
        assert_eq!(parse_pasv("(1,2,3)"), None);
    }

    #[test]
    fn active_arguments() {
        let a: SocketAddr = "127.0.0.1:1025".parse().unwrap();
        assert_eq!(eprt_arg(a), "|1|127.0.0.1|1025|");
        assert_eq!(port_arg(a).unwrap(), "127,0,0,1,4,1");
        let b: SocketAddr = "[::1]:21".parse().unwrap();
        assert_eq!(eprt_arg(b), "|2|::1|21|");
        assert!(port_arg(b).is_none());
    }
}

#[cfg(test)]
mod splice_tests {
    use super::*;
    use std::io::{Seek, SeekFrom};

    struct Out {
        file: std::fs::File,
        spliced: usize,
    }

    impl Write for Out {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.file.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl SpliceOut for Out {
        fn fd(&self) -> std::os::fd::RawFd {
            self.file.as_raw_fd()
        }
        fn spliced(&mut self, n: usize) {
            self.spliced += n;
        }
    }

    /// Sends `data` over loopback and splices it into `file`; returns (bytes moved, bytes spliced,
    /// whether the output refused splice).
    fn run(data: Vec<u8>, file: std::fs::File) -> (usize, usize, bool, std::fs::File) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            s.write_all(&data).unwrap();
        });
        let mut ds = DataStream {
            stream: Stream::Plain(TcpStream::connect(addr).unwrap()),
            deadline: None,
            trickle: None,
        };
        let pipe = Pipe::new().unwrap();
        let mut out = Out { file, spliced: 0 };
        let mut buf = vec![0u8; 4096];
        let (mut moved, mut refused) = (0, false);
        loop {
            match ds.splice_to(&pipe, &mut out, PIPE_SIZE, &mut buf).unwrap() {
                Spliced::Bytes(0) => break,
                Spliced::Bytes(n) => moved += n,
                Spliced::Unsupported(n) => {
                    moved += n;
                    refused = true;
                    // The rest the ordinary way, as get::splice_copy does.
                    moved += io::copy(&mut ds, &mut out.file).unwrap() as usize;
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        t.join().unwrap();
        (moved, out.spliced, refused, out.file)
    }

    #[test]
    fn splice_moves_every_byte_and_falls_back_for_append_files() {
        // Issue 19: a plain download is spliced into its file; an O_APPEND file (a resumed partial)
        // refuses splice and gets the bytes already in the pipe copied, none lost or reordered.
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let dir = tempfile::tempdir().unwrap();
        let f = std::fs::File::options()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(dir.path().join("a"))
            .unwrap();
        let (moved, spliced, refused, _) = run(data.clone(), f);
        assert_eq!((moved, spliced, refused), (data.len(), data.len(), false));
        assert_eq!(std::fs::read(dir.path().join("a")).unwrap(), data);
        std::fs::write(dir.path().join("b"), b"head").unwrap();
        let f = std::fs::File::options()
            .append(true)
            .read(true)
            .open(dir.path().join("b"))
            .unwrap();
        let (moved, spliced, refused, mut f) = run(data.clone(), f);
        assert_eq!((moved, spliced, refused), (data.len(), 0, true));
        f.seek(SeekFrom::Start(0)).unwrap();
        let got = std::fs::read(dir.path().join("b")).unwrap();
        assert_eq!(&got[..4], b"head");
        assert_eq!(&got[4..], &data[..]);
    }
}
