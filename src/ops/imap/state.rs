//! imap-fetch's `--state FILE`: which messages of a mailbox were already fetched, and how an interrupted
//! run picks up without losing or duplicating a message.
//!
//! The file is a small JSON document replaced atomically ([`crate::state::write_atomic`]):
//! `{"version":1, "mailbox", "uidvalidity", "last_uid", "pending", "delete"}`. `last_uid` is the highest
//! UID below which every selected message is stored; UIDs only grow within one UIDVALIDITY (RFC 9051
//! §2.3.1.1), so the next run asks for `UID last_uid+1:*`. A changed UIDVALIDITY (or another mailbox)
//! makes the old numbers meaningless: everything is fetched again, with a warning.
//!
//! Idempotence across `kill -9`: before a message is committed, the state is written with it in `pending`
//! — its UID, the size and a 64-bit FNV-1a hash of the bytes as stored. The commit then makes the message
//! durable, and a later state write records it (in `stored` until `last_uid` passes it, since commits
//! finish out of order). A run that finds `pending` entries looks in the Maildir (`new/`, `cur/`) or
//! `--dir` for a file of that size and hash: if there is one the message was stored and is not fetched
//! again; if not it never reached its name and is fetched again. `delete` lists UIDs stored but not yet
//! deleted or moved on the server; the next run finishes those first. A UID leaves `delete` only once the
//! server confirmed its removal: every state written in between — also while a run settles the
//! `pending` entries of the one before — still lists it, so a run killed at any point leaves nothing
//! past `last_uid` that no later run would remove (journal-like, as pop3-fetch's deletions). For mbox, MDA and stdout the check
//! is impossible, and a message killed in that window is delivered again.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::store::Target;

/// The largest state file read.
const CAP: u64 = 16 << 20;

/// A message whose commit may or may not have happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Its UID.
    pub uid: u32,
    /// Bytes as stored.
    pub size: u64,
    /// FNV-1a 64 of the bytes as stored.
    pub hash: u64,
}

/// The state of one mailbox.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Format version (1).
    pub version: u32,
    /// The mailbox name (UTF-8).
    pub mailbox: String,
    /// UIDVALIDITY the UIDs belong to.
    pub uidvalidity: u32,
    /// Every selected message up to this UID is stored.
    pub last_uid: u32,
    /// Messages being committed (several commit side by side).
    #[serde(default)]
    pub pending: Vec<Pending>,
    /// UIDs above `last_uid` already stored (commits finish out of order).
    #[serde(default)]
    pub stored: Vec<u32>,
    /// UIDs stored but not yet deleted or moved on the server.
    #[serde(default)]
    pub delete: Vec<u32>,
}

impl State {
    /// Reads the state file (None when missing); a file that is not this format is a local error (exit 8)
    /// rather than a silent restart that would fetch everything again.
    pub fn load(path: &Path) -> Result<Option<State>> {
        let Some(bytes) = crate::state::read_optional(path, CAP)? else {
            return Ok(None);
        };
        let st: State = serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                ErrorKind::LocalIo,
                format!("{}: not an imap-fetch state file: {e}", path.display()),
            )
        })?;
        if st.version != 1 {
            return Err(Error::new(
                ErrorKind::LocalIo,
                format!("{}: unknown state version {}", path.display(), st.version),
            ));
        }
        Ok(Some(st))
    }

    /// Replaces the state file atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut bytes = serde_json::to_vec(self)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("state: {e}")))?;
        bytes.push(b'\n');
        crate::state::write_atomic(path, &bytes)
    }
}

/// A state file holding several mailboxes (`--mailbox PATTERN`): `{"version":2,"mailboxes":[State...]}`.
#[derive(Debug, Serialize, Deserialize)]
struct Many {
    version: u32,
    mailboxes: Vec<State>,
}

/// The state file of a run: the states of every mailbox it names, keyed by mailbox name (each with
/// its UIDVALIDITY, checked by the fetch). A run of one mailbox reads and writes version 1, as before;
/// a run of several (or a file already holding several) writes version 2, keeping the entries of
/// mailboxes this run does not touch. Every save rewrites the whole file atomically.
#[derive(Debug)]
pub struct Book {
    path: PathBuf,
    many: bool,
    entries: BTreeMap<String, State>,
}

