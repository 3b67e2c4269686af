//! smtp-send against a scripted server: the exact client transcript (EHLO/HELO fallback, PIPELINING,
//! STARTTLS, AUTH variants with the transcript masked), per-recipient results and exit codes, SIZE,
//! dot-stuffing of every tricky line ending, -t, sendmail mode, the queue.

use std::path::Path;

use base64::Engine;

use crate::support::*;

const DATE: &str = "Date: Thu, 01 Jan 2026 00:00:00 +0000";
const ID: &str = "Message-ID: <fixed@test>";

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn url(srv: &Server) -> String {
    format!("smtp://{}", srv.addr)
}

/// A greeting and an EHLO reply with `ext` lines.
fn hello(ext: &[&str]) -> Vec<Step> {
    let mut v = vec![s("220 scripted ESMTP"), e("EHLO test.invalid")];
    if ext.is_empty() {
        v.push(s("250 scripted"));
    } else {
        v.push(s("250-scripted"));
        for (i, x) in ext.iter().enumerate() {
            let sep = if i + 1 == ext.len() { ' ' } else { '-' };
            v.push(Send(format!("250{sep}{x}")));
        }
    }
    v
}

fn quit_ok() -> Vec<Step> {
    vec![e("QUIT"), s("221 bye")]
}

fn write_msg(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

fn run_smtp(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec!["--helo", "test.invalid", "--timeout", "10"];
    all.extend_from_slice(args);
    run_in(dir, "smtp-send", &all, env)
}

fn simple_msg() -> Vec<u8> {
    format!("From: ann@example.com\r\nTo: bob@example.org\r\n{DATE}\r\n{ID}\r\nSubject: hi\r\n\r\nhello\r\n")
        .into_bytes()
}

#[test]
fn pipelined_envelope_with_size_and_8bitmime() {
    let dir = tempfile::tempdir().unwrap();
    let msg = simple_msg();
    let path = write_msg(dir.path(), "m.eml", &msg);
    let size = msg.len();
    let srv = Server::start(script(vec![
        hello(&["PIPELINING", "SIZE 100000", "8BITMIME"]),
        vec![
            Expect(format!(
                "MAIL FROM:<ann@example.com> SIZE={size} BODY=8BITMIME"
            )),
            e("RCPT TO:<bob@example.org>"),
            e("RCPT TO:<carl@example.org>"),
            s("250 2.1.0 Ok"),
            s("250 2.1.5 Ok"),
            s("250 2.1.5 Ok"),
            e("DATA"),
            s("354 go"),
            ReadDotBody,
            s("250 2.0.0 queued as X1"),
        ],
        quit_ok(),
    ]));
    let r = run_smtp(
        dir.path(),
        &[
            &url(&srv),
            "--message",
            &path,
            "--to",
            "bob@example.org",
            "--to",
            "Carl <carl@example.org>",
        ],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), msg);
    assert_eq!(r.stderr, "", "quiet success off a terminal (issue 18)");
    srv.finish();
}

