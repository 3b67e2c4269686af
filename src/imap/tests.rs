//! Unit tests of the imap session over the scripted stream (`pingpong::mock`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::*;
use crate::pingpong::mock::{self, MockLog, MockStream, Opened, TLS_MARK, kind};

fn config(starttls: bool, auth: Option<Mechanism>) -> Config {
    Config {
        session: mock::session_config(starttls),
        auth,
    }
}

fn creds() -> Credentials {
    Credentials {
        user: "bob".into(),
        password: Secret::new("hunter2"),
    }
}

fn start_over(
    m: MockStream,
    starttls: bool,
    auth: Option<Mechanism>,
) -> Result<Session<MockStream>> {
    let pp = PingPong::new(
        m,
        ImapDialect::default(),
        std::time::Duration::from_secs(60),
        Default::default(),
    )?;
    Session::start(
        pp,
        "imap.example",
        143,
        Some(&creds()),
        &config(starttls, auth),
    )
}

fn open(script: &[&str], starttls: bool) -> (Result<Session<MockStream>>, MockLog) {
    let (m, log) = MockStream::new(script);
    (start_over(m, starttls, None), log)
}

fn plain_ir() -> String {
    STANDARD.encode("\0bob\0hunter2")
}

/// A session logged in with AUTHENTICATE PLAIN (SASL-IR) whose capabilities after login are `caps`, and
/// whose server then sends `more`. Commands after the opening are tagged from A0002.
fn opened(caps: &str, more: &[&str]) -> (Session<MockStream>, Opened) {
    let greeting = "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\r\n";
    let ok = format!("A0001 OK [CAPABILITY {caps}] in\r\n");
    let mut script = vec![greeting, ok.as_str()];
    script.extend_from_slice(more);
    let (s, log) = open(&script, false);
    (
        s.unwrap(),
        Opened::new(log, &[&format!("A0001 AUTHENTICATE PLAIN {}", plain_ir())]),
    )
}

const CAPS: &str = "IMAP4rev1 LITERAL+ UIDPLUS MOVE";

#[test]
fn opening_with_sasl_ir_takes_capabilities_from_the_ok_code() {
    let (s, log) = opened(CAPS, &[]);
    log.after_opening(&[]);
    assert!(s.has("MOVE") && s.has("uidplus") && !s.has("SASL-IR"));
    assert!(s.capabilities().literal_plus());
    assert!(s.capabilities().has(Capability::Move));
}

#[test]
fn opening_without_sasl_ir_answers_the_empty_challenge() {
    let (s, log) = open(
        &[
            "* OK ready\r\n",
            "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nA0001 OK\r\n",
            "+ \r\n",
            "A0002 OK in\r\n",
            "* CAPABILITY IMAP4rev1 MOVE\r\nA0003 OK\r\n",
        ],
        false,
    );
    assert!(s.unwrap().has("MOVE"));
    log.assert_sent(&[
        "A0001 CAPABILITY",
        "A0002 AUTHENTICATE PLAIN",
        &plain_ir(),
        "A0003 CAPABILITY",
    ]);
}

#[test]
fn login_when_no_sasl_is_offered() {
    let (s, log) = open(
        &[
            "* OK [CAPABILITY IMAP4rev1] ready\r\n",
            "A0001 OK [CAPABILITY IMAP4rev1 IDLE] in\r\n",
        ],
        false,
    );
    assert!(s.unwrap().capabilities().has(Capability::Idle));
    log.assert_sent(&["A0001 LOGIN \"bob\" \"hunter2\""]);
    let (s, log) = open(
        &["* OK [CAPABILITY IMAP4rev1 LOGINDISABLED] ready\r\n"],
        false,
    );
    assert_eq!(kind(s), ErrorKind::Auth);
    log.assert_sent(&[]);
}

