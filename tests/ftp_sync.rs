//! ftp-get/ftp-put mirroring against the scripted server (issue 14): change detection, deletion safety,
//! filters, the plan (`--dry-run`), and the FTP defects of issue 13 found on the way.

use crate::support::*;

/// TYPE I, SIZE, EPSV, RETR of `body`.
fn retr(path: &str, body: &[u8]) -> Vec<Step> {
    vec![
        e("TYPE I"),
        s("200 Switching to Binary mode."),
        e(&format!("SIZE {path}")),
        s(&format!("213 {}", body.len())),
        e("EPSV"),
        Epsv,
        e(&format!("RETR {path}")),
        s("150 Opening BINARY mode data connection."),
        DataSend(body.to_vec()),
        s("226 Transfer complete."),
    ]
}

/// A listing command answered with `lines`.
fn listing(cmd: &str, lines: &[&str]) -> Vec<Step> {
    let mut body = Vec::new();
    for l in lines {
        body.extend_from_slice(l.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    vec![
        e("EPSV"),
        Epsv,
        e(cmd),
        s("150 Here comes the directory listing."),
        DataSend(body),
        s("226 Directory send OK."),
    ]
}

#[test]
fn issue_13_defect_4_resume_onto_a_longer_local_file_starts_over_with_a_true_count() {
    let srv = Server::start(script(vec![anon_login(), retr("f", b"new"), quit()]));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), vec![b'x'; 5000]).unwrap();
    let r = run_in(dir.path(), "ftp-get", &["-v", "-c", &srv.url("f")], &[]);
    assert_code(&r, 0);
    assert_eq!(r.stdout_str(), "");
    assert!(r.stderr.contains("f: 3 bytes"), "{}", r.stderr);
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"new");
    srv.finish();
}

/// A plain anonymous login whose FEAT lists `features`.
fn login(features: &[&str]) -> Vec<Step> {
    let mut v = vec![
        s("220 scripted server"),
        e("USER anonymous"),
        s("331 Please specify the password."),
        e("PASS ferry@"),
        s("230 Login successful."),
        e("FEAT"),
        s("211-Features:"),
    ];
    v.extend(features.iter().map(|f| s(&format!(" {f}"))));
    v.push(s("211 End"));
    v
}

const MLSD_FEAT: &[&str] = &[
    "EPSV",
    "MDTM",
    "MLST type*;size*;modify*;",
    "REST STREAM",
    "SIZE",
];

/// An upload server with MLSD's exact times and MFMT to set them (ProFTPD's kind).
const MFMT_FEAT: &[&str] = &["EPSV", "MDTM", "MFMT", "MLST type*;size*;modify*;", "SIZE"];

/// A RETR whose size and time the listing (MLSD) already gave: no SIZE, no MDTM.
fn retr_known(path: &str, body: &[u8]) -> Vec<Step> {
    vec![
        e("TYPE I"),
        s("200 Switching to Binary mode."),
        e("EPSV"),
        Epsv,
        e(&format!("RETR {path}")),
        s("150 Opening BINARY mode data connection."),
        DataSend(body.to_vec()),
        s("226 Transfer complete."),
    ]
}

/// An upload's STOR with the data read to the end.
fn stor(path: &str) -> Vec<Step> {
    vec![
        e("TYPE I"),
        s("200 ok"),
        e("EPSV"),
        Epsv,
        e(&format!("STOR {path}")),
        s("150 Ok to send data."),
        DataRecv,
        s("226 Transfer complete."),
    ]
}

/// 2024-01-01T00:00:00Z, the time every scripted listing gives.
fn jan_2024() -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_704_067_200)
}

fn mtime(path: &std::path::Path) -> std::time::SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_slice(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout_str()))
}

/// `(path, status, message-or-action)` of every record.
fn records(v: &serde_json::Value) -> Vec<(String, String, String)> {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let why = f["action"]
                .as_str()
                .or(f["error"]["message"].as_str())
                .unwrap_or("")
                .to_string();
            (
                f["path"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
                why,
            )
        })
        .collect()
}

const TREE: &[&str] = &[
    "type=file;size=3;modify=20240101000000; changed",
    "type=file;size=3;modify=20240101000000; new",
    "type=file;size=3;modify=20240101000000; same",
];

#[test]
fn get_mirror_skips_unchanged_catches_a_same_size_change_and_deletes_what_vanished() {
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing("MLSD t", TREE),
        retr_known("t/changed", b"NEW"),
        same_type(retr_known("t/new", b"new")),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("out/t");
    write_at(&root.join("same"), b"old", jan_2024());
    // Same size, another time: only the time tells the change.
    write_at(
        &root.join("changed"),
        b"old",
        jan_2024() - std::time::Duration::from_secs(60),
    );
    write_at(&root.join("gone"), b"x", jan_2024());
    write_at(&root.join("olddir/x"), b"x", jan_2024());
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--delete", "--json", "-O", "out", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(
        records(&json(&r)),
        [
            ("out/t/changed", "ok", ""),
            ("out/t/new", "ok", ""),
            ("out/t/same", "skipped", "unchanged (same size and time)"),
            ("out/t/olddir/x", "ok", "deleted"),
            ("out/t/olddir", "ok", "deleted"),
            ("out/t/gone", "ok", "deleted"),
        ]
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
    assert_eq!(names_in(&root), ["changed", "new", "same"]);
    assert_eq!(std::fs::read(root.join("changed")).unwrap(), b"NEW");
    assert_eq!(std::fs::read(root.join("same")).unwrap(), b"old");
    for f in ["changed", "new", "same"] {
        assert_eq!(mtime(&root.join(f)), jan_2024(), "{f}");
    }
    srv.finish();
}

