//! The POP3 client session: RFC 1939 (greeting, USER/PASS, APOP, STAT, LIST, UIDL, RETR, TOP, DELE, RSET,
//! QUIT), RFC 2449 (CAPA, extended response codes, PIPELINING), RFC 2595 §4 (STLS) and RFC 5034 (AUTH with
//! SASL, initial responses).
//!
//! One method per protocol command, named after it. Replies are typed by [`reply`]; a `-ERR` becomes the
//! error its RFC 2449 code implies. Message bodies stream through the engine's dot-body reader into any
//! `Write` the caller hands in; the session never touches files, state or flags. For PIPELINING the caller
//! sends a bounded batch of [`Session::request`]s and then reads each [`Session::response`] in order: the
//! commands are a few bytes each, so the batch never fills a socket buffer while the server is answering.

pub mod reply;

use std::io::Write;

use md5::{Digest, Md5};

use crate::credentials::{Credentials, Secret};
use crate::error::{Error, ErrorKind, Result};
use crate::pingpong::{Command, PingPong, SessionConfig, Wire};
use crate::sasl::{self, Challenge, Mechanism};
use crate::transport::{Stream, Tls};
use crate::url::Target;

pub use reply::{Expect, Pop3Dialect, Reply, Status};

#[cfg(test)]
mod tests;

/// How to reach and log in to a server.
#[derive(Clone)]
pub struct Config {
    /// What every session shares: TLS, timeouts, transcript.
    pub session: SessionConfig,
    /// How to log in.
    pub login: Login,
}

/// The login method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    /// AUTH with the best SASL mechanism offered (PLAIN, else LOGIN), else USER/PASS.
    Default,
    /// `--apop`: APOP with the greeting's timestamp (RFC 1939 §7).
    Apop,
    /// `--auth MECH`: AUTH with this mechanism (RFC 5034).
    Sasl(Mechanism),
}

/// What CAPA announced (RFC 2449 §6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Whether the server answered CAPA at all (RFC 1939-only servers do not).
    pub known: bool,
    /// TOP (§6.1).
    pub top: bool,
    /// USER (§6.2).
    pub user: bool,
    /// SASL mechanisms (§6.3).
    pub sasl: Vec<String>,
    /// RESP-CODES (§6.4).
    pub resp_codes: bool,
    /// PIPELINING (§6.6).
    pub pipelining: bool,
    /// UIDL (§6.8).
    pub uidl: bool,
    /// STLS (RFC 2595 §4).
    pub stls: bool,
}

/// The most CAPA lines accepted: servers send about ten; more is a protocol violation (exit 9).
pub const MAX_CAPABILITIES: usize = 1000;

/// The most SASL mechanisms kept from a CAPA `SASL` line (real servers offer a handful).
const MAX_MECHANISMS: usize = 64;

impl Capabilities {
    /// Parses CAPA's lines.
    pub fn parse(lines: &[String]) -> Capabilities {
        let mut c = Capabilities {
            known: true,
            ..Default::default()
        };
        for line in lines {
            let mut words = line.split_ascii_whitespace();
            let Some(name) = words.next() else { continue };
            match name.to_ascii_uppercase().as_str() {
                "TOP" => c.top = true,
                "USER" => c.user = true,
                "SASL" => c.sasl = words.take(MAX_MECHANISMS).map(str::to_string).collect(),
                "RESP-CODES" => c.resp_codes = true,
                "PIPELINING" => c.pipelining = true,
                "UIDL" => c.uidl = true,
                "STLS" => c.stls = true,
                _ => {}
            }
        }
        c
    }
}

/// A message body to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// RETR n: the whole message.
    Whole(u32),
    /// TOP n lines: the header and the first `lines` body lines (RFC 1939 §7).
    Top(u32, u32),
}

impl Part {
    /// The message number.
    pub fn number(self) -> u32 {
        match self {
            Part::Whole(n) | Part::Top(n, _) => n,
        }
    }

