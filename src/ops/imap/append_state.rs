//! `imap-message append --state FILE`: which source messages are already in the mailbox, so that an
//! interrupted migration run again uploads the rest, none twice.
//!
//! A JSON document replaced atomically ([`write_atomic`]) and locked for the whole run ([`RunLock`]):
//! `{"version":1, "mailbox", "uidvalidity", "done": {key: uid|null}, "pending": [...]}`. Before a batch
//! of APPENDs goes, the batch is written as `pending` (key, Message-ID, normalised size); once the
//! server confirmed them, they move to `done` (with the APPENDUID's UID when the server has UIDPLUS) in
//! one more write. A run that finds `pending` entries (it was killed between the two writes) asks the
//! server: a message whose Message-ID is found with the same RFC822.SIZE arrived and counts as done;
//! any other is uploaded again. A message without a Message-ID cannot be looked up and is uploaded
//! again (a duplicate is possible only for such a message, and only after a kill).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::state::{read_optional, write_atomic};

/// The largest state file read.
const CAP: u64 = 512 * 1024 * 1024;

/// A message sent but not confirmed when the state was last written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Its source key.
    pub key: String,
    /// Its Message-ID, when it has one.
    pub message_id: Option<String>,
    /// Its size as sent (after CRLF normalisation).
    pub size: u64,
}

/// The state of one upload target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendState {
    /// Format version (1).
    pub version: u32,
    /// The mailbox uploaded to.
    pub mailbox: String,
    /// The mailbox's UIDVALIDITY from the last APPENDUID.
    pub uidvalidity: Option<u32>,
    /// Source keys uploaded, with their UID when known.
    pub done: BTreeMap<String, Option<u32>>,
    /// Sent, not yet confirmed.
    pub pending: Vec<Pending>,
}

impl AppendState {
    /// Reads `path`, or a fresh state for `mailbox`. A state for another mailbox is a usage error: its
    /// keys say nothing about this one.
    pub fn load(path: &Path, mailbox: &str) -> Result<AppendState> {
        let Some(bytes) = read_optional(path, CAP)? else {
            return Ok(AppendState {
                version: 1,
                mailbox: mailbox.to_string(),
                ..AppendState::default()
            });
        };
        let st: AppendState = serde_json::from_slice(&bytes).map_err(|e| {
            Error::local(
                path.display(),
                std::io::Error::other(format!("not an append state: {e}")),
            )
        })?;
        if st.mailbox != mailbox {
            return Err(Error::usage(format!(
                "{}: the state is for mailbox {:?}, not {:?}",
                path.display(),
                st.mailbox,
                mailbox
            )));
        }
        Ok(st)
    }

    /// Writes it atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = serde_json::to_vec(self)
            .map_err(|e| Error::new(crate::ErrorKind::Internal, format!("state: {e}")))?;
        write_atomic(path, &bytes)
    }
}
