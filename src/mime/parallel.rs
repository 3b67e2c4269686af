//! Coding a large block on two cores, with output identical to coding it on one.
//!
//! A codec can be cut where its state is the fresh state: after a line break for quoted-printable (both
//! ways, text mode), at a whole number of output lines for base64 encoding, and for base64 decoding after
//! a line break that ends a whole number of quanta (guessed, then checked: a wrong guess codes the second
//! piece again). From such a cut a fresh coder
//! produces exactly what the running one would, so a block is split into pairs of pieces ending at cuts:
//! the first piece of a pair is coded by a forked coder on a second thread while this thread codes the
//! second, and both outputs are written in order. Pieces are about [`PIECE`] long, so memory stays at two
//! pieces' output. Where there is no cut (binary-mode quoted-printable, a piece without a line break), where the block is small, or on one core, everything is coded on this thread.

use std::io;
use std::sync::OnceLock;

use super::stream::BLOCK;

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

    /// The longest prefix of `data` that ends at a cut point, for a coder at a cut point at its start. May
    /// be a guess (base64 decoding: the last line end) that [`Fork::at_cut`] confirms afterwards.
    fn last_cut(&self, data: &[u8]) -> usize;

    /// Whether the coder is at a cut point now (its state is the fresh state).
    fn at_cut(&self) -> bool;

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
    /// Whether a second thread may be used (the pool itself is started on the first large block).
    threads: bool,
    /// Pairs of pieces coded on two threads, and of those the ones whose cut was a wrong guess.
    pairs: (u64, u64),
}

impl Default for Parallel {
    fn default() -> Self {
        Self::new()
    }
}

impl Parallel {
    /// A driver that uses a second thread when this process may run on more than one core.
    pub fn new() -> Self {
        Parallel {
            bufs: [Vec::new(), Vec::new()],
            threads: true,
            pairs: (0, 0),
        }
    }

    /// A driver that never starts a thread (tests compare the two).
    pub fn single() -> Self {
        Parallel {
            bufs: [Vec::new(), Vec::new()],
            threads: false,
            pairs: (0, 0),
        }
    }

    /// How many pairs of pieces were coded on two threads, and how many of them were coded again.
    pub fn pairs(&self) -> (u64, u64) {
        self.pairs
    }

