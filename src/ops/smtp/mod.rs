//! SMTP tool: `smtp-send` (also as `sendmail`) and its local queue.
//!
//! - [`options`]: what a run is asked to do, as plain values (built by `cli`).
//! - [`connect`]: the SMTP adapter of the common connector (session open, EHLO, AUTH).
//! - [`job`]: the message and envelope, composed or read, ready to send again.
//! - [`send`]: delivery, per-recipient results, the run's outcome.
//! - [`queue`]: `--queue` and `--flush-queue`.
//! - [`mx`]: `--mx`, direct delivery to each recipient domain's mail exchangers.

pub mod connect;
pub mod job;
pub mod mx;
pub mod options;
pub mod queue;
pub mod send;

pub use options::Options;
pub use send::run;
