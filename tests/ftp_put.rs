//! ftp-put against the scripted server: exact transcripts for every flag, refusals, hostile cases,
//! recursive and parallel uploads.

use std::time::Duration;

use crate::support::*;

/// An upload of `path` by `verb` (STOR or APPE), the server reading the data to its end.
fn upload(verb: &str, path: &str) -> Vec<Step> {
    let mut v = vec![e("TYPE I"), s("200 Switching to Binary mode.")];
    v.extend(data_upload(verb, path));
    v
}

/// The data part of an upload: EPSV, the command, the data, 226.
fn data_upload(verb: &str, path: &str) -> Vec<Step> {
    vec![
        e("EPSV"),
        Epsv,
        e(&format!("{verb} {path}")),
        s("150 Ok to send data."),
        DataRecv,
        s("226 Transfer complete."),
    ]
}

fn dir_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    dir
}

#[test]
fn stores_into_a_directory_url_with_the_exact_transcript() {
    let srv = Server::start(script(vec![
        anon_login(),
        upload("STOR", "in/a b.txt"),
        quit(),
    ]));
    let dir = dir_with(&[("a b.txt", b"hello\n")]);
    let r = run_in(dir.path(), "ftp-put", &["a b.txt", &srv.url("in/")], &[]);
    assert_code(&r, 0);
    assert_eq!(r.stderr, "", "quiet success off a terminal (issue 18)");
    assert_eq!(srv.data_received(), b"hello\n");
    srv.finish();
}

#[test]
fn url_naming_the_file_and_several_files_in_one_session() {
    let srv = Server::start(script(vec![
        anon_login(),
        upload("STOR", "x"),
        same_type(upload("STOR", "y")),
        quit(),
    ]));
    let dir = dir_with(&[("x", b"1"), ("y", b"22")]);
    let r = run_in(dir.path(), "ftp-put", &["x", "y", &srv.url("")], &[]);
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), b"122");
    srv.finish();
    let srv = Server::start(script(vec![
        anon_login(),
        upload("STOR", "renamed.bin"),
        quit(),
    ]));
    let r = run_in(dir.path(), "ftp-put", &["x", &srv.url("renamed.bin")], &[]);
    assert_code(&r, 0);
    srv.finish();
}

#[test]
fn absolute_paths_and_standard_input() {
    let srv = Server::start(script(vec![
        anon_login(),
        upload("STOR", "/srv/in.dat"),
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let body: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let r = run_with_stdin(
        dir.path(),
        "ftp-put",
        &["-", &srv.url("%2Fsrv/in.dat")],
        &[],
        Some(body.clone()),
    );
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), body);
    srv.finish();
}

#[test]
fn append_uses_appe() {
    let srv = Server::start(script(vec![anon_login(), upload("APPE", "log"), quit()]));
    let dir = dir_with(&[("log", b"more\n")]);
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["--append", "log", &srv.url("")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), b"more\n");
    srv.finish();
}

#[test]
fn resume_sends_the_rest_and_checks_the_size() {
    let srv = Server::start(script(vec![
        anon_login(),
        // The remote part's time is unknown: nothing says it is stale.
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("213 4"),
            e("MDTM f"),
            s("550 Could not get file modification time."),
        ],
        data_upload("APPE", "f"),
        vec![e("SIZE f"), s("213 10")],
        quit(),
    ]));
    let dir = dir_with(&[("f", b"0123456789")]);
    let r = run_in(dir.path(), "ftp-put", &["-c", "f", &srv.url("")], &[]);
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), b"456789");
    srv.finish();
}

#[test]
fn resume_of_a_missing_file_starts_at_zero() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("550 Could not get file size."),
        ],
        data_upload("APPE", "f"),
        vec![e("SIZE f"), s("213 3")],
        quit(),
    ]));
    let dir = dir_with(&[("f", b"abc")]);
    let r = run_in(dir.path(), "ftp-put", &["-c", "f", &srv.url("")], &[]);
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), b"abc");
    srv.finish();
}

