//! The SMTP client session: RFC 5321 command sequences with the extensions a submission client needs —
//! STARTTLS (RFC 3207), AUTH (RFC 4954), SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531) and
//! PIPELINING (RFC 2920).
//!
//! One method per protocol step, named after it; each says which replies it accepts and turns any other
//! into the error its class implies ([`Reply::refused`]). The session knows neither files nor flags: it
//! is handed addresses and a byte stream, and returns typed replies and per-recipient results. All bytes
//! pass through the [`PingPong`] engine, which also does the CRLF normalisation and dot-stuffing of DATA
//! (last, so nothing in a message can end it early).
//!
//! - [`reply`]: reply framing and refusal kinds.
//! - [`extension`]: [`ServerInfo`], what EHLO announced.
//! - [`address`]: address lists (`-t`, `Name <addr>` values) and envelope address checks.
//! - [`message`]: a ready message's header block (recipients, Bcc, Date, Message-ID).

pub mod address;
pub mod extension;
pub mod message;
pub mod reply;

use std::io::Read;

use crate::credentials::{Credentials, Secret};
use crate::error::{Error, ErrorKind, Result};
use crate::pingpong::{Command, PingPong, SessionConfig};
use crate::sasl::{self, Mechanism};
use crate::url::Target;

pub use extension::ServerInfo;
pub use reply::{Reply, SmtpDialect};

/// How many commands are sent before their replies are read, when the server pipelines (RFC 2920 §3.2
/// warns that a client writing without reading can deadlock against a server that stops reading).
const PIPELINE_BATCH: usize = 64;

/// The longest AUTH command line with an initial response (RFC 4954 §4: 512 octets per command line; a
/// longer response is sent after an empty 334 instead).
const AUTH_LINE_MAX: usize = 500;

/// How to reach the server and introduce ourselves.
#[derive(Clone)]
pub struct Config {
    /// What every session shares: TLS, timeouts, transcript.
    pub session: SessionConfig,
    /// The name given in EHLO/HELO (`--helo`).
    pub helo: String,
}

/// What the envelope needs from the server's extensions (RFC 1870, 6152, 6531).
#[derive(Debug, Clone, Copy, Default)]
pub struct MailParams {
    /// The message size in octets, declared with `SIZE=` when offered and checked against the limit.
    pub size: Option<u64>,
    /// The body may contain 8-bit data: `BODY=8BITMIME` when offered.
    pub eight_bit: bool,
    /// An address or header is UTF-8: `SMTPUTF8`, required.
    pub smtputf8: bool,
}

/// What the server said to one RCPT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RcptResult {
    /// The recipient.
    pub address: String,
    /// The reply code.
    pub code: u16,
    /// The reply text, escaped.
    pub text: String,
}

impl RcptResult {
    /// Whether the server accepted the recipient (250 or 251).
    pub fn accepted(&self) -> bool {
        matches!(self.code, 250 | 251)
    }
}

/// An open control connection, greeted and introduced (and encrypted when asked).
pub struct Session {
    pp: PingPong<SmtpDialect>,
    host: String,
    port: u16,
    config: Config,
    esmtp: bool,
    closing: bool,
    /// What the last EHLO announced (empty after a HELO fallback).
    pub info: ServerInfo,
}

impl Session {
    /// Connects and runs the opening: implicit TLS for `smtps://` (RFC 8314 §3.3), the greeting, EHLO, and
    /// with `--starttls` STARTTLS followed by a second EHLO.
    pub fn open(target: &Target, config: &Config) -> Result<Session> {
        let pp = PingPong::open(target, &config.session, SmtpDialect::default())?;
        let mut s = Session {
            pp,
            host: target.host.clone(),
            port: target.port,
            config: config.clone(),
            esmtp: false,
            closing: false,
            info: ServerInfo::default(),
        };
        s.greeting()?;
        s.ehlo()?;
        if config.session.starttls && !s.pp.is_tls() {
            s = s.starttls()?;
            s.ehlo()?;
        }
        Ok(s)
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.pp.is_tls()
    }

    /// Reads one reply, remembering a 421 (RFC 5321 §3.8: the server is closing the channel).
    fn reply(&mut self) -> Result<Reply> {
        let r = self.pp.read_reply()?;
        if r.code == 421 {
            self.closing = true;
        }
        Ok(r)
    }

    fn cmd(&mut self, cmd: Command) -> Result<Reply> {
        self.pp.send(&cmd)?;
        self.reply()
    }

    fn require(&mut self, cmd: Command, ok: &[u16]) -> Result<Reply> {
        let what = cmd.redacted();
        let r = self.cmd(cmd)?;
        if ok.contains(&r.code) {
            Ok(r)
        } else {
            Err(r.refused(&what))
        }
    }

    /// The greeting (RFC 5321 §4.3.1): 220; 554 means no service here (permanent), 421 try later.
    fn greeting(&mut self) -> Result<()> {
        let r = self.reply()?;
        if r.code == 220 {
            Ok(())
        } else {
            Err(r.refused("greeting"))
        }
    }

