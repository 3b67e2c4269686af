//! ftp-rm against the scripted server: one file, a glob, a tree (files first, then directories
//! bottom-up), a missing file, the login-root refusal, --dry-run and --json.

use std::path::Path;

use crate::support::*;

fn rm(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    run_program(
        Path::new(env!("CARGO_BIN_EXE_ftp-rm")),
        dir.path(),
        args,
        &[],
        None,
    )
}

fn listing(cmd: &str, body: &str) -> Vec<Step> {
    vec![
        e("EPSV"),
        Epsv,
        e(cmd),
        s("150 Here comes the directory listing."),
        DataSend(body.as_bytes().to_vec()),
        s("226 Directory send OK."),
    ]
}

/// A listing body's lines (for a STAT reply).
fn lines(body: &str) -> Vec<&str> {
    body.lines().collect()
}

fn file(name: &str) -> String {
    format!("-rw-r--r--    1 1000     1000           12 Mar 05  2021 {name}\r\n")
}

fn dir(name: &str) -> String {
    format!("drwxr-xr-x    2 1000     1000         4096 Mar 05  2021 {name}\r\n")
}

fn link(name: &str, to: &str) -> String {
    format!("lrwxrwxrwx    1 1000     1000            3 Mar 05  2021 {name} -> {to}\r\n")
}

fn ok(cmd: &str) -> Vec<Step> {
    let reply = if cmd.starts_with("RMD") {
        "250 Remove directory operation successful."
    } else {
        "250 Delete operation successful."
    };
    vec![e(cmd), s(reply)]
}

#[test]
fn one_file() {
    let srv = Server::start(script(vec![anon_login(), ok("DELE pub/a b.txt"), quit()]));
    let r = rm(&[&srv.url("pub/a%20b.txt")]);
    assert_code(&r, 0);
    assert_eq!(r.stderr, "");
    assert_eq!(r.stdout_str(), "");
    srv.finish();
}

#[test]
fn a_missing_file_is_exit_6() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![e("DELE gone"), s("550 Delete operation failed.")],
        // Not a directory either (see a_directory_without_r_stays_and_says_use_r).
        listing("LIST", &file("f")),
        quit(),
    ]));
    let r = rm(&[&srv.url("gone")]);
    assert_code(&r, 6);
    assert_eq!(
        r.stderr,
        "ftp-rm: error: DELE gone: 550 Delete operation failed.\n"
    );
    srv.finish();
}

#[test]
fn a_glob_removes_matching_files_and_leaves_directories_without_r() {
    let body = [
        file("a.log"),
        file("b.txt"),
        file(".hidden.log"),
        dir("old.log"),
        file("c.log"),
        file("x\x1b[2J.log"),
    ]
    .concat();
    let srv = Server::start(script(vec![
        anon_login(),
        listing("LIST logs", &body),
        ok("DELE logs/a.log"),
        ok("DELE logs/c.log"),
        quit(),
    ]));
    let r = rm(&[&srv.url("logs/*.log")]);
    assert_code(&r, 10);
    assert_eq!(
        r.stderr,
        "ftp-rm: error: not removing directory logs/old.log (use -r)\n\
         ftp-rm: error: not removing logs/x\\x1b[2J.log: contains control characters\n\
         ftp-rm: 2 of 4 entries failed\n"
    );
    srv.finish();
}

#[test]
fn a_tree_goes_files_first_then_directories_bottom_up() {
    // The mirrors' walk: `LIST -a` of the top, then (vsftpd echoing REST, its STAT listing the same
    // entries) the directories below by STAT on the control connection.
    let top = [dir("sub"), file("z"), link("ln", "/etc"), file("a")].concat();
    let sub = [dir("deeper"), file("f")].concat();
    let x = file("x");
    let srv = Server::start(script(vec![
        anon_login(),
        listing("LIST -a top", &top),
        rest_echo(),
        stat_listing("top", &lines(&top)),
        stat_listing("top/sub", &lines(&sub)),
        stat_listing("top/sub/deeper", &lines(&x)),
        ok("DELE top/a"),
        ok("DELE top/ln"),
        ok("DELE top/z"),
        ok("DELE top/sub/f"),
        ok("DELE top/sub/deeper/x"),
        ok("RMD top/sub/deeper"),
        ok("RMD top/sub"),
        ok("RMD top"),
        quit(),
    ]));
    let r = rm(&["-r", &srv.url("top/")]);
    assert_code(&r, 0);
    assert_eq!(r.stderr, "");
    srv.finish();
}

