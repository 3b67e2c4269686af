//! `ftp-put -R`: plans the mirror of one local directory onto a remote one. The local tree is walked
//! ([`walk_local`], filters pruning excluded directories) and the remote target too ([`walk_remote`]; a
//! target that does not exist yet is empty), each local file becomes a job or a skip with its reason
//! ([`decide`]), missing remote directories are created as the plan goes (MKD, not with `--dry-run`), and
//! `--delete` candidates are collected, checked for safety, and removed by [`run_deletions`] (DELE, RMD)
//! only after every upload succeeded. Files get their local mode (SITE CHMOD after the upload, or alone for
//! an unchanged file whose listed mode differs), directories theirs with all rights for the owner
//! ([`sync::dir_mode`]: SITE CHMOD after MKD, or when the listed mode differs).

use std::collections::{HashMap, HashSet};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::{Job, Planner, Slot, Source, ensure_dir, mkdirs};
use crate::error::{Error, ErrorKind, Result};
use crate::ftp::RemotePath;
use crate::ftp::list::Kind;
use crate::ops::common::Ui;
use crate::ops::ftp::connect::FtpConnector;
use crate::ops::ftp::pool::Worker;
use crate::ops::ftp::prescan::Prescan;
use crate::ops::ftp::record::FileRecord;
use crate::ops::ftp::sync::{self, Facts, PlanItem, Verdict, needs_exact_time};
use crate::ops::ftp::walk::{self, Node, walk_local, walk_remote};
use crate::terminal::escape;

/// A remote entry `--delete` removes once every upload succeeded.
pub struct Deletion {
    remote: RemotePath,
    dir: bool,
    local: String,
    /// Why it cannot be removed: part of it could not be listed (reported, nothing sent).
    blocked: Option<Error>,
}

/// What planning collects besides the jobs.
#[derive(Default)]
pub struct Planned {
    /// The plan `--dry-run` prints.
    pub plan: Vec<PlanItem>,
    /// `--delete`'s removals, children first.
    pub deletions: Vec<Deletion>,
    /// Whether the "cannot set times" note was given.
    pub noted_times: bool,
    /// What the run knows of the server's SITE CHMOD (see `keep_mode`).
    pub chmod: super::Chmod,
}

