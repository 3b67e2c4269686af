//! IMAP tools: `imap-fetch` and `imap-mailbox`, and what they share.

pub mod connect;
pub mod fetch;
pub mod folders;
pub mod idle;
pub mod mailbox;
pub mod pool;
pub mod slot;
pub mod state;
