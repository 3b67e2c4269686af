//! imap-fetch / imap-mailbox against the real Dovecot (IMAP and IMAPS on loopback). Each test makes its own
//! user (appended to the passwd-file Dovecot rereads) with a freshly seeded Maildir, so tests — also those
//! of other test processes — share the server but never a mailbox.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::*;

pub(super) fn cfg() -> Option<HashMap<String, String>> {
    super::server("dovecot")
}

/// A Dovecot user with a Maildir.
pub(super) struct User {
    name: String,
    pub(super) home: PathBuf,
    uid: u32,
    gid: u32,
}

impl User {
    /// A fresh user `imap-NAME-PID` (password `imap-NAME-PID-pw`) with an empty INBOX and, when given,
    /// folders. The process id keeps the suites of several checkouts run at once against the one Dovecot
    /// apart: with a shared name, one suite's `User::new` emptied and reseeded the mailbox another was
    /// fetching from (the kill -9 test then found messages left in INBOX, or stored twice).
    pub(super) fn new(c: &HashMap<String, String>, name: &str, folders: &[&str]) -> User {
        let name = format!("imap-{name}-{}", std::process::id());
        let home = Path::new(&c["FERRY_DOVECOT_MAIL"]).join(&name);
        let _ = std::fs::remove_dir_all(&home);
        let mut dirs = vec![home.join("Maildir")];
        dirs.extend(
            folders
                .iter()
                .map(|f| home.join("Maildir").join(format!(".{f}"))),
        );
        for d in &dirs {
            for sub in ["new", "cur", "tmp"] {
                std::fs::create_dir_all(d.join(sub)).unwrap();
            }
        }
        super::mailbox::add_user(c, &name, &format!("{name}-pw"), &home);
        let u = User {
            name,
            home,
            uid: c["FERRY_DOVECOT_UID"].parse().unwrap(),
            gid: c["FERRY_DOVECOT_GID"].parse().unwrap(),
        };
        u.chown();
        u.wait_for_login(c);
        u
    }

    /// The user's passwd-file is new, so Dovecot reads it at the first login; this only checks that
    /// the login works before a test relies on it.
    fn wait_for_login(&self, c: &HashMap<String, String>) {
        let (r, _d) = run("imap-mailbox", &[&self.url(c, false, ""), "list", "-q"]);
        assert_eq!(
            r.code, 0,
            "Dovecot refuses the new user {}: {}",
            self.name, r.stderr
        );
    }

    fn chown(&self) {
        let st = std::process::Command::new("chown")
            .arg("-R")
            .arg(format!("{}:{}", self.uid, self.gid))
            .arg(&self.home)
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// Puts `messages` into `folder` (None: INBOX) as new mail.
    pub(super) fn seed(&self, folder: Option<&str>, messages: &[Vec<u8>], tag: &str) {
        let dir = match folder {
            None => self.home.join("Maildir/new"),
            Some(f) => self.home.join(format!("Maildir/.{f}/new")),
        };
        for (i, m) in messages.iter().enumerate() {
            std::fs::write(dir.join(format!("{tag}{i:05}.seed")), m).unwrap();
        }
        self.chown();
    }

    pub(super) fn url(&self, c: &HashMap<String, String>, tls: bool, path: &str) -> String {
        let (scheme, addr) = if tls {
            ("imaps", &c["FERRY_IMAPS"])
        } else {
            ("imap", &c["FERRY_IMAP"])
        };
        format!("{scheme}://{0}:{0}-pw@{addr}/{path}", self.name)
    }
}

/// `n` messages: plain, RFC 2047 headers with UTF-8 bodies, and multipart with a base64 attachment.
pub(super) fn corpus(n: usize, tag: &str) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let text = match i % 3 {
                0 => format!(
                    "From: a@example.org\nTo: b@example.org\nSubject: plain {tag} {i}\nMessage-ID: <{tag}{i}@x>\n\nHello {i}\n.\nFrom here on\n"
                ),
                1 => format!(
                    "From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.org>\nSubject: =?UTF-8?B?R3LDvMOfZQ==?= {tag} {i}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGrüße, {i} — ünïcødé\n"
                ),
                _ => format!(
                    "From: c@example.org\nSubject: multipart {tag} {i}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\nContent-Type: text/plain\n\nsee attachment {i}\n--b{i}\nContent-Type: application/octet-stream; name=\"a{i}.bin\"\nContent-Transfer-Encoding: base64\n\n{}\n--b{i}--\n",
                    attachment_b64(i)
                ),
            };
            text.into_bytes()
        })
        .collect()
}

