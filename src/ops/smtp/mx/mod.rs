//! Direct delivery, `smtp-send --mx`: no smarthost; each recipient domain's own mail exchangers, found
//! in DNS (RFC 5321 §5.1), take the message for that domain's recipients.
//!
//! - [`order`]: which exchangers, in which order (preference, shuffled ties, implicit MX, null MX).
//! - [`tls_policy`]: `--tls opportunistic|verify|none` and what each connection used.
//! - [`deliver`]: one domain's delivery: exchangers and addresses in turn, 4xx moves on, 5xx is final.
//!
//! This module groups the recipients by domain (A-labels), runs the domains one after another, queues
//! the deferred recipients — only them, in one entry, so a retry never sends again to a domain that took
//! the message — and reports per recipient and per domain. DNS is `crate::dns`; the SMTP transaction is
//! the submission path's (`send::transact`).

pub mod deliver;
pub mod order;
pub mod tls_policy;

use std::net::SocketAddr;

use serde::Serialize;

use crate::dns::{self, Resolver};
use crate::error::{Error, ErrorKind, Result};
use crate::ops::Outcome;
use crate::ops::common::{ItemResult, Tally, Ui};
use crate::pingpong::{SessionConfig, Transcript};

use super::job;
use super::options::{Message, Options};
use super::queue;
use super::send::RcptJson;

pub use tls_policy::{TlsPolicy, TlsUse};

/// The SMTP port of mail exchangers (RFC 5321 §4.5.4.2... and every MTA since).
pub const MX_PORT: u16 = 25;

/// `--mx` and its settings.
#[derive(Debug, Clone)]
pub struct MxOptions {
    /// `--tls`.
    pub tls: TlsPolicy,
    /// `--mx-port` (tests): the exchangers' port, default 25.
    pub port: u16,
    /// `--dns-server ADDR[:PORT]`, else the system's resolvers.
    pub dns_server: Option<SocketAddr>,
    /// `--mx-seed` (tests): a fixed order for exchangers of equal preference.
    pub seed: Option<u64>,
}

impl Default for MxOptions {
    fn default() -> Self {
        MxOptions {
            tls: TlsPolicy::Opportunistic,
            port: MX_PORT,
            dns_server: None,
            seed: None,
        }
    }
}

/// Parses `--dns-server ADDR[:PORT]` (port 53 by default; IPv6 as `[::1]:53` or a bare `::1`).
pub fn parse_dns_server(s: &str) -> Result<SocketAddr> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = s.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    Err(Error::usage(format!(
        "--dns-server {}: expected an IP address with an optional :PORT",
        crate::terminal::escape(s)
    )))
}

/// One domain in `--json`.
#[derive(Debug, Serialize)]
pub struct DomainJson {
    /// The domain (A-labels).
    pub domain: String,
    /// `ok` (every recipient of the domain took the message), `partial`, or `failed`.
    pub status: &'static str,
    /// Its recipients.
    pub recipients: Vec<String>,
    /// The exchangers in the order they were to be tried.
    pub exchangers: Vec<String>,
    /// The exchanger that took the message.
    pub exchanger: Option<String>,
    /// Its address.
    pub address: Option<String>,
    /// TLS on the connection that took the message.
    pub tls: Option<TlsUse>,
    /// Its reply to the message.
    pub reply: Option<String>,
    /// Every try, in order.
    pub attempts: Vec<deliver::Attempt>,
}

/// The `--json` document of `--mx`.
#[derive(Debug, Serialize)]
pub struct Report {
    /// `mx`.
    pub delivery: &'static str,
    /// The envelope sender.
    pub from: String,
    /// The message size in octets.
    pub size: u64,
    /// `sent`, `partial`, `queued`, `refused` or `failed`.
    pub status: &'static str,
    /// Per recipient.
    pub recipients: Vec<RcptJson>,
    /// Per domain.
    pub domains: Vec<DomainJson>,
    /// The queue entry holding the deferred recipients.
    pub queued: Option<String>,
}

