//! imap-fetch --list and imap-message against the real Dovecot (issue 17): envelopes and part trees of a
//! seeded INBOX; flag, copy, move and expire in scratch folders; a Maildir and an mbox uploaded and
//! fetched back byte-identical (after CRLF normalisation) with their flags; kill -9 during an upload,
//! then a rerun: every message exactly once.

use std::path::Path;
use std::time::Duration;

use super::imap::{User, cfg, corpus, messages_in, sorted};
use crate::support::*;

fn list_json(url: &str) -> serde_json::Value {
    let (r, _d) = run("imap-fetch", &[url, "--list", "--json"]);
    assert_code(&r, 0);
    serde_json::from_slice(&r.stdout).unwrap()
}

#[test]
#[cfg_attr(
    not(ferry_interop_dovecot),
    ignore = "dovecot is not running: tests/interop/start.sh starts it"
)]
fn list_shows_envelopes_and_parts_of_the_seeded_inbox() {
    let Some(c) = cfg() else { return };
    let u = User::new(&c, "list", &[]);
    u.seed(None, &corpus(6, "l"), "l");
    let doc = list_json(&u.url(&c, false, ""));
    let m = doc["messages"].as_array().unwrap();
    assert_eq!(m.len(), 6);
    assert_eq!(m[0]["envelope"]["subject"], "plain l 0");
    assert_eq!(m[0]["envelope"]["message_id"], "<l0@x>");
    assert_eq!(m[1]["envelope"]["subject"], "Grüße l 1");
    assert_eq!(m[1]["envelope"]["from"][0]["name"], "Jürgen");
    assert_eq!(m[1]["envelope"]["from"][0]["email"], "j@example.org");
    assert_eq!(m[2]["structure"]["content_type"], "multipart/mixed");
    assert_eq!(m[2]["structure"]["parts"][1]["filename"], "a2.bin");
    assert_eq!(m[2]["structure"]["parts"][1]["path"], "2");
    assert!(m[2]["size"].as_u64().unwrap() > 4000);
    let (r, _d) = run(
        "imap-fetch",
        &[&u.url(&c, false, ""), "--list", "--search", "SUBJECT Grüße"],
    );
    assert_code(&r, 0);
    let out = r.stdout_str();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let cols: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(cols.len(), 6);
    assert_eq!(cols[0], "2");
    assert_eq!(cols[4], "Jürgen <j@example.org>");
    assert_eq!(cols[5], "Grüße l 1");
}

