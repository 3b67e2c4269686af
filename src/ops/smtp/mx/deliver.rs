//! Delivery to one recipient domain (RFC 5321 §5.1): its exchangers in order, each exchanger's addresses
//! in turn, until every recipient of the domain has a final answer.
//!
//! - A connection failure, a failed opening (greeting, EHLO, a TLS policy not met), a timeout or a 4xx
//!   moves on: to the exchanger's next address while only connecting failed, else to the next exchanger —
//!   with just the recipients still without a final answer.
//! - A 5xx is final for the recipients it refused (a refused RCPT for that recipient; a refused MAIL FROM,
//!   a 5xx greeting or end-of-DATA for every recipient still open).
//! - Recipients still open when the exchangers run out are deferred with the last transient error.
//!
//! The transaction itself is the submission path's (`send::transact_with`); the session opening is
//! [`tls_policy::open`].

use std::net::SocketAddr;

use serde::Serialize;

use crate::dns::Resolver;
use crate::error::{Error, ErrorKind};
use crate::ops::common::Ui;
use crate::pingpong::SessionConfig;
use crate::smtp::RcptResult;

use super::super::job::Job;
use super::super::send::{refusal, session_usable, transact_with};
use super::order;
use super::tls_policy::{self, Clients, TlsUse};

/// What a run shares across domains.
pub struct Context<'a> {
    /// The resolver (`--dns-server` or the system's).
    pub resolver: &'a Resolver,
    /// The TLS clients of `--tls`.
    pub clients: &'a Clients,
    /// Timeouts and transcript (no TLS client: the policy supplies it).
    pub session: &'a SessionConfig,
    /// The EHLO name.
    pub helo: &'a str,
    /// The exchangers' port (25).
    pub port: u16,
    /// Shuffles equal preferences.
    pub rng: &'a mut fastrand::Rng,
    /// Warnings.
    pub ui: &'a Ui,
    /// Runs before each DATA (a flush journals "sending" there); its error ends that transaction.
    pub before_data: &'a mut dyn FnMut() -> crate::error::Result<()>,
}

/// One try at one exchanger address, for `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// The exchanger's host name.
    pub exchanger: String,
    /// The address tried (absent when its name did not resolve).
    pub address: Option<String>,
    /// TLS on this connection (absent when no session was opened).
    pub tls: Option<TlsUse>,
    /// The server's final reply to the message, or what went wrong.
    pub result: String,
}

/// How one recipient ended.
#[derive(Debug)]
pub struct Fate {
    /// The address.
    pub address: String,
    /// Its RCPT reply, when it got that far.
    pub reply: Option<RcptResult>,
    /// `None`: the message went to it. Else why not (transient: deferred).
    pub error: Option<Error>,
}

/// One domain's delivery.
#[derive(Debug)]
pub struct Domain {
    /// The domain (A-labels).
    pub domain: String,
    /// The exchangers in the order tried.
    pub exchangers: Vec<String>,
    /// The exchanger that took the message (for some recipients), its address and TLS.
    pub delivered_by: Option<(String, String, TlsUse)>,
    /// The reply to the message.
    pub reply: Option<String>,
    /// Every try.
    pub attempts: Vec<Attempt>,
    /// Per recipient, in the order given.
    pub rcpts: Vec<Fate>,
}

impl Domain {
    fn settle_all(&mut self, pending: &mut Vec<String>, e: &Error) {
        for a in pending.drain(..) {
            self.rcpts.push(Fate {
                address: a,
                reply: None,
                error: Some(Error::new(e.kind(), e.to_string())),
            });
        }
    }
}

