//! Proxies: which one a connection goes through, and the two tunnel handshakes.
//!
//! [`Proxy::parse`] reads a proxy URL as curl does: `socks5h://` (the proxy resolves the host name: no DNS
//! query leaves this machine), `socks5://` (the name is resolved here and the proxy gets an address),
//! `http://` or no scheme (HTTP CONNECT, RFC 9110 §9.3.6); user and password in the URL authenticate to
//! the proxy (RFC 1929 for SOCKS5, Basic for HTTP). [`ProxyOptions::for_target`] picks the proxy for one
//! URL: `--proxy` first, else the environment — `<scheme>_proxy`, then `<SCHEME>_PROXY` (the variable
//! named after the URL's scheme: `ftp_proxy` for ftp://, `ftps_proxy` for ftps://, `imaps_proxy` for
//! imaps://…), then `all_proxy`, then `ALL_PROXY` — unless `--noproxy` (or, without it, `no_proxy` /
//! `NO_PROXY`) lists the host. `--proxy ''` turns proxies off.
//!
//! The handshakes run on the socket [`crate::transport`] connected to the proxy, within the
//! `--connect-timeout` deadline it passes. Replies are read exactly (SOCKS5 by its length fields, HTTP
//! byte by byte up to the blank line, at most [`HTTP_HEAD_CAP`] bytes), so no byte of the origin server's
//! greeting is consumed here. TLS then runs over the tunnel, verified against the origin's name.
//! What this module does not do: HTTPS proxies (TLS to the proxy), SOCKS4, proxy chains.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;

/// The most bytes an HTTP proxy's reply to CONNECT may take, status line and headers together.
pub const HTTP_HEAD_CAP: usize = 16 * 1024;

/// The handshake a proxy speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    /// SOCKS5 (RFC 1928); `remote_dns`: the proxy resolves the host name (`socks5h://`).
    Socks5 {
        /// Send the host name, not an address.
        remote_dns: bool,
    },
    /// HTTP CONNECT.
    Http,
}

/// One proxy, from a proxy URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// The handshake.
    pub kind: ProxyKind,
    /// The proxy's host name or address (IPv6 without brackets).
    pub host: String,
    /// The proxy's port (1080 when the URL names none, as curl).
    pub port: u16,
    /// User and password for the proxy.
    pub auth: Option<(String, Secret)>,
}

impl Proxy {
    /// Parses a proxy URL; anything else is a usage error naming `origin` (`--proxy`, `ALL_PROXY`…).
    pub fn parse(input: &str, origin: &str) -> Result<Proxy> {
        let bad = |why: &str| {
            Error::usage(format!(
                "{origin}: {why}: {}",
                crate::terminal::escape(input)
            ))
        };
        let with_scheme = if input.contains("://") {
            input.to_string()
        } else {
            format!("http://{input}")
        };
        let url = url::Url::parse(&with_scheme).map_err(|_| bad("not a proxy URL"))?;
        let kind = match url.scheme() {
            "socks5h" => ProxyKind::Socks5 { remote_dns: true },
            "socks5" => ProxyKind::Socks5 { remote_dns: false },
            "http" => ProxyKind::Http,
            _ => {
                return Err(bad(
                    "unsupported proxy scheme (use socks5h://, socks5:// or http://)",
                ));
            }
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_string(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            _ => return Err(bad("no proxy host")),
        };
        if !matches!(url.path(), "" | "/") || url.query().is_some() {
            return Err(bad("a proxy URL has no path"));
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| bad("user or password is not UTF-8"))
        };
        let auth = if url.username().is_empty() {
            None
        } else {
            let user = decode(url.username())?;
            let pass = decode(url.password().unwrap_or(""))?;
            if user.len() > 255 || pass.len() > 255 {
                return Err(bad("user and password are at most 255 bytes each"));
            }
            if user.contains([':', '\r', '\n', '\0']) || pass.contains(['\r', '\n', '\0']) {
                return Err(bad("control character or ':' in the proxy user"));
            }
            Some((user, Secret::new(pass)))
        };
        Ok(Proxy {
            kind,
            host,
            port: url.port().unwrap_or(1080),
            auth,
        })
    }