/// The recipients grouped by domain (A-labels, lower case), domains in the order first named.
fn group(rcpts: &[String]) -> Vec<(std::result::Result<String, Error>, Vec<String>)> {
    let mut groups: Vec<(std::result::Result<String, Error>, Vec<String>)> = Vec::new();
    for r in rcpts {
        let domain = match r.rsplit_once('@') {
            Some((_, d)) if d.starts_with('[') => Err(Error::new(
                ErrorKind::Permanent,
                format!("<{r}>: address literals are not delivered with --mx"),
            )),
            Some((_, d)) => dns::a_label(d),
            None => Err(Error::new(
                ErrorKind::Permanent,
                format!("<{r}>: no domain to deliver to"),
            )),
        };
        let key = domain.as_ref().ok().cloned();
        match groups
            .iter_mut()
            .find(|(d, _)| key.is_some() && d.as_ref().ok() == key.as_ref())
        {
            Some((_, list)) => list.push(r.clone()),
            None => groups.push((domain, vec![r.clone()])),
        }
    }
    groups
}

fn describe(tls: &TlsUse) -> &'static str {
    match (tls.used, tls.verified) {
        (true, Some(true)) => "TLS, certificate verified",
        (true, _) => "TLS, certificate not verified",
        (false, _) => "no TLS",
    }
}