#[test]
fn get_mirror_over_list_asks_mdtm_once_for_same_size_files() {
    let srv = Server::start(script(vec![
        anon_login(),
        listing(
            "LIST -a t",
            &[
                "-rw-r--r--    1 0        0               3 Jan 01  2024 f",
                "-rw-r--r--    1 0        0               3 Jan 01  2024 g",
            ],
        ),
        vec![
            e("MDTM t/f"),
            s("213 20240202000000"),
            e("MDTM t/g"),
            s("213 20240101000000"),
        ],
        retr_known("t/f", b"FFF"),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    write_at(&dir.path().join("t/f"), b"fff", jan_2024());
    write_at(&dir.path().join("t/g"), b"ggg", jan_2024());
    let r = run_in(dir.path(), "ftp-get", &["-R", &srv.url("t/")], &[]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("t/f")).unwrap(), b"FFF");
    assert_eq!(std::fs::read(dir.path().join("t/g")).unwrap(), b"ggg");
    srv.finish();
}

/// A garbled MDTM reply for one file fails that file alone (exit 10, the others mirrored), and a run
/// with a failure deletes nothing.
#[test]
fn get_mirror_fails_only_the_file_whose_mdtm_reply_is_garbled() {
    let srv = Server::start(script(vec![
        anon_login(),
        listing(
            "LIST -a t",
            &[
                "-rw-r--r--    1 0        0               3 Jan 01  2024 f",
                "-rw-r--r--    1 0        0               3 Jan 01  2024 g",
            ],
        ),
        vec![
            e("MDTM t/f"),
            s("213 99999999999999999999"),
            e("MDTM t/g"),
            s("213 20240202000000"),
        ],
        retr_known("t/g", b"GGG"),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    write_at(&dir.path().join("t/f"), b"fff", jan_2024());
    write_at(&dir.path().join("t/g"), b"ggg", jan_2024());
    write_at(&dir.path().join("t/gone"), b"x", jan_2024());
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--delete", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 10);
    assert!(r.stderr.contains("MDTM: malformed time"), "{}", r.stderr);
    assert_eq!(std::fs::read(dir.path().join("t/f")).unwrap(), b"fff");
    assert_eq!(std::fs::read(dir.path().join("t/g")).unwrap(), b"GGG");
    assert!(dir.path().join("t/gone").exists());
    srv.finish();
}

#[test]
fn put_mirror_sets_remote_times_with_mfmt_and_deletes_remote_leftovers() {
    let srv = Server::start_sessions(vec![
        script(vec![
            login(MFMT_FEAT),
            listing(
                "MLSD up/tree",
                &[
                    "type=file;size=1;modify=20240101000000; a",
                    "type=file;size=2;modify=20231201000000;UNIX.mode=0644; b",
                    "type=file;size=9;modify=20240101000000; old",
                ],
            ),
            stor("up/tree/b"),
            vec![
                e("MFMT 20240101000000 up/tree/b"),
                s("213 Modify=20240101000000; up/tree/b"),
            ],
            same_type(stor("up/tree/c")),
            vec![
                e("MFMT 20240101000000 up/tree/c"),
                s("213 Modify=20240101000000; up/tree/c"),
                // New: its mode is the server's until set (b's, listed as the local one, stays).
                e("SITE CHMOD 644 up/tree/c"),
                s("200 SITE CHMOD command ok."),
            ],
            quit(),
        ]),
        script(vec![
            login(MFMT_FEAT),
            vec![e("DELE up/tree/old"), s("250 Delete operation successful.")],
            quit(),
        ]),
    ]);
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [("a", &b"A"[..]), ("b", b"BB"), ("c", b"CCC")] {
        write_at(&dir.path().join("tree").join(name), body, jan_2024());
        chmod(&dir.path().join("tree").join(name), 0o644);
    }
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["-R", "--delete", "--json", "tree", &srv.url("up/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(
        records(&json(&r)),
        [
            ("tree/a", "skipped", "unchanged (same size and time)"),
            ("tree/b", "ok", ""),
            ("tree/c", "ok", ""),
            ("tree/old", "ok", "deleted"),
        ]
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
    assert_eq!(srv.data_received(), b"BBCCC");
    srv.finish();
}

#[test]
fn put_delete_keeps_and_reports_a_remote_directory_part_of_which_could_not_be_listed() {
    // `old/` is not in the source; `old/closed` cannot be listed. `old/x` goes; `old` stays, with one
    // failure saying why (it was kept without a word, exit 0, the target not in sync).
    let srv = Server::start_sessions(vec![
        script(vec![
            login(MFMT_FEAT),
            listing(
                "MLSD up/tree",
                &[
                    "type=file;size=1;modify=20240101000000; a",
                    "type=dir;modify=20240101000000; old",
                ],
            ),
            listing(
                "MLSD up/tree/old",
                &[
                    "type=dir;modify=20240101000000; closed",
                    "type=file;size=1;modify=20240101000000; x",
                ],
            ),
            vec![
                e("EPSV"),
                Epsv,
                e("MLSD up/tree/old/closed"),
                s("550 up/tree/old/closed: Permission denied"),
            ],
            quit(),
        ]),
        script(vec![
            login(MFMT_FEAT),
            vec![
                e("DELE up/tree/old/x"),
                s("250 Delete operation successful."),
            ],
            quit(),
        ]),
    ]);
    let dir = tempfile::tempdir().unwrap();
    write_at(&dir.path().join("tree/a"), b"A", jan_2024());
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["-R", "--delete", "--json", "tree", &srv.url("up/")],
        &[],
    );
    assert_code(&r, 10);
    let why = "not deleting old: old/closed: MLSD up/tree/old/closed: 550 up/tree/old/closed: \
               Permission denied";
    assert_eq!(
        records(&json(&r)),
        [
            ("tree/a", "skipped", "unchanged (same size and time)"),
            ("tree/old", "failed", why),
            ("tree/old/x", "ok", "deleted"),
        ]
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
    srv.finish();
}

#[test]
fn put_mirror_without_time_setting_says_so_once_and_compares_by_age() {
    let srv = Server::start(script(vec![
        anon_login(),
        listing(
            "LIST -a up/tree",
            &[
                "-rw-r--r--    1 0        0               1 Jan 01  2024 a",
                "-rw-r--r--    1 0        0               2 Jan 01  2024 b",
            ],
        ),
        // a was uploaded after its last change; b changed since its upload.
        vec![
            e("MDTM up/tree/a"),
            s("213 20240102000000"),
            e("MDTM up/tree/b"),
            s("213 20231231000000"),
        ],
        stor("up/tree/b"),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    write_at(&dir.path().join("tree/a"), b"A", jan_2024());
    write_at(&dir.path().join("tree/b"), b"bb", jan_2024());
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["-v", "-R", "tree", &srv.url("up/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(
        r.stderr.matches("cannot set modification times").count(),
        1,
        "{}",
        r.stderr
    );
    assert_eq!(srv.data_received(), b"bb");
    srv.finish();
}

#[test]
fn put_mirror_without_time_setting_asks_mdtm_only_where_the_listed_date_cannot_settle_it() {
    // Both local files date from 2024-01-01 00:00 UTC. a is listed two days later: even read as the
    // earliest time that listing can mean (a day's rounding, the widest timezone), it is not older, so
    // it is unchanged without MDTM. b is listed on the same day: only MDTM can say (it is older).
    let srv = Server::start(script(vec![
        anon_login(),
        listing(
            "LIST -a up/tree",
            &[
                "-rw-r--r--    1 0        0               1 Jan 03  2024 a",
                "-rw-r--r--    1 0        0               2 Jan 01  2024 b",
            ],
        ),
        vec![e("MDTM up/tree/b"), s("213 20231231000000")],
        stor("up/tree/b"),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    write_at(&dir.path().join("tree/a"), b"A", jan_2024());
    write_at(&dir.path().join("tree/b"), b"bb", jan_2024());
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["-R", "--json", "tree", &srv.url("up/")],
        &[],
    );
    assert_code(&r, 0);
    assert!(
        r.stdout_str().contains("same size, target not older"),
        "{}",
        r.stdout_str()
    );
    assert_eq!(srv.data_received(), b"bb");
    srv.finish();
}

/// A garbled MDTM reply for one remote file fails that file alone (exit 10); the others are mirrored.
#[test]
fn put_mirror_fails_only_the_file_whose_mdtm_reply_is_garbled() {
    let srv = Server::start(script(vec![
        anon_login(),
        listing(
            "LIST -a up/tree",
            &[
                "-rw-r--r--    1 0        0               1 Jan 01  2024 a",
                "-rw-r--r--    1 0        0               2 Jan 01  2024 b",
            ],
        ),
        vec![
            e("MDTM up/tree/a"),
            s("213 not a time"),
            e("MDTM up/tree/b"),
            s("213 20231231000000"),
        ],
        stor("up/tree/b"),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    write_at(&dir.path().join("tree/a"), b"A", jan_2024());
    write_at(&dir.path().join("tree/b"), b"bb", jan_2024());
    let r = run_in(dir.path(), "ftp-put", &["-R", "tree", &srv.url("up/")], &[]);
    assert_code(&r, 10);
    assert!(
        r.stderr.contains("up/tree/a: MDTM: malformed time"),
        "{}",
        r.stderr
    );
    assert_eq!(srv.data_received(), b"bb");
    srv.finish();
}

#[test]
fn put_resume_never_appends_onto_a_remote_part_older_than_the_local_file() {
    // Regression (issue 14): the remote had "file 1\n" from an earlier upload; the local file changed
    // since. -c used to APPE the tail, leaving "file 1\nNO CHANGED" on the server.
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("213 7"),
            e("MDTM f"),
            s("213 20200101000000"),
        ],
        vec![
            e("EPSV"),
            Epsv,
            e("STOR f"),
            s("150 Ok to send data."),
            DataRecv,
            s("226 Transfer complete."),
        ],
        vec![e("SIZE f"), s("213 16")],
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), b"file 2\nO CHANGED").unwrap();
    let r = run_in(dir.path(), "ftp-put", &["-c", "f", &srv.url("")], &[]);
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), b"file 2\nO CHANGED");
    srv.finish();
}

#[test]
fn put_resume_compares_the_servers_md5_of_the_remote_part() {
    // md5("file 1\n") is not md5("file 2\n"): the whole file goes again.
    let srv = Server::start(script(vec![
        login(&["EPSV", "HASH SHA-256*;MD5", "MDTM", "SIZE"]),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("213 7"),
            e("OPTS HASH MD5"),
            s("200 MD5"),
            e("HASH f"),
            s("213 MD5 0-6 a9d5ae1bb0a6bb4f4d4dbb2f3ea2bd2d f"),
        ],
        stor("f")[2..].to_vec(),
        vec![e("SIZE f"), s("213 16")],
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), b"file 2\nO CHANGED").unwrap();
    let r = run_in(dir.path(), "ftp-put", &["-c", "f", &srv.url("")], &[]);
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), b"file 2\nO CHANGED");
    srv.finish();
}

#[test]
fn put_resume_reads_a_multi_line_hash_reply_as_proftpd_sends_it() {
    // ProFTPD: `213-Computing MD5 digest`, then the digest on the last line. md5("file 2\n") matches the
    // local file's first 7 bytes: the rest is appended.
    let srv = Server::start(script(vec![
        login(&[
            "EPSV",
            "HASH CRC32;MD5;SHA-1*;SHA-256;SHA-512;",
            "MDTM",
            "SIZE",
        ]),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("213 7"),
            e("OPTS HASH MD5"),
            s("200 MD5"),
            e("HASH f"),
            s("213-Computing MD5 digest"),
            s("213 MD5 0-7 4349cfeff8e2eb74dffc369bb5fd084e f"),
            e("EPSV"),
            Epsv,
            e("APPE f"),
            s("150 Ok to send data."),
            DataRecv,
            s("226 Transfer complete."),
            e("SIZE f"),
            s("213 16"),
        ],
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), b"file 2\nO CHANGED").unwrap();
    let r = run_in(dir.path(), "ftp-put", &["-c", "f", &srv.url("")], &[]);
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), b"O CHANGED");
    srv.finish();
}

/// `ftp-get -c f` of a 10-byte file over a 4-byte local partial copy, up to the server's digest of the
/// remote file's first 4 bytes (`XMD5 f 0 4`, ProFTPD's multi-line answer) being `md5`.
fn get_resume_asking_xmd5(md5: &str) -> Vec<Step> {
    script(vec![
        login(&["EPSV", "MDTM", "REST STREAM", "SIZE", "XMD5"]),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("213 10"),
            // The partial copy is older than the remote file: the time rule alone would start over.
            e("MDTM f"),
            s("213 20990101000000"),
            e("XMD5 f 0 4"),
            s("250-Computing MD5 digest"),
            s(&format!("250 {md5}")),
            e("EPSV"),
            Epsv,
        ],
    ])
}

#[test]
fn get_resume_continues_a_partial_copy_whose_bytes_the_servers_xmd5_confirms() {
    let mut steps = get_resume_asking_xmd5("EB62F6B9306DB575C2D596B1279627A4"); // md5("0123")
    steps.extend(vec![
        e("REST 4"),
        s("350 Restart position accepted (4)."),
        e("RETR f"),
        s("150 ok"),
        DataSend(b"456789".to_vec()),
        s("226 ok"),
    ]);
    steps.extend(quit());
    let srv = Server::start(steps);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), b"0123").unwrap();
    let r = run_in(dir.path(), "ftp-get", &["-c", &srv.url("f")], &[]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"0123456789");
    srv.finish();
}

#[test]
fn get_resume_starts_over_when_the_servers_xmd5_of_the_start_differs() {
    // The local "0XY3" is no copy of the remote start "0123": the whole file comes again.
    let mut steps = get_resume_asking_xmd5("eb62f6b9306db575c2d596b1279627a4");
    steps.extend(vec![
        e("RETR f"),
        s("150 ok"),
        DataSend(b"0123456789".to_vec()),
        s("226 ok"),
    ]);
    steps.extend(quit());
    let srv = Server::start(steps);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), b"0XY3").unwrap();
    let r = run_in(dir.path(), "ftp-get", &["-v", "-c", &srv.url("f")], &[]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"0123456789");
    assert!(
        r.stderr
            .contains("not resuming f: the local copy differs from the remote file"),
        "{}",
        r.stderr
    );
    srv.finish();
}

#[test]
fn get_resume_falls_back_to_the_time_rule_when_xmd5_refuses_a_range() {
    // A server with XMD5 of whole files only: the range is refused (501), so the times decide, and a
    // partial copy older than the remote file is not continued.
    let steps = script(vec![
        login(&["EPSV", "MDTM", "REST STREAM", "SIZE", "XMD5"]),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("213 10"),
            e("MDTM f"),
            s("213 20990101000000"),
            e("XMD5 f 0 4"),
            s("501 Invalid number of parameters"),
            e("EPSV"),
            Epsv,
            e("RETR f"),
            s("150 ok"),
            DataSend(b"0123456789".to_vec()),
            s("226 ok"),
        ],
        quit(),
    ]);
    let srv = Server::start(steps);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), b"0123").unwrap();
    let r = run_in(dir.path(), "ftp-get", &["-v", "-c", &srv.url("f")], &[]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"0123456789");
    assert!(
        r.stderr.contains("not resuming f: the remote file changed"),
        "{}",
        r.stderr
    );
    srv.finish();
}

