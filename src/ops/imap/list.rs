//! `imap-fetch --list`: what the matching messages are, without their bodies. One `UID FETCH (UID FLAGS
//! INTERNALDATE RFC822.SIZE ENVELOPE [BODYSTRUCTURE])` per batch of UIDs; human output is one line per
//! message — `UID  date  size  flags  From  Subject`, tab-separated, the subject and names decoded from
//! RFC 2047 and escaped for the terminal — printed batch by batch; `--json` prints one document with
//! the envelope fields, flags, INTERNALDATE, size and the BODYSTRUCTURE part tree of each message
//! (spooled to a temporary file as they come, so memory stays flat). The mailbox is opened read-only
//! (EXAMINE) and nothing on the server changes.
//!
//! With `--retries`, a broken session is opened again and the listing goes on with the UIDs not yet
//! listed (a UID is never printed twice).

use std::collections::HashSet;
use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::imap::bodystructure::Structure;
use crate::imap::envelope::Envelope;
use crate::imap::{Fetch, FetchItems, Session, date, quote};
use crate::ops::Outcome;
use crate::ops::common::{Connector, Login, Ui, with_retries};
use crate::ops::imap::connect::opener;
use crate::ops::imap::fetch::Options;
use crate::ops::imap::slot::NoBodies;

/// One message as `--list --json` prints it.
#[derive(Debug, Serialize)]
pub struct Listed {
    /// UID.
    pub uid: u32,
    /// INTERNALDATE, as the server sent it.
    pub internal_date: Option<String>,
    /// RFC822.SIZE.
    pub size: Option<u64>,
    /// FLAGS.
    pub flags: Vec<String>,
    /// ENVELOPE.
    pub envelope: Option<Envelope>,
    /// BODYSTRUCTURE as a part tree.
    pub structure: Option<Structure>,
}

#[derive(Serialize)]
struct ListJson<'a> {
    mailbox: &'a str,
    uidvalidity: Option<u32>,
    messages: &'a [Listed],
}

impl Listed {
    fn from_fetch(f: Fetch, uid: u32) -> Result<Listed> {
        Ok(Listed {
            uid,
            internal_date: f.internal_date,
            size: f.size,
            flags: f.flags.unwrap_or_default(),
            envelope: f.envelope.as_ref().map(Envelope::from_value).transpose()?,
            structure: f
                .structure
                .as_ref()
                .map(Structure::from_value)
                .transpose()?,
        })
    }

    /// The human line: UID, date, size, flags, From, Subject (tab-separated, escaped).
    pub fn line(&self) -> String {
        let date = self
            .internal_date
            .as_deref()
            .map(|d| date::display_internal(d).unwrap_or_else(|| d.to_string()))
            .unwrap_or_else(|| "-".into());
        let flags = if self.flags.is_empty() {
            "-".to_string()
        } else {
            self.flags.join(" ")
        };
        let env = self.envelope.clone().unwrap_or_default();
        let from = env.from.first().map(|a| a.display()).unwrap_or_default();
        let subject = env.subject.unwrap_or_default();
        let clean = |s: &str| crate::terminal::escape(&s.replace('\t', " ")).into_owned();
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            self.uid,
            clean(&date),
            self.size.map_or("-".to_string(), |s| s.to_string()),
            clean(&flags),
            clean(&from),
            clean(&subject)
        )
    }
}

/// Runs `imap-fetch --list`.
pub fn run(opts: &Options, ui: &Ui) -> Result<Outcome> {
    let conn = Connector::for_target(opts.target.clone(), &opts.net, Login::Required)?;
    let open = opener(opts.auth);
    let json = ui.json();
    let mut spool = if json { Some(Spool::new()?) } else { None };
    let mut done: HashSet<u32> = HashSet::new();
    let mut plan: Option<Vec<u32>> = None;
    let mut uidvalidity = None;
    with_retries(&opts.net.retry, ui, |_| {
        let mut s = conn.open_once(&open)?;
        let r = session(
            opts,
            &mut s,
            &mut plan,
            &mut done,
            &mut uidvalidity,
            &mut |batch| match &mut spool {
                Some(spool) => batch.iter().try_for_each(|l| spool.push(l)),
                None => print(&batch),
            },
        );
        match r {
            Ok(()) => {
                s.logout();
                Ok(())
            }
            Err(e) => {
                s.close();
                Err(e)
            }
        }
    })?;
    if let Some(spool) = spool {
        spool.print(&opts.mailbox, uidvalidity)?;
    }
    Ok(Outcome::Success)
}

/// `--list --json`'s messages, spooled as they come to an unnamed temporary file (pretty JSON, indented
/// as inside the document), so memory stays flat however large the mailbox; the document is written out
/// whole, as `--json` documents are, once the listing is complete.
struct Spool {
    file: std::io::BufWriter<std::fs::File>,
    count: usize,
}

impl Spool {
    fn new() -> Result<Spool> {
        let file = tempfile::tempfile()
            .map_err(|e| Error::local("a temporary file for the --json listing", e))?;
        Ok(Spool {
            file: std::io::BufWriter::new(file),
            count: 0,
        })
    }

