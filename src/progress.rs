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

    /// A bar for the totals of a run of `files` files and `bytes` bytes (when known), shared by parallel
    /// sessions; hidden unless `visible`.
    pub fn totals(files: usize, bytes: Option<u64>, visible: bool) -> Progress {
        let p = Progress::new("", bytes, 0, visible);
        p.file_done(0, files);
        p
    }

    /// Shows that `done` of `files` files are finished.
    pub fn file_done(&self, done: usize, files: usize) {
        self.bar.set_message(format!("{done}/{files} files"));
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The bar one file's bytes go to: its own (removed when dropped), or the run's shared totals bar.
pub enum FileBar<'a> {
    /// A bar for this file alone.
    Own(Progress),
    /// The totals bar of a `--parallel` run.
    Shared(&'a Progress),
}

impl<'a> FileBar<'a> {
    /// `shared` when given, else a new bar for `name` (see [`Progress::new`]).
    pub fn new(
        shared: Option<&'a Progress>,
        name: &str,
        total: Option<u64>,
        start: u64,
        visible: bool,
    ) -> FileBar<'a> {
        match shared {
            Some(p) => FileBar::Shared(p),
            None => FileBar::Own(Progress::new(name, total, start, visible)),
        }
    }

    /// Adds transferred bytes.
    pub fn inc(&self, n: u64) {
        match self {
            FileBar::Own(p) => p.inc(n),
            FileBar::Shared(p) => p.inc(n),
        }
    }
}

impl Drop for FileBar<'_> {
    fn drop(&mut self) {
        if let FileBar::Own(p) = self {
            p.finish();
        }
    }
}
