//! The aliases file of sendmail mode (the config key `aliases`): local recipient names mapped to
//! addresses, in `/etc/aliases` syntax (aliases(5)).
//!
//! ```text
//! # comment
//! root: ops@example.com, Ann <ann@example.com>
//! postmaster: root
//! team: a@example.com,
//!       b@example.com          # a line starting with whitespace continues the one before
//! default: admin@example.com    # any other local name
//! ```
//! Names are matched without regard to ASCII case. A target that is itself a name in the file is
//! expanded again (up to [`MAX_DEPTH`] levels); a name among its own targets (`root: root, ops@x`) stands
//! for itself; a longer cycle (`a: b`, `b: a`) is an error. A local name the file does not list goes to
//! the `default:` targets when there is one, else stays as it is (the domain then qualifies it).
//! Deliveries a null client cannot make — `|command`, `/file`, `:include:` — are refused when used.
//!
//! Bounded: the file ([`MAX_FILE`] bytes), the entries, the targets per entry and the addresses one
//! expansion produces. Only local names (no `@`) are looked up. This module reads one file; it knows
//! nothing of SMTP.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// The largest aliases file read (1 MiB).
pub const MAX_FILE: u64 = 1 << 20;
/// The most entries in the file.
pub const MAX_ENTRIES: usize = 10_000;
/// The most targets one entry may list.
pub const MAX_TARGETS: usize = 1_000;
/// How deep an alias may refer to another.
pub const MAX_DEPTH: usize = 16;
/// The most addresses one expansion may produce.
pub const MAX_EXPANSION: usize = 10_000;

/// A parsed aliases file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aliases {
    /// Lower-cased name -> its targets, as written.
    map: HashMap<String, Vec<String>>,
    /// The file's name, for errors.
    origin: String,
}

impl Aliases {
    /// Reads and parses `path` (a usage error when it is malformed: it is configuration).
    pub fn load(path: &Path) -> Result<Aliases> {
        let file = std::fs::File::open(path).map_err(|e| Error::local(path.display(), e))?;
        let mut text = String::new();
        file.take(MAX_FILE + 1)
            .read_to_string(&mut text)
            .map_err(|e| Error::local(path.display(), e))?;
        if text.len() as u64 > MAX_FILE {
            return Err(Error::usage(format!(
                "aliases file {}: larger than {MAX_FILE} bytes",
                path.display()
            )));
        }
        Aliases::parse(&text, &path.display().to_string())
    }

    /// Parses the text of an aliases file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Aliases> {
        let mut aliases = Aliases {
            map: HashMap::new(),
            origin: origin.to_string(),
        };
        // Logical lines: a line starting with a blank continues the previous one.
        let mut logical: Vec<(usize, String)> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim_start().starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                match logical.last_mut() {
                    Some((_, l)) => {
                        l.push(' ');
                        l.push_str(line.trim());
                    }
                    None => {
                        return Err(Error::usage(format!(
                            "aliases file {origin}, line {}: a continuation line with nothing to continue",
                            n + 1
                        )));
                    }
                }
            } else {
                logical.push((n + 1, line.to_string()));
            }
        }
        for (line_no, line) in logical {
            let bad =
                |why: &str| Error::usage(format!("aliases file {origin}, line {line_no}: {why}"));
            let Some((name, targets)) = line.split_once(':') else {
                return Err(bad("expected `name: address, ...`"));
            };
            let name = name.trim();
            if name.is_empty()
                || name.contains('@')
                || name.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(bad("the name must be a local name without @ or blanks"));
            }
            let list = split_targets(targets).map_err(|why| bad(&why))?;
            if list.is_empty() {
                return Err(bad("no targets"));
            }
            if list.len() > MAX_TARGETS {
                return Err(bad(&format!("more than {MAX_TARGETS} targets")));
            }
            let key = name.to_ascii_lowercase();
            if aliases.map.contains_key(&key) {
                return Err(bad(&format!("{name:?} is defined twice")));
            }
            aliases.map.insert(key, list);
            if aliases.map.len() > MAX_ENTRIES {
                return Err(bad(&format!("more than {MAX_ENTRIES} entries")));
            }
        }
        Ok(aliases)
    }

    /// Whether the file lists nothing.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The addresses `rcpt` goes to: itself when it has an `@`; else its entry, or the `default:`
    /// entry, expanded; else itself. Each address once, in order.
    pub fn expand(&self, rcpt: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        if rcpt.contains('@') {
            out.push(rcpt.to_string());
            return Ok(out);
        }
        let mut path = Vec::new();
        self.walk(rcpt, &mut path, &mut out, true)?;
        Ok(out)
    }

    fn walk(
        &self,
        name: &str,
        path: &mut Vec<String>,
        out: &mut Vec<String>,
        use_default: bool,
    ) -> Result<()> {
        let key = name.to_ascii_lowercase();
        let targets = match self.map.get(&key) {
            Some(t) => t,
            None => match self.map.get("default").filter(|_| use_default) {
                Some(t) => t,
                None => {
                    push(out, name.to_string(), &self.origin)?;
                    return Ok(());
                }
            },
        };
        if path.contains(&key) {
            path.push(key);
            return Err(Error::usage(format!(
                "aliases file {}: alias loop: {}",
                self.origin,
                path.join(" -> ")
            )));
        }
        if path.len() >= MAX_DEPTH {
            return Err(Error::usage(format!(
                "aliases file {}: {name:?} nests more than {MAX_DEPTH} aliases deep",
                self.origin
            )));
        }
        path.push(key.clone());
        for t in targets {
            if t.starts_with('|') || t.starts_with('/') || t.starts_with(":include:") {
                return Err(Error::usage(format!(
                    "aliases file {}: {name:?} goes to {t:?}, which only a local mail server can deliver",
                    self.origin
                )));
            }
            if t.contains('@') {
                push(out, t.clone(), &self.origin)?;
            } else if t.eq_ignore_ascii_case(name) {
                // `root: root, ops@x`: keep a copy for the name itself.
                push(out, t.clone(), &self.origin)?;
            } else {
                // A local target is looked up, but never sent to `default:` (that would swallow it).
                self.walk(t, path, out, false)?;
            }
        }
        path.pop();
        Ok(())
    }
}

