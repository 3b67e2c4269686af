//! `smtp-send`: clap definition, the conversion of its flags into [`Options`] (every usage error raised
//! here), and the entry point. The behaviour is `ops::smtp::send`.
//!
//! Invoked as `sendmail` (a symlink) or as `smtp-send --sendmail ...`, the command line is read the way
//! sendmail(8) reads it ([`sendmail`]) straight into the same [`Options`].

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use super::common::NetArgs;
use crate::error::{Error, Result};
use crate::ops::common::{Login, OutputMode};
use crate::ops::smtp::options::{
    Action, Body, Compose, Local, Message, Options, Ready, SMTP_SCHEMES, Server, Source,
    push_unique,
};
use crate::smtp::address;
use crate::smtp::dsn::{Dsn, MAX_ENVID, Notify, Ret};
use crate::url::Target;

pub mod headers;
pub mod mx;
pub mod sendmail;

/// Send a mail message over SMTP (submission, STARTTLS, SMTPS), composed from flags or ready-made.
#[derive(Debug, Parser)]
#[command(
    name = "smtp-send",
    version,
    about = "Send mail over SMTP: compose from flags, or send a ready message (sendmail-compatible)",
    long_about = "Send mail over SMTP (RFC 5321) with STARTTLS, implicit TLS (smtps://) and SASL \
        authentication.\n\n\
        Compose a message from --from/--to/--subject/--body/--attach (non-ASCII text is MIME-encoded), or send \
        a ready message with --message FILE|- (-t takes the recipients from its To, Cc and Bcc fields and \
        removes Bcc). Date and Message-ID are added when missing. The message is streamed: line endings \
        become CRLF and lines are dot-stuffed as it is sent. Each recipient's result is reported; when some \
        are refused the message still goes to the others and the exit code is 10.\n\n\
        Invoked as `sendmail` (a symlink to smtp-send) or with --sendmail, the sendmail command line is \
        accepted (-t, -i, -oi, -f ADDR, -F NAME, recipients as arguments; the usual no-op flags are \
        ignored) and the server comes from the config file's default account, so cron's MAILTO works. \
        ferry's own long options (--account NAME, --helo NAME, --auth MECH, --queue=DIR, --cacert=FILE, \
        --retries=N, ...) are accepted there too, and -N/-R/-V are --notify/--ret/--envid.\n\n\
        The account in use (--account, or the default one) may set from (the envelope sender), domain \
        (qualifies bare local names such as root, in the envelope and in From/To/Cc), aliases (an \
        /etc/aliases-style file with a default: entry), helo and queue; sendmail mode sends as \
        $LOGNAME@domain when nothing names a sender. See ferry-config(5). EHLO gives this host's fully \
        qualified name, else its address literal.\n\n\
        UTF-8 header text is RFC 2047-encoded when every address is ASCII; SMTPUTF8 is declared only for a \
        UTF-8 address (exit 6 when the server lacks it). --notify/--ret/--envid request delivery status \
        notifications (RFC 3461, with ORCPT per recipient) from a server that offers DSN; from one that \
        does not, a warning, and the message goes without them.\n\n\
        --retries N tries again, on a new connection, only when nothing was sent (a transient failure \
        before the message went, or every recipient deferred): a recipient that accepted the message never \
        gets it twice.\n\n\
        --queue DIR keeps a message that could not be sent (a transient failure) as one file in DIR, \
        written atomically, so queueing needs no lock. --flush-queue DIR holds the lock DIR/.lock for its \
        whole run: a second flush started meanwhile waits up to 10 seconds (or --timeout, if shorter), then \
        exits 7 with \"another run holds the lock on DIR\", so no entry is sent twice. SIZE= counts the \
        message as sent (CRLF line endings; RFC 1870 leaves out the stuffing dots).\n\n\
        Queue lifecycle: each entry records its attempts (time, exit class, server reply). --flush-queue \
        tries an entry only when it is due: --retry-after (default 30m) after its first attempt, the wait \
        doubling after each further one up to 4h; entries not yet due are skipped. An entry queued longer \
        than --max-age (default 5d), or refused with a 5xx, is given up: an RFC 3464 non-delivery notice \
        (multipart/report: an explanation, message/delivery-status per recipient, the original header) is \
        sent from the null sender to the envelope sender through the same server (with --mx: to the \
        sender's domain's exchangers), and only then is the entry removed. No notice goes to a null sender or for a message that is itself a delivery report. \
        When the notice cannot be sent it is delivered into the account's dead_letter mailbox (a Maildir \
        when the path ends in / or is a directory, else an mbox file); with neither, the entry stays \
        queued and the flush reports it. A crash between the server's 250 and the entry's removal never \
        sends a message twice: the entry is journalled \"sending\" before DATA and \"sent\" after the 250. \
        The trade-off is at-most-once: an entry found \"sending\" (the server may or may not have it) is \
        not sent again; its sender gets a notice saying delivery is uncertain (status 4.4.0) -- a lost \
        message can be reported and resent by a person, a duplicate cannot be recalled. --queue-list DIR \
        [--json] shows each entry (ID, age, attempts, next attempt, last reply: with --mx, what each domain \
        came to, its DNS, exchanger and TLS); --queue-drop ID --queue \
        DIR removes one. FERRY_TEST_NOW=SECONDS (since the epoch) replaces the clock of the queue \
        schedule, for tests.\n\n\
        Exit of a run that only queued: smtp-send exits 7 (the message is not delivered yet; scripts can \
        tell). In sendmail mode it exits 0, as sendmail and Postfix do once a message is safely queued: \
        MUAs and cron treat any other status as a failed submission and would send the message again; \
        the queue guarantees a retry or a notice.\n\n\
        --log FILE (every network tool; or the account's log = PATH or \"syslog\") appends one line per \
        message or file: RFC 3339 time, tool, account, server, envelope or path, size, result \
        (ok/skipped/failed), server reply or error, queue ID.\n\n\
        With --json, each recipient carries a status: `ok` (the message went to it) or `failed` (refused, \
        deferred, queued, or the message was not sent), and for `failed` an error with the exit code that \
        failure alone would have (6 for a 5xx refusal, 7 for a 4xx or a queued message) and the reason. \
        A --flush-queue run lists each entry the same way (`ok`: sent and removed; `failed`: kept). The \
        exit code of the run: 0 when every recipient got the message, 10 when some did, else the code of \
        the failure.",
    after_help = super::exit_codes_help(),
    after_long_help = super::examples_and_codes(EXAMPLES),
)]
pub struct Args {
    /// smtp:// (port 587) or smtps:// (port 465) URL of the server; optional with --account or a
    /// default account in the config file.
    #[arg(value_name = "URL")]
    pub url: Option<String>,

