//! `imap-mailbox URL COMMAND [ARG...]`: clap definition and entry point.

use std::process::ExitCode;

use clap::{Parser, ValueEnum};

use super::common::NetArgs;
use super::common::parse_mechanism;
use crate::error::{Error, Result};
use crate::ops::imap::connect::IMAP_SCHEMES;
use crate::ops::imap::mailbox::{Command, Options};
use crate::sasl::Mechanism;
use crate::url::Target;

/// What to do with mailboxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Action {
    /// List mailboxes matching PATTERN (default "*"), with their attributes.
    List,
    /// Show MESSAGES, UNSEEN, UIDNEXT and UIDVALIDITY of MBOX.
    Status,
    /// Create MBOX (and its parents).
    Create,
    /// Delete MBOX.
    Delete,
    /// Rename OLD to NEW.
    Rename,
    /// Subscribe to MBOX.
    Subscribe,
    /// Unsubscribe from MBOX.
    Unsubscribe,
}

/// Manage IMAP mailboxes.
#[derive(Debug, Parser)]
#[command(
    name = "imap-mailbox",
    version,
    about = "List, inspect, create, delete, rename and subscribe to IMAP mailboxes",
    long_about = "List, inspect, create, delete, rename and subscribe to IMAP mailboxes over IMAP or IMAPS \
        (implicit TLS, or STARTTLS with --starttls).\n\n\
        Mailbox names are UTF-8 on the command line and modified UTF-7 on the wire; a hierarchy uses the \
        server's delimiter, which `list` shows. `list` prints one mailbox per line (name, then its \
        attributes); with --json, `list` and `status` print one JSON document, and the other commands \
        print {command, mailboxes, status} with status \"ok\" (the status word every ferry tool uses; \
        a refusal is an error and an exit code instead).",
    after_help = super::exit_codes_help(),
    after_long_help = super::examples_and_codes(EXAMPLES),
)]
pub struct Args {
    /// imap:// or imaps:// URL of the server (imap://USER@HOST[:PORT]); a path is ignored.
    #[arg(value_name = "URL")]
    pub url: String,
    /// The command.
    #[arg(value_name = "COMMAND", value_enum)]
    pub action: Action,
    /// Its arguments: [PATTERN] for list, MBOX for status/create/delete/subscribe/unsubscribe, OLD NEW for
    /// rename.
    #[arg(value_name = "ARG")]
    pub args: Vec<String>,
    /// SASL mechanism for AUTHENTICATE: plain, login, xoauth2, oauthbearer (default: PLAIN or LOGIN when
    /// the server offers SASL, else LOGIN).
    #[arg(long, value_name = "MECH", value_parser = parse_mechanism, help_heading = "Credentials")]
    pub auth: Option<Mechanism>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub net: NetArgs,
}

const EXAMPLES: &str = "Examples:
  imap-mailbox imaps://ann@mail.example list                   # every mailbox, with attributes
  imap-mailbox imaps://ann@mail.example list 'Archive/*' --json
  imap-mailbox imaps://ann@mail.example status INBOX
  imap-mailbox imaps://ann@mail.example create 'Archive/2024/Entwürfe'
  imap-mailbox imap://ann@h --starttls rename Old New
  imap-mailbox imaps://ann@h subscribe Archive";

/// The `imap-mailbox` binary.
pub fn main() -> ExitCode {
    super::run_tool(
        "imap-mailbox",
        |a: Args| {
            let mode = a.net.output();
            Ok((Options::try_from(a)?, mode))
        },
        crate::ops::imap::mailbox::run,
    )
}

impl TryFrom<Args> for Options {
    type Error = Error;

    /// Checks the argument count of the command and every name (CR, LF, NUL), and parses the URL.
    fn try_from(args: Args) -> Result<Options> {
        let (want, usage) = match args.action {
            Action::List => (0..=1, "list [PATTERN]"),
            Action::Rename => (2..=2, "rename OLD NEW"),
            Action::Status => (1..=1, "status MBOX"),
            Action::Create => (1..=1, "create MBOX"),
            Action::Delete => (1..=1, "delete MBOX"),
            Action::Subscribe => (1..=1, "subscribe MBOX"),
            Action::Unsubscribe => (1..=1, "unsubscribe MBOX"),
        };
        if !want.contains(&args.args.len()) {
            return Err(Error::usage(format!("usage: imap-mailbox URL {usage}")));
        }
        for a in &args.args {
            crate::imap::quote::check("mailbox name", a)?;
        }
        let mut names = args.args.into_iter();
        let command = match args.action {
            Action::List => Command::List(names.next().unwrap_or_else(|| "*".to_string())),
            Action::Status => Command::Status(names.next().unwrap_or_default()),
            Action::Create => Command::Create(names.next().unwrap_or_default()),
            Action::Delete => Command::Delete(names.next().unwrap_or_default()),
            Action::Subscribe => Command::Subscribe(names.next().unwrap_or_default()),
            Action::Unsubscribe => Command::Unsubscribe(names.next().unwrap_or_default()),
            Action::Rename => {
                let old = names.next().unwrap_or_default();
                Command::Rename(old, names.next().unwrap_or_default())
            }
        };
        Ok(Options {
            target: Target::parse(&args.url, IMAP_SCHEMES)?,
            net: args.net.options()?,
            auth: args.auth,
            command,
        })
    }
}
