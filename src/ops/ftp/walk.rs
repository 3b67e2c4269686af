//! Tree walkers shared by the FTP tools: a remote directory (its subdirectories shared out over the
//! run's sessions; MLSD or `LIST -a` so dotfiles are seen) or a local one, each into a flat list of
//! [`Node`]s with paths relative to the root, parents before their children, names sorted within a
//! directory.
//!
//! A server without MLSD whose `STAT -a` lists the root exactly as `LIST -a` did, and which echoes REST
//! (the guard of every STAT listing, see [`crate::ftp::stat`]), has the rest of the tree listed by STAT
//! on the control connection: no data connection per directory, and up to [`STAT_BATCH`] directories
//! asked in one pipelined write (a batch is also the unit the run's sessions share out).
//!
//! Neither walker follows symlinks (they are listed as [`Kind::Link`], as is a remote directory whose MLSD
//! `unique` fact is its own or an ancestor's: a link the server lists as a directory); both stop at
//! [`MAX_DEPTH`] levels
//! and [`MAX_ENTRIES`] entries, and a remote walk at [`MAX_PATH_BYTES`] bytes of paths (a server's names
//! may be 64 KiB each: a million of them would hold 64 GiB). A name that cannot be one path component
//! (`/`, `..`, control characters, not UTF-8 locally) or that the server did not send as UTF-8
//! ([`safe_remote_name`]) is never entered nor listed as a node: it becomes a [`Problem`], as does a
//! subdirectory whose listing failed, so a caller can refuse to delete anything after an incomplete walk.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::SystemTime;

use crate::error::{Error, ErrorKind, Result};
use crate::ftp::RemotePath;
use crate::ftp::list::{self, Entry, Kind};
use crate::ops::ftp::pool::{Worker, drain_stack};
use crate::terminal::escape;

/// The deepest a walk goes.
pub const MAX_DEPTH: usize = 64;
/// The most entries one walk may list.
pub const MAX_ENTRIES: usize = 1_000_000;
/// The most bytes the relative paths of one remote walk may take in all.
pub const MAX_PATH_BYTES: usize = 256 * 1024 * 1024;

/// One entry of a walked tree.
#[derive(Debug, Clone)]
pub struct Node {
    /// The path relative to the root, `/`-separated.
    pub rel: String,
    /// File, directory, symlink or other.
    pub kind: Kind,
    /// Size in bytes, when known.
    pub size: Option<u64>,
    /// Modification time, when known.
    pub mtime: Option<SystemTime>,
    /// Whether `mtime` is exact to the second (MLSD, local files), not a LIST date.
    pub exact_time: bool,
    /// The permission bits (`0o7777` at most), when the listing or the file system gives them.
    pub mode: Option<u32>,
}

/// Something a walk could not list or would not enter.
#[derive(Debug)]
pub struct Problem {
    /// The relative path concerned.
    pub rel: String,
    /// Why.
    pub error: Error,
    /// Whether the path is known to exist in the tree but was not read (a failed listing), as opposed to
    /// a name refused by design (unsafe, too deep).
    pub unread: bool,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walked {
    /// Every entry, parents first.
    pub nodes: Vec<Node>,
    /// Names refused and listings that failed.
    pub problems: Vec<Problem>,
    /// The root directory's own time, when its listing gave it (MLSD's `type=cdir` line, `LIST -a`'s
    /// `.`; a remote walk only).
    pub root_mtime: Option<SystemTime>,
}

impl Walked {
    /// Whether some part of the tree could not be read (deleting by comparison with it is unsafe).
    pub fn incomplete(&self) -> bool {
        self.problems.iter().any(|p| p.unread)
    }
}

/// A listing entry's time: MLSD's `modify` is exact, LIST's date is not.
fn entry_time(e: &Entry) -> Option<SystemTime> {
    crate::ftp::list::parse_time_val(&digits(e.modified.as_deref()?))
}

/// The digits of an [`Entry::modified`] (`YYYY-MM-DDTHH:MM:SSZ`): a `time-val` (RFC 3659 §2.3).
fn digits(modified: &str) -> String {
    modified.chars().filter(char::is_ascii_digit).collect()
}

/// The walks' order of relative paths: by component, names compared bytewise, so a directory comes
/// right before what it holds (`a`, `a/b`, `a-c`). The same as comparing `split('/')`s, as `/` is
/// below every byte a name may hold, without splitting: the first differing byte decides, a `/`
/// there counting lowest and the end of a path lower still.
pub fn tree_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let same = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let at = |s: &[u8]| {
        s.get(same)
            .map(|&c| if c == b'/' { 0 } else { u16::from(c) + 1 })
    };
    at(a).cmp(&at(b))
}