    /// The sender: the From field of a composed message and the envelope sender (MAIL FROM); with
    /// --message the envelope sender only (default: the message's From address).
    #[arg(long, value_name = "ADDR", help_heading = "Message")]
    pub from: Option<String>,
    /// A recipient (To field when composing; with --message an extra envelope recipient). Repeatable.
    #[arg(long, value_name = "ADDR", help_heading = "Message")]
    pub to: Vec<String>,
    /// A Cc recipient. Repeatable.
    #[arg(long, value_name = "ADDR", help_heading = "Message")]
    pub cc: Vec<String>,
    /// A blind-copy recipient: in the envelope only, never in a header. Repeatable.
    #[arg(long, value_name = "ADDR", help_heading = "Message")]
    pub bcc: Vec<String>,
    /// The Subject (UTF-8; encoded per RFC 2047 when not ASCII).
    #[arg(long, value_name = "TEXT", help_heading = "Message")]
    pub subject: Option<String>,
    /// The text body (UTF-8).
    #[arg(
        long,
        value_name = "TEXT",
        conflicts_with = "body_file",
        help_heading = "Message"
    )]
    pub body: Option<String>,
    /// Read the text body from FILE (`-` for stdin).
    #[arg(long, value_name = "FILE", help_heading = "Message")]
    pub body_file: Option<PathBuf>,
    /// Attach FILE (content type from its extension). Repeatable.
    #[arg(long, value_name = "FILE", help_heading = "Message")]
    pub attach: Vec<PathBuf>,
    /// An HTML version of the body, read from FILE: sent with the text body as multipart/alternative
    /// (alone when there is no text body).
    #[arg(long, value_name = "FILE", help_heading = "Message")]
    pub html: Option<PathBuf>,
    /// A Reply-To address. Repeatable.
    #[arg(long, value_name = "ADDR", help_heading = "Message")]
    pub reply_to: Vec<String>,
    /// An extra header field, 'Name: value' (UTF-8 values are RFC 2047-encoded). Repeatable. Date and
    /// Message-ID replace the generated ones; Reply-To, Sender, Date and Message-ID are validated;
    /// From/To/Cc/Bcc/Subject have their own flags; MIME fields are refused.
    #[arg(long, value_name = "'NAME: VALUE'", help_heading = "Message")]
    pub header: Vec<String>,
    /// Send the ready message in FILE (`-` for stdin) instead of composing one.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["subject", "body", "body_file", "attach", "html", "reply_to", "header"],
        help_heading = "Message"
    )]
    pub message: Option<PathBuf>,
    /// With --message: take recipients from the To, Cc and Bcc fields (groups, comments and quoted names
    /// understood) and remove the Bcc fields.
    #[arg(
        short = 't',
        long = "read-recipients",
        requires = "message",
        help_heading = "Message"
    )]
    pub read_recipients: bool,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub smtp: SmtpArgs,
    /// Resend every message queued in DIR, removing each only after the server accepted it.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = ["message", "subject", "body", "body_file", "attach", "to", "cc", "bcc", "from", "queue"],
        help_heading = "Queue"
    )]
    pub flush_queue: Option<PathBuf>,
    /// With --flush-queue: wait DURATION after an entry's first attempt before the next (doubling after
    /// each, at most 4h): 90s, 30m, 2h.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "30m", help_heading = "Queue")]
    pub retry_after: Duration,
    /// With --flush-queue: give up an entry queued longer than DURATION (a non-delivery notice goes to
    /// its sender): 12h, 5d.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "5d", help_heading = "Queue")]
    pub max_age: Duration,
    /// List the entries queued in DIR (ID, age, attempts, next attempt, last reply); with --json, a
    /// document. Needs no server.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = ["message", "subject", "body", "body_file", "attach", "to", "cc", "bcc", "from", "queue", "flush_queue"],
        help_heading = "Queue"
    )]
    pub queue_list: Option<PathBuf>,
    /// Remove entry ID (as --queue-list shows it) from the queue given with --queue, without a notice.
    #[arg(
        long,
        value_name = "ID",
        requires = "queue",
        conflicts_with_all = ["message", "subject", "body", "body_file", "attach", "to", "cc", "bcc", "from", "flush_queue", "queue_list"],
        help_heading = "Queue"
    )]
    pub queue_drop: Option<String>,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub net: NetArgs,
}

