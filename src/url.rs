//! Target URLs: `SCHEME://[USER[:PASS]@]HOST[:PORT][/PATH]`.
//!
//! Owns scheme recognition, default ports, implicit-TLS schemes, IPv6 literals and percent-decoding of user,
//! password and path. A decoded CR, LF or NUL anywhere is a usage error before any connection is made, so no
//! URL can smuggle a second command onto a control connection. FTP paths follow RFC 1738 §3.2.2: relative to
//! the login directory, with a leading `%2F` (or an empty first segment, `ftp://h//etc`) making them absolute.
//! It does not resolve names or open anything.

use std::fmt;

use percent_encoding::percent_decode_str;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// The protocol a scheme speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// RFC 959 (and 2228/4217 for TLS).
    Ftp,
    /// RFC 5321 submission (RFC 6409), RFC 8314 for implicit TLS.
    Smtp,
    /// RFC 1939.
    Pop3,
    /// RFC 3501 / 9051.
    Imap,
}

/// The URL schemes ferry accepts; each row of [`SCHEMES`] describes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `ftp://`, port 21.
    Ftp,
    /// `ftps://`, port 990, implicit TLS.
    Ftps,
    /// `smtp://`, port 587.
    Smtp,
    /// `smtps://`, port 465, implicit TLS.
    Smtps,
    /// `pop3://`, port 110.
    Pop3,
    /// `pop3s://`, port 995, implicit TLS.
    Pop3s,
    /// `imap://`, port 143.
    Imap,
    /// `imaps://`, port 993, implicit TLS.
    Imaps,
}

/// One scheme's facts.
#[derive(Debug, Clone, Copy)]
pub struct SchemeInfo {
    /// The scheme.
    pub scheme: Scheme,
    /// Its name in URLs.
    pub name: &'static str,
    /// The port when the URL names none.
    pub default_port: u16,
    /// TLS starts before the first protocol byte (RFC 8314 §3 and its FTP/POP3/IMAP equivalents).
    pub implicit_tls: bool,
    /// The protocol spoken.
    pub protocol: Protocol,
}

/// Every scheme: a new protocol (or TLS flavour) is one row here plus its [`Scheme`] variant.
pub const SCHEMES: &[SchemeInfo] = &[
    row(Scheme::Ftp, "ftp", 21, false, Protocol::Ftp),
    row(Scheme::Ftps, "ftps", 990, true, Protocol::Ftp),
    row(Scheme::Smtp, "smtp", 587, false, Protocol::Smtp),
    row(Scheme::Smtps, "smtps", 465, true, Protocol::Smtp),
    row(Scheme::Pop3, "pop3", 110, false, Protocol::Pop3),
    row(Scheme::Pop3s, "pop3s", 995, true, Protocol::Pop3),
    row(Scheme::Imap, "imap", 143, false, Protocol::Imap),
    row(Scheme::Imaps, "imaps", 993, true, Protocol::Imap),
];

const fn row(
    scheme: Scheme,
    name: &'static str,
    default_port: u16,
    implicit_tls: bool,
    protocol: Protocol,
) -> SchemeInfo {
    SchemeInfo {
        scheme,
        name,
        default_port,
        implicit_tls,
        protocol,
    }
}

impl Scheme {
    /// Parses a scheme name (case-insensitive).
    pub fn parse(name: &str) -> Option<Scheme> {
        SCHEMES
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
            .map(|r| r.scheme)
    }

    /// This scheme's row of [`SCHEMES`].
    pub fn info(self) -> &'static SchemeInfo {
        // The table lists every variant; the fallback row is never reached.
        SCHEMES
            .iter()
            .find(|r| r.scheme == self)
            .unwrap_or(&SCHEMES[0])
    }

    /// The scheme's name as written in URLs.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The default port.
    pub fn default_port(self) -> u16 {
        self.info().default_port
    }

    /// Whether TLS starts before the first protocol byte.
    pub fn implicit_tls(self) -> bool {
        self.info().implicit_tls
    }

    /// The protocol this scheme speaks.
    pub fn protocol(self) -> Protocol {
        self.info().protocol
    }

    /// Whether this is one of the FTP schemes.
    pub fn is_ftp(self) -> bool {
        self.protocol() == Protocol::Ftp
    }
}

/// `input` with the characters the WHATWG URL parser (the `url` crate) would silently change inside a
/// URL made literal by percent-encoding: a backslash, which it reads as `/` in an `ftp:` URL (so
/// `ftp-rm 'ftp://h/d\*'`, meant for a file named `d*`, named every file in `d/`), and a tab, which it
/// drops (`a<TAB>b` named `ab`). curl sends both as they are; here they stay part of the name they
/// were typed in. (Leading and trailing spaces are still trimmed, as a pasted URL's usually are.)
fn literal(input: &str) -> std::borrow::Cow<'_, str> {
    if !input.contains(['\\', '\t']) {
        return std::borrow::Cow::Borrowed(input);
    }
    std::borrow::Cow::Owned(input.replace('\\', "%5C").replace('\t', "%09"))
}

