//! Streaming transfer encoders: base64 (RFC 2045 §6.8) and quoted-printable (RFC 2045 §6.7).
//!
//! Both are push encoders: [`Base64Encoder::feed`] / [`QpEncoder::feed`] take any slice and append the
//! encoded bytes to a caller's `Vec`, keeping only a few bytes of state between calls, so the output is
//! byte-for-byte the same however the input is chunked and memory stays constant. [`encode_stream`] drives
//! one from a reader to a writer in 128 KiB blocks. This module does not know headers (see `header`) or
//! message structure (see `build`).
//!
//! base64 uses the `base64` crate's runtime-detected SIMD engine on whole blocks and only inserts the line
//! breaks itself. Quoted-printable is our own: the `quoted_printable` crate encodes a bare LF as `=0A`
//! (breaking text on Unix input) and runs at a fraction of the speed needed here.

use std::io::Write;

use base64::Engine;
use base64::engine::{GeneralPurposeConfig, Simd};

use super::stream::StreamError;

/// The line ending written between encoded lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    /// `\r\n`, as on the wire (RFC 2045, RFC 5322).
    Crlf,
    /// `\n`, as Unix tools such as coreutils `base64` write it.
    Lf,
}

impl LineEnding {
    fn bytes(self) -> &'static [u8] {
        match self {
            LineEnding::Crlf => b"\r\n",
            LineEnding::Lf => b"\n",
        }
    }
}

pub(crate) fn simd_engine() -> Simd {
    Simd::standard(
        GeneralPurposeConfig::new()
            .with_encode_padding(true)
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    )
}

/// A streaming base64 encoder writing lines of `wrap` characters (0: one unbroken line).
pub struct Base64Encoder {
    engine: Simd,
    wrap: usize,
    eol: LineEnding,
    carry: [u8; 3],
    carry_len: usize,
    col: usize,
    scratch: Vec<u8>,
    wrote_any: bool,
}

impl Base64Encoder {
    /// An encoder with lines of `wrap` characters (76 in MIME; 0 disables wrapping).
    pub fn new(wrap: usize, eol: LineEnding) -> Self {
        Base64Encoder {
            engine: simd_engine(),
            wrap,
            eol,
            carry: [0; 3],
            carry_len: 0,
            col: 0,
            scratch: Vec::new(),
            wrote_any: false,
        }
    }

    /// The input length that makes a whole number of output lines (of quanta when unwrapped); `None` when
    /// lines split quanta (a width not a multiple of 4).
    fn cycle(&self) -> Option<usize> {
        match self.wrap {
            0 => Some(3),
            w if w % 4 == 0 => Some(w / 4 * 3),
            _ => None,
        }
    }