fn attachment(i: usize) -> Vec<u8> {
    (0..3000).map(|k| ((k * 7 + i) % 256) as u8).collect()
}

fn attachment_b64(i: usize) -> String {
    use base64::Engine;
    let b = base64::engine::general_purpose::STANDARD.encode(attachment(i));
    b.as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The contents of every file in a Maildir's new/ and cur/, sorted.
pub(super) fn maildir_contents(dir: &Path) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for sub in ["new", "cur"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            v.push(std::fs::read(e.unwrap().path()).unwrap());
        }
    }
    v.sort();
    v
}

pub(super) fn sorted(mut v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    v.sort();
    v
}

pub(super) fn messages_in(c: &HashMap<String, String>, u: &User, mailbox: &str) -> u64 {
    let (r, _d) = run(
        "imap-mailbox",
        &[&u.url(c, false, ""), "status", mailbox, "--json"],
    );
    assert_code(&r, 0);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    doc["messages"].as_u64().unwrap()
}

#[test]
#[cfg_attr(
    not(ferry_interop_dovecot),
    ignore = "dovecot is not running: tests/interop/start.sh starts it"
)]
fn fetch_a_few_hundred_over_imap_imaps_and_starttls() {
    let Some(c) = cfg() else { return };
    let u = User::new(&c, "fetch", &["Archive"]);
    let seeds = corpus(300, "f");
    u.seed(None, &seeds, "f");
    u.seed(Some("Archive"), &corpus(5, "a"), "a");
    // Plain IMAP, into a Maildir, flags untouched.
    let (r, dir) = run(
        "imap-fetch",
        &[&u.url(&c, false, ""), "--maildir", "M", "--json"],
    );
    assert_code(&r, 0);
    assert_eq!(
        maildir_contents(&dir.path().join("M")),
        sorted(seeds.clone())
    );
    let (r, _d) = run("imap-mailbox", &[&u.url(&c, false, ""), "status", "INBOX"]);
    assert!(r.stdout_str().contains("unseen 300"), "{}", r.stdout_str());
    // IMAPS, a search, into .eml files.
    let ca = &c["FERRY_CA"];
    let (r, dir) = run(
        "imap-fetch",
        &[
            &u.url(&c, true, ""),
            "--cacert",
            ca,
            "--search",
            "SUBJECT multipart",
            "--dir",
            "eml",
        ],
    );
    assert_code(&r, 0);
    assert_eq!(names_in(&dir.path().join("eml")).len(), 100);
    // STARTTLS, a folder, non-ASCII search (CHARSET UTF-8 with a literal), mboxrd on stdout.
    let (r, _d) = run(
        "imap-fetch",
        &[
            &u.url(&c, false, "Archive"),
            "--starttls",
            "--cacert",
            ca,
            "--search",
            "SUBJECT \"Grüße\"",
            "--mbox",
            "-",
        ],
    );
    assert_code(&r, 0);
    let out = r.stdout_str();
    assert_eq!(
        out.matches("\nFrom: =?UTF-8?Q?J=C3=BCrgen?=").count(),
        2,
        "{out}"
    );
    // Without a trusted CA, IMAPS fails verification.
    let (r, _d) = run("imap-fetch", &[&u.url(&c, true, "")]);
    assert_code(&r, 4);
}

