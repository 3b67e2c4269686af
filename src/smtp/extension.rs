//! What the server's EHLO reply announced (RFC 5321 §4.1.1.1), parsed once into [`ServerInfo`].
//!
//! Keywords are case-insensitive. Understood: SIZE (RFC 1870; `SIZE` alone or `SIZE 0` means no fixed
//! limit), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), PIPELINING (RFC 2920), STARTTLS (RFC 3207), AUTH
//! (RFC 4954), including the pre-standard `AUTH=PLAIN LOGIN` form some servers still send, and
//! ENHANCEDSTATUSCODES (RFC 2034), DSN (RFC 3461). Everything else is ignored. A server answering HELO only (the RFC 821
//! fallback) announces nothing: [`ServerInfo::default`].

use super::reply::Reply;

/// The most lines an EHLO reply may have: servers announce a dozen extensions; a reply of thousands of
/// lines is a server trying to make the client hold them (exit 9).
pub const MAX_EHLO_LINES: usize = 1000;

/// The extensions a server announced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerInfo {
    /// The domain the server named in the first line.
    pub domain: String,
    /// SIZE: `Some(0)` when announced without a fixed limit, `Some(n)` for a limit of n octets.
    pub size: Option<u64>,
    /// 8BITMIME.
    pub eightbitmime: bool,
    /// SMTPUTF8.
    pub smtputf8: bool,
    /// PIPELINING.
    pub pipelining: bool,
    /// STARTTLS.
    pub starttls: bool,
    /// ENHANCEDSTATUSCODES.
    pub enhanced_status_codes: bool,
    /// DSN (RFC 3461).
    pub dsn: bool,
    /// SASL mechanisms from AUTH (and AUTH=) lines, upper-cased, each once, in the server's order.
    pub auth: Vec<String>,
}

impl ServerInfo {
    /// Parses a 250 reply to EHLO.
    pub fn from_ehlo(reply: &Reply) -> ServerInfo {
        let mut info = ServerInfo {
            domain: reply
                .first()
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_string(),
            ..ServerInfo::default()
        };
        for line in reply.lines.iter().skip(1) {
            info.feed(line);
        }
        info
    }

    fn feed(&mut self, line: &str) {
        let line = line.trim();
        let (keyword, params) = match line.find([' ', '=']) {
            Some(i) => (&line[..i], line[i + 1..].trim()),
            None => (line, ""),
        };
        match keyword.to_ascii_uppercase().as_str() {
            "SIZE" => {
                // A limit we cannot parse (junk, or more than u64) is treated as "no fixed limit": the
                // server still enforces its own, and the reply to MAIL or DATA tells.
                self.size = Some(params.parse::<u64>().unwrap_or(0));
            }
            "8BITMIME" => self.eightbitmime = true,
            "SMTPUTF8" => self.smtputf8 = true,
            "PIPELINING" => self.pipelining = true,
            "STARTTLS" => self.starttls = true,
            "ENHANCEDSTATUSCODES" => self.enhanced_status_codes = true,
            "DSN" => self.dsn = true,
            "AUTH" => {
                for mech in params.split_whitespace() {
                    let mech = mech.to_ascii_uppercase();
                    if mech.len() <= 64 && !self.auth.contains(&mech) && self.auth.len() < 64 {
                        self.auth.push(mech);
                    }
                }
            }
            _ => {}
        }
    }

    /// The SIZE limit in octets, when the server announced a fixed one.
    pub fn size_limit(&self) -> Option<u64> {
        self.size.filter(|&n| n > 0)
    }

    /// The AUTH mechanisms as string slices (for `sasl::choose`).
    pub fn auth_names(&self) -> Vec<&str> {
        self.auth.iter().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(lines: &[&str]) -> Reply {
        Reply {
            code: 250,
            lines: lines.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn postfix_style_ehlo() {
        let info = ServerInfo::from_ehlo(&reply(&[
            "mx.example.com",
            "PIPELINING",
            "SIZE 10240000",
            "ETRN",
            "STARTTLS",
            "AUTH PLAIN LOGIN",
            "AUTH=PLAIN LOGIN",
            "ENHANCEDSTATUSCODES",
            "8BITMIME",
            "SMTPUTF8",
            "DSN",
        ]));
        assert_eq!(info.domain, "mx.example.com");
        assert_eq!(info.size_limit(), Some(10_240_000));
        assert!(info.pipelining && info.starttls && info.eightbitmime && info.smtputf8 && info.dsn);
        assert_eq!(info.auth, vec!["PLAIN", "LOGIN"]);
    }

    #[test]
    fn old_style_auth_and_sizes() {
        let info = ServerInfo::from_ehlo(&reply(&["h", "auth=login cram-md5", "size"]));
        assert_eq!(info.auth, vec!["LOGIN", "CRAM-MD5"]);
        assert_eq!((info.size, info.size_limit()), (Some(0), None));
        let info = ServerInfo::from_ehlo(&reply(&["h", "SIZE 99999999999999999999999"]));
        assert_eq!(info.size_limit(), None);
        let info = ServerInfo::from_ehlo(&reply(&["h greets you"]));
        assert_eq!(
            info,
            ServerInfo {
                domain: "h".into(),
                ..ServerInfo::default()
            }
        );
    }
}
