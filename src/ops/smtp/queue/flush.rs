//! `--flush-queue DIR`: every entry that is due is tried again over one session (reopened after a broken
//! one); one that is not yet due is skipped; one that expired, was refused with a 5xx, or was left
//! "sending" by an interrupted flush is given up with a non-delivery notice ([`super::notice`]).
//!
//! The order of durable steps is what makes a crash harmless: the journal says `sending` before DATA and
//! `sent` after the 250, and only then is the entry removed. An entry found `sending` is never sent again
//! (at-most-once: a duplicate cannot be recalled, a lost message can be reported); its sender gets an
//! "uncertain" notice instead. An entry is removed only once its notice went out, or was delivered into
//! the `dead_letter` mailbox, or when there is nobody to tell (a null sender); otherwise it stays.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::ops::Outcome;
use crate::ops::common::{ItemResult, Tally, Ui};

use super::super::job::Job;
use super::Lifecycle;
use super::entry;
use super::journal::{self, Phase, State};
use super::notice::{self, Failed, Notice, Reason};
use super::schedule;

/// The most header bytes of the original message a notice quotes.
const HEADERS_MAX: usize = 64 * 1024;

/// How a flush delivers: through the run's server ([`super::relay::Relay`]) or straight to each
/// recipient domain's exchangers (`ops::smtp::mx::flush`). The schedule, the journal, the notices and
/// the report are the flush's own, the same for both.
pub trait Delivery {
    /// What the log and messages name as the server (`smtp://host`, or `mx`).
    fn server(&self) -> String;
    /// Whether an attempt can be made at all (the server reachable); the error defers the entry.
    fn ready(&mut self) -> Result<()>;
    /// One try of `job` to its recipients; `before_data` runs (and must succeed) before any DATA.
    /// An error decides the whole entry: permanent gives it up, transient keeps it, another after
    /// `before_data` ran makes its delivery uncertain.
    fn attempt(
        &mut self,
        job: &mut Job,
        before_data: &mut dyn FnMut() -> Result<()>,
    ) -> Result<Tried>;
    /// Sends a notice (`job`: from the null sender to one recipient); returns the reply that took it.
    fn notice(&mut self, job: &mut Job) -> Result<String>;
    /// Ends the run (QUIT on an open session).
    fn finish(&mut self);
}

/// How one recipient of a try ended.
#[derive(Debug)]
pub struct Fate {
    /// The address.
    pub address: String,
    /// The server's reply to it (`550 5.1.1 no such user`), when it got that far.
    pub reply: Option<String>,
    /// `None`: the message went to it. Else why not (transient: deferred, kept in the queue).
    pub error: Option<Error>,
}

impl Fate {
    /// The reply, else what went wrong (for the notice and the state file).
    fn why(&self) -> String {
        match (&self.reply, &self.error) {
            (Some(r), _) => r.clone(),
            (None, Some(e)) => e.to_string(),
            (None, None) => String::new(),
        }
    }
}

/// One try of an entry.
#[derive(Debug)]
pub struct Tried {
    /// Per recipient.
    pub rcpts: Vec<Fate>,
    /// The reply to the message when it went (to some recipients).
    pub sent: Option<String>,
    /// What the attempt is recorded with, when more than one reply says it (direct delivery: per
    /// domain, DNS and TLS); else the reply to the message or the first refusal.
    pub summary: Option<String>,
}

/// One queue entry in the `--json` document of a flush.
#[derive(Debug, Serialize)]
pub struct EntryJson {
    /// The entry's message file.
    pub entry: String,
    /// The entry's ID (for `--queue-drop`).
    pub id: String,
    /// `ok` (sent and removed), `skipped` (not yet due) or `failed` (deferred and kept, or given up:
    /// the error says which, and whether a notice went out).
    #[serde(flatten)]
    pub result: ItemResult,
    /// Attempts so far, this one included.
    pub attempts: u32,
    /// The server's last reply, if any.
    pub reply: Option<String>,
}

/// The `--json` document of a flush.
#[derive(Debug, Serialize)]
pub struct FlushReport {
    /// Each entry, in order.
    pub messages: Vec<EntryJson>,
    /// The entries sent (and removed, or rewritten for their deferred recipients).
    pub sent: Vec<String>,
    /// The entries left in the queue.
    pub queued: Vec<String>,
}

/// What handling one entry came to.
struct Handled {
    result: ItemResult,
    sent: bool,
    reply: Option<String>,
}

impl Handled {
    fn failed(kind: ErrorKind, msg: String, reply: Option<String>) -> Handled {
        Handled {
            result: ItemResult::failed(&Error::new(kind, msg)),
            sent: false,
            reply,
        }
    }
}

