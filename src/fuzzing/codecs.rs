//! Checks of the streaming codecs: whatever the chunking, the result is the one-shot result, and each
//! encoding is undone by its decoding.

use std::io::Write;
use std::time::Duration;

use super::chunked;
use crate::mime::decode::{Base64Decoder, DecodeError, Decoder, QpDecoder, decode_all};
use crate::mime::encode::{Base64Encoder, Encoder, LineEnding, QpEncoder};
use crate::pingpong::PingPong;
use crate::pingpong::dot::DotWriter;
use crate::pingpong::mock::MockStream;

fn decoder(pick: u8) -> Decoder {
    let strict = pick & 2 != 0;
    if pick & 1 == 0 {
        Decoder::Base64(Base64Decoder::new(strict))
    } else {
        Decoder::Qp(QpDecoder::new(strict))
    }
}

fn feed_chunks(dec: &mut Decoder, chunks: &[&[u8]]) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    for c in chunks {
        dec.feed(c, &mut out)?;
    }
    dec.finish(&mut out)?;
    Ok(out)
}

/// base64 and quoted-printable (strict or not, by the second byte): decoding the input split at
/// fuzzer-chosen points equals the one-shot decode; encoding the input (in chunks) and decoding it gives
/// the input back.
pub fn codec_chunks(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (payload, chunks) = chunked(rest);
    let whole = decode_all(&mut decoder(pick), payload);
    let pieces = feed_chunks(&mut decoder(pick), &chunks);
    match (&whole, &pieces) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "chunked decode differs"),
        (Err(_), Err(_)) => {}
        _ => panic!("one-shot {whole:?} but chunked {pieces:?}"),
    }

    let eol = if pick & 4 == 0 {
        LineEnding::Crlf
    } else {
        LineEnding::Lf
    };
    let (mut enc, mut dec) = if pick & 1 == 0 {
        let wrap = usize::from(pick >> 3) * 4;
        (
            Encoder::Base64(Base64Encoder::new(wrap, eol)),
            Decoder::Base64(Base64Decoder::new(true)),
        )
    } else {
        (
            Encoder::Qp(QpEncoder::new(true, eol)),
            Decoder::Qp(QpDecoder::new(true)),
        )
    };
    let mut encoded = Vec::new();
    for c in &chunks {
        enc.feed(c, &mut encoded);
    }
    enc.finish(&mut encoded);
    match decode_all(&mut dec, &encoded) {
        Ok(back) => assert_eq!(back, payload, "encoded as {encoded:?}"),
        Err(e) => panic!("the encoder's output {encoded:?} does not decode: {e:?}"),
    }
}

/// mboxrd unquoting (the reader's side, RFC 4155 mboxrd): a line `>+From ` loses one `>`.
fn mboxrd_unquote(quoted: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(quoted.len());
    for line in quoted.split_inclusive(|&b| b == b'\n') {
        let gts = line.iter().take_while(|&&b| b == b'>').count();
        if gts > 0 && line[gts..].starts_with(b"From ") {
            out.extend_from_slice(&line[1..]);
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

/// mboxrd quoting (`store::lines`): chunked quoting equals one-shot quoting, no line of the result
/// starts with `From `, and unquoting gives back the input (with a final line feed).
pub fn mboxrd(data: &[u8]) {
    use crate::store::lines::MboxQuote;
    let (payload, chunks) = chunked(data);
    let quote = |chunks: &[&[u8]]| -> Vec<u8> {
        let mut q = MboxQuote::new(Vec::new());
        for c in chunks {
            if let Err(e) = q.write_all(c) {
                panic!("writing to a Vec: {e}");
            }
        }
        match q.finish() {
            Ok(v) => v,
            Err(e) => panic!("writing to a Vec: {e}"),
        }
    };
    let quoted = quote(&chunks);
    assert_eq!(quoted, quote(&[payload]), "chunked quoting differs");
    for line in quoted.split(|&b| b == b'\n') {
        assert!(!line.starts_with(b"From "), "an unquoted From line");
    }
    let mut want = payload.to_vec();
    if !want.is_empty() && !want.ends_with(b"\n") {
        want.push(b'\n');
    }
    assert_eq!(mboxrd_unquote(&quoted), want);
}

/// Every line ending made CRLF (bare CR and bare LF included), and a last line ended.
fn crlf_lines(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + 2);
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if input.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The SMTP DATA encoder (`pingpong::dot::DotWriter`) fed in chunks: the only CRLF.CRLF in its output is
/// the terminator, every CR and LF is part of a CRLF, and un-stuffing (by a reference reader and by
/// the engine's POP3 reader) gives back the input with normalised line endings.
pub fn dot_writer(data: &[u8]) {
    let (payload, chunks) = chunked(data);
    let mut w = DotWriter::new(Vec::new());
    for c in &chunks {
        if let Err(e) = w.write_all(c) {
            panic!("writing to a Vec: {e}");
        }
    }
    let out = match w.finish() {
        Ok(v) => v,
        Err(e) => panic!("writing to a Vec: {e}"),
    };
    let body = if out == b".\r\n" {
        &out[..0]
    } else {
        assert!(out.ends_with(b"\r\n.\r\n"), "no terminator: {out:?}");
        &out[..out.len() - 3]
    };
    assert!(
        !body.starts_with(b".\r\n") && !body.windows(5).any(|w| w == b"\r\n.\r\n"),
        "an end of data inside the body: {out:?}"
    );
    for (i, &b) in body.iter().enumerate() {
        match b {
            b'\r' => assert_eq!(body.get(i + 1), Some(&b'\n'), "bare CR at {i}"),
            b'\n' => assert_eq!(
                i.checked_sub(1).map(|j| body[j]),
                Some(b'\r'),
                "bare LF at {i}"
            ),
            _ => {}
        }
    }
    let mut unstuffed = Vec::with_capacity(body.len());
    for line in body.split_inclusive(|&b| b == b'\n') {
        unstuffed.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
    }
    assert_eq!(unstuffed, crlf_lines(payload), "stuffed as {out:?}");

    // The receiving side of the same engine reads it back the same, in any chunking.
    let seed = data.first().copied().unwrap_or(0);
    let mut script = vec![seed];
    script.extend_from_slice(&out);
    let (_, wire) = chunked(&script);
    let (m, _) = MockStream::bytes(wire.iter().map(|c| c.to_vec()).collect());
    let dialect = crate::pop3::reply::Pop3Dialect::default();
    let mut pp = match PingPong::new(m, dialect, Duration::from_secs(1), Default::default()) {
        Ok(pp) => pp,
        Err(e) => panic!("the mock stream cannot fail: {e}"),
    };
    let mut read = Vec::new();
    match pp.read_dot_body(&mut read, u64::MAX) {
        Ok(n) => assert_eq!(n, read.len() as u64),
        Err(e) => panic!("the engine refused a stuffed body: {e}"),
    }
    assert_eq!(read, unstuffed, "the engine's un-stuffing differs");
}
