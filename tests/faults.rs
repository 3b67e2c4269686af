//! Fault injection (issue 13): every writing tool is run once per filesystem operation of a clean run,
//! with that operation failing (`FERRY_FAULT_AT=n`; the test build has the `fault-injection` feature, see
//! `src/fsys.rs`). Each faulted run must exit 8, show nothing partial at a final name, leave no temporary
//! file, and — for the mail fetchers with `--delete` — delete nothing on the server whose local copy was
//! not durable. The loop ends at the first n the run never reaches, which must be a clean success.

use std::path::Path;

use crate::support::*;

/// Runs `one(n)` for n = 1, 2, … while it reports an injected fault; returns how many operations were
/// faulted (at least `min`, so a seam that stopped counting fails the test).
fn every_fault(min: u64, mut one: impl FnMut(u64) -> bool) -> u64 {
    for n in 1..=400 {
        if !one(n) {
            assert!(n > min, "only {} operations were faulted", n - 1);
            return n - 1;
        }
    }
    panic!("more than 400 filesystem operations in a small run");
}

fn fault_env(n: u64) -> String {
    n.to_string()
}

/// Whether the run hit the injected fault `n` (the seam says so on stderr).
fn fired(r: &Run, n: u64) -> bool {
    r.stderr
        .contains(&format!("injected fault at filesystem operation {n}\n"))
}

/// Every file under `dir` (recursively), as paths relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// No temporary or partial file anywhere under `dir`, and an empty Maildir `tmp/`.
#[track_caller]
fn no_temp_files(dir: &Path, n: u64) {
    for f in files_under(dir) {
        let name = f.rsplit('/').next().unwrap();
        assert!(
            !name.ends_with(".ferry-tmp")
                && !name.ends_with(".ferry-part")
                && !name.starts_with(".ferry-state.")
                && !f.contains("tmp/"),
            "fault {n}: left {f}"
        );
    }
}

#[track_caller]
fn assert_local_failure(r: &Run, n: u64) {
    assert_eq!(r.code, 8, "fault {n}: exit code; stderr:\n{}", r.stderr);
}

/// A fetcher's faulted run: exit 8, or 10 (partial success, the outcome rule) when another message was
/// stored before the failing one.
#[track_caller]
fn assert_fetch_failure(r: &Run, n: u64, have: &[bool]) {
    let partial = r.code == 10 && have.iter().any(|h| *h);
    assert!(
        r.code == 8 || partial,
        "fault {n}: exit code {}; stored {have:?}; stderr:\n{}",
        r.code,
        r.stderr
    );
}

fn ftp_retr(path: &str, body: &[u8], size: bool) -> Vec<Step> {
    let mut v = vec![e("TYPE I"), s("200 ok")];
    if size {
        v.extend([
            e(&format!("SIZE {path}")),
            s(&format!("213 {}", body.len())),
        ]);
    }
    v.extend([
        e("EPSV"),
        Epsv,
        e(&format!("RETR {path}")),
        s("150 ok"),
        DataSend(body.to_vec()),
        s("226 ok"),
    ]);
    v
}

#[test]
fn ftp_get_to_a_file() {
    let body = b"the whole file\n".to_vec();
    let ops = every_fault(3, |n| {
        let srv = Server::start(script(vec![
            anon_login(),
            ftp_retr("f", &body, true),
            quit(),
        ]));
        let dir = tempfile::tempdir().unwrap();
        let r = run_in(
            dir.path(),
            "ftp-get",
            &[&srv.url("f")],
            &[("FERRY_FAULT_AT", &fault_env(n))],
        );
        let names = names_in(dir.path());
        if !fired(&r, n) {
            assert_code(&r, 0);
            assert_eq!(names, vec!["f"]);
            srv.finish();
            return false;
        }
        assert_local_failure(&r, n);
        no_temp_files(dir.path(), n);
        // Only the directory fsync comes after the rename: then the file is whole.
        for name in names {
            assert_eq!(name, "f", "fault {n}");
            assert_eq!(
                std::fs::read(dir.path().join("f")).unwrap(),
                body,
                "fault {n}"
            );
        }
        true
    });
    assert!(ops >= 4, "{ops}");
}

