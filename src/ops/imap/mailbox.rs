//! `imap-mailbox`: one mailbox command per run — LIST, STATUS, CREATE, DELETE, RENAME, SUBSCRIBE or
//! UNSUBSCRIBE — with human or `--json` output. Argument counts are checked before connecting.

use serde::Serialize;

use crate::cli::imap_mailbox::{Action, Args};
use crate::error::{Error, Result};
use crate::imap::{Mailbox, MailboxStatus};
use crate::ops::Outcome;
use crate::ops::imap::connect::Connector;
use crate::terminal::escape;

#[derive(Serialize)]
struct ListJson {
    mailboxes: Vec<Mailbox>,
}

#[derive(Serialize)]
struct DoneJson<'a> {
    command: &'a str,
    mailboxes: &'a [String],
    status: &'static str,
}

/// Runs imap-mailbox.
pub fn run(args: &Args) -> Result<Outcome> {
    let (want, name) = match args.action {
        Action::List => (0..=1, "list [PATTERN]"),
        Action::Rename => (2..=2, "rename OLD NEW"),
        Action::Status => (1..=1, "status MBOX"),
        Action::Create => (1..=1, "create MBOX"),
        Action::Delete => (1..=1, "delete MBOX"),
        Action::Subscribe => (1..=1, "subscribe MBOX"),
        Action::Unsubscribe => (1..=1, "unsubscribe MBOX"),
    };
    if !want.contains(&args.args.len()) {
        return Err(Error::usage(format!("usage: imap-mailbox URL {name}")));
    }
    for a in &args.args {
        crate::imap::quote::check("mailbox name", a)?;
    }
    let conn = Connector::new(&args.url, &args.net, args.auth)?;
    let mut s = conn.open_with_retries(args.net.retries)?;
    let a = &args.args;
    let result = match args.action {
        Action::List => {
            let pattern = a.first().map_or("*", String::as_str);
            s.list(pattern).and_then(|entries| {
                let mailboxes: Vec<Mailbox> = entries.iter().map(Mailbox::from).collect();
                print_list(args, mailboxes)
            })
        }
        Action::Status => s.status(&a[0]).and_then(|st| print_status(args, &st)),
        Action::Create => s.mailbox_command("CREATE", &a[0]),
        Action::Delete => s.mailbox_command("DELETE", &a[0]),
        Action::Subscribe => s.mailbox_command("SUBSCRIBE", &a[0]),
        Action::Unsubscribe => s.mailbox_command("UNSUBSCRIBE", &a[0]),
        Action::Rename => s.rename(&a[0], &a[1]),
    };
    match result {
        Ok(()) => s.logout(),
        Err(e) => {
            s.close();
            return Err(e);
        }
    }
    if !matches!(args.action, Action::List | Action::Status) && args.net.json {
        let command = format!("{:?}", args.action).to_lowercase();
        crate::json::print(&DoneJson {
            command: &command,
            mailboxes: a,
            status: "ok",
        })?;
    }
    Ok(Outcome::Success)
}

fn print_list(args: &Args, mailboxes: Vec<Mailbox>) -> Result<()> {
    if args.net.json {
        return crate::json::print(&ListJson { mailboxes });
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

fn print_status(args: &Args, st: &MailboxStatus) -> Result<()> {
    if args.net.json {
        return crate::json::print(st);
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

fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Error::local("stdout", e))
}
