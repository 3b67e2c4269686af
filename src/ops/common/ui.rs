//! The one reporter every tool talks to the user through: error lines, notes, retry notices, progress
//! bars and the `--json` document.
//!
//! Unix manners live here once: every diagnostic is one line starting with the tool's name, control
//! characters escaped; `-q` leaves only errors; `--json` leaves the document on stdout and per-item errors
//! inside it (a run-ending error is still printed on stderr by `cli`). Progress bars only on a terminal.
//! Quiet success, as Unix tools are: when stderr is not a terminal (cron, a pipe, a log file), summaries,
//! notes and retry notices are left out unless `-v`, so a successful run prints nothing; errors,
//! warnings and failure summaries always print.
//! `Ui` is shared by the parallel sessions of a run, so it takes `&self` and writes whole lines.

use std::io::Write;
use std::sync::Mutex;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::terminal;

/// How much the user asked to see, and where the transaction log goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputMode {
    /// `-q`: errors only.
    pub quiet: bool,
    /// `--json`: one document on stdout describing the result.
    pub json: bool,
    /// `--log` (or the account's `log`): one line per message or file.
    pub log: Option<std::sync::Arc<super::log::TxLog>>,
    /// `-v`: summaries and notes even when stderr is not a terminal.
    pub verbose: bool,
}

/// Where diagnostics go: stderr, or a buffer in tests.
enum Diagnostics {
    Stderr,
    Captured(Mutex<Vec<u8>>),
}

/// The reporter of one run.
pub struct Ui {
    tool: &'static str,
    mode: OutputMode,
    out: Diagnostics,
    terminal: bool,
    /// Whether summaries and notes are wanted: stderr is a terminal, or `-v`.
    chatty: bool,
}

impl Ui {
    /// A reporter for `tool` writing on stderr.
    pub fn new(tool: &'static str, mode: OutputMode) -> Ui {
        use std::io::IsTerminal;
        let terminal = std::io::stderr().is_terminal();
        Ui {
            tool,
            chatty: terminal || mode.verbose,
            mode,
            out: Diagnostics::Stderr,
            terminal,
        }
    }

    /// A reporter whose diagnostics are kept in memory (see [`Ui::captured`]), for tests of `ops`; it
    /// keeps summaries and notes as on a terminal, without progress bars.
    pub fn capturing(tool: &'static str, mode: OutputMode) -> Ui {
        Ui {
            tool,
            mode,
            out: Diagnostics::Captured(Mutex::new(Vec::new())),
            terminal: false,
            chatty: true,
        }
    }

    /// Like [`Ui::capturing`], as when stderr is not a terminal (a pipe, cron): summaries and notes
    /// only with `-v`.
    pub fn capturing_piped(tool: &'static str, mode: OutputMode) -> Ui {
        Ui {
            chatty: mode.verbose,
            ..Ui::capturing(tool, mode)
        }
    }

    /// What a capturing reporter has printed so far.
    pub fn captured(&self) -> String {
        match &self.out {
            Diagnostics::Captured(buf) => {
                String::from_utf8_lossy(&buf.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
            }
            Diagnostics::Stderr => String::new(),
        }
    }

    /// The tool's name, as every diagnostic starts.
    pub fn tool(&self) -> &'static str {
        self.tool
    }

    /// `-q` was given.
    pub fn quiet(&self) -> bool {
        self.mode.quiet
    }

    /// `--json` was given.
    pub fn json(&self) -> bool {
        self.mode.json
    }

    /// Whether progress bars should be drawn: stderr is a terminal and neither `-q` nor `--json`.
    pub fn progress(&self) -> bool {
        self.terminal && !self.mode.quiet && !self.mode.json
    }

    fn write_line(&self, line: &str) {
        let line = line.replace(['\r', '\n'], " ");
        let text = format!("{}\n", terminal::escape(&line));
        match &self.out {
            Diagnostics::Stderr => {
                let _ = std::io::stderr().lock().write_all(text.as_bytes());
            }
            Diagnostics::Captured(buf) => buf
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(text.as_bytes()),
        }
    }

    /// A run-ending error: `tool: error: …`, always printed.
    pub fn error(&self, e: &Error) {
        self.write_line(&format!("{}: error: {e}", self.tool));
    }

    /// One item's failure as it happens: printed unless `--json` (where it is part of the document).
    pub fn item_error(&self, e: &Error) {
        // Once a signal stopped the run, the items it cut short are its doing, not failures to report
        // one by one (the exit status says how the run ended; warnings, such as a temporary file left
        // behind, are still printed).
        if !self.mode.json && crate::signals::received().is_none() {
            self.error(e);
        }
    }

