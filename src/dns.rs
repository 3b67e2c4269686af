//! DNS for direct delivery (`smtp-send --mx`): the mail exchangers of a domain (RFC 5321 §5.1) and the
//! addresses of a host, through hickory-resolver — never hand-written DNS.
//!
//! hickory-resolver is asynchronous only; [`Resolver`] drives it on a current-thread tokio runtime of its
//! own, one lookup at a time, so the rest of ferry stays blocking. Every lookup is bounded by the run's
//! `--connect-timeout` as a whole (the resolver's own per-server timeout and retries sit inside it).
//!
//! What a lookup outcome means for the mail is decided here once: NXDOMAIN is permanent (the domain does
//! not exist: exit 6); SERVFAIL, REFUSED, a timeout or an unreachable server is transient (exit 7: try
//! later, `--queue` keeps the message). An MX query answered with no MX records means the implicit MX
//! (§5.1: the domain itself); a single MX `0 .` is the null MX of RFC 7505 (the domain takes no mail).
//! Domain names from the user are converted to A-labels (IDNA, RFC 5891) by [`a_label`] before any query.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};

use crate::error::{Error, ErrorKind, Result};

/// The most MX records of one domain that are tried (RFC 5321 §5.1 asks for a configurable limit; real
/// domains have a handful).
pub const MAX_EXCHANGERS: usize = 16;
/// The most addresses of one host that are tried.
pub const MAX_ADDRESSES: usize = 16;

/// One MX record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchanger {
    /// Lower is preferred.
    pub preference: u16,
    /// The exchanger's host name (A-labels, without the final dot).
    pub host: String,
}

/// What a domain's MX query said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MxAnswer {
    /// The MX records, as the server listed them.
    Exchangers(Vec<Exchanger>),
    /// No MX records: the domain itself is the exchanger (the implicit MX of RFC 5321 §5.1).
    Implicit,
    /// A null MX (RFC 7505 §3: one record, preference 0, exchange `.`): the domain accepts no mail.
    Null,
}

/// A resolver bound to a name server set and a time limit.
pub struct Resolver {
    rt: tokio::runtime::Runtime,
    inner: TokioResolver,
    timeout: Duration,
}

/// Converts a domain to A-labels (`bücher.example` → `xn--bcher-kva.example`), lower case; a name that is
/// not a valid IDNA domain is a permanent failure for its recipients.
pub fn a_label(domain: &str) -> Result<String> {
    let ascii = idna::domain_to_ascii(domain).map_err(|_| {
        Error::new(
            ErrorKind::Permanent,
            format!(
                "{}: not a valid domain name",
                crate::terminal::escape(domain)
            ),
        )
    })?;
    if ascii.is_empty() || ascii.len() > 253 {
        return Err(Error::new(
            ErrorKind::Permanent,
            format!(
                "{}: not a valid domain name",
                crate::terminal::escape(domain)
            ),
        ));
    }
    Ok(ascii)
}

