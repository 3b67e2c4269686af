//! `imap-fetch --mailbox PATTERN`: several mailboxes in one run, each into its own folder under the
//! output, each with its own state in the one state file.
//!
//! The patterns are LIST patterns (RFC 9051 §6.3.9: `*` matches across the hierarchy, `%` within one
//! level); every pattern is listed once, the mailboxes are fetched in (UTF-8) name order, each once, and those the
//! server marks `\Noselect` or `\NonExistent` are left out. Where a mailbox goes (decided here, never by
//! the server): its name is decoded from modified UTF-7 and split at the server's hierarchy delimiter;
//! each level becomes one file-name component in which `/`, `\`, `.` and control characters become `_`
//! (an empty level is `_`), so no name can climb out of the output, be absolute or hidden. Then:
//! - `--maildir DIR`: Maildir++ (what Dovecot, Courier, mutt and offlineimap read): INBOX is `DIR`
//!   itself, `Work/Projects` is `DIR/.Work.Projects`;
//! - `--mbox DIR` / `--dir DIR`: DIR is a directory holding one mbox file / one directory per mailbox,
//!   named the same way without the leading dot: `DIR/INBOX`, `DIR/Work.Projects`;
//! - `--mda`, stdout: every mailbox to the same place (stdout as one mboxrd stream).
//!
//! Two mailboxes that map to one name (`a.b` and `a_b`) would mix: the second one fails instead. One
//! session serves every mailbox; a mailbox that fails for a reason of its own (refused, a changed
//! UIDVALIDITY, a local write) is reported and the run goes on with the next one on a fresh session; a
//! dropped connection is retried by the one retry loop and resumes with the mailbox it was fetching.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::imap::{ListEntry, Session, utf7};
use crate::json::ErrorJson;
use crate::ops::Outcome;
use crate::ops::common::{Connector, Tally, Ui, with_retries};
use crate::ops::imap::connect::opener;
use crate::ops::imap::fetch::{Fetcher, Options, Summary, stdout_mbox};
use crate::ops::imap::state::Book;
use crate::store::{Store, Target};

/// The longest local name for one mailbox (a file-name component holds at most 255 bytes).
const NAME_CAP: usize = 200;

/// The `--json` document of a run over several mailboxes.
#[derive(Debug, Serialize)]
pub struct FoldersSummary {
    /// One document per mailbox, as a one-mailbox run prints it, plus where it went.
    pub mailboxes: Vec<FolderSummary>,
    /// What stopped the run, if anything.
    pub error: Option<ErrorJson>,
}

/// One mailbox of the run.
#[derive(Debug, Serialize)]
pub struct FolderSummary {
    /// Its local folder (`-` for stdout, `mda` for an MDA).
    pub path: String,
    /// What happened in it.
    #[serde(flatten)]
    pub summary: Summary,
}

/// One mailbox to fetch.
struct Folder {
    name: String,
    output: Result<Target>,
}

