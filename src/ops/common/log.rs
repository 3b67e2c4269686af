//! The transaction log every network tool writes with `--log FILE` (or the account's `log = PATH` or
//! `log = "syslog"`): one line per message or file, so that mail sent from cron, where nobody reads
//! stderr, leaves a trace.
//!
//! ```text
//! 2026-01-01T00:00:00Z smtp-send account=work server=smtp://mail.example.com:587 item="<ann@x> -> <bob@y>" size=1234 result=ok reply="250 2.0.0 queued as 4bX" queue=-
//! ```
//!
//! Fields: RFC 3339 UTC time, tool, account (`-` without one), server (the URL without password), the
//! item (envelope, or path), size in octets (`-` when unknown), `ok`/`skipped`/`failed`, the server's
//! reply or the error, the queue ID when the message was queued. Values are quoted and escaped (`\"`,
//! `\\`, `\xNN` for control characters), each bounded, so a hostile reply cannot forge a line. A line is
//! one `write` on a file opened with `O_APPEND`, so concurrent runs never interleave within a line; the
//! file is opened for each line, so log rotation needs no signal. Secrets never reach it: servers are
//! shown without passwords and replies carry no credentials. A log that cannot be written is reported
//! once on stderr and never fails the transfer it records.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use super::report::{ItemResult, ItemStatus};

/// The longest value kept of any one field, in characters (longer ones end in `...`).
const FIELD_MAX: usize = 512;

/// Where log lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogDest {
    /// Appended to a file.
    File(PathBuf),
    /// syslog(3), facility mail, priority info.
    Syslog,
}

impl LogDest {
    /// `syslog`, else a file path.
    pub fn parse(s: &str) -> LogDest {
        if s == "syslog" {
            LogDest::Syslog
        } else {
            LogDest::File(PathBuf::from(s))
        }
    }
}

/// The log of one run: where it goes and the account it is written for.
#[derive(Debug)]
pub struct TxLog {
    dest: LogDest,
    account: Option<String>,
    warned: AtomicBool,
}

impl Clone for TxLog {
    fn clone(&self) -> Self {
        TxLog::new(self.dest.clone(), self.account.clone())
    }
}

impl PartialEq for TxLog {
    fn eq(&self, other: &Self) -> bool {
        self.dest == other.dest && self.account == other.account
    }
}

impl Eq for TxLog {}

/// One logged item.
#[derive(Debug, Clone, Copy)]
pub struct LogRecord<'a> {
    /// The server (without password).
    pub server: &'a str,
    /// The envelope (`<from> -> <to> <to>`) or the path.
    pub item: &'a str,
    /// Size in octets, when known.
    pub size: Option<u64>,
    /// How it ended.
    pub result: &'a ItemResult,
    /// The server's reply, if any (else the error's message is logged).
    pub reply: Option<&'a str>,
    /// The queue ID, when the message was queued.
    pub queue_id: Option<&'a str>,
}

/// `v` quoted, escaped and bounded.
fn quote(v: &str) -> String {
    let mut out = String::with_capacity(v.len().min(FIELD_MAX) + 2);
    out.push('"');
    for (n, c) in v.chars().enumerate() {
        if n == FIELD_MAX {
            out.push_str("...");
            break;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c) & 0xff)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A bare token (tool, account, server, queue ID): escaped like [`quote`], quoted only when it needs it.
fn token(v: &str) -> String {
    if !v.is_empty()
        && v.len() <= FIELD_MAX
        && v.chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
    {
        v.to_string()
    } else {
        quote(v)
    }
}

impl TxLog {
    /// A log to `dest` for `account` (the `--account` name, if any).
    pub fn new(dest: LogDest, account: Option<String>) -> TxLog {
        TxLog {
            dest,
            account,
            warned: AtomicBool::new(false),
        }
    }

    /// The line for `rec` written by `tool` at `now` (seconds since the epoch), without the newline.
    pub fn line(&self, tool: &str, rec: &LogRecord, now: u64) -> String {
        let result = match rec.result.status {
            ItemStatus::Ok => "ok",
            ItemStatus::Skipped => "skipped",
            ItemStatus::Failed => "failed",
        };
        let reply = rec
            .reply
            .map(str::to_string)
            .or_else(|| rec.result.error.as_ref().map(|e| e.message.clone()));
        format!(
            "{} {} account={} server={} item={} size={} result={result} reply={} queue={}",
            crate::time::rfc3339(now),
            token(tool),
            self.account.as_deref().map_or_else(|| "-".into(), token),
            token(rec.server),
            quote(rec.item),
            rec.size.map_or_else(|| "-".into(), |s| s.to_string()),
            reply.map_or_else(|| "-".into(), |r| quote(&r)),
            rec.queue_id.map_or_else(|| "-".into(), token),
        )
    }

    /// Writes one line for `rec`. Returns the error the first time writing fails (for the caller to
    /// report once); later failures are silent.
    pub fn write(&self, tool: &str, rec: &LogRecord) -> Option<std::io::Error> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let line = self.line(tool, rec, now);
        let r = match &self.dest {
            LogDest::File(path) => append(path, &line),
            LogDest::Syslog => syslog(&line),
        };
        match r {
            Err(e) if !self.warned.swap(true, Ordering::Relaxed) => Some(e),
            _ => None,
        }
    }
}

