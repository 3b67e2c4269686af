//! The command-line layer: clap definitions, validated options and the shared `main`.
//!
//! Each tool has a module here with its clap `Args` and a `main()` that the three-line binary calls. This
//! module owns what every tool does the same way: parsing (a usage error is exit 2, `--help`/`--version` exit
//! 0), turning an [`Outcome`] or [`Error`](crate::Error) into an exit code through [`ErrorKind::exit_code`], printing one
//! diagnostic line with control characters escaped, and treating a closed output pipe as success. It never
//! opens a socket.

pub mod common;
pub mod ftp_get;
pub mod ftp_ls;
pub mod ftp_put;
pub mod ftp_rm;
pub mod ftp_sync;
pub mod imap_fetch;
pub mod imap_mailbox;
pub mod imap_message;
pub mod mime_decode;
pub mod mime_encode;
pub mod pop3_fetch;
pub mod smtp_send;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::error::{EXIT_CODES, ErrorKind};
use crate::ops::Outcome;
use crate::ops::common::{OutputMode, Ui};
use crate::terminal;

/// Every tool's clap command, as users run it: the man-page and completion generators use this list.
pub fn commands() -> Vec<clap::Command> {
    vec![
        ftp_get::Args::command().name("ftp-get"),
        ftp_ls::Args::command().name("ftp-ls"),
        imap_fetch::Args::command().name("imap-fetch"),
        imap_mailbox::Args::command().name("imap-mailbox"),
        imap_message::Args::command().name("imap-message"),
        ftp_put::Args::command().name("ftp-put"),
        ftp_rm::Args::command().name("ftp-rm"),
        mime_encode::Args::command().name("mime-encode"),
        mime_decode::Args::command().name("mime-decode"),
        pop3_fetch::Args::command().name("pop3-fetch"),
        smtp_send::Args::command().name("smtp-send"),
    ]
}

/// The exit-code table as the text shown after `--help` and in the man pages.
pub fn exit_codes_help() -> String {
    let mut s = String::from("Exit codes:\n");
    for (code, meaning) in EXIT_CODES {
        s.push_str(&format!("  {code:>2}  {meaning}\n"));
    }
    s
}

/// Examples followed by the exit-code table, for `--help` (long form) and the man pages.
pub fn examples_and_codes(examples: &str) -> String {
    format!("{examples}\n\n{}", exit_codes_help())
}

/// Parses `A` from `argv` (program name first) under the name `tool` and runs `body`, mapping the result
/// to the exit-code contract; a panic becomes exit 1.
fn run_from<A, F>(tool: &'static str, argv: Vec<std::ffi::OsString>, body: F) -> ExitCode
where
    A: CommandFactory + FromArgMatches,
    F: FnOnce(A) -> crate::Result<Outcome>,
{
    terminal::set_program(tool);
    let cmd = A::command()
        .name(tool.to_string())
        .bin_name(tool.to_string());
    let args = match cmd
        .try_get_matches_from(argv)
        .and_then(|m| A::from_arg_matches(&m))
    {
        Ok(args) => args,
        Err(e) => {
            if !e.use_stderr() {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            eprint!("{}", usage_error_text(tool, &e.render().to_string()));
            return ExitCode::from(ErrorKind::Usage.exit_code());
        }
    };
    install_panic_hook(tool);
    crate::signals::install();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(args))) {
        Ok(result) => finish(tool, result),
        // The hook has printed the one line; a panic is a bug (exit 1), never exit 101 or a backtrace.
        Err(_) => ExitCode::from(ErrorKind::Internal.exit_code()),
    }
}

/// clap's usage error with the tool's name in front, as every other message has it: `ftp-get: error:
/// unexpected argument '--x' found`, then clap's tip and usage lines as they are.
fn usage_error_text(tool: &str, rendered: &str) -> String {
    let text = rendered.strip_prefix("error: ").unwrap_or(rendered);
    let text = format!("{tool}: error: {text}");
    if text.ends_with('\n') {
        text
    } else {
        text + "\n"
    }
}

/// Replaces Rust's panic output (a backtrace under `RUST_BACKTRACE`) with one line naming the tool and
/// asking for a report; a panic on any thread is a bug in ferry.
fn install_panic_hook(tool: &str) {
    let tool = tool.to_string();
    std::panic::set_hook(Box::new(move |info| {
        let line = panic_line(&tool, info.payload(), info.location());
        eprintln!("{}", terminal::escape(&line));
    }));
}

/// `tool: internal error: MESSAGE at FILE:LINE (a bug in ferry; please report it)`.
fn panic_line(
    tool: &str,
    payload: &(dyn std::any::Any + Send),
    at: Option<&std::panic::Location<'_>>,
) -> String {
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic");
    let at = at
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    format!(
        "{tool}: internal error: {}{at} (a bug in ferry; please report it)",
        msg.replace(['\r', '\n'], " ")
    )
}

/// Parses `A` from the process arguments under the name `tool`, converts it into the tool's options
/// with `options` (every usage error is raised there: exit 2) and runs `body` with a reporter for the
/// output mode the flags chose.
pub fn run_tool<A, O>(
    tool: &'static str,
    options: impl FnOnce(A) -> crate::Result<(O, OutputMode)>,
    body: impl FnOnce(&O, &Ui) -> crate::Result<Outcome>,
) -> ExitCode
where
    A: CommandFactory + FromArgMatches,
{
    run_tool_from(tool, std::env::args_os().collect(), options, body)
}

/// Like [`run_tool`], with the arguments given (program name first).
pub fn run_tool_from<A, O>(
    tool: &'static str,
    argv: Vec<std::ffi::OsString>,
    options: impl FnOnce(A) -> crate::Result<(O, OutputMode)>,
    body: impl FnOnce(&O, &Ui) -> crate::Result<Outcome>,
) -> ExitCode
where
    A: CommandFactory + FromArgMatches,
{
    run_from::<A, _>(tool, argv, |args| {
        let (opts, mode) = options(args)?;
        body(&opts, &Ui::new(tool, mode))
    })
}

/// Maps what a tool returned to its exit code, printing the diagnostic for a failure.
pub fn finish(tool: &'static str, result: crate::Result<Outcome>) -> ExitCode {
    // A run stopped by a signal ends with the signal's status, whatever error the stop caused.
    if let Some(sig) = crate::signals::received() {
        return ExitCode::from(crate::signals::exit_code(sig));
    }
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Partial) => ExitCode::from(ErrorKind::Partial.exit_code()),
        Ok(Outcome::Failed(kind)) => ExitCode::from(kind.exit_code()),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            Ui::new(tool, OutputMode::default()).error(&e);
            ExitCode::from(e.kind().exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_one_line_asking_for_a_report() {
        let payload: Box<dyn std::any::Any + Send> =
            Box::new(String::from("index 3 out of\nrange"));
        assert_eq!(
            panic_line("ftp-ls", payload.as_ref(), None),
            "ftp-ls: internal error: index 3 out of range (a bug in ferry; please report it)"
        );
        let payload: Box<dyn std::any::Any + Send> = Box::new(7u8);
        assert!(panic_line("x", payload.as_ref(), None).contains("internal error: panic"));
    }
}
