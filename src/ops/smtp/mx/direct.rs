//! One message's direct delivery to all its recipient domains, and what a run of them shares (resolver,
//! TLS clients, session settings, EHLO name, the shuffle): used by `--mx` ([`super::send`]) and by
//! `--flush-queue --mx` ([`super::flush`]).

use crate::dns::Resolver;
use crate::error::{Error, Result};
use crate::ops::common::Ui;
use crate::pingpong::{SessionConfig, Transcript};

use super::super::job::Job;
use super::super::options::Options;
use super::deliver::{self, Fate};
use super::tls_policy::{self, TlsUse};
use super::{DomainJson, MxOptions, group};

/// A direct-delivery run.
pub struct Direct<'a> {
    resolver: Result<Resolver>,
    clients: tls_policy::Clients,
    session: SessionConfig,
    helo: String,
    port: u16,
    rng: fastrand::Rng,
    /// Sendmail mode: no per-domain notes.
    quiet: bool,
    pub(super) ui: &'a Ui,
}

/// One message's delivery.
pub struct Delivered {
    /// Per domain, for `--json`.
    pub domains: Vec<DomainJson>,
    /// Per recipient, in the order the envelope gave them.
    pub fates: Vec<Fate>,
    /// Per domain, one line: DNS, the exchanger, TLS and the reply (failures first); what the queue
    /// records as the attempt's reply and the log as the server's.
    pub summary: String,
}

/// How a connection's TLS reads in a note.
pub fn describe(tls: &TlsUse) -> &'static str {
    match (tls.used, tls.verified) {
        (true, Some(true)) => "TLS, certificate verified",
        (true, _) => "TLS, certificate not verified",
        (false, _) => "no TLS",
    }
}

impl<'a> Direct<'a> {
    /// A run with `opts`' network settings and EHLO name and `mx`'s TLS policy, DNS server and port.
    pub fn new(opts: &Options, mx: &MxOptions, ui: &'a Ui) -> Result<Direct<'a>> {
        let net = &opts.server.net;
        Ok(Direct {
            resolver: Resolver::new(mx.dns_server, net.connect_timeout),
            clients: tls_policy::Clients::new(mx.tls, &net.tls)?,
            session: SessionConfig {
                tls: None,
                starttls: false,
                connect_timeout: net.connect_timeout,
                timeout: net.timeout,
                transcript: Transcript::new(net.verbose),
                // -4/-6 and --bind apply; exchangers are reached directly (a proxy is for a relay, not
                // port 25).
                route: crate::transport::Route {
                    family: net.family,
                    bind: net.bind,
                    proxy: None,
                },
            },
            helo: opts
                .server
                .helo
                .clone()
                .or_else(crate::host::fqdn)
                .unwrap_or_default(),
            port: mx.port,
            rng: mx
                .seed
                .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed),
            quiet: opts.sendmail,
            ui,
        })
    }

    /// Delivers `job` to its recipients, domain after domain; `before_data` runs before each DATA.
    /// `job.rcpts` is left narrowed to the last domain's recipients.
    pub fn deliver(
        &mut self,
        job: &mut Job,
        before_data: &mut dyn FnMut() -> Result<()>,
    ) -> Delivered {
        let all = job.rcpts.clone();
        let mut domains = Vec::new();
        let mut fates: Vec<Fate> = Vec::new();
        let mut lines: Vec<(bool, String)> = Vec::new();
        for (domain, rcpts) in group(&all) {
            let ready = match (&self.resolver, domain) {
                (Err(e), _) => Err(Error::new(e.kind(), e.to_string())),
                (_, Err(e)) => Err(e),
                (Ok(resolver), Ok(domain)) => Ok((resolver, domain)),
            };
            let d = match ready {
                Err(e) => {
                    lines.push((false, e.to_string()));
                    for a in rcpts {
                        fates.push(Fate {
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
                        clients: &self.clients,
                        session: &self.session,
                        helo: &self.helo,
                        port: self.port,
                        rng: &mut self.rng,
                        ui: self.ui,
                        before_data: &mut *before_data,
                    };
                    deliver::domain(&mut cx, job, &domain, rcpts)
                }
            };
            let ok = d.rcpts.iter().filter(|f| f.error.is_none()).count();
            let via = d.delivered_by.as_ref().map(|(host, ip, tls)| {
                format!(
                    "{ok} recipient(s) via {host} [{ip}] ({}): {}",
                    describe(tls),
                    d.reply.as_deref().unwrap_or("")
                )
            });
            if let Some(via) = &via
                && !self.quiet
            {
                self.ui.note(&format!("{}: {via}", d.domain));
            }
            lines.push(summary_line(&d, via, ok));
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
        // Failures first: the queue keeps one bounded line.
        lines.sort_by_key(|(ok, _)| *ok);
        Delivered {
            domains,
            fates,
            summary: lines
                .into_iter()
                .map(|(_, l)| l)
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

/// One domain in the summary: how it was delivered, or why not (DNS, the last exchanger tried and its
/// TLS); `true` when every recipient of the domain took the message.
fn summary_line(d: &deliver::Domain, via: Option<String>, ok: usize) -> (bool, String) {
    let failure = d.rcpts.iter().find_map(|f| f.error.as_ref());
    let Some(e) = failure else {
        return (true, format!("{}: {}", d.domain, via.unwrap_or_default()));
    };
    let last = d
        .attempts
        .iter()
        .rev()
        .find_map(|a| {
            let tls = a.tls.as_ref()?;
            Some(format!(
                " (last tried {} [{}], {})",
                a.exchanger,
                a.address.as_deref().unwrap_or("-"),
                describe(tls)
            ))
        })
        .unwrap_or_default();
    let mut line = format!("{}: {e}{last}", d.domain);
    if let Some(via) = via.filter(|_| ok > 0) {
        line.push_str(&format!("; {via}"));
    }
    (false, line)
}
