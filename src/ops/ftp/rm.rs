//! `ftp-rm`: remove remote files, globs (last segment) and, with `-r`, whole trees.
//!
//! A URL is first turned into a plan, then the plan is carried out (or, with `--dry-run`, printed):
//! - a glob lists its directory (MLSD/LIST/NLST, as ftp-get and ftp-ls do) and matches names the way
//!   ftp-get does ([`has_glob`], [`glob_pattern`]); directories among the matches need `-r`;
//! - a URL ending in `/` names a directory (`-r` only);
//! - any other URL is a file: DELE at once. With `-r`, a refused DELE of something the parent listing
//!   shows as a directory makes it a tree instead (so the common case costs one command).
//!
//! A tree is walked whole before anything is removed, by the walk the mirrors use
//! ([`walk_remote`]: MLSD or `LIST -a`, so dotfiles go too; STAT listings where the server allows;
//! loops a server lists as directories taken for the links they are). Then it is emptied: a
//! directory's files (and symlinks, which are removed as entries and never followed) first, then its
//! subdirectories the same way, then RMD of the directory itself — bottom-up. What the walk could not
//! read, and server names that could not be one path component (`..`, `a/b`, control characters) or
//! were not UTF-8, are reported and never sent back; they stay, and so does every directory above them
//! (exit 10), while the rest goes, as `rm -r` removes what it can. A tree whose top cannot be listed
//! loses nothing. The login or root directory is emptied but never removed; `cli` refuses `-r` on it
//! without `--force`.

use std::collections::{HashMap, VecDeque};
use std::io::Write;

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::ftp::list::Kind;
use crate::ftp::{DataMode, RemotePath};
use crate::ops::Outcome;
use crate::ops::common::{ItemResult, NetOptions, Tally, Ui, with_retries};
use crate::ops::ftp::connect::FtpConnector;
use crate::ops::ftp::get::{glob_pattern, has_glob};
use crate::ops::ftp::ls::list_for;
use crate::ops::ftp::pool::Worker;
use crate::ops::ftp::walk::{Node, safe_remote_name, walk_remote};
use crate::terminal::escape;
use crate::url::Target;

/// What ftp-rm does, as plain values (validated by `cli::ftp_rm`).
#[derive(Debug, Clone)]
pub struct Options {
    /// The URLs: files, globs in the last segment, or (`-r`) directories.
    pub targets: Vec<Target>,
    /// `-r`: remove directories and everything in them.
    pub recursive: bool,
    /// `--dry-run`: list what would be removed, remove nothing.
    pub dry_run: bool,
    /// `--active` / `--no-epsv` (for the listings).
    pub mode: DataMode,
    /// `--limit-rate`: the listings' bytes per second.
    pub limit: Option<std::sync::Arc<crate::ratelimit::RateLimit>>,
    /// Connection, TLS, credentials, retries.
    pub net: NetOptions,
}

/// What an entry is, as far as removing it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryType {
    /// Removed with DELE (a file, a symlink, anything not a directory).
    File,
    /// Removed with RMD once empty.
    Dir,
}

/// One entry's result, as printed with `--json` (`{"entries": [...]}`).
#[derive(Debug, Serialize)]
pub struct Removed {
    /// The entry's URL (without password).
    pub url: String,
    /// `file` or `dir`.
    #[serde(rename = "type")]
    pub kind: EntryType,
    /// `ok`, `skipped` (`--dry-run`, or not attempted) or `failed`, and the error.
    #[serde(flatten)]
    pub result: ItemResult,
}

/// One planned removal.
struct Action {
    path: RemotePath,
    kind: EntryType,
    /// The tree's top: emptied but not removed (the login or root directory).
    keep: bool,
}

