//! Sessions working through one list of transfers: `--parallel N` uses up to N sessions to the same
//! server, each with its own control and data connections, pulling the next job from a shared queue.
//!
//! The first [`Worker`] is the session the run already has (it listed and planned); the others are the
//! run's [`Spares`], opened in the background and joining a loop as their logins complete, so no loop
//! waits for a login (a spare that cannot be opened just means fewer workers: the first one always
//! drains the queue). Results come back in job order, so output and `--json` do not depend on
//! scheduling. A worker whose last failure may have left its control connection unusable (timeout, cut
//! connection, protocol error) reconnects before its next job. With one session nothing is spawned.
//!
//! Planning uses the same sessions: [`drain_stack`] (the tree walk) and [`spread`] (MDTM/SIZE
//! questions) share their work out the same way, and [`run`] then transfers on the sessions already
//! open. Each loop tells the spares its pace, so more are opened only while the work left is worth a
//! login ([`Spares::consider`]).

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use crate::error::{Error, ErrorKind, Result};
use crate::ftp::Session;
use crate::ftp::path::RemotePath;
use crate::ops::common::Ui;
use crate::ops::ftp::connect::FtpConnector;
use crate::ops::ftp::ls::list_for;
use crate::ops::ftp::spares::{Pace, Spares};

/// The most sessions `--parallel` opens to one server.
pub const MAX_PARALLEL: usize = 64;

/// One session and what is needed to replace it.
pub struct Worker<'a> {
    /// How to (re)open sessions.
    pub conn: &'a FtpConnector,
    session: Option<Session>,
    broken: bool,
    /// Whether the failure that broke the session was a timeout (the server may still say nothing).
    timed_out: bool,
    /// The run's other sessions (the first worker only).
    spares: Option<Arc<Spares>>,
    /// Files whose DELE was sent on a session that broke before answering: the server may have
    /// carried it out (see [`Worker::settle_dele`]).
    unanswered: HashSet<String>,
}

impl<'a> Worker<'a> {
    /// A worker around an open session (`None`: opened on first use).
    pub fn new(conn: &'a FtpConnector, session: Option<Session>) -> Worker<'a> {
        Worker {
            conn,
            session,
            broken: false,
            timed_out: false,
            spares: None,
            unanswered: HashSet::new(),
        }
    }

    /// Opens a run's first session (with `--retries`) and its spares: with `several` items to come
    /// (a tree, a glob, several files), the first spare starts logging in as soon as the first
    /// session's control connection is up, and the run goes on with whichever logs in first
    /// ([`Spares::open_first`]).
    pub fn open(
        conn: &'a FtpConnector,
        ui: &Ui,
        parallel: usize,
        several: bool,
    ) -> Result<Worker<'a>> {
        let spares = Spares::new(conn, parallel);
        // A raced first login is measured by the spares themselves.
        let opened = match (several, &spares) {
            (true, Some(s)) => s.open_first(ui).map(|s| (s, None)),
            _ => conn.open_timed(ui).map(|(s, took)| (s, Some(took))),
        };
        let (session, took) = opened.inspect_err(|_| {
            if let Some(s) = &spares {
                s.close();
            }
        })?;
        if let (Some(s), Some(took)) = (&spares, took) {
            s.first_login(took);
        }
        let mut w = Worker::new(conn, Some(session));
        w.spares = spares;
        Ok(w)
    }

    /// How many sessions the run may have at most: this one and its spares, once any was started (a
    /// mirror upload starts them only as its uploads start: until then, this one).
    pub fn sessions(&self) -> usize {
        1 + self
            .spares
            .as_ref()
            .filter(|s| s.started())
            .map_or(0, |s| s.max)
    }

    /// The session, first replaced by a fresh one when the last failure may have broken it.
    pub fn session(&mut self) -> Result<&mut Session> {
        if self.broken {
            // A broken control connection is only dropped: a QUIT could wait out the whole timeout.
            self.session = None;
            self.broken = false;
            self.timed_out = false;
        }
        if self.session.is_none() {
            self.session = Some(self.conn.open_once()?);
        }
        self.session
            .as_mut()
            .ok_or_else(|| Error::new(ErrorKind::Internal, "no session"))
    }

    /// Records a failure; the session is replaced before the next use if the failure may have broken it.
    pub fn failed(&mut self, e: &Error) {
        if session_may_be_broken(e) {
            self.broken = true;
            self.timed_out |= e.kind() == ErrorKind::Timeout;
        }
    }

