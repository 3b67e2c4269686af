//! What ferry learns about mailboxes: the state SELECT/EXAMINE reports (RFC 9051 §6.3.2), STATUS items
//! (§6.3.11) and LIST entries shown with their names decoded from modified UTF-7.

use serde::Serialize;

use super::response::ListEntry;
use super::utf7;

/// The selected mailbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selected {
    /// The name as the user gave it.
    pub name: String,
    /// `* n EXISTS`.
    pub exists: u32,
    /// `[UIDVALIDITY n]`; None when the server sent none (then no state can be kept).
    pub uidvalidity: Option<u32>,
    /// `[UIDNEXT n]`.
    pub uidnext: Option<u32>,
    /// `[READ-ONLY]` (EXAMINE, or a mailbox the user may not change).
    pub read_only: bool,
}

/// A STATUS answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MailboxStatus {
    /// The mailbox name (UTF-8).
    pub mailbox: String,
    /// MESSAGES.
    pub messages: Option<u64>,
    /// UNSEEN.
    pub unseen: Option<u64>,
    /// UIDNEXT.
    pub uidnext: Option<u64>,
    /// UIDVALIDITY.
    pub uidvalidity: Option<u64>,
}

impl MailboxStatus {
    /// From the STATUS response's items.
    pub fn from_items(mailbox: &str, items: &[(String, u64)]) -> Self {
        let get = |k: &str| items.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
        MailboxStatus {
            mailbox: mailbox.to_string(),
            messages: get("MESSAGES"),
            unseen: get("UNSEEN"),
            uidnext: get("UIDNEXT"),
            uidvalidity: get("UIDVALIDITY"),
        }
    }
}

/// A LIST entry for output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    /// The name in UTF-8 (the wire form when it is not valid modified UTF-7).
    pub name: String,
    /// The hierarchy delimiter, if any.
    pub delimiter: Option<String>,
    /// Attributes such as `\HasNoChildren`, `\Noselect`, `\Sent`.
    pub attributes: Vec<String>,
}

impl From<&ListEntry> for Mailbox {
    fn from(e: &ListEntry) -> Self {
        Mailbox {
            name: utf7::display(&e.wire_name),
            delimiter: e.delimiter.map(String::from),
            attributes: e.attributes.clone(),
        }
    }
}
