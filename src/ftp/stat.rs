//! Listing a directory on the control connection: STAT with a pathname (RFC 959 §4.1.3) answers with
//! the lines LIST would send, in one multi-line reply, without the data connection (no EPSV, no
//! connect, no 150/226), which is most of what listing a small directory costs.
//!
//! The danger is a file name holding a line break: the server copies it into its reply, and a name
//! such as `x\r\n213 End` would end the reply early and leave the rest of the listing to be read as the
//! replies to later commands. So every STAT listing is followed, pipelined, by `REST n` with a random
//! `n` and `REST 0` (RFC 3659 §5): servers echo the number, which no file name can know, so reading the
//! echo right after the listing proves the listing ended where the server ended it; `REST 0` clears the
//! offset again. A server that does not echo REST ([`Session::rest_echoes`], asked first, with nothing
//! a file name could forge) never gets a STAT listing. Whether a server's STAT lists what its LIST
//! lists is the caller's check (`ops::ftp::walk` compares the two on the root of a walk).

use super::{Session, list};
use crate::error::{Error, Result};
use crate::pingpong::{Command, Wire};

/// The most bytes one STAT listing may take (about 250 000 entries); a longer one is an error.
pub const STAT_LISTING_CAP: usize = 16 * 1024 * 1024;

impl<S: Wire> Session<S> {
    /// REST (RFC 3659 §5) with a random offset, then `REST 0`: whether the server echoes the offset
    /// (vsftpd: `350 Restart position accepted (n).`), which [`Session::stat_list`] relies on. Both
    /// replies must be 350; any other leaves the answer no.
    pub fn rest_echoes(&mut self) -> Result<bool> {
        let nonce = nonce();
        self.send_pipelined(&[Command::with("REST", &nonce), Command::with("REST", "0")])?;
        let echo = self.pp.read_reply()?;
        let zero = self.pp.read_reply()?;
        Ok(echo.code == 350 && echoes(&echo.text(), &nonce) && zero.code == 350)
    }

    /// STAT `-a path` (RFC 959 §4.1.3; `-a` as [`Session::list_dir_all`] asks LIST), guarded by a REST
    /// echo (see the module header): the entries of the listing, or `None` when the reply is no
    /// multi-line 211-213 (refused, or a status line instead of a listing: LIST is the way then). A
    /// missing echo is a protocol error (the control connection is out of step and must be dropped).
    pub fn stat_list(&mut self, path: &str) -> Result<Option<Vec<list::Entry>>> {
        self.stat_list_many(&[path])
            .pop()
            .unwrap_or_else(|| Err(Error::protocol("no STAT reply")))
    }

    /// [`Session::stat_list`] of every path in `paths`, pipelined: every STAT and its guard go out in
    /// one write, and the replies are read in order. The answers come back in path order and stop
    /// after the first error (the session is out of step then: the paths after it have no answer).
    /// All the listings of one call together take at most [`STAT_LISTING_CAP`] bytes.
    pub fn stat_list_many(&mut self, paths: &[&str]) -> Vec<Result<Option<Vec<list::Entry>>>> {
        let nonces: Vec<String> = paths.iter().map(|_| nonce()).collect();
        let mut cmds = Vec::with_capacity(paths.len().saturating_mul(3));
        for (path, nonce) in paths.iter().zip(&nonces) {
            let arg = if path.is_empty() {
                "-a".to_string()
            } else {
                format!("-a {}", super::list_arg(path))
            };
            cmds.push(Command::with("STAT", arg));
            cmds.push(Command::with("REST", nonce));
            cmds.push(Command::with("REST", "0"));
        }
        if let Err(e) = self.send_pipelined(&cmds) {
            return vec![Err(e)];
        }
        let mut budget = STAT_LISTING_CAP;
        let mut out = Vec::with_capacity(paths.len());
        for (path, nonce) in paths.iter().zip(&nonces) {
            let r = self.read_stat_listing(path, nonce, &mut budget);
            let failed = r.is_err();
            out.push(r);
            if failed {
                break;
            }
        }
        out
    }

    /// Reads one STAT listing and its REST guard; `budget` is what the call's listings may still take.
    fn read_stat_listing(
        &mut self,
        path: &str,
        nonce: &str,
        budget: &mut usize,
    ) -> Result<Option<Vec<list::Entry>>> {
        let listing = self.pp.read_long_reply(*budget)?;
        let size = listing
            .lines
            .iter()
            .fold(0usize, |n, l| n.saturating_add(l.len()).saturating_add(2));
        *budget = budget.saturating_sub(size);
        let echo = self.pp.read_reply()?;
        if echo.code != 350 || !echoes(&echo.text(), nonce) {
            return Err(Error::protocol(format!(
                "the listing of {} by STAT did not end where the server ended it (a name with a line \
                 break?)",
                crate::terminal::escape(path)
            )));
        }
        let zero = self.pp.read_reply()?;
        if zero.code != 350 {
            return Err(super::refused(&zero, "REST 0"));
        }
        if !(211..=213).contains(&listing.code) || listing.lines.len() < 2 {
            return Ok(None);
        }
        let body = &listing.lines[1..listing.lines.len() - 1];
        let prefix = format!("{}-", listing.code);
        let all: Vec<list::Entry> = body
            .iter()
            .filter_map(|l| {
                let l = l.strip_prefix(prefix.as_str()).unwrap_or(l);
                list::parse_list_any(l.strip_prefix(' ').unwrap_or(l))
            })
            .collect();
        // The directory's own line (it may not be read): LIST, asked next, says so.
        if list::lists_own_line(path, &all) {
            return Ok(None);
        }
        Ok(Some(
            all.into_iter().filter(|e| !list::is_dot(&e.name)).collect(),
        ))
    }
}

/// A random REST offset: below 2^31, as servers with a 32-bit offset (or vsftpd, which reads a
/// larger one as 0) would not echo it otherwise.
fn nonce() -> String {
    fastrand::u32(1_000_000..i32::MAX as u32).to_string()
}

/// Whether `text` holds `nonce` as a whole number (not inside a longer run of digits).
fn echoes(text: &str, nonce: &str) -> bool {
    text.split(|c: char| !c.is_ascii_digit())
        .any(|w| w == nonce)
}

#[cfg(test)]
mod tests {
    use super::echoes;

    #[test]
    fn an_echo_is_the_whole_number() {
        assert!(echoes("Restart position accepted (123).", "123"));
        assert!(echoes("Restarting at 123. Send STORE", "123"));
        assert!(!echoes("Restart position accepted (1234).", "123"));
        assert!(!echoes("Restart position accepted.", "123"));
    }
}
