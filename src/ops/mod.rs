//! Orchestrations: one module per tool joins a protocol session, a sink and progress into the tool's
//! behaviour. Nothing here parses flags (that is `cli`) or speaks a protocol word directly (that is the
//! session modules).

pub mod file_results;
pub mod ftp_connect;
pub mod ftp_get;
pub mod ftp_ls;
pub mod ftp_pool;
pub mod ftp_put;
pub mod imap_connect;
pub mod imap_fetch;
pub mod imap_mailbox;
pub mod imap_pool;
pub mod imap_state;
pub mod mime_decode;
pub mod mime_encode;
pub mod pop3_fetch;
pub mod pop3_state;
pub mod smtp_queue;
pub mod smtp_send;

/// How a run that did not fail outright ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was done (or there was nothing to do): exit 0.
    Success,
    /// Some items failed and others succeeded; the failures were reported: exit 10.
    Partial,
}

impl Outcome {
    /// `Partial` when any item failed, else `Success`.
    pub fn from_failures(failed: usize) -> Self {
        if failed == 0 {
            Outcome::Success
        } else {
            Outcome::Partial
        }
    }
}
