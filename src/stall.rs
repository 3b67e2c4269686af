//! Bulk data that trickles: a message body, a literal or a file has no one-reply deadline (it may be
//! large), and `--timeout` bounds each read, so a server sending a byte every few minutes would keep a
//! run going for years. [`Trickle`] ends it: over every `--timeout` window at least [`MIN_RATE`] bytes a
//! second must arrive on average, else the transfer fails as a timeout (exit 11).
//!
//! What it owns: that rule and its message. What it does not: reading (each caller counts the bytes its
//! reads return) or `--limit-rate` (a caller limiting itself below the minimum passes its own rate).

use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};

/// The slowest average a transfer may keep up over a whole `--timeout` window: far below any real link
/// (a GPRS modem does five times better), far above a server dripping bytes to hold a client.
pub const MIN_RATE: u64 = 1024;

/// One transfer's progress against [`MIN_RATE`].
#[derive(Debug)]
pub struct Trickle {
    window: Duration,
    rate: u64,
    since: Instant,
    bytes: u64,
}

impl Trickle {
    /// Starts watching a transfer whose reads each wait at most `timeout` (the window).
    pub fn new(timeout: Duration) -> Trickle {
        Trickle::with_rate(timeout, MIN_RATE)
    }

    /// As [`Trickle::new`] with another minimum (bytes a second): a transfer limited to less than
    /// [`MIN_RATE`] by `--limit-rate` passes half its limit.
    pub fn with_rate(timeout: Duration, rate: u64) -> Trickle {
        Trickle {
            window: timeout.max(Duration::from_millis(1)),
            rate,
            since: Instant::now(),
            bytes: 0,
        }
    }

    /// Counts `n` bytes just read; `what` names the transfer in the error once a whole window has gone
    /// by with fewer bytes than the minimum.
    pub fn add(&mut self, n: usize, what: &str) -> Result<()> {
        self.bytes = self.bytes.saturating_add(n as u64);
        let elapsed = self.since.elapsed();
        if elapsed < self.window {
            return Ok(());
        }
        let needed =
            u64::try_from(u128::from(self.rate) * elapsed.as_millis() / 1000).unwrap_or(u64::MAX);
        if self.bytes < needed {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "{what}: timed out: {} bytes in {:.1} s, less than {} bytes/s (the server trickles)",
                    self.bytes,
                    elapsed.as_secs_f64(),
                    self.rate
                ),
            ));
        }
        self.since = Instant::now();
        self.bytes = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_below_the_minimum_is_a_timeout_and_a_good_one_starts_the_next() {
        let mut t = Trickle::with_rate(Duration::from_millis(30), 1000);
        // Within the window nothing is judged, however little arrived.
        t.add(1, "x").unwrap();
        std::thread::sleep(Duration::from_millis(40));
        // 40 ms at 1000 bytes/s needs 40 bytes: 1 + 100 is enough, and the next window starts empty.
        t.add(100, "x").unwrap();
        std::thread::sleep(Duration::from_millis(40));
        let e = t.add(2, "reading a literal").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(
            e.to_string()
                .starts_with("reading a literal: timed out: 2 bytes in"),
            "{e}"
        );
        assert!(e.to_string().contains("less than 1000 bytes/s"), "{e}");
    }
}
