//! `ftp-get`: download one or more URLs (globs in the last segment) over one session per server.
//!
//! Each file streams from the data connection through the progress bar into an [`Output`]: a temporary
//! file beside the target that is committed (fsync, rename) only after the server's 226 and a size check
//! against SIZE, so a cut transfer never leaves a file at the target name (exit 9). `-c` and `--retries`
//! continue from the bytes already written with REST. `--delete-after` sends DELE only after the commit.
//! Server-provided names are checked with [`safe_name`] before they become local paths; an unsafe one is
//! skipped and the run ends with exit 10.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::ftp_get::Args;
use crate::error::{Error, ErrorKind, Result};
use crate::ftp::list::Kind;
use crate::ftp::{Session, TransferType};
use crate::ops::Outcome;
use crate::ops::ftp_connect::{Connector, FTP_SCHEMES, backoff};
use crate::pingpong::Command;
use crate::progress::Progress;
use crate::sink::{Output, safe_name};
use crate::url::Target;

const BUF: usize = 256 * 1024;

/// One file's result, as printed with `--json`.
#[derive(Debug, Serialize)]
pub struct FileResult {
    /// The remote URL (without password).
    pub url: String,
    /// The local path (`-` for stdout).
    pub path: String,
    /// Bytes written locally in this run, or the file's size when it was already complete.
    pub bytes: u64,
    /// `ok`, `failed` or `skipped`.
    pub status: &'static str,
    /// What went wrong.
    pub error: Option<ErrorJson>,
    #[serde(skip)]
    kind: Option<ErrorKind>,
}

/// An error in JSON output.
#[derive(Debug, Serialize)]
pub struct ErrorJson {
    /// The exit code this error alone would have.
    pub exit_code: u8,
    /// The message.
    pub message: String,
}

/// Runs ftp-get.
pub fn run(args: &Args) -> Result<Outcome> {
    let targets: Vec<Target> = args
        .urls
        .iter()
        .map(|u| Target::parse(u, FTP_SCHEMES))
        .collect::<Result<_>>()?;
    let single = targets.len() == 1 && !has_glob(&targets[0].path);
    if let Some(o) = &args.output
        && o.as_os_str() != "-"
        && !single
    {
        return Err(Error::usage(
            "-o FILE takes one URL without a glob; use -O DIR for several files",
        ));
    }
    if args.ascii && args.resume {
        return Err(Error::usage("--ascii transfers cannot be resumed (-c)"));
    }
    let mut results = Vec::new();
    let mut current: Option<(String, Connector, Session)> = None;
    let mut broken = false;
    for target in &targets {
        let key = format!(
            "{}://{:?}@{}",
            target.scheme.name(),
            target.user,
            target.authority()
        );
        if current.as_ref().is_none_or(|(k, _, _)| *k != key) {
            if let Some((_, _, s)) = current.take() {
                s.quit();
            }
            let conn = Connector::new(target, &args.net, &args.ftp)?;
            let session = open_with_retries(&conn, target, args.net.retries)?;
            current = Some((key, conn, session));
            broken = false;
        }
        let Some((_, conn, session)) = current.as_mut() else {
            continue;
        };
        if let Err(e) = reopen_if_broken(&mut broken, conn, session, target) {
            report(args, &e);
            results.push(failed(target, "", e, "failed"));
            continue;
        }
        let files = match expand(session, target) {
            Ok(f) => f,
            Err(e) => {
                broken = session_may_be_broken(&e);
                report(args, &e);
                results.push(failed(target, "", e, "failed"));
                continue;
            }
        };
        for (remote, name) in files {
            let t = target.with_path(remote);
            let local = match local_path(args, &name) {
                Ok(p) => p,
                Err(e) => {
                    report(args, &e);
                    results.push(failed(&t, "", e, "skipped"));
                    continue;
                }
            };
            if let Err(e) = reopen_if_broken(&mut broken, conn, session, target) {
                report(args, &e);
                results.push(failed(&t, &local.display().to_string(), e, "failed"));
                continue;
            }
            match get_one(args, conn, session, &t, &local) {
                Ok(bytes) => {
                    if !args.net.quiet && !args.net.json && local.as_os_str() != "-" {
                        eprintln!(
                            "{}: {bytes} bytes",
                            crate::terminal::escape(&local.display().to_string())
                        );
                    }
                    results.push(FileResult {
                        url: t.display(),
                        path: local.display().to_string(),
                        bytes,
                        status: "ok",
                        error: None,
                        kind: None,
                    });
                }
                Err(e) => {
                    broken = session_may_be_broken(&e);
                    report(args, &e);
                    results.push(failed(&t, &local.display().to_string(), e, "failed"));
                }
            }
        }
    }
    if let Some((_, _, s)) = current.take() {
        s.quit();
    }
    finish(args, results)
}

