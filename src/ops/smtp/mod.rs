//! SMTP tool: `smtp-send` (also as `sendmail`) and its local queue.

pub mod queue;
pub mod send;