/// Runs ftp-rm.
pub fn run(opts: &Options, ui: &Ui) -> Result<Outcome> {
    let mut records = Vec::new();
    let mut plan = Vec::new();
    let mut rest = &opts.targets[..];
    while let Some(first) = rest.first() {
        let n = rest.iter().take_while(|t| same_server(t, first)).count();
        let (group, later) = rest.split_at(n);
        rest = later;
        let conn =
            FtpConnector::new(first.clone(), &opts.net, opts.mode)?.limited(opts.limit.clone());
        let session = match conn.open(ui) {
            Ok(s) => s,
            // The first server unreachable and no other: the run's error, as for every tool.
            Err(e) if records.is_empty() && later.is_empty() => return Err(e),
            Err(e) => {
                for t in group {
                    let e = Error::new(e.kind(), format!("{}: {e}", t.display()));
                    ui.item_error(&e);
                    let path = RemotePath::new(t.path.clone());
                    records.push(record(t, &path, EntryType::File, ItemResult::failed(&e)));
                }
                continue;
            }
        };
        let mut rm = Remover {
            opts,
            ui,
            w: Worker::new(&conn, Some(session)),
            records: &mut records,
            plan: &mut plan,
        };
        for target in group {
            rm.target(target);
        }
        rm.w.quit();
    }
    for r in &records {
        ui.log(&crate::ops::common::LogRecord {
            server: &r.url,
            item: &r.url,
            size: None,
            result: &r.result,
            reply: Some(if opts.dry_run { "dry run" } else { "removed" })
                .filter(|_| !r.result.is_failure()),
            queue_id: None,
        });
    }
    if ui.json() {
        ui.print_json(&serde_json::json!({ "dry_run": opts.dry_run, "entries": records }))?;
    } else if !plan.is_empty() {
        let mut out = std::io::stdout().lock();
        for line in &plan {
            writeln!(out, "{line}").map_err(|e| Error::local("stdout", e))?;
        }
        out.flush().map_err(|e| Error::local("stdout", e))?;
    }
    Tally::of(records.iter().map(|r| &r.result)).outcome(ui, "entries", None)
}

/// Targets on the same server as the same user share a session.
fn same_server(a: &Target, b: &Target) -> bool {
    a.scheme == b.scheme && a.user == b.user && a.authority() == b.authority()
}

fn record(t: &Target, path: &RemotePath, kind: EntryType, result: ItemResult) -> Removed {
    Removed {
        url: t.with_path(path.as_str().to_string()).display(),
        kind,
        result,
    }
}

/// Removes the URLs of one server on one session (replaced when a failure may have broken it).
struct Remover<'a, 'c> {
    opts: &'a Options,
    ui: &'a Ui,
    w: Worker<'c>,
    records: &'a mut Vec<Removed>,
    /// `--dry-run`: the lines printed on stdout at the end.
    plan: &'a mut Vec<String>,
}

impl Remover<'_, '_> {
    /// Plans and removes one URL.
    fn target(&mut self, t: &Target) {
        let path = RemotePath::new(t.path.clone());
        if has_glob(path.as_str()) {
            return self.glob(t, &path);
        }
        if t.path.ends_with('/') || t.path.is_empty() {
            // Only with -r: cli refuses a directory URL without it.
            let dir = RemotePath::dir(&t.path);
            return self.tree(t, &dir);
        }
        if self.opts.dry_run {
            let is_dir = self.opts.recursive && self.parent_kind(&path) == Some(Kind::Dir);
            if is_dir {
                return self.tree(t, &path);
            }
            return self.execute(t, vec![file(path)]);
        }
        let answer = self.dele(&path);
        match self.w.settle_dele(&path, answer) {
            Ok(()) => self.done(t, &path, EntryType::File, ItemResult::ok()),
            Err(e)
                if e.kind() == ErrorKind::Permanent
                    && self.parent_kind(&path) == Some(Kind::Dir) =>
            {
                if self.opts.recursive {
                    return self.tree(t, &path);
                }
                // As rm(1) says it: the server's "550 Delete operation failed." does not.
                let e = Error::new(
                    ErrorKind::Permanent,
                    format!("not removing directory {} (use -r)", escape(path.as_str())),
                );
                self.failed(t, &path, EntryType::Dir, e)
            }
            Err(e) => self.failed(t, &path, EntryType::File, e),
        }
    }

