//! smtp-send's queue lifecycle (issue 15, item 1) against a scripted server, with the test clock
//! `FERRY_TEST_NOW`: the backoff schedule, expiry, permanent refusals, the RFC 3464 notice (checked by
//! Python's `email` parser, not by ferry's own), the null-sender and no-notice-for-a-notice rules, the
//! `dead_letter` fallback, the send journal after a crash, `--queue-list` and `--queue-drop`.

use std::path::Path;

use crate::support::*;

/// 2026-01-01T00:00:00Z.
const T0: u64 = 1_767_225_600;
const MSG: &str = "From: ann@example.com\r\nTo: bob@example.org\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <q@test>\r\nSubject: nightly\r\n\r\nbody\r\n";

fn url(srv: &Server) -> String {
    format!("smtp://{}", srv.addr)
}

fn hello() -> Vec<Step> {
    vec![
        s("220 scripted ESMTP"),
        e("EHLO test.invalid"),
        s("250 scripted"),
    ]
}

fn quit_ok() -> Vec<Step> {
    vec![e("QUIT"), s("221 bye")]
}

/// The notice's transaction: null sender, the entry's sender as the one recipient.
fn notice_to(sender: &str) -> Vec<Step> {
    vec![
        e("MAIL FROM:<>"),
        s("250 ok"),
        Expect(format!("RCPT TO:<{sender}>")),
        s("250 ok"),
        e("DATA"),
        s("354 go"),
        ReadDotBody,
        s("250 2.0.0 notice queued"),
    ]
}

/// A queue entry written the way ferry writes one, with its state file.
fn entry(q: &Path, id: &str, from: &str, state: &str) {
    entry_of(q, id, from, state, MSG);
}

fn entry_of(q: &Path, id: &str, from: &str, state: &str, msg: &str) {
    std::fs::create_dir_all(q).unwrap();
    std::fs::write(
        q.join(format!("{id}.msg")),
        format!("ferry-smtp-queue 1\nfrom {from}\nto bob@example.org\nflags 8bit\n\n{msg}"),
    )
    .unwrap();
    std::fs::write(
        q.join(format!("{id}.state")),
        format!("ferry-smtp-queue-state 1\n{state}"),
    )
    .unwrap();
}

fn flush(dir: &Path, q: &Path, url: &str, now: u64, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let now = now.to_string();
    let q = q.display().to_string();
    let mut args = vec![
        "--helo",
        "test.invalid",
        "--timeout",
        "10",
        "--flush-queue",
        &q,
        url,
    ];
    args.extend_from_slice(extra);
    let mut env = env.to_vec();
    env.push(("FERRY_TEST_NOW", &now));
    run_in(dir, "smtp-send", &args, &env)
}

/// The queue's files other than its lock.
fn left(q: &Path) -> Vec<String> {
    names_in(q).into_iter().filter(|n| n != ".lock").collect()
}

/// What Python's `email` package reads in a notice: the report's structure, one line per fact.
fn parse_notice(dir: &Path, bytes: &[u8]) -> String {
    let file = dir.join("notice.eml");
    std::fs::write(&file, bytes).unwrap();
    let script = r#"
import email, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read())
print(m.get_content_type(), m.get_param('report-type'))
print('To:', m['To'], '| Auto-Submitted:', m['Auto-Submitted'], '| Subject:', m['Subject'])
parts = m.get_payload()
print([p.get_content_type() for p in parts])
blocks = parts[1].get_payload()
print('Reporting-MTA' in blocks[0], blocks[0]['X-Ferry-Queue-ID'])
for b in blocks[1:]:
    print(b['Final-Recipient'], '|', b['Action'], '|', b['Status'], '|', b['Diagnostic-Code'])
