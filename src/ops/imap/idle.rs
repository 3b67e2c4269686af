//! `imap-fetch --idle`: fetch, then keep watching the mailbox and fetch what the server announces,
//! until a signal stops the process.
//!
//! Each pass is a normal fetch (`fetch`'s [`Fetcher::pass`]: removals still due, `UID SEARCH` above the
//! last stored UID, batches; durability, state and `--delete` exactly as in one run); the state lives in
//! memory when there is no `--state` file, so a watch never fetches a message twice. Between passes the
//! session idles (RFC 2177): IDLE, untagged responses read until the re-IDLE interval (default 28 min,
//! below the 29 the RFC allows a server to wait before dropping an idle client), then DONE + IDLE again.
//! An EXISTS announcing more messages ends the IDLE (DONE) and starts a pass; EXPUNGE and flag changes
//! are taken note of and the IDLE goes on. A server without IDLE is polled: NOOP every `--interval`.
//!
//! Waits are bounded: the IDLE wait ends at the interval whatever the server does, and DONE's
//! completion must arrive within `--timeout`, so a server that died silently is noticed at the latest
//! one interval plus one timeout later. The wait is read in slices of at most [`SLICE`]; a wall clock
//! that moved on much further than the monotonic one across a slice means the machine was suspended,
//! and the connection (likely dead) is replaced at once. Reconnecting is the one retry loop's
//! ([`with_retries`]): a session that broke after it was watching starts a fresh loop (an immediate
//! reconnect, then the usual backoff), so a long watch is not charged for a drop a week ago. Without
//! `--retries N` a watch retries for ever; authentication, TLS and other permanent failures end it, and
//! so does a message that cannot be stored (a full disk, an MDA refusing it), as it ends a normal run:
//! nothing is deleted for it, and a watch restarted (by systemd, say) tries it again.
//!
//! SIGTERM/SIGINT end the process through `crate::signals` (exit 143/130): the state file is always
//! complete on disk (each write is atomic) and every temporary file is removed by the signal thread.
//! `--exec CMD` runs `sh -c CMD` after each pass that stored something, with `FERRY_FETCHED` (messages
//! stored) and `FERRY_MAILBOX` in its environment; its failure is a warning.

use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, ErrorKind, Result};
use crate::imap::{Capability, Idled, Session};
use crate::ops::Outcome;
use crate::ops::common::{Connector, ItemStatus, RetryPolicy, with_retries};
use crate::ops::imap::connect::opener;
use crate::ops::imap::fetch::{Fetcher, Summary};
use crate::store::Store;

/// The longest single read while idling (to notice a suspend).
pub const SLICE: Duration = Duration::from_secs(60);

/// How much further the wall clock may move than the monotonic clock across one slice before the
/// machine counts as having been suspended.
const SUSPEND_SLACK: Duration = Duration::from_secs(30);

/// The default re-IDLE interval: below RFC 2177's 29 minutes.
pub const REIDLE: Duration = Duration::from_secs(28 * 60);

/// How a watch waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    /// DONE + IDLE again after this long.
    pub reidle: Duration,
    /// Without IDLE: NOOP this often (`--interval`).
    pub poll: Duration,
    /// `--exec CMD`: run after each pass that stored something.
    pub exec: Option<String>,
}

/// Watches the mailbox of `f` until a signal or a failure that retrying cannot mend.
pub(super) fn run(
    w: &Watch,
    conn: &Connector,
    mut f: Fetcher<'_>,
    store: &mut Store,
) -> Result<Outcome> {
    f.remember = true;
    let ui = f.ui;
    let open = opener(f.opts.auth);
    let policy = match f.opts.net.retry {
        p if p.retries == 0 => RetryPolicy::new(u32::MAX),
        p => p,
    };
    loop {
        let r = with_retries(&policy, ui, |_| {
            let mut s = conn.open_once(&open)?;
            let (watching, e) = watch(w, &mut f, &mut s, store);
            s.close();
            if let Err(se) = f.save_state() {
                ui.error(&se);
            }
            if watching && e.kind().is_transient() {
                // It was a good session until now: a fresh retry loop, starting with an immediate
                // reconnect.
                ui.note(&format!("{e}; reconnecting"));
                return Ok(());
            }
            Err(e)
        });
        if let Err(e) = r {
            return f.finish(Some(e));
        }
    }
}