impl Planner<'_> {
    fn plan_item(&mut self, action: &'static str, rel: &str, reason: impl Into<String>) {
        self.planned.plan.push(PlanItem {
            action,
            path: rel.to_string(),
            reason: reason.into(),
        });
    }

    pub(super) fn skip_item(&mut self, local: &Path, remote: &RemotePath, rel: &str, why: &str) {
        self.plan_item("skip", rel, why);
        self.slots.push(Slot::Done(FileRecord::skipped(
            self.url(remote),
            local.display().to_string(),
            why,
        )));
    }

    /// Plans the local directory `local` onto the remote directory `remote`.
    /// `scan` is the walk of `local` started before the login, if any.
    pub(super) fn mirror(
        &mut self,
        w: &mut Worker,
        local: &Path,
        remote: &RemotePath,
        scan: Option<Prescan>,
    ) {
        if let Err(e) = self.mirror_tree(w, local, remote, scan) {
            w.failed(&e);
            self.fail(local, remote, e);
        }
    }

    fn mirror_tree(
        &mut self,
        w: &mut Worker,
        local: &Path,
        remote: &RemotePath,
        scan: Option<Prescan>,
    ) -> Result<()> {
        let sync = &self.opts.sync;
        let filters = &sync.filters;
        let walked = match scan.filter(|s| s.root() == local).and_then(Prescan::take) {
            Some(walked) => walked?,
            // Not scanned ahead, or no directory then: walked now (which says why it cannot be).
            None => walk_local(local, &mut |rel| filters.excluded(rel, true).is_none())?,
        };
        let (target, exists) =
            match walk_remote(w, remote, &|rel| filters.excluded(rel, true).is_none()) {
                Ok(t) => (t, true),
                // Not there yet: everything is new.
                Err(e) if e.kind() == ErrorKind::Permanent => (walk::Walked::default(), false),
                Err(e) => return Err(e),
            };
        let on_server: HashMap<String, Node> = target
            .nodes
            .iter()
            .map(|n| (n.rel.clone(), n.clone()))
            .collect();
        if !exists {
            self.plan_item("mkdir", ".", "new directory");
            let parent = remote.parent();
            // The plan would not hold: the real run's MKD fails where the parent is missing.
            if sync.dry_run
                && !self.opts.mkdirs
                && !matches!(parent.as_str(), "" | "/")
                && !w.session()?.is_dir(parent.as_str())?
            {
                let e = Error::new(
                    ErrorKind::Permanent,
                    format!("{parent}: no such directory to make {remote} in"),
                );
                return Err(e.with_hint(crate::hint::Hint::Mkdirs));
            }
            if !sync.dry_run {
                w.session()
                    .and_then(|s| match self.opts.mkdirs {
                        true => mkdirs(s, remote),
                        false => ensure_dir(s, remote.as_str()),
                    })
                    .map_err(|e| super::refused_here(self.opts, (remote.as_str(), false), e))?;
                let mode = std::fs::metadata(local).map(|m| m.permissions().mode());
                if let Ok(mode) = mode.map(sync::dir_mode)
                    && self.keeps_modes()
                {
                    self.dir_mode(w, local, remote, mode);
                }
            }
        }
        let times_set = w.session()?.features.sync.can_set_time();
        if !times_set
            && sync.compare == sync::Compare::Newer
            && !self.planned.noted_times
            && !on_server.is_empty()
        {
            self.planned.noted_times = true;
            self.ui.note(
                "the server cannot set modification times (no MFMT or SITE UTIME): a remote file of the \
                 same size counts as unchanged when it is not older than the local one",
            );
        }
        for p in &walked.problems {
            let e = p.error.copied();
            if p.unread {
                self.fail(&local.join(&p.rel), &remote.join(&p.rel), e);
            } else {
                self.refuse(&local.join(&p.rel), &remote.join(&p.rel), e);
            }
        }
        let mut asked = remote_times(
            w,
            remote,
            &walked.nodes,
            &on_server,
            &self.opts.sync,
            times_set,
        )?;
        let mut blocked: Vec<String> = Vec::new();
        let mut replaced: HashSet<String> = HashSet::new();
        let mut pending = sync::Pending::default();
        for node in &walked.nodes {
            pending.walked_to(&node.rel);
            if blocked.iter().any(|b| sync::within_dir(b, &node.rel)) {
                continue;
            }
            let path = local.join(&node.rel);
            let sub = remote.join(&node.rel);
            match node.kind {
                Kind::Dir => {
                    if let Some(why) = filters.excluded(&node.rel, true) {
                        self.skip_item(&path, &sub, &node.rel, &why);
                        blocked.push(node.rel.clone());
                        continue;
                    }
                    let want = node.mode.filter(|_| self.keeps_modes()).map(sync::dir_mode);
                    let listed = on_server.get(&node.rel);
                    let in_place = match listed.map(|n| n.kind) {
                        Some(Kind::Dir) => {
                            let have = listed.and_then(|n| n.mode).map(|m| m & 0o777);
                            if let Some((want, have)) =
                                want.zip(have).filter(|(want, have)| want != have)
                            {
                                let why = format!("mode {have:03o} becomes {want:03o}");
                                self.plan_item("chmod", &node.rel, why);
                                if !sync.dry_run {
                                    self.dir_mode(w, &path, &sub, want);
                                }
                            }
                            continue;
                        }
                        // A file that became a directory here: the remote file goes (as a changed
                        // file would be replaced).
                        Some(Kind::File) => true,
                        // Never written through (its target was not walked, so everything under it
                        // would go up again every run), nor replaced (it may be the server's own).
                        Some(Kind::Link) => {
                            let e = Error::new(
                                ErrorKind::Partial,
                                format!(
                                    "{sub} is a symlink on the server (not followed) where the local \
                                     tree has a directory"
                                ),
                            );
                            self.fail(&path, &sub, e);
                            blocked.push(node.rel.clone());
                            continue;
                        }
                        _ => false,
                    };
                    let new = sync::NewDir {
                        rel: node.rel.clone(),
                        mode: want,
                        in_place,
                    };
                    if sync.prune_empty_dirs {
                        pending.hold(new);
                    } else if !self.make_dir(w, (local, remote), &new) {
                        blocked.push(node.rel.clone());
                    }
                }
                Kind::File => {
                    if let Some(why) = filters.excluded(&node.rel, false) {
                        self.skip_item(&path, &sub, &node.rel, &why);
                        continue;
                    }
                    if let Some(why) = filters.limited(node.size, node.mtime) {
                        self.skip_item(&path, &sub, &node.rel, &why);
                        continue;
                    }
                    let src = Facts {
                        size: node.size,
                        mtime: node.mtime,
                    };
                    // A directory that became a file here: with --delete it goes, with all it holds,
                    // just before the upload; without, the file fails saying so.
                    let dir_in_the_way = on_server
                        .get(&node.rel)
                        .is_some_and(|n| n.kind == Kind::Dir);
                    if dir_in_the_way && !sync.delete {
                        let e = Error::new(
                            ErrorKind::Partial,
                            format!(
                                "{} is a directory on the server where the local tree has a file \
                                 (--delete replaces it)",
                                sub
                            ),
                        );
                        self.fail(&path, &sub, e);
                        continue;
                    }
                    // A symlink on the server where the local tree has a file: STOR would write
                    // through it (into its target, wherever that is); it is deleted first.
                    let link_in_the_way = on_server
                        .get(&node.rel)
                        .is_some_and(|n| n.kind == Kind::Link);
                    let dst = match on_server.get(&node.rel) {
                        Some(n) if n.kind != Kind::Dir && n.kind != Kind::Link => {
                            let mut f = Facts {
                                size: n.size,
                                mtime: n.mtime.filter(|_| n.exact_time),
                            };
                            if !times_set && settled_by_listing(node, n) {
                                // Not older by the LIST date alone (see `sync::listed_not_older`).
                                f.mtime = n.mtime;
                            } else if asks_mdtm(sync.compare, times_set, node, n) {
                                f.mtime = match asked.remove(&node.rel) {
                                    // One reply of a pipelined batch, read whole: a bad one (a
                                    // malformed MDTM) fails this file alone.
                                    Some(Err(e)) => {
                                        self.fail(&path, &sub, e.within(self.url(&sub)));
                                        continue;
                                    }
                                    Some(Ok(t)) => t,
                                    None => w.session()?.mdtm(sub.as_str())?,
                                };
                            }
                            Some(f)
                        }
                        _ => None,
                    };
                    // The local mode, unless the remote file is known to have it.
                    let listed = on_server.get(&node.rel).and_then(|n| n.mode);
                    let mode = node
                        .mode
                        .map(|m| m & 0o777)
                        .filter(|m| self.keeps_modes() && listed.map(|l| l & 0o777) != Some(*m));
                    match sync::decide(sync.compare, src, dst, times_set) {
                        Verdict::Skip(why) => match (mode, listed) {
                            (Some(want), Some(have)) => {
                                self.chmod(w, (&path, &sub, &node.rel), &why, (have, want));
                            }
                            _ => self.skip_item(&path, &sub, &node.rel, &why),
                        },
                        Verdict::Transfer(why) => {
                            if let Some(failed) = pending
                                .take()
                                .into_iter()
                                .find(|new| !self.make_dir(w, (local, remote), new))
                            {
                                blocked.push(failed.rel);
                                continue;
                            }
                            let mut replaces = Vec::new();
                            let why = if dir_in_the_way {
                                replaced.insert(node.rel.clone());
                                replaces = subtree(&target, &node.rel, remote);
                                "a file in place of a directory".to_string()
                            } else if link_in_the_way {
                                replaces = vec![(sub.clone(), false)];
                                "a file in place of a symlink".to_string()
                            } else {
                                why
                            };
                            self.plan_item("transfer", &node.rel, why);
                            self.slots.push(Slot::Job);
                            self.jobs.push(Job {
                                source: Source::File(path),
                                remote: sub,
                                size: node.size,
                                mtime: node.mtime,
                                mode,
                                replaces,
                                dir_known: true,
                            });
                        }
                    }
                }
                Kind::Link | Kind::Other => {
                    let why = if node.kind == Kind::Link {
                        "symlink (not followed)"
                    } else {
                        "not a regular file"
                    };
                    self.ui.note(&format!(
                        "skipping {}: {why}",
                        crate::terminal::escape(&path.display().to_string())
                    ));
                    self.skip_item(&path, &sub, &node.rel, why);
                }
            }
        }
        if sync.delete {
            self.plan_deletions((local, remote), &walked, &target, &replaced);
        }
        Ok(())
    }

    /// Whether files get the local permission bits: a mirror without `--no-perms` or `--chmod`, on a
    /// server that has not refused SITE CHMOD.
    fn keeps_modes(&self) -> bool {
        self.opts.sync.perms && self.opts.chmod.is_none() && !self.planned.chmod.refused()
    }

    /// Makes (or, with `--dry-run`, plans) a new remote directory under `remote` (mirroring `local`),
    /// replacing a file of its name where the local tree turned it into a directory, and gives it its
    /// mode. A failure is reported (nothing below it is planned then). Whether it was made.
    fn make_dir(
        &mut self,
        w: &mut Worker,
        (local, remote): (&Path, &RemotePath),
        new: &sync::NewDir,
    ) -> bool {
        self.plan_item("mkdir", &new.rel, new.why());
        if self.opts.sync.dry_run {
            return true;
        }
        let (path, sub) = (local.join(&new.rel), remote.join(&new.rel));
        let made = w.session().and_then(|s| {
            if new.in_place {
                s.dele(sub.as_str())?;
            }
            ensure_dir(s, sub.as_str())
        });
        match made {
            Ok(()) => {
                if let Some(want) = new.mode {
                    self.dir_mode(w, &path, &sub, want);
                }
                true
            }
            Err(e) => {
                w.failed(&e);
                self.fail(&path, &sub, e);
                false
            }
        }
    }

    /// SITE CHMOD of a remote directory (a refusal is said once and ends the asking, as for files).
    fn dir_mode(&mut self, w: &mut Worker, path: &Path, remote: &RemotePath, want: u32) {
        match w.session() {
            Ok(s) => {
                super::keep_mode(self.ui, s, remote.as_str(), want, &self.planned.chmod);
            }
            Err(e) => self.fail(path, remote, e),
        }
    }

    /// An unchanged file whose remote mode is not the local one: SITE CHMOD alone, nothing uploaded.
    fn chmod(
        &mut self,
        w: &mut Worker,
        (path, remote, rel): (&Path, &RemotePath, &str),
        why: &str,
        (have, want): (u32, u32),
    ) {
        self.plan_item(
            "chmod",
            rel,
            format!("{why}; mode {:03o} becomes {want:03o}", have & 0o777),
        );
        if !self.opts.sync.dry_run {
            let chmod = &self.planned.chmod;
            let set = match w.session() {
                Ok(s) => super::keep_mode(self.ui, s, remote.as_str(), want, chmod),
                Err(e) => return self.fail(path, remote, e),
            };
            if !set {
                return self.skip_item(path, remote, rel, why);
            }
        }
        self.slots.push(Slot::Done(FileRecord::skipped(
            self.url(remote),
            path.display().to_string(),
            &format!("{why}; mode set to {want:03o}"),
        )));
    }

    fn plan_deletions(
        &mut self,
        (local, remote): (&Path, &RemotePath),
        source: &walk::Walked,
        target: &walk::Walked,
        replaced: &HashSet<String>,
    ) {
        let filters = &self.opts.sync.filters;
        let mut names: HashSet<String> = source
            .nodes
            .iter()
            .filter(|n| filters.excluded(&n.rel, n.kind == Kind::Dir).is_none())
            .map(|n| n.rel.clone())
            .collect();
        names.extend(source.problems.iter().map(|p| p.rel.clone()));
        // What the target walk refused or could not read is never removed, nor a directory holding it
        // (its RMD could only fail); each such problem is reported once, on the topmost entry it keeps.
        let mut blocked: Vec<(String, &walk::Problem)> = Vec::new();
        let doomed: Vec<Node> = sync::deletions(&target.nodes, &names, &self.opts.sync)
            .into_iter()
            .filter(|n| {
                let hit = target
                    .problems
                    .iter()
                    .find(|p| p.rel == n.rel || sync::within_dir(&n.rel, &p.rel));
                if let Some(p) = hit {
                    match blocked.iter_mut().find(|(_, q)| std::ptr::eq(*q, p)) {
                        Some(b) => b.0.clone_from(&n.rel),
                        None => blocked.push((n.rel.clone(), p)),
                    }
                }
                hit.is_none()
            })
            .collect();
        if doomed.is_empty() && replaced.is_empty() && blocked.is_empty() {
            return;
        }
        if let Some(e) = sync::refuse_delete(
            &self.opts.sync,
            source.incomplete(),
            source.nodes.len(),
            target.nodes.len(),
            doomed.len() + replaced.len(),
        ) {
            // Nothing deleted: a file whose place a directory holds fails at its upload instead.
            for j in self.jobs.iter_mut() {
                j.replaces.clear();
            }
            self.refuse(local, remote, e);
            return;
        }
        for (rel, p) in blocked {
            let e = Error::new(
                p.error.kind(),
                format!("not deleting {}: {}", escape(&rel), p.error.copied()),
            );
            if self.opts.sync.dry_run {
                self.fail(&local.join(&rel), &remote.join(&rel), e);
                continue;
            }
            self.planned.deletions.push(Deletion {
                remote: remote.join(&rel),
                dir: true,
                local: local.join(&rel).display().to_string(),
                blocked: Some(e),
            });
        }
        for n in doomed {
            // A directory a file replaces goes with that file's upload, with all it holds.
            if sync::within(replaced, &n.rel) {
                self.plan_item("delete", &n.rel, "in a directory a file replaces");
                continue;
            }
            self.plan_item("delete", &n.rel, "not in the source");
            self.planned.deletions.push(Deletion {
                remote: remote.join(&n.rel),
                dir: n.kind == Kind::Dir,
                local: local.join(&n.rel).display().to_string(),
                blocked: None,
            });
        }
    }
}

