//! pop3-fetch against the scripted server: exact transcripts for CAPA variants, APOP, SASL, PIPELINING,
//! byte-stuffed bodies, a -ERR on each command, a drop before QUIT, STLS injection, and the state file's
//! pending deletions and in-doubt messages.

use std::path::Path;

use crate::support::*;

/// base64("\0ann\0pw")
const PLAIN_IR: &str = "AGFubgBwdw==";

fn url(srv: &Server) -> String {
    format!("pop3://ann@{}", srv.addr)
}

/// Runs pop3-fetch against `srv` with password "pw" in a fresh directory.
fn fetch(srv: &Server, args: &[&str]) -> (Run, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let r = fetch_in(dir.path(), srv, args);
    (r, dir)
}

fn fetch_in(dir: &Path, srv: &Server, args: &[&str]) -> Run {
    let u = url(srv);
    let mut all = vec![u.as_str(), "--timeout", "10"];
    all.extend_from_slice(args);
    run_in(dir, "pop3-fetch", &all, &[("FERRY_PASSWORD", "pw")])
}

/// Greeting and CAPA with these capability lines.
fn greet(capa: &[&str]) -> Vec<Step> {
    let mut v = vec![s("+OK ready"), e("CAPA"), s("+OK")];
    v.extend(capa.iter().map(|c| s(c)));
    v.push(s("."));
    v
}

/// AUTH PLAIN, then CAPA again.
fn login(capa: &[&str]) -> Vec<Step> {
    let mut v = vec![e(&format!("AUTH PLAIN {PLAIN_IR}")), s("+OK Logged in.")];
    v.extend(capa_again(capa));
    v
}

fn capa_again(capa: &[&str]) -> Vec<Step> {
    let mut v = vec![e("CAPA"), s("+OK")];
    v.extend(capa.iter().map(|c| s(c)));
    v.push(s("."));
    v
}

/// STAT, LIST, UIDL for messages (size, uidl), numbered from 1.
fn listing(msgs: &[(u64, &str)]) -> Vec<Step> {
    let total: u64 = msgs.iter().map(|m| m.0).sum();
    let mut v = vec![e("STAT"), s(&format!("+OK {} {total}", msgs.len()))];
    if msgs.is_empty() {
        return v;
    }
    v.extend([e("LIST"), s("+OK")]);
    v.extend(
        msgs.iter()
            .enumerate()
            .map(|(i, m)| s(&format!("{} {}", i + 1, m.0))),
    );
    v.extend([s("."), e("UIDL"), s("+OK")]);
    v.extend(
        msgs.iter()
            .enumerate()
            .map(|(i, m)| s(&format!("{} {}", i + 1, m.1))),
    );
    v.push(s("."));
    v
}

/// A message's reply: +OK, its wire lines, ".".
fn body(lines: &[&str]) -> Vec<Step> {
    let mut v = vec![s("+OK message follows")];
    v.extend(lines.iter().map(|l| s(l)));
    v.push(s("."));
    v
}

const FULL: &[&str] = &["TOP", "UIDL", "USER", "SASL PLAIN LOGIN"];
const AFTER: &[&str] = &["TOP", "UIDL"];
const MSG: &[&str] = &["Subject: one", "", "hello"];

#[test]
fn fetches_to_stdout_with_the_exact_transcript() {
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(30, "u1")]),
        vec![e("RETR 1")],
        body(MSG),
        vec![e("QUIT"), s("+OK bye")],
    ]));
    let (r, _d) = fetch(&srv, &[]);
    assert_code(&r, 0);
    assert_eq!(r.stdout_str(), "Subject: one\n\nhello\n");
    assert_eq!(r.stderr, "", "quiet success off a terminal (issue 18)");
    srv.finish();
}

#[test]
fn a_server_without_capa_gets_user_and_pass() {
    let srv = Server::start(script(vec![
        vec![s("+OK old server"), e("CAPA"), s("-ERR unknown command")],
        vec![e("USER ann"), s("+OK"), e("PASS pw"), s("+OK")],
        vec![e("CAPA"), s("-ERR unknown command")],
        listing(&[(30, "u1")]),
        vec![e("RETR 1")],
        body(MSG),
        vec![e("QUIT"), s("+OK")],
    ]));
    let (r, _d) = fetch(&srv, &["-v"]);
    assert_code(&r, 0);
    assert!(r.stderr.contains("> PASS ****"), "{}", r.stderr);
    assert!(!r.stderr.contains("pw\n"), "{}", r.stderr);
    srv.finish();
}