    /// `socks5h://host:port` without credentials, for the transcript and messages.
    pub fn describe(&self) -> String {
        let scheme = match self.kind {
            ProxyKind::Socks5 { remote_dns: true } => "socks5h",
            ProxyKind::Socks5 { remote_dns: false } => "socks5",
            ProxyKind::Http => "http",
        };
        format!("{scheme}://{}", authority(&self.host, self.port))
    }

    /// Asks the proxy, over `tcp`, for a tunnel to `host:port` by `deadline`. `resolve` turns a host name
    /// into an address when the proxy wants one (`socks5://`).
    pub fn tunnel(
        &self,
        tcp: &mut TcpStream,
        host: &str,
        port: u16,
        deadline: Instant,
        resolve: impl FnOnce(&str, u16) -> Result<SocketAddr>,
    ) -> Result<()> {
        let mut io = Timed { tcp, deadline };
        let r = match self.kind {
            ProxyKind::Socks5 { remote_dns } => {
                let dest = match host.parse::<IpAddr>() {
                    Ok(ip) => Dest::Ip(ip),
                    Err(_) if remote_dns => Dest::Name(host),
                    Err(_) => Dest::Ip(resolve(host, port)?.ip()),
                };
                socks5(&mut io, self.auth.as_ref(), &dest, port)
            }
            ProxyKind::Http => http_connect(&mut io, self.auth.as_ref(), host, port),
        };
        let r = r.map_err(|e| e.within(format!("proxy {}", self.describe())));
        // The socket is the session's now: its waits are set by whoever reads next.
        let _ = io.tcp.set_read_timeout(None);
        let _ = io.tcp.set_write_timeout(None);
        r
    }
}

/// `host:port`, with brackets around an IPv6 address.
fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A socket whose every read and write ends by one deadline.
struct Timed<'a> {
    tcp: &'a mut TcpStream,
    deadline: Instant,
}

impl Timed<'_> {
    fn left(&self) -> Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timed_out());
        }
        Ok(left)
    }

    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        let left = self.left()?;
        self.tcp
            .set_write_timeout(Some(left))
            .and_then(|_| self.tcp.write_all(bytes))
            .and_then(|_| self.tcp.flush())
            .map_err(|e| match io_kind(&e) {
                ErrorKind::Timeout => timed_out(),
                kind => Error::network("sending the handshake", e).with_kind(kind),
            })
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<()> {
        let mut got = 0;
        while got < buf.len() {
            let left = self.left()?;
            self.tcp
                .set_read_timeout(Some(left))
                .map_err(|e| Error::network("socket", e))?;
            match self.tcp.read(&mut buf[got..]) {
                Ok(0) => {
                    return Err(Error::new(
                        ErrorKind::Connect,
                        "the proxy closed the connection during the handshake",
                    ));
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(match io_kind(&e) {
                        ErrorKind::Timeout => timed_out(),
                        kind => Error::network("reading the handshake", e).with_kind(kind),
                    });
                }
            }
        }
        Ok(())
    }
}

fn timed_out() -> Error {
    Error::new(
        ErrorKind::Timeout,
        "handshake: timed out (--connect-timeout)",
    )
}

/// A failed handshake is a connect failure (exit 3), a slow one a timeout (exit 11).
fn io_kind(e: &std::io::Error) -> ErrorKind {
    match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => ErrorKind::Timeout,
        _ => ErrorKind::Connect,
    }
}

enum Dest<'a> {
    Ip(IpAddr),
    Name(&'a str),
}

