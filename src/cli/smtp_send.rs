//! `smtp-send`: clap definition, the sendmail-compatible front end, and the entry point. Parsing only; the
//! behaviour is `ops::smtp::send`.
//!
//! Invoked as `sendmail` (a symlink) or as `smtp-send --sendmail ...`, the arguments are read the way
//! sendmail(8) reads them — `-t -i -oi -f ADDR -F NAME`, recipients as operands, the usual no-op flags
//! (`-oem`, `-odi`, `-B 8BITMIME`, `-N`, `-R`, `-V`, `-X`, `-C`, ...) ignored — and translated into the
//! equivalent `smtp-send` arguments, so both paths share one validated [`Args`].

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use super::common::NetArgs;
use crate::error::{Error, Result};

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
        ignored) and the server comes from the config file's default account, so cron's MAILTO works.",
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
    /// Send the ready message in FILE (`-` for stdin) instead of composing one.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["subject", "body", "body_file", "attach"],
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
    /// When delivery fails transiently (connect, 4xx, timeout), keep the message in DIR and exit 7.
    #[arg(long, value_name = "DIR", help_heading = "Queue")]
    pub queue: Option<PathBuf>,
    /// Resend every message queued in DIR, removing each only after the server accepted it.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = ["message", "subject", "body", "body_file", "attach", "to", "cc", "bcc", "from", "queue"],
        help_heading = "Queue"
    )]
    pub flush_queue: Option<PathBuf>,

    /// Sendmail mode: read the rest of the command line as sendmail(8) does.
    #[arg(long, hide = true)]
    pub sendmail: bool,
    /// Sendmail mode without -i: a line of a single "." ends the message on stdin.
    #[arg(long, hide = true)]
    pub dot_ends_input: bool,
    /// Sendmail -F NAME: the full name for a From field added to a message without one.
    #[arg(long, hide = true, value_name = "NAME")]
    pub full_name: Option<String>,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub net: NetArgs,
}

const EXAMPLES: &str = "Examples:
  smtp-send smtp://ann@mail.example.com --starttls --from ann@example.com --to bob@example.org \\
      --subject 'Report' --body-file report.txt --attach figures.pdf
  smtp-send smtps://mail.example.com -u ann --password-command 'pass mail' --message draft.eml -t
  printf 'Subject: hi\\n\\nhello\\n' | smtp-send --account work --message - --to bob@example.org
  smtp-send smtp://mail.example.com --auth xoauth2 -u ann --password-command get-token --message m.eml -t
  smtp-send --queue ~/.mailq ... ; smtp-send --flush-queue ~/.mailq smtp://mail.example.com --starttls
  ln -s $(command -v smtp-send) /usr/sbin/sendmail   # cron: sendmail -t -i, default account";