/// The SMTP session and queue flags, shared with sendmail mode.
#[derive(Debug, Clone, clap::Args)]
pub struct SmtpArgs {
    /// The name to introduce ourselves with in EHLO/HELO (default: this host's name).
    #[arg(long, value_name = "NAME", help_heading = "SMTP")]
    pub helo: Option<String>,
    /// SASL mechanism: plain, login, xoauth2 or oauthbearer (the OAuth ones take the token from
    /// --password-command). Default: PLAIN, else LOGIN, when a user is given.
    #[arg(long, value_name = "MECH", value_parser = super::common::parse_mechanism, help_heading = "SMTP")]
    pub auth: Option<crate::sasl::Mechanism>,
    /// When some recipients are refused, send nothing (RSET) and exit 6.
    #[arg(long, help_heading = "SMTP")]
    pub all_or_nothing: bool,
    /// When delivery fails transiently (connect, 4xx, timeout), keep the message in DIR and exit 7
    /// (default: the account's `queue`).
    #[arg(long, value_name = "DIR", help_heading = "Queue")]
    pub queue: Option<PathBuf>,
    /// DSN (RFC 3461): when to report delivery, `never` or a comma-separated set of success, failure,
    /// delay. Sent only to a server that offers DSN (else a warning, and the message goes without).
    #[arg(long, value_name = "WHEN", value_parser = parse_notify, help_heading = "DSN")]
    pub notify: Option<Notify>,
    /// DSN: what a failure report returns, the full message or its headers only.
    #[arg(long, value_name = "full|hdrs", value_parser = parse_ret, help_heading = "DSN")]
    pub ret: Option<Ret>,
    /// DSN: an envelope ID the reports quote (printable ASCII, at most 100 characters).
    #[arg(long, value_name = "ID", help_heading = "DSN")]
    pub envid: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub mx: mx::MxArgs,
}

