//! Streaming transfer decoders: base64 (RFC 2045 §6.8, RFC 4648) and quoted-printable (RFC 2045 §6.7).
//!
//! Push decoders like the encoders: [`Decoder::feed`] takes any slice, appends decoded bytes to a `Vec` and
//! keeps a few bytes of state, so results do not depend on how the input is chunked. Lenient by default, as
//! mail readers must be (RFC 2045 §6.8: "any characters outside of the base64 alphabet are to be ignored");
//! strict mode turns the first piece of junk into an error that names its byte offset. This module knows
//! nothing of part boundaries (see `parse`) or charsets (see `charset`).

use std::io::Write;

use base64::Engine;
use base64::engine::Simd;

use super::encode::simd_engine;
use super::stream::StreamError;

/// A malformed-input error with the byte offset (from 0, in the encoded input) where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Offset of the offending byte in the encoded input.
    pub offset: u64,
    /// What was wrong.
    pub what: &'static str,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte offset {}", self.what, self.offset)
    }
}

const B64_INVALID: u8 = 0xff;
const B64_WS: u8 = 0xfe;
const B64_PAD: u8 = 0xfd;

const B64_VALUE: [u8; 256] = {
    let mut t = [B64_INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t[b'\r' as usize] = B64_WS;
    t[b'\n' as usize] = B64_WS;
    t[b' ' as usize] = B64_WS;
    t[b'\t' as usize] = B64_WS;
    t[b'=' as usize] = B64_PAD;
    t
};

/// A streaming base64 decoder.
pub struct Base64Decoder {
    engine: Simd,
    strict: bool,
    /// Alphabet characters of an incomplete quantum.
    quad: [u8; 4],
    quad_len: usize,
    /// Padding has been seen: in strict mode only padding and whitespace may follow.
    padded: bool,
    /// How many more `=` the padded quantum needs (RFC 4648 §4: `==` after two characters, `=` after
    /// three); strict mode refuses one more, and ends short of it as truncated input.
    pad_missing: u8,
    offset: u64,
    scratch: Vec<u8>,
}

impl Base64Decoder {
    /// A lenient (`strict == false`) or strict decoder. Both accept CRLF/LF line breaks; lenient also skips
    /// spaces, tabs and any other character outside the alphabet.
    pub fn new(strict: bool) -> Self {
        Base64Decoder {
            engine: simd_engine(),
            strict,
            quad: [0; 4],
            quad_len: 0,
            padded: false,
            pad_missing: 0,
            offset: 0,
            scratch: Vec::new(),
        }
    }

    /// Decodes `input`, appending to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
        // In pieces whose joined lines stay in the cache while they are decoded.
        for piece in input.chunks(64 << 10) {
            self.feed_piece(piece, out)?;
        }
        Ok(())
    }

    fn feed_piece(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
        // Fast path for the common shape (lines of alphabet characters, no padding in this block): copy the
        // lines together (SIMD newline search), let the SIMD engine decode and validate them, and fall back
        // to the byte-by-byte path on any complaint.
        if !self.padded && memchr::memchr(b'=', input).is_none() {
            self.scratch.clear();
            self.scratch.reserve(input.len() + 4);
            self.scratch.extend_from_slice(&self.quad[..self.quad_len]);
            let mut start = 0;
            for nl in memchr::memchr_iter(b'\n', input).chain(std::iter::once(input.len())) {
                let mut line = &input[start..nl];
                if let [rest @ .., b'\r'] = line {
                    line = rest;
                }
                self.scratch.extend_from_slice(line);
                start = nl + 1;
            }
            let w = self.scratch.len();
            let whole = w - w % 4;
            let rest_ok = self.scratch[whole..]
                .iter()
                .all(|&b| B64_VALUE[b as usize] < 64);
            if rest_ok {
                let begin = out.len();
                out.resize(begin + whole / 4 * 3, 0);
                if let Ok(n) = self
                    .engine
                    .decode_slice(&self.scratch[..whole], &mut out[begin..])
                {
                    out.truncate(begin + n);
                    let rest = w - whole;
                    self.quad[..rest].copy_from_slice(&self.scratch[whole..w]);
                    self.quad_len = rest;
                    self.offset += input.len() as u64;
                    return Ok(());
                }
                out.truncate(begin);
            }
        }
        self.feed_slow(input, out)
    }

    fn feed_slow(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
        for (i, &b) in input.iter().enumerate() {
            let at = self.offset + i as u64;
            match B64_VALUE[b as usize] {
                v if v < 64 => {
                    if self.padded {
                        if self.strict {
                            return Err(DecodeError {
                                offset: at,
                                what: "data after base64 padding",
                            });
                        }
                        self.padded = false;
                        self.pad_missing = 0;
                    }
                    self.quad[self.quad_len] = b;
                    self.quad_len += 1;
                    if self.quad_len == 4 {
                        decode_quad(&self.quad, 4, out);
                        self.quad_len = 0;
                    }
                }
                B64_WS if b == b'\r' || b == b'\n' || !self.strict => {}
                B64_PAD => {
                    if self.padded {
                        match self.pad_missing.checked_sub(1) {
                            Some(m) => self.pad_missing = m,
                            None if self.strict => {
                                return Err(DecodeError {
                                    offset: at,
                                    what: "base64 padding longer than the quantum needs",
                                });
                            }
                            None => {}
                        }
                        continue;
                    }
                    match self.quad_len {
                        2 | 3 => {
                            decode_quad(&self.quad, self.quad_len, out);
                            // Two characters take "==", three "="; this is the first.
                            self.pad_missing = if self.quad_len == 2 { 1 } else { 0 };
                            self.quad_len = 0;
                            self.padded = true;
                        }
                        _ if self.strict => {
                            return Err(DecodeError {
                                offset: at,
                                what: "misplaced base64 padding",
                            });
                        }
                        _ => {}
                    }
                }
                _ => {
                    if self.strict {
                        return Err(DecodeError {
                            offset: at,
                            what: "invalid base64 character",
                        });
                    }
                }
            }
        }
        self.offset += input.len() as u64;
        Ok(())
    }

    /// Ends the input: a final unpadded quantum is decoded (lenient) or an error (strict).
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        let n = self.quad_len;
        self.quad_len = 0;
        if self.strict && self.padded && self.pad_missing > 0 {
            return Err(DecodeError {
                offset: self.offset,
                what: "truncated base64 padding",
            });
        }
        match n {
            0 => Ok(()),
            2 | 3 if !self.strict => {
                decode_quad(&self.quad, n, out);
                Ok(())
            }
            _ if self.strict => Err(DecodeError {
                offset: self.offset,
                what: "truncated base64 input",
            }),
            _ => Ok(()),
        }
    }
}

