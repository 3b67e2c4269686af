//! Directory listings: MLSD facts (RFC 3659 §7), Unix `ls -l` style LIST and DOS/IIS style LIST.
//!
//! Listing data is read with a bound on each line, on the number of lines and on the bytes in all.
//! Parsers return `None` for lines they do not recognise (totals, blank lines, `.` and `..`); names are
//! kept byte-for-byte as the server sent them (lossily made UTF-8). Times become UTC ISO 8601; a Unix listing's year-less recent
//! date gets the year that puts it not in the future.

use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::time::{civil_from_days, days_from_civil};

/// The longest listing line accepted.
pub const LINE_CAP: usize = 64 * 1024;
/// The most entries one listing may have.
pub const ENTRY_CAP: usize = 1_000_000;
/// The most bytes one listing may take (a million lines of 256 bytes): each line's cap times the entry
/// cap would be 64 GiB, all of it kept in memory.
pub const LISTING_CAP: usize = 256 * 1024 * 1024;

/// What kind of entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Link,
    /// Anything else (device, unknown).
    Other,
}

/// One listing entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The name within its directory.
    pub name: String,
    /// File, directory, link or other.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Size in bytes, when known.
    pub size: Option<u64>,
    /// Modification time, UTC ISO 8601, when known.
    pub modified: Option<String>,
    /// Permissions as the server gave them (`rwxr-xr-x` or MLSD `perm=` facts).
    pub perm: Option<String>,
    /// The Unix permission bits (`0o7777` at most), from a Unix LIST line's mode or MLSD's `UNIX.mode`.
    #[serde(skip)]
    pub mode: Option<u32>,
    /// A symlink's target, when LIST shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// MLSD's `unique` fact (RFC 3659 §7.5.2): the same for two names of one object.
    #[serde(skip)]
    pub unique: Option<String>,
}

/// Reads a listing's lines, each at most [`LINE_CAP`] bytes, at most [`ENTRY_CAP`] of them and at most
/// [`LISTING_CAP`] bytes in all.
pub fn read_lines(r: &mut impl Read) -> Result<Vec<String>> {
    read_lines_capped(r, LISTING_CAP)
}

/// [`read_lines`] with `cap` bytes in all.
fn read_lines_capped(r: &mut impl Read, cap: usize) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut line = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0usize;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::network("reading the listing", e)),
        };
        total = total.saturating_add(n);
        if total > cap {
            return Err(Error::protocol(format!(
                "listing longer than {} MiB",
                cap / (1024 * 1024)
            )));
        }
        // Whole line pieces at a time (memchr), not byte by byte: a 10 000-entry listing is ~600 KB.
        let mut rest = &buf[..n];
        loop {
            let (piece, end) = match memchr::memchr(b'\n', rest) {
                Some(i) => (&rest[..i], true),
                None => (rest, false),
            };
            if line.len().saturating_add(piece.len()) > LINE_CAP {
                return Err(Error::protocol("listing line longer than 64 KiB"));
            }
            line.extend_from_slice(piece);
            if !end {
                break;
            }
            push_line(&mut out, &mut line)?;
            rest = &rest[piece.len() + 1..];
        }
    }
    if !line.is_empty() {
        push_line(&mut out, &mut line)?;
    }
    Ok(out)
}

fn push_line(out: &mut Vec<String>, line: &mut Vec<u8>) -> Result<()> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    if out.len() >= ENTRY_CAP {
        return Err(Error::protocol("listing has more than a million entries"));
    }
    if !line.is_empty() {
        out.push(String::from_utf8_lossy(line).into_owned());
    }
    line.clear();
    Ok(())
}