h = email.message_from_string(parts[2].get_payload())
print('original:', h['Subject'], h['Message-ID'])
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&file)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_deferred_entry_waits_for_its_backoff_then_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let qs = q.display().to_string();
    std::fs::write(dir.path().join("m.eml"), MSG).unwrap();
    let t0 = T0.to_string();
    // Nothing listens on port 1: the first attempt fails transiently and the message is queued.
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
            &qs,
        ],
        &[("FERRY_TEST_NOW", &t0)],
    );
    assert_code(&r, 7);
    let list = |now: u64| {
        let r = run_in(
            dir.path(),
            "smtp-send",
            &["--queue-list", &qs, "--json"],
            &[("FERRY_TEST_NOW", &now.to_string())],
        );
        assert_code(&r, 0);
        let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
        let e = &doc[0];
        (
            e["attempts"].as_u64().unwrap(),
            e["next_attempt"].as_str().unwrap().to_string(),
            e["age"].as_u64().unwrap(),
        )
    };
    assert_eq!(list(T0 + 60), (1, "2026-01-01T00:30:00Z".into(), 60));
    // Not due yet: nothing is tried (port 1 would fail), the entry is skipped.
    let r = flush(dir.path(), &q, "smtp://127.0.0.1:1", T0 + 1799, &[], &[]);
    assert_code(&r, 0);
    assert_eq!(r.stderr, "");
    let srv = Server::start(script(vec![
        hello(),
        vec![
            e("MAIL FROM:<ann@example.com>"),
            s("250 ok"),
            e("RCPT TO:<bob@example.org>"),
            s("450 4.2.0 busy"),
            e("RSET"),
            s("250 ok"),
        ],
        quit_ok(),
    ]));
    let r = flush(dir.path(), &q, &url(&srv), T0 + 1800, &["--json"], &[]);
    assert_code(&r, 7);
    srv.finish();
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let id = doc["messages"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        doc["messages"][0]["error"]["message"],
        format!(
            "{id}: 1 recipient(s) deferred (450 4.2.0 busy); kept, next attempt at 2026-01-01T01:30:00Z"
        )
    );
    assert_eq!(doc["messages"][0]["attempts"], 2);
    // The second wait is doubled: 30 min, then 60.
    assert_eq!(list(T0 + 1800), (2, "2026-01-01T01:30:00Z".into(), 1800));
    let r = flush(
        dir.path(),
        &q,
        "smtp://127.0.0.1:1",
        T0 + 1800 + 3599,
        &[],
        &[],
    );
    assert_code(&r, 0);
    let srv = Server::start(script(vec![
        hello(),
        vec![
            e("MAIL FROM:<ann@example.com>"),
            s("250 ok"),
            e("RCPT TO:<bob@example.org>"),
            s("250 ok"),
            e("DATA"),
            s("354 go"),
            ReadDotBody,
            s("250 ok"),
        ],
        quit_ok(),
    ]));
    let r = flush(dir.path(), &q, &url(&srv), T0 + 1800 + 3600, &[], &[]);
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), MSG.as_bytes());
    srv.finish();
    assert_eq!(left(&q), Vec::<String>::new());
}

#[test]
fn a_refused_entry_is_given_up_with_a_notice_to_its_sender() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    entry(
        &q,
        "1.1.0",
        "ann@example.com",
        &format!("queued {T0}\nphase queued\ncount 1\nattempt {T0} 7 450 busy\n"),
    );
    let srv = Server::start(script(vec![
        hello(),
        vec![
            e("MAIL FROM:<ann@example.com>"),
            s("250 ok"),
            e("RCPT TO:<bob@example.org>"),
            s("550 5.1.1 no such user"),
            e("RSET"),
            s("250 ok"),
        ],
        notice_to("ann@example.com"),
        quit_ok(),
    ]));
    let r = flush(dir.path(), &q, &url(&srv), T0 + 7200, &[], &[]);
    assert_code(&r, 6);
    assert_eq!(
        r.stderr,
        "smtp-send: 1.1.0: refused <bob@example.org>: 550 5.1.1 no such user\n\
         smtp-send: error: 1.1.0: 1 recipient(s) refused; notice sent to <ann@example.com> (250 2.0.0 notice queued)\n"
    );
    let notice = srv.data_received();
    srv.finish();
    assert_eq!(left(&q), Vec::<String>::new());
    assert_eq!(
        parse_notice(dir.path(), &notice),
        "multipart/report delivery-status\n\
         To: <ann@example.com> | Auto-Submitted: auto-replied | Subject: Undelivered Mail Returned to Sender\n\
         ['text/plain', 'message/delivery-status', 'text/rfc822-headers']\n\
         True 1.1.0\n\
         rfc822; bob@example.org | failed | 5.1.1 | smtp; 550 5.1.1 no such user\n\
         original: nightly <q@test>\n"
    );
}

