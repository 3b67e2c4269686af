//! Issue 15 (items 2, 4, 5, 6) against the scripted server: the sendmail symlink with an account's
//! `from`, `domain`, `aliases`, `helo` and `queue`; the EHLO name by default; SMTPUTF8 only for UTF-8
//! addresses; DSN parameters; `--header`/`--reply-to`/`--html` (the structure read back by Python's
//! `email` package).

use std::path::Path;

use crate::support::*;

fn url(srv: &Server) -> String {
    format!("smtp://{}", srv.addr)
}

fn ehlo(name: &str, ext: &[&str]) -> Vec<Step> {
    let mut v = vec![s("220 scripted ESMTP"), Expect(format!("EHLO {name}"))];
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

fn accept_data() -> Vec<Step> {
    vec![
        e("DATA"),
        s("354 go"),
        ReadDotBody,
        s("250 ok"),
        e("QUIT"),
        s("221 bye"),
    ]
}

/// A config dir whose default account `mail` has `extra` lines.
fn config(dir: &Path, url: &str, extra: &str) -> String {
    let cfg = dir.join("cfg");
    std::fs::create_dir_all(cfg.join("ferry")).unwrap();
    std::fs::write(
        cfg.join("ferry/config.toml"),
        format!("default = \"mail\"\n[account.mail]\nurl = \"{url}\"\n{extra}"),
    )
    .unwrap();
    cfg.display().to_string()
}

fn sendmail_link(dir: &Path) -> std::path::PathBuf {
    let link = dir.join("sendmail");
    std::os::unix::fs::symlink(bin("smtp-send"), &link).unwrap();
    link
}

/// Item 2: cron's `sendmail -t -i` with a default account: `root` goes through the aliases (a name the
/// file lacks goes to `default:`), bare names are qualified in the envelope and in To/Cc, the sender is
/// the account's `from`, EHLO is the account's `helo`.
#[test]
fn sendmail_aliases_domain_and_from_from_the_account() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("aliases"),
        "# cron mail\nroot: ops@example.org, admin\nadmin: Ann <ann@example.org>\ndefault: catchall@example.org\n",
    )
    .unwrap();
    let srv = Server::start(script(vec![
        ehlo("relay.example.com", &[]),
        vec![
            e("MAIL FROM:<cron@example.com>"),
            s("250 ok"),
            e("RCPT TO:<ops@example.org>"),
            s("250 ok"),
            e("RCPT TO:<ann@example.org>"),
            s("250 ok"),
            e("RCPT TO:<catchall@example.org>"),
            s("250 ok"),
            e("RCPT TO:<bob@elsewhere.example>"),
            s("250 ok"),
        ],
        accept_data(),
    ]));
    let aliases = dir.path().join("aliases");
    let cfg = config(
        dir.path(),
        &url(&srv),
        &format!(
            "from = \"cron@example.com\"\ndomain = \"example.com\"\nhelo = \"relay.example.com\"\naliases = \"{}\"\n",
            aliases.display()
        ),
    );
    let input = "To: root\nCc: Backup Ops <backup>, bob@elsewhere.example\nSubject: cron\n\nout\n";
    let r = run_program(
        &sendmail_link(dir.path()),
        dir.path(),
        &["-t", "-i"],
        &[("XDG_CONFIG_HOME", &cfg), ("LOGNAME", "root")],
        Some(input.as_bytes().to_vec()),
    );
    assert_code(&r, 0);
    assert_eq!(r.stderr, "");
    let got = String::from_utf8(srv.data_received()).unwrap();
    assert!(
        got.starts_with(
            "To: root@example.com\r\nCc: Backup Ops <backup@example.com>, bob@elsewhere.example\r\nSubject: cron\r\nFrom: cron@example.com\r\nDate: "
        ),
        "{got}"
    );
    srv.finish();
}

