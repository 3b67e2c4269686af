//! A generic IMAP data value (RFC 9051 §4): NIL, an atom or number, a string, or a parenthesised list —
//! what ENVELOPE and BODYSTRUCTURE are made of. The response parser builds these (bounded by its depth cap
//! and the response size cap of the dialect); [`super::envelope`] and [`super::bodystructure`] give them
//! meaning. Nothing here interprets a value.

/// One IMAP value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `NIL`.
    Nil,
    /// An atom or a number, as sent.
    Atom(String),
    /// A quoted string or a literal, as bytes.
    Str(Vec<u8>),
    /// `( ... )`.
    List(Vec<Value>),
}

impl Value {
    /// The string's bytes (None for NIL, an atom or a list).
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(b) => Some(b),
            _ => None,
        }
    }

    /// The string as text (lossy UTF-8); None for NIL or a list. An atom counts as text too, since some
    /// servers send `NIL`-free atoms where a string belongs.
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Str(b) => Some(String::from_utf8_lossy(b).into_owned()),
            Value::Atom(a) if !a.eq_ignore_ascii_case("NIL") => Some(a.clone()),
            _ => None,
        }
    }

    /// The number, when this is a numeric atom (or a string of digits).
    pub fn number(&self) -> Option<u64> {
        match self {
            Value::Atom(a) => a.parse().ok(),
            Value::Str(b) => std::str::from_utf8(b).ok()?.parse().ok(),
            _ => None,
        }
    }

    /// The list's items (None for anything else).
    pub fn list(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) => Some(v),
            _ => None,
        }
    }

    /// Item `i` of a list, or None.
    pub fn get(&self, i: usize) -> Option<&Value> {
        self.list()?.get(i)
    }
}