    /// Encodes `input`, appending complete output to `out`.
    pub fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        if self.carry_len > 0 {
            let take = (3 - self.carry_len).min(input.len());
            self.carry[self.carry_len..self.carry_len + take].copy_from_slice(&input[..take]);
            self.carry_len += take;
            input = &input[take..];
            if self.carry_len < 3 {
                return;
            }
            let carry = self.carry;
            self.carry_len = 0;
            self.encode_whole(&carry, out);
        }
        let whole = input.len() - input.len() % 3;
        self.encode_whole(&input[..whole], out);
        let rest = &input[whole..];
        self.carry[..rest.len()].copy_from_slice(rest);
        self.carry_len = rest.len();
    }

    /// Encodes what is left (with `=` padding) and ends the last line.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.carry_len > 0 {
            let carry = self.carry;
            let n = self.carry_len;
            self.carry_len = 0;
            self.encode_whole(&carry[..n], out);
        }
        if self.wrote_any && (self.col > 0 || self.wrap == 0) {
            out.extend_from_slice(self.eol.bytes());
        }
        self.col = 0;
        self.wrote_any = false;
    }

    /// Encodes `data` (a multiple of 3 bytes, or the final piece) and wraps it into `out`.
    fn encode_whole(&mut self, data: &[u8], out: &mut Vec<u8>) {
        if data.is_empty() {
            return;
        }
        self.wrote_any = true;
        if self.wrap == 0 {
            let len = data.len().div_ceil(3) * 4;
            let start = out.len();
            out.resize(start + len, 0);
            // The buffer is sized exactly for the encoded length, so this cannot fail.
            let _ = self.engine.encode_slice(data, &mut out[start..]);
            return;
        }
        // In pieces whose encoding (19 KiB) stays in the first-level cache while it is wrapped.
        let mut text = std::mem::take(&mut self.scratch);
        for piece in data.chunks(57 * 256) {
            let len = piece.len().div_ceil(3) * 4;
            text.resize(len, 0);
            let _ = self.engine.encode_slice(piece, &mut text[..]);
            self.wrap_into(&text, out);
        }
        self.scratch = text;
    }

    /// Appends encoded `text` to `out` in lines of `wrap` characters.
    fn wrap_into(&mut self, mut text: &[u8], out: &mut Vec<u8>) {
        let eol = self.eol.bytes();
        if self.wrap == 76 && self.col == 0 {
            // MIME's width: whole lines as fixed-size copies (no call per line), into reserved space.
            let step = 76 + eol.len();
            let lines = text.len() / 76;
            out.reserve(lines * step);
            let start = out.len();
            let spare = &mut out.spare_capacity_mut()[..lines * step];
            for (line, dst) in text.chunks_exact(76).zip(spare.chunks_exact_mut(step)) {
                if let (Some(line), Some((head, tail))) =
                    (line.first_chunk::<76>(), dst.split_first_chunk_mut::<76>())
                {
                    head.write_copy_of_slice(line);
                    tail.write_copy_of_slice(eol);
                }
            }
            // SAFETY: each of the `lines` steps of the spare space was written whole just above (both
            // chunkings are exact, so every pair matched).
            unsafe { out.set_len(start + lines * step) };
            text = &text[lines * 76..];
        }
        while !text.is_empty() {
            let room = self.wrap - self.col;
            let n = room.min(text.len());
            out.extend_from_slice(&text[..n]);
            self.col += n;
            text = &text[n..];
            if self.col == self.wrap {
                out.extend_from_slice(eol);
                self.col = 0;
            }
        }
    }
}

/// The class of a byte for the quoted-printable encoder.
const QP_LIT: u8 = 0;
const QP_ENC: u8 = 1;
const QP_WS: u8 = 2;
const QP_CR: u8 = 3;
const QP_LF: u8 = 4;

const QP_CLASS: [u8; 256] = {
    let mut t = [QP_ENC; 256];
    let mut b = 33;
    while b <= 126 {
        t[b] = QP_LIT;
        b += 1;
    }
    t[b'=' as usize] = QP_ENC;
    t[b' ' as usize] = QP_WS;
    t[b'\t' as usize] = QP_WS;
    t[b'\r' as usize] = QP_CR;
    t[b'\n' as usize] = QP_LF;
    t
};

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Per byte, what the in-line encoder writes (little-endian: the literal, or `=` and two hex digits) and
/// how many columns it takes. Space and tab are literals inside a line.
const QP_CODE: [(u32, u8); 256] = {
    let mut t = [(0u32, 0u8); 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match QP_CLASS[b] {
            QP_LIT | QP_WS => (b as u32, 1),
            _ => (
                b'=' as u32 | (HEX[b >> 4] as u32) << 8 | (HEX[b & 15] as u32) << 16,
                3,
            ),
        };
        b += 1;
    }
    t
};

