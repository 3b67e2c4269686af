//! `imap-fetch URL`: clap definition and entry point.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use super::common::{MailOutputArgs, NetArgs, parse_mechanism, parse_size};
use crate::error::{Error, Result};
use crate::imap::{PartNumber, Section, quote};
use crate::ops::imap::connect::IMAP_SCHEMES;
use crate::ops::imap::fetch::{Options, Removal};
use crate::ops::imap::idle::{REIDLE, Watch};
use crate::sasl::Mechanism;
use crate::url::Target;

/// Fetch mail over IMAP or IMAPS.
#[derive(Debug, Parser)]
#[command(
    name = "imap-fetch",
    version,
    about = "Fetch mail over IMAP or IMAPS into a Maildir, an mbox, .eml files, an MDA or stdout",
    long_about = "Fetch mail over IMAP or IMAPS (implicit TLS, or STARTTLS with --starttls) from the mailbox \
        named by the URL path (default INBOX) into a Maildir, an mbox, a directory of .eml files, a mail \
        delivery agent or standard output.\n\n\
        The mailbox is opened read-only (EXAMINE) and bodies are fetched with BODY.PEEK, so flags stay as \
        they are, unless --mark-seen, --delete or --move-to is given. Messages are fetched in batches of UIDs \
        (one UID FETCH per batch) and each is streamed to its destination. --delete and --move-to act only \
        on messages whose local copy is durable. With --new-only --state FILE, the mailbox's UIDVALIDITY and \
        the last stored UID are recorded after every message, so an interrupted run can simply be run again: \
        nothing is lost, nothing is stored twice in a Maildir or --dir, and pending deletions are finished; \
        a changed UIDVALIDITY fetches everything again with a warning. A message the server does not send \
        when asked, yet still lists, failed and is asked for again by the next run. One run at a time uses \
        a state file: a run holds the lock FILE.lock for its whole length, and a second run started \
        meanwhile waits up to 10 seconds (or --timeout, if shorter) for it, then exits 7 with \"another \
        run holds the lock on FILE\" without connecting.\n\n\
        --part N fetches one MIME part; a message without that part failed (\"no part N in UID n\", exit \
        6). With --decode the part is decoded from its Content-Transfer-Encoding and stored as bytes (line \
        endings untouched); with --dir it is named after the part's own file name, made safe, else \
        UID-partN.\n\n\
        With --retries N, a session that fails transiently (a dropped connection, a timeout, BYE) is \
        opened again (fresh connection and login), the mailbox is selected again and must still have the \
        UIDVALIDITY the run started with (else the run stops), stored messages not yet deleted or moved \
        are deleted or moved, and the run goes on with the messages not yet stored: none is lost or \
        stored twice.\n\n\
        Standard output gets one message as it is; several (also with --mailbox or --idle) are written \
        as an mboxrd stream, each after a \"From \" line and with \">From\" quoting, never run \
        together.\n\n\
        --mailbox PATTERN (repeatable; IMAP LIST patterns: * matches any levels, % one level; instead of \
        a mailbox in the URL) fetches every matching mailbox (not those marked \\Noselect), in name \
        order, each into its own folder under the output. A name is decoded from modified UTF-7 and split \
        at the server's hierarchy delimiter; in each level /, \\, . and control characters become _. \
        With --maildir DIR the folders are Maildir++: INBOX is DIR itself, Work/Projects is \
        DIR/.Work.Projects; with --mbox DIR or --dir DIR, DIR is a directory holding one mbox file or one \
        directory per mailbox, named INBOX, Work.Projects. Two mailboxes that map to one name: the second \
        one fails. --state keeps one entry per mailbox (name and UIDVALIDITY) in the one file (version \
        2; a version 1 file of a one-mailbox run is read as that mailbox's entry). A mailbox that fails \
        (refused, changed UIDVALIDITY) is reported and the run goes on with the next; --json prints \
        {mailboxes: [{mailbox, path, uidvalidity, messages, ...}], error}.\n\n\
        --idle fetches, then keeps the connection and watches the mailbox: IDLE (RFC 2177), renewed \
        (DONE, IDLE) every 28 minutes, or without IDLE a NOOP every --interval seconds. When the server \
        announces new mail (EXISTS) the new messages are fetched with every rule of a normal run (state, \
        --delete only after the local copy is durable); EXPUNGE and flag changes are noted and the watch \
        goes on. Without --state the watch remembers in memory what it fetched. A dropped connection, a \
        BYE, a server silent past the renewal plus --timeout, or a suspend of this machine leads to a \
        reconnect: at once, then with the --retries backoff (1 s doubling, at most 30 s; without \
        --retries, for ever); authentication and other permanent failures end the watch, as does a \
        message that cannot be stored (nothing is deleted for it). SIGTERM and \
        SIGINT end it with 143 and 130, the state complete and no temporary file left. --exec CMD runs \
        CMD with /bin/sh after each batch that stored mail, with FERRY_FETCHED (messages stored) and \
        FERRY_MAILBOX set; with --json each batch prints one document.\n\n\
        With --json, each message is one record {uid, bytes, status, error, path} with the status words \
        every ferry tool uses: \"ok\" (stored), \"skipped\" (larger than --max-size, or gone from the \
        server meanwhile; error.exit_code 0 and error.message says why) or \"failed\" (error.exit_code \
        is the code that failure alone would give). The run exits 0 when nothing failed, and 10 when \
        some messages were stored before a failure ended it (its error is the document's \"error\").",
    after_help = super::exit_codes_help(),
    after_long_help = super::examples_and_codes(EXAMPLES),
)]
pub struct Args {
    /// imap:// or imaps:// URL of the mailbox (imap://USER@HOST[:PORT]/MAILBOX; default INBOX).
    #[arg(value_name = "URL")]
    pub url: String,
    /// IMAP SEARCH criteria selecting the messages, e.g. 'UNSEEN', 'SINCE 1-Feb-2024 FROM "bob"'.
    #[arg(
        long,
        value_name = "CRITERIA",
        default_value = "ALL",
        help_heading = "Mode"
    )]
    pub search: String,
    /// Fetch with BODY[] so the server marks messages \Seen (default: BODY.PEEK, flags untouched).
    #[arg(long, help_heading = "Mode")]
    pub mark_seen: bool,
    /// Fetch only each message's header (BODY.PEEK[HEADER]).
    #[arg(long, conflicts_with = "part", help_heading = "Mode")]
    pub headers_only: bool,
    /// Fetch only the MIME part SECTION of each message, e.g. 1 or 1.2 (BODY.PEEK[SECTION]).
    #[arg(long, value_name = "SECTION", help_heading = "Mode")]
    pub part: Option<String>,
    /// With --part: decode the part's Content-Transfer-Encoding (base64, quoted-printable).
    #[arg(long, requires = "part", help_heading = "Mode")]
    pub decode: bool,
    /// Delete each message on the server once it is stored locally (UID STORE \Deleted, then UID EXPUNGE
    /// with UIDPLUS, else EXPUNGE).
    #[arg(long, help_heading = "Mode")]
    pub delete: bool,
    /// Move each message to mailbox MBOX on the server once it is stored locally (MOVE, else COPY and
    /// delete).
    #[arg(
        long,
        value_name = "MBOX",
        conflicts_with = "delete",
        help_heading = "Mode"
    )]
    pub move_to: Option<String>,
    /// Fetch only messages newer than those recorded in the --state file.
    #[arg(long, requires = "state", help_heading = "Mode")]
    pub new_only: bool,
    /// The state file: UIDVALIDITY and last UID (created if missing; replaced atomically).
    #[arg(
        long,
        value_name = "FILE",
        requires = "new_only",
        help_heading = "Mode"
    )]
    pub state: Option<PathBuf>,
    /// Skip messages larger than BYTES (RFC822.SIZE; suffixes k, M, G: powers of 1024).
    #[arg(long, value_name = "BYTES", value_parser = parse_size, help_heading = "Mode")]
    pub max_size: Option<u64>,
    /// Fetch at most N messages in this run (the oldest first).
    #[arg(long, value_name = "N", help_heading = "Mode")]
    pub max_messages: Option<usize>,
    /// List the matching messages instead of fetching them: one line each with UID, date, size, flags,
    /// From and Subject; with --json also the envelope and the MIME part tree. No bodies are downloaded.
    #[arg(long, conflicts_with_all = ["delete", "move_to", "mark_seen", "new_only", "part", "headers_only", "idle", "mailboxes"], help_heading = "Mode")]
    pub list: bool,
    /// UIDs per UID FETCH command.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=10000), help_heading = "Mode")]
    pub batch: u32,
    /// Fetch every mailbox matching the LIST pattern PATTERN (`*` any levels, `%` one level;
    /// repeatable), each into its own folder under the output: Maildir++ `.A.B` subfolders of --maildir
    /// (INBOX is the Maildir itself), or one mbox file / directory per mailbox in the --mbox / --dir
    /// directory, named A.B. Instead of a mailbox in the URL.
    #[arg(long = "mailbox", value_name = "PATTERN", help_heading = "Mode")]
    pub mailboxes: Vec<String>,
    /// After fetching, keep watching the mailbox (IDLE; NOOP every --interval without it) and fetch new
    /// mail as it arrives, reconnecting after a drop; stop with SIGTERM or SIGINT.
    #[arg(long, conflicts_with = "mailboxes", help_heading = "Mode")]
    pub idle: bool,
    /// With --idle on a server without IDLE: seconds between polls (NOOP).
    #[arg(long, value_name = "SECS", default_value_t = 60, requires = "idle", value_parser = clap::value_parser!(u64).range(1..=86400), help_heading = "Mode")]
    pub interval: u64,
    /// Seconds between DONE + IDLE renewals (tests).
    #[arg(long, value_name = "SECS", hide = true, requires = "idle", value_parser = clap::value_parser!(u64).range(1..=1740))]
    pub idle_interval: Option<u64>,
    /// With --idle: run CMD (with /bin/sh) after each batch that stored mail; FERRY_FETCHED holds the
    /// number of messages stored, FERRY_MAILBOX the mailbox.
    #[arg(long, value_name = "CMD", requires = "idle", help_heading = "Mode")]
    pub exec: Option<String>,
    /// SASL mechanism for AUTHENTICATE: plain, login, xoauth2, oauthbearer (default: PLAIN or LOGIN when
    /// the server offers SASL, else LOGIN).
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
  imap-fetch imaps://ann@mail.example --maildir ~/Mail/inbox                 # INBOX, flags untouched
  imap-fetch imaps://ann@mail.example/Archive --search 'SINCE 1-Jan-2024' --mbox a.mbox
  imap-fetch imap://ann@h --starttls --new-only --state ~/.imap-state --maildir M --delete
  imap-fetch imaps://ann@h --search 'UNSEEN' --move-to Processed --mda 'procmail -d ann'
  imap-fetch imaps://ann@h --search 'SUBJECT invoice' --part 2 --decode --dir invoices
  imap-fetch imaps://ann@h --headers-only --json
  imap-fetch imaps://ann@h --mailbox '*' --maildir ~/Mail --new-only --state ~/.imap-state
  imap-fetch imaps://ann@h --idle --new-only --state s --maildir M --exec 'notify-send \"$FERRY_FETCHED new\"'
  imap-fetch imaps://ann@h --list --search 'UNSEEN'                         # UID, date, size, flags, From, Subject
  imap-fetch imaps://ann@h --list --json | jq '.messages[].structure.parts'";

