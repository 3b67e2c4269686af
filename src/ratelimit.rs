//! `--limit-rate`: one token bucket shared (through an `Arc`) by every session of a run, so the limit is
//! the total across `--parallel` transfers, not a per-connection one.
//!
//! What it owns: the bucket ([`RateLimit`]), the adapter that makes a reader or writer take from it
//! ([`Limited`]), and the clock it waits on ([`Clock`]; tests inject a fake one, so no test depends on
//! timing). What it does not do: parse `500K` (that is `cli::common::parse_size`) or know about FTP.
//!
//! The bucket is counted in byte-nanoseconds, so refilling after any interval is exact integer
//! arithmetic (no rounding that would drift the rate over a long transfer). It starts full and holds at
//! most a tenth of a second's worth of bytes, so an idle moment does not turn into a long burst. Bytes
//! taken beyond what it holds become a debt that the taker sleeps off outside the lock; a concurrent
//! taker sees the debt and sleeps longer, which keeps the total at the rate.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const NANOS: i128 = 1_000_000_000;

/// The time source a [`RateLimit`] measures and waits with.
pub trait Clock: Send + Sync {
    /// Monotonic time since some fixed start.
    fn now(&self) -> Duration;
    /// Waits `d`.
    fn sleep(&self, d: Duration);
}

/// The real clock: `Instant` and `thread::sleep`.
#[derive(Debug)]
pub struct SystemClock {
    start: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock {
            start: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// A token bucket of `bytes_per_sec`, shared by every transfer of a run.
pub struct RateLimit {
    rate: u64,
    burst: u64,
    clock: Box<dyn Clock>,
    state: Mutex<State>,
}

struct State {
    /// Byte-nanoseconds available (negative: owed).
    credit: i128,
    /// When `credit` was last brought up to date.
    last: Duration,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RateLimit({} bytes/s)", self.rate)
    }
}

impl RateLimit {
    /// A limit of `bytes_per_sec` (at least 1) on the real clock.
    pub fn new(bytes_per_sec: u64) -> Arc<RateLimit> {
        Arc::new(RateLimit::with_clock(
            bytes_per_sec,
            Box::new(SystemClock::default()),
        ))
    }

    /// A limit of `bytes_per_sec` (at least 1) measured and waited on `clock`.
    pub fn with_clock(bytes_per_sec: u64, clock: Box<dyn Clock>) -> RateLimit {
        let rate = bytes_per_sec.max(1);
        let burst = (rate / 10).max(1);
        let last = clock.now();
        RateLimit {
            rate,
            burst,
            clock,
            state: Mutex::new(State {
                credit: i128::from(burst) * NANOS,
                last,
            }),
        }
    }

    /// The limit in bytes per second.
    pub fn rate(&self) -> u64 {
        self.rate
    }

    /// The most bytes one read or write should move at a time (a tenth of a second's worth), so the
    /// waits stay short and the rate smooth.
    pub fn chunk(&self) -> usize {
        usize::try_from(self.burst).unwrap_or(usize::MAX)
    }

    /// Accounts for `n` bytes moved, sleeping as long as the rate requires; how long it slept.
    pub fn take(&self, n: u64) -> Duration {
        let wait = {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let now = self.clock.now();
            let elapsed = now.saturating_sub(st.last);
            st.last = st.last.max(now);
            let rate = i128::from(self.rate);
            let refill = i128::try_from(elapsed.as_nanos())
                .unwrap_or(i128::MAX)
                .saturating_mul(rate);
            let cap = i128::from(self.burst) * NANOS;
            st.credit = st.credit.saturating_add(refill).min(cap);
            st.credit = st.credit.saturating_sub(i128::from(n) * NANOS);
            if st.credit >= 0 {
                Duration::ZERO
            } else {
                // Round up: never wake a nanosecond before the debt is paid.
                let ns = (st.credit.saturating_neg() + rate - 1) / rate;
                Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
            }
        };
        if !wait.is_zero() {
            self.clock.sleep(wait);
        }
        wait
    }
}

/// A reader or writer whose bytes are taken from a shared [`RateLimit`] (no limit: passes through).
pub struct Limited<T> {
    inner: T,
    limit: Option<Arc<RateLimit>>,
}

impl<T> Limited<T> {
    /// Wraps `inner`; `None` leaves it unlimited.
    pub fn new(inner: T, limit: Option<Arc<RateLimit>>) -> Limited<T> {
        Limited { inner, limit }
    }

