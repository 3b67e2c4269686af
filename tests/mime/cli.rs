//! The CLI contract: outputs, chunking-independent streaming through pipes, exit codes.

use super::{DECODE, ENCODE, Rng, code, run};

#[test]
fn base64_matches_coreutils_layout_and_round_trips() {
    let data = Rng(7).bytes(300_000);
    let enc = run(ENCODE, &["--lf"], &data);
    assert_eq!(code(&enc), 0);
    let text = String::from_utf8(enc.stdout.clone()).unwrap();
    assert!(text.lines().all(|l| l.len() <= 76));
    assert_eq!(text.lines().next().map(str::len), Some(76));
    let dec = run(DECODE, &["--strict"], &enc.stdout);
    assert_eq!(code(&dec), 0);
    assert_eq!(dec.stdout, data);
    let crlf = run(ENCODE, &["--crlf"], &data);
    assert!(crlf.stdout.windows(2).filter(|w| w == b"\r\n").count() > 3000);
    let one = run(ENCODE, &["-w", "0"], b"foobar");
    assert_eq!(one.stdout, b"Zm9vYmFy\n");
    assert_eq!(
        run(ENCODE, &["-w", "0", "--crlf"], b"foobar").stdout,
        b"Zm9vYmFy\r\n"
    );
}

#[test]
fn qp_text_binary_and_auto() {
    let out = run(ENCODE, &["-e", "qp"], "Grüße \nline=two\t\n".as_bytes());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Gr=C3=BC=C3=9Fe=20\nline=3Dtwo=09\n"
    );
    let bin = Rng(3).bytes(10_000);
    let enc = run(ENCODE, &["-e", "qp", "--binary"], &bin);
    let dec = run(DECODE, &["-e", "qp", "--strict"], &enc.stdout);
    assert_eq!(dec.stdout, bin);
    let auto_text = run(
        ENCODE,
        &["-e", "auto"],
        b"plain text with one accent: \xc3\xa9\n",
    );
    assert!(String::from_utf8_lossy(&auto_text.stdout).contains("=C3=A9"));
    let auto_bin = run(ENCODE, &["-e", "auto"], &bin);
    assert!(
        !auto_bin.stdout[..1000].contains(&b'='),
        "auto picks base64 for binary"
    );
}

#[test]
fn exit_codes() {
    let junk = run(DECODE, &["--strict"], b"Zm9v\nYm!y\n");
    assert_eq!(code(&junk), 9);
    assert!(
        String::from_utf8_lossy(&junk.stderr).contains("offset 7"),
        "{:?}",
        junk.stderr
    );
    assert_eq!(run(DECODE, &[], b"Zm9v\n Ym\tFy!\n").stdout, b"foobar");
    assert_eq!(code(&run(ENCODE, &["-e", "nope"], b"")), 2);
    assert_eq!(code(&run(ENCODE, &["/nonexistent/file"], b"")), 8);
    let inj = run(
        ENCODE,
        &["--message", "--subject", "x\r\nBcc: a@b", "--text", "t"],
        b"",
    );
    assert_eq!(code(&inj), 2);
    let inj = run(
        ENCODE,
        &["--message", "--to", "a@b\nX: y", "--text", "t"],
        b"",
    );
    assert_eq!(code(&inj), 2);
    assert_eq!(
        code(&run(
            ENCODE,
            &["--message", "--attach", "/nonexistent"],
            b""
        )),
        8
    );
}

#[test]
fn headers_both_ways() {
    let subject =
        "Résumé für das Projekt — 日本語のテキストが続きます and some ASCII words at the end";
    let enc = run(ENCODE, &["--header", subject], b"");
    let text = String::from_utf8(enc.stdout).unwrap();
    assert!(!text.contains('\r'), "LF only, as $(...) expects: {text:?}");
    for line in text.split('\n') {
        assert!(line.len() <= 78, "{line}");
    }
    let dec = run(DECODE, &["--header", text.trim_end()], b"");
    assert_eq!(
        String::from_utf8(dec.stdout).unwrap(),
        format!("{subject}\n")
    );
    // Issue 18: a CR kept from a CRLF-era `$(mime-encode --header ...)` is trimmed, not shown as U+FFFD.
    let with_cr = format!("{}\r\n", text.trim_end());
    let dec = run(DECODE, &["--header", &with_cr], b"");
    assert_eq!(
        String::from_utf8(dec.stdout).unwrap(),
        format!("{subject}\n")
    );
    let short = run(ENCODE, &["--header", "Grüße"], b"");
    assert_eq!(short.stdout, b"=?UTF-8?B?R3LDvMOfZQ==?=\n");
    let evil = run(DECODE, &["--header", "=?UTF-8?B?YQ0KYhtbMko=?="], b"");
    let shown = String::from_utf8(evil.stdout).unwrap();
    assert!(
        !shown.trim_end().contains(['\r', '\n', '\x1b']),
        "{shown:?}"
    );
    let unknown = run(
        DECODE,
        &["--header", "=?x-klingon?Q?abc?= =?ISO-8859-1?Q?caf=E9?="],
        b"",
    );
    assert_eq!(
        String::from_utf8(unknown.stdout).unwrap(),
        "=?x-klingon?Q?abc?= café\n"
    );
}

