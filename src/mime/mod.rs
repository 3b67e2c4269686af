//! MIME (RFC 2045–2049, 2047, 2231): streaming transfer codecs, header encoding, charsets, a streaming
//! parser that takes messages apart and a builder that puts them together.
//!
//! Owns everything about the shape of a message body; knows no sockets (smtp-send and the fetch tools call
//! in here) and no clap (the `mime-encode`/`mime-decode` orchestration lives in `ops`). Every input is
//! treated as hostile: lines, headers, nesting depth and part counts are bounded, and nothing panics on
//! malformed data.
//!
//! - [`encode`] / [`decode`]: base64 and quoted-printable, push-style, constant memory.
//! - [`header`]: RFC 2047 encoded-words, RFC 2045 fields with RFC 2231 parameters.
//! - [`charset`]: MIME charset labels to `encoding_rs`, conversion to UTF-8.
//! - [`parse`]: the streaming part parser (events per part, decoded body chunks).
//! - [`build`]: composing a multipart/mixed message onto any `io::Write`.
//! - [`filename`]: turning a hostile suggested file name into a safe one.
//! - [`input`] / [`readahead`]: a stream's input in blocks, mapped or read ahead.
//! - [`parallel`]: coding a large block on two cores with the same output as on one.
//! - [`simd`]: sixteen-byte classification for the quoted-printable fast paths.
//! - [`stream`]: what the streaming drivers share (block size, stream errors, full reads).

pub mod build;
pub mod charset;
pub mod decode;
pub mod encode;
pub mod filename;
pub mod header;
pub mod input;
pub mod parallel;
pub mod parse;
pub mod readahead;
pub mod simd;
pub mod stream;
