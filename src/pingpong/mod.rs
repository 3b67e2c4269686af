//! The one command/reply engine under every protocol (FTP, SMTP, POP3, IMAP).
//!
//! [`PingPong`] owns the control connection — any [`Wire`]: a [`Stream`] in production, a scripted
//! `MockStream` in unit tests (`mock.rs`) — and its read buffer. `send` writes a [`Command`] with CRLF and
//! logs its redacted form; `read_reply` reads lines — each at most [`LINE_CAP`] bytes, NUL refused — and
//! feeds them to the protocol's [`Dialect`] until it says the reply is complete, all within one deadline
//! that a server trickling bytes cannot extend, and at most [`REPLY_CAP`] bytes in all. `upgrade` starts TLS
//! only when no received byte is still buffered: bytes that arrived after the go-ahead and before the
//! handshake would otherwise be read as if they had been protected (CVE-2011-0411 and kin). `starttls` is
//! the one STARTTLS path of all four protocols: the session sends its command and judges the reply, the
//! engine turns a refusal into a TLS failure and upgrades. FTP and SMTP replies share one type
//! ([`CodedReply`], `coded.rs`); their framing stays in each protocol's dialect.
//! IMAP literals (`{n}`) are a [`Step::Literal`]: the dialect says how many raw bytes follow the line, and
//! the engine streams exactly that many to the [`LiteralSink`] the caller gave, never allocating from the
//! announced size (see `literal.rs`).
//! The engine knows lines and buffers, never command names.

pub mod coded;
mod command;
mod config;
pub mod dot;
mod literal;
#[cfg(any(test, feature = "fuzzing"))]
#[cfg_attr(not(test), allow(dead_code))] // the fuzz checks use only part of it
pub(crate) mod mock;
mod transcript;
mod wire;

pub use coded::{Class, CodedReply, reply_code};
pub use command::Command;
pub use config::SessionConfig;
pub use literal::{LiteralSink, NoLiterals};
pub use transcript::Transcript;
pub use wire::Wire;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::transport::{Stream, Tls};

/// The longest reply line accepted (64 KiB).
pub const LINE_CAP: usize = 64 * 1024;
/// The most bytes one reply may take (1 MiB).
pub const REPLY_CAP: usize = 1024 * 1024;

/// What a dialect makes of one more line.
pub enum Step<R> {
    /// The reply goes on.
    More,
    /// The reply goes on after this many raw bytes (an IMAP literal), which go to the caller's
    /// [`LiteralSink`]; then lines again.
    Literal(u64),
    /// The reply is complete.
    Done(R),
}

/// A protocol's reply framing: where a reply ends and what type it becomes.
pub trait Dialect {
    /// The typed reply.
    type Reply;
    /// Takes one line (without its line ending).
    fn feed(&mut self, line: &[u8]) -> Result<Step<Self::Reply>>;
}

/// A control connection speaking dialect `D` over stream `S` (a socket, or a scripted stream in tests).
pub struct PingPong<D: Dialect, S: Wire = Stream> {
    stream: S,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    dialect: D,
    timeout: Duration,
    transcript: Transcript,
    /// The URL's scheme, which tells the greeting's expected protocol (None: a test's stream).
    scheme: Option<crate::url::Scheme>,
    /// How long the greeting may take: `--connect-timeout` (capped by `--timeout`).
    greeting_wait: Duration,
    /// The first bytes received, for recognising a server of another protocol.
    first: Vec<u8>,
    /// The minimum rate of raw data being sent ([`PingPong::write_raw`]): kept across the calls that
    /// send one literal in chunks, ended by the next reply read.
    sending: Option<crate::stall::Trickle>,
}

/// How many received bytes are kept for [`PingPong::greeting_error`].
const FIRST_CAP: usize = 256;

