//! IMAP tools: `imap-fetch` and `imap-mailbox`, and what they share.

pub mod connect;
pub mod fetch;
pub mod list;
pub mod mailbox;
pub mod pool;
pub mod slot;
pub mod state;
