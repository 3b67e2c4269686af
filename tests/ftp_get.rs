//! ftp-get against the scripted server: exact transcripts, one test per exit code, hostile replies.

use std::time::Duration;

use crate::support::*;

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

#[test]
fn downloads_with_the_exact_transcript() {
    let srv = Server::start(script(vec![
        anon_login(),
        retr("pub/a b.txt", b"hello\n"),
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &[&srv.url("pub/a%20b.txt")]);
    assert_code(&r, 0);
    assert_eq!(r.stderr, "", "quiet success off a terminal (issue 18)");
    assert_eq!(
        std::fs::read(dir.path().join("a b.txt")).unwrap(),
        b"hello\n"
    );
    assert_eq!(names_in(dir.path()), vec!["a b.txt"], "no temp files left");
    srv.finish();
}

#[test]
fn several_urls_share_one_session() {
    let srv = Server::start(script(vec![
        anon_login(),
        retr("x", b"1"),
        same_type(retr("y", b"22")),
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &[&srv.url("x"), &srv.url("y")]);
    assert_code(&r, 0);
    assert_eq!(names_in(dir.path()), vec!["x", "y"]);
    srv.finish();
}

#[test]
fn stdout_output() {
    let srv = Server::start(script(vec![anon_login(), retr("f", b"to stdout"), quit()]));
    let (r, _dir) = run("ftp-get", &["-o", "-", &srv.url("f")]);
    assert_code(&r, 0);
    assert_eq!(r.stdout, b"to stdout");
    srv.finish();
}

#[test]
fn truncated_retr_is_exit_9_and_leaves_no_file() {
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
            s("150 here it comes"),
            DataSend(vec![b'x'; 500]),
            s("226 Transfer complete."),
        ],
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &[&srv.url("big")]);
    assert_code(&r, 9);
    assert!(
        r.stderr.contains("truncated transfer: 500 of 1000"),
        "{}",
        r.stderr
    );
    assert!(
        names_in(dir.path()).is_empty(),
        "{:?}",
        names_in(dir.path())
    );
    srv.finish();
}

#[test]
fn a_download_longer_than_its_size_is_exit_9_and_says_so() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("213 3"),
            e("EPSV"),
            Epsv,
            e("RETR f"),
            s("150 here it comes"),
            DataSend(b"12345".to_vec()),
            s("226 Transfer complete."),
        ],
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &[&srv.url("f")]);
    assert_code(&r, 9);
    assert!(
        r.stderr
            .contains("the server sent 5 bytes, more than the 3 its SIZE said"),
        "{}",
        r.stderr
    );
    assert!(names_in(dir.path()).is_empty());
    srv.finish();
}

#[test]
fn pasv_address_is_ignored_and_the_control_peer_used() {
    // EPSV is not understood; PASV claims 10.255.255.1, which must never be contacted: the transfer only
    // succeeds if the client connects to 127.0.0.1, where the listener really is.
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("213 4"),
            e("EPSV"),
            s("500 EPSV not understood"),
            e("PASV"),
            PasvClaiming("10.255.255.1".into()),
            e("RETR f"),
            s("150 ok"),
            DataSend(b"data".to_vec()),
            s("226 ok"),
        ],
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &["--connect-timeout", "2", &srv.url("f")]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"data");
    srv.finish();
}

#[test]
fn resume_sends_rest_and_appends() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("213 10"),
            e("MDTM f"),
            s("213 20200101000000"),
            e("EPSV"),
            Epsv,
            e("REST 4"),
            s("350 Restart position accepted (4)."),
            e("RETR f"),
            s("150 ok"),
            DataSend(b"456789".to_vec()),
            s("226 ok"),
        ],
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), b"0123").unwrap();
    let r = run_in(dir.path(), "ftp-get", &["-c", &srv.url("f")], &[]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"0123456789");
    assert_eq!(names_in(dir.path()), vec!["f"]);
    srv.finish();
}