fn push(out: &mut Vec<String>, address: String, origin: &str) -> Result<()> {
    if !out.iter().any(|o| o.eq_ignore_ascii_case(&address)) {
        out.push(address);
    }
    if out.len() > MAX_EXPANSION {
        return Err(Error::usage(format!(
            "aliases file {origin}: an expansion of more than {MAX_EXPANSION} addresses"
        )));
    }
    Ok(())
}

/// The targets of one entry: an address list (display names and comments allowed, addresses only kept),
/// or a `|command`, `/file` or `:include:` kept as written (refused when used).
fn split_targets(text: &str) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    for piece in crate::smtp::address::split_commas(text, false).unwrap_or_default() {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        let unquoted = piece.trim_matches('"');
        if unquoted.starts_with('|')
            || unquoted.starts_with('/')
            || unquoted.starts_with(":include:")
        {
            out.push(unquoted.to_string());
            continue;
        }
        let addrs = crate::smtp::address::parse_list(piece).map_err(|e| e.to_string())?;
        out.extend(addrs);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# aliases\n\
        root: ops@example.com, Ann <ann@example.com>\n\
        postmaster: root\n\
        Team: a@example.com,\n  b@example.com (Bee),\n\
        \tc@example.com\n\
        keep: keep, copy@example.com\n\
        default: admin@example.com\n";

    fn parsed() -> Aliases {
        Aliases::parse(FILE, "aliases").unwrap()
    }

    #[test]
    fn names_defaults_continuations_and_nesting() {
        let a = parsed();
        assert_eq!(
            a.expand("ROOT").unwrap(),
            ["ops@example.com", "ann@example.com"]
        );
        assert_eq!(
            a.expand("postmaster").unwrap(),
            ["ops@example.com", "ann@example.com"]
        );
        assert_eq!(
            a.expand("team").unwrap(),
            ["a@example.com", "b@example.com", "c@example.com"]
        );
        assert_eq!(a.expand("keep").unwrap(), ["keep", "copy@example.com"]);
        assert_eq!(a.expand("nobody").unwrap(), ["admin@example.com"]);
        assert_eq!(a.expand("x@y").unwrap(), ["x@y"], "only local names");
        let no_default = Aliases::parse("root: ops@x\n", "f").unwrap();
        assert_eq!(no_default.expand("cron").unwrap(), ["cron"]);
    }

    #[test]
    fn loops_depth_and_local_deliveries_are_refused() {
        let e = Aliases::parse("a: b\nb: c\nc: a\n", "f")
            .unwrap()
            .expand("a")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "aliases file f: alias loop: a -> b -> c -> a"
        );
        let deep: String = (0..20).map(|i| format!("n{i}: n{}\n", i + 1)).collect();
        let e = Aliases::parse(&deep, "f")
            .unwrap()
            .expand("n0")
            .unwrap_err();
        assert!(e.to_string().contains("more than 16 aliases deep"), "{e}");
        let pipes = Aliases::parse("log: \"|/usr/bin/logger\"\nok: a@b\n", "f").unwrap();
        assert_eq!(pipes.expand("ok").unwrap(), ["a@b"]);
        let e = pipes.expand("log").unwrap_err();
        assert_eq!(
            e.to_string(),
            "aliases file f: \"log\" goes to \"|/usr/bin/logger\", which only a local mail server can deliver"
        );
    }

    #[test]
    fn malformed_files_are_usage_errors() {
        for (text, why) in [
            (
                " a@b\n",
                "line 1: a continuation line with nothing to continue",
            ),
            ("root ops@x\n", "line 1: expected `name: address, ...`"),
            (
                "a@b: c@d\n",
                "line 1: the name must be a local name without @ or blanks",
            ),
            ("root:\n", "line 1: no targets"),
            (
                "root: a@b\nROOT: c@d\n",
                "line 2: \"ROOT\" is defined twice",
            ),
        ] {
            let e = Aliases::parse(text, "f").unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Usage);
            assert_eq!(e.to_string(), format!("aliases file f, {why}"), "{text:?}");
        }
    }
}
