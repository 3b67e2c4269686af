//! Issue 18, item 1: `make install` puts every tool, man page and completion under a staged prefix where
//! `man` and the shells find them, and `make uninstall` takes them all away again. The binaries are the
//! ones this test run built (`NO_BUILD=1 BIN_DIR=...`), so no release build is needed.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The names in `dir` (relative to the repository) ending in `suffix`, with the suffix removed.
fn stems(dir: &str, suffix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(suffix).map(str::to_string))
        .collect();
    v.sort();
    v
}

fn make(args: &[&str], stage: &Path) {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ftp-get")).parent().unwrap();
    let out = Command::new("make")
        .current_dir(root())
        .args(["--no-print-directory", "NO_BUILD=1", "PREFIX=/usr"])
        .arg(format!("BIN_DIR={}", bin_dir.display()))
        .arg(format!("DESTDIR={}", stage.display()))
        .args(args)
        .output()
        .expect("make (apt-get install make)");
    assert!(
        out.status.success(),
        "make {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn make_install_stages_tools_man_pages_and_completions_and_uninstall_removes_them() {
    let stage = tempfile::tempdir().unwrap();
    make(&["install"], stage.path());
    let usr = stage.path().join("usr");
    let tools = stems("src/bin", ".rs");
    assert!(tools.len() >= 10, "{tools:?}");
    for tool in &tools {
        let bin = usr.join("bin").join(tool);
        let out = Command::new(&bin).arg("--version").output().unwrap();
        assert!(out.status.success(), "{tool} --version");
        assert!(
            usr.join(format!("share/man/man1/{tool}.1")).is_file(),
            "{tool}.1"
        );
        assert!(
            usr.join(format!("share/zsh/site-functions/_{tool}"))
                .is_file()
        );
        assert!(
            usr.join(format!("share/fish/vendor_completions.d/{tool}.fish"))
                .is_file()
        );
        // bash-completion loads completions/NAME when NAME is first completed: it must source cleanly.
        let bash = usr.join(format!("share/bash-completion/completions/{tool}"));
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("source '{}' && complete -p {tool}", bash.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Every page in man/, section 1 and 5 (ferry-config(5)), whatever its name.
    for (section, ext) in [("man1", ".1"), ("man5", ".5")] {
        for page in stems("man", ext) {
            assert!(
                usr.join(format!("share/man/{section}/{page}{ext}"))
                    .is_file(),
                "{page}{ext}"
            );
        }
    }
    let man = Command::new("man")
        .arg("-M")
        .arg(usr.join("share/man"))
        .args(["-w", "ftp-get"])
        .output()
        .expect("man (apt-get install man-db)");
    assert_eq!(
        String::from_utf8_lossy(&man.stdout).trim(),
        usr.join("share/man/man1/ftp-get.1").display().to_string()
    );

    make(&["uninstall"], stage.path());
    let left: Vec<_> = walk(stage.path());
    assert!(left.is_empty(), "left after uninstall: {left:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}
