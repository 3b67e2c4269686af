//! Issue 18, item 5: text mode that round-trips. Encoding writes LF line breaks by default (as coreutils
//! `base64` does), quoted-printable decoding writes LF for hard line breaks (`--crlf` keeps them), so a
//! Unix text file comes back byte for byte, through ferry alone and crossed with `qprint` and `base64`.
//! CI apt-installs qprint (`.ci/run`); elsewhere the qprint test shows as ignored when qprint is absent
//! (build.rs sets `cfg(ferry_peer_qprint)`), and under CI=true a missing qprint fails.

use std::path::Path;
use std::process::Command;

use super::{DECODE, ENCODE, Rng, code, run};

/// Runs a peer tool on `file` (its output is the product), asserting success.
fn peer(tool: &str, args: &[&str], file: &Path) -> Vec<u8> {
    let out = Command::new(tool)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("{tool} (apt-get install qprint coreutils): {e}"));
    assert!(out.status.success(), "{tool} {args:?} failed");
    out.stdout
}

/// The inputs: a Unix text file with UTF-8, `=`, tabs, trailing spaces, long lines and a last line
/// without LF; binary data with CR, LF and CRLF inside; a long-line file.
fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let mut text = "Grüße aus Köln  \nline=two\t\n\n  indented\ttab \n"
        .as_bytes()
        .to_vec();
    text.extend_from_slice("x".repeat(300).as_bytes());
    text.extend_from_slice(b"\ntrailing space at the end ");
    let mut binary = Rng(18).bytes(200_000);
    binary.extend_from_slice(b"\r\n\r\r\n\n");
    let long = format!("{}\n", "word ".repeat(40_000)).into_bytes();
    vec![("text", text), ("binary", binary), ("long", long)]
}

#[test]
fn qp_and_base64_round_trip_alone_and_with_coreutils() {
    let dir = tempfile::tempdir().unwrap();
    for (name, data) in inputs() {
        let f = dir.path().join(name);
        std::fs::write(&f, &data).unwrap();
        let binary = name == "binary";
        let qp_args: &[&str] = if binary {
            &["-e", "qp", "--binary"]
        } else {
            &["-e", "qp"]
        };

        // ferry alone: `mime-encode -e qp f | mime-decode -e qp` gives f back.
        let enc = run(ENCODE, qp_args, &data);
        assert_eq!(code(&enc), 0);
        assert!(enc.stderr.is_empty(), "quiet success");
        if !binary {
            assert!(
                !enc.stdout.contains(&b'\r'),
                "{name}: LF line breaks by default"
            );
        }
        let dec = run(DECODE, &["-e", "qp", "--strict"], &enc.stdout);
        assert_eq!(code(&dec), 0);
        assert!(dec.stdout == data, "{name}: ferry qp round trip");

        // base64: byte-identical to coreutils' encoding, and each decodes the other's.
        let b64 = run(ENCODE, &[], &data);
        assert!(
            b64.stdout == peer("base64", &[], &f),
            "{name}: base64 layout"
        );
        let ours = dir.path().join(format!("{name}.b64"));
        std::fs::write(&ours, &b64.stdout).unwrap();
        assert!(
            peer("base64", &["-d"], &ours) == data,
            "{name}: base64 -d of ours"
        );
        let dec = run(DECODE, &["--strict"], &b64.stdout);
        assert!(dec.stdout == data, "{name}: ferry base64 round trip");
    }
}

#[test]
fn crlf_gives_canonical_mime_both_ways() {
    let text = b"one \ntwo\n";
    let enc = run(ENCODE, &["-e", "qp", "--crlf"], text);
    assert_eq!(enc.stdout, b"one=20\r\ntwo\r\n");
    // Canonical input decodes to LF by default, and keeps CRLF with --crlf; =0D=0A is data either way.
    let canonical = b"one=20\r\ntwo=0D=0A\r\n";
    assert_eq!(
        run(DECODE, &["-e", "qp"], canonical).stdout,
        b"one \ntwo\r\n\n"
    );
    assert_eq!(
        run(DECODE, &["-e", "qp", "--crlf"], canonical).stdout,
        b"one \r\ntwo\r\n\r\n"
    );
    let b64 = run(ENCODE, &["--crlf", "-w", "4"], b"foobar");
    assert_eq!(b64.stdout, b"Zm9v\r\nYmFy\r\n");
}

#[test]
#[cfg_attr(
    not(ferry_peer_qprint),
    ignore = "qprint is not installed: apt-get install qprint"
)]
fn qp_crossed_with_qprint_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    for (name, data) in inputs() {
        let f = dir.path().join(name);
        std::fs::write(&f, &data).unwrap();
        let binary = name == "binary";
        let qp_args: &[&str] = if binary {
            &["-e", "qp", "--binary"]
        } else {
            &["-e", "qp"]
        };
        let enc = run(ENCODE, qp_args, &data);
        assert_eq!(code(&enc), 0);
        // Crossed with qprint (which writes CRLF): each decodes the other's encoding to the same bytes.
        let ours = dir.path().join(format!("{name}.qp"));
        std::fs::write(&ours, &enc.stdout).unwrap();
        assert!(
            peer("qprint", &["-d"], &ours) == data,
            "{name}: qprint -d of ours"
        );
        let theirs = peer("qprint", if binary { &["-b", "-e"] } else { &["-e"] }, &f);
        let dec = run(DECODE, &["-e", "qp", "--strict"], &theirs);
        assert!(dec.stdout == data, "{name}: ours of qprint -e");
    }
}
