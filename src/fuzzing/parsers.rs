//! Checks of the parsers of server data, files and command-line text: none may panic, and each result
//! keeps the parser's stated bounds.

use std::time::Duration;

use super::{chunked, text};
use crate::pingpong::mock::MockStream;
use crate::pingpong::{Dialect, LINE_CAP, PingPong, REPLY_CAP};

/// At most this many replies are read from one input (each needs at least one line).
const MAX_REPLIES: usize = 64;

/// A control connection over the fuzzer's bytes, in fuzzer-chosen reads.
fn engine<D: Dialect>(data: &[u8], dialect: D) -> PingPong<D, MockStream> {
    let (_, chunks) = chunked(data);
    let (m, _) = MockStream::bytes(chunks.iter().map(|c| c.to_vec()).collect());
    match PingPong::new(m, dialect, Duration::from_secs(1), Default::default()) {
        Ok(pp) => pp,
        Err(e) => panic!("the mock stream cannot fail: {e}"),
    }
}

/// FTP replies through the engine and the FTP dialect: every reply has a three-digit code and is
/// within the reply cap.
pub fn ftp_reply(data: &[u8]) {
    let mut pp = engine(data, crate::ftp::reply::FtpDialect::default());
    for _ in 0..MAX_REPLIES {
        let Ok(r) = pp.read_reply() else { break };
        assert!((100..=599).contains(&r.code), "code {}", r.code);
        assert!(r.lines.iter().map(String::len).sum::<usize>() <= REPLY_CAP * 3);
        let _ = (r.class(), r.text(), r.first());
    }
}

/// LIST and MLSD lines: the listing reader, then both line parsers on every line; no name spans lines.
pub fn ftp_list(data: &[u8]) {
    let mut input = data;
    let lines = match crate::ftp::list::read_lines(&mut input) {
        Ok(lines) => lines,
        Err(_) => text(data).lines().map(str::to_string).collect(),
    };
    for line in &lines {
        assert!(line.len() <= LINE_CAP * 3);
        for entry in [
            crate::ftp::list::parse_list(line),
            crate::ftp::list::parse_mlsd(line),
        ]
        .into_iter()
        .flatten()
        {
            // A name may hold a CR (Unix allows it; `sink::safe_name` refuses it locally), never the
            // LF that ends a listing line.
            assert!(!entry.name.contains('\n'), "{:?}", entry.name);
        }
        let _ = crate::ftp::list::parse_time_val(line);
    }
}

/// EPSV and PASV reply texts: a port is never 0.
pub fn ftp_pasv(data: &[u8]) {
    let t = text(data);
    for port in [
        crate::ftp::data::parse_epsv(&t),
        crate::ftp::data::parse_pasv(&t),
    ]
    .into_iter()
    .flatten()
    {
        assert_ne!(port, 0);
    }
}

/// SMTP replies through the engine and the SMTP dialect, each also read as an EHLO reply.
pub fn smtp_reply(data: &[u8]) {
    let mut pp = engine(data, crate::smtp::reply::SmtpDialect::default());
    for _ in 0..MAX_REPLIES {
        let Ok(r) = pp.read_reply() else { break };
        assert!((100..=599).contains(&r.code), "code {}", r.code);
        let info = crate::smtp::extension::ServerInfo::from_ehlo(&r);
        let _ = (info.size_limit(), info.auth_names());
    }
}

/// POP3: a status line of the kind the first byte picks, then a dot-stuffed body within a limit the
/// second byte picks; the body never exceeds the limit and its count is what was written.
pub fn pop3_reply(data: &[u8]) {
    use crate::pop3::reply::{Expect, Pop3Dialect};
    let [pick, limit, rest @ ..] = data else {
        return;
    };
    let mut pp = engine(rest, Pop3Dialect::default());
    pp.dialect_mut().expect(match pick % 3 {
        0 => Expect::Single,
        1 => Expect::Multi,
        _ => Expect::Auth,
    });
    if let Ok(r) = pp.read_reply() {
        let _ = crate::pop3::Capabilities::parse(&r.lines);
        let _ = crate::pop3::apop_timestamp(&r.text);
    }
    let limit = u64::from(*limit) * 16;
    let mut out = Vec::new();
    if let Ok(n) = pp.read_dot_body(&mut out, limit) {
        assert_eq!(n, out.len() as u64);
        assert!(n <= limit, "{n} body bytes over the limit {limit}");
    }
}

/// IMAP responses with literals through the engine: bodies arrive whole, in order, each exactly as long
/// as announced and within the cap; the bytes are also parsed as one response directly.
pub fn imap_response(data: &[u8]) {
    use crate::imap::dialect::{ImapDialect, Literals};
    let _ = crate::imap::response::parse(data);
    let Some((&cap, rest)) = data.split_first() else {
        return;
    };
    let cap = u64::from(cap) * 64;
    let mut pp = engine(rest, ImapDialect::default());
    let mut sink = Bodies::default();
    for _ in 0..MAX_REPLIES {
        if pp
            .read_reply_with(&mut Literals::to(&mut sink), cap)
            .is_err()
        {
            break;
        }
        assert!(sink.open.is_none(), "a body still open after its response");
    }
    for (announced, got) in &sink.done {
        assert_eq!(announced, got);
        assert!(*got <= cap, "a body of {got} bytes over the cap {cap}");
    }
}

/// Records the bodies a FETCH delivered.
#[derive(Default)]
pub(super) struct Bodies {
    /// The body being received: announced length, bytes so far.
    pub open: Option<(u64, u64)>,
    /// Complete bodies: announced length, bytes received.
    pub done: Vec<(u64, u64)>,
}