fn parse_notify(s: &str) -> std::result::Result<Notify, String> {
    Notify::parse(s)
}

fn parse_ret(s: &str) -> std::result::Result<Ret, String> {
    match s.to_ascii_lowercase().as_str() {
        "full" => Ok(Ret::Full),
        "hdrs" => Ok(Ret::Hdrs),
        _ => Err("expected full or hdrs".into()),
    }
}

impl SmtpArgs {
    /// The DSN request of `--notify`, `--ret`, `--envid` (the envelope ID checked here).
    pub fn dsn(&self) -> Result<Dsn> {
        if let Some(id) = &self.envid
            && (id.is_empty()
                || id.len() > MAX_ENVID
                || !id.bytes().all(|b| (0x20..0x7f).contains(&b)))
        {
            return Err(Error::usage(format!(
                "--envid {id:?}: expected 1 to {MAX_ENVID} printable ASCII characters"
            )));
        }
        Ok(Dsn {
            notify: self.notify,
            ret: self.ret,
            envid: self.envid.clone(),
        })
    }
}

const EXAMPLES: &str = "Examples:
  smtp-send smtp://ann@mail.example.com --starttls --from ann@example.com --to bob@example.org \\
      --subject 'Report' --body-file report.txt --attach figures.pdf
  smtp-send smtps://mail.example.com -u ann --password-command 'pass mail' --message draft.eml -t
  printf 'Subject: hi\\n\\nhello\\n' | smtp-send --account work --message - --to bob@example.org
  smtp-send smtp://mail.example.com --auth xoauth2 -u ann --password-command get-token --message m.eml -t
  smtp-send --queue ~/.mailq ... ; smtp-send --flush-queue ~/.mailq smtp://mail.example.com --starttls
  smtp-send --mx --queue ~/.mailq ... ; smtp-send --flush-queue ~/.mailq --mx   # direct, from cron
  ln -s $(command -v smtp-send) /usr/sbin/sendmail   # cron: sendmail -t -i, default account";

/// The envelope from `--from` and `--to/--cc/--bcc` (each one mailbox, each recipient once).
fn envelope(
    from: Option<&str>,
    lists: [(&str, &[String]); 3],
) -> Result<(Option<String>, Vec<String>)> {
    let from = from.map(|f| address::mailbox(f, "--from")).transpose()?;
    let mut rcpts = Vec::new();
    for (what, list) in lists {
        for v in list {
            push_unique(&mut rcpts, address::mailbox(v, what)?);
        }
    }
    Ok((from, rcpts))
}

/// The message the flags describe: composed, or ready (`--message`).
fn message(a: &Args) -> Result<Message> {
    let lists = [
        ("--to", &a.to[..]),
        ("--cc", &a.cc[..]),
        ("--bcc", &a.bcc[..]),
    ];
    let Some(path) = &a.message else {
        let from_value = a.from.clone().ok_or_else(|| {
            Error::usage("--from is required to compose a message (or use --message)")
        })?;
        let (from, rcpts) = envelope(Some(&from_value), lists)?;
        if rcpts.is_empty() {
            return Err(Error::usage("no recipients: give --to, --cc or --bcc"));
        }
        let mut reply_to = a.reply_to.clone();
        let headers = headers::parse(&a.header, &mut reply_to)?;
        for r in &reply_to {
            crate::mime::header::check_value("--reply-to", r)?;
            if address::parse_list(r)?.is_empty() {
                return Err(Error::usage(format!("--reply-to {r:?}: no address")));
            }
        }
        let body = match (&a.body, &a.body_file) {
            (Some(text), _) => Body::Text(text.clone()),
            (None, Some(path)) => Body::File(path.clone()),
            (None, None) => Body::None,
        };
        return Ok(Message {
            from,
            rcpts,
            source: Source::Compose(Box::new(Compose {
                from: from_value,
                to: a.to.clone(),
                cc: a.cc.clone(),
                subject: a.subject.clone(),
                body,
                attach: a.attach.clone(),
                html: a.html.clone(),
                reply_to,
                headers,
            })),
        });
    };
    let (from, rcpts) = envelope(a.from.as_deref(), lists)?;
    if rcpts.is_empty() && !a.read_recipients {
        return Err(Error::usage(
            "no recipients: give --to, or -t to take them from the message",
        ));
    }
    Ok(Message {
        from,
        rcpts,
        source: Source::Ready(Ready {
            path: path.clone(),
            read_recipients: a.read_recipients,
            dot_ends_input: false,
            full_name: None,
        }),
    })
}