fn join(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_string()
    } else {
        format!("{rel}/{name}")
    }
}

/// Marks as symlinks the directories of one listing that loop back up the tree: their MLSD `unique`
/// fact is in `chain` (those of the directory listed and its ancestors), so each is a link the server
/// lists as a directory. Every remote walker (the mirror's, `ftp-ls -R`, `ftp-rm -r`) calls it on each
/// listing. A `unique` value that two entries of the listing share proves nothing (RFC 3659 §7.5.2 says
/// no two objects have one; a server that gives every entry the same value would otherwise have every
/// directory taken for a loop).
pub fn mark_loops(entries: &mut [Entry], chain: &[String]) {
    if chain.is_empty() || entries.iter().all(|e| e.unique.is_none()) {
        return;
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for u in entries.iter().filter_map(|e| e.unique.as_deref()) {
        *seen.entry(u).or_default() += 1;
    }
    let looping: Vec<bool> = entries
        .iter()
        .map(|e| {
            e.kind == Kind::Dir
                && e.unique
                    .as_deref()
                    .is_some_and(|u| seen.get(u) == Some(&1) && chain.iter().any(|c| c == u))
        })
        .collect();
    for (e, looping) in entries.iter_mut().zip(looping) {
        if looping {
            e.kind = Kind::Link;
        }
    }
}

/// Checks a name from a listing before it becomes a local path component or is sent back to the
/// server: not empty, `.` or `..`, no `/`, no control characters, and valid UTF-8 as the server sent
/// it. A listing's names are made UTF-8 lossily (each bad byte becomes U+FFFD, see
/// [`crate::ftp::list`]), so RETR, DELE or LIST of such a name would name another file than the one
/// listed, or none. A backslash is an ordinary character, as it is on the Unix servers that list one
/// and in the local tree (Windows servers cannot list one in a name): refusing it left such a file
/// failing every night one way and uploaded again every night the other.
pub fn safe_remote_name(name: &str) -> std::result::Result<(), &'static str> {
    if name.is_empty() || name == "." || name == ".." {
        return Err("empty, '.' or '..'");
    }
    if name.contains('/') {
        return Err("contains a path separator");
    }
    if name.chars().any(char::is_control) {
        return Err("contains control characters");
    }
    if name.contains(char::REPLACEMENT_CHARACTER) {
        return Err("not valid UTF-8 (it could not be sent back as listed)");
    }
    Ok(())
}

/// A remote walk's running totals, shared by its sessions (and `ftp-ls -R`'s).
#[derive(Default)]
pub(crate) struct Totals {
    entries: AtomicUsize,
    bytes: AtomicUsize,
}

impl Totals {
    /// Counts one directory's `entries` (listed in `rel`): an error once the walk has more than
    /// [`MAX_ENTRIES`] entries or its paths more than [`MAX_PATH_BYTES`] bytes.
    pub(crate) fn charge(&self, rel: &str, entries: &[Entry]) -> Result<()> {
        let n = entries.len();
        if self
            .entries
            .fetch_add(n, Ordering::Relaxed)
            .saturating_add(n)
            > MAX_ENTRIES
        {
            return Err(Error::protocol(format!(
                "the tree has more than {MAX_ENTRIES} entries"
            )));
        }
        let bytes = entries.iter().fold(0usize, |b, e| {
            b.saturating_add(rel.len().saturating_add(1).saturating_add(e.name.len()))
        });
        if self
            .bytes
            .fetch_add(bytes, Ordering::Relaxed)
            .saturating_add(bytes)
            > MAX_PATH_BYTES
        {
            return Err(Error::protocol(format!(
                "the tree's paths take more than {} MiB",
                MAX_PATH_BYTES >> 20
            )));
        }
        Ok(())
    }
}