    /// DELE of `paths` sent ahead, pipelined ([`Session::dele_many`]), for two or more (one goes on
    /// its own, empty here): their answers in order, as far as read before any failure of the session
    /// (recorded: the next use opens a new one, and the files after those are the caller's to ask
    /// again).
    pub fn dele_ahead(&mut self, paths: &[&str]) -> std::collections::VecDeque<Result<()>> {
        let mut answers = Vec::with_capacity(paths.len());
        if paths.len() >= 2
            && let Err(e) = self
                .session()
                .and_then(|s| s.dele_many(paths, &mut answers))
        {
            self.failed(&e);
            let unanswered = paths.get(answers.len()..).unwrap_or_default();
            self.unanswered
                .extend(unanswered.iter().map(|p| p.to_string()));
        }
        answers.into()
    }

    /// DELE of one file (RFC 959 §4.1.3); a failure that may have broken the session leaves it
    /// unanswered (see [`Worker::settle_dele`]).
    pub fn dele(&mut self, path: &str) -> Result<()> {
        let r = self.session().and_then(|s| s.dele(path));
        if let Err(e) = &r {
            self.failed(e);
            if session_may_be_broken(e) {
                self.unanswered.insert(path.to_string());
            }
        }
        r
    }

    /// The last word on removing `path`, given the answer to its last DELE: a refusal (5xx) of a file
    /// whose earlier DELE went unanswered (its session broke) may only say that the first one removed
    /// it, so it stands only while the parent directory still lists the file (or cannot be listed).
    pub fn settle_dele(&mut self, path: &RemotePath, answer: Result<()>) -> Result<()> {
        let Err(refusal) = answer else { return answer };
        if refusal.kind() != ErrorKind::Permanent || !self.unanswered.contains(path.as_str()) {
            return Err(refusal);
        }
        let (dir, name) = path.split();
        let listed = self.session().and_then(|s| list_for(s, dir.as_str(), name));
        match listed {
            Ok(entries) if !entries.iter().any(|e| e.name == name) => Ok(()),
            Ok(_) => Err(refusal),
            Err(e) => {
                self.failed(&e);
                Err(refusal)
            }
        }
    }

    /// The session, unless the last failure may have broken it (for handing back to the spares).
    fn into_session(self) -> Option<Session> {
        if self.broken { None } else { self.session }
    }

    /// Ends the session with QUIT (a dead connection fails the QUIT at once; the reply wait is bounded),
    /// and the run's spares with it. A session whose last failure was a timeout is only dropped: a server
    /// that still says nothing (or still streams the reply that timed out) would make the QUIT wait out a
    /// second whole timeout.
    pub fn quit(self) {
        if let Some(spares) = &self.spares {
            spares.close();
        }
        if let Some(s) = self.session.filter(|_| !(self.broken && self.timed_out)) {
            s.quit();
        }
    }
}

/// Whether a failure may have left the control connection unusable (cut, timed out, out of step).
pub fn session_may_be_broken(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Timeout | ErrorKind::Protocol | ErrorKind::Connect | ErrorKind::Tls
    )
}

/// Runs `drain(worker, false)` on each of `w`'s spares that is open or opens while `wanted()` says work
/// is left and, at the same time, `drain(w, true)` on `w`, which works its loop's first item (claimed
/// before any spare starts: the first session keeps the order one session would have). Returns when
/// `w`'s drain has returned and the spares that joined have finished; they go back to the spares for
/// the next loop. `queued()` counts the items that no session has taken (see [`Spares::take`]).
fn share<F>(
    w: &mut Worker,
    (wanted, queued): (&(dyn Fn() -> bool + Sync), &(dyn Fn() -> usize + Sync)),
    drain: &F,
) where
    F: Fn(&mut Worker, bool) + Sync,
{
    let Some(spares) = w.spares.clone() else {
        drain(w, true);
        return;
    };
    spares.begin();
    std::thread::scope(|scope| {
        for _ in 0..spares.max {
            let spares = &spares;
            scope.spawn(move || {
                if let Some(s) = spares.take(wanted, queued) {
                    let mut h = Worker::new(&spares.conn, Some(s));
                    drain(&mut h, false);
                    spares.give_back(h.into_session());
                }
            });
        }
        drain(w, true);
        // The loop's work is over: the spares' waiters return now, not at their next look.
        spares.wake();
    });
}

