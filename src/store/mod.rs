//! Where fetched mail goes: the outputs pop3-fetch and imap-fetch share.
//!
//! A [`Store`] is opened once per run; each message is a [`Delivery`] (a `Write`) that becomes durable
//! only in [`Delivery::commit`], and that leaves no trace when dropped uncommitted. Only after `commit`
//! returns may a tool record the message in its state or delete it on the server.
//!
//! - Maildir: written in `tmp/`, fsynced, linked into `new/` (never replacing), directory fsynced.
//! - mbox (mboxrd): appended under `fcntl` and `flock` locks, fsynced; any failure truncates the file back
//!   to its length before the message, so it is byte-identical to before. `-` writes mboxrd to stdout.
//! - dir: one `NAME.eml` per message, NAME from the UIDL/UID made safe, never overwriting.
//! - MDA: the message on a command's stdin (`sh -c`); exit status 0 means delivered.
//! - stdout: the message bytes.
//!
//! Line endings are stored as LF (the wire's CRLF converted), the convention of Maildir and mbox readers.
//! This module knows files and processes, never the network.

pub(crate) mod lines;
mod maildir;
mod mbox;
mod mda;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::sink::{FileSink, UniqueNames};
pub use lines::{MboxQuote, ToLf};

/// The output the user chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `--maildir DIR`.
    Maildir(PathBuf),
    /// `--mbox FILE` (`-`: mboxrd on stdout).
    Mbox(PathBuf),
    /// `--dir DIR`.
    Dir(PathBuf),
    /// `--mda CMD`.
    Mda(String),
    /// Standard output.
    Stdout,
}

/// An opened output.
pub struct Store {
    target: Target,
    maildir: Option<maildir::Maildir>,
    names: UniqueNames,
}

impl Store {
    /// Opens the output, creating a Maildir's `tmp/new/cur` or the `--dir` directory as needed.
    pub fn open(target: Target) -> Result<Store> {
        let maildir = match &target {
            Target::Maildir(dir) => Some(maildir::Maildir::open(dir)?),
            Target::Dir(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| Error::local(dir.display(), e))?;
                None
            }
            _ => None,
        };
        Ok(Store {
            target,
            maildir,
            names: UniqueNames::default(),
        })
    }

    /// The output this store writes to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Starts one message. `name_hint` (a UIDL or UID) names the `--dir` file.
    pub fn begin(&mut self, name_hint: &str) -> Result<Delivery<'_>> {
        let kind = match &self.target {
            Target::Maildir(_) => match &mut self.maildir {
                Some(m) => Kind::Maildir(ToLf::new(m.begin()?)),
                None => return Err(Error::new(crate::ErrorKind::Internal, "Maildir not open")),
            },
            Target::Mbox(path) if path.as_os_str() == "-" => {
                let mut out = io::stdout().lock();
                mbox::separator(&mut out).map_err(|e| Error::local("standard output", e))?;
                Kind::StdoutMbox(MboxQuote::new(ToLf::new(out)))
            }
            Target::Mbox(path) => Kind::Mbox(MboxQuote::new(ToLf::new(mbox::Append::open(path)?))),
            Target::Dir(dir) => {
                let name = dir_name(name_hint);
                Kind::Dir(
                    ToLf::new(FileSink::create(&dir.join(format!("{name}.eml")))?),
                    dir.clone(),
                    name,
                    &self.names,
                )
            }
            Target::Mda(cmd) => Kind::Mda(ToLf::new(mda::Mda::spawn(cmd)?)),
            Target::Stdout => Kind::Stdout(ToLf::new(io::stdout().lock())),
        };
        Ok(Delivery { kind, bytes: 0 })
    }
}

/// The `--dir` file name for a UIDL/UID: path separators and anything unsafe replaced.
fn dir_name(hint: &str) -> String {
    crate::mime::filename::sanitize(&hint.replace(['/', '\\'], "_"))
        .unwrap_or_else(|| "message".to_string())
}

enum Kind<'a> {
    Maildir(ToLf<maildir::Pending<'a>>),
    Mbox(MboxQuote<ToLf<mbox::Append>>),
    StdoutMbox(MboxQuote<ToLf<io::StdoutLock<'static>>>),
    Dir(ToLf<FileSink>, PathBuf, String, &'a UniqueNames),
    Mda(ToLf<mda::Mda>),
    Stdout(ToLf<io::StdoutLock<'static>>),
}

/// One message on its way to the store.
pub struct Delivery<'a> {
    kind: Kind<'a>,
    bytes: u64,
}

impl Delivery<'_> {
    /// The message bytes received so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Makes the message durable (see the module documentation) and says where it went: a path, `mda`
    /// or `-`.
    pub fn commit(self) -> Result<String> {
        let stdout = |e| Error::local("standard output", e);
        match self.kind {
            Kind::Maildir(w) => w.finish().map_err(|e| Error::local("Maildir", e))?.commit(),
            Kind::Mbox(w) => {
                let append = w
                    .finish()
                    .and_then(ToLf::finish)
                    .map_err(|e| Error::local("mbox", e))?;
                append.commit()
            }
            Kind::StdoutMbox(w) => {
                let mut out = w.finish().and_then(ToLf::finish).map_err(stdout)?;
                out.write_all(b"\n")
                    .and_then(|_| out.flush())
                    .map_err(stdout)?;
                Ok("-".to_string())
            }
            Kind::Dir(w, dir, name, names) => {
                let sink = w.finish().map_err(|e| Error::local(dir.display(), e))?;
                let path = sink.commit_unique_in(names, |n| {
                    dir.join(crate::mime::filename::numbered(&format!("{name}.eml"), n))
                })?;
                Ok(path.display().to_string())
            }
            Kind::Mda(w) => {
                let mda = w.finish().map_err(|e| Error::local("MDA", e))?;
                mda.wait()?;
                Ok("mda".to_string())
            }
            Kind::Stdout(w) => {
                let mut out = w.finish().map_err(stdout)?;
                out.flush().map_err(stdout)?;
                Ok("-".to_string())
            }
        }
    }
}

impl Write for Delivery<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.kind {
            Kind::Maildir(w) => w.write_all(buf)?,
            Kind::Mbox(w) => w.write_all(buf)?,
            Kind::StdoutMbox(w) => w.write_all(buf)?,
            Kind::Dir(w, ..) => w.write_all(buf)?,
            Kind::Mda(w) => w.write_all(buf)?,
            Kind::Stdout(w) => w.write_all(buf)?,
        }
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Whether `path` names an existing Maildir (has `cur`, `new` and `tmp`).
pub fn is_maildir(path: &Path) -> bool {
    ["cur", "new", "tmp"].iter().all(|d| path.join(d).is_dir())
}

#[cfg(test)]
mod tests;