#[test]
fn ftp_get_recursive() {
    let listing = |path: &str, lines: &[&str]| {
        let mut body = Vec::new();
        for l in lines {
            body.extend_from_slice(l.as_bytes());
            body.extend_from_slice(b"\r\n");
        }
        vec![
            e("EPSV"),
            Epsv,
            e(&format!("LIST -a {path}")),
            s("150 Here comes the directory listing."),
            DataSend(body),
            s("226 Directory send OK."),
        ]
    };
    every_fault(4, |n| {
        let srv = Server::start(script(vec![
            anon_login(),
            listing(
                "t",
                &["-rw-r--r--    1 0        0               1 Jan 01  2024 a"],
            ),
            // A mirror asks the time of what it downloads ahead, with its plan (the listing gave the
            // size).
            vec![e("MDTM t/a"), s("213 20240101000000")],
            ftp_retr("t/a", b"A", false),
            quit(),
        ]));
        let dir = tempfile::tempdir().unwrap();
        let r = run_in(
            dir.path(),
            "ftp-get",
            &["-R", "-O", "out", &srv.url("t/")],
            &[("FERRY_FAULT_AT", &fault_env(n))],
        );
        let files = files_under(&dir.path().join("out"));
        if !fired(&r, n) {
            assert_code(&r, 0);
            assert_eq!(files, vec!["t/a"]);
            srv.finish();
            return false;
        }
        assert_local_failure(&r, n);
        no_temp_files(dir.path(), n);
        for f in files {
            assert_eq!(f, "t/a", "fault {n}");
            assert_eq!(std::fs::read(dir.path().join("out/t/a")).unwrap(), b"A");
        }
        true
    });
}

#[test]
fn mime_decode_extract() {
    let msg = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
               Content-Type: text/plain\r\n\r\nbody\r\n--b\r\n\
               Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=x.bin\r\n\
               Content-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--b\r\n\
               Content-Type: text/plain\r\nContent-Disposition: attachment; filename=y.txt\r\n\r\nwhy\r\n--b--\r\n";
    every_fault(6, |n| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let r = run_program(
            Path::new(env!("CARGO_BIN_EXE_mime-decode")),
            dir.path(),
            &["--extract", "out"],
            &[("FERRY_FAULT_AT", &fault_env(n))],
            Some(msg.as_bytes().to_vec()),
        );
        let files = files_under(&out);
        if !fired(&r, n) {
            assert_code(&r, 0);
            assert_eq!(files, vec!["part-1.txt", "x.bin", "y.txt"]);
            return false;
        }
        assert_local_failure(&r, n);
        no_temp_files(dir.path(), n);
        for f in files {
            let want: &[u8] = match f.as_str() {
                "x.bin" => &[0, 1, 2, 3],
                "y.txt" => b"why",
                "part-1.txt" => b"body",
                other => panic!("fault {n}: unexpected {other}"),
            };
            let got = std::fs::read(out.join(&f)).unwrap();
            assert!(
                got.starts_with(want) && got.len() <= want.len() + 2,
                "fault {n}: {f} {got:?}"
            );
        }
        true
    });
}

/// The mail two fetchers deliver: (subject line, stored text).
const MAILS: [(&str, &str); 2] = [
    ("Subject: one", "Subject: one\n\nhello one\n"),
    ("Subject: two", "Subject: two\n\nhello two\n"),
];