/// Encodes the inside of a line (no line break, no trailing blank) at column `col`, with soft breaks,
/// straight into `out`, in pieces of at most 4 KiB of input (each reserving its worst case).
///
/// Sixteen bytes at a time are classified (SSE2 where there is one): a literal run of at least eight up
/// to the first byte that needs an escape, or up to the end of the line's room, is copied as a whole block
/// (the excess is overwritten next). Otherwise the next eight bytes are written from a table without
/// branches on their class, a soft break going before anything that would pass column 75, as the
/// byte-wise path does.
#[inline]
fn encode_in_line(content: &[u8], col: &mut usize, eol: LineEnding, out: &mut Vec<u8>) {
    const ROOM: usize = QP_MAX_LINE - 1;
    const PIECE: usize = 4096;
    // Worst case per piece: every byte escaped, plus a soft break every 25 bytes, plus a copy's overhang.
    const NEED: usize = PIECE * 3 + (PIECE / 25 + 2) * 3 + 32;
    // A soft break as a fixed-size copy (the byte after an LF-only one is overwritten or cut off).
    let (soft, soft_len) = match eol {
        LineEnding::Crlf => (*b"=\r\n", 3),
        LineEnding::Lf => (*b"=\n\n", 2),
    };
    for piece in content.chunks(PIECE) {
        out.reserve(NEED);
        let base = out.len();
        let buf = &mut out.spare_capacity_mut()[..NEED];
        let n = piece.len();
        let (mut pos, mut c, mut p) = (0, *col, 0);
        while p < n {
            // The output width of the next eight bytes: exact when they were classified, else the worst.
            let mut width = 24;
            if let Some(block) = piece[p..].first_chunk::<16>() {
                let m = super::simd::qp_unsafe(block);
                width = 8 + 2 * (m & 0xff).count_ones() as usize;
                let run = (m.trailing_zeros() as usize).min(16).min(ROOM - c);
                if run >= 8 {
                    buf[pos..pos + 16].write_copy_of_slice(block);
                    pos += run;
                    c += run;
                    p += run;
                    continue;
                }
            }
            // Eight bytes from the table, without branches on their class: through a small array when no
            // soft break can fall among them (one bounds check for the eight), else one by one.
            if let Some(eight) = piece[p..].first_chunk::<8>()
                && c + width <= ROOM
            {
                let mut tmp = [0u8; 32];
                let mut t = 0;
                for &b in eight {
                    let (code, len) = QP_CODE[b as usize];
                    let at = t.min(28);
                    tmp[at..at + 4].copy_from_slice(&code.to_le_bytes());
                    t = at + len as usize;
                }
                buf[pos..pos + 32].write_copy_of_slice(&tmp);
                pos += t;
                c += t;
                p += 8;
                continue;
            }
            for &b in &piece[p..n.min(p + 8)] {
                let (code, len) = QP_CODE[b as usize];
                let len = len as usize;
                if c + len > ROOM {
                    buf[pos..pos + 3].write_copy_of_slice(&soft);
                    pos += soft_len;
                    c = 0;
                }
                buf[pos..pos + 4].write_copy_of_slice(&code.to_le_bytes());
                pos += len;
                c += len;
            }
            p = n.min(p + 8);
        }
        *col = c;
        // SAFETY: every byte of buf[..pos] was written above, within the reserved capacity.
        unsafe { out.set_len(base + pos) };
    }
}

/// Appends a line break (constant-size copies, not a call per line).
#[inline]
fn push_eol(out: &mut Vec<u8>, eol: LineEnding) {
    match eol {
        LineEnding::Crlf => out.extend_from_slice(b"\r\n"),
        LineEnding::Lf => out.push(b'\n'),
    }
}

/// The longest encoded line, soft-break `=` included (RFC 2045 §6.7 rule 5).
const QP_MAX_LINE: usize = 76;

/// A streaming quoted-printable encoder (RFC 2045 §6.7).
///
/// Text mode (the default) treats LF and CRLF in the input as line breaks and writes them as `eol`; trailing
/// spaces and tabs before a break (or at the end) are encoded. Binary mode encodes CR and LF as `=0D`/`=0A`
/// so the decoded bytes are exactly the input.
pub struct QpEncoder {
    binary: bool,
    eol: LineEnding,
    col: usize,
    /// A space or tab whose fate (literal or `=20`) depends on the next byte.
    pending_ws: Option<u8>,
    /// A CR that may start a CRLF line break.
    pending_cr: bool,
}

impl QpEncoder {
    /// A text-mode (`binary == false`) or binary-mode encoder.
    pub fn new(binary: bool, eol: LineEnding) -> Self {
        QpEncoder {
            binary,
            eol,
            col: 0,
            pending_ws: None,
            pending_cr: false,
        }
    }

