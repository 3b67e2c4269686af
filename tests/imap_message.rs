//! imap-message against scripted servers (issue 17, items 2 and 3): the exact commands of each action in
//! compressed, length-bounded UID sets; UIDPLUS present/absent (refusal before any change,
//! --expunge-all), MOVE present/absent, COPYUID mapped per UID, --dry-run read-only; append with
//! MULTIAPPEND (one command per batch, a refusal sent again one by one), LITERAL+ (pipelined), LITERAL- and synchronizing literals, flags and dates kept, CRLF normalised,
//! APPENDUID recorded and the state making a second run upload nothing.

use crate::support::*;

fn login(caps: &str) -> Vec<Step> {
    vec![
        s(&format!("* OK [CAPABILITY {caps}] ready")),
        e("A0001 LOGIN \"ann\" \"pw\""),
        s(&format!("A0001 OK [CAPABILITY {caps}] Logged in")),
    ]
}

fn select(verb: &str, tag: &str) -> Vec<Step> {
    vec![
        e(&format!("{tag} {verb} \"INBOX\"")),
        s("* 9 EXISTS"),
        s("* OK [UIDVALIDITY 7] ok"),
        s(&format!("{tag} OK done")),
    ]
}

fn search(tag: &str, criteria: &str, result: &str) -> Vec<Step> {
    vec![
        e(&format!("{tag} UID SEARCH {criteria}")),
        s(&format!("* SEARCH {result}")),
        s(&format!("{tag} OK done")),
    ]
}

fn ok(tag: &str, line: &str) -> Vec<Step> {
    vec![e(&format!("{tag} {line}")), s(&format!("{tag} OK done"))]
}

fn logout(tag: &str) -> Vec<Step> {
    vec![
        e(&format!("{tag} LOGOUT")),
        s("* BYE bye"),
        s(&format!("{tag} OK bye")),
    ]
}

fn url(srv: &Server) -> String {
    format!("imap://ann:pw@{}/INBOX", srv.addr)
}