/// The EHLO name: `--helo`, else the account's `helo`; checked to be one token of a sane length.
fn helo_of(smtp: &SmtpArgs, account: Option<&crate::config::Account>) -> Result<Option<String>> {
    let helo = smtp
        .helo
        .clone()
        .or_else(|| account.and_then(|a| a.helo.clone()));
    if let Some(h) = &helo
        && (h.is_empty() || h.len() > 255 || h.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err(Error::usage(format!(
            "--helo {h:?}: expected a host name or [address]"
        )));
    }
    Ok(helo)
}

/// The server of a run: `url`, else the URL of the account (`--account`, or the config file's default
/// account when neither is given), with the account's STARTTLS and trust anchors merged in. A user known
/// from the URL, `--user` or the account, or `--auth`, means AUTH ([`Login::Required`]).
pub fn server(url: Option<String>, net: &NetArgs, smtp: &SmtpArgs) -> Result<Server> {
    let mut opts = net.options()?;
    if smtp.mx.mx {
        if let Some(u) = &url {
            return Err(Error::usage(format!(
                "--mx delivers to the recipients' exchangers: drop the URL {}",
                crate::terminal::escape(u)
            )));
        }
        return mx_server(opts, smtp);
    }
    if opts.credentials.account.is_none() && url.is_none() {
        opts.credentials.account = Some(
            crate::config::account(None)
                .map_err(|e| e.within("no URL given and no default account in the config file"))?,
        );
    }
    let account = opts.credentials.account.clone();
    if url.is_none() && smtp.mx.wanted(account.as_ref()) {
        return mx_server(opts, smtp);
    }
    let url = match (url, account.as_ref().and_then(|a| a.url.clone())) {
        (Some(u), _) | (None, Some(u)) => u,
        (None, None) => return Err(Error::usage("no URL: give one, or a url in the account")),
    };
    let target = Target::parse(&url, SMTP_SCHEMES)?;
    if let Some(a) = &account {
        opts.starttls |= a.starttls == Some(true);
        opts.tls.cacert.extend(a.cacert.clone());
    }
    let helo = helo_of(smtp, account.as_ref())?;
    let user_known = target.user.is_some()
        || opts.credentials.user.is_some()
        || account.as_ref().is_some_and(|a| a.user.is_some());
    Ok(Server {
        target,
        net: opts,
        login: if user_known || smtp.auth.is_some() {
            Login::Required
        } else {
            Login::None
        },
        auth: smtp.auth,
        helo,
    })
}