    #[inline]
    fn room(&mut self, n: usize, out: &mut Vec<u8>) {
        // Leave one column for the soft-break `=`.
        if self.col + n > QP_MAX_LINE - 1 {
            out.push(b'=');
            out.extend_from_slice(self.eol.bytes());
            self.col = 0;
        }
    }

    #[inline]
    fn put_encoded(&mut self, b: u8, out: &mut Vec<u8>) {
        self.room(3, out);
        out.extend_from_slice(&[b'=', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
        self.col += 3;
    }

    #[inline]
    fn put_literal(&mut self, b: u8, out: &mut Vec<u8>) {
        self.room(1, out);
        out.push(b);
        self.col += 1;
    }

    fn hard_break(&mut self, out: &mut Vec<u8>) {
        if let Some(ws) = self.pending_ws.take() {
            self.put_encoded(ws, out);
        }
        out.extend_from_slice(self.eol.bytes());
        self.col = 0;
    }

    /// Resolves a pending space/tab and CR before a byte that is not a line break.
    #[inline]
    fn settle(&mut self, out: &mut Vec<u8>) {
        if let Some(ws) = self.pending_ws.take() {
            self.put_literal(ws, out);
        }
        if self.pending_cr {
            self.pending_cr = false;
            self.put_encoded(b'\r', out);
        }
    }

    /// Encodes the complete lines of `input` from `i` on (text mode, no pending state); returns where it
    /// stopped: the start of a last, unterminated line, left to the byte-wise path.
    fn feed_lines(&mut self, input: &[u8], mut i: usize, out: &mut Vec<u8>) -> usize {
        let eol = self.eol;
        let mut col = self.col;
        while let Some(nl) = memchr::memchr(b'\n', &input[i..]) {
            let line_end = i + nl;
            let mut end = line_end;
            if end > i && input[end - 1] == b'\r' {
                end -= 1;
            }
            // Only the last of a run of trailing blanks is encoded, as the byte-wise path does.
            let trailing =
                (end > i && matches!(input[end - 1], b' ' | b'\t')).then(|| input[end - 1]);
            let content_end = end - usize::from(trailing.is_some());
            encode_in_line(&input[i..content_end], &mut col, eol, out);
            if let Some(b) = trailing {
                if col + 3 > QP_MAX_LINE - 1 {
                    out.push(b'=');
                    push_eol(out, eol);
                }
                out.extend_from_slice(&[b'=', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
            }
            push_eol(out, eol);
            col = 0;
            i = line_end + 1;
        }
        self.col = col;
        i
    }

    /// Encodes `input`, appending to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + input.len() / 4 + 8);
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            let class = QP_CLASS[b as usize];
            if !self.binary && self.pending_ws.is_none() && !self.pending_cr {
                // Text fast path, whole lines at a time: the line's end and its trailing whitespace are
                // found first (memchr), so inside the line spaces are plain literals and the scan is one
                // table lookup per byte. Produces exactly what the byte-wise path below would.
                let before = i;
                i = self.feed_lines(input, i, out);
                if i == input.len() {
                    break;
                }
                if i > before {
                    continue;
                }
            }
            if class != QP_WS && class != QP_CR && self.pending_ws.is_none() && !self.pending_cr {
                // Fast path: literal bytes, non-trailing whitespace, escapes and (text mode) LF breaks are
                // written directly while they fit on the line; the rest goes through the careful path below.
                let n = input.len();
                let mut col = self.col;
                let eol = self.eol.bytes();
                let start = i;
                while i < n {
                    // A run of literals (and non-trailing whitespace) up to the end of the line, copied whole.
                    let run = i;
                    let lim = n.min(i + (QP_MAX_LINE - 1).saturating_sub(col));
                    while i < lim {
                        match QP_CLASS[input[i] as usize] {
                            QP_LIT => i += 1,
                            QP_WS if i + 1 < n && QP_CLASS[input[i + 1] as usize] < QP_CR => i += 1,
                            _ => break,
                        }
                    }
                    out.extend_from_slice(&input[run..i]);
                    col += i - run;
                    if i == n {
                        break;
                    }
                    let b = input[i];
                    match QP_CLASS[b as usize] {
                        QP_ENC if col + 3 < QP_MAX_LINE => {
                            out.extend_from_slice(&[
                                b'=',
                                HEX[(b >> 4) as usize],
                                HEX[(b & 15) as usize],
                            ]);
                            col += 3;
                        }
                        QP_CR | QP_LF if self.binary && col + 3 < QP_MAX_LINE => {
                            out.extend_from_slice(&[
                                b'=',
                                HEX[(b >> 4) as usize],
                                HEX[(b & 15) as usize],
                            ]);
                            col += 3;
                        }
                        QP_LF if !self.binary => {
                            out.extend_from_slice(eol);
                            col = 0;
                        }
                        _ => break,
                    }
                    i += 1;
                }
                self.col = col;
                if i > start {
                    continue;
                }
                if i == n {
                    break;
                }
            }
            let b = input[i];
            let class = QP_CLASS[b as usize];
            i += 1;
            if self.binary {
                match class {
                    QP_LIT => {
                        self.settle(out);
                        self.put_literal(b, out);
                    }
                    QP_WS => {
                        self.settle(out);
                        self.pending_ws = Some(b);
                    }
                    _ => {
                        self.settle(out);
                        self.put_encoded(b, out);
                    }
                }
                continue;
            }
            match class {
                QP_LF => {
                    // LF or CRLF: one hard line break; a space before it is encoded.
                    self.pending_cr = false;
                    self.hard_break(out);
                }
                QP_CR => {
                    if self.pending_cr {
                        self.settle(out);
                    }
                    self.pending_cr = true;
                }
                QP_WS => {
                    self.settle(out);
                    self.pending_ws = Some(b);
                }
                QP_LIT => {
                    self.settle(out);
                    self.put_literal(b, out);
                }
                _ => {
                    self.settle(out);
                    self.put_encoded(b, out);
                }
            }
        }
    }

    /// Flushes the pending state: trailing whitespace at the very end is encoded (RFC 2045 §6.7 rule 3).
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if let Some(ws) = self.pending_ws.take() {
            self.put_encoded(ws, out);
        }
        if self.pending_cr {
            self.pending_cr = false;
            self.put_encoded(b'\r', out);
        }
        if self.col > 0 {
            // End the last line with a soft break so the decoded data gets no extra line break.
            out.push(b'=');
            out.extend_from_slice(self.eol.bytes());
            self.col = 0;
        }
    }
}

/// A transfer encoder of either kind.
#[allow(clippy::large_enum_variant)] // one per stream; boxing buys nothing
pub enum Encoder {
    /// base64.
    Base64(Base64Encoder),
    /// quoted-printable.
    Qp(QpEncoder),
}

impl Encoder {
    /// Encodes `input`, appending to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        match self {
            Encoder::Base64(e) => e.feed(input, out),
            Encoder::Qp(e) => e.feed(input, out),
        }
    }

    /// Flushes the encoder's state into `out`.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        match self {
            Encoder::Base64(e) => e.finish(out),
            Encoder::Qp(e) => e.finish(out),
        }
    }
}