#[test]
fn login_refusals() {
    for (greeting, reply, want) in [
        (
            "* OK [CAPABILITY IMAP4rev1] hi\r\n",
            "A0001 NO [AUTHENTICATIONFAILED] no\r\n",
            ErrorKind::Auth,
        ),
        (
            "* OK [CAPABILITY IMAP4rev1] hi\r\n",
            "A0001 BAD what\r\n",
            ErrorKind::Auth,
        ),
        (
            "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] hi\r\n",
            "A0001 NO [AUTHENTICATIONFAILED] no\r\n",
            ErrorKind::Auth,
        ),
        (
            "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] hi\r\n",
            "A0001 NO [UNAVAILABLE] later\r\n",
            ErrorKind::Transient,
        ),
        (
            "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] hi\r\n",
            "* BYE going away\r\n",
            ErrorKind::Transient,
        ),
        (
            "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] hi\r\n",
            "A0009 OK not yours\r\n",
            ErrorKind::Protocol,
        ),
    ] {
        let (s, _) = open(&[greeting, reply], false);
        assert_eq!(kind(s), want, "{reply}");
    }
    // A mechanism the server does not offer.
    let (m, log) = MockStream::new(&["* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n"]);
    assert_eq!(
        kind(start_over(m, false, Some(Mechanism::XOAuth2))),
        ErrorKind::Auth
    );
    log.assert_sent(&[]);
    // A challenge that cannot be answered is cancelled.
    let (s, log) = open(
        &[
            "* OK [CAPABILITY IMAP4rev1 AUTH=LOGIN] hi\r\n",
            "+ !!\r\n",
            "A0001 BAD cancelled\r\n",
        ],
        false,
    );
    assert_eq!(kind(s), ErrorKind::Protocol);
    log.assert_sent(&["A0001 AUTHENTICATE LOGIN", "*"]);
}

#[test]
fn greetings() {
    let (s, log) = open(&["* PREAUTH [CAPABILITY IMAP4rev1] hi bob\r\n"], false);
    assert!(s.is_ok());
    log.assert_sent(&[]);
    let (s, _) = open(&["* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n"], true);
    assert_eq!(kind(s), ErrorKind::Tls);
    let (s, _) = open(&["* BYE too many connections\r\n"], false);
    assert_eq!(kind(s), ErrorKind::Transient);
    let (s, _) = open(&["A1 OK hi\r\n"], false);
    assert_eq!(kind(s), ErrorKind::Protocol);
    let (s, _) = open(&["* NO hi\r\n"], false);
    assert_eq!(kind(s), ErrorKind::Protocol);
    let many: String = (0..=Capabilities::MAX).map(|i| format!(" X{i}")).collect();
    let greeting = format!("* OK [CAPABILITY{many}] hi\r\n");
    let (s, _) = open(&[&greeting], false);
    assert_eq!(kind(s), ErrorKind::Protocol);
}

#[test]
fn starttls_then_capability_again_then_login() {
    let (s, log) = open(
        &[
            "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hi\r\n",
            "A0001 OK begin TLS\r\n",
            "* CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN\r\nA0002 OK\r\n",
            "A0003 OK in\r\n",
            "* CAPABILITY IMAP4rev1\r\nA0004 OK\r\n",
        ],
        true,
    );
    s.unwrap();
    log.assert_sent(&[
        "A0001 STARTTLS",
        TLS_MARK,
        "A0002 CAPABILITY",
        &format!("A0003 AUTHENTICATE PLAIN {}", plain_ir()),
        "A0004 CAPABILITY",
    ]);
}

#[test]
fn starttls_not_offered_refused_or_injected() {
    let (s, log) = open(&["* OK [CAPABILITY IMAP4rev1] hi\r\n"], true);
    let e = s.err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Tls);
    assert_eq!(
        e.to_string(),
        "--starttls: the server does not offer STARTTLS"
    );
    log.assert_sent(&[]);
    let (s, _) = open(
        &[
            "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n",
            "A0001 NO not today\r\n",
        ],
        true,
    );
    let e = s.err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Tls);
    assert_eq!(
        e.to_string(),
        "--starttls: the server refused TLS (STARTTLS: NO not today)"
    );
    let (s, _) = open(
        &[
            "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n",
            "A0001 OK go\r\n* CAPABILITY injected\r\n",
        ],
        true,
    );
    assert_eq!(kind(s), ErrorKind::Protocol);
    let (m, _) = MockStream::new(&[
        "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n",
        "A0001 OK go\r\n",
    ]);
    assert_eq!(
        kind(start_over(m.refusing_tls(), true, None)),
        ErrorKind::Tls
    );
}