#[test]
fn r_on_a_name_tries_dele_then_removes_the_directory() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![e("DELE d"), s("550 Delete operation failed.")],
        listing("LIST", &[file("f"), dir("d")].concat()),
        listing("LIST -a d", &file("inner")),
        ok("DELE d/inner"),
        ok("RMD d"),
        quit(),
    ]));
    let r = rm(&["-r", &srv.url("d")]);
    assert_code(&r, 0);
    srv.finish();
}

/// Without -r a directory stays, and the error says so (not the server's "550 Delete operation
/// failed."); a missing file keeps the server's answer.
#[test]
fn a_directory_without_r_stays_and_says_use_r() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![e("DELE d"), s("550 Delete operation failed.")],
        listing("LIST", &[file("f"), dir("d")].concat()),
        vec![e("DELE gone"), s("550 Delete operation failed.")],
        listing("LIST", &[file("f"), dir("d")].concat()),
        quit(),
    ]));
    let r = rm(&[&srv.url("d"), &srv.url("gone")]);
    assert_code(&r, 6);
    assert_eq!(
        r.stderr,
        "ftp-rm: error: not removing directory d (use -r)\n\
         ftp-rm: error: DELE gone: 550 Delete operation failed.\n\
         ftp-rm: error: all 2 entries failed\n"
    );
    srv.finish();
}

#[test]
fn a_directory_with_a_failed_entry_stays() {
    let srv = Server::start(script(vec![
        anon_login(),
        listing("LIST -a t", &[file("a"), file("b")].concat()),
        vec![e("DELE t/a"), s("550 Permission denied.")],
        ok("DELE t/b"),
        quit(),
    ]));
    let r = rm(&["-r", "--json", &srv.url("t/")]);
    assert_code(&r, 10);
    let u = srv.url("t");
    let got: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let want = serde_json::json!({"dry_run": false, "entries": [
        {"url": format!("{u}/a"), "type": "file", "status": "failed",
         "error": {"exit_code": 6, "message": "DELE t/a: 550 Permission denied."}},
        {"url": format!("{u}/b"), "type": "file", "status": "ok", "error": null},
        {"url": u, "type": "dir", "status": "skipped", "error": {"exit_code": 10,
         "message": format!("not removing {u}: something inside it could not be removed")}},
    ]});
    assert_eq!(got, want);
    assert_eq!(r.stderr, "");
    srv.finish();
}

/// What the walk cannot read or name safely stays, and so does every directory above it; the rest of
/// the tree goes (as `rm -r` removes what it can), and the run is exit 10.
#[test]
fn a_tree_loses_all_but_what_could_not_be_read_or_named() {
    let srv = Server::start(script(vec![
        anon_login(),
        listing(
            "LIST -a t",
            &[dir("bad"), dir("locked"), dir("ok"), file("f")].concat(),
        ),
        rest_without_echo(),
        listing("LIST -a t/bad", &[file("x\x1b[2J"), file("y")].concat()),
        vec![
            e("EPSV"),
            Epsv,
            e("LIST -a t/locked"),
            s("550 Permission denied."),
            // A refused `LIST -a` is asked again without the option.
            e("EPSV"),
            Epsv,
            e("LIST t/locked"),
            s("550 Permission denied."),
        ],
        listing("LIST -a t/ok", &file("z")),
        ok("DELE t/f"),
        ok("DELE t/bad/y"),
        ok("DELE t/ok/z"),
        ok("RMD t/ok"),
        quit(),
    ]));
    let r = rm(&["-r", &srv.url("t/")]);
    assert_code(&r, 10);
    let u = srv.url("t");
    assert_eq!(
        r.stderr,
        format!(
            "ftp-rm: error: skipping unsafe remote name bad/x\\x1b[2J: contains control characters\n\
             ftp-rm: error: locked: LIST t/locked: 550 Permission denied.\n\
             ftp-rm: error: not removing {u}/bad: something inside it could not be removed\n\
             ftp-rm: error: not removing {u}: something inside it could not be removed\n\
             ftp-rm: 4 of 8 entries failed\n"
        )
    );
    srv.finish();
}