/// One directory's share of a remote walk.
#[derive(Default)]
struct Listed {
    nodes: Vec<Node>,
    problems: Vec<Problem>,
    /// The subdirectories to walk (remote path, relative path, MLSD `unique` fact), in name order.
    subdirs: Vec<(RemotePath, String, Option<String>)>,
}

/// The MLSD `unique` facts of a directory and its ancestors, as far as known.
type Chain = Arc<Vec<String>>;

/// A directory still to list: its path, its path relative to the root, its depth, its [`Chain`].
type Dir = (RemotePath, String, usize, Chain);

/// `parent`'s chain with a child's `unique` fact (the same chain when the child has none).
fn chain_with(parent: &Chain, unique: &Option<String>) -> Chain {
    match unique {
        Some(u) => {
            let mut v = Vec::with_capacity(parent.len() + 1);
            v.extend(parent.iter().cloned());
            v.push(u.clone());
            Arc::new(v)
        }
        None => Arc::clone(parent),
    }
}

/// Walks the remote directory `root`. `enter(rel)` says whether to descend into a directory (filters).
/// The root's own listing failing, or the root not existing (an empty listing of a path that is not a
/// directory: vsftpd lists a missing directory as empty), is the walk's error.
///
/// The root is listed on `w`; its subdirectories are listed by whichever of `w` and its spare
/// sessions ([`crate::ops::ftp::spares`]) is free, and the results are put together in the order one
/// session listing depth-first would have produced.
pub fn walk_remote(
    w: &mut Worker,
    root: &RemotePath,
    enter: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Walked> {
    let count = Totals::default();
    let stat = AtomicBool::new(false);
    let entries = fetch(w, root.as_str(), &stat)?;
    if lists_a_file(w, root, &entries)? {
        return Err(Error::new(
            ErrorKind::Permanent,
            format!("{}: a file, not a directory", escape(root.as_str())),
        ));
    }
    let root_unique = w.session()?.take_cdir_unique();
    let root_mtime = w
        .session()?
        .take_cdir_modified()
        .and_then(|m| crate::ftp::list::parse_time_val(&digits(&m)));
    let top_dir = (
        root.clone(),
        String::new(),
        0,
        chain_with(&Chain::default(), &root_unique),
    );
    if entries.iter().any(|e| e.kind == Kind::Dir) && !w.session()?.features.mlst {
        stat.store(
            stat_lists_alike(w, root.as_str(), &entries),
            Ordering::Relaxed,
        );
    }
    let top = to_listed(w, &top_dir, entries, enter, &count)?;
    let sessions = w.sessions();
    let start = batches(
        top.subdirs
            .iter()
            .map(|(d, rel, u)| (d.clone(), rel.clone(), 1, chain_with(&top_dir.3, u)))
            .collect(),
        stat.load(Ordering::Relaxed),
        sessions,
    );
    let listed = drain_stack(w, start, |w, batch| {
        let ls = list_dirs(w, batch, enter, &count, &stat)?;
        let found = batch
            .iter()
            .zip(&ls)
            .flat_map(|(dir, l)| {
                l.subdirs
                    .iter()
                    .map(|(d, rel, u)| (d.clone(), rel.clone(), dir.2 + 1, chain_with(&dir.3, u)))
            })
            .collect();
        Ok((ls, batches(found, stat.load(Ordering::Relaxed), sessions)))
    })?;
    let listed = listed
        .into_iter()
        .flat_map(|(batch, ls)| batch.into_iter().map(|d| d.1).zip(ls));
    let mut by_rel: HashMap<String, Listed> = listed.collect();
    let mut out = Walked {
        root_mtime,
        ..Walked::default()
    };
    // Depth-first, in name order, as one session would have listed it.
    let mut stack = vec![top];
    while let Some(l) = stack.pop() {
        out.nodes.extend(l.nodes);
        out.problems.extend(l.problems);
        stack.extend(
            l.subdirs
                .iter()
                .rev()
                .filter_map(|(_, rel, _)| by_rel.remove(rel)),
        );
    }
    // Children were appended after all of their parent's siblings; put every directory's subtree right
    // after it so parents always come first and the order is a stable pre-order.
    out.nodes.sort_by(|a, b| tree_order(&a.rel, &b.rel));
    Ok(out)
}

/// Whether `root` is a file its LIST listed as itself: a LIST server (vsftpd) answers `LIST path` of a
/// file with that file's line, which a walk would take for a directory holding one file of its own
/// name (and RETR, DELE `path/name`). Such a listing is checked with SIZE, which servers answer for
/// files only (a directory that does hold one file of its name stays a directory). MLSD refuses a
/// file, so an MLSD listing needs no check.
fn lists_a_file(w: &mut Worker, root: &RemotePath, entries: &[Entry]) -> Result<bool> {
    if entries.iter().any(|e| e.kind == Kind::Dir)
        || !list::only_own_name(root.as_str(), entries.iter().map(|e| e.name.as_str()))
    {
        return Ok(false);
    }
    let s = w.session()?;
    if s.features.mlst {
        return Ok(false);
    }
    Ok(s.size(root.as_str().trim_end_matches('/'))?.is_some())
}

/// One directory's entries: by STAT on the control connection once the walk has seen that the server's
/// STAT lists what its LIST lists (`stat`, see [`stat_lists_alike`]), else by MLSD or `LIST -a`.
fn fetch(w: &mut Worker, dir: &str, stat: &AtomicBool) -> Result<Vec<Entry>> {
    fetch_many(w, &[dir], stat)
        .pop()
        .unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "no listing")))
}