/// One flush: the delivery and the schedule.
struct Flusher<'a> {
    delivery: &'a mut dyn Delivery,
    life: &'a Lifecycle,
    ui: &'a Ui,
    now: u64,
}

/// `--flush-queue DIR` (see the module doc). One flush per queue at a time (`DIR/.lock`): a second waits
/// up to `lock_wait`, then fails with exit 7. The exit code follows the common rule over the entries.
pub fn flush(
    delivery: &mut dyn Delivery,
    dir: &Path,
    lock_wait: Duration,
    life: &Lifecycle,
    ui: &Ui,
) -> Result<Outcome> {
    // One flush per queue: two would send the same entries twice.
    let _lock = crate::state::RunLock::dir(dir, lock_wait)?;
    let server = delivery.server();
    let mut f = Flusher {
        delivery,
        life,
        ui,
        now: schedule::now(),
    };
    let mut messages = Vec::new();
    let mut sent = Vec::new();
    for path in entry::entries(dir)? {
        let name = path.display().to_string();
        let id = entry::id_of(&path);
        let (envelope, size) = entry::load(&path).map_or_else(
            |_| (String::new(), None),
            |j| (super::super::send::envelope_text(&j), Some(j.size())),
        );
        let (h, attempts) = f.one(&path, &id).unwrap_or_else(|e| {
            let e = e.within(&id);
            let h = Handled {
                result: ItemResult::failed(&e),
                sent: false,
                reply: None,
            };
            (h, 0)
        });
        if let Some(e) = &h.result.error
            && h.result.is_failure()
        {
            ui.item_error(&Error::new(
                h.result.failure().unwrap_or(ErrorKind::Internal),
                e.message.clone(),
            ));
        }
        if h.sent {
            sent.push(name.clone());
        }
        ui.log(&crate::ops::common::LogRecord {
            server: &server,
            item: &envelope,
            size,
            result: &h.result,
            reply: h.reply.as_deref(),
            queue_id: Some(&id),
        });
        messages.push(EntryJson {
            entry: name,
            id,
            result: h.result,
            attempts,
            reply: h.reply,
        });
    }
    f.delivery.finish();
    let tally = Tally::of(messages.iter().map(|m| &m.result));
    if ui.json() {
        let queued = entry::entries(dir)?
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        ui.print_json(&FlushReport {
            messages,
            sent,
            queued,
        })?;
    }
    tally.outcome(ui, "queued messages", None)
}