    /// The wrapped reader or writer.
    pub fn into_inner(self) -> T {
        self.inner
    }

    fn cap(&self, len: usize) -> usize {
        match &self.limit {
            Some(l) => len.min(l.chunk()),
            None => len,
        }
    }

    fn took(&self, n: usize) {
        if let Some(l) = &self.limit {
            l.take(n as u64);
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let len = self.cap(buf.len());
        let n = self.inner.read(&mut buf[..len])?;
        self.took(n);
        Ok(n)
    }
}

impl<W: Write> Write for Limited<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let len = self.cap(buf.len());
        let n = self.inner.write(&buf[..len])?;
        self.took(n);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock that only moves when slept on (or, `frozen`, not even then), recording every sleep.
    #[derive(Clone, Default)]
    struct FakeClock(Arc<Mutex<(Duration, Vec<Duration>, bool)>>);

    impl FakeClock {
        fn frozen() -> FakeClock {
            let c = FakeClock::default();
            c.0.lock().unwrap().2 = true;
            c
        }
        fn advance(&self, d: Duration) {
            self.0.lock().unwrap().0 += d;
        }
        fn now(&self) -> Duration {
            self.0.lock().unwrap().0
        }
        fn sleeps(&self) -> Vec<Duration> {
            std::mem::take(&mut self.0.lock().unwrap().1)
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> Duration {
            FakeClock::now(self)
        }
        fn sleep(&self, d: Duration) {
            let mut g = self.0.lock().unwrap();
            if !g.2 {
                g.0 += d;
            }
            g.1.push(d);
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_full_bucket_then_waits_at_the_rate() {
        let clock = FakeClock::default();
        let l = RateLimit::with_clock(1000, Box::new(clock.clone()));
        assert_eq!(l.chunk(), 100);
        l.take(100);
        assert_eq!(clock.sleeps(), []);
        l.take(500);
        l.take(1);
        assert_eq!(clock.sleeps(), [ms(500), ms(1)]);
        // Idle time refills at most a tenth of a second's worth.
        clock.advance(Duration::from_secs(60));
        l.take(150);
        assert_eq!(clock.sleeps(), [ms(50)]);
    }

    #[test]
    fn debts_add_up_across_sharers() {
        // Two sessions share one bucket; each takes before the other has slept its debt off (the
        // clock does not move), so the second waits for both: the total stays at the rate.
        let clock = FakeClock::frozen();
        let l = Arc::new(RateLimit::with_clock(1000, Box::new(clock.clone())));
        let (a, b) = (l.clone(), l.clone());
        a.take(100);
        a.take(300);
        b.take(300);
        a.take(100);
        assert_eq!(clock.sleeps(), [ms(300), ms(600), ms(700)]);
    }

    #[test]
    fn rounding_never_drifts() {
        let clock = FakeClock::default();
        let l = RateLimit::with_clock(3, Box::new(clock.clone()));
        for _ in 0..3000 {
            l.take(1);
        }
        // 3000 bytes at 3 bytes/s, the first byte from the full bucket: 999.67 s, rounded up per wait.
        let t = clock.now();
        assert!(t >= Duration::from_nanos(999_666_666_666), "{t:?}");
        assert!(t <= Duration::from_nanos(999_666_666_666 + 3000), "{t:?}");
    }

    #[test]
    fn a_limited_reader_moves_chunks_and_takes_their_time() {
        let clock = FakeClock::default();
        let l = Arc::new(RateLimit::with_clock(1000, Box::new(clock.clone())));
        let mut r = Limited::new(std::io::Cursor::new(vec![7u8; 5000]), Some(l.clone()));
        let mut buf = [0u8; 4096];
        assert_eq!(r.read(&mut buf).unwrap(), 100);
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(rest.len(), 4900);
        // 5000 bytes, 100 of them from the full bucket.
        assert_eq!(clock.now(), ms(4900));
        let mut w = Limited::new(Vec::new(), Some(l));
        w.write_all(&[1u8; 250]).unwrap();
        assert_eq!(w.into_inner().len(), 250);
        assert_eq!(clock.now(), ms(5150));
    }

    #[test]
    fn no_limit_passes_through() {
        let mut r = Limited::new(std::io::Cursor::new(vec![1u8; 9000]), None);
        let mut buf = [0u8; 8192];
        assert_eq!(r.read(&mut buf).unwrap(), 8192);
    }
}
