//! Unit tests of the ftp session over the scripted stream (`pingpong::mock`).

use std::io::Write;
use std::net::TcpListener;

use super::*;
use crate::pingpong::mock::{self, MockLog, MockStream, Opened, TLS_MARK, kind};
use crate::secret::Secret;

fn creds() -> Credentials {
    Credentials {
        user: "bob".into(),
        password: Secret::new("hunter2"),
    }
}

fn config(starttls: bool) -> Config {
    Config {
        session: mock::session_config(starttls),
        mode: DataMode::Passive,
        limit: None,
    }
}

fn start_over(m: MockStream, starttls: bool) -> Result<Session<MockStream>> {
    let config = config(starttls);
    let pp = PingPong::new(
        m,
        FtpDialect::default(),
        config.session.timeout,
        config.session.transcript,
    )?;
    Session::start(pp, "ftp.example", &creds(), config)
}

/// Runs the opening against `script`; the session or its error, and the client transcript.
fn open(script: &[&str], starttls: bool) -> (Result<Session<MockStream>>, MockLog) {
    let (m, log) = MockStream::new(script);
    (start_over(m, starttls), log)
}

const FEAT: &str =
    "211-Features:\r\n MLST type*;size*;\r\n SIZE\r\n MDTM\r\n REST STREAM\r\n EPSV\r\n211 End\r\n";

/// A logged-in session whose server then sends `more`; the transcript is checked from after FEAT.
fn opened(more: &[&str]) -> (Session<MockStream>, Opened) {
    let mut script = vec!["220 ready\r\n", "331 password\r\n", "230 in\r\n", FEAT];
    script.extend_from_slice(more);
    let (s, log) = open(&script, false);
    (
        s.unwrap(),
        Opened::new(log, &["USER bob", "PASS hunter2", "FEAT"]),
    )
}

#[test]
fn opening_greeting_login_feat() {
    let (s, log) = opened(&[]);
    log.after_opening(&[]);
    let f = &s.features;
    assert!(f.mlst && f.size && f.mdtm && f.rest_stream && f.epsv && !f.utf8);
    assert!(!s.pp.is_tls());
}

#[test]
fn opening_turns_on_the_mlst_facts_the_server_offers_off() {
    // pyftpdlib: unix.mode offered, not on. The facts on stay on; a refusal changes nothing.
    for answer in [
        "200 MLST OPTS type;size;modify;unix.mode;\r\n",
        "501 no\r\n",
    ] {
        let feat = "211-Features:\r\n MLST type*;perm*;size*;modify*;unique*;unix.mode;unix.uid;\r\n\
                    UTF8\r\n211 End\r\n";
        let (s, log) = open(
            &[
                "220 ready\r\n",
                "331 pw\r\n",
                "230 in\r\n",
                feat,
                "200 ok\r\n",
                answer,
            ],
            false,
        );
        let s = s.unwrap();
        assert_eq!(
            log.lines(),
            [
                "USER bob",
                "PASS hunter2",
                "FEAT",
                "OPTS UTF8 ON",
                "OPTS MLST type;perm;size;modify;unique;unix.mode;"
            ]
        );
        assert!(s.features.mlst);
    }
}

#[test]
fn mlst_facts_are_asked_for_only_when_a_wanted_one_is_off() {
    assert_eq!(mlst_facts_wanted("type*;size*;modify*;UNIX.mode*;"), None);
    assert_eq!(mlst_facts_wanted("type*;size*;unix.uid;"), None);
    assert_eq!(mlst_facts_wanted(""), None);
    assert_eq!(
        mlst_facts_wanted("TYPE*;SIZE;MODIFY*;UNIX.GID;"),
        Some("type;size;modify;".into())
    );
    // Too many facts on to name them all: the wanted ones alone.
    let many: String = (0..100).map(|i| format!("x.fact{i}*;")).collect();
    assert_eq!(
        mlst_facts_wanted(&format!("type*;{many}size;unique*;")),
        Some("type;size;unique;".into())
    );
    // A fact name that is no fact name is never sent back.
    assert_eq!(
        mlst_facts_wanted("type*;x\u{7}y*;size;"),
        Some("type;size;".into())
    );
}

