//! imap-fetch against scripted servers: exact transcripts, literals split across reads, `{0}`, huge and
//! malformed literal sizes, unsolicited FETCH, EXPUNGE renumbering, foreign tags, NO/BAD/BYE at each step,
//! STARTTLS refusals, deletion and moves only after durable writes, and the state file.

use std::time::Duration;

use crate::support::*;

const CAPS: &str = "IMAP4rev1 UIDPLUS MOVE LITERAL+";

fn url(srv: &Server, path: &str) -> String {
    format!("imap://ann:pw@{}/{path}", srv.addr)
}

/// Greeting with capabilities, then LOGIN.
fn login(caps: &str) -> Vec<Step> {
    vec![
        s(&format!("* OK [CAPABILITY {caps}] scripted ready")),
        e("A0001 LOGIN \"ann\" \"pw\""),
        s(&format!("A0001 OK [CAPABILITY {caps}] Logged in")),
    ]
}

fn select(verb: &str, tag: &str, mailbox: &str, uidvalidity: u32) -> Vec<Step> {
    let ro = if verb == "EXAMINE" {
        "READ-ONLY"
    } else {
        "READ-WRITE"
    };
    vec![
        e(&format!("{tag} {verb} \"{mailbox}\"")),
        s("* 3 EXISTS"),
        s(&format!("* OK [UIDVALIDITY {uidvalidity}] UIDs valid")),
        s("* OK [UIDNEXT 8] next"),
        s(&format!("{tag} OK [{ro}] done")),
    ]
}

fn search(tag: &str, criteria: &str, result: &str) -> Vec<Step> {
    vec![
        e(&format!("{tag} UID SEARCH {criteria}")),
        s(&format!("* SEARCH {result}")),
        s(&format!("{tag} OK Search completed")),
    ]
}

fn logout(tag: &str) -> Vec<Step> {
    vec![
        e(&format!("{tag} LOGOUT")),
        s("* BYE Logging out"),
        s(&format!("{tag} OK Logout completed")),
    ]
}

/// A FETCH response carrying `body` as a literal.
fn fetched(seq: u32, uid: u32, body: &str) -> Step {
    Raw(format!(
        "* {seq} FETCH (UID {uid} BODY[] {{{}}}\r\n{body})\r\n",
        body.len()
    )
    .into_bytes())
}

