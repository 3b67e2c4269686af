//! pop3-fetch against the real Dovecot (POP3 with STLS, POP3S): a few hundred seeded messages, every
//! output form checked byte for byte, download-and-delete with a state file, and a crash test that kills
//! the client at random points until a run completes.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::mailbox::{dovecot_user, seed};
use crate::support::*;

fn cfg() -> Option<HashMap<String, String>> {
    super::server("dovecot")
}

/// Messages with what POP3 and mbox make hard: dot lines, From lines, 8-bit bytes, long lines, a big
/// body. LF line endings, as stored in a Maildir; each ends with a newline.
fn messages(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let mut m = format!(
                "From: sender{i}@example.org\nTo: ferry@example.org\nSubject: message {i}\nMessage-ID: <{i}@seed.ferry>\n\nbody of {i}\n"
            )
            .into_bytes();
            if i % 7 == 0 {
                m.extend_from_slice(b".\n..\n.leading dot\n...\n");
            }
            if i % 11 == 0 {
                m.extend_from_slice(b"From here\n>From there\n>>From everywhere\n");
            }
            if i % 13 == 0 {
                m.extend_from_slice(b"caf\xc3\xa9 \xff\xfe bytes\n");
            }
            if i % 17 == 0 {
                m.extend(std::iter::repeat_n(b'x', 5000));
                m.push(b'\n');
            }
            if i == 5 {
                for l in 0..5000 {
                    m.extend_from_slice(format!("line {l} of a big message.\n").as_bytes());
                }
            }
            m
        })
        .collect()
}

fn sorted(mut v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    v.sort();
    v
}

fn files_in(dir: &Path) -> Vec<Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect()
}

/// The messages of an mboxrd file: separators dropped, `>From` unquoted, the blank line after each removed.
fn mbox_messages(bytes: &[u8]) -> Vec<Vec<u8>> {
    let text = bytes;
    let mut out: Vec<Vec<u8>> = Vec::new();
    for line in text.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b"From ") {
            if let Some(last) = out.last_mut() {
                assert_eq!(last.pop(), Some(b'\n'), "blank line before a separator");
            }
            out.push(Vec::new());
            continue;
        }
        let cur = out.last_mut().expect("mbox starts with a separator");
        let quoted = line.iter().take_while(|b| **b == b'>').count();
        if quoted > 0 && line[quoted..].starts_with(b"From ") {
            cur.extend_from_slice(&line[1..]);
        } else {
            cur.extend_from_slice(line);
        }
    }
    if let Some(last) = out.last_mut() {
        assert_eq!(last.pop(), Some(b'\n'), "blank line after the last message");
    }
    out
}

fn pop(
    c: &HashMap<String, String>,
    user: &str,
    dir: &Path,
    url: &str,
    args: &[&str],
    pw: &str,
) -> Run {
    let url = format!(
        "{url}://{user}@{}",
        c[if url == "pop3s" {
            "FERRY_POP3S"
        } else {
            "FERRY_POP3"
        }]
    );
    let mut all = vec![url.as_str(), "--cacert", c["FERRY_CA"].as_str()];
    all.extend_from_slice(args);
    run_in(dir, "pop3-fetch", &all, &[("FERRY_PASSWORD", pw)])
}

#[test]
#[cfg_attr(
    not(ferry_interop_dovecot),
    ignore = "dovecot is not running: tests/interop/start.sh starts it"
)]
fn every_output_form_byte_for_byte() {
    let Some(c) = cfg() else { return };
    let (user, pw, maildir) = dovecot_user(&c, "pop-outputs");
    let seeded = messages(300);
    seed(&maildir, &seeded);
    let want = sorted(seeded.clone());
    let d = tempfile::tempdir().unwrap();

    let r = pop(&c, &user, d.path(), "pop3s", &["--list", "--json"], &pw);
    assert_code(&r, 0);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["messages"].as_array().unwrap().len(), 300);

    let r = pop(&c, &user, d.path(), "pop3s", &["--maildir", "M"], &pw);
    assert_code(&r, 0);
    assert_eq!(sorted(files_in(&d.path().join("M/new"))), want, "Maildir");

    let r = pop(
        &c,
        &user,
        d.path(),
        "pop3",
        &["--starttls", "--mbox", "mbox"],
        &pw,
    );
    assert_code(&r, 0);
    let mbox = std::fs::read(d.path().join("mbox")).unwrap();
    assert_eq!(sorted(mbox_messages(&mbox)), want, "mbox");

    let r = pop(
        &c,
        &user,
        d.path(),
        "pop3",
        &["--dir", "eml", "--json"],
        &pw,
    );
    assert_code(&r, 0);
    assert_eq!(sorted(files_in(&d.path().join("eml"))), want, "--dir");
    assert!(
        names_in(&d.path().join("eml"))
            .iter()
            .all(|n| n.ends_with(".eml"))
    );

    std::fs::create_dir(d.path().join("mda")).unwrap();
    let r = pop(
        &c,
        &user,
        d.path(),
        "pop3s",
        &["--mda", "cat > \"$(mktemp mda/XXXXXX)\""],
        &pw,
    );
    assert_code(&r, 0);
    assert_eq!(sorted(files_in(&d.path().join("mda"))), want, "--mda");

    // Message 6 (number 7 on the server, seeded in name order) to stdout.
    let r = pop(&c, &user, d.path(), "pop3s", &["7"], &pw);
    assert_code(&r, 0);
    assert_eq!(r.stdout, seeded[6], "stdout");

    let r = pop(&c, &user, d.path(), "pop3s", &["1", "--headers-only"], &pw);
    assert_code(&r, 0);
    let head_len = seeded[0].windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    assert_eq!(r.stdout, &seeded[0][..head_len], "TOP 1 0");
}