#[test]
fn helo_fallback_sends_no_extensions() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_msg(dir.path(), "m.eml", &simple_msg());
    let srv = Server::start(script(vec![
        vec![
            s("220 old server"),
            e("EHLO test.invalid"),
            s("502 5.5.2 what?"),
            e("HELO test.invalid"),
            s("250 old"),
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
    let r = run_smtp(dir.path(), &[&url(&srv), "--message", &path, "-t"], &[]);
    assert_code(&r, 0);
    srv.finish();
}

/// The tricky line endings: bare LF, bare CR, CRLF, a lone dot, dots at line starts, a CR LF split
/// around a dot, no final line ending — all come out as CRLF lines, dot-stuffed, never ending early.
#[test]
fn dot_stuffing_of_every_tricky_line_ending() {
    let dir = tempfile::tempdir().unwrap();
    let head = format!("From: a@x\nTo: b@y\n{DATE}\n{ID}\n\n");
    let body = ".\n..\r\n.x\rline\r.\r\n\r\n.\r\nbare\rcr\nend.\n.\r.\nlast .";
    let mut msg = head.clone().into_bytes();
    msg.extend_from_slice(body.as_bytes());
    let path = write_msg(dir.path(), "m.eml", &msg);
    let srv = Server::start(script(vec![
        hello(&[]),
        vec![
            e("MAIL FROM:<a@x>"),
            s("250 ok"),
            e("RCPT TO:<b@y>"),
            s("250 ok"),
            e("DATA"),
            s("354 go"),
            ReadDotBody,
            s("250 ok"),
        ],
        quit_ok(),
    ]));
    let r = run_smtp(dir.path(), &[&url(&srv), "--message", &path, "-t"], &[]);
    assert_code(&r, 0);
    let want = format!(
        "From: a@x\r\nTo: b@y\r\n{DATE}\r\n{ID}\r\n\r\n..\r\n...\r\n..x\r\nline\r\n..\r\n\r\n..\r\nbare\r\ncr\r\nend.\r\n..\r\n..\r\nlast .\r\n"
    );
    assert_eq!(String::from_utf8(srv.data_received()).unwrap(), want);
    srv.finish();
}

#[test]
fn t_reads_groups_comments_and_quoted_names_and_strips_bcc() {
    let dir = tempfile::tempdir().unwrap();
    let msg = "From: \"Ann, A.\" <ann@example.com>\nTo: team: b@y, \"Doe, C\" <c@z>;,\n d@w (Dee)\nBcc: secret@v\nSubject: s\n\nbody\n";
    let path = write_msg(dir.path(), "m.eml", msg.as_bytes());
    let srv = Server::start(script(vec![
        hello(&["PIPELINING"]),
        vec![
            e("MAIL FROM:<ann@example.com>"),
            e("RCPT TO:<b@y>"),
            e("RCPT TO:<c@z>"),
            e("RCPT TO:<d@w>"),
            e("RCPT TO:<secret@v>"),
            s("250 ok"),
            s("250 ok"),
            s("250 ok"),
            s("250 ok"),
            s("250 ok"),
            e("DATA"),
            s("354 go"),
            ReadDotBody,
            s("250 ok"),
        ],
        quit_ok(),
    ]));
    let r = run_smtp(dir.path(), &[&url(&srv), "--message", &path, "-t"], &[]);
    assert_code(&r, 0);
    let got = String::from_utf8(srv.data_received()).unwrap();
    assert!(!got.contains("secret@v") && !got.contains("Bcc"), "{got}");
    assert!(
        got.contains("\r\nDate: ") && got.contains("\r\nMessage-ID: <"),
        "{got}"
    );
    assert!(got.ends_with("\r\n\r\nbody\r\n"), "{got}");
    srv.finish();
}

#[test]
fn partial_refusal_sends_to_the_rest_and_exits_10() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_msg(dir.path(), "m.eml", &simple_msg());
    let srv = Server::start(script(vec![
        hello(&["PIPELINING"]),
        vec![
            e("MAIL FROM:<ann@example.com>"),
            e("RCPT TO:<nobody@example.org>"),
            e("RCPT TO:<later@example.org>"),
            e("RCPT TO:<bob@example.org>"),
            s("250 ok"),
            s("550 5.1.1 no such user"),
            s("451 4.3.0 try later"),
            s("250 ok"),
            e("DATA"),
            s("354 go"),
            ReadDotBody,
            s("250 queued"),
        ],
        quit_ok(),
    ]));
    let r = run_smtp(
        dir.path(),
        &[
            &url(&srv),
            "--message",
            &path,
            "-t",
            "--to",
            "nobody@example.org",
            "--to",
            "later@example.org",
            "--json",
        ],
        &[],
    );
    assert_code(&r, 10);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["status"], "partial");
    let st: Vec<(&str, &str, u64)> = doc["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["address"].as_str().unwrap(),
                x["status"].as_str().unwrap(),
                x["code"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        st,
        vec![
            ("nobody@example.org", "failed", 550),
            ("later@example.org", "failed", 451),
            ("bob@example.org", "ok", 250)
        ]
    );
    let codes: Vec<serde_json::Value> = doc["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["error"]["exit_code"].clone())
        .collect();
    assert_eq!(codes, [6.into(), 7.into(), serde_json::Value::Null]);
    assert_eq!(
        doc["recipients"][0]["error"]["message"],
        "refused <nobody@example.org>: 550 5.1.1 no such user"
    );
    srv.finish();
}

fn refuse_all(code: &str) -> Vec<Step> {
    script(vec![
        hello(&[]),
        vec![
            e("MAIL FROM:<ann@example.com>"),
            s("250 ok"),
            e("RCPT TO:<bob@example.org>"),
            Send(code.to_string()),
            e("RSET"),
            s("250 ok"),
        ],
        quit_ok(),
    ])
}

#[test]
fn all_refused_is_6_for_5xx_and_7_for_4xx() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_msg(dir.path(), "m.eml", &simple_msg());
    let srv = Server::start(refuse_all("550 5.1.1 no"));
    let r = run_smtp(dir.path(), &[&url(&srv), "--message", &path, "-t"], &[]);
    assert_code(&r, 6);
    assert!(r.stderr.contains("550 5.1.1 no"), "{}", r.stderr);
    srv.finish();
    let srv = Server::start(refuse_all("450 4.2.0 busy"));
    let r = run_smtp(dir.path(), &[&url(&srv), "--message", &path, "-t"], &[]);
    assert_code(&r, 7);
    srv.finish();
}

#[test]
fn all_or_nothing_resets_and_exits_6() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_msg(dir.path(), "m.eml", &simple_msg());
    let srv = Server::start(script(vec![
        hello(&[]),
        vec![
            e("MAIL FROM:<ann@example.com>"),
            s("250 ok"),
            e("RCPT TO:<x@example.org>"),
            s("550 no"),
            e("RCPT TO:<bob@example.org>"),
            s("250 ok"),
            e("RSET"),
            s("250 ok"),
        ],
        quit_ok(),
    ]));
    let r = run_smtp(
        dir.path(),
        &[
            &url(&srv),
            "--message",
            &path,
            "--to",
            "x@example.org",
            "-t",
            "--all-or-nothing",
        ],
        &[],
    );
    assert_code(&r, 6);
    srv.finish();
}

#[test]
fn transient_and_permanent_failures_of_mail_and_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_msg(dir.path(), "m.eml", &simple_msg());
    let srv = Server::start(script(vec![
        hello(&[]),
        vec![
            e("MAIL FROM:<ann@example.com>"),
            s("421 4.3.2 shutting down"),
        ],
        vec![Drain],
    ]));
    let r = run_smtp(dir.path(), &[&url(&srv), "--message", &path, "-t"], &[]);
    assert_code(&r, 7);
    srv.finish();
    let srv = Server::start(script(vec![
        hello(&[]),
        vec![
            e("MAIL FROM:<ann@example.com>"),
            s("250 ok"),
            e("RCPT TO:<bob@example.org>"),
            s("250 ok"),
            e("DATA"),
            s("354 go"),
            ReadDotBody,
            s("554 5.6.0 content rejected"),
        ],
        quit_ok(),
    ]));
    let r = run_smtp(dir.path(), &[&url(&srv), "--message", &path, "-t"], &[]);
    assert_code(&r, 6);
    assert!(
        r.stderr.contains("554 5.6.0 content rejected"),
        "{}",
        r.stderr
    );
    srv.finish();
    let srv = Server::start(vec![s("554 no service for you"), Drain]);
    let r = run_smtp(dir.path(), &[&url(&srv), "--message", &path, "-t"], &[]);
    assert_code(&r, 6);
    srv.finish();
}

