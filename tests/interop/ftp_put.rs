//! ftp-put, and recursive / parallel ftp-get, against the real vsftpd (local user `ferry`, writable home):
//! plain, explicit FTPS with require_ssl_reuse=YES (TLS 1.2 and 1.3) and implicit FTPS.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::support::*;

pub(super) fn cfg() -> Option<HashMap<String, String>> {
    super::server("vsftpd")
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string()
}

/// A fresh, empty directory `name` in the user's home on the server, and its local path.
pub(super) fn remote_dir(c: &HashMap<String, String>, name: &str) -> PathBuf {
    let p = Path::new(&c["FERRY_FTP_HOME"]).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    let _ = Command::new("chown")
        .args(["-R", "ferry:", p.to_str().unwrap()])
        .status();
    p
}

pub(super) fn url(c: &HashMap<String, String>, key: &str, scheme: &str, path: &Path) -> String {
    let home = Path::new(&c["FERRY_FTP_HOME"]);
    let rel = path.strip_prefix(home).unwrap().to_str().unwrap();
    format!(
        "{scheme}://ferry:{}@{}/{rel}/",
        c["FERRY_FTP_PASSWORD"], c[key]
    )
}

fn random_file(path: &Path, len: usize) {
    let mut f = std::fs::File::create(path).unwrap();
    let mut x: u64 = len as u64 ^ 0x9e3779b97f4a7c15;
    let mut buf = Vec::with_capacity(1 << 16);
    let mut left = len;
    while left > 0 {
        buf.clear();
        while buf.len() < (1 << 16).min(left) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf.push(x as u8);
        }
        f.write_all(&buf).unwrap();
        left -= buf.len();
    }
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn put_plain_explicit_and_implicit_ftps_with_session_reuse() {
    let Some(c) = cfg() else { return };
    let local = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for i in 0..6 {
        let n = format!("f{i}.bin");
        random_file(&local.path().join(&n), 1000 * i + 100_000);
        names.push(n);
    }
    let ca = c["FERRY_CA"].clone();
    let variants: [(&str, &str, Vec<&str>); 4] = [
        ("plain", "FERRY_FTP_PLAIN", vec![]),
        (
            "tls12",
            "FERRY_FTP_EXPLICIT",
            vec!["--starttls", "--tls-max", "1.2"],
        ),
        (
            "tls13",
            "FERRY_FTP_EXPLICIT",
            vec!["--starttls", "--tls-min", "1.3"],
        ),
        ("implicit", "FERRY_FTP_IMPLICIT", vec![]),
    ];
    for (label, key, flags) in variants {
        let dir = remote_dir(&c, &format!("put-{label}"));
        let scheme = if label == "implicit" { "ftps" } else { "ftp" };
        let mut args: Vec<String> = vec!["-v".into(), "--cacert".into(), ca.clone()];
        args.extend(flags.iter().map(|s| s.to_string()));
        args.extend(names.iter().cloned());
        args.push(url(&c, key, scheme, &dir));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run_in(local.path(), "ftp-put", &argv, &[]);
        assert_code(&r, 0);
        for n in &names {
            assert_eq!(
                sha256(&dir.join(n)),
                sha256(&local.path().join(n)),
                "{label} {n}"
            );
        }
        if label != "plain" {
            assert_eq!(
                r.stderr
                    .matches("data connection: TLS session resumed")
                    .count(),
                6,
                "{label}: every data connection resumes the control session\n{}",
                r.stderr
            );
        }
    }
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn append_chmod_and_delete_after() {
    let Some(c) = cfg() else { return };
    let dir = remote_dir(&c, "append");
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("log"), b"one\n").unwrap();
    let u = url(&c, "FERRY_FTP_PLAIN", "ftp", &dir);
    let r = run_in(local.path(), "ftp-put", &["--chmod", "600", "log", &u], &[]);
    assert_code(&r, 0);
    std::fs::write(local.path().join("log"), b"two\n").unwrap();
    let r = run_in(
        local.path(),
        "ftp-put",
        &["--append", "--delete-after", "log", &u],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.join("log")).unwrap(), b"one\ntwo\n");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.join("log"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(!local.path().join("log").exists(), "deleted after the 226");
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn resume_after_a_cut_connection_matches_sha256() {
    let Some(c) = cfg() else { return };
    let dir = remote_dir(&c, "resume");
    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("big.bin");
    random_file(&file, 40 << 20);
    // Written a minute ago: -c resumes only a remote part written after the file last changed, and
    // the cut below may come within the file's own second.
    set_mtime(&file, SystemTime::now() - Duration::from_secs(60));
    let full = std::fs::read(&file).unwrap();
    let u = format!("{}big.bin", url(&c, "FERRY_FTP_EXPLICIT", "ftp", &dir));
    // Upload from a pipe that stalls after 7 MiB, then kill the client: a real cut mid-transfer.
    let mut child = Command::new(bin("ftp-put"))
        .args(["-q", "--starttls", "--cacert", &c["FERRY_CA"], "-", &u])
        .env("HOME", local.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(&full[..7 << 20]).unwrap();
    let server_file = dir.join("big.bin");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(&server_file).map_or(0, |m| m.len()) < 6 << 20 {
        assert!(Instant::now() < deadline, "upload never reached the server");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(pipe);
    // Wait for vsftpd to finish writing what it got.
    let mut last = u64::MAX;
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = std::fs::metadata(&server_file).unwrap().len();
        if now == last {
            break;
        }
        last = now;
    }
    assert!(last < full.len() as u64, "the cut left a partial file");
    assert_eq!(
        std::fs::read(&server_file).unwrap(),
        full[..last as usize],
        "the partial file is a prefix"
    );
    let r = run_in(
        local.path(),
        "ftp-put",
        &[
            "-c",
            "-v",
            "--starttls",
            "--cacert",
            &c["FERRY_CA"],
            "big.bin",
            &u,
        ],
        &[],
    );
    assert_code(&r, 0);
    assert!(r.stderr.contains("> APPE"), "{}", r.stderr);
    assert_eq!(sha256(&server_file), sha256(&file));
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn atomic_upload_replaces_and_a_refused_rename_keeps_the_temporary_file() {
    let Some(c) = cfg() else { return };
    let dir = remote_dir(&c, "atomic");
    std::fs::write(dir.join("site.tgz"), b"old").unwrap();
    std::fs::create_dir(dir.join("busy")).unwrap();
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("site.tgz"), b"new contents").unwrap();
    let u = url(&c, "FERRY_FTP_PLAIN", "ftp", &dir);
    let r = run_in(local.path(), "ftp-put", &["--atomic", "site.tgz", &u], &[]);
    assert_code(&r, 0);
    assert_eq!(
        std::fs::read(dir.join("site.tgz")).unwrap(),
        b"new contents"
    );
    assert_eq!(
        names_in(&dir),
        vec!["busy", "site.tgz"],
        "no temporary left"
    );
    // A directory in the way: the rename is refused, the upload stays under its temporary name.
    let r = run_in(
        local.path(),
        "ftp-put",
        &["--atomic", "site.tgz", &format!("{u}busy")],
        &[],
    );
    assert_code(&r, 6);
    let kept: Vec<String> = names_in(&dir)
        .into_iter()
        .filter(|n| n.starts_with(".busy.ferry-"))
        .collect();
    assert_eq!(kept.len(), 1, "{:?}", names_in(&dir));
    assert!(r.stderr.contains(&kept[0]), "{}", r.stderr);
    assert_eq!(std::fs::read(dir.join(&kept[0])).unwrap(), b"new contents");
    assert!(dir.join("busy").is_dir());
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn mkdirs_creates_missing_levels() {
    let Some(c) = cfg() else { return };
    let dir = remote_dir(&c, "mkdirs");
    std::fs::create_dir(dir.join("a")).unwrap();
    let _ = Command::new("chown")
        .args(["ferry:", dir.join("a").to_str().unwrap()])
        .status();
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("f"), b"deep").unwrap();
    let u = format!("{}a/b/c/", url(&c, "FERRY_FTP_PLAIN", "ftp", &dir));
    let r = run_in(local.path(), "ftp-put", &["f", &u], &[]);
    assert_code(&r, 6);
    for _ in 0..2 {
        let r = run_in(local.path(), "ftp-put", &["--mkdirs", "f", &u], &[]);
        assert_code(&r, 0);
    }
    assert_eq!(std::fs::read(dir.join("a/b/c/f")).unwrap(), b"deep");
}

fn tree(root: &Path, files: usize) {
    for i in 0..files {
        let d = root
            .join(format!("d{}", i % 10))
            .join(format!("e{}", i % 3));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join(format!("f{i}.txt")),
            format!("file {i}\n").repeat(i % 50 + 1),
        )
        .unwrap();
    }
}

fn same_trees(a: &Path, b: &Path) {
    let out = Command::new("diff")
        .arg("-r")
        .arg(a)
        .arg(b)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn recursive_put_and_get_of_a_1000_file_tree_with_parallel_sessions() {
    let Some(c) = cfg() else { return };
    let dir = remote_dir(&c, "tree");
    let local = tempfile::tempdir().unwrap();
    tree(&local.path().join("t"), 1000);
    for (key, scheme, flags) in [
        ("FERRY_FTP_PLAIN", "ftp", vec![]),
        ("FERRY_FTP_EXPLICIT", "ftp", vec!["--starttls"]),
    ] {
        let _ = std::fs::remove_dir_all(dir.join("t"));
        let u = url(&c, key, scheme, &dir);
        let mut args = vec!["-R", "--parallel", "4", "-q", "--cacert", &c["FERRY_CA"]];
        args.extend(flags.iter().copied());
        let mut put = args.clone();
        put.extend(["t", u.as_str()]);
        let r = run_in(local.path(), "ftp-put", &put, &[]);
        assert_code(&r, 0);
        same_trees(&local.path().join("t"), &dir.join("t"));
        for parallel in ["1", "4"] {
            let out = tempfile::tempdir().unwrap();
            let mut get = args.clone();
            get[2] = parallel;
            let tu = format!("{u}t/");
            get.extend(["--json", "-O", out.path().to_str().unwrap(), tu.as_str()]);
            let r = run_in(local.path(), "ftp-get", &get, &[]);
            assert_code(&r, 0);
            let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
            assert_eq!(v["files"].as_array().unwrap().len(), 1000);
            same_trees(&local.path().join("t"), &out.path().join("t"));
        }
    }
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn recursive_get_never_creates_local_symlinks() {
    let Some(c) = cfg() else { return };
    let dir = remote_dir(&c, "links");
    std::fs::create_dir(dir.join("t")).unwrap();
    std::fs::write(dir.join("t/real.txt"), b"real").unwrap();
    std::os::unix::fs::symlink("/etc", dir.join("t/etc")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("t/passwd")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let u = format!("{}t/", url(&c, "FERRY_FTP_PLAIN", "ftp", &dir));
    let r = run_in(out.path(), "ftp-get", &["-R", &u], &[]);
    assert_code(&r, 0);
    assert_eq!(names_in(&out.path().join("t")), vec!["real.txt"]);
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn mirror_both_ways_catches_same_size_changes_deletes_and_keeps_dotfiles() {
    let Some(c) = cfg() else { return };
    let remote = remote_dir(&c, "mirror");
    let base = url(&c, "FERRY_FTP_PLAIN", "ftp", &remote);
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("tree");
    std::fs::create_dir_all(local.join("sub")).unwrap();
    for (name, body) in [
        ("a", &b"1111"[..]),
        (".htaccess", b"deny"),
        ("sub/b", b"bbbb"),
        ("sub/c", b"cc"),
        // Names a mirror must carry both ways as they are (a backslash is no separator on Unix: it
        // failed every download and went up again every night).
        ("a b", b"space"),
        (" lead", b"lead"),
        ("back\\slash", b"bs"),
        ("-dash", b"dash"),
        ("ünï", b"utf8"),
        ("[br]*?", b"glob"),
    ] {
        std::fs::write(local.join(name), body).unwrap();
    }
    // Upload, then download into another directory: the trees match, dotfiles and odd names included.
    let r = run_in(work.path(), "ftp-put", &["-R", "tree", &base], &[]);
    assert_code(&r, 0);
    let down = work.path().join("down");
    let tree_url = format!("{base}tree/");
    let r = run_in(
        work.path(),
        "ftp-get",
        &["-R", "-O", "down", &tree_url],
        &[],
    );
    assert_code(&r, 0);
    let names = |t: &[(String, Vec<u8>, u64)]| -> Vec<(String, Vec<u8>)> {
        t.iter().map(|(n, b, _)| (n.clone(), b.clone())).collect()
    };
    assert_eq!(names(&tree_of(&local)), names(&tree_of(&down.join("tree"))));
    assert_eq!(
        tree_of(&remote.join("tree")),
        tree_of(&down.join("tree")),
        "contents and mtimes"
    );
    // The mirrored directory has the server's time for it (vsftpd's `LIST -a` shows `.` to the minute).
    let minute = |p: &Path| {
        let t = std::fs::metadata(p).unwrap().modified().unwrap();
        t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 60 * 60
    };
    let got = std::fs::metadata(down.join("tree"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        got.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
        minute(&remote.join("tree"))
    );
    // Nothing changed: nothing moves either way.
    let r = run_in(
        work.path(),
        "ftp-put",
        &["-R", "--json", "tree", &base],
        &[],
    );
    assert_code(&r, 0);
    assert!(!r.stdout_str().contains("\"ok\""), "{}", r.stdout_str());
    let r = run_in(
        work.path(),
        "ftp-get",
        &["-R", "--json", "-O", "down", &tree_url],
        &[],
    );
    assert_code(&r, 0);
    assert!(!r.stdout_str().contains("\"ok\""), "{}", r.stdout_str());
    // Local side: a same-size change, a removal and an addition, mirrored up with --delete. vsftpd cannot
    // set a file's time (no MFMT or SITE UTIME), so the upload's time is the remote mtime, in whole
    // seconds: the change must land in a later second than the first upload, or size and time are the
    // same and no mirror (ferry's, lftp's, rsync's) can tell.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(local.join("a"), b"2222").unwrap();
    set_mtime(
        &local.join("a"),
        std::time::SystemTime::now() + std::time::Duration::from_secs(120),
    );
    std::fs::remove_file(local.join("sub/c")).unwrap();
    std::fs::write(local.join("sub/new"), b"new").unwrap();
    let r = run_in(
        work.path(),
        "ftp-put",
        &["-R", "--delete", "tree", &base],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(
        names(&tree_of(&local)),
        names(&tree_of(&remote.join("tree")))
    );
    // Server side: a same-size change (another time), a removal; mirrored down with --delete.
    std::fs::write(remote.join("tree/sub/b"), b"BBBB").unwrap();
    set_mtime(
        &remote.join("tree/sub/b"),
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_704_067_200),
    );
    std::fs::remove_file(remote.join("tree/.htaccess")).unwrap();
    let r = run_in(
        work.path(),
        "ftp-get",
        &["-R", "--delete", "-O", "down", &tree_url],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(
        tree_of(&remote.join("tree")),
        tree_of(&down.join("tree")),
        "contents and mtimes"
    );
    let diff = Command::new("diff")
        .arg("-r")
        .arg(remote.join("tree"))
        .arg(down.join("tree"))
        .status()
        .unwrap();
    assert!(diff.success());
    let _ = std::fs::remove_dir_all(&remote);
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn mirror_both_ways_keeps_modes_and_mends_a_mode_alone() {
    let Some(c) = cfg() else { return };
    let remote = remote_dir(&c, "modes");
    let base = url(&c, "FERRY_FTP_PLAIN", "ftp", &remote);
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("tree");
    std::fs::create_dir_all(&local).unwrap();
    for (name, mode) in [("run.sh", 0o750), ("secret", 0o600), ("pub", 0o644)] {
        std::fs::write(local.join(name), name).unwrap();
        chmod(&local.join(name), mode);
    }
    // Directories too: a private one stays private, a read-only one stays writable by its owner.
    for (name, mode) in [("private", 0o700), ("ro", 0o555)] {
        std::fs::create_dir(local.join(name)).unwrap();
        std::fs::write(local.join(name).join("f"), name).unwrap();
        chmod(&local.join(name), mode);
    }
    // Up: vsftpd creates files 0644 (local_umask=022); SITE CHMOD gives each its local mode.
    let r = run_in(work.path(), "ftp-put", &["-R", "tree", &base], &[]);
    assert_code(&r, 0);
    let rt = remote.join("tree");
    assert_eq!(
        [
            mode_of(&rt.join("run.sh")),
            mode_of(&rt.join("secret")),
            mode_of(&rt.join("pub"))
        ],
        [0o750, 0o600, 0o644]
    );
    assert_eq!(
        [mode_of(&rt.join("private")), mode_of(&rt.join("ro"))],
        [0o700, 0o755]
    );
    // A mode changed alone is mended alone: nothing uploaded.
    chmod(&local.join("pub"), 0o755);
    chmod(&local.join("private"), 0o750);
    let r = run_in(
        work.path(),
        "ftp-put",
        &["-R", "--json", "tree", &base],
        &[],
    );
    assert_code(&r, 0);
    assert!(!r.stdout_str().contains("\"ok\""), "{}", r.stdout_str());
    assert!(
        r.stdout_str().contains("mode set to 755"),
        "{}",
        r.stdout_str()
    );
    assert_eq!(mode_of(&rt.join("pub")), 0o755);
    assert_eq!(mode_of(&rt.join("private")), 0o750);
    // Down: the listed modes, less the umask.
    let tree_url = format!("{base}tree/");
    let r = run_in(
        work.path(),
        "ftp-get",
        &["-R", "-O", "down", &tree_url],
        &[],
    );
    assert_code(&r, 0);
    let down = work.path().join("down/tree");
    let u = umask();
    for (name, mode) in [("run.sh", 0o750), ("secret", 0o600), ("pub", 0o755)] {
        assert_eq!(mode_of(&down.join(name)), mode & !u | 0o400, "{name}");
    }
    for (name, mode) in [("private", 0o750), ("ro", 0o755)] {
        assert_eq!(mode_of(&down.join(name)), mode & !u | 0o700, "{name}");
    }
    // A mode changed on the server alone is mended alone; --no-perms leaves it.
    chmod(&rt.join("secret"), 0o640);
    chmod(&rt.join("private"), 0o700);
    let r = run_in(
        work.path(),
        "ftp-get",
        &["-R", "--no-perms", "-O", "down", &tree_url],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(mode_of(&down.join("secret")), 0o600);
    assert_eq!(mode_of(&down.join("private")), 0o750 & !u | 0o700);
    let r = run_in(
        work.path(),
        "ftp-get",
        &["-R", "--json", "-O", "down", &tree_url],
        &[],
    );
    assert_code(&r, 0);
    assert!(!r.stdout_str().contains("\"ok\""), "{}", r.stdout_str());
    assert_eq!(mode_of(&down.join("secret")), 0o640 & !u | 0o400);
    assert_eq!(mode_of(&down.join("private")), 0o700);
    let _ = std::fs::remove_dir_all(&remote);
}