impl<D: Dialect> PingPong<D, Stream> {
    /// Opens a control connection to `target`: TCP within `connect_timeout`, TLS straight away for the
    /// implicit-TLS schemes (`ftps`, `smtps`, `pop3s`, `imaps`; RFC 8314 §3), then the engine around it.
    /// What every session's `open` starts with.
    pub fn open(target: &crate::url::Target, config: &SessionConfig, dialect: D) -> Result<Self> {
        if let Some(proxy) = &config.route.proxy {
            config
                .transcript
                .note(&format!("via proxy {}", proxy.describe()));
        }
        let tcp = crate::transport::connect(
            &target.host,
            target.port,
            config.connect_timeout,
            &config.route,
        )?;
        // Connecting includes the implicit-TLS handshake and the greeting (as curl's connect timeout
        // does): a server that accepts but never answers is the wrong service, not a slow reply.
        let wait = config.connect_timeout.min(config.timeout);
        let stream = if target.scheme.implicit_tls() {
            config.tls_client()?.wrap(tcp, &target.host, wait)?
        } else {
            Stream::Plain(tcp)
        };
        if let Some(d) = stream.tls_description() {
            config.transcript.note(&format!("TLS established: {d}"));
        }
        let mut pp = PingPong::new(stream, dialect, config.timeout, config.transcript)?;
        pp.scheme = Some(target.scheme);
        pp.greeting_wait = wait;
        Ok(pp)
    }
}

/// The error for a server that does not announce the STARTTLS-type command `word` (`--starttls` never
/// falls back to plain text).
pub fn starttls_not_offered(word: &str) -> Error {
    Error::new(
        ErrorKind::Tls,
        format!("--starttls: the server does not offer {word}"),
    )
}

impl<D: Dialect, S: Wire> PingPong<D, S> {
    /// Wraps a connected stream; `timeout` bounds every reply.
    pub fn new(stream: S, dialect: D, timeout: Duration, transcript: Transcript) -> Result<Self> {
        stream
            .set_write_timeout(Some(timeout))
            .map_err(|e| Error::network("socket", e))?;
        Ok(PingPong {
            stream,
            buf: vec![0u8; LINE_CAP + 2].into_boxed_slice(),
            start: 0,
            end: 0,
            dialect,
            timeout,
            transcript,
            scheme: None,
            greeting_wait: timeout,
            first: Vec::new(),
            sending: None,
        })
    }

    /// The end of the wait for the server's greeting: `--connect-timeout` from now on a connection
    /// [`PingPong::open`] made.
    pub fn greeting_deadline(&self) -> Instant {
        Instant::now() + self.greeting_wait
    }

    /// Explains a failed greeting (see [`crate::hint::greeting_failed`]): another protocol's banner, TLS
    /// records, or silence on a plain-text URL.
    pub fn greeting_error(&self, e: Error) -> Error {
        match self.scheme {
            Some(scheme) => {
                crate::hint::greeting_failed(e, scheme, &self.first, self.greeting_wait)
            }
            None => e,
        }
    }

    /// The transcript, for notes by the session.
    pub fn transcript(&self) -> Transcript {
        self.transcript
    }

    /// The reply timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The dialect, for protocols whose reply framing depends on the command just sent (POP3: a multi-line
    /// reply follows LIST and UIDL, a single line follows STAT).
    pub fn dialect_mut(&mut self) -> &mut D {
        &mut self.dialect
    }

    /// The server's address.
    pub fn peer_addr(&self) -> Result<SocketAddr> {
        self.stream
            .peer_addr()
            .map_err(|e| Error::network("control connection", e))
    }

