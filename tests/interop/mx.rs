//! smtp-send --mx against the real thing: dnsmasq (tests/interop/dns) serving MX, null MX, A-only,
//! SERVFAIL and NXDOMAIN test domains, and a Postfix instance (tests/interop/mx) as the exchangers on port 25
//! of 127.0.0.2 (mx1, which defers fallback.test), 127.0.0.3 (mx2) and 127.0.0.1 (localhost, the name in
//! the test certificate). Each delivered copy is read back from the catch-all Maildir exactly once, with
//! the exchanger that took it (its X-Ferry-Exchanger stamp).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::support::*;

fn cfg() -> Option<HashMap<String, String>> {
    super::server("dns")?;
    super::server("mx")
}

fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{tag}.{nanos}.{}", std::process::id())
}

/// `Delivered-To -> X-Ferry-Exchanger` of every copy carrying `token`, once `count` arrived (and a moment
/// longer, so a duplicate would be seen).
fn copies(c: &HashMap<String, String>, token: &str, count: usize) -> Vec<String> {
    let new = PathBuf::from(&c["FERRY_MX_MAILDIR"]).join("new");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut settle = None;
    loop {
        let mut found = Vec::new();
        for e in std::fs::read_dir(&new).into_iter().flatten().flatten() {
            let text =
                String::from_utf8_lossy(&std::fs::read(e.path()).unwrap_or_default()).into_owned();
            if text.contains(token) {
                let field = |name: &str| {
                    text.lines()
                        .find_map(|l| l.strip_prefix(name))
                        .unwrap_or("")
                        .to_string()
                };
                found.push(format!(
                    "{} -> {}",
                    field("Delivered-To: "),
                    field("X-Ferry-Exchanger: ")
                ));
            }
        }
        found.sort();
        if found.len() >= count && settle.is_none() {
            settle = Some(Instant::now() + Duration::from_millis(500));
        }
        if settle.is_some_and(|t| Instant::now() > t) || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn message(dir: &std::path::Path, token: &str) {
    std::fs::write(
        dir.join("m.eml"),
        format!("From: ann@example.com\r\nSubject: mx {token}\r\nMessage-ID: <{token}@test>\r\n\r\nhello\r\n"),
    )
    .unwrap();
}

fn send(c: &HashMap<String, String>, dir: &std::path::Path, args: &[&str]) -> Run {
    let mut all = vec![
        "--mx",
        "--dns-server",
        &c["FERRY_DNS_SERVER"],
        "--mx-port",
        &c["FERRY_MX_PORT"],
        "--helo",
        "ferry-test.invalid",
        "--connect-timeout",
        "2",
        "--message",
        "m.eml",
        "--json",
    ];
    all.extend_from_slice(args);
    run_in(dir, "smtp-send", &all, &[])
}

#[test]
#[cfg_attr(
    not(all(ferry_interop_dns, ferry_interop_mx)),
    ignore = "dnsmasq and the exchangers' Postfix are not running: tests/interop/start.sh dns mx starts them"
)]
fn every_domain_kind_each_copy_once_at_the_right_exchanger_and_the_deferred_queued_alone() {
    let Some(c) = cfg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let token = unique("mx");
    message(dir.path(), &token);
    let r = send(
        &c,
        dir.path(),
        &[
            "--to",
            "a@mx.test",
            "--to",
            "b@fallback.test",
            "--to",
            "c@aonly.test",
            "--to",
            "n@null.test",
            "--to",
            "x@nx.test",
            "--to",
            "s@servfail.test",
            "--queue",
            "q",
        ],
    );
    assert_code(&r, 10);
    let j: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let got: Vec<String> = j["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            format!(
                "{} {} {}",
                x["address"].as_str().unwrap(),
                x["status"].as_str().unwrap(),
                x["error"]["exit_code"]
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "a@mx.test ok null",
            "b@fallback.test ok null",
            "c@aonly.test ok null",
            "n@null.test failed 6",
            "x@nx.test failed 6",
            "s@servfail.test failed 7"
        ]
    );
    let domain = |name: &str| {
        j["domains"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["domain"] == name)
            .unwrap()
            .clone()
    };
    let mx = domain("mx.test");
    assert_eq!(mx["exchanger"], "mx1.mx.test");
    assert_eq!(mx["address"], "127.0.0.2");
    assert_eq!(
        mx["tls"]["used"], true,
        "Postfix offers STARTTLS: opportunistic TLS takes it"
    );
    assert_eq!(
        mx["tls"]["verified"], false,
        "the certificate names localhost, not mx1.mx.test"
    );
    let fallback = domain("fallback.test");
    assert_eq!(fallback["exchanger"], "mx2.mx.test");
    assert_eq!(fallback["attempts"][0]["exchanger"], "mx1.mx.test");
    assert!(
        fallback["attempts"][0]["result"]
            .as_str()
            .unwrap()
            .starts_with("not sent: refused <b@fallback.test>: 450 4.2.1"),
        "{}",
        fallback["attempts"][0]["result"]
    );
    assert_eq!(domain("aonly.test")["exchanger"], "aonly.test");
    assert_eq!(domain("aonly.test")["address"], "127.0.0.3");
    assert_eq!(
        copies(&c, &token, 3),
        [
            "a@mx.test -> mx1",
            "b@fallback.test -> mx2",
            "c@aonly.test -> mx2"
        ]
    );
    let q = dir.path().join("q");
    let entries: Vec<String> = names_in(&q)
        .into_iter()
        .filter(|n| n.ends_with(".msg"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = std::fs::read_to_string(q.join(&entries[0])).unwrap();
    let rcpts: Vec<&str> = entry.lines().filter(|l| l.starts_with("to ")).collect();
    assert_eq!(
        rcpts,
        ["to s@servfail.test"],
        "only the deferred recipient is queued"
    );
}

#[test]
#[cfg_attr(
    not(all(ferry_interop_dns, ferry_interop_mx)),
    ignore = "dnsmasq and the exchangers' Postfix are not running: tests/interop/start.sh dns mx starts them"
)]
fn tls_verify_checks_the_exchanger_name() {
    let Some(c) = cfg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let token = unique("mxverify");
    message(dir.path(), &token);
    let r = send(
        &c,
        dir.path(),
        &[
            "--tls",
            "verify",
            "--cacert",
            &c["FERRY_CA"],
            "--to",
            "v@verify.test",
        ],
    );
    assert_code(&r, 0);
    let j: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(
        j["domains"][0]["tls"],
        serde_json::json!({"used": true, "verified": true, "note": null})
    );
    assert_eq!(copies(&c, &token, 1), ["v@verify.test -> local"]);

    // mx1 and mx2 present a certificate for localhost: neither passes, nothing is sent.
    let r = send(
        &c,
        dir.path(),
        &[
            "--tls",
            "verify",
            "--cacert",
            &c["FERRY_CA"],
            "--to",
            "w@mx.test",
        ],
    );
    assert_code(&r, 7);
    let j: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let attempts = j["domains"][0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    for a in attempts {
        assert!(
            a["result"]
                .as_str()
                .unwrap()
                .contains("TLS handshake with mx"),
            "{a}"
        );
    }
}

/// Issue 16 × 15: recipients deferred because DNS did not answer (a resolver that is down) are queued by
/// `--mx --queue`; once DNS answers, `--flush-queue --mx` delivers the one whose domain resolves to its
/// real exchanger (exactly one copy) and keeps the SERVFAIL domain's recipient alone in the entry.
#[test]
#[cfg_attr(
    not(all(ferry_interop_dns, ferry_interop_mx)),
    ignore = "dnsmasq and the exchangers' Postfix are not running: tests/interop/start.sh dns mx starts them"
)]
fn deferred_by_dns_then_flushed_directly_once_it_answers() {
    let Some(c) = cfg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let token = unique("mxflush");
    message(dir.path(), &token);
    const T0: &str = "1767225600";
    // No resolver on port 9: every lookup fails, transiently.
    let r = run_in(
        dir.path(),
        "smtp-send",
        &[
            "--mx",
            "--dns-server",
            "127.0.0.1:9",
            "--mx-port",
            &c["FERRY_MX_PORT"],
            "--helo",
            "ferry-test.invalid",
            "--connect-timeout",
            "2",
            "--message",
            "m.eml",
            "--to",
            "f@mx.test",
            "--to",
            "s@servfail.test",
            "--queue",
            "q",
        ],
        &[("FERRY_TEST_NOW", T0)],
    );
    assert_code(&r, 7);
    let q = dir.path().join("q");
    let to = |q: &std::path::Path| -> Vec<String> {
        let msgs: Vec<String> = names_in(q)
            .into_iter()
            .filter(|n| n.ends_with(".msg"))
            .collect();
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        std::fs::read_to_string(q.join(&msgs[0]))
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("to "))
            .map(String::from)
            .collect()
    };
    assert_eq!(to(&q), ["to f@mx.test", "to s@servfail.test"]);
    let r = run_in(
        dir.path(),
        "smtp-send",
        &[
            "--flush-queue",
            "q",
            "--mx",
            "--dns-server",
            &c["FERRY_DNS_SERVER"],
            "--mx-port",
            &c["FERRY_MX_PORT"],
            "--helo",
            "ferry-test.invalid",
            "--connect-timeout",
            "2",
            "--json",
        ],
        &[("FERRY_TEST_NOW", "1767227400")],
    );
    assert_code(&r, 7);
    assert_eq!(copies(&c, &token, 1), ["f@mx.test -> mx1"]);
    assert_eq!(
        to(&q),
        ["to s@servfail.test"],
        "only the deferred one stays"
    );
    let r = run_in(
        dir.path(),
        "smtp-send",
        &["--queue-list", "q", "--json"],
        &[("FERRY_TEST_NOW", "1767227400")],
    );
    assert_code(&r, 0);
    let j: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let last = j[0]["history"][1]["reply"].as_str().unwrap();
    assert!(
        last.starts_with("servfail.test: DNS MX lookup of servfail.test")
            && last.contains("; mx.test: 1 recipient(s) via mx1.mx.test [127.0.0.2] (TLS, certificate not verified): 250 "),
        "{last}"
    );
}
