//! One test per exit code of the contract (those not covered in ftp_get.rs: 0, 5, 9, 10, 11 are there).

use crate::support::*;

#[test]
fn exit_2_usage_errors_before_any_connection() {
    for args in [
        vec!["ftp://127.0.0.1:9/a%0d%0aDELE%20b"],
        vec!["http://example.com/x"],
        vec!["--no-such-flag", "ftp://h/x"],
        vec!["-o", "one", "ftp://h/a", "ftp://h/b"],
        vec!["--timeout", "-1", "ftp://h/a"],
    ] {
        let (r, _d) = run("ftp-get", &args);
        assert_code(&r, 2);
    }
    let (r, _d) = run("ftp-get", &["--help"]);
    assert_code(&r, 0);
    assert!(r.stdout_str().contains("Exit codes:"), "{}", r.stdout_str());
}

#[test]
fn exit_3_cannot_connect() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (r, _d) = run("ftp-get", &[&format!("ftp://127.0.0.1:{port}/f")]);
    assert_code(&r, 3);
    let (r, _d) = run("ftp-ls", &["ftp://no-such-host.invalid/"]);
    assert_code(&r, 3);
}

#[test]
fn exit_4_starttls_refused_never_falls_back() {
    let srv = Server::start(vec![
        s("220 hi"),
        e("AUTH TLS"),
        s("500 AUTH not understood"),
    ]);
    let (r, _d) = run("ftp-get", &["--starttls", &srv.url("f")]);
    assert_code(&r, 4);
    let seen = srv.finish();
    assert_eq!(
        seen,
        vec!["AUTH TLS"],
        "nothing is sent in plain text after the refusal"
    );
}

#[test]
fn exit_9_bytes_after_the_tls_go_ahead_are_refused() {
    // The go-ahead and an injected reply arrive together: starting TLS now would mix plaintext in.
    let srv = Server::start(vec![
        s("220 hi"),
        e("AUTH TLS"),
        Raw(b"234 Proceed\r\n230 injected\r\n".to_vec()),
    ]);
    let (r, _d) = run("ftp-get", &["--starttls", &srv.url("f")]);
    assert_code(&r, 9);
    assert!(r.stderr.contains("after the TLS go-ahead"), "{}", r.stderr);
}

#[test]
fn exit_6_permanent_refusal() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 ok"),
            e("SIZE missing"),
            s("550 Could not get file size."),
            e("EPSV"),
            Epsv,
            e("RETR missing"),
            s("550 Failed to open file."),
        ],
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &[&srv.url("missing")]);
    assert_code(&r, 6);
    assert!(
        r.stderr.contains("550 Failed to open file."),
        "{}",
        r.stderr
    );
    assert!(names_in(dir.path()).is_empty());
    srv.finish();
}

#[test]
fn exit_7_transient_refusal() {
    let srv = Server::start(vec![s("421 Too many users, try later.")]);
    let (r, _d) = run("ftp-get", &[&srv.url("f")]);
    assert_code(&r, 7);
}

#[test]
fn retries_reconnect_after_a_transient_refusal() {
    // The first session is refused transiently (421); --retries tries again, and the final code is that
    // of the last attempt.
    let first = Server::start(vec![s("421 busy")]);
    let port = first.addr.port();
    let (r, _d) = run(
        "ftp-get",
        &["-v", "--retries", "1", &format!("ftp://127.0.0.1:{port}/f")],
    );
    first.finish();
    // Nothing listens for the retry: the retry itself fails to connect, so the final code is 3. The
    // retry notice is a note: off a terminal it needs -v.
    assert_code(&r, 3);
    assert!(r.stderr.contains("retrying (1/1)"), "{}", r.stderr);
}

#[test]
fn quiet_hides_the_retry_notice() {
    let first = Server::start(vec![s("421 busy")]);
    let port = first.addr.port();
    let (r, _d) = run(
        "ftp-get",
        &["-q", "--retries", "1", &format!("ftp://127.0.0.1:{port}/f")],
    );
    first.finish();
    assert_code(&r, 3);
    assert!(!r.stderr.contains("retrying"), "{}", r.stderr);
    assert!(r.stderr.starts_with("ftp-get: error: "), "{}", r.stderr);
}

#[test]
fn exit_8_local_io_error() {
    let srv = Server::start(script(vec![anon_login()]));
    let (r, _d) = run("ftp-get", &["-o", "/nonexistent-dir/x", &srv.url("f")]);
    assert_code(&r, 8);
}

#[test]
fn exit_11_a_server_repeating_120_cannot_extend_the_timeout() {
    // "120 ready in n minutes" every 200 ms for 5 s: the greeting wait is one --timeout, not one per 120.
    let mut steps = Vec::new();
    for _ in 0..25 {
        steps.push(s("120 Service ready in 1 minute"));
        steps.push(Sleep(std::time::Duration::from_millis(200)));
    }
    steps.push(s("220 finally"));
    let srv = Server::start(steps);
    let (r, _d) = run("ftp-get", &["--timeout", "1", &srv.url("f")]);
    assert_code(&r, 11);
    assert!(
        r.elapsed < std::time::Duration::from_secs(3),
        "took {:?}",
        r.elapsed
    );
}