/// `ftp-get -c` of a file the local copy is as long as: kept when it was written after the remote file
/// last changed, downloaded whole when the remote file changed since (a same-size change, which
/// the length alone would take for a finished download, and a mirror would then mark current).
#[test]
fn get_resume_of_a_same_size_copy_keeps_it_only_when_written_after_the_remote_change() {
    let steps = script(vec![
        login(&["EPSV", "MDTM", "REST STREAM", "SIZE"]),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE new"),
            s("213 4"),
            e("MDTM new"),
            s("213 20990101000000"),
            e("EPSV"),
            Epsv,
            e("RETR new"),
            s("150 ok"),
            DataSend(b"NEW!".to_vec()),
            s("226 ok"),
            e("SIZE old"),
            s("213 4"),
            e("MDTM old"),
            s("213 20000101000000"),
        ],
        quit(),
    ]);
    let srv = Server::start(steps);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("new"), b"OLD!").unwrap();
    std::fs::write(dir.path().join("old"), b"KEEP").unwrap();
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-v", "-c", &srv.url("new"), &srv.url("old")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("new")).unwrap(), b"NEW!");
    assert_eq!(std::fs::read(dir.path().join("old")).unwrap(), b"KEEP");
    assert!(
        r.stderr
            .contains("not resuming new: the remote file changed"),
        "{}",
        r.stderr
    );
    srv.finish();
}

#[test]
fn delete_refuses_after_a_failed_listing_an_empty_source_or_too_many() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("t");
    for f in ["a", "x", "y", "z"] {
        write_at(&root.join(f), b"a", jan_2024());
    }
    // A subdirectory's listing fails: nothing is deleted.
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing(
            "MLSD t",
            &[
                "type=file;size=1;modify=20240101000000; a",
                "type=dir;modify=20240101000000; sub",
            ],
        ),
        vec![
            e("EPSV"),
            Epsv,
            e("MLSD t/sub"),
            s("550 Permission denied."),
        ],
        quit(),
    ]));
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--delete", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 10);
    assert!(
        r.stderr
            .contains("not deleting anything: part of the source could not be listed"),
        "{}",
        r.stderr
    );
    assert_eq!(names_in(&root), ["a", "sub", "x", "y", "z"]);
    srv.finish();
    // The source is empty while the target is not.
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing("MLSD t", &[]),
        vec![
            e("MLST t"),
            s("250-Listing t"),
            s(" type=dir; t"),
            s("250 End"),
        ],
        quit(),
    ]));
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--delete", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 10);
    assert!(
        r.stderr
            .contains("not deleting anything: the source is empty and the target is not"),
        "{}",
        r.stderr
    );
    assert_eq!(names_in(&root), ["a", "sub", "x", "y", "z"]);
    srv.finish();
    // More than --max-delete.
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing("MLSD t", &["type=file;size=1;modify=20240101000000; a"]),
        quit(),
    ]));
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--delete", "--max-delete", "3", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 10);
    assert!(
        r.stderr
            .contains("4 entries would be deleted, more than --max-delete 3"),
        "{}",
        r.stderr
    );
    assert_eq!(names_in(&root), ["a", "sub", "x", "y", "z"]);
    srv.finish();
}

#[test]
fn filters_first_match_wins_excluded_directories_are_not_listed() {
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing(
            "MLSD t",
            &[
                "type=file;size=1;modify=20240101000000; .hidden",
                "type=file;size=1;modify=20240101000000; a.log",
                "type=file;size=5;modify=20240101000000; big",
                "type=dir;modify=20240101000000; cache",
                "type=file;size=1;modify=20240101000000; keep.log",
            ],
        ),
        retr_known("t/keep.log", b"k"),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        dir.path(),
        "ftp-get",
        &[
            "-R",
            "--json",
            "--include",
            "keep.log",
            "--exclude",
            "*.log",
            "--exclude",
            "cache/",
            "--no-dotfiles",
            "--max-size",
            "1",
            &srv.url("t/"),
        ],
        &[],
    );
    assert_code(&r, 0);
    let got = records(&json(&r));
    assert_eq!(
        got,
        [
            ("./t/.hidden", "skipped", "dotfile (--no-dotfiles)"),
            ("./t/a.log", "skipped", "excluded by --exclude *.log"),
            ("./t/big", "skipped", "larger than --max-size 1"),
            ("./t/cache", "skipped", "excluded by --exclude cache/"),
            ("./t/keep.log", "ok", ""),
        ]
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
    srv.finish();
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let steps = script(vec![login(MLSD_FEAT), listing("MLSD t", TREE), quit()]);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("t");
    write_at(&root.join("same"), b"old", jan_2024());
    write_at(
        &root.join("changed"),
        b"old",
        jan_2024() - std::time::Duration::from_secs(1),
    );
    write_at(&root.join("gone"), b"x", jan_2024());
    let srv = Server::start(steps.clone());
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--delete", "--dry-run", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(
        r.stdout_str(),
        "transfer changed (modification time differs)\n\
         transfer new (new)\n\
         skip     same (unchanged (same size and time))\n\
         delete   gone (not in the source)\n"
    );
    assert_eq!(names_in(&root), ["changed", "gone", "same"]);
    assert_eq!(std::fs::read(root.join("changed")).unwrap(), b"old");
    srv.finish();
    let srv = Server::start(steps);
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--delete", "--dry-run", "--json", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 0);
    let v = json(&r);
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["plan"][3]["action"], "delete");
    assert_eq!(v["plan"][3]["path"], "gone");
    assert_eq!(v["plan"][3]["reason"], "not in the source");
    assert_eq!(names_in(&root), ["changed", "gone", "same"]);
    srv.finish();
}

const MODES: &[&str] = &[
    "type=file;size=3;modify=20240101000000;UNIX.mode=0000; none",
    "type=file;size=3;modify=20240101000000;UNIX.mode=0751; run",
    "type=file;size=3;modify=20240101000000;UNIX.mode=0600; same",
    "type=file;size=3;modify=20240101000000;UNIX.mode=04755; suid",
    "type=file;size=3;modify=20240101000000; unknown",
];