impl Book {
    /// Reads `path` (missing: empty); `many` makes it version 2 from the first save.
    pub fn load(path: &Path, many: bool) -> Result<Book> {
        let mut book = Book {
            path: path.to_path_buf(),
            many,
            entries: BTreeMap::new(),
        };
        let Some(bytes) = crate::state::read_optional(path, CAP)? else {
            return Ok(book);
        };
        let bad = |e: String| {
            Error::new(
                ErrorKind::LocalIo,
                format!("{}: not an imap-fetch state file: {e}", path.display()),
            )
        };
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        let v: Version = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        match v.version {
            1 => {
                let st = State::load(path)?.ok_or_else(|| bad("vanished".into()))?;
                book.entries.insert(st.mailbox.clone(), st);
            }
            2 => {
                let m: Many = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
                for st in m.mailboxes {
                    book.entries.insert(st.mailbox.clone(), st);
                }
                book.many = true;
            }
            n => {
                return Err(Error::new(
                    ErrorKind::LocalIo,
                    format!("{}: unknown state version {n}", path.display()),
                ));
            }
        }
        Ok(book)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The state recorded for `mailbox`; for a one-mailbox file, whatever mailbox it holds (the fetch
    /// warns when it is another one).
    pub fn get(&self, mailbox: &str) -> Option<State> {
        match self.entries.get(mailbox) {
            Some(st) => Some(st.clone()),
            None if !self.many => self.entries.values().next().cloned(),
            None => None,
        }
    }

    /// Records `st` (replacing its mailbox's entry) and rewrites the file atomically.
    pub fn save(&mut self, st: &State) -> Result<()> {
        if !self.many {
            self.entries.clear();
        }
        self.entries.insert(st.mailbox.clone(), st.clone());
        if !self.many {
            return st.save(&self.path);
        }
        let doc = Many {
            version: 2,
            mailboxes: self.entries.values().cloned().collect(),
        };
        let mut bytes = serde_json::to_vec(&doc)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("state: {e}")))?;
        bytes.push(b'\n');
        crate::state::write_atomic(&self.path, &bytes)
    }
}

/// 64-bit FNV-1a, as a `Write` so it can sit behind the same line-ending conversion as the store.
#[derive(Debug, Clone, Copy)]
pub struct Fnv {
    /// The hash so far.
    pub hash: u64,
    /// Bytes hashed.
    pub len: u64,
}

impl Default for Fnv {
    fn default() -> Self {
        Fnv {
            hash: 0xcbf2_9ce4_8422_2325,
            len: 0,
        }
    }
}

impl std::io::Write for Fnv {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            self.hash ^= u64::from(b);
            self.hash = self.hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.len += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether the pending message is already in the store (Maildir or `--dir`; other outputs cannot be
/// checked, and the message is fetched again).
pub fn already_stored(target: &Target, p: &Pending) -> bool {
    let dirs: Vec<std::path::PathBuf> = match target {
        Target::Maildir(d) => vec![d.join("new"), d.join("cur")],
        Target::Dir(d) => vec![d.clone()],
        _ => return false,
    };
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() || meta.len() != p.size {
                continue;
            }
            if hash_file(&entry.path()) == Some(p.hash) {
                return true;
            }
        }
    }
    false
}

fn hash_file(path: &Path) -> Option<u64> {
    use std::io::Write;
    let mut f = std::fs::File::open(path).ok()?;
    let mut h = Fnv::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            return Some(h.hash);
        }
        h.write_all(&buf[..n]).ok()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn round_trip_and_recognition() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        assert_eq!(State::load(&path).unwrap(), None);
        let st = State {
            version: 1,
            mailbox: "INBOX".into(),
            uidvalidity: 7,
            last_uid: 41,
            pending: vec![Pending {
                uid: 42,
                size: 5,
                hash: 1,
            }],
            stored: vec![44],
            delete: vec![40, 41],
        };
        st.save(&path).unwrap();
        assert_eq!(State::load(&path).unwrap(), Some(st));
        std::fs::write(&path, b"garbage").unwrap();
        assert_eq!(State::load(&path).unwrap_err().kind(), ErrorKind::LocalIo);

        let md = dir.path().join("M");
        for d in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(md.join(d)).unwrap();
        }
        std::fs::write(md.join("cur/x,S=5:2,S"), b"hello").unwrap();
        let mut h = Fnv::default();
        h.write_all(b"hello").unwrap();
        let p = Pending {
            uid: 1,
            size: 5,
            hash: h.hash,
        };
        assert!(already_stored(&Target::Maildir(md.clone()), &p));
        let q = Pending { hash: 0, ..p };
        assert!(!already_stored(&Target::Maildir(md), &q));
        assert!(!already_stored(&Target::Stdout, &p));
    }

    #[test]
    fn a_book_keeps_every_mailbox_and_reads_version_1() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let one = State {
            version: 1,
            mailbox: "INBOX".into(),
            uidvalidity: 7,
            last_uid: 3,
            ..State::default()
        };
        one.save(&path).unwrap();
        let mut b = Book::load(&path, true).unwrap();
        assert_eq!(b.get("INBOX"), Some(one.clone()));
        assert_eq!(b.get("Work"), None);
        let work = State {
            mailbox: "Work".into(),
            uidvalidity: 9,
            last_uid: 12,
            ..one.clone()
        };
        b.save(&work).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(r#"{"version":2,"mailboxes":[{"version":1,"mailbox":"INBOX""#));
        let b = Book::load(&path, false).unwrap();
        assert_eq!((b.get("INBOX"), b.get("Work")), (Some(one), Some(work)));
        std::fs::write(&path, br#"{"version":3}"#).unwrap();
        assert_eq!(
            Book::load(&path, true).unwrap_err().kind(),
            ErrorKind::LocalIo
        );
    }
}