/// The entries of each of `dirs`, in order: with STAT, all asked in one pipelined write
/// ([`crate::ftp::Session::stat_list_many`]). A STAT that fails drops the session (it may be out of
/// step) and turns STAT off for the rest of the walk; that directory and the ones after it in the batch
/// (never answered) are listed again the usual way, as is one whose STAT gave no listing.
fn fetch_many(w: &mut Worker, dirs: &[&str], stat: &AtomicBool) -> Vec<Result<Vec<Entry>>> {
    let mut by_stat: Vec<Option<Vec<Entry>>> = Vec::new();
    if stat.load(Ordering::Relaxed)
        && let Ok(s) = w.session()
    {
        for r in s.stat_list_many(dirs) {
            match r {
                Ok(listing) => by_stat.push(listing.map(crate::ops::ftp::ls::dedup)),
                Err(e) => {
                    w.failed(&Error::protocol(e.to_string()));
                    stat.store(false, Ordering::Relaxed);
                }
            }
        }
    }
    by_stat.resize_with(dirs.len(), || None);
    dirs.iter()
        .zip(by_stat)
        .map(|(dir, listed)| match listed {
            Some(entries) => Ok(entries),
            None => w
                .session()
                .and_then(|s| s.list_dir_all(dir))
                .map(crate::ops::ftp::ls::dedup),
        })
        .collect()
}

/// The most directories listed by one pipelined write of STAT commands (and the unit the walk's sessions
/// share out).
const STAT_BATCH: usize = 16;

/// `dirs` as the walk's units of work: without STAT one by one (each LIST has its own data connection:
/// nothing to pipeline); with STAT in batches of at most [`STAT_BATCH`], and small enough that the run's
/// `sessions` all get one (20 directories over 4 sessions: 4 batches of 5, not 16 and 4, which would
/// leave one session listing 16 directories while the others wait).
fn batches(dirs: Vec<Dir>, stat: bool, sessions: usize) -> Vec<Vec<Dir>> {
    let size = if stat {
        dirs.len().div_ceil(sessions.max(1)).clamp(1, STAT_BATCH)
    } else {
        1
    };
    let mut out = Vec::with_capacity(dirs.len().div_ceil(size));
    let mut dirs = dirs.into_iter().peekable();
    while dirs.peek().is_some() {
        out.push(dirs.by_ref().take(size).collect());
    }
    out
}