#[test]
fn select_and_examine() {
    let (mut s, log) = opened(
        CAPS,
        &[
            "* 3 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 9] n\r\nA0002 OK [READ-WRITE] done\r\n",
            "* 1 EXISTS\r\n* OK [UIDVALIDITY 8] v\r\nA0003 OK [READ-ONLY] done\r\n",
            "A0004 NO [NONEXISTENT] no such mailbox\r\n",
        ],
    );
    let sel = s.select("INBOX", false).unwrap();
    assert_eq!(
        (sel.exists, sel.uidvalidity, sel.uidnext, sel.read_only),
        (3, Some(7), Some(9), false)
    );
    let sel = s.select("Sent Items", true).unwrap();
    assert!(sel.read_only && sel.exists == 1 && s.exists == 1);
    assert_eq!(kind(s.select("Gone", false)), ErrorKind::Permanent);
    log.after_opening(&[
        "A0002 SELECT \"INBOX\"",
        "A0003 EXAMINE \"Sent Items\"",
        "A0004 SELECT \"Gone\"",
    ]);
}

#[test]
fn uid_search_plain_esearch_and_literals() {
    let (mut s, log) = opened(
        CAPS,
        &[
            "* SEARCH 5 3 5\r\nA0002 OK\r\n",
            "A0003 OK\r\n",
            "A0004 BAD bad criteria\r\n",
        ],
    );
    assert_eq!(
        s.uid_search(&quote::search("UNSEEN").unwrap()).unwrap(),
        vec![3, 5]
    );
    assert_eq!(
        s.uid_search(&quote::search("SUBJECT \"Grüße\"").unwrap())
            .unwrap(),
        Vec::<u32>::new()
    );
    assert_eq!(
        kind(s.uid_search(&quote::search("FOO").unwrap())),
        ErrorKind::Permanent
    );
    log.after_opening(&[
        "A0002 UID SEARCH UNSEEN",
        "A0003 UID SEARCH CHARSET UTF-8 SUBJECT {7+}",
        "Grüße",
        "A0004 UID SEARCH FOO",
    ]);

    // ESEARCH, and a synchronizing literal that waits for the server's "+".
    let (mut s, log) = opened(
        "IMAP4rev1 ESEARCH",
        &[
            "* ESEARCH (TAG \"A0002\") UID ALL 3:4\r\nA0002 OK\r\n",
            "+ go on\r\n",
            "A0003 OK\r\n",
            "A0004 NO [BADCHARSET] no\r\n",
        ],
    );
    assert_eq!(
        s.uid_search(&quote::search("ALL").unwrap()).unwrap(),
        vec![3, 4]
    );
    s.uid_search(&quote::search("SUBJECT \"Grüße\"").unwrap())
        .unwrap();
    assert_eq!(
        kind(s.uid_search(&quote::search("SUBJECT \"Grüße\"").unwrap())),
        ErrorKind::Permanent
    );
    log.after_opening(&[
        "A0002 UID SEARCH RETURN (ALL) ALL",
        "A0003 UID SEARCH RETURN (ALL) CHARSET UTF-8 SUBJECT {7}",
        "Grüße",
        "A0004 UID SEARCH RETURN (ALL) CHARSET UTF-8 SUBJECT {7}",
    ]);
}

#[derive(Default)]
struct Bodies(Vec<(u32, Option<u32>, Vec<u8>)>);

impl BodySink for Bodies {
    fn begin(&mut self, seq: u32, uid: Option<u32>, _: u64) -> Result<()> {
        self.0.push((seq, uid, Vec::new()));
        Ok(())
    }
    fn write(&mut self, chunk: &[u8]) -> Result<()> {
        if let Some(b) = self.0.last_mut() {
            b.2.extend_from_slice(chunk);
        }
        Ok(())
    }
    fn end(&mut self) -> Result<()> {
        Ok(())
    }
}

#[test]
fn uid_fetch_streams_bodies() {
    let (mut s, log) = opened(
        CAPS,
        &[
            "* 1 FETCH (UID 5 BODY[] {3}\r\nabc)\r\n* 2 FETCH (UID 6 BODY[] {2}\r\nde)\r\nA0002 OK done\r\n",
            "* 1 FETCH (UID 5 BODY[] {30}\r\nabc)\r\n",
            "A0004 NO [UNAVAILABLE] later\r\n",
        ],
    );
    let tag = s.uid_fetch_start("5:6", "(UID BODY.PEEK[])").unwrap();
    let mut bodies = Bodies::default();
    let f = s.fetch_next(&tag, &mut bodies, 1 << 20).unwrap().unwrap();
    assert_eq!(
        (f.seq, f.uid, f.body),
        (1, Some(5), Some(Body::Streamed(3)))
    );
    assert!(s.fetch_next(&tag, &mut bodies, 1 << 20).unwrap().is_some());
    assert!(s.fetch_next(&tag, &mut bodies, 1 << 20).unwrap().is_none());
    assert_eq!(bodies.0[0], (1, Some(5), b"abc".to_vec()));
    assert_eq!(bodies.0[1], (2, Some(6), b"de".to_vec()));
    // A body over the cap is a protocol violation.
    let tag = s.uid_fetch_start("5", "(UID BODY.PEEK[])").unwrap();
    assert_eq!(
        kind(s.fetch_next(&tag, &mut bodies, 10)),
        ErrorKind::Protocol
    );
    log.after_opening(&[
        "A0002 UID FETCH 5:6 (UID BODY.PEEK[])",
        "A0003 UID FETCH 5 (UID BODY.PEEK[])",
    ]);
    let (mut s, _) = opened(CAPS, &["A0002 NO [UNAVAILABLE] later\r\n"]);
    let tag = s.uid_fetch_start("5", "(UID BODY.PEEK[])").unwrap();
    assert_eq!(
        kind(s.fetch_next(&tag, &mut bodies, 10)),
        ErrorKind::Transient
    );
}

