//! Issue 13, defect 13: SIGINT/SIGTERM/SIGHUP leave no orphans. The real binaries are stopped mid-transfer
//! (the scripted server stalls) and the tests check the exit status (128 + signal), that no temporary file
//! is left, that a `-c` partial stays and a later `-c` completes it, and that an `--atomic` upload removes
//! its temporary name on the server.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::support::*;

/// A RETR that sends `sent` bytes of a `size`-byte file, closes the data connection and then stalls
/// before the final reply.
fn stalled_retr(path: &str, size: usize, sent: usize, rest: Option<usize>) -> Vec<Step> {
    let mut v = vec![
        e("TYPE I"),
        s("200 ok"),
        e(&format!("SIZE {path}")),
        s(&format!("213 {size}")),
        e("EPSV"),
        Epsv,
    ];
    if let Some(r) = rest {
        v.extend([e(&format!("REST {r}")), s("350 Restart position accepted.")]);
    }
    v.extend([
        e(&format!("RETR {path}")),
        s("150 here it comes"),
        DataSend(vec![b'x'; sent]),
        Sleep(Duration::from_secs(8)),
    ]);
    v
}

/// Every name in `dir` with its size.
fn sizes(dir: &Path) -> Vec<(String, u64)> {
    names_in(dir)
        .into_iter()
        .map(|n| {
            let len = std::fs::metadata(dir.join(&n)).unwrap().len();
            (n, len)
        })
        .collect()
}

#[test]
fn sigint_removes_the_temporary_file_and_a_later_c_finds_nothing_stale() {
    let srv = Server::start(script(vec![
        anon_login(),
        stalled_retr("big", 1000, 500, None),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let url = srv.url("big");
    let mut child = spawn_in(
        dir.path(),
        "ftp-get",
        &["--timeout", "30", &url],
        &[],
        false,
    );
    assert!(
        wait_until(Duration::from_secs(10), || sizes(dir.path())
            .iter()
            .any(|(n, l)| n.ends_with(".ferry-tmp") && *l == 500)),
        "the download never started: {:?}",
        sizes(dir.path())
    );
    let (code, err) = signal_and_wait(&mut child, libc::SIGINT);
    assert_eq!(code, Some(130), "stderr: {err}");
    assert_eq!(
        names_in(dir.path()),
        Vec::<String>::new(),
        "nothing left behind"
    );
    drop(srv);

    // A later -c starts from byte 0: nothing stale to resume from.
    let body = vec![b'y'; 1000];
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE big"),
            s("213 1000"),
            e("EPSV"),
            Epsv,
            e("RETR big"),
            s("150 ok"),
            DataSend(body.clone()),
            s("226 ok"),
        ],
        quit(),
    ]));
    let r = run_in(dir.path(), "ftp-get", &["-c", &srv.url("big")], &[]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("big")).unwrap(), body);
    assert_eq!(names_in(dir.path()), vec!["big"]);
    srv.finish();
}

#[test]
fn sigterm_keeps_the_c_partial_and_a_second_c_completes_it() {
    let srv = Server::start(script(vec![
        anon_login(),
        stalled_retr("f", 1000, 600, None),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let url = srv.url("f");
    let mut child = spawn_in(
        dir.path(),
        "ftp-get",
        &["-c", "--timeout", "30", &url],
        &[],
        false,
    );
    assert!(wait_until(Duration::from_secs(10), || sizes(dir.path())
        == vec![(".f.ferry-part".to_string(), 600)]));
    let (code, err) = signal_and_wait(&mut child, libc::SIGTERM);
    assert_eq!(code, Some(143), "stderr: {err}");
    assert_eq!(
        sizes(dir.path()),
        vec![(".f.ferry-part".to_string(), 600)],
        "the partial stays for -c, and nothing else"
    );
    drop(srv);

    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("213 1000"),
            // -c appends only onto a partial not older than the remote file.
            e("MDTM f"),
            s("213 20200101000000"),
            e("EPSV"),
            Epsv,
            e("REST 600"),
            s("350 Restart position accepted (600)."),
            e("RETR f"),
            s("150 ok"),
            DataSend(vec![b'z'; 400]),
            s("226 ok"),
        ],
        quit(),
    ]));
    let r = run_in(dir.path(), "ftp-get", &["-c", &srv.url("f")], &[]);
    assert_code(&r, 0);
    let mut want = vec![b'x'; 600];
    want.extend(vec![b'z'; 400]);
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), want);
    assert_eq!(names_in(dir.path()), vec!["f"]);
    srv.finish();
}

