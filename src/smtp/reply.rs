//! SMTP replies (RFC 5321 §4.2): a three-digit code, single- or multi-line, with an optional RFC 3463
//! enhanced status code.
//!
//! [`SmtpDialect`] frames replies for the engine: `ddd-text` continues a reply, `ddd text` (or a bare `ddd`)
//! ends it. Every line of one reply must carry the same code (§4.2.1); anything else is a protocol
//! violation, as is a line that does not start with a code. Replies are the [`CodedReply`] SMTP shares
//! with FTP, whose `refused` turns a reply a command does not accept into the error its class implies:
//! 4xx → transient (exit 7), 5xx → permanent (exit 6), anything else → protocol violation (exit 9).

use crate::error::{Error, Result};
use crate::pingpong::{CodedReply, Dialect, Step};

/// One complete reply: the coded reply SMTP shares with FTP.
pub type Reply = CodedReply;

/// Reply framing for the engine.
#[derive(Debug, Default)]
pub struct SmtpDialect {
    open: Option<(u16, Vec<String>)>,
}

use crate::pingpong::reply_code as code_of;

impl Dialect for SmtpDialect {
    type Reply = Reply;

    fn feed(&mut self, line: &[u8]) -> Result<Step<Reply>> {
        let malformed = || {
            Error::protocol(format!(
                "malformed reply line: {}",
                crate::terminal::clip_bytes(line, 80)
            ))
        };
        let (code, sep) = match code_of(line) {
            Some((code, sep)) if (200..600).contains(&code) => (code, sep),
            _ => return Err(malformed()),
        };
        if let Some((open, _)) = &self.open
            && *open != code
        {
            return Err(Error::protocol(format!(
                "reply code changed from {open} to {code} within one reply"
            )));
        }
        let text = String::from_utf8_lossy(line.get(4..).unwrap_or(b"")).into_owned();
        match sep {
            Some(b'-') => {
                self.open
                    .get_or_insert_with(|| (code, Vec::new()))
                    .1
                    .push(text);
                Ok(Step::More)
            }
            None | Some(b' ') => {
                let mut lines = self.open.take().map(|(_, l)| l).unwrap_or_default();
                lines.push(text);
                Ok(Step::Done(Reply { code, lines }))
            }
            Some(_) => Err(malformed()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn feed_all(lines: &[&str]) -> Result<Reply> {
        let mut d = SmtpDialect::default();
        for l in lines {
            if let Step::Done(r) = d.feed(l.as_bytes())? {
                return Ok(r);
            }
        }
        panic!("reply not complete");
    }

    #[test]
    fn single_and_multi_line() {
        let r = feed_all(&["220 mx.example.com ESMTP"]).unwrap();
        assert_eq!((r.code, r.first()), (220, "mx.example.com ESMTP"));
        let r = feed_all(&["250-mx.example.com", "250-PIPELINING", "250 SIZE 1000"]).unwrap();
        assert_eq!(r.lines, vec!["mx.example.com", "PIPELINING", "SIZE 1000"]);
        assert_eq!(feed_all(&["250"]).unwrap().lines, vec![""]);
        assert_eq!(feed_all(&["334 "]).unwrap().code, 334);
    }

    #[test]
    fn garbage_and_mixed_codes_are_protocol_errors() {
        for bad in ["hello", "99 x", "2x0 x", "220x", "150 x", "600 x", ""] {
            let e = SmtpDialect::default().feed(bad.as_bytes()).err().unwrap();
            assert_eq!(e.kind(), ErrorKind::Protocol, "{bad:?}");
        }
        let e = feed_all(&["250-a", "251 b"]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
    }

    proptest::proptest! {
        /// Server text with multi-byte characters anywhere: no parser of SMTP lines panics.
        #[test]
        fn smtp_line_parsers_never_panic(lines in proptest::collection::vec("(\\d{3}[ -]?|\\+OK |-ERR |\\+ |\\* |A1 |[-dl][rwx-]{0,9} )?[a-z0-9 ()|,.:=<>\\[\\]{}~+-é€𝄞\u{80}-\u{10ffff}]{0,120}", 1..4)) {
            let mut d = SmtpDialect::default();
            for l in &lines {
                if let Ok(Step::Done(r)) = d.feed(l.as_bytes()) {
                    let _ = r.refused(l);
                    let _ = crate::smtp::extension::ServerInfo::from_ehlo(&r);
                }
            }
        }
    }
}
