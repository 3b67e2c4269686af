//! smtp-send against the real Postfix (tests/interop/postfix): STARTTLS + SASL through Dovecot on the
//! submission port, SMTPS, the plain port (sendmail mode), a port announcing SIZE 10000; every message is
//! read back from Postfix's catch-all Maildir and its body and attachments compared byte for byte.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mail_parser::MimeHeaders;

use crate::support::*;

fn cfg() -> Option<HashMap<String, String>> {
    super::server("postfix")
}

/// A token no other test (or run) uses.
fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{tag}.{nanos}.{}", std::process::id())
}

/// The delivered copies whose header block contains `token` (tests put it in the Subject or Message-ID),
/// waiting until there are `count` (Postfix delivers asynchronously). Only the first 64 KiB of each file
/// is looked at, once per file, so a Maildir full of big benchmark messages does not slow the poll.
pub(super) fn delivered(c: &HashMap<String, String>, token: &str, count: usize) -> Vec<Vec<u8>> {
    use std::io::Read;
    let new = PathBuf::from(&c["FERRY_POSTFIX_MAILDIR"]).join("new");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = std::collections::HashSet::new();
    let mut found = Vec::new();
    loop {
        for e in std::fs::read_dir(&new).into_iter().flatten().flatten() {
            if !seen.insert(e.file_name()) {
                continue;
            }
            let mut head = Vec::new();
            let Ok(f) = std::fs::File::open(e.path()) else {
                continue;
            };
            let _ = f.take(64 * 1024).read_to_end(&mut head);
            if head.windows(token.len()).any(|w| w == token.as_bytes()) {
                found.push(std::fs::read(e.path()).unwrap());
            }
        }
        if found.len() >= count || Instant::now() > deadline {
            assert_eq!(found.len(), count, "copies of {token} in {}", new.display());
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn delivered_to(msg: &[u8]) -> String {
    let text = String::from_utf8_lossy(msg);
    text.lines()
        .find_map(|l| l.strip_prefix("Delivered-To: "))
        .unwrap_or("")
        .to_string()
}

/// Postfix stores Maildir files with LF line endings.
fn lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn body_of(msg: &[u8]) -> &[u8] {
    let i = msg
        .windows(2)
        .position(|w| w == b"\n\n")
        .expect("a header/body split");
    &msg[i + 2..]
}

fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn smtp_send(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    run_in(dir, "smtp-send", args, env)
}

#[test]
#[cfg_attr(
    not(ferry_interop_postfix),
    ignore = "postfix is not running: tests/interop/start.sh starts it"
)]
fn composed_with_attachment_over_starttls_and_sasl() {
    let Some(c) = cfg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let token = unique("composed");
    let data = pseudo_random(300_000, 7);
    let att = dir.path().join("blob.bin");
    std::fs::write(&att, &data).unwrap();
    let text = "Grüße aus dem Test.\n.\n..leading dots\nEnde";
    let url = format!(
        "smtp://{}@{}",
        c["FERRY_SMTP_USER"], c["FERRY_SMTP_SUBMISSION"]
    );
    let r = smtp_send(
        dir.path(),
        &[
            &url,
            "--starttls",
            "--cacert",
            &c["FERRY_CA"],
            "--from",
            "Ann Ö <ann@example.com>",
            "--to",
            "bob@example.org",
            "--cc",
            "carl@example.org",
            "--bcc",
            "hidden@example.org",
            "--subject",
            &format!("Ünïcode {token}"),
            "--body",
            text,
            "--attach",
            att.to_str().unwrap(),
            "--json",
        ],
        &[("FERRY_PASSWORD", &c["FERRY_SMTP_PASSWORD"])],
    );
    assert_code(&r, 0);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["status"], "sent");
    let copies = delivered(&c, &token, 3);
    let mut to: Vec<String> = copies.iter().map(|m| delivered_to(m)).collect();
    to.sort();
    assert_eq!(
        to,
        vec!["bob@example.org", "carl@example.org", "hidden@example.org"]
    );
    for m in &copies {
        assert!(
            !String::from_utf8_lossy(m).contains("hidden@example.org>"),
            "Bcc leaked"
        );
        let parsed = mail_parser::MessageParser::default().parse(m).unwrap();
        assert_eq!(parsed.subject(), Some(format!("Ünïcode {token}").as_str()));
        assert_eq!(parsed.body_text(0).unwrap().replace("\r\n", "\n"), text);
        let a = parsed.attachment(0).unwrap();
        assert_eq!(a.attachment_name(), Some("blob.bin"));
        assert!(a.contents() == data.as_slice(), "attachment bytes differ");
    }
}