/// vsftpd answers `LIST path` of a file with that file's line: a file named as a directory (`dd/ff/`)
/// is no directory holding a file `ff` (SIZE tells them apart), and nothing is removed.
#[test]
fn a_file_named_as_a_directory_is_not_a_tree() {
    let srv = Server::start(script(vec![
        anon_login(),
        listing("LIST -a dd/ff", &file("ff")),
        vec![e("SIZE dd/ff"), s("213 12")],
        quit(),
    ]));
    let r = rm(&["-r", &srv.url("dd/ff/")]);
    assert_code(&r, 6);
    assert_eq!(r.stderr, "ftp-rm: error: dd/ff: a file, not a directory\n");
    srv.finish();
    // A directory that holds one file of its own name is one.
    let srv = Server::start(script(vec![
        anon_login(),
        listing("LIST -a logs", &file("logs")),
        vec![e("SIZE logs"), s("550 Could not get file size.")],
        ok("DELE logs/logs"),
        ok("RMD logs"),
        quit(),
    ]));
    let r = rm(&["-r", &srv.url("logs/")]);
    assert_code(&r, 0);
    srv.finish();
}

/// A tree's files go pipelined: a DELE refused for now (4xx) is asked again on its own, and when the
/// connection breaks mid-batch the unanswered files go from a new session; none is reported removed
/// that was not, none failed that was removed.
#[test]
fn a_trees_deletes_are_pipelined_and_survive_a_broken_session() {
    let srv = Server::start_sessions(vec![
        script(vec![
            anon_login(),
            listing(
                "LIST -a t",
                &[file("a"), file("b"), file("c"), file("d")].concat(),
            ),
            ok("DELE t/a"),
            vec![e("DELE t/b"), s("450 busy, try later")],
            // The connection breaks here: c and d are unanswered.
            vec![e("DELE t/c")],
        ]),
        script(vec![
            anon_login(),
            ok("DELE t/b"),
            ok("DELE t/c"),
            ok("DELE t/d"),
            ok("RMD t"),
            quit(),
        ]),
    ]);
    let r = rm(&["-r", "--retries", "2", "--json", &srv.url("t/")]);
    assert_code(&r, 0);
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 5, "{v}");
    assert!(entries.iter().all(|e| e["status"] == "ok"), "{v}");
    srv.finish();
}

/// A DELE the broken session never answered may still have been carried out: sent again, its 550
/// means "already gone" when the directory no longer lists the file, and stays a failure when it does.
#[test]
fn a_resent_deletes_550_counts_as_removed_only_for_a_file_no_longer_listed() {
    let srv = Server::start_sessions(vec![
        script(vec![
            anon_login(),
            listing("LIST -a t", &[file("a"), file("b"), file("c")].concat()),
            ok("DELE t/a"),
            // The connection breaks here: b and c are unanswered (the server removed b).
            vec![e("DELE t/b")],
        ]),
        script(vec![
            anon_login(),
            vec![e("DELE t/b"), s("550 Delete operation failed.")],
            vec![e("DELE t/c"), s("550 Permission denied.")],
            listing("LIST t", &file("c")),
            listing("LIST t", &file("c")),
            quit(),
        ]),
    ]);
    let r = rm(&["-r", "--json", &srv.url("t/")]);
    assert_code(&r, 10);
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let status = |path: &str| {
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["url"].as_str().unwrap().ends_with(path))
            .map(|e| e["status"].clone())
    };
    assert_eq!(status("/t/a"), Some("ok".into()), "{v}");
    assert_eq!(status("/t/b"), Some("ok".into()), "{v}");
    assert_eq!(status("/t/c"), Some("failed".into()), "{v}");
    assert_eq!(status("/t"), Some("skipped".into()), "{v}");
    srv.finish();
}

#[test]
fn the_login_root_is_refused_without_force() {
    for url in [
        "ftp://127.0.0.1:9/",
        "ftp://127.0.0.1:9/%2F",
        "ftp://127.0.0.1:9",
    ] {
        let r = rm(&["-r", url]);
        assert_code(&r, 2);
        assert!(
            r.stderr.contains("add --force if you mean it"),
            "{}",
            r.stderr
        );
    }
    // With --force the login directory is emptied, never removed itself.
    let srv = Server::start(script(vec![
        anon_login(),
        listing("LIST -a", &[file("a"), dir("d")].concat()),
        rest_without_echo(),
        listing("LIST -a d", ""),
        ok("DELE a"),
        ok("RMD d"),
        quit(),
    ]));
    let r = rm(&["-r", "--force", &srv.url("")]);
    assert_code(&r, 0);
    srv.finish();
}

