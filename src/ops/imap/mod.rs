//! IMAP tools: `imap-fetch` and `imap-mailbox`, and what they share.

pub mod connect;
pub mod fetch;
pub mod list;
pub mod append;
pub mod append_state;
pub mod crlf;
pub mod mailbox;
pub mod message;
pub mod pool;
pub mod sources;
pub mod slot;
pub mod state;