#[test]
fn a_message_over_the_size_limit_is_refused_before_mail() {
    let dir = tempfile::tempdir().unwrap();
    let mut msg = simple_msg();
    msg.extend(std::iter::repeat_n(b'x', 2000));
    let path = write_msg(dir.path(), "m.eml", &msg);
    let srv = Server::start(script(vec![hello(&["SIZE 1000"]), quit_ok()]));
    let r = run_smtp(dir.path(), &[&url(&srv), "--message", &path, "-t"], &[]);
    assert_code(&r, 6);
    assert!(r.stderr.contains("SIZE limit of 1000"), "{}", r.stderr);
    srv.finish();
}

/// The AUTH variants: the initial response with the command (PLAIN, XOAUTH2), LOGIN's two challenges,
/// an OAuth error challenge; every base64 answer masked in the -v transcript.
#[test]
fn auth_variants_with_the_transcript_masked() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_msg(dir.path(), "m.eml", &simple_msg());
    let send_rest = || {
        script(vec![
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
        ])
    };
    let env = [("FERRY_PASSWORD", "s3cret")];
    let cases: Vec<(&str, Vec<Step>, i32)> = vec![
        (
            "plain",
            script(vec![
                hello(&["AUTH LOGIN PLAIN"]),
                vec![
                    Expect(format!("AUTH PLAIN {}", b64(b"\0ann\0s3cret"))),
                    s("235 ok"),
                ],
                send_rest(),
            ]),
            0,
        ),
        (
            "login",
            script(vec![
                hello(&["AUTH=LOGIN"]),
                vec![
                    e("AUTH LOGIN"),
                    Send(format!("334 {}", b64(b"Username:"))),
                    Expect(b64(b"ann")),
                    Send(format!("334 {}", b64(b"Password:"))),
                    Expect(b64(b"s3cret")),
                    s("235 ok"),
                ],
                send_rest(),
            ]),
            0,
        ),
        (
            "refused",
            script(vec![
                hello(&["AUTH PLAIN"]),
                vec![
                    Expect(format!("AUTH PLAIN {}", b64(b"\0ann\0s3cret"))),
                    s("535 5.7.8 bad credentials"),
                ],
                quit_ok(),
            ]),
            5,
        ),
    ];
    for (name, steps, code) in cases {
        let srv = Server::start(steps);
        let r = run_smtp(
            dir.path(),
            &[&url(&srv), "--message", &path, "-t", "-u", "ann", "-v"],
            &env,
        );
        assert_code(&r, code);
        assert!(!r.stderr.contains("s3cret"), "{name}: {}", r.stderr);
        assert!(
            !r.stderr.contains(&b64(b"s3cret")) && !r.stderr.contains(&b64(b"\0ann\0s3cret")),
            "{name}"
        );
        assert!(r.stderr.contains("****"), "{name}: {}", r.stderr);
        srv.finish();
    }
    // XOAUTH2 with the token from --password-command; an error challenge gets the empty answer.
    let token = b64(b"user=ann\x01auth=Bearer tok123\x01\x01");
    let srv = Server::start(script(vec![
        hello(&["AUTH PLAIN XOAUTH2"]),
        vec![
            Expect(format!("AUTH XOAUTH2 {token}")),
            Send(format!("334 {}", b64(b"{\"status\":\"invalid_token\"}"))),
            e(""),
            s("535 5.7.8 token refused"),
        ],
        quit_ok(),
    ]));
    let r = run_smtp(
        dir.path(),
        &[
            &url(&srv),
            "--message",
            &path,
            "-t",
            "-u",
            "ann",
            "--auth",
            "xoauth2",
            "--password-command",
            "echo tok123",
            "-v",
        ],
        &[],
    );
    assert_code(&r, 5);
    assert!(r.stderr.contains("invalid_token"), "{}", r.stderr);
    assert!(
        !r.stderr.contains(&token) && !r.stderr.contains("tok123"),
        "{}",
        r.stderr
    );
    srv.finish();
}