impl Flusher<'_> {
    /// Handles one entry; also returns its attempts so far (the entry may be gone or renamed after).
    fn one(&mut self, path: &Path, id: &str) -> Result<(Handled, u32)> {
        let mut st = State::load(path)?;
        let h = self.handle(path, id, &mut st)?;
        Ok((h, st.count))
    }

    fn handle(&mut self, path: &Path, id: &str, st: &mut State) -> Result<Handled> {
        let mut job = entry::load(path)?;
        let everyone = |reply: &str, st: &State| -> Vec<Failed> {
            job_rcpts(&job)
                .iter()
                .map(|r| Failed {
                    rcpt: r.clone(),
                    reply: reply.to_string(),
                    last_attempt: st.last().map(|a| a.time),
                })
                .collect()
        };
        match st.phase {
            Phase::Sent => {
                // The server had answered 250; only the removal was interrupted.
                journal::remove(path)?;
                self.ui.note(&format!("{id}: sent earlier; removed"));
                return Ok(Handled {
                    result: ItemResult::ok(),
                    sent: true,
                    reply: None,
                });
            }
            Phase::Sending => {
                let failed = everyone(
                    "the send was interrupted after it began; not sent again",
                    st,
                );
                return self.give_up(path, &mut job, st, id, Reason::Uncertain, failed);
            }
            Phase::Queued => {}
        }
        let sched = self.life.schedule;
        if sched.expired(st, self.now) {
            let reply = st
                .last()
                .map_or_else(|| "never tried".to_string(), |a| a.reply.clone());
            let failed = everyone(&reply, st);
            return self.give_up(path, &mut job, st, id, Reason::Expired, failed);
        }
        if !sched.due(st, self.now) {
            return Ok(Handled {
                result: ItemResult::skipped(format!(
                    "{id}: next attempt at {}",
                    crate::time::rfc3339(sched.next_attempt(st))
                )),
                sent: false,
                reply: st.last().map(|a| a.reply.clone()),
            });
        }
        self.attempt(path, &mut job, st, id)
    }

    fn attempt(&mut self, path: &Path, job: &mut Job, st: &mut State, id: &str) -> Result<Handled> {
        let now = self.now;
        if let Err(e) = self.delivery.ready() {
            st.record(now, e.kind().exit_code(), &e.to_string());
            st.save(path)?;
            return Ok(self.deferred(st, id, e.kind(), &e.to_string(), None));
        }
        let rcpts = job.rcpts.clone();
        let result = {
            let mut mark = || {
                st.phase = Phase::Sending;
                st.save(path)
            };
            self.delivery.attempt(job, &mut mark)
        };
        // A delivery may narrow the envelope as it goes (per domain); the entry keeps its own.
        job.rcpts = rcpts;
        match result {
            Ok(t) => self.settle(path, job, st, id, t),
            Err(e) => {
                let sending = st.phase == Phase::Sending;
                let msg = e.to_string();
                if e.kind() == ErrorKind::Permanent {
                    st.record(now, e.kind().exit_code(), &msg);
                    let failed = failed_all(job, &msg, now);
                    return self.give_up(path, job, st, id, Reason::Refused, failed);
                }
                if sending && e.kind() != ErrorKind::Transient {
                    // Cut off after the message may have reached the server: at most once.
                    st.record(now, e.kind().exit_code(), &msg);
                    let failed = failed_all(job, &format!("{msg}; not sent again"), now);
                    return self.give_up(path, job, st, id, Reason::Uncertain, failed);
                }
                st.phase = Phase::Queued;
                st.record(now, e.kind().exit_code(), &msg);
                st.save(path)?;
                Ok(self.deferred(st, id, e.kind(), &msg, None))
            }
        }
    }

    /// A kept entry's result: failed (transient), with when it is tried next.
    fn deferred(
        &self,
        st: &State,
        id: &str,
        kind: ErrorKind,
        why: &str,
        reply: Option<String>,
    ) -> Handled {
        let next = self.life.schedule.next_attempt(st);
        Handled::failed(
            kind,
            format!(
                "{id}: {why}; kept, next attempt at {}",
                crate::time::rfc3339(next)
            ),
            reply.or_else(|| st.last().map(|a| a.reply.clone())),
        )
    }

    /// After a transaction: the refused recipients get a notice, the deferred ones stay queued, the
    /// entry goes once nobody is left.
    fn settle(
        &mut self,
        path: &Path,
        job: &mut Job,
        st: &mut State,
        id: &str,
        t: Tried,
    ) -> Result<Handled> {
        let now = self.now;
        if t.sent.is_some() {
            st.phase = Phase::Sent;
            // Best effort: were it lost, a crash before the removal below would make the entry
            // "uncertain" rather than resent.
            let _ = st.save(path);
        }
        let failing = |transient: bool| -> Vec<&Fate> {
            t.rcpts
                .iter()
                .filter(|f| {
                    f.error
                        .as_ref()
                        .is_some_and(|e| e.kind().is_transient() == transient)
                })
                .collect()
        };
        let deferred = failing(true);
        let refused = failing(false);
        for f in deferred.iter().chain(&refused) {
            if let Some(e) = &f.error {
                self.ui.warn(&format!("{id}: {e}"));
            }
        }
        let first_refusal = deferred.iter().chain(&refused).next().map(|f| f.why());
        let reply = t.sent.clone().or(first_refusal.clone());
        let exit = if !refused.is_empty() {
            ErrorKind::Permanent.exit_code()
        } else if !deferred.is_empty() {
            ErrorKind::Transient.exit_code()
        } else {
            0
        };
        let recorded = t.summary.clone().or(reply.clone());
        st.record(now, exit, recorded.as_deref().unwrap_or(""));
        let mut remaining: Vec<String> = deferred.iter().map(|f| f.address.clone()).collect();
        let mut notice_line = None;
        if !refused.is_empty() {
            let failed = refused
                .iter()
                .map(|f| Failed {
                    rcpt: f.address.clone(),
                    reply: f.why(),
                    last_attempt: Some(now),
                })
                .collect();
            match self.notify(job, st, id, Reason::Refused, failed) {
                Ok(how) => notice_line = Some(how),
                Err(e) => {
                    self.ui.warn(&format!("{id}: {e}"));
                    remaining.extend(refused.iter().map(|f| f.address.clone()));
                }
            }
        }
        if remaining.is_empty() {
            journal::remove(path)?;
        } else if t.sent.is_none() && remaining.len() == job.rcpts.len() {
            st.phase = Phase::Queued;
            st.save(path)?;
        } else {
            requeue(path, job, st, &remaining)?;
        }
        if let Some(r) = &t.sent {
            self.ui.note(&format!("{id}: sent ({r})"));
        }
        let sent = t.sent.is_some();
        if !remaining.is_empty() {
            let why = format!(
                "{} recipient(s) deferred ({})",
                remaining.len(),
                first_refusal.unwrap_or_default()
            );
            let mut h = self.deferred(st, id, ErrorKind::Transient, &why, reply);
            h.sent = sent;
            return Ok(h);
        }
        if let Some(how) = notice_line {
            let mut h = Handled::failed(
                ErrorKind::Permanent,
                format!("{id}: {} recipient(s) refused; {how}", refused.len()),
                reply,
            );
            h.sent = sent;
            return Ok(h);
        }
        Ok(Handled {
            result: ItemResult::ok(),
            sent,
            reply,
        })
    }

    /// Gives an entry up: a notice for `failed`, then the entry removed; kept when no notice could be
    /// written anywhere.
    fn give_up(
        &mut self,
        path: &Path,
        job: &mut Job,
        st: &mut State,
        id: &str,
        reason: Reason,
        failed: Vec<Failed>,
    ) -> Result<Handled> {
        let what = match reason {
            Reason::Refused => "refused",
            Reason::Expired => "expired",
            Reason::Uncertain => "delivery uncertain",
        };
        let reply = failed.first().map(|f| f.reply.clone());
        match self.notify(job, st, id, reason, failed) {
            Ok(how) => {
                journal::remove(path)?;
                Ok(Handled::failed(
                    ErrorKind::Permanent,
                    format!("{id}: {what}; {how}"),
                    reply,
                ))
            }
            Err(e) => {
                st.save(path)?;
                Ok(Handled::failed(
                    e.kind(),
                    format!("{id}: {what}; {e}; kept in the queue"),
                    reply,
                ))
            }
        }
    }

    /// Writes the notice: sent to the envelope sender over the session, else delivered into the
    /// `dead_letter` mailbox. Returns how, or why it could not be written anywhere.
    fn notify(
        &mut self,
        job: &mut Job,
        st: &State,
        id: &str,
        reason: Reason,
        failed: Vec<Failed>,
    ) -> Result<String> {
        let headers = entry::headers(job, HEADERS_MAX)?;
        let allowed = notice::allowed(&job.from, &headers);
        let host = crate::host::name().unwrap_or_else(|| "localhost".to_string());
        let bytes = notice::render(
            &Notice {
                sender: job.from.clone(),
                id: id.to_string(),
                queued: st.queued,
                reason,
                failed,
                headers,
            },
            &host,
            self.now,
        );
        let mut unsent = None;
        if allowed {
            match self.send_notice(&job.from, &bytes) {
                Ok(reply) => return Ok(format!("notice sent to <{}> ({reply})", job.from)),
                Err(e) => unsent = Some(e),
            }
        }
        if let Some(dl) = &self.life.dead_letter {
            let why = unsent
                .as_ref()
                .map_or_else(String::new, |e| format!(" (sending it failed: {e})"));
            return match notice::deliver_locally(dl, &bytes) {
                Ok(_) => Ok(format!("notice delivered to {}{why}", dl.display())),
                Err(le) => Err(le.within(format!("the notice{why}"))),
            };
        }
        match unsent {
            None => Ok("no notice (null sender or a delivery report)".to_string()),
            Some(e) => Err(Error::new(
                e.kind(),
                format!("no notice could be sent ({e}) and no dead_letter mailbox is set"),
            )),
        }
    }

    /// Sends a notice from the null sender to `to` through the delivery; returns the reply.
    fn send_notice(&mut self, to: &str, bytes: &[u8]) -> Result<String> {
        let file = tempfile::tempfile().map_err(|e| Error::local("a temporary file", e))?;
        let mut job = Job {
            from: String::new(),
            rcpts: vec![to.to_string()],
            head: bytes.to_vec(),
            file,
            body_offset: 0,
            body_len: 0,
            eight_bit: true,
            smtputf8: !to.is_ascii(),
            // A notice asks for no notices of its own (RFC 3464 §2: no loops).
            dsn: Default::default(),
        };
        self.delivery.notice(&mut job)
    }
}

fn job_rcpts(job: &Job) -> &[String] {
    &job.rcpts
}

fn failed_all(job: &Job, reply: &str, now: u64) -> Vec<Failed> {
    job.rcpts
        .iter()
        .map(|r| Failed {
            rcpt: r.clone(),
            reply: reply.to_string(),
            last_attempt: Some(now),
        })
        .collect()
}

/// Replaces an entry by one for `rcpts` only (its state carried over): the new entry first, then the
/// old one removed.
fn requeue(path: &Path, job: &mut Job, st: &mut State, rcpts: &[String]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let new = entry::write(dir, job, rcpts)?;
    st.phase = Phase::Queued;
    let _ = st.save(&new);
    journal::remove(path)
}