#[test]
fn expiry_notifies_the_sender_but_never_a_null_sender() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let state = format!("queued {T0}\nphase queued\ncount 3\nattempt {T0} 7 450 4.2.0 busy\n");
    entry(&q, "1.1.0", "ann@example.com", &state);
    entry(&q, "2.1.0", "", &state);
    // Five days later both expire without another attempt; only ann is told.
    let srv = Server::start(script(vec![
        hello(),
        notice_to("ann@example.com"),
        quit_ok(),
    ]));
    let r = flush(dir.path(), &q, &url(&srv), T0 + 5 * 86_400, &["-q"], &[]);
    assert_code(&r, 6);
    assert_eq!(
        r.stderr,
        "smtp-send: error: 1.1.0: expired; notice sent to <ann@example.com> (250 2.0.0 notice queued)\n\
         smtp-send: error: 2.1.0: expired; no notice (null sender or a delivery report)\n\
         smtp-send: error: all 2 queued messages failed\n"
    );
    let notice = srv.data_received();
    srv.finish();
    assert_eq!(left(&q), Vec::<String>::new());
    let parsed = parse_notice(dir.path(), &notice);
    assert!(
        parsed.contains("rfc822; bob@example.org | failed | 4.2.0 | smtp; 450 4.2.0 busy\n"),
        "{parsed}"
    );
}

#[test]
fn a_notice_that_cannot_be_sent_goes_to_the_dead_letter_maildir() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let dead = dir.path().join("dead/");
    let cfg = dir.path().join("cfg");
    std::fs::create_dir_all(cfg.join("ferry")).unwrap();
    std::fs::write(
        cfg.join("ferry/config.toml"),
        format!("[account.a]\ndead_letter = \"{}\"\n", dead.display()),
    )
    .unwrap();
    entry(
        &q,
        "1.1.0",
        "ann@example.com",
        &format!("queued {T0}\nphase queued\ncount 1\nattempt {T0} 7 450 busy\n"),
    );
    let srv = Server::start(script(vec![
        hello(),
        vec![
            e("MAIL FROM:<>"),
            s("250 ok"),
            e("RCPT TO:<ann@example.com>"),
            s("550 5.7.1 no bounces here"),
            e("RSET"),
            s("250 ok"),
        ],
        quit_ok(),
    ]));
    let cfg_s = cfg.display().to_string();
    let r = flush(
        dir.path(),
        &q,
        &url(&srv),
        T0 + 6 * 86_400,
        &["--account", "a"],
        &[("XDG_CONFIG_HOME", &cfg_s)],
    );
    assert_code(&r, 6);
    srv.finish();
    assert_eq!(
        r.stderr,
        format!(
            "smtp-send: error: 1.1.0: expired; notice delivered to {} (sending it failed: refused <ann@example.com>: 550 5.7.1 no bounces here)\n",
            dead.display()
        )
    );
    assert_eq!(left(&q), Vec::<String>::new());
    let got = maildir_messages(&dead);
    assert_eq!(got.len(), 1);
    let parsed = parse_notice(dir.path(), &got[0]);
    assert!(
        parsed.starts_with("multipart/report delivery-status\n"),
        "{parsed}"
    );
    assert!(
        parsed.contains("rfc822; bob@example.org | failed | 4.4.7 | smtp; 450 busy\n"),
        "{parsed}"
    );
}

#[test]
fn no_notice_is_ever_sent_for_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let report = "From: MAILER-DAEMON@x\r\nTo: ann@example.com\r\nSubject: bounce\r\nContent-Type: multipart/report;\r\n report-type=delivery-status; boundary=b\r\n\r\n--b--\r\n";
    entry_of(
        &q,
        "1.1.0",
        "ann@example.com",
        &format!("queued {T0}\nphase queued\ncount 0\n"),
        report,
    );
    // Expired: given up without a notice, and without any connection (nothing listens on port 1).
    let r = flush(
        dir.path(),
        &q,
        "smtp://127.0.0.1:1",
        T0 + 5 * 86_400,
        &[],
        &[],
    );
    assert_code(&r, 6);
    assert_eq!(left(&q), Vec::<String>::new());
    assert!(
        r.stderr
            .contains("1.1.0: expired; no notice (null sender or a delivery report)"),
        "{}",
        r.stderr
    );
}