#[test]
fn store_expunge_and_move() {
    let (mut s, log) = opened(
        CAPS,
        &[
            "A0002 OK\r\n",
            "* 1 EXPUNGE\r\nA0003 OK\r\n",
            "A0004 OK\r\n",
            "A0005 NO [TRYCREATE] no such mailbox\r\n",
        ],
    );
    s.uid_store_add("1:3", "\\Seen").unwrap();
    s.expunge("1:3").unwrap();
    s.uid_move("4", "Archive").unwrap();
    assert_eq!(kind(s.uid_move("4", "Gone")), ErrorKind::Permanent);
    log.after_opening(&[
        "A0002 UID STORE 1:3 +FLAGS.SILENT (\\Seen)",
        "A0003 UID EXPUNGE 1:3",
        "A0004 UID MOVE 4 \"Archive\"",
        "A0005 UID MOVE 4 \"Gone\"",
    ]);
    // Without UIDPLUS and MOVE: COPY, \Deleted, EXPUNGE.
    let (mut s, log) = opened(
        "IMAP4rev1",
        &["A0002 OK\r\n", "A0003 OK\r\n", "A0004 OK\r\n"],
    );
    s.uid_move("4", "Archive").unwrap();
    log.after_opening(&[
        "A0002 UID COPY 4 \"Archive\"",
        "A0003 UID STORE 4 +FLAGS.SILENT (\\Deleted)",
        "A0004 EXPUNGE",
    ]);
}

#[test]
fn list_status_and_mailbox_commands() {
    let (mut s, log) = opened(
        CAPS,
        &[
            "* LIST (\\HasNoChildren) \"/\" \"INBOX\"\r\n* LIST (\\Noselect) \"/\" Archive\r\nA0002 OK\r\n",
            "* STATUS \"INBOX\" (MESSAGES 3 UNSEEN 1 UIDNEXT 9 UIDVALIDITY 7)\r\nA0003 OK\r\n",
            "A0004 OK\r\n",
            "A0005 OK\r\n",
            "A0006 OK\r\n",
            "A0007 NO [ALREADYEXISTS] exists\r\n",
            "A0008 OK\r\n",
        ],
    );
    let l = s.list("*").unwrap();
    assert_eq!(l.len(), 2);
    assert_eq!(l[1].wire_name, b"Archive");
    let st = s.status("INBOX").unwrap();
    assert_eq!(
        (st.messages, st.unseen, st.uidvalidity),
        (Some(3), Some(1), Some(7))
    );
    assert_eq!(kind(s.status("Other")), ErrorKind::Protocol);
    s.mailbox_command("CREATE", "Grüße").unwrap();
    s.mailbox_command("SUBSCRIBE", "a").unwrap();
    assert_eq!(kind(s.mailbox_command("CREATE", "a")), ErrorKind::Permanent);
    s.rename("a", "b").unwrap();
    log.after_opening(&[
        "A0002 LIST \"\" \"*\"",
        "A0003 STATUS \"INBOX\" (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)",
        "A0004 STATUS \"Other\" (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)",
        "A0005 CREATE \"Gr&APwA3w-e\"",
        "A0006 SUBSCRIBE \"a\"",
        "A0007 CREATE \"a\"",
        "A0008 RENAME \"a\" \"b\"",
    ]);
}

