//! POP3 tool: `pop3-fetch` and its UIDL state journal.

pub mod fetch;
pub mod state;