#[test]
fn opening_with_starttls_protects_control_and_data() {
    let (s, log) = open(
        &[
            "120 in a minute\r\n",
            "220 ready\r\n",
            "234 go ahead\r\n",
            "331 password\r\n",
            "230 in\r\n",
            "200 PBSZ=0\r\n",
            "200 protected\r\n",
            "211-Features:\r\n UTF8\r\n211 End\r\n",
            "200 always\r\n",
        ],
        true,
    );
    let s = s.unwrap();
    assert!(s.pp.is_tls() && s.protected && s.features.utf8);
    log.assert_sent(&[
        "AUTH TLS",
        TLS_MARK,
        "USER bob",
        "PASS hunter2",
        "PBSZ 0",
        "PROT P",
        "FEAT",
        "OPTS UTF8 ON",
    ]);
}

#[test]
fn starttls_refused_or_injected_or_failed_handshake() {
    let (s, log) = open(&["220 ready\r\n", "534 no TLS here\r\n"], true);
    let e = s.err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Tls);
    assert_eq!(
        e.to_string(),
        "--starttls: the server refused TLS (AUTH TLS: 534 no TLS here)"
    );
    log.assert_sent(&["AUTH TLS"]);
    // Plaintext bytes after the 234 and before the handshake.
    let (s, _) = open(&["220 ready\r\n", "234 go\r\n331 injected\r\n"], true);
    assert_eq!(kind(s), ErrorKind::Protocol);
    let (m, _) = MockStream::new(&["220 ready\r\n", "234 go\r\n"]);
    assert_eq!(kind(start_over(m.refusing_tls(), true)), ErrorKind::Tls);
    // PBSZ refused on a protected connection is a TLS failure too.
    let (s, _) = open(
        &["220 ready\r\n", "234 go\r\n", "230 in\r\n", "500 what\r\n"],
        true,
    );
    assert_eq!(kind(s), ErrorKind::Tls);
}

#[test]
fn greeting_refusals_follow_the_class() {
    for (greeting, want) in [
        ("421 too many users\r\n", ErrorKind::Transient),
        ("554 go away\r\n", ErrorKind::Permanent),
        ("hello\r\n", ErrorKind::Protocol),
        ("331 odd\r\n", ErrorKind::Protocol),
    ] {
        let (s, log) = open(&[greeting], false);
        assert_eq!(kind(s), want, "{greeting}");
        log.assert_sent(&[]);
    }
    // A server that closes before greeting.
    let (s, _) = open(&[], false);
    assert_eq!(kind(s), ErrorKind::Protocol);
}