/// The account's sendmail settings (`from`, `domain`, `aliases`), checked; the aliases file is read
/// here so a malformed one is a usage error before anything is sent.
pub fn local(account: Option<&crate::config::Account>) -> Result<Local> {
    let Some(a) = account else {
        return Ok(Local::default());
    };
    let from = a
        .from
        .as_deref()
        .map(|f| address::mailbox(f, "config key from"))
        .transpose()?;
    if let Some(d) = &a.domain
        && (d.is_empty()
            || d.len() > 253
            || d.starts_with(['.', '-'])
            || !d
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.'))
    {
        return Err(Error::usage(format!(
            "config key domain {d:?}: expected a domain name"
        )));
    }
    let aliases = a
        .aliases
        .as_deref()
        .map(crate::aliases::Aliases::load)
        .transpose()?;
    Ok(Local {
        from,
        domain: a.domain.clone(),
        aliases,
    })
}

/// The queue directory: `--queue`, else the account's `queue` (so the sendmail symlink queues without
/// flags).
pub fn queue_dir(smtp: &SmtpArgs, server: &Server) -> Option<PathBuf> {
    smtp.queue.clone().or_else(|| {
        server
            .net
            .credentials
            .account
            .as_ref()
            .and_then(|a| a.queue.clone())
    })
}

/// The server of a `--mx` run: no URL (each exchanger gets its own), the network settings, `--helo`.
fn mx_server(net: crate::ops::common::NetOptions, smtp: &SmtpArgs) -> Result<Server> {
    let helo = helo_of(smtp, net.credentials.account.as_ref())?;
    Ok(Server {
        target: Target::parse("smtp://localhost:25", SMTP_SCHEMES)?,
        net,
        login: Login::None,
        auth: None,
        helo,
    })
}

/// A duration: a number of seconds, or with a unit `s`, `m`, `h`, `d` (`90s`, `30m`, `2h`, `5d`).
pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    let (num, unit) = match s.char_indices().last() {
        Some((i, c @ ('s' | 'm' | 'h' | 'd'))) => (&s[..i], c),
        _ => (s, 's'),
    };
    let mult: u64 = match unit {
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => 1,
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|n| *n <= 10 * 365 * 86_400)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{s:?} is not a duration (e.g. 90s, 30m, 2h, 5d)"))
}

/// What a smtp-send command line asks for: mail (a message or a flush), or queue administration, which
/// needs no server.
#[derive(Debug)]
pub enum Run {
    /// Send a message or flush the queue.
    Mail(Box<Options>),
    /// `--queue-list`, `--queue-drop`.
    Admin(crate::ops::smtp::queue::Admin),
}

impl TryFrom<Args> for Run {
    type Error = Error;

    fn try_from(a: Args) -> Result<Run> {
        use crate::ops::smtp::queue::{Admin, Schedule};
        if let Some(dir) = &a.queue_list {
            return Ok(Run::Admin(Admin::List(
                dir.clone(),
                Schedule {
                    retry_after: a.retry_after,
                    max_age: a.max_age,
                },
            )));
        }
        if let (Some(id), Some(dir)) = (&a.queue_drop, &a.smtp.queue) {
            return Ok(Run::Admin(Admin::Drop(dir.clone(), id.clone())));
        }
        Ok(Run::Mail(Box::new(Options::try_from(a)?)))
    }
}

impl TryFrom<Args> for Options {
    type Error = Error;

    /// Every usage error of smtp-send, in the order the flags are read: the message and envelope first
    /// (nothing is read before they are valid), then the server.
    fn try_from(a: Args) -> Result<Options> {
        let action = match &a.flush_queue {
            Some(dir) => Action::Flush(dir.clone()),
            None => Action::Send(message(&a)?),
        };
        let server = server(a.url.clone(), &a.net, &a.smtp)?;
        let account = server.net.credentials.account.clone();
        let queue = match action {
            // --flush-queue names its directory; the account's queue is for new messages only.
            Action::Flush(_) => None,
            Action::Send(_) => queue_dir(&a.smtp, &server),
        };
        let dead_letter = server
            .net
            .credentials
            .account
            .as_ref()
            .and_then(|acc| acc.dead_letter.clone());
        Ok(Options {
            mx: a.smtp.mx.options(&server, a.smtp.all_or_nothing)?,
            action,
            queue,
            all_or_nothing: a.smtp.all_or_nothing,
            sendmail: false,
            local: local(account.as_ref())?,
            dsn: a.smtp.dsn()?,
            lifecycle: crate::ops::smtp::queue::Lifecycle {
                schedule: crate::ops::smtp::queue::Schedule {
                    retry_after: a.retry_after,
                    max_age: a.max_age,
                },
                dead_letter,
            },
            server,
        })
    }
}

/// Whether this process runs as sendmail: invoked through a `sendmail` symlink, or with `--sendmail`
/// first.
fn sendmail_mode(argv: &[OsString]) -> Option<&[OsString]> {
    let name = argv
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    if name == "sendmail" {
        return Some(&argv[1..]);
    }
    match argv.get(1).and_then(|a| a.to_str()) {
        Some("--sendmail") => Some(&argv[2..]),
        _ => None,
    }
}