impl Resolver {
    /// A resolver using `server` (`--dns-server`), else the system's configuration (`/etc/resolv.conf`);
    /// each lookup takes at most `timeout`.
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Result<Resolver> {
        let setup = |e: &dyn std::fmt::Display| {
            Error::new(ErrorKind::Connect, format!("DNS resolver setup: {e}"))
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| setup(&e))?;
        let provider = TokioRuntimeProvider::default();
        let mut builder = match server {
            Some(addr) => {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                let ns = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
                let config = ResolverConfig::from_parts(None, Vec::new(), vec![ns]);
                TokioResolver::builder_with_config(config, provider)
            }
            None => TokioResolver::builder(provider).map_err(|e| setup(&e))?,
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.timeout = timeout;
        opts.attempts = 2;
        // Names are queried fully qualified; search domains never apply to a mail domain.
        opts.ndots = 0;
        if server.is_some() {
            opts.use_hosts_file = ResolveHosts::Never;
        }
        let inner = {
            let _guard = rt.enter();
            builder.build().map_err(|e| setup(&e))?
        };
        Ok(Resolver { rt, inner, timeout })
    }

    /// Runs one lookup of `name` within the time limit.
    fn lookup(&self, name: &str, rtype: RecordType) -> Result<Option<Vec<RData>>> {
        let fqdn = Name::from_ascii(format!("{}.", name.trim_end_matches('.')))
            .map_err(|_| Error::new(ErrorKind::Permanent, format!("{name}: not a domain name")))?;
        // The timer must be made inside the runtime (tokio's timers need its context).
        let outcome = self.rt.block_on(async {
            tokio::time::timeout(self.timeout, self.inner.lookup(fqdn, rtype)).await
        });
        match outcome {
            Err(_) | Ok(Err(NetError::Timeout)) => Err(Error::new(
                ErrorKind::Transient,
                format!("DNS {rtype} lookup of {name}: timed out"),
            )),
            Ok(Ok(lookup)) => Ok(Some(
                lookup
                    .answers()
                    .iter()
                    .filter(|r| r.record_type() == rtype)
                    .map(|r| r.data.clone())
                    .collect(),
            )),
            Ok(Err(NetError::Dns(DnsError::NoRecordsFound(no)))) => {
                if no.response_code == ResponseCode::NXDomain {
                    Err(Error::new(
                        ErrorKind::Permanent,
                        format!("DNS: {name} does not exist (NXDOMAIN)"),
                    ))
                } else {
                    Ok(None)
                }
            }
            Ok(Err(e)) => Err(Error::new(
                ErrorKind::Transient,
                format!("DNS {rtype} lookup of {name} failed: {e}"),
            )),
        }
    }

    /// The MX records of `domain` (A-labels).
    pub fn mx(&self, domain: &str) -> Result<MxAnswer> {
        let Some(records) = self.lookup(domain, RecordType::MX)? else {
            return Ok(MxAnswer::Implicit);
        };
        let mut out = Vec::new();
        let mut null = false;
        for r in records {
            if let RData::MX(mx) = r {
                if mx.exchange.is_root() {
                    null = true;
                    continue;
                }
                let host = mx.exchange.to_ascii();
                out.push(Exchanger {
                    preference: mx.preference,
                    host: host.trim_end_matches('.').to_ascii_lowercase(),
                });
            }
        }
        // RFC 7505 §4.3: a null MX alongside other records is a misconfiguration; the real ones are used.
        Ok(match (out.is_empty(), null) {
            (true, true) => MxAnswer::Null,
            (true, false) => MxAnswer::Implicit,
            (false, _) => {
                out.truncate(MAX_EXCHANGERS);
                MxAnswer::Exchangers(out)
            }
        })
    }

    /// The addresses of `host`: AAAA then A records (an IP literal is itself). No address at all is a
    /// permanent failure for this host (the caller moves on to the next exchanger).
    pub fn addresses(&self, host: &str) -> Result<Vec<IpAddr>> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let mut out = Vec::new();
        let mut failure = None;
        for rtype in [RecordType::AAAA, RecordType::A] {
            match self.lookup(host, rtype) {
                Ok(records) => out.extend(records.into_iter().flatten().filter_map(|r| match r {
                    RData::A(a) => Some(IpAddr::V4(a.0)),
                    RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                    _ => None,
                })),
                // NXDOMAIN for AAAA is NXDOMAIN for A too.
                Err(e) if e.kind() == ErrorKind::Permanent => return Err(e),
                Err(e) => failure = Some(e),
            }
        }
        if out.is_empty() {
            return Err(failure.unwrap_or_else(|| {
                Error::new(
                    ErrorKind::Permanent,
                    format!("DNS: {host} has no address (A or AAAA)"),
                )
            }));
        }
        out.truncate(MAX_ADDRESSES);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_become_a_labels() {
        assert_eq!(a_label("Bücher.Example").unwrap(), "xn--bcher-kva.example");
        assert_eq!(a_label("example.org").unwrap(), "example.org");
        assert_eq!(a_label("").unwrap_err().kind(), ErrorKind::Permanent);
    }
}