    /// EHLO (RFC 5321 §4.1.1.1), falling back to HELO when the server does not know EHLO (500, 502, 504,
    /// 550: an RFC 821 server). The reply is parsed once into [`ServerInfo`].
    fn ehlo(&mut self) -> Result<()> {
        let r = self.cmd(Command::with("EHLO", self.config.helo.clone()))?;
        match r.code {
            250 => {
                self.esmtp = true;
                self.info = ServerInfo::from_ehlo(&r);
                Ok(())
            }
            500 | 502 | 504 | 550 if !self.pp.is_tls() => {
                self.pp
                    .transcript()
                    .note("the server does not know EHLO; falling back to HELO");
                let r = self.require(Command::with("HELO", self.config.helo.clone()), &[250])?;
                self.esmtp = false;
                self.info = ServerInfo {
                    domain: r
                        .first()
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_string(),
                    ..ServerInfo::default()
                };
                Ok(())
            }
            _ => Err(r.refused("EHLO")),
        }
    }

    /// STARTTLS (RFC 3207 §4): only when announced; 220, then the handshake. A refusal or a missing
    /// announcement is a TLS failure (exit 4), never a fallback to plain text; bytes the server sent after
    /// its 220 and before the handshake are a protocol violation (exit 9, the engine checks). Everything
    /// learnt before is forgotten (§4.2): the caller sends EHLO again.
    fn starttls(self) -> Result<Session> {
        let mut s = self;
        if !s.info.starttls {
            return Err(Error::new(
                ErrorKind::Tls,
                "--starttls: the server does not offer STARTTLS",
            ));
        }
        let r = s.cmd(Command::new("STARTTLS"))?;
        if r.code != 220 {
            let e = r.refused("STARTTLS");
            return Err(Error::new(
                ErrorKind::Tls,
                format!("--starttls: the server refused TLS ({})", e.context()),
            ));
        }
        let tls = s
            .config
            .session
            .tls
            .clone()
            .ok_or_else(|| Error::new(ErrorKind::Internal, "no TLS client"))?;
        let host = s.host.clone();
        s.pp = s.pp.upgrade(&tls, &host)?;
        s.info = ServerInfo::default();
        Ok(s)
    }

    /// AUTH (RFC 4954 §4): the mechanism `sasl::choose` picks from what EHLO announced, the initial response
    /// with the command when it fits in a command line, then one answer per 334 challenge until 235. Every
    /// client line after the verb is base64 and shows as `****` in the transcript. 535/534/538/530 and
    /// any other 5xx are authentication failures (exit 5); 454 and other 4xx are transient (exit 7).
    ///
    /// On an unencrypted connection to another host, PLAIN and LOGIN (a password in clear) are used only
    /// when named with `--auth`.
    pub fn auth(&mut self, creds: &Credentials, requested: Option<Mechanism>) -> Result<()> {
        if self.info.auth.is_empty() {
            let hint = if self.pp.is_tls() || self.info.starttls {
                ""
            } else {
                " (servers often offer it only after --starttls)"
            };
            return Err(Error::new(
                ErrorKind::Auth,
                format!("the server does not offer AUTH{hint}"),
            ));
        }
        let mech = sasl::choose(requested, &self.info.auth_names())?;
        let loopback = self.pp.peer_addr().is_ok_and(|a| a.ip().is_loopback());
        if requested.is_none()
            && !self.pp.is_tls()
            && !loopback
            && matches!(mech, Mechanism::Plain | Mechanism::Login)
        {
            return Err(Error::new(
                ErrorKind::Auth,
                format!(
                    "refusing to send a password unencrypted to {}: use --starttls or smtps://, or --auth {} to insist",
                    self.host,
                    mech.name().to_ascii_lowercase()
                ),
            ));
        }
        let mut client =
            sasl::Client::new(mech, &creds.user, &creds.password, &self.host, self.port);
        let verb = match mech {
            Mechanism::Plain => "AUTH PLAIN",
            Mechanism::Login => "AUTH LOGIN",
            Mechanism::XOAuth2 => "AUTH XOAUTH2",
            Mechanism::OAuthBearer => "AUTH OAUTHBEARER",
        };
        let mut pending: Option<Secret> = None;
        match client.initial_response() {
            Some(ir) if verb.len() + 1 + ir.expose().len() <= AUTH_LINE_MAX => {
                self.pp.send(&Command::secret(verb, &ir))?
            }
            Some(ir) => {
                pending = Some(ir);
                self.pp.send(&Command::new(verb))?
            }
            None => self.pp.send(&Command::new(verb))?,
        }
        for _ in 0..8 {
            let r = self.reply()?;
            match r.code {
                235 => return Ok(()),
                334 => {
                    let answer = match pending.take() {
                        Some(ir) => ir,
                        None => client.respond(r.first())?,
                    };
                    self.pp.send(&Command::line(&answer))?;
                }
                400..=499 => return Err(r.refused(verb)),
                500..=599 => {
                    let mut msg = format!("{verb}: {} {}", r.code, r.text());
                    if let Some(detail) = client.error_detail() {
                        msg.push_str(&format!(" ({detail})"));
                    }
                    return Err(Error::new(ErrorKind::Auth, msg));
                }
                _ => return Err(r.refused(verb)),
            }
        }
        Err(Error::protocol(format!("{verb}: too many challenges")))
    }

