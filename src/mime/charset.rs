//! Charset names to decoders: MIME charset labels (with the aliases mail software really sends, such as
//! `cp936` or `ks_c_5601-1987`) mapped onto `encoding_rs` encodings, and conversion of bytes to UTF-8.
//!
//! `encoding_rs` implements the WHATWG Encoding Standard, whose label list covers UTF-8, ISO-8859-*,
//! Windows-125x, GBK/GB18030, Big5, EUC-KR, Shift_JIS, ISO-2022-JP and KOI8; the few labels it lacks are
//! mapped here. It does not encode (ferry writes UTF-8 only) and has no UTF-7.

use encoding_rs::Encoding;

/// Labels mail software uses that the WHATWG list does not have.
const ALIASES: &[(&str, &str)] = &[
    ("cp936", "gbk"),
    ("ms936", "gbk"),
    ("windows-936", "gbk"),
    ("cp949", "euc-kr"),
    ("ks_c_5601", "euc-kr"),
    ("uhc", "euc-kr"),
    ("cp932", "shift_jis"),
    ("ms932", "shift_jis"),
    ("sjis", "shift_jis"),
    ("cp950", "big5"),
    ("big5hkscs", "big5"),
    ("gb18030-2000", "gb18030"),
    ("utf-8-bom", "utf-8"),
    ("cp437", "ibm866"),
    ("iso8859-15", "iso-8859-15"),
    ("latin-1", "iso-8859-1"),
];

/// The encoding for a MIME charset label (case-insensitive, `*language` suffix of RFC 2231 ignored), or
/// `None` when it is unknown.
pub fn lookup(label: &str) -> Option<&'static Encoding> {
    let label = label
        .split('*')
        .next()
        .unwrap_or(label)
        .trim()
        .trim_matches('"');
    if let Some(enc) = Encoding::for_label(label.as_bytes()) {
        return Some(enc);
    }
    let lower = label.to_ascii_lowercase();
    if lower == "us-ascii" || lower == "ascii" {
        return Some(encoding_rs::WINDOWS_1252);
    }
    if let Some(rest) = lower.strip_prefix("cp125") {
        return Encoding::for_label(format!("windows-125{rest}").as_bytes());
    }
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == lower)
        .and_then(|(_, target)| Encoding::for_label(target.as_bytes()))
}

/// Decodes `bytes` in `charset` to a `String` (malformed sequences become U+FFFD); `None` for an unknown
/// charset.
pub fn decode(charset: &str, bytes: &[u8]) -> Option<String> {
    let enc = lookup(charset)?;
    let (text, _) = enc.decode_without_bom_handling(bytes);
    Some(text.into_owned())
}

/// A streaming converter to UTF-8 (for bodies): keeps a split multi-byte sequence between chunks.
pub struct ToUtf8 {
    decoder: encoding_rs::Decoder,
}

impl ToUtf8 {
    /// A converter for `charset`, or UTF-8 when the charset is unknown or absent.
    pub fn new(charset: Option<&str>) -> Self {
        let enc = charset.and_then(lookup).unwrap_or(encoding_rs::UTF_8);
        ToUtf8 {
            decoder: enc.new_decoder_without_bom_handling(),
        }
    }

    /// Converts `input`, appending UTF-8 to `out`; `last` on the final chunk.
    pub fn feed(&mut self, mut input: &[u8], out: &mut String, last: bool) {
        loop {
            let need = self
                .decoder
                .max_utf8_buffer_length(input.len())
                .unwrap_or(input.len() * 3 + 16);
            out.reserve(need);
            let (result, read, _) = self.decoder.decode_to_string(input, out, last);
            input = &input[read..];
            if result == encoding_rs::CoderResult::InputEmpty {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_cjk() {
        assert_eq!(lookup("CP936").map(|e| e.name()), Some("GBK"));
        assert_eq!(lookup("gb2312").map(|e| e.name()), Some("GBK"));
        assert_eq!(lookup("ks_c_5601-1987").map(|e| e.name()), Some("EUC-KR"));
        assert_eq!(lookup("cp1251").map(|e| e.name()), Some("windows-1251"));
        assert!(lookup("x-unknown-thing").is_none());
        assert_eq!(
            decode("gb2312", b"\xc4\xe3\xba\xc3").as_deref(),
            Some("你好")
        );
        assert_eq!(decode("big5", b"\xa4\xa4\xa4\xe5").as_deref(), Some("中文"));
        assert_eq!(
            decode("euc-kr", b"\xc7\xd1\xb1\xdb").as_deref(),
            Some("한글")
        );
        let mut t = ToUtf8::new(Some("utf-8"));
        let mut s = String::new();
        t.feed(b"\xc3", &mut s, false);
        t.feed(b"\xa9", &mut s, true);
        assert_eq!(s, "é");
    }
}
