//! The SMTP client session: RFC 5321 command sequences with the extensions a submission client needs —
//! STARTTLS (RFC 3207), AUTH (RFC 4954), SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531) and
//! PIPELINING (RFC 2920), and DSN requests (RFC 3461) to a server that offers them.
//!
//! One method per protocol step, named after it; each says which replies it accepts and turns any other into
//! the error its class implies (`CodedReply::refused`, the reply type SMTP shares with FTP). The session
//! knows neither files nor flags: it is handed addresses and a byte stream, and returns typed replies and
//! per-recipient results. All bytes pass through the [`PingPong`] engine, which also does the CRLF
//! normalisation and dot-stuffing of DATA (last, so nothing in a message can end it early).
//!
//! - [`reply`]: reply framing and refusal kinds.
//! - [`extension`]: [`ServerInfo`], what EHLO announced.
//! - [`address`]: address lists (`-t`, `Name <addr>` values) and envelope address checks.
//! - [`message`]: a ready message's header block (recipients, Bcc, Date, Message-ID).

pub mod address;
pub mod dsn;
pub mod extension;
pub mod message;
pub mod reply;

use std::io::Read;

use crate::credentials::{Credentials, Secret};
use crate::error::{Error, ErrorKind, Result};
use crate::pingpong::{Command, PingPong, SessionConfig, Wire};
use crate::sasl::{self, Challenge, Mechanism};
use crate::transport::Stream;
use crate::url::Target;

pub use extension::ServerInfo;
pub use reply::{Reply, SmtpDialect};

#[cfg(test)]
mod tests;

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
    /// The name given in EHLO/HELO (`--helo`); empty: our address literal on the connection
    /// (`[192.0.2.1]`, `[IPv6:2001:db8::1]`), as RFC 5321 §4.1.4 asks of a client without a domain name.
    pub helo: String,
}

/// What the envelope needs from the server's extensions (RFC 1870, 6152, 6531).
#[derive(Debug, Clone, Default)]
pub struct MailParams {
    /// The message size in octets, declared with `SIZE=` when offered and checked against the limit.
    pub size: Option<u64>,
    /// The body may contain 8-bit data: `BODY=8BITMIME` when offered.
    pub eight_bit: bool,
    /// An address or header is UTF-8: `SMTPUTF8`, required.
    pub smtputf8: bool,
    /// Delivery status notifications (RFC 3461): sent only when the server announced DSN.
    pub dsn: dsn::Dsn,
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

/// An open control connection, greeted and introduced (and encrypted when asked); over a socket, or a
/// scripted stream in unit tests.
pub struct Session<S: Wire = Stream> {
    pp: PingPong<SmtpDialect, S>,
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
        Session::start(pp, &target.host, target.port, config)
    }
}

impl Session {
    /// Connects to one address of a mail exchanger (`smtp-send --mx` resolves names itself) and runs the
    /// opening of [`Session::open`] without implicit TLS; `host` is the exchanger's name, which STARTTLS
    /// checks the certificate against.
    pub fn open_at(addr: std::net::SocketAddr, host: &str, config: &Config) -> Result<Session> {
        let tcp = crate::transport::connect(
            &addr.ip().to_string(),
            addr.port(),
            config.session.connect_timeout,
            &config.session.route,
        )?;
        let pp = PingPong::new(
            Stream::Plain(tcp),
            SmtpDialect::default(),
            config.session.timeout,
            config.session.transcript,
        )?;
        Session::start(pp, host, addr.port(), config)
    }
}