#[test]
fn a_greeting_of_repeated_120_times_out_within_one_timeout() {
    // 120 now and then, 220 only after 2 s: a 300 ms timeout must end the wait, however often 120 comes.
    let mut script = vec!["120 ready in 1 minute\r\n"; 20];
    script.push("220 ready\r\n");
    let (m, log) = MockStream::new(&script);
    let mut config = config(false);
    config.session.timeout = std::time::Duration::from_millis(300);
    let pp = PingPong::new(
        m.paced(std::time::Duration::from_millis(100)),
        FtpDialect::default(),
        config.session.timeout,
        config.session.transcript,
    )
    .unwrap();
    let t = std::time::Instant::now();
    let s = Session::start(pp, "ftp.example", &creds(), config);
    assert_eq!(kind(s), ErrorKind::Timeout);
    assert!(
        t.elapsed() < std::time::Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    log.assert_sent(&[]);

    // A few 120s inside the timeout are fine.
    let (s, _) = open(
        &[
            "120 soon\r\n",
            "120 soon\r\n",
            "220 ready\r\n",
            "331 p\r\n",
            "230 in\r\n",
            FEAT,
        ],
        false,
    );
    assert!(s.is_ok());
}

#[test]
fn login_refusals_are_authentication_failures() {
    for (script, sent, want) in [
        (
            &["220 ready\r\n", "530 no such user\r\n"][..],
            &["USER bob"][..],
            ErrorKind::Auth,
        ),
        (
            &["220 ready\r\n", "331 password\r\n", "530 wrong\r\n"],
            &["USER bob", "PASS hunter2"],
            ErrorKind::Auth,
        ),
        (
            &["220 ready\r\n", "331 password\r\n", "500 wrong\r\n"],
            &["USER bob", "PASS hunter2"],
            ErrorKind::Auth,
        ),
        (
            &["220 ready\r\n", "331 password\r\n", "421 later\r\n"],
            &["USER bob", "PASS hunter2"],
            ErrorKind::Transient,
        ),
        (
            &["220 ready\r\n", "331 password\r\n", "332 account?\r\n"],
            &["USER bob", "PASS hunter2"],
            ErrorKind::Auth,
        ),
    ] {
        let (s, log) = open(script, false);
        assert_eq!(kind(s), want, "{script:?}");
        log.assert_sent(sent);
    }
    // 230 straight after USER: no PASS. FEAT refused with 5xx: no features.
    let (s, log) = open(&["220 ready\r\n", "230 in\r\n", "502 no FEAT\r\n"], false);
    assert!(!s.unwrap().features.mlst);
    log.assert_sent(&["USER bob", "FEAT"]);
    let (s, _) = open(&["220 ready\r\n", "230 in\r\n", "421 bye\r\n"], false);
    assert_eq!(kind(s), ErrorKind::Transient);
}

#[test]
fn type_size_mdtm() {
    let (mut s, log) = opened(&[
        "200 binary\r\n",
        "200 ascii\r\n",
        "504 no EBCDIC either\r\n",
        "213 1234\r\n",
        "550 not a plain file\r\n",
        "450 busy\r\n",
        "213 lots\r\n",
        "213 20240102030405\r\n",
        "550 no time\r\n",
        "213 yesterday\r\n",
    ]);
    s.type_(TransferType::Binary).unwrap();
    s.type_(TransferType::Ascii).unwrap();
    assert_eq!(kind(s.type_(TransferType::Binary)), ErrorKind::Permanent);
    assert_eq!(s.size("a.csv").unwrap(), Some(1234));
    assert_eq!(s.size("dir").unwrap(), None);
    assert_eq!(kind(s.size("a.csv")), ErrorKind::Transient);
    assert_eq!(kind(s.size("a.csv")), ErrorKind::Protocol);
    let t = s.mdtm("a.csv").unwrap().unwrap();
    assert_eq!(
        t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
        1_704_164_645
    );
    assert_eq!(s.mdtm("a.csv").unwrap(), None);
    assert_eq!(kind(s.mdtm("a.csv")), ErrorKind::Protocol);
    log.after_opening(&[
        "TYPE I",
        "TYPE A",
        "TYPE I",
        "SIZE a.csv",
        "SIZE dir",
        "SIZE a.csv",
        "SIZE a.csv",
        "MDTM a.csv",
        "MDTM a.csv",
        "MDTM a.csv",
    ]);
}

#[test]
fn type_is_sent_only_when_it_changes_and_again_after_a_refusal() {
    let (mut s, log) = opened(&["200 binary\r\n", "504 no\r\n", "200 binary\r\n"]);
    s.type_(TransferType::Binary).unwrap();
    s.type_(TransferType::Binary).unwrap();
    assert_eq!(kind(s.type_(TransferType::Ascii)), ErrorKind::Permanent);
    // After a refusal the server's type is not known for sure: asked again.
    s.type_(TransferType::Binary).unwrap();
    log.after_opening(&["TYPE I", "TYPE A", "TYPE I"]);
}

#[test]
fn file_commands_and_their_refusals() {
    let (mut s, log) = opened(&[
        "250 deleted\r\n",
        "550 no such file\r\n",
        "450 locked\r\n",
        "530 not logged in\r\n",
        "257 \"new\" created\r\n",
        "550 exists\r\n",
        "350 ready for RNTO\r\n",
        "250 renamed\r\n",
        "550 no such file\r\n",
        "553 bad name\r\n",
        "200 mode set\r\n",
        "500 no SITE\r\n",
    ]);
    s.dele("a").unwrap();
    assert_eq!(kind(s.dele("a")), ErrorKind::Permanent);
    assert_eq!(kind(s.dele("a")), ErrorKind::Transient);
    assert_eq!(kind(s.dele("a")), ErrorKind::Auth);
    s.mkd("new").unwrap();
    assert_eq!(kind(s.mkd("new")), ErrorKind::Permanent);
    s.rnfr("a").unwrap();
    s.rnto("b").unwrap();
    assert_eq!(kind(s.rnfr("a")), ErrorKind::Permanent);
    assert_eq!(kind(s.rnto("b c")), ErrorKind::Permanent);
    s.site_chmod("644", "b").unwrap();
    assert_eq!(kind(s.site_chmod("644", "b")), ErrorKind::Permanent);
    let e = s.dele("a\r\nRMD /").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage);
    log.after_opening(&[
        "DELE a",
        "DELE a",
        "DELE a",
        "DELE a",
        "MKD new",
        "MKD new",
        "RNFR a",
        "RNTO b",
        "RNFR a",
        "RNTO b c",
        "SITE CHMOD 644 b",
        "SITE CHMOD 644 b",
    ]);
}

