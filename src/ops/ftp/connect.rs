//! The FTP side of the common [`Connector`]: the schemes ftp-get, ftp-put and ftp-ls accept, anonymous
//! login when no credentials are found, and the data-connection mode every session of a run uses.
//!
//! What it owns: only that adapter. TLS client, credentials and retries are the common connector's; the
//! opening sequence (greeting, AUTH TLS, login, PBSZ/PROT, FEAT) is [`Session::open`]'s.

use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};
use crate::ftp::{Config, DataMode, Session};
use crate::ops::common::{Connector, Login, NetOptions, Ui};
use crate::ratelimit::RateLimit;
use crate::url::{Scheme, Target};

/// The FTP schemes.
pub const FTP_SCHEMES: &[Scheme] = &[Scheme::Ftp, Scheme::Ftps];

/// A [`Connector`] plus the data-connection mode: opens logged-in FTP sessions to one server.
pub struct FtpConnector {
    /// The common connector (target, TLS client, credentials, retry policy).
    pub conn: Connector,
    /// Passive (EPSV/PASV) or active.
    pub mode: DataMode,
    /// `--limit-rate`'s bucket, shared by every session opened (their listings draw on it).
    pub limit: Option<Arc<RateLimit>>,
}

impl FtpConnector {
    /// Builds the TLS client and resolves the credentials for `target` (anonymous when none are found).
    pub fn new(target: Target, net: &NetOptions, mode: DataMode) -> Result<FtpConnector> {
        Ok(FtpConnector {
            conn: Connector::for_target(target, net, Login::AnonymousOk)?,
            mode,
            limit: None,
        })
    }

    /// The same connector with `--limit-rate`'s bucket for the sessions it opens.
    pub fn limited(self, limit: Option<Arc<RateLimit>>) -> FtpConnector {
        FtpConnector { limit, ..self }
    }

    /// The server and path this connector opens sessions to.
    pub fn target(&self) -> &Target {
        &self.conn.target
    }

    /// Opens one logged-in session, no retries.
    pub fn open_once(&self) -> Result<Session> {
        self.open_once_and(&|| {})
    }

    /// [`FtpConnector::open_once`], calling `connected` once the control connection is up
    /// ([`Session::open_and`]; where a run's first login starts its first spare:
    /// [`crate::ops::ftp::spares::Spares::open_first`]).
    pub(crate) fn open_once_and(&self, connected: &dyn Fn()) -> Result<Session> {
        self.conn.open_once(|t, session, creds| {
            let creds =
                creds.ok_or_else(|| Error::new(ErrorKind::Internal, "no FTP credentials"))?;
            let config = Config {
                session: session.clone(),
                mode: self.mode,
                limit: self.limit.clone(),
            };
            Session::open_and(t, creds, &config, connected)
        })
    }

    /// Opens a logged-in session, retrying transient failures with `--retries`.
    pub fn open(&self, ui: &Ui) -> Result<Session> {
        self.open_timed(ui).map(|(s, _)| s)
    }

    /// [`FtpConnector::open`], with how long its successful attempt took to connect and log in (not
    /// the failed attempts nor the waits between them): what a login costs, for `--parallel`.
    pub fn open_timed(&self, ui: &Ui) -> Result<(Session, std::time::Duration)> {
        crate::ops::common::with_retries(&self.conn.retry, ui, |_| {
            let started = std::time::Instant::now();
            self.open_once().map(|s| (s, started.elapsed()))
        })
    }
}
