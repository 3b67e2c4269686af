//! The protocol transcript of `-v`: `> CMD` and `< REPLY` on stderr.
//!
//! Only [`Command::redacted`](super::Command::redacted) text is written for commands, and server lines are
//! escaped, so the transcript is safe to paste and to show on a terminal.

use crate::terminal;

/// Where transcript lines go (stderr when enabled).
#[derive(Debug, Clone, Copy, Default)]
pub struct Transcript {
    enabled: bool,
}

impl Transcript {
    /// A transcript that prints when `enabled`.
    pub fn new(enabled: bool) -> Self {
        Transcript { enabled }
    }

    /// Whether lines are printed.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// A command we sent (already redacted).
    pub fn sent(&self, redacted: &str) {
        if self.enabled {
            eprintln!("> {}", terminal::escape(redacted));
        }
    }

    /// A line the server sent.
    pub fn received(&self, line: &[u8]) {
        if self.enabled {
            eprintln!("< {}", terminal::escape_bytes(line));
        }
    }

    /// A note about the connection (TLS established, data connection opened).
    pub fn note(&self, text: &str) {
        if self.enabled {
            eprintln!("* {}", terminal::escape(text));
        }
    }
}