#[test]
fn rmd_and_its_refusals() {
    let (mut s, log) = opened(&[
        "250 Remove directory operation successful.\r\n",
        "550 Remove directory operation failed.\r\n",
        "450 busy\r\n",
        "257 odd\r\n",
    ]);
    s.rmd("d/sub").unwrap();
    assert_eq!(kind(s.rmd("full")), ErrorKind::Permanent);
    assert_eq!(kind(s.rmd("full")), ErrorKind::Transient);
    assert_eq!(kind(s.rmd("x")), ErrorKind::Protocol);
    assert_eq!(kind(s.rmd("a\r\nDELE b")), ErrorKind::Usage);
    log.after_opening(&["RMD d/sub", "RMD full", "RMD full", "RMD x"]);
}

#[test]
fn mlst_and_is_dir_with_mlst() {
    let (mut s, log) = opened(&[
        "250-Listing a\r\n type=file;size=3; a\r\n250 End\r\n",
        "550 no such file\r\n",
        "250-Listing d\r\n Type=dir; d\r\n250 End\r\n",
        "250-Listing f\r\n type=file; f\r\n250 End\r\n",
        "550 none\r\n",
        "421 closing\r\n",
    ]);
    assert_eq!(s.mlst("a").unwrap().as_deref(), Some("type=file;size=3; a"));
    assert_eq!(s.mlst("x").unwrap(), None);
    assert!(s.is_dir("d/").unwrap());
    assert!(!s.is_dir("f").unwrap());
    assert!(!s.is_dir("gone").unwrap());
    assert!(s.is_dir("/").unwrap());
    assert_eq!(kind(s.mlst("a")), ErrorKind::Transient);
    log.after_opening(&[
        "MLST a",
        "MLST x",
        "MLST d",
        "MLST f",
        "MLST gone",
        "MLST a",
    ]);
}

#[test]
fn quit_waits_for_221_but_not_for_a_closed_connection() {
    let (s, log) = opened(&["221 bye\r\n"]);
    s.quit();
    log.after_opening(&["QUIT"]);
    let (s, log) = opened(&[]);
    s.quit();
    log.after_opening(&["QUIT"]);
}

/// A data listener on loopback that sends `data` to the first connection and closes; its port.
fn data_server(data: &'static [u8]) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut c, _)) = l.accept() {
            let _ = c.write_all(data);
        }
    });
    port
}

