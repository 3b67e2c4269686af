//! `ftp-get -R`: plans the mirror of one remote directory into a local one. The remote tree is walked
//! ([`walk_remote`], filters pruning excluded directories), the local target too, and every remote file
//! becomes a job or a skip with its reason ([`decide`]); local directories are created as the plan goes
//! (not with `--dry-run`), and `--delete` candidates are collected, checked for safety, and run by
//! [`run_deletions`] only after every transfer succeeded. A URL that names a file downloads that file.
//! Files get the listed mode ([`local_mode`]; an unchanged file whose mode differs gets its mode alone).
//! Each local tree is locked for the whole run ([`Planned::lock`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Dest, Job, Options, Slot, local_dir};
use crate::error::{Error, ErrorKind, Result};
use crate::ftp::RemotePath;
use crate::ftp::list::Kind;
use crate::ops::common::Ui;
use crate::ops::ftp::pool::{self, Worker};
use crate::ops::ftp::prescan::Prescan;
use crate::ops::ftp::record::FileRecord;
use crate::ops::ftp::sync::{self, Facts, PlanItem, Verdict, needs_exact_time};
use crate::ops::ftp::walk::{self, Node};
use crate::state::{LOCK_WAIT, RunLock};
use crate::terminal::escape;
use crate::url::Target;

/// A local entry `--delete` removes once every transfer succeeded.
pub struct Deletion {
    path: PathBuf,
    dir: bool,
    url: String,
}

/// What planning a run collects besides the jobs.
#[derive(Default)]
pub struct Planned {
    /// The `--dry-run` plan (also kept for real runs; cheap).
    pub plan: Vec<PlanItem>,
    /// `--delete`'s removals, in order (children first).
    pub deletions: Vec<Deletion>,
    /// The local trees this run mirrors into, each locked until the run ends ([`Planned::lock`]).
    locks: Vec<(PathBuf, RunLock)>,
    /// The mirrored directories and the times their sources have, set once the run's writes and
    /// deletions are done ([`set_dir_times`]).
    pub dir_times: Vec<(PathBuf, std::time::SystemTime)>,
}

impl Planned {
    /// Locks the local tree `root` for the rest of the run, so that two overlapping runs (a nightly
    /// mirror still going when the next starts) never write, resume or delete in the same tree at once;
    /// another run's lock is waited for up to `wait`, then the tree fails with exit 7. Whether another
    /// run held it first (what was read of the tree before may be out of date).
    fn lock(&mut self, root: &Path, wait: Duration) -> Result<bool> {
        if self.locks.iter().any(|(p, _)| p == root) {
            return Ok(false);
        }
        Ok(match RunLock::tree(root, wait)? {
            Some((lock, waited)) => {
                self.locks.push((root.to_path_buf(), lock));
                waited
            }
            None => false,
        })
    }

    /// Whether this run holds the lock of the local tree `root`.
    fn holds(&self, root: &Path) -> bool {
        self.locks.iter().any(|(p, _)| p == root)
    }
}

/// How old a download's temporary file must be before a later mirror holding the tree's lock takes it
/// for the leftover of a run that was killed (a live download writes to its file at least every
/// `--timeout`; a plain `ftp-get` into the tree takes no lock).
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// Removes the temporary files (`.NAME.XXXXXX.ferry-tmp`) that killed runs left in the locked tree
/// `root`, untouched for [`STALE_TEMP`]; they leave `local` too, so `--delete` does not count them.
/// A file of such a name that the source has too (`remote`: a tree another run left one in) is the
/// mirror's copy of it, with the source's old time: kept, not removed and fetched again each run.
fn sweep_stale_temps(ui: &Ui, root: &Path, local: &mut HashMap<String, Node>, remote: &[Node]) {
    let now = std::time::SystemTime::now();
    let mut stale: Vec<String> = local
        .values()
        .filter(|n| n.kind == Kind::File && sync::is_download_temp(&n.rel))
        .filter(|n| {
            n.mtime
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age >= STALE_TEMP)
        })
        .map(|n| n.rel.clone())
        .collect();
    if !stale.is_empty() {
        let in_source: HashSet<&str> = remote
            .iter()
            .filter(|n| sync::is_download_temp(&n.rel))
            .map(|n| n.rel.as_str())
            .collect();
        stale.retain(|rel| !in_source.contains(rel.as_str()));
    }
    for rel in stale {
        let path = root.join(&rel);
        match std::fs::remove_file(&path) {
            Ok(()) => {
                ui.note(&format!(
                    "removed {}, left by an interrupted run",
                    escape(&path.display().to_string())
                ));
                local.remove(&rel);
            }
            Err(e) => ui.warn(&format!(
                "cannot remove the stale temporary file {}: {e}",
                escape(&path.display().to_string())
            )),
        }
    }
}

