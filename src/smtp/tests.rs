//! Unit tests of the smtp session over the scripted stream (`pingpong::mock`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::*;
use crate::pingpong::mock::{self, MockLog, MockStream, Opened, TLS_MARK, kind};

fn config(starttls: bool) -> Config {
    Config {
        session: mock::session_config(starttls),
        helo: "client.example".into(),
    }
}

fn start_over(m: MockStream, starttls: bool) -> Result<Session<MockStream>> {
    let config = config(starttls);
    let pp = PingPong::new(
        m,
        SmtpDialect::default(),
        config.session.timeout,
        config.session.transcript,
    )?;
    Session::start(pp, "mx.example", 587, &config)
}

fn open(script: &[&str], starttls: bool) -> (Result<Session<MockStream>>, MockLog) {
    let (m, log) = MockStream::new(script);
    (start_over(m, starttls), log)
}

const EHLO: &str = "250-mx.example hello\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN XOAUTH2\r\n250 ENHANCEDSTATUSCODES\r\n";

/// An introduced session (greeting, EHLO with `ehlo`) whose server then sends `more`.
fn opened_with(ehlo: &str, more: &[&str]) -> (Session<MockStream>, Opened) {
    let mut script = vec!["220 mx.example ESMTP\r\n", ehlo];
    script.extend_from_slice(more);
    let (s, log) = open(&script, false);
    (s.unwrap(), Opened::new(log, &["EHLO client.example"]))
}

fn opened(more: &[&str]) -> (Session<MockStream>, Opened) {
    opened_with(EHLO, more)
}

fn creds(password: &str) -> Credentials {
    Credentials {
        user: "bob".into(),
        password: Secret::new(password),
    }
}

fn b64(s: &str) -> String {
    STANDARD.encode(s)
}

#[test]
fn opening_greeting_and_ehlo() {
    let (s, log) = opened(&[]);
    log.after_opening(&[]);
    assert!(s.is_esmtp() && !s.is_tls());
    assert_eq!(s.info.size_limit(), Some(1000));
    assert_eq!(s.info.auth, vec!["PLAIN", "LOGIN", "XOAUTH2"]);
}

#[test]
fn ehlo_refused_falls_back_to_helo() {
    let (s, log) = open(
        &["220 old ESMTP\r\n", "502 what\r\n", "250 old.example\r\n"],
        false,
    );
    let s = s.unwrap();
    assert!(!s.is_esmtp());
    assert_eq!(s.info.domain, "old.example");
    log.assert_sent(&["EHLO client.example", "HELO client.example"]);
    let (s, _) = open(&["220 x\r\n", "421 busy\r\n"], false);
    assert_eq!(kind(s), ErrorKind::Transient);
}

#[test]
fn greeting_refusals_follow_the_class() {
    for (greeting, want) in [
        ("554 no service\r\n", ErrorKind::Permanent),
        ("421 later\r\n", ErrorKind::Transient),
        ("250 odd\r\n", ErrorKind::Protocol),
        ("SMTP\r\n", ErrorKind::Protocol),
    ] {
        let (s, log) = open(&[greeting], false);
        assert_eq!(kind(s), want, "{greeting}");
        log.assert_sent(&[]);
    }
}

#[test]
fn starttls_then_ehlo_again() {
    let (s, log) = open(
        &[
            "220 mx ESMTP\r\n",
            "250-mx\r\n250 STARTTLS\r\n",
            "220 go ahead\r\n",
            EHLO,
        ],
        true,
    );
    let s = s.unwrap();
    assert!(s.is_tls() && !s.info.starttls && s.info.size.is_some());
    log.assert_sent(&[
        "EHLO client.example",
        "STARTTLS",
        TLS_MARK,
        "EHLO client.example",
    ]);
}