/// A logged-in session on a mock whose peer is loopback, so data connections reach `data_server`.
fn opened_loopback(more: &[String]) -> (Session<MockStream>, Opened) {
    let mut script: Vec<&str> = vec!["220 ready\r\n", "331 password\r\n", "230 in\r\n", FEAT];
    script.extend(more.iter().map(String::as_str));
    let (m, log) = MockStream::new(&script);
    let m = m.peer("127.0.0.1:21".parse().unwrap());
    (
        start_over(m, false).unwrap(),
        Opened::new(log, &["USER bob", "PASS hunter2", "FEAT"]),
    )
}

#[test]
fn listings_over_epsv_and_pasv_data_connections() {
    let port = data_server(b"a\r\nb\r\n");
    let (mut s, log) = opened_loopback(&[
        format!("229 Entering Extended Passive Mode (|||{port}|)\r\n"),
        "150 here it comes\r\n".into(),
        "226 done\r\n".into(),
    ]);
    assert_eq!(s.nlst("").unwrap(), vec!["a", "b"]);
    log.after_opening(&["EPSV", "NLST"]);

    let port = data_server(b"type=dir; sub\r\ntype=file;size=2; f\r\n");
    let (mut s, log) = opened_loopback(&[
        "500 EPSV?\r\n".into(),
        format!(
            "227 Entering Passive Mode (127,0,0,1,{},{})\r\n",
            port / 256,
            port % 256
        ),
        "150 here it comes\r\n".into(),
        "226 done\r\n".into(),
    ]);
    let entries = s.list_dir("pub").unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].name, "sub");
    log.after_opening(&["EPSV", "PASV", "MLSD pub"]);
}

#[test]
fn transfer_refusals_and_aborts() {
    let port = data_server(b"");
    let (mut s, log) = opened_loopback(&[
        format!("229 (|||{port}|)\r\n"),
        "550 no such file\r\n".into(),
    ]);
    assert_eq!(
        kind(s.transfer(Command::with("RETR", "x"), None)),
        ErrorKind::Permanent
    );
    log.after_opening(&["EPSV", "RETR x"]);

    let port = data_server(b"abc");
    let (mut s, log) = opened_loopback(&[
        format!("229 (|||{port}|)\r\n"),
        "350 restarting\r\n".into(),
        "150 go\r\n".into(),
        "426 cut\r\n".into(),
    ]);
    let mut d = s.transfer(Command::with("RETR", "x"), Some(7)).unwrap();
    let mut got = Vec::new();
    std::io::Read::read_to_end(&mut d, &mut got).unwrap();
    drop(d);
    assert_eq!(got, b"abc");
    assert_eq!(kind(s.transfer_complete("RETR x")), ErrorKind::Transient);
    log.after_opening(&["EPSV", "REST 7", "RETR x"]);

    // EPSV refused with a 4xx: no fallback.
    let (mut s, _) = opened_loopback(&["425 no data connections\r\n".into()]);
    assert_eq!(kind(s.stor("x")), ErrorKind::Transient);
}

#[test]
fn implicit_tls_protects_data_without_auth_tls() {
    let (m, log) = MockStream::new(&[
        "220 ready\r\n",
        "230 in\r\n",
        "200 PBSZ=0\r\n",
        "200 protected\r\n",
        "211 no features\r\n",
    ]);
    let s = start_over(m.tls(), true).unwrap();
    assert!(s.protected);
    log.assert_sent(&["USER bob", "PBSZ 0", "PROT P", "FEAT"]);
    assert_eq!(log.unread(), 0);
}

/// A logged-in session whose FEAT was `feat`; the transcript is checked from after FEAT.
fn opened_with(feat: &str, more: &[&str]) -> (Session<MockStream>, Opened) {
    let mut script = vec!["220 ready\r\n", "331 password\r\n", "230 in\r\n", feat];
    script.extend_from_slice(more);
    let (s, log) = open(&script, false);
    (
        s.unwrap(),
        Opened::new(log, &["USER bob", "PASS hunter2", "FEAT"]),
    )
}

