//! Modified UTF-7 mailbox names (RFC 3501 §5.1.3): UTF-8 on the command line, this on the wire.
//!
//! Printable US-ASCII stands for itself except `&`, written `&-`; every other run of characters is UTF-16BE
//! in base64 with `,` for `/` and no padding, between `&` and `-`. Decoding is strict (RFC 3501 forbids
//! encoding printable ASCII and requires the shortest form), so a name that does not round-trip is shown as
//! the server sent it rather than guessed at. Servers speaking UTF8=ACCEPT are not asked to: every IMAP4rev1
//! server understands this form.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Encodes a UTF-8 mailbox name for the wire.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut out);
    out
}

fn flush(units: &mut Vec<u16>, out: &mut String) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out.push('-');
    units.clear();
}

/// Decodes a wire name to UTF-8; `None` when it is not valid modified UTF-7.
pub fn decode(wire: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(wire.len());
    let mut i = 0;
    while i < wire.len() {
        let b = wire[i];
        if b != b'&' {
            if !(0x20..=0x7e).contains(&b) {
                return None;
            }
            out.push(char::from(b));
            i += 1;
            continue;
        }
        let end = i + 1 + wire[i + 1..].iter().position(|&c| c == b'-')?;
        let run = &wire[i + 1..end];
        i = end + 1;
        if run.is_empty() {
            out.push('&');
            continue;
        }
        let mut bits = 0u32;
        let mut nbits = 0;
        let mut bytes = Vec::with_capacity(run.len());
        for &c in run {
            let v = ALPHABET.iter().position(|&a| a == c)? as u32;
            bits = (bits << 6) | v;
            nbits += 6;
            if nbits >= 8 {
                nbits -= 8;
                bytes.push((bits >> nbits) as u8);
                bits &= (1 << nbits) - 1;
            }
        }
        // Leftover bits must be zero padding, and the bytes whole UTF-16 units.
        if bits != 0 || nbits >= 6 || bytes.len() % 2 != 0 {
            return None;
        }
        let units: Vec<u16> = bytes
            .chunks(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .collect();
        let text = String::from_utf16(&units).ok()?;
        // Printable ASCII must not be encoded (RFC 3501 §5.1.3).
        if text.chars().any(|c| (' '..='~').contains(&c)) {
            return None;
        }
        out.push_str(&text);
    }
    Some(out)
}

/// The name for display: decoded when valid, else the wire bytes escaped.
pub fn display(wire: &[u8]) -> String {
    decode(wire).unwrap_or_else(|| String::from_utf8_lossy(wire).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_examples_round_trip() {
        let cases = [
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("Entwürfe", "Entw&APw-rfe"),
            ("A&B", "A&-B"),
            ("INBOX", "INBOX"),
            ("😀", "&2D3eAA-"),
            ("", ""),
        ];
        for (utf8, wire) in cases {
            assert_eq!(encode(utf8), wire, "{utf8}");
            assert_eq!(decode(wire.as_bytes()).as_deref(), Some(utf8), "{wire}");
        }
    }

    #[test]
    fn malformed_is_none() {
        for bad in [
            &b"&U,BTFw"[..],
            b"&AGE-",
            b"&*-",
            b"a\x80",
            b"&2D3-",
            b"&U,BTF-",
        ] {
            assert_eq!(decode(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(display(b"&*-"), "&*-");
    }

    proptest::proptest! {
        #[test]
        fn any_string_round_trips(s in "\\PC*") {
            proptest::prop_assert_eq!(decode(encode(&s).as_bytes()), Some(s));
        }
    }
}
