//! The message of one smtp-send run as a [`Job`]: envelope plus a message that is composed or read, never
//! held in memory, ready to be sent (and sent again, or queued).
//!
//! Composing happens into an unlinked temporary file. A message from stdin is spooled to one first, so its
//! size is known for SIZE and it can be retried or queued; a message file is read in place (its header
//! block only, then streamed). An unreadable attachment or message is a local error (exit 8); a message
//! that names no recipient or sender is a usage error (exit 2), found here because it depends on the
//! message's own header.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::mime::build::{Attachment, MessageBuilder, generate_message_id, rfc5322_date};
use crate::smtp::MailParams;
use crate::smtp::address;
use crate::smtp::dsn::Dsn;
use crate::smtp::message::{Rewrite, ascii_header, qualify_header, read_header_block};

use super::connect::local_host_name;
use super::options::{Body, Compose, Local, Message, Ready, Source, push_unique};

/// The envelope and the message, ready to send (and to send again).
pub struct Job {
    /// MAIL FROM.
    pub from: String,
    /// RCPT TO, each once.
    pub rcpts: Vec<String>,
    /// Header bytes sent before the body (a rewritten header block; empty when the file is whole).
    pub head: Vec<u8>,
    /// The message source.
    pub file: File,
    /// Where the rest of the message starts in `file`.
    pub body_offset: u64,
    /// How many bytes of `file` follow `body_offset`.
    pub body_len: u64,
    /// May contain 8-bit data (a ready message): BODY=8BITMIME when offered.
    pub eight_bit: bool,
    /// Needs SMTPUTF8 (a UTF-8 address, or UTF-8 header text that RFC 2047 cannot carry).
    pub smtputf8: bool,
    /// The DSN request (RFC 3461).
    pub dsn: Dsn,
}

impl Job {
    /// The message size in octets as read (before CRLF normalisation and dot-stuffing; `SIZE=` uses
    /// [`Job::wire_size`]).
    pub fn size(&self) -> u64 {
        self.head.len() as u64 + self.body_len
    }

    /// The message size as RFC 1870 §3 defines it for `SIZE=`: the octets sent after the 354, every line
    /// ending made CRLF (and a last line without one completed) exactly as `DotWriter` sends them, not
    /// counting the doubled quoting dots nor the terminating `.` line. A message with bare LFs is larger
    /// on the wire than on disk, so the size as read would under-declare it.
    pub fn wire_size(&self) -> Result<u64> {
        use std::os::unix::fs::FileExt;
        let mut count = CrlfCount::default();
        count.feed(&self.head);
        let mut buf = vec![0u8; 64 * 1024];
        let mut at: u64 = 0;
        while at < self.body_len {
            let want = usize::try_from((self.body_len - at).min(buf.len() as u64)).unwrap_or(0);
            let pos = self
                .body_offset
                .checked_add(at)
                .ok_or_else(|| Error::new(crate::ErrorKind::Internal, "message offset overflow"))?;
            let n = self
                .file
                .read_at(&mut buf[..want], pos)
                .map_err(|e| Error::local("the message", e))?;
            if n == 0 {
                break; // the file shrank; what is sent is what is there
            }
            count.feed(&buf[..n]);
            at += n as u64;
        }
        Ok(count.finish())
    }

    /// The MAIL FROM parameters (`SIZE=` is [`Job::wire_size`]).
    pub fn params(&self) -> Result<MailParams> {
        Ok(MailParams {
            size: Some(self.wire_size()?),
            eight_bit: self.eight_bit,
            smtputf8: self.smtputf8,
            dsn: self.dsn.clone(),
        })
    }

    /// The whole message, from its first byte.
    pub fn reader(&mut self) -> Result<impl Read + '_> {
        self.file
            .seek(SeekFrom::Start(self.body_offset))
            .map_err(|e| Error::local("the message", e))?;
        Ok(io::Cursor::new(&self.head).chain((&self.file).take(self.body_len)))
    }
}

/// Counts a message's octets with every line ending made CRLF, as `pingpong::dot::DotWriter` sends it
/// (a bare CR or LF becomes CRLF; CRLF stays), without its stuffing dots.
#[derive(Debug, Default)]
struct CrlfCount {
    n: u64,
    after_cr: bool,
    mid_line: bool,
}

