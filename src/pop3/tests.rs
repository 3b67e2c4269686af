//! Unit tests of the pop3 session over the scripted stream (`pingpong::mock`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::*;
use crate::pingpong::mock::{self, MockLog, MockStream, Opened, TLS_MARK, kind};

fn config(starttls: bool, login: Login) -> Config {
    Config {
        session: mock::session_config(starttls),
        login,
    }
}

fn creds(password: &str) -> Credentials {
    Credentials {
        user: "bob".into(),
        password: Secret::new(password),
    }
}

fn start_over(m: MockStream) -> Result<Session<MockStream>> {
    let pp = PingPong::new(
        m,
        Pop3Dialect::default(),
        std::time::Duration::from_secs(60),
        Default::default(),
    )?;
    Session::start(pp, "pop.example", 110)
}

/// The whole opening (greeting, CAPA, STLS, login, CAPA) against `script`.
fn open(
    script: &[&str],
    starttls: bool,
    login: Login,
    password: &str,
) -> (Result<Session<MockStream>>, MockLog) {
    let (m, log) = MockStream::new(script);
    let s =
        start_over(m).and_then(|s| s.secure_and_login(&creds(password), &config(starttls, login)));
    (s, log)
}

const GREETING: &str = "+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n";
const CAPA: &str = "+OK\r\nTOP\r\nUSER\r\nUIDL\r\nPIPELINING\r\nRESP-CODES\r\n.\r\n";
const CAPA_SASL: &str = "+OK\r\nUSER\r\nSASL PLAIN LOGIN\r\nSTLS\r\n.\r\n";

/// A session logged in with USER/PASS whose server then sends `more`.
fn opened(more: &[&str]) -> (Session<MockStream>, Opened) {
    let mut script = vec![GREETING, CAPA, "+OK\r\n", "+OK\r\n", CAPA];
    script.extend_from_slice(more);
    let (s, log) = open(&script, false, Login::Default, "hunter2");
    (
        s.unwrap(),
        Opened::new(log, &["CAPA", "USER bob", "PASS hunter2", "CAPA"]),
    )
}

fn b64(s: &str) -> String {
    STANDARD.encode(s)
}

#[test]
fn opening_with_user_and_pass() {
    let (s, log) = opened(&[]);
    log.after_opening(&[]);
    assert_eq!(
        s.timestamp.as_deref(),
        Some("<1896.697170952@dbc.mtview.ca.us>")
    );
    assert!(s.capabilities.top && s.capabilities.pipelining && !s.capabilities.stls);
}

#[test]
fn opening_prefers_sasl_when_offered() {
    let (s, log) = open(
        &[GREETING, CAPA_SASL, "+OK welcome\r\n", CAPA],
        false,
        Login::Default,
        "hunter2",
    );
    s.unwrap();
    log.assert_sent(&[
        "CAPA",
        &format!("AUTH PLAIN {}", b64("\0bob\0hunter2")),
        "CAPA",
    ]);
}

#[test]
fn opening_with_stls() {
    let (s, log) = open(
        &[
            GREETING,
            CAPA_SASL,
            "+OK begin TLS\r\n",
            CAPA,
            "+OK\r\n",
            "+OK\r\n",
            CAPA,
        ],
        true,
        Login::Default,
        "hunter2",
    );
    s.unwrap();
    log.assert_sent(&[
        "CAPA",
        "STLS",
        TLS_MARK,
        "CAPA",
        "USER bob",
        "PASS hunter2",
        "CAPA",
    ]);
}

#[test]
fn stls_not_offered_refused_or_injected() {
    let (s, log) = open(&[GREETING, CAPA], true, Login::Default, "pw");
    let e = s.err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Tls);
    assert_eq!(e.to_string(), "--starttls: the server does not offer STLS");
    log.assert_sent(&["CAPA"]);
    let (s, _) = open(
        &[GREETING, CAPA_SASL, "-ERR not now\r\n"],
        true,
        Login::Default,
        "pw",
    );
    let e = s.err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Tls);
    assert_eq!(
        e.to_string(),
        "--starttls: the server refused TLS (STLS: -ERR not now)"
    );
    let (s, _) = open(
        &[GREETING, CAPA_SASL, "+OK go\r\n+OK injected\r\n"],
        true,
        Login::Default,
        "pw",
    );
    assert_eq!(kind(s), ErrorKind::Protocol);
    // An RFC 1939-only server (CAPA refused): STLS is tried anyway.
    let (s, log) = open(
        &[GREETING, "-ERR what\r\n", "-ERR what\r\n"],
        true,
        Login::Default,
        "pw",
    );
    assert_eq!(kind(s), ErrorKind::Tls);
    log.assert_sent(&["CAPA", "STLS"]);
}

