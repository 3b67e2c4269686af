//! The extra sessions of `--parallel N`: opened in the background, each by its own detached thread, so
//! a run never waits for a login it does not need.
//!
//! What it owns: when a spare session is opened, lending the open ones to the pool's work loops, and
//! ending them. The first session of a run plans and works on its own; spares join whatever work is
//! queued as their logins complete ([`crate::ops::ftp::pool`] runs the loops). Which session is the
//! first is a race ([`Spares::open_first`]): the run goes on with whichever of its first login and the
//! first spare's logs in first, and the other becomes a spare. How many are opened:
//!
//! * one at the start of a run that will have several items ([`Spares::start`], called once the first
//!   session's control connection is up), so its login overlaps the first session's; a mirror upload
//!   opens one as its uploads start when they come to a MiB or more (`pool::run`), else none up front
//!   (an unchanged tree needs no second login, the costliest command a server answers, nor do a few
//!   small changed files): its first spare then comes from the pace rule below, which measures a login
//!   by the first session's until a spare has logged in ([`Spares::first_login`]);
//! * then one more at a time (never two logins in flight), and only while the queued work would keep
//!   the sessions already there busy for longer than two logins take ([`Spares::consider`]: the measured
//!   login time against the measured time per item); or, when items still wait that no session has
//!   taken a whole login's time after the last spare logged in and after the last item finished,
//!   one for each such item at once ([`Spares::take`]: a few big files, none finished yet to measure a
//!   pace by);
//! * and as many as a loop has transfers of a MiB or more, at once, when it starts
//!   ([`Spares::open_for`]).
//!
//! A server whose logins cost tens of milliseconds of password hashing so gets one or two sessions for
//! a tree that is already in sync, and all N for a tree to transfer. A login still in progress when the
//! run ends is abandoned (its connection closes at exit); an open spare ends with QUIT. The first failed
//! opening stops further ones: the sessions already open do the work.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::ftp::Session;
use crate::ops::ftp::connect::FtpConnector;

/// How long a loop waiting for a spare sleeps at most between looks at its own queue (a backstop: the
/// end of the work and every login wake it at once).
const POLL: Duration = Duration::from_millis(50);

/// The spare sessions of one run against one server.
pub struct Spares {
    /// How the spares are opened (a copy of the run's connector, owned: openers outlive no run but are
    /// detached from it).
    pub conn: Arc<FtpConnector>,
    /// The most spares (`--parallel` minus the first session).
    pub max: usize,
    /// The backstop of a wait in [`Spares::take`] ([`POLL`]).
    poll: Duration,
    state: Mutex<State>,
    ready: Condvar,
}

#[derive(Default)]
struct State {
    /// Open sessions no loop is using.
    idle: Vec<Session>,
    /// Logins in progress.
    opening: usize,
    /// Openings started (done, failed or in progress).
    launched: usize,
    /// Spares lent to a loop.
    lent: usize,
    /// The run has ended: late logins quit at once.
    closed: bool,
    /// The first opening that failed; none is tried after it.
    failed: Option<Error>,
    /// How long the last spare's login took.
    login: Option<Duration>,
    /// When the last spare logged in.
    arrived_at: Option<Instant>,
    /// When a loop last started or a session last finished an item ([`Spares::begin`],
    /// [`Spares::consider`]): the sessions at work were making progress then.
    progress_at: Option<Instant>,
    /// The run's first login while [`Spares::open_first`] races it against the first spare's.
    first: First,
}

/// Where the run's first login stands in [`Spares::open_first`].
#[derive(Default)]
enum First {
    /// Not racing (or the race is over and the first login became a spare opening).
    #[default]
    Idle,
    /// The run waits for it (or for a spare).
    Waiting,
    /// It ended before the run took a spare.
    Done(Box<Result<Session>>),
}