impl super::parallel::Fork for Encoder {
    type Error = std::convert::Infallible;

    fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Self::Error> {
        Encoder::feed(self, input, out);
        Ok(())
    }

    /// base64: a whole number of lines (of quanta when unwrapped; never for widths that split quanta).
    /// Quoted-printable, text mode: a line break.
    fn to_cut(&self, data: &[u8]) -> Option<usize> {
        match self {
            Encoder::Base64(e) => {
                let cycle = e.cycle()?;
                let done = e.col / 4 * 3 + e.carry_len;
                let need = (cycle - done % cycle) % cycle;
                (need <= data.len()).then_some(need)
            }
            Encoder::Qp(e) if e.binary => None,
            Encoder::Qp(e) if e.col == 0 && e.pending_ws.is_none() && !e.pending_cr => Some(0),
            Encoder::Qp(_) => super::parallel::after_first_lf(data),
        }
    }

    fn last_cut(&self, data: &[u8]) -> usize {
        match self {
            Encoder::Base64(e) => e.cycle().map_or(0, |c| data.len() / c * c),
            Encoder::Qp(_) => super::parallel::after_last_lf(data),
        }
    }

    fn at_cut(&self) -> bool {
        match self {
            Encoder::Base64(e) => e.col == 0 && e.carry_len == 0,
            Encoder::Qp(e) => e.col == 0 && e.pending_ws.is_none() && !e.pending_cr,
        }
    }