/// One `write` of the whole line with O_APPEND (created 0600).
fn append(path: &std::path::Path, line: &str) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(line.len() + 1);
    buf.extend_from_slice(line.as_bytes());
    buf.push(b'\n');
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)?;
    let n = f.write(&buf)?;
    if n != buf.len() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::WriteZero,
            "short write to the log",
        ));
    }
    Ok(())
}

/// The line to syslog(3), facility mail, priority info, identified by the program's name.
fn syslog(line: &str) -> std::io::Result<()> {
    let c = std::ffi::CString::new(line.replace('\0', " "))
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: both pointers are valid NUL-terminated strings for the duration of the call, and the
    // format is a constant "%s", so the line is never read as a format.
    unsafe {
        libc::syslog(libc::LOG_MAIL | libc::LOG_INFO, c"%s".as_ptr(), c.as_ptr());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorKind};

    #[test]
    fn fields_are_escaped_bounded_and_one_line() {
        let log = TxLog::new(LogDest::Syslog, Some("work".into()));
        let failed = ItemResult::failed(&Error::new(ErrorKind::Transient, "450 busy\r\nforged"));
        let line = log.line(
            "smtp-send",
            &LogRecord {
                server: "smtp://h:587",
                item: "<a@x> -> <\"q\"@y>",
                size: Some(12),
                result: &failed,
                reply: None,
                queue_id: Some("1.2.0"),
            },
            1_767_225_600,
        );
        assert_eq!(
            line,
            "2026-01-01T00:00:00Z smtp-send account=work server=smtp://h:587 item=\"<a@x> -> <\\\"q\\\"@y>\" size=12 result=failed reply=\"450 busy\\x0d\\x0aforged\" queue=1.2.0"
        );
        let long = "x".repeat(5000);
        let ok = ItemResult::ok();
        let line = TxLog::new(LogDest::Syslog, None).line(
            "ftp-get",
            &LogRecord {
                server: "ftp://h",
                item: &long,
                size: None,
                result: &ok,
                reply: Some(&long),
                queue_id: None,
            },
            0,
        );
        assert!(line.len() < 1200, "{}", line.len());
        assert!(
            line.starts_with("1970-01-01T00:00:00Z ftp-get account=- server=ftp://h item=\"xxx")
        );
        assert!(line.ends_with("...\" queue=-"));
    }

    #[test]
    fn appends_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let log = TxLog::new(LogDest::File(path.clone()), None);
        let ok = ItemResult::ok();
        let rec = LogRecord {
            server: "pop3://h",
            item: "1",
            size: Some(3),
            result: &ok,
            reply: None,
            queue_id: None,
        };
        assert!(log.write("pop3-fetch", &rec).is_none());
        assert!(log.write("pop3-fetch", &rec).is_none());
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        let bad = TxLog::new(LogDest::File(dir.path().join("no/such/log")), None);
        assert!(
            bad.write("t", &rec).is_some(),
            "the first failure is reported"
        );
        assert!(bad.write("t", &rec).is_none(), "once");
    }
}
