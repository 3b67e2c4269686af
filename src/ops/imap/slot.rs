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
use crate::store::{Delivery, Item, Store, ToLf};

/// The most bytes of a part's MIME header read for `--decode`.
const MIME_HEADER_CAP: usize = 64 * 1024;

/// The unfolded value of header field `name` (case-insensitive) in a MIME header, if present.
fn field(header: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(header);
    let mut value: Option<String> = None;
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if let Some(v) = &mut value {
            if line.starts_with([' ', '\t']) {
                v.push(' ');
                v.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((n, v)) = line.split_once(':')
            && n.trim().eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_string());
        }
    }
    value
}

/// The Content-Transfer-Encoding in a MIME header (unfolded, case-insensitive); `7bit` when absent.
pub(super) fn transfer_encoding(header: &[u8]) -> String {
    field(header, "content-transfer-encoding")
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "7bit".to_string())
}

/// The file name a MIME header suggests (Content-Disposition `filename`, else Content-Type `name`; RFC
/// 2231/2047 decoded), made safe for a local directory; None when there is none or nothing safe is left.
pub(super) fn file_name(header: &[u8]) -> Option<String> {
    let param = |f: &str, p: &str| {
        field(header, f)
            .map(|v| crate::mime::header::parse_field(&v))
            .and_then(|v| v.param(p).map(str::to_string))
            .filter(|n| !n.is_empty())
    };
    param("content-disposition", "filename")
        .or_else(|| param("content-type", "name"))
        .and_then(|n| crate::mime::filename::sanitize(&n))
}

/// What `--decode` needs to know of a part before its body arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PartInfo {
    /// Its Content-Transfer-Encoding, lower-case.
    pub(super) encoding: String,
    /// The name it is stored under in `--dir`.
    pub(super) name: String,
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
    pub(super) encodings: &'s HashMap<u32, PartInfo>,
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
            Out::Remote(w) => match self.pool.as_deref_mut() {
                Some(p) => p.data(*w, bytes),
                None => Ok(()),
            },
        }
    }

    /// Drops a body that turned out not to be wanted.
    pub(super) fn abandon(mut self) {
        if let (Out::Remote(w), Some(p)) = (&self.out, self.pool.as_deref_mut()) {
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
        let hint = uid.map_or_else(|| format!("seq-{seq}"), |u| u.to_string());
        let mut item = Item::Message(hint.clone());
        if self.decode {
            let u = uid.ok_or_else(|| {
                Error::protocol(format!(
                    "message {seq}: the server sent the body before the UID, which --decode needs first"
                ))
            })?;
            let info = self.encodings.get(&u);
            let cte = info.map_or("7bit", |i| i.encoding.as_str());
            self.decoder = Some(Decoder::for_encoding(cte, false));
            // Decoded bytes are stored as they are, under the part's own name.
            item = Item::Part(info.map_or(hint, |i| i.name.clone()));
        }
        if let Some(pool) = self.pool.as_deref_mut() {
            self.out = Out::Remote(pool.begin(uid.unwrap_or(0), item)?);
        } else if let Some(store) = self.store.take() {
            self.out = Out::Local(store.begin_item(&item)?);
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

    #[test]
    fn file_names_are_taken_from_the_header_and_made_safe() {
        let h = b"Content-Type: application/octet-stream;\r\n name=\"ct.bin\"\r\nContent-Disposition: attachment;\r\n filename=\"../../etc/passwd\"\r\n\r\n";
        assert_eq!(file_name(h).as_deref(), Some("passwd"));
        let h =
            b"Content-Type: application/octet-stream; name=\"=?UTF-8?Q?gr=C3=BC=C3=9Fe.bin?=\"\r\n";
        assert_eq!(file_name(h).as_deref(), Some("grüße.bin"));
        assert_eq!(file_name(b"Content-Type: text/plain\r\n"), None);
        assert_eq!(
            file_name(b"Content-Disposition: attachment; filename=\"..\"\r\n"),
            None
        );
    }
}
