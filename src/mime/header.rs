//! Header values: RFC 2047 encoded-words both ways, RFC 2045 `type/subtype; param=value` fields and
//! RFC 2231 parameter values (`filename*=UTF-8''…`, continuations `*0*`, `*1`) both ways.
//!
//! Encoding picks B or Q per run of words, whichever is shorter, keeps every encoded-word within 75
//! characters (RFC 2047 §2) and never splits a character between words (§5). Decoding joins adjacent
//! encoded-words (whitespace between them is dropped, §6.2), concatenating their bytes first so a character
//! split by a careless encoder survives, leaves words in unknown charsets as they are, and never returns a
//! raw control character from a decoded word. Values are bounded by the caller (the parser caps header
//! size); nothing here reads I/O or knows message structure.

use std::fmt::Write;

use super::charset;
use crate::error::{Error, Result};

/// The longest encoded-word (RFC 2047 §2).
const MAX_WORD: usize = 75;

/// Refuses a header value that could inject a header line: CR, LF or NUL (exit 2).
pub fn check_value(name: &str, value: &str) -> Result<()> {
    if value.contains(['\r', '\n', '\0']) {
        return Err(Error::usage(format!(
            "{name}: CR, LF or NUL in a header value"
        )));
    }
    Ok(())
}

fn needs_encoding(word: &str) -> bool {
    word.contains("=?") || word.bytes().any(|b| !(0x20..0x7f).contains(&b)) || word.len() > 70
}

/// A Q-encoding (RFC 2047 §4.2, restricted to the §5(3) set so words are safe in phrases too).
fn q_char(c: char, out: &mut String) {
    match c {
        ' ' => out.push('_'),
        'a'..='z' | 'A'..='Z' | '0'..='9' | '!' | '*' | '+' | '-' | '/' => out.push(c),
        _ => {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "={b:02X}");
            }
        }
    }
}

/// Splits `text` into encoded-words of one encoding, each ≤ 75 characters, characters kept whole.
fn encode_words(text: &str, b: bool) -> Vec<String> {
    const PREFIX_LEN: usize = "=?UTF-8?B?".len() + "?=".len();
    let budget = MAX_WORD - PREFIX_LEN;
    let mut words = Vec::new();
    let mut raw = String::new();
    let mut q = String::new();
    let flush = |raw: &mut String, q: &mut String, words: &mut Vec<String>| {
        if raw.is_empty() {
            return;
        }
        let payload = if b {
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw.as_bytes())
        } else {
            std::mem::take(q)
        };
        words.push(format!("=?UTF-8?{}?{payload}?=", if b { 'B' } else { 'Q' }));
        raw.clear();
        q.clear();
    };
    for c in text.chars() {
        let fits = if b {
            (raw.len() + c.len_utf8()).div_ceil(3) * 4 <= budget
        } else {
            let mut one = String::new();
            q_char(c, &mut one);
            q.len() + one.len() <= budget
        };
        if !fits {
            flush(&mut raw, &mut q, &mut words);
        }
        raw.push(c);
        if !b {
            q_char(c, &mut q);
        }
    }
    flush(&mut raw, &mut q, &mut words);
    words
}