/// Directories get their listed mode less the umask, always with all rights for their owner: a new one
/// as it is made, an existing one whose mode differs alone (planned as `chmod`).
#[test]
fn get_mirror_gives_directories_the_listed_mode_with_owner_rights() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("t");
    std::fs::create_dir_all(root.join("old")).unwrap();
    chmod(&root.join("old"), 0o755);
    let lines = [
        "type=dir;modify=20240101000000;UNIX.mode=0700; old",
        "type=dir;modify=20240101000000;UNIX.mode=0550; ro",
    ];
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing("MLSD t", &lines),
        listing("MLSD t/old", &[]),
        listing("MLSD t/ro", &[]),
        quit(),
    ]));
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--dry-run", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(
        r.stdout_str(),
        "chmod    old (mode 755 becomes 700)\nmkdir    ro (new directory)\n"
    );
    assert_eq!(mode_of(&root.join("old")), 0o755);
    srv.finish();
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing("MLSD t", &lines),
        listing("MLSD t/old", &[]),
        listing("MLSD t/ro", &[]),
        quit(),
    ]));
    let r = run_in(dir.path(), "ftp-get", &["-R", &srv.url("t/")], &[]);
    assert_code(&r, 0);
    assert_eq!(mode_of(&root.join("old")), 0o700);
    assert_eq!(mode_of(&root.join("ro")), 0o750 & !umask());
    srv.finish();
}

/// An unchanged file whose mode cannot be set (here: immutable) is still in sync: one warning for the
/// run, exit 0.
#[test]
fn get_mirror_warns_once_when_a_mode_cannot_be_set_and_stays_in_sync() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("t");
    for name in ["a", "b"] {
        write_at(&root.join(name), b"old", jan_2024());
        chmod(&root.join(name), 0o644);
    }
    let immutable = |on: bool| {
        std::process::Command::new("chattr")
            .arg(if on { "+i" } else { "-i" })
            .arg(root.join("a"))
            .arg(root.join("b"))
            .status()
            .is_ok_and(|s| s.success())
    };
    if !immutable(true) {
        eprintln!(
            "skipped: chattr +i does not work here (needs root and a file system with attributes)"
        );
        return;
    }
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing(
            "MLSD t",
            &[
                "type=file;size=3;modify=20240101000000;UNIX.mode=0600; a",
                "type=file;size=3;modify=20240101000000;UNIX.mode=0600; b",
            ],
        ),
        quit(),
    ]));
    let r = run_in(dir.path(), "ftp-get", &["-R", &srv.url("t/")], &[]);
    immutable(false);
    assert_code(&r, 0);
    assert_eq!(
        r.stderr.matches("cannot set the mode of").count(),
        1,
        "{}",
        r.stderr
    );
    assert_eq!(mode_of(&root.join("a")), 0o644);
    srv.finish();
}

/// A mirror gives each download the listed mode less the umask (never set-id, always readable by its
/// owner), and an unchanged file only its mode; `--no-perms` and `--dry-run` change no mode.
#[test]
fn get_mirror_gives_files_the_listed_mode_and_an_unchanged_file_only_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("t");
    write_at(&root.join("same"), b"old", jan_2024());
    chmod(&root.join("same"), 0o644);
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing("MLSD t", MODES),
        quit(),
    ]));
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--dry-run", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 0);
    assert!(
        r.stdout_str()
            .contains("chmod    same (unchanged (same size and time); mode 644 becomes 600)\n"),
        "{}",
        r.stdout_str()
    );
    assert_eq!(mode_of(&root.join("same")), 0o644);
    srv.finish();
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing("MLSD t", MODES),
        retr_known("t/none", b"nnn"),
        same_type(retr_known("t/run", b"rrr")),
        same_type(retr_known("t/suid", b"sss")),
        same_type(retr_known("t/unknown", b"uuu")),
        quit(),
    ]));
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--json", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 0);
    let u = umask();
    assert_eq!(mode_of(&root.join("none")), 0o400);
    assert_eq!(mode_of(&root.join("run")), 0o751 & !u | 0o400);
    assert_eq!(mode_of(&root.join("suid")), 0o755 & !u | 0o400);
    assert_eq!(mode_of(&root.join("unknown")), 0o666 & !u);
    assert_eq!(mode_of(&root.join("same")), 0o600);
    assert_eq!(std::fs::read(root.join("same")).unwrap(), b"old");
    assert!(
        records(&json(&r)).contains(&(
            "./t/same".into(),
            "skipped".into(),
            "unchanged (same size and time); mode set to 600".into()
        )),
        "{}",
        r.stdout_str()
    );
    srv.finish();
    // --no-perms: the unchanged file keeps the mode it has.
    chmod(&root.join("same"), 0o644);
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing("MLSD t", MODES),
        quit(),
    ]));
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--no-perms", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(mode_of(&root.join("same")), 0o644);
    srv.finish();
}

