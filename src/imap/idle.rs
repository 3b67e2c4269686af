//! IDLE (RFC 2177) and NOOP (RFC 9051 §6.1.2): the session side of watching a mailbox.
//!
//! [`Session::idle`] sends IDLE and waits (one timeout) for the server's `+`; [`Session::idle_wait`]
//! then reads one untagged response at a time until a caller's deadline — the re-IDLE interval — so a
//! silent server never holds the client longer than that; [`Session::idle_done`] sends DONE and reads
//! the completion within one timeout, which is what notices a server that died while we idled. What to
//! do with an EXISTS, and when to re-IDLE, is the caller's; this module knows no files.

use std::time::Instant;

use crate::error::{Error, ErrorKind, Result};
use crate::pingpong::{Command, Wire};

use super::response::Response;
use super::{Capability, Session, Status, refused};

/// How early a read timeout may fire and still count as the deadline.
const EARLY: std::time::Duration = std::time::Duration::from_millis(100);

/// What came while idling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idled {
    /// Untagged data (`* n EXISTS`, `* n EXPUNGE`, `* n FETCH (FLAGS ...)`, ...), already tracked by
    /// the session ([`Session::exists`], [`Session::arrived`]).
    Data(Response),
    /// The deadline passed with nothing (more) to read.
    Quiet,
    /// The server ended the IDLE itself with an OK completion (it may do so, RFC 2177 §3).
    Ended,
}

impl<S: Wire> Session<S> {
    /// IDLE (RFC 2177 §3): sends it and waits for the continuation; untagged data before it is tracked.
    /// Returns the tag, for [`Session::idle_wait`] and [`Session::idle_done`]. A server without the IDLE
    /// capability is not asked (exit 6).
    pub fn idle(&mut self) -> Result<String> {
        if !self.caps.has(Capability::Idle) {
            return Err(Error::new(
                ErrorKind::Permanent,
                "the server does not offer IDLE",
            ));
        }
        let tag = self.tags.next_tag();
        self.pp.send(&Command::new("IDLE").tagged(tag.clone()))?;
        let deadline = self.pp.deadline();
        loop {
            let r = self.response_within(deadline)?;
            if let Response::Continue(_) = r {
                return Ok(tag);
            }
            if let Some(st) = self.untagged_or_done(&tag, "IDLE", r, &mut |_| Ok(()))? {
                return Err(match st.status {
                    Status::Ok => Error::protocol("IDLE: completed before it started"),
                    _ => refused("IDLE", &st),
                });
            }
        }
    }

    /// Reads the next response while idling, waiting at most until `until`: untagged data, the
    /// server's own completion, or [`Idled::Quiet`] when `until` passed first. BYE, a foreign tag or a
    /// refusal end the session (errors, as for every command).
    pub fn idle_wait(&mut self, tag: &str, until: Instant) -> Result<Idled> {
        if Instant::now() >= until {
            return Ok(Idled::Quiet);
        }
        let r = match self.response_within(until) {
            Ok(r) => r,
            // Nothing arrived in time: the wait is over, the connection is still in step (bytes of a
            // line begun stay buffered in the engine).
            // (A socket timer may fire a hair early: that is the deadline too.)
            Err(e) if e.kind() == ErrorKind::Timeout && Instant::now() + EARLY >= until => {
                return Ok(Idled::Quiet);
            }
            Err(e) => return Err(e),
        };
        let mut data = None;
        let done = self.untagged_or_done(tag, "IDLE", r, &mut |r| {
            data = Some(r);
            Ok(())
        })?;
        match (done, data) {
            (Some(st), _) if st.status == Status::Ok => Ok(Idled::Ended),
            (Some(st), _) => Err(refused("IDLE", &st)),
            (None, Some(r)) => Ok(Idled::Data(r)),
            // A CAPABILITY response: taken by the session, nothing for the caller.
            (None, None) => Ok(Idled::Data(Response::Other("CAPABILITY".into()))),
        }
    }

    /// DONE (RFC 2177 §3): ends the IDLE begun with `tag` and reads its completion within one timeout;
    /// a server that does not answer is a timeout (exit 11, transient: the caller reconnects).
    pub fn idle_done(&mut self, tag: &str) -> Result<()> {
        self.pp.send(&Command::new("DONE"))?;
        self.complete(tag, "IDLE", &mut |_| Ok(()))?;
        Ok(())
    }

    /// NOOP (RFC 9051 §6.1.2): lets the server announce new mail (EXISTS) and checks the connection.
    pub fn noop(&mut self) -> Result<()> {
        self.simple("NOOP", vec![], "NOOP")?;
        Ok(())
    }

    /// Whether an EXISTS announced more messages than the session knew of (not resetting it).
    pub fn arrived(&self) -> bool {
        self.arrived
    }

    /// Whether an EXISTS announced more messages than the session knew of since the last call; resets
    /// the flag. A watcher asks after each fetch, so mail announced while it fetched is not missed.
    pub fn take_arrived(&mut self) -> bool {
        std::mem::take(&mut self.arrived)
    }
}