/// A parsed, decoded target.
#[derive(Clone)]
pub struct Target {
    /// The protocol.
    pub scheme: Scheme,
    /// Host name or IP address, without IPv6 brackets.
    pub host: String,
    /// Port, the scheme's default when none was given.
    pub port: u16,
    /// Decoded user name from the URL, if any.
    pub user: Option<String>,
    /// Decoded password from the URL, if any.
    pub password: Option<Secret>,
    /// Decoded path. For FTP: relative to the login directory unless it starts with `/`; empty for the
    /// login directory itself. Keeps a trailing `/` when the URL had one.
    pub path: String,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("scheme", &self.scheme)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("path", &self.path)
            .finish()
    }
}

impl Target {
    /// Parses and decodes `input`. `allowed` lists the schemes the calling tool speaks.
    pub fn parse(input: &str, allowed: &[Scheme]) -> Result<Target> {
        let bad =
            |why: &str| Error::usage(format!("bad URL {}: {why}", crate::terminal::escape(input)));
        if input.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(bad("control characters are not allowed"));
        }
        let parsed = url::Url::parse(&literal(input)).map_err(|e| bad(&e.to_string()))?;
        let scheme = Scheme::parse(parsed.scheme()).ok_or_else(|| bad("unknown scheme"))?;
        if !allowed.contains(&scheme) {
            let names: Vec<&str> = allowed.iter().map(|s| s.name()).collect();
            return Err(bad(&format!("scheme must be one of {}", names.join(", "))));
        }
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_string(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            _ => return Err(bad("no host")),
        };
        let port = parsed.port().unwrap_or(scheme.default_port());
        let decode = |part: &str, what: &str| -> Result<String> {
            let text = percent_decode_str(part)
                .decode_utf8()
                .map_err(|_| bad(&format!("{what} is not UTF-8")))?;
            if text.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
                return Err(bad(&format!("{what} contains CR, LF or NUL")));
            }
            Ok(text.into_owned())
        };
        let user = match parsed.username() {
            "" => None,
            u => Some(decode(u, "user")?),
        };
        let password = match parsed.password() {
            None => None,
            Some(p) => Some(Secret::new(decode(p, "password")?)),
        };
        let raw_path = parsed.path();
        let path = if scheme.is_ftp() {
            ftp_path(raw_path, &decode)?
        } else {
            decode(raw_path.trim_start_matches('/'), "path")?
        };
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(bad("query strings and fragments are not supported"));
        }
        Ok(Target {
            scheme,
            host,
            port,
            user,
            password,
            path,
        })
    }

    /// `host:port` as used to connect, with IPv6 brackets.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The URL again without its password, for messages and JSON. The path is written so that parsing
    /// the URL again names the same path ([`url_path`]).
    pub fn display(&self) -> String {
        let user = match &self.user {
            Some(u) => format!(
                "{}@",
                percent_encoding::utf8_percent_encode(u, percent_encoding::NON_ALPHANUMERIC)
            ),
            None => String::new(),
        };
        let path = match self.path.strip_prefix('/') {
            Some(rest) => format!("/%2F{}", url_path(rest)),
            None => format!("/{}", url_path(&self.path)),
        };
        format!(
            "{}://{}{}{}",
            self.scheme.name(),
            user,
            self.authority(),
            path
        )
    }

    /// The same target with another path.
    pub fn with_path(&self, path: String) -> Target {
        Target {
            path,
            ..self.clone()
        }
    }
}

/// `path` as a URL writes it: the characters a URL parser would read as something else (`%` as an
/// escape, `#` and `?` as the fragment and query, `\` as `/`), drop (controls, a trailing space) or
/// refuse, percent-encoded (the WHATWG path set with `%` and `\`); every other character as it is,
/// non-ASCII included, so a message stays readable and a URL taken from `--json` names the same file
/// (`odd/#1` is `odd/%231`, `100%` is `100%25`). A path that is only `.` or `..` stays as it is (a
/// parser reads it as the login directory).
fn url_path(path: &str) -> String {
    let dot = |s: &str| matches!(s, "." | "..");
    let segments: Vec<&str> = path.split('/').collect();
    let mut out = String::with_capacity(path.len());
    for (i, seg) in segments.iter().enumerate() {
        if let Some(before) = i.checked_sub(1).and_then(|b| segments.get(b)) {
            // A parser resolves a `.` or `..` segment away: the slash joining one to its neighbour is
            // encoded, so the parser sees one segment that is neither (`a/./b` is `a%2F.%2Fb`).
            out.push_str(if dot(before) || dot(seg) { "%2F" } else { "/" });
        }
        for c in seg.chars() {
            if c.is_control()
                || matches!(
                    c,
                    ' ' | '"' | '#' | '%' | '<' | '>' | '?' | '`' | '{' | '}' | '\\'
                )
            {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            } else {
                out.push(c);
            }
        }
    }
    out
}

