//! Bulk data that trickles: a message body, a literal or a file has no one-reply deadline (it may be
//! large), and `--timeout` bounds each read or write, so a server moving a byte every few minutes would
//! keep a run going for years. [`Trickle`] ends it: over every `--timeout` window at least [`MIN_RATE`]
//! bytes a second must move on average, else the transfer fails as a timeout (exit 11).
//!
//! What it owns: that rule and its message ([`Trickled`], which an `io::Error` can carry up to
//! [`crate::error::Error::network`]). What it does not: reading or writing (each caller counts the bytes
//! its calls moved) or `--limit-rate` (a transfer limited below the minimum passes its own limit).

use std::fmt;
use std::time::{Duration, Instant};

/// The slowest average a transfer may keep up over a whole `--timeout` window: far below any real link
/// (a GPRS modem does five times better), far above a server dripping bytes to hold a client.
pub const MIN_RATE: u64 = 1024;

/// One transfer's progress against its minimum rate.
#[derive(Debug)]
pub struct Trickle {
    window: Duration,
    rate: u64,
    since: Instant,
    bytes: u64,
}

/// A transfer that fell below its minimum rate: what moved in how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trickled(String);

impl fmt::Display for Trickled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Trickled {}

impl Trickled {
    /// As an `io::Error` of kind `TimedOut`, for a `Read` or `Write` implementation.
    pub fn into_io(self) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, self)
    }
}

impl Trickle {
    /// Starts watching a transfer whose reads or writes each wait at most `timeout` (the window), at
    /// [`MIN_RATE`] or, under a `--limit-rate` of `limit` bytes a second, at half that limit when it is
    /// lower.
    pub fn new(timeout: Duration, limit: Option<u64>) -> Trickle {
        let rate = limit.map_or(MIN_RATE, |l| MIN_RATE.min(l / 2));
        Trickle {
            window: timeout.max(Duration::from_millis(1)),
            rate,
            since: Instant::now(),
            bytes: 0,
        }
    }

    /// Counts `n` bytes just moved; an error once a whole window has gone by with fewer bytes than the
    /// minimum.
    pub fn add(&mut self, n: usize) -> Result<(), Trickled> {
        self.bytes = self.bytes.saturating_add(n as u64);
        let elapsed = self.since.elapsed();
        if elapsed < self.window {
            return Ok(());
        }
        let needed =
            u64::try_from(u128::from(self.rate) * elapsed.as_millis() / 1000).unwrap_or(u64::MAX);
        if self.bytes < needed {
            return Err(Trickled(format!(
                "timed out: {} bytes in {:.1} s, less than {} bytes/s (the server trickles)",
                self.bytes,
                elapsed.as_secs_f64(),
                self.rate
            )));
        }
        self.since = Instant::now();
        self.bytes = 0;
        Ok(())
    }
}

/// A writer whose every `write` counts against a [`Trickle`]: a peer that takes a byte a minute fails
/// the write with a timeout (`write_all` alone would loop on such progress for ever).
pub struct Watched<'a, W: std::io::Write + ?Sized> {
    inner: &'a mut W,
    trickle: &'a mut Trickle,
}

impl<'a, W: std::io::Write + ?Sized> Watched<'a, W> {
    /// Watches writes to `inner` with `trickle` (which may go on watching the next writer's calls).
    pub fn new(inner: &'a mut W, trickle: &'a mut Trickle) -> Self {
        Watched { inner, trickle }
    }
}

impl<W: std::io::Write + ?Sized> std::io::Write for Watched<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.trickle.add(n).map_err(Trickled::into_io)?;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes one byte per write, slowly.
    struct Slow;

    impl std::io::Write for Slow {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            std::thread::sleep(Duration::from_millis(5));
            Ok(buf.len().min(1))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_peer_taking_a_byte_at_a_time_fails_a_watched_write_all() {
        use std::io::Write;
        let mut slow = Slow;
        let mut trickle = Trickle::new(Duration::from_millis(50), None);
        let mut w = Watched::new(&mut slow, &mut trickle);
        let e = w.write_all(&[0u8; 100_000]).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
        let err = crate::error::Error::network("sending the message", e);
        assert_eq!(err.kind(), crate::error::ErrorKind::Timeout);
        assert!(
            err.to_string()
                .starts_with("sending the message: timed out: ")
                && err.to_string().ends_with("(the server trickles)"),
            "{err}"
        );
    }

    #[test]
    fn a_window_below_the_minimum_is_a_timeout_and_a_good_one_starts_the_next() {
        let mut t = Trickle::new(Duration::from_millis(30), Some(2000));
        // Within the window nothing is judged, however little arrived.
        t.add(1).unwrap();
        std::thread::sleep(Duration::from_millis(40));
        // 40 ms at 1000 bytes/s (half the limit) needs 40 bytes: 1 + 100 is enough, and the next
        // window starts empty.
        t.add(100).unwrap();
        std::thread::sleep(Duration::from_millis(40));
        let e = t.add(2).unwrap_err().to_string();
        assert!(e.starts_with("timed out: 2 bytes in"), "{e}");
        assert!(e.contains("less than 1000 bytes/s"), "{e}");
        assert_eq!(Trickle::new(Duration::ZERO, None).rate, MIN_RATE);
        assert_eq!(Trickle::new(Duration::ZERO, Some(1 << 20)).rate, MIN_RATE);
    }
}
