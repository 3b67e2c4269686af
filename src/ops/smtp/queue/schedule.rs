//! When a queue entry is tried again, and when it is given up: the backoff starts at `--retry-after`
//! (default 30 minutes) after the last attempt and doubles with each attempt, capped at 4 hours; an entry
//! older than `--max-age` (default 5 days) expires. The clock is the system's, or `FERRY_TEST_NOW`
//! (seconds since the Unix epoch) for tests: it moves only the queue schedule, nothing else.

use std::time::Duration;

use super::journal::State;

/// The longest wait between two attempts.
pub const BACKOFF_CAP: Duration = Duration::from_secs(4 * 3600);
/// `--retry-after`'s default.
pub const RETRY_AFTER: Duration = Duration::from_secs(30 * 60);
/// `--max-age`'s default.
pub const MAX_AGE: Duration = Duration::from_secs(5 * 24 * 3600);

/// The retry schedule of a flush.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// The wait after the first attempt (doubled after each further one, up to [`BACKOFF_CAP`]).
    pub retry_after: Duration,
    /// An entry queued longer ago than this expires.
    pub max_age: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            retry_after: RETRY_AFTER,
            max_age: MAX_AGE,
        }
    }
}

/// Now, in seconds since the Unix epoch ([`crate::time::now_secs`]: the test build's `FERRY_TEST_NOW`
/// clock included).
pub fn now() -> u64 {
    u64::try_from(crate::time::now_secs()).unwrap_or(0)
}

impl Schedule {
    /// The wait after the `n`-th attempt (n ≥ 1): `retry_after · 2^(n-1)`, at most [`BACKOFF_CAP`] (or
    /// `retry_after` itself when that is larger).
    pub fn backoff(&self, n: u32) -> Duration {
        let cap = BACKOFF_CAP.max(self.retry_after);
        let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
        self.retry_after
            .checked_mul(factor)
            .map_or(cap, |d| d.min(cap))
    }

    /// When the entry is next due (seconds since the epoch): at once without an attempt, else the last
    /// attempt plus the backoff.
    pub fn next_attempt(&self, st: &State) -> u64 {
        match st.last() {
            None => st.queued,
            Some(a) => a.time.saturating_add(self.backoff(st.count).as_secs()),
        }
    }

    /// Whether the entry is due at `now`.
    pub fn due(&self, st: &State, now: u64) -> bool {
        now >= self.next_attempt(st)
    }

    /// Whether the entry has been queued longer than `--max-age` at `now`.
    pub fn expired(&self, st: &State, now: u64) -> bool {
        now.saturating_sub(st.queued) >= self.max_age.as_secs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_retry_after_up_to_four_hours() {
        let s = Schedule::default();
        let mins: Vec<u64> = (1..=7).map(|n| s.backoff(n).as_secs() / 60).collect();
        assert_eq!(mins, [30, 60, 120, 240, 240, 240, 240]);
        assert_eq!(s.backoff(u32::MAX), BACKOFF_CAP);
        let long = Schedule {
            retry_after: Duration::from_secs(6 * 3600),
            ..s
        };
        assert_eq!(long.backoff(3), Duration::from_secs(6 * 3600));
    }

    #[test]
    fn due_and_expired_follow_the_attempts() {
        let s = Schedule::default();
        let mut st = State::new(1000);
        assert!(s.due(&st, 1000), "never tried: due at once");
        st.record(1000, 7, "450 busy");
        assert!(!s.due(&st, 1000 + 1799));
        assert!(s.due(&st, 1000 + 1800));
        st.record(2800, 7, "450 busy");
        assert_eq!(s.next_attempt(&st), 2800 + 3600);
        assert!(!s.expired(&st, 1000 + 5 * 86400 - 1));
        assert!(s.expired(&st, 1000 + 5 * 86400));
    }
}
