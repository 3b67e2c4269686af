//! Addresses as SMTP needs them: the addr-specs in an RFC 5322 §3.4 address list (for `-t`, and for the
//! envelope of `--from`/`--to` values like `Ann <ann@example.com>`), and the checks an envelope address
//! must pass before it goes into `MAIL FROM:<…>` or `RCPT TO:<…>`.
//!
//! The parser is a single pass over the (unfolded) header value with no recursion: display names, quoted
//! strings with `\` escapes, comments (nested, with escapes), groups (`team: a@x, b@y;`), angle addresses
//! with an obsolete source route (`<@relay:ann@x>`, RFC 5322 §4.4) and obsolete whitespace around the `@`.
//! It extracts addresses; it does not validate domains (the server does that and says so per recipient).

use crate::error::{Error, Result};

/// The longest envelope address accepted (RFC 5321 §4.5.3.1.3 allows a 256-octet path).
pub const MAX_ADDRESS: usize = 256;

/// The addr-specs in an address list, in order (group names and display names dropped; empty groups and
/// empty list elements are fine).
pub fn parse_list(value: &str) -> Result<Vec<String>> {
    let bad = |why: &str| {
        Error::usage(format!(
            "malformed address list {:?}: {why}",
            crate::terminal::clip(value, 120)
        ))
    };
    let mut out = Vec::new();
    // One list element at a time: `bare` is the text outside comments and angle brackets since the last
    // separator (a bare addr-spec, or a display name an angle address replaces), whitespace dropped
    // outside quoted strings; `open` an angle address being read; `done` a complete one.
    let mut el = Element::default();
    let mut in_group = false;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '(' => {
                let mut depth = 1usize;
                while depth > 0 {
                    match chars.next() {
                        Some('\\') => {
                            chars.next();
                        }
                        Some('(') => depth += 1,
                        Some(')') => depth -= 1,
                        Some(_) => {}
                        None => return Err(bad("unterminated comment")),
                    }
                }
                el.space = !el.bare.is_empty();
            }
            '"' => {
                if el.open.is_none() {
                    el.push('"');
                    el.bare.pop();
                }
                let target = el.open.as_mut().unwrap_or(&mut el.bare);
                target.push('"');
                loop {
                    match chars.next() {
                        Some('\\') => match chars.next() {
                            Some(e) => {
                                target.push('\\');
                                target.push(e);
                            }
                            None => return Err(bad("unterminated quoted string")),
                        },
                        Some('"') => break,
                        Some(ch) => target.push(ch),
                        None => return Err(bad("unterminated quoted string")),
                    }
                }
                target.push('"');
            }
            '<' if el.open.is_some() || el.done.is_some() => return Err(bad("a second '<'")),
            '<' => el.open = Some(String::new()),
            '>' => match el.open.take() {
                Some(a) => el.done = Some(strip_route(&a)),
                None => return Err(bad("'>' without '<'")),
            },
            c if el.open.is_some() => {
                if !c.is_whitespace()
                    && let Some(a) = el.open.as_mut()
                {
                    a.push(c);
                }
            }
            ',' => el.finish(&mut out)?,
            // A group's display name ends here (RFC 5322 §3.4 group).
            ':' if !in_group && el.done.is_none() => {
                el = Element::default();
                in_group = true;
            }
            ';' if in_group => {
                el.finish(&mut out)?;
                in_group = false;
            }
            c if c.is_whitespace() => el.space = !el.bare.is_empty(),
            c => el.push(c),
        }
        if out.len() > 10_000 {
            return Err(bad("more than 10000 addresses"));
        }
    }
    if el.open.is_some() {
        return Err(bad("unterminated '<'"));
    }
    el.finish(&mut out)?;
    Ok(out)
}

#[derive(Default)]
struct Element {
    bare: String,
    open: Option<String>,
    done: Option<String>,
    /// Whitespace or a comment since the last character of `bare`.
    space: bool,
    /// Two words side by side in `bare` (`Ann ann@x`): a display name without its `<…>`.
    phrase: bool,
}

impl Element {
    /// Adds a character outside angle brackets; whitespace around `@` and `.` is obsolete but allowed
    /// (RFC 5322 §4.4), between two words it makes a phrase.
    fn push(&mut self, c: char) {
        if self.space && c != '@' && c != '.' && !self.bare.ends_with(['@', '.']) {
            self.phrase = true;
        }
        self.space = false;
        self.bare.push(c);
    }

