//! Resolving an in-doubt message (its fetch was journaled, its storage was not): retrieve it into a digest
//! (size and MD5 of the bytes the store would have written) and look for a stored file with the same
//! bytes. Only a Maildir or a `--dir` target can be searched; an mbox, an MDA or stdout cannot.
//!
//! Also the writer that keeps a session in step when the local write fails ([`Guarded`]).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};

use crate::error::{Error, Result};
use crate::pop3::{Part, Retrieved, Session};
use crate::store::{Target, ToLf};

/// The stored files of one run's target, indexed by size on first need.
pub struct Finder {
    /// Directories where a stored copy can be looked for.
    searchable: Vec<PathBuf>,
    /// Files in `searchable` by size.
    size_index: Option<HashMap<u64, Vec<PathBuf>>>,
}

impl Finder {
    /// A finder for `target`: Maildir `new/` and `cur/`, or the `--dir` directory.
    pub fn new(target: &Target) -> Finder {
        Finder {
            searchable: match target {
                Target::Maildir(d) => vec![d.join("new"), d.join("cur")],
                Target::Dir(d) => vec![d.clone()],
                _ => Vec::new(),
            },
            size_index: None,
        }
    }

    /// Whether the target can be searched at all.
    pub fn can_search(&self) -> bool {
        !self.searchable.is_empty()
    }

    /// Retrieves `part` into a digest and returns the stored file with the same bytes, if any.
    pub fn find(
        &mut self,
        session: &mut Session,
        part: Part,
        limit: u64,
    ) -> Result<Option<PathBuf>> {
        // The store keeps LF line endings: digest what it would have written.
        let mut lf = ToLf::new(Digester::default());
        match session.retrieve(part, &mut lf, limit)? {
            Retrieved::Refused(_) => return Ok(None),
            Retrieved::Body(_) => {}
        }
        let digest = lf.finish().map_err(|e| Error::local("digest", e))?;
        let (len, sum) = (digest.len, digest.md5.finalize());
        let searchable = &self.searchable;
        let index = self
            .size_index
            .get_or_insert_with(|| index_by_size(searchable));
        let candidates = index.get(&len).cloned().unwrap_or_default();
        Ok(candidates
            .into_iter()
            .find(|path| file_md5(path).is_some_and(|s| s == sum.as_slice())))
    }
}

fn index_by_size(dirs: &[PathBuf]) -> HashMap<u64, Vec<PathBuf>> {
    let mut index: HashMap<u64, Vec<PathBuf>> = HashMap::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if let Ok(meta) = entry.metadata()
                && meta.is_file()
            {
                index.entry(meta.len()).or_default().push(entry.path());
            }
        }
    }
    index
}

/// A writer that remembers its first error and swallows the rest, so a body is always read to its end.
pub struct Guarded<W: Write> {
    /// The real destination.
    pub inner: W,
    /// Its first write error.
    pub error: Option<io::Error>,
}

impl<W: Write> Write for Guarded<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.error.is_none()
            && let Err(e) = self.inner.write_all(buf)
        {
            self.error = Some(e);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.error.is_none()
            && let Err(e) = self.inner.flush()
        {
            self.error = Some(e);
        }
        Ok(())
    }
}

#[derive(Default)]
struct Digester {
    md5: Md5,
    len: u64,
}

impl Write for Digester {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.md5.update(buf);
        self.len = self.len.saturating_add(buf.len() as u64);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn file_md5(path: &Path) -> Option<Vec<u8>> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut d = Digester::default();
    io::copy(&mut f, &mut d).ok()?;
    Some(d.md5.finalize().to_vec())
}