#[test]
fn apop_uses_the_greeting_timestamp() {
    // md5("<1.2@h>pw")
    let srv = Server::start(script(vec![
        vec![s("+OK ready <1.2@h>"), e("CAPA"), s("-ERR")],
        vec![e("APOP ann 5e9b13653423c4d0523f1bd951085ec9"), s("+OK")],
        vec![e("CAPA"), s("-ERR")],
        listing(&[]),
        vec![e("QUIT"), s("+OK")],
    ]));
    let (r, _d) = fetch(&srv, &["--apop", "-v"]);
    assert_code(&r, 0);
    assert!(r.stderr.contains("> APOP ****"), "{}", r.stderr);
    srv.finish();
}

#[test]
fn apop_without_a_timestamp_is_an_auth_failure() {
    let srv = Server::start(script(vec![greet(FULL), vec![Drain]]));
    let (r, _d) = fetch(&srv, &["--apop"]);
    assert_code(&r, 5);
    assert!(r.stderr.contains("timestamp"), "{}", r.stderr);
    srv.finish();
}

#[test]
fn sasl_login_answers_each_challenge() {
    let srv = Server::start(script(vec![
        greet(FULL),
        vec![
            e("AUTH LOGIN"),
            s("+ VXNlcm5hbWU6"),
            e("YW5u"),
            s("+ UGFzc3dvcmQ6"),
            e("cHc="),
            s("+OK"),
        ],
        capa_again(AFTER),
        listing(&[]),
        vec![e("QUIT"), s("+OK")],
    ]));
    let (r, _d) = fetch(&srv, &["--auth", "login", "-v"]);
    assert_code(&r, 0);
    assert!(
        !r.stderr.contains("cHc="),
        "SASL lines are masked: {}",
        r.stderr
    );
    srv.finish();
}

#[test]
fn a_mechanism_not_offered_is_exit_5() {
    let srv = Server::start(script(vec![greet(FULL), vec![Drain]]));
    let (r, _d) = fetch(&srv, &["--auth", "xoauth2"]);
    assert_code(&r, 5);
    srv.finish();
}

#[test]
fn pipelining_sends_the_batch_before_reading() {
    let capa = &["UIDL", "PIPELINING", "SASL PLAIN"];
    // The script reads all three RETRs before answering: a client that waited would time out.
    let srv = Server::start(script(vec![
        greet(capa),
        login(capa),
        listing(&[(10, "a"), (10, "b"), (10, "c")]),
        vec![e("RETR 1"), e("RETR 2"), e("RETR 3")],
        body(&["Subject: 1", "", "x"]),
        body(&["Subject: 2", "", "y"]),
        body(&["Subject: 3", "", "z"]),
        vec![e("DELE 1"), e("DELE 2"), e("DELE 3")],
        vec![s("+OK"), s("+OK"), s("+OK")],
        vec![e("QUIT"), s("+OK")],
    ]));
    let (r, d) = fetch(&srv, &["--dir", "out", "--delete", "--json"]);
    assert_code(&r, 0);
    assert_eq!(
        names_in(&d.path().join("out")),
        vec!["a.eml", "b.eml", "c.eml"]
    );
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["deleted"], 3, "{doc}");
    assert_eq!(doc["messages"][2]["status"], "ok");
    srv.finish();
}

#[test]
fn byte_stuffed_bodies_are_unstuffed() {
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(40, "u1")]),
        vec![e("RETR 1")],
        body(&["Subject: dots", "", "..hidden", "...", "end", "..", "...."]),
        vec![e("QUIT"), s("+OK")],
    ]));
    let (r, d) = fetch(&srv, &["--maildir", "M"]);
    assert_code(&r, 0);
    let new = d.path().join("M/new");
    let names = names_in(&new);
    assert_eq!(names.len(), 1);
    let got = std::fs::read_to_string(new.join(&names[0])).unwrap();
    assert_eq!(got, "Subject: dots\n\n.hidden\n..\nend\n.\n...\n");
    srv.finish();
}

