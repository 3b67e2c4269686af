//! Streaming rewrites of message bytes on their way to a local store: CRLF line endings become LF (the
//! Unix convention every Maildir and mbox reader expects), and mboxrd quoting (`>*From ` lines get one
//! more `>`). Both work on any chunking in constant memory: the quoting keeps only a count of `>` and
//! how much of `From ` has matched, never a line.

use std::io::{self, Write};

/// CRLF → LF; a CR not followed by LF is kept. Made with [`ToLf::raw`], the bytes pass unchanged (a
/// decoded part is bytes, not lines).
pub struct ToLf<W: Write> {
    inner: W,
    cr: bool,
    out: Vec<u8>,
    raw: bool,
}

impl<W: Write> ToLf<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        ToLf {
            inner,
            cr: false,
            out: Vec::new(),
            raw: false,
        }
    }

    /// Wraps `inner` without converting anything.
    pub fn raw(inner: W) -> Self {
        ToLf {
            raw: true,
            ..ToLf::new(inner)
        }
    }

    /// Writes a CR held back at the end of the input, and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.cr {
            self.inner.write_all(b"\r")?;
        }
        Ok(self.inner)
    }

    /// The wrapped writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }
}

impl<W: Write> Write for ToLf<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.raw {
            self.inner.write_all(buf)?;
            return Ok(buf.len());
        }
        self.out.clear();
        let mut rest = buf;
        if self.cr {
            self.cr = false;
            if rest.first() != Some(&b'\n') {
                self.out.push(b'\r');
            }
        }
        while let Some(i) = memchr::memchr(b'\r', rest) {
            self.out.extend_from_slice(&rest[..i]);
            match rest.get(i + 1) {
                Some(b'\n') => {}
                Some(_) => self.out.push(b'\r'),
                None => self.cr = true,
            }
            rest = &rest[i + 1..];
        }
        self.out.extend_from_slice(rest);
        self.inner.write_all(&self.out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// mboxrd quoting of LF-terminated lines: a line matching `^>*From ` is written with one more `>`.
pub struct MboxQuote<W: Write> {
    inner: W,
    /// At a line start, or inside a prefix that may still become `>*From `.
    deciding: bool,
    gts: u64,
    matched: usize,
    /// The last byte written was a line feed (or nothing was written).
    ended_line: bool,
}

const FROM: &[u8] = b"From ";

impl<W: Write> MboxQuote<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        MboxQuote {
            inner,
            deciding: true,
            gts: 0,
            matched: 0,
            ended_line: true,
        }
    }

    fn flush_prefix(&mut self, quote: bool) -> io::Result<()> {
        if quote {
            self.inner.write_all(b">")?;
        }
        for _ in 0..self.gts {
            self.inner.write_all(b">")?;
        }
        self.inner.write_all(&FROM[..self.matched])?;
        if self.gts > 0 || self.matched > 0 {
            self.ended_line = false;
        }
        self.gts = 0;
        self.matched = 0;
        self.deciding = false;
        Ok(())
    }

    /// Ends the message: whatever prefix is pending, then a line feed if the last line had none.
    /// Returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.deciding {
            self.flush_prefix(false)?;
        }
        if !self.ended_line {
            self.inner.write_all(b"\n")?;
        }
        Ok(self.inner)
    }
}

impl<W: Write> Write for MboxQuote<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut i = 0;
        while i < buf.len() {
            if self.deciding {
                let b = buf[i];
                if self.matched == 0 && b == b'>' {
                    self.gts += 1;
                    i += 1;
                    continue;
                }
                if b == FROM[self.matched] {
                    self.matched += 1;
                    i += 1;
                    if self.matched == FROM.len() {
                        self.flush_prefix(true)?;
                    }
                    continue;
                }
                self.flush_prefix(false)?;
                continue;
            }
            match memchr::memchr(b'\n', &buf[i..]) {
                Some(j) => {
                    self.inner.write_all(&buf[i..=i + j])?;
                    self.ended_line = true;
                    self.deciding = true;
                    i += j + 1;
                }
                None => {
                    self.inner.write_all(&buf[i..])?;
                    self.ended_line = false;
                    i = buf.len();
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(input: &[u8], chunk: usize) -> Vec<u8> {
        let mut w = MboxQuote::new(ToLf::new(Vec::new()));
        for c in input.chunks(chunk) {
            w.write_all(c).unwrap();
        }
        w.finish().unwrap().finish().unwrap()
    }

    #[test]
    fn lf_and_mboxrd_whatever_the_chunking() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b"a\r\nb\r\n", b"a\nb\n"),
            (b"a\rb\r", b"a\rb\n"),
            (b"From x\r\n", b">From x\n"),
            (
                b"x\nFrom y\n>From z\n>>From q\nFrom\n>Fro\nFromage\n",
                b"x\n>From y\n>>From z\n>>>From q\nFrom\n>Fro\nFromage\n",
            ),
            (b"a\n\nFrom ", b"a\n\n>From \n"),
            (b">>>", b">>>\n"),
            (b" From x\n", b" From x\n"),
        ];
        for (input, want) in cases {
            for chunk in [1, 2, 3, 5, 1000] {
                assert_eq!(
                    through(input, chunk),
                    *want,
                    "{:?} chunk {chunk}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }
}