/// One session of a watch: select, then pass after pass until something fails. Returns whether it got
/// as far as watching, and what ended it.
fn watch(w: &Watch, f: &mut Fetcher<'_>, s: &mut Session, store: &mut Store) -> (bool, Error) {
    if let Err(e) = f.select(s, store) {
        return (false, e);
    }
    let mut watching = false;
    loop {
        s.take_arrived();
        if let Err(e) = f.pass(s, store) {
            return (watching, e);
        }
        let pass = f.next_pass();
        report(w, f, pass);
        if s.take_arrived() {
            continue; // announced while we fetched
        }
        watching = true;
        loop {
            let waited = if s.capabilities().has(Capability::Idle) {
                idle(w, s)
            } else {
                poll(w, s)
            };
            if let Err(e) = waited {
                return (true, e);
            }
            if s.take_arrived() {
                break;
            }
        }
    }
}

/// One IDLE: until new mail is announced, the server ends it, or the re-IDLE interval passed.
fn idle(w: &Watch, s: &mut Session) -> Result<()> {
    let tag = s.idle()?;
    if s.arrived() {
        // Announced before the server's `+`: no need to wait for more.
        return s.idle_done(&tag);
    }
    let until = Instant::now() + w.reidle;
    loop {
        let (wall, mono) = (SystemTime::now(), Instant::now());
        let slice_end = until.min(mono + SLICE);
        match s.idle_wait(&tag, slice_end)? {
            Idled::Ended => return Ok(()),
            Idled::Data(_) if s.arrived() => return s.idle_done(&tag),
            Idled::Data(_) => {}
            Idled::Quiet if Instant::now() >= until => return s.idle_done(&tag),
            Idled::Quiet => suspended(wall, mono)?,
        }
    }
}

/// Without IDLE: waits `--interval`, then NOOP (which lets the server announce new mail).
fn poll(w: &Watch, s: &mut Session) -> Result<()> {
    let (wall, mono) = (SystemTime::now(), Instant::now());
    std::thread::sleep(w.poll);
    suspended(wall, mono)?;
    s.noop()
}

/// Fails (transiently) when the wall clock moved on much more than the monotonic clock since `wall` /
/// `mono`: the machine slept, and the connection is probably gone.
fn suspended(wall: SystemTime, mono: Instant) -> Result<()> {
    let real = SystemTime::now().duration_since(wall).unwrap_or_default();
    if real > mono.elapsed() + SUSPEND_SLACK {
        return Err(Error::new(
            ErrorKind::Transient,
            "the system was suspended; the connection is replaced",
        ));
    }
    Ok(())
}

/// After a pass: its summary (a note, or one `--json` document) and `--exec` when it stored something.
fn report(w: &Watch, f: &Fetcher<'_>, pass: Summary) {
    let ui = f.ui;
    let stored = pass
        .messages
        .iter()
        .filter(|m| m.result.status == ItemStatus::Ok)
        .count();
    let anything = !pass.messages.is_empty() || pass.deleted > 0 || pass.moved > 0;
    if anything {
        if ui.json() {
            if let Err(e) = ui.print_json(&pass) {
                ui.error(&e);
            }
        } else {
            ui.note(&pass.line());
        }
    }
    let Some(cmd) = &w.exec else { return };
    if stored == 0 {
        return;
    }
    let status = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .env("FERRY_FETCHED", stored.to_string())
        .env("FERRY_MAILBOX", &pass.mailbox)
        .stdin(std::process::Stdio::null())
        .status();
    match status {
        Ok(st) if st.success() => {}
        Ok(st) => ui.warn(&format!("warning: --exec: the command ended with {st}")),
        Err(e) => ui.warn(&format!("warning: --exec: cannot run /bin/sh: {e}")),
    }
}
