//! `pop3-fetch URL [MESSAGE...]`: clap definition and entry point.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use super::common::{MailOutputArgs, NetArgs, parse_mechanism, parse_size};
use crate::sasl::Mechanism;

/// Fetch mail over POP3 or POP3S.
#[derive(Debug, Parser)]
#[command(
    name = "pop3-fetch",
    version,
    about = "Fetch mail over POP3 or POP3S into a Maildir, an mbox, .eml files, an MDA or stdout",
    long_about = "Fetch mail over POP3 or POP3S (implicit TLS, or STLS with --starttls) into a Maildir, an \
        mbox, a directory of .eml files, a mail delivery agent or standard output.\n\n\
        Messages are kept on the server unless --delete is given; then DELE is sent only after the local copy \
        is durable, and deletion is reported only after the server's +OK to QUIT (otherwise exit 10). With \
        --new-only --state FILE each message's UIDL is recorded right after it is stored, so an interrupted \
        run can simply be run again: nothing is lost, nothing is stored twice (Maildir and --dir), and \
        deletions still pending are sent again. Messages may be selected by number or by UIDL (a selector \
        made only of digits is a message number). PIPELINING is used when the server offers it.",
    after_help = super::exit_codes_help(),
    after_long_help = super::examples_and_codes(EXAMPLES),
)]
pub struct Args {
    /// pop3:// or pop3s:// URL of the mailbox (pop3://USER@HOST[:PORT]).
    #[arg(value_name = "URL")]
    pub url: String,
    /// Fetch only these messages: message numbers, or UIDLs.
    #[arg(value_name = "MESSAGE")]
    pub select: Vec<String>,
    /// List the messages (number, size, UIDL) instead of fetching them.
    #[arg(long, short = 'l', help_heading = "Mode")]
    pub list: bool,
    /// Delete each message on the server once it is stored locally (default: keep).
    #[arg(long, help_heading = "Mode")]
    pub delete: bool,
    /// Fetch only messages whose UIDL is not in the --state file.
    #[arg(long, requires = "state", help_heading = "Mode")]
    pub new_only: bool,
    /// The UIDL state file (created if missing; rewritten atomically).
    #[arg(long, value_name = "FILE", help_heading = "Mode")]
    pub state: Option<PathBuf>,
    /// Fetch only the header and the first N body lines of each message (TOP).
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "headers_only",
        help_heading = "Mode"
    )]
    pub top: Option<u32>,
    /// Fetch only the header of each message (TOP n 0).
    #[arg(long, help_heading = "Mode")]
    pub headers_only: bool,
    /// Skip messages larger than BYTES (suffixes k, M, G: powers of 1024).
    #[arg(long, value_name = "BYTES", value_parser = parse_size, help_heading = "Mode")]
    pub max_size: Option<u64>,
    /// Fetch at most N messages in this run.
    #[arg(long, value_name = "N", help_heading = "Mode")]
    pub max_messages: Option<usize>,
    /// Log in with APOP (MD5 digest of the greeting's timestamp and the password).
    #[arg(long, conflicts_with = "auth", help_heading = "Credentials")]
    pub apop: bool,
    /// SASL mechanism for AUTH: plain, login, xoauth2, oauthbearer (default: PLAIN or LOGIN when the
    /// server offers SASL, else USER/PASS).
    #[arg(long, value_name = "MECH", value_parser = parse_mechanism, help_heading = "Credentials")]
    pub auth: Option<Mechanism>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: MailOutputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub net: NetArgs,
}

const EXAMPLES: &str = "Examples:
  pop3-fetch pop3s://ann@mail.example --maildir ~/Mail/inbox              # keep mail on the server
  pop3-fetch pop3://ann@mail.example --starttls --mbox ~/mbox --delete     # download and delete
  pop3-fetch pop3s://ann@h --new-only --state ~/.pop3-state --maildir M    # only what is new
  pop3-fetch pop3s://ann@h --list --json                                   # number, size, UIDL
  pop3-fetch pop3s://ann@h 3 --headers-only                                # header of message 3 to stdout
  pop3-fetch pop3s://ann@h --mda 'procmail -d ann' --max-size 10M";

/// The `pop3-fetch` binary.
pub fn main() -> ExitCode {
    super::run::<Args, _>("pop3-fetch", |a| crate::ops::pop3::fetch::run(&a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("64k"), Ok(65536));
        assert_eq!(parse_size("2M"), Ok(2 << 20));
        assert!(parse_size("x").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("99999999999999G").is_err());
    }
}