/// Item 2: without `from`, the sender is `$LOGNAME@domain`; EHLO defaults to this host's FQDN, or the
/// address literal when it has none (never the short name); an operand recipient is qualified too.
#[test]
fn sendmail_sender_is_logname_at_domain_and_ehlo_is_fqdn_or_literal() {
    let dir = tempfile::tempdir().unwrap();
    let name = ferry::host::fqdn().unwrap_or_else(|| "[127.0.0.1]".to_string());
    let srv = Server::start(script(vec![
        ehlo(&name, &[]),
        vec![
            e("MAIL FROM:<backup@example.com>"),
            s("250 ok"),
            e("RCPT TO:<root@example.com>"),
            s("250 ok"),
        ],
        accept_data(),
    ]));
    let cfg = config(dir.path(), &url(&srv), "domain = \"example.com\"\n");
    let r = run_program(
        &sendmail_link(dir.path()),
        dir.path(),
        &["-i", "root"],
        &[("XDG_CONFIG_HOME", &cfg), ("LOGNAME", "backup")],
        Some(b"Subject: nightly\n\nok\n".to_vec()),
    );
    assert_code(&r, 0);
    let got = String::from_utf8(srv.data_received()).unwrap();
    assert!(
        got.starts_with("Subject: nightly\r\nFrom: backup@example.com\r\n"),
        "{got}"
    );
    srv.finish();
}

/// Item 2: the account's `queue` makes the symlink queue on a transient failure without any flag.
#[test]
fn sendmail_queues_in_the_accounts_queue() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("q");
    let cfg = config(
        dir.path(),
        "smtp://127.0.0.1:1",
        &format!(
            "domain = \"example.com\"\nqueue = \"{}\"\n",
            queue.display()
        ),
    );
    let r = run_program(
        &sendmail_link(dir.path()),
        dir.path(),
        &["-i", "root"],
        &[("XDG_CONFIG_HOME", &cfg), ("LOGNAME", "cron")],
        Some(b"Subject: s\n\nb\n".to_vec()),
    );
    // Queued is not failed in sendmail mode (exit 0, as sendmail does), and it is said.
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("queued as"), "{}", r.stderr);
    let entries: Vec<_> = names_in(&queue)
        .into_iter()
        .filter(|n| n.ends_with(".msg"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
}

/// Item 2: a malformed aliases file or an alias loop is a usage error (exit 2) before any connection.
#[test]
fn alias_loops_and_bad_config_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("aliases"), "a: b\nb: a\n").unwrap();
    let cfg = config(
        dir.path(),
        "smtp://127.0.0.1:1",
        &format!("aliases = \"{}\"\n", dir.path().join("aliases").display()),
    );
    let link = sendmail_link(dir.path());
    let r = run_program(
        &link,
        dir.path(),
        &["-i", "a"],
        &[("XDG_CONFIG_HOME", &cfg)],
        Some(b"\nb\n".to_vec()),
    );
    assert_code(&r, 2);
    assert!(
        r.stderr.ends_with("alias loop: a -> b -> a\n"),
        "{}",
        r.stderr
    );
    let cfg = config(dir.path(), "smtp://127.0.0.1:1", "domain = \"a b\"\n");
    let r = run_program(
        &link,
        dir.path(),
        &["-i", "a"],
        &[("XDG_CONFIG_HOME", &cfg)],
        Some(b"\nb\n".to_vec()),
    );
    assert_code(&r, 2);
    assert_eq!(
        r.stderr,
        "sendmail: error: config key domain \"a b\": expected a domain name\n"
    );
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// Item 5: UTF-8 header text with ASCII addresses goes RFC 2047-encoded, without SMTPUTF8, even to a
/// server that offers it.
#[test]
fn utf8_subject_with_ascii_addresses_needs_no_smtputf8() {
    let dir = tempfile::tempdir().unwrap();
    let msg = write(
        dir.path(),
        "m.eml",
        "From: Jörg <j@example.com>\nTo: b@example.org\nSubject: Grüße\nDate: Thu, 01 Jan 2026 00:00:00 +0000\nMessage-ID: <x@y>\n\nbody\n",
    );
    let srv = Server::start(script(vec![
        ehlo("test.invalid", &["SMTPUTF8", "8BITMIME"]),
        vec![
            e("MAIL FROM:<j@example.com> BODY=8BITMIME"),
            s("250 ok"),
            e("RCPT TO:<b@example.org>"),
            s("250 ok"),
        ],
        accept_data(),
    ]));
    let r = run_in(
        dir.path(),
        "smtp-send",
        &[
            &url(&srv),
            "--helo",
            "test.invalid",
            "--message",
            &msg,
            "-t",
        ],
        &[],
    );
    assert_code(&r, 0);
    let got = String::from_utf8(srv.data_received()).unwrap();
    assert!(got.is_ascii(), "{got}");
    assert!(
        got.starts_with(
            "From: =?UTF-8?B?SsO2cmc=?= <j@example.com>\r\nTo: b@example.org\r\nSubject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"
        ),
        "{got}"
    );
    srv.finish();
}

