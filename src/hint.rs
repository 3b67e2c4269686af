//! The one place that says what a user can do about a common failure, and that recognises a server of
//! the wrong protocol at the other end.
//!
//! An [`Error`](crate::Error) carries a [`Hint`] when the code that raised it knew the circumstances (a
//! greeting that never came on a plain-text URL, a login refused over plain text, an upload refused in a
//! subdirectory); [`for_error`] adds the ones that follow from the cause alone (a certificate from an
//! unknown CA). The error's text ends with `; hint: …`, so the one diagnostic line and `--json` carry it.
//! [`greeting_failed`] turns a failed greeting into a clear error when its first bytes belong to another
//! protocol (an SSH banner, an HTTP response, TLS records, another mail or file protocol's greeting).

use std::time::Duration;

use crate::error::{Error, ErrorKind};
use crate::url::{Protocol, SCHEMES, Scheme};

/// Advice attached to an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// The server's certificate is signed by a CA the trust store lacks.
    CaCert,
    /// An upload was refused (550/553) into a directory that may not exist.
    Mkdirs,
    /// A plain-text URL met a server that waits for TLS: suggest the implicit-TLS scheme.
    ImplicitTls(Scheme),
    /// A login was refused on a plain-text connection: suggest `--starttls` (or the TLS scheme).
    StartTls(Scheme),
}

impl Hint {
    /// The advice, as printed after `; hint: `.
    pub fn text(self) -> String {
        match self {
            Hint::CaCert => {
                "the certificate's issuer is not trusted here: use --cacert FILE with the CA that signed \
                 it"
                .to_string()
            }
            Hint::Mkdirs => {
                "if the remote directory does not exist, --mkdirs creates it".to_string()
            }
            Hint::ImplicitTls(s) => format!(
                "is this an implicit-TLS port? try {}://",
                tls_scheme(s).name()
            ),
            Hint::StartTls(s) => format!(
                "the server may accept the login only over TLS: try --starttls (or {}://)",
                tls_scheme(s).name()
            ),
        }
    }
}

/// The implicit-TLS scheme of `s`'s protocol (`ftp` → `ftps`).
fn tls_scheme(s: Scheme) -> Scheme {
    SCHEMES
        .iter()
        .find(|row| row.protocol == s.protocol() && row.implicit_tls)
        .map_or(s, |row| row.scheme)
}

/// The hint for `e`: the one it was raised with, else one its cause implies.
pub fn for_error(e: &Error) -> Option<Hint> {
    e.hint()
        .or_else(|| unknown_issuer(e).then_some(Hint::CaCert))
}

/// Whether `e` was caused by a certificate whose issuer is unknown.
fn unknown_issuer(e: &Error) -> bool {
    #[cfg(feature = "rustls")]
    {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
        while let Some(c) = cur {
            // io::Error's source() skips the error it wraps: look inside it too.
            let inner = c
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|i| i.downcast_ref::<rustls::Error>());
            let unknown =
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
            if c.downcast_ref::<rustls::Error>().or(inner) == Some(&unknown) {
                return true;
            }
            cur = c.source();
        }
    }
    let _ = e;
    false
}

/// Explains a greeting that failed: a known other protocol's first bytes become a protocol error naming
/// it; silence on a plain-text URL (`wait` being `--connect-timeout`) becomes a timeout suggesting the
/// implicit-TLS scheme. Anything else is returned as it was.
pub fn greeting_failed(e: Error, scheme: Scheme, first: &[u8], wait: Duration) -> Error {
    let proto = scheme.protocol();
    let line = first
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or_default()
        .strip_suffix(b"\r")
        .unwrap_or(first.split(|&b| b == b'\n').next().unwrap_or_default());
    if let Some(what) = other_protocol(proto, first) {
        let shown = if what == "TLS records" {
            String::new()
        } else {
            format!(
                ": {}",
                crate::terminal::clip(&crate::terminal::escape_bytes(line), 100)
            )
        };
        let err = Error::protocol(format!(
            "the server does not speak {}: its greeting is {what}{shown}",
            name(proto)
        ));
        return if what == "TLS records" && !scheme.implicit_tls() {
            err.with_hint(Hint::ImplicitTls(scheme))
        } else {
            err
        };
    }
    if e.kind() == ErrorKind::Timeout && first.is_empty() && !scheme.implicit_tls() {
        return Error::new(
            ErrorKind::Timeout,
            format!(
                "no greeting from the server within {} (--connect-timeout)",
                seconds(wait)
            ),
        )
        .with_hint(Hint::ImplicitTls(scheme));
    }
    e
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

fn name(p: Protocol) -> &'static str {
    match p {
        Protocol::Ftp => "FTP",
        Protocol::Smtp => "SMTP",
        Protocol::Pop3 => "POP3",
        Protocol::Imap => "IMAP",
    }
}