/// Delivers `job` to `rcpts`, all of `domain`.
pub fn domain(cx: &mut Context<'_>, job: &mut Job, domain: &str, rcpts: Vec<String>) -> Domain {
    let mut out = Domain {
        domain: domain.to_string(),
        exchangers: Vec::new(),
        delivered_by: None,
        reply: None,
        attempts: Vec::new(),
        rcpts: Vec::new(),
    };
    let mut pending = rcpts;
    let answer = match cx.resolver.mx(domain) {
        Ok(a) => a,
        Err(e) => {
            out.settle_all(&mut pending, &e);
            return out;
        }
    };
    let Some(list) = order::exchangers(domain, &answer, cx.rng) else {
        let e = Error::new(
            ErrorKind::Permanent,
            format!("{domain} accepts no mail (null MX, RFC 7505)"),
        );
        out.settle_all(&mut pending, &e);
        return out;
    };
    out.exchangers = list.iter().map(|x| x.host.clone()).collect();
    let mut last: Option<Error> = None;
    let mut transient = false;
    'exchangers: for x in list {
        let ips = match cx.resolver.addresses(&x.host) {
            Ok(ips) => ips,
            Err(e) => {
                out.attempts.push(Attempt {
                    exchanger: x.host.clone(),
                    address: None,
                    tls: None,
                    result: e.to_string(),
                });
                transient |= e.kind() != ErrorKind::Permanent;
                last = Some(e);
                continue;
            }
        };
        for ip in ips {
            let addr = SocketAddr::new(ip, cx.port);
            let mut attempt = Attempt {
                exchanger: x.host.clone(),
                address: Some(ip.to_string()),
                tls: None,
                result: String::new(),
            };
            let (mut s, tls) =
                match tls_policy::open(cx.clients, cx.session, cx.helo, &x.host, addr, cx.ui) {
                    Ok(v) => v,
                    Err(e) => {
                        attempt.result = e.to_string();
                        out.attempts.push(attempt);
                        if e.kind() == ErrorKind::Permanent {
                            out.settle_all(&mut pending, &e);
                            break 'exchangers;
                        }
                        transient = true;
                        last = Some(e);
                        continue;
                    }
                };
            attempt.tls = Some(tls.clone());
            job.rcpts = pending.clone();
            match transact_with(&mut s, job, false, cx.before_data) {
                Ok(t) => {
                    s.quit();
                    attempt.result = match (&t.sent, t.results.iter().find(|r| !r.accepted())) {
                        (Some(reply), _) => reply.clone(),
                        (None, Some(r)) => format!("not sent: {}", refusal(r)),
                        (None, None) => "not sent".into(),
                    };
                    out.attempts.push(attempt);
                    let mut open = Vec::new();
                    for r in t.results {
                        if r.accepted() && t.sent.is_some() {
                            out.rcpts.push(Fate {
                                address: r.address.clone(),
                                reply: Some(r),
                                error: None,
                            });
                        } else if (500..600).contains(&r.code) {
                            out.rcpts.push(Fate {
                                address: r.address.clone(),
                                error: Some(refusal(&r)),
                                reply: Some(r),
                            });
                        } else {
                            if !r.accepted() {
                                transient = true;
                                last = Some(refusal(&r));
                            }
                            open.push(r.address);
                        }
                    }
                    if t.sent.is_some() && out.delivered_by.is_none() {
                        out.delivered_by = Some((x.host.clone(), ip.to_string(), tls));
                        out.reply = t.sent;
                    }
                    pending = open;
                }
                Err(e) => {
                    if session_usable(&e) {
                        s.quit();
                    } else {
                        s.close();
                    }
                    attempt.result = e.to_string();
                    out.attempts.push(attempt);
                    if e.kind() == ErrorKind::Permanent {
                        out.settle_all(&mut pending, &e);
                        break 'exchangers;
                    }
                    transient = true;
                    last = Some(e);
                }
            }
            // A session was had: what is still open goes to the next exchanger, not this one's next address.
            if pending.is_empty() {
                break 'exchangers;
            }
            continue 'exchangers;
        }
    }
    if !pending.is_empty() {
        let e = match last {
            Some(e) if !transient => e,
            Some(e) => Error::new(ErrorKind::Transient, format!("deferred: {e}")),
            None => Error::new(ErrorKind::Transient, "deferred: no exchanger answered"),
        };
        out.settle_all(&mut pending, &e);
    }
    out
}