    fn fresh(&self) -> Self {
        match self {
            Encoder::Base64(e) => Encoder::Base64(Base64Encoder::new(e.wrap, e.eol)),
            Encoder::Qp(e) => Encoder::Qp(QpEncoder::new(e.binary, e.eol)),
        }
    }

    fn skip(&mut self, skipped: &[u8]) {
        if let Encoder::Base64(e) = self {
            e.wrote_any |= !skipped.is_empty();
        }
    }
}

/// Encodes everything from `input` to `output` in blocks of at most [`BLOCK`](super::stream::BLOCK); returns the
/// bytes read.
///
/// I/O errors are returned as they are, tagged by side so callers can name the file or stdout.
pub fn encode_stream(
    enc: &mut Encoder,
    input: super::input::Input,
    output: &mut dyn Write,
) -> Result<u64, StreamError> {
    let mut driver = super::parallel::Parallel::new();
    let total = input.for_each_block(|block| {
        driver
            .code(enc, block, |out| output.write_all(out))
            .map_err(|e| match e {
                super::parallel::Stop::Write(e) => StreamError::Write(e),
                super::parallel::Stop::Coder(never) => match never {},
            })
    })?;
    let mut out = Vec::new();
    enc.finish(&mut out);
    output.write_all(&out).map_err(StreamError::Write)?;
    output.flush().map_err(StreamError::Write)?;
    Ok(total)
}

/// Encodes a whole slice in one go (tests, small header values).
pub fn encode_all(enc: &mut Encoder, input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    enc.feed(input, &mut out);
    enc.finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(input: &[u8], wrap: usize) -> String {
        let mut e = Encoder::Base64(Base64Encoder::new(wrap, LineEnding::Lf));
        String::from_utf8(encode_all(&mut e, input)).unwrap()
    }

    fn qp(input: &[u8], binary: bool) -> String {
        let mut e = Encoder::Qp(QpEncoder::new(binary, LineEnding::Crlf));
        String::from_utf8(encode_all(&mut e, input)).unwrap()
    }

    #[test]
    fn base64_rfc4648_vectors() {
        assert_eq!(b64(b"", 76), "");
        assert_eq!(b64(b"f", 76), "Zg==\n");
        assert_eq!(b64(b"fo", 76), "Zm8=\n");
        assert_eq!(b64(b"foo", 76), "Zm9v\n");
        assert_eq!(b64(b"foobar", 76), "Zm9vYmFy\n");
        assert_eq!(b64(b"foobar", 4), "Zm9v\nYmFy\n");
        assert_eq!(b64(&[0u8; 57], 76).len(), 77);
    }

    #[test]
    fn simd_classes_agree_with_the_table() {
        for b in 0..=255u8 {
            let mut block = [b'a'; 16];
            block[3] = b;
            let escaped = super::super::simd::qp_unsafe(&block) & (1 << 3) != 0;
            assert_eq!(escaped, QP_CODE[b as usize].1 == 3, "byte {b:#04x}");
        }
    }

    #[test]
    fn qp_rules() {
        assert_eq!(qp(b"a=b\n", false), "a=3Db\r\n");
        assert_eq!(qp(b"end \nx\t\r\n", false), "end=20\r\nx=09\r\n");
        assert_eq!(qp(b"tail ", false), "tail=20=\r\n");
        assert_eq!(qp("é".as_bytes(), false), "=C3=A9=\r\n");
        assert_eq!(qp(b"a\r\nb", true), "a=0D=0Ab=\r\n");
        assert_eq!(qp(b"bare\rcr\n", false), "bare=0Dcr\r\n");
        let long = qp(&[b'x'; 200], false);
        assert!(long.split("\r\n").all(|l| l.len() <= 76), "{long}");
    }
}
