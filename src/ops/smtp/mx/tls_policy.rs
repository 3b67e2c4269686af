//! TLS for direct delivery (`--tls`), where exchangers' certificates rarely match their names:
//!
//! - `opportunistic` (the default, RFC 7435 / RFC 3207 practice): STARTTLS whenever EHLO offers it, with
//!   any certificate; whether it verified for the exchanger's name is recorded, not required. When the
//!   upgrade fails (refused, or a failed handshake) the connection is dropped — never continued in plain
//!   text — and the same address is tried again in plain text on a new connection, which is said on stderr,
//!   in the transcript and in the `--json` record.
//! - `verify`: STARTTLS required and the certificate must verify for the exchanger's host name (the MX
//!   target, RFC 7672 §3.2.3 without DANE); otherwise this exchanger fails (exit 4) and the next is tried.
//! - `none`: never STARTTLS.

use std::net::SocketAddr;

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::ops::common::Ui;
use crate::pingpong::SessionConfig;
use crate::smtp::{self, Session};
use crate::transport::{CertCheck, Tls, TlsOptions};

/// `--tls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsPolicy {
    /// STARTTLS when offered; any certificate.
    #[default]
    Opportunistic,
    /// STARTTLS required; the certificate must verify for the exchanger's name.
    Verify,
    /// Plain text.
    None,
}

impl TlsPolicy {
    /// The names `--tls` takes.
    pub const NAMES: [&'static str; 3] = ["opportunistic", "verify", "none"];
}

impl std::str::FromStr for TlsPolicy {
    type Err = Error;

    fn from_str(s: &str) -> Result<TlsPolicy> {
        match s {
            "opportunistic" => Ok(TlsPolicy::Opportunistic),
            "verify" => Ok(TlsPolicy::Verify),
            "none" => Ok(TlsPolicy::None),
            _ => Err(Error::usage(format!(
                "invalid value '{}' for --tls [possible values: opportunistic, verify, none]",
                crate::terminal::escape(s)
            ))),
        }
    }
}

/// What TLS one connection used, as `--json` records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TlsUse {
    /// The message went over TLS.
    pub used: bool,
    /// The certificate verified for the exchanger's name (`null` when no TLS, or the backend cannot tell).
    pub verified: Option<bool>,
    /// Why the certificate did not verify, or why TLS was not used (not offered; a failed upgrade and the
    /// plain-text retry on a new connection).
    pub note: Option<String>,
}

/// The TLS clients of a run, built once.
pub struct Clients {
    policy: TlsPolicy,
    verify: Option<Tls>,
    opportunistic: Option<(Tls, CertCheck)>,
}

impl Clients {
    /// Builds the client `policy` needs from `--cacert` and the TLS version limits.
    pub fn new(policy: TlsPolicy, opts: &TlsOptions) -> Result<Clients> {
        Ok(Clients {
            policy,
            verify: match policy {
                TlsPolicy::Verify => Some(Tls::new(opts)?),
                _ => None,
            },
            opportunistic: match policy {
                TlsPolicy::Opportunistic => Some(Tls::opportunistic(opts)?),
                _ => None,
            },
        })
    }
}

fn config(base: &SessionConfig, helo: &str, tls: Option<&Tls>) -> smtp::Config {
    smtp::Config {
        session: SessionConfig {
            tls: tls.cloned(),
            starttls: false,
            ..base.clone()
        },
        helo: helo.to_string(),
    }
}

/// Opens a session to exchanger `host` at `addr` under the run's policy: greeting, EHLO, and STARTTLS with
/// EHLO again as the policy says.
pub fn open(
    clients: &Clients,
    base: &SessionConfig,
    helo: &str,
    host: &str,
    addr: SocketAddr,
    ui: &Ui,
) -> Result<(Session, TlsUse)> {
    let plain = |note: Option<String>| -> Result<(Session, TlsUse)> {
        let s = Session::open_at(addr, host, &config(base, helo, None))?;
        let note = note.or_else(|| {
            (clients.policy == TlsPolicy::Opportunistic && !s.info.starttls)
                .then(|| "STARTTLS not offered".to_string())
        });
        Ok((
            s,
            TlsUse {
                used: false,
                verified: None,
                note,
            },
        ))
    };
    match clients.policy {
        TlsPolicy::None => plain(None),
        TlsPolicy::Verify => {
            let s = Session::open_at(addr, host, &config(base, helo, clients.verify.as_ref()))?;
            if !s.info.starttls {
                s.quit();
                return Err(Error::new(
                    ErrorKind::Tls,
                    format!(
                        "--tls verify: {host} [{}] does not offer STARTTLS",
                        addr.ip()
                    ),
                ));
            }
            let s = s.starttls_now()?;
            Ok((
                s,
                TlsUse {
                    used: true,
                    verified: Some(true),
                    note: None,
                },
            ))
        }
        TlsPolicy::Opportunistic => {
            let Some((tls, check)) = clients.opportunistic.as_ref() else {
                return Err(Error::new(ErrorKind::Internal, "no TLS client"));
            };
            let s = Session::open_at(addr, host, &config(base, helo, Some(tls)))?;
            if !s.info.starttls {
                let note = Some("STARTTLS not offered".to_string());
                return Ok((
                    s,
                    TlsUse {
                        used: false,
                        verified: None,
                        note,
                    },
                ));
            }
            check.take();
            match s.starttls_now() {
                Ok(s) => {
                    let verdict = check.take();
                    let note = match &verdict {
                        Some(Err(why)) => Some(format!("certificate not verified: {why}")),
                        _ => None,
                    };
                    base.transcript
                        .note(note.as_deref().unwrap_or(match verdict {
                            Some(_) => "certificate verified",
                            None => "certificate not checked by this TLS backend",
                        }));
                    Ok((
                        s,
                        TlsUse {
                            used: true,
                            verified: verdict.map(|v| v.is_ok()),
                            note,
                        },
                    ))
                }
                // A timeout is the exchanger's trouble, not TLS's: the next one is tried.
                Err(e) if e.kind() == ErrorKind::Timeout => Err(e),
                Err(e) => {
                    let why = format!(
                        "STARTTLS with {host} [{}] failed ({e}); plain text on a new connection",
                        addr.ip()
                    );
                    ui.warn(&why);
                    base.transcript.note(&why);
                    plain(Some(why))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names() {
        for name in TlsPolicy::NAMES {
            assert!(name.parse::<TlsPolicy>().is_ok());
        }
        assert_eq!(
            "dane".parse::<TlsPolicy>().unwrap_err().to_string(),
            "invalid value 'dane' for --tls [possible values: opportunistic, verify, none]"
        );
    }
}