impl CrlfCount {
    fn feed(&mut self, buf: &[u8]) {
        for &b in buf {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue; // the CR already counted as CRLF
                }
            }
            match b {
                b'\r' => {
                    self.n += 2;
                    self.after_cr = true;
                    self.mid_line = false;
                }
                b'\n' => {
                    self.n += 2;
                    self.mid_line = false;
                }
                _ => {
                    self.n += 1;
                    self.mid_line = true;
                }
            }
        }
    }

    /// The total, with the CRLF `DotWriter::finish` adds after a last line without one.
    fn finish(self) -> u64 {
        self.n + if self.mid_line { 2 } else { 0 }
    }
}

/// The sender sendmail uses when nothing names one: `$LOGNAME@domain` (or `$USER`, or `root`).
fn default_sender(domain: &str) -> String {
    let user = std::env::var("LOGNAME")
        .or_else(|_| std::env::var("USER"))
        .ok()
        .filter(|u| {
            !u.is_empty()
                && u.bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'@' && b != b'<' && b != b'>')
        })
        .unwrap_or_else(|| "root".to_string());
    format!("{user}@{domain}")
}

/// The domain that qualifies bare local names: the account's `domain`; in sendmail mode without one,
/// this host's FQDN (as sendmail's `$j`); else none (the names go as given).
fn mail_domain(local: &Local, sendmail: bool) -> Option<String> {
    local
        .domain
        .clone()
        .or_else(|| sendmail.then(local_host_name))
}

/// The envelope as sent: every recipient through the aliases (each address once), then bare local names
/// (the sender's too) qualified by `domain`, each checked for the command it goes into.
fn final_envelope(
    from: String,
    rcpts: &[String],
    local: &Local,
    domain: Option<&str>,
) -> Result<(String, Vec<String>)> {
    let mut out: Vec<String> = Vec::new();
    for r in rcpts {
        let expanded = match &local.aliases {
            Some(a) => a.expand(r)?,
            None => vec![r.clone()],
        };
        for a in expanded {
            let a = match domain {
                Some(d) => address::qualify(&a, d),
                None => a,
            };
            address::check(&a)?;
            push_unique(&mut out, a);
        }
    }
    let from = match domain {
        Some(d) if !from.is_empty() => address::qualify(&from, d),
        _ => from,
    };
    address::check(&from)?;
    Ok((from, out))
}

/// Builds the job: composes the message into a spool file, or reads a ready one's header block. All
/// local refusals happen here, before any connection. `sendmail` adds a From field to a message without
/// one and falls back to the account's `from`, then `$LOGNAME@domain`, as the sender. The account's
/// aliases and domain (`local`) apply to the envelope, the domain to the From, To and Cc fields too.
pub fn prepare(m: &Message, sendmail: bool, local: &Local, dsn: &Dsn) -> Result<Job> {
    let mut job = match &m.source {
        Source::Ready(r) => prepare_ready(m, r, sendmail, local)?,
        Source::Compose(c) => prepare_composed(m, c, local)?,
    };
    job.dsn = dsn.clone();
    Ok(job)
}

/// A header value with its bare local names qualified (when there is a domain).
fn qualified(value: &str, domain: Option<&str>) -> Result<String> {
    Ok(match domain {
        Some(d) => address::qualify_list(value, d)?.unwrap_or_else(|| value.to_string()),
        None => value.to_string(),
    })
}