/// Parses one MLSD line: `fact=value;fact=value; name`.
pub fn parse_mlsd(line: &str) -> Option<Entry> {
    let (facts, name) = line.split_once(' ')?;
    if name.is_empty() {
        return None;
    }
    let mut e = Entry {
        name: name.to_string(),
        kind: Kind::Other,
        size: None,
        modified: None,
        perm: None,
        mode: None,
        target: None,
        unique: None,
    };
    let mut typed = false;
    for fact in facts.split(';').filter(|f| !f.is_empty()) {
        let (k, v) = fact.split_once('=')?;
        match k.to_ascii_lowercase().as_str() {
            "type" => {
                typed = true;
                e.kind = match v.to_ascii_lowercase().as_str() {
                    "file" => Kind::File,
                    "dir" => Kind::Dir,
                    "cdir" | "pdir" => return None,
                    // `OS.unix=slink:/target` (RFC 3659 §7.5.1's example, Pure-FTPd) and
                    // `OS.unix=symlink` (ProFTPD).
                    t if t.starts_with("os.") && (t.contains("slink") || t.contains("symlink")) => {
                        Kind::Link
                    }
                    _ => Kind::Other,
                }
            }
            "size" => e.size = v.parse().ok(),
            "modify" => e.modified = parse_time_val(v).map(iso8601),
            "perm" => e.perm = Some(v.to_string()),
            "unix.mode" => e.mode = parse_octal_mode(v),
            "unique" if !v.is_empty() && v.len() <= 256 => e.unique = Some(v.to_string()),
            _ => {}
        }
    }
    // A server that leaves out the type fact but gives a size lists a file (directories have none).
    if !typed && e.size.is_some() {
        e.kind = Kind::File;
    }
    Some(e)
}

/// An octal mode such as MLSD's `UNIX.mode=0755` (pyftpdlib writes Python's `0o755`): at most
/// `0o7777`.
fn parse_octal_mode(v: &str) -> Option<u32> {
    let v = v.strip_prefix("0o").unwrap_or(v);
    if v.is_empty() || v.len() > 6 || !v.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    u32::from_str_radix(v, 8).ok().filter(|m| *m <= 0o7777)
}

/// The bits of `ls -l`'s nine mode characters (`rwxr-s--T`): `s`/`t` are set-id or sticky with execute,
/// `S`/`T` without. `None` when a character is anything else (a listing that only looks like Unix).
fn unix_mode(rwx: &str) -> Option<u32> {
    let b = rwx.as_bytes();
    if b.len() != 9 {
        return None;
    }
    let mut mode = 0;
    for (i, &c) in b.iter().enumerate() {
        let (shift, slot) = (6 - 3 * (i / 3) as u32, i % 3);
        // The set-id or sticky bit this triplet's execute slot carries.
        let special = [0o4000, 0o2000, 0o1000][i / 3];
        let bits = match (slot, c) {
            (_, b'-') => 0,
            (0, b'r') => 4 << shift,
            (1, b'w') => 2 << shift,
            (2, b'x') => 1 << shift,
            (2, b's') if i < 6 => (1 << shift) | special,
            (2, b'S') if i < 6 => special,
            (2, b't') if i == 8 => 1 | special,
            (2, b'T') if i == 8 => special,
            _ => return None,
        };
        mode |= bits;
    }
    Some(mode)
}

/// `ls -l`'s nine mode characters for `mode` (the inverse of [`unix_mode`]).
pub fn rwx(mode: u32) -> String {
    let mut out = String::with_capacity(9);
    for (i, special) in [(0, 0o4000), (1, 0o2000), (2, 0o1000)] {
        let bits = (mode >> (6 - 3 * i)) & 7;
        out.push(if bits & 4 != 0 { 'r' } else { '-' });
        out.push(if bits & 2 != 0 { 'w' } else { '-' });
        let (set, unset) = match (i, mode & special != 0) {
            (2, true) => ('t', 'T'),
            (_, true) => ('s', 'S'),
            _ => ('x', '-'),
        };
        out.push(if bits & 1 != 0 { set } else { unset });
    }
    out
}

/// The `unique` fact (RFC 3659 §7.5.2) of an MLSD `type=cdir` line (the listed directory itself), if
/// `line` is that line.
pub fn cdir_unique(line: &str) -> Option<String> {
    cdir_fact(line, "unique")
}

/// The `modify` fact (RFC 3659 §7.5.3) of an MLSD `type=cdir` line, as [`Entry::modified`] has it.
pub fn cdir_modified(line: &str) -> Option<String> {
    cdir_fact(line, "modify")
        .and_then(|v| parse_time_val(&v))
        .map(iso8601)
}

