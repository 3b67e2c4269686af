//! sendmail(8) mode of smtp-send: its command line read straight into smtp-send's [`Options`].
//!
//! `-t -i -oi -f ADDR -F NAME`, the DSN options `-N never|success,failure,delay`, `-R full|hdrs` and
//! `-V ENVID`, recipients as operands (each an address list), the usual no-op flags (`-oem`, `-odi`,
//! `-B 8BITMIME`, `-X`, `-C`, ...) ignored; the message is stdin and the
//! server comes from the config file's default account (or `--account NAME`). ferry's own long options
//! (`--account NAME`, `--helo NAME`, `--auth MECH`, `--cacert=FILE`, `--queue=DIR`, `--verbose`, ...) are
//! accepted too: they are read by the same clap definitions as smtp-send's ([`NetArgs`], [`SmtpArgs`]),
//! and only they; the sendmail flags never pass through clap.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Parser;

use super::{SmtpArgs, envelope, local, queue_dir, server};
use crate::cli::common::NetArgs;
use crate::error::{Error, Result};
use crate::ops::common::OutputMode;
use crate::ops::smtp::options::{Action, Message, Options, Ready, Source};

/// ferry's own long options in sendmail mode.
#[derive(Debug, Parser)]
#[command(name = "sendmail", no_binary_name = true)]
pub struct FerryFlags {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub smtp: SmtpArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub net: NetArgs,
}

/// A sendmail command line, read.
#[derive(Debug)]
pub struct Sendmail {
    /// The message (stdin) and its envelope.
    pub message: Message,
    /// ferry's own long options.
    pub flags: FerryFlags,
}

/// The long options that take their value as the next argument (others must use `--opt=value`).
const LONG_WITH_VALUE: &[&str] = &["account", "helo", "auth", "notify", "ret", "envid"];

/// Reads a sendmail command line (without the program name); every usage error is raised here.
pub fn parse(args: &[OsString]) -> Result<Sendmail> {
    let mut ferry: Vec<OsString> = Vec::new();
    let mut ignore_dots = false;
    let mut read_recipients = false;
    let mut from: Option<String> = None;
    let mut full_name: Option<String> = None;
    let mut operands: Vec<String> = Vec::new();
    let text = |a: &OsString| -> Result<String> {
        a.to_str()
            .map(str::to_string)
            .ok_or_else(|| Error::usage("sendmail: arguments must be UTF-8"))
    };
    // The option's value: attached (`-fADDR`) or the next argument (`-f ADDR`).
    let value = |arg: &str, i: &mut usize| -> Result<String> {
        if let Some(v) = arg.get(2..).filter(|v| !v.is_empty()) {
            return Ok(v.to_string());
        }
        *i += 1;
        match args.get(*i) {
            Some(v) => text(v),
            None => Err(Error::usage(format!("sendmail: {arg} needs a value"))),
        }
    };
    let mut options_done = false;
    let mut i = 0;
    while i < args.len() {
        let arg = text(&args[i])?;
        if options_done || !arg.starts_with('-') || arg == "-" {
            operands.push(arg);
            i += 1;
            continue;
        }
        if arg == "--" {
            options_done = true;
        } else if let Some(long) = arg.strip_prefix("--") {
            if long == "sendmail" {
            } else if LONG_WITH_VALUE.contains(&long) {
                ferry.push(arg.clone().into());
                i += 1;
                ferry.push(
                    args.get(i)
                        .cloned()
                        .ok_or_else(|| Error::usage(format!("sendmail: {arg} needs a value")))?,
                );
            } else {
                ferry.push(arg.clone().into());
            }
        } else {
            match arg.get(..2).unwrap_or_default() {
                "-t" if arg == "-t" => read_recipients = true,
                "-i" if arg == "-i" => ignore_dots = true,
                "-v" if arg == "-v" => ferry.push("--verbose".into()),
                "-f" | "-r" => from = Some(value(&arg, &mut i)?),
                "-F" => full_name = Some(value(&arg, &mut i)?),
                // Every -oX but -oi is a sendmail option with no meaning here (-oem, -odi, -oQ...).
                "-o" => ignore_dots |= arg == "-oi" || arg == "-oitrue",
                // sendmail's DSN options (RFC 3461), as --notify, --ret and --envid.
                "-N" => ferry.push(format!("--notify={}", value(&arg, &mut i)?).into()),
                "-R" => ferry.push(format!("--ret={}", value(&arg, &mut i)?).into()),
                "-V" => ferry.push(format!("--envid={}", value(&arg, &mut i)?).into()),
                // No-op options that take a value.
                "-B" | "-X" | "-C" | "-L" | "-h" | "-p" | "-O" => {
                    value(&arg, &mut i)?;
                }
                "-b" if arg == "-bm" => {}
                "-b" => {
                    return Err(Error::usage(format!(
                        "sendmail: {arg} is not supported (only -bm, sending a message)"
                    )));
                }
                // Flags with no meaning here.
                "-m" | "-n" | "-U" | "-A" | "-e" | "-G" | "-s" => {}
                _ => {
                    return Err(Error::usage(format!("sendmail: unsupported option {arg}")));
                }
            }
        }
        i += 1;
    }
    let mut listed = Vec::new();
    for r in &operands {
        listed.extend(crate::smtp::address::parse_list(r)?);
    }
    let (from, rcpts) = envelope(
        from.as_deref(),
        [("--to", &listed[..]), ("--cc", &[]), ("--bcc", &[])],
    )?;
    if let Some(name) = &full_name {
        crate::mime::header::check_value("-F", name)?;
    }
    let flags = FerryFlags::try_parse_from(ferry)
        .map_err(|e| Error::usage(format!("sendmail: {}", first_line(&e.to_string()))))?;
    Ok(Sendmail {
        message: Message {
            from,
            rcpts,
            source: Source::Ready(Ready {
                path: PathBuf::from("-"),
                read_recipients,
                dot_ends_input: !ignore_dots,
                full_name,
            }),
        },
        flags,
    })
}

