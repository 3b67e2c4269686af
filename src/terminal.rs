//! Making server- and file-provided text safe for a terminal.
//!
//! Anything that came from a server, a file or a remote name is escaped before it is printed, so a hostile
//! name or reply cannot move the cursor, change the title or hide text (cli.md: "Control characters from
//! servers or files are escaped before they reach the terminal").

use std::borrow::Cow;
use std::fmt::Write;

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
}
