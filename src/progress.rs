//! Progress bars (indicatif), shown only when stderr is a terminal and `-q` was not given, so scripts and
//! pipes never see them. A hidden bar costs nothing on the transfer path.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A transfer's progress display.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `name` of `total` bytes (a spinner when unknown); hidden unless `visible`.
    pub fn new(name: &str, total: Option<u64>, start: u64, visible: bool) -> Progress {
        if !visible {
            return Progress {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = match total {
            Some(t) => ProgressBar::new(t).with_style(
                ProgressStyle::with_template(
                    "{msg:20!} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{msg:20!} {spinner} {bytes} {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.set_message(crate::terminal::escape(name).into_owned());
        bar.set_position(start);
        Progress { bar }
    }

    /// Whether bars should be shown: stderr is a terminal and not quiet.
    pub fn wanted(quiet: bool) -> bool {
        !quiet && std::io::stderr().is_terminal()
    }

    /// Adds transferred bytes.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
