//! smtp-send: delivers a [`Job`] — connect through the common connector, authenticate, envelope, DATA —
//! with per-recipient results, retries through the one retry loop, and on a transient failure the queue
//! (`ops::smtp::queue`).
//!
//! A message is never sent twice to a recipient that accepted it: a try is repeated only when it sent
//! nothing (a transient error before the message went, or every recipient deferred with a 4xx); once the
//! message went to some recipients, the deferred rest is queued (`--queue`) instead.

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::json::ErrorJson;
use crate::ops::Outcome;
use crate::ops::common::{Connector, ItemResult, Tally, Ui, with_retries};
use crate::smtp::{RcptResult, Session};

use super::connect::{connector, opener};
use super::job::{self, Job};
use super::options::{Action, Message, Options};
use super::queue;

pub use super::options::SMTP_SCHEMES;

/// What one attempt achieved.
pub struct Transaction {
    /// Each recipient's reply.
    pub results: Vec<RcptResult>,
    /// The server's final reply to DATA when the message was sent.
    pub sent: Option<String>,
}

impl Transaction {
    /// Recipients refused with a 4xx (worth trying again later).
    pub fn deferred(&self) -> Vec<String> {
        self.results
            .iter()
            .filter(|r| is_deferral(r))
            .map(|r| r.address.clone())
            .collect()
    }

    /// Whether a message that was not sent failed only transiently (every refusal a 4xx).
    pub fn all_deferred(&self) -> bool {
        self.results.iter().all(is_deferral)
    }
}

fn is_deferral(r: &RcptResult) -> bool {
    (400..500).contains(&r.code)
}

/// One recipient's refusal as an error: transient for a 4xx, permanent otherwise.
pub fn refusal(r: &RcptResult) -> Error {
    let kind = if is_deferral(r) {
        ErrorKind::Transient
    } else {
        ErrorKind::Permanent
    };
    Error::new(
        kind,
        format!("refused <{}>: {} {}", r.address, r.code, r.text),
    )
}

/// One transaction on an open session: envelope, then DATA when at least one recipient was accepted (all
/// of them with `all_or_nothing`), else RSET.
pub fn transact(s: &mut Session, job: &mut Job, all_or_nothing: bool) -> Result<Transaction> {
    transact_with(s, job, all_or_nothing, &mut || Ok(()))
}

/// [`transact`], calling `before_data` once the envelope was accepted and before DATA (the queue's send
/// journal records "sending" there, durably); its error ends the transaction with RSET.
pub fn transact_with(
    s: &mut Session,
    job: &mut Job,
    all_or_nothing: bool,
    before_data: &mut dyn FnMut() -> Result<()>,
) -> Result<Transaction> {
    let results = s.envelope(&job.from, &job.params()?, &job.rcpts)?;
    let accepted = results.iter().filter(|r| r.accepted()).count();
    if accepted == 0 || (all_or_nothing && accepted < results.len()) {
        s.rset()?;
        return Ok(Transaction {
            results,
            sent: None,
        });
    }
    if let Err(e) = before_data() {
        let _ = s.rset();
        return Err(e);
    }
    let mut body = job.reader()?;
    let reply = s.data(&mut body)?;
    Ok(Transaction {
        results,
        sent: Some(format!("{} {}", reply.code, reply.text())),
    })
}

/// Whether an error left the session in step (a refusal the server sent), so QUIT is still polite.
pub fn session_usable(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Permanent | ErrorKind::Transient | ErrorKind::Usage
    )
}

/// Opens a session, runs one transaction and quits; through the retry loop, a try that sent nothing
/// because of a transient error or because every recipient deferred is made again on a new session.
pub fn deliver(
    conn: &Connector,
    open: &impl Fn(
        &crate::url::Target,
        &crate::pingpong::SessionConfig,
        Option<&crate::credentials::Credentials>,
    ) -> Result<Session>,
    job: &mut Job,
    all_or_nothing: bool,
    ui: &Ui,
) -> Result<Transaction> {
    let mut deferred = None;
    let mut dsn_warned = false;
    let result = with_retries(&conn.retry, ui, |_| {
        deferred = None;
        let mut s = conn.open_once(open)?;
        if job.dsn.requested() && !s.info.dsn && !dsn_warned {
            // RFC 3461 §5.2 lets a client send on without DSN; the message matters more than the report.
            ui.warn("the server does not offer DSN: sending without --notify/--ret/--envid");
            dsn_warned = true;
        }
        let t = match transact(&mut s, job, all_or_nothing) {
            Ok(t) => {
                s.quit();
                t
            }
            Err(e) => {
                if session_usable(&e) {
                    s.quit();
                } else {
                    s.close();
                }
                return Err(e);
            }
        };
        if t.sent.is_none() && t.all_deferred() && !all_or_nothing {
            deferred = Some(t);
            return Err(Error::new(
                ErrorKind::Transient,
                "every recipient was deferred",
            ));
        }
        Ok(t)
    });
    match (result, deferred) {
        (Err(_), Some(t)) => Ok(t),
        (result, _) => result,
    }
}