#[test]
fn resume_with_a_wrong_final_size_is_exit_9() {
    let srv = Server::start(script(vec![
        anon_login(),
        // The remote part was written after the local file last changed.
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("213 1"),
            e("MDTM f"),
            s("213 20990101000000"),
        ],
        data_upload("APPE", "f"),
        vec![e("SIZE f"), s("213 7")],
        quit(),
    ]));
    let dir = dir_with(&[("f", b"abc")]);
    let r = run_in(dir.path(), "ftp-put", &["-c", "f", &srv.url("")], &[]);
    assert_code(&r, 9);
    assert!(r.stderr.contains("has 7 bytes of f, not 3"), "{}", r.stderr);
    srv.finish();
}

/// A remote file as long as the local one is complete when it was written after the local file last
/// changed; one older than the local file (changed since, same size) is uploaded whole, not kept.
#[test]
fn resume_of_a_complete_file_sends_nothing_a_stale_one_goes_whole_and_a_larger_one_is_refused() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE f"),
            s("213 3"),
            e("MDTM f"),
            s("213 20990101000000"),
            e("SIZE f"),
            s("213 3"),
        ],
        vec![e("SIZE g"), s("213 99")],
        vec![
            e("SIZE h"),
            s("213 3"),
            e("MDTM h"),
            s("213 20000101000000"),
        ],
        data_upload("STOR", "h"),
        vec![e("SIZE h"), s("213 3")],
        quit(),
    ]));
    let dir = dir_with(&[("f", b"abc"), ("g", b"abc"), ("h", b"new")]);
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["-c", "--json", "f", "g", "h", &srv.url("")],
        &[],
    );
    assert_code(&r, 10);
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["files"][0]["status"], "ok");
    assert_eq!(v["files"][0]["bytes"], 0);
    assert_eq!(v["files"][1]["status"], "failed");
    assert_eq!(v["files"][1]["error"]["exit_code"], 6);
    assert_eq!(v["files"][2]["status"], "ok");
    assert_eq!(v["files"][2]["bytes"], 3);
    assert_eq!(srv.data_received(), b"new");
    srv.finish();
}

#[test]
fn atomic_stores_a_temporary_name_then_renames_and_chmods_it() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("EPSV"),
            Epsv,
            ExpectPrefix("STOR www/.site.tgz.ferry-".into()),
            s("150 Ok to send data."),
            DataRecv,
            s("226 Transfer complete."),
            ExpectPrefix("SITE CHMOD 644 www/.site.tgz.ferry-".into()),
            s("200 SITE CHMOD command ok."),
            ExpectPrefix("RNFR www/.site.tgz.ferry-".into()),
            s("350 Ready for RNTO."),
            e("RNTO www/site.tgz"),
            s("250 Rename successful."),
        ],
        quit(),
    ]));
    let dir = dir_with(&[("site.tgz", b"tarball")]);
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["--atomic", "--chmod", "644", "site.tgz", &srv.url("www/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), b"tarball");
    let seen = srv.finish();
    let tmp = seen[seen.iter().position(|l| l.starts_with("STOR")).unwrap()]
        .strip_prefix("STOR ")
        .unwrap()
        .to_string();
    assert!(tmp.ends_with(".tmp"), "{tmp}");
    assert!(seen.contains(&format!("RNFR {tmp}")), "{seen:?}");
}

#[test]
fn refused_rename_is_exit_6_naming_the_kept_temporary_file() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("EPSV"),
            Epsv,
            ExpectPrefix("STOR .f.ferry-".into()),
            s("150 ok"),
            DataRecv,
            s("226 ok"),
            ExpectPrefix("RNFR .f.ferry-".into()),
            s("350 ok"),
            e("RNTO f"),
            s("553 Rename failed: file exists."),
        ],
        quit(),
    ]));
    let dir = dir_with(&[("f", b"new")]);
    let r = run_in(dir.path(), "ftp-put", &["--atomic", "f", &srv.url("")], &[]);
    assert_code(&r, 6);
    let seen = srv.finish();
    let tmp = seen
        .iter()
        .find_map(|l| l.strip_prefix("STOR "))
        .unwrap()
        .to_string();
    assert!(
        r.stderr.contains(&format!("the upload is kept as {tmp}")),
        "{}",
        r.stderr
    );
    assert!(
        !seen.iter().any(|l| l.starts_with("DELE")),
        "nothing is deleted: {seen:?}"
    );
}