/// The `smtp-send` (and `sendmail`) binary.
pub fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let Some(rest) = sendmail_mode(&argv) else {
        return super::run_tool(
            "smtp-send",
            |a: Args| {
                let mode = a.net.output();
                Ok((Run::try_from(a)?, mode))
            },
            |run, ui| match run {
                Run::Mail(opts) => crate::ops::smtp::run(opts, ui),
                Run::Admin(a) => crate::ops::smtp::queue::admin(a, ui),
            },
        );
    };
    let result = sendmail::options(rest).and_then(|(opts, mode): (Options, OutputMode)| {
        crate::ops::smtp::run(&opts, &crate::ops::common::Ui::new("sendmail", mode))
    });
    super::finish("sendmail", result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn options(args: &[&str]) -> Result<Options> {
        let args = Args::try_parse_from(std::iter::once("smtp-send").chain(args.iter().copied()))
            .map_err(|e| Error::usage(e.to_string()))?;
        Options::try_from(args)
    }

    #[test]
    fn composed_message_envelope_and_login() {
        let o = options(&[
            "smtp://h",
            "--from",
            "Ann <ann@x>",
            "--to",
            "b@y",
            "--cc",
            "B@Y",
            "--bcc",
            "c@z",
            "--body",
            "hi",
        ])
        .unwrap();
        assert_eq!(o.server.login, Login::None);
        assert!(!o.sendmail && !o.all_or_nothing && o.queue.is_none());
        let Action::Send(m) = &o.action else {
            panic!("not a send")
        };
        assert_eq!(m.from.as_deref(), Some("ann@x"));
        assert_eq!(m.rcpts, ["b@y", "c@z"]);
        let Source::Compose(c) = &m.source else {
            panic!("not composed")
        };
        assert_eq!(c.from, "Ann <ann@x>");
        assert!(matches!(&c.body, Body::Text(t) if t == "hi"));
        for login in [
            &["smtp://ann@h"][..],
            &["smtp://h", "-u", "ann"],
            &["smtp://h", "--auth", "plain"],
        ] {
            let mut args = login.to_vec();
            args.extend(["--message", "m.eml", "-t"]);
            assert_eq!(
                options(&args).unwrap().server.login,
                Login::Required,
                "{login:?}"
            );
        }
        let o = options(&["--flush-queue", "q", "smtp://h"]).unwrap();
        assert!(matches!(o.action, Action::Flush(ref d) if d == std::path::Path::new("q")));
    }

    #[test]
    fn every_usage_error_is_raised_here() {
        for (args, why) in [
            (
                &["smtp://h", "--to", "b@y"][..],
                "--from is required to compose a message (or use --message)",
            ),
            (
                &["smtp://h", "--from", "a@x"],
                "no recipients: give --to, --cc or --bcc",
            ),
            (
                &["smtp://h", "--message", "m.eml"],
                "no recipients: give --to, or -t to take them from the message",
            ),
            (
                &["smtp://h", "--message", "m.eml", "-t", "--helo", "a b"],
                "--helo \"a b\": expected a host name or [address]",
            ),
            (&["imap://h", "--message", "m.eml", "-t"], ""),
            (
                &["smtp://h", "--message", "m.eml", "--to", "b@y\r\nDATA"],
                "",
            ),
            (
                &["smtp://h", "--message", "m.eml", "-t", "--timeout", "0"],
                "--timeout must be a positive number of seconds",
            ),
        ] {
            let e = options(args)
                .err()
                .unwrap_or_else(|| panic!("{args:?} accepted"));
            assert_eq!(e.kind(), ErrorKind::Usage, "{args:?}: {e}");
            if !why.is_empty() {
                assert_eq!(e.to_string(), why);
            }
        }
    }

    #[test]
    fn argv0_decides() {
        let v = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(sendmail_mode(&v(&["/usr/sbin/sendmail", "-t"])).is_some());
        assert!(sendmail_mode(&v(&["smtp-send", "--sendmail", "-t"])).is_some());
        assert!(sendmail_mode(&v(&["smtp-send", "smtp://h"])).is_none());
    }
}