/// A flush that crashed after "sending" was made durable: the entry is never sent again; its sender is
/// told delivery is uncertain.
#[test]
fn an_entry_left_sending_is_not_resent() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    entry(
        &q,
        "1.1.0",
        "ann@example.com",
        &format!("queued {T0}\nphase sending\ncount 1\nattempt {T0} 7 450 busy\n"),
    );
    let srv = Server::start(script(vec![
        hello(),
        notice_to("ann@example.com"),
        quit_ok(),
    ]));
    let r = flush(dir.path(), &q, &url(&srv), T0 + 60, &["-q"], &[]);
    assert_code(&r, 6);
    let notice = srv.data_received();
    srv.finish();
    assert_eq!(left(&q), Vec::<String>::new());
    let parsed = parse_notice(dir.path(), &notice);
    assert!(
        parsed.contains("Subject: Delivery Status Uncertain\n"),
        "{parsed}"
    );
    assert!(
        parsed.contains(
            "rfc822; bob@example.org | failed | 4.4.0 | X-ferry; the send was interrupted after it began; not sent again\n"
        ),
        "{parsed}"
    );
    // An entry whose 250 was journalled is only removed.
    entry(
        &q,
        "2.1.0",
        "ann@example.com",
        &format!("queued {T0}\nphase sent\ncount 1\n"),
    );
    let r = flush(dir.path(), &q, "smtp://127.0.0.1:1", T0 + 60, &[], &[]);
    assert_code(&r, 0);
    assert_eq!(left(&q), Vec::<String>::new());
}

#[test]
fn queue_list_and_drop() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let qs = q.display().to_string();
    entry(
        &q,
        "1.1.0",
        "ann@example.com",
        &format!(
            "queued {T0}\nphase queued\ncount 2\nattempt {T0} 7 connect refused\nattempt {} 7 450 4.2.0 busy\n",
            T0 + 1800
        ),
    );
    let now = (T0 + 2 * 3600 + 5 * 60).to_string();
    let r = run_in(
        dir.path(),
        "smtp-send",
        &["--queue-list", &qs],
        &[("FERRY_TEST_NOW", &now)],
    );
    assert_code(&r, 0);
    assert_eq!(
        String::from_utf8(r.stdout).unwrap(),
        "1.1.0  age 2h05m  attempts 2  next 2026-01-01T02:05:00Z  <ann@example.com> -> <bob@example.org>  last: 450 4.2.0 busy\n"
    );
    let r = run_in(
        dir.path(),
        "smtp-send",
        &["--queue", &qs, "--queue-drop", "../x"],
        &[],
    );
    assert_code(&r, 2);
    let r = run_in(
        dir.path(),
        "smtp-send",
        &["--queue", &qs, "--queue-drop", "1.1.0"],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(left(&q), Vec::<String>::new());
}

/// sendmail mode: a message queued after a transient failure is accepted (exit 0, as sendmail and
/// Postfix do), so cron and MUAs do not treat it as lost; the warning says where it went.
#[test]
fn sendmail_exits_0_when_the_message_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("cfg");
    std::fs::create_dir_all(cfg.join("ferry")).unwrap();
    std::fs::write(
        cfg.join("ferry/config.toml"),
        "default = \"relay\"\n[account.relay]\nurl = \"smtp://127.0.0.1:1\"\n",
    )
    .unwrap();
    let q = dir.path().join("q");
    let queue = format!("--queue={}", q.display());
    let r = run_program(
        &bin("smtp-send"),
        dir.path(),
        &[
            "--sendmail",
            "-i",
            "-f",
            "root@cron.example",
            "ops@example.org",
            &queue,
        ],
        &[("XDG_CONFIG_HOME", &cfg.display().to_string())],
        Some(b"Subject: cron output\n\nline 1\n".to_vec()),
    );
    assert_code(&r, 0);
    assert!(r.stderr.starts_with("sendmail: "), "{}", r.stderr);
    assert!(r.stderr.contains("; queued as "), "{}", r.stderr);
    assert_eq!(left(&q).iter().filter(|n| n.ends_with(".msg")).count(), 1);
}