/// Turns a sendmail(8) command line (without the program name) into the equivalent smtp-send arguments.
pub fn sendmail_args(args: &[OsString]) -> Result<Vec<OsString>> {
    let mut out: Vec<OsString> = vec!["smtp-send".into(), "--sendmail".into()];
    let mut ignore_dots = false;
    let mut read_recipients = false;
    let mut rcpts: Vec<String> = Vec::new();
    let mut i = 0;
    let text = |a: &OsString| -> Result<String> {
        a.to_str()
            .map(str::to_string)
            .ok_or_else(|| Error::usage("sendmail: arguments must be UTF-8"))
    };
    // The option's value: attached (`-fADDR`) or the next argument (`-f ADDR`).
    let value = |arg: &str, i: &mut usize| -> Result<String> {
        if arg.len() > 2 {
            return Ok(arg[2..].to_string());
        }
        *i += 1;
        match args.get(*i) {
            Some(v) => text(v),
            None => Err(Error::usage(format!("sendmail: {arg} needs a value"))),
        }
    };
    let mut options_done = false;
    while i < args.len() {
        let arg = text(&args[i])?;
        if options_done || !arg.starts_with('-') || arg == "-" {
            rcpts.push(arg);
            i += 1;
            continue;
        }
        if arg == "--" {
            options_done = true;
        } else if let Some(long) = arg.strip_prefix("--") {
            // ferry's own long options (`--account NAME`, `--cacert=FILE`, `-v`...) pass through.
            if long == "sendmail" {
            } else if long == "account" || long == "helo" || long == "auth" {
                out.push(arg.clone().into());
                i += 1;
                out.push(
                    args.get(i)
                        .cloned()
                        .ok_or_else(|| Error::usage(format!("sendmail: {arg} needs a value")))?,
                );
            } else {
                out.push(arg.clone().into());
            }
        } else {
            match &arg[..2] {
                "-t" if arg == "-t" => read_recipients = true,
                "-i" if arg == "-i" => ignore_dots = true,
                "-v" if arg == "-v" => out.push("-v".into()),
                "-f" | "-r" => {
                    let from = value(&arg, &mut i)?;
                    out.push("--from".into());
                    out.push(from.into());
                }
                "-F" => {
                    let name = value(&arg, &mut i)?;
                    out.push("--full-name".into());
                    out.push(name.into());
                }
                "-o" => {
                    if arg == "-oi" || arg == "-oitrue" {
                        ignore_dots = true;
                    }
                    // Every other -oX is a sendmail option with no meaning here (-oem, -odi, -oQ...).
                }
                // No-op options that take a value.
                "-B" | "-N" | "-R" | "-V" | "-X" | "-C" | "-L" | "-h" | "-p" | "-O" => {
                    value(&arg, &mut i)?;
                }
                "-b" => match arg.as_str() {
                    "-bm" => {}
                    _ => {
                        return Err(Error::usage(format!(
                            "sendmail: {arg} is not supported (only -bm, sending a message)"
                        )));
                    }
                },
                // Flags with no meaning here.
                "-m" | "-n" | "-U" | "-A" | "-e" | "-G" | "-s" => {}
                _ => {
                    return Err(Error::usage(format!("sendmail: unsupported option {arg}")));
                }
            }
        }
        i += 1;
    }
    out.push("--message".into());
    out.push("-".into());
    if read_recipients {
        out.push("-t".into());
    }
    if !ignore_dots {
        out.push("--dot-ends-input".into());
    }
    for r in rcpts {
        for addr in crate::smtp::address::parse_list(&r)? {
            out.push("--to".into());
            out.push(addr.into());
        }
    }
    Ok(out)
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
        return super::run::<Args, _>("smtp-send", |a| crate::ops::smtp::send::run(&a));
    };
    let translated = match sendmail_args(rest) {
        Ok(t) => t,
        Err(e) => return super::finish("sendmail", Err(e)),
    };
    super::run_from::<Args, _>("sendmail", translated, |a| crate::ops::smtp::send::run(&a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(args: &[&str]) -> Vec<String> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        sendmail_args(&args)
            .unwrap()
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn cron_and_mutt_command_lines() {
        assert_eq!(
            tr(&["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"]),
            vec![
                "smtp-send",
                "--sendmail",
                "--full-name",
                "CronDaemon",
                "--message",
                "-",
                "--to",
                "root"
            ]
        );
        assert_eq!(
            tr(&["-oi", "-oem", "-t", "-f", "ann@x", "--", "b@y, c@z"]),
            vec![
                "smtp-send",
                "--sendmail",
                "--from",
                "ann@x",
                "--message",
                "-",
                "-t",
                "--to",
                "b@y",
                "--to",
                "c@z"
            ]
        );
        assert!(tr(&["a@b"]).contains(&"--dot-ends-input".to_string()));
        for bad in [&["-bs"][..], &["-q"], &["-f"]] {
            let args: Vec<OsString> = bad.iter().map(OsString::from).collect();
            assert!(sendmail_args(&args).is_err(), "{bad:?}");
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
