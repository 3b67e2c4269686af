//! APPEND (RFC 9051 §6.3.12) with the message streamed as a literal: non-synchronizing (`{n+}`) when the
//! server has LITERAL+, or LITERAL- and the message is at most 4096 bytes (RFC 7888 §4), else the
//! command waits for the server's `+` before the bytes go. Non-synchronizing appends may be pipelined:
//! [`Session::append_send`] returns the tag, [`Session::append_done`] reads the next completion of any of
//! the outstanding tags, with the APPENDUID of RFC 4315 §3 when the server has UIDPLUS. The message's
//! size is the caller's (counted after CRLF normalisation); a body that ends early or runs long is a
//! local error (exit 8) — the literal's length on the wire is always the announced one or the session
//! ends.

use std::io::Read;

use super::capability::Capability;
use super::response::{Response, Status};
use super::{Routed, Session, quote, refused, route};
use crate::error::{Error, ErrorKind, Result};
use crate::pingpong::{Command, Wire};

/// The largest literal LITERAL- lets go without waiting (RFC 7888 §4).
pub const LITERAL_MINUS_MAX: u64 = 4096;

/// Bytes gathered before each write of a streamed literal.
const CHUNK: usize = 64 * 1024;

/// The `[APPENDUID uidvalidity uid]` of an APPEND (RFC 4315 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendUid {
    /// The mailbox's UIDVALIDITY.
    pub uidvalidity: u32,
    /// The new message's UID.
    pub uid: u32,
}

/// The `[APPENDUID uidvalidity uid-set]` of a MULTIAPPEND: one UID per message, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendUids {
    /// The mailbox's UIDVALIDITY.
    pub uidvalidity: u32,
    /// The new messages' UIDs.
    pub uids: Vec<u32>,
}

/// One message of a MULTIAPPEND ([`Session::multiappend`]).
pub struct Item<'a> {
    /// Its flags.
    pub flags: &'a [String],
    /// Its IMAP date-time, if any.
    pub date: Option<String>,
    /// Its size after CRLF normalisation.
    pub size: u64,
    /// Its normalised bytes.
    pub body: Box<dyn Read + 'a>,
}

/// What became of an APPEND that was sent.
#[derive(Debug)]
pub enum Sent {
    /// The message went; its completion is to be read with [`Session::append_done`].
    Tag(String),
    /// The server refused before the message went (NO/BAD instead of `+`); the session is fine.
    Refused(Error),
}

impl<S: Wire> Session<S> {
    /// Whether a literal of `size` bytes may go without waiting for `+`.
    pub fn literal_non_sync(&self, size: u64) -> bool {
        self.caps.has(Capability::LiteralPlus)
            || (self.caps.has(Capability::LiteralMinus) && size <= LITERAL_MINUS_MAX)
    }

    /// Sends `APPEND mailbox (flags) "date" {size}` and the `size` bytes of `body` (already CRLF
    /// normalised) and the final CRLF. A synchronizing literal waits for `+` first; only then may no
    /// other APPEND be outstanding (the caller drains them). `date` is an IMAP date-time
    /// (`01-Jan-2024 10:00:00 +0000`).
    pub fn append_send(
        &mut self,
        mailbox: &str,
        flags: &[String],
        date: Option<&str>,
        size: u64,
        body: &mut dyn Read,
    ) -> Result<Sent> {
        let non_sync = self.literal_non_sync(size);
        let mut arg = quote::mailbox(mailbox)?;
        for f in flags {
            quote::check("flag", f)?;
        }
        arg.push_str(&format!(" ({})", flags.join(" ")));
        if let Some(d) = date {
            arg.push_str(&format!(" \"{d}\""));
        }
        arg.push_str(&format!(" {{{size}{}}}", if non_sync { "+" } else { "" }));
        let tag = self.tags.next_tag();
        let cmd = Command::with("APPEND", arg).tagged(tag.clone());
        let mut buf = cmd.wire()?;
        self.pp.transcript().sent(&cmd.redacted());
        if !non_sync {
            self.pp.write_raw(&buf)?;
            buf.clear();
            if let Some(e) = self.wait_plus(&tag)? {
                return Ok(Sent::Refused(e));
            }
        }
        self.stream_literal(&mut buf, size, body)?;
        buf.extend_from_slice(b"\r\n");
        self.pp.write_raw(&buf)?;
        self.pp.transcript().sent(&format!("<{size} bytes>"));
        Ok(Sent::Tag(tag))
    }

    /// Appends the `size` bytes of `body` to `buf`, writing whenever [`CHUNK`] bytes are gathered; what is
    /// left stays in `buf` for the caller's next write. A body shorter or longer than `size` is a local
    /// error, and the session cannot go on (the literal is cut).
    fn stream_literal(&mut self, buf: &mut Vec<u8>, size: u64, body: &mut dyn Read) -> Result<()> {
        let mut left = size;
        let mut chunk = vec![0u8; CHUNK];
        while left > 0 {
            let want = usize::try_from(left.min(CHUNK as u64)).unwrap_or(CHUNK);
            let n = body
                .read(&mut chunk[..want])
                .map_err(|e| Error::local("reading the message", e))?;
            if n == 0 {
                return Err(Error::new(
                    ErrorKind::LocalIo,
                    "the message changed while it was sent (shorter than counted)",
                ));
            }
            buf.extend_from_slice(&chunk[..n]);
            left -= n as u64;
            if buf.len() >= CHUNK {
                self.pp.write_raw(buf)?;
                buf.clear();
            }
        }
        let mut probe = [0u8; 1];
        if body
            .read(&mut probe)
            .map_err(|e| Error::local("reading the message", e))?
            != 0
        {
            return Err(Error::new(
                ErrorKind::LocalIo,
                "the message changed while it was sent (longer than counted)",
            ));
        }
        Ok(())
    }