/// A put mirror gives each uploaded file its local mode (SITE CHMOD after the upload) unless the
/// listing shows the remote file has it, and an unchanged file whose listed mode differs only its mode.
#[test]
fn put_mirror_sets_local_modes_with_site_chmod_where_the_listing_shows_another() {
    let feat = [
        "EPSV",
        "MDTM",
        "MFMT",
        "MLST type*;size*;modify*;UNIX.mode;",
        "SIZE",
    ];
    let srv = Server::start(script(vec![
        login(&feat),
        // UNIX.mode is offered off: asked for.
        vec![
            e("OPTS MLST type;size;modify;unix.mode;"),
            s("200 MLST OPTS type;size;modify;UNIX.mode;"),
        ],
        listing(
            "MLSD up/tree",
            &[
                "type=file;size=9;modify=20240101000000;UNIX.mode=0644; chg",
                "type=file;size=1;modify=20240101000000;UNIX.mode=0600; kept",
                "type=file;size=1;modify=20240101000000;UNIX.mode=0644; same",
            ],
        ),
        vec![
            e("SITE CHMOD 755 up/tree/same"),
            s("200 SITE CHMOD command ok."),
        ],
        stor("up/tree/chg"),
        vec![
            e("MFMT 20240101000000 up/tree/chg"),
            s("213 Modify=20240101000000; up/tree/chg"),
        ],
        same_type(stor("up/tree/new")),
        vec![
            e("MFMT 20240101000000 up/tree/new"),
            s("213 Modify=20240101000000; up/tree/new"),
            e("SITE CHMOD 640 up/tree/new"),
            s("200 SITE CHMOD command ok."),
        ],
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    for (name, body, mode) in [
        ("chg", &b"CC"[..], 0o644),
        ("kept", b"K", 0o600),
        ("new", b"N", 0o640),
        ("same", b"S", 0o755),
    ] {
        write_at(&dir.path().join("tree").join(name), body, jan_2024());
        chmod(&dir.path().join("tree").join(name), mode);
    }
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["-R", "--json", "tree", &srv.url("up/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(
        records(&json(&r)),
        [
            ("tree/chg", "ok", ""),
            ("tree/kept", "skipped", "unchanged (same size and time)"),
            ("tree/new", "ok", ""),
            (
                "tree/same",
                "skipped",
                "unchanged (same size and time); mode set to 755"
            ),
        ]
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
    srv.finish();
}

/// A server refusing SITE CHMOD is said once, asked once, and the uploads stand (exit 0).
#[test]
fn put_mirror_on_a_server_without_site_chmod_says_so_once() {
    let srv = Server::start(script(vec![
        login(MFMT_FEAT),
        listing(
            "MLSD up/tree",
            &["type=file;size=1;modify=20240101000000; x"],
        ),
        stor("up/tree/a"),
        vec![
            e("MFMT 20240101000000 up/tree/a"),
            s("213 Modify=20240101000000; up/tree/a"),
            e("SITE CHMOD 644 up/tree/a"),
            s("500 Unknown SITE command."),
        ],
        same_type(stor("up/tree/b")),
        vec![
            e("MFMT 20240101000000 up/tree/b"),
            s("213 Modify=20240101000000; up/tree/b"),
        ],
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b", "x"] {
        write_at(&dir.path().join("tree").join(name), b"1", jan_2024());
        chmod(&dir.path().join("tree").join(name), 0o644);
    }
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["-R", "-q", "tree", &srv.url("up/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(
        r.stderr,
        "ftp-put: the server refused SITE CHMOD (SITE CHMOD 644 up/tree/a: 500 Unknown SITE \
         command.): remote files keep the modes it gives them (--no-perms says not to try)\n"
    );
    srv.finish();
}

/// Once SITE CHMOD has worked, a refusal is that file's (ProFTPD cuts a trailing space off the name and
/// finds no such file): a warning for it, and the next file still gets its mode.
#[test]
fn put_mirror_after_a_site_chmod_that_worked_a_refusal_is_one_files() {
    let mut steps = vec![
        login(MFMT_FEAT),
        listing(
            "MLSD up/tree",
            &["type=file;size=1;modify=20240101000000; x"],
        ),
    ];
    for (name, reply) in [
        ("a", "200 SITE CHMOD command successful"),
        ("b ", "550 up/tree/b: No such file or directory"),
        ("c", "200 SITE CHMOD command successful"),
    ] {
        let path = format!("up/tree/{name}");
        let stored = stor(&path);
        steps.push(if name == "a" {
            stored
        } else {
            same_type(stored)
        });
        steps.push(vec![
            e(&format!("MFMT 20240101000000 {path}")),
            s(&format!("213 Modify=20240101000000; {path}")),
            e(&format!("SITE CHMOD 644 {path}")),
            s(reply),
        ]);
    }
    steps.push(quit());
    let srv = Server::start(script(steps));
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b ", "c", "x"] {
        write_at(&dir.path().join("tree").join(name), b"1", jan_2024());
        chmod(&dir.path().join("tree").join(name), 0o644);
    }
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["-R", "-q", "tree", &srv.url("up/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(
        r.stderr,
        "ftp-put: setting the mode of up/tree/b  failed: SITE CHMOD 644 up/tree/b : 550 up/tree/b: \
         No such file or directory\n"
    );
    srv.finish();
}

/// `--only-missing` fetches what the target lacks and leaves an existing file alone whatever its size
/// or time (no SIZE, no MDTM asked for it).
#[test]
fn get_mirror_only_missing_leaves_existing_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("t");
    write_at(&root.join("old"), b"local, longer", jan_2024());
    let lines = [
        "type=file;size=3;modify=20250101000000; old",
        "type=file;size=3;modify=20240101000000; new",
    ];
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing("MLSD t", &lines),
        retr_known("t/new", b"NEW"),
        quit(),
    ]));
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--only-missing", "--json", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 0);
    assert!(
        r.stdout_str().contains("exists (--only-missing)"),
        "{}",
        r.stdout_str()
    );
    assert_eq!(std::fs::read(root.join("old")).unwrap(), b"local, longer");
    assert_eq!(std::fs::read(root.join("new")).unwrap(), b"NEW");
    assert_eq!(mtime(&root.join("new")), jan_2024());
    srv.finish();
}

/// A mirror with `--atomic` gives the temporary file its mode before the rename: the target's name
/// never shows the server's default mode (which may be wider than a private file's).
#[test]
fn put_mirror_atomic_sets_the_mode_before_the_rename() {
    let srv = Server::start(script(vec![
        login(MFMT_FEAT),
        listing(
            "MLSD up/tree",
            &["type=file;size=1;modify=20240101000000; x"],
        ),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("EPSV"),
            Epsv,
            ExpectPrefix("STOR up/tree/.key.ferry-".into()),
            s("150 Ok to send data."),
            DataRecv,
            s("226 Transfer complete."),
            ExpectPrefix("SITE CHMOD 600 up/tree/.key.ferry-".into()),
            s("200 SITE CHMOD command ok."),
            ExpectPrefix("RNFR up/tree/.key.ferry-".into()),
            s("350 Ready for RNTO."),
            e("RNTO up/tree/key"),
            s("250 Rename successful."),
            e("MFMT 20240101000000 up/tree/key"),
            s("213 Modify=20240101000000; up/tree/key"),
        ],
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    for (name, mode) in [("key", 0o600), ("x", 0o644)] {
        write_at(&dir.path().join("tree").join(name), b"1", jan_2024());
        chmod(&dir.path().join("tree").join(name), mode);
    }
    // `x` is unchanged (same size and time; the listing shows no mode): nothing sent for it.
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["-R", "--atomic", "tree", &srv.url("up/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(r.stderr, "");
    srv.finish();
}

/// `--prune-empty-dirs` makes a directory only when a file goes into it: with the classic filter
/// (every directory, PDFs only) the directories without a PDF are not made.
#[test]
fn get_mirror_prunes_empty_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let script_for = |fetch: bool| {
        let mut v = vec![
            login(MLSD_FEAT),
            listing(
                "MLSD t",
                &[
                    "type=dir;modify=20240101000000; a",
                    "type=dir;modify=20240101000000; b",
                    "type=dir;modify=20240101000000; c",
                    "type=dir;modify=20240101000000; e",
                ],
            ),
            listing(
                "MLSD t/a",
                &["type=file;size=1;modify=20240101000000; x.pdf"],
            ),
            listing(
                "MLSD t/b",
                &["type=file;size=1;modify=20240101000000; y.txt"],
            ),
            listing("MLSD t/c", &["type=dir;modify=20240101000000; d"]),
            listing(
                "MLSD t/c/d",
                &["type=file;size=1;modify=20240101000000; z.pdf"],
            ),
            listing("MLSD t/e", &[]),
        ];
        if fetch {
            v.push(retr_known("t/a/x.pdf", b"X"));
            v.push(same_type(retr_known("t/c/d/z.pdf", b"Z")));
        }
        v.push(quit());
        script(v)
    };
    let args = |dry: bool| {
        let mut a = vec![
            "-R",
            "--prune-empty-dirs",
            "--include",
            "*/",
            "--include",
            "*.pdf",
            "--exclude",
            "*",
        ];
        if dry {
            a.push("--dry-run");
        }
        a
    };
    let srv = Server::start(script_for(false));
    let mut a = args(true);
    let url = srv.url("t/");
    a.push(&url);
    let r = run_in(dir.path(), "ftp-get", &a, &[]);
    assert_code(&r, 0);
    assert_eq!(
        r.stdout_str(),
        "mkdir    a (new directory)\ntransfer a/x.pdf (new)\n\
         skip     b/y.txt (excluded by --exclude *)\nmkdir    c (new directory)\n\
         mkdir    c/d (new directory)\ntransfer c/d/z.pdf (new)\n"
    );
    srv.finish();
    let srv = Server::start(script_for(true));
    let mut a = args(false);
    let url = srv.url("t/");
    a.push(&url);
    let r = run_in(dir.path(), "ftp-get", &a, &[]);
    assert_code(&r, 0);
    let root = dir.path().join("t");
    assert_eq!(names_in(&root), ["a", "c"]);
    assert_eq!(std::fs::read(root.join("c/d/z.pdf")).unwrap(), b"Z");
    srv.finish();
}

/// `--prune-empty-dirs` on upload: MKD only for directories a file goes into.
#[test]
fn put_mirror_prunes_empty_dirs() {
    let mfmt = |path: &str| {
        vec![
            e(&format!("MFMT 20240101000000 {path}")),
            s(&format!("213 Modify=20240101000000; {path}")),
        ]
    };
    let srv = Server::start(script(vec![
        login(MFMT_FEAT),
        listing(
            "MLSD up/tree",
            &["type=file;size=1;modify=20240101000000; old"],
        ),
        vec![
            e("MKD up/tree/a"),
            s("257 created"),
            e("MKD up/tree/c"),
            s("257 created"),
            e("MKD up/tree/c/d"),
            s("257 created"),
        ],
        stor("up/tree/a/x.pdf"),
        mfmt("up/tree/a/x.pdf"),
        same_type(stor("up/tree/c/d/z.pdf")),
        mfmt("up/tree/c/d/z.pdf"),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    for f in ["a/x.pdf", "b/y.txt", "c/d/z.pdf"] {
        write_at(&tree.join(f), b"1", jan_2024());
    }
    std::fs::create_dir_all(tree.join("e")).unwrap();
    let r = run_in(
        dir.path(),
        "ftp-put",
        &[
            "-R",
            "--no-perms",
            "--no-empty-dirs",
            "--include",
            "*/",
            "--include",
            "*.pdf",
            "--exclude",
            "*",
            "tree",
            &srv.url("up/"),
        ],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(r.stderr, "");
    srv.finish();
}

/// `ftp-put -R --no-perms --parallel 4 tree URL` in `dir`.
fn put_tree_in_parallel(dir: &std::path::Path, url: &str) -> Run {
    run_in(
        dir,
        "ftp-put",
        &["-R", "--no-perms", "--parallel", "4", "tree", url],
        &[],
    )
}

/// `--parallel` on a tree with nothing to send logs in once: a mirror upload opens its spares only as
/// its uploads start, and only when they are worth a login (the costliest command a server answers; vsftpd's PAM check of a
/// yescrypt hash takes ~37 ms).
#[test]
fn put_mirror_in_sync_with_parallel_logs_in_once() {
    let srv = Server::start_sessions(vec![script(vec![
        login(MFMT_FEAT),
        listing(
            "MLSD up/tree",
            &["type=file;size=1;modify=20240101000000; x"],
        ),
        quit(),
    ])]);
    let dir = tempfile::tempdir().unwrap();
    write_at(&dir.path().join("tree/x"), b"1", jan_2024());
    let r = put_tree_in_parallel(dir.path(), &srv.url("up/"));
    assert_code(&r, 0);
    assert_eq!(r.stderr, "");
    srv.finish();
}

/// `--parallel 4` with two small files to send: the first upload takes far less than a login, so both
/// go on the first session (the server sees one connection), as one session would send them.
#[test]
fn put_mirror_with_parallel_sends_a_few_small_changes_on_the_first_session() {
    let srv = Server::start_sessions(vec![script(vec![
        login(MFMT_FEAT),
        listing(
            "MLSD up/tree",
            &[
                "type=file;size=1;modify=20240101000000; a",
                "type=file;size=2;modify=20231201000000; b",
            ],
        ),
        stor("up/tree/b"),
        vec![
            e("MFMT 20240101000000 up/tree/b"),
            s("213 Modify=20240101000000; up/tree/b"),
        ],
        same_type(stor("up/tree/c")),
        vec![
            e("MFMT 20240101000000 up/tree/c"),
            s("213 Modify=20240101000000; up/tree/c"),
        ],
        quit(),
    ])]);
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [("a", &b"A"[..]), ("b", b"BB"), ("c", b"CCC")] {
        write_at(&dir.path().join("tree").join(name), body, jan_2024());
    }
    let r = put_tree_in_parallel(dir.path(), &srv.url("up/"));
    assert_code(&r, 0);
    assert_eq!(r.stderr, "");
    srv.finish();
}

/// `--parallel 4` with a MiB to send in small files: the first spare logs in as the uploads start (the
/// first session holds its first file; the spare, up 300 ms late, sends the second).
#[test]
fn put_mirror_with_parallel_starts_a_spare_at_once_for_a_mib_of_small_files() {
    let held = |path: &str| {
        let mut steps = stor(path);
        steps.insert(
            steps.len() - 1,
            Sleep(std::time::Duration::from_millis(1500)),
        );
        steps
    };
    let mfmt = |path: &str| {
        vec![
            e(&format!("MFMT 20240101000000 {path}")),
            s(&format!("213 Modify=20240101000000; {path}")),
        ]
    };
    let srv = Server::start_sessions(vec![
        script(vec![
            login(MFMT_FEAT),
            listing(
                "MLSD up/tree",
                &["type=file;size=1;modify=20240101000000; keep"],
            ),
            held("up/tree/a"),
            mfmt("up/tree/a"),
            quit(),
        ]),
        late(script(vec![
            login(MFMT_FEAT),
            stor("up/tree/b"),
            mfmt("up/tree/b"),
            quit(),
        ])),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let half = vec![7u8; 600 << 10];
    for (name, body) in [("keep", &b"K"[..]), ("a", &half), ("b", &half)] {
        write_at(&dir.path().join("tree").join(name), body, jan_2024());
    }
    let r = put_tree_in_parallel(dir.path(), &srv.url("up/"));
    assert_code(&r, 0);
    assert_eq!(r.stderr, "");
    srv.finish();
}

const TURNED: &[&str] = &[
    "type=dir;modify=20240101000000; x",
    "type=file;size=3;modify=20240101000000; y",
];

/// A file that became a directory on the server is replaced by it; a directory that became a file is
/// replaced only with --delete (within --max-delete, counting what it holds), once the file is down.
#[test]
fn get_mirror_follows_a_file_turned_directory_and_with_delete_a_directory_turned_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("t");
    write_at(&root.join("x"), b"old", jan_2024());
    write_at(&root.join("y/z"), b"z", jan_2024());
    let x = || listing("MLSD t/x", &["type=file;size=1;modify=20240101000000; f"]);
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing("MLSD t", TURNED),
        x(),
        retr_known("t/x/f", b"f"),
        quit(),
    ]));
    let r = run_in(dir.path(), "ftp-get", &["-R", &srv.url("t/")], &[]);
    assert_code(&r, 10);
    assert!(
        r.stderr
            .contains("t/y is a directory where the server has a file (--delete replaces it)"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(root.join("x/f")).unwrap(), b"f");
    assert_eq!(names_in(&root.join("y")), ["z"]);
    srv.finish();
    // More than --max-delete would go (y and y/z): nothing is deleted, y fails as before.
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing("MLSD t", TURNED),
        x(),
        quit(),
    ]));
    let args = ["-R", "--delete", "--max-delete", "1", &srv.url("t/")];
    let r = run_in(dir.path(), "ftp-get", &args, &[]);
    assert_code(&r, 10);
    assert_eq!(names_in(&root.join("y")), ["z"]);
    srv.finish();
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing("MLSD t", TURNED),
        x(),
        quit(),
    ]));
    let args = ["-R", "--delete", "--dry-run", &srv.url("t/")];
    let r = run_in(dir.path(), "ftp-get", &args, &[]);
    assert_code(&r, 0);
    assert_eq!(
        r.stdout_str(),
        "skip     x/f (unchanged (same size and time))\n\
         transfer y (a file in place of a directory)\n\
         delete   y/z (in a directory a file replaces)\n"
    );
    srv.finish();
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing("MLSD t", TURNED),
        x(),
        retr_known("t/y", b"yyy"),
        quit(),
    ]));
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--delete", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(std::fs::read(root.join("y")).unwrap(), b"yyy");
    assert_eq!(names_in(&root), ["x", "y"]);
    srv.finish();
}

/// Uploads mirror type changes as downloads do: a remote file in the way of a directory is replaced
/// (DELE, MKD), a remote directory in the way of a file only with --delete (emptied, then RMD, just
/// before the upload).
#[test]
fn put_mirror_follows_a_file_turned_directory_and_with_delete_a_directory_turned_file() {
    let walk = || {
        let mut v = listing(
            "MLSD up/tree",
            &[
                "type=file;size=3;modify=20240101000000; x",
                "type=dir;modify=20240101000000; y",
            ],
        );
        v.extend(listing(
            "MLSD up/tree/y",
            &["type=file;size=1;modify=20240101000000; w"],
        ));
        v
    };
    let dir = tempfile::tempdir().unwrap();
    write_at(&dir.path().join("tree/x/n"), b"n", jan_2024());
    write_at(&dir.path().join("tree/y"), b"y", jan_2024());
    let made_x = vec![
        e("DELE up/tree/x"),
        s("250 Delete operation successful."),
        e("MKD up/tree/x"),
        s("257 created"),
    ];
    let stor_n = || {
        let mut v = stor("up/tree/x/n");
        v.extend([
            e("MFMT 20240101000000 up/tree/x/n"),
            s("213 Modify=20240101000000; up/tree/x/n"),
        ]);
        v
    };
    let srv = Server::start(script(vec![
        login(MFMT_FEAT),
        walk(),
        made_x.clone(),
        stor_n(),
        quit(),
    ]));
    let args = ["-R", "--no-perms", "tree", &srv.url("up/")];
    let r = run_in(dir.path(), "ftp-put", &args, &[]);
    assert_code(&r, 10);
    assert!(
        r.stderr.contains(
            "up/tree/y is a directory on the server where the local tree has a file (--delete \
             replaces it)"
        ),
        "{}",
        r.stderr
    );
    srv.finish();
    let srv = Server::start(script(vec![
        login(MFMT_FEAT),
        walk(),
        made_x,
        stor_n(),
        vec![
            e("DELE up/tree/y/w"),
            s("250 Delete operation successful."),
            e("RMD up/tree/y"),
            s("250 Remove directory operation successful."),
        ],
        same_type(stor("up/tree/y")),
        vec![
            e("MFMT 20240101000000 up/tree/y"),
            s("213 Modify=20240101000000; up/tree/y"),
        ],
        quit(),
    ]));
    let args = ["-R", "--delete", "--no-perms", "tree", &srv.url("up/")];
    let r = run_in(dir.path(), "ftp-put", &args, &[]);
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), b"ny");
    srv.finish();
}

