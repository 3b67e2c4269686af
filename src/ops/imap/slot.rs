//! Where the bodies of imap-fetch's FETCH responses go: [`Slot`] streams one body into a delivery (here,
//! or on a commit thread of [`Pool`]), decoding `--decode` parts and hashing the bytes for the state's
//! `pending` record; [`Mem`] keeps a part's small MIME header; [`NoBodies`] drops bodies nobody asked for.
//! What to fetch and when a message counts as stored is `fetch`'s.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use crate::error::{Error, Result};
use crate::imap::BodySink;
use crate::mime::decode::Decoder;
use crate::ops::imap::pool::Pool;
use crate::ops::imap::state::Fnv;
use crate::store::{Delivery, Store, ToLf};

/// The most bytes of a part's MIME header read for `--decode`.
const MIME_HEADER_CAP: usize = 64 * 1024;

/// The Content-Transfer-Encoding in a MIME header (unfolded, case-insensitive); `7bit` when absent.
pub(super) fn transfer_encoding(header: &[u8]) -> String {
    let text = String::from_utf8_lossy(header);
    let mut value: Option<String> = None;
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if let Some(v) = &mut value {
            if line.starts_with([' ', '\t']) {
                v.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((name, v)) = line.split_once(':')
            && name
                .trim()
                .eq_ignore_ascii_case("content-transfer-encoding")
        {
            value = Some(v.trim().to_string());
        }
    }
    value
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_else(|| "7bit".to_string())
}

/// Bodies are not expected (a size query): any that comes is dropped.
pub(super) struct NoBodies;

impl BodySink for NoBodies {
    fn begin(&mut self, _: u32, _: Option<u32>, _: u64) -> Result<()> {
        Ok(())
    }
    fn write(&mut self, _: &[u8]) -> Result<()> {
        Ok(())
    }
    fn end(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A small body in memory (a part's MIME header), at most [`MIME_HEADER_CAP`] bytes kept.
#[derive(Default)]
pub(super) struct Mem {
    /// The bytes kept.
    pub(super) buf: Vec<u8>,
}

impl BodySink for Mem {
    fn begin(&mut self, _: u32, _: Option<u32>, _: u64) -> Result<()> {
        self.buf.clear();
        Ok(())
    }
    fn write(&mut self, chunk: &[u8]) -> Result<()> {
        let room = MIME_HEADER_CAP.saturating_sub(self.buf.len());
        self.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        Ok(())
    }
    fn end(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Where one message's bytes go.
pub(super) enum Out<'s> {
    /// Nowhere (not wanted, or not begun).
    None,
    /// A delivery in this thread (mbox, MDA, stdout: order matters).
    Local(Delivery<'s>),
    /// A delivery on commit thread n.
    Remote(usize),
}

/// Where the body of one FETCH response goes: a delivery begun when the body starts (for a UID we
/// want), decoded when asked, hashed as stored for the state's `pending` record.
pub(super) struct Slot<'s> {
    pub(super) store: Option<&'s mut Store>,
    pub(super) pool: Option<&'s mut Pool>,
    pub(super) out: Out<'s>,
    pub(super) fnv: Option<ToLf<Fnv>>,
    pub(super) decoder: Option<Decoder>,
    pub(super) buf: Vec<u8>,
    pub(super) raw: u64,
    pub(super) want: &'s HashSet<u32>,
    pub(super) got: &'s HashSet<u32>,
    pub(super) encodings: &'s HashMap<u32, String>,
    pub(super) decode: bool,
}

impl Slot<'_> {
    fn emit(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(h) = &mut self.fnv {
            h.write_all(bytes).map_err(|e| Error::local("hash", e))?;
        }
        match &mut self.out {
            Out::None => Ok(()),
            Out::Local(d) => d
                .write_all(bytes)
                .map_err(|e| Error::local("writing the message", e)),
            Out::Remote(w) => match &self.pool {
                Some(p) => p.data(*w, bytes),
                None => Ok(()),
            },
        }
    }

    /// Drops a body that turned out not to be wanted.
    pub(super) fn abandon(self) {
        if let (Out::Remote(w), Some(p)) = (&self.out, &self.pool) {
            let _ = p.abort(*w);
        }
    }
}

impl BodySink for Slot<'_> {
    fn begin(&mut self, seq: u32, uid: Option<u32>, _len: u64) -> Result<()> {
        if let Some(u) = uid
            && (!self.want.contains(&u) || self.got.contains(&u))
        {
            return Ok(()); // not asked for: read and dropped
        }
        if !matches!(self.out, Out::None) {
            return Ok(());
        }
        if self.decode {
            let u = uid.ok_or_else(|| {
                Error::protocol(format!(
                    "message {seq}: the server sent the body before the UID, which --decode needs first"
                ))
            })?;
            let cte = self.encodings.get(&u).map_or("7bit", String::as_str);
            self.decoder = Some(Decoder::for_encoding(cte, false));
        }
        let hint = uid.map_or_else(|| format!("seq-{seq}"), |u| u.to_string());
        if let Some(pool) = self.pool.as_deref_mut() {
            self.out = Out::Remote(pool.begin(uid.unwrap_or(0), hint)?);
        } else if let Some(store) = self.store.take() {
            self.out = Out::Local(store.begin(&hint)?);
        }
        Ok(())
    }

    fn write(&mut self, chunk: &[u8]) -> Result<()> {
        if matches!(self.out, Out::None) {
            return Ok(());
        }
        self.raw += chunk.len() as u64;
        match self.decoder.take() {
            Some(mut dec) => {
                let mut out = std::mem::take(&mut self.buf);
                out.clear();
                let r = dec.feed(chunk, &mut out);
                self.decoder = Some(dec);
                self.emit(&out)?;
                self.buf = out;
                r.map_err(|e| Error::protocol(format!("decoding the part: {e:?}")))
            }
            None => self.emit(chunk),
        }
    }

    fn end(&mut self) -> Result<()> {
        if let Some(mut dec) = self.decoder.take() {
            let mut out = Vec::new();
            let r = dec.finish(&mut out);
            self.emit(&out)?;
            r.map_err(|e| Error::protocol(format!("decoding the part: {e:?}")))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_encodings() {
        assert_eq!(
            transfer_encoding(
                b"Content-Type: text/plain\r\nContent-Transfer-Encoding:\r\n  BASE64\r\n\r\n"
            ),
            "base64"
        );
        assert_eq!(transfer_encoding(b"Content-Type: text/plain\r\n"), "7bit");
    }
}
