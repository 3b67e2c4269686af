//! Sessions working through one list of transfers: `--parallel N` opens up to N sessions to the same
//! server, each with its own control and data connections, pulling the next job from a shared queue.
//!
//! The first [`Worker`] is the session the run already has (it listed and planned); the others open
//! their own in their threads, and a session that cannot be opened just means fewer workers (the first
//! one always drains the queue). Results come back in job order, so output and `--json` do not depend
//! on scheduling. A worker whose last failure may have left its control connection unusable (timeout,
//! cut connection, protocol error) reconnects before its next job. With one session nothing is spawned.
//!
//! Planning uses the same sessions: [`Worker::set_parallel`] gives the first worker its spare
//! workers (opened on first use, in the threads that use them), [`spread`] and [`drain_stack`] share
//! the planning's listings and MDTM/SIZE questions out among them, and [`run`] then transfers on the
//! sessions already open.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use crate::error::{Error, ErrorKind, Result};
use crate::ftp::Session;
use crate::ops::common::Ui;
use crate::ops::ftp::connect::FtpConnector;

/// The most sessions `--parallel` opens to one server.
pub const MAX_PARALLEL: usize = 64;

/// One session and what is needed to replace it.
pub struct Worker<'a> {
    /// How to (re)open sessions.
    pub conn: &'a FtpConnector,
    session: Option<Session>,
    broken: bool,
    /// The other sessions of `--parallel` (session-less until first used).
    spare: Vec<Worker<'a>>,
    /// Whether opening this worker's session failed (a spare then sits out the planning).
    dead: bool,
}

impl<'a> Worker<'a> {
    /// A worker around an open session (`None`: opened on first use).
    pub fn new(conn: &'a FtpConnector, session: Option<Session>) -> Worker<'a> {
        Worker {
            conn,
            session,
            broken: false,
            spare: Vec::new(),
            dead: false,
        }
    }

    /// Gives this (first) worker `parallel - 1` spare workers that planning and [`run`] share work with.
    pub fn set_parallel(&mut self, parallel: usize) {
        let extra = parallel.clamp(1, MAX_PARALLEL) - 1;
        let conn = self.conn;
        self.spare.resize_with(extra, || Worker::new(conn, None));
    }

    /// Opens a spare worker's session in its own thread; false (and never tried again while
    /// planning) when that fails: the other sessions do its share.
    fn ready(&mut self) -> bool {
        if self.dead {
            return false;
        }
        let ok = self.session().is_ok();
        self.dead = !ok;
        ok
    }

    /// The session, first replaced by a fresh one when the last failure may have broken it.
    pub fn session(&mut self) -> Result<&mut Session> {
        if self.broken {
            // A broken control connection is only dropped: a QUIT could wait out the whole timeout.
            self.session = None;
            self.broken = false;
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
        }
    }

    /// Ends the session with QUIT (a dead connection fails the QUIT at once; the reply wait is bounded).
    pub fn quit(self) {
        for w in self.spare {
            w.quit();
        }
        if let Some(s) = self.session {
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

/// Runs `work` on every job with `first` plus up to `parallel - 1` more sessions, and returns the results
/// in job order. An extra session that cannot be opened is noted through `ui`.
pub fn run<J, R, F>(ui: &Ui, first: Worker, parallel: usize, jobs: &[J], work: F) -> Vec<R>
where
    J: Sync,
    R: Send,
    F: Fn(&mut Worker, &J) -> R + Sync,
{
    let extra = parallel.clamp(1, MAX_PARALLEL).min(jobs.len().max(1)) - 1;
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(jobs.len()));
    let drain = |w: &mut Worker| {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { break };
            let r = work(w, job);
            if let Ok(mut d) = done.lock() {
                d.push((i, r));
            }
        }
    };
    let conn = first.conn;
    let mut first = first;
    // Sessions planning already opened are used first; more are opened only when planning had none.
    let mut helpers = std::mem::take(&mut first.spare);
    for w in helpers.drain(extra.min(helpers.len())..) {
        w.quit();
    }
    helpers.resize_with(extra, || Worker::new(conn, None));
    std::thread::scope(|scope| {
        for (n, mut w) in helpers.into_iter().enumerate() {
            let drain = &drain;
            scope.spawn(move || {
                w.dead = false;
                if let Err(e) = w.session() {
                    ui.warn(&format!(
                        "note: session {} of {}: {e}; continuing with fewer",
                        n + 2,
                        extra + 1
                    ));
                    return;
                }
                drain(&mut w);
                w.quit();
            });
        }
        drain(&mut first);
        first.quit();
    });
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Asks `ask` about `items` in contiguous chunks, one per session (the first worker and its spares, in
/// parallel), and returns the answers in item order. One chunk failing as a whole fails the call, as
/// it would on one session; a spare that cannot be opened leaves its chunk to the first worker.
pub fn spread<T, A>(w: &mut Worker, items: &[&str], ask: A) -> Result<Vec<T>>
where
    T: Send,
    A: Fn(&mut Session, &[&str]) -> Result<Vec<T>> + Sync,
{
    // Small batches are not worth another session's round trip.
    const MIN_CHUNK: usize = 16;
    let sessions = (w.spare.len() + 1)
        .min(items.len().div_ceil(MIN_CHUNK))
        .max(1);
    if sessions == 1 {
        return ask(w.session()?, items);
    }
    let chunk = items.len().div_ceil(sessions);
    let mut chunks = items.chunks(chunk);
    let mine = chunks.next().unwrap_or(&[]);
    let rest: Vec<&[&str]> = chunks.collect();
    let mut spare = std::mem::take(&mut w.spare);
    let ask = &ask;
    let (first, others) = std::thread::scope(|scope| {
        let handles: Vec<_> = spare
            .iter_mut()
            .zip(rest.iter().copied())
            .map(|(h, part)| {
                scope.spawn(move || {
                    if !h.ready() {
                        return None;
                    }
                    let r = h.session().and_then(|s| ask(s, part));
                    if let Err(e) = &r {
                        h.failed(e);
                    }
                    Some(r)
                })
            })
            .collect();
        let first = w.session().and_then(|s| ask(s, mine));
        let others: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or(None))
            .collect();
        (first, others)
    });
    w.spare = spare;
    let mut out = first?;
    for (part, r) in rest.iter().zip(others) {
        match r {
            Some(r) => out.extend(r?),
            // Its session never opened: the first worker asks instead.
            None => out.extend(ask(w.session()?, part)?),
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
    let drain = |w: &mut Worker| {
        let mut g = lock();
        loop {
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
            drop(g);
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
        }
    };
    let mut spare = std::mem::take(&mut w.spare);
    std::thread::scope(|scope| {
        for h in spare.iter_mut() {
            let drain = &drain;
            scope.spawn(move || {
                if h.ready() {
                    drain(h);
                }
            });
        }
        drain(w);
    });
    w.spare = spare;
    let q = q.into_inner().unwrap_or_else(|p| p.into_inner());
    match q.failed {
        Some(e) => Err(e),
        None => Ok(q.done),
    }
}