/// After a failure that may have left the control connection unusable, starts a fresh session.
fn reopen_if_broken(
    broken: &mut bool,
    conn: &Connector,
    session: &mut Session,
    target: &Target,
) -> Result<()> {
    if *broken {
        let fresh = conn.open(target)?;
        std::mem::replace(session, fresh).quit();
        *broken = false;
    }
    Ok(())
}

/// Whether a failed file may have left the control connection unusable (cut, timed out, out of step).
fn session_may_be_broken(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Timeout | ErrorKind::Protocol | ErrorKind::Connect | ErrorKind::Tls
    )
}

fn report(args: &Args, e: &Error) {
    if !args.net.json {
        crate::cli::report("ftp-get", e);
    }
}

fn failed(t: &Target, path: &str, e: Error, status: &'static str) -> FileResult {
    let kind = if status == "skipped" {
        ErrorKind::Partial
    } else {
        e.kind()
    };
    FileResult {
        url: t.display(),
        path: path.to_string(),
        bytes: 0,
        status,
        error: Some(ErrorJson {
            exit_code: kind.exit_code(),
            message: e.to_string(),
        }),
        kind: Some(kind),
    }
}

/// The final outcome: all ok → 0; every file failed the same way → that failure's code; else 10.
fn finish(args: &Args, results: Vec<FileResult>) -> Result<Outcome> {
    if args.net.json {
        let doc = serde_json::json!({ "files": results });
        crate::json::print(&doc)?;
    }
    let failures: Vec<&FileResult> = results.iter().filter(|r| r.status != "ok").collect();
    if failures.is_empty() {
        return Ok(Outcome::Success);
    }
    let kinds: Vec<ErrorKind> = failures.iter().filter_map(|r| r.kind).collect();
    let all_failed = failures.len() == results.len();
    if all_failed && kinds.iter().all(|k| *k == kinds[0]) && kinds[0] != ErrorKind::Partial {
        let msg = failures[0]
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default();
        if results.len() == 1 {
            // Printed as it happened (or in the JSON); exit with its code without printing it twice.
            return Err(Error::new(kinds[0], msg).reported(!args.net.json));
        }
        return Err(Error::new(
            kinds[0],
            format!("all {} files failed", results.len()),
        ));
    }
    if !args.net.json && !args.net.quiet {
        eprintln!(
            "ftp-get: {} of {} files failed",
            failures.len(),
            results.len()
        );
    }
    Ok(Outcome::Partial)
}

fn has_glob(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    last.contains(['*', '?', '['])
}

/// The remote files a URL stands for: itself, or the glob's matches (files only) in its directory.
fn expand(session: &mut Session, target: &Target) -> Result<Vec<(String, String)>> {
    let path = &target.path;
    let (dir, last) = match path.rsplit_once('/') {
        Some((d, l)) => (
            if d.is_empty() && path.starts_with('/') {
                "/"
            } else {
                d
            },
            l,
        ),
        None => ("", path.as_str()),
    };
    if last.is_empty() {
        return Err(Error::usage(format!(
            "{} names a directory, not a file",
            target.display()
        )));
    }
    if !has_glob(path) {
        return Ok(vec![(path.clone(), last.to_string())]);
    }
    let pattern =
        glob::Pattern::new(last).map_err(|e| Error::usage(format!("bad glob {last:?}: {e}")))?;
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let mut names: Vec<String> = match session.list_dir(dir) {
        Ok(entries) if !entries.is_empty() => entries
            .into_iter()
            .filter(|e| e.kind != Kind::Dir)
            .map(|e| e.name)
            .collect(),
        Ok(_) | Err(_) => session.nlst(dir)?,
    };
    names.retain(|n| pattern.matches_with(n, opts));
    names.sort();
    if names.is_empty() {
        return Err(Error::new(
            ErrorKind::Permanent,
            format!("{}: no file matches", target.display()),
        ));
    }
    let join = |n: &str| match dir {
        "" => n.to_string(),
        "/" => format!("/{n}"),
        d => format!("{d}/{n}"),
    };
    Ok(names.into_iter().map(|n| (join(&n), n)).collect())
}

/// Where a remote file goes locally; a server-provided name must be safe.
fn local_path(args: &Args, name: &str) -> Result<PathBuf> {
    if let Some(o) = &args.output {
        return Ok(o.clone());
    }
    safe_name(name).map_err(|why| {
        Error::new(
            ErrorKind::Partial,
            format!(
                "skipping unsafe remote name {}: {why}",
                crate::terminal::escape(name)
            ),
        )
    })?;
    let dir = args
        .output_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(dir.join(name))
}

