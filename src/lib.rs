//! # ferry
//!
//! Small, single-purpose command-line clients for moving files and mail: `ftp-get`, `ftp-put`, `ftp-ls` (FTP/FTPS),
//! `smtp-send` (SMTP submission, also as `sendmail`), `pop3-fetch` (POP3/POP3S), `imap-fetch`, `imap-mailbox` (IMAP),
//! `mime-encode`, `mime-decode` (MIME) and the shared library under them. Each network tool is a blocking
//! `std::net` client that follows the
//! protocol's documented command sequence; every byte from a server, a file or the command line is parsed as
//! hostile, every wait is bounded, and local writes are durable (temp file, fsync, rename).
//!
//! Layers, each knowing only the one below: `cli` (clap, exit codes) → `ops` (one orchestration per tool) →
//! protocol sessions (`ftp`, `smtp`, `imap`) → `pingpong` (the one command/reply engine) → `transport` (TCP, TLS). Beside
//! them: `sink` (durable local writes), `credentials`, `url`, `netrc`, `config`, `progress`, `error`.
//!
//! Exit codes are the contract; see [`error::EXIT_CODES`].
#![deny(missing_docs)]

pub mod cli;
pub mod config;
pub mod credentials;
pub mod error;
pub mod ftp;
pub mod host;
pub mod imap;
pub mod json;
pub mod mime;
pub mod netrc;
pub mod ops;
pub mod pingpong;
pub mod pop3;
pub mod progress;
pub mod sasl;
pub mod sink;
pub mod smtp;
pub mod state;
pub mod store;
pub mod terminal;
pub mod time;
pub mod transport;
pub mod url;

pub use error::{Error, ErrorKind, Result};