/// The `imap-fetch` binary.
pub fn main() -> ExitCode {
    super::run_tool(
        "imap-fetch",
        |a: Args| {
            let mode = a.net.output();
            Ok((Options::try_from(a)?, mode))
        },
        crate::ops::imap::fetch::run,
    )
}

impl TryFrom<Args> for Options {
    type Error = Error;

    /// Checks every argument that goes to the server (CR, LF, NUL; part numbers), parses the URL and
    /// the network flags: every usage error is raised here, before anything connects.
    fn try_from(args: Args) -> Result<Options> {
        let section = match (&args.part, args.headers_only) {
            (Some(p), _) => Section::Part(PartNumber::parse(p)?),
            (None, true) => Section::Header,
            (None, false) => Section::Whole,
        };
        quote::search(&args.search)?;
        let removal = match (args.move_to, args.delete) {
            (Some(m), _) => {
                quote::mailbox(&m)?;
                Removal::Move(m)
            }
            (None, true) => Removal::Delete,
            (None, false) => Removal::Keep,
        };
        let target = Target::parse(&args.url, IMAP_SCHEMES)?;
        let mailbox = match target.path.trim_end_matches('/') {
            "" => "INBOX".to_string(),
            p if !args.mailboxes.is_empty() => {
                return Err(Error::usage(format!(
                    "the URL names mailbox {}, and --mailbox names others: give one or the other",
                    crate::terminal::escape(p)
                )));
            }
            p => p.to_string(),
        };
        quote::mailbox(&mailbox)?;
        for p in &args.mailboxes {
            quote::mailbox(p)?;
        }
        let watch = args.idle.then(|| Watch {
            reidle: args
                .idle_interval
                .map_or(REIDLE, std::time::Duration::from_secs),
            poll: std::time::Duration::from_secs(args.interval),
            exec: args.exec.clone(),
        });
        let batch = usize::try_from(args.batch)
            .map_err(|_| Error::usage("--batch: too large for this machine"))?;
        Ok(Options {
            target,
            mailbox,
            net: args.net.options()?,
            auth: args.auth,
            search: args.search,
            section,
            mark_seen: args.mark_seen,
            decode: args.decode,
            removal,
            state: if args.new_only { args.state } else { None },
            max_size: args.max_size,
            max_messages: args.max_messages,
            batch,
            output: args.output.target(),
            patterns: args.mailboxes,
            watch,
            list: args.list,
            list_json: args.list && args.net.json,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(args: &[&str]) -> Result<Options> {
        let mut argv = vec!["imap-fetch"];
        argv.extend_from_slice(args);
        Options::try_from(Args::try_parse_from(argv).unwrap())
    }

    #[test]
    fn args_become_plain_options() {
        let o = options(&["imaps://ann:pw@h/Archive/", "--part", "1.2", "--decode"]).unwrap();
        assert_eq!(o.mailbox, "Archive");
        assert_eq!(o.section, Section::Part(PartNumber::parse("1.2").unwrap()));
        assert!(o.decode && o.state.is_none());
        assert_eq!(o.removal, Removal::Keep);
        assert_eq!((o.batch, o.target.port), (200, 993));
        let o = options(&[
            "imap://h",
            "--headers-only",
            "--move-to",
            "Done",
            "--new-only",
            "--state",
            "s.json",
            "--retries",
            "3",
        ])
        .unwrap();
        assert_eq!(o.mailbox, "INBOX");
        assert_eq!(o.section, Section::Header);
        assert_eq!(o.removal, Removal::Move("Done".into()));
        assert_eq!(o.state, Some(PathBuf::from("s.json")));
        assert_eq!(o.net.retry.retries, 3);
        let o = options(&["imap://h", "--mailbox", "*", "--mailbox", "Work/%"]).unwrap();
        assert_eq!(o.patterns, ["*", "Work/%"]);
        assert!(o.watch.is_none());
        let o = options(&[
            "imap://h",
            "--idle",
            "--idle-interval",
            "2",
            "--exec",
            "true",
        ])
        .unwrap();
        let w = o.watch.unwrap();
        assert_eq!((w.reidle.as_secs(), w.poll.as_secs()), (2, 60));
        assert_eq!(w.exec.as_deref(), Some("true"));
        assert!(
            Args::try_parse_from(["imap-fetch", "imap://h", "--idle", "--mailbox", "*"]).is_err()
        );
        assert!(Args::try_parse_from(["imap-fetch", "imap://h", "--exec", "x"]).is_err());
        for bad in [
            vec!["imap://h", "--part", "1..2"],
            vec!["imap://h", "--search", "ALL\r\nA1 LOGOUT"],
            vec!["imap://h", "--delete", "--timeout", "0"],
            vec!["pop3://h"],
            vec!["imap://h/Work", "--mailbox", "*"],
            vec!["imap://h", "--mailbox", "a\r\nb"],
        ] {
            let e = options(&bad).err().map(|e| e.kind());
            assert_eq!(e, Some(crate::error::ErrorKind::Usage), "{bad:?}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("64k"), Ok(65536));
        assert!(parse_size("99999999999999G").is_err());
    }
}