fn at(secs: u64) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)
}

#[test]
fn mirroring_features_from_feat() {
    let (s, _) = opened_with(
        "211-Features:\r\n MFMT\r\n SITE UTIME\r\n HASH SHA-256*;SHA-1;MD5\r\n XMD5\r\n211 End\r\n",
        &[],
    );
    let f = &s.features.sync;
    assert!(f.mfmt && f.site_utime && f.hash_md5 && f.xmd5);
    let (s, _) = opened(&[]);
    assert!(!s.features.sync.can_set_time() && !s.features.sync.can_hash());
}

#[test]
fn set_mtime_prefers_mfmt_then_site_utime_then_says_it_cannot() {
    // 2024-01-02T03:04:05Z
    let t = at(1_704_164_645);
    let (mut s, log) = opened_with(
        "211-Features:\r\n MFMT\r\n211 End\r\n",
        &["213 Modify=20240102030405; a b\r\n"],
    );
    assert!(s.set_mtime(t, "a b").unwrap());
    log.after_opening(&["MFMT 20240102030405 a b"]);
    let (mut s, log) = opened_with(
        "211-Features:\r\n SITE UTIME\r\n211 End\r\n",
        &["200 UTIME command successful\r\n"],
    );
    assert!(s.set_mtime(t, "f").unwrap());
    log.after_opening(&["SITE UTIME 20240102030405 f"]);
    let (mut s, log) = opened(&[]);
    assert!(!s.set_mtime(t, "f").unwrap());
    log.after_opening(&[]);
    let (mut s, _) = opened_with("211-Features:\r\n MFMT\r\n211 End\r\n", &["550 nope\r\n"]);
    assert_eq!(kind(s.set_mtime(t, "f")), ErrorKind::Permanent);
}

#[test]
fn rmd_and_digests() {
    let (mut s, log) = opened(&[
        "250 Remove directory operation successful.\r\n",
        "550 not empty\r\n",
    ]);
    s.rmd("d/e").unwrap();
    assert_eq!(kind(s.rmd("x")), ErrorKind::Permanent);
    log.after_opening(&["RMD d/e", "RMD x"]);
    let md5 = "0CC175B9C0F1B6A831C399E269772661";
    let (mut s, log) = opened_with(
        "211-Features:\r\n HASH SHA-256*;MD5\r\n211 End\r\n",
        &["200 MD5 selected\r\n", &format!("213 MD5 0-0 {md5} a\r\n")],
    );
    assert_eq!(
        s.md5("a").unwrap().as_deref(),
        Some(md5.to_ascii_lowercase().as_str())
    );
    log.after_opening(&["OPTS HASH MD5", "HASH a"]);
    let (mut s, log) = opened_with(
        "211-Features:\r\n XMD5\r\n211 End\r\n",
        &[&format!("251 {md5}\r\n"), "250 nothex\r\n", "550 no\r\n"],
    );
    assert!(s.md5("a").unwrap().is_some());
    assert_eq!(kind(s.md5("a")), ErrorKind::Protocol);
    assert_eq!(s.md5("a").unwrap(), None);
    log.after_opening(&["XMD5 a", "XMD5 a", "XMD5 a"]);
    let (mut s, log) = opened(&[]);
    assert_eq!(s.md5("a").unwrap(), None);
    log.after_opening(&[]);
}

