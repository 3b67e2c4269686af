//! Which paths a mirror considers: `--include`/`--exclude` globs in command-line order (the first rule
//! that matches decides, as in rsync), `--no-dotfiles`, and the file-only limits `--newer-than`,
//! `--older-than`, `--min-size`, `--max-size`.
//!
//! A pattern is matched against the path relative to the mirrored directory, `/`-separated. Like rsync: a
//! pattern without `/` matches the last component at any depth (`*.log`), one with `/` matches the whole
//! relative path (`build/**`, `docs/*.md`; a leading `/` only anchors it), `**` crosses directories and `*`
//! does not, and a pattern ending in `/` matches directories only. An excluded directory is not entered.

use std::time::SystemTime;

use crate::error::{Error, Result};

/// The most rules (flags plus `--exclude-from` lines) accepted.
pub const MAX_RULES: usize = 10_000;
/// The largest `--exclude-from` file read.
pub const MAX_EXCLUDE_FILE: u64 = 1024 * 1024;

/// One `--include` or `--exclude`.
#[derive(Debug, Clone)]
struct Rule {
    include: bool,
    pattern: glob::Pattern,
    whole_path: bool,
    dir_only: bool,
    text: String,
}

/// The filters of one mirror run.
#[derive(Debug, Clone)]
pub struct Filters {
    rules: Vec<Rule>,
    /// Whether names starting with `.` are mirrored (default yes; `--no-dotfiles`).
    pub dotfiles: bool,
    /// `--newer-than`: only files modified after this.
    pub newer_than: Option<SystemTime>,
    /// `--older-than`: only files modified before this.
    pub older_than: Option<SystemTime>,
    /// `--min-size`.
    pub min_size: Option<u64>,
    /// `--max-size`.
    pub max_size: Option<u64>,
}

impl Default for Filters {
    fn default() -> Filters {
        Filters {
            rules: Vec::new(),
            dotfiles: true,
            newer_than: None,
            older_than: None,
            min_size: None,
            max_size: None,
        }
    }
}

const MATCH: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

impl Filters {
    /// Adds a rule after the others: `--include GLOB` (`include`) or `--exclude GLOB`.
    pub fn push(&mut self, include: bool, glob: &str) -> Result<()> {
        if self.rules.len() >= MAX_RULES {
            return Err(Error::usage(format!("more than {MAX_RULES} filter rules")));
        }
        let dir_only = glob.ends_with('/');
        let body = glob.trim_end_matches('/');
        let whole_path = body.contains('/');
        let body = body.trim_start_matches('/');
        if body.is_empty() {
            return Err(Error::usage(format!("empty filter pattern {glob:?}")));
        }
        let pattern = glob::Pattern::new(body)
            .map_err(|e| Error::usage(format!("bad filter pattern {glob:?}: {e}")))?;
        self.rules.push(Rule {
            include,
            pattern,
            whole_path,
            dir_only,
            text: glob.to_string(),
        });
        Ok(())
    }

    /// Adds `--exclude-from FILE`'s patterns: one per line; blank lines and lines starting with `#` or
    /// `;` are ignored; `+ GLOB` includes and `- GLOB` excludes, as in rsync's filter files.
    pub fn push_file(&mut self, text: &str) -> Result<()> {
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            match (line.strip_prefix("+ "), line.strip_prefix("- ")) {
                (Some(g), _) => self.push(true, g)?,
                (_, Some(g)) => self.push(false, g)?,
                _ => self.push(false, line)?,
            }
        }
        Ok(())
    }

    /// Whether any rule or limit is set (a plain mirror needs no filtering pass).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
            && self.dotfiles
            && self.newer_than.is_none()
            && self.older_than.is_none()
            && self.min_size.is_none()
            && self.max_size.is_none()
    }

    /// Why the path `rel` (a directory when `dir`) is left out by name, or `None` when it is in.
    pub fn excluded(&self, rel: &str, dir: bool) -> Option<String> {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        for r in &self.rules {
            if r.dir_only && !dir {
                continue;
            }
            let subject = if r.whole_path { rel } else { name };
            if r.pattern.matches_with(subject, MATCH) {
                return (!r.include).then(|| format!("excluded by --exclude {}", r.text));
            }
        }
        if !self.dotfiles && rel.split('/').any(|c| c.starts_with('.')) {
            return Some("dotfile (--no-dotfiles)".into());
        }
        None
    }

    /// Why a file of `size` bytes modified at `mtime` is left out by the size and time limits. An unknown
    /// size or time passes (the server did not say).
    pub fn limited(&self, size: Option<u64>, mtime: Option<SystemTime>) -> Option<String> {
        if let (Some(min), Some(n)) = (self.min_size, size)
            && n < min
        {
            return Some(format!("smaller than --min-size {min}"));
        }
        if let (Some(max), Some(n)) = (self.max_size, size)
            && n > max
        {
            return Some(format!("larger than --max-size {max}"));
        }
        if let (Some(t), Some(m)) = (self.newer_than, mtime)
            && m <= t
        {
            return Some("not newer than --newer-than".into());
        }
        if let (Some(t), Some(m)) = (self.older_than, mtime)
            && m >= t
        {
            return Some("not older than --older-than".into());
        }
        None
    }
}

