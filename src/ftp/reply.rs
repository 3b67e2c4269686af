//! FTP replies (RFC 959 §4.2): a three-digit code, single- or multi-line.
//!
//! [`FtpDialect`] frames replies for the engine: `ddd text` ends a reply, `ddd-text` opens a multi-line one
//! that ends at the first line starting with the same code and a space. Anything else where a reply must
//! start is a protocol violation. Replies are the [`CodedReply`] FTP shares with SMTP; [`refused`] turns a
//! reply outside what a command accepts into the error its class implies: 530 → authentication (exit 5),
//! other 4xx → transient (7), 5xx → permanent (6), anything else → protocol violation (9).

use crate::error::{Error, ErrorKind, Result};
use crate::pingpong::{CodedReply, Dialect, Step};

/// One complete reply: the coded reply FTP shares with SMTP.
pub type Reply = CodedReply;

/// The error for a reply that `what` does not accept: the class decides ([`CodedReply::refused`]), except
/// that 530 "not logged in" is an authentication failure (exit 5) whichever command drew it.
pub fn refused(r: &Reply, what: &str) -> Error {
    match r.code {
        530 => r.refused_as(what, ErrorKind::Auth),
        _ => r.refused(what),
    }
}

/// Reply framing for the engine.
#[derive(Debug, Default)]
pub struct FtpDialect {
    open: Option<(u16, Vec<String>)>,
}

use crate::pingpong::reply_code as code_of;

impl Dialect for FtpDialect {
    type Reply = Reply;

    fn feed(&mut self, line: &[u8]) -> Result<Step<Reply>> {
        let text =
            |from: usize| String::from_utf8_lossy(line.get(from..).unwrap_or(b"")).into_owned();
        if let Some((code, lines)) = &mut self.open {
            if let Some((c, Some(b' ') | None)) = code_of(line)
                && c == *code
            {
                lines.push(text(4));
                let (code, lines) = self.open.take().unwrap_or_default();
                return Ok(Step::Done(Reply { code, lines }));
            }
            lines.push(text(0));
            return Ok(Step::More);
        }
        match code_of(line) {
            Some((code, None | Some(b' '))) if (100..600).contains(&code) => {
                Ok(Step::Done(Reply {
                    code,
                    lines: vec![text(4)],
                }))
            }
            Some((code, Some(b'-'))) if (100..600).contains(&code) => {
                self.open = Some((code, vec![text(4)]));
                Ok(Step::More)
            }
            _ => Err(Error::protocol(format!(
                "malformed reply line: {}",
                crate::terminal::clip_bytes(line, 80)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(lines: &[&str]) -> Result<Reply> {
        let mut d = FtpDialect::default();
        for l in lines {
            if let Step::Done(r) = d.feed(l.as_bytes())? {
                return Ok(r);
            }
        }
        panic!("reply not complete");
    }

    #[test]
    fn single_and_multi_line() {
        let r = feed_all(&["220 ready"]).unwrap();
        assert_eq!((r.code, r.text()), (220, "ready".to_string()));
        let r = feed_all(&[
            "211-Features:",
            " MLST type*;",
            "211x not the end",
            "211 End",
        ])
        .unwrap();
        assert_eq!(r.code, 211);
        assert_eq!(
            r.lines,
            vec!["Features:", " MLST type*;", "211x not the end", "End"]
        );
        assert_eq!(feed_all(&["200"]).unwrap().code, 200);
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        for bad in ["hello", "99 x", "2x0 x", "220x"] {
            let e = FtpDialect::default().feed(bad.as_bytes()).err().unwrap();
            assert_eq!(e.kind(), ErrorKind::Protocol, "{bad}");
        }
    }

    #[test]
    fn refusal_kinds_follow_the_class() {
        let r = |code| Reply {
            code,
            lines: vec!["x".into()],
        };
        assert_eq!(refused(&r(530), "PASS").kind(), ErrorKind::Auth);
        assert_eq!(refused(&r(421), "RETR").kind(), ErrorKind::Transient);
        assert_eq!(refused(&r(550), "RETR").kind(), ErrorKind::Permanent);
        assert_eq!(refused(&r(227), "RETR").kind(), ErrorKind::Protocol);
    }

    proptest::proptest! {
        /// Server text with multi-byte characters anywhere: no parser of FTP lines panics.
        #[test]
        fn ftp_line_parsers_never_panic(lines in proptest::collection::vec("(\\d{3}[ -]?|\\+OK |-ERR |\\+ |\\* |A1 |[-dl][rwx-]{0,9} )?[a-z0-9 ()|,.:=<>\\[\\]{}~+-é€𝄞\u{80}-\u{10ffff}]{0,120}", 1..4)) {
            let mut d = FtpDialect::default();
            for l in &lines {
                if let Ok(Step::Done(r)) = d.feed(l.as_bytes()) {
                    let _ = refused(&r, l);
                    let _ = crate::ftp::data::parse_epsv(r.first());
                    let _ = crate::ftp::data::parse_pasv(r.first());
                }
                let _ = crate::ftp::list::parse_list(l);
                let _ = crate::ftp::list::parse_mlsd(l);
                let _ = crate::ftp::list::parse_time_val(l);
                let _ = crate::ftp::data::parse_epsv(l);
                let _ = crate::ftp::data::parse_pasv(l);
            }
        }
    }
}