    /// A warning the user should see even with `-q` (unless `--json`): `tool: …`.
    pub fn warn(&self, msg: &str) {
        if !self.mode.json {
            self.write_line(&format!("{}: {msg}", self.tool));
        }
    }

    /// Information or a success summary: `tool: …`, hidden by `-q` and `--json`, and when stderr is not
    /// a terminal unless `-v` (quiet success).
    pub fn note(&self, msg: &str) {
        if self.chatty && !self.mode.quiet && !self.mode.json {
            self.write_line(&format!("{}: {msg}", self.tool));
        }
    }

    /// Something the user should know about a run that is not a plain success (a failure summary, a
    /// skipped message): `tool: …`, hidden by `-q` and `--json` only, so cron still reports it.
    pub fn notice(&self, msg: &str) {
        if !self.mode.quiet && !self.mode.json {
            self.write_line(&format!("{}: {msg}", self.tool));
        }
    }

    /// A line of its own (e.g. `path: 123 bytes`), hidden like [`Ui::note`].
    pub fn line(&self, msg: &str) {
        if self.chatty && !self.mode.quiet && !self.mode.json {
            self.write_line(msg);
        }
    }

    /// The notice before retry `attempt` of `max` after `e`: hidden like [`Ui::note`] (a retry that
    /// then succeeds is a success; one that fails ends with the error).
    pub fn retrying(&self, e: &Error, attempt: u32, max: u32) {
        self.note(&format!("{e}; retrying ({attempt}/{max})"));
    }

    /// Writes one transaction-log line for an item (with `--log`; nothing otherwise). A log that cannot be
    /// written is reported once and never fails the run.
    pub fn log(&self, rec: &super::log::LogRecord) {
        if let Some(log) = &self.mode.log
            && let Some(e) = log.write(self.tool, rec)
        {
            self.warn(&format!("cannot write the log: {e}"));
        }
    }

    /// Prints the `--json` document on stdout.
    pub fn print_json(&self, doc: &impl Serialize) -> Result<()> {
        crate::json::print(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn quiet_and_json_hide_what_they_should() {
        let e = Error::new(ErrorKind::Permanent, "RETR a: 550 gone\r\ninjected");
        let ui = Ui::capturing("ftp-get", OutputMode::default());
        ui.item_error(&e);
        ui.note("1 of 2 files failed");
        ui.retrying(&e, 1, 3);
        assert_eq!(
            ui.captured(),
            "ftp-get: error: RETR a: 550 gone  injected\n\
             ftp-get: 1 of 2 files failed\n\
             ftp-get: RETR a: 550 gone  injected; retrying (1/3)\n"
        );
        let quiet = Ui::capturing(
            "ftp-get",
            OutputMode {
                quiet: true,
                ..OutputMode::default()
            },
        );
        quiet.note("hidden");
        quiet.retrying(&e, 1, 3);
        quiet.item_error(&e);
        assert_eq!(
            quiet.captured(),
            "ftp-get: error: RETR a: 550 gone  injected\n"
        );
        let json = Ui::capturing(
            "ftp-get",
            OutputMode {
                json: true,
                ..OutputMode::default()
            },
        );
        json.item_error(&e);
        json.warn("hidden");
        json.error(&e);
        assert_eq!(
            json.captured(),
            "ftp-get: error: RETR a: 550 gone  injected\n"
        );
    }

    #[test]
    fn off_a_terminal_success_is_silent_unless_verbose() {
        let e = Error::new(ErrorKind::Permanent, "RETR a: 550 gone");
        let piped = Ui::capturing_piped("ftp-get", OutputMode::default());
        piped.note("1 file, 3 bytes");
        piped.line("f: 3 bytes");
        piped.retrying(&e, 1, 3);
        assert_eq!(piped.captured(), "");
        piped.notice("1 of 2 files failed");
        piped.warn("not deleting anything");
        piped.item_error(&e);
        assert_eq!(
            piped.captured(),
            "ftp-get: 1 of 2 files failed\n\
             ftp-get: not deleting anything\n\
             ftp-get: error: RETR a: 550 gone\n"
        );
        let verbose = Ui::capturing_piped(
            "ftp-get",
            OutputMode {
                verbose: true,
                ..OutputMode::default()
            },
        );
        verbose.note("1 file, 3 bytes");
        verbose.line("f: 3 bytes");
        assert_eq!(verbose.captured(), "ftp-get: 1 file, 3 bytes\nf: 3 bytes\n");
    }

    #[test]
    fn control_characters_are_escaped() {
        let ui = Ui::capturing("x", OutputMode::default());
        ui.note("bell \u{7} esc \u{1b}[2J");
        assert!(!ui.captured().contains('\u{1b}'), "{:?}", ui.captured());
    }
}