/// Plans one `-R` URL into the run's results, jobs and plan; `scan` is the local tree's walk started
/// before the login ([`local_root`]), if any.
pub fn plan_tree(
    opts: &Options,
    ui: &Ui,
    w: &mut Worker,
    target: &Target,
    (slots, jobs, planned): (&mut Vec<Slot>, &mut Vec<Job>, &mut Planned),
    scan: Option<Prescan>,
) -> Result<()> {
    let out = out_dir(opts);
    let remote = RemotePath::dir(&target.path);
    let base = remote.last().to_string();
    // A URL without a trailing "/" may name a file: that file is downloaded (issue 14 item 7).
    if !target.path.is_empty() && !target.path.ends_with('/') && names_a_file(w, &target.path)? {
        safe(&base)?;
        if !opts.sync.dry_run {
            super::make_out_dir(&out)?;
        }
        let node = Node {
            rel: base.clone(),
            kind: Kind::File,
            size: None,
            mtime: None,
            exact_time: false,
            mode: None,
        };
        let local = local_nodes(&out, &mut |_| false)?;
        let mut m = Mirror {
            opts,
            ui,
            slots,
            jobs,
            planned,
            target,
            remote: RemotePath::new(target.path.clone()).parent(),
            root: out,
            local,
            sizes: HashMap::new(),
            mtimes: HashMap::new(),
            replaced: HashSet::new(),
            chmod_failed: false,
            pending: sync::Pending::default(),
            blocked: Vec::new(),
        };
        return m.file(w, &node, &target.path);
    }
    let root = if base.is_empty() {
        out.clone()
    } else {
        safe(&base)?;
        out.join(&base)
    };
    let filters = &opts.sync.filters;
    let enter = |rel: &str| filters.excluded(rel, true).is_none();
    // The local tree is read in a thread, started before the login when the run could ([`local_root`]).
    let scan = match scan {
        Some(s) if s.root() == root => s,
        _ => Prescan::start(root.clone(), filters),
    };
    let walked = walk::walk_remote(w, &remote, &enter);
    let scanned = scan.take();
    let walked = walked?;
    if !opts.sync.dry_run {
        // The -O directory is the user's: created when missing, used as it is (even a symlink).
        super::make_out_dir(&out)?;
        if root != out {
            local_dir(&root)?;
        }
    }
    let wait = opts.net.timeout.min(LOCK_WAIT);
    let waited = !opts.sync.dry_run && planned.lock(&root, wait)?;
    let mut local = match scanned {
        // Read while another run was changing it: read again.
        _ if waited => local_nodes(&root, &mut |rel| enter(rel))?,
        Some(walked) => by_rel(walked?),
        // Missing at the start (created above, so empty).
        None => HashMap::new(),
    };
    if planned.holds(&root) {
        sweep_stale_temps(ui, &root, &mut local, &walked.nodes);
    }
    let mut m = Mirror {
        opts,
        ui,
        slots,
        jobs,
        planned,
        target,
        remote,
        root,
        local,
        sizes: HashMap::new(),
        mtimes: HashMap::new(),
        replaced: HashSet::new(),
        chmod_failed: false,
        pending: sync::Pending::default(),
        blocked: Vec::new(),
    };
    for p in &walked.problems {
        m.problem(p);
    }
    m.prefetch(w, &walked.nodes)?;
    for node in &walked.nodes {
        m.pending.walked_to(&node.rel);
        if m.blocked.iter().any(|b| sync::within_dir(b, &node.rel)) {
            continue;
        }
        let path = m.remote.join(&node.rel).into_string();
        match node.kind {
            Kind::Dir => {
                if let Err(e) = m.dir(node) {
                    m.dir_failed(&node.rel, &e);
                } else if filters.excluded(&node.rel, true).is_some() {
                    m.blocked.push(node.rel.clone());
                } else if let Some(t) = node.mtime.filter(|_| opts.keeps_time()) {
                    m.planned.dir_times.push((m.root.join(&node.rel), t));
                }
            }
            Kind::Link => {
                let t = target.with_path(path);
                m.ui.note(&format!("not following symlink {}", escape(&node.rel)));
                m.skip(&t, &node.rel, "symlink (not followed)");
            }
            // A device, FIFO or socket on the server (LIST's b, c, p, s; an MLSD OS type): RETR of it
            // fails or never ends.
            Kind::Other => {
                let t = target.with_path(path);
                m.ui.note(&format!(
                    "skipping {}: not a regular file",
                    escape(&node.rel)
                ));
                m.skip(&t, &node.rel, "not a regular file");
            }
            Kind::File => m.file(w, node, &path)?,
        }
    }
    // The mirrored directory itself too, as rsync -a and cp -a give it (last: it is the shallowest).
    if let Some(t) = walked.root_mtime.filter(|_| opts.keeps_time()) {
        m.planned.dir_times.push((m.root.clone(), t));
    }
    if opts.sync.delete {
        m.plan_deletions(&walked);
    }
    Ok(())
}

