//! The mirror's change detection and `-c`'s digest checks against the real ProFTPD (tests/interop/proftpd):
//! the server vsftpd is not, with MLSD's exact times, MFMT, HASH and XMD5 with a range.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support::*;

fn cfg() -> Option<HashMap<String, String>> {
    super::server("proftpd")
}

/// A fresh directory `name` in ProFTPD's home for user `ferry`, and its ftp:// URL (with a final `/`).
fn remote_dir(c: &HashMap<String, String>, name: &str) -> (PathBuf, String) {
    let home = Path::new(&c["FERRY_PROFTPD_HOME"]);
    let rel = format!("{name}-{}", std::process::id());
    let p = home.join(&rel);
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    chown(&p);
    let url = format!("ftp://ferry:ferry-secret@{}/{rel}/", c["FERRY_PROFTPD"]);
    (p, url)
}

/// Gives `path` (recursively) to the server's user, as files the server wrote would be.
fn chown(path: &Path) {
    let ok = Command::new("chown")
        .args(["-R", "ferry:"])
        .arg(path)
        .status()
        .unwrap();
    assert!(ok.success());
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
#[cfg_attr(
    not(ferry_interop_proftpd),
    ignore = "proftpd is not running: tests/interop/start.sh starts it"
)]
fn mirror_both_ways_keeps_exact_times_and_catches_a_one_second_same_size_change() {
    let Some(c) = cfg() else { return };
    let (remote, base) = remote_dir(&c, "mirror");
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("tree");
    let t0 = 1_600_000_001;
    for (i, (name, body)) in [
        ("a", &b"1111"[..]),
        (".htaccess", b"deny"),
        ("sub/b", b"bbbb"),
        ("sub/c", b"cc"),
    ]
    .into_iter()
    .enumerate()
    {
        write_at(&local.join(name), body, at(t0 + i as u64));
    }
    chmod(&local.join("sub/c"), 0o750);
    // Up: MFMT gives every remote file the local time, to the second.
    let r = run_in(work.path(), "ftp-put", &["-R", "tree", &base], &[]);
    assert_code(&r, 0);
    assert_eq!(tree_of(&remote.join("tree")), tree_of(&local));
    // Down: MLSD's exact times, set locally.
    let tree_url = format!("{base}tree/");
    let r = run_in(
        work.path(),
        "ftp-get",
        &["-R", "-O", "down", &tree_url],
        &[],
    );
    assert_code(&r, 0);
    let down = work.path().join("down/tree");
    assert_eq!(tree_of(&down), tree_of(&local));
    // Modes both ways: SITE CHMOD up, MLSD's UNIX.mode down (this umask leaves 0750 as it is).
    assert_eq!(mode_of(&remote.join("tree/sub/c")), 0o750);
    assert_eq!(mode_of(&down.join("sub/c")) & 0o700, 0o700);
    // Nothing changed: nothing moves either way.
    let r = run_in(
        work.path(),
        "ftp-put",
        &["-R", "--json", "tree", &base],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(transferred(&r), 0, "{}", r.stdout_str());
    let get = ["-R", "--json", "-O", "down", &tree_url];
    let r = run_in(work.path(), "ftp-get", &get, &[]);
    assert_code(&r, 0);
    assert_eq!(transferred(&r), 0, "{}", r.stdout_str());
    // On the server, a same-size change one second later: only that file comes down.
    write_at(&remote.join("tree/sub/b"), b"BBBB", at(t0 + 3));
    chown(&remote.join("tree/sub/b"));
    let r = run_in(work.path(), "ftp-get", &get, &[]);
    assert_code(&r, 0);
    assert_eq!(transferred(&r), 1, "{}", r.stdout_str());
    assert_eq!(tree_of(&down), tree_of(&remote.join("tree")));
    // Locally, a same-size change one second later and a removal: mirrored up with --delete.
    write_at(&local.join("a"), b"2222", at(t0 + 1));
    std::fs::remove_file(local.join("sub/c")).unwrap();
    write_at(&local.join("sub/b"), b"BBBB", at(t0 + 3));
    let r = run_in(
        work.path(),
        "ftp-put",
        &["-R", "--json", "--delete", "tree", &base],
        &[],
    );
    assert_code(&r, 0);
    // `a` uploaded and `sub/c` deleted; `sub/b` (already the same) skipped.
    assert_eq!(transferred(&r), 2, "{}", r.stdout_str());
    assert!(r.stdout_str().contains("unchanged (same size and time)"));
    assert_eq!(tree_of(&remote.join("tree")), tree_of(&local));
    let _ = std::fs::remove_dir_all(&remote);
}

#[test]
#[cfg_attr(
    not(ferry_interop_proftpd),
    ignore = "proftpd is not running: tests/interop/start.sh starts it"
)]
fn resume_both_ways_appends_only_onto_bytes_the_servers_digest_confirms() {
    let Some(c) = cfg() else { return };
    let (remote, base) = remote_dir(&c, "resume");
    let work = tempfile::tempdir().unwrap();
    let whole = bytes(200_000, 7);
    let other = bytes(80_000, 99);
    let future = SystemTime::now() + Duration::from_secs(86_400);
    // Up: a remote part that is the local file's start is continued (HASH confirms it) ...
    write_at(&work.path().join("f"), &whole, at(1_600_000_000));
    write_at(&remote.join("f"), &whole[..80_000], future);
    chown(&remote);
    let r = run_in(work.path(), "ftp-put", &["-c", "f", &base], &[]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(remote.join("f")).unwrap(), whole);
    // ... and one that is not (though newer than the local file) is replaced, not appended to.
    write_at(&remote.join("f"), &other, future);
    chown(&remote);
    let r = run_in(work.path(), "ftp-put", &["-c", "f", &base], &[]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(remote.join("f")).unwrap(), whole);
    // Down: the same with XMD5 of the remote file's first bytes.
    write_at(&remote.join("g"), &whole, at(1_600_000_000));
    chown(&remote);
    write_at(&work.path().join("g"), &whole[..80_000], future);
    let url = format!("{base}g");
    let r = run_in(work.path(), "ftp-get", &["-c", &url], &[]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(work.path().join("g")).unwrap(), whole);
    write_at(&work.path().join("g"), &other, future);
    let r = run_in(work.path(), "ftp-get", &["-c", &url], &[]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(work.path().join("g")).unwrap(), whole);
    let _ = std::fs::remove_dir_all(&remote);
}

