//! Dot-stuffed bodies (SMTP DATA, RFC 5321 §4.5.2; POP3 multi-line responses, RFC 1939 §3).
//!
//! [`DotWriter`] is the sending side: it makes every line ending CRLF (a bare LF or bare CR becomes CRLF,
//! so no byte sequence in a message can end the data early — the "SMTP smuggling" family), doubles a dot
//! at the start of a line, and [`DotWriter::finish`] writes the terminating `.`. Stuffing is the last thing
//! done to the bytes. [`Unstuffer`] is the receiving side's line-start logic, driven by the engine's buffer
//! in `PingPong::read_dot_body`. Neither knows about sockets.

use std::io::{self, Write};

/// Writes a message as a dot-stuffed, CRLF-only body.
pub struct DotWriter<W: Write> {
    inner: W,
    at_line_start: bool,
    after_cr: bool,
    out: Vec<u8>,
}

impl<W: Write> DotWriter<W> {
    /// Wraps the connection (or any writer).
    pub fn new(inner: W) -> Self {
        DotWriter {
            inner,
            at_line_start: true,
            after_cr: false,
            out: Vec::new(),
        }
    }

    /// Ends the body: a CRLF if the last line had none, then `.` CRLF. Returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        let mut tail: &[u8] = b".\r\n";
        if !self.at_line_start && !self.after_cr {
            tail = b"\r\n.\r\n";
        }
        self.inner.write_all(tail)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for DotWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.clear();
        self.out.reserve(buf.len() + buf.len() / 64 + 8);
        let mut i = 0;
        while i < buf.len() {
            if self.after_cr {
                // The CR already became CRLF; its LF, if that is what follows, is the same line ending.
                self.after_cr = false;
                self.at_line_start = true;
                if buf[i] == b'\n' {
                    i += 1;
                    continue;
                }
            }
            if self.at_line_start && buf[i] == b'.' {
                self.out.push(b'.');
            }
            self.at_line_start = false;
            match memchr::memchr2(b'\r', b'\n', &buf[i..]) {
                None => {
                    self.out.extend_from_slice(&buf[i..]);
                    i = buf.len();
                }
                Some(j) => {
                    self.out.extend_from_slice(&buf[i..i + j]);
                    self.out.extend_from_slice(b"\r\n");
                    if buf[i + j] == b'\r' {
                        self.after_cr = true;
                    } else {
                        self.at_line_start = true;
                    }
                    i += j + 1;
                }
            }
        }
        self.inner.write_all(&self.out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What the line-start check of a dot-stuffed body decided.
#[derive(Debug, PartialEq, Eq)]
pub enum LineStart {
    /// More bytes are needed to decide.
    NeedMore,
    /// The terminating line, this many bytes long: the body is over.
    End(usize),
    /// A stuffed dot: skip one byte, the rest of the line is data.
    Unstuff,
    /// An ordinary line.
    Data,
}

/// Classifies the bytes at the start of a line of a dot-stuffed body (`buf` is what is buffered so far).
pub fn line_start(buf: &[u8]) -> LineStart {
    match buf {
        [] => LineStart::NeedMore,
        [b'.'] | [b'.', b'\r'] => LineStart::NeedMore,
        [b'.', b'\n', ..] => LineStart::End(2),
        [b'.', b'\r', b'\n', ..] => LineStart::End(3),
        [b'.', ..] => LineStart::Unstuff,
        _ => LineStart::Data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stuff_in_chunks(input: &[u8], chunk: usize) -> Vec<u8> {
        let mut w = DotWriter::new(Vec::new());
        for c in input.chunks(chunk.max(1)) {
            w.write_all(c).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn stuffing_and_line_endings_whatever_the_chunking() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"", b".\r\n"),
            (b"a", b"a\r\n.\r\n"),
            (b"a\n", b"a\r\n.\r\n"),
            (b".\n", b"..\r\n.\r\n"),
            (b"x\n.\nq", b"x\r\n..\r\nq\r\n.\r\n"),
            (b"a\r\n.\r\nb\r\n", b"a\r\n..\r\nb\r\n.\r\n"),
            // Bare CR and bare LF can never make an end-of-data: both become CRLF.
            (b"a\r.\rb", b"a\r\n..\r\nb\r\n.\r\n"),
            (b"a\n.\r\nb", b"a\r\n..\r\nb\r\n.\r\n"),
            (b"\r\n\r\n", b"\r\n\r\n.\r\n"),
            (b"a\r\r\nb", b"a\r\n\r\nb\r\n.\r\n"),
            (b"..x\n", b"...x\r\n.\r\n"),
            (b"a\r", b"a\r\n.\r\n"),
        ];
        for (input, want) in cases {
            for chunk in [1, 2, 3, 1000] {
                assert_eq!(
                    stuff_in_chunks(input, chunk),
                    *want,
                    "input {:?} chunk {chunk}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }

    #[test]
    fn line_start_classification() {
        assert_eq!(line_start(b""), LineStart::NeedMore);
        assert_eq!(line_start(b"."), LineStart::NeedMore);
        assert_eq!(line_start(b".\r"), LineStart::NeedMore);
        assert_eq!(line_start(b".\r\nmore"), LineStart::End(3));
        assert_eq!(line_start(b".\n"), LineStart::End(2));
        assert_eq!(line_start(b"..\r\n"), LineStart::Unstuff);
        assert_eq!(line_start(b".x"), LineStart::Unstuff);
        assert_eq!(line_start(b".\rx"), LineStart::Unstuff);
        assert_eq!(line_start(b"x"), LineStart::Data);
    }
}