impl<S: Wire> Session<S> {
    /// The opening of [`Session::open`] on a connected stream: greeting, EHLO, STARTTLS and EHLO again.
    pub(crate) fn start(
        pp: PingPong<SmtpDialect, S>,
        host: &str,
        port: u16,
        config: &Config,
    ) -> Result<Self> {
        let mut s = Session {
            pp,
            host: host.to_string(),
            port,
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

    /// STARTTLS now, then EHLO again, on the caller's decision (opportunistic TLS of `smtp-send --mx`,
    /// after EHLO announced it); the opening of [`Session::open`] does this only with `--starttls`. The
    /// rules of the private `starttls` apply: a refusal is a TLS failure, never a plain-text fallback on
    /// this connection.
    pub fn starttls_now(self) -> Result<Self> {
        let mut s = self.starttls()?;
        s.ehlo()?;
        Ok(s)
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
        let deadline = self.pp.greeting_deadline();
        let r = self
            .pp
            .read_reply_within(deadline)
            .map_err(|e| self.pp.greeting_error(e))?;
        if r.code == 421 {
            self.closing = true;
        }
        if r.code == 220 {
            Ok(())
        } else {
            Err(self.pp.greeting_error(r.refused("greeting")))
        }
    }

    /// EHLO (RFC 5321 §4.1.1.1), falling back to HELO when the server does not know EHLO (500, 502, 504,
    /// 550: an RFC 821 server). The reply is parsed once into [`ServerInfo`].
    fn ehlo(&mut self) -> Result<()> {
        let r = self.cmd(Command::with("EHLO", self.helo_name()))?;
        match r.code {
            250 => {
                if r.lines.len() > extension::MAX_EHLO_LINES {
                    return Err(Error::protocol(format!(
                        "EHLO: the server announced more than {} lines",
                        extension::MAX_EHLO_LINES
                    )));
                }
                self.esmtp = true;
                self.info = ServerInfo::from_ehlo(&r);
                Ok(())
            }
            500 | 502 | 504 | 550 if !self.pp.is_tls() => {
                self.pp
                    .transcript()
                    .note("the server does not know EHLO; falling back to HELO");
                let r = self.require(Command::with("HELO", self.helo_name()), &[250])?;
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

    /// The EHLO/HELO argument: the configured name, else our address literal (RFC 5321 §4.1.3).
    fn helo_name(&self) -> String {
        if !self.config.helo.is_empty() {
            return self.config.helo.clone();
        }
        match self.pp.local_addr().map(|a| a.ip()) {
            Ok(std::net::IpAddr::V4(ip)) => format!("[{ip}]"),
            Ok(std::net::IpAddr::V6(ip)) => match ip.to_ipv4_mapped() {
                Some(v4) => format!("[{v4}]"),
                None => format!("[IPv6:{ip}]"),
            },
            Err(_) => "[127.0.0.1]".to_string(),
        }
    }

    /// STARTTLS (RFC 3207 §4): only when announced; 220, then the handshake. A refusal or a missing
    /// announcement is a TLS failure (exit 4), never a fallback to plain text; bytes the server sent after
    /// its 220 and before the handshake are a protocol violation (exit 9, the engine checks). Everything
    /// learnt before is forgotten (§4.2): the caller sends EHLO again.
    fn starttls(mut self) -> Result<Self> {
        if !self.info.starttls {
            return Err(crate::pingpong::starttls_not_offered("STARTTLS"));
        }
        let tls = self.config.session.tls_client()?;
        self.pp = self.pp.starttls(tls, &self.host, |pp| {
            pp.send(&Command::new("STARTTLS"))?;
            let r = pp.read_reply()?;
            Ok(match r.code {
                220 => Ok(()),
                _ => Err(r.refused("STARTTLS")),
            })
        })?;
        self.info = ServerInfo::default();
        Ok(self)
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

    /// The envelope (RFC 5321 §3.3): MAIL FROM with the parameters the server announced, then one RCPT TO
    /// per recipient. With PIPELINING (RFC 2920) MAIL and the RCPTs go out in batches, each in one write,
    /// and the replies are read after each batch; without, one at a time. Returns every recipient's reply; a refused MAIL is an
    /// error (after the pipelined replies were read, so the session stays usable for RSET).
    ///
    /// Before anything is sent: a message larger than the announced SIZE limit is refused (exit 6, RFC
    /// 1870 §6), as is a UTF-8 envelope for a server without SMTPUTF8 (RFC 6531 §3.4). DSN parameters
    /// (RET, ENVID on MAIL; NOTIFY, ORCPT on each RCPT) go only to a server that announced DSN.
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
                    "the message needs SMTPUTF8 (a UTF-8 address, or UTF-8 in a header field RFC 2047 cannot encode), which the server does not offer",
                ));
            }
            mail.push_str(" SMTPUTF8");
        }
        let dsn = self.info.dsn && params.dsn.requested();
        if dsn {
            mail.push_str(&params.dsn.mail_params());
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
            cmds.extend(chunk.iter().map(|r| {
                let extra = if dsn {
                    params.dsn.rcpt_params(r)
                } else {
                    String::new()
                };
                Command::with("RCPT", format!("TO:<{r}>{extra}"))
            }));
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

/// SMTP's framing of a SASL exchange (RFC 4954 §4): `334 challenge` continues, 235 ends it; 5xx is an
/// authentication failure (exit 5), 4xx transient.
impl<S: Wire> sasl::Exchange for sasl::Over<'_, Session<S>> {
    type Done = ();

    fn start(&mut self, initial: Option<&Secret>) -> Result<bool> {
        match initial {
            Some(ir) if self.verb.len() + 1 + ir.expose().len() <= AUTH_LINE_MAX => {
                self.session.pp.send(&Command::secret(self.verb, ir))?;
                Ok(true)
            }
            _ => {
                self.session.pp.send(&Command::new(self.verb))?;
                Ok(false)
            }
        }
    }

    fn send(&mut self, line: &Command) -> Result<()> {
        self.session.pp.send(line)
    }

    fn next(&mut self) -> Result<Challenge<()>> {
        let r = self.session.reply()?;
        Ok(match r.code {
            235 => Challenge::Done(Ok(())),
            334 => Challenge::Continue(r.first().to_string()),
            500..=599 => Challenge::Done(Err(r.refused_as(self.verb, ErrorKind::Auth))),
            _ => Challenge::Done(Err(r.refused(self.verb))),
        })
    }
}
