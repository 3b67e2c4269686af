//! The direct-delivery flags of smtp-send (and sendmail mode): `--mx`, `--tls`, `--dns-server`, and the
//! hidden test flags `--mx-port` and `--mx-seed`; and their conversion into [`MxOptions`] (every usage
//! error raised here). The behaviour is `ops::smtp::mx`.

use crate::error::{Error, Result};
use crate::ops::smtp::mx::{self, MxOptions, TlsPolicy};
use crate::ops::smtp::options::Server;

/// `--mx` and its settings.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MxArgs {
    /// Deliver directly to each recipient domain's mail exchangers (DNS MX records, port 25; the domain
    /// itself when it has none), instead of a server URL. Also `mx = true` in the account. With
    /// --flush-queue, each due entry is delivered the same way: recipients that take it leave the entry,
    /// deferred ones stay in it.
    #[arg(long, help_heading = "Direct delivery")]
    pub mx: bool,
    /// TLS with --mx: opportunistic (STARTTLS when offered, any certificate; a failed upgrade is retried
    /// in plain text on a new connection and reported), verify (STARTTLS required, the certificate must
    /// verify for the exchanger's name), none.
    #[arg(long, value_name = "POLICY", value_parser = TlsPolicy::NAMES, help_heading = "Direct delivery")]
    pub tls: Option<String>,
    /// With --mx: ask this DNS server (IP[:PORT], port 53 by default) instead of /etc/resolv.conf's.
    #[arg(long, value_name = "ADDR[:PORT]", help_heading = "Direct delivery")]
    pub dns_server: Option<String>,
    /// Tests: the exchangers' port instead of 25.
    #[arg(long, value_name = "PORT", hide = true)]
    pub mx_port: Option<u16>,
    /// Tests: a fixed shuffle of exchangers of equal preference.
    #[arg(long, value_name = "SEED", hide = true)]
    pub mx_seed: Option<u64>,
}

impl MxArgs {
    /// Whether this run delivers directly: `--mx`, or `mx = true` in the account named or defaulted.
    pub fn wanted(&self, account: Option<&crate::config::Account>) -> bool {
        self.mx || account.is_some_and(|a| a.mx == Some(true))
    }

    /// The options of a direct-delivery run (`None` for delivery to `server`): sending a message, or
    /// flushing the queue (`--flush-queue DIR --mx` delivers each entry directly too).
    pub fn options(&self, server: &Server, all_or_nothing: bool) -> Result<Option<MxOptions>> {
        let account = server.net.credentials.account.as_ref();
        if !self.wanted(account) {
            if self.tls.is_some() || self.dns_server.is_some() || self.mx_port.is_some() {
                return Err(Error::usage(
                    "--tls, --dns-server and --mx-port go with --mx",
                ));
            }
            return Ok(None);
        }
        if all_or_nothing {
            return Err(Error::usage(
                "--all-or-nothing cannot be kept across the domains of --mx",
            ));
        }
        if server.net.starttls {
            return Err(Error::usage(
                "with --mx, use --tls verify instead of --starttls",
            ));
        }
        Ok(Some(MxOptions {
            tls: self
                .tls
                .as_deref()
                .map(str::parse)
                .transpose()?
                .unwrap_or_default(),
            port: self.mx_port.unwrap_or(mx::MX_PORT),
            dns_server: self
                .dns_server
                .as_deref()
                .map(mx::parse_dns_server)
                .transpose()?,
            seed: self.mx_seed,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Args;
    use crate::ops::smtp::Options;
    use crate::ops::smtp::mx::TlsPolicy;
    use clap::Parser;

    fn options(args: &[&str]) -> crate::error::Result<Options> {
        let a = Args::try_parse_from(std::iter::once("smtp-send").chain(args.iter().copied()))
            .map_err(|e| crate::error::Error::usage(e.to_string()))?;
        Options::try_from(a)
    }

    #[test]
    fn mx_needs_no_url_and_takes_its_settings() {
        let o = options(&["--mx", "--from", "a@x", "--to", "b@y"]).unwrap();
        let mx = o.mx.unwrap();
        assert_eq!(
            (mx.tls, mx.port, mx.dns_server, mx.seed),
            (TlsPolicy::Opportunistic, 25, None, None)
        );
        let o = options(&[
            "--mx",
            "--tls",
            "verify",
            "--dns-server",
            "127.0.0.1:5353",
            "--mx-port",
            "2525",
            "--mx-seed",
            "3",
            "--from",
            "a@x",
            "--to",
            "b@y",
        ])
        .unwrap();
        let mx = o.mx.unwrap();
        assert_eq!(mx.tls, TlsPolicy::Verify);
        assert_eq!(mx.port, 2525);
        assert_eq!(mx.dns_server.unwrap().to_string(), "127.0.0.1:5353");
        assert_eq!(mx.seed, Some(3));
        assert!(
            options(&["smtp://h", "--from", "a@x", "--to", "b@y"])
                .unwrap()
                .mx
                .is_none()
        );
        assert!(options(&["--mx", "--starttls", "--from", "a@x", "--to", "b@y"]).is_err());
        let o = options(&["--mx", "--flush-queue", "q", "--tls", "none"]).unwrap();
        assert!(matches!(
            o.action,
            crate::ops::smtp::options::Action::Flush(_)
        ));
        assert_eq!(o.mx.unwrap().tls, TlsPolicy::None);
    }
}
