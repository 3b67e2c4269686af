//! Network options of every tool (issue 18 item 4): `--proxy` / `*_proxy` / `NO_PROXY` through a scripted
//! SOCKS5 or HTTP CONNECT proxy that asserts the exact handshake bytes, `-4`/`-6`, `--bind`.

use std::net::ToSocketAddrs;

use base64::Engine;

use crate::support::*;
use ProxyStep::*;

fn retr(path: &str, body: &[u8]) -> Vec<Step> {
    vec![
        e("TYPE I"),
        s("200 Switching to Binary mode."),
        e(&format!("SIZE {path}")),
        s(&format!("213 {}", body.len())),
        e("EPSV"),
        Epsv,
        e(&format!("RETR {path}")),
        s("150 Opening BINARY mode data connection."),
        DataSend(body.to_vec()),
        s("226 Transfer complete."),
    ]
}

/// The SOCKS5 opening with user `ann`, password `pw` (RFC 1928 §3, RFC 1929 §2).
fn socks5_auth() -> Vec<ProxyStep> {
    vec![
        Want(vec![5, 2, 0, 2]),
        Answer(vec![5, 2]),
        Want(b"\x01\x03ann\x02pw".to_vec()),
        Answer(vec![1, 0]),
    ]
}

#[test]
fn ftp_get_and_its_data_connection_go_through_socks5h_with_remote_dns_and_auth() {
    let srv = Server::start(script(vec![
        anon_login(),
        retr("a.txt", b"hello\n"),
        quit(),
    ]));
    // files.invalid cannot resolve here: only the proxy's remote DNS makes the download work.
    let connect = |_| {
        let mut s = socks5_auth();
        s.push(Socks5Relay(socks5_name("files.invalid")));
        s
    };
    let proxy = ScriptedProxy::start(vec![connect(0), connect(1)]);
    let url = format!("ftp://files.invalid:{}/a.txt", srv.addr.port());
    let proxy_url = format!("socks5h://ann:pw@{}", proxy.addr);
    let (r, dir) = run("ftp-get", &["--proxy", &proxy_url, &url]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("a.txt")).unwrap(), b"hello\n");
    srv.finish();
    proxy.finish();
}

#[test]
fn all_proxy_from_the_environment_and_socks5_without_auth() {
    let srv = Server::start(script(vec![anon_login(), retr("a", b"1"), quit()]));
    let connect = |_| {
        vec![
            Want(vec![5, 1, 0]),
            Answer(vec![5, 0]),
            Socks5Relay(socks5_name("files.invalid")),
        ]
    };
    let proxy = ScriptedProxy::start(vec![connect(0), connect(1)]);
    let url = format!("ftp://files.invalid:{}/a", srv.addr.port());
    let p = format!("socks5h://{}", proxy.addr);
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(dir.path(), "ftp-get", &[&url], &[("ALL_PROXY", &p)]);
    assert_code(&r, 0);
    srv.finish();
    proxy.finish();
}

#[test]
fn smtp_send_through_http_connect_with_basic_auth() {
    let dir = tempfile::tempdir().unwrap();
    let msg = b"From: ann@example.com\r\nTo: bob@example.org\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <x@test>\r\nSubject: hi\r\n\r\nhello\r\n";
    let path = dir.path().join("m.eml");
    std::fs::write(&path, msg).unwrap();
    let srv = Server::start(vec![
        s("220 scripted ESMTP"),
        e("EHLO test.invalid"),
        s("250 scripted"),
        e("MAIL FROM:<ann@example.com>"),
        s("250 ok"),
        e("RCPT TO:<bob@example.org>"),
        s("250 ok"),
        e("DATA"),
        s("354 go"),
        ReadDotBody,
        s("250 queued"),
        e("QUIT"),
        s("221 bye"),
    ]);
    let token = base64::engine::general_purpose::STANDARD.encode("ann:p@ss");
    let proxy = ScriptedProxy::start(vec![vec![HttpRelay(format!(
        "CONNECT mail.invalid:{{port}} HTTP/1.1\r\nHost: mail.invalid:{{port}}\r\nProxy-Authorization: Basic {token}\r\n\r\n"
    ))]]);
    let r = run_in(
        dir.path(),
        "smtp-send",
        &[
            "--helo",
            "test.invalid",
            &format!("smtp://mail.invalid:{}", srv.addr.port()),
            "--message",
            path.to_str().unwrap(),
            "--to",
            "bob@example.org",
        ],
        &[("smtp_proxy", &format!("http://ann:p%40ss@{}", proxy.addr))],
    );
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), msg);
    srv.finish();
    proxy.finish();
}