/// A mirror holding its tree's lock removes the temporary files a killed run left (an hour untouched),
/// never a fresh one (a plain ftp-get may be writing it), and --delete does not count them.
#[test]
fn a_locked_mirror_removes_temporary_files_killed_runs_left() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("t");
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    write_at(&root.join("same"), b"old", jan_2024());
    write_at(&root.join(".same.Ab12Cd.ferry-tmp"), b"ol", old);
    write_at(&root.join("sub/.x.Zz99Yy.ferry-tmp"), b"x", old);
    // A name of that form the source has too: the mirror's copy of it, kept.
    write_at(&root.join(".src.Kk22Ll.ferry-tmp"), b"ss", jan_2024());
    write_at(
        &root.join(".new.Qq11Rr.ferry-tmp"),
        b"n",
        std::time::SystemTime::now(),
    );
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing(
            "MLSD t",
            &[
                "type=file;size=2;modify=20240101000000; .src.Kk22Ll.ferry-tmp",
                "type=file;size=3;modify=20240101000000; same",
                "type=dir;modify=20240101000000; sub",
            ],
        ),
        listing("MLSD t/sub", &[]),
        quit(),
    ]));
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "-v", "--delete", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 0);
    assert!(
        r.stderr
            .contains(".same.Ab12Cd.ferry-tmp, left by an interrupted run"),
        "{}",
        r.stderr
    );
    assert_eq!(
        names_in(&root),
        [
            ".new.Qq11Rr.ferry-tmp",
            ".src.Kk22Ll.ferry-tmp",
            "same",
            "sub"
        ]
    );
    assert!(names_in(&root.join("sub")).is_empty());
    srv.finish();
}