fn prepare_composed(m: &Message, c: &Compose, local: &Local) -> Result<Job> {
    let from = m
        .from
        .clone()
        .ok_or_else(|| Error::usage("--from is required to compose a message"))?;
    let domain = local.domain.as_deref();
    let (from, rcpts) = final_envelope(from, &m.rcpts, local, domain)?;
    let mut b = MessageBuilder::new().from(qualified(&c.from, domain)?);
    for t in &c.to {
        b = b.to(qualified(t, domain)?);
    }
    for cc in &c.cc {
        b = b.cc(qualified(cc, domain)?);
    }
    for r in &c.reply_to {
        b = b.reply_to(qualified(r, domain)?);
    }
    for (name, value) in &c.headers {
        b = b.header(name.clone(), value.clone());
    }
    if let Some(html) = &c.html {
        b = b.html_file(html.clone());
    }
    if let Some(s) = &c.subject {
        b = b.subject(s.clone());
    }
    // Kept alive until the message is composed: a body read from stdin is spooled to a named file.
    let mut _stdin_body = None;
    match &c.body {
        Body::None => {}
        Body::Text(text) => b = b.text(text.clone()),
        Body::File(path) if path.as_os_str() == "-" => {
            let mut tmp = tempfile::NamedTempFile::new()
                .map_err(|e| Error::local("a temporary file for the body", e))?;
            io::copy(&mut io::stdin().lock(), tmp.as_file_mut())
                .map_err(|e| Error::local("stdin", e))?;
            b = b.text_file(tmp.path().to_path_buf());
            _stdin_body = Some(tmp);
        }
        Body::File(path) => b = b.text_file(path.clone()),
    }
    for a in &c.attach {
        b = b.attach(Attachment::file(a.clone()));
    }
    let file =
        tempfile::tempfile().map_err(|e| Error::local("a temporary file for the message", e))?;
    let mut w = BufWriter::with_capacity(128 * 1024, file);
    b.write_to(&mut w, "the composed message")?;
    let file = w
        .into_inner()
        .map_err(|e| Error::local("the composed message", e.into_error()))?;
    let len = file
        .metadata()
        .map_err(|e| Error::local("the composed message", e))?
        .len();
    let smtputf8 = !from.is_ascii() || rcpts.iter().any(|r| !r.is_ascii());
    Ok(Job {
        from,
        rcpts,
        head: Vec::new(),
        file,
        body_offset: 0,
        body_len: len,
        eight_bit: false,
        smtputf8,
        dsn: Dsn::default(),
    })
}

fn prepare_ready(m: &Message, r: &Ready, sendmail: bool, local: &Local) -> Result<Job> {
    let path = r.path.as_path();
    let what = if path.as_os_str() == "-" {
        "stdin".to_string()
    } else {
        path.display().to_string()
    };
    let domain = mail_domain(local, sendmail);
    let envelope_from = m.from.clone().or_else(|| local.from.clone());
    let mut rcpts = m.rcpts.clone();
    let mut file = open_message(path, r.dot_ends_input)?;
    let len = file.metadata().map_err(|e| Error::local(&what, e))?.len();
    let add_from = if sendmail {
        let addr = envelope_from
            .clone()
            .unwrap_or_else(|| default_sender(domain.as_deref().unwrap_or("localhost")));
        let addr = qualified(&addr, domain.as_deref())?;
        Some(match &r.full_name {
            Some(name) => format!("{} <{addr}>", name.trim()),
            None => addr,
        })
    } else {
        None
    };
    let rewrite = Rewrite {
        strip_bcc: r.read_recipients,
        date: rfc5322_date(std::time::SystemTime::now()),
        message_id: generate_message_id(),
        from: add_from,
    };
    let hb = read_header_block(&mut file, &rewrite, &what)?;
    if r.read_recipients {
        for r in hb.recipients() {
            push_unique(&mut rcpts, r);
        }
    }
    if rcpts.is_empty() {
        return Err(Error::usage(if r.read_recipients {
            "no recipients: the message has no To, Cc or Bcc"
        } else {
            "no recipients: give --to, or -t to take them from the message"
        }));
    }
    let from = match envelope_from.or(hb.from.clone()) {
        Some(f) => f,
        None if sendmail => default_sender(domain.as_deref().unwrap_or("localhost")),
        None => {
            return Err(Error::usage(
                "no sender: give --from (the message has no From field)",
            ));
        }
    };
    let (from, rcpts) = final_envelope(from, &rcpts, local, domain.as_deref())?;
    let mut head = match domain.as_deref() {
        Some(d) => qualify_header(&hb.head, d)?,
        None => hb.head,
    };
    // SMTPUTF8 only when an address needs it (issue 15): UTF-8 header text is RFC 2047-encoded instead,
    // since a relay without SMTPUTF8 downstream would bounce the message.
    let mut smtputf8 = !from.is_ascii() || rcpts.iter().any(|r| !r.is_ascii());
    if !smtputf8 && !head.is_ascii() {
        match ascii_header(&head)? {
            Some(ascii) => head = ascii,
            None => smtputf8 = true,
        }
    }
    Ok(Job {
        from,
        rcpts,
        body_len: len.saturating_sub(hb.body_offset),
        body_offset: hb.body_offset,
        head,
        file,
        eight_bit: true,
        smtputf8,
        dsn: Dsn::default(),
    })
}