#[test]
fn pop3_fetch_through_http_connect_without_auth() {
    let srv = Server::start(vec![
        s("+OK ready"),
        e("CAPA"),
        s("+OK"),
        s("SASL PLAIN"),
        s("."),
        e("AUTH PLAIN AGFubgBwdw=="),
        s("+OK Logged in."),
        e("CAPA"),
        s("+OK"),
        s("."),
        e("STAT"),
        s("+OK 0 0"),
        e("QUIT"),
        s("+OK bye"),
    ]);
    let proxy = ScriptedProxy::start(vec![vec![HttpRelay(
        "CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".into(),
    )]]);
    let (r, _d) = run(
        "pop3-fetch",
        &[
            "--proxy",
            &format!("http://{}", proxy.addr),
            &format!("pop3://ann:pw@{}", srv.addr),
        ],
    );
    assert_code(&r, 0);
    srv.finish();
    proxy.finish();
}

#[test]
fn no_proxy_and_noproxy_and_an_empty_proxy_go_direct() {
    // A dead proxy: any attempt to use it fails the run.
    let dead = "socks5h://127.0.0.1:1";
    for (args, env) in [
        (
            vec![],
            vec![("ALL_PROXY", dead), ("NO_PROXY", "example.com,127.0.0.0/8")],
        ),
        (vec!["--noproxy", "*"], vec![("ftp_proxy", dead)]),
        (vec!["--proxy", ""], vec![("all_proxy", dead)]),
        (vec!["--noproxy", "127.0.0.1", "--proxy", dead], vec![]),
    ] {
        let srv = Server::start(script(vec![anon_login(), retr("a", b"1"), quit()]));
        let dir = tempfile::tempdir().unwrap();
        let url = srv.url("a");
        let mut all = args.clone();
        all.push(&url);
        let r = run_in(dir.path(), "ftp-get", &all, &env);
        assert_code(&r, 0);
        srv.finish();
    }
}

