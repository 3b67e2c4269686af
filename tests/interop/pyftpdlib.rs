//! The mirrors against the real pyftpdlib (tests/interop/pyftpdlib): a third FTP implementation, with
//! MLSD and MFMT like ProFTPD but facts that must be asked for (OPTS MLST turns on its `unix.mode`) and
//! modes written in Python's `0o640` form.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use crate::support::*;

fn cfg() -> Option<HashMap<String, String>> {
    super::server("pyftpdlib")
}

/// A fresh directory `name` in pyftpdlib's home, and its ftp:// URL (with a final `/`).
fn remote_dir(c: &HashMap<String, String>, name: &str) -> (PathBuf, String) {
    let rel = format!("{name}-{}", std::process::id());
    let p = Path::new(&c["FERRY_PYFTPDLIB_HOME"]).join(&rel);
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    let url = format!("ftp://ferry:ferry-secret@{}/{rel}/", c["FERRY_PYFTPDLIB"]);
    (p, url)
}

#[test]
#[cfg_attr(
    not(ferry_interop_pyftpdlib),
    ignore = "pyftpdlib is not running: tests/interop/start.sh starts it"
)]
fn mirror_both_ways_keeps_times_modes_and_odd_names_and_then_moves_nothing() {
    let Some(c) = cfg() else { return };
    let (remote, base) = remote_dir(&c, "mirror");
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("tree");
    let t0 = 1_600_000_001;
    let files = [
        ("a", &b"1111"[..]),
        (".htaccess", b"deny"),
        ("sub/b", b"bbbb"),
        ("sub/private", b"pp"),
        ("odd/a b [x]*?", b"odd"),
        ("odd/\u{fc}n\u{ef}", b"utf8"),
    ];
    for (i, (name, body)) in files.into_iter().enumerate() {
        write_at(
            &local.join(name),
            body,
            UNIX_EPOCH + Duration::from_secs(t0 + i as u64),
        );
    }
    chmod(&local.join("sub/private"), 0o600);
    let r = run_in(work.path(), "ftp-put", &["-R", "tree", &base], &[]);
    assert_code(&r, 0);
    assert_eq!(tree_of(&remote.join("tree")), tree_of(&local));
    assert_eq!(mode_of(&remote.join("tree/sub/private")), 0o600);
    let tree_url = format!("{base}tree/");
    let get = ["-R", "--json", "-O", "down", &tree_url];
    let r = run_in(work.path(), "ftp-get", &get, &[]);
    assert_code(&r, 0);
    let down = work.path().join("down/tree");
    assert_eq!(tree_of(&down), tree_of(&local));
    // The mode came from MLSD's unix.mode, which pyftpdlib gives only when asked for.
    assert_eq!(mode_of(&down.join("sub/private")), 0o600);
    // Nothing changed: nothing moves either way.
    let r = run_in(work.path(), "ftp-get", &get, &[]);
    assert_code(&r, 0);
    assert_eq!(transferred(&r), 0, "{}", r.stdout_str());
    let put = ["-R", "--json", "--delete", "tree", &base];
    let r = run_in(work.path(), "ftp-put", &put, &[]);
    assert_code(&r, 0);
    assert_eq!(transferred(&r), 0, "{}", r.stdout_str());
    // A same-size change one second later and a removal, mirrored up.
    write_at(
        &local.join("a"),
        b"2222",
        UNIX_EPOCH + Duration::from_secs(t0 + 1),
    );
    std::fs::remove_file(local.join("odd/a b [x]*?")).unwrap();
    let r = run_in(work.path(), "ftp-put", &put, &[]);
    assert_code(&r, 0);
    assert_eq!(transferred(&r), 2, "{}", r.stdout_str());
    assert_eq!(tree_of(&remote.join("tree")), tree_of(&local));
    // And down, with --delete.
    let r = run_in(
        work.path(),
        "ftp-get",
        &["-R", "--delete", "-O", "down", &tree_url],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(tree_of(&down), tree_of(&local));
    // With -c too, a same-size change goes whole both ways (the length alone would call it complete).
    write_at(
        &local.join("a"),
        b"3333",
        UNIX_EPOCH + Duration::from_secs(t0 + 100),
    );
    let r = run_in(work.path(), "ftp-put", &["-R", "-c", "tree", &base], &[]);
    assert_code(&r, 0);
    assert_eq!(tree_of(&remote.join("tree")), tree_of(&local));
    write_at(
        &remote.join("tree/a"),
        b"4444",
        UNIX_EPOCH + Duration::from_secs(t0 + 200),
    );
    let r = run_in(
        work.path(),
        "ftp-get",
        &["-R", "-c", "-O", "down", &tree_url],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(tree_of(&down), tree_of(&remote.join("tree")));
    assert_eq!(std::fs::read(down.join("a")).unwrap(), b"4444");
    // The whole tree removed again, dotfile and all.
    let r = run_in(work.path(), "ftp-rm", &["-r", &tree_url], &[]);
    assert_code(&r, 0);
    assert!(!remote.join("tree").exists());
    let _ = std::fs::remove_dir_all(&remote);
}

#[test]
#[cfg_attr(
    not(ferry_interop_pyftpdlib),
    ignore = "pyftpdlib is not running: tests/interop/start.sh starts it"
)]
fn put_of_dot_into_a_directory_url_mirrors_the_contents_there_as_cp_would() {
    let Some(c) = cfg() else { return };
    let (remote, base) = remote_dir(&c, "dot");
    let work = tempfile::tempdir().unwrap();
    let t = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    write_at(&work.path().join("a"), b"a", t);
    write_at(&work.path().join("sub/b"), b"b", t);
    let r = run_in(work.path(), "ftp-put", &["-R", ".", &base], &[]);
    assert_code(&r, 0);
    assert_eq!(tree_of(&remote), tree_of(work.path()));
    // `..` has no name to give it under the URL: a usage error, nothing sent.
    let r = run_in(
        &work.path().join("sub"),
        "ftp-put",
        &["-R", "..", &base],
        &[],
    );
    assert_code(&r, 2);
    assert!(r.stderr.contains("no name to give it"), "{}", r.stderr);
    let _ = std::fs::remove_dir_all(&remote);
}