/// Encodes a header value as RFC 2047 words where needed; returns the atoms to join with folding
/// whitespace. ASCII words stay as they are; runs of words that need encoding become encoded-words in B or
/// Q, whichever is shorter.
pub fn encode_words_for(value: &str) -> Vec<String> {
    let tokens: Vec<&str> = value.split(' ').collect();
    let mut atoms = Vec::new();
    // Extra spaces (runs of more than one) ride on the next atom so they survive folding.
    let mut lead = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        if !needs_encoding(tokens[i]) {
            if tokens[i].is_empty() {
                lead += 1;
            } else {
                atoms.push(format!("{}{}", " ".repeat(lead), tokens[i]));
                lead = 0;
            }
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < tokens.len() && (needs_encoding(tokens[j + 1]) || tokens[j + 1].is_empty()) {
            j += 1;
        }
        // Spaces after the run's last word are not part of it: they ride on the next plain atom.
        while j > i && tokens[j].is_empty() {
            j -= 1;
        }
        let run = tokens[i..=j].join(" ");
        let bw = encode_words(&run, true);
        let qw = encode_words(&run, false);
        let len = |w: &Vec<String>| w.iter().map(|s| s.len() + 1).sum::<usize>();
        let mut words = if len(&qw) <= len(&bw) { qw } else { bw };
        // Extra spaces before the run ride on its first word (whitespace between a plain word and an
        // encoded-word is kept by decoders).
        if let Some(first) = words.first_mut() {
            first.insert_str(0, &" ".repeat(lead));
        }
        lead = 0;
        atoms.extend(words);
        // Whitespace between this run and a following plain word must survive decoding: it does, because
        // only whitespace between two encoded-words is dropped.
        i = j + 1;
    }
    atoms
}

/// Joins atoms into a folded header value: lines of at most 78 characters counting `name_len` (the
/// `Name: ` prefix) on the first, continuation lines starting with one space, `eol` between lines.
pub fn fold(atoms: &[String], name_len: usize, eol: &str) -> String {
    let mut out = String::new();
    let mut col = name_len;
    for (n, atom) in atoms.iter().enumerate() {
        if n > 0 {
            if col + 1 + atom.len() > 78 {
                out.push_str(eol);
                out.push(' ');
                col = 1;
            } else {
                out.push(' ');
                col += 1;
            }
        }
        out.push_str(atom);
        col += atom.len();
    }
    out
}

/// Encodes a header value (RFC 2047) and folds it; `name_len` is the length of `Name: `.
pub fn encode_header(value: &str, name_len: usize, eol: &str) -> String {
    fold(&encode_words_for(value), name_len, eol)
}

/// Encodes an address list entry: the display name (before `<`) is a phrase and may be encoded, the
/// address is kept as it is.
pub fn encode_address(value: &str) -> Vec<String> {
    match value.rfind('<') {
        Some(lt) if value.ends_with('>') => {
            let name = value[..lt].trim();
            let mut atoms = if name.is_empty() {
                Vec::new()
            } else if needs_encoding(name) || name.contains(['"', ',', ';', ':', '@', '(', ')']) {
                if name.is_ascii() && !name.contains("=?") {
                    vec![format!(
                        "\"{}\"",
                        name.replace('\\', "\\\\").replace('"', "\\\"")
                    )]
                } else {
                    let bw = encode_words(name, true);
                    let qw = encode_words(name, false);
                    if qw.concat().len() <= bw.concat().len() {
                        qw
                    } else {
                        bw
                    }
                }
            } else {
                name.split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            };
            atoms.push(value[lt..].to_string());
            atoms
        }
        _ => vec![value.trim().to_string()],
    }
}

/// One parsed encoded-word.
struct Word<'a> {
    charset: &'a str,
    bytes: Vec<u8>,
    end: usize,
}

/// Parses an encoded-word at the start of `s` (`=?charset?B|Q?text?=`), returning it and its length.
fn parse_word(s: &str) -> Option<Word<'_>> {
    let rest = s.strip_prefix("=?")?;
    let q1 = rest.find('?')?;
    let charset = &rest[..q1];
    if charset.is_empty() || charset.contains(|c: char| c.is_whitespace()) {
        return None;
    }
    let rest2 = &rest[q1 + 1..];
    let enc = rest2.chars().next()?;
    if rest2.as_bytes().get(1) != Some(&b'?') {
        return None;
    }
    let text_start = 2;
    let close = rest2[text_start..].find("?=")?;
    let text = &rest2[text_start..text_start + close];
    if text.contains(|c: char| c.is_whitespace()) {
        return None;
    }
    let bytes = match enc {
        'B' | 'b' => {
            let mut d = super::decode::Decoder::Base64(super::decode::Base64Decoder::new(false));
            super::decode::decode_all(&mut d, text.as_bytes()).ok()?
        }
        'Q' | 'q' => {
            let mut out = Vec::with_capacity(text.len());
            let b = text.as_bytes();
            let mut i = 0;
            while i < b.len() {
                match b[i] {
                    b'_' => out.push(b' '),
                    b'=' if i + 2 < b.len() => {
                        let h = (b[i + 1] as char).to_digit(16);
                        let l = (b[i + 2] as char).to_digit(16);
                        match (h, l) {
                            (Some(h), Some(l)) => {
                                out.push((h * 16 + l) as u8);
                                i += 2;
                            }
                            _ => out.push(b'='),
                        }
                    }
                    c => out.push(c),
                }
                i += 1;
            }
            out
        }
        _ => return None,
    };
    Some(Word {
        charset,
        bytes,
        end: 2 + q1 + 1 + text_start + close + 2,
    })
}