#[test]
fn delete_after_only_after_commit_and_preserve_sets_mtime() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("213 3"),
            e("MDTM f"),
            s("213 20200102030405"),
            e("EPSV"),
            Epsv,
            e("RETR f"),
            s("150 ok"),
            DataSend(b"abc".to_vec()),
            s("226 ok"),
            e("DELE f"),
            s("250 Delete operation successful."),
        ],
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &["--delete-after", "--preserve", &srv.url("f")]);
    assert_code(&r, 0);
    let meta = std::fs::metadata(dir.path().join("f")).unwrap();
    let secs = meta
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(secs, 1577934245);
    srv.finish();
}

#[test]
fn failed_transfer_is_never_deleted_on_the_server() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("213 3"),
            e("EPSV"),
            Epsv,
            e("RETR f"),
            s("150 ok"),
            DataSend(b"ab".to_vec()),
            s("426 Connection closed; transfer aborted."),
        ],
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &["--delete-after", &srv.url("f")]);
    assert_code(&r, 7);
    assert!(names_in(dir.path()).is_empty());
    let seen = srv.finish();
    assert!(!seen.iter().any(|l| l.starts_with("DELE")), "{seen:?}");
}

#[test]
fn ascii_mode_converts_line_endings() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE A"),
            s("200 Switching to ASCII mode."),
            e("EPSV"),
            Epsv,
            e("RETR t"),
            s("150 ok"),
            DataSend(b"one\r\ntwo\r\n".to_vec()),
            s("226 ok"),
        ],
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &["--ascii", &srv.url("t")]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("t")).unwrap(), b"one\ntwo\n");
    srv.finish();
}

/// Only a pattern starting with a dot matches a dotfile, and vsftpd's plain LIST hides them: such a
/// glob lists with `LIST -a` (the plain `*` still never matches one).
#[test]
fn a_dotfile_glob_lists_with_a() {
    let body = b"-rw-r--r--    1 1000     1000            1 Mar 05  2021 .env\r\n\
-rw-r--r--    1 1000     1000            1 Mar 05  2021 a.env\r\n"
        .to_vec();
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("EPSV"),
            Epsv,
            e("LIST -a d"),
            s("150 Here comes the directory listing."),
            DataSend(body),
            s("226 Directory send OK."),
        ],
        retr("d/.env", b"x"),
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &[&srv.url("d/.*env")]);
    assert_code(&r, 0);
    assert_eq!(names_in(dir.path()), vec![".env"]);
    srv.finish();
}

#[test]
fn glob_skips_unsafe_names_with_exit_10() {
    let listing = b"type=file;size=1; good.csv\r\ntype=file;size=1; ..\r\ntype=file;size=1; evil\x1b[2J.csv\r\ntype=dir; sub.csv\r\ntype=file;size=1; other.txt\r\n";
    let srv = Server::start(script(vec![
        vec![
            s("220 hi"),
            e("USER anonymous"),
            s("230 ok"),
            e("FEAT"),
            s("211-Features:"),
            s(" MLST type*;size*;"),
            s(" SIZE"),
            s("211 End"),
            e("EPSV"),
            Epsv,
            e("MLSD d"),
            s("150 listing"),
            DataSend(listing.to_vec()),
            s("226 ok"),
        ],
        retr("d/good.csv", b"g"),
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &[&srv.url("d/*.csv")]);
    assert_code(&r, 10);
    assert!(
        r.stderr.contains("unsafe remote name evil\\x1b[2J.csv"),
        "{}",
        r.stderr
    );
    assert_eq!(names_in(dir.path()), vec!["good.csv"]);
    srv.finish();
}

#[test]
fn active_mode_uses_eprt_and_accepts_the_server() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("213 2"),
            ExpectPrefix("EPRT |1|127.0.0.1|".into()),
            s("200 EPRT command successful."),
            e("RETR f"),
            s("150 ok"),
            ActiveSend(b"hi".to_vec()),
            s("226 ok"),
        ],
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &["--active", &srv.url("f")]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"hi");
    srv.finish();
}