/// Which of MAILS are stored, each whole, in `out` (a Maildir, an mbox or a --dir directory); panics on
/// anything partial or unexpected.
fn stored(out: &Path, form: &str, n: u64) -> Vec<bool> {
    let mut texts: Vec<String> = Vec::new();
    match form {
        "--maildir" => {
            for sub in ["new", "cur"].into_iter().filter(|d| out.join(d).is_dir()) {
                for f in names_in(&out.join(sub)) {
                    texts.push(std::fs::read_to_string(out.join(sub).join(f)).unwrap());
                }
            }
        }
        "--dir" => {
            if out.exists() {
                for f in names_in(out) {
                    texts.push(std::fs::read_to_string(out.join(f)).unwrap());
                }
            }
        }
        "--mbox" => {
            let all = std::fs::read_to_string(out).unwrap_or_default();
            for chunk in all.split("From MAILER-DAEMON ").skip(1) {
                let (_, rest) = chunk.split_once('\n').unwrap();
                let msg = rest
                    .strip_suffix('\n')
                    .unwrap_or_else(|| panic!("fault {n}: unterminated mbox message {rest:?}"));
                texts.push(msg.to_string());
            }
            assert!(
                all.is_empty() || all.starts_with("From MAILER-DAEMON "),
                "fault {n}: {all:?}"
            );
        }
        _ => unreachable!(),
    }
    for t in &texts {
        assert!(
            MAILS.iter().any(|(_, m)| m == t),
            "fault {n}: partial or unexpected message {t:?}"
        );
    }
    MAILS
        .iter()
        .map(|(_, m)| texts.iter().any(|t| t == m))
        .collect()
}

/// A POP3 server that answers whatever the client sends, in any order (a faulted client skips or
/// repeats steps a script would insist on), serving MAILS; returns its address and the lines it saw.
fn pop3_server() -> (std::net::SocketAddr, std::thread::JoinHandle<Vec<String>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let Ok((conn, _)) = listener.accept() else {
            return seen;
        };
        conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut w = conn;
        let _ = w.write_all(b"+OK ready\r\n");
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            let line = line.trim_end().to_string();
            seen.push(line.clone());
            let (cmd, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
            let reply = match cmd {
                "CAPA" => "+OK\r\nUIDL\r\nUSER\r\n.\r\n".to_string(),
                "STAT" => "+OK 2 60\r\n".to_string(),
                "LIST" => "+OK\r\n1 30\r\n2 30\r\n.\r\n".to_string(),
                "UIDL" => "+OK\r\n1 u1\r\n2 u2\r\n.\r\n".to_string(),
                "RETR" => match arg.parse::<usize>() {
                    Ok(k @ 1..=2) => {
                        let (subject, _) = MAILS[k - 1];
                        let word = subject.trim_start_matches("Subject: ");
                        format!("+OK\r\n{subject}\r\n\r\nhello {word}\r\n.\r\n")
                    }
                    _ => "-ERR no such message\r\n".to_string(),
                },
                "QUIT" => {
                    let _ = w.write_all(b"+OK bye\r\n");
                    break;
                }
                _ => "+OK\r\n".to_string(),
            };
            if w.write_all(reply.as_bytes()).is_err() {
                break;
            }
        }
        seen
    });
    (addr, handle)
}

#[test]
fn pop3_fetch_deletes_only_durable_mail() {
    for form in ["--maildir", "--mbox", "--dir"] {
        let ops = every_fault(4, |n| {
            let (addr, srv) = pop3_server();
            let dir = tempfile::tempdir().unwrap();
            let url = format!("pop3://ann@{addr}");
            let r = run_in(
                dir.path(),
                "pop3-fetch",
                &[
                    &url,
                    "--timeout",
                    "10",
                    form,
                    "out",
                    "--delete",
                    "--new-only",
                    "--state",
                    "st",
                ],
                &[("FERRY_PASSWORD", "pw"), ("FERRY_FAULT_AT", &fault_env(n))],
            );
            let have = stored(&dir.path().join("out"), form, n);
            let seen = srv.join().unwrap();
            if !fired(&r, n) {
                assert_code(&r, 0);
                assert_eq!(have, vec![true, true], "{form}");
                assert!(seen.contains(&"DELE 2".to_string()), "{seen:?}");
                return false;
            }
            assert_fetch_failure(&r, n, &have);
            no_temp_files(dir.path(), n);
            for line in seen {
                if let Some(k) = line.strip_prefix("DELE ") {
                    let k: usize = k.parse().unwrap();
                    assert!(
                        have[k - 1],
                        "{form} fault {n}: DELE {k} of a message not stored"
                    );
                }
            }
            true
        });
        eprintln!("pop3-fetch {form}: {ops} operations faulted");
    }
}

