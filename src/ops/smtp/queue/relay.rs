//! The smarthost delivery of `--flush-queue` ([`Delivery`] over the run's server): one session for the
//! whole flush, opened when first needed and reopened after a broken one; once the server proved
//! unreachable, no further connection is tried in this run.

use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::common::Connector;
use crate::pingpong::SessionConfig;
use crate::smtp::Session;
use crate::url::Target;

use super::super::job::Job;
use super::super::send::{Transaction, refusal, session_usable, transact, transact_with};
use super::flush::{Delivery, Fate, Tried};

/// Opens one session to the server (`connect::opener`).
pub type Open<'a> = &'a dyn Fn(&Target, &SessionConfig, Option<&Credentials>) -> Result<Session>;

/// Delivery through the run's server.
pub struct Relay<'a> {
    conn: &'a Connector,
    open: Open<'a>,
    session: Option<Session>,
    /// Why the server could not be reached (then no further connection is tried in this run).
    unreachable: Option<(ErrorKind, String)>,
}

impl<'a> Relay<'a> {
    /// Delivery through `conn`'s server, sessions opened by `open`.
    pub fn new(conn: &'a Connector, open: Open<'a>) -> Relay<'a> {
        Relay {
            conn,
            open,
            session: None,
            unreachable: None,
        }
    }

    /// Ends the session after `e`: QUIT when it is still in step, else just closed.
    fn drop_session(&mut self, e: &Error) {
        if let Some(s) = self.session.take() {
            if session_usable(e) {
                s.quit();
            } else {
                s.close();
            }
        }
    }

    fn unreachable_error(&self) -> Error {
        match &self.unreachable {
            Some((kind, msg)) => Error::new(*kind, msg.clone()),
            None => Error::new(ErrorKind::Internal, "no session"),
        }
    }

    /// The open session, opening it on first use.
    fn session(&mut self) -> Result<&mut Session> {
        if self.session.is_none() && self.unreachable.is_none() {
            match self.conn.open_once(self.open) {
                Ok(s) => self.session = Some(s),
                Err(e) => {
                    let e = e.within("flushing the queue");
                    self.unreachable = Some((e.kind(), e.to_string()));
                }
            }
        }
        let e = self.unreachable_error();
        self.session.as_mut().ok_or(e)
    }
}

impl Delivery for Relay<'_> {
    fn server(&self) -> String {
        self.conn.target.display()
    }

    fn ready(&mut self) -> Result<()> {
        self.session().map(|_| ())
    }

    fn attempt(
        &mut self,
        job: &mut Job,
        before_data: &mut dyn FnMut() -> Result<()>,
    ) -> Result<Tried> {
        let result = transact_with(self.session()?, job, false, before_data);
        match result {
            Ok(t) => Ok(tried(t)),
            Err(e) => {
                if session_usable(&e) {
                    // A refusal leaves the session in step; RSET makes it ready for the next entry.
                    let rset = self.session.as_mut().and_then(|s| s.rset().err());
                    if let Some(re) = rset {
                        self.drop_session(&re);
                    }
                } else {
                    self.drop_session(&e);
                }
                Err(e)
            }
        }
    }

    fn notice(&mut self, job: &mut Job) -> Result<String> {
        let result = transact(self.session()?, job, true);
        match result {
            Ok(Transaction {
                sent: Some(reply), ..
            }) => Ok(reply),
            Ok(t) => Err(t.results.first().map_or_else(
                || Error::new(ErrorKind::Permanent, "the notice was refused"),
                refusal,
            )),
            Err(e) => {
                self.drop_session(&e);
                Err(e)
            }
        }
    }

    fn finish(&mut self) {
        if let Some(s) = self.session.take() {
            s.quit();
        }
    }
}

/// A transaction's recipients as fates: accepted ones got the message when it was sent.
fn tried(t: Transaction) -> Tried {
    let sent = t.sent.is_some();
    Tried {
        rcpts: t
            .results
            .iter()
            .map(|r| Fate {
                address: r.address.clone(),
                reply: Some(format!("{} {}", r.code, r.text)),
                error: match (r.accepted(), sent) {
                    (true, true) => None,
                    (true, false) => Some(Error::new(ErrorKind::Transient, "not sent")),
                    (false, _) => Some(refusal(r)),
                },
            })
            .collect(),
        sent: t.sent,
        summary: None,
    }
}
