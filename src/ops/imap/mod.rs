//! IMAP tools: `imap-fetch` and `imap-mailbox`, and what they share.

pub mod append;
pub mod append_state;
pub mod connect;
pub mod crlf;
pub mod fetch;
pub mod folders;
pub mod idle;
pub mod list;
pub mod mailbox;
pub mod message;
pub mod pool;
pub mod slot;
pub mod sources;
pub mod state;
