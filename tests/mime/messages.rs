//! Taking messages apart (`--list`, `--extract`, `--text`) and building them (`--message`), checked
//! against expectations, against mail-parser 0.11 and (when installed) Python's `email` package.

use std::path::Path;

use ferry::mime::parse::{Limits, Part, Visitor, Want, parse};
use mail_parser::{MessageParser, MimeHeaders};
use proptest::prelude::*;

use super::{DECODE, ENCODE, code, corpus, run};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 output")
}

#[test]
fn list_shows_the_tree() {
    let o = run(DECODE, &["--list"], &corpus::nested());
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        lines,
        [
            "0 multipart/mixed - 7bit -",
            "1 multipart/alternative - 7bit -",
            "1.1 text/plain utf-8 quoted-printable 113",
            "1.2 text/html utf-8 7bit 22",
            "2 application/pdf - base64 20000 Prüfbericht 2024 – final.pdf",
            "3 message/rfc822 - 7bit - forwarded.eml",
            "3.1 multipart/mixed - 7bit -",
            "3.1.1 text/plain gb2312 base64 10",
            "3.1.2 image/png - base64 3000 bild ü.png",
        ]
    );
    let j = run(DECODE, &["--list", "--json"], &corpus::nested());
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(9));
    assert_eq!(v[4]["filename"], "Prüfbericht 2024 – final.pdf");
    assert_eq!(v[4]["size"], 20000);
}

fn extract(msg: &[u8], dir: &Path) -> std::process::Output {
    run(DECODE, &["--extract", dir.to_str().unwrap()], msg)
}

#[test]
fn extract_matches_mail_parser() {
    let msg = corpus::nested();
    let dir = tempfile::tempdir().unwrap();
    let o = extract(&msg, dir.path());
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let pdf = std::fs::read(dir.path().join("Prüfbericht 2024 – final.pdf")).unwrap();
    assert_eq!(pdf, corpus::nested_attachment());
    assert_eq!(
        std::fs::read(dir.path().join("bild ü.png")).unwrap(),
        corpus::nested_image()
    );
    assert_eq!(
        std::fs::read(dir.path().join("part-3.1.1.txt")).unwrap(),
        b"\xc4\xe3\xba\xc3\xa3\xac\xca\xc0\xbd\xe7"
    );

    // Differential: the oracle sees the same attachments with the same names and bytes.
    let parsed = MessageParser::default()
        .parse(&msg[..])
        .expect("mail-parser parses it");
    let att = parsed.attachment(0).expect("pdf");
    assert_eq!(att.attachment_name(), Some("Prüfbericht 2024 – final.pdf"));
    assert_eq!(att.contents(), &pdf[..]);
    let inner = parsed
        .attachment(1)
        .and_then(|a| a.message())
        .expect("rfc822");
    let png = inner.attachment(0).expect("png");
    assert_eq!(png.attachment_name(), Some("bild ü.png"));
    assert_eq!(png.contents(), &corpus::nested_image()[..]);
    assert_eq!(inner.body_text(0).as_deref(), Some("你好，世界"));
}

fn text_of(msg: &[u8]) -> String {
    let o = run(DECODE, &["--text"], msg);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    stdout(&o)
}

fn oracle_text(msg: &[u8]) -> String {
    let parsed = MessageParser::default().parse(msg).expect("parses");
    parsed
        .body_text(0)
        .map(|t| t.replace("\r\n", "\n"))
        .unwrap_or_default()
}

#[test]
fn text_in_every_charset_matches_mail_parser() {
    let cases: Vec<(&str, &str, &[u8], &str)> = vec![
        (
            "gb2312",
            "base64",
            b"\xc4\xe3\xba\xc3\xa3\xac\xca\xc0\xbd\xe7\r\n",
            "你好，世界\n",
        ),
        ("GBK", "8bit", b"\xd6\xd0\xce\xc4\r\n", "中文\n"),
        ("gb18030", "base64", b"\x81\x30\x81\x30\r\n", "\u{80}\n"),
        ("cp936", "8bit", b"\xc4\xe3\xba\xc3\r\n", "你好\n"),
        (
            "big5",
            "quoted-printable",
            b"=A4=A4=A4=E5=\r\n=BD=D0\r\n",
            "中文請\n",
        ),
        (
            "euc-kr",
            "8bit",
            b"\xc7\xd1\xb1\xdb \xc5\xd8\xbd\xba\xc6\xae\r\n",
            "한글 텍스트\n",
        ),
        (
            "shift_jis",
            "base64",
            b"\x93\xfa\x96\x7b\x8c\xea\r\n",
            "日本語\n",
        ),
        (
            "iso-8859-2",
            "quoted-printable",
            b"=A3=F3d=BC   \r\n",
            "Łódź\n",
        ),
        (
            "windows-1251",
            "8bit",
            b"\xcf\xf0\xe8\xe2\xe5\xf2\r\n",
            "Привет\n",
        ),
        (
            "utf-8",
            "quoted-printable",
            b"soft =\r\nbreak and =C3=A9\r\n",
            "soft break and é\n",
        ),
    ];
    for (cs, cte, body, want) in cases {
        let msg = corpus::single(cs, cte, body);
        let got = text_of(&msg);
        assert_eq!(got, want, "{cs}/{cte}");
        assert_eq!(
            got.trim_end(),
            oracle_text(&msg).trim_end(),
            "mail-parser disagrees on {cs}/{cte}"
        );
    }
    let nested = corpus::nested();
    let got = text_of(&nested);
    assert_eq!(got.trim_end(), oracle_text(&nested).trim_end());
    assert!(got.starts_with("Schöne Grüße aus Köln. This line is long enough that it needs a soft break, and trailing spaces\nare padding."), "{got}");
}