    fn command(self) -> Command {
        match self {
            Part::Whole(n) => Command::with("RETR", n.to_string()),
            Part::Top(n, l) => Command::with("TOP", format!("{n} {l}")),
        }
    }
}

/// The answer to a RETR or TOP.
#[derive(Debug)]
pub enum Retrieved {
    /// `+OK`: this many body bytes were written (un-stuffed).
    Body(u64),
    /// `-ERR`: the server refused this message; the session is still usable.
    Refused(Error),
}

/// A logged-in (or, before [`Session::login`], authorizing) POP3 connection; over a socket, or a scripted
/// stream in unit tests.
pub struct Session<S: Wire = Stream> {
    pp: PingPong<Pop3Dialect, S>,
    host: String,
    port: u16,
    /// The greeting's APOP timestamp (`<...>`), if any.
    pub timestamp: Option<String>,
    /// What CAPA announced in the current state.
    pub capabilities: Capabilities,
}

impl Session {
    /// Connects and logs in: TLS for `pop3s://`, greeting, CAPA, STLS for `--starttls` (CAPA again after
    /// it), login, CAPA again (RFC 2449 §5: capabilities may change after login).
    pub fn open(target: &Target, creds: &Credentials, config: &Config) -> Result<Session> {
        Session::connect(target, config)?.secure_and_login(creds, config)
    }

    /// Opens the connection and reads the greeting and CAPA.
    pub fn connect(target: &Target, config: &Config) -> Result<Session> {
        let pp = PingPong::open(target, &config.session, Pop3Dialect::default())?;
        Session::start(pp, &target.host, target.port)
    }
}

impl<S: Wire> Session<S> {
    /// What [`Session::connect`] does on a connected stream: the greeting and CAPA.
    pub(crate) fn start(pp: PingPong<Pop3Dialect, S>, host: &str, port: u16) -> Result<Self> {
        let mut s = Session {
            pp,
            host: host.to_string(),
            port,
            timestamp: None,
            capabilities: Capabilities::default(),
        };
        s.greeting()?;
        s.capa()?;
        Ok(s)
    }

    /// The rest of [`Session::open`]: STLS for `--starttls` (CAPA again after it), login, CAPA again.
    pub(crate) fn secure_and_login(self, creds: &Credentials, config: &Config) -> Result<Self> {
        let mut s = self;
        if config.session.starttls && !s.pp.is_tls() {
            s = s.stls(config.session.tls_client()?)?;
            s.capa()?;
        }
        s.login(creds, config.login)?;
        s.capa()?;
        Ok(s)
    }

    fn exchange(&mut self, cmd: &Command, expect: Expect) -> Result<Reply> {
        self.pp.send(cmd)?;
        self.pp.dialect_mut().expect(expect);
        self.pp.read_reply()
    }

    fn require(&mut self, cmd: &Command, login: bool) -> Result<Reply> {
        let r = self.exchange(cmd, Expect::Single)?;
        if r.is_ok() {
            Ok(r)
        } else {
            Err(r.refused(&cmd.redacted(), login))
        }
    }

    /// The greeting (RFC 1939 §4), remembering the APOP timestamp (§7) when there is one.
    pub fn greeting(&mut self) -> Result<()> {
        self.pp.dialect_mut().expect(Expect::Single);
        let deadline = self.pp.greeting_deadline();
        let r = self
            .pp
            .read_reply_within(deadline)
            .map_err(|e| self.pp.greeting_error(e))?;
        if !r.is_ok() {
            let e = r.refused("greeting", false).with_kind(ErrorKind::Transient);
            return Err(self.pp.greeting_error(e));
        }
        self.timestamp = apop_timestamp(&r.text);
        Ok(())
    }