#[test]
fn literals_split_empty_unsolicited_and_renumbered() {
    let body = "Subject: hi\r\n\r\nHello\r\nworld!\r\n";
    let (head, tail) = body.split_at(9);
    let srv = Server::start(script(vec![
        login(CAPS),
        select("EXAMINE", "A0002", "INBOX", 7),
        search("A0003", "ALL", "5 6 7"),
        vec![
            e("A0004 UID FETCH 5:7 (UID BODY.PEEK[])"),
            Raw(format!("* 1 FETCH (UID 5 BODY[] {{{}}}\r\n{head}", body.len()).into_bytes()),
            Sleep(Duration::from_millis(50)),
            Raw(tail.as_bytes()[..4].to_vec()),
            Sleep(Duration::from_millis(50)),
            Raw(format!("{})\r\n", &tail[4..]).into_bytes()),
            // Message 2 (UID 6) goes away; UID 7 becomes message 2.
            s("* 2 EXPUNGE"),
            Raw(b"* 9 FETCH (UID 99 BODY[] {5}\r\nspam!)\r\n".to_vec()),
            s("* 1 FETCH (FLAGS (\\Seen))"),
            Raw(b"* 2 FETCH (UID 7 BODY[] {0}\r\n)\r\n".to_vec()),
            fetched(1, 5, "duplicate"),
            s("A0004 OK Fetch completed"),
        ],
        // UID 6 came back empty: is it gone? (issue 13, defect 8)
        search("A0005", "UID 6", ""),
        logout("A0006"),
    ]));
    let (r, dir) = run("imap-fetch", &[&url(&srv, ""), "--dir", "out", "--json"]);
    assert_code(&r, 0);
    srv.finish();
    assert_eq!(names_in(&dir.path().join("out")), vec!["5.eml", "7.eml"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/5.eml")).unwrap(),
        "Subject: hi\n\nHello\nworld!\n"
    );
    assert_eq!(std::fs::read(dir.path().join("out/7.eml")).unwrap(), b"");
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let statuses: Vec<(u64, &str)> = doc["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["uid"].as_u64().unwrap(), m["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, vec![(5, "ok"), (6, "skipped"), (7, "ok")]);
    assert_eq!(
        doc["messages"][1]["error"],
        serde_json::json!({"exit_code": 0, "message": "the server sent no such message (expunged meanwhile?)"})
    );
    assert_eq!(r.stderr, "", "--json keeps notes inside the document");
}

#[test]
fn sasl_ir_then_batches_to_stdout() {
    let caps = "IMAP4rev1 SASL-IR AUTH=PLAIN LITERAL+";
    let srv = Server::start(script(vec![
        vec![
            s(&format!("* OK [CAPABILITY {caps}] ready")),
            e("A0001 AUTHENTICATE PLAIN AGFubgBwdw=="),
            s("A0001 OK Logged in"),
            e("A0002 CAPABILITY"),
            s(&format!("* CAPABILITY {caps}")),
            s("A0002 OK done"),
        ],
        select("EXAMINE", "A0003", "Sent", 1),
        search("A0004", "ALL", "1 2 3"),
        vec![
            e("A0005 UID FETCH 1:2 (UID BODY.PEEK[])"),
            fetched(1, 1, "a\r\n"),
            fetched(2, 2, "b\r\n"),
            s("A0005 OK done"),
            e("A0006 UID FETCH 3 (UID BODY.PEEK[])"),
            fetched(3, 3, "c\r\n"),
            s("A0006 OK done"),
        ],
        logout("A0007"),
    ]));
    let (r, _dir) = run("imap-fetch", &[&url(&srv, "Sent"), "--batch", "2"]);
    srv.finish();
    assert_code(&r, 0);
    assert_eq!(r.stderr, "", "quiet success off a terminal (issue 18)");
    // Several messages on stdout: mboxrd, never bodies run together (issue 17, item 7).
    let out = r.stdout_str();
    let (from, rest): (Vec<&str>, Vec<&str>) = out
        .split('\n')
        .partition(|l| l.starts_with("From MAILER-DAEMON "));
    assert_eq!((from.len(), rest), (3, vec!["a", "", "b", "", "c", "", ""]));
}

#[test]
fn authenticate_without_sasl_ir_waits_for_the_challenge() {
    let caps = "IMAP4rev1 AUTH=PLAIN";
    let srv = Server::start(script(vec![vec![
        s(&format!("* OK [CAPABILITY {caps}] ready")),
        e("A0001 AUTHENTICATE PLAIN"),
        s("+ "),
        e("AGFubgBwdw=="),
        s("A0001 NO [AUTHENTICATIONFAILED] Authentication failed."),
    ]]));
    let (r, _dir) = run("imap-fetch", &[&url(&srv, "")]);
    srv.finish();
    assert_code(&r, 5);
    assert!(r.stderr.contains("AUTHENTICATIONFAILED"), "{}", r.stderr);
}

#[test]
fn huge_malformed_and_truncated_literals_are_protocol_errors() {
    let opening = || {
        script(vec![
            login(CAPS),
            select("EXAMINE", "A0002", "INBOX", 7),
            search("A0003", "ALL", "1"),
            vec![e("A0004 UID FETCH 1 (UID BODY.PEEK[])")],
        ])
    };
    let cases: Vec<(Vec<Step>, Vec<&str>)> = vec![
        (
            vec![Raw(
                b"* 1 FETCH (UID 1 BODY[] {99999999999999999999999}\r\n".to_vec(),
            )],
            vec![],
        ),
        (
            vec![Raw(b"* 1 FETCH (UID 1 BODY[] {12x}\r\n".to_vec())],
            vec![],
        ),
        // Huge and allowed: streamed until the server stops, then truncated; nothing left behind.
        (
            vec![
                Raw(b"* 1 FETCH (UID 1 BODY[] {18446744073709551615}\r\n".to_vec()),
                Flood(b'x', 8 << 20),
            ],
            vec![],
        ),
        // A short string where a mailbox-sized one belongs may not be huge.
        (
            vec![Raw(b"* 1 FETCH (UID 1 ENVELOPE ({100000000}\r\n".to_vec())],
            vec![],
        ),
    ];
    for (tail, extra) in cases {
        let srv = Server::start(script(vec![opening(), tail]));
        let u = url(&srv, "");
        let mut a = vec![u.as_str(), "--dir", "out"];
        a.extend(extra);
        let (r, dir) = run("imap-fetch", &a);
        srv.finish();
        assert_code(&r, 9);
        let out = dir.path().join("out");
        assert!(
            !out.exists() || names_in(&out).is_empty(),
            "{:?}",
            names_in(&out)
        );
    }
}

#[test]
fn max_size_skips_large_messages_and_caps_literals() {
    let srv = Server::start(script(vec![
        login(CAPS),
        select("EXAMINE", "A0002", "INBOX", 7),
        search("A0003", "ALL", "1 2"),
        vec![
            e("A0004 UID FETCH 1:2 (UID RFC822.SIZE)"),
            s("* 1 FETCH (UID 1 RFC822.SIZE 10)"),
            s("* 2 FETCH (UID 2 RFC822.SIZE 5000)"),
            s("A0004 OK done"),
            e("A0005 UID FETCH 1 (UID BODY.PEEK[])"),
            // The server lies about the size: the literal is over --max-size.
            Raw(b"* 1 FETCH (UID 1 BODY[] {4000000000000}\r\n".to_vec()),
        ],
    ]));
    let (r, _dir) = run(
        "imap-fetch",
        &[&url(&srv, ""), "--max-size", "1k", "--dir", "o"],
    );
    srv.finish();
    assert_code(&r, 9);
    assert!(r.stderr.contains("UID 2: 5000 bytes"), "{}", r.stderr);
}

#[test]
fn foreign_tag_is_a_protocol_error() {
    let srv = Server::start(script(vec![
        login(CAPS),
        select("EXAMINE", "A0002", "INBOX", 7),
        vec![e("A0003 UID SEARCH ALL"), s("B0001 OK hijacked")],
    ]));
    let (r, _dir) = run("imap-fetch", &[&url(&srv, "")]);
    srv.finish();
    assert_code(&r, 9);
    assert!(r.stderr.contains("belongs to no command"), "{}", r.stderr);
}

#[test]
fn no_bad_and_bye_at_each_step() {
    let greeting = || vec![s(&format!("* OK [CAPABILITY {CAPS}] ready"))];
    let cases: Vec<(Vec<Step>, i32)> = vec![
        (vec![s("* BYE too many connections")], 7),
        (vec![s("* NO go away")], 9),
        (
            script(vec![
                greeting(),
                vec![
                    e("A0001 LOGIN \"ann\" \"pw\""),
                    s("A0001 NO [AUTHENTICATIONFAILED] no"),
                ],
            ]),
            5,
        ),
        (
            script(vec![
                login(CAPS),
                vec![
                    e("A0002 EXAMINE \"INBOX\""),
                    s("A0002 NO [NONEXISTENT] no such"),
                ],
            ]),
            6,
        ),
        (
            script(vec![
                login(CAPS),
                select("EXAMINE", "A0002", "INBOX", 7),
                vec![
                    e("A0003 UID SEARCH ALL"),
                    s("A0003 BAD [CLIENTBUG] parse error"),
                ],
            ]),
            6,
        ),
        (
            script(vec![
                login(CAPS),
                select("EXAMINE", "A0002", "INBOX", 7),
                search("A0003", "ALL", "1"),
                vec![
                    e("A0004 UID FETCH 1 (UID BODY.PEEK[])"),
                    s("A0004 NO [UNAVAILABLE] later"),
                ],
            ]),
            7,
        ),
        (
            script(vec![
                login(CAPS),
                select("EXAMINE", "A0002", "INBOX", 7),
                search("A0003", "ALL", "1 2"),
                vec![
                    e("A0004 UID FETCH 1:2 (UID BODY.PEEK[])"),
                    fetched(1, 1, "one\r\n"),
                    s("* BYE shutting down"),
                ],
            ]),
            10,
        ),
    ];
    for (steps, code) in cases {
        let srv = Server::start(steps);
        let (r, _dir) = run("imap-fetch", &[&url(&srv, ""), "--dir", "out"]);
        srv.finish();
        assert_code(&r, code);
    }
}

#[test]
fn starttls_refusals_are_tls_failures_and_pipelined_bytes_a_violation() {
    let cases: Vec<(Vec<Step>, i32)> = vec![
        (
            vec![s("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] welcome")],
            4,
        ),
        (vec![s("* OK [CAPABILITY IMAP4rev1] no tls here")], 4),
        (
            vec![
                s("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready"),
                e("A0001 STARTTLS"),
                s("A0001 NO not now"),
            ],
            4,
        ),
        (
            vec![
                s("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready"),
                e("A0001 STARTTLS"),
                Raw(b"A0001 OK Begin TLS negotiation now\r\n* 1 EXISTS\r\n".to_vec()),
            ],
            9,
        ),
    ];
    for (steps, code) in cases {
        let srv = Server::start(steps);
        let (r, _dir) = run("imap-fetch", &[&url(&srv, ""), "--starttls"]);
        srv.finish();
        assert_code(&r, code);
    }
}

#[test]
fn logindisabled_refuses_login() {
    let srv = Server::start(vec![s("* OK [CAPABILITY IMAP4rev1 LOGINDISABLED] ready")]);
    let (r, _dir) = run("imap-fetch", &[&url(&srv, "")]);
    srv.finish();
    assert_code(&r, 5);
    assert!(r.stderr.contains("LOGINDISABLED"), "{}", r.stderr);
}

#[test]
fn cr_lf_in_arguments_is_a_usage_error_before_connecting() {
    // Nothing listens on port 9 of 127.0.0.1 in the test environment; a usage error comes first anyway.
    for args in [
        vec!["imap://a:b@127.0.0.1:9/", "--search", "ALL\r\nA1 LOGOUT"],
        vec!["imap://a:b@127.0.0.1:9/", "--move-to", "x\ny"],
        vec!["imap://a:b@127.0.0.1:9/", "--part", "1\r\n"],
        vec!["imap://a:b@127.0.0.1:9/INBOX%0D%0AA1%20LOGOUT"],
    ] {
        let (r, _dir) = run("imap-fetch", &args);
        assert_code(&r, 2);
    }
}

#[test]
fn delete_only_after_storing_with_and_without_uidplus() {
    for (caps, expunge) in [
        (CAPS, "A0006 UID EXPUNGE 1:2"),
        ("IMAP4rev1", "A0006 EXPUNGE"),
    ] {
        let srv = Server::start(script(vec![
            login(caps),
            select("SELECT", "A0002", "INBOX", 7),
            search("A0003", "ALL", "1 2"),
            vec![
                e("A0004 UID FETCH 1:2 (UID BODY.PEEK[])"),
                fetched(1, 1, "one\r\n"),
                fetched(2, 2, "two\r\n"),
                s("A0004 OK done"),
                e("A0005 UID STORE 1:2 +FLAGS.SILENT (\\Deleted)"),
                s("A0005 OK stored"),
                e(expunge),
                s("* 1 EXPUNGE"),
                s("* 1 EXPUNGE"),
                s("A0006 OK expunged"),
            ],
            logout("A0007"),
        ]));
        let (r, dir) = run(
            "imap-fetch",
            &[&url(&srv, ""), "--delete", "--maildir", "M", "--json"],
        );
        srv.finish();
        assert_code(&r, 0);
        assert_eq!(names_in(&dir.path().join("M/new")).len(), 2);
        let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
        assert_eq!(doc["deleted"], 2);
    }
}

#[test]
fn failed_delivery_deletes_nothing() {
    let srv = Server::start(script(vec![
        login(CAPS),
        select("SELECT", "A0002", "INBOX", 7),
        search("A0003", "ALL", "1"),
        vec![
            e("A0004 UID FETCH 1 (UID BODY.PEEK[])"),
            fetched(1, 1, "one\r\n"),
            s("A0004 OK done"),
            Drain,
        ],
    ]));
    let (r, _dir) = run(
        "imap-fetch",
        &[
            &url(&srv, ""),
            "--delete",
            "--mda",
            "cat >/dev/null; exit 3",
        ],
    );
    let seen = srv.finish();
    assert_code(&r, 8);
    assert!(
        !seen
            .iter()
            .any(|l| l.contains("STORE") || l.contains("EXPUNGE")),
        "{seen:?}"
    );
}

#[test]
fn move_with_move_and_with_copy() {
    let srv = Server::start(script(vec![
        login(CAPS),
        select("SELECT", "A0002", "INBOX", 7),
        search("A0003", "ALL", "4"),
        vec![
            e("A0004 UID FETCH 4 (UID BODY.PEEK[])"),
            fetched(1, 4, "x\r\n"),
            s("A0004 OK done"),
            e("A0005 UID MOVE 4 \"Entw&APw-rfe\""),
            s("A0005 OK moved"),
        ],
        logout("A0006"),
    ]));
    let (r, _dir) = run(
        "imap-fetch",
        &[&url(&srv, ""), "--move-to", "Entwürfe", "-q"],
    );
    srv.finish();
    assert_code(&r, 0);

    let srv = Server::start(script(vec![
        login("IMAP4rev1"),
        select("SELECT", "A0002", "INBOX", 7),
        search("A0003", "ALL", "4"),
        vec![
            e("A0004 UID FETCH 4 (UID BODY.PEEK[])"),
            fetched(1, 4, "x\r\n"),
            s("A0004 OK done"),
            e("A0005 UID COPY 4 \"Archive\""),
            s("A0005 OK [COPYUID 9 4 1] copied"),
            e("A0006 UID STORE 4 +FLAGS.SILENT (\\Deleted)"),
            s("A0006 OK stored"),
            e("A0007 EXPUNGE"),
            s("A0007 OK expunged"),
        ],
        logout("A0008"),
    ]));
    let (r, _dir) = run(
        "imap-fetch",
        &[&url(&srv, ""), "--move-to", "Archive", "-q"],
    );
    srv.finish();
    assert_code(&r, 0);
}

#[test]
fn non_ascii_search_uses_a_synchronizing_literal() {
    let srv = Server::start(script(vec![
        login("IMAP4rev1"),
        select("EXAMINE", "A0002", "INBOX", 7),
        vec![
            e("A0003 UID SEARCH CHARSET UTF-8 SUBJECT {6}"),
            s("+ go ahead"),
            e("Grüß UNSEEN"),
            s("* SEARCH"),
            s("A0003 OK done"),
        ],
        logout("A0004"),
    ]));
    let (r, _dir) = run(
        "imap-fetch",
        &[&url(&srv, ""), "--search", "SUBJECT \"Grüß\" UNSEEN"],
    );
    srv.finish();
    assert_code(&r, 0);
}

#[test]
fn state_skips_known_uids_and_restarts_on_uidvalidity_change() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::write(
        &state,
        r#"{"version":1,"mailbox":"INBOX","uidvalidity":7,"last_uid":5,"pending":[],"delete":[]}"#,
    )
    .unwrap();
    // Same UIDVALIDITY: `6:*` still answers 5 (the highest UID), which is filtered out.
    let srv = Server::start(script(vec![
        login(CAPS),
        select("EXAMINE", "A0002", "INBOX", 7),
        search("A0003", "UID 6:* (ALL)", "5"),
        logout("A0004"),
    ]));
    let st = state.to_str().unwrap();
    let r = run_in(
        dir.path(),
        "imap-fetch",
        &[&url(&srv, ""), "--new-only", "--state", st, "--dir", "o"],
        &[],
    );
    srv.finish();
    assert_code(&r, 0);

    let srv = Server::start(script(vec![
        login(CAPS),
        select("EXAMINE", "A0002", "INBOX", 8),
        search("A0003", "ALL", "1"),
        vec![
            e("A0004 UID FETCH 1 (UID BODY.PEEK[])"),
            fetched(1, 1, "new world\r\n"),
            s("A0004 OK done"),
        ],
        logout("A0005"),
    ]));
    let r = run_in(
        dir.path(),
        "imap-fetch",
        &[&url(&srv, ""), "--new-only", "--state", st, "--dir", "o"],
        &[],
    );
    srv.finish();
    assert_code(&r, 0);
    assert!(r.stderr.contains("UIDVALIDITY"), "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(doc["uidvalidity"], 8);
    assert_eq!(doc["last_uid"], 1);
}

#[test]
fn part_is_decoded_per_its_transfer_encoding() {
    let mime = "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    let srv = Server::start(script(vec![
        login(CAPS),
        select("EXAMINE", "A0002", "INBOX", 7),
        search("A0003", "ALL", "3"),
        vec![
            e("A0004 UID FETCH 3 (UID BODY.PEEK[1.2.MIME])"),
            Raw(format!(
                "* 1 FETCH (UID 3 BODY[1.2.MIME] {{{}}}\r\n{mime})\r\n",
                mime.len()
            )
            .into_bytes()),
            s("A0004 OK done"),
            e("A0005 UID FETCH 3 (UID BODY.PEEK[1.2])"),
            Raw(b"* 1 FETCH (UID 3 BODY[1.2] {10}\r\naGVsbG8=\r\n)\r\n".to_vec()),
            s("A0005 OK done"),
        ],
        logout("A0006"),
    ]));
    let (r, _dir) = run(
        "imap-fetch",
        &[&url(&srv, ""), "--part", "1.2", "--decode", "-q"],
    );
    srv.finish();
    assert_code(&r, 0);
    assert_eq!(r.stdout, b"hello");
}