    /// Ends one list element: a complete angle address wins over the display-name text around it.
    fn finish(&mut self, out: &mut Vec<String>) -> Result<()> {
        let phrase = std::mem::take(&mut self.phrase);
        self.space = false;
        let addr = match self.done.take() {
            Some(a) => a,
            None if phrase => {
                return Err(Error::usage(format!(
                    "address {:?}: a name needs the address in <…>",
                    crate::terminal::escape(&self.bare)
                )));
            }
            None => std::mem::take(&mut self.bare),
        };
        self.bare.clear();
        let addr = addr.trim();
        if !addr.is_empty() {
            check(addr)?;
            out.push(addr.to_string());
        }
        Ok(())
    }
}

/// `@relay1,@relay2:user@host` → `user@host` (RFC 5322 §4.4 obs-route).
fn strip_route(a: &str) -> String {
    let a = a.trim();
    if a.starts_with('@')
        && let Some(i) = a.find(':')
    {
        return a[i + 1..].to_string();
    }
    a.to_string()
}

/// The addr-spec of one mailbox given on the command line (`ann@example.com` or `Ann <ann@example.com>`).
pub fn mailbox(value: &str, what: &str) -> Result<String> {
    if value.contains(['\r', '\n', '\0']) {
        return Err(Error::usage(format!("{what}: CR, LF or NUL in an address")));
    }
    let list = parse_list(value).map_err(|e| e.within(what))?;
    match list.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::usage(format!("{what}: no address in {value:?}"))),
        _ => Err(Error::usage(format!(
            "{what}: one address expected, found {}",
            list.len()
        ))),
    }
}

/// Refuses an envelope address that could break the command it goes into: control characters, angle
/// brackets, unquoted whitespace, or more than [`MAX_ADDRESS`] octets.
pub fn check(addr: &str) -> Result<()> {
    let bad = |why: &str| {
        Error::usage(format!(
            "address {:?}: {why}",
            crate::terminal::clip(addr, 120)
        ))
    };
    if addr.len() > MAX_ADDRESS {
        return Err(bad("longer than 256 octets"));
    }
    if addr.chars().any(|c| c.is_control()) {
        return Err(bad("control characters are not allowed"));
    }
    if addr.contains(['<', '>']) {
        return Err(bad("'<' or '>' inside the address"));
    }
    let mut quoted = false;
    let mut escaped = false;
    for c in addr.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return Err(bad("unquoted whitespace")),
            _ => {}
        }
    }
    Ok(())
}

/// Whether an addr-spec has a domain (an `@` outside its quoted local part): `root` has none.
pub fn has_domain(addr: &str) -> bool {
    addr.rsplit_once('@')
        .is_some_and(|(_, d)| !d.is_empty() && !d.contains('"'))
}

/// `addr`, with `@domain` added when it has no domain.
pub fn qualify(addr: &str, domain: &str) -> String {
    if has_domain(addr) {
        addr.to_string()
    } else {
        format!("{addr}@{domain}")
    }
}

/// The elements of an address list, split at the commas outside quoted strings, comments and angle
/// brackets, as written (display names and comments kept). None for a list with a group (`team: a, b;`)
/// or a source route, whose colons make element-wise rewriting unsafe; the caller leaves those alone.
pub fn split_elements(value: &str) -> Option<Vec<String>> {
    split_commas(value, true)
}

