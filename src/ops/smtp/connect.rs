//! The SMTP adapter of the common connector: a [`Connector`] for the server of a run, and the `open`
//! function that turns a connection into a greeted, introduced (EHLO, STARTTLS) and authenticated
//! [`Session`]. TLS client, credentials and retries are the common connector's.

use crate::credentials::Credentials;
use crate::error::Result;
use crate::ops::common::Connector;
use crate::pingpong::SessionConfig;
use crate::sasl::Mechanism;
use crate::smtp::{self, Session};
use crate::url::Target;

use super::options::Server;

/// Builds the TLS client and resolves the credentials (when a user is known or `--auth` was given); no
/// network I/O.
pub fn connector(server: &Server) -> Result<Connector> {
    Connector::for_target(server.target.clone(), &server.net, server.login)
}

/// What opens one session to `server`: `smtp::Session::open` (greeting, EHLO, STARTTLS), then AUTH when
/// there are credentials (a refused AUTH ends the session politely with QUIT).
pub fn opener(
    server: &Server,
) -> impl Fn(&Target, &SessionConfig, Option<&Credentials>) -> Result<Session> + '_ {
    // No FQDN: the session introduces itself with its address literal (RFC 5321 §4.1.4), never `vm`.
    let helo = server
        .helo
        .clone()
        .or_else(crate::host::fqdn)
        .unwrap_or_default();
    let auth: Option<Mechanism> = server.auth;
    move |target, session, creds| {
        let config = smtp::Config {
            session: session.clone(),
            helo: helo.clone(),
        };
        let mut s = Session::open(target, &config)?;
        if let Some(creds) = creds
            && let Err(e) = s.auth(creds, auth)
        {
            s.quit();
            return Err(e);
        }
        Ok(s)
    }
}

/// The domain of this host for `$LOGNAME@domain` when the account names none: its FQDN, else the
/// kernel's host name, else `localhost`.
pub fn local_host_name() -> String {
    crate::host::fqdn()
        .or_else(crate::host::name)
        .unwrap_or_else(|| "localhost".to_string())
}
