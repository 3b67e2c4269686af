//! The one connector: a URL, the network options and the credential sources become a [`Connector`] that
//! (re)opens logged-in sessions of any of the four protocols, through the one retry loop.
//!
//! What it owns: which schemes a tool accepts, building the TLS client once per run (one rustls session
//! store, so FTPS data connections can resume the control session), resolving credentials once (a
//! password command runs once, a prompt asks once), and the session settings shared by every protocol.
//! What a session does once connected — greeting, STARTTLS, login — is the protocol module's, given here
//! as the `open` function each tool passes.

use std::net::IpAddr;
use std::time::Duration;

use crate::credentials::{self, Credentials, Sources};
use crate::error::{Error, ErrorKind, Result};
use crate::hint::Hint;
use crate::pingpong::{SessionConfig, Transcript};
use crate::proxy::ProxyOptions;
use crate::transport::{Family, Route, Tls, TlsOptions};
use crate::url::{Scheme, Target};

use super::retry::{RetryPolicy, with_retries};
use super::ui::Ui;

/// The connection, TLS, credential and retry settings every network tool takes (cli.md "Common to every
/// network tool"), as plain values.
#[derive(Debug, Clone)]
pub struct NetOptions {
    /// `--cacert`, `--insecure`, `--tls-min`, `--tls-max`.
    pub tls: TlsOptions,
    /// `--starttls`: upgrade in-protocol and fail rather than fall back.
    pub starttls: bool,
    /// `--connect-timeout`.
    pub connect_timeout: Duration,
    /// `--timeout`.
    pub timeout: Duration,
    /// `--user`, `--password-file`, `--password-command`, `--netrc-file`, `--account`.
    pub credentials: Sources,
    /// `--retries`.
    pub retry: RetryPolicy,
    /// `-v`: the protocol transcript on stderr.
    pub verbose: bool,
    /// `-4`/`-6`.
    pub family: Family,
    /// `--bind ADDR`.
    pub bind: Option<IpAddr>,
    /// `--proxy`, `--noproxy` and the proxy variables.
    pub proxy: ProxyOptions,
}

impl Default for NetOptions {
    fn default() -> Self {
        NetOptions {
            tls: TlsOptions::default(),
            starttls: false,
            connect_timeout: Duration::from_secs(30),
            timeout: Duration::from_secs(300),
            credentials: Sources::default(),
            retry: RetryPolicy::default(),
            verbose: false,
            family: Family::Any,
            bind: None,
            proxy: ProxyOptions::default(),
        }
    }
}

/// Whether and how a tool logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    /// Credentials are required (POP3, IMAP): none found is an authentication error (exit 5).
    Required,
    /// FTP: without credentials, log in as `anonymous`.
    AnonymousOk,
    /// No login (SMTP without a user): no credentials are looked up.
    None,
}

impl NetOptions {
    /// The session settings for `target`: a TLS client when the scheme or `--starttls` needs one, and
    /// the route to it (the proxy chosen for its scheme and host).
    pub fn session_config(&self, target: &Target) -> Result<SessionConfig> {
        let tls = if target.scheme.implicit_tls() || self.starttls {
            Some(Tls::new(&self.tls)?)
        } else {
            None
        };
        Ok(SessionConfig {
            tls,
            starttls: self.starttls,
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            transcript: Transcript::new(self.verbose),
            route: Route {
                family: self.family,
                bind: self.bind,
                proxy: self.proxy.for_target(target.scheme.name(), &target.host)?,
            },
        })
    }
}

/// Everything needed to (re)open sessions to one server.
pub struct Connector {
    /// The server, user and path.
    pub target: Target,
    /// The shared session settings.
    pub session: SessionConfig,
    /// The resolved credentials (`None` for [`Login::None`]).
    pub creds: Option<Credentials>,
    /// `--retries`.
    pub retry: RetryPolicy,
}

