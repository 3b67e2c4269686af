//! What ftp-get, ftp-put and ftp-ls share before the first transfer: turning flags into a [`Config`], resolving
//! credentials once, and opening (or re-opening, for `--retries`) a logged-in session.

use crate::cli::common::{FtpArgs, NetArgs};
use crate::credentials::{self, Credentials};
use crate::error::Result;
use crate::ftp::{Config, DataMode, Session};
use crate::transport::Tls;
use crate::url::{Scheme, Target};

/// The FTP schemes.
pub const FTP_SCHEMES: &[Scheme] = &[Scheme::Ftp, Scheme::Ftps];

/// Everything needed to (re)open sessions to one server.
pub struct Connector {
    /// Session settings.
    pub config: Config,
    /// Resolved credentials.
    pub creds: Credentials,
}

impl Connector {
    /// Validates the flags for `target` and resolves its credentials (no I/O but config, netrc, prompt).
    pub fn new(target: &Target, net: &NetArgs, ftp: &FtpArgs) -> Result<Connector> {
        let tls = if target.scheme.implicit_tls() || net.starttls {
            Some(Tls::new(&net.tls_options())?)
        } else {
            None
        };
        let mode = if ftp.active {
            DataMode::Active
        } else if ftp.no_epsv {
            DataMode::PassiveNoEpsv
        } else {
            DataMode::Passive
        };
        let config = Config {
            session: crate::pingpong::SessionConfig {
                tls,
                starttls: net.starttls,
                connect_timeout: net.connect_timeout()?,
                timeout: net.timeout()?,
                transcript: net.transcript(),
            },
            mode,
        };
        let creds = credentials::resolve(target, &net.sources(true)?)?;
        Ok(Connector { config, creds })
    }

    /// Opens a logged-in session to `target`.
    pub fn open(&self, target: &Target) -> Result<Session> {
        Session::open(target, &self.creds, &self.config)
    }

    /// Opens a session, retrying transient failures `retries` times with backoff (notes go to stderr
    /// under `tool`'s name).
    pub fn open_with_retries(&self, target: &Target, retries: u32, tool: &str) -> Result<Session> {
        let mut attempt = 0;
        loop {
            match self.open(target) {
                Ok(s) => return Ok(s),
                Err(e) if attempt < retries && e.kind().is_transient() => {
                    attempt += 1;
                    eprintln!("{tool}: {e}; retrying ({attempt}/{retries})");
                    backoff(attempt);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Sleeps before retry `attempt` (1-based): 1 s, 2 s, 4 s … capped at 30 s.
pub fn backoff(attempt: u32) {
    let secs = 1u64 << attempt.saturating_sub(1).min(5);
    std::thread::sleep(std::time::Duration::from_secs(secs.min(30)));
}