/// Files are mapped and split across threads; pipes are read block by block on one: same bytes out, and a
/// redirected stdin is read from its current offset, which is left at the end as read(2) leaves it.
#[test]
fn mapped_files_code_like_pipes() {
    use std::io::{Read, Seek, SeekFrom};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let words: [&[u8]; 8] = [
        b"word ",
        b"caf\xc3\xa9 ",
        b"= ",
        b"\n",
        b"\r\n",
        b"  \n",
        b"x",
        b"\t",
    ];
    let mut rng = Rng(5);
    let mut text = Vec::new();
    while text.len() < 5 << 20 {
        text.extend_from_slice(words[rng.bytes(1)[0] as usize % words.len()]);
    }
    let path = dir.path().join("in");
    let file_arg = path.to_str().unwrap();
    std::fs::write(&path, &text).unwrap();
    for args in [
        &["-e", "qp"][..],
        &["-e", "qp", "--crlf"],
        &["--crlf"],
        &["-w", "64"],
    ] {
        let piped = run(ENCODE, args, &text);
        let mapped = run(ENCODE, &[args, &[file_arg]].concat(), b"");
        assert_eq!(code(&mapped), 0);
        assert!(mapped.stdout == piped.stdout, "mime-encode {args:?}");
        let dec_args: &[&str] = if args[0] == "-e" { &["-e", "qp"] } else { &[] };
        std::fs::write(dir.path().join("enc"), &mapped.stdout).unwrap();
        let enc_arg = dir.path().join("enc");
        let back = run(
            DECODE,
            &[dec_args, &[enc_arg.to_str().unwrap()]].concat(),
            b"",
        );
        assert_eq!(code(&back), 0);
        assert!(
            back.stdout == run(DECODE, dec_args, &mapped.stdout).stdout,
            "mime-decode {dec_args:?}"
        );
    }
    let mut f = std::fs::File::open(&path).unwrap();
    f.seek(SeekFrom::Start(1000)).unwrap();
    let out = Command::new(ENCODE)
        .args(["--lf"])
        .stdin(Stdio::from(f.try_clone().unwrap()))
        .output()
        .unwrap();
    assert!(out.stdout == run(ENCODE, &["--lf"], &text[1000..]).stdout);
    assert_eq!(f.stream_position().unwrap(), text.len() as u64);
    let mut rest = Vec::new();
    f.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}

/// A file truncated while mime-encode has it mapped: a one-line error and exit 8, never a crash.
#[test]
fn input_file_shrinking_under_the_mapping_is_exit_8() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big");
    std::fs::write(&path, Rng(9).bytes(24 << 20)).unwrap();
    let mut child = Command::new(ENCODE)
        .args(["-e", "qp", "--binary"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Output has started, so the first window is mapped; the pipe fills and the encoder waits on it.
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(8), "{err}");
    assert!(
        err.starts_with("mime-encode: error: the input file shrank"),
        "{err}"
    );
}

/// A file whose pages are not in the page cache is read instead of mapped: the same bytes out.
#[test]
fn uncached_files_code_the_same() {
    use std::os::fd::AsRawFd;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cold");
    let data = Rng(21).bytes(6 << 20);
    std::fs::write(&path, &data).unwrap();
    let f = std::fs::File::open(&path).unwrap();
    f.sync_all().unwrap();
    // Written back, so DONTNEED can drop the pages (a hint: the output must match either way).
    let rc = unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    assert_eq!(rc, 0);
    let cold = run(ENCODE, &["--lf", path.to_str().unwrap()], b"");
    assert_eq!(code(&cold), 0);
    assert!(cold.stdout == run(ENCODE, &["--lf"], &data).stdout);
}

#[test]
fn strict_base64_refuses_padding_beyond_the_quantum_on_every_path() {
    for bad in [&b"QQ===\n"[..], b"QUJD====\n", b"QQ==QQ==\n", b"QQ==\n=\n"] {
        let r = run(DECODE, &["-e", "base64", "--strict"], bad);
        assert_eq!(code(&r), 9, "{}", String::from_utf8_lossy(bad));
        assert_eq!(code(&run(DECODE, &["-e", "base64"], bad)), 0);
    }
    assert_eq!(run(DECODE, &["--strict"], b"QQ==\n").stdout, b"A");
    // Large inputs are decoded on two threads in pieces cut at line ends: the extra '=' (at the end, or
    // as a line of its own in the middle) is refused there too, from a pipe and from a file.
    let data = Rng(11).bytes(57 * 100_000);
    let enc = run(ENCODE, &["--lf"], &data).stdout;
    assert_eq!(
        enc.len() % 77,
        0,
        "whole lines only, so the last quantum is unpadded"
    );
    let mut tail = enc.clone();
    tail.extend_from_slice(b"QQ===\n");
    let mut middle = enc[..enc.len() / 2].to_vec();
    middle.extend_from_slice(b"QQ==\n=\n");
    middle.extend_from_slice(&enc[enc.len() / 2..]);
    let dir = tempfile::tempdir().unwrap();
    for (what, input) in [("tail", &tail), ("middle", &middle)] {
        let r = run(DECODE, &["--strict"], input);
        assert_eq!(code(&r), 9, "{what}, piped");
        let f = dir.path().join(what);
        std::fs::write(&f, input).unwrap();
        let r = run(DECODE, &["--strict", f.to_str().unwrap()], b"");
        assert_eq!(code(&r), 9, "{what}, file");
    }
}