#[test]
fn list_a_shows_dotfiles_and_falls_back_when_refused() {
    let no_mlst = "211-Features:\r\n EPSV\r\n211 End\r\n";
    let port = data_server(b"-rw-r--r-- 1 0 0 3 Jan 01  2024 .htaccess\r\n");
    let (m, log) = MockStream::new(&[
        "220 ready\r\n",
        "331 password\r\n",
        "230 in\r\n",
        no_mlst,
        &format!("229 Entering Extended Passive Mode (|||{port}|)\r\n"),
        "150 here\r\n",
        "226 ok\r\n",
    ]);
    let mut s = start_over(m.peer("127.0.0.1:21".parse().unwrap()), false).unwrap();
    let e = s.list_dir_all("pub").unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].name, ".htaccess");
    Opened::new(log, &["USER bob", "PASS hunter2", "FEAT"]).after_opening(&["EPSV", "LIST -a pub"]);
    // A server that refuses the option gets the plain LIST.
    let refused = data_server(b"");
    let port = data_server(b"-rw-r--r-- 1 0 0 3 Jan 01  2024 f\r\n");
    let (m, log) = MockStream::new(&[
        "220 ready\r\n",
        "331 password\r\n",
        "230 in\r\n",
        no_mlst,
        &format!("229 Entering Extended Passive Mode (|||{refused}|)\r\n"),
        "550 no such file -a pub\r\n",
        &format!("229 Entering Extended Passive Mode (|||{port}|)\r\n"),
        "150 here\r\n",
        "226 ok\r\n",
    ]);
    let mut s = start_over(m.peer("127.0.0.1:21".parse().unwrap()), false).unwrap();
    assert_eq!(s.list_dir_all("pub").unwrap()[0].name, "f");
    Opened::new(log, &["USER bob", "PASS hunter2", "FEAT"]).after_opening(&[
        "EPSV",
        "LIST -a pub",
        "EPSV",
        "LIST pub",
    ]);
}

#[test]
fn a_pipelined_reply_of_another_command_fails_the_whole_batch() {
    // A 200 where MDTM answers 213 or a refusal: the connection is out of step (a reply left over from
    // an earlier command), so no reply of the batch may be used.
    let (mut s, _log) = opened(&[
        "213 20200101000000\r\n",
        "200 NOOP ok.\r\n",
        "213 20200101000000\r\n",
    ]);
    let e = s.mdtm_many(&["a", "b", "c"]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert!(e.to_string().contains("MDTM b"), "{e}");
}

#[test]
fn pipelined_mdtm_and_size_keep_replies_in_step() {
    // Issue 19 / 14: a mirror's change check sends its MDTMs in batches of PIPELINE and reads the replies
    // in order; a refusal is that path's own error, a missing time is None, and the next command still
    // gets its own reply. 70 paths: one full batch and a second one.
    let n = PIPELINE + 6;
    let mut replies: Vec<String> = (0..n)
        .map(|i| match i {
            3 => "550 no such file\r\n".to_string(),
            5 => "450 busy\r\n".to_string(),
            _ => format!("213 2020010100{:02}{:02}\r\n", i / 60, i % 60),
        })
        .collect();
    replies.push("213 42\r\n".into());
    replies.push("213 7\r\n".into());
    let refs: Vec<&str> = replies.iter().map(String::as_str).collect();
    let (mut s, log) = opened(&refs);
    let paths: Vec<String> = (0..n).map(|i| format!("d/f{i}")).collect();
    let path_refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let times = s.mdtm_many(&path_refs).unwrap();
    assert_eq!(times.len(), n);
    let secs = |i: usize| -> u64 {
        times[i]
            .as_ref()
            .unwrap()
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    assert_eq!(secs(0), 1_577_836_800);
    assert_eq!(secs(69), 1_577_836_800 + 69);
    assert!(matches!(times[3], Ok(None)));
    let e = times[5].as_ref().unwrap_err();
    assert!(e.to_string().contains("MDTM d/f5"), "{e}");
    let sizes = s.size_many(&["a", "b"]).unwrap();
    assert_eq!(
        sizes.into_iter().map(|r| r.unwrap()).collect::<Vec<_>>(),
        [Some(42), Some(7)]
    );
    let mut want: Vec<String> = paths.iter().map(|p| format!("MDTM {p}")).collect();
    want.extend(["SIZE a".to_string(), "SIZE b".to_string()]);
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    log.after_opening(&want);
}
