//! A scripted stream for unit tests of the sessions (test builds only).
//!
//! [`MockStream`] plays the server: each scripted chunk is what one read returns (a read never crosses
//! into the next chunk, so a reply a test puts in a chunk of its own is not buffered early — which keeps
//! the engine's "no bytes buffered before a TLS handshake" check meaningful). Everything the client writes
//! is recorded; [`MockLog`] (a handle that outlives the session) reads the record back and asserts the exact
//! client transcript. An upgrade to TLS is simulated: it records a `[TLS]` line in the transcript and marks
//! the stream encrypted, or fails like a refused handshake when the mock was built [`MockStream::refusing_tls`].
//! A [`MockStream::paced`] server lets each chunk wait a while and honours the read timeout the engine set,
//! like a socket (a read that would wait longer fails with `TimedOut` after the timeout), so deadline tests
//! run against real time.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::Wire;
use crate::error::{Error, ErrorKind, Result};
use crate::transport::Tls;

/// The line a simulated TLS upgrade leaves in the client transcript.
pub const TLS_MARK: &str = "[TLS]";

struct State {
    script: VecDeque<Vec<u8>>,
    written: Vec<u8>,
    tls: bool,
    refuse_tls: bool,
    peer: SocketAddr,
    local: SocketAddr,
    pace: Option<Duration>,
    next_at: Option<Instant>,
    read_timeout: Option<Duration>,
}

/// The scripted server side of a control connection.
pub struct MockStream(Arc<Mutex<State>>);

/// A handle on what the client sent, valid after the session is gone.
#[derive(Clone)]
pub struct MockLog(Arc<Mutex<State>>);

fn lock(m: &Arc<Mutex<State>>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl MockStream {
    /// A server that sends `chunks`, one per read, then closes. The peer is 192.0.2.1:21 (not loopback).
    pub fn new(chunks: &[&str]) -> (MockStream, MockLog) {
        Self::bytes(chunks.iter().map(|c| c.as_bytes().to_vec()).collect())
    }

    /// Like [`MockStream::new`] with raw bytes.
    pub fn bytes(chunks: Vec<Vec<u8>>) -> (MockStream, MockLog) {
        let state = Arc::new(Mutex::new(State {
            script: chunks.into(),
            written: Vec::new(),
            tls: false,
            refuse_tls: false,
            peer: SocketAddr::from(([192, 0, 2, 1], 21)),
            local: SocketAddr::from(([192, 0, 2, 2], 40000)),
            pace: None,
            next_at: None,
            read_timeout: None,
        }));
        (MockStream(state.clone()), MockLog(state))
    }

    /// The server's address as the session sees it.
    pub fn peer(self, addr: SocketAddr) -> Self {
        lock(&self.0).peer = addr;
        self
    }

    /// A stream that is already encrypted (an implicit-TLS scheme).
    pub fn tls(self) -> Self {
        lock(&self.0).tls = true;
        self
    }

    /// A server that sends each chunk `every` after the previous one (the first `every` after the first
    /// read), honouring the read timeout.
    pub fn paced(self, every: Duration) -> Self {
        lock(&self.0).pace = Some(every);
        self
    }

    /// A stream whose TLS handshake fails.
    pub fn refusing_tls(self) -> Self {
        lock(&self.0).refuse_tls = true;
        self
    }
}

impl MockLog {
    /// Every byte the client wrote.
    pub fn written(&self) -> Vec<u8> {
        lock(&self.0).written.clone()
    }

    /// The lines the client wrote (CRLF removed), with [`TLS_MARK`] where the upgrade happened.
    pub fn lines(&self) -> Vec<String> {
        let w = self.written();
        let text = String::from_utf8_lossy(&w);
        let mut lines: Vec<String> = text.split("\r\n").map(str::to_string).collect();
        if lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        lines
    }

    /// Asserts the exact client transcript.
    #[track_caller]
    pub fn assert_sent(&self, want: &[&str]) {
        assert_eq!(self.lines(), want, "client transcript");
    }

    /// How many scripted chunks the client did not read.
    pub fn unread(&self) -> usize {
        lock(&self.0).script.len()
    }

    /// Whether the stream was upgraded to TLS.
    pub fn is_tls(&self) -> bool {
        lock(&self.0).tls
    }
}

impl Read for MockStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut s = lock(&self.0);
        if let Some(pace) = s.pace {
            let now = Instant::now();
            let ready = *s.next_at.get_or_insert(now + pace);
            let wait = ready.saturating_duration_since(now);
            if let Some(t) = s.read_timeout.filter(|t| *t < wait) {
                drop(s);
                std::thread::sleep(t);
                return Err(io::ErrorKind::TimedOut.into());
            }
            drop(s);
            std::thread::sleep(wait);
            s = lock(&self.0);
            s.next_at = Some(Instant::now() + pace);
        }
        let Some(chunk) = s.script.front_mut() else {
            return Ok(0);
        };
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        chunk.drain(..n);
        if chunk.is_empty() {
            s.script.pop_front();
        }
        Ok(n)
    }
}