/// OAUTHBEARER carries host and port (RFC 7628 §3.1).
#[test]
fn oauthbearer_names_host_and_port() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_msg(dir.path(), "m.eml", &simple_msg());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let ir = b64(
        format!("n,a=ann,\x01host=127.0.0.1\x01port={port}\x01auth=Bearer tok\x01\x01").as_bytes(),
    );
    let srv = Server::start_on(
        &format!("127.0.0.1:{port}"),
        script(vec![
            hello(&["AUTH OAUTHBEARER"]),
            vec![Expect(format!("AUTH OAUTHBEARER {ir}")), s("235 ok")],
            vec![e("MAIL FROM:<ann@example.com>"), s("451 later")],
            quit_ok(),
        ]),
    );
    let r = run_smtp(
        dir.path(),
        &[
            &url(&srv),
            "--message",
            &path,
            "-t",
            "-u",
            "ann",
            "--auth",
            "oauthbearer",
            "--password-command",
            "echo tok",
        ],
        &[],
    );
    assert_code(&r, 7);
    srv.finish();
}

#[test]
fn starttls_not_offered_is_4_and_bytes_after_220_are_9() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_msg(dir.path(), "m.eml", &simple_msg());
    let srv = Server::start(script(vec![hello(&["PIPELINING"]), vec![Drain]]));
    let r = run_smtp(
        dir.path(),
        &[&url(&srv), "--starttls", "--message", &path, "-t"],
        &[],
    );
    assert_code(&r, 4);
    srv.finish();
    let srv = Server::start(script(vec![
        hello(&["STARTTLS"]),
        vec![
            e("STARTTLS"),
            Raw(b"220 go ahead\r\n250-injected\r\n".to_vec()),
            Drain,
        ],
    ]));
    let r = run_smtp(
        dir.path(),
        &[&url(&srv), "--starttls", "--message", &path, "-t"],
        &[],
    );
    assert_code(&r, 9);
    srv.finish();
    let srv = Server::start(script(vec![
        hello(&["STARTTLS"]),
        vec![e("STARTTLS"), s("454 4.7.0 TLS not available"), Drain],
    ]));
    let r = run_smtp(
        dir.path(),
        &[&url(&srv), "--starttls", "--message", &path, "-t"],
        &[],
    );
    assert_code(&r, 4);
    srv.finish();
}

