//! What imap-fetch and imap-mailbox share before their first command: flags into a session [`Config`],
//! credentials resolved once, and a logged-in [`Session`].

use crate::cli::common::NetArgs;
use crate::credentials::{self, Credentials};
use crate::error::Result;
use crate::imap::{Config, Session};
use crate::sasl::Mechanism;
use crate::transport::Tls;
use crate::url::{Scheme, Target};

/// The IMAP schemes.
pub const IMAP_SCHEMES: &[Scheme] = &[Scheme::Imap, Scheme::Imaps];

/// Everything needed to (re)open sessions to one server.
pub struct Connector {
    /// The parsed URL.
    pub target: Target,
    /// Session settings.
    pub config: Config,
    /// Resolved credentials.
    pub creds: Credentials,
}

impl Connector {
    /// Parses `url`, validates the flags and resolves credentials (no network I/O).
    pub fn new(url: &str, net: &NetArgs, auth: Option<Mechanism>) -> Result<Connector> {
        let target = Target::parse(url, IMAP_SCHEMES)?;
        let tls = if target.scheme.implicit_tls() || net.starttls {
            Some(Tls::new(&net.tls_options())?)
        } else {
            None
        };
        let config = Config {
            session: crate::pingpong::SessionConfig {
                tls,
                starttls: net.starttls,
                connect_timeout: net.connect_timeout()?,
                timeout: net.timeout()?,
                transcript: net.transcript(),
            },
            auth,
        };
        let creds = credentials::resolve(&target, &net.sources(false)?)?;
        Ok(Connector {
            target,
            config,
            creds,
        })
    }

    /// Opens a logged-in session.
    pub fn open(&self) -> Result<Session> {
        Session::open(&self.target, Some(&self.creds), &self.config)
    }

    /// Opens a session, retrying transient failures `retries` times with backoff.
    pub fn open_with_retries(&self, retries: u32) -> Result<Session> {
        let mut attempt = 0;
        loop {
            match self.open() {
                Ok(s) => return Ok(s),
                Err(e) if attempt < retries && e.kind().is_transient() => {
                    attempt += 1;
                    crate::ops::ftp::connect::backoff(attempt);
                }
                Err(e) => return Err(e),
            }
        }
    }
}