#[test]
fn hostile_names_stay_inside_and_never_clobber() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(outside.path(), b"precious").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
    std::fs::write(dir.path().join("same.txt"), b"existing").unwrap();
    let o = extract(&corpus::hostile(), dir.path());
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(outside.path()).unwrap(), b"precious");
    assert_eq!(
        std::fs::read(dir.path().join("same.txt")).unwrap(),
        b"existing"
    );
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for n in &names {
        assert!(
            !n.starts_with('.') && !n.contains(['/', '\\', ':']) && n.len() <= 255,
            "{n:?}"
        );
        assert!(!n.chars().any(char::is_control), "{n:?}");
        assert!(
            !n.eq_ignore_ascii_case("con") && !n.eq_ignore_ascii_case("nul.txt"),
            "{n:?}"
        );
    }
    for want in [
        "ferry-escape",
        "passwd",
        "evil.dll",
        "bashrc",
        "_CON",
        "_nul.txt",
        "same-1.txt",
        "same-2.txt",
        "link-1",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    // One file per part (13) plus the two pre-existing entries.
    assert_eq!(names.len(), 15, "{names:?}");
    assert!(
        !Path::new("/tmp/ferry-escape").exists()
            || std::fs::read("/tmp/ferry-escape").unwrap() != b"part 0"
    );
}

#[test]
fn part_and_depth_caps() {
    let ok = run(DECODE, &["--list"], &corpus::flat(9_999));
    assert_eq!(code(&ok), 0);
    assert_eq!(stdout(&ok).lines().count(), 10_000);
    let too_many = run(DECODE, &["--list"], &corpus::flat(10_000));
    assert_eq!(code(&too_many), 9);
    assert_eq!(code(&run(DECODE, &["--list"], &corpus::deep(64))), 0);
    let too_deep = run(DECODE, &["--list"], &corpus::deep(10_000));
    assert_eq!(
        code(&too_deep),
        9,
        "{}",
        String::from_utf8_lossy(&too_deep.stderr)
    );
}

