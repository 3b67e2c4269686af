//! MIME tools: `mime-encode` and `mime-decode`.

pub mod decode;
pub mod encode;
pub mod pick;