#[test]
fn sighup_during_a_maildir_delivery_leaves_nothing_in_tmp() {
    let srv = Server::start(vec![
        s("+OK ready"),
        e("CAPA"),
        s("+OK"),
        s("UIDL"),
        s("USER"),
        s("."),
        e("USER ann"),
        s("+OK"),
        e("PASS pw"),
        s("+OK Logged in."),
        e("CAPA"),
        s("+OK"),
        s("UIDL"),
        s("."),
        e("STAT"),
        s("+OK 1 5000"),
        e("LIST"),
        s("+OK"),
        s("1 5000"),
        s("."),
        e("UIDL"),
        s("+OK"),
        s("1 u1"),
        s("."),
        e("RETR 1"),
        s("+OK message follows"),
        s("Subject: big"),
        s(""),
        s("first line of a message that never ends"),
        Sleep(Duration::from_secs(8)),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("pop3://ann@{}", srv.addr);
    let mut child = spawn_in(
        dir.path(),
        "pop3-fetch",
        &[&url, "--timeout", "30", "--maildir", "M", "--delete"],
        &[("FERRY_PASSWORD", "pw")],
        false,
    );
    let tmp = dir.path().join("M/tmp");
    assert!(
        wait_until(Duration::from_secs(10), || tmp.is_dir()
            && !names_in(&tmp).is_empty()),
        "the delivery never started"
    );
    let (code, err) = signal_and_wait(&mut child, libc::SIGHUP);
    assert_eq!(code, Some(129), "stderr: {err}");
    for sub in ["tmp", "new", "cur"] {
        assert_eq!(
            names_in(&dir.path().join("M").join(sub)),
            Vec::<String>::new(),
            "{sub}"
        );
    }
    assert!(!srv.seen_now().iter().any(|l| l.starts_with("DELE")));
}

#[test]
fn sigint_during_an_mbox_append_rolls_it_back() {
    let srv = Server::start(vec![
        s("+OK ready"),
        e("CAPA"),
        s("+OK"),
        s("UIDL"),
        s("USER"),
        s("."),
        e("USER ann"),
        s("+OK"),
        e("PASS pw"),
        s("+OK Logged in."),
        e("CAPA"),
        s("+OK"),
        s("UIDL"),
        s("."),
        e("STAT"),
        s("+OK 1 5000"),
        e("LIST"),
        s("+OK"),
        s("1 5000"),
        s("."),
        e("UIDL"),
        s("+OK"),
        s("1 u1"),
        s("."),
        e("RETR 1"),
        s("+OK message follows"),
        s("Subject: big"),
        s(""),
        Raw(b"0123456789012345678901234567890123456789\r\n".repeat(2000)),
        Sleep(Duration::from_secs(8)),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("mbox");
    let before = b"From a Thu Jan  1 00:00:00 2026\nSubject: old\n\nold\n\n".to_vec();
    std::fs::write(&mbox, &before).unwrap();
    let url = format!("pop3://ann@{}", srv.addr);
    let mut child = spawn_in(
        dir.path(),
        "pop3-fetch",
        &[&url, "--timeout", "30", "--mbox", "mbox"],
        &[("FERRY_PASSWORD", "pw")],
        false,
    );
    assert!(
        wait_until(Duration::from_secs(10), || std::fs::metadata(&mbox)
            .unwrap()
            .len()
            > before.len() as u64 + 100),
        "the append never started"
    );
    let (code, err) = signal_and_wait(&mut child, libc::SIGINT);
    assert_eq!(code, Some(130), "stderr: {err}");
    assert_eq!(std::fs::read(&mbox).unwrap(), before, "byte-identical");
    assert_eq!(names_in(dir.path()), vec!["mbox"]);
}

#[test]
fn an_interrupted_atomic_upload_deletes_its_temporary_name() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("EPSV"),
            Epsv,
            ExpectPrefix("STOR .up.ferry-".into()),
            s("150 Ok to send data."),
            DataRecvSome(1000),
            s("426 Connection closed; transfer aborted."),
            ExpectPrefix("DELE .up.ferry-".into()),
            s("250 Delete operation successful."),
            Drain,
        ],
    ]));
    let dir = tempfile::tempdir().unwrap();
    let url = srv.url("up");
    let mut child = spawn_in(
        dir.path(),
        "ftp-put",
        &["--atomic", "--timeout", "30", "-", &url],
        &[],
        true,
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&[b'q'; 1000]).unwrap();
    assert!(wait_until(Duration::from_secs(10), || srv
        .seen_now()
        .iter()
        .any(|l| l.starts_with("STOR "))));
    // The data connection is open and the upload waits for more input.
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill(2) on our own child.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    std::thread::sleep(Duration::from_millis(100));
    drop(stdin);
    let (code, err) = signal_and_wait(&mut child, 0);
    assert_eq!(code, Some(130), "stderr: {err}");
    // The status says how the run ended; the upload it cut short is no failure to list.
    assert!(!err.contains("error:"), "stderr: {err}");
    let seen = srv.finish();
    let stor = seen.iter().find(|l| l.starts_with("STOR ")).unwrap();
    let dele = seen.iter().find(|l| l.starts_with("DELE ")).unwrap();
    assert_eq!(stor["STOR ".len()..], dele["DELE ".len()..], "{seen:?}");
    assert!(!seen.iter().any(|l| l.starts_with("RNFR")), "{seen:?}");
}

