//! Safe local names for hostile suggested file names, and creating them without overwriting anything.
//!
//! A name from a message (RFC 2183 `filename`, RFC 2231/2047 decoded) is reduced to one harmless path
//! component: only the part after the last `/` or `\`, no drive letters or other Windows-reserved
//! characters, no control or bidi-override characters, no leading dots (no dotfiles, no `..`), no
//! Windows device names (`CON`, `NUL`, `COM1`, …), at most 255 bytes. [`numbered`] gives the
//! alternatives `name-1.ext`, `name-2.ext`, … that `sink::FileSink::commit_unique` tries when a name is
//! taken. This module does not decide which parts to extract, nor write files.

/// The longest file name most file systems accept, in bytes.
pub const MAX_NAME: usize = 255;

const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9", "conin$",
    "conout$",
];

fn is_bad_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*' | '/' | '\\')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Makes `name` safe as a single file name, or `None` when nothing usable is left.
pub fn sanitize(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let mut s: String = base
        .chars()
        .map(|c| if is_bad_char(c) { '_' } else { c })
        .collect();
    // Leading dots make dotfiles or `..`; trailing dots and spaces are dropped by Windows.
    s = s
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .to_string();
    if s.is_empty() || s.chars().all(|c| c == '_') {
        return None;
    }
    let stem = s
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_lowercase();
    if RESERVED.contains(&stem.as_str()) {
        s.insert(0, '_');
    }
    Some(truncate(&s, MAX_NAME - 16))
}

/// Truncates to at most `max` bytes on a character boundary, keeping a short extension.
fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let ext = s
        .rfind('.')
        .map(|i| &s[i..])
        .filter(|e| e.len() <= 16)
        .unwrap_or("");
    let mut cut = max - ext.len();
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{ext}", &s[..cut])
}

/// The `n`th candidate for `name`: the name itself, then `stem-1.ext`, `stem-2.ext`, …
pub fn numbered(name: &str, n: u32) -> String {
    if n == 0 {
        return name.to_string();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    format!("{stem}-{n}{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names() {
        assert_eq!(sanitize("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(
            sanitize("C:\\Windows\\evil.exe").as_deref(),
            Some("evil.exe")
        );
        assert_eq!(sanitize("C:evil.exe").as_deref(), Some("C_evil.exe"));
        assert_eq!(sanitize(".bashrc").as_deref(), Some("bashrc"));
        assert_eq!(sanitize("..").as_deref(), None);
        assert_eq!(
            sanitize("a\x1b[2Jb\r\n.txt").as_deref(),
            Some("a_[2Jb__.txt")
        );
        assert_eq!(sanitize("CON.txt").as_deref(), Some("_CON.txt"));
        assert_eq!(
            sanitize("invoice\u{202e}fdp.exe").as_deref(),
            Some("invoice_fdp.exe")
        );
        let long = format!("{}.pdf", "é".repeat(300));
        let s = sanitize(&long).unwrap();
        assert!(s.len() <= MAX_NAME && s.ends_with(".pdf"));
    }
}
