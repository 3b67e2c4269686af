//! pop3-fetch's `--state FILE`: which UIDLs are already stored locally, which deletions are still to be
//! confirmed, and which fetches were in flight when a run ended.
//!
//! The file is an append-only journal under a header, compacted (rewritten atomically with
//! `state::write_atomic`) at the end of each run:
//!
//! ```text
//! ferry pop3-fetch state 1
//! account pop3://ann@mail.example:110
//! F <uidl>   a fetch of this message is starting (written, fsynced, for a whole batch before its RETRs)
//! S <uidl>   the message is durable locally (appended and fsynced right after its commit)
//! D <uidl>   its deletion is pending: DELE is sent on this or a later run with --delete
//! X <uidl>   its deletion was confirmed by QUIT's +OK: forget it
//! ```
//!
//! A line is applied only when complete (ends with LF), so a crash in the middle of an append loses at most
//! that record, never the file. A message whose `F` has no `S` is *in doubt*: it may have been stored just
//! before the crash; the fetch orchestration resolves it before delivering it again. UIDLs are 1 to 70
//! printable ASCII characters (RFC 1939 §7), so they fit on a line as they are.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

const HEADER: &str = "ferry pop3-fetch state 1";
/// The largest state file read (64 MiB: about a million UIDLs).
const CAP: u64 = 64 << 20;

/// The loaded state and its open journal.
pub struct UidlState {
    path: PathBuf,
    account: String,
    seen: HashSet<String>,
    pending: HashSet<String>,
    in_doubt: HashSet<String>,
    journal: Option<File>,
}