fn statuses(r: &Run) -> Vec<(u64, String)> {
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    doc["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["uid"].as_u64().unwrap(),
                m["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn flag_sends_one_store_per_compressed_set() {
    let srv = Server::start(script(vec![
        login("IMAP4rev1 UIDPLUS"),
        select("SELECT", "A0002"),
        search("A0003", "UID 1:10 (FROM \"bob\")", "1 2 3 5 9 10"),
        ok("A0004", "UID STORE 1:3,5,9:10 +FLAGS.SILENT (\\Seen $Done)"),
        logout("A0005"),
    ]));
    let (r, _d) = run(
        "imap-message",
        &[
            &url(&srv),
            "flag",
            "\\Seen",
            "$Done",
            "--uid",
            "1:10",
            "--search",
            "FROM \"bob\"",
            "--json",
        ],
    );
    assert_code(&r, 0);
    srv.finish();
    let ok6: Vec<(u64, String)> = [1, 2, 3, 5, 9, 10]
        .iter()
        .map(|&u| (u, "ok".to_string()))
        .collect();
    assert_eq!(statuses(&r), ok6);
}

#[test]
fn a_long_set_is_split_into_bounded_commands() {
    let uids: Vec<u32> = (1..=3000).step_by(2).collect();
    let result: Vec<String> = uids.iter().map(u32::to_string).collect();
    // The client cuts at 4000 characters per set.
    let mut sets: Vec<String> = vec![String::new()];
    for u in &result {
        let cur = sets.last_mut().unwrap();
        if !cur.is_empty() && cur.len() + 1 + u.len() > 4000 {
            sets.push(u.clone());
        } else {
            if !cur.is_empty() {
                cur.push(',');
            }
            cur.push_str(u);
        }
    }
    assert_eq!(sets.len(), 2);
    let srv = Server::start(script(vec![
        login("IMAP4rev1 UIDPLUS"),
        select("SELECT", "A0002"),
        search("A0003", "ALL", &result.join(" ")),
        ok(
            "A0004",
            &format!("UID STORE {} -FLAGS.SILENT (\\Seen)", sets[0]),
        ),
        ok(
            "A0005",
            &format!("UID STORE {} -FLAGS.SILENT (\\Seen)", sets[1]),
        ),
        logout("A0006"),
    ]));
    let (r, _d) = run(
        "imap-message",
        &[&url(&srv), "unflag", "\\Seen", "--search", "ALL"],
    );
    assert_code(&r, 0);
    srv.finish();
    assert_eq!(r.stdout, b"");
}

#[test]
fn delete_with_uidplus_expunges_exactly_those_uids() {
    let srv = Server::start(script(vec![
        login("IMAP4rev1 UIDPLUS"),
        select("SELECT", "A0002"),
        search("A0003", "UID 4,6:7", "4 6 7"),
        ok("A0004", "UID STORE 4,6:7 +FLAGS.SILENT (\\Deleted)"),
        ok("A0005", "UID EXPUNGE 4,6:7"),
        logout("A0006"),
    ]));
    let (r, _d) = run("imap-message", &[&url(&srv), "delete", "--uid", "4,6:7"]);
    assert_code(&r, 0);
    srv.finish();
}

#[test]
fn delete_without_uidplus_is_refused_before_any_change() {
    let srv = Server::start(script(vec![
        login("IMAP4rev1"),
        select("SELECT", "A0002"),
        vec![e("A0003 LOGOUT"), s("A0003 OK bye")],
    ]));
    let (r, _d) = run("imap-message", &[&url(&srv), "delete", "--uid", "4"]);
    assert_code(&r, 6);
    srv.finish();
    assert!(
        r.stderr
            .starts_with("imap-message: error: the server lacks UIDPLUS"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--expunge-all"));
}

#[test]
fn delete_without_uidplus_with_expunge_all() {
    let srv = Server::start(script(vec![
        login("IMAP4rev1"),
        select("SELECT", "A0002"),
        search("A0003", "UID 4:5", "4 5"),
        ok("A0004", "UID STORE 4:5 +FLAGS.SILENT (\\Deleted)"),
        ok("A0005", "EXPUNGE"),
        logout("A0006"),
    ]));
    let (r, _d) = run(
        "imap-message",
        &[&url(&srv), "delete", "--uid", "4:5", "--expunge-all"],
    );
    assert_code(&r, 0);
    srv.finish();
}

#[test]
fn move_with_move_maps_copyuid() {
    let srv = Server::start(script(vec![
        login("IMAP4rev1 UIDPLUS MOVE"),
        select("SELECT", "A0002"),
        search("A0003", "SEEN", "3 4 8"),
        vec![
            e("A0004 UID MOVE 3:4,8 \"Archive\""),
            s("* OK [COPYUID 99 3:4,8 100:102] moved"),
            s("* 3 EXPUNGE"),
            s("* 3 EXPUNGE"),
            s("* 5 EXPUNGE"),
            s("A0004 OK done"),
        ],
        logout("A0005"),
    ]));
    let (r, _d) = run(
        "imap-message",
        &[&url(&srv), "move", "Archive", "--search", "SEEN", "--json"],
    );
    assert_code(&r, 0);
    srv.finish();
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let dest: Vec<(u64, u64)> = doc["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["uid"].as_u64().unwrap(), m["dest_uid"].as_u64().unwrap()))
        .collect();
    assert_eq!(dest, vec![(3, 100), (4, 101), (8, 102)]);
    assert_eq!(doc["action"], "move");
}

#[test]
fn move_without_move_copies_flags_and_uid_expunges() {
    let srv = Server::start(script(vec![
        login("IMAP4rev1 UIDPLUS"),
        select("SELECT", "A0002"),
        search("A0003", "UID 3", "3"),
        vec![
            e("A0004 UID COPY 3 \"Archive\""),
            s("A0004 OK [COPYUID 99 3 55] copied"),
        ],
        ok("A0005", "UID STORE 3 +FLAGS.SILENT (\\Deleted)"),
        ok("A0006", "UID EXPUNGE 3"),
        logout("A0007"),
    ]));
    let (r, _d) = run(
        "imap-message",
        &[&url(&srv), "move", "Archive", "--uid", "3", "--json"],
    );
    assert_code(&r, 0);
    srv.finish();
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["messages"][0]["dest_uid"], 55);
}

#[test]
fn copy_refused_is_a_failed_result_per_uid() {
    let srv = Server::start(script(vec![
        login("IMAP4rev1 UIDPLUS"),
        select("SELECT", "A0002"),
        search("A0003", "UID 3:4", "3 4"),
        vec![
            e("A0004 UID COPY 3:4 \"Nope\""),
            s("A0004 NO [TRYCREATE] no such mailbox"),
        ],
        logout("A0005"),
    ]));
    let (r, _d) = run(
        "imap-message",
        &[&url(&srv), "copy", "Nope", "--uid", "3:4", "--json"],
    );
    assert_code(&r, 6);
    srv.finish();
    assert_eq!(
        statuses(&r),
        vec![(3, "failed".into()), (4, "failed".into())]
    );
}

#[test]
fn dry_run_examines_and_changes_nothing() {
    let srv = Server::start(script(vec![
        login("IMAP4rev1"),
        select("EXAMINE", "A0002"),
        search("A0003", "ALL", "5 6"),
        logout("A0004"),
    ]));
    let (r, _d) = run(
        "imap-message",
        &[
            &url(&srv),
            "move",
            "Junk",
            "--search",
            "ALL",
            "--dry-run",
            "--expunge-all",
        ],
    );
    assert_code(&r, 0);
    srv.finish();
    assert_eq!(r.stderr, "");
    assert_eq!(
        r.stdout_str(),
        "would move to Junk UID 5\nwould move to Junk UID 6\n"
    );
    let (r2, _d) = {
        let srv = Server::start(script(vec![
            login("IMAP4rev1"),
            select("EXAMINE", "A0002"),
            search("A0003", "ALL", "5 6"),
            logout("A0004"),
        ]));
        let r = run(
            "imap-message",
            &[
                &url(&srv),
                "delete",
                "--search",
                "ALL",
                "--dry-run",
                "--expunge-all",
                "--json",
            ],
        );
        srv.finish();
        r
    };
    assert_code(&r2, 0);
    assert_eq!(
        statuses(&r2),
        vec![(5, "skipped".into()), (6, "skipped".into())]
    );
}

#[test]
fn expire_searches_before_a_date() {
    let srv = Server::start(script(vec![
        login("IMAP4rev1 UIDPLUS"),
        select("SELECT", "A0002"),
        vec![
            ExpectPrefix("A0003 UID SEARCH SENTBEFORE ".into()),
            s("* SEARCH 2"),
            s("A0003 OK done"),
        ],
        ok("A0004", "UID STORE 2 +FLAGS.SILENT (\\Deleted)"),
        ok("A0005", "UID EXPUNGE 2"),
        logout("A0006"),
    ]));
    let (r, _d) = run(
        "imap-message",
        &[&url(&srv), "expire", "--older-than", "30", "--sent-date"],
    );
    assert_code(&r, 0);
    let seen = srv.finish();
    let line = seen.iter().find(|l| l.contains("SENTBEFORE")).unwrap();
    let date = line.rsplit(' ').next().unwrap();
    assert!(date.split('-').count() == 3 && date.len() >= 10, "{line}");
}

/// A Maildir with one seen+flagged message in cur/ (LF endings) and one new message, mtimes fixed.
fn maildir(dir: &std::path::Path) -> std::path::PathBuf {
    let md = dir.join("M");
    for d in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(d)).unwrap();
    }
    std::fs::write(
        md.join("cur/100.a.h:2,FS"),
        "Subject: one\nMessage-ID: <1@h>\n\nhi\n",
    )
    .unwrap();
    std::fs::write(md.join("new/200.b.h"), "Subject: two\r\n\r\nyo\r\n").unwrap();
    for (f, t) in [
        ("cur/100.a.h:2,FS", "@1704448800"),
        ("new/200.b.h", "@1704535200"),
    ] {
        let st = std::process::Command::new("touch")
            .args(["-d", t])
            .arg(md.join(f))
            .status()
            .unwrap();
        assert!(st.success());
    }
    md
}

fn append_literal_plus() -> Vec<Step> {
    // 39 and 20 bytes after CRLF normalisation.
    vec![
        e("A0002 APPEND \"INBOX\" (\\Flagged \\Seen) \"05-Jan-2024 10:00:00 +0000\" {39+}"),
        e("Subject: one"),
        e("Message-ID: <1@h>"),
        e(""),
        e("hi"),
        e(""),
        e("A0003 APPEND \"INBOX\" () \"06-Jan-2024 10:00:00 +0000\" {20+}"),
        e("Subject: two"),
        e(""),
        e("yo"),
        e(""),
        s("A0002 OK [APPENDUID 7 31] done"),
        s("A0003 OK [APPENDUID 7 32] done"),
    ]
}

#[test]
fn append_pipelines_with_literal_plus_and_the_state_skips_a_second_run() {
    let dir = tempfile::tempdir().unwrap();
    let md = maildir(dir.path());
    let state = dir.path().join("up.json");
    let srv = Server::start(script(vec![
        login("IMAP4rev1 UIDPLUS LITERAL+"),
        append_literal_plus(),
        logout("A0004"),
    ]));
    let (r, _d) = run(
        "imap-message",
        &[
            &url(&srv),
            "append",
            md.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--json",
        ],
    );
    assert_code(&r, 0);
    srv.finish();
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let uids: Vec<u64> = doc["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["uid"].as_u64().unwrap())
        .collect();
    assert_eq!(uids, vec![31, 32]);
    let st: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(
        st["done"],
        serde_json::json!({"maildir:100.a.h": 31, "maildir:200.b.h": 32})
    );
    assert_eq!(st["pending"], serde_json::json!([]));
    assert_eq!(st["uidvalidity"], 7);
    // Everything is done: the second run logs in and out.
    let srv = Server::start(script(vec![
        login("IMAP4rev1 UIDPLUS LITERAL+"),
        logout("A0002"),
    ]));
    let (r, _d) = run(
        "imap-message",
        &[
            &url(&srv),
            "append",
            md.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--json",
        ],
    );
    assert_code(&r, 0);
    srv.finish();
    let skipped: Vec<String> = statuses_by_source(&r);
    assert_eq!(skipped, vec!["skipped", "skipped"]);
}

/// Both messages of [`maildir`] in one APPEND (RFC 3502), without the completion.
fn multiappend_steps() -> Vec<Step> {
    vec![
        e("A0002 APPEND \"INBOX\" (\\Flagged \\Seen) \"05-Jan-2024 10:00:00 +0000\" {39+}"),
        e("Subject: one"),
        e("Message-ID: <1@h>"),
        e(""),
        e("hi"),
        e(" () \"06-Jan-2024 10:00:00 +0000\" {20+}"),
        e("Subject: two"),
        e(""),
        e("yo"),
        e(""),
    ]
}

#[test]
fn append_sends_a_batch_as_one_multiappend_and_maps_the_appenduid_set() {
    let dir = tempfile::tempdir().unwrap();
    let md = maildir(dir.path());
    let state = dir.path().join("up.json");
    let srv = Server::start(script(vec![
        login("IMAP4rev1 UIDPLUS LITERAL+ MULTIAPPEND"),
        multiappend_steps(),
        vec![s("A0002 OK [APPENDUID 7 31:32] done")],
        logout("A0003"),
    ]));
    let (r, _d) = run(
        "imap-message",
        &[
            &url(&srv),
            "append",
            md.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--json",
        ],
    );
    assert_code(&r, 0);
    srv.finish();
    let st: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(
        st["done"],
        serde_json::json!({"maildir:100.a.h": 31, "maildir:200.b.h": 32})
    );
    assert_eq!(st["pending"], serde_json::json!([]));
    assert_eq!(st["uidvalidity"], 7);
}

#[test]
fn a_refused_multiappend_is_sent_again_message_by_message() {
    let dir = tempfile::tempdir().unwrap();
    let md = maildir(dir.path());
    let srv = Server::start(script(vec![
        login("IMAP4rev1 UIDPLUS LITERAL+ MULTIAPPEND"),
        multiappend_steps(),
        vec![s("A0002 NO [OVERQUOTA] too much at once")],
        vec![
            e("A0003 APPEND \"INBOX\" (\\Flagged \\Seen) \"05-Jan-2024 10:00:00 +0000\" {39+}"),
            e("Subject: one"),
            e("Message-ID: <1@h>"),
            e(""),
            e("hi"),
            e(""),
            e("A0004 APPEND \"INBOX\" () \"06-Jan-2024 10:00:00 +0000\" {20+}"),
            e("Subject: two"),
            e(""),
            e("yo"),
            e(""),
            s("A0003 NO [OVERQUOTA] too big"),
            s("A0004 OK [APPENDUID 7 32] done"),
        ],
        logout("A0005"),
    ]));
    let (r, _d) = run(
        "imap-message",
        &[&url(&srv), "append", md.to_str().unwrap(), "--json"],
    );
    assert_code(&r, 10);
    srv.finish();
    assert_eq!(statuses_by_source(&r), vec!["failed", "ok"]);
}

fn statuses_by_source(r: &Run) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    doc["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn append_waits_for_the_continuation_without_literal_plus() {
    let dir = tempfile::tempdir().unwrap();
    let eml = dir.path().join("a.eml");
    std::fs::write(&eml, "Subject: x\n\nbody\n").unwrap();
    let st = std::process::Command::new("touch")
        .args(["-d", "@1704448800"])
        .arg(&eml)
        .status()
        .unwrap();
    assert!(st.success());
    let eml2 = dir.path().join("b.eml");
    std::fs::write(&eml2, "Subject: y\n\nbody\n").unwrap();
    let st = std::process::Command::new("touch")
        .args(["-d", "@1704448800"])
        .arg(&eml2)
        .status()
        .unwrap();
    assert!(st.success());
    let srv = Server::start(script(vec![
        login("IMAP4rev1"),
        vec![
            e("A0002 APPEND \"INBOX\" () \"05-Jan-2024 10:00:00 +0000\" {20}"),
            s("+ go ahead"),
            e("Subject: x"),
            e(""),
            e("body"),
            e(""),
            s("A0002 OK done"),
            e("A0003 APPEND \"INBOX\" () \"05-Jan-2024 10:00:00 +0000\" {20}"),
            s("A0003 NO [OVERQUOTA] full"),
        ],
        logout("A0004"),
    ]));
    let (r, _d) = run(
        "imap-message",
        &[
            &url(&srv),
            "append",
            eml.to_str().unwrap(),
            eml2.to_str().unwrap(),
            "--json",
        ],
    );
    assert_code(&r, 10);
    srv.finish();
    assert_eq!(statuses_by_source(&r), vec!["ok", "failed"]);
}

#[test]
fn append_uses_literal_minus_for_small_messages_and_keeps_mbox_flags() {
    let dir = tempfile::tempdir().unwrap();
    let mb = dir.path().join("a.mbox");
    std::fs::write(
        &mb,
        "From ann@h Fri Jan  5 10:00:00 2024\nStatus: RO\nX-Status: A\n\n>From me\n\n",
    )
    .unwrap();
    let srv = Server::start(script(vec![
        login("IMAP4rev1 LITERAL-"),
        vec![
            e("A0002 APPEND \"INBOX\" (\\Seen \\Answered) \"05-Jan-2024 10:00:00 +0000\" {36+}"),
            e("Status: RO"),
            e("X-Status: A"),
            e(""),
            e("From me"),
            e(""),
            s("A0002 OK done"),
        ],
        logout("A0003"),
    ]));
    let (r, _d) = run(
        "imap-message",
        &[&url(&srv), "append", mb.to_str().unwrap()],
    );
    assert_code(&r, 0);
    srv.finish();
    assert_eq!(r.stdout, b"");
}

#[test]
fn a_resumed_append_settles_pending_messages_by_message_id_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let md = maildir(dir.path());
    let state = dir.path().join("up.json");
    // A run was killed after sending both: the first arrived, the second did not.
    std::fs::write(
        &state,
        r#"{"version":1,"mailbox":"INBOX","uidvalidity":null,"done":{},"pending":[
            {"key":"maildir:100.a.h","message_id":"<1@h>","size":39},
            {"key":"maildir:200.b.h","message_id":null,"size":20}]}"#,
    )
    .unwrap();
    let srv = Server::start(script(vec![
        login("IMAP4rev1 UIDPLUS LITERAL+"),
        select("EXAMINE", "A0002"),
        search("A0003", "HEADER Message-ID \"<1@h>\"", "12"),
        vec![
            e("A0004 UID FETCH 12 (UID RFC822.SIZE)"),
            s("* 1 FETCH (UID 12 RFC822.SIZE 39)"),
            s("A0004 OK done"),
        ],
        vec![
            e("A0005 APPEND \"INBOX\" () \"06-Jan-2024 10:00:00 +0000\" {20+}"),
            e("Subject: two"),
            e(""),
            e("yo"),
            e(""),
            s("A0005 OK [APPENDUID 7 13] done"),
        ],
        logout("A0006"),
    ]));
    let (r, _d) = run(
        "imap-message",
        &[
            &url(&srv),
            "append",
            md.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ],
    );
    assert_code(&r, 0);
    srv.finish();
    let st: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(
        st["done"],
        serde_json::json!({"maildir:100.a.h": 12, "maildir:200.b.h": 13})
    );
}
