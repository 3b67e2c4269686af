//! Literals: `n` raw bytes inside a reply (IMAP `{n}`, RFC 9051 §4.3), streamed to a caller's sink.
//!
//! After a dialect returns [`Step::Literal`](super::Step::Literal), the engine passes exactly `n` bytes —
//! first whatever is already buffered, then reads of at most one buffer — to the [`LiteralSink`], and goes
//! back to lines. It never allocates from the announced size: a `{18446744073709551615}` costs one buffer and
//! ends with the connection (a truncated literal is a protocol violation). The sink sees the dialect, so a
//! protocol can decide per literal where the bytes go (a message body to a file, a mailbox name into the
//! parsed reply). Each read of literal bytes may take the reply timeout; a closed connection before the last
//! byte is exit 9. Line caps, NUL checks and the reply cap do not apply to literal bytes: they are data.

use super::{Dialect, PingPong, Wire};
use crate::error::{Error, Result};

/// Where the bytes of a reply's literals go.
pub trait LiteralSink<D> {
    /// A literal of `len` bytes starts (also for `len` 0).
    fn begin(&mut self, dialect: &mut D, len: u64) -> Result<()>;
    /// The next bytes of the literal (never empty).
    fn bytes(&mut self, dialect: &mut D, chunk: &[u8]) -> Result<()>;
    /// The literal is complete.
    fn end(&mut self, dialect: &mut D) -> Result<()>;
}

/// The sink of replies that must not contain literals: any literal is a protocol violation.
pub struct NoLiterals;

impl<D> LiteralSink<D> for NoLiterals {
    fn begin(&mut self, _: &mut D, len: u64) -> Result<()> {
        Err(Error::protocol(format!(
            "unexpected literal of {len} bytes in a reply"
        )))
    }
    fn bytes(&mut self, _: &mut D, _: &[u8]) -> Result<()> {
        Err(Error::protocol("unexpected literal in a reply"))
    }
    fn end(&mut self, _: &mut D) -> Result<()> {
        Ok(())
    }
}