/// RFC 1928 §3-6 with RFC 1929 username/password authentication.
fn socks5(io: &mut Timed, auth: Option<&(String, Secret)>, dest: &Dest, port: u16) -> Result<()> {
    io.send(if auth.is_some() {
        &[5, 2, 0, 2]
    } else {
        &[5, 1, 0]
    })?;
    let mut reply = [0u8; 2];
    io.recv(&mut reply)?;
    if reply[0] != 5 {
        return Err(Error::protocol(
            "not a SOCKS5 proxy (its reply is not version 5)",
        ));
    }
    match (reply[1], auth) {
        (0, _) => {}
        (2, Some((user, pass))) => {
            let mut msg = vec![1, user.len() as u8];
            msg.extend_from_slice(user.as_bytes());
            msg.push(pass.expose().len() as u8);
            msg.extend_from_slice(pass.expose().as_bytes());
            io.send(&msg)?;
            io.recv(&mut reply)?;
            if reply[1] != 0 {
                return Err(Error::new(
                    ErrorKind::Auth,
                    "the proxy refused the user and password",
                ));
            }
        }
        (0xff | 2, _) => {
            return Err(Error::new(
                ErrorKind::Auth,
                if auth.is_some() {
                    "the proxy accepts none of our authentication methods"
                } else {
                    "the proxy requires a user and password (socks5h://USER:PASSWORD@HOST)"
                },
            ));
        }
        (m, _) => {
            return Err(Error::protocol(format!(
                "the proxy chose a method we did not offer ({m})"
            )));
        }
    }
    let mut req = vec![5, 1, 0];
    match dest {
        Dest::Ip(IpAddr::V4(a)) => {
            req.push(1);
            req.extend_from_slice(&a.octets());
        }
        Dest::Ip(IpAddr::V6(a)) => {
            req.push(4);
            req.extend_from_slice(&a.octets());
        }
        Dest::Name(n) => {
            let len = u8::try_from(n.len()).map_err(|_| {
                Error::usage("a host name longer than 255 bytes cannot go through SOCKS5")
            })?;
            req.push(3);
            req.push(len);
            req.extend_from_slice(n.as_bytes());
        }
    }
    req.extend_from_slice(&port.to_be_bytes());
    io.send(&req)?;
    let mut head = [0u8; 4];
    io.recv(&mut head)?;
    if head[0] != 5 {
        return Err(Error::protocol("malformed SOCKS5 reply"));
    }
    if head[1] != 0 {
        let why = match head[1] {
            1 => "general failure",
            2 => "not allowed by its rules",
            3 => "network unreachable",
            4 => "host unreachable",
            5 => "connection refused",
            6 => "TTL expired",
            7 => "command not supported",
            8 => "address type not supported",
            _ => "unknown error",
        };
        return Err(Error::new(
            ErrorKind::Connect,
            format!(
                "the proxy could not connect: {why} (SOCKS5 reply {})",
                head[1]
            ),
        ));
    }
    // The bound address: read exactly, so that nothing after it is taken from the tunnel.
    let rest = match head[3] {
        1 => 4 + 2,
        4 => 16 + 2,
        3 => {
            let mut len = [0u8; 1];
            io.recv(&mut len)?;
            usize::from(len[0]) + 2
        }
        _ => return Err(Error::protocol("malformed SOCKS5 reply (address type)")),
    };
    let mut skip = [0u8; 257];
    io.recv(&mut skip[..rest])
}

/// HTTP CONNECT (RFC 9110 §9.3.6): a 2xx opens the tunnel; the reply head is read byte by byte so that
/// nothing past its blank line is consumed.
fn http_connect(
    io: &mut Timed,
    auth: Option<&(String, Secret)>,
    host: &str,
    port: u16,
) -> Result<()> {
    let target = authority(host, port);
    let mut req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some((user, pass)) = auth {
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", pass.expose()));
        req.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    req.push_str("\r\n");
    io.send(req.as_bytes())?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        if head.len() >= HTTP_HEAD_CAP {
            return Err(Error::protocol(format!(
                "the proxy's reply to CONNECT is longer than {HTTP_HEAD_CAP} bytes"
            )));
        }
        io.recv(&mut byte)?;
        head.push(byte[0]);
    }
    let status = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let status = String::from_utf8_lossy(status);
    let status = status.trim_end();
    let mut words = status.split(' ');
    let code = match (words.next(), words.next()) {
        (Some(v), Some(c)) if v.starts_with("HTTP/1.") => c.parse::<u16>().ok(),
        _ => None,
    };
    let shown = crate::terminal::escape(status);
    match code {
        Some(200..=299) => Ok(()),
        // 407 is the standard answer; tinyproxy says 401.
        Some(401 | 407) => Err(Error::new(
            ErrorKind::Auth,
            match auth {
                Some(_) => format!("the proxy refused the user and password: {shown}"),
                None => format!(
                    "the proxy wants a user and password (http://USER:PASSWORD@HOST): {shown}"
                ),
            },
        )),
        Some(_) => Err(Error::new(
            ErrorKind::Connect,
            format!("the proxy refused the tunnel: {shown}"),
        )),
        None => Err(Error::protocol(format!("not an HTTP proxy reply: {shown}"))),
    }
}