impl Spares {
    /// Spares for a run of `parallel` sessions (`None` for one); none is opened yet.
    pub fn new(conn: &FtpConnector, parallel: usize) -> Option<Arc<Spares>> {
        let max = parallel.clamp(1, crate::ops::ftp::pool::MAX_PARALLEL) - 1;
        if max == 0 {
            return None;
        }
        let spares = Arc::new(Spares {
            conn: Arc::new(FtpConnector {
                conn: conn.conn.with_target(conn.target().clone()),
                mode: conn.mode,
                limit: conn.limit.clone(),
            }),
            max,
            poll: POLL,
            state: Mutex::new(State::default()),
            ready: Condvar::new(),
        });
        Some(spares)
    }

    /// Whether a spare's opening was ever started.
    pub fn started(&self) -> bool {
        self.lock().launched > 0
    }

    /// Starts opening the first spare, unless one was started already (for a run that will have several
    /// items: called once the first session's control connection is up, so the two logins overlap; or
    /// as transfers of a MiB or more in all start).
    pub fn start(self: &Arc<Self>) {
        if self.lock().launched == 0 {
            self.launch();
        }
    }

    /// Opens the run's first session (with `--retries`), starting the first spare once its control
    /// connection is up, and goes on with whichever of the two logs in first: a server's password check
    /// can keep one connection tens of milliseconds longer than the other (vsftpd's PAM, on a busy
    /// machine), and the run need not wait for the slower one. The login that finishes second becomes a
    /// spare. When the first login fails but a spare is open, the run goes on with the spare.
    pub fn open_first(self: &Arc<Self>, ui: &crate::ops::common::Ui) -> Result<Session> {
        crate::ops::common::with_retries(&self.conn.conn.retry, ui, |_| self.race())
    }