    /// A glob in the last segment: every match in its directory (directories only with `-r`).
    fn glob(&mut self, t: &Target, path: &RemotePath) {
        let (dir, last) = path.split();
        let listed = glob_pattern(last).and_then(|p| {
            let entries = list_for(self.w.session()?, dir.as_str(), last)?;
            Ok((p, entries))
        });
        let (pattern, mut entries) = match listed {
            Ok(v) => v,
            Err(e) => return self.failed(t, path, EntryType::File, e),
        };
        let opts = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: true,
        };
        entries.retain(|e| pattern.matches_with(&e.name, opts));
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        if entries.is_empty() {
            let e = Error::new(
                ErrorKind::Permanent,
                format!("{}: no file matches", t.display()),
            );
            return self.failed(t, path, EntryType::File, e);
        }
        for entry in entries {
            let sub = dir.join(&entry.name);
            if let Err(why) = safe_remote_name(&entry.name) {
                let e = Error::new(
                    ErrorKind::Partial,
                    format!("not removing {}: {why}", escape(sub.as_str())),
                );
                self.ui.item_error(&e);
                self.done(t, &sub, EntryType::File, ItemResult::refused(&e));
                continue;
            }
            match entry.kind {
                Kind::Dir if self.opts.recursive => self.tree(t, &sub),
                Kind::Dir => {
                    let e = Error::new(
                        ErrorKind::Partial,
                        format!("not removing directory {} (use -r)", escape(sub.as_str())),
                    );
                    self.ui.item_error(&e);
                    self.done(t, &sub, EntryType::Dir, ItemResult::refused(&e));
                }
                Kind::File | Kind::Link | Kind::Other => self.execute(t, vec![file(sub)]),
            }
        }
    }

    /// Lists the tree under `dir` with the mirror's walk ([`walk_remote`]: `LIST -a` or MLSD, so
    /// dotfiles are seen; STAT listings where the server allows), then removes it bottom-up. What the
    /// walk could not read or name safely is reported and stays, and so does every directory above
    /// it; the rest goes, as `rm -r` removes what it can.
    fn tree(&mut self, t: &Target, dir: &RemotePath) {
        let walked = match walk_remote(&mut self.w, dir, &|_| true) {
            Ok(w) => w,
            // Nothing is removed from a tree whose top could not be listed (or that is too big).
            Err(e) => return self.failed(t, dir, EntryType::Dir, e),
        };
        let mut stays = Vec::with_capacity(walked.problems.len());
        for p in walked.problems {
            let path = dir.join(&p.rel);
            let (kind, result) = if p.unread {
                (EntryType::Dir, ItemResult::failed(&p.error))
            } else {
                (EntryType::File, ItemResult::refused(&p.error))
            };
            self.ui.item_error(&p.error);
            self.done(t, &path, kind, result);
            stays.push(path);
        }
        // A directory that could not be read is not attempted (its problem is its report).
        let mut plan = removal_order(dir, &walked.nodes);
        plan.retain(|a| !stays.contains(&a.path));
        plan.push(Action {
            path: dir.clone(),
            kind: EntryType::Dir,
            keep: matches!(dir.as_str(), "" | "/"),
        });
        self.execute_after(t, plan, stays);
    }

    /// Carries out (or prints, with `--dry-run`) planned removals in order. A directory is removed only
    /// when nothing inside it failed.
    fn execute(&mut self, t: &Target, plan: Vec<Action>) {
        self.execute_after(t, plan, Vec::new());
    }

    /// [`Remover::execute`], with `failed` already holding paths that stay (a directory above one of
    /// them is not attempted).
    fn execute_after(&mut self, t: &Target, plan: Vec<Action>, mut failed: Vec<RemotePath>) {
        // The answers of the DELEs sent ahead for the run of files the loop is in.
        let mut ahead: VecDeque<Result<()>> = VecDeque::new();
        for (i, a) in plan.iter().enumerate() {
            let url = t.with_path(a.path.as_str().into()).display();
            if a.kind == EntryType::Dir && failed.iter().any(|f| within(&a.path, f)) {
                let e = Error::new(
                    ErrorKind::Partial,
                    format!("not removing {url}: something inside it could not be removed"),
                );
                self.ui.item_error(&e);
                failed.push(a.path.clone());
                self.done(t, &a.path, a.kind, ItemResult::refused(&e));
                continue;
            }
            if a.keep {
                continue;
            }
            let what = match a.kind {
                EntryType::File => "file",
                EntryType::Dir => "directory",
            };
            if self.opts.dry_run {
                self.plan
                    .push(format!("would remove {what} {}", escape(&url)));
                self.done(t, &a.path, a.kind, ItemResult::skipped("dry run"));
                continue;
            }
            if a.kind == EntryType::File && ahead.is_empty() {
                ahead = self.dele_ahead(&plan[i..]);
            }
            let r = match a.kind {
                EntryType::File => {
                    let answer = match ahead.pop_front() {
                        Some(Ok(())) => Ok(()),
                        Some(Err(e)) if !e.kind().is_transient() => Err(e),
                        // Refused for now (4xx, retried), or not answered (the session broke).
                        _ => self.dele(&a.path),
                    };
                    self.w.settle_dele(&a.path, answer)
                }
                EntryType::Dir => self.rmd(&a.path),
            };
            match r {
                Ok(()) => {
                    if self.ui.progress() {
                        self.ui.line(&format!("removed {what} {url}"));
                    }
                    self.done(t, &a.path, a.kind, ItemResult::ok());
                }
                Err(e) => {
                    failed.push(a.path.clone());
                    self.failed(t, &a.path, a.kind, e);
                }
            }
        }
    }

    /// DELE sent ahead, pipelined ([`Worker::dele_ahead`]), for the files `plan` starts with.
    fn dele_ahead(&mut self, plan: &[Action]) -> VecDeque<Result<()>> {
        let paths: Vec<&str> = plan
            .iter()
            .take_while(|a| a.kind == EntryType::File && !a.keep)
            .map(|a| a.path.as_str())
            .collect();
        self.w.dele_ahead(&paths)
    }

    /// DELE, retried with `--retries` on a session replaced when the failure may have broken it.
    fn dele(&mut self, path: &RemotePath) -> Result<()> {
        let (w, ui, retry) = (&mut self.w, self.ui, &self.opts.net.retry);
        with_retries(retry, ui, |_| w.dele(path.as_str()))
    }

    /// RMD, retried like [`Remover::dele`].
    fn rmd(&mut self, path: &RemotePath) -> Result<()> {
        let (w, ui, retry) = (&mut self.w, self.ui, &self.opts.net.retry);
        with_retries(retry, ui, |_| {
            let r = w.session().and_then(|s| s.rmd(path.as_str()));
            if let Err(e) = &r {
                w.failed(e);
            }
            r
        })
    }

    /// The kind of `path` as its parent directory lists it (`None` when it is not listed or the listing
    /// failed). Never MLST or CWD: those follow a symlink to a directory.
    fn parent_kind(&mut self, path: &RemotePath) -> Option<Kind> {
        let (dir, name) = path.split();
        let session = self.w.session().ok()?;
        match list_for(session, dir.as_str(), name) {
            Ok(entries) => entries.into_iter().find(|e| e.name == name).map(|e| e.kind),
            Err(e) => {
                self.w.failed(&e);
                None
            }
        }
    }

    fn done(&mut self, t: &Target, path: &RemotePath, kind: EntryType, result: ItemResult) {
        self.records.push(record(t, path, kind, result));
    }

    fn failed(&mut self, t: &Target, path: &RemotePath, kind: EntryType, e: Error) {
        self.ui.item_error(&e);
        self.done(t, path, kind, ItemResult::failed(&e));
    }
}