/// Decodes `n` (2..=4) alphabet characters of one quantum.
fn decode_quad(quad: &[u8; 4], n: usize, out: &mut Vec<u8>) {
    let v = |i: usize| u32::from(B64_VALUE[quad[i] as usize] & 63);
    let bits = (v(0) << 18)
        | (v(1) << 12)
        | if n > 2 { v(2) << 6 } else { 0 }
        | if n > 3 { v(3) } else { 0 };
    let bytes = [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8];
    out.extend_from_slice(&bytes[..n - 1]);
}

const QP_PLAIN: u8 = 0;
const QP_SPECIAL: u8 = 1;

const QP_CLASS: [u8; 256] = {
    let mut t = [QP_PLAIN; 256];
    t[b'=' as usize] = QP_SPECIAL;
    t[b' ' as usize] = QP_SPECIAL;
    t[b'\t' as usize] = QP_SPECIAL;
    t[b'\r' as usize] = QP_SPECIAL;
    t[b'\n' as usize] = QP_SPECIAL;
    t
};

const HEX_VAL: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'A' as usize + i] = 10 + i as u8;
        t[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// Whitespace held back until we know whether it trails a line; beyond this it is written out (it cannot
/// all be trailing padding a sane encoder wrote), which keeps memory bounded.
const QP_MAX_PENDING_WS: usize = 64 * 1024;

/// The longest line the line-at-a-time decoder takes; longer ones go byte by byte. Shorter than
/// [`QP_MAX_PENDING_WS`], so trailing whitespace is dropped the same way on both paths.
const QP_FAST_LINE: usize = 16 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum QpState {
    Normal,
    /// Saw CR in text.
    Cr,
    /// Saw `=`.
    Eq,
    /// Saw `=` and one hex digit.
    EqHex(u8),
    /// Saw `=` then whitespace: a soft break with transport padding, if a line break follows.
    EqWs,
    /// Saw `=` [whitespace] CR.
    EqCr,
}

/// A streaming quoted-printable decoder: soft breaks removed, `=XX` decoded, trailing whitespace before
/// LF or CRLF dropped (RFC 2045 §6.7 rule 3), 8-bit bytes kept as they are; hard line breaks kept as
/// they are too, unless [`QpDecoder::text_lf`] asks for the platform's LF (the CRLF of canonical MIME
/// becoming LF, so a Unix text file round-trips; an encoded `=0D=0A` is data and always stays).
pub struct QpDecoder {
    strict: bool,
    /// A literal CRLF hard line break is written as LF.
    lf: bool,
    state: QpState,
    ws: Vec<u8>,
    offset: u64,
}

impl QpDecoder {
    /// A lenient or strict decoder; strict makes a malformed `=` sequence an error.
    pub fn new(strict: bool) -> Self {
        QpDecoder {
            strict,
            lf: false,
            state: QpState::Normal,
            ws: Vec::new(),
            offset: 0,
        }
    }

    /// Text mode (`mime-decode -e qp` without `--crlf`): hard line breaks, CRLF or LF in the input,
    /// decode to LF.
    pub fn text_lf(mut self, lf: bool) -> Self {
        self.lf = lf;
        self
    }

    fn bad(&self, at: u64, what: &'static str) -> Result<(), DecodeError> {
        if self.strict {
            Err(DecodeError { offset: at, what })
        } else {
            Ok(())
        }
    }

    /// Decodes the well-formed lines of `input` from `i` on (no pending state), straight into `out`;
    /// returns where it stopped: at the start of a line it leaves to the careful paths below (the last,
    /// unterminated one; one longer than [`QP_FAST_LINE`]; one with anything unusual, such as a bad escape
    /// or transport padding after a soft break), so the result is the same whatever the chunking.
    ///
    /// Sixteen bytes at a time are copied and searched for `=` and LF together. Trailing blanks (and the CR
    /// of a CRLF) are dropped at the LF by stepping back over the literal bytes just copied, which are the
    /// input bytes just before it; decoded bytes and anything before a soft break are never stepped over.
    fn feed_lines(&mut self, input: &[u8], i: usize, out: &mut Vec<u8>) -> usize {
        let n = input.len();
        // Output never outgrows the input (an escape shrinks, a line break stays); 16 more for the copies.
        out.reserve(n - i + 16);
        let base = out.len();
        let buf = &mut out.spare_capacity_mut()[..n - i + 16];
        let (mut q, mut pos) = (i, 0);
        // The start of the current line (in and out): where a bail-out rolls back to.
        let (mut line_q, mut line_pos) = (i, 0);
        // Output before this may not be trimmed (decoded bytes, text before a soft break).
        let mut keep = 0;
        // Sixteen bytes of block plus the two after an `=` at its end.
        while q + 18 <= n && q - line_q <= QP_FAST_LINE {
            let Some(block) = input[q..].first_chunk::<16>() else {
                break;
            };
            buf[pos..pos + 16].write_copy_of_slice(block);
            let m = super::simd::eq2(block, b'=', b'\n');
            if m == 0 {
                q += 16;
                pos += 16;
                continue;
            }
            let k = m.trailing_zeros() as usize;
            q += k;
            pos += k;
            if input[q] == b'\n' {
                // The literal bytes out[keep..pos] are input[q - (pos - keep)..q].
                let crlf = pos > keep && input[q - 1] == b'\r';
                let mut back = usize::from(crlf);
                while pos - back > keep && matches!(input[q - 1 - back], b' ' | b'\t') {
                    back += 1;
                }
                pos -= back;
                if crlf && !self.lf {
                    buf[pos].write(b'\r');
                    pos += 1;
                }
                buf[pos].write(b'\n');
                pos += 1;
                q += 1;
                (line_q, line_pos, keep) = (q, pos, pos);
                continue;
            }
            let (h, l) = (
                HEX_VAL[input[q + 1] as usize],
                HEX_VAL[input[q + 2] as usize],
            );
            if h | l < 16 {
                buf[pos].write(h << 4 | l);
                pos += 1;
                q += 3;
                // Escapes come in runs (a UTF-8 character is two to four of them).
                while q + 3 <= n && input[q] == b'=' {
                    let (h, l) = (
                        HEX_VAL[input[q + 1] as usize],
                        HEX_VAL[input[q + 2] as usize],
                    );
                    if h | l >= 16 {
                        break;
                    }
                    buf[pos].write(h << 4 | l);
                    pos += 1;
                    q += 3;
                }
                keep = pos;
            } else if input[q + 1] == b'\n' {
                q += 2;
                (line_q, line_pos, keep) = (q, pos, pos);
            } else if input[q + 1] == b'\r' && input[q + 2] == b'\n' {
                q += 3;
                (line_q, line_pos, keep) = (q, pos, pos);
            } else {
                break;
            }
        }
        // SAFETY: every byte of buf[..pos] was written above (pos only steps back over written bytes), and
        // line_pos <= pos, within the reserved capacity.
        unsafe { out.set_len(base + line_pos) };
        line_q
    }

    /// Decodes `input`, appending to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
        out.reserve(input.len());
        let mut i = 0;
        while i < input.len() {
            if self.state == QpState::Normal && self.ws.is_empty() {
                i = self.feed_lines(input, i, out);
                if i == input.len() {
                    break;
                }
            }
            if self.state == QpState::Normal && self.ws.is_empty() {
                // Fast path: plain runs are copied whole; `=XX`, soft breaks and non-trailing whitespace are
                // handled inline; anything needing lookahead beyond this block goes to the state machine.
                let mut start = i;
                let n = input.len();
                while i < n {
                    let b = input[i];
                    if QP_CLASS[b as usize] == QP_PLAIN || b == b'\n' {
                        i += 1;
                        continue;
                    }
                    match b {
                        b' ' | b'\t'
                            if i + 1 < n && QP_CLASS[input[i + 1] as usize] == QP_PLAIN =>
                        {
                            i += 2
                        }
                        b'\r' if i + 1 < n && input[i + 1] == b'\n' => {
                            if self.lf {
                                out.extend_from_slice(&input[start..i]);
                                start = i + 1;
                            }
                            i += 2
                        }
                        b'=' if i + 2 < n => {
                            let (h, l) = (
                                HEX_VAL[input[i + 1] as usize],
                                HEX_VAL[input[i + 2] as usize],
                            );
                            if h < 16 && l < 16 {
                                out.extend_from_slice(&input[start..i]);
                                out.push(h << 4 | l);
                                i += 3;
                            } else if input[i + 1] == b'\n' {
                                out.extend_from_slice(&input[start..i]);
                                i += 2;
                            } else if input[i + 1] == b'\r' && input[i + 2] == b'\n' {
                                out.extend_from_slice(&input[start..i]);
                                i += 3;
                            } else {
                                break;
                            }
                            start = i;
                        }
                        _ => break,
                    }
                }
                out.extend_from_slice(&input[start..i]);
                if i == n {
                    break;
                }
            }
            let b = input[i];
            let at = self.offset + i as u64;
            i += 1;
            match self.state {
                QpState::Normal => match b {
                    b' ' | b'\t' => {
                        if self.ws.len() >= QP_MAX_PENDING_WS {
                            out.append(&mut self.ws);
                        }
                        self.ws.push(b);
                    }
                    b'\n' => {
                        self.ws.clear();
                        out.push(b'\n');
                    }
                    b'\r' => self.state = QpState::Cr,
                    b'=' => {
                        out.append(&mut self.ws);
                        self.state = QpState::Eq;
                    }
                    _ => {
                        out.append(&mut self.ws);
                        out.push(b);
                    }
                },
                QpState::Cr => {
                    self.state = QpState::Normal;
                    if b == b'\n' {
                        self.ws.clear();
                        out.extend_from_slice(if self.lf { b"\n" } else { b"\r\n" });
                    } else {
                        out.append(&mut self.ws);
                        out.push(b'\r');
                        i -= 1;
                    }
                }
                QpState::Eq => match b {
                    b'\n' => self.state = QpState::Normal,
                    b'\r' => self.state = QpState::EqCr,
                    b' ' | b'\t' => self.state = QpState::EqWs,
                    _ => match hex_value(b) {
                        Some(h) => self.state = QpState::EqHex(h),
                        None => {
                            self.bad(at, "invalid quoted-printable escape")?;
                            out.push(b'=');
                            self.state = QpState::Normal;
                            i -= 1;
                        }
                    },
                },
                QpState::EqHex(h) => match hex_value(b) {
                    Some(l) => {
                        out.push(h << 4 | l);
                        self.state = QpState::Normal;
                    }
                    None => {
                        self.bad(at, "invalid quoted-printable escape")?;
                        out.push(b'=');
                        out.push(HEX_UPPER[h as usize]);
                        self.state = QpState::Normal;
                        i -= 1;
                    }
                },
                QpState::EqWs => match b {
                    b' ' | b'\t' => {}
                    b'\n' => self.state = QpState::Normal,
                    b'\r' => self.state = QpState::EqCr,
                    _ => {
                        self.bad(at, "invalid quoted-printable escape")?;
                        out.push(b'=');
                        self.state = QpState::Normal;
                        i -= 1;
                    }
                },
                QpState::EqCr => {
                    self.state = QpState::Normal;
                    if b != b'\n' {
                        self.bad(at, "invalid quoted-printable soft line break")?;
                        i -= 1;
                    }
                }
            }
        }
        self.offset += input.len() as u64;
        Ok(())
    }

    /// Ends the input: trailing whitespace is dropped, a dangling `=` is kept (lenient) or an error (strict).
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        let state = std::mem::replace(&mut self.state, QpState::Normal);
        self.ws.clear();
        match state {
            QpState::Normal | QpState::EqWs | QpState::EqCr => Ok(()),
            QpState::Cr => {
                out.push(b'\r');
                Ok(())
            }
            QpState::Eq => {
                self.bad(self.offset, "quoted-printable input ends in '='")?;
                Ok(())
            }
            QpState::EqHex(h) => {
                self.bad(self.offset, "truncated quoted-printable escape")?;
                out.push(b'=');
                out.push(HEX_UPPER[h as usize]);
                Ok(())
            }
        }
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// A transfer decoder: base64, quoted-printable, or identity (7bit, 8bit, binary and unknown encodings).
#[allow(clippy::large_enum_variant)] // one per stream; boxing buys nothing
pub enum Decoder {
    /// base64.
    Base64(Base64Decoder),
    /// quoted-printable.
    Qp(QpDecoder),
    /// Bytes pass unchanged.
    Identity,
}

impl Decoder {
    /// The decoder for a Content-Transfer-Encoding value (case-insensitive); unknown values are identity,
    /// as RFC 2049 §2 lets a reader treat them (the part is then offered as is).
    pub fn for_encoding(cte: &str, strict: bool) -> Self {
        if cte.eq_ignore_ascii_case("base64") {
            Decoder::Base64(Base64Decoder::new(strict))
        } else if cte.eq_ignore_ascii_case("quoted-printable") {
            Decoder::Qp(QpDecoder::new(strict))
        } else {
            Decoder::Identity
        }
    }

    /// Decodes `input`, appending to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
        match self {
            Decoder::Base64(d) => d.feed(input, out),
            Decoder::Qp(d) => d.feed(input, out),
            Decoder::Identity => {
                out.extend_from_slice(input);
                Ok(())
            }
        }
    }

    /// Ends the input.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        match self {
            Decoder::Base64(d) => d.finish(out),
            Decoder::Qp(d) => d.finish(out),
            Decoder::Identity => Ok(()),
        }
    }
}