/// Whether STAT may list the rest of a walk: the server echoes REST (the guard of every STAT listing)
/// and its STAT listing of the root is the LIST listing `listed` already read, entry for entry. Any
/// failure is a no.
fn stat_lists_alike(w: &mut Worker, root: &str, listed: &[Entry]) -> bool {
    let Ok(s) = w.session() else { return false };
    let by_stat = match s.rest_echoes() {
        Ok(true) => s.stat_list(root),
        Ok(false) => return false,
        Err(e) => Err(e),
    };
    match by_stat {
        Ok(Some(entries)) => {
            let sorted = |v: &[Entry]| {
                let mut v = v.to_vec();
                v.sort_by(|a, b| a.name.cmp(&b.name));
                v
            };
            sorted(&crate::ops::ftp::ls::dedup(entries)) == sorted(listed)
        }
        Ok(None) => false,
        Err(e) => {
            w.failed(&Error::protocol(e.to_string()));
            false
        }
    }
}

/// Lists a batch of directories of a remote walk. A failed listing below the root is a [`Problem`];
/// `count` is the walk's running totals.
fn list_dirs(
    w: &mut Worker,
    batch: &[Dir],
    enter: &(dyn Fn(&str) -> bool + Sync),
    count: &Totals,
    stat: &AtomicBool,
) -> Result<Vec<Listed>> {
    let paths: Vec<&str> = batch.iter().map(|d| d.0.as_str()).collect();
    let fetched = fetch_many(w, &paths, stat);
    batch
        .iter()
        .zip(fetched)
        .map(|(dir, r)| match r {
            Ok(entries) => to_listed(w, dir, entries, enter, count),
            Err(e) => {
                w.failed(&e);
                let rel = dir.1.clone();
                Ok(Listed {
                    problems: vec![Problem {
                        error: e.within(escape(&rel)),
                        rel,
                        unread: true,
                    }],
                    ..Listed::default()
                })
            }
        })
        .collect()
}

/// One listed directory's entries as the walk's nodes, problems and subdirectories to walk.
fn to_listed(
    w: &mut Worker,
    (dir, rel, depth, chain): &Dir,
    mut entries: Vec<Entry>,
    enter: &(dyn Fn(&str) -> bool + Sync),
    count: &Totals,
) -> Result<Listed> {
    let (rel, depth) = (rel.clone(), *depth);
    let mut out = Listed::default();
    if depth == 0 && entries.is_empty() && !w.session()?.is_dir(dir.as_str())? {
        return Err(Error::new(
            ErrorKind::Permanent,
            format!("{}: no such directory", escape(dir.as_str())),
        ));
    }
    count.charge(&rel, &entries)?;
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let exact_listing = w.session().is_ok_and(|s| s.features.mlst);
    // A directory whose MLSD `unique` fact is its own or an ancestor's is a loop back up the tree (a
    // symlink the server lists as a directory): walked as the symlink it is, never entered.
    mark_loops(&mut entries, chain);
    for e in entries {
        let path = join(&rel, &e.name);
        if let Err(why) = safe_remote_name(&e.name) {
            out.problems.push(Problem {
                error: Error::new(
                    ErrorKind::Partial,
                    format!("skipping unsafe remote name {}: {why}", escape(&path)),
                ),
                rel: path,
                unread: false,
            });
            continue;
        }
        let exact = e.modified.is_some() && exact_listing;
        if e.kind == Kind::Dir {
            if depth + 1 >= MAX_DEPTH {
                out.problems.push(Problem {
                    error: Error::new(
                        ErrorKind::Partial,
                        format!(
                            "not entering {}: deeper than {MAX_DEPTH} levels",
                            escape(&path)
                        ),
                    ),
                    rel: path,
                    unread: false,
                });
                continue;
            }
            if enter(&path) {
                out.subdirs
                    .push((dir.join(&e.name), path.clone(), e.unique.clone()));
            }
        }
        out.nodes.push(Node {
            mtime: entry_time(&e),
            exact_time: exact,
            mode: e.mode,
            kind: e.kind,
            size: e.size,
            rel: path,
        });
    }
    Ok(out)
}