/// What the first bytes of a greeting are, when they belong to a protocol other than `expected`.
pub fn other_protocol(expected: Protocol, first: &[u8]) -> Option<&'static str> {
    let upper = first
        .iter()
        .take(200)
        .map(u8::to_ascii_uppercase)
        .collect::<Vec<u8>>();
    let has = |w: &[u8]| upper.windows(w.len()).any(|x| x == w);
    if first.starts_with(b"SSH-") {
        return Some("an SSH banner");
    }
    if first.starts_with(b"HTTP/") {
        return Some("an HTTP response");
    }
    // A TLS record: handshake (22) or alert (21), version 3.x.
    if matches!(first, [21 | 22, 3, ..]) {
        return Some("TLS records");
    }
    let coded = first.len() >= 4
        && first[..3].iter().all(u8::is_ascii_digit)
        && matches!(first[3], b' ' | b'-');
    match expected {
        Protocol::Imap if first.starts_with(b"+OK") => Some("a POP3 greeting"),
        Protocol::Imap | Protocol::Pop3 if coded && has(b"FTP") => Some("an FTP greeting"),
        Protocol::Imap | Protocol::Pop3 if coded && has(b"SMTP") => Some("an SMTP greeting"),
        Protocol::Imap | Protocol::Pop3 if coded => Some("an FTP or SMTP greeting"),
        Protocol::Pop3 | Protocol::Ftp | Protocol::Smtp
            if first.starts_with(b"* OK") || first.starts_with(b"* PREAUTH") =>
        {
            Some("an IMAP greeting")
        }
        Protocol::Ftp | Protocol::Smtp if first.starts_with(b"+OK") => Some("a POP3 greeting"),
        Protocol::Ftp if coded && has(b"SMTP") => Some("an SMTP greeting"),
        Protocol::Smtp if coded && has(b"FTP") => Some("an FTP greeting"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_protocols_are_named_and_the_own_is_not() {
        let cases: &[(Protocol, &[u8], Option<&str>)] = &[
            (
                Protocol::Ftp,
                b"SSH-2.0-OpenSSH_9.2\r\n",
                Some("an SSH banner"),
            ),
            (
                Protocol::Imap,
                b"HTTP/1.1 400 Bad Request\r\n",
                Some("an HTTP response"),
            ),
            (
                Protocol::Pop3,
                &[21, 3, 3, 0, 2, 2, 80],
                Some("TLS records"),
            ),
            (
                Protocol::Ftp,
                b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n",
                Some("an IMAP greeting"),
            ),
            (Protocol::Imap, b"* OK ready\r\n", None),
            (
                Protocol::Smtp,
                b"+OK Dovecot ready.\r\n",
                Some("a POP3 greeting"),
            ),
            (Protocol::Pop3, b"+OK Dovecot ready.\r\n", None),
            (
                Protocol::Imap,
                b"220 (vsFTPd 3.0.3)\r\n",
                Some("an FTP greeting"),
            ),
            (
                Protocol::Pop3,
                b"220 mail ESMTP Postfix\r\n",
                Some("an SMTP greeting"),
            ),
            (
                Protocol::Ftp,
                b"220 mail ESMTP Postfix\r\n",
                Some("an SMTP greeting"),
            ),
            (
                Protocol::Smtp,
                b"220 (vsFTPd 3.0.3)\r\n",
                Some("an FTP greeting"),
            ),
            (Protocol::Ftp, b"220 (vsFTPd 3.0.3)\r\n", None),
            (Protocol::Smtp, b"554 no service\r\n", None),
            (Protocol::Ftp, b"", None),
        ];
        for (p, bytes, want) in cases {
            assert_eq!(other_protocol(*p, bytes), *want, "{p:?} {bytes:?}");
        }
    }

    #[cfg(feature = "rustls")]
    #[test]
    fn an_unknown_issuer_points_at_cacert() {
        let cause = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let e = Error::network("TLS handshake with h", cause);
        assert_eq!(e.kind(), ErrorKind::Tls);
        assert_eq!(
            e.to_string(),
            "TLS handshake with h: invalid peer certificate: UnknownIssuer; hint: the certificate's issuer \
             is not trusted here: use --cacert FILE with the CA that signed it"
        );
        let other = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
        );
        assert_eq!(for_error(&Error::network("x", other)), None);
    }

    #[test]
    fn hints_name_the_tls_scheme_of_the_protocol() {
        assert_eq!(
            Hint::ImplicitTls(Scheme::Imap).text(),
            "is this an implicit-TLS port? try imaps://"
        );
        assert_eq!(
            Hint::StartTls(Scheme::Smtp).text(),
            "the server may accept the login only over TLS: try --starttls (or smtps://)"
        );
        let e = greeting_failed(
            Error::new(ErrorKind::Timeout, "x"),
            Scheme::Pop3,
            b"",
            Duration::from_secs(2),
        );
        assert_eq!(
            e.to_string(),
            "no greeting from the server within 2 s (--connect-timeout); hint: is this an implicit-TLS port? try pop3s://"
        );
        assert_eq!(e.kind(), ErrorKind::Timeout);
        let e = greeting_failed(
            Error::protocol("malformed"),
            Scheme::Ftp,
            b"SSH-2.0-x\r\n",
            Duration::from_secs(2),
        );
        assert_eq!(
            e.to_string(),
            "the server does not speak FTP: its greeting is an SSH banner: SSH-2.0-x"
        );
    }
}
