//! Command arguments (RFC 9051 §4.3): atoms, quoted strings and literals, and the split of a command
//! line where its literals go.
//!
//! Every argument from the command line is checked here: CR, LF or NUL anywhere is a usage error (exit 2)
//! before anything is sent, so no value can end a command early. Text that is not 7-bit ASCII cannot be a
//! quoted string in IMAP4rev1 and goes as a literal. Mailbox names are encoded to modified UTF-7 (always
//! ASCII) and quoted. Search criteria are the user's IMAP SEARCH text: passed through as written, except
//! that non-ASCII strings become literals and `CHARSET UTF-8` is announced.

use crate::error::{Error, Result};

/// One piece of a command after its verb.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text on the command line.
    Text(String),
    /// A literal: the sender announces its size, waits for `+` (or uses LITERAL+), sends the bytes.
    Literal(Vec<u8>),
}

/// Refuses CR, LF and NUL in a user-supplied argument.
pub fn check(what: &str, value: &str) -> Result<()> {
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(Error::usage(format!("{what} contains CR, LF or NUL")));
    }
    Ok(())
}

/// `value` as a quoted string, for ASCII text.
pub fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A string argument: quoted when ASCII, else a literal.
pub fn string(what: &str, value: &str) -> Result<Part> {
    check(what, value)?;
    if value.is_ascii() {
        Ok(Part::Text(quoted(value)))
    } else {
        Ok(Part::Literal(value.as_bytes().to_vec()))
    }
}

/// A mailbox name given in UTF-8: modified UTF-7, quoted.
pub fn mailbox(name: &str) -> Result<String> {
    check("mailbox name", name)?;
    if name.is_empty() {
        return Err(Error::usage("empty mailbox name"));
    }
    Ok(quoted(&super::utf7::encode(name)))
}

/// The parts of `UID SEARCH` after the verb for the user's `criteria`.
pub fn search(criteria: &str) -> Result<Vec<Part>> {
    check("--search", criteria)?;
    let criteria = criteria.trim();
    if criteria.is_empty() {
        return Err(Error::usage("--search is empty"));
    }
    if criteria.is_ascii() {
        return Ok(vec![Part::Text(criteria.to_string())]);
    }
    let mut parts = Vec::new();
    let mut text = String::from("CHARSET UTF-8 ");
    let mut rest = criteria;
    while let Some(c) = rest.chars().next() {
        if c == ' ' || c == '(' || c == ')' {
            text.push(c);
            rest = &rest[1..];
        } else if c == '"' {
            // A quoted string: unescaped, then sent again as quoted or literal.
            let mut value = String::new();
            let mut end = None;
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                match (escaped, c) {
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        end = Some(i);
                        break;
                    }
                    _ => {
                        value.push(c);
                        escaped = false;
                    }
                }
            }
            let end =
                end.ok_or_else(|| Error::usage("--search has an unterminated quoted string"))?;
            push(&mut parts, &mut text, string("--search", &value)?);
            rest = &rest[end + 1..];
        } else {
            // An atom up to the next space, parenthesis or quote.
            let end = rest.find([' ', '(', ')', '"']).unwrap_or(rest.len());
            let word = &rest[..end];
            if word.is_ascii() {
                text.push_str(word);
            } else {
                push(
                    &mut parts,
                    &mut text,
                    Part::Literal(word.as_bytes().to_vec()),
                );
            }
            rest = &rest[end..];
        }
    }
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(parts)
}

fn push(parts: &mut Vec<Part>, text: &mut String, part: Part) {
    match part {
        Part::Text(t) => text.push_str(&t),
        lit => {
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(text)));
            }
            parts.push(lit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_refusals() {
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(mailbox("Entwürfe").unwrap(), "\"Entw&APw-rfe\"");
        assert_eq!(mailbox("a\"b").unwrap(), "\"a\\\"b\"");
        for bad in ["a\r\nb", "x\n", "\0"] {
            assert_eq!(mailbox(bad).unwrap_err().kind(), crate::ErrorKind::Usage);
            assert_eq!(search(bad).unwrap_err().kind(), crate::ErrorKind::Usage);
        }
        assert_eq!(
            string("password", "pässword").unwrap(),
            Part::Literal("pässword".as_bytes().to_vec())
        );
    }

    #[test]
    fn search_criteria() {
        assert_eq!(
            search("UNSEEN FROM \"bob\"").unwrap(),
            vec![Part::Text("UNSEEN FROM \"bob\"".into())]
        );
        assert_eq!(
            search("SUBJECT \"Grüße aus\" UNSEEN").unwrap(),
            vec![
                Part::Text("CHARSET UTF-8 SUBJECT ".into()),
                Part::Literal("Grüße aus".as_bytes().to_vec()),
                Part::Text(" UNSEEN".into()),
            ]
        );
        assert_eq!(
            search("(FROM jürgen)").unwrap(),
            vec![
                Part::Text("CHARSET UTF-8 (FROM ".into()),
                Part::Literal("jürgen".as_bytes().to_vec()),
                Part::Text(")".into()),
            ]
        );
        assert!(search("SUBJECT \"ü").is_err());
    }
}
