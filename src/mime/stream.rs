//! The pieces every streaming codec driver shares: the block size, which side of a copy failed, and
//! reading a full block from a short-reading source.
//!
//! Owns only these; the drivers themselves are in `encode`, `decode`, `input`, `readahead` and `parallel`,
//! which all import from here and not from each other, so the streaming modules form no cycle.

use std::io::{self, Read};

/// The I/O block size used by the streaming drivers (a multiple of 3 and of 57).
pub const BLOCK: usize = 57 * 2304;

/// Which side of a stream copy failed.
#[derive(Debug)]
pub enum StreamError {
    /// Reading the input failed.
    Read(io::Error),
    /// Writing the output failed.
    Write(io::Error),
}

/// Reads until `buf` is full or the input ends (pipes deliver short reads; full blocks keep the codecs on
/// their fast paths).
pub(crate) fn read_full(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
