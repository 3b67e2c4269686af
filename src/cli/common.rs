//! Flags shared by every network tool (cli.md "Common to every network tool") and their conversion into
//! library settings: credentials sources, TLS options, timeouts, transcript.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::credentials::Sources;
use crate::error::Result;
use crate::ops::common::{NetOptions, OutputMode, RetryPolicy};
use crate::pingpong::Transcript;
use crate::proxy::{NoProxy, Proxy, ProxyOptions};
use crate::transport::{Family, TlsOptions, TlsVersion};

/// `--tls-min`/`--tls-max`: clap lists the accepted names (help, completions, its error text).
fn tls_version() -> impl clap::builder::TypedValueParser<Value = TlsVersion> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(
        TlsVersion::ALL.map(|v| PossibleValue::new(v.name()).help(v.description())),
    )
    .try_map(|s| s.parse::<TlsVersion>())
}

/// Connection, TLS, credential and output flags.
#[derive(Debug, Clone, Args)]
pub struct NetArgs {
    /// Upgrade the plain connection to TLS (FTP AUTH TLS); fail (exit 4) if the server does not offer it.
    #[arg(long, help_heading = "TLS")]
    pub starttls: bool,
    /// Add the PEM trust anchors in FILE to the system store.
    #[arg(long, value_name = "FILE", help_heading = "TLS")]
    pub cacert: Vec<PathBuf>,
    /// Do not verify the server's certificate (says so on stderr).
    #[arg(long, short = 'k', help_heading = "TLS")]
    pub insecure: bool,
    /// Lowest TLS version to accept.
    #[arg(long, value_name = "VERSION", help_heading = "TLS", value_parser = tls_version())]
    pub tls_min: Option<TlsVersion>,
    /// Highest TLS version to offer.
    #[arg(long, value_name = "VERSION", help_heading = "TLS", value_parser = tls_version())]
    pub tls_max: Option<TlsVersion>,

    /// Log in as USER (when the URL names none). The password, first found: the URL,
    /// --password-file, --password-command, the FERRY_PASSWORD environment variable, --account, the
    /// netrc file, a prompt on a terminal.
    #[arg(long, short = 'u', value_name = "USER", help_heading = "Credentials")]
    pub user: Option<String>,
    /// Read the password from the first line of FILE.
    #[arg(long, value_name = "FILE", help_heading = "Credentials")]
    pub password_file: Option<PathBuf>,
    /// Run CMD (with /bin/sh) and use its standard output as the password or token.
    #[arg(long, value_name = "CMD", help_heading = "Credentials")]
    pub password_command: Option<String>,
    /// Read credentials from FILE instead of ~/.netrc.
    #[arg(long, value_name = "FILE", help_heading = "Credentials")]
    pub netrc_file: Option<PathBuf>,
    /// Take user and password settings from account NAME of the config file
    /// ($XDG_CONFIG_HOME/ferry/config.toml, then /etc/ferry/config.toml).
    #[arg(long, value_name = "NAME", help_heading = "Credentials")]
    pub account: Option<String>,

    /// Seconds to wait for a TCP connection.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 30.0,
        help_heading = "Connection"
    )]
    pub connect_timeout: f64,
    /// Seconds any one reply, or any one data read or write, may take in total. A file, message body or
    /// literal must also move at 1 KiB/s or more on average over each such span (half a lower
    /// --limit-rate): a server dripping bytes is a timeout.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 300.0,
        help_heading = "Connection"
    )]
    pub timeout: f64,
    /// Connect over IPv4 only.
    #[arg(
        short = '4',
        long = "ipv4",
        conflicts_with = "ipv6",
        help_heading = "Connection"
    )]
    pub ipv4: bool,
    /// Connect over IPv6 only.
    #[arg(short = '6', long = "ipv6", help_heading = "Connection")]
    pub ipv6: bool,
    /// Connect from the local address ADDR (to the server, or to the proxy).
    #[arg(long, value_name = "ADDR", help_heading = "Connection")]
    pub bind: Option<std::net::IpAddr>,
    /// Connect through the proxy URL: socks5h://[USER:PASS@]HOST[:PORT] (the proxy resolves names),
    /// socks5://… (names resolved here) or http://[USER:PASS@]HOST[:PORT] (HTTP CONNECT); port 1080 by
    /// default. Overrides the <scheme>_proxy and ALL_PROXY variables; '' connects directly. FTP data
    /// connections go through it too (passive mode only).
    #[arg(long, value_name = "URL", help_heading = "Connection")]
    pub proxy: Option<String>,
    /// Connect directly to the hosts in LIST (commas: names with their subdomains, addresses, CIDR
    /// blocks; '*' for all), replacing NO_PROXY.
    #[arg(long, value_name = "LIST", help_heading = "Connection")]
    pub noproxy: Option<String>,
    /// Retry transient failures (connect, 4xx, timeouts, cut transfers) N times, with backoff, resuming
    /// where possible.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        help_heading = "Connection"
    )]
    pub retries: u32,

    /// Print the protocol transcript on stderr (secrets shown as ****).
    #[arg(long, short = 'v', help_heading = "Output")]
    pub verbose: bool,
    /// Print errors only.
    #[arg(long, short = 'q', conflicts_with = "verbose", help_heading = "Output")]
    pub quiet: bool,
    /// Print one JSON document describing the result on stdout.
    #[arg(long, help_heading = "Output")]
    pub json: bool,
    /// Append one line per message or file to FILE (time, tool, account, server, item, size, result,
    /// reply, queue ID); `syslog` sends the lines to syslog (facility mail). Default: the account's
    /// `log` setting.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub log: Option<String>,
}

