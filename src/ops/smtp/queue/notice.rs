//! The non-delivery notice of a queue entry given up (expired, refused with a 5xx, or left uncertain by a
//! crash): an RFC 3464 delivery status notification, `multipart/report; report-type=delivery-status`
//! (RFC 6522) of three parts — a human explanation, `message/delivery-status` with one field group per
//! recipient (Final-Recipient, Action, Status, Diagnostic-Code, Last-Attempt-Date), and the original
//! header as `text/rfc822-headers`.
//!
//! Loops are impossible by construction: no notice goes to a null sender (RFC 5321 §4.5.5), nor for a
//! message that is itself a delivery report, and a notice is sent with the null sender `MAIL FROM:<>`, so
//! a notice that fails is never answered by another. When it cannot be sent it is delivered into the
//! account's `dead_letter` mailbox ([`deliver_locally`]): a Maildir when the path ends in `/` or is a
//! directory, else an mbox file.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use crate::error::Result;
use crate::mime::build::{generate_message_id, rfc5322_date};
use crate::store::{Store, Target};

/// Why an entry was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The server refused it permanently (5xx).
    Refused,
    /// It stayed queued longer than `--max-age`.
    Expired,
    /// A flush was interrupted after the send began: the server may or may not have it.
    Uncertain,
}

/// One recipient in a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    /// The address.
    pub rcpt: String,
    /// The server's last reply for it (`550 5.1.1 no such user`), or what went wrong.
    pub reply: String,
    /// When it was last tried (seconds since the epoch), if ever.
    pub last_attempt: Option<u64>,
}

/// What a notice reports.
#[derive(Debug, Clone)]
pub struct Notice {
    /// The envelope sender of the entry: the notice's recipient.
    pub sender: String,
    /// The queue entry's ID.
    pub id: String,
    /// When the entry was queued.
    pub queued: u64,
    /// Why it was given up.
    pub reason: Reason,
    /// The recipients that did not get the message.
    pub failed: Vec<Failed>,
    /// The original message's header block.
    pub headers: Vec<u8>,
}

/// Whether a notice may be sent for a message from `sender` with this header: never to the null sender,
/// never for a delivery report.
pub fn allowed(sender: &str, headers: &[u8]) -> bool {
    !sender.is_empty() && !is_report(headers)
}

/// Whether a header block declares `multipart/report; report-type=delivery-status` (a notice itself).
fn is_report(headers: &[u8]) -> bool {
    let text = String::from_utf8_lossy(headers).to_ascii_lowercase();
    let unfolded = text
        .replace("\r\n", "\n")
        .replace("\n ", " ")
        .replace("\n\t", " ");
    unfolded.lines().any(|l| {
        l.starts_with("content-type:")
            && l.contains("multipart/report")
            && l.contains("delivery-status")
    })
}

/// The RFC 3463 status code at the start of a reply's text (`550 5.1.1 ...` → `5.1.1`), if any.
pub fn enhanced_status(reply: &str) -> Option<String> {
    let word = reply.split_whitespace().nth(1)?;
    let parts: Vec<&str> = word.split('.').collect();
    let ok = parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && parts[1..]
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| word.to_string())
}

/// The Status field for a recipient: the reply's enhanced code, else one made from the reason.
fn status(reason: Reason, reply: &str) -> String {
    if let Some(s) = enhanced_status(reply) {
        return s;
    }
    match reason {
        Reason::Refused => "5.0.0".into(),
        Reason::Expired => "4.4.7".into(),
        Reason::Uncertain => "4.4.0".into(),
    }
}

fn date(secs: u64) -> String {
    rfc5322_date(UNIX_EPOCH + Duration::from_secs(secs))
}