/// Works items `0..count` in turn, each taken from `next` (item 0 is the first worker's: `head`), and
/// after each one tells the run's `spares` how much is left at the pace measured in `speed` (see
/// [`pace`]; a spare worker has no spares of its own, so the run's are passed in).
fn in_turn(
    w: &mut Worker,
    head: bool,
    next: &AtomicUsize,
    count: usize,
    (spares, speed): (Option<&Arc<Spares>>, &Pace),
    each: &dyn Fn(&mut Worker, usize),
) {
    let mut own = head.then_some(0);
    loop {
        let i = own
            .take()
            .unwrap_or_else(|| next.fetch_add(1, Ordering::Relaxed));
        if i >= count {
            break;
        }
        let started = Instant::now();
        each(w, i);
        let left = count.saturating_sub(next.load(Ordering::Relaxed));
        pace(spares, speed, started, left);
    }
}

/// Tells the spares of `w` how much work is left (`remaining` items) at the pace measured so far.
fn pace(spares: Option<&Arc<Spares>>, pace: &Pace, took: Instant, remaining: usize) {
    let mean = pace.add(took.elapsed());
    if let Some(s) = spares {
        s.consider(remaining, mean);
    }
}

/// A transfer of at least this many bytes is worth a session of its own from the start of a run: on
/// all but the fastest links it lasts longer than a login.
pub const BIG_ITEM: u64 = 1 << 20;

/// Runs `work` on every job with `first` and its spare sessions (up to `parallel` in all; `first`
/// carries them), and returns the results in job order. A spare that could not be opened is noted
/// through `ui`. Jobs of [`BIG_ITEM`] bytes or more (`size_of`) get as many sessions at once, up to
/// `parallel` ([`Spares::open_for`]), not one after the other as the pace shows them worth it; several
/// smaller ones of [`BIG_ITEM`] bytes in all start the first spare at once (its login overlaps the
/// first transfers), fewer leave it to the pace of the first transfer.
pub fn run<J, R, F>(
    ui: &Ui,
    first: Worker,
    parallel: usize,
    (jobs, size_of): (&[J], impl Fn(&J) -> Option<u64>),
    work: F,
) -> Vec<R>
where
    J: Sync,
    R: Send,
    F: Fn(&mut Worker, &J) -> R + Sync,
{
    // Job 0 is the first worker's; the others are taken in turn.
    let next = AtomicUsize::new(1);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(jobs.len()));
    let spares = first.spares.clone();
    if let Some(s) = &spares {
        let big = jobs
            .iter()
            .filter(|j| size_of(j).is_some_and(|n| n >= BIG_ITEM))
            .count();
        s.open_for(big);
        let bytes = jobs
            .iter()
            .filter_map(&size_of)
            .fold(0u64, u64::saturating_add);
        if jobs.len() > 1 && bytes >= BIG_ITEM {
            s.start();
        }
    }
    let speed = Pace::default();
    let drain = |w: &mut Worker, head: bool| {
        in_turn(
            w,
            head,
            &next,
            jobs.len(),
            (spares.as_ref(), &speed),
            &|w, i| {
                let Some(job) = jobs.get(i) else { return };
                let r = work(w, job);
                if let Ok(mut d) = done.lock() {
                    d.push((i, r));
                }
            },
        );
    };
    let mut first = first;
    if jobs.len() > 1 && parallel > 1 {
        let queued = || jobs.len().saturating_sub(next.load(Ordering::Relaxed));
        share(&mut first, (&|| queued() > 0, &queued), &drain);
    } else {
        drain(&mut first, true);
    }
    first.quit();
    if let Some(e) = spares.as_ref().and_then(|s| s.failure()) {
        ui.warn(&format!(
            "note: a parallel session could not be opened: {e}; continuing with fewer"
        ));
    }
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Asks `ask` about `items` in pipelined chunks, on the first worker and whichever spare sessions are
/// open, and returns the answers in item order. One chunk failing as a whole fails the call, as it
/// would on one session.
pub fn spread<T, A>(w: &mut Worker, items: &[&str], ask: A) -> Result<Vec<T>>
where
    T: Send,
    A: Fn(&mut Session, &[&str]) -> Result<Vec<T>> + Sync,
{
    // One pipelined batch of the session's (`mdtm_many`, `size_many`): smaller chunks are not worth
    // another session's round trip.
    const CHUNK: usize = 64;
    if w.spares.is_none() || items.len() <= CHUNK {
        return ask(w.session()?, items);
    }
    let chunks: Vec<&[&str]> = items.chunks(CHUNK).collect();
    // Chunk 0 is the first worker's.
    let next = AtomicUsize::new(1);
    let answers: Mutex<Vec<Option<Result<Vec<T>>>>> =
        Mutex::new(chunks.iter().map(|_| None).collect());
    let spares = w.spares.clone();
    let speed = Pace::default();
    let drain = |w: &mut Worker, head: bool| {
        in_turn(
            w,
            head,
            &next,
            chunks.len(),
            (spares.as_ref(), &speed),
            &|w, i| {
                let Some(part) = chunks.get(i) else { return };
                let r = w.session().and_then(|s| ask(s, part));
                if let Err(e) = &r {
                    w.failed(e);
                }
                if let Some(slot) = answers.lock().unwrap_or_else(|p| p.into_inner()).get_mut(i) {
                    *slot = Some(r);
                }
            },
        );
    };
    let queued = || chunks.len().saturating_sub(next.load(Ordering::Relaxed));
    share(w, (&|| queued() > 0, &queued), &drain);
    let mut out = Vec::with_capacity(items.len());
    for a in answers.into_inner().unwrap_or_else(|p| p.into_inner()) {
        match a {
            Some(r) => out.extend(r?),
            None => return Err(Error::new(ErrorKind::Internal, "a chunk was never asked")),
        }
    }
    Ok(out)
}

