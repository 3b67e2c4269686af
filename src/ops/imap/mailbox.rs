//! `imap-mailbox`: one mailbox command per run — LIST, STATUS, CREATE, DELETE, RENAME, SUBSCRIBE or
//! UNSUBSCRIBE — with human output on stdout or one `--json` document. Arguments were checked by `cli`
//! before anything connects.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::imap::{Mailbox, MailboxStatus, Session};
use crate::ops::Outcome;
use crate::ops::common::{Connector, ItemStatus, Login, NetOptions, Ui};
use crate::ops::imap::connect::opener;
use crate::sasl::Mechanism;
use crate::terminal::escape;
use crate::url::Target;

/// One mailbox command and its arguments (names in UTF-8, free of CR, LF and NUL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// LIST with a pattern (`*` and `%` wildcards).
    List(String),
    /// STATUS of a mailbox.
    Status(String),
    /// CREATE.
    Create(String),
    /// DELETE.
    Delete(String),
    /// RENAME old new.
    Rename(String, String),
    /// SUBSCRIBE.
    Subscribe(String),
    /// UNSUBSCRIBE.
    Unsubscribe(String),
}

impl Command {
    /// The command's name as the user typed it (`--json` says which one ran).
    pub fn name(&self) -> &'static str {
        match self {
            Command::List(_) => "list",
            Command::Status(_) => "status",
            Command::Create(_) => "create",
            Command::Delete(_) => "delete",
            Command::Rename(..) => "rename",
            Command::Subscribe(_) => "subscribe",
            Command::Unsubscribe(_) => "unsubscribe",
        }
    }

    /// The mailbox names it was given.
    pub fn mailboxes(&self) -> Vec<String> {
        match self {
            Command::List(_) => Vec::new(),
            Command::Rename(a, b) => vec![a.clone(), b.clone()],
            Command::Status(a)
            | Command::Create(a)
            | Command::Delete(a)
            | Command::Subscribe(a)
            | Command::Unsubscribe(a) => vec![a.clone()],
        }
    }
}

/// What imap-mailbox does.
#[derive(Debug, Clone)]
pub struct Options {
    /// The server (its path is ignored).
    pub target: Target,
    /// Connection, TLS, credentials, retries.
    pub net: NetOptions,
    /// `--auth`.
    pub auth: Option<Mechanism>,
    /// The command.
    pub command: Command,
}

#[derive(Serialize)]
struct ListJson {
    mailboxes: Vec<Mailbox>,
}

#[derive(Serialize)]
struct DoneJson<'a> {
    command: &'a str,
    mailboxes: &'a [String],
    status: ItemStatus,
}

/// Runs imap-mailbox.
pub fn run(opts: &Options, ui: &Ui) -> Result<Outcome> {
    let conn = Connector::for_target(opts.target.clone(), &opts.net, Login::Required)?;
    let mut s = conn.open(ui, opener(opts.auth))?;
    match command(&mut s, &opts.command, ui) {
        Ok(()) => s.logout(),
        Err(e) => {
            s.close();
            return Err(e);
        }
    }
    if !matches!(opts.command, Command::List(_) | Command::Status(_)) && ui.json() {
        ui.print_json(&DoneJson {
            command: opts.command.name(),
            mailboxes: &opts.command.mailboxes(),
            status: ItemStatus::Ok,
        })?;
    }
    Ok(Outcome::Success)
}

fn command(s: &mut Session, command: &Command, ui: &Ui) -> Result<()> {
    match command {
        Command::List(pattern) => {
            let entries = s.list(pattern)?;
            print_list(ui, entries.iter().map(Mailbox::from).collect())
        }
        Command::Status(m) => print_status(ui, &s.status(m)?),
        Command::Create(m) => s.mailbox_command("CREATE", m),
        Command::Delete(m) => s.mailbox_command("DELETE", m),
        Command::Subscribe(m) => s.mailbox_command("SUBSCRIBE", m),
        Command::Unsubscribe(m) => s.mailbox_command("UNSUBSCRIBE", m),
        Command::Rename(old, new) => s.rename(old, new),
    }
}

fn print_list(ui: &Ui, mailboxes: Vec<Mailbox>) -> Result<()> {
    if ui.json() {
        return ui.print_json(&ListJson { mailboxes });
    }
    let mut out = String::new();
    for m in &mailboxes {
        out.push_str(&escape(&m.name));
        if !m.attributes.is_empty() {
            out.push('\t');
            out.push_str(&escape(&m.attributes.join(" ")));
        }
        out.push('\n');
    }
    write_stdout(&out)
}

fn print_status(ui: &Ui, st: &MailboxStatus) -> Result<()> {
    if ui.json() {
        return ui.print_json(st);
    }
    let n = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
    write_stdout(&format!(
        "{}: messages {} unseen {} uidnext {} uidvalidity {}\n",
        escape(&st.mailbox),
        n(st.messages),
        n(st.unseen),
        n(st.uidnext),
        n(st.uidvalidity)
    ))
}

/// The command's output (data, not a diagnostic: it goes to stdout even with `-q`).
fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Error::local("stdout", e))
}
