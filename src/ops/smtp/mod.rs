//! SMTP tool: `smtp-send` (also as `sendmail`) and its local queue.
//!
//! - [`options`]: what a run is asked to do, as plain values (built by `cli`).
//! - [`connect`]: the SMTP adapter of the common connector (session open, EHLO, AUTH).
//! - [`job`]: the message and envelope, composed or read, ready to send again.
//! - [`send`]: delivery, per-recipient results, the run's outcome.
//! - [`queue`]: `--queue` and `--flush-queue`.

pub mod connect;
pub mod job;
pub mod options;
pub mod queue;
pub mod send;

pub use options::Options;
pub use send::run;
