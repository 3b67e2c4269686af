//! What `imap-message append` uploads: `.eml` files, a directory of them, a Maildir (`cur/` and `new/`)
//! or an mbox, each message with a stable key for the state file, its flags and its internal date.
//!
//! Keys: a Maildir message by its unique name (the part before `:2,`, which stays when another client
//! changes its flags); an `.eml` file by path, size and mtime; an mbox message by its offset and a hash
//! of its bytes (an mbox that was rewritten above a message gives it another key). Flags: Maildir info
//! letters (`D` \Draft, `F` \Flagged, `R` \Answered, `S` \Seen, `T` \Deleted), mbox `Status: R` (\Seen)
//! and `X-Status:` letters (`A` \Answered, `F` \Flagged, `T` \Draft, `D` \Deleted). Dates: the file's
//! mtime, or the mbox `From ` line's date. An mbox is indexed in one streaming pass (lines read in
//! bounded pieces); each message is later read again from its offset, never held in memory.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::error::{Error, Result};
use crate::imap::date;
use crate::ops::imap::state::Fnv;

/// The most messages one run considers.
pub const MAX_MESSAGES: usize = 10_000_000;

/// The longest header line looked at for flags and Message-ID.
const HEADER_LINE: u64 = 8 * 1024;

/// Where a message's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A whole file.
    File(PathBuf),
    /// `len` bytes of an mbox from `start` (after its `From ` line), mboxrd-quoted.
    Mbox {
        /// The mbox.
        path: PathBuf,
        /// Offset of the first header byte.
        start: u64,
        /// Length, without the separating blank line.
        len: u64,
    },
}

/// One message to upload.
#[derive(Debug, Clone)]
pub struct Message {
    /// Its key in the state file.
    pub key: String,
    /// Where it is.
    pub origin: Origin,
    /// IMAP flags to keep.
    pub flags: Vec<String>,
    /// Internal date (Unix seconds), if known.
    pub date: Option<i64>,
}

impl Message {
    /// A reader of its raw bytes (still to be normalised) and whether they are mboxrd-quoted.
    pub fn open(&self) -> Result<(Box<dyn BufRead>, bool)> {
        match &self.origin {
            Origin::File(p) => {
                let f = File::open(p).map_err(|e| Error::local(p.display(), e))?;
                Ok((Box::new(BufReader::with_capacity(64 * 1024, f)), false))
            }
            Origin::Mbox { path, start, len } => {
                let mut f = File::open(path).map_err(|e| Error::local(path.display(), e))?;
                f.seek(SeekFrom::Start(*start))
                    .map_err(|e| Error::local(path.display(), e))?;
                Ok((
                    Box::new(BufReader::with_capacity(64 * 1024, f.take(*len))),
                    true,
                ))
            }
        }
    }

    /// What the user sees for it: a path, or `mbox@offset`.
    pub fn source(&self) -> String {
        match &self.origin {
            Origin::File(p) => p.display().to_string(),
            Origin::Mbox { path, start, .. } => format!("{}@{start}", path.display()),
        }
    }
}

/// The Message-ID of a message's header (first one, trimmed), read in bounded lines.
pub fn message_id(r: &mut dyn BufRead) -> Option<String> {
    let mut line = Vec::new();
    for _ in 0..10_000 {
        line.clear();
        if r.take(HEADER_LINE).read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        let t = String::from_utf8_lossy(&line);
        let t = t.trim_end();
        if t.is_empty() {
            return None;
        }
        if let Some((name, v)) = t.split_once(':')
            && name.eq_ignore_ascii_case("message-id")
        {
            let v = v.trim();
            return (!v.is_empty() && !v.contains(['\r', '\n', '"', '\\'])).then(|| v.to_string());
        }
    }
    None
}

fn mtime(p: &Path) -> Result<(u64, Option<i64>)> {
    let md = std::fs::metadata(p).map_err(|e| Error::local(p.display(), e))?;
    let t = md
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_secs()).ok());
    Ok((md.len(), t))
}

fn push(out: &mut Vec<Message>, m: Message) -> Result<()> {
    if out.len() >= MAX_MESSAGES {
        return Err(Error::usage(format!(
            "more than {MAX_MESSAGES} messages to upload"
        )));
    }
    out.push(m);
    Ok(())
}

