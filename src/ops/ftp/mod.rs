//! FTP tools: `ftp-get`, `ftp-put`, `ftp-ls`, `ftp-rm`, and what they share (the session pool, the connector).

pub mod connect;
pub mod filter;
pub mod get;
pub mod ls;
pub mod pool;
pub mod prescan;
pub mod put;
pub mod record;
pub mod rm;
pub mod spares;
pub mod sync;
pub mod walk;
