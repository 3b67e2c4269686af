//! Whole-session checks: the fuzzer's bytes are the server's side of a scripted connection
//! (`pingpong::mock`), read by each session's opening sequence and a few commands. Whatever the server
//! says, the client never keeps talking after a failed STARTTLS, never falls back to plain text under
//! `--starttls`, never sends credentials before TLS under `--starttls`, and never deletes or expunges
//! mail on its own (the tools do that only after a durable local write; the sessions must not).
//!
//! The first byte holds the flags: bit 0 `--starttls`, bit 1 a failing TLS handshake, bit 2 an
//! implicit-TLS connection, bits 3-5 the session's login choice; the rest is the script, read in
//! fuzzer-chosen pieces.

use super::chunked;
use super::parsers::Bodies;
use crate::credentials::{Credentials, Secret};
use crate::pingpong::mock::{MockLog, MockStream, TLS_MARK, tls};
use crate::pingpong::{Dialect, PingPong, SessionConfig, Transcript};
use crate::sasl::Mechanism;

/// What the first byte asks for.
struct Flags {
    starttls: bool,
    implicit: bool,
    choice: u8,
}

/// The mock's session settings with one TLS client for the whole run (building one loads the system's
/// trust anchors: far slower than a session).
fn session_config(starttls: bool) -> SessionConfig {
    static TLS: std::sync::OnceLock<crate::transport::Tls> = std::sync::OnceLock::new();
    SessionConfig {
        tls: Some(TLS.get_or_init(tls).clone()),
        starttls,
        connect_timeout: std::time::Duration::from_secs(1),
        timeout: std::time::Duration::from_secs(1),
        transcript: Transcript::new(false),
        route: crate::transport::Route::default(),
    }
}

/// The session settings, the scripted stream and its log.
fn setup<D: Dialect>(
    data: &[u8],
    dialect: D,
) -> Option<(Flags, SessionConfig, PingPong<D, MockStream>, MockLog)> {
    let (&flags, rest) = data.split_first()?;
    let f = Flags {
        starttls: flags & 1 != 0,
        implicit: flags & 4 != 0,
        choice: (flags >> 3) & 7,
    };
    let (_, chunks) = chunked(rest);
    let (mut m, log) = MockStream::bytes(chunks.iter().map(|c| c.to_vec()).collect());
    if flags & 2 != 0 {
        m = m.refusing_tls();
    }
    if f.implicit {
        m = m.tls();
    }
    let config = session_config(f.starttls);
    let pp = match PingPong::new(m, dialect, config.timeout, config.transcript) {
        Ok(pp) => pp,
        Err(e) => panic!("the mock stream cannot fail: {e}"),
    };
    Some((f, config, pp, log))
}

fn creds() -> Credentials {
    Credentials {
        user: "bob".into(),
        password: Secret::new("hunter2"),
    }
}

/// The client's command word, IMAP tags skipped.
fn verb(line: &str, tagged: bool) -> String {
    let mut words = line.split(' ');
    if tagged {
        words.next();
    }
    words.next().unwrap_or("").to_ascii_uppercase()
}

/// The TLS properties of a finished opening. `upgrade` is the command that asks for TLS (`AUTH TLS` is
/// matched by its verb `AUTH` and argument), `secret` the verbs that carry credentials.
fn check_tls(f: &Flags, opened: bool, log: &MockLog, tagged: bool, upgrade: &str, secret: &[&str]) {
    if !f.starttls || f.implicit {
        return;
    }
    let lines = log.lines();
    let tls_at = lines.iter().position(|l| l == TLS_MARK);
    let plain = &lines[..tls_at.unwrap_or(lines.len())];
    for l in plain {
        let v = verb(l, tagged);
        let asks_tls = l
            .split(' ')
            .skip(usize::from(tagged))
            .collect::<Vec<_>>()
            .join(" ")
            .eq_ignore_ascii_case(upgrade);
        assert!(
            asks_tls || !secret.contains(&v.as_str()),
            "credentials before TLS: {l:?} in {lines:?}"
        );
    }
    if opened {
        assert!(
            tls_at.is_some(),
            "--starttls but the session went on in plain text: {lines:?}"
        );
    } else if tls_at.is_none()
        && let Some(i) = plain.iter().position(|l| {
            l.split(' ')
                .skip(usize::from(tagged))
                .collect::<Vec<_>>()
                .join(" ")
                .eq_ignore_ascii_case(upgrade)
        })
    {
        assert_eq!(
            i + 1,
            lines.len(),
            "a command after a failed {upgrade}: {lines:?}"
        );
    }
}

/// No command that deletes mail or files, whatever the server said.
fn check_no_delete(log: &MockLog, tagged: bool, words: &[&str]) {
    for l in log.lines() {
        let mut w = l.split(' ').skip(usize::from(tagged));
        let one = w.next().unwrap_or("").to_ascii_uppercase();
        let two = format!("{one} {}", w.next().unwrap_or("").to_ascii_uppercase());
        assert!(
            !words.contains(&one.as_str()) && !words.contains(&two.as_str()),
            "the session sent {l:?} on its own"
        );
    }
}

