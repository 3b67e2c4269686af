//! smtp-send's queue lifecycle against the real Postfix (issue 15, item 1): a recipient Postfix defers
//! (`tempfail-*` answers 450, tests/interop/postfix/recipient_access) is queued, still deferred when
//! flushed later, and after `--max-age` its sender receives the RFC 3464 notice — sent from the null
//! sender through Postfix — in the catch-all Maildir. The schedule runs on the test clock FERRY_TEST_NOW.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::support::*;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
#[cfg_attr(
    not(ferry_interop_postfix),
    ignore = "postfix is not running: tests/interop/start.sh starts it"
)]
fn a_deferred_recipient_expires_into_a_notice_to_the_sender() {
    let Some(c) = super::server("postfix") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let token = format!("qexp.{}.{}", now(), std::process::id());
    let sender = format!("sender-{token}@example.com");
    let rcpt = format!("tempfail-{token}@example.org");
    let url = format!("smtp://{}", c["FERRY_SMTP_PLAIN"]);
    let q = dir.path().join("q").display().to_string();
    let t0 = now();
    let at = |t: u64| t.to_string();
    let r = run_in(
        dir.path(),
        "smtp-send",
        &[
            &url,
            "--from",
            &sender,
            "--to",
            &rcpt,
            "--subject",
            &token,
            "--body",
            "later",
            "--queue",
            &q,
        ],
        &[("FERRY_TEST_NOW", &at(t0))],
    );
    assert_code(&r, 7);
    // 30 minutes later: due, and Postfix defers it again.
    let r = run_in(
        dir.path(),
        "smtp-send",
        &["--flush-queue", &q, &url, "--json"],
        &[("FERRY_TEST_NOW", &at(t0 + 1800))],
    );
    assert_code(&r, 7);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["messages"][0]["attempts"], 2);
    assert!(
        doc["messages"][0]["reply"]
            .as_str()
            .unwrap()
            .starts_with("450 4.2.1"),
        "{doc}"
    );
    // Five days on: expired, the notice goes to the sender through Postfix, the entry is removed.
    let r = run_in(
        dir.path(),
        "smtp-send",
        &["--flush-queue", &q, &url],
        &[("FERRY_TEST_NOW", &at(t0 + 5 * 86_400))],
    );
    assert_code(&r, 6);
    assert!(
        r.stderr.contains("expired; notice sent to <"),
        "{}",
        r.stderr
    );
    let left: Vec<String> = names_in(std::path::Path::new(&q))
        .into_iter()
        .filter(|n| n != ".lock")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let new = PathBuf::from(&c["FERRY_POSTFIX_MAILDIR"]).join("new");
    let deadline = Instant::now() + Duration::from_secs(20);
    let notice = loop {
        let found = std::fs::read_dir(&new)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .find(|t| t.contains(&format!("Delivered-To: {sender}")));
        if let Some(t) = found {
            break t;
        }
        assert!(Instant::now() < deadline, "no notice for {sender}");
        std::thread::sleep(Duration::from_millis(100));
    };
    for want in [
        "Return-Path: <>".to_string(),
        "Content-Type: multipart/report; report-type=delivery-status;".to_string(),
        "Content-Type: message/delivery-status".to_string(),
        format!("Final-Recipient: rfc822; {rcpt}"),
        "Action: failed".to_string(),
        "Status: 4.2.1".to_string(),
        "Content-Type: text/rfc822-headers".to_string(),
        format!("Subject: {token}"),
    ] {
        assert!(notice.contains(&want), "{want:?} not in\n{notice}");
    }
}