#[test]
fn proxy_refusals_are_clear_errors_with_their_exit_codes() {
    let cases: Vec<(Vec<ProxyStep>, &str, i32, String)> = vec![
        (
            vec![
                Want(vec![5, 1, 0]),
                Answer(vec![5, 0]),
                Want(socks5_name("files.invalid")),
                Want(vec![0, 21]),
                Answer(vec![5, 5, 0, 1, 0, 0, 0, 0, 0, 0]),
            ],
            "socks5h",
            3,
            "the proxy could not connect: connection refused (SOCKS5 reply 5)".into(),
        ),
        (
            vec![Want(vec![5, 1, 0]), Answer(vec![5, 0xff])],
            "socks5h",
            5,
            "the proxy requires a user and password (socks5h://USER:PASSWORD@HOST)".into(),
        ),
        (
            vec![
                Want(b"CONNECT files.invalid:21 HTTP/1.1\r\nHost: files.invalid:21\r\n\r\n".to_vec()),
                Answer(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n".to_vec()),
            ],
            "http",
            5,
            "the proxy wants a user and password (http://USER:PASSWORD@HOST): HTTP/1.1 407 Proxy Authentication Required".into(),
        ),
        (
            vec![
                Want(b"CONNECT files.invalid:21 HTTP/1.1\r\nHost: files.invalid:21\r\n\r\n".to_vec()),
                Answer(b"HTTP/1.0 403 Forbidden\r\n\r\n".to_vec()),
            ],
            "http",
            3,
            "the proxy refused the tunnel: HTTP/1.0 403 Forbidden".into(),
        ),
    ];
    for (steps, scheme, code, why) in cases {
        let proxy = ScriptedProxy::start(vec![steps]);
        let p = format!("{scheme}://{}", proxy.addr);
        let (r, _d) = run("ftp-ls", &["--proxy", &p, "ftp://files.invalid/"]);
        assert_code(&r, code);
        assert_eq!(r.stderr, format!("ftp-ls: error: proxy {p}: {why}\n"));
        proxy.finish();
    }
}

#[test]
fn an_http_proxy_reply_without_end_is_bounded() {
    let mut flood = b"HTTP/1.1 200 OK\r\n".to_vec();
    flood.extend(std::iter::repeat_n(b'x', 20_000));
    let proxy = ScriptedProxy::start(vec![vec![
        Want(b"CONNECT files.invalid:21 HTTP/1.1\r\nHost: files.invalid:21\r\n\r\n".to_vec()),
        Answer(flood),
    ]]);
    let p = format!("http://{}", proxy.addr);
    let (r, _d) = run("ftp-ls", &["--proxy", &p, "ftp://files.invalid/"]);
    assert_code(&r, 9);
    assert_eq!(
        r.stderr,
        format!(
            "ftp-ls: error: proxy {p}: the proxy's reply to CONNECT is longer than 16384 bytes\n"
        )
    );
    proxy.finish();
}

#[test]
fn a_silent_proxy_is_bounded_by_the_connect_timeout() {
    let proxy = ScriptedProxy::start(vec![vec![
        Want(vec![5, 1, 0]),
        Pause(std::time::Duration::from_secs(3)),
    ]]);
    let p = format!("socks5h://{}", proxy.addr);
    let (r, _d) = run(
        "ftp-ls",
        &[
            "--connect-timeout",
            "1",
            "--proxy",
            &p,
            "ftp://files.invalid/",
        ],
    );
    assert_code(&r, 11);
    assert_eq!(
        r.stderr,
        format!("ftp-ls: error: proxy {p}: handshake: timed out (--connect-timeout)\n")
    );
    assert!(
        r.elapsed < std::time::Duration::from_secs(10),
        "{:?}",
        r.elapsed
    );
    proxy.finish();
}

#[test]
fn active_mode_through_a_proxy_is_a_usage_error() {
    let (r, _d) = run(
        "ftp-ls",
        &[
            "--active",
            "--proxy",
            "socks5h://127.0.0.1:1",
            "ftp://files.invalid/",
        ],
    );
    assert_code(&r, 2);
    assert_eq!(
        r.stderr,
        "ftp-ls: error: --active cannot work through a proxy (the server would connect to us): use passive mode, or --noproxy\n"
    );
}

#[test]
fn a_bad_proxy_url_is_a_usage_error_naming_its_source() {
    let (r, _d) = run("ftp-ls", &["--proxy", "https://p:1", "ftp://h/"]);
    assert_code(&r, 2);
    assert_eq!(
        r.stderr,
        "ftp-ls: error: --proxy: unsupported proxy scheme (use socks5h://, socks5:// or http://): https://p:1\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        dir.path(),
        "ftp-ls",
        &["ftp://h/"],
        &[("ALL_PROXY", "gopher://p")],
    );
    assert_code(&r, 2);
    assert!(
        r.stderr
            .starts_with("ftp-ls: error: ALL_PROXY: unsupported proxy scheme"),
        "{}",
        r.stderr
    );
}

#[test]
fn bind_sets_the_source_address() {
    let (addr, h) = peer_recorder("127.0.0.1:0");
    let (r, _d) = run(
        "ftp-ls",
        &["--bind", "127.0.0.2", &format!("ftp://{addr}/")],
    );
    assert_code(&r, 7);
    assert_eq!(
        h.join().unwrap().map(|a| a.ip().to_string()).as_deref(),
        Some("127.0.0.2")
    );
}

#[test]
fn ipv4_and_ipv6_only() {
    let (addr, h) = peer_recorder("127.0.0.1:0");
    let (r, _d) = run(
        "ftp-ls",
        &["-4", &format!("ftp://localhost:{}/", addr.port())],
    );
    assert_code(&r, 7);
    assert!(h.join().unwrap().unwrap().is_ipv4());
    let localhost_has_v6 = ("localhost", 1)
        .to_socket_addrs()
        .is_ok_and(|mut a| a.any(|a| a.is_ipv6()));
    if localhost_has_v6 && Server::ipv6_available() {
        let (addr, h) = peer_recorder("[::1]:0");
        let (r, _d) = run(
            "ftp-ls",
            &["-6", &format!("ftp://localhost:{}/", addr.port())],
        );
        assert_code(&r, 7);
        assert!(h.join().unwrap().unwrap().is_ipv6());
    } else {
        let (r, _d) = run("ftp-ls", &["-6", "ftp://localhost:1/"]);
        assert_code(&r, 3);
        assert_eq!(
            r.stderr,
            "ftp-ls: error: localhost has no IPv6 (-6) address\n"
        );
    }
    let (r, _d) = run("ftp-ls", &["-4", "ftp://[::1]:1/"]);
    assert_code(&r, 3);
    assert_eq!(r.stderr, "ftp-ls: error: ::1 has no IPv4 (-4) address\n");
    let (r, _d) = run("ftp-ls", &["-4", "-6", "ftp://h/"]);
    assert_code(&r, 2);
}