#[test]
fn build_then_take_apart_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let bin = super::Rng(5).bytes(70_000);
    let bin_path = dir.path().join("data.bin");
    std::fs::write(&bin_path, &bin).unwrap();
    let txt_path = dir.path().join("Übersicht – notes.txt");
    std::fs::write(&txt_path, "line one\nline two ü\n").unwrap();
    let csv_path = dir.path().join("table.csv");
    std::fs::write(&csv_path, "a,b\r\n1,2\r\n").unwrap();
    let subject =
        "Grüße — a subject long enough to need folding into several encoded words, 日本語も";
    let o = run(
        ENCODE,
        &[
            "--message",
            "--from",
            "Jörg Müller <j@example.org>",
            "--to",
            "a@example.com",
            "--to",
            "Bob <b@example.com>",
            "--subject",
            subject,
            "--text",
            "Hallo,\nanbei die Dateien.\n",
            "--attach",
            bin_path.to_str().unwrap(),
            "--attach",
            txt_path.to_str().unwrap(),
            "--attach",
            csv_path.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let msg = o.stdout;
    let head =
        String::from_utf8_lossy(&msg[..msg.windows(4).position(|w| w == b"\r\n\r\n").unwrap()])
            .into_owned();
    for line in head.split("\r\n") {
        assert!(line.len() <= 78 && line.is_ascii(), "{line}");
    }
    assert!(
        head.contains("Message-ID: <")
            && head.contains("Date: ")
            && head.contains("MIME-Version: 1.0")
    );
    assert!(
        !msg.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'),
        "bare LF in message"
    );

    let parsed = MessageParser::default()
        .parse(&msg[..])
        .expect("oracle parses our message");
    assert_eq!(parsed.subject(), Some(subject));
    assert_eq!(
        parsed.from().and_then(|a| a.first()).and_then(|a| a.name()),
        Some("Jörg Müller")
    );
    assert_eq!(
        parsed
            .body_text(0)
            .as_deref()
            .map(|t| t.replace("\r\n", "\n")),
        Some("Hallo,\nanbei die Dateien.\n".to_string())
    );
    let names: Vec<_> = parsed
        .attachments()
        .map(|a| a.attachment_name().unwrap_or("").to_string())
        .collect();
    assert_eq!(names, ["data.bin", "Übersicht – notes.txt", "table.csv"]);
    assert_eq!(parsed.attachment(0).unwrap().contents(), &bin[..]);

    let out = dir.path().join("out");
    let x = run(DECODE, &["--extract", out.to_str().unwrap()], &msg);
    assert_eq!(code(&x), 0);
    assert_eq!(std::fs::read(out.join("data.bin")).unwrap(), bin);
    assert_eq!(
        std::fs::read(out.join("Übersicht – notes.txt")).unwrap(),
        std::fs::read(&txt_path).unwrap()
    );
    assert_eq!(
        std::fs::read(out.join("table.csv")).unwrap(),
        b"a,b\r\n1,2\r\n"
    );
    let list = stdout(&run(DECODE, &["--list"], &msg));
    assert!(
        list.contains("text/csv  us-ascii  7bit  10  table.csv"),
        "{list}"
    );
}

#[test]
fn python_email_agrees_on_leaves() {
    let script = r#"
import sys, email, email.policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
for p in m.walk():
    if p.is_multipart(): continue
    print(p.get_content_type(), p.get_filename() or "-", len(p.get_payload(decode=True) or b""))
"#;
    let Ok(py) = std::process::Command::new("python3")
        .arg("-c")
        .arg("pass")
        .output()
    else {
        eprintln!("python3 not available; skipping");
        return;
    };
    if !py.status.success() {
        return;
    }
    let msg = corpus::nested();
    let py = run("python3", &["-c", script], &msg);
    // Python's quopri keeps trailing whitespace that RFC 2045 §6.7 rule 3 says a decoder must delete, so
    // sizes of quoted-printable parts are not compared.
    let qp_sizes = |line: &str, qp: bool| {
        if qp {
            line.rsplit_once(' ').map_or(line, |(a, _)| a).to_string()
        } else {
            line.to_string()
        }
    };
    let mut theirs: Vec<String> = stdout(&py).lines().map(str::to_string).collect();
    let j: serde_json::Value =
        serde_json::from_slice(&run(DECODE, &["--list", "--json"], &msg).stdout).unwrap();
    // Python walks into message/rfc822 without reporting it as a leaf; so do we (it is a container).
    let ours: Vec<String> = j
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["size"].is_null())
        .map(|e| {
            format!(
                "{} {} {}",
                e["type"].as_str().unwrap(),
                e["filename"].as_str().unwrap_or("-"),
                e["size"]
            )
        })
        .collect();
    let qp: Vec<bool> = j
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["size"].is_null())
        .map(|e| e["encoding"] == "quoted-printable")
        .collect();
    assert_eq!(theirs.len(), qp.len(), "{theirs:?}");
    assert!(qp.iter().any(|q| !q));
    let ours: Vec<String> = ours.iter().zip(&qp).map(|(l, q)| qp_sizes(l, *q)).collect();
    theirs = theirs
        .iter()
        .zip(&qp)
        .map(|(l, q)| qp_sizes(l, *q))
        .collect();
    assert_eq!(ours, theirs);
}

struct Nop;

impl Visitor for Nop {
    fn start(&mut self, _: &Part) -> ferry::Result<Want> {
        Ok(Want::Body)
    }
    fn body(&mut self, _: &[u8]) -> ferry::Result<()> {
        Ok(())
    }
    fn end(&mut self, _: &Part, _: u64) -> ferry::Result<()> {
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Truncated, spliced and bit-flipped messages never panic and never exceed the limits.
    #[test]
    fn malformed_messages_never_panic(cut in 0usize..30_000, flips in proptest::collection::vec((0usize..30_000, any::<u8>()), 0..40)) {
        let mut msg = corpus::nested();
        for (at, b) in flips {
            let n = msg.len();
            msg[at % n] = b;
        }
        msg.truncate(cut.min(msg.len()));
        let _ = parse(&msg[..], "fuzz", &mut Nop, Limits::default());
    }
}

#[test]
fn extract_of_thousands_of_parts_with_one_name_gives_each_its_own_file() {
    // 3 000 parts all named a.txt: a.txt, a-1.txt, … a-2999.txt, each with its own part's body (the
    // numbering is linear since issue 13: one name counter per run, not a probe of every taken name).
    const N: usize = 3000;
    let mut msg =
        String::from("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n");
    for i in 0..N {
        msg.push_str(&format!(
            "--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"a.txt\"\r\n\r\npart {i}\r\n"
        ));
    }
    msg.push_str("--B--\r\n");
    let tmp = tempfile::tempdir().unwrap();
    let x = extract(msg.as_bytes(), tmp.path());
    assert_eq!(
        x.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&x.stderr)
    );
    let names = std::fs::read_dir(tmp.path()).unwrap().count();
    assert_eq!(names, N);
    for i in 0..N {
        let name = if i == 0 {
            "a.txt".to_string()
        } else {
            format!("a-{i}.txt")
        };
        let body = std::fs::read(tmp.path().join(&name)).unwrap();
        assert_eq!(body, format!("part {i}").as_bytes(), "{name}");
    }
}