/// Item 5: a UTF-8 address declares SMTPUTF8; a server without it is a clear exit 6 before MAIL.
#[test]
fn utf8_address_declares_smtputf8_or_fails_with_exit_6() {
    let dir = tempfile::tempdir().unwrap();
    let msg = write(
        dir.path(),
        "m.eml",
        "From: a@example.com\nSubject: Grüße\n\nb\n",
    );
    let srv = Server::start(script(vec![
        ehlo("test.invalid", &["SMTPUTF8"]),
        vec![
            e("MAIL FROM:<a@example.com> SMTPUTF8"),
            s("250 ok"),
            e("RCPT TO:<jörg@example.org>"),
            s("250 ok"),
        ],
        accept_data(),
    ]));
    let args = |u: &str| {
        vec![
            u.to_string(),
            "--helo".into(),
            "test.invalid".into(),
            "--message".into(),
            msg.clone(),
            "--to".into(),
            "jörg@example.org".into(),
        ]
    };
    let a = args(&url(&srv));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let r = run_in(dir.path(), "smtp-send", &a, &[]);
    assert_code(&r, 0);
    assert!(
        String::from_utf8(srv.data_received())
            .unwrap()
            .contains("Subject: Grüße\r\n"),
        "raw UTF-8 stays when SMTPUTF8 is used"
    );
    srv.finish();
    let srv = Server::start(script(vec![
        ehlo("test.invalid", &[]),
        vec![e("QUIT"), s("221 bye")],
    ]));
    let a = args(&url(&srv));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let r = run_in(dir.path(), "smtp-send", &a, &[]);
    assert_code(&r, 6);
    assert_eq!(
        r.stderr,
        "smtp-send: error: the message needs SMTPUTF8 (a UTF-8 address, or UTF-8 in a header field RFC 2047 cannot encode), which the server does not offer\n"
    );
    srv.finish();
}

