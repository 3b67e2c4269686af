//! Where fetched mail goes: the outputs pop3-fetch and imap-fetch share.
//!
//! A [`Store`] is opened once per run; each message is a [`Delivery`] (a `Write`) that becomes durable
//! only in [`Delivery::commit`], and that leaves no trace when dropped uncommitted. Only after `commit`
//! returns may a tool record the message in its state or delete it on the server.
//!
//! - Maildir: written in `tmp/`, fsynced, moved into `new/` (never replacing), directory fsynced — per
//!   message, or once for many with [`Store::defer_dir_sync`] and [`Store::sync`].
//! - mbox (mboxrd): appended under `fcntl` and `flock` locks, fsynced; any failure truncates the file back
//!   to its length before the message, so it is byte-identical to before. `-` writes mboxrd to stdout.
//! - dir: one `NAME.eml` per message, NAME from the UIDL/UID made safe, never overwriting.
//! - MDA: the message on a command's stdin (`sh -c`); exit status 0 means delivered.
//! - stdout: the message bytes.
//!
//! Line endings are stored as LF (the wire's CRLF converted), the convention of Maildir and mbox readers;
//! a decoded MIME part ([`Item::Part`]) is bytes and stored exactly as decoded.
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

    /// Lets a Maildir's commits skip the fsync of `new/` (one per message), leaving it to
    /// [`Store::sync`], which the caller must call before it records as stored, or deletes on the server,
    /// any message committed since. No effect on other outputs: their commits stay durable alone.
    pub fn defer_dir_sync(&mut self) {
        if let Some(m) = &mut self.maildir {
            m.defer_dir_sync();
        }
    }

    /// Makes durable what [`Store::defer_dir_sync`] left out: fsyncs a Maildir's `new/`, which holds the
    /// names committed by every store of that Maildir in this process. Nothing to do for other outputs.
    pub fn sync(&self) -> Result<()> {
        match &self.maildir {
            Some(m) => m.sync(),
            None => Ok(()),
        }
    }

    /// The output this store writes to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Starts one message. `name_hint` (a UIDL or UID) names the `--dir` file.
    pub fn begin(&mut self, name_hint: &str) -> Result<Delivery<'_>> {
        self.begin_item(&Item::Message(name_hint.to_string()))
    }

    /// Starts one message or decoded part (see [`Item`]).
    pub fn begin_item(&mut self, item: &Item) -> Result<Delivery<'_>> {
        let (raw, file) = match item {
            Item::Message(hint) => (false, format!("{}.eml", dir_name(hint))),
            Item::Part(name) => (true, dir_name(name)),
        };
        let kind = match &self.target {
            Target::Maildir(_) => match &mut self.maildir {
                Some(m) => Kind::Maildir(line_endings(raw, m.begin()?)),
                None => return Err(Error::new(crate::ErrorKind::Internal, "Maildir not open")),
            },
            Target::Mbox(path) if path.as_os_str() == "-" => {
                let mut out = io::stdout().lock();
                mbox::separator(&mut out).map_err(|e| Error::local("standard output", e))?;
                Kind::StdoutMbox(MboxQuote::new(line_endings(raw, out)))
            }
            Target::Mbox(path) => {
                Kind::Mbox(MboxQuote::new(line_endings(raw, mbox::Append::open(path)?)))
            }
            Target::Dir(dir) => Kind::Dir(
                line_endings(raw, FileSink::create(&dir.join(&file))?),
                dir.clone(),
                file,
                &self.names,
            ),
            Target::Mda(cmd) => Kind::Mda(line_endings(raw, mda::Mda::spawn(cmd)?)),
            Target::Stdout => Kind::Stdout(line_endings(raw, io::stdout().lock())),
        };
        Ok(Delivery { kind, bytes: 0 })
    }
}

/// What one delivery holds: it decides the `--dir` name and whether line endings are converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A message (or its header, or a part as sent): `NAME.eml` from the UIDL/UID `NAME`, made safe;
    /// CRLF stored as LF.
    Message(String),
    /// A decoded MIME part: bytes, stored exactly as decoded, never line-converted; in `--dir` under
    /// this file name (the part's own, or one the caller made up), made safe.
    Part(String),
}

/// `w` behind the line-ending conversion, or behind none when `raw`.
fn line_endings<W: Write>(raw: bool, w: W) -> ToLf<W> {
    if raw { ToLf::raw(w) } else { ToLf::new(w) }
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
            Kind::Dir(w, dir, file, names) => {
                let sink = w.finish().map_err(|e| Error::local(dir.display(), e))?;
                let path = sink.commit_unique_in(names, |n| {
                    dir.join(crate::mime::filename::numbered(&file, n))
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