/// The fact `key` of an MLSD `type=cdir` line (at most 256 bytes), if `line` is that line.
fn cdir_fact(line: &str, key: &str) -> Option<String> {
    let (facts, _) = line.split_once(' ')?;
    let mut cdir = false;
    let mut value = None;
    for (k, v) in facts.split(';').filter_map(|f| f.split_once('=')) {
        if k.eq_ignore_ascii_case("type") {
            cdir = v.eq_ignore_ascii_case("cdir");
        } else if k.eq_ignore_ascii_case(key) && !v.is_empty() && v.len() <= 256 {
            value = Some(v.to_string());
        }
    }
    value.filter(|_| cdir)
}

/// Parses one LIST line in Unix or DOS format; `.` and `..` are no entries.
pub fn parse_list(line: &str) -> Option<Entry> {
    parse_list_any(line).filter(|e| !is_dot(&e.name))
}

/// Parses one LIST line in Unix or DOS format, `.` and `..` included.
pub fn parse_list_any(line: &str) -> Option<Entry> {
    parse_unix(line).or_else(|| parse_dos(line))
}

/// Whether `name` is `.` or `..`.
pub fn is_dot(name: &str) -> bool {
    name == "." || name == ".."
}

/// Whether `entries` (a `LIST -a` or `STAT -a` listing of the directory `path`, `.` and `..` kept) are
/// that directory's own line instead of what it holds. A LIST server that may not read a directory
/// (vsftpd, for a mode such as 000 or 0711) lists it as `ls -d` would: one directory line of its own
/// name. Taken for contents, that is a directory holding one subdirectory of its name, and a mirror
/// with `--delete` would remove everything the local copy holds below it. With `-a`, a listing that
/// is contents has `.`; one without it whose only entry is a directory of the path's own name is the
/// path itself (on a server that shows no `.` at all, a directory holding only a directory of its
/// own name is refused too: an error, never a wrong deletion).
pub fn lists_own_line(path: &str, entries: &[Entry]) -> bool {
    entries.iter().all(|e| e.kind == Kind::Dir)
        && only_own_name(path, entries.iter().map(|e| e.name.as_str()))
}