/// One recipient in `--json` output.
#[derive(Debug, Serialize)]
pub struct RcptJson {
    /// The address.
    pub address: String,
    /// `ok` (the message went to it), `failed` (refused, deferred or queued, or the message was not
    /// sent: the error says why and the exit code it alone would have).
    #[serde(flatten)]
    pub result: ItemResult,
    /// The server's reply code to RCPT (absent when it was not asked).
    pub code: Option<u16>,
    /// The server's reply text.
    pub text: Option<String>,
}

/// The `--json` document.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The server (without password).
    pub server: String,
    /// The envelope sender.
    pub from: String,
    /// The message size in octets.
    pub size: u64,
    /// The message's fate: `sent`, `partial`, `refused`, `queued` or `failed`.
    pub status: &'static str,
    /// Per recipient.
    pub recipients: Vec<RcptJson>,
    /// The server's reply to the message.
    pub reply: Option<String>,
    /// The queue file, when queued.
    pub queued: Option<String>,
    /// What went wrong.
    pub error: Option<ErrorJson>,
}

/// Runs smtp-send (and sendmail mode).
pub fn run(opts: &Options, ui: &Ui) -> Result<Outcome> {
    match &opts.action {
        Action::Flush(dir) => {
            let wait = opts.server.net.timeout.min(crate::state::LOCK_WAIT);
            match &opts.mx {
                Some(mx) => {
                    let mut d = super::mx::Direct::new(opts, mx, ui)?;
                    queue::flush(&mut d, dir, wait, &opts.lifecycle, ui)
                }
                None => {
                    let conn = connector(&opts.server)?;
                    let open = opener(&opts.server);
                    let mut d = queue::Relay::new(&conn, &open);
                    queue::flush(&mut d, dir, wait, &opts.lifecycle, ui)
                }
            }
        }
        Action::Send(m) => match &opts.mx {
            Some(mx) => super::mx::send(opts, m, mx, ui),
            None => send(opts, m, ui),
        },
    }
}

fn error_json(e: &Error) -> ErrorJson {
    ErrorJson {
        exit_code: e.kind().exit_code(),
        message: e.to_string(),
    }
}

fn send(opts: &Options, m: &Message, ui: &Ui) -> Result<Outcome> {
    let mut job = job::prepare(m, opts.sendmail, &opts.local, &opts.dsn)?;
    let conn = connector(&opts.server)?;
    let result = deliver(
        &conn,
        &opener(&opts.server),
        &mut job,
        opts.all_or_nothing,
        ui,
    );
    let mut report = Report {
        server: conn.target.display(),
        from: job.from.clone(),
        size: job.size(),
        status: "failed",
        recipients: Vec::new(),
        reply: None,
        queued: None,
        error: None,
    };
    let fatal = match result {
        Ok(t) => settle(opts, ui, &mut job, t, &mut report)?,
        Err(e) => Some(not_sent(opts, &mut job, e, &mut report)),
    };
    report.error = fatal.as_ref().map(error_json);
    log_message(ui, &report, &job, fatal.as_ref());
    let tally = Tally::of(report.recipients.iter().map(|r| &r.result));
    if ui.json() {
        ui.print_json(&report)?;
    }
    let outcome = tally.outcome(ui, "recipients", fatal);
    if opts.sendmail && report.status == "queued" {
        // sendmail's contract: a queued message is accepted (exit 0), as sendmail and Postfix do; a
        // non-zero exit makes MUAs and cron treat it as lost and send it again. The queue takes it from
        // here: retried by --flush-queue, or returned to the sender with a notice.
        if let Err(e) = &outcome {
            ui.warn(&e.to_string());
        }
        return Ok(Outcome::Success);
    }
    outcome
}

/// The envelope as the transaction log shows it: `<from> -> <to> <to>`.
pub fn envelope_text(job: &Job) -> String {
    let rcpts: Vec<String> = job.rcpts.iter().map(|r| format!("<{r}>")).collect();
    format!("<{}> -> {}", job.from, rcpts.join(" "))
}