/// Item 6: RET/ENVID on MAIL, NOTIFY/ORCPT (xtext) on every RCPT when the server offers DSN; without
/// DSN one warning and the message goes without them.
#[test]
fn dsn_parameters_when_offered_and_a_warning_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let msg = write(
        dir.path(),
        "m.eml",
        "From: a@example.com\nDate: Thu, 01 Jan 2026 00:00:00 +0000\nMessage-ID: <x@y>\n\nb\n",
    );
    let flags = [
        "--notify",
        "failure,delay",
        "--ret",
        "hdrs",
        "--envid",
        "nightly+1",
        "--to",
        "b+tag@example.org",
        "--to",
        "c@example.org",
    ];
    let srv = Server::start(script(vec![
        ehlo("test.invalid", &["DSN"]),
        vec![
            e("MAIL FROM:<a@example.com> RET=HDRS ENVID=nightly+2B1"),
            s("250 ok"),
            e("RCPT TO:<b+tag@example.org> NOTIFY=FAILURE,DELAY ORCPT=rfc822;b+2Btag@example.org"),
            s("250 ok"),
            e("RCPT TO:<c@example.org> NOTIFY=FAILURE,DELAY ORCPT=rfc822;c@example.org"),
            s("250 ok"),
        ],
        accept_data(),
    ]));
    let mut args = vec![
        url(&srv),
        "--helo".into(),
        "test.invalid".into(),
        "--message".into(),
        msg.clone(),
    ];
    args.extend(flags.iter().map(|s| s.to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run_in(dir.path(), "smtp-send", &a, &[]);
    assert_code(&r, 0);
    assert!(!r.stderr.contains("DSN"), "{}", r.stderr);
    srv.finish();

    let srv = Server::start(script(vec![
        ehlo("test.invalid", &[]),
        vec![
            e("MAIL FROM:<a@example.com>"),
            s("250 ok"),
            e("RCPT TO:<b+tag@example.org>"),
            s("250 ok"),
            e("RCPT TO:<c@example.org>"),
            s("250 ok"),
        ],
        accept_data(),
    ]));
    args[0] = url(&srv);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run_in(dir.path(), "smtp-send", &a, &[]);
    assert_code(&r, 0);
    assert_eq!(
        r.stderr,
        "smtp-send: the server does not offer DSN: sending without --notify/--ret/--envid\n",
        "the warning prints, the success summary does not (quiet success off a terminal)"
    );
    srv.finish();
}

/// Item 4: a bad --header is exit 2 before any connection, naming the field.
#[test]
fn header_validation_errors() {
    for (h, why) in [
        ("X-A: b\r\nBcc: x@y", "CR, LF or NUL in a header"),
        (
            "Date: tomorrow",
            "expected an RFC 5322 date such as 'Mon, 30 Nov 2026 09:00:00 +0000'",
        ),
        (
            "Message-ID: nope",
            "expected a message ID such as <unique@example.com>",
        ),
        ("To: x@y", "use --to"),
        (
            "Content-Type: text/html",
            "smtp-send writes the MIME fields itself",
        ),
    ] {
        let (r, _d) = run(
            "smtp-send",
            &[
                "smtp://127.0.0.1:1",
                "--from",
                "a@b",
                "--to",
                "c@d",
                "--header",
                h,
            ],
        );
        assert_code(&r, 2);
        assert_eq!(
            r.stderr,
            format!("smtp-send: error: --header {h:?}: {why}\n")
        );
    }
}

/// Item 4: --html with --body is multipart/alternative (text first), inside multipart/mixed with an
/// attachment; --header and --reply-to appear; Python's email package reads it back.
#[test]
fn html_alternative_headers_and_reply_to_read_by_python_email() {
    let dir = tempfile::tempdir().unwrap();
    let html = write(dir.path(), "r.html", "<p>Grüße</p>\n");
    let att = write(dir.path(), "data.csv", "a,b\n1,2\n");
    let srv = Server::start(script(vec![
        ehlo("test.invalid", &[]),
        vec![
            e("MAIL FROM:<a@example.com>"),
            s("250 ok"),
            e("RCPT TO:<b@example.org>"),
            s("250 ok"),
        ],
        accept_data(),
    ]));
    let r = run_in(
        dir.path(),
        "smtp-send",
        &[
            &url(&srv),
            "--helo",
            "test.invalid",
            "--from",
            "a@example.com",
            "--to",
            "b@example.org",
            "--subject",
            "report",
            "--body",
            "plain text",
            "--html",
            &html,
            "--attach",
            &att,
            "--reply-to",
            "Ops <ops@example.com>",
            "--header",
            "X-Report: nightly ü",
            "--header",
            "Message-ID: <r1@example.com>",
        ],
        &[],
    );
    assert_code(&r, 0);
    let eml = dir.path().join("got.eml");
    std::fs::write(&eml, srv.data_received()).unwrap();
    srv.finish();
    let py = r#"
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
print(m['Reply-To'], m['X-Report'], m['Message-ID'], sep='|')
def walk(p, d=0):
    print('  ' * d + p.get_content_type())
    if p.is_multipart():
        for q in p.iter_parts(): walk(q, d + 1)
walk(m)
alt = next(p for p in m.walk() if p.get_content_type() == 'multipart/alternative')
parts = list(alt.iter_parts())
print(parts[0].get_content().strip(), parts[1].get_content().strip(), sep='|')
print(len(m.defects), sum(len(p.defects) for p in m.walk()))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", py, eml.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Ops <ops@example.com>|nightly ü|<r1@example.com>\n\
         multipart/mixed\n  multipart/alternative\n    text/plain\n    text/html\n  text/csv\n\
         plain text|<p>Grüße</p>\n\
         0 0\n"
    );
}
