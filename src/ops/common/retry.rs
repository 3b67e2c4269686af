//! The one retry loop (`--retries N`): a transient failure (connect, 4xx, timeout, a dropped connection)
//! is tried again after a backoff of 1 s, 2 s, 4 s … (at most 30 s), each try on a fresh connection with a
//! fresh login, because the closure the caller gives opens its own session. A permanent failure (5xx,
//! authentication, TLS, local I/O, usage) ends the loop at once: trying again would only repeat it.

use std::time::Duration;

use crate::error::{Error, Result};

use super::ui::Ui;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries after the first one.
    pub retries: u32,
    /// The wait before the first retry; it doubles for each later one.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::new(0)
    }
}

impl RetryPolicy {
    /// `retries` retries with the standard backoff (1 s doubling, at most 30 s).
    pub fn new(retries: u32) -> RetryPolicy {
        RetryPolicy {
            retries,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(30),
        }
    }

    /// The wait before retry `attempt` (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// Whether `e`, after `attempt` retries so far, may be tried again.
    pub fn allows(&self, attempt: u32, e: &Error) -> bool {
        attempt < self.retries && e.kind().is_transient()
    }
}

/// Runs `op` until it succeeds, fails permanently, or the retries are used up. `op` gets the attempt
/// number (0 for the first try) and must start from a fresh connection each time. The notice before each
/// retry goes through `ui` (hidden by `-q`).
pub fn with_retries<T>(
    policy: &RetryPolicy,
    ui: &Ui,
    mut op: impl FnMut(u32) -> Result<T>,
) -> Result<T> {
    let mut attempt = 0;
    loop {
        match op(attempt) {
            Ok(v) => return Ok(v),
            Err(e) if policy.allows(attempt, &e) => {
                attempt += 1;
                ui.retrying(&e, attempt, policy.retries);
                std::thread::sleep(policy.delay(attempt));
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::ops::common::ui::OutputMode;

    fn fast(retries: u32) -> RetryPolicy {
        RetryPolicy {
            retries,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(2),
        }
    }

    #[test]
    fn transient_failures_are_retried_until_the_budget_ends() {
        let ui = Ui::capturing("t", OutputMode::default());
        let mut tries = 0;
        let r: Result<()> = with_retries(&fast(2), &ui, |n| {
            assert_eq!(n, tries);
            tries += 1;
            Err(Error::new(ErrorKind::Transient, "421 busy"))
        });
        assert_eq!(r.unwrap_err().kind(), ErrorKind::Transient);
        assert_eq!(tries, 3);
        assert_eq!(
            ui.captured(),
            "t: 421 busy; retrying (1/2)\nt: 421 busy; retrying (2/2)\n"
        );
    }

    #[test]
    fn permanent_failures_and_successes_end_the_loop() {
        let ui = Ui::capturing(
            "t",
            OutputMode {
                quiet: true,
                ..OutputMode::default()
            },
        );
        let mut tries = 0;
        let r: Result<()> = with_retries(&fast(5), &ui, |_| {
            tries += 1;
            Err(Error::new(ErrorKind::Auth, "530"))
        });
        assert_eq!(r.unwrap_err().kind(), ErrorKind::Auth);
        assert_eq!(tries, 1);
        let r = with_retries(&fast(5), &ui, |n| {
            if n < 2 {
                Err(Error::new(ErrorKind::Timeout, "slow"))
            } else {
                Ok(n)
            }
        });
        assert_eq!(r.unwrap(), 2);
        assert_eq!(ui.captured(), "", "-q hides retry notices");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::new(10);
        let secs: Vec<u64> = (1..=7).map(|a| p.delay(a).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(p.delay(u32::MAX).as_secs(), 30);
    }
}