#[test]
fn starttls_not_offered_refused_or_injected_is_a_tls_failure() {
    let (s, log) = open(&["220 mx\r\n", EHLO], true);
    let e = s.err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Tls);
    assert_eq!(
        e.to_string(),
        "--starttls: the server does not offer STARTTLS"
    );
    log.assert_sent(&["EHLO client.example"]);
    let (s, _) = open(
        &[
            "220 mx\r\n",
            "250-mx\r\n250 STARTTLS\r\n",
            "454 not now\r\n",
        ],
        true,
    );
    let e = s.err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Tls);
    assert_eq!(
        e.to_string(),
        "--starttls: the server refused TLS (STARTTLS: 454 not now)"
    );
    let (s, _) = open(
        &[
            "220 mx\r\n",
            "250-mx\r\n250 STARTTLS\r\n",
            "220 go\r\n250 injected\r\n",
        ],
        true,
    );
    assert_eq!(kind(s), ErrorKind::Protocol);
}

#[test]
fn auth_plain_with_the_initial_response() {
    let (mut s, log) = opened(&["235 2.7.0 ok\r\n"]);
    s.auth(&creds("hunter2"), Some(Mechanism::Plain)).unwrap();
    log.after_opening(&[&format!("AUTH PLAIN {}", b64("\0bob\0hunter2"))]);
}

#[test]
fn auth_plain_too_long_for_the_command_line_answers_the_first_challenge() {
    let long = "p".repeat(400);
    let (mut s, log) = opened(&["334 \r\n", "235 ok\r\n"]);
    s.auth(&creds(&long), Some(Mechanism::Plain)).unwrap();
    log.after_opening(&["AUTH PLAIN", &b64(&format!("\0bob\0{long}"))]);
}

#[test]
fn auth_login_answers_each_challenge() {
    let (mut s, log) = opened(&[
        &format!("334 {}\r\n", b64("Username:")),
        &format!("334 {}\r\n", b64("Password:")),
        "235 ok\r\n",
    ]);
    s.auth(&creds("hunter2"), Some(Mechanism::Login)).unwrap();
    log.after_opening(&["AUTH LOGIN", &b64("bob"), &b64("hunter2")]);
}

