//! `mime-decode --part PATH` and `mime-decode --header NAME FILE`: one decoded part, or one header field
//! of the message, for scripts.
//!
//! Both are [`Visitor`]s over the streaming parser: `--part` writes the chosen leaf's decoded bytes
//! straight to the output as they come (no size limit, no buffering); `--header` reads only the root
//! entity's header fields (values unfolded by the parser) and decodes RFC 2047 words; `--addresses` splits
//! an address list into its addr-specs with the one RFC 5322 address parser (`smtp::address`).

use std::io::Write;

use crate::error::{Error, ErrorKind, Result};
use crate::mime::header;
use crate::mime::parse::{Part, Visitor, Want};
use crate::terminal;

/// Writes the decoded body of the leaf part at `path` (as `--list` numbers it).
pub struct PartWriter<'o> {
    /// The wanted part's path.
    pub path: String,
    /// Whether the wanted part was seen (`Some(true)`: a leaf, written; `Some(false)`: a container).
    pub found: Option<bool>,
    /// Whether the current leaf is the wanted one.
    pub writing: bool,
    /// Where the body goes.
    pub out: &'o mut dyn Write,
}

impl PartWriter<'_> {
    /// The run's result once the message is parsed: an error when the part was absent or a container.
    pub fn finish(&self) -> Result<()> {
        match self.found {
            Some(true) => Ok(()),
            Some(false) => Err(Error::new(
                ErrorKind::Usage,
                format!(
                    "part {} holds other parts; --list shows the leaves",
                    self.path
                ),
            )),
            None => Err(Error::new(
                ErrorKind::Permanent,
                format!("no part {} in the message (--list shows them)", self.path),
            )),
        }
    }
}

impl Visitor for PartWriter<'_> {
    fn start(&mut self, part: &Part) -> Result<Want> {
        if part.path != self.path {
            return Ok(Want::Skip);
        }
        self.found = Some(!part.container);
        self.writing = !part.container;
        Ok(if part.container {
            Want::Skip
        } else {
            Want::Body
        })
    }

    fn body(&mut self, data: &[u8]) -> Result<()> {
        if self.writing {
            self.out
                .write_all(data)
                .map_err(|e| Error::local("stdout", e))?;
        }
        Ok(())
    }

    fn end(&mut self, _part: &Part, _size: u64) -> Result<()> {
        self.writing = false;
        Ok(())
    }
}

/// Collects the values of the root entity's `name` fields (unfolded, not yet decoded: an address list
/// is split before its encoded words are decoded, so a decoded comma never splits a display name).
pub struct FieldReader {
    /// The field name, matched case-insensitively.
    pub name: String,
    /// Raw values, in message order.
    pub values: Vec<String>,
}

impl Visitor for FieldReader {
    fn start(&mut self, part: &Part) -> Result<Want> {
        if part.depth == 0 {
            for (n, v) in &part.headers {
                if n.eq_ignore_ascii_case(&self.name) {
                    self.values.push(v.trim().to_string());
                }
            }
        }
        Ok(Want::Skip)
    }

    fn body(&mut self, _data: &[u8]) -> Result<()> {
        Ok(())
    }

    fn end(&mut self, _part: &Part, _size: u64) -> Result<()> {
        Ok(())
    }
}

/// Whether `name` is a header field name (RFC 5322 §3.6.8: printable ASCII except `:` and space).
pub fn is_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}

/// The lines `--header NAME` prints: each value, or with `addresses` each addr-spec of each value;
/// control characters escaped when `tty`.
pub fn field_lines(values: &[String], addresses: bool, tty: bool) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for v in values {
        if addresses {
            lines.extend(
                crate::smtp::address::parse_list(v)
                    .map_err(|e| Error::new(ErrorKind::Protocol, e.context().to_string()))?,
            );
        } else {
            lines.push(header::decode_header(v));
        }
    }
    // A decoded value may hold a CR or LF (an encoded-word can say anything): one field is one line.
    Ok(lines
        .into_iter()
        .map(|l| {
            let l = l.replace(['\r', '\n'], " ");
            if tty {
                terminal::escape(&l).into_owned()
            } else {
                l
            }
        })
        .collect())
}