#[test]
fn mkdirs_checks_only_the_last_existing_level() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("MKD a"),
            s("550 Create directory operation failed."),
            e("MKD a/b"),
            s("550 Create directory operation failed."),
            e("EPSV"),
            Epsv,
            e("LIST a"),
            s("150 Here comes the directory listing."),
            DataSend(b"drwxr-xr-x    2 0        0            4096 Jan 01  2024 b\r\n".to_vec()),
            s("226 Directory send OK."),
        ],
        upload("STOR", "a/b/f"),
        quit(),
    ]));
    let dir = dir_with(&[("f", b"x")]);
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["--mkdirs", "f", &srv.url("a/b/")],
        &[],
    );
    assert_code(&r, 0);
    srv.finish();
}

#[test]
fn mkdirs_creates_a_missing_last_level_below_existing_ones() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            // vsftpd does not say why: a level that exists and one in the way look alike. Only the
            // last level is checked (a directory there means its parents are directories).
            e("MKD a"),
            s("550 Create directory operation failed."),
            e("MKD a/b"),
            s("257 \"/a/b\" created"),
        ],
        upload("STOR", "a/b/f"),
        quit(),
    ]));
    let dir = dir_with(&[("f", b"x")]);
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["--mkdirs", "f", &srv.url("a/b/")],
        &[],
    );
    assert_code(&r, 0);
    srv.finish();
}

#[test]
fn mkdirs_refused_for_a_file_in_the_way_is_exit_6() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("MKD a"),
            s("550 Create directory operation failed."),
            e("EPSV"),
            Epsv,
            e("LIST"),
            s("150 Here comes the directory listing."),
            DataSend(b"-rw-r--r--    1 0        0               1 Jan 01  2024 a\r\n".to_vec()),
            s("226 Directory send OK."),
        ],
        quit(),
    ]));
    let dir = dir_with(&[("f", b"x")]);
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["--mkdirs", "f", &srv.url("a/")],
        &[],
    );
    assert_code(&r, 6);
    srv.finish();
}

#[test]
fn delete_after_removes_the_local_file_only_after_226() {
    let srv = Server::start(script(vec![
        anon_login(),
        upload("STOR", "done"),
        vec![
            e("EPSV"),
            Epsv,
            e("STOR cut"),
            s("150 ok"),
            DataRecv,
            s("451 Failure writing to local file."),
        ],
        quit(),
    ]));
    let dir = dir_with(&[("done", b"1"), ("cut", b"2")]);
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["--delete-after", "done", "cut", &srv.url("")],
        &[],
    );
    assert_code(&r, 10);
    assert_eq!(names_in(dir.path()), vec!["cut"]);
    srv.finish();
}

#[test]
fn server_giving_up_mid_upload_is_its_refusal_and_keeps_the_file() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("EPSV"),
            Epsv,
            e("STOR big"),
            s("150 ok"),
            DataRecvSome(1000),
            s("552 Requested file action aborted: exceeded storage allocation."),
        ],
        quit(),
    ]));
    let dir = dir_with(&[("big", &vec![7u8; 32 << 20])]);
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["--delete-after", "big", &srv.url("")],
        &[],
    );
    assert_code(&r, 6);
    assert!(r.stderr.contains("552"), "{}", r.stderr);
    assert_eq!(names_in(dir.path()), vec!["big"]);
    srv.finish();
}

#[test]
fn stor_refused_is_exit_6_and_busy_is_exit_7() {
    for (reply, code) in [("553 Could not create file.", 6), ("450 Busy.", 7)] {
        let srv = Server::start(script(vec![
            anon_login(),
            vec![
                e("TYPE I"),
                s("200 ok"),
                e("EPSV"),
                Epsv,
                e("STOR f"),
                s(reply),
            ],
            quit(),
        ]));
        let dir = dir_with(&[("f", b"x")]);
        let r = run_in(dir.path(), "ftp-put", &["f", &srv.url("")], &[]);
        assert_code(&r, code);
        srv.finish();
    }
}

