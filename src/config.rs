//! The config file: named accounts for `--account NAME`.
//!
//! Read from `$XDG_CONFIG_HOME/ferry/config.toml` (else `~/.config/ferry/config.toml`), then
//! `/etc/ferry/config.toml`; the first that exists is used. Format:
//!
//! ```toml
//! default = "work"            # the account used when none is named (sendmail mode)
//! [account.work]
//! url = "ftps://files.example.com/"
//! user = "ann"
//! password_command = "pass show files"   # or password_file = "...", or password = "..."
//! starttls = true                         # as --starttls
//! cacert = "/etc/ssl/private-ca.pem"      # as --cacert
//! from = "cron@example.com"               # smtp-send: default envelope sender
//! domain = "example.com"                  # smtp-send: qualifies bare local names
//! aliases = "/etc/aliases"                # smtp-send: local names -> addresses
//! helo = "host.example.com"               # smtp-send: as --helo
//! queue = "/var/spool/ferry"              # smtp-send: as --queue
//! log = "syslog"                          # as --log (a path, or syslog)
//! mx = true                               # smtp-send: as --mx (direct delivery, no url)
//! dead_letter = "/var/mail/ferry-dead/"   # smtp-send: notices that cannot be sent (Maildir; no / = mbox)
//! ```
//! The complete reference is ferry-config(5) (`man/ferry-config.5`).
//! Unknown keys are errors, so a typo does not silently drop a setting.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;

/// One `[account.NAME]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The account's target URL.
    pub url: Option<String>,
    /// Login name.
    pub user: Option<String>,
    /// A password in the file itself (discouraged; prefer the two below).
    #[serde(default, deserialize_with = "secret")]
    pub password: Option<Secret>,
    /// A file whose first line is the password.
    pub password_file: Option<PathBuf>,
    /// A command whose standard output is the password or token.
    pub password_command: Option<String>,
    /// Upgrade with STARTTLS (what `--starttls` does), for tools run without flags (sendmail mode).
    pub starttls: Option<bool>,
    /// Extra PEM trust anchors (what `--cacert` adds).
    pub cacert: Option<PathBuf>,
    /// smtp-send/sendmail: the envelope sender when the command line names none (before the message's
    /// From and `$LOGNAME@domain`).
    pub from: Option<String>,
    /// smtp-send/sendmail: the domain that qualifies a bare local name (`root` -> `root@domain`) in the
    /// envelope and in the From, To and Cc fields; also the domain of `$LOGNAME@domain`.
    pub domain: Option<String>,
    /// smtp-send/sendmail: an aliases file (`/etc/aliases` syntax, with a `default:` entry) that maps
    /// local recipient names to addresses.
    pub aliases: Option<PathBuf>,
    /// smtp-send/sendmail: the EHLO name (what `--helo` sets; default: this host's FQDN).
    pub helo: Option<String>,
    /// smtp-send/sendmail: the queue directory (what `--queue` sets): a message that fails transiently
    /// is kept there.
    pub queue: Option<PathBuf>,
    /// Every network tool: the transaction log, a file path or `syslog` (what `--log` sets).
    pub log: Option<String>,
    /// smtp-send: deliver directly to the recipients' mail exchangers (what `--mx` does), no `url`.
    pub mx: Option<bool>,
    /// smtp-send's queue: where a non-delivery notice goes when it cannot be sent to the sender — a
    /// Maildir (the path ends in `/` or is a directory) or an mbox file.
    pub dead_letter: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    default: Option<String>,
    #[serde(default)]
    account: BTreeMap<String, Account>,
}

fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(Secret::new))
}

/// The config file paths in the order they are tried.
pub fn paths() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        v.push(PathBuf::from(x).join("ferry/config.toml"));
    } else if let Some(h) = std::env::var_os("HOME") {
        v.push(PathBuf::from(h).join(".config/ferry/config.toml"));
    }
    v.push(PathBuf::from("/etc/ferry/config.toml"));
    v
}

/// Loads account `name`, or the file's default account when `name` is `None`.
pub fn account(name: Option<&str>) -> Result<Account> {
    let Some(path) = paths().into_iter().find(|p| p.exists()) else {
        let tried: Vec<String> = paths().iter().map(|p| p.display().to_string()).collect();
        return Err(Error::usage(format!(
            "no config file (looked for {})",
            tried.join(", ")
        )));
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::local(format!("config file {}", path.display()), e))?;
    parse_account(&text, name).map_err(|e| e.within(path.display()))
}

/// The config file's `default` account name, if there is a readable config file that names one.
pub fn default_account_name() -> Option<String> {
    let path = paths().into_iter().find(|p| p.exists())?;
    let text = std::fs::read_to_string(path).ok()?;
    toml::from_str::<File>(&text).ok()?.default
}

/// [`account`] on the file's text (the fuzz targets and the man page check call it directly).
pub fn parse_account(text: &str, name: Option<&str>) -> Result<Account> {
    let file: File = toml::from_str(text)
        .map_err(|e| Error::new(ErrorKind::Usage, format!("invalid config: {}", e.message())))?;
    let name = match name.or(file.default.as_deref()) {
        Some(n) => n.to_string(),
        None => return Err(Error::usage("no account named and no default account")),
    };
    file.account
        .get(&name)
        .cloned()
        .ok_or_else(|| Error::usage(format!("no account {name:?} in the config file")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_and_default_accounts() {
        let text = "default = \"b\"\n[account.a]\nuser = \"ann\"\npassword = \"x\"\n[account.b]\nurl = \"ftp://h/\"\n";
        let a = parse_account(text, Some("a")).unwrap();
        assert_eq!(a.user.as_deref(), Some("ann"));
        assert_eq!(a.password.unwrap().expose(), "x");
        assert_eq!(
            parse_account(text, None).unwrap().url.as_deref(),
            Some("ftp://h/")
        );
        assert_eq!(
            parse_account(text, Some("zz")).unwrap_err().kind(),
            ErrorKind::Usage
        );
        assert!(parse_account("[account.a]\nusr = 1\n", Some("a")).is_err());
    }
}