#[test]
fn headers_only_and_top_use_top() {
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(40, "u1"), (50, "u2")]),
        vec![e("TOP 2 0")],
        body(&["Subject: two", ""]),
        vec![e("QUIT"), s("+OK")],
    ]));
    let (r, _d) = fetch(&srv, &["--headers-only", "u2"]);
    assert_code(&r, 0);
    assert_eq!(r.stdout_str(), "Subject: two\n\n");
    srv.finish();
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(40, "u1")]),
        vec![e("TOP 1 3")],
        body(&["Subject: one", "", "a"]),
        vec![e("QUIT"), s("+OK")],
    ]));
    let (r, _d) = fetch(&srv, &["--top", "3", "1"]);
    assert_code(&r, 0);
    srv.finish();
}

#[test]
fn list_prints_number_size_uidl() {
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(40, "u1"), (50, "u2")]),
        vec![e("QUIT"), s("+OK")],
    ]));
    let (r, _d) = fetch(&srv, &["--list"]);
    assert_code(&r, 0);
    assert_eq!(r.stdout_str(), "1 40 u1\n2 50 u2\n");
    srv.finish();
}

#[test]
fn max_size_and_max_messages_select() {
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(4000, "big"), (10, "s1"), (10, "s2")]),
        vec![e("RETR 2")],
        body(MSG),
        vec![e("QUIT"), s("+OK")],
    ]));
    let (r, _d) = fetch(&srv, &["--max-size", "1k", "--max-messages", "1"]);
    assert_code(&r, 0);
    srv.finish();
}

/// The exit code for a -ERR at each step of a fetch-and-delete session.
#[test]
fn err_on_each_command() {
    let open = || script(vec![greet(FULL), login(AFTER)]);
    let cases: Vec<(&str, Vec<Step>, i32)> = vec![
        ("greeting", vec![s("-ERR [SYS/TEMP] busy"), Drain], 7),
        (
            "AUTH",
            script(vec![
                greet(FULL),
                vec![e(&format!("AUTH PLAIN {PLAIN_IR}")), s("-ERR [AUTH] no")],
                vec![Drain],
            ]),
            5,
        ),
        (
            "AUTH in use",
            script(vec![
                greet(FULL),
                vec![
                    e(&format!("AUTH PLAIN {PLAIN_IR}")),
                    s("-ERR [IN-USE] locked"),
                ],
                vec![Drain],
            ]),
            7,
        ),
        (
            "USER",
            script(vec![
                greet(&["USER"]),
                vec![e("USER ann"), s("-ERR who?"), Drain],
            ]),
            5,
        ),
        (
            "PASS",
            script(vec![
                greet(&["USER"]),
                vec![e("USER ann"), s("+OK"), e("PASS pw"), s("-ERR no"), Drain],
            ]),
            5,
        ),
        (
            "STAT",
            script(vec![open(), vec![e("STAT"), s("-ERR no"), Drain]]),
            6,
        ),
        (
            "LIST",
            script(vec![
                open(),
                vec![e("STAT"), s("+OK 1 10"), e("LIST"), s("-ERR no"), Drain],
            ]),
            6,
        ),
        (
            "RETR",
            script(vec![
                open(),
                listing(&[(10, "a")]),
                vec![e("RETR 1"), s("-ERR gone"), e("QUIT"), s("+OK")],
            ]),
            6,
        ),
        (
            "DELE",
            script(vec![
                open(),
                listing(&[(10, "a")]),
                vec![e("RETR 1")],
                body(MSG),
                vec![e("DELE 1"), s("-ERR no"), e("QUIT"), s("+OK")],
            ]),
            10,
        ),
        (
            "QUIT",
            script(vec![
                open(),
                listing(&[(10, "a")]),
                vec![e("RETR 1")],
                body(MSG),
                vec![
                    e("DELE 1"),
                    s("+OK"),
                    e("QUIT"),
                    s("-ERR [SYS/TEMP] cannot update"),
                ],
            ]),
            10,
        ),
    ];
    for (what, steps, code) in cases {
        let srv = Server::start(steps);
        let (r, _d) = fetch(&srv, &["--delete", "--dir", "out"]);
        assert_eq!(r.code, code, "-ERR on {what}: stderr {}", r.stderr);
        srv.finish();
    }
}