    /// CAPA (RFC 2449 §5). A `-ERR` means an RFC 1939-only server: no capabilities known.
    pub fn capa(&mut self) -> Result<()> {
        let r = self.exchange(&Command::new("CAPA"), Expect::Multi)?;
        self.capabilities = if r.is_ok() {
            if r.lines.len() > MAX_CAPABILITIES {
                return Err(Error::protocol(format!(
                    "CAPA: the server listed more than {MAX_CAPABILITIES} capabilities"
                )));
            }
            Capabilities::parse(&r.lines)
        } else {
            Capabilities::default()
        };
        Ok(())
    }

    /// STLS (RFC 2595 §4): not offered or refused is a TLS failure (exit 4); bytes sent after the `+OK`
    /// and before the handshake are a protocol violation (exit 9, refused by the engine).
    pub fn stls(mut self, tls: &Tls) -> Result<Self> {
        if self.capabilities.known && !self.capabilities.stls {
            return Err(crate::pingpong::starttls_not_offered("STLS"));
        }
        self.pp = self.pp.starttls(tls, &self.host, |pp| {
            pp.send(&Command::new("STLS"))?;
            pp.dialect_mut().expect(Expect::Single);
            let r = pp.read_reply()?;
            Ok(match r.is_ok() {
                true => Ok(()),
                false => Err(r.refused("STLS", false)),
            })
        })?;
        Ok(self)
    }

    /// Logs in with the configured method.
    pub fn login(&mut self, creds: &Credentials, login: Login) -> Result<()> {
        match login {
            Login::Apop => self.apop(creds),
            Login::Sasl(m) => self.auth(m, creds),
            Login::Default => {
                let offered: Vec<&str> =
                    self.capabilities.sasl.iter().map(String::as_str).collect();
                match sasl::choose(None, &offered) {
                    Ok(m) if !offered.is_empty() => self.auth(m, creds),
                    _ => self.user_pass(creds),
                }
            }
        }
    }

    /// USER and PASS (RFC 1939 §7).
    pub fn user_pass(&mut self, creds: &Credentials) -> Result<()> {
        self.require(&Command::with("USER", creds.user.clone()), true)?;
        self.require(&Command::secret("PASS", &creds.password), true)?;
        Ok(())
    }

    /// APOP name digest (RFC 1939 §7): MD5 of the greeting's timestamp and the password.
    pub fn apop(&mut self, creds: &Credentials) -> Result<()> {
        let stamp = self.timestamp.clone().ok_or_else(|| {
            Error::new(
                ErrorKind::Auth,
                "--apop: the server's greeting has no APOP timestamp",
            )
        })?;
        let digest = apop_digest(&stamp, &creds.password);
        let arg = Secret::new(format!("{} {}", creds.user, digest.expose()));
        if creds.user.contains(' ') {
            return Err(Error::new(
                ErrorKind::Auth,
                "APOP: the user name contains a space",
            ));
        }
        self.require(&Command::secret("APOP", &arg), true)?;
        Ok(())
    }

    /// AUTH (RFC 5034 §4) with an initial response when the mechanism has one.
    pub fn auth(&mut self, mech: Mechanism, creds: &Credentials) -> Result<()> {
        let offered: Vec<&str> = self.capabilities.sasl.iter().map(String::as_str).collect();
        if self.capabilities.known {
            sasl::choose(Some(mech), &offered)?;
        }
        let mut client =
            sasl::Client::new(mech, &creds.user, &creds.password, &self.host, self.port);
        let verb = mech.auth_command();
        sasl::exchange(
            &mut sasl::Over {
                session: self,
                verb,
            },
            &mut client,
            verb,
        )
    }

    /// STAT (RFC 1939 §5): the number of messages and their total size.
    pub fn stat(&mut self) -> Result<(u32, u64)> {
        let r = self.require(&Command::new("STAT"), false)?;
        let mut words = r.text.split_ascii_whitespace();
        let count = words.next().and_then(|w| w.parse().ok());
        let size = words.next().and_then(|w| w.parse().ok());
        match (count, size) {
            (Some(c), Some(s)) => Ok((c, s)),
            _ => Err(Error::protocol(format!(
                "STAT: malformed reply {}",
                crate::terminal::escape(&r.text)
            ))),
        }
    }