#[test]
fn greeting_refusals() {
    let (m, _) = MockStream::new(&["-ERR busy\r\n"]);
    assert_eq!(kind(start_over(m)), ErrorKind::Transient);
    let (m, _) = MockStream::new(&["* OK imap?\r\n"]);
    assert_eq!(kind(start_over(m)), ErrorKind::Protocol);
}

#[test]
fn user_pass_refusals() {
    for (script, want) in [
        (&["-ERR no such user\r\n"][..], ErrorKind::Auth),
        (&["+OK\r\n", "-ERR [AUTH] wrong\r\n"], ErrorKind::Auth),
        (
            &["+OK\r\n", "-ERR [IN-USE] locked\r\n"],
            ErrorKind::Transient,
        ),
        (
            &["+OK\r\n", "-ERR [SYS/PERM] broken\r\n"],
            ErrorKind::Permanent,
        ),
    ] {
        let mut all = vec![GREETING, CAPA];
        all.extend_from_slice(script);
        let (s, _) = open(&all, false, Login::Default, "pw");
        assert_eq!(kind(s), want, "{script:?}");
    }
}

#[test]
fn apop_with_the_greeting_timestamp() {
    let (s, log) = open(
        &[GREETING, CAPA, "+OK\r\n", CAPA],
        false,
        Login::Apop,
        "tanstaaf",
    );
    s.unwrap();
    log.assert_sent(&["CAPA", "APOP bob c4c9334bac560ecc979e58001b3e22fb", "CAPA"]);
    let (s, log) = open(&["+OK ready\r\n", CAPA], false, Login::Apop, "pw");
    assert_eq!(kind(s), ErrorKind::Auth);
    log.assert_sent(&["CAPA"]);
    let (s, _) = open(&[GREETING, CAPA, "-ERR no\r\n"], false, Login::Apop, "pw");
    assert_eq!(kind(s), ErrorKind::Auth);
}

#[test]
fn sasl_login_challenges_refusals_and_cancel() {
    let (s, log) = open(
        &[
            GREETING,
            CAPA_SASL,
            &format!("+ {}\r\n", b64("Username:")),
            &format!("+ {}\r\n", b64("Password:")),
            "+OK\r\n",
            CAPA,
        ],
        false,
        Login::Sasl(Mechanism::Login),
        "pw",
    );
    s.unwrap();
    log.assert_sent(&["CAPA", "AUTH LOGIN", &b64("bob"), &b64("pw"), "CAPA"]);

    let (s, _) = open(
        &[GREETING, CAPA_SASL, "-ERR [AUTH] no\r\n"],
        false,
        Login::Sasl(Mechanism::Plain),
        "pw",
    );
    assert_eq!(kind(s), ErrorKind::Auth);
    let (s, _) = open(
        &[GREETING, CAPA_SASL, "-ERR [SYS/TEMP] later\r\n"],
        false,
        Login::Sasl(Mechanism::Plain),
        "pw",
    );
    assert_eq!(kind(s), ErrorKind::Transient);
    let (s, log) = open(
        &[GREETING, CAPA_SASL, "+ !!\r\n", "-ERR cancelled\r\n"],
        false,
        Login::Sasl(Mechanism::Login),
        "pw",
    );
    assert_eq!(kind(s), ErrorKind::Protocol);
    log.assert_sent(&["CAPA", "AUTH LOGIN", "*"]);
    // A mechanism the server does not offer: nothing is sent.
    let (s, log) = open(
        &[GREETING, CAPA_SASL],
        false,
        Login::Sasl(Mechanism::XOAuth2),
        "pw",
    );
    assert_eq!(kind(s), ErrorKind::Auth);
    log.assert_sent(&["CAPA"]);
}