#[test]
fn a_drop_before_quit_keeps_mail_and_says_deletion_unconfirmed() {
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(10, "a")]),
        vec![e("RETR 1")],
        body(MSG),
        vec![e("DELE 1"), s("+OK"), e("QUIT")],
    ]));
    let (r, d) = fetch(
        &srv,
        &["--delete", "--dir", "out", "--new-only", "--state", "st"],
    );
    assert_code(&r, 10);
    assert!(r.stderr.contains("not confirmed"), "{}", r.stderr);
    assert_eq!(names_in(&d.path().join("out")), vec!["a.eml"]);
    let st = std::fs::read_to_string(d.path().join("st")).unwrap();
    assert!(st.contains("SD a\n"), "pending deletion recorded: {st}");
    srv.finish();

    // The rerun sends the pending DELE and fetches nothing again.
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(10, "a")]),
        vec![e("DELE 1"), s("+OK"), e("QUIT"), s("+OK")],
    ]));
    let r = fetch_in(
        d.path(),
        &srv,
        &["--delete", "--dir", "out", "--new-only", "--state", "st"],
    );
    assert_code(&r, 0);
    assert_eq!(names_in(&d.path().join("out")), vec!["a.eml"]);
    let st = std::fs::read_to_string(d.path().join("st")).unwrap();
    assert!(
        !st.contains("S a") && !st.contains("D a"),
        "forgotten once deleted: {st}"
    );
    srv.finish();
}

#[test]
fn new_only_skips_what_the_state_has_and_nothing_new_is_exit_0() {
    let d = tempfile::tempdir().unwrap();
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(10, "a")]),
        vec![e("RETR 1")],
        body(MSG),
        vec![e("QUIT"), s("+OK")],
    ]));
    let args = ["--maildir", "M", "--new-only", "--state", "st"];
    assert_code(&fetch_in(d.path(), &srv, &args), 0);
    srv.finish();
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(10, "a")]),
        vec![e("QUIT"), s("+OK")],
    ]));
    assert_code(&fetch_in(d.path(), &srv, &args), 0);
    assert_eq!(names_in(&d.path().join("M/new")).len(), 1);
    srv.finish();
}

#[test]
fn an_in_doubt_message_already_in_the_maildir_is_not_stored_twice() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("M/new")).unwrap();
    std::fs::create_dir_all(d.path().join("M/cur")).unwrap();
    std::fs::create_dir_all(d.path().join("M/tmp")).unwrap();
    std::fs::write(d.path().join("M/cur/123.x:2,S"), "Subject: one\n\nhello\n").unwrap();
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(30, "a"), (30, "b")]),
        // a: retrieved once to compare, found; b: retrieved to compare, not found, fetched.
        vec![e("RETR 1")],
        body(MSG),
        vec![e("RETR 2")],
        body(&["Subject: two", "", "x"]),
        vec![e("RETR 2")],
        body(&["Subject: two", "", "x"]),
        vec![e("QUIT"), s("+OK")],
    ]));
    std::fs::write(
        d.path().join("st"),
        format!(
            "ferry pop3-fetch state 1\naccount ann@{}\nF a b\n",
            srv.addr.ip()
        ),
    )
    .unwrap();
    let r = fetch_in(
        d.path(),
        &srv,
        &["--maildir", "M", "--new-only", "--state", "st"],
    );
    assert_code(&r, 0);
    assert_eq!(names_in(&d.path().join("M/new")).len(), 1, "only b is new");
    let st = std::fs::read_to_string(d.path().join("st")).unwrap();
    assert!(st.contains("S a b\n"), "{st}");
    srv.finish();
}

#[test]
fn a_state_file_of_another_account_is_refused() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("st"),
        "ferry pop3-fetch state 1\naccount bob@elsewhere\n",
    )
    .unwrap();
    let srv = Server::start(vec![]);
    let r = fetch_in(d.path(), &srv, &["--new-only", "--state", "st"]);
    assert_code(&r, 8);
}