#[test]
#[cfg_attr(
    not(ferry_interop_dovecot),
    ignore = "dovecot is not running: tests/interop/start.sh starts it"
)]
fn download_and_delete_with_state() {
    let Some(c) = cfg() else { return };
    let (user, pw, maildir) = dovecot_user(&c, "pop-delete");
    let seeded = messages(40);
    seed(&maildir, &seeded);
    let d = tempfile::tempdir().unwrap();
    let base = ["--maildir", "M", "--new-only", "--state", "st"];
    let first: Vec<&str> = base
        .iter()
        .copied()
        .chain(["--max-messages", "15"])
        .collect();
    let r = pop(&c, &user, d.path(), "pop3s", &first, &pw);
    assert_code(&r, 0);
    assert_eq!(names_in(&d.path().join("M/new")).len(), 15);
    let del: Vec<&str> = base.iter().copied().chain(["--delete"]).collect();
    let r = pop(&c, &user, d.path(), "pop3s", &del, &pw);
    assert_code(&r, 0);
    assert_eq!(
        sorted(files_in(&d.path().join("M/new"))),
        sorted(seeded.clone())
    );
    // The 15 kept by the first run stay: --delete removes only what this run stored (or an earlier
    // --delete run left pending).
    let r = pop(&c, &user, d.path(), "pop3s", &["--list"], &pw);
    assert_code(&r, 0);
    assert_eq!(r.stdout_str().lines().count(), 15, "{}", r.stdout_str());
    // The summary is a note: off a terminal (quiet success, issue 18) it needs -v.
    let del_v: Vec<&str> = del.iter().copied().chain(["-v"]).collect();
    let r = pop(&c, &user, d.path(), "pop3s", &del_v, &pw);
    assert_code(&r, 0);
    assert!(r.stderr.contains("0 fetched"), "{}", r.stderr);
    let st = std::fs::read_to_string(d.path().join("st")).unwrap();
    let kept: usize = st
        .lines()
        .filter_map(|l| l.strip_prefix("S "))
        .map(|l| l.split(' ').count())
        .sum();
    assert_eq!(kept, 15, "the state forgot the deleted ones: {st}");
}

/// Kills the client (SIGKILL) at random points during `--delete --new-only` into a Maildir and reruns it
/// until a run completes: every seeded message must be in the Maildir exactly once, the server empty.
#[test]
#[cfg_attr(
    not(ferry_interop_dovecot),
    ignore = "dovecot is not running: tests/interop/start.sh starts it"
)]
fn crash_test_kill_9_until_done() {
    let Some(c) = cfg() else { return };
    let (user, pw, maildir) = dovecot_user(&c, "pop-crash");
    let seeded = messages(150);
    seed(&maildir, &seeded);
    let d = tempfile::tempdir().unwrap();
    let url = format!("pop3s://{user}@{}", c["FERRY_POP3S"]);
    let mut rng = Instant::now().elapsed().as_nanos() as u64 ^ 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut kills = 0;
    let mut done = false;
    for round in 0..300u64 {
        let mut child = Command::new(bin("pop3-fetch"))
            .args([&url, "--cacert", &c["FERRY_CA"], "--maildir", "M"])
            .args(["--delete", "--new-only", "--state", "st", "-q"])
            .current_dir(d.path())
            .env("FERRY_PASSWORD", &pw)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let wait = Duration::from_millis(5 + next() % 80 + round * 3);
        let start = Instant::now();
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break Some(st);
            }
            if start.elapsed() >= wait {
                break None;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        match status {
            Some(st) => {
                assert_eq!(st.code(), Some(0), "an uninterrupted run succeeds");
                done = true;
                break;
            }
            None => {
                child.kill().unwrap();
                child.wait().unwrap();
                kills += 1;
            }
        }
    }
    assert!(done, "no run completed");
    eprintln!("crash test: {kills} kills before a run completed");
    assert!(kills > 0, "the test killed nothing");
    assert_eq!(
        sorted(files_in(&d.path().join("M/new"))),
        sorted(seeded),
        "every message exactly once"
    );
    let r = pop(&c, &user, d.path(), "pop3s", &["--list"], &pw);
    assert_eq!(r.stdout_str(), "", "the server is empty");
}
