//! One diagnostic style (issue 18 item 3): every message starts with the tool's name (clap's usage errors
//! and the `--insecure` warning too); the hints for common failures, asserted exactly through the real
//! binaries against scripted servers; a greeting that never comes is bounded by `--connect-timeout`,
//! and a server of another protocol is named.

use std::time::Duration;

use crate::support::*;

const NETWORK_TOOLS: [&str; 7] = [
    "ftp-get",
    "ftp-ls",
    "ftp-put",
    "imap-fetch",
    "imap-mailbox",
    "pop3-fetch",
    "smtp-send",
];

#[test]
fn clap_usage_errors_start_with_the_tool_name() {
    for tool in NETWORK_TOOLS {
        let (r, _d) = run(tool, &["--no-such-flag"]);
        assert_code(&r, 2);
        assert!(
            r.stderr.starts_with(&format!(
                "{tool}: error: unexpected argument '--no-such-flag' found\n"
            )),
            "{}",
            r.stderr
        );
        assert!(
            r.stderr.contains(&format!("Usage: {tool} ")),
            "{}",
            r.stderr
        );
    }
    for bin in [crate::mime::ENCODE, crate::mime::DECODE] {
        let out = std::process::Command::new(bin)
            .arg("--no-such-flag")
            .output()
            .unwrap();
        let name = std::path::Path::new(bin)
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with(&format!(
                "{name}: error: unexpected argument '--no-such-flag' found\n"
            )),
            "{err}"
        );
    }
}

#[test]
fn the_insecure_warning_names_the_tool() {
    let (r, _d) = run(
        "ftp-ls",
        &["-k", "--connect-timeout", "2", "ftps://127.0.0.1:1/"],
    );
    assert_code(&r, 3);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        lines[0],
        "ftp-ls: warning: --insecure: TLS certificates are not verified"
    );
    assert!(
        lines[1].starts_with("ftp-ls: error: cannot connect to 127.0.0.1:1"),
        "{}",
        r.stderr
    );
    assert_eq!(lines.len(), 2);
}

/// The error line: the last line of stderr (pop3-fetch prints its summary first), every line of which
/// starts with the tool's name.
fn error_line(r: &Run) -> &str {
    let tool = r.stderr.split(':').next().unwrap_or_default();
    assert!(
        r.stderr
            .lines()
            .all(|l| l.starts_with(&format!("{tool}: "))),
        "{}",
        r.stderr
    );
    r.stderr.lines().last().unwrap_or_default()
}

/// A server that accepts and says nothing, as a TLS server waiting for our ClientHello does.
fn silent() -> Server {
    Server::start(vec![Sleep(Duration::from_secs(8))])
}

#[test]
fn no_greeting_on_a_plain_url_ends_at_the_connect_timeout_with_the_implicit_tls_hint() {
    let cases = [
        ("ftp-ls", "ftp", "ftps"),
        ("smtp-send", "smtp", "smtps"),
        ("pop3-fetch", "pop3", "pop3s"),
        ("imap-mailbox", "imap", "imaps"),
    ];
    for (tool, scheme, tls) in cases {
        let srv = silent();
        let url = format!("{scheme}://ann:pw@{}/", srv.addr);
        let mut args = vec!["--connect-timeout", "2", url.as_str()];
        match tool {
            "smtp-send" => args.extend([
                "--from",
                "a@b.example",
                "--to",
                "c@d.example",
                "--body",
                "x",
            ]),
            "imap-mailbox" => args.push("list"),
            _ => {}
        }
        let (r, _d) = run(tool, &args);
        assert_code(&r, 11);
        assert_eq!(
            error_line(&r),
            format!(
                "{tool}: error: no greeting from the server within 2 s (--connect-timeout); hint: is this \
                 an implicit-TLS port? try {tls}://"
            )
        );
        // Bounded by --connect-timeout, not the 300 s reply timeout (a generous margin for a busy machine).
        assert!(
            r.elapsed < Duration::from_secs(30),
            "{tool}: {:?}",
            r.elapsed
        );
    }
}

