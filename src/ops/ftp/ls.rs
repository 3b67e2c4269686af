//! `ftp-ls`: list a remote directory — names, long format, recursive, JSON.
//!
//! MLSD when FEAT offered MLST, else LIST parsed (Unix and DOS formats), else NLST names. Recursion follows
//! directories only (never symlinks), skips names that could not be a single path component, and stops at
//! depth 64, reporting what it did not enter (exit 10). A tree of more than a million entries or 256 MiB
//! of paths is an error (exit 9), as for the other tools' walks ([`Totals`]): every entry is kept until
//! the end (sorted output, `--json`), and a server listing a directory inside itself would otherwise
//! fill memory.

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::ftp::list::{Entry, Kind};
use crate::ftp::{DataMode, RemotePath, Session, list_all};
use crate::ops::Outcome;
use crate::ops::common::{NetOptions, Ui};
use crate::ops::ftp::connect::FtpConnector;
use crate::ops::ftp::walk::Totals;
use crate::ops::ftp::walk::{mark_loops, safe_remote_name};
use crate::terminal::escape;
use crate::url::Target;

/// The deepest `-R` goes.
pub const MAX_DEPTH: usize = 64;

/// What ftp-ls does, as plain values.
#[derive(Debug, Clone)]
pub struct Options {
    /// The directory to list.
    pub target: Target,
    /// `-l`: type, permissions, size, time, name.
    pub long: bool,
    /// `-R`: recurse into subdirectories.
    pub recursive: bool,
    /// `-a`: dotfiles on every server (MLSD or `LIST -a`).
    pub all: bool,
    /// `--active` / `--no-epsv`.
    pub mode: DataMode,
    /// `--limit-rate`: the listings' bytes per second.
    pub limit: Option<std::sync::Arc<crate::ratelimit::RateLimit>>,
    /// Connection, TLS, credentials (`--retries` is not used: a listing is opened once).
    pub net: NetOptions,
}

/// One listed entry with its path relative to the URL's directory.
#[derive(Debug, Serialize)]
pub struct Listed {
    /// Path relative to the listed directory (the name itself without `-R`).
    pub path: String,
    /// The entry.
    #[serde(flatten)]
    pub entry: Entry,
}

/// Runs ftp-ls.
pub fn run(opts: &Options, ui: &Ui) -> Result<Outcome> {
    let conn =
        FtpConnector::new(opts.target.clone(), &opts.net, opts.mode)?.limited(opts.limit.clone());
    let mut session = conn.open_once()?;
    let root = RemotePath::dir(&opts.target.path);
    let mut out = Vec::new();
    let mut problems = 0usize;
    let totals = Totals::default();
    let listed = list_into(
        opts,
        ui,
        &mut session,
        (&root, "", 0, &[]),
        &mut out,
        &totals,
        &mut problems,
    );
    // A refusal leaves the session usable: it is ended politely either way.
    match &listed {
        Err(e) if crate::ops::ftp::pool::session_may_be_broken(e) => {}
        _ => session.quit(),
    }
    listed?;
    if ui.json() {
        ui.print_json(&serde_json::json!({ "url": opts.target.display(), "entries": out }))?;
    } else {
        print_human(opts, &out)?;
    }
    Ok(Outcome::from_failures(problems))
}