impl crate::imap::dialect::BodySink for Bodies {
    fn begin(&mut self, _: u32, _: Option<u32>, len: u64) -> crate::Result<()> {
        assert!(self.open.is_none(), "a body began inside another");
        self.open = Some((len, 0));
        Ok(())
    }

    fn write(&mut self, chunk: &[u8]) -> crate::Result<()> {
        let Some((_, got)) = self.open.as_mut() else {
            panic!("body bytes outside a body")
        };
        *got += chunk.len() as u64;
        Ok(())
    }

    fn end(&mut self) -> crate::Result<()> {
        let Some(b) = self.open.take() else {
            panic!("a body ended that never began")
        };
        self.done.push(b);
        Ok(())
    }
}

/// URLs for every scheme: a parsed target has a host, and its display never shows the password.
pub fn url(data: &[u8]) {
    use crate::url::{SCHEMES, Target};
    let t = text(data);
    let all: Vec<_> = SCHEMES.iter().map(|s| s.scheme).collect();
    if let Ok(target) = Target::parse(&t, &all) {
        assert!(!target.host.is_empty());
        let shown = target.display();
        let _ = target.authority();
        // A shown FTP URL names the same file again (a `--json` record's `url` is reusable).
        if target.scheme.is_ftp()
            && !matches!(target.path.trim_matches('/'), "." | "..")
            && let Ok(back) = Target::parse(&shown, &all)
        {
            assert_eq!(back.path, target.path, "{shown}");
            assert_eq!((back.host, back.port), (target.host.clone(), target.port));
        }
        // The display never depends on the password (a host or path may spell it out by chance).
        let mut bare = target.clone();
        bare.password = None;
        assert_eq!(bare.display(), shown);
    }
}

/// netrc text: a lookup by host, and by host and user.
pub fn netrc(data: &[u8]) {
    let t = text(data);
    let _ = crate::netrc::find(&t, "h", None);
    if let Some(e) = crate::netrc::find(&t, "example.com", Some("u")) {
        assert_eq!(e.login, "u");
    }
}

/// The TOML config: the default account and a named one.
pub fn config(data: &[u8]) {
    let t = text(data);
    let _ = crate::config::parse_account(&t, None);
    let _ = crate::config::parse_account(&t, Some("a"));
}

/// RFC 2047 words, RFC 2231 parameters and field values; encoding a value without control characters and
/// decoding it again gives it back.
pub fn mime_header(data: &[u8]) {
    use crate::mime::header;
    let t = text(data);
    let _ = header::decode_header(&t);
    let field = header::parse_field(&t);
    let _ = (field.param("filename"), field.param("name"));
    let _ = header::check_value("Subject", &t);
    for line in header::encode_param("filename", &t) {
        assert!(!line.contains(['\r', '\n']), "{line:?}");
    }
    let encoded = header::encode_header(&t, 9, "\r\n");
    // Decoding shows control characters as U+FFFD on purpose (terminal safety), so only text without
    // them can come back unchanged.
    if header::check_value("Subject", &t).is_ok() && !t.chars().any(char::is_control) {
        let back = header::decode_header(&header::unfold(&encoded));
        assert_eq!(back.trim(), t.trim(), "encoded as {encoded:?}");
    }
}

/// The MIME part parser: entities start and end in pairs, and a leaf's reported size is the bytes
/// its body delivered.
pub fn mime_parse(data: &[u8]) {
    use crate::mime::parse::{Limits, Part, Visitor, Want, parse};
    #[derive(Default)]
    struct Count {
        open: Vec<String>,
        body: u64,
    }
    impl Visitor for Count {
        fn start(&mut self, part: &Part) -> crate::Result<Want> {
            self.open.push(part.path.clone());
            self.body = 0;
            let _ = (part.mime_type(), part.charset(), part.filename());
            Ok(Want::Body)
        }
        fn body(&mut self, data: &[u8]) -> crate::Result<()> {
            self.body += data.len() as u64;
            Ok(())
        }
        fn end(&mut self, part: &Part, size: u64) -> crate::Result<()> {
            assert_eq!(self.open.pop().as_ref(), Some(&part.path));
            if !part.container {
                assert_eq!(size, self.body, "part {}", part.path);
            }
            Ok(())
        }
    }
    let mut v = Count::default();
    let limits = Limits {
        max_depth: 16,
        max_parts: 256,
        max_header_bytes: 64 * 1024,
    };
    if parse(data, "fuzz", &mut v, limits).is_ok() {
        assert!(v.open.is_empty(), "entities left open: {:?}", v.open);
    }
}

/// Safe file names: what `sanitize` returns is one harmless path component that `safe_name` accepts,
/// and what `safe_name` accepts is never a separator, NUL, `.` or `..`.
pub fn safe_name(data: &[u8]) {
    let t = text(data);
    let harmless =
        |n: &str| !n.is_empty() && n != "." && n != ".." && !n.contains(['/', '\\', '\0']);
    if let Some(n) = crate::mime::filename::sanitize(&t) {
        assert!(harmless(&n), "{n:?}");
        assert!(n.len() <= crate::mime::filename::MAX_NAME, "{n:?}");
        assert!(crate::sink::safe_name(&n).is_ok(), "{n:?}");
        for i in [1, 7, u32::MAX] {
            let numbered = crate::mime::filename::numbered(&n, i);
            assert!(harmless(&numbered), "{numbered:?}");
        }
    }
    if crate::sink::safe_name(&t).is_ok() {
        assert!(harmless(&t), "{t:?}");
    }
}