#[test]
fn oversized_line_is_exit_9_with_bounded_memory() {
    let srv = Server::start(vec![Flood(b'2', 64 << 20)]);
    let (r, _d) = run("ftp-get", &[&srv.url("f")]);
    assert_code(&r, 9);
    assert!(r.stderr.contains("longer than 65536"), "{}", r.stderr);
}

#[test]
fn trickled_reply_times_out_within_the_deadline() {
    let srv = Server::start(vec![Trickle(
        "220 slow greeting that takes ages".into(),
        Duration::from_millis(300),
    )]);
    let (r, _d) = run("ftp-get", &["--timeout", "2", &srv.url("f")]);
    assert_code(&r, 11);
    assert!(r.elapsed < Duration::from_secs(6), "took {:?}", r.elapsed);
}

/// A file sent a byte every 100 ms never makes one read wait `--timeout`, but it stays below the minimum
/// rate (1 KiB/s) over the timeout: exit 11 after about one timeout, not 10 000 bytes (17 minutes) later,
/// and nothing at the target name.
#[test]
fn a_file_trickled_below_the_minimum_rate_times_out() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 Switching to Binary mode."),
            e("SIZE f"),
            s("213 10000"),
            e("EPSV"),
            Epsv,
            e("RETR f"),
            s("150 Opening BINARY mode data connection."),
            DataTrickle(vec![b'x'; 10_000], Duration::from_millis(100)),
            Drain,
        ],
    ]));
    let (r, d) = run("ftp-get", &["--timeout", "1", &srv.url("f")]);
    assert_code(&r, 11);
    assert!(r.stderr.contains("the server trickles"), "{}", r.stderr);
    assert!(r.elapsed < Duration::from_secs(5), "took {:?}", r.elapsed);
    assert!(!d.path().join("f").exists());
}

#[test]
fn malformed_reply_is_exit_9() {
    let srv = Server::start(vec![s("hello, I am not FTP")]);
    let (r, _d) = run("ftp-get", &[&srv.url("f")]);
    assert_code(&r, 9);
}

#[test]
fn nul_in_reply_is_exit_9() {
    let srv = Server::start(vec![Raw(b"220 a\0b\r\n".to_vec())]);
    let (r, _d) = run("ftp-get", &[&srv.url("f")]);
    assert_code(&r, 9);
}

#[test]
fn password_never_appears_in_the_transcript() {
    let srv = Server::start(script(vec![vec![
        s("220 hi"),
        e("USER bob"),
        s("331 pw?"),
        e("PASS s3cr3t"),
        s("530 Login incorrect."),
    ]]));
    let (r, _d) = run(
        "ftp-get",
        &["-v", &format!("ftp://bob:s3cr3t@{}/f", srv.addr)],
    );
    assert_code(&r, 5);
    assert!(r.stderr.contains("> PASS ****"), "{}", r.stderr);
    assert!(!r.stderr.contains("s3cr3t"), "{}", r.stderr);
    srv.finish();
}

#[test]
fn ipv6_literal_urls() {
    if !Server::ipv6_available() {
        // IPv6 loopback is part of every Linux this project supports; a sandbox without it cannot run this.
        assert!(
            std::env::var("CI").is_err(),
            "CI machine has no IPv6 loopback"
        );
        return;
    }
    let srv = Server::start_on(
        "[::1]:0",
        script(vec![anon_login(), retr("f", b"six"), quit()]),
    );
    let (r, _d) = run(
        "ftp-get",
        &["-o", "-", &format!("ftp://[::1]:{}/f", srv.addr.port())],
    );
    assert_code(&r, 0);
    assert_eq!(r.stdout, b"six");
    srv.finish();
}

