//! Session commands that mirroring needs beyond RFC 959's transfers: setting a file's modification time
//! (MFMT, draft-somers-ftp-mfxx-04; SITE UTIME, ProFTPD's and Pure-FTPd's de-facto command), removing a
//! directory (RMD, RFC 959 §4.1.3) and asking the server for a file's digest (HASH,
//! draft-bryan-ftpext-hash-02; XMD5, the older de-facto command), plus the FEAT words that announce them.
//!
//! The session only sends the commands and parses the replies; deciding when to use them (and what to do
//! without them) is `ops::ftp::sync`'s job.

use std::time::SystemTime;

use super::{Session, list, refused};
use crate::error::{Error, Result};
use crate::pingpong::{Command, Wire};

/// The mirroring extensions FEAT announced.
#[derive(Debug, Clone, Default)]
pub struct SyncFeatures {
    /// MFMT (draft-somers-ftp-mfxx-04 §3).
    pub mfmt: bool,
    /// SITE UTIME (announced as `SITE UTIME` or in a `SITE` list).
    pub site_utime: bool,
    /// HASH with MD5 among its algorithms (draft-bryan-ftpext-hash-02 §3).
    pub hash_md5: bool,
    /// XMD5.
    pub xmd5: bool,
}

impl SyncFeatures {
    /// Notes one FEAT line's feature `name` (upper case) with its argument `arg` (upper case).
    pub fn note(&mut self, name: &str, arg: &str) {
        match name {
            "MFMT" => self.mfmt = true,
            "SITE" => self.site_utime |= arg.split([' ', ';', ',']).any(|w| w == "UTIME"),
            "HASH" => {
                self.hash_md5 |= arg
                    .split(';')
                    .any(|a| a.trim().trim_end_matches('*') == "MD5")
            }
            "XMD5" => self.xmd5 = true,
            _ => {}
        }
    }

    /// Whether the server can set a file's modification time.
    pub fn can_set_time(&self) -> bool {
        self.mfmt || self.site_utime
    }

    /// Whether the server can give a file's MD5.
    pub fn can_hash(&self) -> bool {
        self.hash_md5 || self.xmd5
    }
}

/// `YYYYMMDDHHMMSS` (RFC 3659 §2.3 time-val, UTC, whole seconds).
pub fn time_val(t: SystemTime) -> String {
    let iso = list::iso8601(t);
    iso.chars().filter(char::is_ascii_digit).collect()
}

impl<S: Wire> Session<S> {
    /// MFMT (draft-somers-ftp-mfxx-04 §3): sets `path`'s modification time; 213.
    pub fn mfmt(&mut self, t: SystemTime, path: &str) -> Result<()> {
        self.require(
            Command::with("MFMT", format!("{} {path}", time_val(t))),
            &[213, 200, 250],
        )?;
        Ok(())
    }

    /// SITE UTIME (ProFTPD mod_site_misc, two-argument form): sets `path`'s modification time.
    pub fn site_utime(&mut self, t: SystemTime, path: &str) -> Result<()> {
        self.require(
            Command::with("SITE", format!("UTIME {} {path}", time_val(t))),
            &[200, 213, 250],
        )?;
        Ok(())
    }

    /// Sets `path`'s modification time with whichever command FEAT offered (MFMT first); `Ok(false)` when
    /// the server offered neither.
    pub fn set_mtime(&mut self, t: SystemTime, path: &str) -> Result<bool> {
        if self.features.sync.mfmt {
            self.mfmt(t, path)?;
        } else if self.features.sync.site_utime {
            self.site_utime(t, path)?;
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// The MD5 of the whole of `path` in lower-case hex: HASH after `OPTS HASH MD5`
    /// (draft-bryan-ftpext-hash-02 §3-4: `213 MD5 0-N HEX NAME`), else XMD5 (`250 HEX` or `251 HEX`).
    /// `None` when the server offers neither or refuses (5xx).
    pub fn md5(&mut self, path: &str) -> Result<Option<String>> {
        let r = if self.features.sync.hash_md5 {
            let opts = self.cmd(Command::with("OPTS", "HASH MD5"))?;
            if opts.code != 200 {
                return Ok(None);
            }
            self.cmd(Command::with("HASH", path))?
        } else if self.features.sync.xmd5 {
            self.cmd(Command::with("XMD5", path))?
        } else {
            return Ok(None);
        };
        digest(&r, path)
    }

    /// The MD5 of bytes `start..end` of `path` in lower-case hex: XMD5 with a range (`XMD5 path start
    /// end`, end excluded: ProFTPD's mod_digest, Serv-U). `None` when the server offers no XMD5, when
    /// `path` holds whitespace (the range would read as part of the name), or when it refuses (5xx). A
    /// server that ignores the range answers the whole file's digest, which can only differ.
    pub fn md5_range(&mut self, path: &str, start: u64, end: u64) -> Result<Option<String>> {
        if !self.features.sync.xmd5 || start >= end || path.contains(char::is_whitespace) {
            return Ok(None);
        }
        let r = self.cmd(Command::with("XMD5", format!("{path} {start} {end}")))?;
        digest(&r, path)
    }
}

/// The hex digest in a HASH (`213 MD5 0-N HEX NAME`) or XMD5 (`250 HEX`, `251 HEX`) reply, read from its
/// last line (ProFTPD answers `213-Computing MD5 digest` first); `None` for a refusal (5xx).
fn digest(r: &crate::pingpong::CodedReply, path: &str) -> Result<Option<String>> {
    let hex = match r.code {
        213 => r.last().split_whitespace().nth(2),
        250 | 251 => r.last().split_whitespace().next(),
        500..=599 => return Ok(None),
        _ => return Err(refused(r, &format!("digest of {path}"))),
    };
    match hex {
        Some(h) if h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(Some(h.to_ascii_lowercase()))
        }
        _ => Err(Error::protocol(format!(
            "malformed digest reply: {}",
            crate::terminal::escape(&r.text())
        ))),
    }
}
