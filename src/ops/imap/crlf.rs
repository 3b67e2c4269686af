//! The bytes of a message as APPEND sends them: every line ending CRLF (a bare LF or a bare CR becomes
//! CRLF; RFC 9051 §6.3.12 wants RFC 5322 messages), and for an mboxrd message one `>` taken off each
//! `>From ` line (the quoting the mbox writer added). A streaming [`Read`] over any [`BufRead`], holding
//! at most one bounded line segment: the size of the literal is counted with one pass through it
//! ([`normalised_len`]) and the message sent with a second, never held whole in memory.

use std::io::{self, BufRead, Read};

/// The longest piece of a line handled at once; a longer line is handled in pieces (a `>From ` can only
/// be at a line's start, so only the first piece is looked at).
const SEGMENT: u64 = 64 * 1024;

/// CRLF-normalising (and optionally mboxrd-unquoting) reader.
pub struct Normalised<R: BufRead> {
    inner: R,
    mboxrd: bool,
    out: Vec<u8>,
    pos: usize,
    at_line_start: bool,
    /// The last piece ended in CR: a following LF belongs to it.
    pending_cr: bool,
    eof: bool,
}

impl<R: BufRead> Normalised<R> {
    /// Normalises `inner`; `mboxrd` unquotes `>From ` lines.
    pub fn new(inner: R, mboxrd: bool) -> Self {
        Normalised {
            inner,
            mboxrd,
            out: Vec::new(),
            pos: 0,
            at_line_start: true,
            pending_cr: false,
            eof: false,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        let mut seg = Vec::new();
        (&mut self.inner)
            .take(SEGMENT)
            .read_until(b'\n', &mut seg)?;
        if seg.is_empty() {
            if self.pending_cr {
                self.out.push(b'\n');
                self.pending_cr = false;
            }
            self.eof = true;
            return Ok(());
        }
        let mut s: &[u8] = &seg;
        if self.pending_cr {
            self.pending_cr = false;
            self.out.push(b'\n');
            if s.first() == Some(&b'\n') {
                s = &s[1..];
            }
            self.at_line_start = true;
        }
        if self.mboxrd && self.at_line_start {
            let quotes = s.iter().take_while(|&&b| b == b'>').count();
            if quotes > 0 && s[quotes..].starts_with(b"From ") {
                s = &s[1..];
            }
        }
        let mut i = 0;
        while i < s.len() {
            match s[i] {
                b'\r' if s.get(i + 1) == Some(&b'\n') => {
                    self.out.extend_from_slice(b"\r\n");
                    i += 2;
                    continue;
                }
                b'\r' if i + 1 == s.len() => {
                    self.out.push(b'\r');
                    self.pending_cr = true;
                }
                b'\r' | b'\n' => self.out.extend_from_slice(b"\r\n"),
                b => self.out.push(b),
            }
            i += 1;
        }
        self.at_line_start = seg.last() == Some(&b'\n');
        Ok(())
    }
}

impl<R: BufRead> Read for Normalised<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.out.len() {
            if self.eof {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The normalised size of `inner` (the first pass).
pub fn normalised_len<R: BufRead>(inner: R, mboxrd: bool) -> io::Result<u64> {
    io::copy(&mut Normalised::new(inner, mboxrd), &mut io::sink())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(input: &[u8], mboxrd: bool, cap: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let r = io::BufReader::with_capacity(cap, input);
        Normalised::new(r, mboxrd).read_to_end(&mut out).unwrap();
        assert_eq!(normalised_len(input, mboxrd).unwrap(), out.len() as u64);
        out
    }

    #[test]
    fn line_endings_and_from_quoting() {
        for cap in [1, 2, 3, 8192] {
            assert_eq!(norm(b"a\nb\r\nc\rd\r", false, cap), b"a\r\nb\r\nc\r\nd\r\n");
            assert_eq!(norm(b"x\r", false, cap), b"x\r\n");
            assert_eq!(norm(b"no newline", false, cap), b"no newline");
            assert_eq!(
                norm(b">From a\n>>From b\n x >From c\nFrom d\n", true, cap),
                b"From a\r\n>From b\r\n x >From c\r\nFrom d\r\n"
            );
            assert_eq!(norm(b">From a\n", false, cap), b">From a\r\n");
        }
    }
}