#[test]
fn dry_run_sends_no_dele_or_rmd() {
    let srv = Server::start(script(vec![
        anon_login(),
        listing("LIST", &[file("one"), dir("t")].concat()),
        listing("LIST -a t", &[file("x"), link("l", "x")].concat()),
        listing("LIST", &[file("one"), dir("t")].concat()),
        quit(),
    ]));
    let r = rm(&["-r", "--dry-run", &srv.url("t"), &srv.url("one")]);
    assert_code(&r, 0);
    let u = srv.url("");
    assert_eq!(
        r.stdout_str(),
        format!(
            "would remove file {u}t/l\nwould remove file {u}t/x\nwould remove directory {u}t\n\
             would remove file {u}one\n"
        )
    );
    assert_eq!(r.stderr, "");
    let seen = srv.finish();
    assert!(
        !seen
            .iter()
            .any(|l| l.starts_with("DELE") || l.starts_with("RMD")),
        "{seen:?}"
    );
}

#[test]
fn json_for_a_glob() {
    let srv = Server::start(script(vec![
        anon_login(),
        listing("LIST d", &[file("k.csv"), file("m.csv")].concat()),
        ok("DELE d/k.csv"),
        vec![e("DELE d/m.csv"), s("450 busy")],
        quit(),
    ]));
    let r = rm(&["--json", &srv.url("d/*.csv")]);
    assert_code(&r, 10);
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["dry_run"], false);
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["url"], srv.url("d/k.csv"));
    assert_eq!(entries[0]["status"], "ok");
    assert_eq!(entries[1]["status"], "failed");
    assert_eq!(entries[1]["error"]["exit_code"], 7);
    srv.finish();
}

#[test]
fn a_name_the_server_did_not_send_as_utf8_is_never_sent_back() {
    // Hostile-server pass: listed names are made UTF-8 lossily, so `bad\xffname` became
    // `bad\u{fffd}name` and `ftp-rm 'pub/*'` sent DELE for that other name, which may be another file.
    let mut body =
        b"-rw-r--r--    1 1000     1000           12 Mar 05  2021 bad\xffname\r\n".to_vec();
    body.extend_from_slice(file("ok.log").as_bytes());
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("EPSV"),
            Epsv,
            e("LIST pub"),
            s("150 Here comes the directory listing."),
            DataSend(body),
            s("226 Directory send OK."),
        ],
        ok("DELE pub/ok.log"),
        quit(),
    ]));
    let r = rm(&[&srv.url("pub/*")]);
    assert_code(&r, 10);
    assert!(
        r.stderr.starts_with("ftp-rm: error: not removing pub/bad"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("not valid UTF-8"), "{}", r.stderr);
    srv.finish();
}

/// A symlink the server lists as a directory (MLSD `type=dir` whose `unique` fact is an ancestor's) is
/// removed as the link it is, never walked (the walk went 64 levels down the loop).
#[test]
fn a_loop_listed_as_a_directory_is_removed_as_a_link() {
    let srv = Server::start(script(vec![
        vec![
            s("220 hi"),
            e("USER anonymous"),
            s("331 pw"),
            e("PASS ferry@"),
            s("230 ok"),
            e("FEAT"),
            s("211-Features:"),
            s(" MLST type*;size*;modify*;unique*;"),
            s("211 End"),
        ],
        listing(
            "MLSD top",
            "type=cdir;unique=T; .\r\ntype=dir;unique=A; a\r\n",
        ),
        listing(
            "MLSD top/a",
            "type=cdir;unique=A; .\r\ntype=dir;unique=T; up\r\ntype=file;size=1;unique=F; f\r\n",
        ),
        ok("DELE top/a/f"),
        ok("DELE top/a/up"),
        ok("RMD top/a"),
        ok("RMD top"),
        quit(),
    ]));
    let r = rm(&["-r", &srv.url("top/")]);
    assert_code(&r, 0);
    srv.finish();
}
