//! `--flush-queue DIR --mx`: the queue's flush ([`crate::ops::smtp::queue::flush`]: schedule, journal,
//! notices) delivering each due entry directly — its recipients grouped by domain, each domain's
//! exchangers in turn. Recipients that took the message leave the entry, deferred ones stay in it; a
//! notice goes to the sender's own domain's exchangers, from the null sender.
//!
//! Each domain gets its own connections, so nothing is kept open between entries. "sending" is
//! journalled before the first DATA of an entry; after a crash the whole entry counts as uncertain (its
//! sender is told), even when only one of its domains had begun.

use crate::error::{Error, ErrorKind, Result};
use crate::ops::smtp::job::Job;
use crate::ops::smtp::queue::Delivery;
use crate::ops::smtp::queue::flush::{Fate, Tried};

use super::{Direct, SERVER};

impl Delivery for Direct<'_> {
    fn server(&self) -> String {
        SERVER.to_string()
    }

    fn ready(&mut self) -> Result<()> {
        // DNS and connections are per domain: their failures are the recipients'.
        Ok(())
    }

    fn attempt(
        &mut self,
        job: &mut Job,
        before_data: &mut dyn FnMut() -> Result<()>,
    ) -> Result<Tried> {
        let d = self.deliver(job, before_data);
        let sent = d.domains.iter().find_map(|x| x.reply.clone());
        Ok(Tried {
            rcpts: d
                .fates
                .into_iter()
                .map(|f| Fate {
                    address: f.address,
                    reply: f.reply.map(|r| format!("{} {}", r.code, r.text)),
                    error: f.error,
                })
                .collect(),
            sent,
            summary: Some(d.summary),
        })
    }

    fn notice(&mut self, job: &mut Job) -> Result<String> {
        let d = self.deliver(job, &mut || Ok(()));
        match d.fates.into_iter().next().map(|f| f.error) {
            Some(None) => Ok(d.summary),
            Some(Some(e)) => Err(e),
            None => Err(Error::new(
                ErrorKind::Internal,
                "the notice had no recipient",
            )),
        }
    }

    fn finish(&mut self) {}
}