impl super::parallel::Fork for Decoder {
    type Error = DecodeError;

    fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
        Decoder::feed(self, input, out)
    }

    /// Quoted-printable: a line break. base64: a line break after a whole number of quanta (guessed).
    fn to_cut(&self, data: &[u8]) -> Option<usize> {
        match self {
            Decoder::Base64(_) if self.at_cut() => Some(0),
            Decoder::Base64(_) => super::parallel::after_first_lf(data),
            Decoder::Qp(_) if self.at_cut() => Some(0),
            Decoder::Qp(_) => super::parallel::after_first_lf(data),
            Decoder::Identity => Some(0),
        }
    }

    fn last_cut(&self, data: &[u8]) -> usize {
        match self {
            Decoder::Base64(_) | Decoder::Qp(_) => super::parallel::after_last_lf(data),
            Decoder::Identity => data.len(),
        }
    }

    fn at_cut(&self) -> bool {
        match self {
            Decoder::Base64(d) => d.quad_len == 0 && !d.padded,
            Decoder::Qp(d) => d.state == QpState::Normal && d.ws.is_empty(),
            Decoder::Identity => true,
        }
    }

    fn fresh(&self) -> Self {
        match self {
            Decoder::Qp(d) => {
                let mut fresh = QpDecoder::new(d.strict).text_lf(d.lf);
                fresh.offset = d.offset;
                Decoder::Qp(fresh)
            }
            Decoder::Base64(d) => {
                let mut fresh = Base64Decoder::new(d.strict);
                fresh.offset = d.offset;
                Decoder::Base64(fresh)
            }
            Decoder::Identity => Decoder::Identity,
        }
    }

    fn skip(&mut self, skipped: &[u8]) {
        match self {
            Decoder::Qp(d) => d.offset += skipped.len() as u64,
            Decoder::Base64(d) => d.offset += skipped.len() as u64,
            Decoder::Identity => {}
        }
    }
}