/// Runs `--delete`'s removals on a fresh session after every upload succeeded; otherwise deletes
/// nothing and says so.
pub fn run_deletions(
    ui: &Ui,
    conn: &FtpConnector,
    target: &crate::url::Target,
    deletions: Vec<Deletion>,
    results: &mut Vec<FileRecord>,
) {
    if deletions.is_empty() {
        return;
    }
    if results.iter().any(|r| r.result.is_failure()) {
        ui.warn("not deleting anything: some files failed");
        return;
    }
    let mut w = Worker::new(conn, None);
    // The answers of the DELEs sent ahead, pipelined, for the run of files the loop is in.
    let mut ahead: std::collections::VecDeque<Result<()>> = Default::default();
    for (i, d) in deletions.iter().enumerate() {
        let url = target.with_path(d.remote.to_string()).display();
        if !d.dir && ahead.is_empty() {
            let paths: Vec<&str> = deletions[i..]
                .iter()
                .take_while(|d| !d.dir)
                .map(|d| d.remote.as_str())
                .collect();
            ahead = w.dele_ahead(&paths);
        }
        if let Some(e) = &d.blocked {
            ui.item_error(e);
            results.push(FileRecord::failed(url, d.local.clone(), e));
            continue;
        }
        let removed = match ahead.pop_front() {
            Some(answer) => w.settle_dele(&d.remote, answer),
            // A directory, a lone file, or one a broken session left unanswered.
            None if d.dir => w.session().and_then(|s| s.rmd(d.remote.as_str())),
            None => {
                let answer = w.dele(d.remote.as_str());
                w.settle_dele(&d.remote, answer)
            }
        };
        match removed {
            Ok(()) => {
                ui.line(&format!("{url}: deleted"));
                results.push(FileRecord::deleted(url, d.local.clone()));
            }
            Err(e) => {
                w.failed(&e);
                ui.item_error(&e);
                results.push(FileRecord::failed(url, d.local.clone(), &e));
            }
        }
    }
    w.quit();
}