#[test]
#[cfg_attr(
    not(ferry_interop_dovecot),
    ignore = "dovecot is not running: tests/interop/start.sh starts it"
)]
fn partial_fetches_headers_and_decoded_parts() {
    let Some(c) = cfg() else { return };
    let u = User::new(&c, "partial", &[]);
    let seeds = corpus(3, "p");
    u.seed(None, &seeds, "p");
    let (r, _d) = run(
        "imap-fetch",
        &[
            &u.url(&c, false, ""),
            "--search",
            "SUBJECT multipart",
            "--part",
            "2",
            "--decode",
            "-q",
        ],
    );
    assert_code(&r, 0);
    assert_eq!(r.stdout, attachment(2));
    let (r, _d) = run(
        "imap-fetch",
        &[
            &u.url(&c, false, ""),
            "--headers-only",
            "--search",
            "SUBJECT plain",
            "-q",
        ],
    );
    assert_code(&r, 0);
    let out = r.stdout_str();
    assert!(
        out.starts_with("From: a@example.org\n") && out.ends_with("<p0@x>\n\n"),
        "{out:?}"
    );
}

#[test]
#[cfg_attr(
    not(ferry_interop_dovecot),
    ignore = "dovecot is not running: tests/interop/start.sh starts it"
)]
fn move_delete_and_state_across_runs() {
    let Some(c) = cfg() else { return };
    let u = User::new(&c, "movedelete", &["Done"]);
    let first = corpus(20, "m");
    u.seed(None, &first, "m");
    let dir = tempfile::tempdir().unwrap();
    let url = u.url(&c, false, "");
    let state = dir.path().join("state.json");
    let st = state.to_str().unwrap();
    let r = run_in(
        dir.path(),
        "imap-fetch",
        &[
            &url,
            "--new-only",
            "--state",
            st,
            "--maildir",
            "M",
            "--search",
            "UID 1:5",
            "--move-to",
            "Done",
        ],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(messages_in(&c, &u, "Done"), 5);
    assert_eq!(messages_in(&c, &u, "INBOX"), 15);
    // The next run only sees what is new, and deletes it once stored.
    let r = run_in(
        dir.path(),
        "imap-fetch",
        &[
            &url,
            "--new-only",
            "--state",
            st,
            "--maildir",
            "M",
            "--delete",
            "--batch",
            "4",
        ],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(messages_in(&c, &u, "INBOX"), 0);
    assert_eq!(
        maildir_contents(&dir.path().join("M")),
        sorted(first.clone())
    );
    // New mail arrives; only it is fetched.
    let more = corpus(4, "n");
    u.seed(None, &more, "n");
    let r = run_in(
        dir.path(),
        "imap-fetch",
        &[
            &url,
            "--new-only",
            "--state",
            st,
            "--maildir",
            "M",
            "--json",
        ],
        &[],
    );
    assert_code(&r, 0);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["messages"].as_array().unwrap().len(), 4);
    let mut all = first;
    all.extend(more);
    assert_eq!(maildir_contents(&dir.path().join("M")), sorted(all));
}

#[test]
#[cfg_attr(
    not(ferry_interop_dovecot),
    ignore = "dovecot is not running: tests/interop/start.sh starts it"
)]
fn every_mailbox_command() {
    let Some(c) = cfg() else { return };
    let u = User::new(&c, "mailbox", &[]);
    let url = u.url(&c, false, "");
    let ok = |args: &[&str]| {
        let mut a = vec![url.as_str()];
        a.extend_from_slice(args);
        let (r, _d) = run("imap-mailbox", &a);
        assert_code(&r, 0);
        r.stdout_str()
    };
    ok(&["create", "Projekte.Entwürfe"]);
    let list = ok(&["list"]);
    assert!(
        list.contains("Projekte.Entwürfe\t\\HasNoChildren"),
        "{list}"
    );
    assert!(list.contains("Projekte\t"), "{list}");
    ok(&["rename", "Projekte.Entwürfe", "Projekte.Fertig"]);
    ok(&["subscribe", "Projekte.Fertig"]);
    let st = ok(&["status", "Projekte.Fertig"]);
    assert!(
        st.starts_with("Projekte.Fertig: messages 0 unseen 0"),
        "{st}"
    );
    ok(&["unsubscribe", "Projekte.Fertig"]);
    let json = ok(&["list", "Projekte.*", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["mailboxes"][0]["name"], "Projekte.Fertig");
    ok(&["delete", "Projekte.Fertig"]);
    let (r, _d) = run("imap-mailbox", &[&url, "delete", "Projekte.Fertig"]);
    assert_code(&r, 6);
    let (r, _d) = run(
        "imap-mailbox",
        &[&u.url(&c, false, "").replace("-pw@", "-wrong@"), "list"],
    );
    assert_code(&r, 5);
}

/// kill -9 at random points of `--delete --new-only` into a Maildir; rerunning until a run completes
/// must leave every seeded message there exactly once and the server's INBOX empty.
#[test]
#[cfg_attr(
    not(ferry_interop_dovecot),
    ignore = "dovecot is not running: tests/interop/start.sh starts it"
)]
fn kill_nine_and_rerun_loses_and_duplicates_nothing() {
    let Some(c) = cfg() else { return };
    let u = User::new(&c, "kill9", &[]);
    let seeds = corpus(150, "k");
    u.seed(None, &seeds, "k");
    let dir = tempfile::tempdir().unwrap();
    let url = u.url(&c, false, "");
    let state = dir.path().join("state.json");
    let args = [
        url.as_str(),
        "--new-only",
        "--state",
        state.to_str().unwrap(),
        "--maildir",
        "M",
        "--delete",
        "--batch",
        "10",
        "-q",
    ];
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    let mut kills = 0;
    for _ in 0..40 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        // Short waits until the first kill (a fast machine fetches the whole corpus in under 250 ms,
        // and a run never killed proves nothing), then anywhere in the run.
        let spread = if kills == 0 { 50 } else { 250 };
        let delay = Duration::from_millis(20 + (seed >> 33) % spread);
        let mut child = std::process::Command::new(bin("imap-fetch"))
            .args(args)
            .current_dir(dir.path())
            .env("HOME", dir.path())
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        let st = child.wait().unwrap();
        if st.success() {
            break;
        }
    }
    let r = run_in(dir.path(), "imap-fetch", &args, &[]);
    assert_code(&r, 0);
    assert!(
        kills > 0,
        "the client was never killed; make the corpus bigger"
    );
    assert_eq!(maildir_contents(&dir.path().join("M")), sorted(seeds));
    assert_eq!(messages_in(&c, &u, "INBOX"), 0);
}

