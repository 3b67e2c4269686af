//! The layering rules of architecture.md, checked on the source: `ops` never imports `cli`, and no module
//! outside `cli/` and `bin/` imports clap. A change that breaks a rule fails here with the offending lines.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Lines of files under `src/` (relative paths) for which `outside(path)` holds and that contain `needle`.
fn offending(needle: &str, outside: impl Fn(&str) -> bool) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut hits = Vec::new();
    for f in files {
        let rel = f.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        if !outside(&rel) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.contains(needle) && !line.trim_start().starts_with("//") {
                hits.push(format!("{rel}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    hits
}

#[test]
fn ops_never_imports_cli() {
    let hits = offending("crate::cli", |p| p.starts_with("src/ops/"));
    assert!(
        hits.is_empty(),
        "ops must take plain Options:\n{}",
        hits.join("\n")
    );
}

#[test]
fn only_cli_and_bin_know_clap() {
    let hits = offending("clap", |p| {
        !p.starts_with("src/cli/") && !p.starts_with("src/bin/")
    });
    assert!(hits.is_empty(), "clap outside cli/:\n{}", hits.join("\n"));
}