#[test]
fn json_reports_each_file_and_partial_success() {
    let srv = Server::start(script(vec![
        anon_login(),
        retr("ok", b"fine"),
        vec![
            e("SIZE gone"),
            s("550 no"),
            e("EPSV"),
            Epsv,
            e("RETR gone"),
            s("550 Failed to open file."),
        ],
        quit(),
    ]));
    let (r, _d) = run("ftp-get", &["--json", &srv.url("ok"), &srv.url("gone")]);
    assert_code(&r, 10);
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(
        (files[0]["status"].as_str(), files[0]["bytes"].as_u64()),
        (Some("ok"), Some(4))
    );
    assert_eq!(files[1]["status"], "failed");
    assert_eq!(files[1]["error"]["exit_code"], 6);
    assert!(
        files[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("550 Failed to open file.")
    );
    srv.finish();
}

/// A RETR whose size the -R listing already gave and whose time the plan asked ahead ([`mdtms`]): no
/// SIZE, no MDTM.
fn retr_listed(path: &str, body: &[u8]) -> Vec<Step> {
    let mut v = retr(path, body);
    v.drain(2..4);
    v
}

/// The MDTMs a mirror's plan asks, pipelined, for the files it will download (their times are set on
/// the copies), in plan order.
fn mdtms(paths: &[&str]) -> Vec<Step> {
    paths
        .iter()
        .flat_map(|p| [e(&format!("MDTM {p}")), s("213 20240101000000")])
        .collect()
}

/// A LIST of `path` answered with Unix-style `lines`.
fn list(path: &str, lines: &[&str]) -> Vec<Step> {
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
}

#[test]
fn recursive_mirror_never_makes_symlinks_and_skips_unsafe_names() {
    let srv = Server::start(script(vec![
        anon_login(),
        list(
            "pub/tree",
            &[
                "-rw-r--r--    1 0        0               1 Jan 01  2024 a",
                "lrwxrwxrwx    1 0        0               4 Jan 01  2024 link -> /etc",
                "drwxr-xr-x    2 0        0            4096 Jan 01  2024 sub",
                "-rw-r--r--    1 0        0               1 Jan 01  2024 x\u{1b}[2Jy",
            ],
        ),
        rest_without_echo(),
        list(
            "pub/tree/sub",
            &["-rw-r--r--    1 0        0               2 Jan 01  2024 b"],
        ),
        mdtms(&["pub/tree/a", "pub/tree/sub/b"]),
        retr_listed("pub/tree/a", b"A"),
        same_type(retr_listed("pub/tree/sub/b", b"BB")),
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &["-R", "-O", "out", &srv.url("pub/tree/")]);
    assert_code(&r, 10);
    assert!(
        r.stderr.contains("skipping unsafe remote name x\\x1b[2Jy"),
        "{}",
        r.stderr
    );
    let root = dir.path().join("out/tree");
    assert_eq!(names_in(&root), vec!["a", "sub"]);
    assert_eq!(std::fs::read(root.join("sub/b")).unwrap(), b"BB");
    srv.finish();
}

/// A file the listing shows empty is made empty, with its time, without a data connection; the
/// others are downloaded. Both times are asked ahead, with the plan.
#[test]
fn recursive_mirror_makes_an_empty_file_without_retr() {
    let srv = Server::start(script(vec![
        anon_login(),
        list(
            "t",
            &[
                "-rw-r--r--    1 0        0               0 Jan 01  2024 empty",
                "-rw-r--r--    1 0        0               1 Jan 01  2024 one",
            ],
        ),
        mdtms(&["t/empty", "t/one"]),
        retr_listed("t/one", b"1"),
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &["-R", "-O", "out", &srv.url("t/")]);
    assert_code(&r, 0);
    let root = dir.path().join("out/t");
    assert_eq!(names_in(&root), vec!["empty", "one"]);
    let empty = std::fs::metadata(root.join("empty")).unwrap();
    assert_eq!(empty.len(), 0);
    let jan_2024 = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_704_067_200);
    assert_eq!(empty.modified().unwrap(), jan_2024);
    srv.finish();
}

#[test]
fn recursive_mirror_refuses_a_symlink_in_place_of_a_local_directory() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![e("SIZE t"), s("550 Could not get file size.")],
        list(
            "t",
            &["drwxr-xr-x    2 0        0            4096 Jan 01  2024 sub"],
        ),
        rest_without_echo(),
        list(
            "t/sub",
            &["-rw-r--r--    1 0        0               1 Jan 01  2024 f"],
        ),
        mdtms(&["t/sub/f"]),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("t")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("t/sub")).unwrap();
    let r = run_in(dir.path(), "ftp-get", &["-R", &srv.url("t")], &[]);
    assert_code(&r, 8);
    assert!(
        r.stderr.contains("symlinks are not followed"),
        "{}",
        r.stderr
    );
    assert!(names_in(elsewhere.path()).is_empty());
    srv.finish();
}

#[test]
fn a_walk_lists_subdirectories_by_stat_once_the_server_shows_its_stat_lists_alike() {
    // vsftpd: REST echoes its offset, and STAT -a of the root lists what LIST -a listed, so the
    // subdirectory is listed on the control connection (no EPSV, no data connection).
    let root = [
        "-rw-r--r--    1 0        0               1 Jan 01  2024 a",
        "drwxr-xr-x    2 0        0            4096 Jan 01  2024 sub",
    ];
    let sub = ["-rw-r--r--    1 0        0               2 Jan 01  2024 .b"];
    let srv = Server::start(script(vec![
        anon_login(),
        list("t", &root),
        rest_echo(),
        stat_listing("t", &[&[".", ".."][..], &root[..]].concat()),
        stat_listing("t/sub", &sub),
        mdtms(&["t/a", "t/sub/.b"]),
        retr_listed("t/a", b"A"),
        same_type(retr_listed("t/sub/.b", b"BB")),
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &["-R", &srv.url("t/")]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("t/sub/.b")).unwrap(), b"BB");
    srv.finish();
}

#[test]
fn a_directory_the_server_lists_as_itself_is_a_failed_listing_and_blocks_delete() {
    // vsftpd cannot read `sub` (mode 000): STAT -a and LIST -a of it give its own line, as `ls -d`
    // would, with no `.`. Taken for contents that is `sub/sub`, and --delete removed the local copy's
    // files below `sub`. It is a listing that failed: an error, and nothing deleted.
    let root = [
        "-rw-r--r--    1 0        0               1 Jan 01  2024 a",
        "d---------    2 0        0            4096 Jan 01  2024 sub",
    ];
    let own = ["d---------    2 0        0            4096 Jan 01  2024 sub"];
    let srv = Server::start(script(vec![
        anon_login(),
        list("t", &root),
        rest_echo(),
        stat_listing("t", &[&[".", ".."][..], &root[..]].concat()),
        stat_listing("t/sub", &own),
        list("t/sub", &own),
        mdtms(&["t/a"]),
        retr_listed("t/a", b"A"),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("t/sub")).unwrap();
    std::fs::write(dir.path().join("t/sub/keep"), b"K").unwrap();
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-R", "--delete", &srv.url("t/")],
        &[],
    );
    assert_code(&r, 10);
    assert!(
        r.stderr.contains(
            "cannot list t/sub: the server lists the directory itself, not what it holds"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("not deleting anything"), "{}", r.stderr);
    assert_eq!(names_in(&dir.path().join("t/sub")), ["keep"]);
    assert_eq!(std::fs::read(dir.path().join("t/a")).unwrap(), b"A");
    srv.finish();
    // A directory that holds only a subdirectory of its name lists `.` with it: walked as usual.
    let inner = [
        "drwxr-xr-x    3 0        0            4096 Jan 01  2024 .",
        "drwxr-xr-x    3 0        0            4096 Jan 01  2024 ..",
        "drwxr-xr-x    2 0        0            4096 Jan 01  2024 sub",
    ];
    let srv = Server::start(script(vec![
        anon_login(),
        list("t", &[own[0].replace("d---------", "drwxr-xr-x").as_str()]),
        rest_echo(),
        stat_listing(
            "t",
            &["drwxr-xr-x    2 0        0            4096 Jan 01  2024 sub"],
        ),
        stat_listing("t/sub", &inner),
        stat_listing("t/sub/sub", &[]),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(dir.path(), "ftp-get", &["-R", &srv.url("t/")], &[]);
    assert_code(&r, 0);
    assert!(dir.path().join("t/sub/sub").is_dir());
    srv.finish();
}

#[test]
fn a_stat_listing_that_differs_from_list_on_the_root_is_never_used() {
    // A server whose STAT ignores its argument (a status text, no listing): LIST goes on.
    let root = ["drwxr-xr-x    2 0        0            4096 Jan 01  2024 sub"];
    let srv = Server::start(script(vec![
        anon_login(),
        list("t", &root),
        rest_echo(),
        vec![
            e("STAT -a t"),
            s("211-FTP server status:"),
            s("     Connected to 127.0.0.1"),
            s("211 End of status"),
        ],
        rest_echo(),
        list(
            "t/sub",
            &["-rw-r--r--    1 0        0               1 Jan 01  2024 f"],
        ),
        mdtms(&["t/sub/f"]),
        retr_listed("t/sub/f", b"F"),
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &["-R", &srv.url("t/")]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("t/sub/f")).unwrap(), b"F");
    srv.finish();
}

#[test]
fn a_name_that_ends_a_stat_listing_early_is_caught_by_the_rest_echo() {
    // A file name holding CRLF + "213 End of status" ends the STAT reply early; the rest of the listing
    // then stands where the REST echo must be. The session is dropped (it is out of step), STAT is off,
    // and the directory is listed again with LIST on a new session: nothing is lost or misread.
    let root = ["drwxr-xr-x    2 0        0            4096 Jan 01  2024 sub"];
    let sub = [
        "-rw-r--r--    1 0        0               1 Jan 01  2024 a",
        "-rw-r--r--    1 0        0               1 Jan 01  2024 z",
    ];
    let first = script(vec![
        anon_login(),
        list("t", &root),
        rest_echo(),
        stat_listing("t", &root),
        vec![
            e("STAT -a t/sub"),
            s("213-Status follows:"),
            s("-rw-r--r--    1 0        0               1 Jan 01  2024 a"),
            s("213 End of status"),
            s("-rw-r--r--    1 0        0               1 Jan 01  2024 z"),
            s("213 End of status"),
            ExpectPrefix("REST ".into()),
            SendArg("350 Restart position accepted ({}).".into()),
            e("REST 0"),
            s("350 Restart position accepted (0)."),
            Drain,
        ],
    ]);
    let second = script(vec![
        anon_login(),
        list("t/sub", &sub),
        mdtms(&["t/sub/a", "t/sub/z"]),
        retr_listed("t/sub/a", b"A"),
        same_type(retr_listed("t/sub/z", b"Z")),
        quit(),
    ]);
    let srv = Server::start_sessions(vec![first, second]);
    let (r, dir) = run("ftp-get", &["-R", &srv.url("t/")]);
    assert_code(&r, 0);
    assert_eq!(names_in(&dir.path().join("t/sub")), ["a", "z"]);
    srv.finish();
}

#[test]
fn subdirectories_are_listed_by_one_pipelined_stat_batch_and_a_forged_end_relists_the_rest() {
    // Both subdirectories' STATs go out in one write. The first listing ends early (a name holding
    // CRLF + "213 End of status"), so its REST echo is missing: the session is dropped before the
    // second STAT's reply is read, and both directories are listed again by LIST on a new session.
    let root = [
        "drwxr-xr-x    2 0        0            4096 Jan 01  2024 a",
        "drwxr-xr-x    2 0        0            4096 Jan 01  2024 b",
    ];
    let a = ["-rw-r--r--    1 0        0               1 Jan 01  2024 x"];
    let b = ["-rw-r--r--    1 0        0               1 Jan 01  2024 y"];
    let first = script(vec![
        anon_login(),
        list("t", &root),
        rest_echo(),
        stat_listing("t", &root),
        vec![
            e("STAT -a t/a"),
            ExpectPrefix("REST ".into()),
            e("REST 0"),
            e("STAT -a t/b"),
            ExpectPrefix("REST ".into()),
            e("REST 0"),
            s("213-Status follows:"),
            s("-rw-r--r--    1 0        0               1 Jan 01  2024 x"),
            s("213 End of status"),
            s("-rw-r--r--    1 0        0               1 Jan 01  2024 forged"),
            s("213 End of status"),
            s("350 Restart position accepted (1)."),
            s("350 Restart position accepted (0)."),
            Drain,
        ],
    ]);
    let second = script(vec![
        anon_login(),
        list("t/a", &a),
        list("t/b", &b),
        mdtms(&["t/a/x", "t/b/y"]),
        retr_listed("t/a/x", b"X"),
        same_type(retr_listed("t/b/y", b"Y")),
        quit(),
    ]);
    let srv = Server::start_sessions(vec![first, second]);
    let (r, dir) = run("ftp-get", &["-R", &srv.url("t/")]);
    assert_code(&r, 0);
    assert_eq!(names_in(&dir.path().join("t/a")), ["x"]);
    assert_eq!(names_in(&dir.path().join("t/b")), ["y"]);
    srv.finish();
}

#[test]
fn recursive_depth_is_capped_at_64() {
    let mut steps = anon_login();
    let mut path = String::from("d");
    for level in 0..64 {
        // With `.`, as `LIST -a` shows it: a directory holding only a directory of its own name.
        steps.extend(list(
            &path,
            &[
                "drwxr-xr-x    3 0        0            4096 Jan 01  2024 .",
                "drwxr-xr-x    2 0        0            4096 Jan 01  2024 d",
            ],
        ));
        if level == 0 {
            steps.extend(rest_without_echo());
        }
        path.push_str("/d");
    }
    steps.extend(quit());
    let srv = Server::start(steps);
    let (r, dir) = run("ftp-get", &["-R", &srv.url("d/")]);
    assert_code(&r, 10);
    assert!(r.stderr.contains("deeper than 64 levels"), "{}", r.stderr);
    let mut deepest = dir.path().to_path_buf();
    let mut levels = 0;
    while deepest.join("d").is_dir() {
        deepest.push("d");
        levels += 1;
    }
    assert_eq!(levels, 64);
    srv.finish();
}

#[test]
fn a_run_goes_on_with_the_session_that_logs_in_first() {
    // The first connection's password check takes 2 s (a busy server's PAM); the second connection,
    // opened as a spare, logs in at once. The run plans and downloads both files on the second and does
    // not wait for the first, whose connection closes unused when the run ends.
    let mut slow = anon_login();
    slow.truncate(4); // greeting, USER, 331, PASS
    slow.push(Sleep(Duration::from_secs(2)));
    let srv = Server::start_sessions(vec![
        slow,
        script(vec![
            anon_login(),
            retr("x", b"1"),
            same_type(retr("y", b"22")),
            quit(),
        ]),
    ]);
    let (r, dir) = run(
        "ftp-get",
        &["--parallel", "2", &srv.url("x"), &srv.url("y")],
    );
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("x")).unwrap(), b"1");
    assert_eq!(std::fs::read(dir.path().join("y")).unwrap(), b"22");
    srv.finish();
}

#[test]
fn parallel_sessions_download_from_one_queue() {
    // Session 0 (the planning one) takes job 0 and holds its 226 until session 1 has taken job 1.
    let srv = Server::start_sessions(vec![
        script(vec![
            anon_login(),
            vec![
                e("TYPE I"),
                s("200 ok"),
                e("SIZE x"),
                s("213 1"),
                e("EPSV"),
                Epsv,
                e("RETR x"),
                s("150 ok"),
                DataSend(b"1".to_vec()),
                Sleep(Duration::from_millis(1500)),
                s("226 ok"),
            ],
            quit(),
        ]),
        late(script(vec![anon_login(), retr("y", b"22"), quit()])),
    ]);
    let (r, dir) = run(
        "ftp-get",
        &["--parallel", "2", "--json", &srv.url("x"), &srv.url("y")],
    );
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("y")).unwrap(), b"22");
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["files"][0]["path"], "./x");
    assert_eq!(v["files"][1]["bytes"], 2);
    let seen = srv.finish();
    assert_eq!(seen.iter().filter(|l| *l == "USER anonymous").count(), 2);
}

#[test]
fn recursive_usage_errors() {
    for args in [
        vec!["-R", "-o", "f", "ftp://127.0.0.1:9/d/"],
        vec!["-R", "ftp://127.0.0.1:9/d/*.txt"],
        vec!["--parallel", "65", "ftp://127.0.0.1:9/d/x"],
    ] {
        let (r, _d) = run("ftp-get", &args);
        assert_code(&r, 2);
    }
}

#[test]
fn a_server_that_falls_silent_costs_one_timeout_not_two() {
    // Hostile-server pass: after SIZE timed out, the session was ended with a QUIT whose reply the
    // silent server never sent, so the run waited out --timeout twice. A timed-out session is dropped.
    let srv = Server::start(script(vec![
        anon_login(),
        vec![e("TYPE I"), s("200 ok"), e("SIZE x"), Drain],
    ]));
    let (r, _dir) = run("ftp-get", &["--timeout", "2", &srv.url("x")]);
    assert_code(&r, 11);
    assert!(r.stderr.starts_with("ftp-get: "), "{}", r.stderr);
    assert!(r.elapsed < Duration::from_millis(3500), "{:?}", r.elapsed);
    let seen = srv.finish();
    assert!(!seen.iter().any(|l| l == "QUIT"), "{seen:?}");
}

#[test]
fn a_glob_whose_listing_times_out_is_not_listed_again_by_nlst() {
    // Hostile-server pass: any failure of the glob's LIST fell back to NLST on the same session, so a
    // LIST that timed out (the server trickling it) was followed by EPSV, which read the LIST's late
    // 226 as its reply: exit 9 and a confusing message instead of the timeout.
    let line = b"-rw-r--r-- 1 0 0 1 Jan 01 2024 slow.csv\r\n".repeat(2);
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("EPSV"),
            Epsv,
            e("LIST pub"),
            s("150 Here comes the directory listing."),
            DataTrickle(line, Duration::from_millis(100)),
            s("226 Directory send OK."),
            Drain,
        ],
    ]));
    let (r, _dir) = run("ftp-get", &["--timeout", "2", &srv.url("pub/*.csv")]);
    assert_code(&r, 11);
    assert!(r.stderr.starts_with("ftp-get: "), "{}", r.stderr);
    let seen = srv.finish();
    assert_eq!(
        seen.last().map(String::as_str),
        Some("LIST pub"),
        "{seen:?}"
    );
}

#[test]
fn an_o_dir_that_is_a_file_is_named_as_such() {
    let srv = Server::start(script(vec![anon_login(), quit()]));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("out"), b"f").unwrap();
    let r = run_in(dir.path(), "ftp-get", &["-O", "out", &srv.url("x")], &[]);
    assert_code(&r, 8);
    assert!(
        r.stderr.contains("out exists and is not a directory"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(dir.path().join("out")).unwrap(), b"f");
    srv.finish();
}