    /// LIST (RFC 1939 §5): every message's number and size.
    pub fn list(&mut self) -> Result<Vec<(u32, u64)>> {
        let r = self.exchange(&Command::new("LIST"), Expect::Multi)?;
        if !r.is_ok() {
            return Err(r.refused("LIST", false));
        }
        too_many("LIST", r.lines.len())?;
        r.lines
            .iter()
            .map(|l| {
                let (n, v) = scan_listing(l, "LIST")?;
                let size = v.parse::<u64>().map_err(|_| malformed("LIST", l))?;
                Ok((n, size))
            })
            .collect()
    }

    /// UIDL (RFC 1939 §7): every message's unique id. `None` when the server refuses UIDL. A line with a
    /// number and no id (`3` alone) is returned with an empty id: whether ids that are empty or repeated
    /// are fatal depends on what the caller uses them for (pop3-fetch's `--state`, `--new-only`, `--delete`).
    pub fn uidl(&mut self) -> Result<Option<Vec<(u32, String)>>> {
        let r = self.exchange(&Command::new("UIDL"), Expect::Multi)?;
        if !r.is_ok() {
            return Ok(None);
        }
        too_many("UIDL", r.lines.len())?;
        r.lines
            .iter()
            .map(|l| {
                let mut words = l.split_ascii_whitespace();
                if let (Some(n), None) = (words.next(), words.next())
                    && let Ok(n) = n.parse::<u32>()
                    && n > 0
                {
                    return Ok((n, String::new()));
                }
                let (n, v) = scan_listing(l, "UIDL")?;
                // §7: 1 to 70 characters in 0x21..0x7E.
                if v.is_empty() || v.len() > 70 || !v.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
                    return Err(malformed("UIDL", l));
                }
                Ok((n, v.to_string()))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// Sends RETR or TOP without waiting (a PIPELINING batch, RFC 2449 §6.6); read it with
    /// [`Session::response`].
    pub fn request(&mut self, part: Part) -> Result<()> {
        self.pp.send(&part.command())
    }

    /// Reads the answer to an earlier [`Session::request`]: the status line, then the un-stuffed body into
    /// `out`, at most `limit` bytes (more is a protocol error).
    pub fn response(&mut self, part: Part, out: &mut dyn Write, limit: u64) -> Result<Retrieved> {
        self.pp.dialect_mut().expect(Expect::Single);
        let r = self.pp.read_reply()?;
        if !r.is_ok() {
            return Ok(Retrieved::Refused(
                r.refused(&part.command().redacted(), false),
            ));
        }
        Ok(Retrieved::Body(self.pp.read_dot_body(out, limit)?))
    }

    /// RETR or TOP, one round trip.
    pub fn retrieve(&mut self, part: Part, out: &mut dyn Write, limit: u64) -> Result<Retrieved> {
        self.request(part)?;
        self.response(part, out, limit)
    }

    /// DELE (RFC 1939 §5): marks a message; the server removes it only when QUIT succeeds.
    pub fn dele(&mut self, n: u32) -> Result<()> {
        self.require(&Command::with("DELE", n.to_string()), false)?;
        Ok(())
    }

    /// Sends DELE without waiting (PIPELINING); read its answer with [`Session::dele_response`].
    pub fn dele_request(&mut self, n: u32) -> Result<()> {
        self.pp.send(&Command::with("DELE", n.to_string()))
    }

    /// The answer to an earlier [`Session::dele_request`].
    pub fn dele_response(&mut self, n: u32) -> Result<()> {
        self.pp.dialect_mut().expect(Expect::Single);
        let r = self.pp.read_reply()?;
        if r.is_ok() {
            Ok(())
        } else {
            Err(r.refused(&format!("DELE {n}"), false))
        }
    }

    /// RSET (RFC 1939 §5): unmarks every message marked for deletion.
    pub fn rset(&mut self) -> Result<()> {
        self.require(&Command::new("RSET"), false)?;
        Ok(())
    }

    /// QUIT (RFC 1939 §6): `+OK` means the UPDATE state removed the marked messages.
    pub fn quit(mut self) -> Result<()> {
        let r = self.exchange(&Command::new("QUIT"), Expect::Single);
        self.pp.close();
        let r = r?;
        if r.is_ok() {
            Ok(())
        } else {
            Err(r.refused("QUIT", false))
        }
    }

    /// Closes the connection without QUIT: nothing marked is deleted (RFC 1939 §6).
    pub fn abort(self) {
        self.pp.close();
    }
}

/// POP3's framing of a SASL exchange (RFC 5034 §4): the initial response always goes with the command
/// (`=` when empty), `+ challenge` continues, `+OK` ends it, `-ERR` is an authentication failure unless its
/// response code says otherwise.
impl<S: Wire> sasl::Exchange for sasl::Over<'_, Session<S>> {
    type Done = ();

    fn start(&mut self, initial: Option<&Secret>) -> Result<bool> {
        let first = match initial {
            Some(ir) if ir.expose().is_empty() => Command::with(self.verb, "="),
            Some(ir) => Command::secret(self.verb, ir),
            None => Command::new(self.verb),
        };
        self.session.pp.send(&first)?;
        Ok(true)
    }

    fn send(&mut self, line: &Command) -> Result<()> {
        self.session.pp.send(line)
    }

    fn next(&mut self) -> Result<Challenge<()>> {
        self.session.pp.dialect_mut().expect(Expect::Auth);
        let r = self.session.pp.read_reply()?;
        Ok(match r.status {
            Status::Ok => Challenge::Done(Ok(())),
            Status::Err => Challenge::Done(Err(r.refused(self.verb, true))),
            Status::Continue => Challenge::Continue(r.text),
        })
    }
}

fn malformed(what: &str, line: &str) -> Error {
    Error::protocol(format!(
        "{what}: malformed line {}",
        crate::terminal::clip(line, 80)
    ))
}

/// The most messages a LIST or UIDL may list: no real maildrop holds ten million messages. (The engine's
/// reply cap bounds the bytes of one listing as well; this bounds what is kept per entry.)
pub const MAX_MESSAGES: usize = 10_000_000;

/// A listing of more than [`MAX_MESSAGES`] entries is a protocol violation (exit 9).
fn too_many(what: &str, n: usize) -> Result<()> {
    if n > MAX_MESSAGES {
        return Err(Error::protocol(format!(
            "{what}: the server listed more than {MAX_MESSAGES} messages"
        )));
    }
    Ok(())
}

/// `n value` of a LIST or UIDL line.
fn scan_listing<'a>(line: &'a str, what: &str) -> Result<(u32, &'a str)> {
    let mut words = line.split_ascii_whitespace();
    let n = words
        .next()
        .and_then(|w| w.parse::<u32>().ok())
        .filter(|n| *n > 0);
    match (n, words.next(), words.next()) {
        (Some(n), Some(v), None) => Ok((n, v)),
        _ => Err(malformed(what, line)),
    }
}

/// The `<...>` msg-id in a greeting (RFC 1939 §7), if it looks like one.
pub fn apop_timestamp(greeting: &str) -> Option<String> {
    let start = greeting.find('<')?;
    let len = greeting[start..].find('>')?;
    let stamp = &greeting[start..=start + len];
    let ok = stamp.len() > 2 && stamp.bytes().all(|b| (0x21..=0x7e).contains(&b));
    ok.then(|| stamp.to_string())
}

/// The APOP digest: lower-case hex MD5 of timestamp and password.
pub fn apop_digest(timestamp: &str, password: &Secret) -> Secret {
    let mut h = Md5::new();
    h.update(timestamp.as_bytes());
    h.update(password.expose().as_bytes());
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Secret::new(hex)
}