    /// One attempt of [`Spares::open_first`]: the first login in a thread of its own, while this one
    /// waits for it or for an idle spare.
    fn race(self: &Arc<Self>) -> Result<Session> {
        self.lock().first = First::Waiting;
        let me = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("ftp-login".into())
            .spawn(move || me.open_main());
        if spawned.is_err() {
            self.lock().first = First::Idle;
            return self.conn.open_once_and(&|| self.start());
        }
        let mut g = self.lock();
        loop {
            match std::mem::take(&mut g.first) {
                First::Done(done) => return done.or_else(|e| g.idle.pop().ok_or(e)),
                waiting => g.first = waiting,
            }
            if let Some(s) = g.idle.pop() {
                // The first login goes on as a spare's opening.
                g.first = First::Idle;
                g.opening += 1;
                return Ok(s);
            }
            g = match self.ready.wait_timeout(g, self.poll) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
    }

    /// The thread of the run's first login: hands the session to the waiting run, or, when the run went
    /// on with a spare, to the spares.
    fn open_main(self: &Arc<Self>) {
        let started = Instant::now();
        let opened = self.conn.open_once_and(&|| self.start());
        let mut g = self.lock();
        if opened.is_ok() {
            g.login.get_or_insert(started.elapsed());
        }
        if matches!(g.first, First::Waiting) {
            g.first = First::Done(Box::new(opened));
            drop(g);
            self.ready.notify_all();
            return;
        }
        self.arrived(g, opened, started);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts one more opening, unless one is in progress, all are started, one failed or the run ended.
    fn launch(self: &Arc<Self>) {
        self.launch_up_to(1, false);
    }

    /// The run's next loop has `items` items each worth a session of its own (big transfers): up to
    /// that many sessions in all, the first included, are opened at once, beside any login already
    /// in flight.
    pub fn open_for(self: &Arc<Self>, items: usize) {
        let spares = items.saturating_sub(1);
        let more = spares.saturating_sub(self.lock().launched);
        if more > 0 {
            self.launch_up_to(more, true);
        }
    }

    /// Starts up to `n` openings at once (fewer when fewer are left; none when the run ended or one
    /// failed, nor, unless `beside`, while one is in progress).
    fn launch_up_to(self: &Arc<Self>, n: usize, beside: bool) {
        let n = {
            let mut g = self.lock();
            if g.closed || g.failed.is_some() || (g.opening > 0 && !beside) {
                return;
            }
            let n = n.min(self.max.saturating_sub(g.launched));
            g.opening += n;
            g.launched += n;
            n
        };
        for _ in 0..n {
            let me = Arc::clone(self);
            let spawned = std::thread::Builder::new()
                .name("ftp-spare".into())
                .spawn(move || me.open_one());
            if spawned.is_err() {
                let mut g = self.lock();
                g.opening -= 1;
                g.launched = self.max;
            }
        }
    }

    /// An opener thread: logs in and hands the session over (or QUITs it when the run has ended).
    fn open_one(&self) {
        let started = Instant::now();
        let opened = self.conn.open_once();
        self.arrived(self.lock(), opened, started);
    }

    /// A spare's login ended (`started` when it began): the session joins the idle ones (or QUITs when
    /// the run has ended), a failure stops further openings.
    fn arrived(&self, mut g: MutexGuard<'_, State>, opened: Result<Session>, started: Instant) {
        g.opening -= 1;
        match opened {
            Ok(s) if g.closed => {
                drop(g);
                s.quit();
                return;
            }
            Ok(s) => {
                g.login = Some(started.elapsed());
                g.arrived_at = Some(Instant::now());
                g.idle.push(s);
            }
            Err(e) => {
                g.failed.get_or_insert(e);
            }
        }
        drop(g);
        self.ready.notify_all();
    }

    /// The run's first session took `took` to log in (its successful attempt): what a login costs, for
    /// [`Spares::consider`], until a spare's own login is measured. (A first login raced against a
    /// spare's, [`Spares::open_first`], is measured where it ends.)
    pub fn first_login(&self, took: Duration) {
        self.lock().login.get_or_insert(took);
    }

    /// Opens one more spare when `remaining` items at `per_item` each would keep the sessions now at
    /// work (the first, the lent spares and the ones opening) busy for longer than two logins take:
    /// one for the new session's login, one for what that login costs the sessions at work (the server
    /// forks and checks a password, often on the same cores), so that the session still finds work
    /// worth it. A login's time is the last spare's, or the first session's ([`Spares::first_login`]).
    pub fn consider(self: &Arc<Self>, remaining: usize, per_item: Duration) {
        let due = {
            let mut g = self.lock();
            g.progress_at = Some(Instant::now());
            let Some(login) = g.login else {
                return;
            };
            let sessions = 1 + g.lent + g.idle.len() + g.opening;
            let work = per_item.saturating_mul(u32::try_from(remaining).unwrap_or(u32::MAX));
            work / u32::try_from(sessions).unwrap_or(u32::MAX) > login.saturating_mul(2)
        };
        if due {
            self.launch();
        }
    }

    /// Lends an open spare to a loop: one that is idle, or the next to finish its login, as long as
    /// `wanted()` says the loop still has work. `None` when the work is done or no spare will come.
    /// `wanted()` is asked with the lock held, so the [`Spares::wake`] that follows the end of the work
    /// is never missed: a waiting loop returns at once, not after its next look.
    ///
    /// While it waits, items still `queued()` (that no session has taken) a whole login's time after
    /// the last spare logged in, with no login in flight and no item finished (nor loop begun,
    /// [`Spares::begin`]) for as long, open as many more sessions, all at once: the sessions at work
    /// are busy with items longer than a login (a few big files), which [`Spares::consider`] can only
    /// see once one of them has finished. Items that finish faster (a change check's batches of
    /// commands) leave the choice to `consider`'s pace: a login amid them costs more than it gives.
    pub fn take(
        self: &Arc<Self>,
        wanted: &(dyn Fn() -> bool + Sync),
        queued: &(dyn Fn() -> usize + Sync),
    ) -> Option<Session> {
        let mut g = self.lock();
        loop {
            if g.closed {
                return None;
            }
            if let Some(s) = g.idle.pop() {
                g.lent += 1;
                return Some(s);
            }
            let more = g.opening > 0 || (g.failed.is_none() && g.launched < self.max);
            if !more || !wanted() {
                return None;
            }
            let mut wait = self.poll;
            if g.opening == 0
                && g.failed.is_none()
                && g.launched < self.max
                && let (Some(login), Some(at)) = (g.login, g.arrived_at)
            {
                let since = g.progress_at.map_or(at, |f| f.max(at));
                let due = login.saturating_sub(since.elapsed());
                let waiting = if due.is_zero() { queued() } else { 0 };
                if waiting > 0 {
                    drop(g);
                    self.launch_up_to(waiting, false);
                    g = self.lock();
                    continue;
                }
                // Due with nothing untaken (the work left is in progress): the usual look, not a
                // spin until something is queued.
                if !due.is_zero() {
                    wait = wait.min(due);
                }
            }
            g = match self.ready.wait_timeout(g, wait) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
    }

    /// A loop of work begins: its items have had no time to finish yet ([`Spares::take`] measures the
    /// wait for a first one from here).
    pub fn begin(&self) {
        self.lock().progress_at = Some(Instant::now());
    }

    /// Wakes the loops waiting in [`Spares::take`] to look at their work again (called when a loop's
    /// work has ended, after the state `wanted()` reads has changed).
    pub fn wake(&self) {
        drop(self.lock());
        self.ready.notify_all();
    }

    /// Takes back a lent spare (`None`: its session broke and was dropped).
    pub fn give_back(&self, session: Option<Session>) {
        let mut g = self.lock();
        g.lent = g.lent.saturating_sub(1);
        if let Some(s) = session {
            if g.closed {
                drop(g);
                s.quit();
                return;
            }
            g.idle.push(s);
        }
        drop(g);
        self.ready.notify_all();
    }

    /// The first opening that failed, if any (for one note at the end of the run).
    pub fn failure(&self) -> Option<String> {
        self.lock().failed.as_ref().map(ToString::to_string)
    }

    /// Ends the run's use of spares: the idle ones QUIT, logins in progress QUIT when they complete.
    pub fn close(&self) {
        let idle = {
            let mut g = self.lock();
            g.closed = true;
            std::mem::take(&mut g.idle)
        };
        self.ready.notify_all();
        for s in idle {
            s.quit();
        }
    }
}

/// The mean time per item of one work loop, for [`Spares::consider`].
#[derive(Default)]
pub struct Pace {
    state: Mutex<(u32, Duration)>,
}

impl Pace {
    /// Records one item that took `took`, and returns the mean so far.
    pub fn add(&self, took: Duration) -> Duration {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        g.0 = g.0.saturating_add(1);
        g.1 = g.1.saturating_add(took);
        g.1 / g.0.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Spares for four sessions to a port nothing listens on, waiting `poll` at most between looks.
    fn spares_polling(poll: Duration) -> Arc<Spares> {
        let target =
            crate::url::Target::parse("ftp://127.0.0.1:1/", &[crate::url::Scheme::Ftp]).unwrap();
        let conn = FtpConnector::new(
            target,
            &crate::ops::common::NetOptions::default(),
            crate::ftp::DataMode::Passive,
        )
        .unwrap();
        Arc::new(Spares {
            poll,
            ..Arc::into_inner(Spares::new(&conn, 4).unwrap()).unwrap()
        })
    }

    #[test]
    fn work_still_queued_a_login_after_the_last_spare_opens_one_more() {
        // One spare logged in (1 ms) and went to work; items still wait a login later: another
        // opening starts (it fails here, nothing listens, which ends the wait).
        let spares = spares_polling(Duration::from_millis(5));
        {
            let mut g = spares.lock();
            g.launched = 1;
            g.lent = 1;
            g.login = Some(Duration::from_millis(1));
            g.arrived_at = Some(Instant::now());
        }
        // Without the opening, the wait would end only with the work, two seconds on.
        let until = Instant::now() + Duration::from_secs(2);
        let left = || Instant::now() < until;
        // Two items wait: two openings at once.
        assert!(spares.take(&left, &|| 2).is_none());
        let g = spares.lock();
        assert_eq!(g.launched, 3);
        assert!(g.failed.is_some());
        drop(g);
        // Nothing queued (the work left is in progress): no opening.
        let spares = spares_polling(Duration::from_millis(5));
        {
            let mut g = spares.lock();
            g.launched = 1;
            g.login = Some(Duration::from_millis(1));
            g.arrived_at = Some(Instant::now());
        }
        let until = Instant::now() + Duration::from_millis(100);
        let busy = || Instant::now() < until;
        assert!(spares.take(&busy, &|| 0).is_none());
        assert_eq!(spares.lock().launched, 1);
        spares.close();
    }

    #[test]
    fn items_that_finish_faster_than_a_login_open_no_burst_of_sessions() {
        // The last spare logged in long ago (its login took 50 ms), but an item has just finished:
        // the pace is known, so the wait opens nothing however many items are queued.
        let spares = spares_polling(Duration::from_millis(5));
        {
            let mut g = spares.lock();
            g.launched = 1;
            g.lent = 1;
            g.login = Some(Duration::from_millis(50));
            g.arrived_at = Instant::now().checked_sub(Duration::from_secs(1));
        }
        spares.consider(0, Duration::ZERO);
        let until = Instant::now() + Duration::from_millis(30);
        let left = || Instant::now() < until;
        assert!(spares.take(&left, &|| 5).is_none());
        assert_eq!(spares.lock().launched, 1);
        // With no item finished since, the same wait opens one session per queued item (up to 3).
        spares.lock().progress_at = None;
        let until = Instant::now() + Duration::from_secs(2);
        let left = || Instant::now() < until;
        assert!(spares.take(&left, &|| 5).is_none());
        assert_eq!(spares.lock().launched, 3);
        spares.close();
    }

    #[test]
    fn one_more_session_opens_only_for_work_worth_two_logins_per_session() {
        let spares = spares_polling(Duration::from_millis(5));
        {
            let mut g = spares.lock();
            g.launched = 1;
            g.lent = 1;
            g.login = Some(Duration::from_millis(10));
        }
        // Two sessions at work, 30 ms left: 15 ms each, less than two logins.
        spares.consider(30, Duration::from_millis(1));
        assert_eq!(spares.lock().launched, 1);
        // 50 ms left: 25 ms each.
        spares.consider(50, Duration::from_millis(1));
        assert_eq!(spares.lock().launched, 2);
        spares.close();
    }

    #[test]
    fn big_items_get_as_many_sessions_at_once_beside_a_login_in_flight() {
        let spares = spares_polling(Duration::from_millis(5));
        {
            let mut g = spares.lock();
            g.launched = 1;
            g.opening = 1;
        }
        // Three big files: two spares in all, the one in flight counted.
        spares.open_for(3);
        assert_eq!(spares.lock().launched, 2);
        // Ten: as many as --parallel 4 allows (three spares).
        spares.open_for(10);
        assert_eq!(spares.lock().launched, 3);
        spares.close();
    }

    #[test]
    fn a_wait_for_a_spare_ends_when_the_work_ends() {
        let spares = spares_polling(Duration::from_secs(3600));
        // A login in progress that never completes: only the end of the work can end the wait.
        spares.lock().opening = 1;
        let work_left = AtomicBool::new(true);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let left = || work_left.load(Ordering::SeqCst);
                let got = spares.take(&left, &|| usize::from(left()));
                tx.send(got.is_none()).unwrap();
            });
            std::thread::sleep(Duration::from_millis(20));
            work_left.store(false, Ordering::SeqCst);
            spares.wake();
            let woken = rx.recv_timeout(Duration::from_secs(60));
            // A missed wake-up must fail the test, not hang it for the hour.
            spares.close();
            assert_eq!(woken, Ok(true));
        });
    }
}
