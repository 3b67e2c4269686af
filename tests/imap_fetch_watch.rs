//! imap-fetch beyond one pass over one mailbox (issue 17): `--idle` (EXISTS, EXPUNGE, BYE mid-IDLE,
//! re-IDLE, reconnect after a drop, SIGTERM), `--mailbox PATTERN` (several folders, their states), and
//! several messages to stdout as mboxrd.

use std::time::Duration;

use crate::support::*;

const CAPS: &str = "IMAP4rev1 UIDPLUS MOVE LITERAL+ IDLE";

fn login(caps: &str) -> Vec<Step> {
    vec![
        s(&format!("* OK [CAPABILITY {caps}] scripted ready")),
        e("A0001 LOGIN \"ann\" \"pw\""),
        s(&format!("A0001 OK [CAPABILITY {caps}] Logged in")),
    ]
}

fn examine(tag: &str, mailbox: &str, exists: u32, uidvalidity: u32) -> Vec<Step> {
    vec![
        e(&format!("{tag} EXAMINE \"{mailbox}\"")),
        s(&format!("* {exists} EXISTS")),
        s(&format!("* OK [UIDVALIDITY {uidvalidity}] UIDs valid")),
        s(&format!("{tag} OK [READ-ONLY] done")),
    ]
}

fn search(tag: &str, criteria: &str, result: &str) -> Vec<Step> {
    vec![
        e(&format!("{tag} UID SEARCH {criteria}")),
        s(&format!("* SEARCH {result}")),
        s(&format!("{tag} OK Search completed")),
    ]
}

fn fetch_one(tag: &str, seq: u32, uid: u32, body: &str) -> Vec<Step> {
    vec![
        e(&format!("{tag} UID FETCH {uid} (UID BODY.PEEK[])")),
        Raw(format!(
            "* {seq} FETCH (UID {uid} BODY[] {{{}}}\r\n{body})\r\n",
            body.len()
        )
        .into_bytes()),
        s(&format!("{tag} OK done")),
    ]
}

fn idle_start(tag: &str) -> Vec<Step> {
    vec![e(&format!("{tag} IDLE")), s("+ idling")]
}

fn idle_done(tag: &str) -> Vec<Step> {
    vec![e("DONE"), s(&format!("{tag} OK IDLE terminated"))]
}

fn url(srv: &Server, path: &str) -> String {
    format!("imap://ann:pw@{}/{path}", srv.addr)
}

/// Files in `dir` whose name starts with no dot (temporary files of a state or a Maildir).
fn tmp_files(dir: &std::path::Path) -> Vec<String> {
    names_in(&dir.join("M/tmp"))
        .into_iter()
        .chain(
            names_in(dir)
                .into_iter()
                .filter(|n| n.contains("tmp") && n != "M"),
        )
        .collect()
}

#[test]
fn idle_fetches_announced_mail_ignores_expunge_and_exits_143_on_sigterm() {
    let srv = Server::start(script(vec![
        login(CAPS),
        examine("A0002", "INBOX", 1, 7),
        search("A0003", "ALL", "1"),
        fetch_one("A0004", 1, 1, "Subject: one\r\n\r\nfirst\r\n"),
        idle_start("A0005"),
        vec![s("* 2 EXISTS")],
        idle_done("A0005"),
        search("A0006", "UID 2:* (ALL)", "2"),
        fetch_one("A0007", 2, 2, "Subject: two\r\n\r\nsecond\r\n"),
        idle_start("A0008"),
        // Neither ends the IDLE: nothing new to fetch.
        vec![s("* 1 EXPUNGE"), s("* 1 FETCH (FLAGS (\\Seen))"), Drain],
    ]));
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_in(
        dir.path(),
        "imap-fetch",
        &[
            &url(&srv, ""),
            "--idle",
            "--maildir",
            "M",
            "--new-only",
            "--state",
            "s.json",
            "--exec",
            "echo \"$FERRY_FETCHED $FERRY_MAILBOX\" >> exec.log",
        ],
        &[],
        false,
    );
    assert!(wait_until(Duration::from_secs(20), || {
        srv.seen_now().last().map(String::as_str) == Some("A0008 IDLE")
    }));
    // Give the client time to (wrongly) react to the EXPUNGE and FETCH.
    std::thread::sleep(Duration::from_millis(300));
    let (code, stderr) = signal_and_wait(&mut child, libc::SIGTERM);
    let seen = srv.finish();
    assert_eq!(code, Some(143), "{stderr}");
    assert_eq!(seen.last().map(String::as_str), Some("A0008 IDLE"));
    assert_eq!(
        maildir_messages(&dir.path().join("M")),
        vec![
            b"Subject: one\n\nfirst\n".to_vec(),
            b"Subject: two\n\nsecond\n".to_vec()
        ]
    );
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("s.json")).unwrap()).unwrap();
    assert_eq!(
        (state["uidvalidity"].as_u64(), state["last_uid"].as_u64()),
        (Some(7), Some(2))
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("exec.log")).unwrap(),
        "1 INBOX\n1 INBOX\n"
    );
    assert_eq!(tmp_files(dir.path()), Vec::<String>::new());
}