#[test]
fn header_injection_is_refused_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 1: connecting would be exit 3.
    for args in [
        &[
            "--from",
            "a@x",
            "--to",
            "b@y",
            "--subject",
            "hi\r\nBcc: victim@z",
        ][..],
        &["--from", "a@x\nRCPT TO:<victim@z>", "--to", "b@y"],
        &["--from", "a@x", "--to", "b@y\r\nDATA"],
        &["--from", "a@x", "--cc", "Name\n <c@d>", "--to", "b@y"],
        &[
            "--from",
            "a@x",
            "--to",
            "b@y",
            "--attach",
            "/nonexistent/file",
        ],
    ] {
        let mut all = vec!["smtp://127.0.0.1:1"];
        all.extend_from_slice(args);
        let r = run_smtp(dir.path(), &all, &[]);
        let want = if args.contains(&"--attach") { 8 } else { 2 };
        assert_code(&r, want);
    }
}

#[test]
fn composed_message_is_mime_encoded() {
    let dir = tempfile::tempdir().unwrap();
    let att = write_msg(dir.path(), "data.bin", &[0u8, 1, 2, 255, b'\n', b'.']);
    let srv = Server::start(script(vec![
        hello(&["PIPELINING", "SIZE"]),
        vec![
            ExpectPrefix("MAIL FROM:<ann@example.com> SIZE=".into()),
            e("RCPT TO:<bob@example.org>"),
            e("RCPT TO:<hidden@example.org>"),
            s("250 ok"),
            s("250 ok"),
            s("250 ok"),
            e("DATA"),
            s("354 go"),
            ReadDotBody,
            s("250 ok"),
        ],
        quit_ok(),
    ]));
    let r = run_smtp(
        dir.path(),
        &[
            &url(&srv),
            "--from",
            "Änn <ann@example.com>",
            "--to",
            "bob@example.org",
            "--bcc",
            "hidden@example.org",
            "--subject",
            "Grüße",
            "--body",
            "Hallo Welt\n.\nEnde",
            "--attach",
            &att,
        ],
        &[],
    );
    assert_code(&r, 0);
    let got = String::from_utf8(srv.data_received())
        .unwrap()
        .replace("\r\n..", "\r\n.");
    assert!(!got.contains("hidden@example.org"), "{got}");
    let parsed = mail_parser::MessageParser::default()
        .parse(got.as_bytes())
        .unwrap();
    assert_eq!(parsed.subject(), Some("Grüße"));
    assert_eq!(
        parsed.body_text(0).unwrap().replace("\r\n", "\n"),
        "Hallo Welt\n.\nEnde"
    );
    assert_eq!(
        parsed.attachment(0).unwrap().contents(),
        &[0u8, 1, 2, 255, b'\n', b'.']
    );
    srv.finish();
}

fn config_home(dir: &Path, url: &str) -> String {
    let cfg = dir.join("cfg");
    std::fs::create_dir_all(cfg.join("ferry")).unwrap();
    std::fs::write(
        cfg.join("ferry/config.toml"),
        format!("default = \"mail\"\n[account.mail]\nurl = \"{url}\"\n"),
    )
    .unwrap();
    cfg.display().to_string()
}

