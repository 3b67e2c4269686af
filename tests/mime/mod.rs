//! mime-encode / mime-decode: codecs, headers, message building and taking apart, run through the real
//! binaries where the CLI contract matters and through the library where thousands of cases run.

mod cli;
mod codecs;
mod corpus;
mod messages;
mod pick;
mod text_mode;

use std::io::Write;
use std::process::{Command, Output, Stdio};

pub const ENCODE: &str = env!("CARGO_BIN_EXE_mime-encode");
pub const DECODE: &str = env!("CARGO_BIN_EXE_mime-decode");

/// Runs `bin` with `args`, feeding `stdin`.
pub fn run(bin: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut sin = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = sin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    out
}

/// The exit code, panicking on a signal.
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited by signal")
}

/// A small deterministic PRNG for generated test data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}
