//! ftp-rm against the real vsftpd (local user `ferry`, writable home): a glob, a dotfile glob, a tree holding
//! dotfiles (vsftpd's plain LIST hides them: the RMD above them failed) and a symlink to a directory
//! outside it (the link goes, what it points to stays), a dry run, and a missing file.

use std::path::Path;
use std::process::Command;

use super::ftp_put::{cfg, remote_dir, url};

fn ftp_rm(args: &[&str]) -> crate::support::Run {
    let dir = tempfile::tempdir().unwrap();
    crate::support::run_program(
        Path::new(env!("CARGO_BIN_EXE_ftp-rm")),
        dir.path(),
        args,
        &[],
        None,
    )
}

fn touch(p: &Path) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, p.to_str().unwrap()).unwrap();
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn rm_glob_tree_dry_run_and_missing_against_vsftpd() {
    let Some(c) = cfg() else { return };
    let base = remote_dir(&c, "rm");
    for f in [
        "g1.log",
        "g2.log",
        "g.txt",
        ".g.log",
        ".hide",
        "tree/a.txt",
        "tree/.htaccess",
        "tree/sub/.b",
        "tree/sub/b.txt",
        "tree/sub/deeper/c.txt",
        "keep/k.txt",
    ] {
        touch(&base.join(f));
    }
    std::os::unix::fs::symlink("../keep", base.join("tree/sub/link")).unwrap();
    let _ = Command::new("chown")
        .args(["-R", "-h", "ferry:", base.to_str().unwrap()])
        .status();
    let u = url(&c, "FERRY_FTP_PLAIN", "ftp", &base);

    let r = ftp_rm(&[&format!("{u}*.log")]);
    crate::support::assert_code(&r, 0);
    assert!(!base.join("g1.log").exists() && !base.join("g2.log").exists());
    assert!(base.join("g.txt").exists());
    // `*` never matches a dotfile; `.*` does, though vsftpd's plain LIST hides them.
    assert!(base.join(".g.log").exists());
    let r = ftp_rm(&[&format!("{u}.*.log")]);
    crate::support::assert_code(&r, 0);
    assert!(!base.join(".g.log").exists() && base.join(".hide").exists());

    // A file named as a directory is none (vsftpd lists a file as itself).
    let r = ftp_rm(&["-r", &format!("{u}g.txt/")]);
    crate::support::assert_code(&r, 6);
    assert!(r.stderr.contains("a file, not a directory"), "{}", r.stderr);
    assert!(base.join("g.txt").exists());

    let r = ftp_rm(&["-r", "--dry-run", &format!("{u}tree/")]);
    crate::support::assert_code(&r, 0);
    // The printed URLs carry no password.
    let shown = format!(
        "ftp://ferry@{}/{}/",
        c["FERRY_FTP_PLAIN"],
        base.file_name().unwrap().to_str().unwrap()
    );
    let lines: Vec<String> = r
        .stdout_str()
        .lines()
        .map(|l| l.replace(&shown, ""))
        .collect();
    assert_eq!(
        lines,
        [
            "would remove file tree/.htaccess",
            "would remove file tree/a.txt",
            "would remove file tree/sub/.b",
            "would remove file tree/sub/b.txt",
            "would remove file tree/sub/link",
            "would remove file tree/sub/deeper/c.txt",
            "would remove directory tree/sub/deeper",
            "would remove directory tree/sub",
            "would remove directory tree",
        ]
    );
    assert!(base.join("tree/sub/deeper/c.txt").exists());

    let r = ftp_rm(&["-r", &format!("{u}tree")]);
    crate::support::assert_code(&r, 0);
    assert!(!base.join("tree").exists());
    assert_eq!(
        std::fs::read_to_string(base.join("keep/k.txt")).unwrap(),
        base.join("keep/k.txt").to_str().unwrap()
    );

    let r = ftp_rm(&[&format!("{u}missing")]);
    crate::support::assert_code(&r, 6);
    assert!(r.stderr.contains("DELE "), "{}", r.stderr);
    let _ = std::fs::remove_dir_all(&base);
}

/// A directory vsftpd may not read (mode 000): vsftpd answers NLST, LIST and `LIST -a` of it with its
/// own line, which a plain listing cannot tell from a directory holding one subdirectory of its name.
/// ftp-ls, a glob's ftp-get and ftp-rm say the listing failed (exit 6) instead of listing `closed`,
/// "no file matches" or "not removing directory closed/closed"; nothing is removed.
#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn an_unreadable_directory_is_a_failed_listing_for_ls_get_and_rm_against_vsftpd() {
    use std::os::unix::fs::PermissionsExt;
    let Some(c) = cfg() else { return };
    let base = remote_dir(&c, "closed");
    touch(&base.join("closed/secret"));
    let _ = Command::new("chown")
        .args(["-R", "ferry:", base.to_str().unwrap()])
        .status();
    std::fs::set_permissions(base.join("closed"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let u = url(&c, "FERRY_FTP_PLAIN", "ftp", &base);
    let rel = base.file_name().unwrap().to_str().unwrap();
    let want = format!(
        "cannot list {rel}/closed: the server lists the directory itself, not what it holds (no \
         permission to read it?)"
    );
    let dir = tempfile::tempdir().unwrap();
    let run = |tool: &str, args: &[&str]| {
        let exe = match tool {
            "ftp-ls" => env!("CARGO_BIN_EXE_ftp-ls"),
            "ftp-get" => env!("CARGO_BIN_EXE_ftp-get"),
            _ => env!("CARGO_BIN_EXE_ftp-rm"),
        };
        crate::support::run_program(Path::new(exe), dir.path(), args, &[], None)
    };
    for (tool, args) in [
        ("ftp-ls", vec![format!("{u}closed/")]),
        ("ftp-ls", vec!["-l".to_string(), format!("{u}closed")]),
        ("ftp-get", vec![format!("{u}closed/*")]),
        ("ftp-rm", vec![format!("{u}closed/*")]),
        ("ftp-rm", vec!["-r".to_string(), format!("{u}closed/*")]),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run(tool, &args);
        crate::support::assert_code(&r, 6);
        assert_eq!(
            r.stderr,
            format!("{tool}: error: {want}\n"),
            "{tool} {args:?}"
        );
        assert_eq!(r.stdout_str(), "", "{tool} {args:?}");
    }
    std::fs::set_permissions(base.join("closed"), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(base.join("closed/secret").exists());
    let _ = std::fs::remove_dir_all(&base);
}
