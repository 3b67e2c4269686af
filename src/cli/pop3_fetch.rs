//! `pop3-fetch URL [MESSAGE...]`: clap definition, the conversion of its flags into
//! [`Options`] (every usage error is raised here: exit 2) and the entry point.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use super::common::{MailOutputArgs, NetArgs, parse_mechanism, parse_size};
use crate::error::{Error, Result};
use crate::ops::common::OutputMode;
use crate::ops::pop3::fetch::Options;
use crate::pop3::Login;
use crate::sasl::Mechanism;
use crate::store::Target as StoreTarget;
use crate::url::{Scheme, Target};

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
        made only of digits is a message number). PIPELINING is used when the server offers it.\n\n\
        A UIDL list with an empty or repeated id cannot tell messages apart: with --state, --new-only or \
        --delete the run stops before fetching anything (exit 9, \"the server's UIDL list is not \
        unique\"); otherwise it warns and names messages by number. One run at a time uses a state file: a \
        run holds the lock FILE.lock for its whole length, and a second run started meanwhile waits up to \
        10 seconds (or --timeout, if shorter) for it, then exits 7 with \"another run holds the lock on \
        FILE\" without connecting.\n\n\
        --retries N: when the session fails transiently (connection dropped, timeout, -ERR [IN-USE] or \
        [SYS/TEMP]) the run continues on a new connection with a new login: messages already stored are \
        not fetched again and their DELE (with --delete) is sent again on the new session. This needs \
        UIDL: without it a message number is not stable across sessions, so only the opening (connect, \
        login) is retried, not a run in progress.\n\n\
        --delete-after-days N (with --state; usually with --new-only) keeps mail on the server for N \
        days: the state records when each stored message was first seen (by UIDL; a message stored by an \
        earlier run without the flag counts from the first run with it), and a run deletes (DELE, \
        confirmed by QUIT) the stored messages at least N days old; a message never stored is never \
        deleted. It needs UIDL (exit 6 without it).\n\n\
        --json prints {messages, fetched, deleted, failed, error}; each message has number, uidl, size, \
        stored, deleted, and a status: \"ok\" (stored), \"skipped\" (left alone by design: --max-size, \
        or a deletion pending from an earlier run; error.exit_code 0 says why) or \"failed\" (error.exit_code \
        is the code that failure alone would give; 10 when the message was stored but its DELE was \
        refused).",
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
    /// Delete each message on the server N days after it was first stored (the first-seen time is kept
    /// in the --state file, by UIDL; needs UIDL). 0 deletes what earlier runs stored.
    #[arg(long, value_name = "N", requires = "state", conflicts_with_all = ["delete", "list"], help_heading = "Mode")]
    pub delete_after_days: Option<u32>,
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
  pop3-fetch pop3s://ann@h --mda 'procmail -d ann' --max-size 10M
  pop3-fetch pop3s://ann@h --new-only --state s --maildir M --delete-after-days 14  # getmail's delete_after";

impl TryFrom<Args> for Options {
    type Error = Error;

    fn try_from(args: Args) -> Result<Options> {
        let server = Target::parse(&args.url, &[Scheme::Pop3, Scheme::Pop3s])?;
        if !server.path.is_empty() {
            return Err(Error::usage(
                "a POP3 URL names a mailbox account, not a path: drop the path",
            ));
        }
        let output = args.output.target();
        if args.net.json && !args.list && matches!(output, StoreTarget::Stdout) {
            return Err(Error::usage(
                "--json prints on stdout: choose --maildir, --mbox, --dir or --mda for the messages",
            ));
        }
        Ok(Options {
            server,
            net: args.net.options()?,
            login: match (args.apop, args.auth) {
                (true, _) => Login::Apop,
                (false, Some(m)) => Login::Sasl(m),
                (false, None) => Login::Default,
            },
            output,
            state: args.state.filter(|_| !args.list),
            select: args.select,
            list: args.list,
            delete: args.delete,
            new_only: args.new_only,
            top: if args.headers_only { Some(0) } else { args.top },
            max_size: args.max_size,
            max_messages: args.max_messages,
            delete_after_days: args.delete_after_days,
        })
    }
}

/// The options and output mode for `args`.
pub fn options(args: Args) -> Result<(Options, OutputMode)> {
    let mode = args.net.output();
    Ok((Options::try_from(args)?, mode))
}

/// The `pop3-fetch` binary.
pub fn main() -> ExitCode {
    super::run_tool("pop3-fetch", options, crate::ops::pop3::fetch::run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(argv: &[&str]) -> Result<Options> {
        let args = Args::try_parse_from(std::iter::once("pop3-fetch").chain(argv.iter().copied()))
            .map_err(|e| Error::usage(e.to_string()))?;
        Options::try_from(args)
    }

    #[test]
    fn usage_errors_are_raised_before_any_connection() {
        for bad in [
            &["pop3://h/INBOX"][..],
            &["pop3://h", "--json"],
            &["ftp://h"],
            &["pop3://h", "--timeout", "0"],
        ] {
            let e = parse(bad).err().map(|e| e.kind());
            assert_eq!(e, Some(crate::ErrorKind::Usage), "{bad:?}");
        }
        let o = parse(&["pop3s://ann@h", "--headers-only", "--list", "--state", "s"]).unwrap();
        assert_eq!(o.top, Some(0));
        assert!(o.state.is_none(), "--list reads no state");
        assert_eq!(o.output, StoreTarget::Stdout);
        let o = parse(&[
            "pop3://h",
            "--apop",
            "--retries",
            "2",
            "--mbox",
            "m",
            "--json",
        ])
        .unwrap();
        assert_eq!(o.login, Login::Apop);
        assert_eq!(o.net.retry.retries, 2);
        assert_eq!(o.output, StoreTarget::Mbox("m".into()));
        let o = parse(&["pop3://h", "--delete-after-days", "7", "--state", "s"]).unwrap();
        assert_eq!(o.delete_after_days, Some(7));
        for bad in [
            &["pop3://h", "--delete-after-days", "7"][..],
            &[
                "pop3://h",
                "--delete-after-days",
                "7",
                "--state",
                "s",
                "--delete",
            ],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

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