#[test]
fn stls_not_offered_is_exit_4_and_injected_bytes_exit_9() {
    let srv = Server::start(script(vec![greet(FULL), vec![Drain]]));
    let (r, _d) = fetch(&srv, &["--starttls"]);
    assert_code(&r, 4);
    srv.finish();
    let srv = Server::start(script(vec![
        greet(&["STLS", "USER"]),
        vec![
            e("STLS"),
            Raw(b"+OK Begin TLS\r\n+OK injected\r\n".to_vec()),
            Drain,
        ],
    ]));
    let (r, _d) = fetch(&srv, &["--starttls"]);
    assert_code(&r, 9);
    srv.finish();
    let srv = Server::start(script(vec![
        greet(&["STLS", "USER"]),
        vec![e("STLS"), s("-ERR not now"), Drain],
    ]));
    let (r, _d) = fetch(&srv, &["--starttls"]);
    assert_code(&r, 4);
    srv.finish();
}

#[test]
fn a_truncated_body_is_exit_9_and_nothing_is_stored() {
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(30, "a")]),
        vec![e("RETR 1"), s("+OK"), s("Subject: cut"), s("")],
    ]));
    let (r, d) = fetch(&srv, &["--maildir", "M"]);
    assert_code(&r, 9);
    for sub in ["new", "tmp", "cur"] {
        assert!(names_in(&d.path().join("M").join(sub)).is_empty(), "{sub}");
    }
    srv.finish();
}

#[test]
fn a_failing_mda_is_not_delivered_and_nothing_is_deleted() {
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(10, "a"), (10, "b")]),
        vec![e("RETR 1")],
        body(MSG),
        vec![e("RETR 2")],
        body(MSG),
        vec![e("DELE 2"), s("+OK"), e("QUIT"), s("+OK")],
    ]));
    // The MDA refuses the first message and accepts the second.
    let (r, d) = fetch(
        &srv,
        &[
            "--delete",
            "--mda",
            "if [ -e seen ]; then cat > got; else touch seen; cat >/dev/null; exit 75; fi",
        ],
    );
    assert_code(&r, 10);
    assert_eq!(
        std::fs::read_to_string(d.path().join("got")).unwrap(),
        "Subject: one\n\nhello\n"
    );
    srv.finish();
}

#[test]
fn usage_errors() {
    for args in [
        vec!["pop3://h/", "--new-only"],
        vec!["pop3://h/", "--top", "1", "--headers-only"],
        vec!["pop3://h/", "--apop", "--auth", "plain"],
        vec!["pop3://h/", "--maildir", "a", "--mbox", "b"],
        vec!["pop3://h/", "--json"],
        vec!["ftp://h/"],
        vec!["pop3://h/INBOX"],
        vec!["pop3://h/", "--max-size", "lots"],
    ] {
        let (r, _d) = run("pop3-fetch", &args);
        assert_code(&r, 2);
    }
}

/// Three messages a, b, c; their wire lines and what the store keeps (LF endings).
const THREE: [(&str, &[&str], &[u8]); 3] = [
    ("a", &["Subject: a", "", "first"], b"Subject: a\n\nfirst\n"),
    (
        "b",
        &["Subject: b", "", "second", "..dot"],
        b"Subject: b\n\nsecond\n.dot\n",
    ),
    ("c", &["Subject: c", "", "third"], b"Subject: c\n\nthird\n"),
];

fn three_listed() -> Vec<Step> {
    listing(&[(20, "a"), (30, "b"), (20, "c")])
}

/// The first connection: RETR 1 whole (and DELE 1 with `delete`), then the connection drops in the
/// middle of RETR 2's body.
fn dropping_session(delete: bool) -> Vec<Step> {
    let mut v = script(vec![greet(FULL), login(AFTER), three_listed()]);
    v.push(e("RETR 1"));
    v.extend(body(THREE[0].1));
    if delete {
        v.extend([e("DELE 1"), s("+OK marked")]);
    }
    v.extend([
        e("RETR 2"),
        s("+OK message follows"),
        s("Subject: b"),
        s(""),
    ]);
    v
}