/// Gives each mirrored directory its source's modification time (MLSD's, or LIST's to the minute or
/// day), deepest first, once nothing more is written or deleted in them (a file renamed into a
/// directory changes its time). A directory that is not there (a failed or pruned one) is passed
/// over; a symlink is never followed; any other failure is one warning for the run. One that already
/// has its time (an unchanged tree's every directory) costs an lstat, not an open.
pub fn set_dir_times(ui: &Ui, mut dirs: Vec<(PathBuf, std::time::SystemTime)>) {
    use std::os::unix::fs::OpenOptionsExt;
    dirs.sort_by_key(|(p, _)| std::cmp::Reverse(p.components().count()));
    let mut warned = false;
    for (dir, t) in dirs {
        // Already right (nothing written into it this run): one lstat, no open.
        if std::fs::symlink_metadata(&dir)
            .and_then(|m| m.modified())
            .is_ok_and(|have| have == t)
        {
            continue;
        }
        let set = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&dir)
            .and_then(|d| d.set_modified(t));
        match set {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound && !warned => {
                warned = true;
                ui.warn(&format!(
                    "cannot set the time of the directory {}: {e}",
                    escape(&dir.display().to_string())
                ));
            }
            _ => {}
        }
    }
}

/// Whether `path` names a file rather than a directory: MLST's type fact, else SIZE (which servers
/// answer for files only).
fn names_a_file(w: &mut Worker, path: &str) -> Result<bool> {
    let s = w.session()?;
    if s.features.mlst {
        let Some(facts) = s.mlst(path)? else {
            return Ok(false);
        };
        let facts = facts.split_once(' ').map_or(facts.as_str(), |(f, _)| f);
        return Ok(facts.split(';').any(|f| {
            f.split_once('=').is_some_and(|(k, v)| {
                k.eq_ignore_ascii_case("type") && v.eq_ignore_ascii_case("file")
            })
        }));
    }
    Ok(s.size(path)?.is_some())
}

fn safe(name: &str) -> Result<()> {
    walk::safe_remote_name(name).map_err(|why| {
        Error::new(
            ErrorKind::LocalIo,
            format!("{} cannot be a local name: {why}", escape(name)),
        )
    })
}

/// The local tree under `root`, by relative path.
fn local_nodes(root: &Path, enter: &mut dyn FnMut(&str) -> bool) -> Result<HashMap<String, Node>> {
    if !root.is_dir() {
        return Ok(HashMap::new());
    }
    Ok(by_rel(walk::walk_local(root, enter)?))
}

fn by_rel(walked: walk::Walked) -> HashMap<String, Node> {
    walked
        .nodes
        .into_iter()
        .map(|n| (n.rel.clone(), n))
        .collect()
}

/// Where downloads go: `-O DIR`, else the current directory.
fn out_dir(opts: &Options) -> PathBuf {
    match &opts.dest {
        Dest::Dir(d) => d.clone(),
        Dest::File(_) | Dest::Stdout => PathBuf::from("."),
    }
}

/// The mode a mirror gives a downloaded file whose listing showed `remote`: its read, write and execute
/// bits (never set-id or sticky) less the umask, as lftp's mirror does, and always readable by its owner
/// (a listing showing `----------` would otherwise leave a file its owner cannot read).
pub fn local_mode(remote: Option<u32>) -> Option<u32> {
    remote.map(|m| (m & 0o777 & !crate::fsys::umask()) | 0o400)
}

