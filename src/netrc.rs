//! `~/.netrc` lookup.
//!
//! Owns the file format (tokens `machine`, `login`, `password`, `account`, `macdef`, `default`, separated by
//! any whitespace, `"quoted"` values). A lookup returns only an entry whose machine is the target host and,
//! when the user is already known, whose login is that user. `default` entries are ignored: they would hand a
//! password to any host. `macdef` bodies are skipped.

use std::path::Path;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// One matching netrc entry.
#[derive(Debug)]
pub struct Entry {
    /// The entry's login.
    pub login: String,
    /// The entry's password.
    pub password: Secret,
}

/// Finds the entry for `host` (and `user`, when known) in the file at `path`. A missing file is `None`
/// unless `must_exist` (the user named it with `--netrc-file`).
pub fn lookup(
    path: &Path,
    host: &str,
    user: Option<&str>,
    must_exist: bool,
) -> Result<Option<Entry>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => return Ok(None),
        Err(e) => return Err(Error::local(format!("netrc file {}", path.display()), e)),
    };
    Ok(find(&text, host, user))
}

/// The lookup on the file's text.
pub fn find(text: &str, host: &str, user: Option<&str>) -> Option<Entry> {
    let mut tokens = tokenize(text).into_iter();
    let mut machine: Option<String> = None;
    let mut login: Option<String> = None;
    let mut password: Option<String> = None;
    let matches = |m: &Option<String>, l: &Option<String>, p: &Option<String>| -> Option<Entry> {
        let m = m.as_deref()?;
        if !m.eq_ignore_ascii_case(host) {
            return None;
        }
        let l = l.as_deref()?;
        if user.is_some_and(|u| u != l) {
            return None;
        }
        Some(Entry {
            login: l.to_string(),
            password: Secret::new(p.clone()?),
        })
    };
    while let Some(tok) = tokens.next() {
        match tok.as_str() {
            "machine" | "default" => {
                if let Some(e) = matches(&machine, &login, &password) {
                    return Some(e);
                }
                machine = if tok == "machine" {
                    tokens.next()
                } else {
                    None
                };
                login = None;
                password = None;
            }
            "login" => login = tokens.next(),
            "password" => password = tokens.next(),
            "account" => {
                tokens.next();
            }
            "macdef" => {
                // The macro body runs to the next blank line; tokenize() marks it.
                for t in tokens.by_ref() {
                    if t == "\n\n" {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    matches(&machine, &login, &password)
}

/// Splits on whitespace, honouring double quotes with backslash escapes; a blank line becomes a `"\n\n"`
/// token so `macdef` bodies can be skipped.
fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut newlines = 0;
    while let Some(&c) = chars.peek() {
        if c == '\n' {
            newlines += 1;
            if newlines == 2 {
                out.push("\n\n".to_string());
            }
            chars.next();
        } else if c.is_whitespace() {
            chars.next();
        } else if c == '#' {
            for c in chars.by_ref() {
                if c == '\n' {
                    break;
                }
            }
            newlines = 1;
        } else {
            newlines = 0;
            let mut tok = String::new();
            if c == '"' {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => tok.extend(chars.next()),
                        c => tok.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    tok.push(c);
                    chars.next();
                }
            }
            out.push(tok);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# comment\nmachine a.example login alice password \"pa ss\"\n\
        machine b.example\n  login bob\n  password bobpw\nmachine b.example login carol password carolpw\n\
        default login anonymous password x\n";

    #[test]
    fn machine_and_login_must_match() {
        let e = find(FILE, "a.example", None).unwrap();
        assert_eq!((e.login.as_str(), e.password.expose()), ("alice", "pa ss"));
        let e = find(FILE, "b.example", Some("carol")).unwrap();
        assert_eq!(e.password.expose(), "carolpw");
        assert!(find(FILE, "a.example", Some("mallory")).is_none());
        assert!(
            find(FILE, "elsewhere", None).is_none(),
            "default is never used"
        );
    }

    #[test]
    fn macdef_bodies_are_skipped() {
        let f = "macdef init\nmachine evil login x password y\n\nmachine h login u password p\n";
        assert!(find(f, "evil", None).is_none());
        assert_eq!(find(f, "h", None).unwrap().login, "u");
    }
}
