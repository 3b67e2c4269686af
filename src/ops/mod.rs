//! Orchestrations: one module per tool joins a protocol session, a sink and progress into the tool's
//! behaviour. Nothing here parses flags (that is `cli`) or speaks a protocol word directly (that is the
//! session modules).

pub mod common;
pub mod ftp;
pub mod imap;
pub mod mime;
pub mod pop3;
pub mod smtp;

/// How a run that did not fail outright ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was done (or there was nothing to do): exit 0.
    Success,
    /// Some items failed and others succeeded; the failures were reported: exit 10.
    Partial,
    /// Every item failed, all the same way, and each failure was reported as it happened: exit with
    /// that kind's code and print nothing more.
    Failed(crate::error::ErrorKind),
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
