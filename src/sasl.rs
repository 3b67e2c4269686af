//! SASL client mechanisms and the one exchange shared by SMTP AUTH, POP3 AUTH and IMAP AUTHENTICATE.
//!
//! Owns the mechanism list, the choice among what a server offers, each mechanism's messages — PLAIN
//! (RFC 4616), LOGIN (draft-murchison-sasl-login), XOAUTH2 (Google's format) and OAUTHBEARER (RFC 7628) —
//! and the exchange itself ([`exchange`], RFC 4422 §3: initial response, then one answer per challenge
//! until the final reply, at most [`MAX_CHALLENGES`], `*` to cancel a challenge that cannot be answered).
//! Everything leaves here base64-encoded inside a [`Secret`], so the transcript masks the base64 forms as
//! well. Does not know any protocol's framing (`334 `, `+ `, tags, where an initial response fits): each
//! session says that through [`Exchange`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Error, ErrorKind, Result};
use crate::pingpong::Command;
use crate::secret::Secret;

/// The most challenges one exchange answers; a server that keeps challenging is cut off (exit 9). The
/// mechanisms here need at most two.
pub const MAX_CHALLENGES: usize = 8;

/// The server's next step in an exchange.
pub enum Challenge<T> {
    /// A continuation carrying this base64 challenge (SMTP `334 `, POP3 and IMAP `+ `).
    Continue(String),
    /// The final reply: success, or the refusal as the error the protocol gives it.
    Done(Result<T>),
}

/// One protocol's framing of a SASL exchange.
pub trait Exchange {
    /// What a successful exchange returns (IMAP: the tagged OK, whose code may list capabilities).
    type Done;
    /// Sends the command that starts the exchange, carrying `initial` (the base64 initial response) when
    /// the protocol can; returns whether it did. If not, the initial response answers the first challenge.
    fn start(&mut self, initial: Option<&Secret>) -> Result<bool>;
    /// Sends one line of the exchange: an answer, or the cancellation `*`.
    fn send(&mut self, line: &Command) -> Result<()>;
    /// Reads the server's next step.
    fn next(&mut self) -> Result<Challenge<Self::Done>>;
}

/// A session during an exchange, with the command that started it (`AUTH PLAIN`): what a protocol
/// implements [`Exchange`] for when it needs no other state.
pub struct Over<'a, T> {
    /// The session.
    pub session: &'a mut T,
    /// The command that starts the exchange, also named in errors.
    pub verb: &'static str,
}

/// Runs one SASL exchange (RFC 4422 §3) with `client` over the protocol's framing `x`; `what` names the
/// command in errors. A refusal carries the server's OAuth error document when there was one. A challenge
/// the mechanism cannot answer is cancelled with `*` (RFC 4954 §4, RFC 5034 §4, RFC 9051 §6.2.2) and the
/// server's answer to that read before the error is returned.
pub fn exchange<X: Exchange>(x: &mut X, client: &mut Client, what: &str) -> Result<X::Done> {
    let initial = client.initial_response();
    let mut pending = match x.start(initial.as_ref())? {
        true => None,
        false => initial,
    };
    let mut answered = 0;
    loop {
        let challenge = match x.next()? {
            Challenge::Done(Ok(done)) => return Ok(done),
            Challenge::Done(Err(e)) => {
                return Err(match client.error_detail() {
                    Some(d) => Error::new(e.kind(), format!("{} ({d})", e.context())),
                    None => e,
                });
            }
            Challenge::Continue(c) => c,
        };
        if answered == MAX_CHALLENGES {
            return Err(Error::protocol(format!(
                "{what}: more than {MAX_CHALLENGES} SASL challenges"
            )));
        }
        answered += 1;
        let answer = match pending.take() {
            Some(ir) => ir,
            None => match client.respond(&challenge) {
                Ok(a) => a,
                Err(e) => {
                    if x.send(&Command::new("*")).is_ok() {
                        let _ = x.next();
                    }
                    return Err(e);
                }
            },
        };
        x.send(&Command::line(&answer))?;
    }
}

/// A SASL mechanism ferry can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// RFC 4616: one message, authorization id empty.
    Plain,
    /// Username and password as two challenge answers.
    Login,
    /// Google's bearer-token format.
    XOAuth2,
    /// RFC 7628 bearer token with GS2 header.
    OAuthBearer,
}

impl Mechanism {
    /// Every mechanism, in the order `--auth` lists them.
    pub const ALL: [Mechanism; 4] = [
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::XOAuth2,
        Mechanism::OAuthBearer,
    ];

