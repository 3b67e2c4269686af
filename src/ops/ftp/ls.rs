//! `ftp-ls`: list a remote directory — names, long format, recursive, JSON.
//!
//! MLSD when FEAT offered MLST, else LIST parsed (Unix and DOS formats), else NLST names. Recursion follows
//! directories only (never symlinks), skips names that could not be a single path component, and stops at
//! depth 64, reporting what it did not enter (exit 10).

use std::io::Write;

use serde::Serialize;

use crate::cli::ftp_ls::Args;
use crate::error::{Error, Result};
use crate::ftp::Session;
use crate::ftp::list::{Entry, Kind};
use crate::ops::Outcome;
use crate::ops::ftp::connect::{Connector, FTP_SCHEMES};
use crate::sink::safe_name;
use crate::terminal::escape;
use crate::url::Target;

/// The deepest `-R` goes.
pub const MAX_DEPTH: usize = 64;

/// One listed entry with its path relative to the URL's directory.
#[derive(Debug, Serialize)]
pub struct Listed {
    /// Path relative to the listed directory (the name itself without `-R`).
    pub path: String,
    /// The entry.
    #[serde(flatten)]
    pub entry: Entry,
}

/// Runs ftp-ls.
pub fn run(args: &Args) -> Result<Outcome> {
    let target = Target::parse(&args.url, FTP_SCHEMES)?;
    let conn = Connector::new(&target, &args.net, &args.ftp)?;
    let mut session = conn.open(&target)?;
    let root = target.path.trim_end_matches('/').to_string();
    let root = if root.is_empty() && target.path.starts_with('/') {
        "/".to_string()
    } else {
        root
    };
    let mut out = Vec::new();
    let mut problems = 0usize;
    list_into(args, &mut session, &root, "", 0, &mut out, &mut problems)?;
    session.quit();
    if args.net.json {
        crate::json::print(&serde_json::json!({ "url": target.display(), "entries": out }))?;
    } else {
        print_human(args, &out)?;
    }
    Ok(Outcome::from_failures(problems))
}

fn list_into(
    args: &Args,
    s: &mut Session,
    remote: &str,
    rel: &str,
    depth: usize,
    out: &mut Vec<Listed>,
    problems: &mut usize,
) -> Result<()> {
    let entries = list_dir(s, remote)?;
    for entry in entries {
        let path = if rel.is_empty() {
            entry.name.clone()
        } else {
            format!("{rel}/{}", entry.name)
        };
        let recurse = args.recursive && entry.kind == Kind::Dir;
        let name = entry.name.clone();
        out.push(Listed {
            path: path.clone(),
            entry,
        });
        if !recurse {
            continue;
        }
        if let Err(why) = safe_name(&name) {
            eprintln!("ftp-ls: not entering {}: {why}", escape(&path));
            *problems += 1;
            continue;
        }
        if depth + 1 >= MAX_DEPTH {
            eprintln!(
                "ftp-ls: not entering {}: deeper than {MAX_DEPTH} levels",
                escape(&path)
            );
            *problems += 1;
            continue;
        }
        let sub = match remote {
            "" => name.clone(),
            "/" => format!("/{name}"),
            r => format!("{r}/{name}"),
        };
        if let Err(e) = list_into(args, s, &sub, &path, depth + 1, out, problems) {
            if !e.kind().is_transient() || e.kind() == crate::ErrorKind::Transient {
                crate::cli::report("ftp-ls", &e.within(escape(&path)));
                *problems += 1;
            } else {
                return Err(e);
            }
        }
    }
    Ok(())
}

/// MLSD/LIST, falling back to NLST when LIST is refused or yields nothing parseable.
pub fn list_dir(s: &mut Session, path: &str) -> Result<Vec<Entry>> {
    let mlsd = s.features.mlst;
    match s.list_dir(path) {
        Ok(entries) if mlsd || !entries.is_empty() => return Ok(entries),
        Ok(_) => {}
        Err(e) if mlsd || e.kind() != crate::ErrorKind::Permanent => return Err(e),
        Err(_) => {}
    }
    Ok(s.nlst(path)?
        .into_iter()
        .map(|name| Entry {
            name,
            kind: Kind::Other,
            size: None,
            modified: None,
            perm: None,
            target: None,
        })
        .collect())
}

fn print_human(args: &Args, list: &[Listed]) -> Result<()> {
    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
    for l in list {
        let e = &l.entry;
        let line = if args.long {
            let t = match e.kind {
                Kind::File => '-',
                Kind::Dir => 'd',
                Kind::Link => 'l',
                Kind::Other => '?',
            };
            let size = e.size.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
            let modified = e.modified.as_deref().unwrap_or("-");
            let perm = e.perm.as_deref().unwrap_or("-");
            let target = e
                .target
                .as_ref()
                .map(|t| format!(" -> {}", escape(t)))
                .unwrap_or_default();
            format!(
                "{t} {perm:<10} {size:>12} {modified:<20} {}{target}\n",
                escape(&l.path)
            )
        } else {
            format!("{}\n", escape(&l.path))
        };
        w.write_all(line.as_bytes())
            .map_err(|e| Error::local("stdout", e))?;
    }
    w.flush().map_err(|e| Error::local("stdout", e))
}