    fn push(&mut self, l: &Listed) -> Result<()> {
        let text = serde_json::to_string_pretty(l)
            .map_err(|e| Error::local("--json", std::io::Error::from(e)))?;
        let mut out = String::with_capacity(text.len() + text.len() / 8 + 8);
        out.push_str(if self.count == 0 { "\n" } else { ",\n" });
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str("    ");
            out.push_str(line);
        }
        self.count += 1;
        self.file
            .write_all(out.as_bytes())
            .map_err(|e| Error::local("the --json spool", e))
    }

    /// Writes the document to `out`: what [`crate::json::print`] would print for all the messages.
    fn write_to(self, mailbox: &str, uidvalidity: Option<u32>, out: &mut dyn Write) -> Result<()> {
        let head = serde_json::to_string_pretty(&ListJson {
            mailbox,
            uidvalidity,
            messages: &[],
        })
        .map_err(|e| Error::local("--json", std::io::Error::from(e)))?;
        let io = |e| Error::local("stdout", e);
        if self.count == 0 {
            return out
                .write_all(head.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| out.flush())
                .map_err(io);
        }
        // `messages` is the last field: its `[]` opens the spooled elements.
        let head = head.strip_suffix("[]\n}").unwrap_or(&head);
        let mut file = self
            .file
            .into_inner()
            .map_err(|e| Error::local("the --json spool", e.into_error()))?;
        use std::io::Seek;
        file.rewind()
            .map_err(|e| Error::local("the --json spool", e))?;
        out.write_all(head.as_bytes())
            .and_then(|()| out.write_all(b"["))
            .and_then(|()| std::io::copy(&mut file, out).map(|_| ()))
            .and_then(|()| out.write_all(b"\n  ]\n}\n"))
            .and_then(|()| out.flush())
            .map_err(io)
    }

    fn print(self, mailbox: &str, uidvalidity: Option<u32>) -> Result<()> {
        let mut out = std::io::BufWriter::with_capacity(256 * 1024, std::io::stdout().lock());
        self.write_to(mailbox, uidvalidity, &mut out)
    }
}

fn session(
    opts: &Options,
    s: &mut Session,
    plan: &mut Option<Vec<u32>>,
    done: &mut HashSet<u32>,
    uidvalidity: &mut Option<u32>,
    out: &mut dyn FnMut(Vec<Listed>) -> Result<()>,
) -> Result<()> {
    let sel = s.select(&opts.mailbox, true)?;
    if uidvalidity.is_some() && sel.uidvalidity != *uidvalidity {
        return Err(Error::new(
            crate::ErrorKind::Permanent,
            "the mailbox's UIDVALIDITY changed between sessions; stopping",
        ));
    }
    *uidvalidity = sel.uidvalidity;
    let uids = match plan {
        Some(p) => p.clone(),
        None => {
            let mut u = s.uid_search(&quote::search(&opts.search)?)?;
            if let Some(n) = opts.max_messages {
                u.truncate(n);
            }
            *plan = Some(u.clone());
            u
        }
    };
    let todo: Vec<u32> = uids.into_iter().filter(|u| !done.contains(u)).collect();
    // BODYSTRUCTURE only where it is shown: it is the bulk of each response.
    let items = FetchItems::Meta {
        structure: opts.list_json,
    };
    for chunk in todo.chunks(opts.batch.max(1)) {
        let wanted: HashSet<u32> = chunk.iter().copied().collect();
        let tag = s.uid_fetch(chunk, &items)?;
        let mut batch: Vec<Listed> = Vec::new();
        while let Some(f) = s.fetch_next(&tag, &mut NoBodies, 0)? {
            // Unsolicited FETCH (a flag change by another client) carries no envelope: not ours.
            let Some(uid) = f.uid.filter(|u| wanted.contains(u) && f.envelope.is_some()) else {
                continue;
            };
            if done.insert(uid) {
                batch.push(Listed::from_fetch(f, uid)?);
            }
        }
        batch.sort_by_key(|l| l.uid);
        out(batch)?;
    }
    Ok(())
}

/// A batch's listing lines on stdout (data, so also under `-q`), in one write: stdout is line-buffered,
/// and a write(2) per line was a large part of a listing's time.
fn print(batch: &[Listed]) -> Result<()> {
    let mut text = String::new();
    for l in batch {
        text.push_str(&l.line());
        text.push('\n');
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Error::local("stdout", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(uid: u32) -> Listed {
        Listed {
            uid,
            internal_date: Some("01-Jan-2024 00:00:00 +0000".into()),
            size: Some(u64::from(uid) * 10),
            flags: vec!["\\Seen".into(), "odd \"quoted\"\nflag".into()],
            envelope: None,
            structure: None,
        }
    }

    #[test]
    fn the_spooled_document_is_what_one_pretty_document_would_be() {
        for n in [0, 1, 3] {
            let all: Vec<Listed> = (1..=n).map(listed).collect();
            let mut spool = Spool::new().unwrap();
            for l in &all {
                spool.push(l).unwrap();
            }
            let mut out = Vec::new();
            spool.write_to("INBOX", Some(7), &mut out).unwrap();
            let whole = ListJson {
                mailbox: "INBOX",
                uidvalidity: Some(7),
                messages: &all,
            };
            let mut want = serde_json::to_vec_pretty(&whole).unwrap();
            want.push(b'\n');
            assert_eq!(
                String::from_utf8(out).unwrap(),
                String::from_utf8(want).unwrap(),
                "{n}"
            );
        }
    }
}