#[test]
#[cfg_attr(
    not(ferry_interop_dovecot),
    ignore = "dovecot is not running: tests/interop/start.sh starts it"
)]
fn flag_copy_move_and_expire_in_a_scratch_folder() {
    let Some(c) = cfg() else { return };
    let u = User::new(&c, "act", &["Scratch", "Dest"]);
    u.seed(Some("Scratch"), &corpus(6, "s"), "s");
    // Two messages arrived long ago (Dovecot's INTERNALDATE of a Maildir file is its mtime).
    for i in [4, 5] {
        let f = u_path(&u, &format!("Maildir/.Scratch/new/s{i:05}.seed"));
        let st = std::process::Command::new("touch")
            .args(["-d", "2001-01-01"])
            .arg(&f)
            .status()
            .unwrap();
        assert!(st.success());
    }
    let scratch = u.url(&c, false, "Scratch");
    let (r, _d) = run(
        "imap-message",
        &[
            &scratch,
            "flag",
            "\\Flagged",
            "$Todo",
            "--uid",
            "1:3",
            "--json",
        ],
    );
    assert_code(&r, 0);
    let doc = list_json(&scratch);
    let flags: Vec<String> = doc["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["flags"].to_string())
        .collect();
    assert!(
        flags[0].contains("\\\\Flagged") && flags[0].contains("$Todo"),
        "{flags:?}"
    );
    assert!(!flags[3].contains("Flagged"));
    let (r, _d) = run("imap-message", &[&scratch, "unflag", "$Todo", "--uid", "1"]);
    assert_code(&r, 0);
    let (r, _d) = run(
        "imap-message",
        &[&scratch, "copy", "Dest", "--uid", "1", "--json"],
    );
    assert_code(&r, 0);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["messages"][0]["dest_uid"], 1);
    assert_eq!(messages_in(&c, &u, "Dest"), 1);
    // A dry run changes nothing.
    let (r, _d) = run(
        "imap-message",
        &[&scratch, "move", "Dest", "--uid", "2:3", "--dry-run"],
    );
    assert_code(&r, 0);
    assert_eq!(
        r.stdout_str(),
        "would move to Dest UID 2\nwould move to Dest UID 3\n"
    );
    assert_eq!(messages_in(&c, &u, "Scratch"), 6);
    let (r, _d) = run(
        "imap-message",
        &[&scratch, "move", "Dest", "--uid", "2:3", "--json"],
    );
    assert_code(&r, 0);
    assert_eq!(messages_in(&c, &u, "Scratch"), 4);
    assert_eq!(messages_in(&c, &u, "Dest"), 3);
    // Other clients' \Deleted mail stays: UID EXPUNGE removes only what expire chose.
    let (r, _d) = run(
        "imap-message",
        &[&scratch, "flag", "\\Deleted", "--uid", "1"],
    );
    assert_code(&r, 0);
    let (r, _d) = run(
        "imap-message",
        &[&scratch, "expire", "--older-than", "30", "--json"],
    );
    assert_code(&r, 0);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let uids: Vec<u64> = doc["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["uid"].as_u64().unwrap())
        .collect();
    assert_eq!(uids, vec![5, 6]);
    assert_eq!(messages_in(&c, &u, "Scratch"), 2);
    let doc = list_json(&scratch);
    let left: Vec<u64> = doc["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["uid"].as_u64().unwrap())
        .collect();
    assert_eq!(left, vec![1, 4]);
}

fn u_path(u: &User, rel: &str) -> std::path::PathBuf {
    u.home.join(rel)
}

/// Writes `msgs` as a local Maildir under `dir` (flags S on even ones, F on every third).
fn local_maildir(dir: &Path, msgs: &[Vec<u8>]) -> std::path::PathBuf {
    let md = dir.join("src-maildir");
    for d in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(d)).unwrap();
    }
    for (i, m) in msgs.iter().enumerate() {
        let mut info = String::new();
        if i % 3 == 0 {
            info.push('F');
        }
        if i % 2 == 0 {
            info.push('S');
        }
        std::fs::write(md.join(format!("cur/{i:05}.x.host:2,{info}")), m).unwrap();
    }
    md
}

/// Writes `msgs` as an mboxrd file (>From quoting, blank line after each).
fn local_mbox(path: &Path, msgs: &[Vec<u8>]) {
    let mut out = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        out.extend_from_slice(
            format!(
                "From sender@example.org Mon Jan  {} 10:00:00 2024\n",
                i % 9 + 1
            )
            .as_bytes(),
        );
        if i % 2 == 0 {
            out.extend_from_slice(b"Status: RO\n");
        }
        for line in m.split_inclusive(|&b| b == b'\n') {
            let q = line.iter().take_while(|&&b| b == b'>').count();
            if line[q..].starts_with(b"From ") {
                out.push(b'>');
            }
            out.extend_from_slice(line);
        }
        out.push(b'\n');
    }
    std::fs::write(path, out).unwrap();
}

fn fetch_back(url: &str) -> Vec<Vec<u8>> {
    let (r, d) = run("imap-fetch", &[url, "--dir", "back"]);
    assert_code(&r, 0);
    let mut v = contents_in(&d.path().join("back"));
    v.sort();
    v
}