    /// Codes `data` with `coder`, handing the output to `write` in order.
    pub fn code<C: Fork>(
        &mut self,
        coder: &mut C,
        data: &[u8],
        mut write: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<(), Stop<C::Error>> {
        let pool = (self.threads && data.len() >= 2 * MIN_PIECE)
            .then(shared_pool)
            .flatten();
        let Some(pool) = pool else {
            return self.sequential(coder, data, &mut write);
        };
        let mut rest = data;
        // Line ends tried in a row in search of a cut point, before giving up on this block.
        let mut tries = 0;
        while rest.len() >= 2 * MIN_PIECE {
            let Some(head) = coder.to_cut(rest) else {
                break;
            };
            self.sequential(coder, &rest[..head], &mut write)?;
            rest = &rest[head..];
            if !coder.at_cut() {
                tries += 1;
                if tries > 8 {
                    break;
                }
                continue;
            }
            tries = 0;
            if rest.len() < 2 * MIN_PIECE {
                break;
            }
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
            let (ra, rb) = pool.join(|| worker.feed(first, out_a), || coder.feed(second, out_b));
            self.pairs.0 += 1;
            write(out_a).map_err(Stop::Write)?;
            out_a.clear();
            ra.map_err(Stop::Coder)?;
            if !worker.at_cut() {
                self.pairs.1 += 1;
                // The cut was a wrong guess: the second piece is coded again, from where the first ended.
                out_b.clear();
                *coder = worker;
                let rb = coder.feed(second, out_b);
                write(out_b).map_err(Stop::Write)?;
                out_b.clear();
                rb.map_err(Stop::Coder)?;
                rest = &rest[b..];
                continue;
            }
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

/// Two threads of our own, started on first use (small inputs never start them); the caller waits while
/// they work. rayon's global pool would start one per core, and a pool that cannot be built, or a process
/// allowed only one core, just means coding on the calling thread.
fn shared_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if cores < 2 {
            return None;
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .thread_name(|i| format!("ferry-codec-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// For line-based coders: the end of the first line of `data`.
pub(crate) fn after_first_lf(data: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', data).map(|i| i + 1)
}

/// For line-based coders: the end of the last whole line of `data` (0: none).
pub(crate) fn after_last_lf(data: &[u8]) -> usize {
    memchr::memrchr(b'\n', data).map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::decode::{Base64Decoder, DecodeError, Decoder, QpDecoder};
    use crate::mime::encode::{Base64Encoder, Encoder, LineEnding, QpEncoder};
    use crate::mime::input::WINDOW;

    /// Output, error, and pair counts of one run.
    type Coded<E> = (Vec<u8>, Option<E>, (u64, u64));

    /// Deterministic bytes drawn from `alphabet` (xorshift), `len` of them.
    fn draw(seed: u64, len: usize, alphabet: &[&[u8]]) -> Vec<u8> {
        let mut x = seed | 1;
        let mut v = Vec::with_capacity(len + 128);
        while v.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.extend_from_slice(alphabet[(x % alphabet.len() as u64) as usize]);
        }
        v.truncate(len);
        v
    }

    /// Codes `data` window by window, as the streaming drivers do; returns the output, the error if any,
    /// and the pair counts.
    fn code<C: Fork>(
        mut coder: C,
        data: &[u8],
        mut driver: Parallel,
        finish: impl Fn(&mut C, &mut Vec<u8>),
    ) -> Coded<C::Error> {
        let mut out = Vec::new();
        for window in data.chunks(WINDOW) {
            let r = driver.code(&mut coder, window, |b| {
                out.extend_from_slice(b);
                Ok(())
            });
            match r {
                Ok(()) => {}
                Err(Stop::Coder(e)) => return (out, Some(e), driver.pairs()),
                Err(Stop::Write(e)) => panic!("{e}"),
            }
        }
        finish(&mut coder, &mut out);
        (out, None, driver.pairs())
    }

    fn both<C: Fork>(
        make: impl Fn() -> C,
        data: &[u8],
        finish: impl Fn(&mut C, &mut Vec<u8>) + Copy,
    ) -> Coded<C::Error> {
        let (want, want_err, none) = code(make(), data, Parallel::single(), finish);
        assert_eq!(none, (0, 0));
        let (got, got_err, pairs) = code(make(), data, Parallel::new(), finish);
        if got != want {
            let first = got.iter().zip(&want).position(|(a, b)| a != b);
            panic!(
                "two-thread output differs: lens {} {} first diff {first:?} pairs {pairs:?} errs {} {}",
                got.len(),
                want.len(),
                got_err.is_some(),
                want_err.is_some()
            );
        }
        assert_eq!(got_err.is_some(), want_err.is_some());
        (got, got_err, pairs)
    }

    fn enc_finish(e: &mut Encoder, out: &mut Vec<u8>) {
        e.finish(out);
    }

    fn dec_finish(d: &mut Decoder, out: &mut Vec<u8>) {
        let _ = d.finish(out);
    }

    const TEXT: &[&[u8]] = &[
        b"word ",
        b"caf\xc3\xa9 ",
        b"=",
        b"\n",
        b"\r\n",
        b"  \n",
        b"\t\r\n",
        b"\r",
        b"x",
        b"~",
        b" ",
    ];

    #[test]
    fn qp_both_ways_and_base64_encoding_match_one_thread() {
        if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
            return;
        }
        let text = draw(7, 3 * WINDOW + 12345, TEXT);
        for eol in [LineEnding::Lf, LineEnding::Crlf] {
            let (qp, _, pairs) = both(
                || Encoder::Qp(QpEncoder::new(false, eol)),
                &text,
                enc_finish,
            );
            assert!(pairs.0 > 4 && pairs.1 == 0, "{pairs:?}");
            let (_, _, pairs) = both(|| Decoder::Qp(QpDecoder::new(false)), &qp, dec_finish);
            assert!(pairs.0 > 4, "{pairs:?}");
        }
        // Binary mode has no cut points: one thread, same output.
        let (_, _, pairs) = both(
            || Encoder::Qp(QpEncoder::new(true, LineEnding::Crlf)),
            &text,
            enc_finish,
        );
        assert_eq!(pairs, (0, 0));
        for wrap in [76, 64, 0, 70] {
            let (_, _, pairs) = both(
                || Encoder::Base64(Base64Encoder::new(wrap, LineEnding::Lf)),
                &text,
                enc_finish,
            );
            assert_eq!(pairs.0 > 0, wrap % 4 == 0, "wrap {wrap}: {pairs:?}");
        }
    }

    #[test]
    fn hostile_qp_decodes_the_same() {
        let junk: &[&[u8]] = &[
            b"=4",
            b"=G1",
            b"= \t\r\n",
            b"=\r",
            b"=\n",
            b"abc",
            b"  ",
            b"\n",
            b"=3D",
            b"\r\n",
        ];
        let data = draw(11, 2 * WINDOW, junk);
        both(|| Decoder::Qp(QpDecoder::new(false)), &data, dec_finish);
        let (_, err, _) = both(|| Decoder::Qp(QpDecoder::new(true)), &data, dec_finish);
        assert!(err.is_some());
    }

    #[test]
    fn base64_decoding_guesses_cuts_and_recovers_from_wrong_ones() {
        if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
            return;
        }
        let mut enc = Base64Encoder::new(76, LineEnding::Crlf);
        let raw = draw(3, 2 * WINDOW, &[b"a", b"\x00", b"\xff", b"z"]);
        let mut b64 = Vec::new();
        enc.feed(&raw, &mut b64);
        enc.finish(&mut b64);
        let (out, _, pairs) = both(
            || Decoder::Base64(Base64Decoder::new(true)),
            &b64,
            dec_finish,
        );
        assert_eq!(out, raw);
        assert!(pairs.0 > 2 && pairs.1 == 0, "{pairs:?}");
        // Lines of 77 characters: most guessed cuts are wrong, the output is still the same.
        let b64_77: Vec<u8> = b64
            .split(|&b| b == b'\n')
            .flat_map(|l| l.iter().copied().filter(|&b| b != b'\r'))
            .collect::<Vec<u8>>()
            .chunks(77)
            .flat_map(|l| l.iter().copied().chain(*b"\n"))
            .collect();
        let (out, _, pairs) = both(
            || Decoder::Base64(Base64Decoder::new(false)),
            &b64_77,
            dec_finish,
        );
        assert_eq!(out, raw);
        assert!(pairs.1 > 0, "{pairs:?}");
        // A bad character late in the input: the same offset either way.
        let mut bad = b64.clone();
        let at = bad.len() - 1000;
        bad[at] = b'*';
        let want = code(
            Decoder::Base64(Base64Decoder::new(true)),
            &bad,
            Parallel::single(),
            dec_finish,
        );
        let got = code(
            Decoder::Base64(Base64Decoder::new(true)),
            &bad,
            Parallel::new(),
            dec_finish,
        );
        let offset = |e: Option<DecodeError>| e.map(|e| e.offset);
        assert_eq!(offset(got.1), Some(at as u64));
        assert_eq!(offset(want.1), Some(at as u64));
        assert_eq!(got.0, want.0);
    }
}