/// Opens a ready message: a regular file in place; stdin, a pipe or a device spooled to an unlinked
/// temporary file (so it has a size and can be read again). With `dot_ends` (sendmail without `-i`) a
/// line of a single `.` ends the input.
fn open_message(path: &Path, dot_ends: bool) -> Result<File> {
    if path.as_os_str() != "-" {
        let file = File::open(path).map_err(|e| Error::local(path.display(), e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::local(path.display(), e))?;
        if meta.is_file() && !dot_ends {
            return Ok(file);
        }
        return spool(
            &mut BufReader::new(file),
            dot_ends,
            &path.display().to_string(),
        );
    }
    spool(&mut io::stdin().lock(), dot_ends, "stdin")
}

fn spool(src: &mut dyn BufRead, dot_ends: bool, what: &str) -> Result<File> {
    let tmp =
        tempfile::tempfile().map_err(|e| Error::local("a temporary file for the message", e))?;
    let mut w = BufWriter::with_capacity(128 * 1024, tmp);
    if dot_ends {
        copy_until_dot(src, &mut w, what)?;
    } else {
        io::copy(src, &mut w).map_err(|e| Error::local(what, e))?;
    }
    let mut file = w
        .into_inner()
        .map_err(|e| Error::local("the spooled message", e.into_error()))?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| Error::local("the spooled message", e))?;
    Ok(file)
}

/// Copies `src` to `out` until a line that is a single `.` (sendmail's end of input without `-i`).
pub fn copy_until_dot(src: &mut dyn BufRead, out: &mut dyn Write, what: &str) -> Result<()> {
    let mut at_line_start = true;
    // A "." or ".\r" at the start of a line, held back until we know whether the line ends there.
    let mut held: Vec<u8> = Vec::with_capacity(2);
    let mut run: Vec<u8> = Vec::with_capacity(64 * 1024);
    loop {
        let chunk = src.fill_buf().map_err(|e| Error::local(what, e))?;
        if chunk.is_empty() {
            run.extend_from_slice(&held);
            out.write_all(&run)
                .map_err(|e| Error::local("the spooled message", e))?;
            return Ok(());
        }
        let n = chunk.len();
        for &b in chunk {
            if !held.is_empty() {
                held.push(b);
                match held.as_slice() {
                    b".\n" | b".\r\n" => {
                        out.write_all(&run)
                            .map_err(|e| Error::local("the spooled message", e))?;
                        return Ok(());
                    }
                    b".\r" => continue,
                    _ => {
                        run.extend_from_slice(&held);
                        held.clear();
                        at_line_start = b == b'\n';
                        continue;
                    }
                }
            }
            if at_line_start && b == b'.' {
                held.push(b);
                continue;
            }
            run.push(b);
            at_line_start = b == b'\n';
        }
        src.consume(n);
        out.write_all(&run)
            .map_err(|e| Error::local("the spooled message", e))?;
        run.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn until_dot(input: &str) -> String {
        let mut out = Vec::new();
        copy_until_dot(
            &mut io::BufReader::with_capacity(3, input.as_bytes()),
            &mut out,
            "t",
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Issue 13, defect 9: the count matches what `DotWriter` sends, less its stuffing dots and
    /// terminator, whatever the chunking.
    #[test]
    fn wire_size_counts_crlf_normalised_octets() {
        for input in [
            &b"a\nb\r\n.c\rd"[..],
            b"",
            b"x",
            b"\r\r\n\n",
            b".\n..\n",
            b"end\r",
        ] {
            let mut sent = Vec::new();
            let mut w = crate::pingpong::dot::DotWriter::new(&mut sent);
            w.write_all(input).unwrap();
            w.finish().unwrap();
            let dots = sent.len() as u64 - 3 - {
                let mut c = CrlfCount::default();
                for b in input.chunks(1) {
                    c.feed(b);
                }
                c.finish()
            };
            let stuffed = sent
                .split(|&b| b == b'\n')
                .filter(|l| l.starts_with(b".."))
                .count() as u64;
            assert_eq!(dots, stuffed, "{input:?}");
        }
    }

    #[test]
    fn sendmail_input_ends_at_a_lone_dot() {
        assert_eq!(until_dot("a\n.\nb\n"), "a\n");
        assert_eq!(until_dot("a\r\n.\r\nb\n"), "a\r\n");
        assert_eq!(until_dot(".\n"), "");
        assert_eq!(until_dot("a\n..\n.b\n.\rx\nend"), "a\n..\n.b\n.\rx\nend");
        assert_eq!(until_dot("a\n."), "a\n.");
    }
}