fn expected_first(delete: bool) -> Vec<String> {
    let mut v = vec![
        "CAPA",
        &format!("AUTH PLAIN {PLAIN_IR}"),
        "CAPA",
        "STAT",
        "LIST",
        "UIDL",
        "RETR 1",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    if delete {
        v.push("DELE 1".into());
    }
    v.push("RETR 2".into());
    v
}

fn three_stored() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = THREE.iter().map(|m| m.2.to_vec()).collect();
    v.sort();
    v
}

/// Issue 12: `--retries` resumes on a new connection from what is durable; no message is lost or stored
/// twice.
#[test]
fn retries_resume_a_dropped_run_on_a_new_connection() {
    let second = script(vec![
        greet(FULL),
        login(AFTER),
        three_listed(),
        vec![e("RETR 2")],
        body(THREE[1].1),
        vec![e("RETR 3")],
        body(THREE[2].1),
        vec![e("QUIT"), s("+OK bye")],
    ]);
    let srv = Server::start_sessions(vec![dropping_session(false), second]);
    let (r, d) = fetch(&srv, &["-v", "--retries", "2", "--maildir", "M"]);
    assert_code(&r, 0);
    assert_eq!(
        without_transcript(&r.stderr),
        "pop3-fetch: the server closed the connection before the end of a multi-line response; retrying (1/2)\n\
         pop3-fetch: 3 fetched, 0 skipped, 0 failed, 0 deleted\n"
    );
    assert_eq!(contents_in(&d.path().join("M/new")), three_stored());
    assert!(names_in(&d.path().join("M/tmp")).is_empty());
    let seen = per_session(&srv.finish());
    let auth = format!("AUTH PLAIN {PLAIN_IR}");
    assert_eq!(seen[0], expected_first(false));
    assert_eq!(
        seen[1],
        [
            "CAPA", &auth, "CAPA", "STAT", "LIST", "UIDL", "RETR 2", "RETR 3", "QUIT"
        ]
    );
}

