//! The local side of a mirror read ahead: `ftp-get -R` and `ftp-put -R` start walking their local
//! tree ([`walk_local`], the run's filters pruning) in a thread before the first login, so the disk work
//! overlaps the server's password check instead of the remote walk or the change checks after it.
//!
//! What it owns: starting that thread and handing its result over once. A tree that is not a
//! directory when the scan starts is reported as such ([`Prescan::take`] → `None`); the caller decides
//! what that means (an empty target for a download, an error for an upload). A scan whose thread could
//! not be started runs in the caller's thread at once.

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use crate::error::{Error, ErrorKind, Result};
use crate::ops::ftp::filter::Filters;
use crate::ops::ftp::walk::{Walked, walk_local};

/// A local walk in progress, or its result when it ran in the caller's thread.
pub struct Prescan {
    root: PathBuf,
    state: State,
}

enum State {
    Running(JoinHandle<Option<Result<Walked>>>),
    Done(Option<Result<Walked>>),
}

/// Walks `root` when it is a directory.
fn scan(root: &Path, filters: &Filters) -> Option<Result<Walked>> {
    root.is_dir()
        .then(|| walk_local(root, &mut |rel| filters.excluded(rel, true).is_none()))
}

impl Prescan {
    /// Starts walking `root` in the background, entering only the directories `filters` does not
    /// exclude (walked here and now when no thread can be started).
    pub fn start(root: PathBuf, filters: &Filters) -> Prescan {
        let (r, f) = (root.clone(), filters.clone());
        let state = match std::thread::Builder::new()
            .name("local-scan".into())
            .spawn(move || scan(&r, &f))
        {
            Ok(h) => State::Running(h),
            Err(_) => State::Done(scan(&root, filters)),
        };
        Prescan { root, state }
    }

    /// The directory being walked.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The walk, waiting for it to end: `None` when the root was not a directory.
    pub fn take(self) -> Option<Result<Walked>> {
        match self.state {
            State::Running(h) => h.join().unwrap_or_else(|_| {
                Some(Err(Error::new(
                    ErrorKind::Internal,
                    "the local scan failed",
                )))
            }),
            State::Done(walked) => walked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_ahead_and_says_when_the_root_is_no_directory() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("a/skip")).unwrap();
        std::fs::write(d.path().join("a/f"), b"12").unwrap();
        std::fs::write(d.path().join("a/skip/g"), b"").unwrap();
        let mut filters = Filters::default();
        filters.push(false, "skip/").unwrap();
        let scan = Prescan::start(d.path().join("a"), &filters);
        assert_eq!(scan.root(), d.path().join("a"));
        let walked = scan.take().unwrap().unwrap();
        let rels: Vec<&str> = walked.nodes.iter().map(|n| n.rel.as_str()).collect();
        assert!(rels.contains(&"f") && !rels.contains(&"skip/g"), "{rels:?}");
        assert_eq!(
            walked.nodes[rels.iter().position(|r| *r == "f").unwrap()].size,
            Some(2)
        );
        assert!(
            Prescan::start(d.path().join("a/f"), &filters)
                .take()
                .is_none()
        );
        assert!(
            Prescan::start(d.path().join("missing"), &filters)
                .take()
                .is_none()
        );
    }
}
