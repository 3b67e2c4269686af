//! Making server- and file-provided text safe for a terminal.
//!
//! Anything that came from a server, a file or a remote name is escaped before it is printed, so a hostile
//! name or reply cannot move the cursor, change the title or hide text (cli.md: "Control characters from
//! servers or files are escaped before they reach the terminal"). [`clip`] and [`clip_bytes`] are how an
//! error message quotes such text: bounded, cut on a character boundary (never a panic on a multi-byte
//! character), escaped.

use std::borrow::Cow;
use std::fmt::Write;

static PROGRAM: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// Names the running tool (`cli` sets it first thing), for the few lines printed below the reporter,
/// such as the `--insecure` warning: every message starts with the tool's name.
pub fn set_program(name: &'static str) {
    let _ = PROGRAM.set(name);
}

/// The running tool's name (`ferry` before [`set_program`]).
pub fn program() -> &'static str {
    PROGRAM.get().copied().unwrap_or("ferry")
}

/// Escapes C0/C1 control characters and DEL as `\xNN` (tab kept); returns the input when nothing needs it.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Escapes arbitrary bytes: valid UTF-8 as [`escape`], invalid bytes as `\xNN`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(&escape(chunk.valid()));
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// What an error message shows of `s`: at most `max` bytes of it, cut on a character boundary, escaped,
/// with `…` when something was cut.
pub fn clip(s: &str, max: usize) -> String {
    let cut = s.floor_char_boundary(max);
    let mut out = escape(s.get(..cut).unwrap_or_default()).into_owned();
    if cut < s.len() {
        out.push('…');
    }
    out
}

/// [`clip`] for raw bytes: at most `max` of them, not cutting a UTF-8 character in two, escaped as
/// [`escape_bytes`], with `…` when something was cut.
pub fn clip_bytes(bytes: &[u8], max: usize) -> String {
    let mut cut = max.min(bytes.len());
    // Back off over at most three continuation bytes, so a character cut at `max` is left out whole.
    let floor = cut.saturating_sub(3);
    while cut > floor && cut < bytes.len() && bytes[cut] & 0xc0 == 0x80 {
        cut -= 1;
    }
    if cut == floor && cut < bytes.len() && bytes[cut] & 0xc0 == 0x80 {
        cut = max.min(bytes.len());
    }
    let mut out = escape_bytes(bytes.get(..cut).unwrap_or_default());
    if cut < bytes.len() {
        out.push('…');
    }
    out
}

fn needs_escape(c: char) -> bool {
    c != '\t' && (c.is_control() || ('\u{80}'..='\u{9f}').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_but_keeps_text() {
        assert_eq!(escape("plain näme"), "plain näme");
        assert_eq!(escape("a\x1b[2Jb\r\n"), "a\\x1b[2Jb\\x0d\\x0a");
        assert_eq!(escape_bytes(b"ok\xff\x07"), "ok\\xff\\x07");
    }

    #[test]
    fn clip_cuts_on_character_boundaries() {
        assert_eq!(clip("short", 80), "short");
        assert_eq!(clip("ab\u{e9}cd", 3), "ab…");
        assert_eq!(clip("ab\u{e9}cd", 4), "ab\u{e9}…");
        assert_eq!(clip("a\x1bb", 80), "a\\x1bb");
        assert_eq!(clip_bytes("ab\u{e9}cd".as_bytes(), 3), "ab…");
        assert_eq!(clip_bytes(b"ab\xffcd", 3), "ab\\xff…");
        assert_eq!(
            clip_bytes(b"\x80\x80\x80\x80\x80", 4),
            "\\x80\\x80\\x80\\x80…"
        );
    }

    proptest::proptest! {
        #[test]
        fn clip_never_panics_and_stays_bounded(s in "\\PC{0,40}", max in 0usize..50) {
            let c = clip(&s, max);
            proptest::prop_assert!(c.len() <= 4 * max + 3 || c == escape(&s));
            let _ = clip_bytes(s.as_bytes(), max);
        }
    }
}