/// The remote entries at and under `rel` in a walked target, children first (the walk lists parents
/// first), as paths under `remote` with whether each is a directory.
fn subtree(target: &walk::Walked, rel: &str, remote: &RemotePath) -> Vec<(RemotePath, bool)> {
    let dirs = HashSet::from([rel.to_string()]);
    target
        .nodes
        .iter()
        .rev()
        .filter(|n| sync::within(&dirs, &n.rel))
        .map(|n| (remote.join(&n.rel), n.kind == Kind::Dir))
        .collect()
}

/// Whether the comparison of `local` with the same-named `remote` file needs the remote time from MDTM:
/// same size, no exact time from the listing, a time comparison wanted, and (on a server that cannot
/// set times) a LIST date that does not already settle it. The prefetch and the plan loop both ask this.
fn asks_mdtm(compare: sync::Compare, times_set: bool, local: &Node, remote: &Node) -> bool {
    remote.kind != Kind::Dir
        && remote.size == local.size
        && !(remote.mtime.is_some() && remote.exact_time)
        && needs_exact_time(compare, remote)
        && (times_set || !settled_by_listing(local, remote))
}

/// Whether the remote file's LIST date alone shows it is not older than the local one.
fn settled_by_listing(local: &Node, remote: &Node) -> bool {
    remote.size == local.size && sync::listed_not_older(local.mtime, remote.mtime)
}

