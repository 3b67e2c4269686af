//! `imap-mailbox URL COMMAND [ARG...]`: clap definition and entry point.

use std::process::ExitCode;

use clap::{Parser, ValueEnum};

use super::common::NetArgs;
use super::common::parse_mechanism;
use crate::sasl::Mechanism;

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
        attributes); with --json, `list` and `status` print one JSON document.",
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
    super::run::<Args, _>("imap-mailbox", |a| crate::ops::imap::mailbox::run(&a))
}