#[test]
#[cfg_attr(
    not(ferry_interop_postfix),
    ignore = "postfix is not running: tests/interop/start.sh starts it"
)]
fn ready_message_with_t_over_smtps_strips_bcc_and_keeps_the_body() {
    let Some(c) = cfg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let token = unique("ready");
    let body = ".\n..two dots\n.\r\nCRLF line\r\nbare CR\rhere\n\nlast line without newline";
    let msg = format!(
        "From: \"Ann, A.\" <ann@example.com>\nTo: team: b1@example.org, \"Doe, J\" <b2@example.org>;\nCc: c1@example.org (comment)\nBcc: secret@example.org\nSubject: {token}\nMessage-ID: <{token}@test>\n\n{body}"
    );
    let path = dir.path().join("m.eml");
    std::fs::write(&path, &msg).unwrap();
    let url = format!("smtps://{}@{}", c["FERRY_SMTP_USER"], c["FERRY_SMTPS"]);
    let r = smtp_send(
        dir.path(),
        &[
            &url,
            "--cacert",
            &c["FERRY_CA"],
            "--auth",
            "login",
            "--message",
            path.to_str().unwrap(),
            "-t",
        ],
        &[("FERRY_PASSWORD", &c["FERRY_SMTP_PASSWORD"])],
    );
    assert_code(&r, 0);
    let copies = delivered(&c, &token, 4);
    let mut to: Vec<String> = copies.iter().map(|m| delivered_to(m)).collect();
    to.sort();
    assert_eq!(
        to,
        vec![
            "b1@example.org",
            "b2@example.org",
            "c1@example.org",
            "secret@example.org"
        ]
    );
    // What was sent: CRLF everywhere (a bare CR is a line break too), un-stuffed by Postfix, LF on disk.
    let want = b".\n..two dots\n.\nCRLF line\nbare CR\nhere\n\nlast line without newline\n";
    for m in &copies {
        let text = String::from_utf8_lossy(m);
        assert!(
            !text.contains("Bcc:") && !text.contains("secret@example.org>"),
            "{text}"
        );
        assert!(text.contains("\nDate: "), "Date added: {text}");
        assert_eq!(
            String::from_utf8_lossy(body_of(&lf(m))),
            String::from_utf8_lossy(want)
        );
    }
}

#[test]
#[cfg_attr(
    not(ferry_interop_postfix),
    ignore = "postfix is not running: tests/interop/start.sh starts it"
)]
fn sendmail_symlink_reads_the_default_account() {
    let Some(c) = cfg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let token = unique("sendmail");
    let cfgdir = dir.path().join("cfg/ferry");
    std::fs::create_dir_all(&cfgdir).unwrap();
    std::fs::write(
        cfgdir.join("config.toml"),
        format!(
            "default = \"local\"\n[account.local]\nurl = \"smtp://{}\"\n",
            c["FERRY_SMTP_PLAIN"]
        ),
    )
    .unwrap();
    let link = dir.path().join("sendmail");
    std::os::unix::fs::symlink(bin("smtp-send"), &link).unwrap();
    let big = pseudo_random(200_000, 3)
        .iter()
        .map(|b| b'a' + b % 26)
        .collect::<Vec<u8>>()
        .chunks(70)
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n");
    let input = format!("Subject: cron {token}\nTo: ops@example.org\n\n{big}\n");
    let r = run_program(
        &link,
        dir.path(),
        &[
            "-FCron Daemon",
            "-i",
            "-oem",
            "-t",
            "-f",
            "root@example.net",
        ],
        &[("XDG_CONFIG_HOME", dir.path().join("cfg").to_str().unwrap())],
        Some(input.clone().into_bytes()),
    );
    assert_code(&r, 0);
    let copies = delivered(&c, &token, 1);
    let text = String::from_utf8_lossy(&copies[0]).into_owned();
    assert!(
        text.contains("From: Cron Daemon <root@example.net>"),
        "{text}"
    );
    assert!(text.contains("Return-Path: <root@example.net>"), "{text}");
    assert_eq!(body_of(&lf(&copies[0])), format!("{big}\n").as_bytes());
}