/// `--newer-than`/`--older-than`: a date (`2024-05-01`, `2024-05-01T12:00:00Z`, UTC) or a duration before
/// `now` (`90s`, `30m`, `12h`, `7d`, `2w`).
pub fn parse_when(s: &str, now: SystemTime) -> std::result::Result<SystemTime, String> {
    let bad = || {
        format!("{s:?} is neither a date (2024-05-01[T12:00:00Z]) nor a duration (7d, 12h, 30m)")
    };
    let duration = s
        .char_indices()
        .last()
        .filter(|(_, c)| c.is_ascii_alphabetic() && *c != 'Z')
        .map(|(i, c)| (s.get(..i).unwrap_or(""), c));
    if let Some((number, unit)) = duration {
        let n: u64 = number.parse().map_err(|_| bad())?;
        let secs = match unit {
            's' => Some(n),
            'm' => n.checked_mul(60),
            'h' => n.checked_mul(3600),
            'd' => n.checked_mul(86_400),
            'w' => n.checked_mul(7 * 86_400),
            _ => None,
        }
        .ok_or_else(bad)?;
        return now
            .checked_sub(std::time::Duration::from_secs(secs))
            .ok_or_else(bad);
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let shape_ok = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b':' | b'T' | b'Z' | b' '));
    let full = match digits.len() {
        8 if shape_ok => format!("{digits}000000"),
        14 if shape_ok => digits,
        _ => return Err(bad()),
    };
    crate::ftp::list::parse_time_val(&full).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn filters(rules: &[(bool, &str)]) -> Filters {
        let mut f = Filters::default();
        for (inc, g) in rules {
            f.push(*inc, g).unwrap();
        }
        f
    }

    #[test]
    fn first_match_wins_in_command_line_order() {
        let f = filters(&[(true, "keep.log"), (false, "*.log")]);
        assert_eq!(f.excluded("a/keep.log", false), None);
        assert_eq!(
            f.excluded("a/b/x.log", false).as_deref(),
            Some("excluded by --exclude *.log")
        );
        let f = filters(&[(false, "*.log"), (true, "keep.log")]);
        assert!(f.excluded("keep.log", false).is_some());
        assert_eq!(f.excluded("x.txt", false), None);
    }

    #[test]
    fn slashes_anchor_and_double_star_crosses_directories() {
        let f = filters(&[
            (false, "build/**"),
            (false, "/top.txt"),
            (false, "docs/*.md"),
        ]);
        assert!(f.excluded("build/a/b/c.o", false).is_some());
        assert!(f.excluded("src/build/c.o", false).is_none());
        assert!(f.excluded("top.txt", false).is_some());
        assert!(f.excluded("sub/top.txt", false).is_none());
        assert!(f.excluded("docs/a.md", false).is_some());
        assert!(f.excluded("docs/x/a.md", false).is_none());
        let f = filters(&[(false, "cache/")]);
        assert!(f.excluded("a/cache", true).is_some());
        assert!(f.excluded("a/cache", false).is_none());
        let f = filters(&[(false, "**/tmp/**")]);
        assert!(f.excluded("a/b/tmp/x", false).is_some());
    }

    #[test]
    fn dotfiles_and_limits() {
        let mut f = Filters::default();
        assert!(f.is_empty());
        assert_eq!(f.excluded(".htaccess", false), None);
        f.dotfiles = false;
        assert!(f.excluded(".htaccess", false).is_some());
        assert!(f.excluded(".git/config", false).is_some());
        f.min_size = Some(10);
        f.max_size = Some(20);
        assert!(f.limited(Some(9), None).is_some());
        assert!(f.limited(Some(21), None).is_some());
        assert!(f.limited(Some(15), None).is_none());
        assert!(f.limited(None, None).is_none());
        let t = UNIX_EPOCH + Duration::from_secs(1000);
        f.newer_than = Some(t);
        assert!(f.limited(Some(15), Some(t)).is_some());
        assert!(
            f.limited(Some(15), Some(t + Duration::from_secs(1)))
                .is_none()
        );
    }

    #[test]
    fn filter_files_and_bad_patterns() {
        let mut f = Filters::default();
        f.push_file("# comment\n\n+ keep.tmp\n- *.tmp\n*.bak\r\n")
            .unwrap();
        assert!(f.excluded("keep.tmp", false).is_none());
        assert!(f.excluded("x.tmp", false).is_some());
        assert!(f.excluded("x.bak", false).is_some());
        assert!(f.push(false, "[z-").is_err());
        assert!(f.push(false, "/").is_err());
    }

    #[test]
    fn dates_and_durations() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(
            parse_when("1d", now).unwrap(),
            now - Duration::from_secs(86_400)
        );
        assert_eq!(
            parse_when("2024-01-02", now).unwrap(),
            UNIX_EPOCH + Duration::from_secs(1_704_153_600)
        );
        assert_eq!(
            parse_when("2024-01-02T03:04:05Z", now).unwrap(),
            UNIX_EPOCH + Duration::from_secs(1_704_164_645)
        );
        for bad in [
            "",
            "x",
            "1y",
            "é",
            "99999999999999999999d",
            "2024-13-01",
            "12",
        ] {
            assert!(parse_when(bad, now).is_err(), "{bad}");
        }
    }
}