/// The first line of a clap error, without its `error: ` prefix.
fn first_line(s: &str) -> &str {
    let line = s.lines().next().unwrap_or_default();
    line.strip_prefix("error: ").unwrap_or(line)
}

/// The options and output mode of a sendmail run: the command line read, the server resolved (the
/// default account unless `--account` names one).
pub fn options(args: &[OsString]) -> Result<(Options, OutputMode)> {
    let s = parse(args)?;
    let server = server(None, &s.flags.net, &s.flags.smtp)?;
    let account = server.net.credentials.account.clone();
    Ok((
        Options {
            action: Action::Send(s.message),
            queue: queue_dir(&s.flags.smtp, &server),
            all_or_nothing: s.flags.smtp.all_or_nothing,
            sendmail: true,
            local: local(account.as_ref())?,
            dsn: s.flags.smtp.dsn()?,
            mx: s
                .flags
                .smtp
                .mx
                .options(&server, s.flags.smtp.all_or_nothing)?,
            server,
            lifecycle: Default::default(),
        },
        s.flags.net.output(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn parse_of(args: &[&str]) -> Result<Sendmail> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        parse(&args)
    }

    fn ready(s: &Sendmail) -> &Ready {
        match &s.message.source {
            Source::Ready(r) => r,
            Source::Compose(_) => panic!("sendmail composes nothing"),
        }
    }

    #[test]
    fn cron_command_line() {
        let s = parse_of(&["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root@host"]).unwrap();
        assert_eq!(s.message.from, None);
        assert_eq!(s.message.rcpts, ["root@host"]);
        let r = ready(&s);
        assert_eq!(r.path, PathBuf::from("-"));
        assert!(!r.read_recipients && !r.dot_ends_input);
        assert_eq!(r.full_name.as_deref(), Some("CronDaemon"));
    }

    #[test]
    fn mutt_command_line() {
        let s = parse_of(&[
            "-oi",
            "-oem",
            "-t",
            "-f",
            "ann@x",
            "--",
            "b@y, C <c@z>",
            "B@Y",
        ])
        .unwrap();
        assert_eq!(s.message.from.as_deref(), Some("ann@x"));
        assert_eq!(s.message.rcpts, ["b@y", "c@z"], "each recipient once");
        let r = ready(&s);
        assert!(r.read_recipients && !r.dot_ends_input);
        assert_eq!(r.full_name, None);
    }

    #[test]
    fn without_i_a_lone_dot_ends_the_input_and_r_is_f() {
        let s = parse_of(&["-rann@x", "a@b"]).unwrap();
        assert!(ready(&s).dot_ends_input);
        assert_eq!(s.message.from.as_deref(), Some("ann@x"));
    }

    #[test]
    fn ferry_long_options_and_v() {
        let s = parse_of(&[
            "--helo",
            "me.example",
            "-v",
            "--retries=3",
            "--queue=/q",
            "a@b",
        ])
        .unwrap();
        assert_eq!(s.flags.smtp.helo.as_deref(), Some("me.example"));
        assert!(s.flags.net.verbose);
        assert_eq!(s.flags.net.retries, 3);
        assert_eq!(s.flags.smtp.queue, Some(PathBuf::from("/q")));
        assert_eq!(s.message.rcpts, ["a@b"]);
    }

    /// Issue 15, item 6: sendmail's -N/-R/-V are the DSN flags.
    #[test]
    fn dsn_flags() {
        let s = parse_of(&["-N", "failure,delay", "-Rhdrs", "-V", "job1", "a@b"]).unwrap();
        let dsn = s.flags.smtp.dsn().unwrap();
        assert_eq!(dsn.mail_params(), " RET=HDRS ENVID=job1");
        assert_eq!(
            dsn.rcpt_params("a@b"),
            " NOTIFY=FAILURE,DELAY ORCPT=rfc822;a@b"
        );
        assert!(parse_of(&["-N", "sometimes", "a@b"]).is_err());
    }

    #[test]
    fn every_usage_error_is_exit_2() {
        for bad in [
            &["-bs"][..],
            &["-q"],
            &["-f"],
            &["-F"],
            &["--helo"],
            &["--no-such-flag", "a@b"],
            &["-f", "a@b\r\nRCPT TO:<x@y>", "c@d"],
            &["-F", "Name\nBcc: x@y", "c@d"],
            &["not an address <"],
        ] {
            let e = parse_of(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad:?} accepted"));
            assert_eq!(e.kind(), ErrorKind::Usage, "{bad:?}: {e}");
            assert_eq!(e.kind().exit_code(), 2);
        }
        let e = parse_of(&["-bs"]).err().unwrap();
        assert_eq!(
            e.to_string(),
            "sendmail: -bs is not supported (only -bm, sending a message)"
        );
        let e = parse_of(&["-q"]).err().unwrap();
        assert_eq!(e.to_string(), "sendmail: unsupported option -q");
    }
}