/// Why a streaming decode stopped.
#[derive(Debug)]
pub enum DecodeStreamError {
    /// An I/O error on either side.
    Io(StreamError),
    /// Malformed input (strict mode).
    Malformed(DecodeError),
}

/// Decodes everything from `input` to `output` in blocks of at most [`BLOCK`](super::stream::BLOCK); returns the bytes written.
pub fn decode_stream(
    dec: &mut Decoder,
    input: super::input::Input,
    output: &mut dyn Write,
) -> Result<u64, DecodeStreamError> {
    let mut driver = super::parallel::Parallel::new();
    let mut total = 0u64;
    let mut malformed = None;
    let read = input.for_each_block(|block| {
        // Whatever decoded before the junk is still written, like coreutils does.
        let r = driver.code(dec, block, |out| {
            total += out.len() as u64;
            output.write_all(out)
        });
        match r {
            Ok(()) => Ok(()),
            Err(super::parallel::Stop::Write(e)) => Err(StreamError::Write(e)),
            Err(super::parallel::Stop::Coder(m)) => {
                malformed = Some(m);
                Err(StreamError::Read(std::io::Error::other("malformed input")))
            }
        }
    });
    let mut out = Vec::new();
    if let Some(m) = malformed {
        return Err(DecodeStreamError::Malformed(m));
    }
    read.map_err(DecodeStreamError::Io)?;
    let r = dec.finish(&mut out);
    output
        .write_all(&out)
        .and_then(|()| output.flush())
        .map_err(|e| DecodeStreamError::Io(StreamError::Write(e)))?;
    total += out.len() as u64;
    r.map_err(DecodeStreamError::Malformed)?;
    Ok(total)
}

