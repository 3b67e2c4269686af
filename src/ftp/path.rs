//! Remote FTP paths as the server sees them: `/`-separated, relative to the login directory unless they
//! start with `/` (RFC 959 §3.2 leaves the syntax to the server; every server ferry meets uses `/`).
//!
//! What it owns: joining a child name, splitting off the last segment, and the two roots — `""` (the login
//! directory) and `"/"` — which must never become `"/name"` vs `"name"` by accident. What it does not do:
//! decode URLs (that is `url`) or judge whether a name is safe locally (that is `sink::safe_name`).

use std::fmt;

/// A path on the FTP server (`""`: the login directory, `"/"`: the root).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RemotePath(String);

impl RemotePath {
    /// The path exactly as given (a file path from a URL, say).
    pub fn new(path: impl Into<String>) -> RemotePath {
        RemotePath(path.into())
    }

    /// The directory a URL path names: trailing `/` removed, except that `/` (or `//`…) stays the root and
    /// `""` stays the login directory.
    pub fn dir(path: &str) -> RemotePath {
        let trimmed = path.trim_end_matches('/');
        if trimmed.is_empty() && path.starts_with('/') {
            RemotePath("/".into())
        } else {
            RemotePath(trimmed.into())
        }
    }

    /// `name` inside this directory.
    pub fn join(&self, name: &str) -> RemotePath {
        match self.0.as_str() {
            "" => RemotePath(name.into()),
            "/" => RemotePath(format!("/{name}")),
            d => RemotePath(format!("{d}/{name}")),
        }
    }

    /// The directory part (`"/"` for `/name`, `""` for a bare name) and the last segment (`""` when the
    /// path ends in `/`).
    pub fn split(&self) -> (RemotePath, &str) {
        match self.0.rsplit_once('/') {
            Some(("", last)) => (RemotePath("/".into()), last),
            Some((dir, last)) => (RemotePath(dir.into()), last),
            None => (RemotePath::default(), self.0.as_str()),
        }
    }

    /// The directory part (see [`RemotePath::split`]).
    pub fn parent(&self) -> RemotePath {
        self.split().0
    }

    /// The last segment (see [`RemotePath::split`]; `""` for the roots).
    pub fn last(&self) -> &str {
        self.split().1
    }

    /// The path as sent in commands.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for RemotePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> RemotePath {
        RemotePath::new(s)
    }

    #[test]
    fn join_keeps_the_two_roots_apart() {
        assert_eq!(p("").join("x").as_str(), "x");
        assert_eq!(p("/").join("x").as_str(), "/x");
        assert_eq!(p("a/b").join("x").as_str(), "a/b/x");
        assert_eq!(p("/a").join("x").join("y").to_string(), "/a/x/y");
    }

    #[test]
    fn dir_trims_trailing_slashes_but_not_the_root() {
        assert_eq!(RemotePath::dir("up/").as_str(), "up");
        assert_eq!(RemotePath::dir("up//").as_str(), "up");
        assert_eq!(RemotePath::dir("/").as_str(), "/");
        assert_eq!(RemotePath::dir("//").as_str(), "/");
        assert_eq!(RemotePath::dir("").as_str(), "");
        assert_eq!(RemotePath::dir("/srv/").as_str(), "/srv");
    }

    #[test]
    fn split_parent_and_last() {
        assert_eq!(p("a/b/c.txt").split(), (p("a/b"), "c.txt"));
        assert_eq!(p("/c.txt").split(), (p("/"), "c.txt"));
        assert_eq!(p("c.txt").split(), (p(""), "c.txt"));
        assert_eq!(p("pub/").split(), (p("pub"), ""));
        assert_eq!(p("/").split(), (p("/"), ""));
        assert_eq!(p("").split(), (p(""), ""));
        assert_eq!(p("a/b").parent(), p("a"));
        assert_eq!(RemotePath::dir("/srv/tree/").last(), "tree");
        assert_eq!(RemotePath::dir("/").last(), "");
    }
}