#[test]
fn stat_list_uidl() {
    let (mut s, log) = opened(&[
        "+OK 2 320\r\n",
        "+OK two\r\n",
        "-ERR no\r\n",
        "+OK\r\n1 120\r\n2 200\r\n.\r\n",
        "+OK\r\n1 x\r\n.\r\n",
        "-ERR no\r\n",
        "+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n",
        "+OK\r\n1 has space\r\n.\r\n",
        "-ERR no UIDL\r\n",
    ]);
    assert_eq!(s.stat().unwrap(), (2, 320));
    assert_eq!(kind(s.stat()), ErrorKind::Protocol);
    assert_eq!(kind(s.stat()), ErrorKind::Permanent);
    assert_eq!(s.list().unwrap(), vec![(1, 120), (2, 200)]);
    assert_eq!(kind(s.list()), ErrorKind::Protocol);
    assert_eq!(kind(s.list()), ErrorKind::Permanent);
    let u = s.uidl().unwrap().unwrap();
    assert_eq!(u[1], (2, "QhdPYR:00WBw1Ph7x7".to_string()));
    assert_eq!(kind(s.uidl()), ErrorKind::Protocol);
    assert_eq!(s.uidl().unwrap(), None);
    log.after_opening(&[
        "STAT", "STAT", "STAT", "LIST", "LIST", "LIST", "UIDL", "UIDL", "UIDL",
    ]);
}

#[test]
fn retr_top_and_pipelined_requests() {
    let (mut s, log) = opened(&[
        "+OK 30 octets\r\nSubject: a\r\n\r\n..dot\r\n.\r\n",
        "+OK\r\nSubject: b\r\n.\r\n",
        "-ERR no such message\r\n",
        "+OK\r\nx\r\n.\r\n",
        "+OK\r\ny\r\n.\r\n",
    ]);
    let mut out = Vec::new();
    let r = s.retrieve(Part::Whole(1), &mut out, 1 << 20).unwrap();
    assert!(matches!(r, Retrieved::Body(20)), "{r:?}");
    assert_eq!(out, b"Subject: a\r\n\r\n.dot\r\n");
    out.clear();
    s.retrieve(Part::Top(2, 0), &mut out, 1 << 20).unwrap();
    assert_eq!(out, b"Subject: b\r\n");
    match s.retrieve(Part::Whole(3), &mut out, 1 << 20).unwrap() {
        Retrieved::Refused(e) => assert_eq!(e.kind(), ErrorKind::Permanent),
        other => panic!("{other:?}"),
    }
    s.request(Part::Whole(4)).unwrap();
    s.request(Part::Whole(5)).unwrap();
    out.clear();
    s.response(Part::Whole(4), &mut out, 100).unwrap();
    s.response(Part::Whole(5), &mut out, 100).unwrap();
    assert_eq!(out, b"x\r\ny\r\n");
    log.after_opening(&["RETR 1", "TOP 2 0", "RETR 3", "RETR 4", "RETR 5"]);
}

#[test]
fn bodies_too_long_or_cut_short_are_protocol_errors() {
    let (mut s, _) = opened(&["+OK\r\n0123456789\r\n.\r\n"]);
    assert_eq!(
        kind(s.retrieve(Part::Whole(1), &mut Vec::new(), 5)),
        ErrorKind::Protocol
    );
    let (mut s, _) = opened(&["+OK\r\npartial"]);
    assert_eq!(
        kind(s.retrieve(Part::Whole(1), &mut Vec::new(), 100)),
        ErrorKind::Protocol
    );
}

#[test]
fn dele_rset_quit_abort() {
    let (mut s, log) = opened(&[
        "+OK marked\r\n",
        "-ERR already deleted\r\n",
        "+OK\r\n-ERR [IN-USE] busy\r\n",
        "+OK\r\n",
        "+OK bye\r\n",
    ]);
    s.dele(1).unwrap();
    assert_eq!(kind(s.dele(1)), ErrorKind::Permanent);
    s.dele_request(2).unwrap();
    s.dele_request(3).unwrap();
    s.dele_response(2).unwrap();
    assert_eq!(kind(s.dele_response(3)), ErrorKind::Transient);
    s.rset().unwrap();
    s.quit().unwrap();
    log.after_opening(&["DELE 1", "DELE 1", "DELE 2", "DELE 3", "RSET", "QUIT"]);
    let (s, _) = opened(&["-ERR some messages not removed\r\n"]);
    assert_eq!(kind(s.quit()), ErrorKind::Permanent);
    let (s, _) = opened(&[]);
    assert_eq!(kind(s.quit()), ErrorKind::Protocol);
    let (s, log) = opened(&[]);
    s.abort();
    log.after_opening(&[]);
}