impl Write for MockStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        lock(&self.0).written.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Wire for MockStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        lock(&self.0).read_timeout = timeout;
        Ok(())
    }

    fn set_write_timeout(&self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(lock(&self.0).peer)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(lock(&self.0).local)
    }

    fn is_tls(&self) -> bool {
        lock(&self.0).tls
    }

    fn tls_description(&self) -> Option<String> {
        lock(&self.0).tls.then(|| "mock TLS".to_string())
    }

    fn upgrade(self, _: &Tls, host: &str, _: Duration) -> Result<Self> {
        {
            let mut s = lock(&self.0);
            if s.refuse_tls {
                return Err(Error::new(
                    ErrorKind::Tls,
                    format!("TLS handshake with {host}: refused by the mock"),
                ));
            }
            s.tls = true;
            s.written.extend_from_slice(TLS_MARK.as_bytes());
            s.written.extend_from_slice(b"\r\n");
        }
        Ok(self)
    }

    fn close(self) {}
}

/// The transcript of a session a test fixture opened: the opening's lines are checked once, the rest
/// per test.
pub struct Opened {
    /// Everything the client wrote.
    pub log: MockLog,
    opening: Vec<String>,
}

impl Opened {
    /// A transcript that must start with `opening`.
    pub fn new(log: MockLog, opening: &[&str]) -> Opened {
        Opened {
            log,
            opening: opening.iter().map(|l| l.to_string()).collect(),
        }
    }

    /// Asserts the opening, then exactly `want`.
    #[track_caller]
    pub fn after_opening(&self, want: &[&str]) {
        let lines = self.log.lines();
        let n = self.opening.len().min(lines.len());
        assert_eq!(
            lines[..n],
            self.opening[..],
            "client transcript of the opening"
        );
        assert_eq!(lines[n..], *want, "client transcript");
    }
}

/// The kind of the error `r` must be.
#[track_caller]
pub fn kind<T>(r: Result<T>) -> ErrorKind {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.kind(),
    }
}

/// A TLS client for tests (never used for a real handshake over a mock).
pub fn tls() -> Tls {
    Tls::new(&crate::transport::TlsOptions::default()).expect("a TLS client")
}

/// The session settings of a test: the mock's TLS client, `--starttls` as given, short timeouts.
pub fn session_config(starttls: bool) -> super::SessionConfig {
    super::SessionConfig {
        tls: Some(tls()),
        starttls,
        connect_timeout: Duration::from_secs(1),
        // A mock never blocks; the reply deadline only has to outlast parsing a large scripted response
        // in a debug build on a busy machine. Tests of timeouts pace the mock and set their own.
        timeout: Duration::from_secs(60),
        transcript: super::Transcript::new(false),
        route: crate::transport::Route::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Command, Dialect, PingPong, Step};
    use super::*;

    struct OneLine;
    impl Dialect for OneLine {
        type Reply = String;
        fn feed(&mut self, line: &[u8]) -> Result<Step<String>> {
            Ok(Step::Done(String::from_utf8_lossy(line).into_owned()))
        }
    }

    fn engine(chunks: &[&str]) -> (PingPong<OneLine, MockStream>, MockLog) {
        let (m, log) = MockStream::new(chunks);
        let pp = PingPong::new(m, OneLine, Duration::from_secs(1), Default::default()).unwrap();
        (pp, log)
    }

    fn go_ahead(pp: &mut PingPong<OneLine, MockStream>) -> Result<std::result::Result<(), Error>> {
        pp.send(&Command::new("STARTTLS"))?;
        Ok(match pp.read_reply()?.as_str() {
            "GO" => Ok(()),
            other => Err(Error::new(
                ErrorKind::Permanent,
                format!("STARTTLS: {other}"),
            )),
        })
    }

    #[test]
    fn starttls_upgrades_after_the_go_ahead_and_maps_a_refusal() {
        let (pp, log) = engine(&["GO\r\n", "AFTER\r\n"]);
        let mut pp = pp.starttls(&tls(), "h", go_ahead).unwrap();
        assert!(pp.is_tls());
        pp.send(&Command::new("NOOP")).unwrap();
        assert_eq!(pp.read_reply().unwrap(), "AFTER");
        log.assert_sent(&["STARTTLS", TLS_MARK, "NOOP"]);

        let (pp, _) = engine(&["NO\r\n"]);
        let e = pp.starttls(&tls(), "h", go_ahead).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::Tls);
        assert_eq!(
            e.to_string(),
            "--starttls: the server refused TLS (STARTTLS: NO)"
        );

        // Bytes after the go-ahead, before the handshake: refused by the engine.
        let (pp, log) = engine(&["GO\r\nINJECTED\r\n"]);
        let e = pp.starttls(&tls(), "h", go_ahead).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert!(!log.is_tls());

        // A failed handshake keeps its own kind.
        let (m, _) = MockStream::new(&["GO\r\n"]);
        let pp = PingPong::new(
            m.refusing_tls(),
            OneLine,
            Duration::from_secs(1),
            Default::default(),
        )
        .unwrap();
        let e = pp.starttls(&tls(), "h", go_ahead).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::Tls);
    }
}