#[test]
fn sendmail_symlink_with_cron_style_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(script(vec![
        vec![
            s("220 scripted ESMTP"),
            ExpectPrefix("EHLO ".into()),
            s("250 scripted"),
        ],
        vec![
            e("MAIL FROM:<root@cron.example>"),
            s("250 ok"),
            e("RCPT TO:<ops@example.org>"),
            s("250 ok"),
            e("DATA"),
            s("354 go"),
            ReadDotBody,
            s("250 ok"),
        ],
        quit_ok(),
    ]));
    let cfg = config_home(dir.path(), &url(&srv));
    let link = dir.path().join("sendmail");
    std::os::unix::fs::symlink(bin("smtp-send"), &link).unwrap();
    // Without -i, a lone "." ends the input.
    let input = b"Subject: cron output\n\nline 1\n.\nnot sent\n".to_vec();
    let r = run_program(
        &link,
        dir.path(),
        &[
            "-FCron Daemon",
            "-f",
            "root@cron.example",
            "-oem",
            "-B8BITMIME",
            "ops@example.org",
        ],
        &[("XDG_CONFIG_HOME", &cfg)],
        Some(input),
    );
    assert_code(&r, 0);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let got = String::from_utf8(srv.data_received()).unwrap();
    assert!(
        got.starts_with("Subject: cron output\r\nFrom: Cron Daemon <root@cron.example>\r\nDate: "),
        "{got}"
    );
    assert!(got.ends_with("\r\n\r\nline 1\r\n"), "{got}");
    srv.finish();
}

#[test]
fn sendmail_flag_with_t_and_i() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(script(vec![
        vec![
            s("220 scripted ESMTP"),
            ExpectPrefix("EHLO ".into()),
            s("250 scripted"),
        ],
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
    let cfg = config_home(dir.path(), &url(&srv));
    let input = format!("From: ann@example.com\nTo: bob@example.org\n{DATE}\n{ID}\n\n.\nkept\n")
        .into_bytes();
    let r = run_program(
        &bin("smtp-send"),
        dir.path(),
        &["--sendmail", "-t", "-oi"],
        &[("XDG_CONFIG_HOME", &cfg)],
        Some(input),
    );
    assert_code(&r, 0);
    let got = String::from_utf8(srv.data_received()).unwrap();
    assert!(got.ends_with("\r\n\r\n..\r\nkept\r\n"), "{got}");
    srv.finish();
}

#[test]
fn queue_on_transient_failure_then_flush() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("q");
    let q = queue.display().to_string();
    let msg = simple_msg();
    let path = write_msg(dir.path(), "m.eml", &msg);
    // Nothing listens on port 1: a connect failure is transient.
    let r = run_smtp(
        dir.path(),
        &[
            "smtp://127.0.0.1:1",
            "--message",
            &path,
            "-t",
            "--queue",
            &q,
            "--json",
        ],
        // The test clock of the queue schedule (2026-01-01): the entry is due again 30 min later.
        &[("FERRY_TEST_NOW", "1767225600")],
    );
    assert_code(&r, 7);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["status"], "queued");
    let names = names_in(&queue);
    let entries: Vec<&String> = names.iter().filter(|n| n.ends_with(".msg")).collect();
    assert_eq!(entries.len(), 1, "{names:?}");
    // The first flush is deferred by the server: the entry stays.
    let srv = Server::start(script(vec![
        hello(&[]),
        vec![
            e("MAIL FROM:<ann@example.com>"),
            s("250 ok"),
            e("RCPT TO:<bob@example.org>"),
            s("450 later"),
            e("RSET"),
            s("250 ok"),
        ],
        quit_ok(),
    ]));
    let r = run_smtp(
        dir.path(),
        &["--flush-queue", &q, &url(&srv)],
        &[("FERRY_TEST_NOW", "1767227400")],
    );
    assert_code(&r, 7);
    srv.finish();
    assert_eq!(
        names_in(&queue)
            .iter()
            .filter(|n| n.ends_with(".msg"))
            .count(),
        1
    );
    let srv = Server::start(script(vec![
        hello(&[]),
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
    let r = run_smtp(
        dir.path(),
        &["--flush-queue", &q, &url(&srv)],
        &[("FERRY_TEST_NOW", "1767231000")],
    );
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), msg);
    srv.finish();
    assert_eq!(
        names_in(&queue)
            .iter()
            .filter(|n| n.ends_with(".msg"))
            .count(),
        0
    );
}

#[test]
fn hostile_replies_are_protocol_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_msg(dir.path(), "m.eml", &simple_msg());
    for bad in [
        vec![
            s("220 hi"),
            e("EHLO test.invalid"),
            s("250-a"),
            s("251 mixed codes"),
            Drain,
        ],
        vec![s("hello there"), Drain],
        vec![s("220 hi"), e("EHLO test.invalid"), Flood(b'2', 2 << 20)],
        vec![
            s("220 hi"),
            e("EHLO test.invalid"),
            Raw(b"250 ok\0\r\n".to_vec()),
            Drain,
        ],
    ] {
        let srv = Server::start(bad);
        let r = run_smtp(dir.path(), &[&url(&srv), "--message", &path, "-t"], &[]);
        assert_code(&r, 9);
        srv.finish();
    }
}