#[test]
fn session_ending_responses() {
    for (reply, want) in [
        ("A0099 OK stray\r\n", ErrorKind::Protocol),
        ("+ nobody asked\r\n", ErrorKind::Protocol),
        ("* BYE shutting down\r\n", ErrorKind::Transient),
        ("A0002 BAD syntax\r\n", ErrorKind::Permanent),
        ("A0002 NO [INUSE] busy\r\n", ErrorKind::Transient),
    ] {
        let (mut s, _) = opened(CAPS, &[reply]);
        assert_eq!(kind(s.uid_store_add("1", "\\Seen")), want, "{reply}");
    }
    let (mut s, _) = opened(CAPS, &[]);
    assert_eq!(kind(s.capability()), ErrorKind::Protocol);
}

#[test]
fn logout_and_close() {
    let (s, log) = opened(CAPS, &["* BYE bye\r\nA0002 OK\r\n"]);
    s.logout();
    log.after_opening(&["A0002 LOGOUT"]);
    let (s, log) = opened(CAPS, &[]);
    s.logout();
    log.after_opening(&["A0002 LOGOUT"]);
    let (s, log) = opened(CAPS, &[]);
    s.close();
    log.after_opening(&[]);
}

#[test]
fn untagged_data_cannot_extend_the_wait_for_a_completion() {
    // Every response comes 100 ms after the last; the completion of SELECT only after 20 untagged ones
    // (2 s). With a 300 ms timeout the command must fail within about one timeout.
    let greeting = "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\r\n";
    let mut script = vec![greeting, "A0001 OK [CAPABILITY IMAP4rev1] in\r\n"];
    script.extend(std::iter::repeat_n("* OK still working\r\n", 20));
    script.push("A0002 OK done\r\n");
    let (m, log) = MockStream::new(&script);
    let timeout = std::time::Duration::from_millis(300);
    let pp = PingPong::new(
        m.paced(std::time::Duration::from_millis(100)),
        ImapDialect::default(),
        timeout,
        Default::default(),
    )
    .unwrap();
    let mut cfg = config(false, None);
    cfg.session.timeout = timeout;
    let mut s = Session::start(pp, "imap.example", 143, Some(&creds()), &cfg).unwrap();
    let t = std::time::Instant::now();
    assert_eq!(kind(s.select("INBOX", false)), ErrorKind::Timeout);
    assert!(
        t.elapsed() < std::time::Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    assert!(log.unread() > 10);
}

/// Issue 13, defect 2: SEARCH/ESEARCH results are capped in total over every response of the command,
/// before any range is expanded, and LIST entries are capped in number.
#[test]
fn search_and_list_totals_are_capped_across_responses() {
    let many = "* ESEARCH (TAG \"A0002\") UID ALL 1:9999999\r\n".repeat(40);
    let done = format!("{many}A0002 OK\r\n");
    let (mut s, _log) = opened("IMAP4rev1 ESEARCH", &[&done]);
    let err = s.uid_search(&quote::search("ALL").unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.to_string().contains("more than 10000000 UIDs"), "{err}");

    // Exactly the cap, in two responses, is fine; one more UID is not.
    let (mut s, _log) = opened(
        "IMAP4rev1 ESEARCH",
        &["* ESEARCH UID ALL 1:5000000\r\n* ESEARCH UID ALL 5000001:10000000\r\nA0002 OK\r\n"],
    );
    assert_eq!(
        s.uid_search(&quote::search("ALL").unwrap()).unwrap().len(),
        10_000_000
    );
    let (mut s, _log) = opened(
        "IMAP4rev1 ESEARCH",
        &[
            "* ESEARCH UID ALL 1:5000000\r\n* SEARCH 1 2\r\n* ESEARCH UID ALL 5000001:9999999\r\nA0002 OK\r\n",
        ],
    );
    assert_eq!(
        kind(s.uid_search(&quote::search("ALL").unwrap())),
        ErrorKind::Protocol
    );

    let lines = "* LIST () \"/\" a\r\n".repeat(super::MAX_MAILBOXES + 1);
    let done = format!("{lines}A0002 OK\r\n");
    let (mut s, _log) = opened(CAPS, &[&done]);
    let err = s.list("*").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(
        err.to_string().contains("more than 100000 mailboxes"),
        "{err}"
    );

    // Few entries, each as long as a line may be: the bytes are capped too (6 GB of names before).
    let long = "n".repeat(60_000);
    let lines = format!("* LIST () \"/\" \"{long}\"\r\n").repeat(300);
    let done = format!("{lines}A0002 OK\r\n");
    let (mut s, _log) = opened(CAPS, &[&done]);
    let err = s.list("*").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.to_string().contains("bytes of mailbox names"), "{err}");
}