#[test]
fn auth_refusals_and_the_oauth_error_document() {
    for (reply, want) in [
        ("535 5.7.8 bad credentials\r\n", ErrorKind::Auth),
        ("534 weak\r\n", ErrorKind::Auth),
        ("454 4.7.0 try later\r\n", ErrorKind::Transient),
        ("250 what\r\n", ErrorKind::Protocol),
    ] {
        let (mut s, _) = opened(&[reply]);
        assert_eq!(
            kind(s.auth(&creds("pw"), Some(Mechanism::Plain))),
            want,
            "{reply}"
        );
    }
    let doc = r#"{"status":"invalid_token"}"#;
    let (mut s, log) = opened(&[&format!("334 {}\r\n", b64(doc)), "535 no\r\n"]);
    let e = s.auth(&creds("tok"), Some(Mechanism::XOAuth2)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert_eq!(e.to_string(), format!("AUTH XOAUTH2: 535 no ({doc})"));
    log.after_opening(&[
        &format!(
            "AUTH XOAUTH2 {}",
            b64("user=bob\x01auth=Bearer tok\x01\x01")
        ),
        "",
    ]);
}

#[test]
fn auth_bad_challenge_is_cancelled_and_endless_challenges_cut_off() {
    let (mut s, log) = opened(&["334 not base64!\r\n", "501 cancelled\r\n"]);
    let e = s.auth(&creds("pw"), Some(Mechanism::Login)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    log.after_opening(&["AUTH LOGIN", "*"]);

    let many: Vec<&str> = vec!["334 e30=\r\n"; sasl::MAX_CHALLENGES + 1];
    let (mut s, log) = opened(&many);
    let e = s.auth(&creds("tok"), Some(Mechanism::XOAuth2)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.to_string().contains("more than 8 SASL challenges"), "{e}");
    assert_eq!(log.log.lines().len(), 2 + sasl::MAX_CHALLENGES);
}

#[test]
fn auth_not_offered_or_in_clear_text() {
    let (mut s, log) = opened_with("250 mx\r\n", &[]);
    assert_eq!(kind(s.auth(&creds("pw"), None)), ErrorKind::Auth);
    // The default choice never sends a password unencrypted to another host.
    let (mut s2, log2) = opened(&[]);
    let e = s2.auth(&creds("pw"), None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.to_string().contains("unencrypted"), "{e}");
    log.after_opening(&[]);
    log2.after_opening(&[]);
    // On loopback it does.
    let (m, log) = MockStream::new(&["220 mx\r\n", EHLO, "235 ok\r\n"]);
    let mut s = start_over(m.peer("127.0.0.1:25".parse().unwrap()), false).unwrap();
    s.auth(&creds("pw"), None).unwrap();
    assert_eq!(log.lines()[1], format!("AUTH PLAIN {}", b64("\0bob\0pw")));
}

fn rcpts(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn envelope_one_command_at_a_time() {
    let (mut s, log) = opened(&["250 ok\r\n", "250 ok\r\n", "550 5.1.1 unknown\r\n"]);
    let params = MailParams {
        size: Some(10),
        eight_bit: true,
        smtputf8: false,
        ..MailParams::default()
    };
    let r = s.envelope("a@x", &params, &rcpts(&["b@y", "c@y"])).unwrap();
    assert!(r[0].accepted() && !r[1].accepted());
    assert_eq!((r[1].code, r[1].text.as_str()), (550, "5.1.1 unknown"));
    log.after_opening(&[
        "MAIL FROM:<a@x> SIZE=10 BODY=8BITMIME",
        "RCPT TO:<b@y>",
        "RCPT TO:<c@y>",
    ]);
}

#[test]
fn envelope_pipelined_in_one_write() {
    let ehlo = "250-mx\r\n250 PIPELINING\r\n";
    let (mut s, log) = opened_with(ehlo, &["250 ok\r\n250 ok\r\n451 later\r\n"]);
    let r = s
        .envelope("a@x", &MailParams::default(), &rcpts(&["b@y", "c@y"]))
        .unwrap();
    assert_eq!((r[0].code, r[1].code), (250, 451));
    log.after_opening(&["MAIL FROM:<a@x>", "RCPT TO:<b@y>", "RCPT TO:<c@y>"]);
    // A refused MAIL is an error after the RCPT replies were read.
    let (mut s, _) = opened_with(ehlo, &["550 no\r\n503 no\r\n", "250 reset\r\n"]);
    let e = s.envelope("a@x", &MailParams::default(), &rcpts(&["b@y"]));
    assert_eq!(kind(e), ErrorKind::Permanent);
    s.rset().unwrap();
}

#[test]
fn envelope_refusals() {
    for (reply, want) in [
        ("550 no\r\n", ErrorKind::Permanent),
        ("451 later\r\n", ErrorKind::Transient),
        ("421 closing\r\n", ErrorKind::Transient),
    ] {
        let (mut s, log) = opened(&[reply]);
        let e = s.envelope("a@x", &MailParams::default(), &rcpts(&["b@y"]));
        assert_eq!(kind(e), want, "{reply}");
        log.after_opening(&["MAIL FROM:<a@x>"]);
    }
    // RCPT 421: the server is going away.
    let (mut s, _) = opened(&["250 ok\r\n", "421 bye\r\n"]);
    let e = s.envelope("a@x", &MailParams::default(), &rcpts(&["b@y"]));
    assert_eq!(kind(e), ErrorKind::Transient);
    // After a 421 QUIT is not sent.
    s.quit();
    // Checked before anything is sent: SIZE limit, SMTPUTF8, no recipients.
    let (mut s, log) = opened(&[]);
    let big = MailParams {
        size: Some(1001),
        ..MailParams::default()
    };
    assert_eq!(
        kind(s.envelope("a@x", &big, &rcpts(&["b@y"]))),
        ErrorKind::Permanent
    );
    let utf8 = MailParams {
        smtputf8: true,
        ..MailParams::default()
    };
    assert_eq!(
        kind(s.envelope("a@x", &utf8, &rcpts(&["b@y"]))),
        ErrorKind::Permanent
    );
    assert_eq!(
        kind(s.envelope("a@x", &MailParams::default(), &[])),
        ErrorKind::Usage
    );
    log.after_opening(&[]);
}

/// Issue 15, item 6: RET/ENVID on MAIL and NOTIFY/ORCPT on each RCPT, only to a server that offers DSN.
#[test]
fn dsn_parameters_only_when_offered() {
    use crate::smtp::dsn::{Dsn, Notify, Ret};
    let params = MailParams {
        dsn: Dsn {
            notify: Some(Notify::parse("success,failure").unwrap()),
            ret: Some(Ret::Hdrs),
            envid: Some("cron+1".into()),
        },
        ..MailParams::default()
    };
    let (mut s, log) = opened_with("250-mx\r\n250 DSN\r\n", &["250 ok\r\n", "250 ok\r\n"]);
    s.envelope("a@x", &params, &rcpts(&["b@y"])).unwrap();
    log.after_opening(&[
        "MAIL FROM:<a@x> RET=HDRS ENVID=cron+2B1",
        "RCPT TO:<b@y> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@y",
    ]);
    let (mut s, log) = opened(&["250 ok\r\n", "250 ok\r\n"]);
    s.envelope("a@x", &params, &rcpts(&["b@y"])).unwrap();
    log.after_opening(&["MAIL FROM:<a@x>", "RCPT TO:<b@y>"]);
}

#[test]
fn data_is_dot_stuffed_and_the_final_reply_checked() {
    let (mut s, log) = opened(&["354 go\r\n", "250 queued as 1\r\n"]);
    let r = s.data(&mut &b"Subject: x\n\n.dot\nend"[..]).unwrap();
    assert_eq!(r.text(), "queued as 1");
    let written = log.log.written();
    assert!(
        written.ends_with(b"DATA\r\nSubject: x\r\n\r\n..dot\r\nend\r\n.\r\n"),
        "{}",
        String::from_utf8_lossy(&written)
    );
    for (script, want) in [
        (&["554 no\r\n"][..], ErrorKind::Permanent),
        (&["354 go\r\n", "451 disk full\r\n"], ErrorKind::Transient),
        (&["354 go\r\n", "552 too big\r\n"], ErrorKind::Permanent),
        (&["250 what\r\n"], ErrorKind::Protocol),
    ] {
        let (mut s, _) = opened(script);
        assert_eq!(kind(s.data(&mut &b"x"[..])), want, "{script:?}");
    }
}

#[test]
fn rset_quit_close() {
    let (mut s, log) = opened(&["250 ok\r\n", "500 what\r\n", "221 bye\r\n"]);
    s.rset().unwrap();
    assert_eq!(kind(s.rset()), ErrorKind::Permanent);
    s.quit();
    log.after_opening(&["RSET", "RSET", "QUIT"]);
    let (s, log) = opened(&[]);
    s.close();
    log.after_opening(&[]);
    // A server that hangs up instead of answering QUIT is fine.
    let (s, log) = opened(&[]);
    s.quit();
    log.after_opening(&["QUIT"]);
}

/// Issue 13, defect 2: an EHLO reply of more than `MAX_EHLO_LINES` lines is a protocol violation.
#[test]
fn an_endless_ehlo_reply_is_cut_off() {
    let max = super::extension::MAX_EHLO_LINES;
    let ok = format!(
        "250-mx.example\r\n{}250 SIZE 10\r\n",
        "250-X-FOO\r\n".repeat(max - 2)
    );
    let (s, _) = open(&["220 mx ESMTP\r\n", &ok], false);
    assert_eq!(s.unwrap().info.size_limit(), Some(10));
    let long = format!(
        "250-mx.example\r\n{}250 SIZE 10\r\n",
        "250-X-FOO\r\n".repeat(max - 1)
    );
    let (s, log) = open(&["220 mx ESMTP\r\n", &long], false);
    let e = s.err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.to_string().contains("more than 1000 lines"), "{e}");
    log.assert_sent(&["EHLO client.example"]);
}

/// Issue 15, item 2: without a name (no --helo, no `helo`, no FQDN) EHLO gives our address literal
/// (RFC 5321 §4.1.4), never a short host name.
#[test]
fn ehlo_without_a_name_is_the_address_literal() {
    let (m, log) = MockStream::new(&["220 mx.example ESMTP\r\n", "250 mx\r\n"]);
    let mut config = config(false);
    config.helo = String::new();
    let pp = PingPong::new(
        m,
        SmtpDialect::default(),
        config.session.timeout,
        config.session.transcript,
    )
    .unwrap();
    Session::start(pp, "mx.example", 587, &config).unwrap();
    assert_eq!(log.lines(), ["EHLO [192.0.2.2]"]);
}