/// The removals of a walked tree's `nodes` (relative to `dir`, parents before children), bottom-up: in
/// each directory its files (and symlinks, removed as entries and never followed) in name order, then
/// each subdirectory's contents and the subdirectory itself.
fn removal_order(dir: &RemotePath, nodes: &[Node]) -> Vec<Action> {
    let mut children: HashMap<&str, Vec<&Node>> = HashMap::new();
    for n in nodes {
        let parent = n.rel.rsplit_once('/').map_or("", |(p, _)| p);
        children.entry(parent).or_default().push(n);
    }
    let mut out = Vec::with_capacity(nodes.len());
    // Depth-first with an explicit stack: (directory, whether its contents were already pushed).
    let mut stack = vec![("", false)];
    while let Some((rel, expanded)) = stack.pop() {
        if expanded {
            if !rel.is_empty() {
                out.push(Action {
                    path: dir.join(rel),
                    kind: EntryType::Dir,
                    keep: false,
                });
            }
            continue;
        }
        stack.push((rel, true));
        let kids = children.get(rel).map_or(&[][..], Vec::as_slice);
        out.extend(
            kids.iter()
                .filter(|n| n.kind != Kind::Dir)
                .map(|n| file(dir.join(&n.rel))),
        );
        stack.extend(
            kids.iter()
                .rev()
                .filter(|n| n.kind == Kind::Dir)
                .map(|n| (n.rel.as_str(), false)),
        );
    }
    out
}

fn file(path: RemotePath) -> Action {
    Action {
        path,
        kind: EntryType::File,
        keep: false,
    }
}

/// Whether `inner` lies below the directory `dir`.
fn within(dir: &RemotePath, inner: &RemotePath) -> bool {
    match dir.as_str() {
        "" => !inner.as_str().is_empty() && !inner.as_str().starts_with('/'),
        "/" => inner.as_str().len() > 1 && inner.as_str().starts_with('/'),
        d => inner
            .as_str()
            .strip_prefix(d)
            .is_some_and(|rest| rest.starts_with('/')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_a_directory() {
        let p = RemotePath::new;
        assert!(within(&p("a"), &p("a/b")));
        assert!(!within(&p("a"), &p("ab/c")));
        assert!(!within(&p("a"), &p("a")));
        assert!(within(&p(""), &p("x")));
        assert!(!within(&p(""), &p("/x")));
        assert!(within(&p("/"), &p("/x")));
        assert!(!within(&p("/"), &p("x")));
    }
}
