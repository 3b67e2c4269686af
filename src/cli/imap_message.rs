//! `imap-message URL COMMAND [ARG...]`: clap definition, usage checks and entry point.
//!
//! Named after what it acts on, as `imap-mailbox` is: that tool manages mailboxes, this one the messages
//! in them. (`imap-mail` was the other candidate; it is a prefix of `imap-mailbox`, so shell completion
//! would stop at it and the two names would read as one.)

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

use super::common::{NetArgs, parse_mechanism};
use crate::error::{Error, Result};
use crate::imap::quote;
use crate::ops::Outcome;
use crate::ops::common::Ui;
use crate::ops::imap::connect::IMAP_SCHEMES;
use crate::ops::imap::message::{Action, Selection};
use crate::ops::imap::{append, message};
use crate::sasl::Mechanism;
use crate::url::Target;

/// What to do with the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Command {
    /// Add the flags FLAG... (\Seen, \Flagged, \Answered, \Draft, keywords) to the chosen messages.
    Flag,
    /// Remove the flags FLAG... from the chosen messages.
    Unflag,
    /// Copy the chosen messages to mailbox MBOX.
    Copy,
    /// Move the chosen messages to mailbox MBOX (MOVE, else COPY + delete).
    Move,
    /// Delete the chosen messages (\Deleted + UID EXPUNGE of exactly them).
    Delete,
    /// Delete the messages older than --older-than DAYS (and matching --search/--uid, if given).
    Expire,
    /// Upload PATH... (.eml files, directories of them, Maildirs, mboxes) into the mailbox.
    Append,
}

/// Act on IMAP messages on the server.
#[derive(Debug, Parser)]
#[command(
    name = "imap-message",
    version,
    about = "Flag, copy, move, delete, expire or upload IMAP messages on the server, without downloading them",
    long_about = "Act on the messages of one IMAP mailbox (the URL's path, default INBOX) on the server: \
        flag, unflag, copy, move, delete, expire — or upload (append) messages into it.\n\n\
        Messages are chosen with --search CRITERIA (IMAP SEARCH syntax), --uid SET (e.g. 4,7:9) and, for \
        expire, --older-than DAYS (by the server's INTERNALDATE; with --sent-date by the Date header, \
        SENTBEFORE); given together they must all match. flag, unflag, copy, move and delete need --search \
        or --uid (use --search ALL for every message). Commands go in UID sets of ranges, each command \
        line kept short, never one command per message.\n\n\
        delete and expire mark the messages \\Deleted and remove exactly them with UID EXPUNGE (UIDPLUS). \
        A server without UIDPLUS can only EXPUNGE every message marked \\Deleted, also other clients' — \
        so that is refused (exit 6, nothing changed) unless --expunge-all. move uses MOVE when offered, \
        else COPY, \\Deleted and the same expunge rule. --dry-run opens the mailbox read-only and reports \
        what would be done.\n\n\
        append uploads .eml files, directories of .eml files, Maildirs (cur/ and new/) and mboxes \
        (mboxrd), keeping flags (Maildir info letters; mbox Status and X-Status headers) and the internal \
        date (the file's mtime, or the mbox From line's date). Line endings become CRLF; each message is \
        streamed as a literal (non-synchronizing with LITERAL+, pipelined). With --state FILE the upload \
        is incremental: an interrupted run, run again, uploads the rest and nothing twice (a message that \
        was in flight is looked up by Message-ID and size).\n\n\
        With --json, one document {action, mailbox, dry_run, messages} lists each message with uid (or \
        source for append) and the status words every ferry tool uses: ok, skipped (--dry-run, already \
        uploaded) or failed; copy and move add dest_uid and append adds uid when the server reports them \
        (UIDPLUS).",
    after_help = super::exit_codes_help(),
    after_long_help = super::examples_and_codes(EXAMPLES),
)]
pub struct Args {
    /// imap:// or imaps:// URL of the mailbox (imap://USER@HOST[:PORT]/MAILBOX; default INBOX).
    #[arg(value_name = "URL")]
    pub url: String,
    /// The command.
    #[arg(value_name = "COMMAND", value_enum)]
    pub command: Command,
    /// Its arguments: FLAG... for flag/unflag, MBOX for copy/move, PATH... for append.
    #[arg(value_name = "ARG")]
    pub args: Vec<String>,
    /// IMAP SEARCH criteria choosing the messages, e.g. 'FROM "bob" SEEN'.
    #[arg(long, value_name = "CRITERIA", help_heading = "Selection")]
    pub search: Option<String>,
    /// The messages with these UIDs, e.g. 4,7:9.
    #[arg(long, value_name = "SET", help_heading = "Selection")]
    pub uid: Option<String>,
    /// expire: messages older than DAYS days (INTERNALDATE before today minus DAYS).
    #[arg(long, value_name = "DAYS", help_heading = "Selection")]
    pub older_than: Option<u32>,
    /// expire: compare the Date header (SENTBEFORE) instead of the arrival date.
    #[arg(long, requires = "older_than", help_heading = "Selection")]
    pub sent_date: bool,
    /// Show what would be done; change nothing.
    #[arg(long, help_heading = "Mode")]
    pub dry_run: bool,
    /// Without UIDPLUS, allow plain EXPUNGE (which also removes other messages marked \Deleted).
    #[arg(long, help_heading = "Mode")]
    pub expunge_all: bool,
    /// append: the state file that makes the upload incremental (created if missing; locked).
    #[arg(long, value_name = "FILE", help_heading = "Mode")]
    pub state: Option<PathBuf>,
    /// append: messages per batch (pipelined with LITERAL+; one state write before and after).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10000), help_heading = "Mode")]
    pub batch: u32,
    /// SASL mechanism for AUTHENTICATE: plain, login, xoauth2, oauthbearer (default: PLAIN or LOGIN when
    /// the server offers SASL, else LOGIN).
    #[arg(long, value_name = "MECH", value_parser = parse_mechanism, help_heading = "Credentials")]
    pub auth: Option<Mechanism>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub net: NetArgs,
}