/// [`split_elements`]' tokenizer: the pieces between top-level commas. With `refuse_groups`, a
/// top-level `:` or `;` gives None; without it they are ordinary characters (an aliases file's
/// `:include:` target).
pub fn split_commas(value: &str, refuse_groups: bool) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut angle, mut depth, mut escaped) = (false, false, 0usize, false);
    for c in value.chars() {
        if escaped {
            escaped = false;
            cur.push(c);
            continue;
        }
        match c {
            '\\' if quoted || depth > 0 => escaped = true,
            '"' if depth == 0 => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            '<' if !quoted && depth == 0 => angle = true,
            '>' if !quoted && depth == 0 => angle = false,
            ':' | ';' if refuse_groups && !quoted && depth == 0 => return None,
            ',' if !quoted && depth == 0 && !angle => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    Some(out)
}

/// One list element with its address qualified by `domain` when it has none: `root` ->
/// `root@domain`, `Cron <root>` -> `Cron <root@domain>`; a bare address with a comment loses the
/// comment. Unchanged when it already has a domain or holds no address.
pub fn qualify_element(element: &str, domain: &str) -> Result<String> {
    if let (Some(lt), Some(gt)) = (element.rfind('<'), element.rfind('>'))
        && lt < gt
    {
        let inner = element[lt + 1..gt].trim();
        if inner.is_empty() || has_domain(inner) {
            return Ok(element.to_string());
        }
        return Ok(format!(
            "{}<{}>{}",
            &element[..lt],
            qualify(inner, domain),
            &element[gt + 1..]
        ));
    }
    let addrs = parse_list(element)?;
    match addrs.as_slice() {
        [one] if !has_domain(one) => {
            let lead = &element[..element.len() - element.trim_start().len()];
            Ok(format!("{lead}{}", qualify(one, domain)))
        }
        _ => Ok(element.to_string()),
    }
}

/// An address list with every bare local name qualified by `domain`; `None` when nothing changed (or the
/// list has a group, left as written).
pub fn qualify_list(value: &str, domain: &str) -> Result<Option<String>> {
    let Some(elements) = split_elements(value) else {
        return Ok(None);
    };
    let mut changed = false;
    let mut out = Vec::with_capacity(elements.len());
    for el in &elements {
        let q = qualify_element(el, domain)?;
        changed |= q != *el;
        out.push(q);
    }
    Ok(changed.then(|| out.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(v: &str) -> Vec<String> {
        parse_list(v).unwrap()
    }

    #[test]
    fn names_comments_groups_and_quotes() {
        assert_eq!(
            list("\"Doe, John\" <john@example.com>, ann@example.com (Ann, really), <bob@x>"),
            vec!["john@example.com", "ann@example.com", "bob@x"]
        );
        assert_eq!(
            list("team: a@x, B <b@y>;, undisclosed-recipients:;, c@z"),
            vec!["a@x", "b@y", "c@z"]
        );
        assert_eq!(
            list("(lead (nested) comment) \"odd \\\"local\"@example.com"),
            vec!["\"odd \\\"local\"@example.com"]
        );
        assert_eq!(
            list("Ann <@relay.example:ann@example.com>"),
            vec!["ann@example.com"]
        );
        assert_eq!(list("john @ example.com"), vec!["john@example.com"]);
        assert_eq!(list(" , ,"), Vec::<String>::new());
        assert_eq!(
            list("=?UTF-8?B?w6lsaXNl?= <elise@example.com>"),
            vec!["elise@example.com"]
        );
        assert_eq!(list("Ann: not a group <ann@x>"), vec!["ann@x"]);
        assert_eq!(list("undisclosed recipients:;"), Vec::<String>::new());
        assert_eq!(
            list("\"Ann Lee\"@x, a . b @ c"),
            vec!["\"Ann Lee\"@x", "a.b@c"]
        );
    }

    #[test]
    fn malformed_lists_are_usage_errors() {
        for bad in ["(open", "\"open", "<a@b", "a@b>", "<<a@b>>", "a\u{7}b@c"] {
            let e = parse_list(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Usage, "{bad:?}");
        }
    }

    /// Issue 15, item 2: bare local names get the domain, display names and comments stay.
    #[test]
    fn qualification() {
        let q = |v: &str| qualify_list(v, "example.com").unwrap();
        assert_eq!(
            q("root, Cron Daemon <cron>, a@b, \"x, y\" <ops>").as_deref(),
            Some(
                "root@example.com, Cron Daemon <cron@example.com>, a@b, \"x, y\" <ops@example.com>"
            )
        );
        assert_eq!(q("a@b, C <c@d>"), None);
        assert_eq!(q("team: root;"), None, "groups are left as written");
        assert_eq!(q(" root (the admin)").as_deref(), Some(" root@example.com"));
        assert!(has_domain("a@b") && !has_domain("root") && !has_domain("\"a@b\""));
    }

    #[test]
    fn command_line_mailboxes() {
        assert_eq!(mailbox("Ann <ann@x>", "--from").unwrap(), "ann@x");
        assert_eq!(mailbox("ann@x", "--to").unwrap(), "ann@x");
        for bad in ["a@x\r\nRCPT TO:<b@y>", "a@x, b@y", "", "a b@x"] {
            assert_eq!(
                mailbox(bad, "--to").unwrap_err().kind(),
                crate::ErrorKind::Usage,
                "{bad:?}"
            );
        }
    }
}