fn open_with_retries(conn: &Connector, target: &Target, retries: u32) -> Result<Session> {
    let mut attempt = 0;
    loop {
        match conn.open(target) {
            Ok(s) => return Ok(s),
            Err(e) if attempt < retries && e.kind().is_transient() => {
                attempt += 1;
                eprintln!("ftp-get: {e}; retrying ({attempt}/{retries})");
                backoff(attempt);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Downloads one file, retrying transient failures on a fresh session and resuming from what was written.
fn get_one(
    args: &Args,
    conn: &Connector,
    session: &mut Session,
    t: &Target,
    local: &Path,
) -> Result<u64> {
    let mut out = Output::open(local, args.resume)?;
    if let Output::File(f) = &mut out {
        f.keep_partial(args.resume);
    }
    let start = out.offset();
    let mut written = start;
    let mut attempt = 0;
    loop {
        match transfer(args, session, t, &mut out, &mut written) {
            Ok(Done::Complete(mtime)) => {
                out.commit(mtime).map_err(|e| e.within(local.display()))?;
                if args.delete_after {
                    session.dele(&t.path)?;
                }
                return Ok(written - start);
            }
            Err(e) if attempt < args.net.retries && e.kind().is_transient() => {
                attempt += 1;
                eprintln!("ftp-get: {e}; retrying ({attempt}/{})", args.net.retries);
                backoff(attempt);
                if args.ascii && written > 0 {
                    if let Output::File(f) = &mut out {
                        f.truncate()?;
                        written = 0;
                    } else {
                        return Err(e);
                    }
                }
                match conn.open(t) {
                    Ok(s) => std::mem::replace(session, s).quit(),
                    Err(e2) if e2.kind().is_transient() => continue,
                    Err(e2) => return Err(e2),
                }
            }
            Err(e) => return Err(e.within(t.display())),
        }
    }
}

enum Done {
    Complete(Option<std::time::SystemTime>),
}

/// One attempt: TYPE, SIZE, MDTM, REST + RETR, stream, 226, size check.
fn transfer(
    args: &Args,
    s: &mut Session,
    t: &Target,
    out: &mut Output,
    written: &mut u64,
) -> Result<Done> {
    let path = &t.path;
    let ttype = if args.ascii {
        TransferType::Ascii
    } else {
        TransferType::Binary
    };
    s.type_(ttype)?;
    let size = if args.ascii { None } else { s.size(path)? };
    let mtime = if args.preserve { s.mdtm(path)? } else { None };
    if let Some(size) = size {
        if *written == size && args.resume {
            return Ok(Done::Complete(mtime));
        }
        if *written > size
            && let Output::File(f) = out
        {
            f.truncate()?;
            *written = 0;
        }
    }
    let what = format!("RETR {path}");
    let mut data = s.transfer(Command::with("RETR", path.clone()), Some(*written))?;
    let progress = Progress::new(
        path,
        size,
        *written,
        crate::progress::Progress::wanted(args.net.quiet),
    );
    let copied = copy(&mut data, out, &progress, args.ascii, written);
    progress.finish();
    drop(data);
    let done = s.transfer_complete(&what);
    copied?;
    done?;
    if let Some(size) = size
        && *written != size
    {
        return Err(Error::protocol(format!(
            "truncated transfer: {written} of {size} bytes"
        )));
    }
    out.flush().map_err(|e| Error::local("output", e))?;
    Ok(Done::Complete(mtime))
}

/// Streams data to the output; in ASCII mode CRLF becomes LF.
fn copy(
    data: &mut impl Read,
    out: &mut Output,
    progress: &Progress,
    ascii: bool,
    written: &mut u64,
) -> Result<()> {
    let mut buf = vec![0u8; BUF];
    let mut pending_cr = false;
    loop {
        let n = match data.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::network("reading data", e)),
        };
        let chunk: std::borrow::Cow<[u8]> = if ascii {
            std::borrow::Cow::Owned(crlf_to_lf(&buf[..n], &mut pending_cr))
        } else {
            std::borrow::Cow::Borrowed(&buf[..n])
        };
        out.write_all(&chunk)
            .map_err(|e| Error::local("writing output", e))?;
        *written += chunk.len() as u64;
        progress.inc(n as u64);
    }
    if pending_cr {
        out.write_all(b"\r")
            .map_err(|e| Error::local("writing output", e))?;
        *written += 1;
    }
    Ok(())
}

/// CRLF → LF across chunk boundaries (`pending_cr`: the previous chunk ended in CR).
fn crlf_to_lf(chunk: &[u8], pending_cr: &mut bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(chunk.len() + 1);
    for &b in chunk {
        if *pending_cr {
            *pending_cr = false;
            if b != b'\n' {
                out.push(b'\r');
            }
        }
        if b == b'\r' {
            *pending_cr = true;
        } else {
            out.push(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_conversion_spans_chunks() {
        let mut cr = false;
        let mut out = crlf_to_lf(b"a\r", &mut cr);
        out.extend(crlf_to_lf(b"\nb\r\rc", &mut cr));
        assert_eq!(out, b"a\nb\r\rc");
        assert!(!cr);
    }

    #[test]
    fn globs_only_in_the_last_segment() {
        assert!(has_glob("pub/*.csv"));
        assert!(!has_glob("p*b/a.csv"));
    }
}