fn deferred_session() -> Vec<Step> {
    script(vec![
        hello(&[]),
        vec![
            e("MAIL FROM:<ann@example.com>"),
            s("250 ok"),
            e("RCPT TO:<bob@example.org>"),
            s("450 later"),
            e("RSET"),
            s("250 ok"),
        ],
        quit_ok(),
    ])
}

#[test]
fn retries_resend_only_when_nothing_was_sent() {
    let dir = tempfile::tempdir().unwrap();
    let msg = simple_msg();
    let path = write_msg(dir.path(), "m.eml", &msg);
    // Every recipient deferred: nothing went, so the retry loop tries again on a new session.
    let srv = Server::start_sessions(vec![
        deferred_session(),
        script(vec![
            hello(&[]),
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
        ]),
    ]);
    let r = run_smtp(
        dir.path(),
        &[&url(&srv), "-v", "--message", &path, "-t", "--retries", "2"],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(
        without_transcript(&r.stderr),
        "smtp-send: every recipient was deferred; retrying (1/2)\n\
         smtp-send: sent to 1 of 1 recipient(s): 250 ok\n"
    );
    assert_eq!(srv.data_received(), msg);
    srv.finish();
    // Deferred every time: -q hides the retry notices, not the refusal or the error.
    let srv = Server::start_sessions(vec![deferred_session(), deferred_session()]);
    let r = run_smtp(
        dir.path(),
        &[&url(&srv), "--message", &path, "-t", "--retries", "1", "-q"],
        &[],
    );
    assert_code(&r, 7);
    assert_eq!(
        r.stderr,
        "smtp-send: refused <bob@example.org>: 450 later\n\
         smtp-send: error: every recipient was deferred; nothing sent\n"
    );
    srv.finish();
}

#[test]
fn a_message_that_went_is_not_sent_again_for_a_deferred_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let msg = simple_msg();
    let path = write_msg(dir.path(), "m.eml", &msg);
    let srv = Server::start(script(vec![
        hello(&[]),
        vec![
            e("MAIL FROM:<ann@example.com>"),
            s("250 ok"),
            e("RCPT TO:<later@example.org>"),
            s("451 4.3.0 try later"),
            e("RCPT TO:<bob@example.org>"),
            s("250 ok"),
            e("DATA"),
            s("354 go"),
            ReadDotBody,
            s("250 queued"),
        ],
        quit_ok(),
    ]));
    let r = run_smtp(
        dir.path(),
        &[
            &url(&srv),
            "--message",
            &path,
            "-t",
            "--to",
            "later@example.org",
            "--retries",
            "2",
        ],
        &[],
    );
    assert_code(&r, 10);
    assert_eq!(
        r.stderr,
        "smtp-send: refused <later@example.org>: 451 4.3.0 try later\n\
         smtp-send: sent to 1 of 2 recipient(s): 250 queued\n\
         smtp-send: 1 of 2 recipients failed\n"
    );
    assert_eq!(srv.data_received(), msg);
    srv.finish();
}