/// Runs imap-fetch over every mailbox the patterns match.
pub fn run(opts: &Options, ui: &Ui, conn: &Connector, book: Option<Book>) -> Result<Outcome> {
    let open = opener(opts.auth);
    let mut book = book;
    let mut folders: Option<Vec<Folder>> = None;
    let mut next = 0usize;
    let mut done: Vec<FolderSummary> = Vec::new();
    let mut failures: Vec<ErrorKind> = Vec::new();
    let mut current: Option<(Fetcher<'_>, Store)> = None;
    let result = with_retries(&opts.net.retry, ui, |_| {
        let mut s = conn.open_once(&open)?;
        let list = match &folders {
            Some(l) => l,
            None => folders.insert(list(&mut s, opts)?),
        };
        while next < list.len() {
            let folder = &list[next];
            if current.is_none() {
                let output = match &folder.output {
                    Ok(t) => Ok(t.clone()),
                    Err(e) => Err(Error::new(e.kind(), e.to_string())),
                };
                let started = output.and_then(|out| {
                    let store = Store::open(out.clone())?;
                    let f = Fetcher::new(opts, ui, &folder.name, &out, book.take())?;
                    Ok((f, store))
                });
                match started {
                    Ok(c) => current = Some(c),
                    Err(e) => {
                        let e = e.within(crate::terminal::escape(&folder.name));
                        ui.item_error(&e);
                        failures.push(e.kind());
                        done.push(failed(folder, &e));
                        next += 1;
                        continue;
                    }
                }
            }
            let Some((f, store)) = current.as_mut() else {
                continue;
            };
            let r = f.session(&mut s, store);
            if r.is_err()
                && let Err(se) = f.save_state()
            {
                ui.error(&se);
            }
            match r {
                Ok(()) => {}
                Err(e) if e.kind().is_transient() => {
                    s.close();
                    return Err(e);
                }
                Err(e) => {
                    // This mailbox's own failure: reported, and the next one gets a fresh session,
                    // since this one may be out of step (a write failed mid-literal).
                    let (mut f, _) = current.take().ok_or_else(internal)?;
                    ui.item_error(&e);
                    failures.push(e.kind());
                    f.close_summary(Some(&e));
                    book = f.book.take();
                    done.push(FolderSummary {
                        path: shown(&folder.output),
                        summary: std::mem::replace(&mut f.summary, empty(&folder.name)),
                    });
                    next += 1;
                    s.close();
                    if next >= list.len() {
                        return Ok(());
                    }
                    s = conn.open_once(&open)?;
                    continue;
                }
            }
            let (mut f, _) = current.take().ok_or_else(internal)?;
            f.close_summary(None);
            book = f.book.take();
            ui.note(&f.summary.line());
            done.push(FolderSummary {
                path: shown(&folder.output),
                summary: std::mem::replace(&mut f.summary, empty(&folder.name)),
            });
            next += 1;
        }
        s.logout();
        Ok(())
    });
    let fatal = result.err();
    if let (Some(e), Some((mut f, _))) = (&fatal, current.take()) {
        // The mailbox the run stopped in: what it stored counts.
        f.close_summary(Some(e));
        let name = f.summary.mailbox.clone();
        let path = folders
            .as_ref()
            .and_then(|l| l.get(next))
            .map_or_else(|| "-".to_string(), |fo| shown(&fo.output));
        done.push(FolderSummary {
            path,
            summary: std::mem::replace(&mut f.summary, empty(&name)),
        });
    }
    let mut tally = Tally::of(
        done.iter()
            .flat_map(|d| d.summary.messages.iter().map(|m| &m.result)),
    );
    for k in failures {
        tally.add_failure(k);
    }
    if ui.json() {
        ui.print_json(&FoldersSummary {
            mailboxes: done,
            error: fatal.as_ref().map(|e| ErrorJson {
                exit_code: e.kind().exit_code(),
                message: e.to_string(),
            }),
        })?;
    }
    tally.outcome(ui, "messages", fatal)
}

fn internal() -> Error {
    Error::new(ErrorKind::Internal, "no mailbox in progress")
}

fn empty(name: &str) -> Summary {
    Summary {
        mailbox: name.to_string(),
        uidvalidity: None,
        messages: Vec::new(),
        deleted: 0,
        moved: 0,
        error: None,
    }
}

fn failed(folder: &Folder, e: &Error) -> FolderSummary {
    let mut summary = empty(&folder.name);
    summary.error = Some(ErrorJson {
        exit_code: e.kind().exit_code(),
        message: e.to_string(),
    });
    FolderSummary {
        path: shown(&folder.output),
        summary,
    }
}

fn shown(output: &Result<Target>) -> String {
    match output {
        Ok(Target::Maildir(p) | Target::Mbox(p) | Target::Dir(p)) => p.display().to_string(),
        Ok(Target::Mda(_)) => "mda".to_string(),
        Ok(Target::Stdout) | Err(_) => "-".to_string(),
    }
}

/// LISTs every pattern and maps each selectable mailbox to its local folder, in name order.
fn list(s: &mut Session, opts: &Options) -> Result<Vec<Folder>> {
    let mut entries: Vec<ListEntry> = Vec::new();
    for p in &opts.patterns {
        entries.extend(s.list(p)?);
    }
    let mut names = BTreeSet::new();
    let mut out: Vec<Folder> = Vec::new();
    let mut taken: BTreeSet<PathBuf> = BTreeSet::new();
    entries.sort_by_cached_key(|e| utf7::display(&e.wire_name));
    for e in entries {
        let skip = e.attributes.iter().any(|a| {
            a.eq_ignore_ascii_case("\\Noselect") || a.eq_ignore_ascii_case("\\NonExistent")
        });
        if skip || !names.insert(e.wire_name.clone()) {
            continue;
        }
        let Some(name) = utf7::decode(&e.wire_name) else {
            let shown = utf7::display(&e.wire_name);
            out.push(Folder {
                // Reported with the folder's name in front (see `run`).
                output: Err(Error::protocol("the name is not valid modified UTF-7")),
                name: shown,
            });
            continue;
        };
        let output = local(&opts.output, &name, e.delimiter).and_then(|t| match &t {
            Target::Maildir(p) | Target::Mbox(p) | Target::Dir(p)
                if p != Path::new("-") && !taken.insert(p.clone()) =>
            {
                Err(Error::new(
                    ErrorKind::LocalIo,
                    format!(
                        "its local name {} is another mailbox's already",
                        p.display()
                    ),
                ))
            }
            _ => Ok(t),
        });
        out.push(Folder { name, output });
    }
    if out.is_empty() {
        return Err(Error::new(
            ErrorKind::Permanent,
            format!(
                "no mailbox matches {}",
                crate::terminal::escape(&opts.patterns.join(" "))
            ),
        ));
    }
    Ok(out)
}

/// Where mailbox `name` (UTF-8, levels separated by `delim`) goes under `output`.
pub fn local(output: &Target, name: &str, delim: Option<char>) -> Result<Target> {
    let levels: Vec<String> = match delim {
        Some(d) => name.split(d).map(component).collect(),
        None => vec![component(name)],
    };
    let flat = levels.join(".");
    if flat.len() > NAME_CAP {
        return Err(Error::new(
            ErrorKind::LocalIo,
            format!(
                "{}: the name is too long for a local folder",
                crate::terminal::escape(name)
            ),
        ));
    }
    let inbox = name.eq_ignore_ascii_case("INBOX");
    Ok(match output {
        Target::Maildir(root) if inbox => Target::Maildir(root.clone()),
        Target::Maildir(root) => Target::Maildir(root.join(format!(".{flat}"))),
        Target::Mbox(root) if root == Path::new("-") => stdout_mbox(),
        Target::Mbox(root) => {
            std::fs::create_dir_all(root).map_err(|e| Error::local(root.display(), e))?;
            Target::Mbox(root.join(flat))
        }
        Target::Dir(root) => Target::Dir(root.join(flat)),
        Target::Mda(cmd) => Target::Mda(cmd.clone()),
        Target::Stdout => stdout_mbox(),
    })
}

/// One level of a mailbox name as a safe file-name component.
fn component(level: &str) -> String {
    let c: String = level
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | '.') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if c.is_empty() { "_".to_string() } else { c }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_safe_local_folders() {
        let md = Target::Maildir(PathBuf::from("M"));
        let at = |name: &str, d: Option<char>| local(&md, name, d).unwrap();
        assert_eq!(at("INBOX", Some('/')), md);
        assert_eq!(at("inbox", Some('.')), md);
        assert_eq!(
            at("Work/Projects", Some('/')),
            Target::Maildir(PathBuf::from("M/.Work.Projects"))
        );
        assert_eq!(
            at("../../etc/x.y", Some('/')),
            Target::Maildir(PathBuf::from("M/.__.__.etc.x_y"))
        );
        assert_eq!(
            at("/abs\u{7}", None),
            Target::Maildir(PathBuf::from("M/._abs_"))
        );
        assert_eq!(
            at("Entwürfe", Some('/')),
            Target::Maildir(PathBuf::from("M/.Entwürfe"))
        );
        let dir = Target::Dir(PathBuf::from("D"));
        assert_eq!(
            local(&dir, "INBOX", Some('/')).unwrap(),
            Target::Dir(PathBuf::from("D/INBOX"))
        );
        assert_eq!(
            local(&dir, "a//b", Some('/')).unwrap(),
            Target::Dir(PathBuf::from("D/a._.b"))
        );
        assert_eq!(
            local(&Target::Stdout, "Work", Some('/')).unwrap(),
            stdout_mbox()
        );
        let long = "x".repeat(300);
        assert_eq!(
            local(&dir, &long, None).unwrap_err().kind(),
            ErrorKind::LocalIo
        );
    }
}