/// A listing command answered with nothing (vsftpd's answer for a missing directory too).
fn empty(cmd: &str) -> Vec<Step> {
    vec![
        e("EPSV"),
        Epsv,
        e(cmd),
        s("150 Here comes the directory listing."),
        DataSend(Vec::new()),
        s("226 Directory send OK."),
    ]
}

/// A mirror whose target cannot be made because its parent is missing says what fixes it.
#[test]
fn recursive_upload_into_a_missing_parent_hints_at_mkdirs() {
    let srv = Server::start(script(vec![
        anon_login(),
        empty("LIST -a no/tree"),
        empty("LIST no"),
        vec![
            e("MKD no/tree"),
            s("550 Create directory operation failed."),
        ],
        // Made meanwhile by someone else? Listed again.
        empty("LIST no"),
        quit(),
    ]));
    let dir = dir_with(&[("tree/a", b"A")]);
    let r = run_in(dir.path(), "ftp-put", &["-R", "tree", &srv.url("no/")], &[]);
    assert_code(&r, 6);
    assert_eq!(
        r.stderr,
        "ftp-put: error: MKD no/tree: 550 Create directory operation failed.; hint: if the remote \
         directory does not exist, --mkdirs creates it\n"
    );
    srv.finish();
}

/// A mirror's STOR refused in a directory it listed is the server's permissions: no `--mkdirs` hint.
#[test]
fn recursive_upload_refused_in_a_listed_directory_gives_no_mkdirs_hint() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("EPSV"),
            Epsv,
            e("LIST -a w/tree"),
            s("150 Here comes the directory listing."),
            DataSend(b"-rw-r--r--    1 0        0               1 Jan 01  2024 x\r\n".to_vec()),
            s("226 Directory send OK."),
        ],
        vec![
            e("TYPE I"),
            s("200 Switching to Binary mode."),
            e("EPSV"),
            Epsv,
            e("STOR w/tree/a"),
            s("553 Could not create file."),
        ],
        quit(),
    ]));
    let dir = dir_with(&[("tree/a", b"A")]);
    let r = run_in(dir.path(), "ftp-put", &["-R", "tree", &srv.url("w/")], &[]);
    assert_code(&r, 6);
    assert_eq!(
        r.stderr,
        "ftp-put: error: tree/a: STOR w/tree/a: 553 Could not create file.\n"
    );
    srv.finish();
}

/// `--mkdirs` with trees alone: a target the walk finds there needs no MKD (nor the listing that checks
/// a refused one), so an unchanged tree's nightly run costs no more with the flag than without it.
#[test]
fn recursive_mkdirs_makes_nothing_when_the_target_is_there() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("EPSV"),
            Epsv,
            e("LIST -a w/tree"),
            s("150 Here comes the directory listing."),
            DataSend(b"-rw-r--r--    1 0        0               1 Jan 01  2024 a\r\n".to_vec()),
            s("226 Directory send OK."),
        ],
        quit(),
    ]));
    let dir = dir_with(&[("tree/a", b"A")]);
    let past = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    std::fs::File::options()
        .write(true)
        .open(dir.path().join("tree/a"))
        .and_then(|f| f.set_modified(past))
        .expect("set mtime");
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["-R", "--mkdirs", "tree", &srv.url("w/")],
        &[],
    );
    assert_code(&r, 0);
    srv.finish();
}