    /// Parses a mechanism name, case-insensitively (`plain`, `LOGIN`, `xoauth2`, `oauthbearer`).
    pub fn from_name(name: &str) -> Option<Mechanism> {
        Mechanism::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// The command that starts an exchange in SMTP (RFC 4954 §4) and POP3 (RFC 5034 §4): `AUTH PLAIN`.
    pub fn auth_command(self) -> &'static str {
        match self {
            Mechanism::Plain => "AUTH PLAIN",
            Mechanism::Login => "AUTH LOGIN",
            Mechanism::XOAuth2 => "AUTH XOAUTH2",
            Mechanism::OAuthBearer => "AUTH OAUTHBEARER",
        }
    }

    /// The command that starts an exchange in IMAP (RFC 9051 §6.2.2): `AUTHENTICATE PLAIN`.
    pub fn authenticate_command(self) -> &'static str {
        match self {
            Mechanism::Plain => "AUTHENTICATE PLAIN",
            Mechanism::Login => "AUTHENTICATE LOGIN",
            Mechanism::XOAuth2 => "AUTHENTICATE XOAUTH2",
            Mechanism::OAuthBearer => "AUTHENTICATE OAUTHBEARER",
        }
    }

    /// The name as servers advertise it.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        }
    }
}

/// Picks the mechanism: the requested one if the server offers it, else PLAIN, else LOGIN. The OAuth
/// mechanisms need a token rather than a password, so they are used only when asked for.
pub fn choose(requested: Option<Mechanism>, offered: &[&str]) -> Result<Mechanism> {
    let offers = |m: Mechanism| offered.iter().any(|o| o.eq_ignore_ascii_case(m.name()));
    let listed = if offered.is_empty() {
        "nothing".to_string()
    } else {
        offered.join(" ")
    };
    match requested {
        Some(m) if offers(m) => Ok(m),
        Some(m) => Err(Error::new(
            ErrorKind::Auth,
            format!(
                "the server does not offer SASL {} (it offers {listed})",
                m.name()
            ),
        )),
        None => [Mechanism::Plain, Mechanism::Login]
            .into_iter()
            .find(|&m| offers(m))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Auth,
                    format!(
                        "no usable SASL mechanism (the server offers {listed}; --auth xoauth2 or oauthbearer uses a token)"
                    ),
                )
            }),
    }
}

/// One authentication exchange.
pub struct Client {
    mech: Mechanism,
    user: String,
    secret: Secret,
    host: String,
    port: u16,
    step: u32,
    error: Option<String>,
}

impl Client {
    /// Prepares an exchange; for the OAuth mechanisms `secret` is the bearer token.
    pub fn new(mech: Mechanism, user: &str, secret: &Secret, host: &str, port: u16) -> Client {
        Client {
            mech,
            user: user.to_string(),
            secret: secret.clone(),
            host: host.to_string(),
            port,
            step: 0,
            error: None,
        }
    }

    /// The mechanism in use.
    pub fn mechanism(&self) -> Mechanism {
        self.mech
    }

    /// The base64 initial response, sent with the AUTH command itself (RFC 4954 §4, RFC 4959 SASL-IR,
    /// RFC 5034 §4); None for LOGIN, which waits for its challenges.
    pub fn initial_response(&mut self) -> Option<Secret> {
        let raw = match self.mech {
            Mechanism::Plain => format!("\0{}\0{}", self.user, self.secret.expose()),
            Mechanism::Login => return None,
            Mechanism::XOAuth2 => format!(
                "user={}\x01auth=Bearer {}\x01\x01",
                self.user,
                self.secret.expose()
            ),
            Mechanism::OAuthBearer => format!(
                "n,a={},\x01host={}\x01port={}\x01auth=Bearer {}\x01\x01",
                gs2_escape(&self.user),
                self.host,
                self.port,
                self.secret.expose()
            ),
        };
        self.step = 1;
        Some(encode(raw.as_bytes()))
    }