impl<D: Dialect, S: Wire> PingPong<D, S> {
    /// Streams the `len` bytes of a literal to `sink`.
    pub(super) fn stream_literal(&mut self, len: u64, sink: &mut dyn LiteralSink<D>) -> Result<()> {
        self.transcript
            .note(&format!("{len} bytes of literal data"));
        sink.begin(&mut self.dialect, len)?;
        let mut left = len;
        let mut trickle = crate::stall::Trickle::new(self.timeout, None);
        while left > 0 {
            if self.start == self.end {
                self.start = 0;
                self.end = 0;
                self.stream
                    .set_read_timeout(Some(self.timeout))
                    .map_err(|e| Error::network("socket", e))?;
                let n = match self.stream.read(&mut self.buf[..]) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Error::network("reading a literal", e)),
                };
                if n == 0 {
                    return Err(Error::protocol(format!(
                        "the server closed the connection {left} bytes before the end of a {len}-byte literal"
                    )));
                }
                self.end = n;
                trickle.add(n).map_err(|t| {
                    Error::new(crate::ErrorKind::Timeout, format!("reading a literal: {t}"))
                })?;
            }
            let avail = (self.end - self.start) as u64;
            let take = avail.min(left) as usize;
            let chunk = &self.buf[self.start..self.start + take];
            sink.bytes(&mut self.dialect, chunk)?;
            self.start += take;
            left -= take as u64;
        }
        sink.end(&mut self.dialect)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    use super::super::{Step, Transcript};
    use super::*;
    use crate::transport::Stream;

    /// Lines until one without a trailing `{n}`; literal bytes are collected by the sink.
    #[derive(Default)]
    struct Lit {
        lines: Vec<Vec<u8>>,
    }

    impl Dialect for Lit {
        type Reply = Vec<Vec<u8>>;
        fn feed(&mut self, line: &[u8]) -> Result<Step<Self::Reply>> {
            self.lines.push(line.to_vec());
            if let Some(rest) = line.strip_suffix(b"}")
                && let Some(i) = rest.iter().rposition(|&b| b == b'{')
            {
                let n = std::str::from_utf8(&rest[i + 1..])
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| Error::protocol("bad literal"))?;
                return Ok(Step::Literal(n));
            }
            Ok(Step::Done(std::mem::take(&mut self.lines)))
        }
    }

    #[derive(Default)]
    struct Collect {
        literals: Vec<Vec<u8>>,
        chunks: usize,
    }

    impl LiteralSink<Lit> for Collect {
        fn begin(&mut self, _: &mut Lit, _: u64) -> Result<()> {
            self.literals.push(Vec::new());
            Ok(())
        }
        fn bytes(&mut self, _: &mut Lit, chunk: &[u8]) -> Result<()> {
            assert!(!chunk.is_empty());
            self.chunks += 1;
            if let Some(l) = self.literals.last_mut() {
                l.extend_from_slice(chunk)
            }
            Ok(())
        }
        fn end(&mut self, _: &mut Lit) -> Result<()> {
            Ok(())
        }
    }

    /// A PingPong on a loopback connection whose server writes `parts` with a pause between them.
    fn engine(parts: Vec<Vec<u8>>) -> PingPong<Lit> {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            for p in parts {
                let _ = s.write_all(&p);
                let _ = s.flush();
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let tcp = TcpStream::connect(addr).unwrap();
        PingPong::new(
            Stream::Plain(tcp),
            Lit::default(),
            Duration::from_secs(5),
            Transcript::new(false),
        )
        .unwrap()
    }

    /// A literal dripped a byte every 20 ms never makes one read wait the 300 ms timeout, but it stays
    /// below the minimum rate over the timeout: a timeout error, not a wait of 2 s per 100 bytes.
    #[test]
    fn a_literal_trickled_below_the_minimum_rate_times_out() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let _ = s.write_all(b"* 1 FETCH (BODY[] {100000}\r\n");
            for _ in 0..500 {
                if s.write_all(b"x").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let tcp = TcpStream::connect(addr).unwrap();
        let timeout = Duration::from_millis(300);
        let mut pp = PingPong::new(
            Stream::Plain(tcp),
            Lit::default(),
            timeout,
            Transcript::new(false),
        )
        .unwrap();
        let started = std::time::Instant::now();
        let e = pp
            .read_reply_with(&mut Collect::default(), 1 << 20)
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Timeout);
        assert!(e.to_string().contains("the server trickles"), "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn literal_split_across_reads_and_empty_literal() {
        let mut pp = engine(vec![
            b"* 1 FETCH (BODY[] {10}\r\nhel".to_vec(),
            b"lo\r\nwor".to_vec(),
            b"ld FLAGS () X {0}\r\n".to_vec(),
            b")\r\nA1 OK done\r\n".to_vec(),
        ]);
        let mut sink = Collect::default();
        let r = pp.read_reply_with(&mut sink, 100).unwrap();
        assert_eq!(sink.literals, vec![b"hello\r\nwor".to_vec(), Vec::new()]);
        assert!(sink.chunks >= 2, "bytes arrived in several reads");
        assert_eq!(
            r,
            vec![
                b"* 1 FETCH (BODY[] {10}".to_vec(),
                b"ld FLAGS () X {0}".to_vec(),
                b")".to_vec()
            ]
        );
        let r = pp.read_reply().unwrap();
        assert_eq!(r, vec![b"A1 OK done".to_vec()]);
    }

    #[test]
    fn literal_over_the_cap_or_unexpected_or_truncated_is_a_protocol_error() {
        let mut pp = engine(vec![
            b"* 1 FETCH (BODY[] {18446744073709551615}\r\nabc".to_vec(),
        ]);
        let e = pp
            .read_reply_with(&mut Collect::default(), 1 << 20)
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Protocol);
        let mut pp = engine(vec![b"* 1 FETCH (BODY[] {3}\r\nabc)\r\n".to_vec()]);
        let e = pp.read_reply().unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Protocol);
        let mut pp = engine(vec![b"* 1 FETCH (BODY[] {1000}\r\nabc".to_vec()]);
        let e = pp
            .read_reply_with(&mut Collect::default(), u64::MAX)
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Protocol);
        assert!(e.to_string().contains("997 bytes before the end"), "{e}");
    }
}