/// A `no_proxy` list (curl's rules): `*` matches every host; a name matches itself and its subdomains
/// (a leading dot is ignored: `example.com` and `.example.com` both match `ftp.example.com`); an
/// address matches itself, a CIDR block (`10.0.0.0/8`, `fd00::/8`) the addresses in it. Names compare
/// without case. Entries are separated by commas and/or spaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    entries: Vec<String>,
}

impl NoProxy {
    /// Parses a list.
    pub fn parse(list: &str) -> NoProxy {
        NoProxy {
            entries: list
                .split([',', ' ', '\t'])
                .map(|e| e.trim().trim_start_matches('.').to_ascii_lowercase())
                .map(|e| {
                    e.strip_prefix('[')
                        .and_then(|e| e.split_once(']'))
                        .map(|(ip, rest)| format!("{ip}{rest}"))
                        .unwrap_or(e)
                })
                .filter(|e| !e.is_empty())
                .collect(),
        }
    }

    /// Whether connections to `host` go direct.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let ip = host.parse::<IpAddr>().ok();
        self.entries.iter().any(|entry| {
            if entry == "*" {
                return true;
            }
            if let Some(ip) = ip {
                return match entry.split_once('/') {
                    Some((net, bits)) => in_cidr(ip, net, bits),
                    None => entry.parse::<IpAddr>().is_ok_and(|e| e == ip),
                };
            }
            let entry = entry.trim_end_matches('.');
            host == entry
                || host
                    .strip_suffix(entry)
                    .is_some_and(|head| head.ends_with('.'))
        })
    }
}

fn in_cidr(ip: IpAddr, net: &str, bits: &str) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    let (a, b, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            (u128::from(u32::from(a)), u128::from(u32::from(b)), 32u32)
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    if bits > width {
        return false;
    }
    let shift = width - bits;
    a.checked_shr(shift).unwrap_or(0) == b.checked_shr(shift).unwrap_or(0)
}

/// How the user chose proxies: the flags, and a snapshot of the proxy variables.
#[derive(Debug, Clone, Default)]
pub struct ProxyOptions {
    /// `--proxy URL` (`Some(None)`: `--proxy ''`, no proxy at all).
    pub proxy: Option<Option<Proxy>>,
    /// `--noproxy LIST`, which replaces `no_proxy`.
    pub no_proxy: Option<NoProxy>,
    /// The proxy variables that were set (name, value): `*_proxy`, `*_PROXY`.
    pub env: Vec<(String, String)>,
}