/// The local directory `-R` mirrors `target` into (`-O DIR` plus the URL's last directory name), known
/// before any login so its scan can start early ([`Prescan`]); `None` when that name is no safe local
/// name (planning reports it).
pub fn local_root(opts: &Options, target: &Target) -> Option<PathBuf> {
    let out = out_dir(opts);
    let base = RemotePath::dir(&target.path).last().to_string();
    if base.is_empty() {
        return Some(out);
    }
    safe(&base).ok()?;
    Some(out.join(base))
}

struct Mirror<'r> {
    opts: &'r Options,
    ui: &'r Ui,
    slots: &'r mut Vec<Slot>,
    jobs: &'r mut Vec<Job>,
    planned: &'r mut Planned,
    target: &'r Target,
    remote: RemotePath,
    root: PathBuf,
    local: HashMap<String, Node>,
    /// SIZE replies asked ahead, pipelined, by relative path ([`Mirror::prefetch`]).
    sizes: HashMap<String, Result<Option<u64>>>,
    /// MDTM replies asked ahead, pipelined, by relative path.
    mtimes: HashMap<String, Result<Option<std::time::SystemTime>>>,
    /// Local directories that downloaded files replace (`--delete`), by relative path.
    replaced: HashSet<String>,
    /// Whether setting an unchanged file's mode failed already (said once).
    chmod_failed: bool,
    /// `--prune-empty-dirs`: new directories made only once a file goes into them.
    pending: sync::Pending,
    /// Directories (relative) whose entries are not planned: excluded, or not made.
    blocked: Vec<String>,
}

