//! Fuzz target `ftp_session`: the check `ferry::fuzzing` runs under that name (see fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ferry::fuzzing::check("ftp_session", data);
});
