//! ASCII-mode downloads (TYPE A, RFC 959 §3.1.1.1): the server sends NVT-ASCII lines ending in CRLF; the
//! local file gets LF. A reader adapter over the data stream, so the conversion lives with the protocol
//! and callers just read bytes.
//!
//! Only CR LF pairs become LF; a lone CR is kept, also when a pair is split across two reads (the CR is
//! held back until the next byte is known) and when the stream ends right after a CR. ferry uploads in
//! binary only, so there is no LF→CRLF writer.

use std::io::{self, Read};

/// How much of the data connection is read at a time.
const CHUNK: usize = 64 * 1024;

/// Reads `inner` with every CR LF turned into LF.
pub struct AsciiReader<R> {
    inner: R,
    raw: Vec<u8>,
    pos: usize,
    len: usize,
    /// A CR was read whose successor is not known yet.
    pending_cr: bool,
    eof: bool,
}

impl<R: Read> AsciiReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> AsciiReader<R> {
        AsciiReader {
            inner,
            raw: vec![0; CHUNK],
            pos: 0,
            len: 0,
            pending_cr: false,
            eof: false,
        }
    }

    /// The wrapped stream.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for AsciiReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut w = 0;
        while w < out.len() {
            if self.pos == self.len {
                // Never block for more once something can be returned.
                if self.eof || w > 0 {
                    break;
                }
                let n = self.inner.read(&mut self.raw)?;
                self.pos = 0;
                self.len = n;
                if n == 0 {
                    self.eof = true;
                    if self.pending_cr {
                        self.pending_cr = false;
                        out[w] = b'\r';
                        w += 1;
                    }
                    break;
                }
                continue;
            }
            let b = self.raw[self.pos];
            if self.pending_cr {
                self.pending_cr = false;
                if b != b'\n' {
                    // A lone CR stays; `b` is looked at again on the next turn.
                    out[w] = b'\r';
                    w += 1;
                    continue;
                }
            }
            self.pos += 1;
            if b == b'\r' {
                self.pending_cr = true;
            } else {
                out[w] = b;
                w += 1;
            }
        }
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out its chunks one read at a time.
    struct Chunks(Vec<&'static [u8]>);

    impl Read for Chunks {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            let c = self.0.remove(0);
            buf[..c.len()].copy_from_slice(c);
            Ok(c.len())
        }
    }

    fn convert(chunks: Vec<&'static [u8]>, out_size: usize) -> Vec<u8> {
        let mut r = AsciiReader::new(Chunks(chunks));
        let mut all = Vec::new();
        let mut buf = vec![0u8; out_size];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        all
    }

    #[test]
    fn crlf_becomes_lf_and_lone_crs_stay() {
        assert_eq!(convert(vec![b"a\r\nb\r\n"], 64), b"a\nb\n");
        assert_eq!(convert(vec![b"a\rb\r\rc"], 64), b"a\rb\r\rc");
        assert_eq!(convert(vec![], 64), b"");
    }

    #[test]
    fn a_pair_split_across_reads_is_still_a_pair() {
        assert_eq!(convert(vec![b"a\r", b"\nb\r", b"\rc"], 64), b"a\nb\r\rc");
        assert_eq!(convert(vec![b"\r", b"\r", b"\n"], 64), b"\r\n");
    }

    #[test]
    fn a_cr_at_the_end_is_kept() {
        assert_eq!(convert(vec![b"x\r"], 64), b"x\r");
        assert_eq!(convert(vec![b"\r"], 64), b"\r");
    }

    #[test]
    fn tiny_output_buffers_lose_nothing() {
        let chunks: Vec<&'static [u8]> = vec![b"a\r", b"\nb\rc\r", b"\r\n\r"];
        assert_eq!(convert(chunks.clone(), 1), b"a\nb\rc\r\n\r");
        assert_eq!(convert(chunks, 2), b"a\nb\rc\r\n\r");
    }
}
