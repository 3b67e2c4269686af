//! The checks behind the fuzz targets (`fuzz/`), and the replay of every input the fuzzer ever found
//! under `fuzz/regressions/<target>/`.
//!
//! Compiled for unit tests and with the `fuzzing` feature only: the default build and its API do not
//! change. Each check takes the fuzzer's bytes and panics when a property fails (a panic inside the crate
//! under test counts the same). The fuzz crate calls [`check`] by name, and the unit test at the bottom
//! replays each committed input through the same function, so CI never needs the fuzzer.

mod codecs;
mod parsers;
mod sessions;

/// A check: panics when a property fails on the input.
pub type Check = fn(&[u8]);

/// Every fuzz target: its name (a file `fuzz/fuzz_targets/NAME.rs` and a directory
/// `fuzz/regressions/NAME/`) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("ftp_reply", parsers::ftp_reply),
    ("ftp_list", parsers::ftp_list),
    ("ftp_pasv", parsers::ftp_pasv),
    ("smtp_reply", parsers::smtp_reply),
    ("pop3_reply", parsers::pop3_reply),
    ("imap_response", parsers::imap_response),
    ("url", parsers::url),
    ("netrc", parsers::netrc),
    ("config", parsers::config),
    ("mime_header", parsers::mime_header),
    ("mime_parse", parsers::mime_parse),
    ("safe_name", parsers::safe_name),
    ("codec_chunks", codecs::codec_chunks),
    ("mboxrd", codecs::mboxrd),
    ("dot_writer", codecs::dot_writer),
    ("ftp_session", sessions::ftp_session),
    ("smtp_session", sessions::smtp_session),
    ("pop3_session", sessions::pop3_session),
    ("imap_session", sessions::imap_session),
];

/// Runs the check of target `name` on `data`; false when there is no such target.
pub fn check(name: &str, data: &[u8]) -> bool {
    match TARGETS.iter().find(|(n, _)| *n == name) {
        Some((_, f)) => {
            f(data);
            true
        }
        None => false,
    }
}

/// Splits `data` into chunks at fuzzer-chosen points: the first byte seeds the lengths (1..=seed+1 bytes
/// each, varying), the rest is the payload. Returns the payload and its chunks.
fn chunked(data: &[u8]) -> (&[u8], Vec<&[u8]>) {
    let Some((&seed, payload)) = data.split_first() else {
        return (data, Vec::new());
    };
    let mut chunks = Vec::new();
    let mut rest = payload;
    let mut state = u32::from(seed) | 1;
    while !rest.is_empty() {
        // A small xorshift: reproducible, cheap, every length from 1 up to the seed's range.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state as usize % (usize::from(seed) + 1)) + 1;
        let (head, tail) = rest.split_at(n.min(rest.len()));
        chunks.push(head);
        rest = tail;
    }
    (payload, chunks)
}

/// Bytes as text, the way the parsers get them from a connection or a file (lossy UTF-8).
fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regressions() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions")
    }

    /// Every committed crashing input, through the check of its target: none may panic again.
    #[test]
    fn replay_fuzz_regressions() {
        for dir in std::fs::read_dir(regressions()).unwrap() {
            let dir = dir.unwrap().path();
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            for file in std::fs::read_dir(&dir).unwrap() {
                let file = file.unwrap().path();
                let data = std::fs::read(&file).unwrap();
                assert!(check(&name, &data), "no fuzz target {name}");
            }
        }
    }

    /// The hand-written starting inputs (`fuzz/seeds/`) meet every property too.
    #[test]
    fn seeds_pass_their_checks() {
        let seeds = regressions().parent().unwrap().join("seeds");
        for dir in std::fs::read_dir(seeds).unwrap() {
            let dir = dir.unwrap().path();
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            for file in std::fs::read_dir(&dir).unwrap() {
                let data = std::fs::read(file.unwrap().path()).unwrap();
                assert!(check(&name, &data), "no fuzz target {name}");
            }
        }
    }

    /// Every target has its fuzz_targets file, and every file is a target.
    #[test]
    fn every_target_has_a_fuzz_target_file() {
        let dir = regressions().parent().unwrap().join("fuzz_targets");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                p.file_stem().unwrap().to_string_lossy().into_owned()
            })
            .collect();
        files.sort();
        let mut names: Vec<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
        names.sort();
        assert_eq!(files, names);
    }

    #[test]
    fn chunking_covers_the_payload() {
        let (payload, chunks) = chunked(b"\x07hello, world");
        assert_eq!(payload, b"hello, world");
        assert_eq!(chunks.concat(), payload);
        assert!(chunks.iter().all(|c| !c.is_empty() && c.len() <= 8));
        assert_eq!(chunked(b"").1.len(), 0);
    }
}