/// A positive number of seconds as a Duration.
fn seconds(v: f64, flag: &str) -> Result<Duration> {
    if !(v.is_finite() && v > 0.0 && v < 1e9) {
        return Err(crate::Error::usage(format!(
            "{flag} must be a positive number of seconds"
        )));
    }
    Ok(Duration::from_secs_f64(v))
}

impl NetArgs {
    /// The network options every `ops` module takes: every flag validated (exit 2 here, never later),
    /// `--account` loaded from the config file.
    pub fn options(&self) -> Result<NetOptions> {
        Ok(NetOptions {
            tls: self.tls_options(),
            starttls: self.starttls,
            connect_timeout: self.connect_timeout()?,
            timeout: self.timeout()?,
            credentials: self.sources(false)?,
            retry: RetryPolicy::new(self.retries),
            verbose: self.verbose,
            family: if self.ipv4 {
                Family::V4
            } else if self.ipv6 {
                Family::V6
            } else {
                Family::Any
            },
            bind: self.bind,
            proxy: self.proxy_options()?,
        })
    }

    /// `--proxy`, `--noproxy` and the proxy variables of the environment (read now, once).
    pub fn proxy_options(&self) -> Result<ProxyOptions> {
        Ok(ProxyOptions {
            proxy: match self.proxy.as_deref() {
                None => None,
                Some("") => Some(None),
                Some(url) => Some(Some(Proxy::parse(url, "--proxy")?)),
            },
            no_proxy: self.noproxy.as_deref().map(NoProxy::parse),
            env: ProxyOptions::env_snapshot(),
        })
    }

    /// `-q`, `--json` and `-v`.
    pub fn output(&self) -> OutputMode {
        OutputMode {
            quiet: self.quiet,
            json: self.json,
            log: self.log(),
            verbose: self.verbose,
        }
    }

    /// `--log`, else the `log` of the account in use (`--account`, else the config file's default
    /// account). A config file that cannot be read leaves the log off here; `options` reports it.
    pub fn log(&self) -> Option<std::sync::Arc<crate::ops::common::TxLog>> {
        use crate::ops::common::{LogDest, TxLog};
        let name = match &self.account {
            Some(n) => Some(n.clone()),
            None => crate::config::default_account_name(),
        };
        let dest = match &self.log {
            Some(l) => l.clone(),
            None => name
                .as_deref()
                .and_then(|n| crate::config::account(Some(n)).ok())
                .and_then(|a| a.log)?,
        };
        Some(std::sync::Arc::new(TxLog::new(LogDest::parse(&dest), name)))
    }

    /// `--connect-timeout` as a Duration.
    pub fn connect_timeout(&self) -> Result<Duration> {
        seconds(self.connect_timeout, "--connect-timeout")
    }

    /// `--timeout` as a Duration.
    pub fn timeout(&self) -> Result<Duration> {
        seconds(self.timeout, "--timeout")
    }

    /// The TLS settings.
    pub fn tls_options(&self) -> TlsOptions {
        TlsOptions {
            cacert: self.cacert.clone(),
            insecure: self.insecure,
            min: self.tls_min,
            max: self.tls_max,
        }
    }

    /// The credential sources, loading `--account` from the config file.
    pub fn sources(&self, anonymous_ok: bool) -> Result<Sources> {
        let account = match &self.account {
            Some(name) => Some(crate::config::account(Some(name))?),
            None => None,
        };
        Ok(Sources {
            user: self.user.clone(),
            password_file: self.password_file.clone(),
            password_command: self.password_command.clone(),
            netrc_file: self.netrc_file.clone(),
            account,
            anonymous_ok,
        })
    }

    /// The transcript for `-v`.
    pub fn transcript(&self) -> Transcript {
        Transcript::new(self.verbose)
    }
}

