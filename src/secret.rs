//! [`Secret`]: the only type a password or token lives in. Its `Debug` prints `****` and the value is
//! reached only through [`Secret::expose`], so a stray `{:?}` or transcript line cannot leak it. Kept apart
//! from `credentials` so that `url`, `config` and `netrc`, which all carry secrets, depend on this small
//! module rather than on credential resolution (which depends on them).

use std::fmt;

/// A password or token. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}