/// Sends message `m` straight to its recipients' exchangers.
pub fn send(opts: &Options, m: &Message, mx: &MxOptions, ui: &Ui) -> Result<Outcome> {
    let mut job = job::prepare(m, opts.sendmail, &opts.local, &opts.dsn)?;
    let all = job.rcpts.clone();
    let net = &opts.server.net;
    let session = SessionConfig {
        tls: None,
        starttls: false,
        connect_timeout: net.connect_timeout,
        timeout: net.timeout,
        transcript: Transcript::new(net.verbose),
        // -4/-6 and --bind apply; exchangers are reached directly (a proxy is for a relay, not port 25).
        route: crate::transport::Route {
            family: net.family,
            bind: net.bind,
            proxy: None,
        },
    };
    let helo = opts
        .server
        .helo
        .clone()
        .or_else(crate::host::fqdn)
        .unwrap_or_default();
    let clients = tls_policy::Clients::new(mx.tls, &net.tls)?;
    let mut rng = mx
        .seed
        .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
    let resolver = Resolver::new(mx.dns_server, net.connect_timeout);
    let mut domains = Vec::new();
    let mut fates: Vec<deliver::Fate> = Vec::new();
    for (domain, rcpts) in group(&all) {
        let failed = match (&resolver, domain) {
            (Err(e), _) => Err(Error::new(e.kind(), e.to_string())),
            (_, Err(e)) => Err(e),
            (Ok(resolver), Ok(domain)) => Ok((resolver, domain)),
        };
        let d = match failed {
            Err(e) => {
                for a in rcpts {
                    fates.push(deliver::Fate {
                        address: a,
                        reply: None,
                        error: Some(Error::new(e.kind(), e.to_string())),
                    });
                }
                continue;
            }
            Ok((resolver, domain)) => {
                let mut cx = deliver::Context {
                    resolver,
                    clients: &clients,
                    session: &session,
                    helo: &helo,
                    port: mx.port,
                    rng: &mut rng,
                    ui,
                };
                deliver::domain(&mut cx, &mut job, &domain, rcpts)
            }
        };
        let ok = d.rcpts.iter().filter(|f| f.error.is_none()).count();
        if let Some((host, ip, tls)) = &d.delivered_by
            && !opts.sendmail
        {
            ui.note(&format!(
                "{}: {ok} recipient(s) via {host} [{ip}] ({}): {}",
                d.domain,
                describe(tls),
                d.reply.as_deref().unwrap_or("")
            ));
        }
        domains.push(DomainJson {
            status: match ok {
                0 => "failed",
                n if n == d.rcpts.len() => "ok",
                _ => "partial",
            },
            recipients: d.rcpts.iter().map(|f| f.address.clone()).collect(),
            exchanger: d.delivered_by.as_ref().map(|x| x.0.clone()),
            address: d.delivered_by.as_ref().map(|x| x.1.clone()),
            tls: d.delivered_by.as_ref().map(|x| x.2.clone()),
            domain: d.domain,
            exchangers: d.exchangers,
            reply: d.reply,
            attempts: d.attempts,
        });
        fates.extend(d.rcpts);
    }
    // Back to the order the recipients were given in.
    fates.sort_by_key(|f| all.iter().position(|a| *a == f.address));
    let deferred: Vec<String> = fates
        .iter()
        .filter(|f| f.error.as_ref().is_some_and(|e| e.kind().is_transient()))
        .map(|f| f.address.clone())
        .collect();
    let mut queued = None;
    if let Some(dir) = &opts.queue
        && !deferred.is_empty()
    {
        let path = queue::enqueue(dir, &mut job, &deferred)?;
        ui.warn(&format!(
            "queued for {} deferred recipient(s) as {}",
            deferred.len(),
            path.display()
        ));
        queued = Some(path.display().to_string());
    }
    let recipients: Vec<RcptJson> = fates
        .iter()
        .map(|f| {
            let result = match &f.error {
                None => ItemResult::ok(),
                Some(e) => {
                    let e = match &queued {
                        Some(q) if deferred.contains(&f.address) => {
                            Error::new(e.kind(), format!("{e}; queued as {q}"))
                        }
                        _ => Error::new(e.kind(), e.to_string()),
                    };
                    ui.warn(&format!("<{}>: {e}", f.address));
                    ItemResult::failed(&e)
                }
            };
            RcptJson {
                address: f.address.clone(),
                result,
                code: f.reply.as_ref().map(|r| r.code),
                text: f.reply.as_ref().map(|r| r.text.clone()),
            }
        })
        .collect();
    let tally = Tally::of(recipients.iter().map(|r| &r.result));
    let status = match (tally.ok, tally.failed) {
        (_, 0) => "sent",
        (0, _) if queued.is_some() => "queued",
        (0, _) if deferred.is_empty() => "refused",
        (0, _) => "failed",
        _ => "partial",
    };
    if ui.json() {
        ui.print_json(&Report {
            delivery: "mx",
            from: job.from.clone(),
            size: job.size(),
            status,
            recipients,
            domains,
            queued,
        })?;
    }
    tally.outcome(ui, "recipients", None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_grouped_by_a_label_domain() {
        let g = group(&[
            "a@Bücher.example".into(),
            "b@x.test".into(),
            "c@xn--bcher-kva.example".into(),
            "d@[127.0.0.1]".into(),
            "e".into(),
        ]);
        let shown: Vec<String> = g
            .iter()
            .map(|(d, l)| match d {
                Ok(d) => format!("{d}: {}", l.join(" ")),
                Err(e) => format!("error {}: {e}", e.kind().exit_code()),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "xn--bcher-kva.example: a@Bücher.example c@xn--bcher-kva.example",
                "x.test: b@x.test",
                "error 6: <d@[127.0.0.1]>: address literals are not delivered with --mx",
                "error 6: <e>: no domain to deliver to",
            ]
        );
    }

    #[test]
    fn dns_server_addresses() {
        assert_eq!(
            parse_dns_server("127.0.0.1:5353").unwrap().to_string(),
            "127.0.0.1:5353"
        );
        assert_eq!(parse_dns_server("::1").unwrap().to_string(), "[::1]:53");
        assert_eq!(
            parse_dns_server("ns.example").unwrap_err().kind(),
            ErrorKind::Usage
        );
    }
}