/// The remote times the comparison will need, asked ahead in one pipelined run ([`Session::mdtm_many`]):
/// for every local file for which [`asks_mdtm`] holds, exactly when the loop in `mirror_tree` would ask
/// MDTM itself. Keyed by relative path; each reply is used once.
///
/// [`Session::mdtm_many`]: crate::ftp::Session::mdtm_many
fn remote_times(
    w: &mut Worker,
    remote: &RemotePath,
    nodes: &[Node],
    on_server: &HashMap<String, Node>,
    sync: &sync::SyncOptions,
    times_set: bool,
) -> Result<HashMap<String, Result<Option<std::time::SystemTime>>>> {
    let need: Vec<&Node> = nodes
        .iter()
        .filter(|n| n.kind == Kind::File)
        .filter(|n| sync.filters.excluded(&n.rel, false).is_none())
        .filter(|n| sync.filters.limited(n.size, n.mtime).is_none())
        .filter(|n| {
            on_server
                .get(&n.rel)
                .is_some_and(|r| asks_mdtm(sync.compare, times_set, n, r))
        })
        .collect();
    if need.is_empty() {
        return Ok(HashMap::new());
    }
    let paths: Vec<String> = need
        .iter()
        .map(|n| remote.join(&n.rel).into_string())
        .collect();
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let replies = crate::ops::ftp::pool::spread(w, &refs, |s, p| s.mdtm_many(p))?;
    Ok(need.iter().map(|n| n.rel.clone()).zip(replies).collect())
}