#[test]
fn a_server_of_another_protocol_is_named_at_once() {
    let cases: Vec<(&str, String, Vec<u8>, i32, &str)> = vec![
        (
            "ftp-ls",
            "ftp".into(),
            b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".to_vec(),
            9,
            "the server does not speak FTP: its greeting is an SSH banner: SSH-2.0-OpenSSH_9.2p1 Debian-2",
        ),
        (
            "ftp-ls",
            "ftp".into(),
            b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n".to_vec(),
            9,
            "the server does not speak FTP: its greeting is an IMAP greeting: * OK [CAPABILITY IMAP4rev1] Dovecot ready.",
        ),
        (
            "imap-mailbox",
            "imap".into(),
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_vec(),
            9,
            "the server does not speak IMAP: its greeting is an HTTP response: HTTP/1.1 400 Bad Request",
        ),
        (
            "pop3-fetch",
            "pop3".into(),
            b"220 (vsFTPd 3.0.3)\r\n".to_vec(),
            9,
            "the server does not speak POP3: its greeting is an FTP greeting: 220 (vsFTPd 3.0.3)",
        ),
        (
            "smtp-send",
            "smtp".into(),
            // A TLS alert record (fatal, protocol_version), as some TLS servers send to plain text.
            vec![21, 3, 3, 0, 2, 2, 70],
            9,
            "the server does not speak SMTP: its greeting is TLS records; hint: is this an implicit-TLS port? try smtps://",
        ),
    ];
    for (tool, scheme, bytes, code, want) in cases {
        let srv = Server::start(vec![Raw(bytes), Sleep(Duration::from_millis(300))]);
        let url = format!("{scheme}://ann:pw@{}/", srv.addr);
        let mut args = vec!["--connect-timeout", "20", url.as_str()];
        match tool {
            "smtp-send" => args.extend([
                "--from",
                "a@b.example",
                "--to",
                "c@d.example",
                "--body",
                "x",
            ]),
            "imap-mailbox" => args.push("list"),
            _ => {}
        }
        let (r, _d) = run(tool, &args);
        assert_code(&r, code);
        assert_eq!(error_line(&r), format!("{tool}: error: {want}"));
        // Recognised from the bytes, not by waiting for a timeout.
        assert!(
            r.elapsed < Duration::from_secs(15),
            "{tool}: {:?}",
            r.elapsed
        );
    }
}

#[test]
fn a_login_refused_over_plain_text_suggests_starttls() {
    let srv = Server::start(vec![
        s("220 scripted server"),
        e("USER bob"),
        s("530 Non-anonymous sessions must use encryption."),
        Drain,
    ]);
    let (r, _d) = run("ftp-ls", &[&format!("ftp://bob:pw@{}/", srv.addr)]);
    assert_code(&r, 5);
    assert_eq!(
        r.stderr,
        "ftp-ls: error: USER bob: 530 Non-anonymous sessions must use encryption.; hint: the server may accept \
         the login only over TLS: try --starttls (or ftps://)\n"
    );
    let srv = Server::start(vec![
        s("+OK ready"),
        e("CAPA"),
        s("+OK"),
        s("USER"),
        s("."),
        e("USER ann"),
        s("-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."),
        Drain,
    ]);
    let (r, _d) = run("pop3-fetch", &[&format!("pop3://ann:pw@{}/", srv.addr)]);
    assert_code(&r, 5);
    assert_eq!(
        error_line(&r),
        "pop3-fetch: error: USER ann: -ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) \
         connections.; hint: the server may accept the login only over TLS: try --starttls (or pop3s://)"
    );
}

#[test]
fn an_upload_refused_in_a_subdirectory_suggests_mkdirs() {
    let refused = |path: &str| {
        script(vec![
            anon_login(),
            vec![
                e("TYPE I"),
                s("200 Switching to Binary mode."),
                e("EPSV"),
                Epsv,
                Expect(format!("STOR {path}")),
                s("553 Could not create file."),
            ],
            quit(),
        ])
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.txt"), b"x").unwrap();
    let srv = Server::start(refused("missing/f.txt"));
    let r = run_in(dir.path(), "ftp-put", &["f.txt", &srv.url("missing/")], &[]);
    assert_code(&r, 6);
    assert_eq!(
        r.stderr,
        "ftp-put: error: f.txt: STOR missing/f.txt: 553 Could not create file.; hint: if the remote \
         directory does not exist, --mkdirs creates it\n"
    );
    srv.finish();
    // In the login directory the hint would be wrong: it is not given.
    let srv = Server::start(refused("f.txt"));
    let r = run_in(dir.path(), "ftp-put", &["f.txt", &srv.url("")], &[]);
    assert_code(&r, 6);
    assert_eq!(
        r.stderr,
        "ftp-put: error: f.txt: STOR f.txt: 553 Could not create file.\n"
    );
    srv.finish();
}