impl Connector {
    /// Parses `url` against the tool's `schemes` and prepares a connector (see [`Connector::for_target`]).
    pub fn new(url: &str, schemes: &[Scheme], net: &NetOptions, login: Login) -> Result<Connector> {
        Connector::for_target(Target::parse(url, schemes)?, net, login)
    }

    /// Builds the TLS client and resolves the credentials for `target` (no network I/O; a password
    /// command or prompt runs here, once).
    pub fn for_target(target: Target, net: &NetOptions, login: Login) -> Result<Connector> {
        let session = net.session_config(&target)?;
        let creds = match login {
            Login::None => None,
            Login::Required | Login::AnonymousOk => {
                let sources = Sources {
                    anonymous_ok: login == Login::AnonymousOk,
                    ..net.credentials.clone()
                };
                Some(credentials::resolve(&target, &sources)?)
            }
        };
        Ok(Connector {
            target,
            session,
            creds,
            retry: net.retry,
        })
    }

    /// A connector for another URL on the same server, sharing the TLS client (and so its session store)
    /// and the credentials.
    pub fn with_target(&self, target: Target) -> Connector {
        Connector {
            target,
            session: self.session.clone(),
            creds: self.creds.clone(),
            retry: self.retry,
        }
    }

    /// Opens one session with the protocol's `open` (greeting, TLS, login), no retries.
    pub fn open_once<S>(
        &self,
        open: impl Fn(&Target, &SessionConfig, Option<&Credentials>) -> Result<S>,
    ) -> Result<S> {
        open(&self.target, &self.session, self.creds.as_ref()).map_err(|e| self.explain(e))
    }

    /// A login refused on a plain-text connection: the server may want TLS first (`--starttls`). Not for
    /// anonymous FTP, nor for a proxy refusing its own credentials.
    fn explain(&self, e: Error) -> Error {
        let plain = !self.target.scheme.implicit_tls() && !self.session.starttls;
        let named = self
            .creds
            .as_ref()
            .is_some_and(|c| c.user != credentials::ANONYMOUS);
        let from_proxy = self.session.route.proxy.is_some() && e.context().starts_with("proxy ");
        if e.kind() == ErrorKind::Auth && e.hint().is_none() && plain && named && !from_proxy {
            e.with_hint(Hint::StartTls(self.target.scheme))
        } else {
            e
        }
    }

    /// Opens a session, retrying transient failures with `--retries` (fresh connection, fresh login).
    pub fn open<S>(
        &self,
        ui: &Ui,
        open: impl Fn(&Target, &SessionConfig, Option<&Credentials>) -> Result<S>,
    ) -> Result<S> {
        with_retries(&self.retry, ui, |_| self.open_once(&open))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_client_only_when_needed_and_credentials_by_login_kind() {
        let net = NetOptions::default();
        let c = Connector::new(
            "ftp://h/x",
            &[Scheme::Ftp, Scheme::Ftps],
            &net,
            Login::AnonymousOk,
        )
        .unwrap();
        assert!(c.session.tls.is_none());
        assert_eq!(c.creds.as_ref().unwrap().user, credentials::ANONYMOUS);
        let c = Connector::new(
            "ftps://h/x",
            &[Scheme::Ftp, Scheme::Ftps],
            &net,
            Login::None,
        )
        .unwrap();
        assert!(c.session.tls.is_some());
        assert!(c.creds.is_none());
        let starttls = NetOptions {
            starttls: true,
            ..NetOptions::default()
        };
        let c = Connector::new("smtp://h", &[Scheme::Smtp], &starttls, Login::None).unwrap();
        assert!(c.session.tls.is_some() && c.session.starttls);
        let e = Connector::new("imap://h", &[Scheme::Smtp], &net, Login::None).err();
        assert_eq!(e.map(|e| e.kind()), Some(ErrorKind::Usage));
        let c = Connector::new("imap://ann:pw@h", &[Scheme::Imap], &net, Login::Required).unwrap();
        assert_eq!(c.creds.unwrap().password.expose(), "pw");
    }
}