const ONE: &str = "Subject: one\r\n\r\nfirst\r\n";
const TWO: &str = "Subject: two\r\n\r\nthe second message\r\n";
const THREE: &str = "Subject: three\r\n\r\nthird\r\n";

/// The first session of a run over UIDs 1:3 that breaks in the middle of UID 2's literal.
fn dropped_mid_literal(verb: &str) -> Vec<Step> {
    script(vec![
        login(CAPS),
        select(verb, "A0002", "INBOX", 7),
        search("A0003", "ALL", "1 2 3"),
        vec![
            e("A0004 UID FETCH 1:3 (UID BODY.PEEK[])"),
            fetched(1, 1, ONE),
            Raw(format!(
                "* 2 FETCH (UID 2 BODY[] {{{}}}\r\n{}",
                TWO.len(),
                &TWO[..10]
            )
            .into_bytes()),
        ],
    ])
}

fn lf(s: &str) -> Vec<u8> {
    s.replace("\r\n", "\n").into_bytes()
}

/// issue 12: `--retries` reconnects after a connection dropped mid-literal, logs in and selects again,
/// removes what was already durable, and fetches only the rest: each message stored exactly once.
#[test]
fn retries_reconnect_mid_literal_and_store_each_message_once() {
    for delete in [false, true] {
        let verb = if delete { "SELECT" } else { "EXAMINE" };
        let mut second = script(vec![login(CAPS), select(verb, "A0002", "INBOX", 7)]);
        let mut tag = 3;
        let mut next = || {
            tag += 1;
            format!("A{:04}", tag - 1)
        };
        if delete {
            let (t1, t2) = (next(), next());
            second.extend([
                e(&format!("{t1} UID STORE 1 +FLAGS.SILENT (\\Deleted)")),
                s(&format!("{t1} OK stored")),
                e(&format!("{t2} UID EXPUNGE 1")),
                s("* 1 EXPUNGE"),
                s(&format!("{t2} OK expunged")),
            ]);
        }
        let t = next();
        second.extend([
            e(&format!("{t} UID FETCH 2:3 (UID BODY.PEEK[])")),
            fetched(1, 2, TWO),
            fetched(2, 3, THREE),
            s(&format!("{t} OK done")),
        ]);
        if delete {
            let (t1, t2) = (next(), next());
            second.extend([
                e(&format!("{t1} UID STORE 2:3 +FLAGS.SILENT (\\Deleted)")),
                s(&format!("{t1} OK stored")),
                e(&format!("{t2} UID EXPUNGE 2:3")),
                s(&format!("{t2} OK expunged")),
            ]);
        }
        second.extend(logout(&next()));
        let srv = Server::start_sessions(vec![dropped_mid_literal(verb), second]);
        let mut args = vec![url(&srv, ""), "-v".into(), "--retries".into(), "2".into()];
        args.extend(["--maildir".into(), "M".into()]);
        if delete {
            args.push("--delete".into());
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let (r, dir) = run("imap-fetch", &a);
        let seen = srv.finish();
        assert_code(&r, 0);
        let bytes: usize = [ONE, TWO, THREE].iter().map(|m| m.len()).sum();
        let deleted = if delete { ", 3 deleted" } else { "" };
        assert_eq!(
            without_transcript(&r.stderr),
            format!(
                "imap-fetch: the server closed the connection {} bytes before the end of a {}-byte \
                 literal; retrying (1/2)\nimap-fetch: 3 message(s), {bytes} bytes from INBOX{deleted}\n",
                TWO.len() - 10,
                TWO.len()
            )
        );
        let mut want = vec![lf(ONE), lf(TWO), lf(THREE)];
        want.sort();
        assert_eq!(maildir_messages(&dir.path().join("M")), want);
        let mut transcript = vec![
            "--- session 0".to_string(),
            "A0001 LOGIN \"ann\" \"pw\"".into(),
            format!("A0002 {verb} \"INBOX\""),
            "A0003 UID SEARCH ALL".into(),
            "A0004 UID FETCH 1:3 (UID BODY.PEEK[])".into(),
            "--- session 1".into(),
            "A0001 LOGIN \"ann\" \"pw\"".into(),
            format!("A0002 {verb} \"INBOX\""),
        ];
        if delete {
            transcript.extend([
                "A0003 UID STORE 1 +FLAGS.SILENT (\\Deleted)".into(),
                "A0004 UID EXPUNGE 1".into(),
                "A0005 UID FETCH 2:3 (UID BODY.PEEK[])".into(),
                "A0006 UID STORE 2:3 +FLAGS.SILENT (\\Deleted)".into(),
                "A0007 UID EXPUNGE 2:3".into(),
                "A0008 LOGOUT".into(),
            ]);
        } else {
            transcript.extend([
                "A0003 UID FETCH 2:3 (UID BODY.PEEK[])".to_string(),
                "A0004 LOGOUT".into(),
            ]);
        }
        assert_eq!(seen, transcript);
    }
}

/// A reconnect that finds another UIDVALIDITY stops rather than fetch by UIDs that now name other
/// messages: what was stored stays, the run is partial.
#[test]
fn a_changed_uidvalidity_on_reconnect_stops_the_run() {
    let second = script(vec![
        login(CAPS),
        select("EXAMINE", "A0002", "INBOX", 8),
        vec![Drain],
    ]);
    let srv = Server::start_sessions(vec![dropped_mid_literal("EXAMINE"), second]);
    let (r, dir) = run(
        "imap-fetch",
        &[&url(&srv, ""), "--retries", "1", "--maildir", "M", "-q"],
    );
    srv.finish();
    assert_code(&r, 10);
    assert_eq!(
        r.stderr,
        "imap-fetch: error: the UIDVALIDITY of INBOX changed from 7 to 8 between sessions, so the UIDs \
         of this run name other messages now; stopping (run again to fetch afresh)\n"
    );
    assert_eq!(maildir_messages(&dir.path().join("M")), vec![lf(ONE)]);
}

/// issue 12 (interop `kill_nine_and_rerun_loses_and_duplicates_nothing` left messages on the server):
/// a run resuming an interrupted one wrote the state without its pending deletions before writing them
/// back, so a run killed in between left messages stored, past `last_uid`, and never deleted. The run
/// here dies (file size limit) at the first state write that is larger than the state without them.
#[test]
fn pending_deletions_survive_a_run_killed_while_resuming() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let without_deletions = r#"{"version":1,"mailbox":"INBOX","uidvalidity":7,"last_uid":2,"pending":[],"stored":[],"delete":[]}"#;
    std::fs::write(&state, without_deletions.replace("[]}", "[1,2]}")).unwrap();
    let st = state.to_str().unwrap();
    let srv = Server::start(script(vec![
        login(CAPS),
        select("SELECT", "A0002", "INBOX", 7),
        vec![Drain],
    ]));
    let u = url(&srv, "");
    let args = |u: &str| -> Vec<String> {
        [u, "--new-only", "--state", st, "--maildir", "M", "--delete"]
            .map(String::from)
            .to_vec()
    };
    let a = args(&u);
    let args1: Vec<&str> = a.iter().map(String::as_str).collect();
    let limit = without_deletions.len() as u64 + 1;
    let (code, _stderr) = run_with_file_size_limit(dir.path(), "imap-fetch", &args1, limit);
    srv.finish();
    assert_eq!(code, None, "the run was to die writing the state");

    let srv = Server::start(script(vec![
        login(CAPS),
        select("SELECT", "A0002", "INBOX", 7),
        vec![
            e("A0003 UID STORE 1:2 +FLAGS.SILENT (\\Deleted)"),
            s("A0003 OK stored"),
            e("A0004 UID EXPUNGE 1:2"),
            s("A0004 OK expunged"),
        ],
        search("A0005", "UID 3:* (ALL)", "2"),
        logout("A0006"),
    ]));
    let a = args(&url(&srv, ""));
    let args2: Vec<&str> = a.iter().map(String::as_str).collect();
    let r = run_in(dir.path(), "imap-fetch", &args2, &[]);
    srv.finish();
    assert_code(&r, 0);
    assert_eq!(
        std::fs::read_to_string(&state).unwrap(),
        format!("{without_deletions}\n")
    );
}