    /// The envelope (RFC 5321 §3.3): MAIL FROM with the parameters the server announced, then one RCPT TO
    /// per recipient. With PIPELINING (RFC 2920) MAIL and the RCPTs go out in batches, each in one write,
    /// and the replies are read after each batch; without, one at a time. Returns every recipient's reply; a refused MAIL is an
    /// error (after the pipelined replies were read, so the session stays usable for RSET).
    ///
    /// Before anything is sent: a message larger than the announced SIZE limit is refused (exit 6, RFC
    /// 1870 §6), as is a UTF-8 envelope for a server without SMTPUTF8 (RFC 6531 §3.4).
    pub fn envelope(
        &mut self,
        from: &str,
        params: &MailParams,
        rcpts: &[String],
    ) -> Result<Vec<RcptResult>> {
        let mut mail = format!("FROM:<{from}>");
        if let (Some(size), Some(limit)) = (params.size, self.info.size_limit())
            && size > limit
        {
            return Err(Error::new(
                ErrorKind::Permanent,
                format!(
                    "the message ({size} bytes) is larger than the server's SIZE limit of {limit} bytes"
                ),
            ));
        }
        if let Some(size) = params.size
            && self.info.size.is_some()
        {
            mail.push_str(&format!(" SIZE={size}"));
        }
        if params.eight_bit && self.info.eightbitmime {
            mail.push_str(" BODY=8BITMIME");
        }
        if params.smtputf8 {
            if !self.info.smtputf8 {
                return Err(Error::new(
                    ErrorKind::Permanent,
                    "the message needs SMTPUTF8 (a non-ASCII address or header), which the server does not offer",
                ));
            }
            mail.push_str(" SMTPUTF8");
        }
        if rcpts.is_empty() {
            return Err(Error::usage("no recipients"));
        }
        let pipelined = self.info.pipelining;
        let mail = Command::with("MAIL", mail);
        if !pipelined {
            self.pp.send(&mail)?;
            let r = self.reply()?;
            if r.code != 250 {
                return Err(r.refused("MAIL FROM"));
            }
        }
        let mut mail = Some(mail).filter(|_| pipelined);
        let batch = if pipelined { PIPELINE_BATCH } else { 1 };
        let mut results = Vec::with_capacity(rcpts.len());
        for (n, chunk) in rcpts.chunks(batch).enumerate() {
            let mut cmds: Vec<Command> = mail.take().into_iter().collect();
            cmds.extend(
                chunk
                    .iter()
                    .map(|r| Command::with("RCPT", format!("TO:<{r}>"))),
            );
            self.pp.send_batch(&cmds)?;
            let mail_refused = match pipelined && n == 0 {
                true => Some(self.reply()?).filter(|r| r.code != 250),
                false => None,
            };
            for rcpt in chunk {
                let r = self.reply()?;
                // 421: the server is closing the connection; anything but 2xx/4xx/5xx is out of protocol.
                if r.code == 421 || !(r.is_ok() || (400..600).contains(&r.code)) {
                    return Err(r.refused(&format!("RCPT TO:<{rcpt}>")));
                }
                results.push(RcptResult {
                    address: rcpt.clone(),
                    code: r.code,
                    text: r.text(),
                });
            }
            if let Some(r) = mail_refused {
                return Err(r.refused("MAIL FROM"));
            }
        }
        Ok(results)
    }

    /// DATA (RFC 5321 §4.1.1.4): 354, then the message — CRLF line endings and dot-stuffing done by the
    /// engine as the last step — and the final reply, which must be 250. Returns that reply.
    pub fn data(&mut self, body: &mut dyn Read) -> Result<Reply> {
        self.require(Command::new("DATA"), &[354])?;
        self.pp.send_dot_body(body)?;
        let r = self.reply()?;
        if r.code == 250 {
            Ok(r)
        } else {
            Err(r.refused("end of DATA"))
        }
    }

    /// RSET (RFC 5321 §4.1.1.5): abandons the current transaction.
    pub fn rset(&mut self) -> Result<()> {
        self.require(Command::new("RSET"), &[250]).map(|_| ())
    }

    /// QUIT (RFC 5321 §4.1.1.10), then closes; the reply is waited for but a server that hangs up first
    /// is not an error (the mail was already accepted). After a 421 the server is gone: just close.
    pub fn quit(mut self) {
        if !self.closing && self.pp.send(&Command::new("QUIT")).is_ok() {
            let _ = self.reply();
        }
        self.pp.close();
    }

    /// Closes without QUIT (after a failure that left the session unusable).
    pub fn close(self) {
        self.pp.close();
    }

    /// Whether the server spoke ESMTP (answered EHLO).
    pub fn is_esmtp(&self) -> bool {
        self.esmtp
    }
}