const EXAMPLES: &str = "Examples:
  imap-message imaps://ann@h/INBOX flag '\\Seen' --search 'FROM \"newsletter\"'
  imap-message imaps://ann@h/INBOX move Archive/2023 --search 'BEFORE 1-Jan-2024' --dry-run
  imap-message imaps://ann@h/Trash expire --older-than 30
  imap-message imaps://ann@h/INBOX delete --uid 4,7:9 --json
  imap-message imaps://ann@h/Archive append ~/Mail/archive --state ~/.archive-upload.json
  imap-message imaps://ann@h/Old append old.mbox";

/// What one run does.
#[derive(Debug, Clone)]
pub enum Request {
    /// An action on chosen messages.
    Act(message::Options),
    /// An upload.
    Append(append::Options),
}

/// The `imap-message` binary.
pub fn main() -> ExitCode {
    super::run_tool(
        "imap-message",
        |a: Args| {
            let mode = a.net.output();
            Ok((Request::try_from(a)?, mode))
        },
        run,
    )
}

/// Runs one request.
pub fn run(r: &Request, ui: &Ui) -> Result<Outcome> {
    match r {
        Request::Act(o) => message::run(o, ui),
        Request::Append(o) => append::run(o, ui),
    }
}

/// A flag as IMAP spells it: `\Word` or a keyword atom.
fn check_flag(f: &str) -> Result<()> {
    let body = f.strip_prefix('\\').unwrap_or(f);
    let ok = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "{}: not an IMAP flag (\\Seen, \\Flagged, \\Answered, \\Draft, \\Deleted or a keyword)",
            crate::terminal::escape(f)
        )))
    }
}

/// A UID set as `--uid` takes it: numbers and ranges, no `*`.
fn check_uids(s: &str) -> Result<()> {
    let ok = !s.is_empty()
        && s.split(',').all(|r| {
            let (a, b) = r.split_once(':').unwrap_or((r, r));
            [a, b].iter().all(|n| n.parse::<u32>().is_ok_and(|v| v > 0))
        });
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "--uid {}: expected UIDs like 4,7:9",
            crate::terminal::escape(s)
        )))
    }
}

impl TryFrom<Args> for Request {
    type Error = Error;

