//! The settings every session shares (FTP, SMTP, POP3, IMAP): how to reach the server, how long to wait,
//! whether TLS is mandatory, and where the transcript goes. Protocol-specific settings (FTP's data mode,
//! SMTP's HELO name, the login method) stay in each protocol's own `Config`, beside this one.

use std::time::Duration;

use super::Transcript;
use crate::error::{Error, ErrorKind, Result};
use crate::transport::{Route, Tls};

/// The connection settings of one session.
#[derive(Clone)]
pub struct SessionConfig {
    /// TLS client, needed for the implicit-TLS schemes and `--starttls`.
    pub tls: Option<Tls>,
    /// `--starttls`: upgrade with the protocol's STARTTLS command, and fail (exit 4) if it is not offered
    /// or refused. Never a silent fallback to plaintext.
    pub starttls: bool,
    /// `--connect-timeout`.
    pub connect_timeout: Duration,
    /// `--timeout`: per reply, and per read of a data stream or body.
    pub timeout: Duration,
    /// `-v`.
    pub transcript: Transcript,
    /// `-4`/`-6`, `--bind`, and the proxy for this server: the control connection's route, and for FTP
    /// the data connections' too.
    pub route: Route,
}

impl SessionConfig {
    /// The TLS client, which the implicit-TLS schemes and `--starttls` always come with (its absence is a
    /// bug, exit 70).
    pub fn tls_client(&self) -> Result<&Tls> {
        self.tls
            .as_ref()
            .ok_or_else(|| Error::new(ErrorKind::Internal, "no TLS client"))
    }
}