/// RFC 1738: `/a/b` is `a/b` relative to the login directory; `/%2Fa/b` and `//a/b` are `/a/b`.
fn ftp_path(raw: &str, decode: &dyn Fn(&str, &str) -> Result<String>) -> Result<String> {
    let rest = raw.strip_prefix('/').unwrap_or(raw);
    let absolute =
        rest.starts_with('/') || rest.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("%2f"));
    let decoded = decode(rest, "path")?;
    if absolute {
        Ok(format!("/{}", decoded.trim_start_matches('/')))
    } else {
        Ok(decoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FTP: &[Scheme] = &[Scheme::Ftp, Scheme::Ftps];

    #[test]
    fn a_backslash_or_tab_is_part_of_the_name_not_a_slash_or_nothing() {
        // The WHATWG parser reads `\` as `/` in ftp: URLs: `d\*` was `d/*`, every file in d.
        let t = Target::parse("ftp://h/d\\*", FTP).unwrap();
        assert_eq!(t.path, "d\\*");
        let t = Target::parse("ftp://bob:p\\w@h/a\tb", FTP).unwrap();
        assert_eq!((t.host.as_str(), t.path.as_str()), ("h", "a\tb"));
        assert_eq!(t.password.as_ref().unwrap().expose(), "p\\w");
    }

    #[test]
    fn a_displayed_url_parses_back_to_the_same_path() {
        for path in [
            "odd/#hash",
            "odd/?q",
            "odd/%41pct",
            "odd/  lead",
            "odd/trail  ",
            "odd/back\\slash",
            "odd/tab\tx",
            "odd/caf\u{e9} <\"{`}>",
            "odd/[br]*",
            "/abs/100%",
            "./2E#1",
            "a/./b/../c/.",
            "../x",
            "a//b",
        ] {
            let t = Target::parse("ftp://bob@h/", FTP)
                .unwrap()
                .with_path(path.to_string());
            let shown = t.display();
            let back = Target::parse(&shown, FTP).unwrap();
            assert_eq!(back.path, path, "{shown}");
        }
        let t = Target::parse("ftp://h/", FTP).unwrap();
        assert_eq!(
            t.with_path("d/#1 caf\u{e9}".into()).display(),
            "ftp://h:21/d/%231%20caf\u{e9}"
        );
    }

    #[test]
    fn defaults_and_decoding() {
        let t = Target::parse("ftp://bob%40corp:p%3Ass@example.com/pub/a%20b.csv", FTP).unwrap();
        assert_eq!(t.host, "example.com");
        assert_eq!(t.port, 21);
        assert_eq!(t.user.as_deref(), Some("bob@corp"));
        assert_eq!(t.password.as_ref().unwrap().expose(), "p:ss");
        assert_eq!(t.path, "pub/a b.csv");
        let t = Target::parse("ftps://[::1]:2121/", FTP).unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("::1", 2121, "")
        );
        assert!(t.scheme.implicit_tls());
        assert_eq!(t.authority(), "[::1]:2121");
    }

    #[test]
    fn absolute_ftp_paths() {
        assert_eq!(
            Target::parse("ftp://h/%2Fetc/x", FTP).unwrap().path,
            "/etc/x"
        );
        assert_eq!(Target::parse("ftp://h//etc/x", FTP).unwrap().path, "/etc/x");
        assert_eq!(Target::parse("ftp://h/dir/", FTP).unwrap().path, "dir/");
    }

    #[test]
    fn control_characters_are_usage_errors() {
        for bad in [
            "ftp://h/a%0d%0aDELE%20x",
            "ftp://u%0a@h/",
            "ftp://u:p%00@h/",
            "http://h/",
            "ftp://:21/x",
            "not a url",
        ] {
            let e = Target::parse(bad, FTP).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Usage, "{bad}");
        }
    }

    #[test]
    fn display_hides_the_password() {
        let t = Target::parse("ftp://u:secret@h/%2Fabs", FTP).unwrap();
        assert_eq!(t.display(), "ftp://u@h:21/%2Fabs");
        assert!(!format!("{t:?}").contains("secret"));
    }

    #[test]
    fn every_scheme_has_one_row() {
        let all = [
            Scheme::Ftp,
            Scheme::Ftps,
            Scheme::Smtp,
            Scheme::Smtps,
            Scheme::Pop3,
            Scheme::Pop3s,
            Scheme::Imap,
            Scheme::Imaps,
        ];
        assert_eq!(SCHEMES.len(), all.len());
        for s in all {
            assert_eq!(SCHEMES.iter().filter(|r| r.scheme == s).count(), 1, "{s:?}");
            assert_eq!(Scheme::parse(&s.name().to_uppercase()), Some(s));
        }
        assert_eq!(Scheme::Pop3s.default_port(), 995);
        assert!(Scheme::Imaps.implicit_tls() && !Scheme::Smtp.implicit_tls());
        assert_eq!(Scheme::Ftps.protocol(), Protocol::Ftp);
    }

    #[test]
    fn a_multibyte_character_at_the_start_of_a_path_is_not_sliced() {
        let t = Target::parse("ftp://h/a\u{e9}b", &[Scheme::Ftp]).unwrap();
        assert_eq!(t.path, "a\u{e9}b");
        let t = Target::parse("ftp://h/\u{e9}\u{e9}", &[Scheme::Ftp]).unwrap();
        assert_eq!(t.path, "\u{e9}\u{e9}");
    }
}