    /// Checks arguments per command, every value that goes to the server (CR, LF, NUL; flags; UID sets)
    /// and the URL: every usage error is raised here, before anything connects.
    fn try_from(a: Args) -> Result<Request> {
        let target = Target::parse(&a.url, IMAP_SCHEMES)?;
        let mailbox = match target.path.trim_end_matches('/') {
            "" => "INBOX".to_string(),
            p => p.to_string(),
        };
        quote::mailbox(&mailbox)?;
        let net = a.net.options()?;
        let usage = |u: &str| Err(Error::usage(format!("usage: imap-message URL {u}")));
        if a.command == Command::Append {
            if a.args.is_empty() {
                return usage("append PATH...");
            }
            if a.search.is_some() || a.uid.is_some() || a.older_than.is_some() || a.expunge_all {
                return Err(Error::usage(
                    "append takes no --search, --uid, --older-than or --expunge-all",
                ));
            }
            return Ok(Request::Append(append::Options {
                target,
                mailbox,
                net,
                auth: a.auth,
                paths: a.args.into_iter().map(PathBuf::from).collect(),
                state: a.state,
                dry_run: a.dry_run,
                batch: usize::try_from(a.batch).unwrap_or(100),
            }));
        }
        if a.state.is_some() {
            return Err(Error::usage("--state is for append"));
        }
        if let Some(s) = &a.search {
            quote::search(s)?;
        }
        if let Some(u) = &a.uid {
            check_uids(u)?;
        }
        if a.older_than.is_some() != (a.command == Command::Expire) {
            return Err(Error::usage(
                "--older-than DAYS goes with expire, and only with it",
            ));
        }
        if a.command != Command::Expire && a.search.is_none() && a.uid.is_none() {
            return Err(Error::usage(
                "choose the messages with --search or --uid (--search ALL for every message)",
            ));
        }
        let mut args = a.args.into_iter();
        let action = match a.command {
            Command::Flag | Command::Unflag => {
                let flags: Vec<String> = args.by_ref().collect();
                if flags.is_empty() {
                    return usage("flag|unflag FLAG...");
                }
                for f in &flags {
                    check_flag(f)?;
                }
                if a.command == Command::Flag {
                    Action::Flag(flags)
                } else {
                    Action::Unflag(flags)
                }
            }
            Command::Copy | Command::Move => {
                let (Some(m), None) = (args.next(), args.next()) else {
                    return usage("copy|move MBOX");
                };
                quote::mailbox(&m)?;
                if a.command == Command::Copy {
                    Action::Copy(m)
                } else {
                    Action::Move(m)
                }
            }
            Command::Delete | Command::Expire => {
                if args.next().is_some() {
                    return usage("delete|expire (no arguments)");
                }
                if a.command == Command::Delete {
                    Action::Delete
                } else {
                    Action::Expire
                }
            }
            Command::Append => return usage("append PATH..."),
        };
        Ok(Request::Act(message::Options {
            target,
            mailbox,
            net,
            auth: a.auth,
            select: Selection {
                search: a.search,
                uids: a.uid,
                older_than: a.older_than.map(|d| (d, a.sent_date)),
            },
            action,
            dry_run: a.dry_run,
            expunge_all: a.expunge_all,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(args: &[&str]) -> Result<Request> {
        let mut argv = vec!["imap-message"];
        argv.extend_from_slice(args);
        Request::try_from(Args::try_parse_from(argv).unwrap())
    }

    #[test]
    fn usage_errors_before_connecting() {
        let Request::Act(o) = req(&["imap://h/Old", "move", "Archive", "--uid", "1:5"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(o.mailbox, "Old");
        assert_eq!(o.action, Action::Move("Archive".into()));
        let Request::Act(o) =
            req(&["imap://h", "expire", "--older-than", "30", "--sent-date"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(o.select.older_than, Some((30, true)));
        assert!(matches!(
            req(&["imap://h", "append", "a.mbox"]).unwrap(),
            Request::Append(_)
        ));
        for bad in [
            vec!["imap://h", "delete"],
            vec!["imap://h", "flag", "--search", "ALL"],
            vec!["imap://h", "flag", "Seen me", "--search", "ALL"],
            vec!["imap://h", "flag", "\\Seen", "--uid", "1:*"],
            vec!["imap://h", "move", "--uid", "1"],
            vec!["imap://h", "expire"],
            vec!["imap://h", "delete", "--uid", "1", "--older-than", "3"],
            vec!["imap://h", "append"],
            vec!["imap://h", "append", "x", "--uid", "1"],
            vec!["imap://h", "copy", "A\r\nB", "--uid", "1"],
        ] {
            let e = req(&bad).err().map(|e| e.kind());
            assert_eq!(e, Some(crate::error::ErrorKind::Usage), "{bad:?}");
        }
    }
}