/// Every message under `paths`, in upload order.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<Message>> {
    let mut out = Vec::new();
    for p in paths {
        let md = std::fs::metadata(p).map_err(|e| Error::local(p.display(), e))?;
        if md.is_dir() {
            if p.join("cur").is_dir() && p.join("new").is_dir() {
                maildir(p, &mut out)?;
            } else {
                let mut names = list(p)?;
                names.retain(|n| n.extension().is_some_and(|e| e.eq_ignore_ascii_case("eml")));
                for f in names {
                    eml(&f, &mut out)?;
                }
            }
        } else if is_mbox(p)? {
            mbox(p, &mut out)?;
        } else {
            eml(p, &mut out)?;
        }
    }
    Ok(out)
}

/// Regular files in `dir` (not dot files), sorted by name.
fn list(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| Error::local(dir.display(), e))? {
        let e = e.map_err(|e| Error::local(dir.display(), e))?;
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if e.file_type()
            .map_err(|e| Error::local(dir.display(), e))?
            .is_file()
        {
            v.push(e.path());
        }
    }
    v.sort();
    Ok(v)
}

fn eml(p: &Path, out: &mut Vec<Message>) -> Result<()> {
    let (size, t) = mtime(p)?;
    push(
        out,
        Message {
            key: format!("eml:{}:{size}:{}", p.display(), t.unwrap_or(0)),
            origin: Origin::File(p.to_path_buf()),
            flags: Vec::new(),
            date: t,
        },
    )
}

fn maildir(dir: &Path, out: &mut Vec<Message>) -> Result<()> {
    let mut found = Vec::new();
    for sub in ["new", "cur"] {
        for f in list(&dir.join(sub))? {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let (unique, info) = match name.split_once(":2,").or_else(|| name.split_once("!2,")) {
                Some((u, i)) => (u.to_string(), i.to_string()),
                None => (name.clone(), String::new()),
            };
            let mut flags = Vec::new();
            for (letter, flag) in [
                ('D', "\\Draft"),
                ('F', "\\Flagged"),
                ('R', "\\Answered"),
                ('S', "\\Seen"),
                ('T', "\\Deleted"),
            ] {
                if info.contains(letter) {
                    flags.push(flag.to_string());
                }
            }
            let (_, t) = mtime(&f)?;
            found.push((
                t.unwrap_or(0),
                unique.clone(),
                Message {
                    key: format!("maildir:{unique}"),
                    origin: Origin::File(f),
                    flags,
                    date: t,
                },
            ));
        }
    }
    found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    for (_, _, m) in found {
        push(out, m)?;
    }
    Ok(())
}

fn is_mbox(p: &Path) -> Result<bool> {
    let mut head = [0u8; 5];
    let mut f = File::open(p).map_err(|e| Error::local(p.display(), e))?;
    let n = f
        .read(&mut head)
        .map_err(|e| Error::local(p.display(), e))?;
    Ok(n == 5 && &head == b"From ")
}

/// An mbox message being indexed.
struct Open {
    start: u64,
    date: Option<i64>,
    flags: Vec<String>,
    in_header: bool,
    hash: Fnv,
}

