//! smtp-send --mx against a scripted DNS server (tests/support/dns.rs) and scripted exchangers on
//! loopback addresses: preference order and the move to the next exchanger on a 4xx, a 5xx final, the
//! implicit MX, null MX, NXDOMAIN and SERVFAIL, deferred recipients queued alone, and the TLS policies
//! (exact client transcripts).

use std::path::Path;

use crate::support::dns::{DnsServer, Rec};
use crate::support::*;

const MSG: &[u8] = b"From: ann@example.com\r\nTo: x@a.test\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <fixed@test>\r\nSubject: hi\r\n\r\nhello\r\n";

fn hello(ext: &[&str]) -> Vec<Step> {
    let mut v = vec![s("220 mx ESMTP"), e("EHLO test.invalid")];
    if ext.is_empty() {
        v.push(s("250 mx"));
    } else {
        v.push(s("250-mx"));
        for (i, x) in ext.iter().enumerate() {
            let sep = if i + 1 == ext.len() { ' ' } else { '-' };
            v.push(Send(format!("250{sep}{x}")));
        }
    }
    v
}

/// MAIL, the RCPTs with their replies, and DATA when one was accepted.
fn envelope(rcpts: &[(&str, &str)]) -> Vec<Step> {
    let mut v = vec![e("MAIL FROM:<ann@example.com>"), s("250 ok")];
    for (r, reply) in rcpts {
        v.push(Expect(format!("RCPT TO:<{r}>")));
        v.push(s(reply));
    }
    if rcpts.iter().any(|(_, reply)| reply.starts_with('2')) {
        v.extend([
            e("DATA"),
            s("354 go"),
            ReadDotBody,
            s("250 2.0.0 queued as Q1"),
            e("QUIT"),
            s("221 bye"),
        ]);
    } else {
        v.extend([e("RSET"), s("250 ok"), e("QUIT"), s("221 bye")]);
    }
    v
}

fn run_mx(dir: &Path, dns: &DnsServer, port: u16, args: &[&str]) -> Run {
    std::fs::write(dir.join("m.eml"), MSG).unwrap();
    let port = port.to_string();
    let mut all = vec![
        "--mx",
        "--dns-server",
        &dns.addr.to_string(),
        "--mx-port",
        &port,
        "--mx-seed",
        "1",
        "--helo",
        "test.invalid",
        "--timeout",
        "10",
        "--connect-timeout",
        "3",
        "--message",
        "m.eml",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    all.extend(args.iter().map(|a| a.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    run_in(dir, "smtp-send", &all, &[])
}

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_slice(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout_str()))
}

/// Two scripted exchangers on one port of 127.0.0.2 and 127.0.0.3.
fn two_servers(first: Vec<Step>, second: Vec<Step>) -> (Server, Server) {
    for _ in 0..20 {
        let a = Server::start_on("127.0.0.2:0", first.clone());
        if std::net::TcpListener::bind(("127.0.0.3", a.addr.port())).is_ok() {
            let b = Server::start_on(&format!("127.0.0.3:{}", a.addr.port()), second);
            return (a, b);
        }
        // The port is taken on 127.0.0.3: let this server go (connect once so its accept ends).
        let _ = std::net::TcpStream::connect(a.addr);
    }
    panic!("no port free on both 127.0.0.2 and 127.0.0.3");
}

#[test]
fn lower_preference_first_a_4xx_moves_on_and_a_5xx_is_final() {
    let dir = tempfile::tempdir().unwrap();
    let dns = DnsServer::start(vec![
        ("a.test", Rec::Mx(20, "mx2.a.test")),
        ("a.test", Rec::Mx(10, "mx1.a.test")),
        ("mx1.a.test", Rec::A("127.0.0.2")),
        ("mx2.a.test", Rec::A("127.0.0.3")),
    ]);
    // mx1 (preference 10): defers x, refuses y for good, takes z. mx2 then gets x alone.
    let mx1 = script(vec![
        hello(&[]),
        envelope(&[
            ("x@a.test", "450 4.2.0 try later"),
            ("y@a.test", "550 5.1.1 no such user"),
            ("z@A.test", "250 ok"),
        ]),
    ]);
    let mx2 = script(vec![hello(&[]), envelope(&[("x@a.test", "250 ok")])]);
    let (s1, s2) = two_servers(mx1, mx2);
    let r = run_mx(
        dir.path(),
        &dns,
        s1.addr.port(),
        &[
            "--tls", "none", "--to", "x@a.test", "--to", "y@a.test", "--to", "z@A.test", "--json",
        ],
    );
    s1.finish();
    s2.finish();
    assert_code(&r, 10);
    let j = json(&r);
    assert_eq!(j["delivery"], "mx");
    assert_eq!(j["status"], "partial");
    let statuses: Vec<String> = j["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {} {}", r["address"], r["status"], r["code"]))
        .collect();
    assert_eq!(
        statuses,
        [
            "\"x@a.test\" \"ok\" 250",
            "\"y@a.test\" \"failed\" 550",
            "\"z@A.test\" \"ok\" 250"
        ]
    );
    let d = &j["domains"][0];
    assert_eq!(d["domain"], "a.test");
    assert_eq!(d["status"], "partial");
    assert_eq!(
        d["exchangers"],
        serde_json::json!(["mx1.a.test", "mx2.a.test"])
    );
    assert_eq!(
        d["exchanger"], "mx1.a.test",
        "the first to take the message"
    );
    assert_eq!(d["attempts"][0]["exchanger"], "mx1.a.test");
    assert_eq!(d["attempts"][1]["exchanger"], "mx2.a.test");
    assert_eq!(d["attempts"][1]["address"], "127.0.0.3");
    assert_eq!(d["attempts"][1]["result"], "250 2.0.0 queued as Q1");
    assert_eq!(
        d["tls"],
        serde_json::json!({"used": false, "verified": null, "note": null})
    );
}