/// SIGTERM while an MDA is fed a message: the MDA is killed before our exit closes its stdin, so one
/// that reads the whole message and then delivers it never delivers the truncated one.
#[test]
fn sigterm_during_an_mda_delivery_delivers_nothing() {
    let srv = Server::start(vec![
        s("+OK ready"),
        e("CAPA"),
        s("+OK"),
        s("UIDL"),
        s("USER"),
        s("."),
        e("USER ann"),
        s("+OK"),
        e("PASS pw"),
        s("+OK Logged in."),
        e("CAPA"),
        s("+OK"),
        s("UIDL"),
        s("."),
        e("STAT"),
        s("+OK 1 90000"),
        e("LIST"),
        s("+OK"),
        s("1 90000"),
        s("."),
        e("UIDL"),
        s("+OK"),
        s("1 u1"),
        s("."),
        e("RETR 1"),
        s("+OK message follows"),
        s("Subject: big"),
        s(""),
        Raw(b"0123456789012345678901234567890123456789\r\n".repeat(2000)),
        Sleep(Duration::from_secs(8)),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("pop3://ann@{}", srv.addr);
    let mda = r#"m=$(cat); printf '%s\n' "$m" >> box"#;
    let mut child = spawn_in(
        dir.path(),
        "pop3-fetch",
        &[&url, "--timeout", "30", "--mda", mda],
        &[("FERRY_PASSWORD", "pw")],
        false,
    );
    assert!(
        wait_until(Duration::from_secs(10), || srv
            .seen_now()
            .iter()
            .any(|l| l == "RETR 1")),
        "the fetch never started"
    );
    std::thread::sleep(Duration::from_millis(500));
    let (code, err) = signal_and_wait(&mut child, libc::SIGTERM);
    assert_eq!(code, Some(143), "stderr: {err}");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !dir.path().join("box").exists(),
        "a truncated message was delivered"
    );
}