/// Replaces control characters in decoded text (an encoded-word must not smuggle CR, LF or ESC into a
/// header or a terminal) with U+FFFD; tab becomes a space.
fn defang(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

/// Decodes the RFC 2047 encoded-words in a header value, unfolding it first. Words in unknown charsets and
/// malformed words are left as they are.
pub fn decode_header(value: &str) -> String {
    let unfolded: String = unfold(value);
    let s = unfolded.as_str();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    // Bytes of adjacent encoded-words in one charset, decoded together.
    let mut pending: Option<(String, Vec<u8>)> = None;
    let flush = |pending: &mut Option<(String, Vec<u8>)>, out: &mut String| {
        if let Some((cs, bytes)) = pending.take() {
            // The charset was checked when the word was accepted.
            let text = charset::decode(&cs, &bytes).unwrap_or_default();
            defang(&text, out);
        }
    };
    while i < s.len() {
        if s[i..].starts_with("=?")
            && let Some(w) = parse_word(&s[i..])
            && charset::lookup(w.charset).is_some()
        {
            let cs = w
                .charset
                .split('*')
                .next()
                .unwrap_or(w.charset)
                .to_ascii_lowercase();
            match &mut pending {
                Some((pcs, bytes)) if *pcs == cs => bytes.extend_from_slice(&w.bytes),
                _ => {
                    flush(&mut pending, &mut out);
                    pending = Some((cs, w.bytes));
                }
            }
            i += w.end;
            // Whitespace followed by another encoded-word is dropped (RFC 2047 §6.2).
            let ws = s[i..].len() - s[i..].trim_start_matches([' ', '\t']).len();
            if ws > 0 && s[i + ws..].starts_with("=?") && parse_word(&s[i + ws..]).is_some() {
                i += ws;
            }
            continue;
        }
        flush(&mut pending, &mut out);
        let step = s[i..].chars().next().map_or(1, char::len_utf8);
        let next = s[i + step..].find("=?").map_or(s.len(), |k| i + step + k);
        defang(&s[i..next], &mut out);
        i = next;
    }
    flush(&mut pending, &mut out);
    out
}

/// Removes folding: CRLF or LF followed by whitespace becomes that whitespace.
pub fn unfold(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .replace("\n ", " ")
        .replace("\n\t", "\t")
        .replace('\n', " ")
}

/// A parsed structured field such as Content-Type or Content-Disposition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldValue {
    /// The value before the first `;`, lower-cased and trimmed (`text/plain`, `attachment`).
    pub value: String,
    /// Parameters, names lower-cased, RFC 2231 continuations joined and decoded, RFC 2047 words decoded.
    pub params: Vec<(String, String)>,
}