#[test]
fn implicit_mx_null_mx_nxdomain_and_servfail_with_the_deferred_queued_alone() {
    let dir = tempfile::tempdir().unwrap();
    let dns = DnsServer::start(vec![
        ("aonly.test", Rec::A("127.0.0.1")),
        ("null.test", Rec::NullMx),
        ("sf.test", Rec::ServFail),
    ]);
    let srv = Server::start(script(vec![
        hello(&[]),
        envelope(&[("u@aonly.test", "250 ok")]),
    ]));
    let r = run_mx(
        dir.path(),
        &dns,
        srv.addr.port(),
        &[
            "--to",
            "u@aonly.test",
            "--to",
            "n@null.test",
            "--to",
            "x@nx.test",
            "--to",
            "s@sf.test",
            "--queue",
            "q",
            "--json",
        ],
    );
    srv.finish();
    assert_code(&r, 10);
    let j = json(&r);
    let got: Vec<String> = j["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["address"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
                r["error"]["exit_code"]
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "u@aonly.test ok null",
            "n@null.test failed 6",
            "x@nx.test failed 6",
            "s@sf.test failed 7"
        ]
    );
    let errors: Vec<&str> = j["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|r| r["error"]["message"].as_str().unwrap())
        .collect();
    assert_eq!(errors[0], "null.test accepts no mail (null MX, RFC 7505)");
    assert_eq!(errors[1], "DNS: nx.test does not exist (NXDOMAIN)");
    assert!(
        errors[2].starts_with("DNS MX lookup of sf.test failed:")
            && errors[2].contains("queued as "),
        "{}",
        errors[2]
    );
    assert_eq!(
        j["domains"][0]["exchangers"],
        serde_json::json!(["aonly.test"])
    );
    assert_eq!(j["domains"][0]["exchanger"], "aonly.test");
    assert_eq!(
        j["domains"][0]["tls"]["note"], "STARTTLS not offered",
        "opportunistic by default"
    );
    // One queue entry, for the deferred recipient only.
    let entries: Vec<String> = names_in(&dir.path().join("q"))
        .into_iter()
        .filter(|n| n.ends_with(".msg"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = std::fs::read_to_string(dir.path().join("q").join(&entries[0])).unwrap();
    let envelope: Vec<&str> = entry.lines().take(3).collect();
    assert_eq!(
        envelope,
        ["ferry-smtp-queue 1", "from ann@example.com", "to s@sf.test"]
    );
    assert!(dns.queries().contains(&"MX sf.test".to_string()));
}

#[test]
fn every_domain_deferred_is_exit_7_and_a_silent_dns_server_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let dns = DnsServer::start(vec![("slow.test", Rec::Silent)]);
    let r = run_mx(dir.path(), &dns, 1, &["--to", "a@slow.test"]);
    assert_code(&r, 7);
    assert!(
        r.stderr
            .contains("<a@slow.test>: DNS MX lookup of slow.test: timed out"),
        "{}",
        r.stderr
    );
    assert!(
        r.elapsed < std::time::Duration::from_secs(10),
        "{:?}",
        r.elapsed
    );
}

#[test]
fn opportunistic_tls_after_a_failed_handshake_retries_in_plain_text_on_a_new_connection() {
    let dir = tempfile::tempdir().unwrap();
    let dns = DnsServer::start(vec![
        ("a.test", Rec::Mx(10, "mx1.a.test")),
        ("mx1.a.test", Rec::A("127.0.0.1")),
    ]);
    let srv = Server::start_sessions(vec![
        script(vec![
            hello(&["STARTTLS"]),
            vec![
                e("STARTTLS"),
                s("220 go ahead"),
                Raw(b"this is not a TLS server hello\r\n".to_vec()),
                Drain,
            ],
        ]),
        script(vec![
            hello(&["STARTTLS"]),
            envelope(&[("x@a.test", "250 ok")]),
        ]),
    ]);
    let r = run_mx(
        dir.path(),
        &dns,
        srv.addr.port(),
        &["--to", "x@a.test", "--json"],
    );
    let seen = srv.finish();
    assert_code(&r, 0);
    // Session 0 ends with our ClientHello (read as lines by the script's Drain); nothing after it.
    let second = seen.iter().position(|l| l == "--- session 1").unwrap();
    assert_eq!(
        seen[..3],
        ["--- session 0", "EHLO test.invalid", "STARTTLS"]
    );
    assert!(
        seen[3..second]
            .iter()
            .all(|l| !l.contains("MAIL") && !l.contains("RCPT")),
        "{seen:?}"
    );
    assert_eq!(
        seen[second..],
        [
            "--- session 1",
            "EHLO test.invalid",
            "MAIL FROM:<ann@example.com>",
            "RCPT TO:<x@a.test>",
            "DATA",
            "<124 body bytes>",
            "QUIT"
        ],
        "no STARTTLS again on the new connection"
    );
    let tls = &json(&r)["domains"][0]["tls"];
    assert_eq!(tls["used"], false);
    let note = tls["note"].as_str().unwrap();
    assert!(
        note.starts_with("STARTTLS with mx1.a.test [127.0.0.1] failed (")
            && note.ends_with("); plain text on a new connection"),
        "{note}"
    );
}

#[test]
fn opportunistic_fallback_is_said_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let dns = DnsServer::start(vec![("a.test", Rec::A("127.0.0.1"))]);
    let srv = Server::start_sessions(vec![
        script(vec![
            hello(&["STARTTLS"]),
            vec![e("STARTTLS"), s("454 4.7.0 TLS not available"), Drain],
        ]),
        script(vec![hello(&[]), envelope(&[("x@a.test", "250 ok")])]),
    ]);
    let r = run_mx(dir.path(), &dns, srv.addr.port(), &["--to", "x@a.test"]);
    srv.finish();
    assert_code(&r, 0);
    assert!(
        r.stderr.starts_with(
            "smtp-send: STARTTLS with a.test [127.0.0.1] failed (--starttls: the server refused TLS (STARTTLS: 454 4.7.0 TLS not available)); plain text on a new connection\n"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn tls_verify_requires_starttls_and_tls_none_never_asks() {
    let dir = tempfile::tempdir().unwrap();
    let dns = DnsServer::start(vec![("a.test", Rec::A("127.0.0.1"))]);
    let srv = Server::start(script(vec![hello(&[]), vec![e("QUIT"), s("221 bye")]]));
    let r = run_mx(
        dir.path(),
        &dns,
        srv.addr.port(),
        &["--to", "x@a.test", "--tls", "verify", "--json"],
    );
    srv.finish();
    assert_code(&r, 7);
    let j = json(&r);
    assert_eq!(
        j["domains"][0]["attempts"][0]["result"],
        "--tls verify: a.test [127.0.0.1] does not offer STARTTLS"
    );
    assert_eq!(
        j["recipients"][0]["error"]["message"],
        "deferred: --tls verify: a.test [127.0.0.1] does not offer STARTTLS"
    );
    assert_eq!(j["status"], "failed");

    let srv = Server::start(script(vec![
        hello(&["STARTTLS"]),
        envelope(&[("x@a.test", "250 ok")]),
    ]));
    let r = run_mx(
        dir.path(),
        &dns,
        srv.addr.port(),
        &["--to", "x@a.test", "--tls", "none"],
    );
    srv.finish();
    assert_code(&r, 0);
}

#[test]
fn mx_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (args, why) in [
        (
            &["--mx", "smtp://h", "--from", "a@x", "--to", "b@y"][..],
            "smtp-send: error: --mx delivers to the recipients' exchangers: drop the URL smtp://h\n",
        ),
        (
            &[
                "smtp://h", "--tls", "verify", "--from", "a@x", "--to", "b@y",
            ],
            "smtp-send: error: --tls, --dns-server and --mx-port go with --mx\n",
        ),
        (
            &["--mx", "--all-or-nothing", "--from", "a@x", "--to", "b@y"],
            "smtp-send: error: --all-or-nothing cannot be kept across the domains of --mx\n",
        ),
        (
            &[
                "--mx",
                "--dns-server",
                "ns1",
                "--from",
                "a@x",
                "--to",
                "b@y",
            ],
            "smtp-send: error: --dns-server ns1: expected an IP address with an optional :PORT\n",
        ),
    ] {
        let r = run_in(dir.path(), "smtp-send", args, &[]);
        assert_code(&r, 2);
        assert_eq!(r.stderr, why, "{args:?}");
    }
}

/// 2026-01-01T00:00:00Z, the test clock of the queue tests below.
const T0: u64 = 1_767_225_600;

/// `--flush-queue q --mx` against `dns`, exchangers on `port`, at `now`.
fn flush_mx(dir: &Path, dns: &DnsServer, port: u16, now: u64, extra: &[&str]) -> Run {
    let (dns, port, now) = (dns.arg(), port.to_string(), now.to_string());
    let mut args = vec![
        "--flush-queue",
        "q",
        "--mx",
        "--dns-server",
        &dns,
        "--mx-port",
        &port,
        "--helo",
        "test.invalid",
        "--timeout",
        "10",
        "--connect-timeout",
        "3",
    ];
    args.extend_from_slice(extra);
    run_in(dir, "smtp-send", &args, &[("FERRY_TEST_NOW", &now)])
}

/// The queue's message files.
fn entries(q: &Path) -> Vec<String> {
    names_in(q)
        .into_iter()
        .filter(|n| n.ends_with(".msg"))
        .collect()
}

/// An entry's envelope lines (`from ...`, `to ...`).
fn envelope_of(q: &Path) -> Vec<String> {
    let e = entries(q);
    assert_eq!(e.len(), 1, "{e:?}");
    std::fs::read_to_string(q.join(&e[0]))
        .unwrap()
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("from ") || l.starts_with("to "))
        .map(String::from)
        .collect()
}

/// Issue 16 × 15: a recipient deferred by `--mx --queue` is queued with the domain's DNS/TLS outcome as
/// its last reply, skipped before its backoff, then delivered by `--flush-queue --mx` and removed; every
/// run writes its `--log` line.
#[test]
fn a_deferred_domain_is_queued_then_flushed_directly() {
    let dir = tempfile::tempdir().unwrap();
    let dns = DnsServer::start(vec![("a.test", Rec::A("127.0.0.1"))]);
    let srv = Server::start_sessions(vec![
        script(vec![
            hello(&[]),
            envelope(&[("x@a.test", "450 4.2.0 mailbox busy")]),
        ]),
        script(vec![hello(&[]), envelope(&[("x@a.test", "250 ok")])]),
    ]);
    std::fs::write(dir.path().join("m.eml"), MSG).unwrap();
    let (dnsa, port, t0) = (dns.arg(), srv.addr.port().to_string(), T0.to_string());
    let r = run_in(
        dir.path(),
        "smtp-send",
        &[
            "--mx",
            "--dns-server",
            &dnsa,
            "--mx-port",
            &port,
            "--helo",
            "test.invalid",
            "--message",
            "m.eml",
            "--to",
            "x@a.test",
            "--queue",
            "q",
            "--log",
            "log",
        ],
        &[("FERRY_TEST_NOW", &t0)],
    );
    assert_code(&r, 7);
    let q = dir.path().join("q");
    assert_eq!(envelope_of(&q), ["from ann@example.com", "to x@a.test"]);
    // --queue-list --json: the last reply says what the domain came to, exchanger and TLS included.
    let r = run_in(
        dir.path(),
        "smtp-send",
        &["--queue-list", "q", "--json"],
        &[("FERRY_TEST_NOW", &t0)],
    );
    assert_code(&r, 0);
    let listed = json(&r);
    assert_eq!(
        listed[0]["history"][0]["reply"],
        "a.test: deferred: refused <x@a.test>: 450 4.2.0 mailbox busy (last tried a.test [127.0.0.1], no TLS)"
    );
    assert_eq!(listed[0]["history"][0]["exit_code"], 7);
    // Not due yet: skipped, nobody contacted.
    let r = flush_mx(dir.path(), &dns, srv.addr.port(), T0 + 1799, &[]);
    assert_code(&r, 0);
    assert_eq!(entries(&q).len(), 1);
    let r = flush_mx(
        dir.path(),
        &dns,
        srv.addr.port(),
        T0 + 1800,
        &["--json", "--log", "log"],
    );
    let seen = srv.finish();
    assert_code(&r, 0);
    assert_eq!(entries(&q), Vec::<String>::new(), "sent and removed");
    let j = json(&r);
    assert_eq!(j["messages"][0]["status"], "ok");
    assert_eq!(j["messages"][0]["attempts"], 2);
    assert_eq!(j["messages"][0]["reply"], "250 2.0.0 queued as Q1", "{j}");
    assert_eq!(
        seen[seen.iter().position(|l| l == "--- session 1").unwrap()..],
        [
            "--- session 1",
            "EHLO test.invalid",
            "MAIL FROM:<ann@example.com>",
            "RCPT TO:<x@a.test>",
            "DATA",
            "<124 body bytes>",
            "QUIT"
        ]
    );
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    // Each line after its time stamp; the queue ID is the entry's.
    let id = listed[0]["id"].as_str().unwrap();
    let rest: Vec<&str> = lines.iter().map(|l| l.split_once(' ').unwrap().1).collect();
    assert_eq!(
        rest,
        [
            format!(
                "smtp-send account=- server=mx item=\"<ann@example.com> -> <x@a.test>\" size=124 result=failed reply=\"a.test: deferred: refused <x@a.test>: 450 4.2.0 mailbox busy (last tried a.test [127.0.0.1], no TLS)\" queue={id}"
            ),
            format!(
                "smtp-send account=- server=mx item=\"<ann@example.com> -> <x@a.test>\" size=124 result=ok reply=\"250 2.0.0 queued as Q1\" queue={id}"
            ),
        ]
    );
}

/// A flushed entry for two domains: the one that accepts leaves the entry, the one that still defers
/// stays in it alone, with the attempt recorded.
#[test]
fn a_flush_keeps_only_the_domain_that_still_defers() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    std::fs::create_dir_all(&q).unwrap();
    std::fs::write(
        q.join("1.msg"),
        [
            b"ferry-smtp-queue 1\nfrom ann@example.com\nto x@a.test\nto y@b.test\n\n".as_slice(),
            MSG,
        ]
        .concat(),
    )
    .unwrap();
    std::fs::write(
        q.join("1.state"),
        format!("ferry-smtp-queue-state 1\nqueued {T0}\nphase queued\ncount 1\nattempt {T0} 7 not sent\n"),
    )
    .unwrap();
    let dns = DnsServer::start(vec![
        ("a.test", Rec::A("127.0.0.1")),
        ("b.test", Rec::Mx(10, "mx.b.test")),
        ("mx.b.test", Rec::A("127.0.0.1")),
    ]);
    let srv = Server::start_sessions(vec![
        script(vec![hello(&[]), envelope(&[("x@a.test", "250 ok")])]),
        script(vec![
            hello(&[]),
            envelope(&[("y@b.test", "451 4.3.0 greylisted")]),
        ]),
    ]);
    let r = flush_mx(dir.path(), &dns, srv.addr.port(), T0 + 1800, &["--json"]);
    srv.finish();
    assert_code(&r, 7);
    assert_eq!(envelope_of(&q), ["from ann@example.com", "to y@b.test"]);
    let j = json(&r);
    assert_eq!(j["messages"][0]["status"], "failed");
    assert_eq!(j["messages"][0]["attempts"], 2);
    let state = std::fs::read_to_string(q.join(entries(&q)[0].replace(".msg", ".state"))).unwrap();
    assert!(
        state.contains(&format!(
            "attempt {} 7 b.test: deferred: refused <y@b.test>: 451 4.3.0 greylisted (last tried mx.b.test [127.0.0.1], no TLS); a.test: 1 recipient(s) via a.test [127.0.0.1] (no TLS): 250 2.0.0 queued as Q1\n",
            T0 + 1800
        )),
        "{state}"
    );
    assert!(state.contains("phase queued\n"), "{state}");
}

