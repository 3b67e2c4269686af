//! Sessions working through one list of transfers: `--parallel N` opens up to N sessions to the same
//! server, each with its own control and data connections, pulling the next job from a shared queue.
//!
//! The first [`Worker`] is the session the run already has (it listed and planned); the others open
//! their own in their threads, and a session that cannot be opened just means fewer workers (the first
//! one always drains the queue). Results come back in job order, so output and `--json` do not depend
//! on scheduling. A worker whose last failure may have left its control connection unusable (timeout,
//! cut connection, protocol error) reconnects before its next job. With one session nothing is spawned.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

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
}

impl<'a> Worker<'a> {
    /// A worker around an open session (`None`: opened on first use).
    pub fn new(conn: &'a FtpConnector, session: Option<Session>) -> Worker<'a> {
        Worker {
            conn,
            session,
            broken: false,
        }
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
    std::thread::scope(|scope| {
        for n in 0..extra {
            let drain = &drain;
            scope.spawn(move || {
                let mut w = Worker::new(conn, None);
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
        let mut first = first;
        drain(&mut first);
        first.quit();
    });
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}