/// Lists `remote` (at `rel` below the root, `depth` levels down; `chain` the MLSD `unique` facts of the
/// directories above it) into `out`, and with `-R` what is below it.
fn list_into(
    opts: &Options,
    ui: &Ui,
    s: &mut Session,
    (remote, rel, depth, chain): (&RemotePath, &str, usize, &[String]),
    out: &mut Vec<Listed>,
    totals: &Totals,
    problems: &mut usize,
) -> Result<()> {
    let mut entries = if opts.all {
        dedup(s.list_dir_all(remote.as_str())?)
    } else if names_only(opts, ui) {
        names(s, remote.as_str())?
    } else {
        list_dir(s, remote.as_str())?
    };
    let mut chain = chain.to_vec();
    chain.extend(s.take_cdir_unique());
    // vsftpd answers LIST of a missing directory with an empty 226: an empty root is probed (defect 6
    // of issue 13), so a typo is exit 6, not silence.
    if depth == 0 && entries.is_empty() && !s.is_dir(remote.as_str())? {
        return Err(Error::new(
            crate::ErrorKind::Permanent,
            format!("{}: no such directory", opts.target.display()),
        ));
    }
    // Counted as listed, not as printed: the listings of the directories above this one are still
    // held, their entries not yet in `out`.
    totals.charge(rel, &entries)?;
    mark_loops(&mut entries, &chain);
    for entry in entries {
        let path = if rel.is_empty() {
            entry.name.clone()
        } else {
            format!("{rel}/{}", entry.name)
        };
        let recurse = opts.recursive && entry.kind == Kind::Dir;
        let name = entry.name.clone();
        let mut below = chain.clone();
        below.extend(entry.unique.clone());
        out.push(Listed {
            path: path.clone(),
            entry,
        });
        if !recurse {
            continue;
        }
        if let Err(why) = safe_remote_name(&name) {
            ui.warn(&format!("not entering {}: {why}", escape(&path)));
            *problems += 1;
            continue;
        }
        if depth + 1 >= MAX_DEPTH {
            ui.warn(&format!(
                "not entering {}: deeper than {MAX_DEPTH} levels",
                escape(&path)
            ));
            *problems += 1;
            continue;
        }
        let sub = remote.join(&name);
        let at = (&sub, path.as_str(), depth + 1, below.as_slice());
        if let Err(e) = list_into(opts, ui, s, at, out, totals, problems) {
            if !e.kind().is_transient() || e.kind() == crate::ErrorKind::Transient {
                ui.error(&e.within(escape(&path)));
                *problems += 1;
            } else {
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Whether only names are printed (no `-l`, `-R` or `--json`): then NLST says all that is needed, and is
/// smaller to send, read and parse than LIST or MLSD (issue 19).
fn names_only(opts: &Options, ui: &Ui) -> bool {
    !opts.long && !opts.recursive && !ui.json()
}

/// The names in `path` by NLST; the full listing ([`list_dir`]) when NLST is refused (5xx: some servers
/// answer an empty NLST with 550). An empty root is probed by the caller as before.
fn names(s: &mut Session, path: &str) -> Result<Vec<Entry>> {
    match s.nlst(path) {
        Ok(names) => Ok(name_entries(names)),
        Err(e) if list_all::refused(&e) => list_dir(s, path),
        Err(e) => Err(e),
    }
}

/// MLSD/LIST, falling back to NLST when LIST is refused or yields nothing parseable. A name listed twice
/// counts once (the first entry wins): a server repeating an entry must not make `-R` or a glob fetch it
/// again and again (defect 16 of issue 13).
pub fn list_dir(s: &mut Session, path: &str) -> Result<Vec<Entry>> {
    let mlsd = s.features.mlst;
    match s.list_dir(path) {
        Ok(entries) if mlsd || !entries.is_empty() => return Ok(dedup(entries)),
        Ok(_) => {}
        Err(e) if mlsd || !list_all::refused(&e) => return Err(e),
        Err(_) => {}
    }
    Ok(name_entries(s.nlst(path)?))
}

/// The entries of `path` among which `name` (a name or a glob's last segment) is looked for: the
/// usual listing ([`list_dir`]), or `LIST -a` when `name` starts with a dot. Only such a name or
/// pattern can be a dotfile (a glob matches a leading dot literally), and vsftpd's plain LIST hides
/// dotfiles.
pub fn list_for(s: &mut Session, path: &str, name: &str) -> Result<Vec<Entry>> {
    if name.starts_with('.') {
        return Ok(dedup(s.list_dir_all(path)?));
    }
    list_dir(s, path)
}

/// NLST's bare names as entries of unknown kind, each name once.
fn name_entries(names: Vec<String>) -> Vec<Entry> {
    dedup(
        names
            .into_iter()
            .map(|name| Entry {
                name,
                kind: Kind::Other,
                size: None,
                modified: None,
                perm: None,
                mode: None,
                target: None,
                unique: None,
            })
            .collect(),
    )
}

/// Keeps the first entry of each name, in listing order.
pub fn dedup(entries: Vec<Entry>) -> Vec<Entry> {
    let mut seen = std::collections::HashSet::with_capacity(entries.len());
    entries
        .into_iter()
        .filter(|e| seen.insert(e.name.clone()))
        .collect()
}

fn print_human(opts: &Options, list: &[Listed]) -> Result<()> {
    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
    for l in list {
        let e = &l.entry;
        let line = if opts.long {
            let t = match e.kind {
                Kind::File => '-',
                Kind::Dir => 'd',
                Kind::Link => 'l',
                Kind::Other => '?',
            };
            let size = e.size.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
            let modified = e.modified.as_deref().unwrap_or("-");
            // The Unix mode when the server gave one (MLSD's UNIX.mode, LIST), else MLSD's perm facts;
            // escaped, as every byte from the server is.
            let perm = match e.mode {
                Some(m) => crate::ftp::list::rwx(m),
                None => escape(e.perm.as_deref().unwrap_or("-")).into_owned(),
            };
            let target = e
                .target
                .as_ref()
                .map(|t| format!(" -> {}", escape(t)))
                .unwrap_or_default();
            format!(
                "{t} {perm:<10} {size:>12} {modified:<20} {}{target}\n",
                escape(&l.path)
            )
        } else {
            format!("{}\n", escape(&l.path))
        };
        w.write_all(line.as_bytes())
            .map_err(|e| Error::local("stdout", e))?;
    }
    w.flush().map_err(|e| Error::local("stdout", e))
}