/// FTP data-connection flags.
#[derive(Debug, Clone, Args)]
pub struct FtpArgs {
    /// Use PASV only (no EPSV).
    #[arg(long, help_heading = "FTP")]
    pub no_epsv: bool,
    /// Active mode: the server connects to us (EPRT, PORT on IPv4).
    #[arg(long, conflicts_with = "no_epsv", help_heading = "FTP")]
    pub active: bool,
    /// Limit every FTP transfer (files and directory listings) to RATE bytes per second in total
    /// across all --parallel sessions: 500000, 500K, 10M.
    #[arg(long, value_name = "RATE", value_parser = parse_size, help_heading = "FTP")]
    pub limit_rate: Option<u64>,
}

impl FtpArgs {
    /// The data-connection mode: `--active`, `--no-epsv`, else passive with EPSV first.
    pub fn mode(&self) -> crate::ftp::DataMode {
        use crate::ftp::DataMode;
        if self.active {
            DataMode::Active
        } else if self.no_epsv {
            DataMode::PassiveNoEpsv
        } else {
            DataMode::Passive
        }
    }

    /// `--limit-rate`: one bucket for the whole run (0 is a usage error).
    pub fn limit(&self) -> Result<Option<std::sync::Arc<crate::ratelimit::RateLimit>>> {
        match self.limit_rate {
            None => Ok(None),
            Some(0) => Err(crate::Error::usage(
                "--limit-rate must be at least 1 byte per second",
            )),
            Some(rate) => Ok(Some(crate::ratelimit::RateLimit::new(rate))),
        }
    }
}

/// Where fetched mail goes (pop3-fetch, imap-fetch): one of the four, else standard output.
#[derive(Debug, Clone, Default, Args)]
#[group(id = "mail_output", multiple = false)]
pub struct MailOutputArgs {
    /// Deliver into the Maildir DIR (tmp, fsync, then new/; created if missing).
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    pub maildir: Option<PathBuf>,
    /// Append to the mbox FILE (mboxrd quoting, locked; a failed write is rolled back).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub mbox: Option<PathBuf>,
    /// Write one .eml file per message into DIR (safe, unique names).
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    pub dir: Option<PathBuf>,
    /// Pipe each message to CMD (run with /bin/sh); a non-zero exit means not delivered.
    #[arg(long, value_name = "CMD", help_heading = "Output")]
    pub mda: Option<String>,
}

impl MailOutputArgs {
    /// The delivery target (standard output when no flag is given).
    pub fn target(&self) -> crate::store::Target {
        use crate::store::Target;
        if let Some(d) = &self.maildir {
            Target::Maildir(d.clone())
        } else if let Some(f) = &self.mbox {
            Target::Mbox(f.clone())
        } else if let Some(d) = &self.dir {
            Target::Dir(d.clone())
        } else if let Some(c) = &self.mda {
            Target::Mda(c.clone())
        } else {
            Target::Stdout
        }
    }
}

/// `--auth MECH`: `plain`, `login`, `xoauth2`, `oauthbearer` (any case).
pub fn parse_mechanism(s: &str) -> std::result::Result<crate::sasl::Mechanism, String> {
    crate::sasl::Mechanism::from_name(s)
        .ok_or_else(|| format!("unknown mechanism {s:?}: use plain, login, xoauth2 or oauthbearer"))
}

/// A size in bytes: `123`, `64k`, `10M`, `1G`.
pub fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let (num, mult) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 1u64 << 10),
        Some((i, 'm' | 'M')) => (&s[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{s:?} is not a size in bytes (e.g. 500000, 64k, 10M)"))
}

/// Helpers for the unit tests of each tool's `Args` → `Options` conversion.
#[cfg(test)]
pub mod testing {
    use crate::error::{Error, ErrorKind, Result};

    /// Parses `argv` (without the program name) as `tool`'s flags and converts them into its options.
    pub fn options<A, O>(tool: &str, argv: &[&str]) -> Result<O>
    where
        A: clap::Parser,
        O: TryFrom<A, Error = Error>,
    {
        let a = A::try_parse_from(std::iter::once(tool).chain(argv.iter().copied()))
            .map_err(|e| Error::usage(e.to_string()))?;
        O::try_from(a)
    }

    /// The message of the usage error (exit 2) that `argv` must raise.
    pub fn usage_error<A, O>(tool: &str, argv: &[&str]) -> String
    where
        A: clap::Parser,
        O: TryFrom<A, Error = Error>,
    {
        match options::<A, O>(tool, argv) {
            Ok(_) => panic!("{argv:?} was accepted"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
                assert_eq!(e.kind().exit_code(), 2);
                e.to_string()
            }
        }
    }
}