fn imap_script() -> Vec<Step> {
    let caps = "IMAP4rev1 UIDPLUS";
    let fetched = |seq: u32, body: &str| {
        Raw(format!(
            "* {seq} FETCH (UID {seq} BODY[] {{{}}}\r\n{body})\r\n",
            body.len()
        )
        .into_bytes())
    };
    vec![
        s(&format!("* OK [CAPABILITY {caps}] scripted ready")),
        e("A0001 LOGIN \"ann\" \"pw\""),
        s(&format!("A0001 OK [CAPABILITY {caps}] Logged in")),
        e("A0002 SELECT \"INBOX\""),
        s("* 2 EXISTS"),
        s("* OK [UIDVALIDITY 7] UIDs valid"),
        s("* OK [UIDNEXT 3] next"),
        s("A0002 OK [READ-WRITE] done"),
        e("A0003 UID SEARCH ALL"),
        s("* SEARCH 1 2"),
        s("A0003 OK Search completed"),
        e("A0004 UID FETCH 1:2 (UID BODY.PEEK[])"),
        fetched(1, "Subject: one\r\n\r\nhello one\r\n"),
        fetched(2, "Subject: two\r\n\r\nhello two\r\n"),
        s("A0004 OK done"),
        e("A0005 UID STORE 1:2 +FLAGS.SILENT (\\Deleted)"),
        s("A0005 OK stored"),
        e("A0006 UID EXPUNGE 1:2"),
        s("* 1 EXPUNGE"),
        s("* 1 EXPUNGE"),
        s("A0006 OK expunged"),
        e("A0007 LOGOUT"),
        s("* BYE Logging out"),
        s("A0007 OK Logout completed"),
    ]
}

/// The UIDs in a UID set such as `1:2` or `1,3`.
fn uids(set: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for part in set.split(',') {
        match part.split_once(':') {
            Some((a, b)) => out.extend(a.parse::<usize>().unwrap()..=b.parse::<usize>().unwrap()),
            None => out.push(part.parse().unwrap()),
        }
    }
    out
}

#[test]
fn imap_fetch_deletes_only_durable_mail() {
    for form in ["--maildir", "--mbox", "--dir"] {
        let ops = every_fault(4, |n| {
            let srv = Server::start(imap_script());
            let dir = tempfile::tempdir().unwrap();
            let url = format!("imap://ann:pw@{}/", srv.addr);
            let r = run_in(
                dir.path(),
                "imap-fetch",
                &[
                    &url,
                    "--timeout",
                    "10",
                    form,
                    "out",
                    "--delete",
                    "--new-only",
                    "--state",
                    "st",
                ],
                &[("FERRY_FAULT_AT", &fault_env(n))],
            );
            let have = stored(&dir.path().join("out"), form, n);
            if !fired(&r, n) {
                srv.finish();
                assert_code(&r, 0);
                assert_eq!(have, vec![true, true], "{form}");
                return false;
            }
            assert_fetch_failure(&r, n, &have);
            no_temp_files(dir.path(), n);
            for line in srv.seen_now() {
                let words: Vec<&str> = line.split(' ').collect();
                let set = match words.as_slice() {
                    [_, "UID", "STORE", set, ..] | [_, "UID", "EXPUNGE", set] => uids(set),
                    [_, "EXPUNGE"] | [_, "CLOSE"] => vec![1, 2],
                    _ => continue,
                };
                for uid in set {
                    assert!(
                        have[uid - 1],
                        "{form} fault {n}: {line} for a message not stored"
                    );
                }
            }
            true
        });
        eprintln!("imap-fetch {form}: {ops} operations faulted");
    }
}