#[test]
fn rfc1939_apop_example() {
    let stamp = apop_timestamp("POP3 server ready <1896.697170952@dbc.mtview.ca.us>").unwrap();
    assert_eq!(stamp, "<1896.697170952@dbc.mtview.ca.us>");
    let d = apop_digest(&stamp, &Secret::new("tanstaaf"));
    assert_eq!(d.expose(), "c4c9334bac560ecc979e58001b3e22fb");
    assert_eq!(apop_timestamp("ready"), None);
    assert_eq!(apop_timestamp("ready <>"), None);
    assert_eq!(apop_timestamp("ready <a b>"), None);
}

#[test]
fn capabilities() {
    let lines: Vec<String> = [
        "TOP",
        "user",
        "SASL PLAIN LOGIN",
        "PIPELINING",
        "UIDL",
        "STLS",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let c = Capabilities::parse(&lines);
    assert!(c.known && c.top && c.user && c.pipelining && c.uidl && c.stls);
    assert_eq!(c.sasl, vec!["PLAIN", "LOGIN"]);
}

#[test]
fn listings() {
    assert_eq!(scan_listing("1 200", "LIST").unwrap(), (1, "200"));
    for bad in ["0 1", "x 1", "1", "1 2 3", ""] {
        assert!(scan_listing(bad, "LIST").is_err(), "{bad}");
    }
}

#[test]
fn malformed_lines_are_cut_on_a_character_boundary() {
    // Issue 13, defect 15: a multi-byte character across byte 80 panicked.
    let line = format!("{}\u{e9}\u{e9}", "a".repeat(79));
    let e = malformed("UIDL", &line);
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(
        e.to_string().ends_with(&format!("{}…", "a".repeat(79))),
        "{e}"
    );
}

proptest::proptest! {
    /// LIST and UIDL lines with multi-byte characters anywhere (issue 13, defect 15: a character across
    /// byte 80 of a malformed line panicked): a result or an error, never a panic.
    #[test]
    fn listing_lines_never_panic(line in "[0-9 ]{0,4}[a-z0-9 é€𝄞\u{80}-\u{10ffff}]{0,120}") {
        if let Err(e) = scan_listing(&line, "UIDL") {
            proptest::prop_assert_eq!(e.kind(), ErrorKind::Protocol);
        }
    }
}

/// Issue 13, defect 10: a UIDL line with a number and no id comes back with an empty id (the caller
/// decides whether that is fatal); issue 13, defect 2: listings are counted.
#[test]
fn uidl_without_an_id_and_listing_caps() {
    let (mut s, log) = opened(&["+OK\r\n1 a\r\n2\r\n3 a\r\n.\r\n"]);
    assert_eq!(
        s.uidl().unwrap().unwrap(),
        vec![
            (1, "a".to_string()),
            (2, String::new()),
            (3, "a".to_string())
        ]
    );
    log.after_opening(&["UIDL"]);
    assert!(super::too_many("LIST", super::MAX_MESSAGES).is_ok());
    let e = super::too_many("UIDL", super::MAX_MESSAGES + 1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.to_string().contains("more than 10000000 messages"), "{e}");
}

/// Issue 13, defect 2: a CAPA reply of more than `MAX_CAPABILITIES` lines is a protocol violation, and a
/// SASL line keeps at most 64 mechanisms.
#[test]
fn capa_is_capped() {
    let long = format!("+OK\r\n{}.\r\n", "X-FOO\r\n".repeat(MAX_CAPABILITIES + 1));
    let (s, log) = open(&[GREETING, &long], false, Login::Default, "pw");
    let e = s.err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.to_string().contains("more than 1000 capabilities"), "{e}");
    log.assert_sent(&["CAPA"]);
    let many = format!("SASL {}", "M ".repeat(500));
    assert_eq!(Capabilities::parse(&[many]).sasl.len(), 64);
}