    /// The base64 answer to one base64 server challenge. LOGIN answers its first challenge with the user
    /// name and the second with the password. A challenge after an OAuth initial response is the server's
    /// JSON error: RFC 7628 §3.2.3 says answer with a lone `^A` (XOAUTH2: an empty line) so the server can
    /// send its final failure; the JSON is kept for [`Client::error_detail`].
    pub fn respond(&mut self, challenge_b64: &str) -> Result<Secret> {
        let challenge = STANDARD
            .decode(challenge_b64.trim().as_bytes())
            .map_err(|e| Error::protocol(format!("SASL challenge is not base64: {e}")))?;
        self.step += 1;
        match self.mech {
            Mechanism::Login => match self.step {
                1 => Ok(encode(self.user.as_bytes())),
                2 => Ok(encode(self.secret.expose().as_bytes())),
                _ => Err(Error::protocol("SASL LOGIN: more than two challenges")),
            },
            Mechanism::Plain if self.step == 1 => {
                // The server asked for the initial response instead of taking it with the command.
                self.step = 0;
                self.initial_response()
                    .ok_or_else(|| Error::new(ErrorKind::Internal, "PLAIN has a response"))
            }
            Mechanism::Plain => Err(Error::protocol("SASL PLAIN: unexpected second challenge")),
            Mechanism::XOAuth2 | Mechanism::OAuthBearer if self.step == 1 => {
                self.step = 0;
                self.initial_response()
                    .ok_or_else(|| Error::new(ErrorKind::Internal, "OAuth has a response"))
            }
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => {
                let text = String::from_utf8_lossy(&challenge);
                self.error = Some(crate::terminal::clip(&text, 512));
                Ok(if self.mech == Mechanism::OAuthBearer {
                    encode(b"\x01")
                } else {
                    Secret::new(String::new())
                })
            }
        }
    }

    /// The server's error document from a failed OAuth exchange, escaped for the terminal.
    pub fn error_detail(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

fn encode(raw: &[u8]) -> Secret {
    Secret::new(STANDARD.encode(raw))
}

/// RFC 5801 §4: `,` and `=` in the authorization identity become `=2C` and `=3D`.
fn gs2_escape(s: &str) -> String {
    s.replace('=', "=3D").replace(',', "=2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &Secret) -> Vec<u8> {
        STANDARD.decode(s.expose()).unwrap()
    }

    #[test]
    fn plain_is_rfc_4616() {
        let mut c = Client::new(Mechanism::Plain, "tim", &Secret::new("tanstaaf"), "h", 1);
        assert_eq!(decode(&c.initial_response().unwrap()), b"\0tim\0tanstaaf");
        // A server that sends an empty challenge instead of taking the initial response.
        let mut c = Client::new(Mechanism::Plain, "tim", &Secret::new("tanstaaf"), "h", 1);
        assert_eq!(decode(&c.respond("").unwrap()), b"\0tim\0tanstaaf");
        assert!(c.respond("").is_err());
    }

    #[test]
    fn login_answers_user_then_password() {
        let mut c = Client::new(Mechanism::Login, "ann", &Secret::new("pw"), "h", 1);
        assert!(c.initial_response().is_none());
        assert_eq!(decode(&c.respond("VXNlcm5hbWU6").unwrap()), b"ann");
        assert_eq!(decode(&c.respond("UGFzc3dvcmQ6").unwrap()), b"pw");
        assert_eq!(c.respond("").unwrap_err().kind(), ErrorKind::Protocol);
        let mut c = Client::new(Mechanism::Login, "ann", &Secret::new("pw"), "h", 1);
        assert_eq!(
            c.respond("not base64!").unwrap_err().kind(),
            ErrorKind::Protocol
        );
    }

    #[test]
    fn oauth_forms_and_error_challenge() {
        let tok = Secret::new("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
        let mut c = Client::new(
            Mechanism::OAuthBearer,
            "a,b=c",
            &tok,
            "server.example.com",
            143,
        );
        assert_eq!(
            decode(&c.initial_response().unwrap()),
            b"n,a=a=2Cb=3Dc,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
        );
        let err = STANDARD.encode(br#"{"status":"invalid_token"}"#);
        assert_eq!(decode(&c.respond(&err).unwrap()), b"\x01");
        assert_eq!(c.error_detail(), Some(r#"{"status":"invalid_token"}"#));

        let mut c = Client::new(Mechanism::XOAuth2, "u@x", &Secret::new("t"), "h", 1);
        assert_eq!(
            decode(&c.initial_response().unwrap()),
            b"user=u@x\x01auth=Bearer t\x01\x01"
        );
        assert_eq!(c.respond(&err).unwrap().expose(), "");
    }

    #[test]
    fn choice() {
        assert_eq!(choose(None, &["LOGIN", "PLAIN"]).unwrap(), Mechanism::Plain);
        assert_eq!(choose(None, &["login"]).unwrap(), Mechanism::Login);
        assert_eq!(
            choose(None, &["XOAUTH2"]).unwrap_err().kind(),
            ErrorKind::Auth
        );
        assert_eq!(
            choose(Some(Mechanism::XOAuth2), &["PLAIN", "XOAUTH2"]).unwrap(),
            Mechanism::XOAuth2
        );
        let e = choose(Some(Mechanism::OAuthBearer), &["PLAIN"]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(e.to_string().contains("offers PLAIN"));
        assert_eq!(
            Mechanism::from_name("oAuthBearer"),
            Some(Mechanism::OAuthBearer)
        );
        assert_eq!(Mechanism::from_name("cram-md5"), None);
    }
}