/// Issue 13, defect 7: one flush per queue; a second waits (the 1 s of `--timeout`), then exits 7
/// without connecting, and the entries stay.
#[test]
fn a_flush_holding_the_queue_lock_keeps_a_second_one_out() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("q");
    std::fs::create_dir(&queue).unwrap();
    std::fs::write(
        queue.join("1.msg"),
        b"ferry-smtp-queue 1\nfrom a@b\nto c@d\n\nx\r\n",
    )
    .unwrap();
    let held = ferry::state::RunLock::dir(&queue, std::time::Duration::ZERO).unwrap();
    let args = [
        "--helo",
        "test.invalid",
        "--timeout",
        "1",
        "--flush-queue",
        "q",
        "smtp://127.0.0.1:1",
    ];
    let r = run_in(dir.path(), "smtp-send", &args, &[]);
    assert_code(&r, 7);
    assert!(
        r.stderr.contains("another run holds the lock on q"),
        "{}",
        r.stderr
    );
    assert!(queue.join("1.msg").exists());
    drop(held);
    let r = run_in(dir.path(), "smtp-send", &args, &[]);
    assert_ne!(r.stderr, "");
    assert!(
        !r.stderr.contains("another run holds the lock"),
        "{}",
        r.stderr
    );
}

/// Issue 13, defect 9: `SIZE=` is the message as sent (RFC 1870 §3: CRLF line endings, not counting the
/// doubled quoting dots nor the terminating dot), not as read: bare LFs become CRLF on the wire.
#[test]
fn size_counts_the_message_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let msg = format!(
        "From: ann@example.com\nTo: bob@example.org\n{DATE}\n{ID}\nSubject: hi\n\n.hidden\n..two\nlast"
    )
    .into_bytes();
    let path = write_msg(dir.path(), "m.eml", &msg);
    let wire = format!(
        "From: ann@example.com\r\nTo: bob@example.org\r\n{DATE}\r\n{ID}\r\nSubject: hi\r\n\r\n.hidden\r\n..two\r\nlast\r\n"
    );
    let srv = Server::start(script(vec![
        hello(&["PIPELINING", "SIZE 100000"]),
        vec![
            Expect(format!("MAIL FROM:<ann@example.com> SIZE={}", wire.len())),
            e("RCPT TO:<bob@example.org>"),
            s("250 2.1.0 Ok"),
            s("250 2.1.5 Ok"),
            e("DATA"),
            s("354 go"),
            ReadDotBody,
            s("250 2.0.0 queued as X1"),
        ],
        quit_ok(),
    ]));
    let r = run_smtp(dir.path(), &[&url(&srv), "--message", &path, "-t"], &[]);
    assert_code(&r, 0);
    // What crossed the wire: the same, dot-stuffed (two more dots, which SIZE does not count).
    let stuffed = wire.replace("\r\n.", "\r\n..");
    assert_eq!(String::from_utf8(srv.data_received()).unwrap(), stuffed);
    srv.finish();

    // The limit is checked against that size too: 7 bare LFs make it 7 bytes too large.
    let limit = wire.len() - 1;
    assert!(msg.len() <= limit);
    let srv = Server::start(script(vec![hello(&[&format!("SIZE {limit}")]), quit_ok()]));
    let r = run_smtp(dir.path(), &[&url(&srv), "--message", &path, "-t"], &[]);
    assert_code(&r, 6);
    assert!(
        r.stderr
            .contains(&format!("the message ({} bytes) is larger", wire.len())),
        "{}",
        r.stderr
    );
    srv.finish();
}

/// A server that hangs up after its 354: the message is not delivered, so the run fails (exit 9) with a
/// message, never the silent exit 0 a closed pipe on our own stdout (`| head`) earns.
#[test]
fn a_server_hanging_up_during_data_is_a_failure_not_a_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let mut msg = simple_msg();
    msg.extend(std::iter::repeat_n(b'x', 8 << 20));
    let path = write_msg(dir.path(), "m.eml", &msg);
    let srv = Server::start(script(vec![
        hello(&[]),
        vec![
            e("MAIL FROM:<ann@example.com>"),
            s("250 ok"),
            e("RCPT TO:<bob@example.org>"),
            s("250 ok"),
            e("DATA"),
            s("354 go"),
        ],
    ]));
    let r = run_smtp(dir.path(), &[&url(&srv), "--message", &path, "-t"], &[]);
    assert_code(&r, 9);
    assert!(r.stderr.starts_with("smtp-send: "), "{}", r.stderr);
    srv.finish();
}