impl FieldValue {
    /// The value of parameter `name` (lower-case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The most parameters kept from one field.
const MAX_PARAMS: usize = 256;

/// Parses `value; name=token; name="quoted"; name*=charset'lang'pct; name*0*=…` (RFC 2045 §5.1,
/// RFC 2231). Lenient: junk is skipped, never an error.
pub fn parse_field(raw: &str) -> FieldValue {
    let s = unfold(raw);
    let bytes = s.as_bytes();
    let mut i = 0;
    let semi = find_unquoted(bytes, 0);
    let value = s[..semi].trim().to_ascii_lowercase();
    i += semi;
    // (name, section, extended, raw value)
    let mut pieces: Vec<(String, Option<u32>, bool, String)> = Vec::new();
    while i < bytes.len() && pieces.len() < MAX_PARAMS {
        i += 1; // skip ';'
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        let name_end = s[i..].find(['=', ';']).map_or(bytes.len(), |k| i + k);
        if name_end >= bytes.len() || bytes[name_end] == b';' {
            i = name_end;
            continue;
        }
        let name = s[i..name_end].trim().to_ascii_lowercase();
        i = name_end + 1;
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        let val;
        if i < bytes.len() && bytes[i] == b'"' {
            let mut v = String::new();
            let mut j = i + 1;
            let mut chars = s[j..].char_indices();
            let mut closed = bytes.len();
            while let Some((k, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, c2)) = chars.next() {
                            v.push(c2);
                        }
                    }
                    '"' => {
                        closed = j + k + 1;
                        break;
                    }
                    c => v.push(c),
                }
            }
            j = closed;
            i = find_unquoted(bytes, j);
            val = v;
        } else {
            let end = find_unquoted(bytes, i);
            val = s[i..end].trim().to_string();
            i = end;
        }
        let (base, extended) = match name.strip_suffix('*') {
            Some(b) => (b.to_string(), true),
            None => (name, false),
        };
        let (base, section) = match base.rsplit_once('*') {
            Some((b, n)) if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => {
                (b.to_string(), n.parse::<u32>().ok())
            }
            _ => (base, None),
        };
        if base.is_empty() {
            continue;
        }
        pieces.push((base, section, extended, val));
    }
    FieldValue {
        value,
        params: join_params(pieces),
    }
}

fn find_unquoted(bytes: &[u8], from: usize) -> usize {
    let mut in_q = false;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_q => i += 1,
            b'"' => in_q = !in_q,
            b';' if !in_q => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

fn pct_decode(s: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(s).collect()
}

fn join_params(pieces: Vec<(String, Option<u32>, bool, String)>) -> Vec<(String, String)> {
    let mut names: Vec<String> = Vec::new();
    for (n, ..) in &pieces {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    let mut out = Vec::new();
    for name in names {
        let mut mine: Vec<&(String, Option<u32>, bool, String)> =
            pieces.iter().filter(|p| p.0 == name).collect();
        // A plain `name=` alongside `name*=`: RFC 2231 readers prefer the extended form.
        let has_ext = mine.iter().any(|p| p.2 || p.1.is_some());
        if has_ext {
            mine.retain(|p| p.2 || p.1.is_some());
        }
        mine.sort_by_key(|p| p.1.unwrap_or(0));
        mine.dedup_by_key(|p| p.1);
        let mut charset: Option<String> = None;
        let mut bytes = Vec::new();
        for (k, p) in mine.iter().enumerate() {
            if p.2 {
                let mut v = p.3.as_str();
                if k == 0 {
                    // charset'language'value
                    let mut parts = v.splitn(3, '\'');
                    if let (Some(cs), Some(_lang), Some(rest)) =
                        (parts.next(), parts.next(), parts.next())
                    {
                        charset = Some(cs.to_string());
                        v = rest;
                    }
                }
                bytes.extend(pct_decode(v));
            } else {
                bytes.extend_from_slice(p.3.as_bytes());
            }
        }
        let text = match charset.as_deref().filter(|c| !c.is_empty()) {
            Some(cs) => charset::decode(cs, &bytes)
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned()),
            None => String::from_utf8_lossy(&bytes).into_owned(),
        };
        let text = if has_ext { text } else { decode_header(&text) };
        let mut clean = String::with_capacity(text.len());
        defang(&text, &mut clean);
        out.push((name, clean));
    }
    out
}

/// `attr-char` of RFC 2231 §7: what may appear unencoded in an extended value.
fn is_attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
}

