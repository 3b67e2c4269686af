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
//! dead_letter = "/var/mail/ferry-dead/"   # smtp-send: notices that cannot be sent (Maildir; no / = mbox)
//! log = "/var/log/ferry.log"              # as --log (or "syslog")
//! ```
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
    /// smtp-send's queue: where a non-delivery notice goes when it cannot be sent to the sender — a
    /// Maildir (the path ends in `/` or is a directory) or an mbox file.
    pub dead_letter: Option<PathBuf>,
    /// The transaction log (what `--log` sets): a file path, or `syslog`.
    pub log: Option<String>,
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

/// [`account`] on the file's text (the fuzz targets call it directly).
pub(crate) fn parse_account(text: &str, name: Option<&str>) -> Result<Account> {
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
