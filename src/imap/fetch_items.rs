//! FETCH data items (RFC 9051 §6.4.5) as types: which part of a message a `UID FETCH` asks for, and
//! whether it may set `\Seen`. Callers say what they want ([`FetchItems`], [`Section`], [`PartNumber`]);
//! the exact words (`BODY.PEEK[1.2.MIME]`, `RFC822.SIZE`) are spelt only here. Every request also asks
//! for `UID`, so each response can be matched to the message it belongs to.
//!
//! What it does not do: parse the responses (that is [`super::response`]).

use std::fmt;

use crate::error::{Error, Result};

/// The most levels of a part number (a MIME tree is at most this deep here).
const MAX_DEPTH: usize = 64;

/// A MIME part number (RFC 9051 §6.4.5 `section-part`): `1`, `1.2`, `2.1.3`; every number positive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartNumber(Vec<u32>);

impl PartNumber {
    /// Parses dot-separated positive numbers; anything else is a usage error naming `--part`.
    pub fn parse(text: &str) -> Result<PartNumber> {
        let mut nums = Vec::new();
        for n in text.split('.') {
            let ok = !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit());
            match n.parse::<u32>() {
                Ok(v) if ok && v > 0 && nums.len() < MAX_DEPTH => nums.push(v),
                _ => {
                    return Err(Error::usage(format!(
                        "--part {}: expected part numbers like 1 or 1.2",
                        crate::terminal::escape(text)
                    )));
                }
            }
        }
        Ok(PartNumber(nums))
    }
}

impl fmt::Display for PartNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

/// Which bytes of a message a body item asks for (RFC 9051 §6.4.5 `section`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Section {
    /// The whole message: `[]`.
    Whole,
    /// The message's header: `[HEADER]`.
    Header,
    /// One MIME part's content: `[1.2]`.
    Part(PartNumber),
    /// One MIME part's own header: `[1.2.MIME]`.
    Mime(PartNumber),
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Section::Whole => Ok(()),
            Section::Header => f.write_str("HEADER"),
            Section::Part(p) => write!(f, "{p}"),
            Section::Mime(p) => write!(f, "{p}.MIME"),
        }
    }
}

/// The data items of one UID FETCH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchItems {
    /// `(UID RFC822.SIZE)`: each message's size, no body.
    Size,
    /// `(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)` and, when `structure`, `BODYSTRUCTURE`: what a
    /// listing shows, no body.
    Meta {
        /// Whether to ask for BODYSTRUCTURE too.
        structure: bool,
    },
    /// `(UID BODY.PEEK[section])`, or `(UID BODY[section])` when `mark_seen` (the server then sets
    /// `\Seen`, RFC 9051 §6.4.5).
    Body {
        /// The bytes wanted.
        section: Section,
        /// Whether fetching may set `\Seen`.
        mark_seen: bool,
    },
}

impl FetchItems {
    /// The body of `section`, flags untouched.
    pub fn peek(section: Section) -> FetchItems {
        FetchItems::Body {
            section,
            mark_seen: false,
        }
    }
}

impl fmt::Display for FetchItems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchItems::Size => f.write_str("(UID RFC822.SIZE)"),
            FetchItems::Meta { structure } => {
                f.write_str("(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE")?;
                f.write_str(if *structure { " BODYSTRUCTURE)" } else { ")" })
            }
            FetchItems::Body { section, mark_seen } => {
                let verb = if *mark_seen { "BODY" } else { "BODY.PEEK" };
                write!(f, "(UID {verb}[{section}])")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(s: &str) -> PartNumber {
        PartNumber::parse(s).unwrap()
    }

    #[test]
    fn part_numbers() {
        assert_eq!(part("1.2").to_string(), "1.2");
        assert_eq!(part("2.10.3").to_string(), "2.10.3");
        for bad in [
            "",
            "1.",
            ".1",
            "a",
            "1..2",
            "0",
            "1.0",
            "1 2",
            "HEADER",
            "+1",
            "1234567890",
        ] {
            let e = PartNumber::parse(bad).unwrap_err();
            assert_eq!(e.kind(), crate::error::ErrorKind::Usage, "{bad}");
        }
        assert!(PartNumber::parse(&vec!["1"; 65].join(".")).is_err());
    }

    #[test]
    fn exact_item_strings() {
        let cases = [
            (FetchItems::Size, "(UID RFC822.SIZE)"),
            (
                FetchItems::Meta { structure: true },
                "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)",
            ),
            (
                FetchItems::Meta { structure: false },
                "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)",
            ),
            (FetchItems::peek(Section::Whole), "(UID BODY.PEEK[])"),
            (FetchItems::peek(Section::Header), "(UID BODY.PEEK[HEADER])"),
            (
                FetchItems::peek(Section::Part(part("1.2"))),
                "(UID BODY.PEEK[1.2])",
            ),
            (
                FetchItems::peek(Section::Mime(part("1.2"))),
                "(UID BODY.PEEK[1.2.MIME])",
            ),
            (
                FetchItems::Body {
                    section: Section::Whole,
                    mark_seen: true,
                },
                "(UID BODY[])",
            ),
            (
                FetchItems::Body {
                    section: Section::Part(part("3")),
                    mark_seen: true,
                },
                "(UID BODY[3])",
            ),
        ];
        for (items, want) in cases {
            assert_eq!(items.to_string(), want);
        }
    }
}