/// The message's line in the transaction log: ok when it went to every recipient, else the run's error
/// or the first recipient's failure.
fn log_message(ui: &Ui, report: &Report, job: &Job, fatal: Option<&Error>) {
    let result = match fatal {
        Some(e) => ItemResult::failed(e),
        None => report
            .recipients
            .iter()
            .find(|r| r.result.is_failure())
            .map_or_else(ItemResult::ok, |r| r.result.clone()),
    };
    let queue_id = report
        .queued
        .as_deref()
        .map(|q| queue::entry::id_of(std::path::Path::new(q)));
    ui.log(&crate::ops::common::LogRecord {
        server: &report.server,
        item: &envelope_text(job),
        size: Some(report.size),
        result: &result,
        reply: report.reply.as_deref(),
        queue_id: queue_id.as_deref(),
    });
}

/// Nothing was sent because of `e`: with `--queue` and a transient `e`, the message is queued. Every
/// recipient fails with the run's error.
fn not_sent(opts: &Options, job: &mut Job, e: Error, report: &mut Report) -> Error {
    let mut e = e;
    if e.kind().is_transient()
        && let Some(dir) = &opts.queue
    {
        let rcpts = job.rcpts.clone();
        match queue::enqueue_after(dir, job, &rcpts, &e.to_string()) {
            Ok(path) => {
                report.status = "queued";
                report.queued = Some(path.display().to_string());
                e = Error::new(
                    ErrorKind::Transient,
                    format!("{e}; queued as {}", path.display()),
                );
            }
            Err(qe) => e = qe.within(format!("{e}; queueing failed")),
        }
    }
    report.recipients = job
        .rcpts
        .iter()
        .map(|a| RcptJson {
            address: a.clone(),
            result: ItemResult::failed(&e),
            code: None,
            text: None,
        })
        .collect();
    e
}