/// With `--delete`, DELE goes only for durable messages, all on the connection whose QUIT succeeds.
#[test]
fn retries_with_delete_send_dele_again_on_the_new_connection() {
    let second = script(vec![
        greet(FULL),
        login(AFTER),
        three_listed(),
        vec![e("DELE 1"), s("+OK marked"), e("RETR 2")],
        body(THREE[1].1),
        vec![e("DELE 2"), s("+OK marked"), e("RETR 3")],
        body(THREE[2].1),
        vec![e("DELE 3"), s("+OK marked"), e("QUIT"), s("+OK bye")],
    ]);
    let srv = Server::start_sessions(vec![dropping_session(true), second]);
    let (r, d) = fetch(
        &srv,
        &[
            "--retries",
            "2",
            "--delete",
            "--maildir",
            "M",
            "--json",
            "--new-only",
            "--state",
            "st",
        ],
    );
    assert_code(&r, 0);
    assert_eq!(
        std::fs::read_to_string(d.path().join("st")).unwrap(),
        format!("ferry pop3-fetch state 1\naccount ann@{}\n", srv.addr.ip()),
        "every deletion confirmed: the state forgets them"
    );
    assert_eq!(contents_in(&d.path().join("M/new")), three_stored());
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["fetched"], 3, "{doc}");
    assert_eq!(doc["deleted"], 3, "{doc}");
    assert_eq!(doc["failed"], 0, "{doc}");
    assert_eq!(doc["error"], serde_json::Value::Null, "{doc}");
    let msgs = doc["messages"].as_array().unwrap();
    let got: Vec<(&str, &str, bool)> = msgs
        .iter()
        .map(|m| {
            (
                m["uidl"].as_str().unwrap(),
                m["status"].as_str().unwrap(),
                m["deleted"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("a", "ok", true), ("b", "ok", true), ("c", "ok", true)]
    );
    let seen = per_session(&srv.finish());
    let auth = format!("AUTH PLAIN {PLAIN_IR}");
    assert_eq!(seen[0], expected_first(true));
    assert_eq!(
        seen[1],
        [
            "CAPA", &auth, "CAPA", "STAT", "LIST", "UIDL", "DELE 1", "RETR 2", "DELE 2", "RETR 3",
            "DELE 3", "QUIT"
        ]
    );
}

/// Without `--retries` the drop ends the run after one connection: what was stored stays, the rest is
/// not fetched, and the run is partial (issue 12's one outcome rule: a run-ending error after some
/// messages were stored is exit 10; before the unification pop3-fetch exited with the error's own code, 9).
#[test]
fn without_retries_a_dropped_run_ends_on_the_first_connection() {
    let srv = Server::start_sessions(vec![dropping_session(false)]);
    let (r, d) = fetch(&srv, &["--maildir", "M"]);
    assert_code(&r, 10);
    assert_eq!(
        r.stderr,
        "pop3-fetch: 1 fetched, 0 skipped, 0 failed, 0 deleted\n\
         pop3-fetch: error: the server closed the connection before the end of a multi-line \
         response\n"
    );
    assert_eq!(contents_in(&d.path().join("M/new")), [THREE[0].2.to_vec()]);
    let seen = per_session(&srv.finish());
    assert_eq!(seen, [expected_first(false)]);
}

/// Issue 13, defect 10: an empty or repeated UIDL cannot name a message. With --new-only/--state or
/// --delete the run stops before any RETR (exit 9); without them the messages are named by number.
#[test]
fn a_uidl_list_that_is_not_unique() {
    for args in [
        &["--maildir", "M", "--new-only", "--state", "st"][..],
        &["--maildir", "M", "--delete"][..],
    ] {
        let srv = Server::start(script(vec![
            greet(FULL),
            login(AFTER),
            listing(&[(10, "a"), (10, "a")]),
        ]));
        let (r, d) = fetch(&srv, args);
        assert_code(&r, 9);
        assert!(
            r.stderr.contains("the server's UIDL list is not unique"),
            "{}",
            r.stderr
        );
        let seen = srv.finish();
        assert!(
            !seen
                .iter()
                .any(|l| l.starts_with("RETR") || l.starts_with("DELE"))
        );
        assert!(!d.path().join("st").exists());
    }
    // An empty id ("2" alone) is not unique either.
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(10, "a"), (10, "")]),
    ]));
    let (r, _d) = fetch(&srv, &["--maildir", "M", "--delete"]);
    assert_code(&r, 9);
    srv.finish();

    // Nothing depends on the ids: messages are fetched, and named, by number.
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(10, "a"), (10, "a")]),
        vec![e("RETR 1")],
        body(MSG),
        vec![e("RETR 2")],
        body(MSG),
        vec![e("QUIT"), s("+OK")],
    ]));
    let (r, d) = fetch(&srv, &["--dir", "D"]);
    assert_code(&r, 0);
    assert!(
        r.stderr.contains("messages are named by number"),
        "{}",
        r.stderr
    );
    assert_eq!(names_in(&d.path().join("D")), ["1.eml", "2.eml"]);
    srv.finish();
}

/// Issue 13, defect 7: while another run holds the state file's lock, a second run waits (the 1 s of
/// `--timeout`), then exits 7 without connecting.
#[test]
fn a_run_holding_the_state_lock_keeps_a_second_one_out() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("st");
    let held = ferry::state::RunLock::state(&st, std::time::Duration::ZERO).unwrap();
    // Nothing listens on port 1: a run that got past the lock would fail to connect (exit 3).
    let args = [
        "pop3://ann@127.0.0.1:1",
        "--new-only",
        "--state",
        "st",
        "--maildir",
        "M",
        "--timeout",
        "1",
    ];
    let r = run_in(dir.path(), "pop3-fetch", &args, &[("FERRY_PASSWORD", "pw")]);
    assert_code(&r, 7);
    assert!(
        r.stderr.contains("another run holds the lock on st"),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("M").exists() && !st.exists());
    drop(held);
    let r = run_in(dir.path(), "pop3-fetch", &args, &[("FERRY_PASSWORD", "pw")]);
    assert_code(&r, 3);
}

