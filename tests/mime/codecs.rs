//! Transfer codecs: round trips on random binary input under random chunking, agreement with the `base64`
//! crate and RFC vectors, strict-mode offsets.

use base64::Engine;
use ferry::mime::decode::{Base64Decoder, Decoder, QpDecoder, decode_all};
use ferry::mime::encode::{Base64Encoder, Encoder, LineEnding, QpEncoder, encode_all};
use proptest::prelude::*;

fn chunked_encode(mut enc: Encoder, data: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = data;
    for &c in cuts {
        let c = c.min(rest.len());
        enc.feed(&rest[..c], &mut out);
        rest = &rest[c..];
    }
    enc.feed(rest, &mut out);
    enc.finish(&mut out);
    out
}

fn chunked_decode(mut dec: Decoder, data: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = data;
    for &c in cuts {
        let c = c.min(rest.len());
        dec.feed(&rest[..c], &mut out).expect("lenient decode");
        rest = &rest[c..];
    }
    dec.feed(rest, &mut out).expect("lenient decode");
    dec.finish(&mut out).expect("finish");
    out
}

fn b64() -> Encoder {
    Encoder::Base64(Base64Encoder::new(76, LineEnding::Crlf))
}

fn qp(binary: bool, eol: LineEnding) -> Encoder {
    Encoder::Qp(QpEncoder::new(binary, eol))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn base64_round_trip_any_chunking(data in proptest::collection::vec(any::<u8>(), 0..3000),
                                      cuts in proptest::collection::vec(0usize..200, 0..20),
                                      cuts2 in proptest::collection::vec(0usize..200, 0..20)) {
        let whole = encode_all(&mut b64(), &data);
        let chunked = chunked_encode(b64(), &data, &cuts);
        prop_assert_eq!(&whole, &chunked);
        // Same text as the reference engine, in 76-column CRLF lines.
        let reference = base64::engine::general_purpose::STANDARD.encode(&data);
        let joined: Vec<u8> = whole.split(|&b| b == b'\n').flat_map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec()).collect();
        prop_assert_eq!(joined, reference.into_bytes());
        prop_assert!(whole.split(|&b| b == b'\n').all(|l| l.len() <= 77));
        let back = chunked_decode(Decoder::Base64(Base64Decoder::new(true)), &whole, &cuts2);
        prop_assert_eq!(back, data);
    }

    #[test]
    fn base64_lenient_skips_whitespace_anywhere(data in proptest::collection::vec(any::<u8>(), 0..2000),
                                                 seed in any::<u64>(),
                                                 cuts in proptest::collection::vec(0usize..300, 0..10)) {
        let text = base64::engine::general_purpose::STANDARD.encode(&data);
        let mut rng = super::Rng(seed | 1);
        let mut noisy = Vec::new();
        for b in text.bytes() {
            if rng.next().is_multiple_of(7) {
                noisy.extend_from_slice([&b" "[..], b"\t", b"\r\n", b"\n"][(rng.next() % 4) as usize]);
            }
            noisy.push(b);
        }
        let back = chunked_decode(Decoder::Base64(Base64Decoder::new(false)), &noisy, &cuts);
        prop_assert_eq!(back, data);
    }

    #[test]
    fn qp_binary_round_trip_any_chunking(data in proptest::collection::vec(any::<u8>(), 0..3000),
                                         cuts in proptest::collection::vec(0usize..200, 0..20),
                                         cuts2 in proptest::collection::vec(0usize..200, 0..20)) {
        let whole = encode_all(&mut qp(true, LineEnding::Crlf), &data);
        let chunked = chunked_encode(qp(true, LineEnding::Crlf), &data, &cuts);
        prop_assert_eq!(&whole, &chunked);
        for line in whole.split(|&b| b == b'\n') {
            prop_assert!(line.len() <= 77, "line too long: {:?}", String::from_utf8_lossy(line));
            let l = line.strip_suffix(b"\r").unwrap_or(line);
            prop_assert!(!l.ends_with(b" ") && !l.ends_with(b"\t"));
            prop_assert!(l.iter().all(|&c| (33..=126).contains(&c) || c == b' ' || c == b'\t'));
        }
        let back = chunked_decode(Decoder::Qp(QpDecoder::new(true)), &whole, &cuts2);
        prop_assert_eq!(back, data);
    }

    /// The line-at-a-time fast paths must give exactly what the byte-wise paths give: text with
    /// trailing blanks, bare CRs, `=`, long lines and 8-bit bytes, encoded and decoded whole and in pieces.
    #[test]
    fn qp_text_output_independent_of_chunking(text in "([ \t=\r\n.aZ~\u{e9}]|x{70,90}|=[0-9A-Fa-fG ]{0,2}){0,300}",
                                             cuts in proptest::collection::vec(0usize..400, 0..20)) {
        // One byte at a time never gives the line-at-a-time paths a whole line: the byte-wise reference.
        let ones = vec![1usize; text.len() * 3 + 8];
        for eol in [LineEnding::Lf, LineEnding::Crlf] {
            let whole = encode_all(&mut qp(false, eol), text.as_bytes());
            prop_assert_eq!(&whole, &chunked_encode(qp(false, eol), text.as_bytes(), &cuts));
            prop_assert_eq!(&whole, &chunked_encode(qp(false, eol), text.as_bytes(), &ones));
            let back = chunked_decode(Decoder::Qp(QpDecoder::new(true)), &whole, &cuts);
            prop_assert_eq!(&back, &chunked_decode(Decoder::Qp(QpDecoder::new(true)), &whole, &[]));
            prop_assert_eq!(&back, &chunked_decode(Decoder::Qp(QpDecoder::new(true)), &whole, &ones));
        }
        let lenient = |cuts: &[usize]| chunked_decode(Decoder::Qp(QpDecoder::new(false)), text.as_bytes(), cuts);
        prop_assert_eq!(lenient(&[]), lenient(&ones));
        // Text mode (issue 18): hard CRLF breaks become LF on every path, whatever the chunking.
        let lf = |cuts: &[usize]| chunked_decode(Decoder::Qp(QpDecoder::new(false).text_lf(true)), text.as_bytes(), cuts);
        prop_assert_eq!(lf(&[]), lf(&ones));
        prop_assert_eq!(lf(&[]), lf(&cuts));
        // Decoding arbitrary (often malformed) input: the same whatever the chunking, strict or not.
        for strict in [false, true] {
            let one = decode_all(&mut Decoder::Qp(QpDecoder::new(strict)), text.as_bytes());
            let mut dec = Decoder::Qp(QpDecoder::new(strict));
            let mut out = Vec::new();
            let mut pieces = Ok(());
            let mut at = 0;
            for &c in &cuts {
                let c = c.min(text.len()).max(at);
                if let Err(e) = dec.feed(&text.as_bytes()[at..c], &mut out) { pieces = Err(e); break; }
                at = c;
            }
            let many = pieces.and_then(|_| dec.feed(&text.as_bytes()[at..], &mut out)).and_then(|_| dec.finish(&mut out)).map(|_| out);
            prop_assert_eq!(one.is_ok(), many.is_ok());
            if let (Ok(a), Ok(b)) = (one, many) { prop_assert_eq!(a, b); }
        }
    }

    #[test]
    fn qp_text_round_trip_lf_and_crlf(lines in proptest::collection::vec("[ -~\t\u{e9}\u{4e2d}]{0,120}", 0..20),
                                      crlf in any::<bool>(),
                                      cuts in proptest::collection::vec(0usize..200, 0..20)) {
        let sep = if crlf { "\r\n" } else { "\n" };
        let text = lines.join(sep);
        let eol = if crlf { LineEnding::Crlf } else { LineEnding::Lf };
        let enc = chunked_encode(qp(false, eol), text.as_bytes(), &cuts);
        let back = chunked_decode(Decoder::Qp(QpDecoder::new(true)), &enc, &cuts);
        prop_assert_eq!(String::from_utf8(back).unwrap(), text);
        // Text mode never writes =0A or =0D for line breaks.
        let s = String::from_utf8(enc).unwrap();
        prop_assert!(!s.contains("=0A") && !s.contains("=0D"));
    }
}

#[test]
fn qp_rfc2045_example_and_8bit_kept() {
    // RFC 2045 §6.7 rule 5 example: a soft break, and rule 3: trailing whitespace is padding.
    let input =
        b"Now's the time =\r\nfor all folk to come=\r\n to the aid of their country.   \r\n";
    let out = decode_all(&mut Decoder::Qp(QpDecoder::new(false)), input).unwrap();
    assert_eq!(
        out,
        b"Now's the time for all folk to come to the aid of their country.\r\n"
    );
    let lf = decode_all(
        &mut Decoder::Qp(QpDecoder::new(false)),
        b"caf\xe9 =\nbar  \nx=E9",
    )
    .unwrap();
    assert_eq!(lf, b"caf\xe9 bar\nx\xe9");
}

#[test]
fn strict_errors_carry_offsets() {
    let e = decode_all(
        &mut Decoder::Base64(Base64Decoder::new(true)),
        b"Zm9v\nYm*y",
    )
    .unwrap_err();
    assert_eq!(e.offset, 7);
    let e = decode_all(&mut Decoder::Qp(QpDecoder::new(true)), b"abc=ZZ").unwrap_err();
    assert_eq!(e.offset, 4);
}