#[test]
fn idle_renews_before_the_interval_and_reconnects_after_bye_and_a_drop() {
    let srv = Server::start_sessions(vec![
        script(vec![
            login(CAPS),
            examine("A0002", "INBOX", 0, 7),
            search("A0003", "ALL", ""),
            idle_start("A0004"),
            // Silence: after --idle-interval the client renews the IDLE on its own.
            idle_done("A0004"),
            idle_start("A0005"),
            vec![s("* BYE server shutting down")],
        ]),
        // An immediate reconnect (the session was watching): the same mailbox, the same UIDVALIDITY.
        script(vec![
            login(CAPS),
            examine("A0002", "INBOX", 1, 7),
            search("A0003", "ALL", "3"),
            fetch_one("A0004", 1, 3, "Subject: three\r\n\r\nthird\r\n"),
            idle_start("A0005"),
            // The connection drops without a word.
        ]),
        script(vec![
            login(CAPS),
            examine("A0002", "INBOX", 1, 7),
            search("A0003", "UID 4:* (ALL)", ""),
            idle_start("A0004"),
            vec![Drain],
        ]),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_in(
        dir.path(),
        "imap-fetch",
        &[
            &url(&srv, ""),
            "--idle",
            "--idle-interval",
            "1",
            "--maildir",
            "M",
            "-v",
        ],
        &[],
        false,
    );
    // The third session idles once the message is stored and a search above it came back empty.
    assert!(wait_until(Duration::from_secs(30), || {
        maildir_messages(&dir.path().join("M")).len() == 1
    }));
    std::thread::sleep(Duration::from_millis(500));
    let (code, stderr) = signal_and_wait(&mut child, libc::SIGTERM);
    assert_eq!(code, Some(143), "{stderr}");
    let seen = srv.finish();
    let sessions = per_session(&seen);
    assert_eq!(sessions.len(), 3, "{seen:?}");
    assert_eq!(
        sessions[0][3..],
        ["A0004 IDLE", "DONE", "A0005 IDLE"].map(String::from)
    );
    assert_eq!(sessions[2].last().map(String::as_str), Some("A0004 IDLE"));
    assert!(
        stderr.contains("the server closed the session: server shutting down; reconnecting"),
        "{stderr}"
    );
    assert_eq!(tmp_files(dir.path()), Vec::<String>::new());
}

#[test]
fn idle_without_the_capability_polls_with_noop() {
    let caps = "IMAP4rev1 UIDPLUS";
    let srv = Server::start(script(vec![
        login(caps),
        examine("A0002", "INBOX", 0, 7),
        search("A0003", "ALL", ""),
        vec![
            e("A0004 NOOP"),
            s("A0004 OK nothing"),
            e("A0005 NOOP"),
            s("* 1 EXISTS"),
            s("A0005 OK new mail"),
        ],
        search("A0006", "ALL", "9"),
        fetch_one("A0007", 1, 9, "x\r\n"),
        vec![e("A0008 NOOP"), Drain],
    ]));
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_in(
        dir.path(),
        "imap-fetch",
        &[&url(&srv, ""), "--idle", "--interval", "1", "--dir", "out"],
        &[],
        false,
    );
    assert!(wait_until(Duration::from_secs(20), || {
        srv.seen_now().last().map(String::as_str) == Some("A0008 NOOP")
    }));
    let (code, stderr) = signal_and_wait(&mut child, libc::SIGINT);
    srv.finish();
    assert_eq!(code, Some(130), "{stderr}");
    assert_eq!(names_in(&dir.path().join("out")), ["9.eml"]);
}

#[test]
fn mailbox_patterns_fetch_each_folder_with_its_own_state() {
    let srv = Server::start(script(vec![
        login(CAPS),
        vec![
            e("A0002 LIST \"\" \"*\""),
            s("* LIST (\\HasNoChildren) \"/\" INBOX"),
            s("* LIST (\\Noselect \\HasChildren) \"/\" Work"),
            s("* LIST (\\HasNoChildren) \"/\" \"Work/Pro.jects\""),
            s("* LIST (\\HasNoChildren) \"/\" \"&AMk-t&AOk-\""),
            s("A0002 OK done"),
            e("A0003 LIST \"\" \"INBOX\""),
            s("* LIST (\\HasNoChildren) \"/\" INBOX"),
            s("A0003 OK done"),
        ],
        examine("A0004", "INBOX", 6, 7),
        search("A0005", "UID 5:* (ALL)", "6"),
        fetch_one("A0006", 1, 6, "in\r\n"),
        examine("A0007", "Work/Pro.jects", 1, 9),
        search("A0008", "ALL", "2"),
        fetch_one("A0009", 1, 2, "work\r\n"),
        vec![
            e("A0010 EXAMINE \"&AMk-t&AOk-\""),
            s("A0010 NO [NONEXISTENT] gone meanwhile"),
            Drain,
        ],
    ]));
    let dir = tempfile::tempdir().unwrap();
    // An earlier one-mailbox run left a version 1 state for INBOX: it goes on from there.
    std::fs::write(
        dir.path().join("s.json"),
        r#"{"version":1,"mailbox":"INBOX","uidvalidity":7,"last_uid":4}"#,
    )
    .unwrap();
    let r = run_in(
        dir.path(),
        "imap-fetch",
        &[
            &format!("imap://ann:pw@{}", srv.addr),
            "--mailbox",
            "*",
            "--mailbox",
            "INBOX",
            "--maildir",
            "M",
            "--new-only",
            "--state",
            "s.json",
            "--json",
        ],
        &[],
    );
    srv.finish();
    assert_code(&r, 10);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let folders: Vec<(&str, &str, usize)> = doc["mailboxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["mailbox"].as_str().unwrap(),
                m["path"].as_str().unwrap(),
                m["messages"].as_array().unwrap().len(),
            )
        })
        .collect();
    let md = dir.path().join("M");
    assert_eq!(
        folders,
        [
            ("INBOX", "M", 1),
            ("Work/Pro.jects", "M/.Work.Pro_jects", 1),
            ("Été", "M/.Été", 0)
        ]
    );
    assert_eq!(doc["mailboxes"][2]["error"]["exit_code"], 6);
    assert_eq!(doc["error"], serde_json::Value::Null);
    assert_eq!(maildir_messages(&md), [b"in\n".to_vec()]);
    assert_eq!(
        maildir_messages(&md.join(".Work.Pro_jects")),
        [b"work\n".to_vec()]
    );
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("s.json")).unwrap()).unwrap();
    let entries: Vec<(&str, u64, u64)> = state["mailboxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["mailbox"].as_str().unwrap(),
                m["uidvalidity"].as_u64().unwrap(),
                m["last_uid"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(state["version"], 2);
    assert_eq!(entries, [("INBOX", 7, 6), ("Work/Pro.jects", 9, 2)]);
}

#[test]
fn several_messages_on_stdout_are_mboxrd() {
    let srv = Server::start(script(vec![
        login(CAPS),
        examine("A0002", "INBOX", 2, 7),
        search("A0003", "ALL", "1 2"),
        vec![
            e("A0004 UID FETCH 1:2 (UID BODY.PEEK[])"),
            Raw(b"* 1 FETCH (UID 1 BODY[] {22}\r\nSubject: a\r\n\r\nFrom x\r\n)\r\n".to_vec()),
            Raw(b"* 2 FETCH (UID 2 BODY[] {3}\r\nb\r\n)\r\n".to_vec()),
            s("A0004 OK done"),
            e("A0005 LOGOUT"),
            s("* BYE bye"),
            s("A0005 OK done"),
        ],
    ]));
    let (r, _dir) = run("imap-fetch", &[&url(&srv, ""), "-q"]);
    srv.finish();
    assert_code(&r, 0);
    let out = r.stdout_str();
    let lines: Vec<&str> = out.split('\n').collect();
    assert!(lines[0].starts_with("From MAILER-DAEMON "), "{out}");
    assert!(lines[5].starts_with("From MAILER-DAEMON "), "{out}");
    assert_eq!(lines[1..5], ["Subject: a", "", ">From x", ""]);
    assert_eq!(lines[6..], ["b", "", ""]);
}

/// A watch deletes only what is durable: a delivery that fails ends the watch (as it ends a run) with
/// its error, and the message is left on the server.
#[test]
fn idle_with_delete_removes_only_what_was_delivered() {
    let srv = Server::start(script(vec![
        login(CAPS),
        vec![
            e("A0002 SELECT \"INBOX\""),
            s("* 1 EXISTS"),
            s("* OK [UIDVALIDITY 7] UIDs valid"),
            s("A0002 OK [READ-WRITE] done"),
        ],
        search("A0003", "ALL", "1"),
        fetch_one("A0004", 1, 1, "keep me\r\n"),
        vec![
            e("A0005 UID STORE 1 +FLAGS.SILENT (\\Deleted)"),
            s("A0005 OK done"),
            e("A0006 UID EXPUNGE 1"),
            s("* 1 EXPUNGE"),
            s("A0006 OK done"),
        ],
        idle_start("A0007"),
        vec![s("* 1 EXISTS")],
        idle_done("A0007"),
        search("A0008", "UID 2:* (ALL)", "2"),
        // The MDA refuses this one: no STORE, no EXPUNGE.
        fetch_one("A0009", 1, 2, "refuse me\r\n"),
        vec![Drain],
    ]));
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        dir.path(),
        "imap-fetch",
        &[
            &url(&srv, ""),
            "--idle",
            "--delete",
            "--mda",
            "cat > msg.$$; if grep -q refuse msg.$$; then exit 75; fi",
        ],
        &[],
    );
    let seen = srv.finish();
    assert_code(&r, 8);
    assert_eq!(
        seen.last().map(String::as_str),
        Some("A0009 UID FETCH 2 (UID BODY.PEEK[])")
    );
    assert!(r.stderr.contains("UID 2: the MDA"), "{}", r.stderr);
}

/// A mailbox whose name is not valid modified UTF-7 fails alone, named once in its error line.
#[test]
fn a_mailbox_name_that_is_not_modified_utf7_is_named_once_in_its_error() {
    let srv = Server::start(script(vec![
        login(CAPS),
        vec![
            e("A0002 LIST \"\" \"*\""),
            s("* LIST (\\HasNoChildren) \"/\" \"Bad&Jjo\""),
            s("A0002 OK done"),
            e("A0003 LOGOUT"),
            s("* BYE"),
            s("A0003 OK done"),
        ],
    ]));
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        dir.path(),
        "imap-fetch",
        &[
            &format!("imap://ann:pw@{}", srv.addr),
            "--mailbox",
            "*",
            "--maildir",
            "M",
        ],
        &[],
    );
    srv.finish();
    assert_ne!(r.code, 0);
    assert_eq!(r.stderr.matches("Bad&Jjo").count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("the name is not valid modified UTF-7"),
        "{}",
        r.stderr
    );
}