fn mbox(p: &Path, out: &mut Vec<Message>) -> Result<()> {
    use std::io::Write;
    let f = File::open(p).map_err(|e| Error::local(p.display(), e))?;
    let mut r = BufReader::with_capacity(256 * 1024, f);
    let mut pos: u64 = 0;
    let mut line = Vec::new();
    let mut cur: Option<Open> = None;
    // Whether the previous line was empty (a `From ` line starts a message only after one, or first).
    let mut prev_blank = true;
    let mut line_start = true;
    let finish =
        |cur: Option<Open>, end: u64, prev_blank: bool, out: &mut Vec<Message>| -> Result<()> {
            if let Some(o) = cur {
                // The blank line before the next `From ` separates; it is not the message's.
                let end = if prev_blank {
                    end.saturating_sub(1).max(o.start)
                } else {
                    end
                };
                push(
                    out,
                    Message {
                        key: format!("mbox:{}:{}:{:016x}", p.display(), o.start, o.hash.hash),
                        origin: Origin::Mbox {
                            path: p.to_path_buf(),
                            start: o.start,
                            len: end - o.start,
                        },
                        flags: o.flags,
                        date: o.date,
                    },
                )?;
            }
            Ok(())
        };
    loop {
        line.clear();
        let n = (&mut r)
            .take(64 * 1024)
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::local(p.display(), e))?;
        if n == 0 {
            finish(cur.take(), pos, prev_blank, out)?;
            break;
        }
        let whole = line.last() == Some(&b'\n');
        if line_start && prev_blank && line.starts_with(b"From ") {
            let end = pos;
            finish(cur.take(), end, prev_blank, out)?;
            let text = String::from_utf8_lossy(&line);
            cur = Some(Open {
                start: pos + n as u64,
                date: date::from_line_unix(&text),
                flags: Vec::new(),
                in_header: true,
                hash: Fnv::default(),
            });
            pos += n as u64;
            prev_blank = false;
            line_start = whole;
            continue;
        }
        if let Some(o) = cur.as_mut() {
            let _ = o.hash.write(&line);
            if o.in_header && line_start {
                let t = String::from_utf8_lossy(&line);
                let t = t.trim_end();
                if t.is_empty() {
                    o.in_header = false;
                } else if let Some((name, v)) = t.split_once(':') {
                    let v = v.trim();
                    if name.eq_ignore_ascii_case("status") && v.contains('R') {
                        add(&mut o.flags, "\\Seen");
                    } else if name.eq_ignore_ascii_case("x-status") {
                        for (l, f) in [
                            ('A', "\\Answered"),
                            ('F', "\\Flagged"),
                            ('T', "\\Draft"),
                            ('D', "\\Deleted"),
                        ] {
                            if v.contains(l) {
                                add(&mut o.flags, f);
                            }
                        }
                    }
                }
            }
        }
        prev_blank = line_start && (line == b"\n" || line == b"\r\n");
        line_start = whole;
        pos += n as u64;
    }
    Ok(())
}

fn add(flags: &mut Vec<String>, f: &str) {
    if !flags.iter().any(|x| x == f) {
        flags.push(f.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbox_maildir_and_eml() {
        let dir = tempfile::tempdir().unwrap();
        let mb = dir.path().join("a.mbox");
        std::fs::write(
            &mb,
            "From ann@h Fri Jan  5 10:00:00 2024\nStatus: RO\nX-Status: AF\nSubject: one\n\nbody\n>From here\n\nFrom bob@h Sat Jan  6 10:00:00 2024\nSubject: two\n\nx\n\n",
        )
        .unwrap();
        let v = collect(std::slice::from_ref(&mb)).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].flags, vec!["\\Seen", "\\Answered", "\\Flagged"]);
        assert_eq!(v[0].date, Some(1_704_448_800));
        let mut body = String::new();
        v[0].open().unwrap().0.read_to_string(&mut body).unwrap();
        assert_eq!(
            body,
            "Status: RO\nX-Status: AF\nSubject: one\n\nbody\n>From here\n"
        );
        let mut body = String::new();
        v[1].open().unwrap().0.read_to_string(&mut body).unwrap();
        assert_eq!(body, "Subject: two\n\nx\n");
        assert!(v[1].flags.is_empty());
        let md = dir.path().join("M");
        for d in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(md.join(d)).unwrap();
        }
        std::fs::write(md.join("cur/1.a.h:2,FS"), "A\n").unwrap();
        std::fs::write(md.join("new/2.b.h"), "B\n").unwrap();
        let v = collect(&[md]).unwrap();
        let mut keys: Vec<(&str, Vec<String>)> = v
            .iter()
            .map(|m| (m.key.as_str(), m.flags.clone()))
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            vec![
                (
                    "maildir:1.a.h",
                    vec!["\\Flagged".to_string(), "\\Seen".to_string()]
                ),
                ("maildir:2.b.h", vec![])
            ]
        );
        assert_eq!(
            message_id(&mut &b"Subject: x\nMessage-ID:  <a@b> \n\nMessage-ID: <no>\n"[..])
                .as_deref(),
            Some("<a@b>")
        );
    }
}
