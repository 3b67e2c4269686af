//! Coding a large block on two cores, with output identical to coding it on one.
//!
//! A codec can be cut where its state is the fresh state: after a line break for quoted-printable (both
//! ways, text mode), at a whole number of output lines for base64 encoding. From such a cut a fresh coder
//! produces exactly what the running one would, so a block is split into pairs of pieces ending at cuts:
//! the first piece of a pair is coded by a forked coder on a second thread while this thread codes the
//! second, and both outputs are written in order. Pieces are about [`PIECE`] long, so memory stays at two
//! pieces' output. Where there is no cut (binary-mode quoted-printable, base64 decoding, a piece without a
//! line break), where the block is small, or on one core, everything is coded on this thread.

use std::io;
use std::sync::OnceLock;

use super::encode::BLOCK;

/// The length a piece is cut to (at the last cut point within it).
const PIECE: usize = 1 << 20;

/// Below this a piece is not worth a thread.
const MIN_PIECE: usize = 64 << 10;

/// A streaming coder whose state can be forked at cut points.
pub trait Fork: Send + Sized {
    /// What a malformed input reports.
    type Error: Send;

    /// Codes `input`, appending to `out`.
    fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Self::Error>;

    /// How many bytes of `data` this coder must code before it is at a cut point; `None` when it does not
    /// reach one within `data` (or never can).
    fn to_cut(&self, data: &[u8]) -> Option<usize>;

    /// The longest prefix of `data` that ends at a cut point, for a coder at a cut point at its start.
    fn last_cut(&self, data: &[u8]) -> usize;

    /// For a coder at a cut point: a fresh coder that codes what follows exactly as this one would.
    fn fresh(&self) -> Self;

    /// For a coder at a cut point: moves on as if it had coded `skipped` (which ends at a cut point).
    fn skip(&mut self, skipped: &[u8]);
}

/// Why coding a block stopped.
#[derive(Debug)]
pub enum Stop<E> {
    /// Writing the output failed.
    Write(io::Error),
    /// The coder rejected its input (after the output before it was written).
    Coder(E),
}

/// The driver: its two output buffers persist from block to block.
pub struct Parallel {
    bufs: [Vec<u8>; 2],
    pool: Option<&'static rayon::ThreadPool>,
}

impl Default for Parallel {
    fn default() -> Self {
        Self::new()
    }
}

impl Parallel {
    /// A driver that uses a second thread when this process may run on more than one core.
    pub fn new() -> Self {
        // Two threads of our own (the caller waits while they work): rayon's global pool would start one
        // per core, and a pool that cannot be built just means coding on this thread.
        static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
        let pool = POOL.get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            if cores < 2 {
                return None;
            }
            rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .thread_name(|i| format!("ferry-codec-{i}"))
                .build()
                .ok()
        });
        Parallel {
            bufs: [Vec::new(), Vec::new()],
            pool: pool.as_ref(),
        }
    }

    /// A driver that never starts a thread (tests compare the two).
    pub fn single() -> Self {
        Parallel {
            bufs: [Vec::new(), Vec::new()],
            pool: None,
        }
    }

    /// Codes `data` with `coder`, handing the output to `write` in order.
    pub fn code<C: Fork>(
        &mut self,
        coder: &mut C,
        data: &[u8],
        mut write: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<(), Stop<C::Error>> {
        let (head, pool) = match (coder.to_cut(data), self.pool) {
            (Some(head), Some(pool)) if data.len() >= 2 * MIN_PIECE => (head, pool),
            _ => return self.sequential(coder, data, &mut write),
        };
        self.sequential(coder, &data[..head], &mut write)?;
        let mut rest = &data[head..];
        while rest.len() >= 2 * MIN_PIECE {
            let piece = PIECE.min(rest.len() / 2);
            let a = coder.last_cut(&rest[..piece]);
            let b = a + coder.last_cut(&rest[a..a + piece]);
            if a == 0 || b == a {
                break;
            }
            let (first, second) = (&rest[..a], &rest[a..b]);
            let mut worker = coder.fresh();
            coder.skip(first);
            let [out_a, out_b] = &mut self.bufs;
            let (ra, rb) = pool.join(
                || worker.feed(first, out_a),
                || coder.feed(second, out_b),
            );
            write(out_a).map_err(Stop::Write)?;
            out_a.clear();
            ra.map_err(Stop::Coder)?;
            write(out_b).map_err(Stop::Write)?;
            out_b.clear();
            rb.map_err(Stop::Coder)?;
            rest = &rest[b..];
        }
        self.sequential(coder, rest, &mut write)
    }

    /// Codes `data` on this thread in [`BLOCK`]s.
    fn sequential<C: Fork>(
        &mut self,
        coder: &mut C,
        data: &[u8],
        write: &mut impl FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<(), Stop<C::Error>> {
        let out = &mut self.bufs[0];
        for chunk in data.chunks(BLOCK) {
            let r = coder.feed(chunk, out);
            write(out).map_err(Stop::Write)?;
            out.clear();
            r.map_err(Stop::Coder)?;
        }
        Ok(())
    }
}

/// For line-based coders: the end of the first line of `data`.
pub(crate) fn after_first_lf(data: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', data).map(|i| i + 1)
}

/// For line-based coders: the end of the last whole line of `data` (0: none).
pub(crate) fn after_last_lf(data: &[u8]) -> usize {
    memchr::memrchr(b'\n', data).map_or(0, |i| i + 1)
}
