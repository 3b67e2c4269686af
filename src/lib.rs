//! # ferry
//!
//! Small, single-purpose command-line clients for moving files and mail: `ftp-get`, `ftp-put`, `ftp-ls`, `ftp-rm` (FTP/FTPS),
//! `smtp-send` (SMTP submission, also as `sendmail`), `pop3-fetch` (POP3/POP3S), `imap-fetch`, `imap-mailbox`, `imap-message` (IMAP),
//! `mime-encode`, `mime-decode` (MIME) and the shared library under them. Each network tool is a blocking
//! `std::net` client that follows the
//! protocol's documented command sequence; every byte from a server, a file or the command line is parsed as
//! hostile, every wait is bounded, and local writes are durable (temp file, fsync, rename).
//!
//! Layers, each knowing only the one below: `cli` (clap → validated `Options`, exit codes) → `ops` (one
//! orchestration per tool, `run(&Options, &Ui) -> Result<Outcome>`, grouped by protocol; `ops::common`
//! holds the one retry loop, the one connector, the one reporter and the one outcome rule) → protocol
//! sessions (`ftp`, `smtp`, `pop3`, `imap`: RFC command sequences, typed replies) → `pingpong` (the one
//! command/reply engine) → `transport` (TCP, TLS). Beside them: `sink` and `store` (durable local
//! writes, through the `fsys` seam that tests fail on demand; `signals` undoes them on SIGINT/SIGTERM),
//! `state`, `mime`, `credentials` and `secret`, `url`, `netrc`, `config`, `sasl`, `progress`,
//! `ratelimit` and `stall` (the fastest and the slowest a transfer may go), `error`.
//!
//! ## Adding a protocol
//! A new session (say LMTP or ManageSieve) touches, in order:
//! 1. `url.rs`: a [`url::Scheme`] variant and its row in [`url::SCHEMES`] (name, default port, implicit
//!    TLS, [`url::Protocol`]).
//! 2. `src/<proto>/`: a `Dialect` for `pingpong` (where a reply ends, what type it becomes), a `Config`
//!    holding a [`pingpong::SessionConfig`] and the protocol's own settings, and a `Session` with one
//!    method per command (RFC section in its doc comment) over `PingPong`, using the engine's STARTTLS
//!    path and the shared SASL exchange of `sasl`; unit tests through the mock stream.
//! 3. `src/ops/<proto>/<tool>.rs`: `Options` of plain types and `run(&Options, &Ui)`, connecting with
//!    [`ops::common::Connector`] (retries via [`ops::common::with_retries`]), recording items as
//!    [`ops::common::ItemResult`] and ending with [`ops::common::Tally::outcome`].
//! 4. `src/cli/<tool>.rs`: the clap `Args`, their conversion into `Options` (every usage error here), and
//!    `main` via `cli::run_tool`; the tool in `cli::commands()` and a three-line `src/bin/<tool>.rs`.
//! 5. `tests/<tool>.rs` against the scripted server, `tests/interop/` when a real server exists, a
//!    `bench/` script against the fastest peer; regenerate `man/` and `completions/`
//!    (`FERRY_BLESS=1 cargo test --test tests generated`).
//!
//! Exit codes are the contract; see [`error::EXIT_CODES`].

pub mod aliases;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod dns;
pub mod error;
pub mod fsys;
pub mod ftp;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod hint;
pub mod host;
pub mod imap;
pub mod json;
pub mod mime;
pub mod netrc;
pub mod ops;
pub mod pingpong;
pub mod pop3;
pub mod progress;
pub mod proxy;
pub mod ratelimit;
pub mod sasl;
pub mod secret;
pub mod signals;
pub mod sink;
pub mod smtp;
pub mod stall;
pub mod state;
pub mod store;
pub mod terminal;
pub mod time;
pub mod transport;
pub mod url;

pub use error::{Error, ErrorKind, Result};