/// Issue 17, item 5: a watching imap-fetch (`--idle`) stores a message Dovecot's LDA delivers while it
/// idles, as soon as Dovecot announces it; SIGTERM then ends it with 143 and a complete state.
#[test]
#[cfg_attr(
    not(ferry_interop_dovecot),
    ignore = "dovecot is not running: tests/interop/start.sh starts it"
)]
fn idle_picks_up_a_delivered_message() {
    use std::io::{BufRead, BufReader};
    use std::sync::{Arc, Mutex};
    let Some(c) = cfg() else { return };
    let u = User::new(&c, "idle", &[]);
    u.seed(None, &corpus(1, "before"), "b");
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_in(
        dir.path(),
        "imap-fetch",
        &[
            &u.url(&c, false, ""),
            "--idle",
            "--maildir",
            "M",
            "--new-only",
            "--state",
            "s.json",
            "-v",
        ],
        &[],
        false,
    );
    // The transcript on stderr says when the client idles.
    let log = Arc::new(Mutex::new(String::new()));
    let err = child.stderr.take().unwrap();
    let log2 = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let mut l = log2.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });
    let idling = |n: usize| log.lock().unwrap().matches("< + idling").count() >= n;
    assert!(
        wait_until(Duration::from_secs(20), || idling(1)),
        "{}",
        log.lock().unwrap()
    );
    assert_eq!(maildir_contents(&dir.path().join("M")).len(), 1);
    let msg = b"From: lda@example.org\nSubject: delivered while idling\n\nhello\n".to_vec();
    let mut lda = std::process::Command::new("/usr/lib/dovecot/dovecot-lda")
        .args([
            "-c",
            &format!("{}/../dovecot.conf", c["FERRY_DOVECOT_USERS_DIR"]),
        ])
        .args(["-d", &u.name, "-f", "lda@example.org"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut lda.stdin.take().unwrap(), &msg).unwrap();
    assert!(lda.wait().unwrap().success());
    let delivered = std::time::Instant::now();
    assert!(
        wait_until(Duration::from_secs(20), || {
            maildir_contents(&dir.path().join("M")).len() == 2
        }),
        "{}",
        log.lock().unwrap()
    );
    // A measurement, not an assertion (the machine is shared): Dovecot's EXISTS comes within its
    // notify interval, the fetch right after.
    eprintln!("stored {:?} after delivery", delivered.elapsed());
    assert!(wait_until(Duration::from_secs(20), || idling(2)));
    let (code, _) = signal_and_wait(&mut child, libc::SIGTERM);
    assert_eq!(code, Some(143), "{}", log.lock().unwrap());
    assert!(maildir_contents(&dir.path().join("M")).contains(&msg));
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("s.json")).unwrap()).unwrap();
    assert_eq!(state["last_uid"], 2);
    assert_eq!(names_in(&dir.path().join("M/tmp")), Vec::<String>::new());
}

