//! The README's cron recipes (issue 18, item 7), run as written against the real servers so they cannot
//! rot: each `<!-- recipe: NAME -->` code block is taken from README.md, its example host, user and port
//! replaced by the interop servers' (env.d), and run with bash in a fresh HOME whose PATH holds the tools
//! (and `sendmail`, a link to smtp-send). A recipe succeeds silently (quiet success), and twice in a row.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::support::*;

/// The code block after `<!-- recipe: NAME -->` in README.md.
fn recipe(name: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let marker = format!("<!-- recipe: {name} -->\n```sh\n");
    let start = readme
        .find(&marker)
        .unwrap_or_else(|| panic!("README has no recipe {name}"));
    let body = &readme[start + marker.len()..];
    body[..body.find("```").unwrap()].to_string()
}

/// A HOME and a PATH with the tools first, `sendmail` among them.
fn shell_env() -> (tempfile::TempDir, PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let tools = Path::new(env!("CARGO_BIN_EXE_smtp-send")).parent().unwrap();
    std::os::unix::fs::symlink(tools.join("smtp-send"), bin.join("sendmail")).unwrap();
    let path = format!(
        "{}:{}:{}",
        bin.display(),
        tools.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (home, PathBuf::from(path))
}

/// Runs `script` with bash in `home`, the test CA trusted (SSL_CERT_FILE, as an admin's own CA would be).
fn sh(script: &str, home: &Path, path: &Path, c: &HashMap<String, String>) -> Run {
    let path = path.to_str().unwrap();
    let home_s = home.to_str().unwrap();
    run_program(
        Path::new("/bin/bash"),
        home,
        &["-euc", script],
        &[
            ("HOME", home_s),
            ("PATH", path),
            ("SSL_CERT_FILE", &c["FERRY_CA"]),
        ],
        None,
    )
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running (tests/interop/start.sh)"
)]
fn readme_nightly_mirror_recipe() {
    let Some(c) = super::server("vsftpd") else {
        return;
    };
    let dir = format!("recipes-{}", std::process::id());
    let remote = Path::new(&c["FERRY_FTP_HOME"]).join(&dir);
    let _ = std::fs::remove_dir_all(&remote);
    std::fs::create_dir_all(remote.join("sub")).unwrap();
    std::fs::write(remote.join("a.txt"), b"alpha\n").unwrap();
    std::fs::write(remote.join("sub/b.bin"), vec![7u8; 70_000]).unwrap();
    let script = recipe("mirror")
        .replace(
            "ann@ftp.example.com",
            &format!("ferry@{}", c["FERRY_FTP_EXPLICIT"]),
        )
        .replace("/pub/", &format!("/{dir}/"));
    let (home, path) = shell_env();
    std::fs::write(
        home.path().join(".netrc"),
        format!(
            "machine 127.0.0.1 login ferry password {}\n",
            c["FERRY_FTP_PASSWORD"]
        ),
    )
    .unwrap();
    for run in 1..=2 {
        let r = sh(&script, home.path(), &path, &c);
        assert_code(&r, 0);
        assert_eq!(r.stderr, "", "run {run}: silent on success");
    }
    let local = home.path().join("mirror").join(&dir);
    assert_eq!(std::fs::read(local.join("a.txt")).unwrap(), b"alpha\n");
    assert_eq!(
        std::fs::read(local.join("sub/b.bin")).unwrap(),
        vec![7u8; 70_000]
    );
    let _ = std::fs::remove_dir_all(&remote);
}

#[test]
#[cfg_attr(
    not(ferry_interop_dovecot),
    ignore = "Dovecot is not running (tests/interop/start.sh)"
)]
fn readme_mail_fetch_recipe() {
    let Some(c) = super::server("dovecot") else {
        return;
    };
    let (user, password, maildir) = super::mailbox::dovecot_user(&c, "recipe");
    let msgs: Vec<Vec<u8>> = (0..3)
        .map(|i| format!("From: a@example.org\nSubject: {i}\n\nbody {i}\n").into_bytes())
        .collect();
    super::mailbox::seed(&maildir, &msgs);
    let script = recipe("mail-fetch").replace(
        "ann@mail.example.com",
        &format!("{user}@{}", c["FERRY_POP3S"]),
    );
    let (home, path) = shell_env();
    std::fs::write(
        home.path().join(".netrc"),
        format!("machine 127.0.0.1 login {user} password {password}\n"),
    )
    .unwrap();
    for run in 1..=2 {
        let r = sh(&script, home.path(), &path, &c);
        assert_code(&r, 0);
        assert_eq!(r.stderr, "", "run {run}: silent on success");
    }
    // The second run found nothing new: each message once.
    assert_eq!(maildir_messages(&home.path().join("Maildir")).len(), 3);
}

#[test]
#[cfg_attr(
    not(ferry_interop_postfix),
    ignore = "Postfix is not running (tests/interop/start.sh)"
)]
fn readme_sendmail_relay_recipe() {
    let Some(c) = super::server("postfix") else {
        return;
    };
    let subject = format!("backup done {}", std::process::id());
    let script = recipe("sendmail-relay")
        .replace(
            "smtp://mail.example.com",
            &format!("smtp://{}", c["FERRY_SMTP_SUBMISSION"]),
        )
        .replace(
            "user = \"ann\"",
            &format!("user = \"{}\"", c["FERRY_SMTP_USER"]),
        )
        .replace("backup done", &subject);
    let (home, path) = shell_env();
    std::fs::write(
        home.path().join(".mail-password"),
        &c["FERRY_SMTP_PASSWORD"],
    )
    .unwrap();
    let r = sh(&script, home.path(), &path, &c);
    assert_code(&r, 0);
    assert_eq!(r.stderr, "", "silent on success");
    let maildir = Path::new(&c["FERRY_POSTFIX_MAILDIR"]);
    let found = wait_until(std::time::Duration::from_secs(20), || {
        maildir_messages(maildir)
            .iter()
            .any(|m| String::from_utf8_lossy(m).contains(&subject))
    });
    assert!(found, "the relayed message reached Postfix's mailbox");
}