/// Works through a stack of jobs that working may add to (a tree walk: listing a directory finds
/// more), on the first worker and its spares at once. `work` returns the job's result and the jobs
/// it found, which are pushed in reverse so that with one session the order is depth-first, as a
/// plain loop would do it. Returns every (job, result) in completion order; `Err` stops the run.
pub fn drain_stack<J, R, F>(w: &mut Worker, start: Vec<J>, work: F) -> Result<Vec<(J, R)>>
where
    J: Send + Clone,
    R: Send,
    F: Fn(&mut Worker, &J) -> Result<(R, Vec<J>)> + Sync,
{
    struct Queue<J, R> {
        stack: Vec<J>,
        busy: usize,
        done: Vec<(J, R)>,
        failed: Option<Error>,
    }
    let mut start = start;
    start.reverse();
    let q = Mutex::new(Queue {
        stack: start,
        busy: 0,
        done: Vec::new(),
        failed: None,
    });
    let cv = Condvar::new();
    let lock = || q.lock().unwrap_or_else(|p| p.into_inner());
    let spares = w.spares.clone();
    let speed = Pace::default();
    // The first job is the first worker's (counted busy from here).
    let head = {
        let mut g = lock();
        let job = g.stack.pop();
        g.busy += usize::from(job.is_some());
        Mutex::new(job)
    };
    let drain = |w: &mut Worker, first: bool| {
        let mut own = if first {
            head.lock().unwrap_or_else(|p| p.into_inner()).take()
        } else {
            None
        };
        let mut g = lock();
        loop {
            let job = match own.take() {
                Some(job) => job,
                None => {
                    if g.failed.is_some() {
                        break;
                    }
                    let Some(job) = g.stack.pop() else {
                        if g.busy == 0 {
                            break;
                        }
                        g = cv.wait(g).unwrap_or_else(|p| p.into_inner());
                        continue;
                    };
                    g.busy += 1;
                    job
                }
            };
            drop(g);
            let started = Instant::now();
            let r = work(w, &job);
            g = lock();
            g.busy -= 1;
            match r {
                Ok((r, mut more)) => {
                    more.reverse();
                    g.stack.extend(more);
                    g.done.push((job, r));
                }
                Err(e) => g.failed = Some(e),
            }
            cv.notify_all();
            let left = g.stack.len();
            drop(g);
            pace(spares.as_ref(), &speed, started, left);
            g = lock();
        }
    };
    let wanted = || {
        let g = lock();
        g.failed.is_none() && (!g.stack.is_empty() || g.busy > 0)
    };
    let queued = || lock().stack.len();
    share(w, (&wanted, &queued), &drain);
    let q = q.into_inner().unwrap_or_else(|p| p.into_inner());
    match q.failed {
        Some(e) => Err(e),
        None => Ok(q.done),
    }
}