/// FTP: greeting, AUTH TLS, USER/PASS, PBSZ/PROT, FEAT; then SIZE, MDTM, MLST, TYPE.
pub fn ftp_session(data: &[u8]) {
    use crate::ftp::{Config, Session, TransferType, data::DataMode, reply::FtpDialect};
    let Some((f, session, pp, log)) = setup(data, FtpDialect::default()) else {
        return;
    };
    let config = Config {
        session,
        mode: DataMode::Passive,
        limit: None,
    };
    let s = Session::start(pp, "ftp.example", &creds(), config);
    check_tls(
        &f,
        s.is_ok(),
        &log,
        false,
        "AUTH TLS",
        &["USER", "PASS", "ACCT"],
    );
    if let Ok(mut s) = s {
        let _ = s.size("f");
        let _ = s.mdtm("f");
        let _ = s.mlst("f");
        let _ = s.type_(TransferType::Binary);
        s.quit();
    }
    check_no_delete(
        &log,
        false,
        &["DELE", "RMD", "RNFR", "RNTO", "STOR", "APPE"],
    );
}

/// SMTP: greeting, EHLO, STARTTLS, EHLO; then AUTH, the envelope and DATA.
pub fn smtp_session(data: &[u8]) {
    use crate::smtp::{Config, MailParams, Session, reply::SmtpDialect};
    let Some((f, session, pp, log)) = setup(data, SmtpDialect::default()) else {
        return;
    };
    let config = Config {
        session,
        helo: "client.example".into(),
    };
    let s = Session::start(pp, "mx.example", 587, &config);
    check_tls(&f, s.is_ok(), &log, false, "STARTTLS", &["AUTH"]);
    let Ok(mut s) = s else { return };
    let mech = match f.choice {
        0 => None,
        1 => Some(Mechanism::Plain),
        2 => Some(Mechanism::Login),
        _ => Some(Mechanism::XOAuth2),
    };
    if s.auth(&creds(), mech).is_ok() {
        let params = MailParams {
            size: Some(5),
            ..Default::default()
        };
        if s.envelope("a@example.org", &params, &["b@example.org".to_string()])
            .is_ok()
        {
            let _ = s.data(&mut &b"Hi.\r\n"[..]);
        }
    }
    s.quit();
}

/// POP3: greeting, CAPA, STLS, CAPA, the login the flags pick, CAPA; then STAT, LIST, UIDL and RETR
/// of message 1 (a body reported complete is exactly the bytes written).
pub fn pop3_session(data: &[u8]) {
    use crate::pop3::{Config, Login, Part, Retrieved, Session, reply::Pop3Dialect};
    let Some((f, session, pp, log)) = setup(data, Pop3Dialect::default()) else {
        return;
    };
    let login = match f.choice {
        0 | 1 => Login::Default,
        2 => Login::Apop,
        3 => Login::Sasl(Mechanism::Plain),
        _ => Login::Sasl(Mechanism::Login),
    };
    let config = Config { session, login };
    let s =
        Session::start(pp, "pop.example", 110).and_then(|s| s.secure_and_login(&creds(), &config));
    check_tls(
        &f,
        s.is_ok(),
        &log,
        false,
        "STLS",
        &["USER", "PASS", "APOP", "AUTH"],
    );
    if let Ok(mut s) = s {
        let _ = s.stat();
        let _ = s.list();
        let _ = s.uidl();
        let mut out = Vec::new();
        if let Ok(Retrieved::Body(n)) = s.retrieve(Part::Whole(1), &mut out, 4096) {
            assert_eq!(n, out.len() as u64);
            assert!(n <= 4096);
        }
        let _ = s.quit();
    }
    check_no_delete(&log, false, &["DELE"]);
}

/// IMAP: greeting, STARTTLS, CAPABILITY, LOGIN or AUTHENTICATE; then SELECT, UID SEARCH and a UID FETCH
/// whose bodies must each arrive whole.
pub fn imap_session(data: &[u8]) {
    use crate::imap::quote::Part;
    use crate::imap::{Config, Session, dialect::ImapDialect};
    let Some((f, session, pp, log)) = setup(data, ImapDialect::default()) else {
        return;
    };
    let auth = match f.choice {
        0 | 1 => None,
        2 => Some(Mechanism::Plain),
        _ => Some(Mechanism::Login),
    };
    let config = Config { session, auth };
    let c = creds();
    let s = Session::start(pp, "imap.example", 143, Some(&c), &config);
    check_tls(
        &f,
        s.is_ok(),
        &log,
        true,
        "STARTTLS",
        &["LOGIN", "AUTHENTICATE"],
    );
    if let Ok(mut s) = s {
        if s.select("INBOX", f.choice & 1 == 1).is_ok() {
            let _ = s.uid_search(&[Part::Text("ALL".into())]);
            if let Ok(tag) = s.uid_fetch_start("1:*", "(UID BODY.PEEK[])") {
                let mut bodies = Bodies::default();
                for _ in 0..64 {
                    match s.fetch_next(&tag, &mut bodies, 4096) {
                        Ok(Some(_)) => assert!(bodies.open.is_none(), "a body left open"),
                        _ => break,
                    }
                }
                for (announced, got) in &bodies.done {
                    assert_eq!(announced, got);
                }
            }
        }
        s.logout();
    }
    check_no_delete(
        &log,
        true,
        &[
            "EXPUNGE",
            "CLOSE",
            "STORE",
            "MOVE",
            "UID STORE",
            "UID EXPUNGE",
            "UID MOVE",
        ],
    );
}