/// `--mkdirs` with trees alone: a target the walk does not find is made with its missing parents.
#[test]
fn recursive_mkdirs_makes_a_missing_target_and_its_parents() {
    let srv = Server::start(script(vec![
        anon_login(),
        empty("LIST -a no/w/tree"),
        empty("LIST no/w"),
        vec![
            e("MKD no"),
            s("257 \"/no\" created"),
            e("MKD no/w"),
            s("257 \"/no/w\" created"),
            e("MKD no/w/tree"),
            s("257 \"/no/w/tree\" created"),
            e("SITE CHMOD 755 no/w/tree"),
            s("200 SITE CHMOD command ok."),
        ],
        upload("STOR", "no/w/tree/a"),
        vec![
            e("SITE CHMOD 644 no/w/tree/a"),
            s("200 SITE CHMOD command ok."),
        ],
        quit(),
    ]));
    let dir = dir_with(&[("tree/a", b"A")]);
    for (name, mode) in [("tree", 0o755), ("tree/a", 0o644)] {
        let perms = std::os::unix::fs::PermissionsExt::from_mode(mode);
        std::fs::set_permissions(dir.path().join(name), perms).expect("chmod");
    }
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["-R", "--mkdirs", "tree", &srv.url("no/w/")],
        &[],
    );
    assert_code(&r, 0);
    srv.finish();
}

/// The plan of a mirror whose target's parent is missing would not hold: `--dry-run` says so, as the
/// real run would.
#[test]
fn recursive_dry_run_into_a_missing_parent_says_so() {
    // The target is empty (missing, as vsftpd lists it), so is its parent, which the login directory
    // does not hold.
    let missing = || {
        Server::start(script(vec![
            anon_login(),
            empty("LIST -a no/tree"),
            empty("LIST no"),
            empty("LIST"),
            quit(),
        ]))
    };
    let srv = missing();
    let dir = dir_with(&[("tree/a", b"A")]);
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["-R", "--dry-run", "tree", &srv.url("no/")],
        &[],
    );
    // The real run's exit status (recursive_upload_into_a_missing_parent_hints_at_mkdirs).
    assert_code(&r, 6);
    assert!(
        r.stderr.starts_with(
            "ftp-put: error: no: no such directory to make no/tree in; hint: if the remote \
             directory does not exist, --mkdirs creates it"
        ),
        "{}",
        r.stderr
    );
    srv.finish();
    // With --json the failure is in the document beside the plan.
    let srv = missing();
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["-R", "--dry-run", "--json", "tree", &srv.url("no/")],
        &[],
    );
    assert_code(&r, 6);
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["failed"][0]["status"], "failed", "{v}");
    assert!(
        v["failed"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no such directory to make no/tree in"),
        "{v}"
    );
    srv.finish();
    // With --mkdirs the plan holds, and a dry run makes no directory for it (no MKD).
    let srv = Server::start(script(vec![
        anon_login(),
        empty("LIST -a no/tree"),
        empty("LIST no"),
        quit(),
    ]));
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["-R", "--dry-run", "--mkdirs", "tree", &srv.url("no/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(
        r.stdout_str(),
        "mkdir    . (new directory)\ntransfer a (new)\n"
    );
    srv.finish();
}

#[test]
fn recursive_upload_creates_directories_and_skips_symlinks() {
    let srv = Server::start(script(vec![
        anon_login(),
        // The target is listed first (empty: vsftpd's answer for a missing directory), then probed.
        empty("LIST -a up/tree"),
        empty("LIST up"),
        // Each directory made gets its local mode, as does each upload (the empty listing showed none).
        vec![
            e("MKD up/tree"),
            s("257 created"),
            e("SITE CHMOD 755 up/tree"),
            s("200 SITE CHMOD command ok."),
            e("MKD up/tree/sub"),
            s("257 created"),
            e("SITE CHMOD 700 up/tree/sub"),
            s("200 SITE CHMOD command ok."),
        ],
        upload("STOR", "up/tree/a"),
        vec![
            e("SITE CHMOD 644 up/tree/a"),
            s("200 SITE CHMOD command ok."),
        ],
        same_type(upload("STOR", "up/tree/sub/b")),
        vec![
            e("SITE CHMOD 750 up/tree/sub/b"),
            s("200 SITE CHMOD command ok."),
        ],
        quit(),
    ]));
    let dir = dir_with(&[("tree/a", b"A"), ("tree/sub/b", b"BB")]);
    chmod(&dir.path().join("tree/a"), 0o644);
    chmod(&dir.path().join("tree/sub/b"), 0o750);
    chmod(&dir.path().join("tree"), 0o755);
    // A private directory stays private; one without rights for its owner gets them.
    chmod(&dir.path().join("tree/sub"), 0o500);
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("tree/link")).unwrap();
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["-R", "--json", "tree", &srv.url("up/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), b"ABB");
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let files = v["files"].as_array().unwrap();
    let statuses: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("tree/a", "ok"),
            ("tree/link", "skipped"),
            ("tree/sub/b", "ok")
        ]
    );
    srv.finish();
}