/// One header-field value made safe: control characters (CR, LF) replaced.
fn field(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The notice as a complete message (CRLF line endings), dated `now`, reported by `host`.
pub fn render(n: &Notice, host: &str, now: u64) -> Vec<u8> {
    let boundary = format!("ferry-dsn-{}-{}", n.id.replace(['.', '_'], "-"), now);
    let (subject, human) = match n.reason {
        Reason::Refused => (
            "Undelivered Mail Returned to Sender",
            "The server refused your message permanently for the recipients below.",
        ),
        Reason::Expired => (
            "Undelivered Mail Returned to Sender",
            "Your message could not be delivered to the recipients below: it was kept in the queue and \
             retried until it expired.",
        ),
        Reason::Uncertain => (
            "Delivery Status Uncertain",
            "Sending your message was interrupted after the server had been given it. It may or may not \
             have been delivered to the recipients below; ferry does not send it again, so that nobody \
             gets it twice. Please check with the recipients.",
        ),
    };
    let mut m = String::new();
    m.push_str(&format!(
        "From: Mail Delivery System <MAILER-DAEMON@{host}>\r\n\
         To: <{}>\r\n\
         Subject: {subject}\r\n\
         Date: {}\r\n\
         Message-ID: {}\r\n\
         Auto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status;\r\n\
         \tboundary=\"{boundary}\"\r\n\
         \r\n\
         This is a MIME-encapsulated delivery status notification.\r\n\
         \r\n\
         --{boundary}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\
         \r\n\
         {human}\r\n\
         Queued since: {}\r\n\
         Queue ID: {}\r\n\
         \r\n",
        field(&n.sender),
        date(now),
        generate_message_id(),
        date(n.queued),
        field(&n.id),
    ));
    for f in &n.failed {
        m.push_str(&format!("<{}>: {}\r\n", field(&f.rcpt), field(&f.reply)));
    }
    m.push_str(&format!(
        "\r\n--{boundary}\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; {host}\r\n\
         X-Ferry-Queue-ID: {}\r\n\
         Arrival-Date: {}\r\n",
        field(&n.id),
        date(n.queued)
    ));
    for f in &n.failed {
        let reply = field(&f.reply);
        let diagnostic = if reply.len() >= 3 && reply.as_bytes()[..3].iter().all(u8::is_ascii_digit)
        {
            format!("smtp; {reply}")
        } else {
            format!("X-ferry; {reply}")
        };
        m.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {}\r\n\
             Action: failed\r\n\
             Status: {}\r\n\
             Diagnostic-Code: {diagnostic}\r\n",
            field(&f.rcpt),
            status(n.reason, &reply),
        ));
        if let Some(t) = f.last_attempt {
            m.push_str(&format!("Last-Attempt-Date: {}\r\n", date(t)));
        }
    }
    m.push_str(&format!(
        "\r\n--{boundary}\r\n\
         Content-Type: text/rfc822-headers\r\n\
         \r\n"
    ));
    let mut out = m.into_bytes();
    out.extend_from_slice(&n.headers);
    if !n.headers.ends_with(b"\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

/// Delivers `message` into the mailbox at `path` (a Maildir when it ends in `/` or is a directory, else
/// an mbox file); returns where it went.
pub fn deliver_locally(path: &Path, message: &[u8]) -> Result<String> {
    let maildir = path.as_os_str().to_string_lossy().ends_with('/') || path.is_dir();
    let target = if maildir {
        Target::Maildir(path.to_path_buf())
    } else {
        Target::Mbox(path.to_path_buf())
    };
    let mut store = Store::open(target)?;
    let mut d = store.begin("notice")?;
    d.write_all(message)
        .map_err(|e| crate::Error::local(path.display(), e))?;
    d.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhanced_codes_and_reports_are_recognised() {
        assert_eq!(
            enhanced_status("550 5.1.1 no such user").as_deref(),
            Some("5.1.1")
        );
        assert_eq!(enhanced_status("450 4.2.0 busy").as_deref(), Some("4.2.0"));
        assert_eq!(enhanced_status("550 no such user"), None);
        assert_eq!(enhanced_status("550 5.1.1234 x"), None);
        assert!(allowed("ann@x", b"Subject: hi\r\n"));
        assert!(!allowed("", b"Subject: hi\r\n"));
        assert!(!allowed(
            "ann@x",
            b"Content-Type: multipart/report;\r\n report-type=delivery-status; boundary=x\r\n"
        ));
    }
}
