//! `imap-fetch --list`: what the matching messages are, without their bodies. One `UID FETCH (UID FLAGS
//! INTERNALDATE RFC822.SIZE ENVELOPE [BODYSTRUCTURE])` per batch of UIDs; human output is one line per
//! message — `UID  date  size  flags  From  Subject`, tab-separated, the subject and names decoded from
//! RFC 2047 and escaped for the terminal — printed batch by batch; `--json` prints one document with
//! the envelope fields, flags, INTERNALDATE, size and the BODYSTRUCTURE part tree of each message. The
//! mailbox is opened read-only (EXAMINE) and nothing on the server changes.
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
    let mut listed: Vec<Listed> = Vec::new();
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
            &mut |batch| {
                if json {
                    listed.extend(batch);
                    Ok(())
                } else {
                    print(&batch)
                }
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
    if json {
        ui.print_json(&ListJson {
            mailbox: &opts.mailbox,
            uidvalidity,
            messages: &listed,
        })?;
    }
    Ok(Outcome::Success)
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