impl UidlState {
    /// Reads `path` (a missing file is an empty state). A file written for another account, or one that is
    /// not a state file, is refused (exit 8) before anything is fetched.
    pub fn load(path: &Path, account: &str) -> Result<UidlState> {
        let mut st = UidlState {
            path: path.to_path_buf(),
            account: account.to_string(),
            seen: HashSet::new(),
            pending: HashSet::new(),
            in_doubt: HashSet::new(),
            journal: None,
        };
        let Some(bytes) = crate::state::read_optional(path, CAP)? else {
            return Ok(st);
        };
        let bad = |why: &str| {
            Error::new(
                ErrorKind::LocalIo,
                format!("state file {}: {why}", path.display()),
            )
        };
        // Only complete lines count: a torn last append is ignored.
        let complete = match bytes.iter().rposition(|b| *b == b'\n') {
            Some(i) => &bytes[..=i],
            None => &[][..],
        };
        let text = std::str::from_utf8(complete).map_err(|_| bad("not UTF-8"))?;
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(bad("not a pop3-fetch state file"));
        }
        match lines.next().and_then(|l| l.strip_prefix("account ")) {
            Some(a) if a == account => {}
            Some(a) => {
                return Err(bad(&format!(
                    "written for {}, not {account}",
                    crate::terminal::escape(a)
                )));
            }
            None => return Err(bad("no account line")),
        }
        for line in lines {
            let (tag, uid) = line.split_once(' ').ok_or_else(|| bad("malformed line"))?;
            let uid = uid.to_string();
            match tag {
                "F" => {
                    if !st.seen.contains(&uid) {
                        st.in_doubt.insert(uid);
                    }
                }
                "S" => {
                    st.in_doubt.remove(&uid);
                    st.seen.insert(uid);
                }
                "D" => {
                    st.pending.insert(uid);
                }
                "X" => {
                    st.seen.remove(&uid);
                    st.pending.remove(&uid);
                }
                _ => return Err(bad("malformed line")),
            }
        }
        Ok(st)
    }

    /// Whether this message is already stored locally.
    pub fn is_seen(&self, uid: &str) -> bool {
        self.seen.contains(uid)
    }

    /// Whether a fetch of this message was in flight when an earlier run ended.
    pub fn is_in_doubt(&self, uid: &str) -> bool {
        self.in_doubt.contains(uid)
    }

    /// The messages whose deletion is recorded but not yet confirmed.
    pub fn pending(&self) -> &HashSet<String> {
        &self.pending
    }

    /// Records that fetches of `uids` are starting (one append and fsync for the batch).
    pub fn begin(&mut self, uids: &[&str]) -> Result<()> {
        let mut text = String::new();
        for u in uids {
            text.push_str(&format!("F {u}\n"));
            self.in_doubt.insert(u.to_string());
        }
        self.append(&text)
    }

    /// Records that `uid` is durable locally and, with `delete`, that its deletion is pending. Called right
    /// after the local commit and before any DELE.
    pub fn record(&mut self, uid: &str, delete: bool) -> Result<()> {
        let mut text = format!("S {uid}\n");
        if delete {
            text.push_str(&format!("D {uid}\n"));
            self.pending.insert(uid.to_string());
        }
        self.in_doubt.remove(uid);
        self.seen.insert(uid.to_string());
        self.append(&text)
    }

    /// Records a pending deletion for a message stored on an earlier run.
    pub fn mark_pending(&mut self, uid: &str) -> Result<()> {
        if self.pending.insert(uid.to_string()) {
            self.append(&format!("D {uid}\n"))?;
        }
        Ok(())
    }

    /// Forgets messages whose deletion QUIT confirmed.
    pub fn confirm_deleted(&mut self, uids: &[String]) -> Result<()> {
        let mut text = String::new();
        for u in uids {
            self.seen.remove(u);
            self.pending.remove(u);
            self.in_doubt.remove(u);
            text.push_str(&format!("X {u}\n"));
        }
        if text.is_empty() {
            return Ok(());
        }
        self.append(&text)
    }

    /// Rewrites the file atomically without the journal's history. With the server's complete UIDL list,
    /// entries for messages no longer on the server are dropped (they were deleted, here or elsewhere).
    pub fn compact(&mut self, on_server: Option<&HashSet<&str>>) -> Result<()> {
        let keep = |u: &String| on_server.is_none_or(|s| s.contains(u.as_str()));
        let mut seen: Vec<&String> = self.seen.iter().filter(|u| keep(u)).collect();
        seen.sort();
        let mut pending: Vec<&String> = self.pending.iter().filter(|u| keep(u)).collect();
        pending.sort();
        let mut doubt: Vec<&String> = self.in_doubt.iter().filter(|u| keep(u)).collect();
        doubt.sort();
        let mut text = self.header();
        for (tag, list) in [("S", &seen), ("D", &pending), ("F", &doubt)] {
            for u in list.iter() {
                text.push_str(&format!("{tag} {u}\n"));
            }
        }
        self.journal = None;
        crate::state::write_atomic(&self.path, text.as_bytes())?;
        let on = |u: &String| on_server.is_none_or(|s| s.contains(u.as_str()));
        self.seen.retain(on);
        self.pending.retain(on);
        self.in_doubt.retain(on);
        Ok(())
    }

    fn header(&self) -> String {
        format!("{HEADER}\naccount {}\n", self.account)
    }

    /// Appends complete lines in one write and fsyncs, creating the file (atomically) first if needed.
    fn append(&mut self, text: &str) -> Result<()> {
        if self.journal.is_none() {
            if crate::state::read_optional(&self.path, CAP)?.is_none() {
                crate::state::write_atomic(&self.path, self.header().as_bytes())?;
            }
            let f = OpenOptions::new()
                .append(true)
                .open(&self.path)
                .map_err(|e| Error::local(format!("state file {}", self.path.display()), e))?;
            self.journal = Some(f);
        }
        let what = || format!("state file {}", self.path.display());
        if let Some(f) = self.journal.as_mut() {
            f.write_all(text.as_bytes())
                .and_then(|_| f.sync_data())
                .map_err(|e| Error::local(what(), e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "pop3://ann@h:110";

    #[test]
    fn journal_round_trip_and_compaction() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state");
        let mut s = UidlState::load(&p, ACCOUNT).unwrap();
        s.begin(&["a", "b", "c"]).unwrap();
        s.record("a", true).unwrap();
        s.record("b", false).unwrap();
        let s2 = UidlState::load(&p, ACCOUNT).unwrap();
        assert!(s2.is_seen("a") && s2.is_seen("b") && !s2.is_seen("c"));
        assert!(s2.is_in_doubt("c") && !s2.is_in_doubt("a"));
        assert!(s2.pending().contains("a"));
        let mut s3 = s2;
        s3.confirm_deleted(&["a".to_string()]).unwrap();
        let server: HashSet<&str> = ["b", "c"].into_iter().collect();
        s3.compact(Some(&server)).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            text,
            format!("{HEADER}\naccount {ACCOUNT}\nS b\nF c\n"),
            "{text}"
        );
    }

    #[test]
    fn torn_lines_wrong_accounts_and_junk() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state");
        std::fs::write(&p, format!("{HEADER}\naccount {ACCOUNT}\nS a\nS b")).unwrap();
        let s = UidlState::load(&p, ACCOUNT).unwrap();
        assert!(s.is_seen("a") && !s.is_seen("b"));
        let e = UidlState::load(&p, "pop3://bob@h:110").err().unwrap();
        assert_eq!(e.kind(), ErrorKind::LocalIo);
        std::fs::write(&p, "hello\n").unwrap();
        assert!(UidlState::load(&p, ACCOUNT).is_err());
        std::fs::write(&p, format!("{HEADER}\naccount {ACCOUNT}\nQ a\n")).unwrap();
        assert!(UidlState::load(&p, ACCOUNT).is_err());
    }
}