/// Whether `names`, a listing of `path`, is one name: the path's own (its last segment, or the whole
/// path as some servers echo it). A plain listing (LIST, NLST: no `.` to tell by) that is only this
/// may be the directory's own line (see `list_all`).
pub fn only_own_name<'a>(path: &str, mut names: impl Iterator<Item = &'a str>) -> bool {
    let path = path.trim_end_matches('/');
    let own = path.rsplit('/').next().unwrap_or(path);
    match (names.next(), names.next()) {
        (Some(only), None) => !own.is_empty() && (only == own || only == path),
        _ => false,
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Fields split on runs of spaces, with the byte offset where each starts.
fn fields(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c == ' ' || c == '\t', start) {
            (true, Some(s)) => {
                out.push((s, &line[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    out
}

/// `drwxr-xr-x 2 owner group 4096 Jan  1 12:00 name` (group optional; `name -> target` for links).
fn parse_unix(line: &str) -> Option<Entry> {
    let f = fields(line);
    // The mode is ten ASCII characters; anything else (a non-ASCII byte included) is not a Unix line,
    // and checking that first keeps every slice below on a character boundary.
    let perm = f.first()?.1.get(..10).filter(|p| p.is_ascii())?;
    if !"-dlbcps".contains(&perm[..1]) {
        return None;
    }
    // Find the month field: the first one, after the size, that names a month and is followed by a day.
    let m = (3..f.len().saturating_sub(3)).find(|&i| {
        MONTHS.contains(&f[i].1.to_ascii_lowercase().as_str())
            && f[i - 1].1.parse::<u64>().is_ok()
            && f[i + 1].1.parse::<u8>().is_ok()
    })?;
    let size = f[m - 1].1.parse().ok();
    let month = MONTHS
        .iter()
        .position(|x| *x == f[m].1.to_ascii_lowercase())? as u32
        + 1;
    let day: u32 = f[m + 1].1.parse().ok()?;
    let yt = f[m + 2].1;
    let name_start = f.get(m + 3)?.0;
    // One space separates the time field from the name; names may themselves start with spaces.
    let name_field_end = f[m + 2].0 + yt.len();
    let raw = line
        .get(name_field_end + 1..)
        .filter(|_| name_start > name_field_end)?;
    let kind = match &perm[..1] {
        "-" => Kind::File,
        "d" => Kind::Dir,
        "l" => Kind::Link,
        _ => Kind::Other,
    };
    let (name, target) = match (kind, raw.split_once(" -> ")) {
        (Kind::Link, Some((n, t))) => (n.to_string(), Some(t.to_string())),
        _ => (raw.to_string(), None),
    };
    if name.is_empty() {
        return None;
    }
    let modified = unix_date(month, day, yt);
    Some(Entry {
        name,
        kind,
        size,
        modified,
        perm: Some(perm[1..].to_string()),
        mode: unix_mode(&perm[1..]),
        target,
        unique: None,
    })
}

fn unix_date(month: u32, day: u32, yt: &str) -> Option<String> {
    if let Some((h, m)) = yt.split_once(':') {
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
        let (year, _, _) = civil_from_days(now.div_euclid(86400));
        let mut y = year;
        // A date more than a day ahead belongs to last year (ls shows times for the past six months).
        if days_from_civil(y, month, day) * 86400 > now + 86400 {
            y -= 1;
        }
        Some(format!("{y:04}-{month:02}-{day:02}T{h:02}:{m:02}:00Z"))
    } else {
        let y: i64 = yt.parse().ok()?;
        Some(format!("{y:04}-{month:02}-{day:02}T00:00:00Z"))
    }
}

/// `01-02-23  10:00AM  <DIR>  name` or `01-02-2023  10:00PM  1234 name`.
fn parse_dos(line: &str) -> Option<Entry> {
    let f = fields(line);
    if f.len() < 4 {
        return None;
    }
    let date: Vec<&str> = f[0].1.split(['-', '/']).collect();
    if date.len() != 3 {
        return None;
    }
    let (mo, d, y): (u32, u32, i64) = (
        date[0].parse().ok()?,
        date[1].parse().ok()?,
        date[2].parse().ok()?,
    );
    let y = if y < 70 {
        2000 + y
    } else if y < 100 {
        1900 + y
    } else {
        y
    };
    let t = f[1].1.to_ascii_uppercase();
    let (hm, pm) = match t.strip_suffix("PM") {
        Some(x) => (x, true),
        None => (t.strip_suffix("AM").unwrap_or(&t), false),
    };
    let (h, m) = hm.split_once(':')?;
    let (mut h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    if pm && h < 12 {
        h += 12;
    } else if !pm && t.ends_with("AM") && h == 12 {
        h = 0;
    }
    let (kind, size) = if f[2].1.eq_ignore_ascii_case("<DIR>") {
        (Kind::Dir, None)
    } else {
        (Kind::File, Some(f[2].1.replace(',', "").parse().ok()?))
    };
    let name = line.get(f[3].0..)?.to_string();
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || m > 59 {
        return None;
    }
    Some(Entry {
        name,
        kind,
        size,
        modified: Some(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:00Z")),
        perm: None,
        mode: None,
        target: None,
        unique: None,
    })
}

/// RFC 3659 time-val: `YYYYMMDDHHMMSS[.sss]`, UTC.
pub fn parse_time_val(s: &str) -> Option<SystemTime> {
    let digits = s.split('.').next()?;
    if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |a: usize, b: usize| digits[a..b].parse::<u32>().ok();
    let (y, mo, d, h, mi, se) = (
        n(0, 4)?,
        n(4, 6)?,
        n(6, 8)?,
        n(8, 10)?,
        n(10, 12)?,
        n(12, 14)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(y as i64, mo, d);
    let secs = days * 86400 + (h * 3600 + mi * 60 + se) as i64;
    if secs < 0 {
        return None;
    }
    Some(UNIX_EPOCH + Duration::from_secs(secs as u64))
}

/// A time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn iso8601(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let r = secs.rem_euclid(86400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        r / 3600,
        r / 60 % 60,
        r % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mlsd_lines() {
        let e = parse_mlsd("type=file;size=1234;modify=20230102030405;perm=r; a b.txt").unwrap();
        assert_eq!(e.name, "a b.txt");
        assert_eq!((e.kind, e.size), (Kind::File, Some(1234)));
        assert_eq!(e.modified.as_deref(), Some("2023-01-02T03:04:05Z"));
        assert!(parse_mlsd("type=cdir;modify=20230102030405; .").is_none());
        assert_eq!(
            parse_mlsd("type=OS.unix=slink:/x; l").unwrap().kind,
            Kind::Link
        );
        assert_eq!(
            parse_mlsd("size=3;modify=20230102030405; f").unwrap().kind,
            Kind::File
        );
        assert_eq!(
            parse_mlsd("modify=20230102030405; d").unwrap().kind,
            Kind::Other
        );
        let e = parse_mlsd("type=dir;unique=FE00U990011; a").unwrap();
        assert_eq!(e.unique.as_deref(), Some("FE00U990011"));
        assert_eq!(
            cdir_unique("modify=20261201091331;type=cdir;unique=FE00U99000A; ."),
            Some("FE00U99000A".into())
        );
        assert_eq!(cdir_unique("type=pdir;unique=X; .."), None);
        assert_eq!(cdir_unique("type=dir;unique=X; a"), None);
        assert_eq!(cdir_unique("type=cdir; ."), None);
        assert_eq!(
            cdir_modified("modify=20261201091331;type=cdir;unique=FE00U99000A; .").as_deref(),
            Some("2026-12-01T09:13:31Z")
        );
        assert_eq!(cdir_modified("type=dir;modify=20261201091331; a"), None);
        assert_eq!(cdir_modified("type=cdir;modify=garbage; ."), None);
        // ProFTPD's form.
        assert_eq!(
            parse_mlsd(
                "modify=20261201091331;perm=adfrw;size=2;type=OS.unix=symlink;UNIX.mode=0777; up"
            )
            .unwrap()
            .kind,
            Kind::Link
        );
        assert_eq!(
            parse_mlsd("type=OS.unix=blockdev; sda").unwrap().kind,
            Kind::Other
        );
    }

    #[test]
    fn unix_lines() {
        let e = parse_list("-rw-r--r--    1 1000     1000        12345 Mar 05  2021 my file.txt")
            .unwrap();
        assert_eq!(
            (e.name.as_str(), e.size, e.kind),
            ("my file.txt", Some(12345), Kind::File)
        );
        assert_eq!(e.modified.as_deref(), Some("2021-03-05T00:00:00Z"));
        assert_eq!(e.perm.as_deref(), Some("rw-r--r--"));
        let e = parse_list("lrwxrwxrwx 1 ftp ftp 7 Jan 1 12:00 link -> /etc/passwd").unwrap();
        assert_eq!(
            (e.name.as_str(), e.target.as_deref()),
            ("link", Some("/etc/passwd"))
        );
        let e = parse_list("drwxr-xr-x 2 ftp 4096 Dec 31 2020  two spaces").unwrap();
        assert_eq!((e.name.as_str(), e.kind), (" two spaces", Kind::Dir));
        assert!(parse_list("total 12").is_none());
        assert!(parse_list("drwxr-xr-x 2 ftp ftp 4096 Dec 31 2020 ..").is_none());
    }

    #[test]
    fn modes_come_from_the_mode_string_or_unix_mode() {
        let mode = |l: &str| parse_list(l).and_then(|e| e.mode);
        assert_eq!(mode("-rw-r--r-- 1 a b 1 Mar 05 2021 f"), Some(0o644));
        assert_eq!(mode("-rwxr-x--- 1 a b 1 Mar 05 2021 f"), Some(0o750));
        assert_eq!(mode("-rwsr-Sr-t 1 a b 1 Mar 05 2021 f"), Some(0o7745));
        assert_eq!(mode("drwxrwxrwT 1 a b 1 Mar 05 2021 d"), Some(0o1776));
        assert_eq!(mode("---------- 1 a b 1 Mar 05 2021 f"), Some(0));
        // Not a mode: an 's' where no set-id bit can be, a letter out of place.
        assert_eq!(mode("-rw-r--r-s 1 a b 1 Mar 05 2021 f"), None);
        assert_eq!(mode("-wr-r--r-- 1 a b 1 Mar 05 2021 f"), None);
        assert_eq!(mode("-rw-r--r-? 1 a b 1 Mar 05 2021 f"), None);
        let mlsd = |l: &str| parse_mlsd(l).and_then(|e| e.mode);
        assert_eq!(mlsd("type=file;UNIX.mode=0755; f"), Some(0o755));
        assert_eq!(mlsd("type=file;unix.mode=644; f"), Some(0o644));
        assert_eq!(mlsd("type=file;unix.mode=0o600; f"), Some(0o600));
        assert_eq!(mlsd("type=file;unix.mode=0o; f"), None);
        assert_eq!(mlsd("type=file;unix.mode=0o0o6; f"), None);
        assert_eq!(mlsd("type=file;UNIX.mode=0789; f"), None);
        assert_eq!(mlsd("type=file;UNIX.mode=77777; f"), None);
        assert_eq!(mlsd("type=file;UNIX.mode=; f"), None);
        assert_eq!(mlsd("type=file;perm=rw; f"), None);
        assert_eq!(
            parse_list("01-02-23  10:00PM  12 a").and_then(|e| e.mode),
            None
        );
        for m in [
            "rw-r--r--",
            "rwxr-x---",
            "rwsr-Sr-t",
            "rwxrwxrwT",
            "---------",
        ] {
            assert_eq!(rwx(unix_mode(m).unwrap()), m);
        }
    }

    #[test]
    fn dos_lines() {
        let e = parse_list("01-02-23  10:00PM       <DIR>          Sub Dir").unwrap();
        assert_eq!((e.name.as_str(), e.kind), ("Sub Dir", Kind::Dir));
        assert_eq!(e.modified.as_deref(), Some("2023-01-02T22:00:00Z"));
        let e = parse_list("12-31-1999  12:05AM            1,024 old.txt").unwrap();
        assert_eq!(
            (e.size, e.modified.as_deref()),
            (Some(1024), Some("1999-12-31T00:05:00Z"))
        );
    }

    #[test]
    fn time_vals_round_trip() {
        let t = parse_time_val("20240229235959.123").unwrap();
        assert_eq!(iso8601(t), "2024-02-29T23:59:59Z");
        assert!(parse_time_val("2024022923595").is_none());
        assert!(parse_time_val("20241301000000").is_none());
    }

    #[test]
    fn listings_are_bounded() {
        let long = vec![b'x'; LINE_CAP + 1];
        let e = read_lines(&mut &long[..]).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Protocol);
        let ok = read_lines(&mut &b"a\r\nb\n\nc"[..]).unwrap();
        assert_eq!(ok, vec!["a", "b", "c"]);
    }

    #[test]
    fn a_listing_of_long_lines_is_bounded_in_all() {
        // Hostile-server pass: a million lines just under the line cap were all kept (64 GiB).
        let mut line = vec![b'x'; LINE_CAP - 2];
        line.extend_from_slice(b"\r\n");
        let body = line.repeat(32);
        let e = read_lines_capped(&mut &body[..], 31 * LINE_CAP).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Protocol);
        assert_eq!(
            read_lines_capped(&mut &body[..], 32 * LINE_CAP)
                .unwrap()
                .len(),
            32
        );
    }

    #[test]
    fn non_ascii_in_the_mode_field_is_not_a_unix_line() {
        // Issue 13, defect 1: these panicked (a str sliced inside a UTF-8 character).
        for line in [
            "-rwxrwxrw\u{e9} 1 u g 5 Jan 01 00:00 x",
            "\u{e9}123456789 1 u g 5 Jan 01 00:00 x",
            "\u{e9} 1 u g 5 Jan 01 00:00 x",
            "d\u{1f600}\u{1f600}\u{1f600} 1 u g 5 Jan 01 00:00 x",
        ] {
            assert!(parse_unix(line).is_none(), "{line}");
            let _ = parse_dos(line);
        }
        let e = parse_unix("-rwxrwxrwx 1 u g 5 Jan 01 00:00 \u{e9}t\u{e9}").unwrap();
        assert_eq!(
            (e.name.as_str(), e.perm.as_deref()),
            ("\u{e9}t\u{e9}", Some("rwxrwxrwx"))
        );
    }

    #[test]
    fn only_a_single_name_equal_to_the_last_segment_is_the_own_name() {
        assert!(only_own_name("a/closed", ["closed"].into_iter()));
        assert!(only_own_name("a/closed/", ["closed"].into_iter()));
        assert!(only_own_name("a/closed", ["a/closed"].into_iter()));
        assert!(!only_own_name("a/closed", ["other"].into_iter()));
        assert!(!only_own_name("a/closed", ["closed", "x"].into_iter()));
        assert!(!only_own_name("a/closed", std::iter::empty()));
        assert!(!only_own_name("", ["x"].into_iter()));
        assert!(!only_own_name("/", ["x"].into_iter()));
    }
}
