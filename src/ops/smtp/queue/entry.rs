//! One queue entry's message file, `ID.msg`: the envelope followed by the message exactly as it would
//! have been sent (Bcc already removed, Date and Message-ID already added):
//!
//! ```text
//! ferry-smtp-queue 1
//! from ann@example.com       (empty for a null sender: a notice)
//! to bob@example.org
//! flags 8bit smtputf8        (either word optional)
//!
//! <the message>
//! ```
//!
//! Written durably (a temporary file in DIR, fsync, a hard link to a fresh `*.msg` name, fsync of DIR), so
//! a name only ever holds a complete entry, and never changed afterwards: what changes (attempts, the
//! send journal) is the entry's state file ([`super::journal`]). The ID is the file name without `.msg`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::sink::FileSink;
use crate::smtp::address;

use super::super::job::Job;

const MAGIC: &str = "ferry-smtp-queue 1";
/// The longest envelope line read back.
const LINE_MAX: usize = 1024;
/// The most recipients one entry may hold.
const RCPT_MAX: usize = 100_000;

pub(super) fn local(what: impl std::fmt::Display) -> impl FnOnce(io::Error) -> Error {
    move |e| Error::local(what, e)
}

/// Writes `job` for `rcpts` into DIR (created 0700 if missing) and returns the message file's path.
pub fn write(dir: &Path, job: &mut Job, rcpts: &[String]) -> Result<PathBuf> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(local(dir.display()))?;
    let mut sink = FileSink::create(&dir.join("entry"))?;
    let mut pre = format!("{MAGIC}\nfrom {}\n", job.from);
    for r in rcpts {
        pre.push_str(&format!("to {r}\n"));
    }
    let mut flags = Vec::new();
    if job.eight_bit {
        flags.push("8bit");
    }
    if job.smtputf8 {
        flags.push("smtputf8");
    }
    pre.push_str(&format!("flags {}\n\n", flags.join(" ")));
    sink.write_all(pre.as_bytes())
        .map_err(local(dir.display()))?;
    io::copy(&mut job.reader()?, &mut sink).map_err(local(dir.display()))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let pid = std::process::id();
    sink.commit_unique(|n| dir.join(format!("{stamp}.{pid}.{n}.msg")))
}

/// Reads a queue entry back into a job (the message stays in the file).
pub fn load(path: &Path) -> Result<Job> {
    let what = path.display().to_string();
    let bad = |why: &str| {
        Error::new(
            ErrorKind::LocalIo,
            format!("{what}: not a queue entry ({why})"),
        )
    };
    let file = File::open(path).map_err(local(&what))?;
    let len = file.metadata().map_err(local(&what))?.len();
    let mut r = BufReader::new(file);
    let mut offset = 0u64;
    let mut line = Vec::new();
    let mut next = |r: &mut BufReader<File>, line: &mut Vec<u8>| -> Result<String> {
        line.clear();
        r.by_ref()
            .take(LINE_MAX as u64 + 1)
            .read_until(b'\n', line)
            .map_err(local(&what))?;
        offset += line.len() as u64;
        if line.len() > LINE_MAX || line.last() != Some(&b'\n') {
            return Err(Error::new(
                ErrorKind::LocalIo,
                format!("{what}: not a queue entry (bad envelope line)"),
            ));
        }
        line.pop();
        String::from_utf8(line.clone()).map_err(|_| {
            Error::new(
                ErrorKind::LocalIo,
                format!("{what}: not a queue entry (not UTF-8)"),
            )
        })
    };
    if next(&mut r, &mut line)? != MAGIC {
        return Err(bad("no header line"));
    }
    let mut from = None;
    let mut rcpts = Vec::new();
    let (mut eight_bit, mut smtputf8) = (false, false);
    loop {
        let l = next(&mut r, &mut line)?;
        if l.is_empty() {
            break;
        }
        match l.split_once(' ').unwrap_or((l.as_str(), "")) {
            ("from", a) => from = Some(a.to_string()),
            ("to", a) => {
                address::check(a)?;
                if rcpts.len() >= RCPT_MAX {
                    return Err(bad("too many recipients"));
                }
                rcpts.push(a.to_string());
            }
            ("flags", f) => {
                eight_bit = f.split(' ').any(|w| w == "8bit");
                smtputf8 = f.split(' ').any(|w| w == "smtputf8");
            }
            _ => return Err(bad("unknown envelope line")),
        }
    }
    let from = from.ok_or_else(|| bad("no sender"))?;
    if !from.is_empty() {
        address::check(&from)?;
    }
    if rcpts.is_empty() {
        return Err(bad("no recipients"));
    }
    let mut file = r.into_inner();
    file.seek(SeekFrom::Start(offset)).map_err(local(&what))?;
    Ok(Job {
        from,
        rcpts,
        head: Vec::new(),
        file,
        body_offset: offset,
        body_len: len.saturating_sub(offset),
        eight_bit,
        smtputf8,
        // Not kept in a queue entry: a queued message is resent without a DSN request.
        dsn: Default::default(),
    })
}

/// The entries in DIR, oldest name first.
pub fn entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).map_err(local(dir.display()))? {
        let e = e.map_err(local(dir.display()))?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !name.starts_with('.')
            && name.ends_with(".msg")
            && e.file_type().is_ok_and(|t| t.is_file())
        {
            v.push(e.path());
        }
    }
    v.sort();
    Ok(v)
}

/// An entry's ID: its file name without `.msg`.
pub fn id_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The message file of entry `id` in `dir`; an ID that is not a plain name is a usage error.
pub fn path_of(dir: &Path, id: &str) -> Result<PathBuf> {
    let id = id.strip_suffix(".msg").unwrap_or(id);
    if id.is_empty()
        || id.starts_with('.')
        || id.len() > 200
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
    {
        return Err(Error::usage(format!("{id:?} is not a queue entry ID")));
    }
    Ok(dir.join(format!("{id}.msg")))
}

/// The header block of the message in `job` (at most `cap` bytes), for a notice's text/rfc822-headers.
pub fn headers(job: &mut Job, cap: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut r = BufReader::new(job.reader()?);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut r)
            .take(cap as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::local("the queued message", e))?;
        if n == 0 || line == b"\n" || line == b"\r\n" {
            break;
        }
        if out.len() + line.len() > cap {
            break;
        }
        out.extend_from_slice(&line);
    }
    Ok(out)
}
