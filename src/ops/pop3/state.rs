//! pop3-fetch's `--state FILE`: which UIDLs are already stored locally, which deletions are still to be
//! confirmed, and which fetches were in flight when a run ended.
//!
//! The file is an append-only journal under a header, compacted (rewritten atomically with
//! `state::write_atomic`) at the end of each run:
//!
//! ```text
//! ferry pop3-fetch state 1
//! account ann@mail.example
//! F <uidl>...  fetches of these messages are starting (one record for a batch, before its RETRs)
//! S <uidl>     the message is durable locally (appended and fsynced right after its commit)
//! SD <uidl>    the same, and its deletion is pending: DELE is sent on this or a later run with --delete
//! D <uidl>...  deletions pending for messages stored earlier
//! X <uidl>...  their deletion was confirmed by QUIT's +OK: forget them
//! T <secs> <uidl>...  these stored messages were first seen at <secs> (Unix time; --delete-after-days)
//! ```
//!
//! `T` is written only for runs with `--delete-after-days`: right after a message's `S`, and once for
//! every stored message that has no time yet (stored by an earlier run without the flag: its days
//! count from the first run that asks). The earliest time recorded for a UIDL wins.
//!
//! Records are appended through [`Journal`] (one write and one fsync each). A line is applied only when
//! complete (ends with LF), so a crash in the middle of an append loses at most that record, never the
//! file. A message whose `F` has no `S` is *in doubt*: it may have been stored just
//! before the crash; the fetch orchestration resolves it before delivering it again. UIDLs are 1 to 70
//! printable ASCII characters (RFC 1939 §7), so they fit on a line as they are.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::state::Journal;

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
    /// When each stored message was first seen (Unix seconds), for `--delete-after-days`.
    first_seen: HashMap<String, i64>,
    journal: Option<Journal>,
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
            first_seen: HashMap::new(),
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
            let mut words = line.split(' ');
            let tag = words.next().unwrap_or("");
            let time = match tag {
                "T" => Some(
                    words
                        .next()
                        .and_then(|t| t.parse::<i64>().ok())
                        .ok_or_else(|| bad("malformed time record"))?,
                ),
                _ => None,
            };
            for uid in words {
                if uid.is_empty() {
                    return Err(bad("malformed line"));
                }
                let uid = uid.to_string();
                match tag {
                    "F" => {
                        if !st.seen.contains(&uid) {
                            st.in_doubt.insert(uid);
                        }
                    }
                    "S" | "SD" => {
                        st.in_doubt.remove(&uid);
                        if tag == "SD" {
                            st.pending.insert(uid.clone());
                        }
                        st.seen.insert(uid);
                    }
                    "D" => {
                        st.pending.insert(uid);
                    }
                    "X" => {
                        st.seen.remove(&uid);
                        st.pending.remove(&uid);
                        st.first_seen.remove(&uid);
                    }
                    "T" => {
                        let t = time.unwrap_or_default();
                        let e = st.first_seen.entry(uid).or_insert(t);
                        *e = (*e).min(t);
                    }
                    _ => return Err(bad("malformed line")),
                }
            }
            if !matches!(tag, "F" | "S" | "SD" | "D" | "X" | "T") {
                return Err(bad("malformed line"));
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

    /// Records that fetches of `uids` are starting (one record for the batch). In memory nothing changes:
    /// only a later run, reading the journal, treats them as in doubt.
    pub fn begin(&mut self, uids: &[&str]) -> Result<()> {
        if uids.is_empty() {
            return Ok(());
        }
        self.append(&format!("F {}", uids.join(" ")))
    }

    /// Records that `uid` is durable locally and, with `delete`, that its deletion is pending. Called right
    /// after the local commit and before any DELE.
    pub fn record(&mut self, uid: &str, delete: bool) -> Result<()> {
        if delete {
            self.pending.insert(uid.to_string());
        }
        self.in_doubt.remove(uid);
        self.seen.insert(uid.to_string());
        self.append(&format!("{} {uid}", if delete { "SD" } else { "S" }))
    }

    /// Forgets messages whose deletion QUIT confirmed.
    pub fn confirm_deleted(&mut self, uids: &[String]) -> Result<()> {
        if uids.is_empty() {
            return Ok(());
        }
        for u in uids {
            self.seen.remove(u);
            self.pending.remove(u);
            self.in_doubt.remove(u);
            self.first_seen.remove(u);
        }
        self.append(&format!("X {}", uids.join(" ")))
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
        let mut times: BTreeMap<i64, Vec<&String>> = BTreeMap::new();
        for u in &seen {
            if let Some(t) = self.first_seen.get(*u) {
                times.entry(*t).or_default().push(u);
            }
        }
        let mut lists: Vec<(String, &Vec<&String>)> = vec![
            ("S".to_string(), &seen),
            ("D".to_string(), &pending),
            ("F".to_string(), &doubt),
        ];
        for (t, uids) in &times {
            lists.push((format!("T {t}"), uids));
        }
        for (tag, list) in lists {
            // A few hundred UIDLs per line keeps lines short and the file small.
            for chunk in list.chunks(256) {
                let uids: Vec<&str> = chunk.iter().map(|u| u.as_str()).collect();
                text.push_str(&format!("{tag} {}\n", uids.join(" ")));
            }
        }
        self.journal = None;
        crate::state::write_atomic(&self.path, text.as_bytes())?;
        let on = |u: &String| on_server.is_none_or(|s| s.contains(u.as_str()));
        self.seen.retain(on);
        self.pending.retain(on);
        self.in_doubt.retain(on);
        self.first_seen.retain(|u, _| on(u));
        Ok(())
    }

    /// When the stored message `uid` was first seen (Unix seconds), if recorded.
    pub fn first_seen(&self, uid: &str) -> Option<i64> {
        self.first_seen.get(uid).copied()
    }

    /// Records `now` as the first-seen time of those of `uids` that are stored and have none yet (one
    /// journal record for all of them).
    pub fn note_first_seen(&mut self, uids: &[&str], now: i64) -> Result<()> {
        let fresh: Vec<&str> = uids
            .iter()
            .copied()
            .filter(|u| self.seen.contains(*u) && !self.first_seen.contains_key(*u))
            .collect();
        if fresh.is_empty() {
            return Ok(());
        }
        for u in &fresh {
            self.first_seen.insert((*u).to_string(), now);
        }
        self.append(&format!("T {now} {}", fresh.join(" ")))
    }

    fn header(&self) -> String {
        format!("{HEADER}\naccount {}\n", self.account)
    }

    /// Appends one record, creating the file (atomically, with its header) first if needed.
    fn append(&mut self, record: &str) -> Result<()> {
        if self.journal.is_none() {
            if crate::state::read_optional(&self.path, CAP)?.is_none() {
                crate::state::write_atomic(&self.path, self.header().as_bytes())?;
            }
            self.journal = Some(Journal::open(&self.path)?);
        }
        match self.journal.as_mut() {
            Some(j) => j.append(record),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "ann@h";

    #[test]
    fn journal_round_trip_and_compaction() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state");
        let mut s = UidlState::load(&p, ACCOUNT).unwrap();
        s.begin(&["a", "b", "c"]).unwrap();
        s.record("a", true).unwrap();
        assert!(s.pending().contains("a"));
        s.record("b", false).unwrap();
        let s2 = UidlState::load(&p, ACCOUNT).unwrap();
        assert!(s2.is_seen("a") && s2.is_seen("b") && !s2.is_seen("c"));
        assert!(s2.is_in_doubt("c") && !s2.is_in_doubt("a"));
        assert!(!s.is_in_doubt("c"), "only a later run doubts");
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
    fn first_seen_times_survive_reloads_and_compaction() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state");
        let mut s = UidlState::load(&p, ACCOUNT).unwrap();
        s.record("a", false).unwrap();
        s.note_first_seen(&["a", "unknown"], 1000).unwrap();
        s.note_first_seen(&["a"], 2000).unwrap();
        assert_eq!(
            (s.first_seen("a"), s.first_seen("unknown")),
            (Some(1000), None)
        );
        s.record("b", false).unwrap();
        s.note_first_seen(&["b"], 3000).unwrap();
        let mut s2 = UidlState::load(&p, ACCOUNT).unwrap();
        assert_eq!(
            (s2.first_seen("a"), s2.first_seen("b")),
            (Some(1000), Some(3000))
        );
        s2.confirm_deleted(&["b".to_string()]).unwrap();
        s2.compact(None).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            format!("{HEADER}\naccount {ACCOUNT}\nS a\nT 1000 a\n")
        );
        let s3 = UidlState::load(&p, ACCOUNT).unwrap();
        assert_eq!((s3.first_seen("a"), s3.first_seen("b")), (Some(1000), None));
        std::fs::write(&p, format!("{HEADER}\naccount {ACCOUNT}\nT x a\n")).unwrap();
        assert!(UidlState::load(&p, ACCOUNT).is_err());
    }

    #[test]
    fn torn_lines_wrong_accounts_and_junk() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state");
        std::fs::write(&p, format!("{HEADER}\naccount {ACCOUNT}\nS a\nS b")).unwrap();
        let s = UidlState::load(&p, ACCOUNT).unwrap();
        assert!(s.is_seen("a") && !s.is_seen("b"));
        let e = UidlState::load(&p, "bob@h").err().unwrap();
        assert_eq!(e.kind(), ErrorKind::LocalIo);
        std::fs::write(&p, "hello\n").unwrap();
        assert!(UidlState::load(&p, ACCOUNT).is_err());
        std::fs::write(&p, format!("{HEADER}\naccount {ACCOUNT}\nQ a\n")).unwrap();
        assert!(UidlState::load(&p, ACCOUNT).is_err());
    }
}
