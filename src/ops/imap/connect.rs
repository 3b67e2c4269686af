//! IMAP's adapter to the common [`Connector`](crate::ops::common::Connector): the schemes imap-fetch and
//! imap-mailbox accept, and the `open` function that turns the shared session settings plus `--auth`
//! into a logged-in [`Session`]. Retries, TLS clients and credentials are the connector's.

use crate::credentials::Credentials;
use crate::error::Result;
use crate::imap::{Config, Session};
use crate::pingpong::SessionConfig;
use crate::sasl::Mechanism;
use crate::url::{Scheme, Target};

/// The IMAP schemes.
pub const IMAP_SCHEMES: &[Scheme] = &[Scheme::Imap, Scheme::Imaps];

/// The `open` function for [`Connector::open`](crate::ops::common::Connector::open): greeting, TLS and
/// login with `auth` as the SASL choice.
pub fn opener(
    auth: Option<Mechanism>,
) -> impl Fn(&Target, &SessionConfig, Option<&Credentials>) -> Result<Session> {
    move |target, session, creds| {
        let config = Config {
            session: session.clone(),
            auth,
        };
        Session::open(target, creds, &config)
    }
}