/// Formats a parameter: `name="value"` when the value is plain ASCII, else RFC 2231
/// `name*=UTF-8''pct-encoded`, split into `name*0*=`, `name*1*=` … sections when long. Returns the
/// `;`-separated pieces so the caller can fold between them.
pub fn encode_param(name: &str, value: &str) -> Vec<String> {
    let plain = value.bytes().all(|b| (0x20..0x7f).contains(&b)) && value.len() <= 60;
    if plain {
        let q = value.replace('\\', "\\\\").replace('"', "\\\"");
        return vec![format!("{name}=\"{q}\"")];
    }
    let mut sections = Vec::new();
    let mut cur = String::from("UTF-8''");
    for c in value.chars() {
        let mut enc = String::new();
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            if is_attr_char(b) {
                enc.push(b as char);
            } else {
                let _ = write!(enc, "%{b:02X}");
            }
        }
        if cur.len() + enc.len() > 60 {
            sections.push(std::mem::take(&mut cur));
        }
        cur.push_str(&enc);
    }
    sections.push(cur);
    if sections.len() == 1 {
        return vec![format!("{name}*={}", sections[0])];
    }
    sections
        .iter()
        .enumerate()
        .map(|(n, s)| format!("{name}*{n}*={s}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2047_section8_examples() {
        assert_eq!(decode_header("=?ISO-8859-1?Q?a?="), "a");
        assert_eq!(decode_header("=?ISO-8859-1?Q?a?= b"), "a b");
        assert_eq!(decode_header("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?="), "ab");
        assert_eq!(
            decode_header("=?ISO-8859-1?Q?a?=  \r\n  =?ISO-8859-1?Q?b?="),
            "ab"
        );
        assert_eq!(decode_header("=?ISO-8859-1?Q?a_b?="), "a b");
        assert_eq!(
            decode_header("=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?="),
            "a b"
        );
        assert_eq!(
            decode_header("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>"),
            "Keith Moore <moore@cs.utk.edu>"
        );
        assert_eq!(decode_header("=?x-nope?Q?abc?= x"), "=?x-nope?Q?abc?= x");
        assert_eq!(
            decode_header("=?UTF-8?Q?evil=0D=0A=1B[2J?="),
            "evil\u{fffd}\u{fffd}\u{fffd}[2J"
        );
    }

    #[test]
    fn encode_round_trips_and_stays_short() {
        for s in [
            "Grüße aus Köln",
            "日本語のテキストはとても長い件名になることがあります。そしてもっと長く",
            "plain ascii",
            "a  b",
            // Runs of spaces beside an encoded run survive (they were dropped after one).
            "Köln  und Bonn",
            "und  Köln",
            "Köln   Bonn  Köln",
        ] {
            let folded = encode_header(s, 9, "\r\n");
            for line in folded.split("\r\n") {
                for word in line.split(' ') {
                    assert!(word.len() <= 75, "{word}");
                }
            }
            assert_eq!(decode_header(&folded), s, "{folded}");
        }
        assert_eq!(encode_header("plain ascii", 9, "\r\n"), "plain ascii");
    }

    #[test]
    fn rfc2231_parameters() {
        let f = parse_field("attachment; filename*0*=UTF-8''%E6%96%87; filename*1*=%E4%BB%B6.txt");
        assert_eq!(f.value, "attachment");
        assert_eq!(f.param("filename"), Some("文件.txt"));
        let f = parse_field(
            "application/x-stuff;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"",
        );
        assert_eq!(
            f.param("title"),
            Some("This is even more ***fun*** isn't it!")
        );
        let f = parse_field("text/plain; charset=\"utf-8\"; name=\"=?UTF-8?B?w6kudHh0?=\"");
        assert_eq!(f.param("charset"), Some("utf-8"));
        assert_eq!(f.param("name"), Some("é.txt"));
        let long: String = "ü".repeat(50);
        let pieces = encode_param("filename", &long);
        assert!(pieces.len() > 1);
        let back = parse_field(&format!("attachment; {}", pieces.join("; ")));
        assert_eq!(back.param("filename"), Some(long.as_str()));
    }
}