impl ProxyOptions {
    /// The proxy variables of this process's environment.
    pub fn env_snapshot() -> Vec<(String, String)> {
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| k.to_ascii_lowercase().ends_with("_proxy"))
            .collect()
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The proxy for a URL of `scheme` (its name: `ftp`, `imaps`…) to `host`; `None`: connect directly.
    pub fn for_target(&self, scheme: &str, host: &str) -> Result<Option<Proxy>> {
        let chosen = match &self.proxy {
            Some(None) => return Ok(None),
            Some(Some(p)) => Some(p.clone()),
            None => {
                let lower = format!("{scheme}_proxy");
                let upper = lower.to_ascii_uppercase();
                [lower.as_str(), upper.as_str(), "all_proxy", "ALL_PROXY"]
                    .into_iter()
                    .find_map(|name| self.var(name).filter(|v| !v.is_empty()).map(|v| (name, v)))
                    .map(|(name, v)| Proxy::parse(v, name))
                    .transpose()?
            }
        };
        let Some(proxy) = chosen else {
            return Ok(None);
        };
        let no_proxy = match &self.no_proxy {
            Some(list) => list.clone(),
            None => NoProxy::parse(
                self.var("no_proxy")
                    .or_else(|| self.var("NO_PROXY"))
                    .unwrap_or(""),
            ),
        };
        Ok((!no_proxy.matches(host)).then_some(proxy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_parse_like_curl() {
        let p = Proxy::parse("socks5h://ann:p%40ss@proxy.example:9050", "--proxy").unwrap();
        assert_eq!(p.kind, ProxyKind::Socks5 { remote_dns: true });
        assert_eq!((p.host.as_str(), p.port), ("proxy.example", 9050));
        let (user, pass) = p.auth.unwrap();
        assert_eq!((user.as_str(), pass.expose()), ("ann", "p@ss"));
        let p = Proxy::parse("proxy.example", "--proxy").unwrap();
        assert_eq!((p.kind, p.port, p.auth), (ProxyKind::Http, 1080, None));
        let p = Proxy::parse("socks5://[::1]:1", "--proxy").unwrap();
        assert_eq!(p.host, "::1");
        assert_eq!(p.describe(), "socks5://[::1]:1");
        for bad in ["https://p:1", "socks4://p", "http://p/path", "http://"] {
            let e = Proxy::parse(bad, "ALL_PROXY").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Usage, "{bad}");
            assert!(e.to_string().starts_with("ALL_PROXY: "), "{e}");
        }
    }

    #[test]
    fn no_proxy_matches_names_suffixes_addresses_and_blocks() {
        let n = NoProxy::parse("example.com, .internal 10.0.0.0/8,[::1],192.168.1.5,fd00::/8");
        for yes in [
            "example.com",
            "ftp.Example.COM",
            "a.b.example.com.",
            "mail.internal",
            "internal",
            "10.2.3.4",
            "::1",
            "192.168.1.5",
            "fd12::1",
        ] {
            assert!(n.matches(yes), "{yes}");
        }
        for no in [
            "badexample.com",
            "example.com.evil",
            "11.0.0.1",
            "192.168.1.50",
            "::2",
            "fe80::1",
            "com",
        ] {
            assert!(!n.matches(no), "{no}");
        }
        assert!(NoProxy::parse("*").matches("anything"));
        assert!(!NoProxy::parse("").matches("anything"));
        assert!(!NoProxy::parse("10.0.0.0/99").matches("10.0.0.1"));
    }

    fn env(pairs: &[(&str, &str)]) -> ProxyOptions {
        ProxyOptions {
            env: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..ProxyOptions::default()
        }
    }

    #[test]
    fn the_scheme_variable_then_all_proxy_then_no_proxy() {
        let o = env(&[
            ("ALL_PROXY", "socks5h://all:1"),
            ("ftp_proxy", "http://ftp:2"),
            ("IMAPS_PROXY", "http://imaps:3"),
            ("no_proxy", "local.example"),
        ]);
        let host = |s, h| o.for_target(s, h).unwrap().map(|p| p.host);
        assert_eq!(host("ftp", "h").as_deref(), Some("ftp"));
        assert_eq!(host("ftps", "h").as_deref(), Some("all"));
        assert_eq!(host("imaps", "h").as_deref(), Some("imaps"));
        assert_eq!(host("smtp", "h").as_deref(), Some("all"));
        assert_eq!(host("smtp", "a.local.example"), None);
        let mut flags = o.clone();
        flags.no_proxy = Some(NoProxy::parse("h"));
        assert_eq!(
            flags
                .for_target("ftp", "a.local.example")
                .unwrap()
                .map(|p| p.host)
                .as_deref(),
            Some("ftp")
        );
        assert_eq!(flags.for_target("ftp", "h").unwrap(), None);
        flags.proxy = Some(None);
        assert_eq!(flags.for_target("ftp", "x").unwrap(), None);
        flags.proxy = Some(Some(Proxy::parse("socks5://cli:4", "--proxy").unwrap()));
        flags.no_proxy = None;
        assert_eq!(
            flags
                .for_target("ftp", "x")
                .unwrap()
                .map(|p| p.host)
                .as_deref(),
            Some("cli")
        );
        assert_eq!(flags.for_target("ftp", "local.example").unwrap(), None);
        let bad = env(&[("all_proxy", "gopher://x")]);
        assert_eq!(
            bad.for_target("ftp", "h").unwrap_err().kind(),
            ErrorKind::Usage
        );
        assert_eq!(
            env(&[("all_proxy", "")]).for_target("ftp", "h").unwrap(),
            None
        );
    }
}