#[test]
#[cfg_attr(
    not(ferry_interop_dovecot),
    ignore = "dovecot is not running: tests/interop/start.sh starts it"
)]
fn append_a_maildir_and_an_mbox_and_fetch_them_back() {
    let Some(c) = cfg() else { return };
    let u = User::new(&c, "append", &["Up1", "Up2"]);
    let dir = tempfile::tempdir().unwrap();
    let md_msgs = corpus(20, "m");
    let md = local_maildir(dir.path(), &md_msgs);
    let state = dir.path().join("up1.json");
    let up1 = u.url(&c, false, "Up1");
    let (r, _d) = run(
        "imap-message",
        &[
            &up1,
            "append",
            md.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--json",
        ],
    );
    assert_code(&r, 0);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["messages"].as_array().unwrap().len(), 20);
    assert_eq!(doc["messages"][19]["uid"], 20, "APPENDUID recorded");
    assert_eq!(fetch_back(&up1), sorted(md_msgs.clone()));
    let listed = list_json(&up1);
    let m = listed["messages"].as_array().unwrap();
    let f0 = m[0]["flags"].to_string();
    assert!(
        f0.contains("\\\\Seen") && f0.contains("\\\\Flagged"),
        "{f0}"
    );
    assert!(!m[1]["flags"].to_string().contains("Seen"));
    // Run again: nothing new.
    let (r, _d) = run(
        "imap-message",
        &[
            &up1,
            "append",
            md.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ],
    );
    assert_code(&r, 0);
    assert_eq!(messages_in(&c, &u, "Up1"), 20);
    // An mbox with >From quoting and Status headers.
    let mb_msgs = corpus(10, "x");
    let mbox = dir.path().join("old.mbox");
    local_mbox(&mbox, &mb_msgs);
    let up2 = u.url(&c, false, "Up2");
    let (r, _d) = run("imap-message", &[&up2, "append", mbox.to_str().unwrap()]);
    assert_code(&r, 0);
    let back = fetch_back(&up2);
    let want: Vec<Vec<u8>> = sorted(
        mb_msgs
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let mut v = if i % 2 == 0 {
                    b"Status: RO\n".to_vec()
                } else {
                    Vec::new()
                };
                v.extend_from_slice(m);
                v
            })
            .collect(),
    );
    assert_eq!(back, want);
    let listed = list_json(&up2);
    let m = listed["messages"].as_array().unwrap();
    assert!(m[0]["flags"].to_string().contains("Seen"));
    assert!(
        m[0]["internal_date"]
            .as_str()
            .unwrap()
            .starts_with("01-Jan-2024 10:00:00"),
        "{}",
        m[0]["internal_date"]
    );
}

/// kill -9 at random points of an incremental upload; rerunning until a run completes must leave every
/// message in the mailbox exactly once.
#[test]
#[cfg_attr(
    not(ferry_interop_dovecot),
    ignore = "dovecot is not running: tests/interop/start.sh starts it"
)]
fn kill_nine_during_append_and_rerun_loses_and_duplicates_nothing() {
    let Some(c) = cfg() else { return };
    let u = User::new(&c, "appendkill", &["Up"]);
    let dir = tempfile::tempdir().unwrap();
    let msgs: Vec<Vec<u8>> = corpus(300, "k")
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let mut v = format!("Message-ID: <append-k{i}@x>\n").into_bytes();
            if i % 3 != 0 {
                v.extend_from_slice(&m);
            } else {
                // corpus already has a Message-ID on these: replace ours.
                v = m;
            }
            v
        })
        .collect();
    let md = local_maildir(dir.path(), &msgs);
    let state = dir.path().join("state.json");
    let url = u.url(&c, false, "Up");
    let args = [
        url.as_str(),
        "append",
        md.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
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
        // A whole run takes ~190 ms here: until a kill has landed, kill well within one (a first run
        // that finished before its kill left nothing to test, and the test failed now and then).
        let span = if kills == 0 { 100 } else { 200 };
        let delay = Duration::from_millis(10 + (seed >> 33) % span);
        let mut child = std::process::Command::new(bin("imap-message"))
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
        if child.wait().unwrap().success() {
            break;
        }
    }
    let r = run_in(dir.path(), "imap-message", &args, &[]);
    assert_code(&r, 0);
    assert!(
        kills > 0,
        "the client was never killed; make the corpus bigger"
    );
    assert_eq!(messages_in(&c, &u, "Up"), 300);
    assert_eq!(fetch_back(&url), sorted(msgs));
}