/// imap-fetch into a Maildir fsyncs `new/` once per batch (not once per message), after every message of
/// the batch is in `new/` and before the state records them as stored; with that one fsync failing,
/// nothing is deleted on the server and the state still lists both messages as pending only.
#[test]
fn imap_fetch_syncs_the_maildir_once_per_batch_before_state_and_delete() {
    let args = |url: &str| {
        vec![
            url.to_string(),
            "--timeout".into(),
            "10".into(),
            "--maildir".into(),
            "out".into(),
            "--delete".into(),
            "--new-only".into(),
            "--state".into(),
            "st".into(),
        ]
    };
    // A clean run, traced.
    let srv = Server::start(imap_script());
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace");
    let url = format!("imap://ann:pw@{}/", srv.addr);
    let a = args(&url);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let r = run_in(
        dir.path(),
        "imap-fetch",
        &a,
        &[("FERRY_FAULT_TRACE", trace.to_str().unwrap())],
    );
    srv.finish();
    assert_code(&r, 0);
    let mut ops: Vec<(u64, String, String)> = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .map(|l| {
            let mut w = l.splitn(3, ' ');
            let n = w.next().unwrap().parse().unwrap();
            (
                n,
                w.next().unwrap().to_string(),
                w.next().unwrap_or("").to_string(),
            )
        })
        .collect();
    ops.sort();
    // The run's own paths, relative to its working directory.
    let new_dir = "out/new";
    let moves: Vec<u64> = ops
        .iter()
        .filter(|(_, op, p)| (op == "rename" || op == "link") && p.starts_with("out/new/"))
        .map(|(n, ..)| *n)
        .collect();
    let syncs: Vec<u64> = ops
        .iter()
        .filter(|(_, op, p)| op == "sync_dir" && p == new_dir)
        .map(|(n, ..)| *n)
        .collect();
    assert_eq!(moves.len(), 2, "{ops:?}");
    assert_eq!(syncs.len(), 1, "one fsync of new/ for the batch: {ops:?}");
    let sync = syncs[0];
    assert!(moves.iter().all(|&m| m < sync), "{ops:?}");
    assert!(
        ops.iter()
            .any(|(n, op, p)| *n > sync && op == "rename" && p == "st"),
        "the state is saved after the sync: {ops:?}"
    );

    // The same run with that fsync failing: no removal on the server, nothing recorded as stored.
    let srv = Server::start(imap_script());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("imap://ann:pw@{}/", srv.addr);
    let a = args(&url);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let r = run_in(
        dir.path(),
        "imap-fetch",
        &a,
        &[("FERRY_FAULT_AT", &fault_env(sync))],
    );
    assert!(fired(&r, sync), "{}", r.stderr);
    assert_code(&r, 8);
    for line in srv.seen_now() {
        assert!(
            !line.contains("STORE") && !line.contains("EXPUNGE") && !line.contains("CLOSE"),
            "{line} after a failed fsync of new/"
        );
    }
    let st: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("st")).unwrap()).unwrap();
    let text = st.to_string();
    assert!(text.contains("\"last_uid\":0"), "{text}");
    assert!(
        !text.contains("\"stored\":[1") && !text.contains("\"stored\":[2"),
        "{text}"
    );
    assert!(
        text.contains("\"uid\":1") && text.contains("\"uid\":2"),
        "both pending: {text}"
    );
}

#[test]
fn smtp_send_queue() {
    let msg = b"From: ann@example.com\r\nTo: bob@example.org\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <f@t>\r\nSubject: q\r\n\r\nqueued\r\n";
    every_fault(3, |n| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("m.eml"), msg).unwrap();
        let q = dir.path().join("q");
        // Nothing listens on port 1: a transient connect failure, so the message is queued.
        let r = run_in(
            dir.path(),
            "smtp-send",
            &[
                "--helo",
                "test.invalid",
                "smtp://127.0.0.1:1",
                "--message",
                "m.eml",
                "-t",
                "--queue",
                "q",
            ],
            &[("FERRY_FAULT_AT", &fault_env(n))],
        );
        let entries: Vec<String> = if q.exists() { names_in(&q) } else { vec![] };
        if !fired(&r, n) {
            assert_code(&r, 7);
            assert_eq!(entries.iter().filter(|e| e.ends_with(".msg")).count(), 1);
            return false;
        }
        assert_local_failure(&r, n);
        no_temp_files(dir.path(), n);
        for name in entries.iter().filter(|e| !e.ends_with(".state")) {
            assert!(name.ends_with(".msg"), "fault {n}: {name}");
            let text = std::fs::read(q.join(name)).unwrap();
            assert!(
                text.ends_with(b"queued\r\n"),
                "fault {n}: partial queue entry"
            );
        }
        true
    });
}