    /// Whether several messages may go in one APPEND (RFC 3502 MULTIAPPEND), each a non-synchronizing
    /// literal (LITERAL+): one command, one server transaction.
    pub fn can_multiappend(&self) -> bool {
        self.caps.has_name("MULTIAPPEND") && self.caps.has(Capability::LiteralPlus)
    }

    /// One APPEND of all `items` (RFC 3502 §6.3.11): `APPEND mailbox (flags) "date" {n+} … (flags) "date"
    /// {n+} …`, then its completion. The server stores all or none (RFC 3502 §6.3.11), so a refusal
    /// (inner Err) leaves the mailbox as it was. Ok carries the UIDVALIDITY and one UID per item, in order,
    /// when the APPENDUID (RFC 4315 §3) names exactly that many. Only when [`Session::can_multiappend`].
    pub fn multiappend(
        &mut self,
        mailbox: &str,
        items: &mut dyn Iterator<Item = Result<Item<'_>>>,
    ) -> Result<Result<Option<AppendUids>>> {
        let tag = self.tags.next_tag();
        let mut buf: Vec<u8> = Vec::new();
        let mut count = 0usize;
        for item in items {
            let mut item = item?;
            for f in item.flags {
                quote::check("flag", f)?;
            }
            let mut arg = format!("({})", item.flags.join(" "));
            if let Some(d) = &item.date {
                arg.push_str(&format!(" \"{d}\""));
            }
            arg.push_str(&format!(" {{{}+}}", item.size));
            if count == 0 {
                arg = format!("{} {arg}", quote::mailbox(mailbox)?);
                let cmd = Command::with("APPEND", arg).tagged(tag.clone());
                buf.extend_from_slice(&cmd.wire()?);
                self.pp.transcript().sent(&cmd.redacted());
            } else {
                buf.extend_from_slice(format!(" {arg}\r\n").as_bytes());
                self.pp.transcript().sent(&arg);
            }
            self.stream_literal(&mut buf, item.size, &mut item.body)?;
            self.pp.transcript().sent(&format!("<{} bytes>", item.size));
            count += 1;
        }
        buf.extend_from_slice(b"\r\n");
        self.pp.write_raw(&buf)?;
        let deadline = self.pp.deadline();
        loop {
            let r = self.response_within(deadline)?;
            if let Some(st) = self.untagged_or_done(&tag, "APPEND", r, &mut |_| Ok(()))? {
                return Ok(match st.status {
                    Status::Ok => Ok(appenduids(&st, count)),
                    _ => Err(refused("APPEND", &st)),
                });
            }
        }
    }

    /// Waits for the `+` of a synchronizing literal: None to go on, or the refusal.
    fn wait_plus(&mut self, tag: &str) -> Result<Option<Error>> {
        let deadline = self.pp.deadline();
        loop {
            let r = self.response_within(deadline)?;
            if let Response::Continue(_) = r {
                return Ok(None);
            }
            if let Some(st) = self.untagged_or_done(tag, "APPEND", r, &mut |_| Ok(()))? {
                return Ok(Some(refused("APPEND", &st)));
            }
        }
    }

    /// The next completion among `outstanding` APPEND tags: the tag and the APPENDUID (Ok) or the
    /// refusal (Err). A completion for any other tag, or a `+` nobody waits for, ends the session.
    pub fn append_done(
        &mut self,
        outstanding: &[String],
    ) -> Result<(String, Result<Option<AppendUid>>)> {
        let deadline = self.pp.deadline();
        loop {
            let r = self.response_within(deadline)?;
            let tag = match &r {
                Response::Tagged(t, _) if outstanding.contains(t) => t.clone(),
                _ => String::new(),
            };
            let first = if tag.is_empty() {
                outstanding.first().map(String::as_str).unwrap_or("")
            } else {
                tag.as_str()
            };
            match route(first, "APPEND", r)? {
                Routed::Done(st) => {
                    let result = match st.status {
                        Status::Ok => Ok(appenduid(&st)),
                        _ => Err(refused("APPEND", &st)),
                    };
                    return Ok((first.to_string(), result));
                }
                Routed::Data(Response::Capability(c)) => self.caps = c,
                Routed::Data(d) => self.untagged(d, &mut |_| Ok(()))?,
            }
        }
    }
}

fn appenduid(st: &super::StatusText) -> Option<AppendUid> {
    let c = st.code.as_ref().filter(|c| c.name == "APPENDUID")?;
    let mut w = c.args.split_whitespace();
    Some(AppendUid {
        uidvalidity: w.next()?.parse().ok()?,
        uid: w.next()?.parse().ok()?,
    })
}

/// The `[APPENDUID uidvalidity uid-set]` of a MULTIAPPEND, when the set holds exactly `count` UIDs.
fn appenduids(st: &super::StatusText, count: usize) -> Option<AppendUids> {
    let c = st.code.as_ref().filter(|c| c.name == "APPENDUID")?;
    let mut w = c.args.split_whitespace();
    let uidvalidity = w.next()?.parse().ok()?;
    let uids = super::set::expand(w.next()?, count)?;
    (uids.len() == count).then_some(AppendUids { uidvalidity, uids })
}
