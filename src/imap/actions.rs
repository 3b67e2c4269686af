//! Commands that change messages on the server by UID: UID STORE with any flag operation, UID COPY and
//! UID MOVE reporting COPYUID (RFC 9051 §6.4.6-§6.4.8, RFC 6851 §3.1, RFC 4315 §3), UID EXPUNGE strictly
//! (RFC 4315 §2.1) and EXPUNGE of the whole mailbox (RFC 9051 §6.4.3), each exactly one command — the
//! decision which to use (MOVE or COPY + delete; UID EXPUNGE or refusing) is the caller's, so that plain
//! EXPUNGE is never sent behind the user's back. Sets come from [`super::set::split`].

use super::Session;
use super::capability::Capability;
use super::quote::{self, Part};
use super::response::StatusText;
use crate::error::Result;
use crate::pingpong::Wire;

/// How UID STORE changes flags (RFC 9051 §6.4.6), always `.SILENT`: the new flags are not needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    /// `+FLAGS.SILENT`.
    Add,
    /// `-FLAGS.SILENT`.
    Remove,
}

/// The `[COPYUID uidvalidity source-set dest-set]` of a COPY or MOVE (RFC 4315 §3), as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyUid {
    /// The destination's UIDVALIDITY.
    pub uidvalidity: u32,
    /// The source UIDs.
    pub source: String,
    /// The new UIDs, in the same order.
    pub dest: String,
}

impl CopyUid {
    /// Reads the COPYUID code of a completion, when there is one.
    pub fn from_status(st: &StatusText) -> Option<CopyUid> {
        let c = st.code.as_ref().filter(|c| c.name == "COPYUID")?;
        let mut w = c.args.split_whitespace();
        Some(CopyUid {
            uidvalidity: w.next()?.parse().ok()?,
            source: w.next()?.to_string(),
            dest: w.next()?.to_string(),
        })
    }
}

impl<S: Wire> Session<S> {
    /// UID STORE (RFC 9051 §6.4.6): `set +FLAGS.SILENT (flags)` or `-FLAGS.SILENT`.
    pub fn uid_store(&mut self, set: &str, op: FlagOp, flags: &[String]) -> Result<()> {
        let sign = match op {
            FlagOp::Add => '+',
            FlagOp::Remove => '-',
        };
        for f in flags {
            quote::check("flag", f)?;
        }
        self.simple(
            "UID STORE",
            vec![Part::Text(format!(
                "{set} {sign}FLAGS.SILENT ({})",
                flags.join(" ")
            ))],
            "UID STORE",
        )?;
        Ok(())
    }

    /// UID COPY (RFC 9051 §6.4.7) of `set` to `dest` (UTF-8); the COPYUID when the server has UIDPLUS.
    pub fn uid_copy(&mut self, set: &str, dest: &str) -> Result<Option<CopyUid>> {
        let target = quote::mailbox(dest)?;
        let st = self.simple(
            "UID COPY",
            vec![Part::Text(format!("{set} {target}"))],
            "UID COPY",
        )?;
        Ok(CopyUid::from_status(&st))
    }

    /// UID MOVE (RFC 6851 §3.1) of `set` to `dest`; only when the server has MOVE. The COPYUID comes in an
    /// untagged OK before the expunges (RFC 6851 §4.3), or in the completion.
    pub fn uid_move_only(&mut self, set: &str, dest: &str) -> Result<Option<CopyUid>> {
        let target = quote::mailbox(dest)?;
        let tag = self.send("UID MOVE", vec![Part::Text(format!("{set} {target}"))])?;
        let mut copy = None;
        let st = self.complete(&tag, "UID MOVE", &mut |r| {
            if let super::Response::Status(st) = &r
                && let Some(c) = CopyUid::from_status(st)
            {
                copy = Some(c);
            }
            Ok(())
        })?;
        Ok(copy.or_else(|| CopyUid::from_status(&st)))
    }

    /// UID EXPUNGE (RFC 4315 §2.1) of exactly `set`; the caller checked UIDPLUS.
    pub fn uid_expunge(&mut self, set: &str) -> Result<()> {
        self.simple(
            "UID EXPUNGE",
            vec![Part::Text(set.to_string())],
            "UID EXPUNGE",
        )?;
        Ok(())
    }

    /// EXPUNGE (RFC 9051 §6.4.3): every message marked \Deleted in the mailbox, also other clients'.
    pub fn expunge_all(&mut self) -> Result<()> {
        self.simple("EXPUNGE", vec![], "EXPUNGE")?;
        Ok(())
    }

    /// Whether the server has UIDPLUS (UID EXPUNGE, APPENDUID, COPYUID).
    pub fn has_uidplus(&self) -> bool {
        self.caps.has(Capability::UidPlus)
    }

    /// Whether the server has MOVE.
    pub fn has_move(&self) -> bool {
        self.caps.has(Capability::Move)
    }
}