    /// Our address on the control connection.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.stream
            .local_addr()
            .map_err(|e| Error::network("control connection", e))
    }

    /// Whether the control connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.stream.is_tls()
    }

    /// Sends one command.
    pub fn send(&mut self, cmd: &Command) -> Result<()> {
        let wire = cmd.wire()?;
        self.transcript.sent(&cmd.redacted());
        self.stream
            .write_all(&wire)
            .and_then(|_| self.stream.flush())
            .map_err(|e| Error::network(format!("sending {}", cmd.verb()), e))
    }

    /// Sends several commands in one write (RFC 2920 pipelining): a server that reads them together
    /// answers them together, instead of each reply waiting on the previous one's ACK (Nagle against
    /// delayed ACK costs 40 ms per round on Linux). Nothing is sent if any command is malformed.
    pub fn send_batch(&mut self, cmds: &[Command]) -> Result<()> {
        let mut wire = Vec::new();
        for cmd in cmds {
            wire.extend_from_slice(&cmd.wire()?);
        }
        for cmd in cmds {
            self.transcript.sent(&cmd.redacted());
        }
        self.stream
            .write_all(&wire)
            .and_then(|_| self.stream.flush())
            .map_err(|e| Error::network("sending pipelined commands", e))
    }

    /// Reads one complete reply (a literal in it is a protocol violation).
    pub fn read_reply(&mut self) -> Result<D::Reply> {
        self.read_reply_with(&mut NoLiterals, 0)
    }

    /// The end of a wait of one timeout starting now: what a session hands to
    /// [`PingPong::read_reply_within`] for every reply of a loop over preliminary replies (FTP 1xx, IMAP
    /// untagged data), so that a server repeating them cannot extend the wait.
    pub fn deadline(&self) -> Instant {
        Instant::now() + self.timeout
    }

    /// Reads one complete reply by `deadline` (from [`PingPong::deadline`], shared by several replies).
    pub fn read_reply_within(&mut self, deadline: Instant) -> Result<D::Reply> {
        self.read_reply_with_within(&mut NoLiterals, 0, deadline)
    }

    /// Reads one complete reply, streaming the bytes of its literals (at most `literal_cap` each) to
    /// `sink`. The deadline covers the reply's lines; literal bytes get the timeout per read and the
    /// deadline starts again after each literal.
    pub fn read_reply_with(
        &mut self,
        sink: &mut dyn LiteralSink<D>,
        literal_cap: u64,
    ) -> Result<D::Reply> {
        let deadline = self.deadline();
        self.read_reply_with_within(sink, literal_cap, deadline)
    }

    /// [`PingPong::read_reply_with`] by `deadline`, which several replies may share. A literal is data the
    /// caller asked for, not a preliminary: after one, the reply's remaining lines get at least a whole
    /// timeout (the shared deadline is not moved for the next reply).
    pub fn read_reply_with_within(
        &mut self,
        sink: &mut dyn LiteralSink<D>,
        literal_cap: u64,
        deadline: Instant,
    ) -> Result<D::Reply> {
        self.read_capped(sink, literal_cap, deadline, REPLY_CAP)
    }

    /// Reads one complete reply of at most `cap` bytes instead of [`REPLY_CAP`]: for the one reply a
    /// command is expected to make long (FTP's STAT listing of a directory), within one timeout.
    pub fn read_long_reply(&mut self, cap: usize) -> Result<D::Reply> {
        let deadline = self.deadline();
        self.read_capped(&mut NoLiterals, 0, deadline, cap)
    }

    fn read_capped(
        &mut self,
        sink: &mut dyn LiteralSink<D>,
        literal_cap: u64,
        deadline: Instant,
        cap: usize,
    ) -> Result<D::Reply> {
        let mut deadline = deadline;
        let mut total = 0usize;
        loop {
            let (s, e) = self.read_line(deadline)?;
            total = total.saturating_add(e - s + 2);
            if total > cap {
                return Err(Error::protocol(format!("reply longer than {cap} bytes")));
            }
            let bytes = &self.buf[s..e];
            self.transcript.received(bytes);
            match self.dialect.feed(bytes)? {
                Step::More => {}
                Step::Done(r) => return Ok(r),
                Step::Literal(len) => {
                    if len > literal_cap {
                        return Err(Error::protocol(format!(
                            "the server announced a literal of {len} bytes (at most {literal_cap} accepted here)"
                        )));
                    }
                    self.stream_literal(len, sink)?;
                    deadline = deadline.max(self.deadline());
                }
            }
        }
    }

    /// Finds the next line in the buffer, reading as needed; returns its range without the line ending.
    fn read_line(&mut self, deadline: Instant) -> Result<(usize, usize)> {
        // Waiting for a reply: whatever was being sent has ended.
        self.sending = None;
        let mut scanned = self.start;
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[scanned..self.end]) {
                let nl = scanned + i;
                let line_start = self.start;
                let mut line_end = nl;
                if line_end > line_start && self.buf[line_end - 1] == b'\r' {
                    line_end -= 1;
                }
                self.start = nl + 1;
                if self.buf[line_start..line_end].contains(&0) {
                    return Err(Error::protocol("NUL byte in a reply line"));
                }
                return Ok((line_start, line_end));
            }
            scanned = self.end;
            if self.end - self.start > LINE_CAP {
                return Err(Error::protocol(format!(
                    "reply line longer than {} bytes",
                    LINE_CAP
                )));
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                scanned -= self.start;
                self.end -= self.start;
                self.start = 0;
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    "waiting for the server's reply: timed out",
                ));
            }
            self.stream
                .set_read_timeout(Some(remaining))
                .map_err(|e| Error::network("socket", e))?;
            let n = match self.stream.read(&mut self.buf[self.end..]) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::network("waiting for the server's reply", e)),
            };
            if n == 0 {
                return Err(Error::protocol("the server closed the connection"));
            }
            if self.first.len() < FIRST_CAP {
                let keep = n.min(FIRST_CAP - self.first.len());
                self.first
                    .extend_from_slice(&self.buf[self.end..self.end + keep]);
            }
            self.end += n;
        }
    }

    /// Writes bytes the transcript does not show (an IMAP literal's payload).
    /// Bytes sent in several calls (a literal in chunks) keep up the minimum rate together: a server
    /// reading each chunk just within the timeout is still a trickle ([`crate::stall`]).
    pub fn write_raw(&mut self, bytes: &[u8]) -> Result<()> {
        let timeout = self.timeout;
        let trickle = self
            .sending
            .get_or_insert_with(|| crate::stall::Trickle::new(timeout, None));
        let mut w = crate::stall::Watched::new(&mut self.stream, trickle);
        w.write_all(bytes)
            .and_then(|_| w.flush())
            .map_err(|e| Error::network("sending data", e))
    }

    /// Sends a message body as SMTP DATA content (RFC 5321 §4.5.2): CRLF line endings, dot-stuffed, and the
    /// terminating `.` line. Returns the message bytes read from `body`. A failure to read `body` is a local
    /// error; a failure to send is a network one.
    pub fn send_dot_body(&mut self, body: &mut dyn Read) -> Result<u64> {
        // A server that takes the message a byte a minute fails the minimum rate (`crate::stall`).
        let mut trickle = crate::stall::Trickle::new(self.timeout, None);
        let mut watched = crate::stall::Watched::new(&mut self.stream, &mut trickle);
        let mut w = dot::DotWriter::new(&mut watched);
        let mut chunk = vec![0u8; 128 * 1024];
        let mut total = 0u64;
        loop {
            let n = match body.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::local("reading the message", e)),
            };
            w.write_all(&chunk[..n])
                .map_err(|e| Error::network("sending the message", e))?;
            total += n as u64;
        }
        w.finish()
            .map_err(|e| Error::network("sending the message", e))?;
        self.transcript
            .note(&format!("({total} bytes of message, dot-stuffed)"));
        Ok(total)
    }

    /// Reads a dot-terminated multi-line body (RFC 1939 §3, after the `+OK` line) into `out`, un-stuffed,
    /// line endings as received, without the terminating `.` line. Lines of any length are passed through
    /// in pieces; each read may wait at most the timeout (a long body is not one reply), and the body must
    /// keep up [`crate::stall::MIN_RATE`] over every timeout. More than `limit` body bytes, or a connection
    /// that ends before the `.`, is a protocol error. Returns the bytes written.
    pub fn read_dot_body(&mut self, out: &mut dyn Write, limit: u64) -> Result<u64> {
        let mut total = 0u64;
        let mut at_line_start = true;
        let mut trickle = crate::stall::Trickle::new(self.timeout, None);
        loop {
            // Drain what is buffered.
            while self.start < self.end {
                let avail = &self.buf[self.start..self.end];
                if at_line_start {
                    match dot::line_start(avail) {
                        dot::LineStart::NeedMore => break,
                        dot::LineStart::End(n) => {
                            self.start += n;
                            self.transcript.note(&format!("({total} bytes of body)"));
                            return Ok(total);
                        }
                        dot::LineStart::Unstuff => {
                            self.start += 1;
                            at_line_start = false;
                            continue;
                        }
                        dot::LineStart::Data => at_line_start = false,
                    }
                }
                let avail = &self.buf[self.start..self.end];
                let take = match memchr::memchr(b'\n', avail) {
                    Some(i) => {
                        at_line_start = true;
                        i + 1
                    }
                    None => avail.len(),
                };
                total += take as u64;
                if total > limit {
                    return Err(Error::protocol(format!(
                        "multi-line response longer than {limit} bytes"
                    )));
                }
                out.write_all(&avail[..take])
                    .map_err(|e| Error::local("writing the message", e))?;
                self.start += take;
            }
            // Refill: keep an undecided line start (at most two bytes) at the front.
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            self.stream
                .set_read_timeout(Some(self.timeout))
                .map_err(|e| Error::network("socket", e))?;
            let n = match self.stream.read(&mut self.buf[self.end..]) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::network("receiving a multi-line response", e)),
            };
            if n == 0 {
                return Err(Error::protocol(
                    "the server closed the connection before the end of a multi-line response",
                ));
            }
            self.end += n;
            trickle.add(n).map_err(|t| {
                Error::new(
                    ErrorKind::Timeout,
                    format!("receiving a multi-line response: {t}"),
                )
            })?;
        }
    }

    /// Starts TLS on the connection (after the server's go-ahead), refusing if any received byte is still
    /// buffered.
    pub fn upgrade(mut self, tls: &Tls, host: &str) -> Result<Self> {
        if self.start != self.end {
            return Err(Error::protocol(
                "the server sent data after the TLS go-ahead and before the handshake",
            ));
        }
        if self.stream.is_tls() {
            return Err(Error::new(ErrorKind::Internal, "TLS is already active"));
        }
        self.stream = self.stream.upgrade(tls, host, self.timeout)?;
        if let Some(d) = self.stream.tls_description() {
            self.transcript.note(&format!("TLS established: {d}"));
        }
        Ok(self)
    }

    /// The one STARTTLS path of every protocol (FTP AUTH TLS, RFC 4217 §4; SMTP STARTTLS, RFC 3207; POP3
    /// STLS and IMAP STARTTLS, RFC 2595): `go_ahead` sends the protocol's command and checks its reply,
    /// returning `Ok(Err(refusal))` when the server said no; then the handshake ([`PingPong::upgrade`]).
    /// A refusal is a TLS failure (exit 4) — never a fallback to plain text; any other failure of the
    /// exchange (network, protocol violation) passes unchanged.
    pub fn starttls(
        mut self,
        tls: &Tls,
        host: &str,
        go_ahead: impl FnOnce(&mut Self) -> Result<std::result::Result<(), Error>>,
    ) -> Result<Self> {
        if let Err(refusal) = go_ahead(&mut self)? {
            return Err(Error::new(
                ErrorKind::Tls,
                format!("--starttls: the server refused TLS ({})", refusal.context()),
            ));
        }
        self.upgrade(tls, host)
    }

    /// Closes the connection without another word.
    pub fn close(self) {
        self.stream.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    struct OneLine;
    impl Dialect for OneLine {
        type Reply = Vec<u8>;
        fn feed(&mut self, line: &[u8]) -> Result<Step<Vec<u8>>> {
            Ok(Step::Done(line.to_vec()))
        }
    }

    /// A peer that takes one byte per write, 2 ms apart (500 bytes/s).
    struct SlowReader;

    impl Read for SlowReader {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Ok(0)
        }
    }

    impl Write for SlowReader {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            std::thread::sleep(Duration::from_millis(2));
            Ok(buf.len().min(1))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Wire for SlowReader {
        fn set_read_timeout(&self, _: Option<Duration>) -> std::io::Result<()> {
            Ok(())
        }
        fn set_write_timeout(&self, _: Option<Duration>) -> std::io::Result<()> {
            Ok(())
        }
        fn peer_addr(&self) -> std::io::Result<SocketAddr> {
            Err(std::io::ErrorKind::NotConnected.into())
        }
        fn local_addr(&self) -> std::io::Result<SocketAddr> {
            Err(std::io::ErrorKind::NotConnected.into())
        }
        fn is_tls(&self) -> bool {
            false
        }
        fn tls_description(&self) -> Option<String> {
            None
        }
        fn upgrade(self, _: &Tls, _: &str, _: Duration) -> Result<Self> {
            Err(Error::protocol("no TLS here"))
        }
        fn close(self) {}
    }

    /// A literal sent in chunks, each taken within the 60 ms timeout, still falls below the minimum rate
    /// over the whole literal: the rate is kept across `write_raw` calls.
    #[test]
    fn raw_chunks_taken_slowly_fail_the_minimum_rate_together() {
        let mut pp = PingPong::new(
            SlowReader,
            OneLine,
            Duration::from_millis(60),
            Transcript::new(false),
        )
        .unwrap();
        let mut calls = 0;
        let e = loop {
            calls += 1;
            assert!(calls <= 10, "ten chunks of 20 bytes at 500 bytes/s passed");
            if let Err(e) = pp.write_raw(&[b'x'; 20]) {
                break e;
            }
        };
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(e.to_string().contains("the server trickles"), "{e}");
    }

    /// A connection whose server writes `wire` in pieces of `chunk` bytes, then closes.
    fn serving(wire: Vec<u8>, chunk: usize) -> PingPong<OneLine> {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            for c in wire.chunks(chunk) {
                s.write_all(c).unwrap();
                s.flush().unwrap();
                std::thread::sleep(Duration::from_micros(200));
            }
        });
        let tcp = TcpStream::connect(addr).unwrap();
        PingPong::new(
            Stream::Plain(tcp),
            OneLine,
            Duration::from_secs(5),
            Transcript::new(false),
        )
        .unwrap()
    }

    #[test]
    fn dot_body_unstuffed_whatever_the_chunking() {
        let wire = b"+OK\r\nFrom: a\r\n..dot\r\n.x\r\n\r\nlast\r\n.\r\n+OK next\r\n".to_vec();
        for chunk in [1, 2, 3, 7, 100] {
            let mut pp = serving(wire.clone(), chunk);
            assert_eq!(pp.read_reply().unwrap(), b"+OK");
            let mut out = Vec::new();
            let n = pp.read_dot_body(&mut out, 1 << 20).unwrap();
            assert_eq!(
                out, b"From: a\r\n.dot\r\nx\r\n\r\nlast\r\n",
                "chunk {chunk}"
            );
            assert_eq!(n, out.len() as u64);
            assert_eq!(pp.read_reply().unwrap(), b"+OK next");
        }
    }

    #[test]
    fn dot_body_long_lines_limit_and_truncation() {
        let mut wire = b"+OK\r\n".to_vec();
        wire.extend(std::iter::repeat_n(b'a', 3 * LINE_CAP));
        wire.extend_from_slice(b"\r\n.\r\n");
        let mut pp = serving(wire.clone(), 10_000);
        pp.read_reply().unwrap();
        let mut out = Vec::new();
        assert_eq!(
            pp.read_dot_body(&mut out, 1 << 20).unwrap(),
            3 * LINE_CAP as u64 + 2
        );

        let mut pp = serving(wire, 10_000);
        pp.read_reply().unwrap();
        let e = pp.read_dot_body(&mut Vec::new(), 1000).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);

        let mut pp = serving(b"+OK\r\nbody\r\n".to_vec(), 3);
        pp.read_reply().unwrap();
        let e = pp.read_dot_body(&mut Vec::new(), 1 << 20).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert!(e.to_string().contains("closed"), "{e}");
    }
}