/// Issue 17, item 6: `--delete-after-days N` deletes a message N days after it was first stored — by the
/// clock of `FERRY_TEST_NOW` — and never one that was not stored.
#[test]
fn delete_after_days_deletes_stored_mail_n_days_later() {
    const DAY: i64 = 86_400;
    let d = tempfile::tempdir().unwrap();
    let at = |day: i64, srv: &Server| {
        let now = (1_700_000_000 + day * DAY).to_string();
        let u = url(srv);
        run_in(
            d.path(),
            "pop3-fetch",
            &[
                &u,
                "--maildir",
                "M",
                "--new-only",
                "--state",
                "st",
                "--max-size",
                "100",
                "--delete-after-days",
                "3",
            ],
            &[("FERRY_PASSWORD", "pw"), ("FERRY_TEST_NOW", &now)],
        )
    };
    // Day 0: a is stored; b is too large, so never stored.
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(10, "a"), (5000, "b")]),
        vec![e("RETR 1")],
        body(MSG),
        vec![e("QUIT"), s("+OK")],
    ]));
    assert_code(&at(0, &srv), 0);
    srv.finish();
    // Day 2: c arrives; a is two days old and stays.
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(10, "a"), (5000, "b"), (10, "c")]),
        vec![e("RETR 3")],
        body(MSG),
        vec![e("QUIT"), s("+OK")],
    ]));
    assert_code(&at(2, &srv), 0);
    srv.finish();
    // Day 3: a goes; c (one day old) and b (never stored) stay.
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(10, "a"), (5000, "b"), (10, "c")]),
        vec![e("DELE 1"), s("+OK"), e("QUIT"), s("+OK")],
    ]));
    let r = at(3, &srv);
    assert_code(&r, 0);
    srv.finish();
    assert_eq!(names_in(&d.path().join("M/new")).len(), 2);
    assert_eq!(
        std::fs::read_to_string(d.path().join("st")).unwrap(),
        format!(
            "ferry pop3-fetch state 1\naccount ann@127.0.0.1\nS c\nT {} c\n",
            1_700_000_000 + 2 * DAY
        )
    );
}

/// A server that hangs up in the middle of a message: the MDA is killed before it sees the end of its
/// input, so one that reads the whole message and then delivers it (as procmail and dovecot-lda do)
/// never delivers the truncated message. (Killed after its stdin closed, it raced to deliver it.)
#[test]
fn a_message_cut_off_mid_body_never_reaches_the_mda() {
    let mut part = b"+OK message follows\r\nSubject: cut\r\n\r\n".to_vec();
    for _ in 0..50_000 {
        part.extend_from_slice(b"line\r\n");
    }
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(400_000, "a")]),
        vec![
            e("RETR 1"),
            Raw(part),
            Sleep(std::time::Duration::from_millis(300)),
        ],
    ]));
    let mda = r#"m=$(cat); printf '%s\n' "$m" >> box"#;
    let (r, d) = fetch(&srv, &["--delete", "--mda", mda]);
    assert_code(&r, 9);
    let got = std::fs::read(d.path().join("box")).unwrap_or_default();
    assert!(
        got.is_empty(),
        "{} bytes of a truncated message delivered",
        got.len()
    );
    srv.finish();
}

/// A body dripped a byte every 200 ms never lets one read wait the whole `--timeout`, but it falls below
/// the minimum rate over the timeout (1 KiB/s): exit 11 after about a second, not 20 s later, and no
/// message is stored.
#[test]
fn a_body_trickled_below_the_minimum_rate_times_out() {
    let srv = Server::start(script(vec![
        greet(FULL),
        login(AFTER),
        listing(&[(3000, "u1")]),
        vec![
            e("RETR 1"),
            s("+OK message follows"),
            s("Subject: slow"),
            s(""),
        ],
        vec![Trickle(
            "x".repeat(100),
            std::time::Duration::from_millis(200),
        )],
    ]));
    let dir = tempfile::tempdir().unwrap();
    let u = url(&srv);
    let args = [u.as_str(), "--timeout", "1", "--maildir", "M"];
    let r = run_in(dir.path(), "pop3-fetch", &args, &[("FERRY_PASSWORD", "pw")]);
    assert_code(&r, 11);
    assert!(r.stderr.contains("the server trickles"), "{}", r.stderr);
    assert!(
        r.elapsed < std::time::Duration::from_secs(6),
        "took {:?}",
        r.elapsed
    );
    assert!(maildir_messages(&dir.path().join("M")).is_empty());
}
