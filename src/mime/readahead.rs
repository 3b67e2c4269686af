//! Reading the next input block on a second thread while the current one is encoded or decoded.
//!
//! The codecs run at several GB/s; copying a file out of the page cache is then a large share of the
//! time, and on two cores it can overlap the coding. Two blocks circulate between the threads, so memory
//! stays at two blocks whatever the input size. If the consumer stops early (stdout closed), the reader
//! thread is left to end on its own at its next block instead of being waited for.

use std::io::{self, Read};
use std::sync::mpsc;

use super::stream::{BLOCK, StreamError, read_full};

/// Calls `each` on every block of `input` in order (each full [`BLOCK`] but the last); returns the bytes
/// read, the first error of `each`, or the read error.
pub fn for_each_block(
    mut input: Box<dyn Read + Send>,
    mut each: impl FnMut(&[u8]) -> Result<(), StreamError>,
) -> Result<u64, StreamError> {
    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<(Vec<u8>, usize)>>(1);
    let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..2 {
        let _ = free_tx.send(vec![0u8; BLOCK]);
    }
    std::thread::spawn(move || {
        while let Ok(mut buf) = free_rx.recv() {
            match read_full(&mut input, &mut buf) {
                Ok(n) => {
                    if full_tx.send(Ok((buf, n))).is_err() || n == 0 {
                        break;
                    }
                }
                Err(e) => {
                    let _ = full_tx.send(Err(e));
                    break;
                }
            }
        }
    });
    let mut total = 0u64;
    loop {
        match full_rx.recv() {
            Ok(Ok((_, 0))) => return Ok(total),
            Ok(Ok((buf, n))) => {
                total += n as u64;
                each(&buf[..n])?;
                let _ = free_tx.send(buf);
            }
            Ok(Err(e)) => return Err(StreamError::Read(e)),
            Err(_) => {
                return Err(StreamError::Read(io::Error::other(
                    "the input reader stopped",
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_in_order_and_errors_passed_on() {
        let data: Vec<u8> = (0..(BLOCK * 2 + 17)).map(|i| (i % 251) as u8).collect();
        let mut got = Vec::new();
        let n = for_each_block(Box::new(io::Cursor::new(data.clone())), |b| {
            got.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
        assert_eq!(n, data.len() as u64);
        assert_eq!(got, data);

        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let e = for_each_block(Box::new(Failing), |_| Ok(())).unwrap_err();
        assert!(matches!(e, StreamError::Read(_)));

        let e = for_each_block(Box::new(io::Cursor::new(data)), |_| {
            Err(StreamError::Write(io::Error::other("closed")))
        })
        .unwrap_err();
        assert!(matches!(e, StreamError::Write(_)));
    }
}