#[test]
fn a_directory_without_r_is_a_failure_beside_the_files_that_worked() {
    let srv = Server::start(script(vec![anon_login(), upload("STOR", "f"), quit()]));
    let dir = dir_with(&[("f", b"1"), ("d/x", b"2")]);
    let r = run_in(dir.path(), "ftp-put", &["f", "d", &srv.url("")], &[]);
    assert_code(&r, 10);
    assert!(r.stderr.contains("is a directory (use -R)"), "{}", r.stderr);
    srv.finish();
}

#[test]
fn parallel_sessions_share_the_queue_and_report_in_order() {
    // Session 0 (the planning one) takes job 0 and holds its 226 until session 1 has taken job 1.
    let srv = Server::start_sessions(vec![
        script(vec![
            anon_login(),
            vec![
                e("TYPE I"),
                s("200 ok"),
                e("EPSV"),
                Epsv,
                e("STOR x"),
                s("150 ok"),
                DataRecv,
                Sleep(Duration::from_millis(1500)),
                s("226 ok"),
            ],
            quit(),
        ]),
        late(script(vec![anon_login(), upload("STOR", "y"), quit()])),
    ]);
    let dir = dir_with(&[("x", b"1"), ("y", b"22")]);
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["--parallel", "2", "--json", "x", "y", &srv.url("")],
        &[],
    );
    assert_code(&r, 0);
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["files"][0]["path"], "x");
    assert_eq!(v["files"][1]["path"], "y");
    assert_eq!(v["files"][1]["bytes"], 2);
    let seen = srv.finish();
    assert_eq!(seen.iter().filter(|l| *l == "USER anonymous").count(), 2);
}

#[test]
fn usage_errors_before_any_connection() {
    let dir = dir_with(&[("a", b"1"), ("b", b"2")]);
    for args in [
        vec!["a", "b", "ftp://127.0.0.1:9/file"],
        vec!["-", "ftp://127.0.0.1:9/dir/"],
        vec!["-", "a", "ftp://127.0.0.1:9/dir/"],
        vec!["-c", "-", "ftp://127.0.0.1:9/f"],
        vec!["--chmod", "rwx", "a", "ftp://127.0.0.1:9/f"],
        vec!["--chmod", "98", "a", "ftp://127.0.0.1:9/f"],
        vec!["--append", "-c", "a", "ftp://127.0.0.1:9/f"],
        vec!["--atomic", "--append", "a", "ftp://127.0.0.1:9/f"],
        vec!["--parallel", "0", "a", "ftp://127.0.0.1:9/f"],
        vec!["a", "ftp://127.0.0.1:9/a%0d%0aDELE%20b"],
        vec!["ftp://127.0.0.1:9/only-a-url"],
    ] {
        let r = run_in(dir.path(), "ftp-put", &args, &[]);
        assert_code(&r, 2);
    }
}

#[test]
fn missing_local_file_is_exit_8() {
    let srv = Server::start(script(vec![anon_login(), quit()]));
    let (r, _d) = run("ftp-put", &["no-such-file", &srv.url("")]);
    assert_code(&r, 8);
    srv.finish();
}

#[test]
fn mkdirs_asks_mlst_when_the_server_has_it() {
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
            e("MKD d"),
            s("550 d: File exists"),
            e("MLST d"),
            s("250-Listing d"),
            s(" type=dir;perm=flcdmpe; /home/anon/d"),
            s("250 End"),
        ],
        upload("STOR", "d/f"),
        quit(),
    ]));
    let dir = dir_with(&[("f", b"x")]);
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["--mkdirs", "f", &srv.url("d/")],
        &[],
    );
    assert_code(&r, 0);
    srv.finish();
}
