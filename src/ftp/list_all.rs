//! `LIST -a`: listings with the dotfiles vsftpd's plain LIST hides, and telling a directory's contents
//! from the directory's own line.
//!
//! vsftpd answers LIST, `LIST -a`, STAT and NLST of a directory it may not read with that directory's
//! own line (as `ls -d` would), indistinguishable in a plain listing from a directory holding one
//! subdirectory of its own name. With `-a`, contents have `.` ([`list::lists_own_line`]); so a plain
//! listing (LIST or NLST, no `.` to tell by) that holds only the path's own name is asked once more
//! with `-a` ([`Session::lists_itself`]) before it counts as contents. Servers with MLSD refuse such a
//! directory outright (550) and are never asked twice.

use super::{Session, list};
use crate::error::{Error, ErrorKind, Result};
use crate::pingpong::Wire;

impl<S: Wire> Session<S> {
    /// Lists `path` with hidden (dot) files: MLSD when FEAT offered MLST (it never hides them), else
    /// `LIST -a` (vsftpd's plain LIST hides dotfiles), falling back to plain LIST when `-a` is refused.
    /// A directory listed as its own line is an error ([`not_listable`]).
    pub fn list_dir_all(&mut self, path: &str) -> Result<Vec<list::Entry>> {
        if self.features.mlst {
            return self.list_dir(path);
        }
        match self.list_a(path) {
            Ok(all) => {
                if list::lists_own_line(path, &all) {
                    return Err(not_listable(path));
                }
                self.cdir_modified = all
                    .iter()
                    .find(|e| e.name == ".")
                    .and_then(|e| e.modified.clone());
                Ok(all.into_iter().filter(|e| !list::is_dot(&e.name)).collect())
            }
            Err(e) if e.kind() == ErrorKind::Permanent => self.list_plain(path),
            Err(e) => Err(e),
        }
    }

    /// Whether the server lists the directory `path` as its own line rather than its contents, asked
    /// with `LIST -a` (see the module header): a plain listing holding only the path's own name is
    /// checked this way. No when `-a` is refused (nothing tells the two apart then: the plain
    /// listing stands, as before this check) or the server has MLSD.
    pub fn lists_itself(&mut self, path: &str) -> Result<bool> {
        if self.features.mlst {
            return Ok(false);
        }
        match self.list_a(path) {
            Ok(all) => Ok(list::lists_own_line(path, &all)),
            Err(e) if e.kind() == ErrorKind::Permanent => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `LIST -a path` (RFC 959 §4.1.3 with ls's `-a`), parsed, `.` and `..` included.
    fn list_a(&mut self, path: &str) -> Result<Vec<list::Entry>> {
        let arg = if path.is_empty() {
            "-a".to_string()
        } else {
            format!("-a {}", super::list_arg(path))
        };
        let lines = self.listing_with("LIST", &arg)?;
        Ok(lines
            .iter()
            .filter_map(|l| list::parse_list_any(l))
            .collect())
    }
}

/// Whether `e` is the server refusing a listing command (a 5xx reply), after which another command
/// (NLST for LIST, LIST for NLST) may still list the path; not so a listing judged unusable
/// ([`not_listable`]), which the other command would only repeat.
pub fn refused(e: &Error) -> bool {
    e.kind() == ErrorKind::Permanent && e.reply_code().is_some()
}

/// The error for a directory whose listing was its own line ([`list::lists_own_line`]).
pub fn not_listable(path: &str) -> Error {
    Error::new(
        ErrorKind::Permanent,
        format!(
            "cannot list {}: the server lists the directory itself, not what it holds (no permission \
             to read it?)",
            crate::terminal::escape(path)
        ),
    )
}
