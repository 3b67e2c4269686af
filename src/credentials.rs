//! Where credentials come from (the secret itself is a [`Secret`], in its own module).
//!
//! [`resolve`] applies cli.md's order, first found wins: URL userinfo; `--user` with `--password-file`,
//! `--password-command` or `FERRY_PASSWORD`; the `--account` entry of the config file; `~/.netrc` (or
//! `--netrc-file`), only an entry for this machine whose login matches the user when one is known; an
//! interactive prompt when stdin is a terminal; else anonymous (FTP) or an authentication error (exit 5).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use crate::secret::Secret;

use crate::config::Account;
use crate::error::{Error, ErrorKind, Result};
use crate::netrc;
use crate::url::Target;

/// Where the user asked credentials to come from (the credential flags of every network tool).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `--user`.
    pub user: Option<String>,
    /// `--password-file`: the first line of the file.
    pub password_file: Option<PathBuf>,
    /// `--password-command`: its standard output, trailing newline removed.
    pub password_command: Option<String>,
    /// `--netrc-file`, else `~/.netrc`.
    pub netrc_file: Option<PathBuf>,
    /// The `--account` entry of the config file, already loaded.
    pub account: Option<Account>,
    /// Whether a login may fall back to FTP's anonymous user.
    pub anonymous_ok: bool,
}

/// A user name and its password.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The login name.
    pub user: String,
    /// The password or token.
    pub password: Secret,
}

/// The user RFC 1635 anonymous FTP logs in as.
pub const ANONYMOUS: &str = "anonymous";

/// Finds the credentials for `target`, in cli.md's order.
pub fn resolve(target: &Target, src: &Sources) -> Result<Credentials> {
    let account = src.account.as_ref();
    let user = target
        .user
        .clone()
        .or_else(|| src.user.clone())
        .or_else(|| account.and_then(|a| a.user.clone()));
    if let Some(pw) = &target.password {
        let user = user.unwrap_or_else(|| ANONYMOUS.to_string());
        return Ok(Credentials {
            user,
            password: pw.clone(),
        });
    }
    if let Some(password) = explicit_password(src)? {
        let user = user.ok_or_else(|| {
            Error::new(
                ErrorKind::Auth,
                "a password was given but no user: add --user or put the user in the URL",
            )
        })?;
        return Ok(Credentials { user, password });
    }
    let netrc_path = src.netrc_file.clone().or_else(default_netrc);
    if let Some(path) = netrc_path {
        let must_exist = src.netrc_file.is_some();
        if let Some(entry) = netrc::lookup(&path, &target.host, user.as_deref(), must_exist)? {
            return Ok(Credentials {
                user: entry.login,
                password: entry.password,
            });
        }
    }
    if let Some(user) = &user {
        if user == ANONYMOUS && src.anonymous_ok {
            return Ok(anonymous());
        }
        if std::io::stdin().is_terminal() {
            let prompt = format!("Password for {user}@{}: ", target.host);
            let pw = rpassword::prompt_password(prompt)
                .map_err(|e| Error::new(ErrorKind::Auth, "reading the password").with_source(e))?;
            return Ok(Credentials {
                user: user.clone(),
                password: Secret::new(pw),
            });
        }
        return Err(Error::new(
            ErrorKind::Auth,
            format!(
                "no password for {user}@{}: use --password-file, --password-command, FERRY_PASSWORD or ~/.netrc",
                target.host
            ),
        ));
    }
    if src.anonymous_ok {
        return Ok(anonymous());
    }
    Err(Error::new(
        ErrorKind::Auth,
        format!(
            "no credentials for {}: give a user and password",
            target.host
        ),
    ))
}

fn anonymous() -> Credentials {
    Credentials {
        user: ANONYMOUS.to_string(),
        password: Secret::new("ferry@"),
    }
}

/// `--password-file`, `--password-command`, `FERRY_PASSWORD`, then the account's own password sources.
fn explicit_password(src: &Sources) -> Result<Option<Secret>> {
    if let Some(path) = &src.password_file {
        return read_password_file(path).map(Some);
    }
    if let Some(cmd) = &src.password_command {
        return run_password_command(cmd).map(Some);
    }
    if let Ok(pw) = std::env::var("FERRY_PASSWORD") {
        return Ok(Some(Secret::new(pw)));
    }
    if let Some(a) = &src.account {
        if let Some(path) = &a.password_file {
            return read_password_file(path).map(Some);
        }
        if let Some(cmd) = &a.password_command {
            return run_password_command(cmd).map(Some);
        }
        if let Some(pw) = &a.password {
            return Ok(Some(pw.clone()));
        }
    }
    Ok(None)
}

fn read_password_file(path: &Path) -> Result<Secret> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::local(format!("password file {}", path.display()), e))?;
    let line = text.lines().next().unwrap_or("");
    Ok(Secret::new(line))
}

fn run_password_command(cmd: &str) -> Result<Secret> {
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error::new(ErrorKind::Auth, "running --password-command").with_source(e))?;
    if !out.status.success() {
        return Err(Error::new(
            ErrorKind::Auth,
            format!("--password-command failed ({})", out.status),
        ));
    }
    let text = String::from_utf8(out.stdout)
        .map_err(|_| Error::new(ErrorKind::Auth, "--password-command printed non-UTF-8"))?;
    Ok(Secret::new(text.trim_end_matches(['\r', '\n'])))
}

fn default_netrc() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".netrc"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::Scheme;

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "****");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn url_password_wins_and_anonymous_is_last() {
        let t = Target::parse("ftp://ann:pw@h/", &[Scheme::Ftp]).unwrap();
        let src = Sources {
            user: Some("other".into()),
            anonymous_ok: true,
            netrc_file: Some("/nonexistent-netrc".into()),
            ..Default::default()
        };
        let c = resolve(&t, &src).unwrap();
        assert_eq!((c.user.as_str(), c.password.expose()), ("ann", "pw"));
        let t = Target::parse("ftp://h/", &[Scheme::Ftp]).unwrap();
        let src = Sources {
            anonymous_ok: true,
            netrc_file: Some(std::env::temp_dir().join("ferry-no-such-netrc")),
            ..Default::default()
        };
        // An explicitly named netrc that does not exist is an error, not a silent skip.
        assert_eq!(resolve(&t, &src).unwrap_err().kind(), ErrorKind::LocalIo);
    }
}