/// A FIFO, device or socket in a server's listing is skipped, never fetched (RETR of it fails or never
/// ends).
#[test]
fn get_mirror_skips_what_is_not_a_regular_file() {
    let srv = Server::start(script(vec![
        anon_login(),
        listing(
            "LIST -a t",
            &[
                "-rw-r--r--    1 0        0               3 Jan 01  2024 f",
                "prw-r--r--    1 0        0               0 Jan 01  2024 fifo",
                "crw-rw-rw-    1 0        0          1,   3 Jan 01  2024 null",
            ],
        ),
        vec![
            e("MDTM t/f"),
            s("213 20240101000000"),
            e("TYPE I"),
            s("200 Switching to Binary mode."),
            e("EPSV"),
            Epsv,
            e("RETR t/f"),
            s("150 Opening BINARY mode data connection."),
            DataSend(b"fff".to_vec()),
            s("226 Transfer complete."),
        ],
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--json", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 0);
    let got = records(&json(&r));
    assert!(
        got.contains(&(
            "./t/fifo".into(),
            "skipped".into(),
            "not a regular file".into()
        )),
        "{got:?}"
    );
    assert_eq!(names_in(&dir.path().join("t")), ["f"]);
    srv.finish();
}

/// A symlink on the server where the local tree has a file is deleted before the upload: STOR would
/// write through it into its target.
#[test]
fn put_mirror_replaces_a_remote_symlink_instead_of_writing_through_it() {
    let srv = Server::start(script(vec![
        login(MFMT_FEAT),
        listing(
            "MLSD up/tree",
            &["type=OS.unix=symlink;size=9;modify=20240101000000; f"],
        ),
        vec![e("DELE up/tree/f"), s("250 Delete operation successful.")],
        stor("up/tree/f"),
        vec![
            e("MFMT 20240101000000 up/tree/f"),
            s("213 Modify=20240101000000; up/tree/f"),
        ],
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    write_at(&dir.path().join("tree/f"), b"f", jan_2024());
    let srv_dry = Server::start(script(vec![
        login(MFMT_FEAT),
        listing(
            "MLSD up/tree",
            &["type=OS.unix=symlink;size=9;modify=20240101000000; f"],
        ),
        quit(),
    ]));
    let dry = ["-R", "--no-perms", "--dry-run", "tree", &srv_dry.url("up/")];
    let r = run_in(dir.path(), "ftp-put", &dry, &[]);
    assert_code(&r, 0);
    assert_eq!(
        r.stdout_str(),
        "transfer f (a file in place of a symlink)\n"
    );
    srv_dry.finish();
    let real = ["-R", "--no-perms", "tree", &srv.url("up/")];
    let r = run_in(dir.path(), "ftp-put", &real, &[]);
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), b"f");
    srv.finish();
}

/// A symlink on the server where the local tree has a directory is neither written through (its target
/// was never walked, so all under it would go up every run) nor replaced: that directory fails.
#[test]
fn put_mirror_never_uploads_through_a_remote_symlink_to_a_directory() {
    let srv = Server::start(script(vec![
        login(MFMT_FEAT),
        listing(
            "MLSD up/tree",
            &["type=OS.unix=symlink;size=4;modify=20240101000000; d"],
        ),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    write_at(&dir.path().join("tree/d/x"), b"x", jan_2024());
    let r = run_in(dir.path(), "ftp-put", &["-R", "tree", &srv.url("up/")], &[]);
    assert_code(&r, 10);
    assert!(
        r.stderr.contains(
            "up/tree/d is a symlink on the server (not followed) where the local tree has a directory"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(srv.data_received(), b"");
    srv.finish();
}

/// A server that lists a symlink back up the tree as a directory (MLSD `type=dir`) would have the
/// mirror walk it 64 levels deep, fetching the tree once per level: a directory whose `unique` fact is
/// its own or an ancestor's is taken for the symlink it is.
#[test]
fn get_mirror_does_not_walk_a_directory_loop_the_unique_fact_shows() {
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing(
            "MLSD t",
            &[
                "type=cdir;unique=T; .",
                "type=dir;modify=20240101000000;unique=A; a",
                "type=file;size=1;modify=20240101000000;unique=F; f",
            ],
        ),
        listing(
            "MLSD t/a",
            &[
                "type=cdir;unique=A; .",
                "type=dir;modify=20240101000000;unique=B; b",
                "type=dir;modify=20240101000000;unique=T; up",
            ],
        ),
        listing(
            "MLSD t/a/b",
            &["type=dir;modify=20240101000000;unique=A; back"],
        ),
        retr_known("t/f", b"f"),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--json", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 0);
    let got = records(&json(&r));
    for loop_dir in ["./t/a/up", "./t/a/b/back"] {
        assert!(
            got.contains(&(
                loop_dir.into(),
                "skipped".into(),
                "symlink (not followed)".into()
            )),
            "{got:?}"
        );
    }
    assert_eq!(names_in(&dir.path().join("t/a")), ["b"]);
    srv.finish();
}

#[test]
fn issue_13_defect_6_ftp_ls_of_a_missing_directory_is_exit_6() {
    let srv = Server::start(script(vec![
        anon_login(),
        listing("NLST nope", &[]),
        listing(
            "LIST",
            &["drwxr-xr-x    2 0        0            4096 Jan 01  2024 pub"],
        ),
        quit(),
    ]));
    let (r, _d) = run("ftp-ls", &[&srv.url("nope/")]);
    assert_code(&r, 6);
    assert!(
        r.stderr.contains("nope/: no such directory"),
        "{}",
        r.stderr
    );
    srv.finish();
}

#[test]
fn issue_13_defect_16_a_repeated_listing_entry_is_fetched_once() {
    let line = "-rw-r--r--    1 0        0               1 Jan 01  2024 a.txt";
    let lines = vec![line; 1000];
    let srv = Server::start(script(vec![
        anon_login(),
        listing("LIST d", &lines),
        retr("d/a.txt", b"A"),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-O", "out", &srv.url("d/*.txt")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(names_in(&dir.path().join("out")), ["a.txt"]);
    srv.finish();
    let srv = Server::start(script(vec![
        anon_login(),
        listing("LIST -a e", &lines),
        vec![
            e("MDTM e/a.txt"),
            s("213 20240101000000"),
            e("TYPE I"),
            s("200 ok"),
        ],
        retr_known("e/a.txt", b"A")[2..].to_vec(),
        quit(),
    ]));
    let r = run_in(dir.path(), "ftp-get", &["-R", &srv.url("e/")], &[]);
    assert_code(&r, 0);
    assert_eq!(names_in(&dir.path().join("e")), ["a.txt"]);
    srv.finish();
}

#[test]
fn output_dir_is_created_for_every_get_and_r_on_a_file_url_gets_the_file() {
    let srv = Server::start(script(vec![anon_login(), retr("f", b"F"), quit()]));
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-O", "new/dir", &srv.url("f")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("new/dir/f")).unwrap(), b"F");
    srv.finish();
    let srv = Server::start(script(vec![
        anon_login(),
        vec![e("SIZE pub/f"), s("213 1")],
        retr("pub/f", b"F")[..4].to_vec(),
        vec![e("MDTM pub/f"), s("213 20240101000000")],
        retr("pub/f", b"F")[4..].to_vec(),
        quit(),
    ]));
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "-O", "m", &srv.url("pub/f")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(names_in(&dir.path().join("m")), ["f"]);
    assert!(dir.path().join("m/f").is_file());
    srv.finish();
}

/// Two overlapping mirrors into one tree (a nightly run still going when the next starts): the second
/// waits for the first's lock on the tree (up to `--timeout`, at most 10 s), then fails with exit 7
/// having written nothing; when the lock comes free in time, it reads the tree again (what the first
/// run wrote meanwhile is not downloaded twice).
#[test]
fn a_second_mirror_into_a_locked_tree_waits_then_reads_the_tree_again_or_fails_with_exit_7() {
    const TWO: &[&str] = &[
        "type=file;size=3;modify=20240101000000; new",
        "type=file;size=3;modify=20240101000000; same",
    ];
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("out/t");
    std::fs::create_dir_all(&root).unwrap();
    let held = ferry::state::RunLock::tree(&root, std::time::Duration::ZERO)
        .unwrap()
        .unwrap();
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing("MLSD t", TWO),
        quit(),
    ]));
    let args = ["-R", "--timeout", "1", "-O", "out"];
    let started = std::time::Instant::now();
    let r = run_in(
        dir.path(),
        "ftp-get",
        &[&args[..], &[&srv.url("t/")]].concat(),
        &[],
    );
    assert_code(&r, 7);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert!(
        r.stderr.contains("another run holds the lock on out/t"),
        "{}",
        r.stderr
    );
    assert!(names_in(&root).is_empty());
    srv.finish();
    // The other run writes `same` while this one waits, then ends.
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing("MLSD t", TWO),
        retr_known("t/new", b"new"),
        quit(),
    ]));
    let other = {
        let root = root.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            write_at(&root.join("same"), b"old", jan_2024());
            drop(held);
        })
    };
    let args = ["-R", "--json", "--timeout", "5", "-O", "out"];
    let r = run_in(
        dir.path(),
        "ftp-get",
        &[&args[..], &[&srv.url("t/")]].concat(),
        &[],
    );
    other.join().unwrap();
    assert_code(&r, 0);
    assert_eq!(
        records(&json(&r)),
        [
            ("out/t/new", "ok", ""),
            ("out/t/same", "skipped", "unchanged (same size and time)"),
        ]
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
    srv.finish();
}

#[test]
fn parallel_mirror_planning_lists_the_tree_on_both_sessions_in_the_same_plan_order() {
    // Session 0 lists the root, then takes `t/a` and holds its listing until session 1 (opened while
    // it waits) has listed `t/b`: each session lists part of the tree, the plan is as with one.
    let dir_line = |name: &str| format!("type=dir;modify=20240101000000; {name}");
    let (a, b) = (dir_line("a"), dir_line("b"));
    let srv = Server::start_sessions(vec![
        script(vec![
            login(MLSD_FEAT),
            listing(
                "MLSD t",
                &[&b, &a, "type=file;size=3;modify=20240101000000; f"],
            ),
            vec![
                e("EPSV"),
                Epsv,
                e("MLSD t/a"),
                s("150 Here comes the directory listing."),
                Sleep(std::time::Duration::from_millis(1500)),
                DataSend(b"type=file;size=1;modify=20240101000000; x\r\n".to_vec()),
                s("226 Directory send OK."),
            ],
            quit(),
        ]),
        late(script(vec![
            login(MLSD_FEAT),
            listing("MLSD t/b", &["type=file;size=2;modify=20240101000000; y"]),
            quit(),
        ])),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        dir.path(),
        "ftp-get",
        &[
            "-R",
            "--parallel",
            "2",
            "--dry-run",
            "-O",
            "out",
            &srv.url("t/"),
        ],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(
        r.stdout_str(),
        "mkdir    a (new directory)\ntransfer a/x (new)\nmkdir    b (new directory)\n\
         transfer b/y (new)\ntransfer f (new)\n"
    );
    let seen = per_session(&srv.finish());
    let lists = |n: usize| -> Vec<String> {
        seen[n]
            .iter()
            .filter(|l| l.starts_with("MLSD"))
            .cloned()
            .collect()
    };
    assert_eq!(lists(0), ["MLSD t", "MLSD t/a"]);
    assert_eq!(lists(1), ["MLSD t/b"]);
    assert!(!dir.path().join("out").exists());
}

#[test]
fn parallel_mirror_of_a_small_tree_opens_one_spare_session_not_all() {
    // `--parallel 4` on a tree of two files: one spare logs in alongside the first session and takes
    // the second file while the first holds its transfer; logins beyond that are not worth their cost
    // (the server sees exactly two connections).
    let mut held = retr_known("t/x", b"1");
    held.insert(
        held.len() - 1,
        Sleep(std::time::Duration::from_millis(1500)),
    );
    let srv = Server::start_sessions(vec![
        script(vec![
            login(MLSD_FEAT),
            listing(
                "MLSD t",
                &[
                    "type=file;size=1;modify=20240101000000; x",
                    "type=file;size=2;modify=20240101000000; y",
                ],
            ),
            held,
            quit(),
        ]),
        late(script(vec![
            login(MLSD_FEAT),
            retr_known("t/y", b"22"),
            quit(),
        ])),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--parallel", "4", "-O", "out", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("out/t/x")).unwrap(), b"1");
    assert_eq!(std::fs::read(dir.path().join("out/t/y")).unwrap(), b"22");
    srv.finish();
}

/// 600 MiB: past the 512 MiB up to which `-c` has the server hash a part whole.
const BIG: u64 = 600 << 20;
/// md5 of 64 MiB of zero bytes: each window of the sparse parts below.
const ZEROS_64M_MD5: &str = "7f614da9329cd3aebf59b91aadc30bf0";

/// A sparse file of `len` zero bytes followed by `tail` (no disk space taken by the zeros).
fn sparse(path: &std::path::Path, len: u64, tail: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::File::create(path).unwrap();
    f.set_len(len).unwrap();
    f.seek(SeekFrom::End(0)).unwrap();
    f.write_all(tail).unwrap();
}

#[test]
fn get_resume_of_a_partial_copy_over_512_mib_compares_two_xmd5_windows_and_the_time() {
    // The server hashes the first and the last 64 MiB of the part, not all 600 MiB; both match, and the
    // partial copy is newer than the remote file, so the last 10 bytes are fetched.
    let srv = Server::start(script(vec![
        login(&["EPSV", "MDTM", "REST STREAM", "SIZE", "XMD5"]),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s(&format!("213 {}", BIG + 10)),
            e("MDTM f"),
            s("213 20000101000000"),
            e(&format!("XMD5 f 0 {}", 64 << 20)),
            s(&format!("250 {ZEROS_64M_MD5}")),
            e(&format!("XMD5 f {} {BIG}", BIG - (64 << 20))),
            s(&format!("250 {ZEROS_64M_MD5}")),
            e("EPSV"),
            Epsv,
            e(&format!("REST {BIG}")),
            s("350 ok"),
            e("RETR f"),
            s("150 ok"),
            DataSend(b"0123456789".to_vec()),
            s("226 ok"),
        ],
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f");
    sparse(&f, BIG, b"");
    let r = run_in(dir.path(), "ftp-get", &["-c", &srv.url("f")], &[]);
    assert_code(&r, 0);
    assert_eq!(std::fs::metadata(&f).unwrap().len(), BIG + 10);
    let mut tail = [0u8; 11];
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(&f).unwrap();
    file.seek(SeekFrom::Start(BIG - 1)).unwrap();
    file.read_exact(&mut tail).unwrap();
    assert_eq!(&tail, b"\x000123456789");
    srv.finish();
}

/// `ftp-put -c f` of a sparse local file of 600 MiB + 10 bytes onto a remote part of 600 MiB, on a
/// server with `feat`: `checks` between SIZE and the time rule's MDTM (the remote part is newer than
/// the local file), then APPE of the last 10 bytes.
fn put_resume_of_a_big_part(feat: &[&str], checks: Vec<Step>) {
    let srv = Server::start(script(vec![
        login(feat),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s(&format!("213 {BIG}")),
        ],
        checks,
        vec![
            e("MDTM f"),
            s("213 20990101000000"),
            e("EPSV"),
            Epsv,
            e("APPE f"),
            s("150 Ok to send data."),
            DataRecv,
            s("226 Transfer complete."),
            e("SIZE f"),
            s(&format!("213 {}", BIG + 10)),
        ],
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    sparse(&dir.path().join("f"), BIG, b"0123456789");
    let r = run_in(dir.path(), "ftp-put", &["-c", "f", &srv.url("")], &[]);
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), b"0123456789");
    srv.finish();
}

#[test]
fn put_resume_of_a_remote_part_over_512_mib_compares_two_xmd5_windows_and_the_time() {
    // Before, -c asked the server for the MD5 of the whole remote part, however long: many GB can take
    // the server longer to hash than a reply may take. Now two 64 MiB windows, then the time rule.
    put_resume_of_a_big_part(
        &["EPSV", "MDTM", "SIZE", "XMD5"],
        vec![
            e(&format!("XMD5 f 0 {}", 64 << 20)),
            s(&format!("250 {ZEROS_64M_MD5}")),
            e(&format!("XMD5 f {} {BIG}", BIG - (64 << 20))),
            s(&format!("250 {ZEROS_64M_MD5}")),
        ],
    );
}

#[test]
fn put_resume_of_a_remote_part_over_512_mib_with_only_hash_leaves_it_to_the_time_rule() {
    // HASH has no range (RANG is not honoured by the servers tested), so a part past 512 MiB is not
    // hashed whole: no HASH is sent, and the times decide.
    put_resume_of_a_big_part(&["EPSV", "HASH SHA-256*;MD5", "MDTM", "SIZE"], vec![]);
}

/// A mirrored directory gets its source's time once its files are in (lftp issue 388 asks for it):
/// a file renamed into it would change it afterwards.
#[test]
fn get_mirror_gives_directories_their_source_times() {
    let srv = Server::start(script(vec![
        login(MLSD_FEAT),
        listing(
            "MLSD t",
            &[
                "type=cdir;modify=20220301000000; .",
                "type=dir;modify=20230601123456; sub",
                "type=dir; untimed",
            ],
        ),
        listing("MLSD t/sub", &["type=file;size=1;modify=20240101000000; f"]),
        listing("MLSD t/untimed", &[]),
        retr_known("t/sub/f", b"F"),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(dir.path(), "ftp-get", &["-R", &srv.url("t/")], &[]);
    assert_code(&r, 0);
    let june_2023 = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_685_622_896);
    let sub = std::fs::metadata(dir.path().join("t/sub")).unwrap();
    assert_eq!(sub.modified().unwrap(), june_2023);
    assert_eq!(
        std::fs::metadata(dir.path().join("t/sub/f"))
            .unwrap()
            .modified()
            .unwrap(),
        jan_2024()
    );
    // No time in the listing: the directory keeps the one it got.
    let untimed = std::fs::metadata(dir.path().join("t/untimed")).unwrap();
    assert!(untimed.modified().unwrap() > jan_2024());
    // The mirrored directory itself has its `type=cdir` line's time.
    let march_2022 = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_646_092_800);
    let t = std::fs::metadata(dir.path().join("t")).unwrap();
    assert_eq!(t.modified().unwrap(), march_2022);
    srv.finish();
}