/// Walks the local directory `root` without following symlinks. `enter(rel)` as for [`walk_remote`].
pub fn walk_local(root: &Path, enter: &mut dyn FnMut(&str) -> bool) -> Result<Walked> {
    let mut out = Walked::default();
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, rel, depth)) = stack.pop() {
        let read = std::fs::read_dir(&dir).map_err(|e| Error::local(dir.display(), e));
        let listed = match read {
            Ok(l) => l,
            Err(e) if depth == 0 => return Err(e),
            Err(e) => {
                out.problems.push(Problem {
                    rel,
                    error: e,
                    unread: true,
                });
                continue;
            }
        };
        let mut subdirs = Vec::new();
        for entry in listed {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    out.problems.push(Problem {
                        rel: rel.clone(),
                        error: Error::local(dir.display(), e),
                        unread: true,
                    });
                    break;
                }
            };
            if out.nodes.len() >= MAX_ENTRIES {
                return Err(Error::new(
                    ErrorKind::LocalIo,
                    format!("the tree has more than {MAX_ENTRIES} entries"),
                ));
            }
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                out.problems.push(Problem {
                    rel: join(&rel, &entry.file_name().to_string_lossy()),
                    error: Error::new(
                        ErrorKind::Partial,
                        format!("skipping {}: the name is not UTF-8", path.display()),
                    ),
                    unread: false,
                });
                continue;
            };
            let sub = join(&rel, &name);
            if name.chars().any(char::is_control) {
                out.problems.push(Problem {
                    error: Error::new(
                        ErrorKind::Partial,
                        format!(
                            "skipping {}: the name contains control characters",
                            escape(&sub)
                        ),
                    ),
                    rel: sub,
                    unread: false,
                });
                continue;
            }
            // Relative to the open directory (fstatat), not a lookup of the whole path; never follows a
            // symlink, as symlink_metadata.
            let meta = match entry.metadata() {
                Ok(m) => m,
                Err(e) => {
                    out.problems.push(Problem {
                        error: Error::local(path.display(), e),
                        rel: sub,
                        unread: true,
                    });
                    continue;
                }
            };
            let ft = meta.file_type();
            let kind = if ft.is_dir() {
                Kind::Dir
            } else if ft.is_file() {
                Kind::File
            } else if ft.is_symlink() {
                Kind::Link
            } else {
                Kind::Other
            };
            if kind == Kind::Dir {
                if depth + 1 >= MAX_DEPTH {
                    out.problems.push(Problem {
                        error: Error::new(
                            ErrorKind::Partial,
                            format!(
                                "not entering {}: deeper than {MAX_DEPTH} levels",
                                path.display()
                            ),
                        ),
                        rel: sub,
                        unread: false,
                    });
                    continue;
                }
                if enter(&sub) {
                    subdirs.push((path.clone(), sub.clone(), depth + 1));
                }
            }
            out.nodes.push(Node {
                rel: sub,
                kind,
                size: (kind == Kind::File).then_some(meta.len()),
                mtime: meta.modified().ok(),
                exact_time: true,
                mode: Some(std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777),
            });
        }
        stack.extend(subdirs);
    }
    out.nodes.sort_by(|a, b| tree_order(&a.rel, &b.rel));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_order_is_the_order_of_path_components() {
        let paths = [
            "a", "a/b", "a-c", "a/b/c", "a.", "a/", "ab", "", "a/b-", "a/b/", "é", "a/é", "a//b",
            "b", "a/a", "-", "a-/x",
        ];
        for x in paths {
            for y in paths {
                assert_eq!(
                    tree_order(x, y),
                    x.split('/').cmp(y.split('/')),
                    "{x:?} vs {y:?}"
                );
            }
        }
    }

    #[test]
    fn a_loop_is_a_directory_whose_unique_fact_is_an_ancestors_and_no_one_elses() {
        let entry = |name: &str, kind: Kind, unique: &str| Entry {
            name: name.into(),
            kind,
            size: None,
            modified: None,
            perm: None,
            mode: None,
            target: None,
            unique: Some(unique.into()),
        };
        let chain = ["T".to_string(), "A".to_string()];
        let mut listed = vec![
            entry("up", Kind::Dir, "T"),
            entry("sub", Kind::Dir, "B"),
            entry("f", Kind::File, "A"),
        ];
        mark_loops(&mut listed, &chain);
        let kinds: Vec<Kind> = listed.iter().map(|e| e.kind).collect();
        // `f` shares A with nothing here, but is a file: files are never loops (hard links share).
        assert_eq!(kinds, [Kind::Link, Kind::Dir, Kind::File]);
        // A server giving every entry one value: no directory is taken for a loop.
        let mut same = vec![entry("a", Kind::Dir, "T"), entry("b", Kind::Dir, "T")];
        mark_loops(&mut same, &chain);
        assert!(same.iter().all(|e| e.kind == Kind::Dir));
        // Nothing known above: nothing marked.
        let mut top = vec![entry("a", Kind::Dir, "T")];
        mark_loops(&mut top, &[]);
        assert_eq!(top[0].kind, Kind::Dir);
    }

    #[test]
    fn a_remote_name_must_have_been_utf8() {
        assert!(safe_remote_name("caf\u{e9}.txt").is_ok());
        assert!(safe_remote_name("caf\u{fffd}.txt").is_err());
        assert!(safe_remote_name("..").is_err());
        assert!(safe_remote_name("a/b").is_err());
        assert!(safe_remote_name("").is_err());
        assert!(safe_remote_name("x\u{1b}[2J").is_err());
        assert!(safe_remote_name("back\\slash").is_ok());
    }

    #[test]
    fn a_remote_walk_is_bounded_in_path_bytes() {
        // Hostile-server pass: a million 60 KiB names over a few hundred directories were all kept.
        let entry = |name: String| Entry {
            name,
            kind: Kind::File,
            size: None,
            modified: None,
            perm: None,
            mode: None,
            target: None,
            unique: None,
        };
        let t = Totals::default();
        let long: Vec<Entry> = (0..1000).map(|i| entry(format!("{i:0>60000}"))).collect();
        let mut charged = 0;
        let e = loop {
            match t.charge("d", &long) {
                Ok(()) => charged += 1,
                Err(e) => break e,
            }
        };
        assert_eq!(charged, 4);
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert!(
            e.to_string().contains("paths take more than 256 MiB"),
            "{e}"
        );
    }

    #[test]
    fn stat_batches_share_the_directories_out_over_the_sessions() {
        let dirs = |n: usize| -> Vec<Dir> {
            (0..n)
                .map(|i| {
                    let path = RemotePath::new(format!("d{i}"));
                    (path, format!("d{i}"), 1, Chain::default())
                })
                .collect()
        };
        let sizes = |b: Vec<Vec<Dir>>| b.iter().map(Vec::len).collect::<Vec<_>>();
        assert_eq!(sizes(batches(dirs(20), true, 4)), [5, 5, 5, 5]);
        assert_eq!(sizes(batches(dirs(20), true, 1)), [16, 4]);
        assert_eq!(sizes(batches(dirs(40), true, 2)), [16, 16, 8]);
        assert_eq!(sizes(batches(dirs(3), true, 4)), [1, 1, 1]);
        assert_eq!(sizes(batches(dirs(3), false, 1)), [1, 1, 1]);
        assert!(batches(dirs(0), true, 4).is_empty());
    }

    #[test]
    fn local_walk_is_a_sorted_preorder_without_following_links() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("b/c")).unwrap();
        std::fs::write(r.join("b/c/f"), b"123").unwrap();
        std::fs::write(r.join("a"), b"1").unwrap();
        std::fs::write(r.join(".hidden"), b"").unwrap();
        std::fs::write(r.join("b-x"), b"").unwrap();
        std::os::unix::fs::symlink("/etc", r.join("link")).unwrap();
        let w = walk_local(r, &mut |_| true).unwrap();
        let rels: Vec<_> = w.nodes.iter().map(|n| n.rel.as_str()).collect();
        assert_eq!(rels, [".hidden", "a", "b", "b/c", "b/c/f", "b-x", "link"]);
        assert_eq!(w.nodes[4].size, Some(3));
        assert_eq!(w.nodes[6].kind, Kind::Link);
        let w = walk_local(r, &mut |rel| rel != "b").unwrap();
        assert!(!w.nodes.iter().any(|n| n.rel.starts_with("b/")));
        assert!(walk_local(&r.join("missing"), &mut |_| true).is_err());
    }
}