#[test]
#[cfg_attr(
    not(ferry_interop_postfix),
    ignore = "postfix is not running: tests/interop/start.sh starts it"
)]
fn partial_refusal_size_limit_and_bad_credentials() {
    let Some(c) = cfg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let token = unique("partial");
    let url = format!("smtp://{}", c["FERRY_SMTP_PLAIN"]);
    let r = smtp_send(
        dir.path(),
        &[
            &url,
            "--from",
            "ann@example.com",
            "--to",
            "ok@example.org",
            "--to",
            "reject-me@example.org",
            "--to",
            "tempfail-me@example.org",
            "--subject",
            &token,
            "--body",
            "x",
            "--json",
        ],
        &[],
    );
    assert_code(&r, 10);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let codes: Vec<u64> = doc["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, vec![250, 550, 450]);
    delivered(&c, &token, 1);

    // The small port announces SIZE 10000: a 20 kB message is refused before MAIL.
    let small = format!("smtp://{}", c["FERRY_SMTP_SMALL"]);
    let r = smtp_send(
        dir.path(),
        &[
            &small,
            "--from",
            "a@example.com",
            "--to",
            "b@example.org",
            "--body",
            &"y".repeat(20_000),
        ],
        &[],
    );
    assert_code(&r, 6);
    assert!(r.stderr.contains("SIZE limit of 10000"), "{}", r.stderr);

    // A wrong password is exit 5; a certificate from another CA exit 4; STARTTLS is required for AUTH.
    let sub = format!(
        "smtp://{}@{}",
        c["FERRY_SMTP_USER"], c["FERRY_SMTP_SUBMISSION"]
    );
    let base = [
        "--from",
        "a@example.com",
        "--to",
        "b@example.org",
        "--body",
        "z",
    ];
    let mut args = vec![sub.as_str(), "--starttls", "--cacert", &c["FERRY_CA"]];
    args.extend(base);
    let r = smtp_send(dir.path(), &args, &[("FERRY_PASSWORD", "wrong")]);
    assert_code(&r, 5);
    let other = Path::new(&c["FERRY_CA"]).with_file_name("other.pem");
    let mut args = vec![
        sub.as_str(),
        "--starttls",
        "--cacert",
        other.to_str().unwrap(),
    ];
    args.extend(base);
    let r = smtp_send(dir.path(), &args, &[("FERRY_PASSWORD", "x")]);
    assert_code(&r, 4);
    let mut args = vec![sub.as_str()];
    args.extend(base);
    let r = smtp_send(dir.path(), &args, &[("FERRY_PASSWORD", "x")]);
    assert_code(&r, 5);
}

/// Issue 15, items 2, 5, 6: the `sendmail` symlink run as cron runs it — `env -i` with only PATH, HOME and
/// LOGNAME, no terminal, the message on a pipe — with a default account in ~/.config that has `domain`
/// and `aliases`. Postfix receives the aliased, qualified recipients (each copy's Delivered-To), the
/// sender `$LOGNAME@domain` (Return-Path), `To: root@domain` in the header, the UTF-8 Subject as RFC 2047
/// words, and accepts the DSN parameters of `-N failure`.
#[test]
#[cfg_attr(
    not(ferry_interop_postfix),
    ignore = "postfix is not running: tests/interop/start.sh starts it"
)]
fn cron_sendmail_with_aliases_and_domain() {
    let Some(c) = cfg() else { return };
    let home = tempfile::tempdir().unwrap();
    let token = unique("cronalias");
    let cfgdir = home.path().join(".config/ferry");
    std::fs::create_dir_all(&cfgdir).unwrap();
    let aliases = home.path().join("aliases");
    std::fs::write(
        &aliases,
        "# cron\nroot: sysadmin,\n  backup@example.org\ndefault: catchall@example.org\n",
    )
    .unwrap();
    std::fs::write(
        cfgdir.join("config.toml"),
        format!(
            "default = \"relay\"\n[account.relay]\nurl = \"smtp://{}\"\ndomain = \"example.com\"\naliases = \"{}\"\n",
            c["FERRY_SMTP_PLAIN"],
            aliases.display()
        ),
    )
    .unwrap();
    let link = home.path().join("sendmail");
    std::os::unix::fs::symlink(bin("smtp-send"), &link).unwrap();
    let input = format!("To: root\nCc: nobody\nSubject: cron ü {token}\n\nbackup done\n");
    let r = run_program(
        Path::new("/usr/bin/env"),
        home.path(),
        &[
            "-i",
            &format!("PATH={}", std::env::var("PATH").unwrap_or_default()),
            &format!("HOME={}", home.path().display()),
            "LOGNAME=cron",
            link.to_str().unwrap(),
            "-t",
            "-i",
            "-N",
            "failure",
        ],
        &[],
        Some(input.into_bytes()),
    );
    assert_code(&r, 0);
    assert_eq!(r.stderr, "", "silent on success");
    let copies = delivered(&c, &token, 3);
    let mut to: Vec<String> = copies.iter().map(|m| delivered_to(m)).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "backup@example.org",
            "catchall@example.org",
            "sysadmin@example.com"
        ]
    );
    for copy in &copies {
        let text = String::from_utf8_lossy(copy).into_owned();
        assert!(text.contains("Return-Path: <cron@example.com>"), "{text}");
        assert!(text.contains("\nTo: root@example.com\n"), "{text}");
        assert!(text.contains("\nCc: nobody@example.com\n"), "{text}");
        assert!(text.contains("\nFrom: cron@example.com\n"), "{text}");
        let head = &text[..text.find("\n\n").unwrap()];
        assert!(head.is_ascii(), "no raw UTF-8 in the header: {head}");
        let parsed = mail_parser::MessageParser::default().parse(copy).unwrap();
        assert_eq!(parsed.subject(), Some(format!("cron ü {token}").as_str()));
    }
}