/// Records a finished transaction: each refusal reported, the 4xx ones queued with `--queue` (when the
/// message went, or nothing went only because of them). Returns the run's error when nothing was sent:
/// permanent (exit 6), or transient (exit 7) when every refusal was a 4xx.
fn settle(
    opts: &Options,
    ui: &Ui,
    job: &mut Job,
    t: Transaction,
    report: &mut Report,
) -> Result<Option<Error>> {
    let mut queued_for: Vec<String> = Vec::new();
    let deferred = t.deferred();
    let transient_fail = t.sent.is_none() && t.all_deferred() && !opts.all_or_nothing;
    if let Some(dir) = &opts.queue
        && !deferred.is_empty()
        && (t.sent.is_some() || transient_fail)
    {
        let why = t
            .results
            .iter()
            .find(|r| is_deferral(r))
            .map_or_else(String::new, |r| format!("{} {}", r.code, r.text));
        let path = queue::enqueue_after(dir, job, &deferred, &why)?;
        report.queued = Some(path.display().to_string());
        queued_for = deferred;
    }
    let refused = t.results.iter().filter(|r| !r.accepted()).count();
    for r in t.results.iter().filter(|r| !r.accepted()) {
        ui.warn(&refusal(r).to_string());
    }
    if let Some(q) = &report.queued {
        ui.warn(&format!(
            "queued for {} deferred recipient(s) as {q}",
            queued_for.len()
        ));
    }
    report.reply = t.sent.clone();
    let fatal = match &t.sent {
        Some(reply) => {
            if !opts.sendmail {
                let line = format!(
                    "sent to {} of {} recipient(s): {reply}",
                    t.results.len() - refused,
                    t.results.len()
                );
                // A partial delivery is not a quiet success: cron reports which ones went.
                if refused == 0 {
                    ui.note(&line);
                } else {
                    ui.notice(&line);
                }
            }
            report.status = if refused == 0 { "sent" } else { "partial" };
            None
        }
        None => {
            report.status = if report.queued.is_some() {
                "queued"
            } else {
                "refused"
            };
            Some(if opts.all_or_nothing && refused < t.results.len() {
                Error::new(
                    ErrorKind::Permanent,
                    format!(
                        "--all-or-nothing: {refused} of {} recipients refused; nothing sent",
                        t.results.len()
                    ),
                )
            } else if transient_fail {
                Error::new(
                    ErrorKind::Transient,
                    "every recipient was deferred; nothing sent",
                )
            } else {
                Error::new(
                    ErrorKind::Permanent,
                    "every recipient was refused; nothing sent",
                )
            })
        }
    };
    report.recipients = t
        .results
        .iter()
        .map(|r| {
            let result = if r.accepted() {
                // Accepted, and the message went unless the run failed (then the run's error says why).
                fatal
                    .as_ref()
                    .map_or_else(ItemResult::ok, ItemResult::failed)
            } else if let Some(q) = report
                .queued
                .as_ref()
                .filter(|_| queued_for.contains(&r.address))
            {
                let e = refusal(r);
                ItemResult::failed(&Error::new(e.kind(), format!("{e}; queued as {q}")))
            } else {
                ItemResult::failed(&refusal(r))
            };
            RcptJson {
                address: r.address.clone(),
                result,
                code: Some(r.code),
                text: Some(r.text.clone()),
            }
        })
        .collect();
    Ok(fatal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::common::{NetOptions, OutputMode};
    use crate::ops::smtp::options::{Ready, Server, Source};
    use crate::url::Target;

    fn opts(all_or_nothing: bool) -> Options {
        Options {
            server: Server {
                target: Target::parse("smtp://h", SMTP_SCHEMES).unwrap(),
                net: NetOptions::default(),
                login: crate::ops::common::Login::None,
                auth: None,
                helo: None,
            },
            action: Action::Send(Message {
                from: None,
                rcpts: Vec::new(),
                source: Source::Ready(Ready {
                    path: "-".into(),
                    read_recipients: false,
                    dot_ends_input: false,
                    full_name: None,
                }),
            }),
            queue: None,
            all_or_nothing,
            sendmail: false,
            local: Default::default(),
            dsn: Default::default(),
            mx: None,
            lifecycle: Default::default(),
        }
    }

    fn job() -> Job {
        Job {
            from: "ann@x".into(),
            rcpts: vec!["a@y".into(), "b@y".into(), "c@y".into()],
            head: Vec::new(),
            file: tempfile::tempfile().unwrap(),
            body_offset: 0,
            body_len: 0,
            eight_bit: false,
            smtputf8: false,
            dsn: Default::default(),
        }
    }

    fn report() -> Report {
        Report {
            server: String::new(),
            from: String::new(),
            size: 0,
            status: "failed",
            recipients: Vec::new(),
            reply: None,
            queued: None,
            error: None,
        }
    }

    fn rcpt(address: &str, code: u16) -> RcptResult {
        RcptResult {
            address: address.into(),
            code,
            text: "t".into(),
        }
    }

    fn statuses(r: &Report) -> String {
        serde_json::to_string(&r.recipients).unwrap()
    }

    #[test]
    fn a_sent_message_with_refusals_is_partial() {
        let ui = Ui::capturing("smtp-send", OutputMode::default());
        let mut r = report();
        let t = Transaction {
            results: vec![rcpt("a@y", 250), rcpt("b@y", 550), rcpt("c@y", 451)],
            sent: Some("250 ok".into()),
        };
        let fatal = settle(&opts(false), &ui, &mut job(), t, &mut r).unwrap();
        assert!(fatal.is_none());
        assert_eq!(r.status, "partial");
        assert_eq!(
            statuses(&r),
            r#"[{"address":"a@y","status":"ok","error":null,"code":250,"text":"t"},{"address":"b@y","status":"failed","error":{"exit_code":6,"message":"refused <b@y>: 550 t"},"code":550,"text":"t"},{"address":"c@y","status":"failed","error":{"exit_code":7,"message":"refused <c@y>: 451 t"},"code":451,"text":"t"}]"#
        );
        let outcome = Tally::of(r.recipients.iter().map(|x| &x.result))
            .outcome(&ui, "recipients", fatal)
            .unwrap();
        assert_eq!(outcome, Outcome::Partial);
        assert_eq!(
            ui.captured(),
            "smtp-send: refused <b@y>: 550 t\n\
             smtp-send: refused <c@y>: 451 t\n\
             smtp-send: sent to 1 of 3 recipient(s): 250 ok\n\
             smtp-send: 2 of 3 recipients failed\n"
        );
    }

    #[test]
    fn nothing_sent_is_the_runs_error_and_every_recipient_failed() {
        let ui = Ui::capturing(
            "sendmail",
            OutputMode {
                json: true,
                ..OutputMode::default()
            },
        );
        let mut r = report();
        let t = Transaction {
            results: vec![rcpt("a@y", 250), rcpt("b@y", 550)],
            sent: None,
        };
        let fatal = settle(&opts(true), &ui, &mut job(), t, &mut r).unwrap();
        assert_eq!(r.status, "refused");
        let e = Tally::of(r.recipients.iter().map(|x| &x.result))
            .outcome(&ui, "recipients", fatal)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(
            e.to_string(),
            "--all-or-nothing: 1 of 2 recipients refused; nothing sent"
        );
        assert_eq!(
            statuses(&r),
            r#"[{"address":"a@y","status":"failed","error":{"exit_code":6,"message":"--all-or-nothing: 1 of 2 recipients refused; nothing sent"},"code":250,"text":"t"},{"address":"b@y","status":"failed","error":{"exit_code":6,"message":"refused <b@y>: 550 t"},"code":550,"text":"t"}]"#
        );
        assert_eq!(ui.captured(), "", "--json keeps stderr for the run's error");
    }
}
