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
                self.pp.write_raw(&buf)?;
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
        buf.extend_from_slice(b"\r\n");
        self.pp.write_raw(&buf)?;
        self.pp.transcript().sent(&format!("<{size} bytes>"));
        Ok(Sent::Tag(tag))
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
