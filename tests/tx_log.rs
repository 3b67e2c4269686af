//! The transaction log (`--log FILE`, issue 15 item 3): the exact line each network tool appends per
//! file or message, its time field matched as RFC 3339 UTC.

use std::path::Path;

use crate::support::*;

/// The log's lines with their time field checked and cut off.
fn lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|l| {
            let (time, rest) = l.split_once(' ').unwrap();
            let pattern = "dddd-dd-ddTdd:dd:ddZ";
            assert_eq!(time.len(), pattern.len(), "{l}");
            for (c, p) in time.chars().zip(pattern.chars()) {
                assert!(
                    if p == 'd' { c.is_ascii_digit() } else { c == p },
                    "time field {time:?}"
                );
            }
            rest.to_string()
        })
        .collect()
}

#[test]
fn ftp_get_logs_each_file() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 Switching to Binary mode."),
            e("SIZE pub/a.txt"),
            s("213 6"),
            e("EPSV"),
            Epsv,
            e("RETR pub/a.txt"),
            s("150 Opening BINARY mode data connection."),
            DataSend(b"hello\n".to_vec()),
            s("226 Transfer complete."),
            e("SIZE pub/gone"),
            s("550 No such file."),
            e("EPSV"),
            Epsv,
            e("RETR pub/gone"),
            s("550 No such file."),
        ],
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ferry.log");
    let r = run_in(
        dir.path(),
        "ftp-get",
        &[
            &srv.url("pub/a.txt"),
            &srv.url("pub/gone"),
            "--log",
            &log.display().to_string(),
        ],
        &[],
    );
    let a = srv.url("pub/a.txt");
    let gone = srv.url("pub/gone");
    srv.finish();
    assert_code(&r, 10);
    assert_eq!(
        lines(&log),
        vec![
            format!(
                "ftp-get account=- server={a} item=\"./a.txt\" size=6 result=ok reply=- queue=-"
            ),
            format!(
                "ftp-get account=- server={gone} item=\"./gone\" size=0 result=failed reply=\"{gone}: RETR pub/gone: 550 No such file.\" queue=-"
            ),
        ]
    );
}

#[test]
fn smtp_send_logs_the_message_and_its_queue_id() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ferry.log");
    let logs = log.display().to_string();
    let msg = "From: ann@example.com\r\nTo: bob@example.org\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <l@t>\r\nSubject: log\r\n\r\nbody\r\n";
    std::fs::write(dir.path().join("m.eml"), msg).unwrap();
    let srv = Server::start(script(vec![vec![
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
        s("250 2.0.0 Ok: queued as 4bX"),
        e("QUIT"),
        s("221 bye"),
    ]]));
    let server = format!("smtp://{}", srv.addr);
    let base = [
        "--helo",
        "test.invalid",
        "--message",
        "m.eml",
        "-t",
        "--log",
    ];
    let mut args = base.to_vec();
    args.extend([logs.as_str(), server.as_str()]);
    let r = run_in(dir.path(), "smtp-send", &args, &[]);
    srv.finish();
    assert_code(&r, 0);
    // Queued after a transient failure: the entry's ID is logged.
    let q = dir.path().join("q").display().to_string();
    let mut args = base.to_vec();
    args.extend([logs.as_str(), "smtp://127.0.0.1:1", "--queue", &q]);
    let r = run_in(dir.path(), "smtp-send", &args, &[]);
    assert_code(&r, 7);
    let id = names_in(&dir.path().join("q"))
        .into_iter()
        .find_map(|n| n.strip_suffix(".msg").map(str::to_string))
        .unwrap();
    let got = lines(&log);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        got[0],
        format!(
            "smtp-send account=- server={server}/ item=\"<ann@example.com> -> <bob@example.org>\" size={} result=ok reply=\"250 2.0.0 Ok: queued as 4bX\" queue=-",
            msg.len()
        )
    );
    let prefix = format!(
        "smtp-send account=- server=smtp://127.0.0.1:1/ item=\"<ann@example.com> -> <bob@example.org>\" size={} result=failed reply=\"",
        msg.len()
    );
    assert!(got[1].starts_with(&prefix), "{}", got[1]);
    assert!(got[1].ends_with(&format!("\" queue={id}")), "{}", got[1]);
}

#[test]
fn pop3_fetch_logs_each_message() {
    let srv = Server::start(script(vec![vec![
        s("+OK ready"),
        e("CAPA"),
        s("+OK"),
        s("UIDL"),
        s("USER"),
        s("."),
        e("USER ann"),
        s("+OK"),
        e("PASS pw"),
        s("+OK"),
        e("CAPA"),
        s("+OK"),
        s("UIDL"),
        s("."),
        e("STAT"),
        s("+OK 1 30"),
        e("LIST"),
        s("+OK"),
        s("1 30"),
        s("."),
        e("UIDL"),
        s("+OK"),
        s("1 u1"),
        s("."),
        e("RETR 1"),
        s("+OK message follows"),
        s("Subject: one"),
        s(""),
        s("hello"),
        s("."),
        e("QUIT"),
        s("+OK bye"),
    ]]));
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ferry.log");
    let server = format!("pop3://ann@{}", srv.addr);
    let r = run_in(
        dir.path(),
        "pop3-fetch",
        &[
            &server,
            "--timeout",
            "10",
            "--mbox",
            "box",
            "--log",
            &log.display().to_string(),
        ],
        &[("FERRY_PASSWORD", "pw")],
    );
    srv.finish();
    assert_code(&r, 0);
    assert_eq!(
        lines(&log),
        vec![format!(
            "pop3-fetch account=- server={server}/ item=\"u1 -> box\" size=30 result=ok reply=- queue=-"
        )]
    );
}