/// Issue 13, defect 2: forty ESEARCH responses of ten million UIDs each used to be summed into one
/// 1.2 GB vector (SIGABRT); the total is capped before any range is expanded: exit 9, quickly.
#[test]
fn endless_esearch_results_are_capped_in_total() {
    let caps = "IMAP4rev1 ESEARCH";
    let mut steps = vec![e("A0003 UID SEARCH RETURN (ALL) ALL")];
    for _ in 0..40 {
        steps.push(s("* ESEARCH (TAG \"A0003\") UID ALL 1:9999999"));
    }
    steps.push(s("A0003 OK done"));
    let srv = Server::start(script(vec![
        login(caps),
        select("EXAMINE", "A0002", "INBOX", 7),
        steps,
    ]));
    let started = std::time::Instant::now();
    let (r, _dir) = run("imap-fetch", &[&url(&srv, ""), "--dir", "o"]);
    assert_code(&r, 9);
    assert!(
        r.stderr
            .contains("the server named more than 10000000 UIDs"),
        "{}",
        r.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    srv.finish();
}

/// Issue 13, defect 8: the server answers `UID FETCH 1:2` with UID 2 only (and a stray body for a UID
/// not asked for); UID 1 is still in the mailbox, so it failed and `last_uid` stays below it. The next
/// run fetches UID 1, and only it.
#[test]
fn a_uid_the_server_did_not_send_is_not_passed_by_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("state.json");
    let st = st.to_str().unwrap();
    let args = |srv: &Server| {
        vec![
            url(srv, ""),
            "--new-only".into(),
            "--state".into(),
            st.into(),
            "--dir".into(),
            "o".into(),
        ]
    };
    let srv = Server::start(script(vec![
        login(CAPS),
        select("EXAMINE", "A0002", "INBOX", 7),
        search("A0003", "ALL", "1 2"),
        vec![
            e("A0004 UID FETCH 1:2 (UID BODY.PEEK[])"),
            fetched(3, 3, "stray\r\n"),
            fetched(2, 2, TWO),
            s("A0004 OK done"),
        ],
        search("A0005", "UID 1", "1"),
        logout("A0006"),
    ]));
    let a = args(&srv);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let r = run_in(dir.path(), "imap-fetch", &a, &[]);
    srv.finish();
    assert_code(&r, 10);
    assert!(
        r.stderr
            .contains("UID 1: the server sent no body for it, yet still has it"),
        "{}",
        r.stderr
    );
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(st).unwrap()).unwrap();
    assert_eq!(doc["last_uid"], 0);
    assert_eq!(doc["stored"], serde_json::json!([2]));
    assert_eq!(names_in(&dir.path().join("o")), ["2.eml"]);

    let srv = Server::start(script(vec![
        login(CAPS),
        select("EXAMINE", "A0002", "INBOX", 7),
        search("A0003", "ALL", "1 2"),
        vec![
            e("A0004 UID FETCH 1 (UID BODY.PEEK[])"),
            fetched(1, 1, ONE),
            s("A0004 OK done"),
        ],
        logout("A0005"),
    ]));
    let a = args(&srv);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let r = run_in(dir.path(), "imap-fetch", &a, &[]);
    srv.finish();
    assert_code(&r, 0);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(st).unwrap()).unwrap();
    assert_eq!(doc["last_uid"], 2);
    assert_eq!(names_in(&dir.path().join("o")), ["1.eml", "2.eml"]);
}