/// An expired entry is given up: the notice goes from the null sender to the sender's own domain's
/// exchanger (found through its MX), and the entry is removed.
#[test]
fn an_expired_entry_is_noticed_through_the_senders_exchanger() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    std::fs::create_dir_all(&q).unwrap();
    std::fs::write(
        q.join("1.msg"),
        [
            b"ferry-smtp-queue 1\nfrom ann@example.com\nto x@a.test\n\n".as_slice(),
            MSG,
        ]
        .concat(),
    )
    .unwrap();
    std::fs::write(
        q.join("1.state"),
        format!("ferry-smtp-queue-state 1\nqueued {T0}\nphase queued\ncount 1\nattempt {T0} 7 451 4.3.0 greylisted\n"),
    )
    .unwrap();
    let dns = DnsServer::start(vec![
        ("example.com", Rec::Mx(10, "mx.example.com")),
        ("mx.example.com", Rec::A("127.0.0.1")),
    ]);
    let srv = Server::start(script(vec![
        hello(&[]),
        vec![
            e("MAIL FROM:<>"),
            s("250 ok"),
            e("RCPT TO:<ann@example.com>"),
            s("250 ok"),
            e("DATA"),
            s("354 go"),
            ReadDotBody,
            s("250 2.0.0 notice queued"),
            e("QUIT"),
            s("221 bye"),
        ],
    ]));
    let r = flush_mx(dir.path(), &dns, srv.addr.port(), T0 + 5 * 86_400, &[]);
    srv.finish();
    assert_code(&r, 6);
    assert_eq!(
        r.stderr,
        "smtp-send: error: 1: expired; notice sent to <ann@example.com> (example.com: 1 recipient(s) via mx.example.com [127.0.0.1] (no TLS): 250 2.0.0 notice queued)\n"
    );
    assert_eq!(entries(&q), Vec::<String>::new());
    assert!(
        !dns.queries().iter().any(|q| q.contains("a.test")),
        "the expired recipient's domain is not asked: {:?}",
        dns.queries()
    );
}