impl Mirror<'_> {
    fn plan(&mut self, action: &'static str, rel: &str, reason: impl Into<String>) {
        self.planned.plan.push(PlanItem {
            action,
            path: rel.to_string(),
            reason: reason.into(),
        });
    }

    fn skip(&mut self, t: &Target, rel: &str, why: &str) {
        self.plan("skip", rel, why);
        self.slots.push(Slot::Done(FileRecord::skipped(
            t.display(),
            self.root.join(rel).display().to_string(),
            why,
        )));
    }

    /// A file that cannot be planned: reported, and the run ends with exit 10 (deleting nothing).
    fn fail(&mut self, t: &Target, rel: &str, e: &Error) {
        self.ui.item_error(e);
        self.slots.push(Slot::Done(FileRecord::failed(
            t.display(),
            self.root.join(rel).display().to_string(),
            e,
        )));
    }

    fn problem(&mut self, p: &walk::Problem) {
        let t = self
            .target
            .with_path(self.remote.join(&p.rel).into_string());
        self.ui.item_error(&p.error);
        let r = if p.unread {
            FileRecord::failed(t.display(), String::new(), &p.error)
        } else {
            FileRecord::refused(t.display(), String::new(), &p.error)
        };
        self.slots.push(Slot::Done(r));
    }

    /// A remote directory: the local one is created (or planned), an excluded one is skipped.
    fn dir(&mut self, node: &Node) -> Result<()> {
        if let Some(why) = self.opts.sync.filters.excluded(&node.rel, true) {
            let t = self
                .target
                .with_path(self.remote.join(&node.rel).into_string());
            self.skip(&t, &node.rel, &why);
            return Ok(());
        }
        let path = self.root.join(&node.rel);
        let want = node
            .mode
            .filter(|_| self.opts.sync.perms)
            .map(|m| sync::dir_mode(m & !crate::fsys::umask()));
        let local = self.local.get(&node.rel);
        let in_place = match local.map(|n| n.kind) {
            Some(Kind::Dir) => {
                let have = local.and_then(|n| n.mode).unwrap_or(0);
                if let Some(want) = want.filter(|w| *w != have & 0o777) {
                    let why = format!("mode {:03o} becomes {want:03o}", have & 0o777);
                    self.plan("chmod", &node.rel, why);
                    if !self.opts.sync.dry_run {
                        self.set_mode(&path, want);
                    }
                }
                return Ok(());
            }
            // A file that became a directory on the server: the file goes (as a changed file would be
            // replaced). A symlink stays, and fails in `local_dir`: it may be the user's (a subtree on
            // another disk), and it is never followed.
            Some(Kind::File) => true,
            _ => false,
        };
        let new = sync::NewDir {
            rel: node.rel.clone(),
            mode: want,
            in_place,
        };
        if self.opts.sync.prune_empty_dirs {
            self.pending.hold(new);
            return Ok(());
        }
        self.make_dir(&new)
    }

    /// Makes (or, with `--dry-run`, plans) a new local directory.
    fn make_dir(&mut self, new: &sync::NewDir) -> Result<()> {
        self.plan("mkdir", &new.rel, new.why());
        if self.opts.sync.dry_run {
            return Ok(());
        }
        let path = self.root.join(&new.rel);
        if new.in_place {
            std::fs::remove_file(&path)
                .map_err(|e| Error::local(format!("replacing {}", path.display()), e))?;
        }
        local_dir(&path)?;
        if let Some(want) = new.mode {
            self.set_mode(&path, want);
        }
        Ok(())
    }

    /// `--prune-empty-dirs`: makes the held directories a file about to be transferred goes into.
    /// One that cannot be made is reported as [`Mirror::dir`]'s failures are, and nothing below it is
    /// planned. Whether all were made.
    fn make_pending(&mut self) -> bool {
        for new in self.pending.take() {
            if let Err(e) = self.make_dir(&new) {
                self.dir_failed(&new.rel, &e);
                return false;
            }
        }
        true
    }

    /// A directory that could not be made: reported, and nothing below it planned.
    fn dir_failed(&mut self, rel: &str, e: &Error) {
        let t = self.target.with_path(self.remote.join(rel).into_string());
        self.fail(&t, rel, e);
        self.blocked.push(rel.to_string());
    }

    /// Gives `path` the mode `want`. The content is in sync whatever its mode: a mode that cannot be set
    /// (someone else's file) is a warning, given once a run (it would otherwise be one line per entry
    /// every night). Whether it was set.
    fn set_mode(&mut self, path: &Path, want: u32) -> bool {
        use std::os::unix::fs::PermissionsExt;
        let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(want)) else {
            return true;
        };
        if !std::mem::replace(&mut self.chmod_failed, true) {
            self.ui.warn(&format!(
                "cannot set the mode of {} ({e}); what cannot be given its mode keeps its own \
                 (--no-perms says not to try)",
                escape(&path.display().to_string())
            ));
        }
        false
    }

    /// A remote file: filtered, compared with the local one, then a job or a skip.
    fn file(&mut self, w: &mut Worker, node: &Node, path: &str) -> Result<()> {
        let t = self.target.with_path(path.to_string());
        let sync = &self.opts.sync;
        if let Some(why) = sync.filters.excluded(&node.rel, false) {
            self.skip(&t, &node.rel, &why);
            return Ok(());
        }
        // A directory that became a file on the server: with --delete it goes, with all it holds, once
        // the file is downloaded (just before its rename); without, the file fails saying so.
        let dir_in_the_way = self
            .local
            .get(&node.rel)
            .is_some_and(|n| n.kind == Kind::Dir);
        if dir_in_the_way && !sync.delete {
            let e = Error::new(
                ErrorKind::LocalIo,
                format!(
                    "{} is a directory where the server has a file (--delete replaces it)",
                    self.root.join(&node.rel).display()
                ),
            );
            self.fail(&t, &node.rel, &e);
            return Ok(());
        }
        let dst = self
            .local
            .get(&node.rel)
            .filter(|_| !dir_in_the_way)
            .map(|n| Facts {
                size: n.size,
                mtime: n.mtime,
            });
        let mut src = Facts {
            size: node.size,
            mtime: node.mtime.filter(|_| node.exact_time),
        };
        let timed = sync.filters.newer_than.is_some() || sync.filters.older_than.is_some();
        let sized = sync.filters.min_size.is_some() || sync.filters.max_size.is_some();
        let session_err = |e: Error| e.within(t.display());
        // A reply of a pipelined batch that is bad (a malformed MDTM, say) is this file's failure alone:
        // the reply was read whole, the session is in step. One asked here may have broken the session.
        if src.size.is_none() && (dst.is_some() || sized) {
            src.size = match self.sizes.remove(&node.rel) {
                Some(Err(e)) => {
                    self.fail(&t, &node.rel, &session_err(e));
                    return Ok(());
                }
                Some(Ok(size)) => size,
                None => w.session()?.size(path).map_err(session_err)?,
            };
        }
        let same_size = dst.is_some_and(|d| d.size.is_some() && d.size == src.size);
        if src.mtime.is_none() && ((same_size && needs_exact_time(sync.compare, node)) || timed) {
            src.mtime = match self.mtimes.remove(&node.rel) {
                Some(Err(e)) => {
                    self.fail(&t, &node.rel, &session_err(e));
                    return Ok(());
                }
                Some(Ok(mtime)) => mtime,
                None => w.session()?.mdtm(path).map_err(session_err)?,
            };
        }
        if let Some(why) = sync.filters.limited(src.size, src.mtime.or(node.mtime)) {
            self.skip(&t, &node.rel, &why);
            return Ok(());
        }
        let mode = local_mode(node.mode).filter(|_| sync.perms);
        match sync::decide(sync.compare, src, dst, true) {
            Verdict::Skip(why) => {
                let have = self.local.get(&node.rel).and_then(|n| n.mode);
                match mode.zip(have).filter(|(want, have)| *want != have & 0o777) {
                    Some((want, have)) => self.chmod(&t, &node.rel, &why, (have, want)),
                    None => self.skip(&t, &node.rel, &why),
                }
            }
            Verdict::Transfer(why) => {
                if !self.make_pending() {
                    return Ok(());
                }
                let why = if dir_in_the_way {
                    "a file in place of a directory".to_string()
                } else {
                    why
                };
                self.plan("transfer", &node.rel, why);
                if dir_in_the_way {
                    self.replaced.insert(node.rel.clone());
                }
                // The time asked ahead for the copy (see `prefetch`); without one, asked after RETR.
                if src.mtime.is_none()
                    && let Some(Ok(Some(time))) = self.mtimes.remove(&node.rel)
                {
                    src.mtime = Some(time);
                }
                self.slots.push(Slot::Job(self.jobs.len()));
                self.jobs.push(Job {
                    target: t,
                    local: self.root.join(&node.rel),
                    size: src.size,
                    mtime: src.mtime,
                    mode,
                    replaces_dir: dir_in_the_way,
                });
            }
        }
        Ok(())
    }

    /// An unchanged file whose mode is not the source's: given the source's mode, nothing transferred.
    fn chmod(&mut self, t: &Target, rel: &str, why: &str, (have, want): (u32, u32)) {
        self.plan(
            "chmod",
            rel,
            format!("{why}; mode {:03o} becomes {want:03o}", have & 0o777),
        );
        let path = self.root.join(rel);
        let local = path.display().to_string();
        if !self.opts.sync.dry_run && !self.set_mode(&path, want) {
            self.skip(t, rel, why);
            return;
        }
        self.slots.push(Slot::Done(FileRecord::skipped(
            t.display(),
            local,
            &format!("{why}; mode set to {want:03o}"),
        )));
    }

    /// Asks the server ahead, pipelined, what [`Mirror::file`] will need: SIZE for files the listing gave
    /// no size (when compared or size-filtered), then MDTM for files whose listed time is not exact and
    /// whose size matches the local copy (or for time filters), or that will be downloaded (their time
    /// is set on the copy). The same conditions as in `file` (only a file below a directory the plan
    /// then refuses is asked in vain); a reply is used once, and a file without one asks on its own.
    ///
    /// A downloaded file's time asked before its RETR, not after, also means a file changed in between
    /// gets the older time, which the next run sees differ (asked after, the old bytes would get the
    /// new time and look current for good); and it saves a round trip per file.
    fn prefetch(&mut self, w: &mut Worker, nodes: &[Node]) -> Result<()> {
        let sync = &self.opts.sync;
        let timed = sync.filters.newer_than.is_some() || sync.filters.older_than.is_some();
        let sized = sync.filters.min_size.is_some() || sync.filters.max_size.is_some();
        let keeps_time = self.opts.keeps_time();
        let files: Vec<&Node> = nodes
            .iter()
            .filter(|n| n.kind == Kind::File)
            .filter(|n| sync.filters.excluded(&n.rel, false).is_none())
            .collect();
        let need_size: Vec<&Node> = files
            .iter()
            .copied()
            .filter(|n| n.size.is_none() && (self.local.contains_key(&n.rel) || sized))
            .collect();
        if !need_size.is_empty() {
            let paths: Vec<String> = need_size
                .iter()
                .map(|n| self.remote.join(&n.rel).into_string())
                .collect();
            let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
            let replies = pool::spread(w, &refs, |s, p| s.size_many(p))?;
            for (n, r) in need_size.iter().zip(replies) {
                self.sizes.insert(n.rel.clone(), r);
            }
        }
        let need_time: Vec<&Node> = files
            .iter()
            .copied()
            .filter(|n| {
                if n.mtime.is_some() && n.exact_time {
                    return false;
                }
                let size = match self.sizes.get(&n.rel) {
                    Some(Ok(s)) => *s,
                    Some(Err(_)) => return false,
                    None => n.size,
                };
                let dst = self.local.get(&n.rel).map(|d| d.size);
                let same_size = dst.is_some_and(|d| d.is_some() && d == size);
                let downloaded = match sync.compare {
                    sync::Compare::Missing => dst.is_none(),
                    sync::Compare::Overwrite => true,
                    _ => !same_size,
                };
                (same_size && needs_exact_time(sync.compare, n))
                    || timed
                    || (keeps_time && downloaded)
            })
            .collect();
        if !need_time.is_empty() {
            let paths: Vec<String> = need_time
                .iter()
                .map(|n| self.remote.join(&n.rel).into_string())
                .collect();
            let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
            let replies = pool::spread(w, &refs, |s, p| s.mdtm_many(p))?;
            for (n, r) in need_time.iter().zip(replies) {
                self.mtimes.insert(n.rel.clone(), r);
            }
        }
        Ok(())
    }

    /// Collects what `--delete` removes, or one refusal saying why nothing will be.
    fn plan_deletions(&mut self, walked: &walk::Walked) {
        let filters = &self.opts.sync.filters;
        let mut source: HashSet<String> = walked
            .nodes
            .iter()
            .filter(|n| filters.excluded(&n.rel, n.kind == Kind::Dir).is_none())
            .map(|n| n.rel.clone())
            .collect();
        // Names the walk refused still exist on the server: their local copies stay.
        source.extend(walked.problems.iter().map(|p| p.rel.clone()));
        let mut target: Vec<Node> = self.local.values().cloned().collect();
        target.sort_by(|a, b| walk::tree_order(&a.rel, &b.rel));
        // A directory a downloaded file replaces goes with that file's job (with all it holds).
        let replaced = std::mem::take(&mut self.replaced);
        let doomed = sync::deletions(&target, &source, &self.opts.sync);
        if doomed.is_empty() && replaced.is_empty() {
            return;
        }
        if let Some(e) = sync::refuse_delete(
            &self.opts.sync,
            walked.incomplete(),
            walked.nodes.len(),
            target.len(),
            doomed.len() + replaced.len(),
        ) {
            // Nothing deleted: a file whose place a directory holds fails instead.
            for j in self.jobs.iter_mut() {
                j.replaces_dir = false;
            }
            self.ui.item_error(&e);
            self.slots.push(Slot::Done(FileRecord::refused(
                self.target.display(),
                self.root.display().to_string(),
                &e,
            )));
            return;
        }
        for n in doomed {
            if sync::within(&replaced, &n.rel) {
                self.plan("delete", &n.rel, "in a directory a file replaces");
                continue;
            }
            let url = self
                .target
                .with_path(self.remote.join(&n.rel).into_string())
                .display();
            self.plan("delete", &n.rel, "not in the source");
            self.planned.deletions.push(Deletion {
                path: self.root.join(&n.rel),
                dir: n.kind == Kind::Dir,
                url,
            });
        }
    }
}

/// Runs `--delete`'s removals, after every transfer succeeded; otherwise deletes nothing and says so.
pub fn run_deletions(ui: &Ui, deletions: Vec<Deletion>, results: &mut Vec<FileRecord>) {
    if deletions.is_empty() {
        return;
    }
    if results.iter().any(|r| r.result.is_failure()) {
        ui.warn("not deleting anything: some files failed");
        return;
    }
    for d in deletions {
        let path = d.path.display().to_string();
        let removed = if d.dir {
            std::fs::remove_dir(&d.path)
        } else {
            std::fs::remove_file(&d.path)
        };
        match removed {
            Ok(()) => {
                ui.line(&format!("{path}: deleted"));
                results.push(FileRecord::deleted(d.url, path));
            }
            Err(e) => {
                let e = Error::local(format!("deleting {path}"), e);
                ui.item_error(&e);
                results.push(FileRecord::failed(d.url, path, &e));
            }
        }
    }
}