/// Issue 13, defect 6: `--part 9` of a message without part 9 (NIL, or an empty literal) is a failed
/// message, exit 6, not "0 bytes".
#[test]
fn a_missing_part_is_a_failure() {
    let srv = Server::start(script(vec![
        login(CAPS),
        select("EXAMINE", "A0002", "INBOX", 7),
        search("A0003", "ALL", "4 5"),
        vec![
            e("A0004 UID FETCH 4:5 (UID BODY.PEEK[9])"),
            s("* 1 FETCH (UID 4 BODY[9] NIL)"),
            Raw(b"* 2 FETCH (UID 5 BODY[9] {0}\r\n)\r\n".to_vec()),
            s("A0004 OK done"),
        ],
        logout("A0005"),
    ]));
    let (r, dir) = run("imap-fetch", &[&url(&srv, ""), "--part", "9", "--dir", "o"]);
    srv.finish();
    assert_code(&r, 6);
    assert!(r.stderr.contains("no part 9 in UID 4"), "{}", r.stderr);
    assert!(r.stderr.contains("no part 9 in UID 5"), "{}", r.stderr);
    assert!(names_in(&dir.path().join("o")).is_empty());
}

/// Issue 13, defect 5: a decoded binary part is bytes: its CRLFs stay CRLF (it used to lose one byte
/// per CRLF), and with `--dir` it is stored under its own file name, made safe.
#[test]
fn a_decoded_binary_part_keeps_its_bytes_and_its_name() {
    use base64::Engine;
    let data: Vec<u8> = (0..4096u32)
        .flat_map(|i| [(i % 251) as u8, b'\r', b'\n', 0, b'\r'])
        .collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
    let wire: String = b64
        .as_bytes()
        .chunks(76)
        .map(|l| format!("{}\r\n", std::str::from_utf8(l).unwrap()))
        .collect();
    let mime = "Content-Type: application/octet-stream; name=\"x.bin\"\r\n\
                Content-Disposition: attachment;\r\n filename=\"../report.bin\"\r\n\
                Content-Transfer-Encoding: base64\r\n\r\n";
    let part = |tag: &str| {
        vec![
            e(&format!("{tag} UID FETCH 3 (UID BODY.PEEK[2.MIME])")),
            Raw(format!(
                "* 1 FETCH (UID 3 BODY[2.MIME] {{{}}}\r\n{mime})\r\n",
                mime.len()
            )
            .into_bytes()),
            s(&format!("{tag} OK done")),
        ]
    };
    let srv = Server::start(script(vec![
        login(CAPS),
        select("EXAMINE", "A0002", "INBOX", 7),
        search("A0003", "ALL", "3"),
        part("A0004"),
        vec![
            e("A0005 UID FETCH 3 (UID BODY.PEEK[2])"),
            Raw(format!("* 1 FETCH (UID 3 BODY[2] {{{}}}\r\n{wire})\r\n", wire.len()).into_bytes()),
            s("A0005 OK done"),
        ],
        logout("A0006"),
    ]));
    let (r, dir) = run(
        "imap-fetch",
        &[
            &url(&srv, ""),
            "-v",
            "--part",
            "2",
            "--decode",
            "--dir",
            "D",
        ],
    );
    srv.finish();
    assert_code(&r, 0);
    assert_eq!(names_in(&dir.path().join("D")), ["report.bin"]);
    let got = std::fs::read(dir.path().join("D/report.bin")).unwrap();
    assert_eq!(got.len(), data.len());
    assert!(got == data, "the decoded bytes differ");
    assert!(
        r.stderr.contains(&format!("{} bytes", data.len())),
        "{}",
        r.stderr
    );
}

/// Issue 13, defect 7: while another run holds the state file's lock, a second run waits (here the 1 s
/// of `--timeout`, else up to 10 s), then exits 7 without connecting: nothing is fetched twice.
#[test]
fn a_run_holding_the_state_lock_keeps_a_second_one_out() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("st");
    let held = ferry::state::RunLock::state(&st, Duration::ZERO).unwrap();
    // Nothing listens on port 1: a run that got past the lock would fail to connect (exit 3).
    let args = [
        "imap://ann:pw@127.0.0.1:1/",
        "--new-only",
        "--state",
        "st",
        "--maildir",
        "M",
        "--timeout",
        "1",
    ];
    let started = std::time::Instant::now();
    let r = run_in(dir.path(), "imap-fetch", &args, &[]);
    assert_code(&r, 7);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(
        r.stderr.contains("another run holds the lock on st"),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("M").exists() && !st.exists());
    drop(held);
    let r = run_in(dir.path(), "imap-fetch", &args, &[]);
    assert_code(&r, 3);
}