/// ProFTPD's MLSD names a symlink `type=OS.unix=symlink` (not RFC 3659's `slink`): a mirror skips it
/// (it was fetched with RETR, "550 Not a regular file", and every run failed with exit 10), and a link
/// back up the tree is no loop.
#[test]
#[cfg_attr(
    not(ferry_interop_proftpd),
    ignore = "proftpd is not running: tests/interop/start.sh starts it"
)]
fn mirror_skips_symlinks_as_proftpd_lists_them() {
    let Some(c) = cfg() else { return };
    let (remote, base) = remote_dir(&c, "links");
    std::fs::create_dir_all(remote.join("t/a")).unwrap();
    std::fs::write(remote.join("t/a/f"), b"real").unwrap();
    std::os::unix::fs::symlink("..", remote.join("t/a/up")).unwrap();
    std::os::unix::fs::symlink(remote.join("t"), remote.join("t/abs")).unwrap();
    std::os::unix::fs::symlink("a/f", remote.join("t/file-link")).unwrap();
    chown(&remote);
    let work = tempfile::tempdir().unwrap();
    let r = run_in(
        work.path(),
        "ftp-get",
        &["-R", "--json", &format!("{base}t/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(
        r.stdout_str().matches("symlink (not followed)").count(),
        3,
        "{}",
        r.stdout_str()
    );
    assert_eq!(names_in(&work.path().join("t")), ["a"]);
    assert_eq!(names_in(&work.path().join("t/a")), ["f"]);
    let _ = std::fs::remove_dir_all(&remote);
}

/// ProFTPD with `ShowSymlinks off` (the second port) lists a symlink as what it points to: a link back
/// up the tree is a `type=dir` whose MLSD `unique` fact is an ancestor's. The mirror takes it for the
/// link it is; it walked the loop 64 levels deep (4285 local entries for a 3-entry tree, exit 10).
#[test]
#[cfg_attr(
    not(ferry_interop_proftpd),
    ignore = "proftpd is not running: tests/interop/start.sh starts it"
)]
fn mirror_does_not_walk_a_loop_a_server_lists_as_directories() {
    let Some(c) = cfg() else { return };
    let (remote, base) = remote_dir(&c, "loop");
    std::fs::create_dir_all(remote.join("t/a/b")).unwrap();
    std::fs::write(remote.join("t/a/f"), b"f").unwrap();
    std::os::unix::fs::symlink("..", remote.join("t/a/up")).unwrap();
    std::os::unix::fs::symlink("../../a", remote.join("t/a/b/back")).unwrap();
    chown(&remote);
    let base = base.replace(&c["FERRY_PROFTPD"], &c["FERRY_PROFTPD_LINKS_AS_TARGETS"]);
    let work = tempfile::tempdir().unwrap();
    let r = run_in(
        work.path(),
        "ftp-get",
        &["-R", "--json", &format!("{base}t/")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(
        r.stdout_str().matches("symlink (not followed)").count(),
        2,
        "{}",
        r.stdout_str()
    );
    assert_eq!(names_in(&work.path().join("t")), ["a"]);
    assert_eq!(names_in(&work.path().join("t/a")), ["b", "f"]);
    assert!(names_in(&work.path().join("t/a/b")).is_empty());
    let _ = std::fs::remove_dir_all(&remote);
}