/// Decodes a whole slice (tests, header values).
pub fn decode_all(dec: &mut Decoder, input: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    dec.feed(input, &mut out)?;
    dec.finish(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(input: &[u8], strict: bool) -> Result<Vec<u8>, DecodeError> {
        decode_all(&mut Decoder::Base64(Base64Decoder::new(strict)), input)
    }

    fn qp(input: &[u8]) -> Vec<u8> {
        decode_all(&mut Decoder::Qp(QpDecoder::new(false)), input).unwrap()
    }

    #[test]
    fn base64_lenient_and_strict() {
        assert_eq!(b64(b"Zm9v\r\nYmFy\n", true).unwrap(), b"foobar");
        assert_eq!(b64(b"Zm 9v YmE=", false).unwrap(), b"fooba");
        assert_eq!(b64(b"Zg==", true).unwrap(), b"f");
        assert_eq!(b64(b"Zm9v!YmFy", false).unwrap(), b"foobar");
        let e = b64(b"Zm9v!YmFy", true).unwrap_err();
        assert_eq!(e.offset, 4);
        assert!(b64(b"Zg==Zg==", true).is_err());
        assert_eq!(b64(b"Zg==Zg==", false).unwrap(), b"ff");
    }

    #[test]
    fn strict_base64_padding_is_exactly_what_the_quantum_needs() {
        assert_eq!(b64(b"QQ==", true).unwrap(), b"A");
        assert_eq!(b64(b"QUI=", true).unwrap(), b"AB");
        assert_eq!(b64(b"QQ=\r\n=\r\n", true).unwrap(), b"A");
        for (bad, offset) in [
            (&b"QQ==="[..], 4),
            (b"QUI==", 4),
            (b"QQ==\r\n=", 6),
            (b"QUJD====", 4),
            (b"QQ==QQ==", 4),
            (b"QQ=", 3),
        ] {
            let e = b64(bad, true).unwrap_err();
            assert_eq!(e.offset, offset, "{}", String::from_utf8_lossy(bad));
        }
        // Lenient decoding takes any padding, as before.
        assert_eq!(b64(b"QQ===", false).unwrap(), b"A");
        assert_eq!(b64(b"QQ=", false).unwrap(), b"A");
    }

    #[test]
    fn qp_text_mode_writes_lf_for_hard_breaks_only() {
        let text = |input: &[u8]| {
            decode_all(&mut Decoder::Qp(QpDecoder::new(true).text_lf(true)), input).unwrap()
        };
        // Every path: the block scanner (long input), the run copier and the state machine (short).
        let long = "abcdefghijklmnopqrstuvwxyz0123456789 \r\n".repeat(3);
        assert_eq!(
            text(long.as_bytes()),
            "abcdefghijklmnopqrstuvwxyz0123456789\n"
                .repeat(3)
                .as_bytes()
        );
        assert_eq!(text(b"a\r\nb"), b"a\nb");
        assert_eq!(text(b"a \r\nb=0D=0A\nc=\r\nd\r"), b"a\nb\r\n\ncd\r");
        assert_eq!(qp(b"a\r\nb=0D=0A\n"), b"a\r\nb\r\n\n");
    }

    #[test]
    fn qp_rfc2045_rules() {
        assert_eq!(qp(b"a=3Db=\r\nc"), b"a=bc");
        assert_eq!(qp(b"trail   \r\nx \t\ny"), b"trail\r\nx\ny");
        assert_eq!(qp(b"soft= \t\r\nnext=\nend"), b"softnextend");
        assert_eq!(qp(b"8bit \xe9\xff"), b"8bit \xe9\xff");
        assert_eq!(qp(b"=c3=a9 =G1"), "é =G1".as_bytes());
        assert!(decode_all(&mut Decoder::Qp(QpDecoder::new(true)), b"x=G1").is_err());
    }
}
