//! The server's capabilities (RFC 9051 §6.1.1, §7.2.2), parsed once into a typed set.
//!
//! A CAPABILITY response or a greeting's `[CAPABILITY ...]` code becomes [`Capabilities`]; the session asks
//! it typed questions (`has(Capability::Move)`, [`Capabilities::auth_mechanisms`]) instead of comparing
//! strings. Names are case-insensitive; capabilities ferry does not use stay representable as
//! [`Capability::Other`]. A server listing more than [`Capabilities::MAX`] is a protocol violation (exit 9):
//! real servers list a few dozen.

use crate::error::{Error, Result};

/// One capability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capability {
    /// `IMAP4rev1` (RFC 3501).
    Imap4rev1,
    /// `IMAP4rev2` (RFC 9051).
    Imap4rev2,
    /// `STARTTLS` (RFC 9051 §6.2.1).
    StartTls,
    /// `LOGINDISABLED`: LOGIN is refused on this connection (RFC 9051 §6.2.3).
    LoginDisabled,
    /// `SASL-IR`: the initial response may go with AUTHENTICATE (RFC 4959).
    SaslIr,
    /// `AUTH=mechanism` (RFC 9051 §6.2.2), the mechanism in upper case.
    Auth(String),
    /// `LITERAL+`: non-synchronizing literals (RFC 7888).
    LiteralPlus,
    /// `LITERAL-`: non-synchronizing literals up to 4096 bytes (RFC 7888).
    LiteralMinus,
    /// `UIDPLUS`: UID EXPUNGE (RFC 4315).
    UidPlus,
    /// `MOVE` (RFC 6851).
    Move,
    /// `ESEARCH`: SEARCH RETURN (RFC 4731).
    ESearch,
    /// `IDLE` (RFC 2177).
    Idle,
    /// Any other capability, in upper case.
    Other(String),
}

impl Capability {
    /// Parses one capability name (any case).
    pub fn from_name(name: &str) -> Capability {
        let upper = name.to_ascii_uppercase();
        match upper.as_str() {
            "IMAP4REV1" => Capability::Imap4rev1,
            "IMAP4REV2" => Capability::Imap4rev2,
            "STARTTLS" => Capability::StartTls,
            "LOGINDISABLED" => Capability::LoginDisabled,
            "SASL-IR" => Capability::SaslIr,
            "LITERAL+" => Capability::LiteralPlus,
            "LITERAL-" => Capability::LiteralMinus,
            "UIDPLUS" => Capability::UidPlus,
            "MOVE" => Capability::Move,
            "ESEARCH" => Capability::ESearch,
            "IDLE" => Capability::Idle,
            _ => match upper.strip_prefix("AUTH=") {
                Some(mech) => Capability::Auth(mech.to_string()),
                None => Capability::Other(upper),
            },
        }
    }
}

/// The capabilities a server announced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    list: Vec<Capability>,
}

impl Capabilities {
    /// The most capabilities accepted from one announcement.
    pub const MAX: usize = 1000;

    /// Parses a list of names (a CAPABILITY response's atoms, or the words of a `[CAPABILITY ...]` code).
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Capabilities> {
        let mut caps = Capabilities::default();
        for name in names {
            caps.insert(name)?;
        }
        Ok(caps)
    }

    /// Adds one name; more than [`Capabilities::MAX`] is a protocol violation.
    pub fn insert(&mut self, name: &str) -> Result<()> {
        if self.list.len() >= Self::MAX {
            return Err(Error::protocol(format!(
                "the server announced more than {} capabilities",
                Self::MAX
            )));
        }
        self.list.push(Capability::from_name(name));
        Ok(())
    }

    /// Whether `cap` was announced.
    pub fn has(&self, cap: Capability) -> bool {
        self.list.contains(&cap)
    }

    /// Whether the capability called `name` (any case) was announced.
    pub fn has_name(&self, name: &str) -> bool {
        self.has(Capability::from_name(name))
    }

    /// The SASL mechanisms of the `AUTH=` capabilities, in the server's order.
    pub fn auth_mechanisms(&self) -> Vec<&str> {
        self.list
            .iter()
            .filter_map(|c| match c {
                Capability::Auth(m) => Some(m.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Whether non-synchronizing literals of any size may be sent (`LITERAL+`).
    pub fn literal_plus(&self) -> bool {
        self.has(Capability::LiteralPlus)
    }

    /// Whether nothing is known (before the first announcement, or after STARTTLS).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every announced capability.
    pub fn iter(&self) -> impl Iterator<Item = &Capability> {
        self.list.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_case_insensitive_and_open_ended() {
        let c = Capabilities::parse(
            "IMAP4rev1 literal+ AUTH=plain Auth=XOAUTH2 SASL-IR X-GM-EXT-1 idle".split(' '),
        )
        .unwrap();
        assert!(c.has(Capability::Imap4rev1) && c.has(Capability::SaslIr));
        assert!(c.has(Capability::Idle) && c.literal_plus());
        assert!(!c.has(Capability::Move) && !c.has(Capability::StartTls));
        assert_eq!(c.auth_mechanisms(), vec!["PLAIN", "XOAUTH2"]);
        assert!(c.has(Capability::Other("X-GM-EXT-1".into())));
        assert!(c.has_name("x-gm-ext-1") && c.has_name("LITERAL+"));
        assert!(Capabilities::default().is_empty());
    }

    #[test]
    fn too_many_capabilities_is_a_protocol_error() {
        let names: Vec<String> = (0..=Capabilities::MAX).map(|i| format!("X{i}")).collect();
        let e = Capabilities::parse(names.iter().map(String::as_str)).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Protocol);
        assert!(Capabilities::parse(names[..Capabilities::MAX].iter().map(String::as_str)).is_ok());
    }
}