/// Issue 17, item 4: `--mailbox '*'` fetches every Dovecot folder into Maildir++ subfolders, each with
/// its own state; a second run finds nothing new.
#[test]
#[cfg_attr(
    not(ferry_interop_dovecot),
    ignore = "dovecot is not running: tests/interop/start.sh starts it"
)]
fn a_folder_pattern_fetches_every_folder() {
    let Some(c) = cfg() else { return };
    let u = User::new(&c, "folders", &["Work", "Work.Sub", "Archive"]);
    u.seed(None, &corpus(3, "inbox"), "i");
    u.seed(Some("Work"), &corpus(2, "work"), "w");
    u.seed(Some("Work.Sub"), &corpus(1, "sub"), "s");
    let dir = tempfile::tempdir().unwrap();
    let args = [
        u.url(&c, false, ""),
        "--mailbox".into(),
        "*".into(),
        "--maildir".into(),
        "M".into(),
        "--new-only".into(),
        "--state".into(),
        "s.json".into(),
        "--json".into(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run_in(dir.path(), "imap-fetch", &args, &[]);
    assert_code(&r, 0);
    let m = dir.path().join("M");
    assert_eq!(maildir_contents(&m), sorted(corpus(3, "inbox")));
    assert_eq!(
        maildir_contents(&m.join(".Work")),
        sorted(corpus(2, "work"))
    );
    assert_eq!(
        maildir_contents(&m.join(".Work.Sub")),
        sorted(corpus(1, "sub"))
    );
    assert_eq!(maildir_contents(&m.join(".Archive")), Vec::<Vec<u8>>::new());
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let names: Vec<&str> = doc["mailboxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["mailbox"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Archive", "INBOX", "Work", "Work.Sub"]);
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("s.json")).unwrap()).unwrap();
    assert_eq!(state["mailboxes"].as_array().unwrap().len(), 4);
    // Again: nothing new anywhere.
    let r = run_in(dir.path(), "imap-fetch", &args, &[]);
    assert_code(&r, 0);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    for f in doc["mailboxes"].as_array().unwrap() {
        assert_eq!(f["messages"], serde_json::json!([]), "{f}");
    }
}
