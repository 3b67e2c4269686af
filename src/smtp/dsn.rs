//! Delivery status notification requests (RFC 3461): what the MAIL and RCPT parameters `RET=`, `ENVID=`,
//! `NOTIFY=` and `ORCPT=` carry, and the xtext encoding (§4) their values travel in.
//!
//! They are sent only to a server that announced `DSN`; the caller decides what to say when it did not.
//! ORCPT is given for ASCII recipients only (a UTF-8 one would need RFC 6533's `utf-8` address type).

/// When the recipient's server should report (RFC 3461 §4.1); none of the three is `NEVER`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Notify {
    /// `SUCCESS`.
    pub success: bool,
    /// `FAILURE`.
    pub failure: bool,
    /// `DELAY`.
    pub delay: bool,
}

impl Notify {
    /// Parses `never` or a comma-separated set of `success`, `failure`, `delay` (case-insensitive).
    pub fn parse(text: &str) -> Result<Notify, String> {
        if text.trim().eq_ignore_ascii_case("never") {
            return Ok(Notify::default());
        }
        let mut n = Notify::default();
        for word in text.split(',').map(str::trim) {
            match word.to_ascii_lowercase().as_str() {
                "success" => n.success = true,
                "failure" => n.failure = true,
                "delay" => n.delay = true,
                "never" => return Err("never cannot be combined with other values".into()),
                _ => {
                    return Err(format!(
                        "{word:?}: expected never, or success, failure and delay separated by commas"
                    ));
                }
            }
        }
        Ok(n)
    }
}

/// How much of the message a failure report returns (RFC 3461 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ret {
    /// `RET=FULL`: the whole message.
    Full,
    /// `RET=HDRS`: its header only.
    Hdrs,
}

/// The DSN request of one message; the default requests nothing (no parameters are sent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dsn {
    /// `--notify`: `None` sends no NOTIFY.
    pub notify: Option<Notify>,
    /// `--ret`.
    pub ret: Option<Ret>,
    /// `--envid`: printable ASCII, at most [`MAX_ENVID`] characters.
    pub envid: Option<String>,
}

/// The longest ENVID accepted (RFC 3461 §4.4 allows 100 characters before encoding).
pub const MAX_ENVID: usize = 100;

impl Dsn {
    /// Whether anything was asked for.
    pub fn requested(&self) -> bool {
        self.notify.is_some() || self.ret.is_some() || self.envid.is_some()
    }

    /// The MAIL FROM parameters (` RET=… ENVID=…`, each with its leading space).
    pub fn mail_params(&self) -> String {
        let mut out = String::new();
        match self.ret {
            Some(Ret::Full) => out.push_str(" RET=FULL"),
            Some(Ret::Hdrs) => out.push_str(" RET=HDRS"),
            None => {}
        }
        if let Some(id) = &self.envid {
            out.push_str(" ENVID=");
            out.push_str(&xtext(id));
        }
        out
    }

    /// The RCPT TO parameters for `rcpt` (` NOTIFY=… ORCPT=rfc822;…`); empty when nothing was asked.
    pub fn rcpt_params(&self, rcpt: &str) -> String {
        if !self.requested() {
            return String::new();
        }
        let mut out = String::new();
        match self.notify {
            Some(Notify {
                success: false,
                failure: false,
                delay: false,
            }) => out.push_str(" NOTIFY=NEVER"),
            Some(n) => {
                let words: Vec<&str> = [
                    (n.success, "SUCCESS"),
                    (n.failure, "FAILURE"),
                    (n.delay, "DELAY"),
                ]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, w)| *w)
                .collect();
                out.push_str(" NOTIFY=");
                out.push_str(&words.join(","));
            }
            None => {}
        }
        if rcpt.is_ascii() {
            out.push_str(" ORCPT=rfc822;");
            out.push_str(&xtext(rcpt));
        }
        out
    }
}

/// xtext (RFC 3461 §4): `+`, `=`, controls, space and anything outside printable ASCII as `+XX`.
pub fn xtext(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if (b'!'..=b'~').contains(&b) && b != b'+' && b != b'=' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_and_xtext() {
        assert_eq!(xtext("a+b=c d@x"), "a+2Bb+3Dc+20d@x");
        let dsn = Dsn {
            notify: Some(Notify::parse("failure, Delay").unwrap()),
            ret: Some(Ret::Hdrs),
            envid: Some("job 42+".into()),
        };
        assert_eq!(dsn.mail_params(), " RET=HDRS ENVID=job+2042+2B");
        assert_eq!(
            dsn.rcpt_params("b+x@y"),
            " NOTIFY=FAILURE,DELAY ORCPT=rfc822;b+2Bx@y"
        );
        let never = Dsn {
            notify: Some(Notify::parse("NEVER").unwrap()),
            ..Dsn::default()
        };
        assert_eq!(never.rcpt_params("jö@y"), " NOTIFY=NEVER");
        assert_eq!(Dsn::default().rcpt_params("b@y"), "");
        assert_eq!(Dsn::default().mail_params(), "");
        assert!(Notify::parse("never,success").is_err());
        assert!(Notify::parse("sucess").is_err());
    }
}
