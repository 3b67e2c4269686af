//! SIGINT, SIGTERM and SIGHUP leave no orphans.
//!
//! A tool's `main` calls [`install`]: a dedicated thread then waits for the three signals (through
//! `signal-hook`, whose handler only wakes that thread). Writers register what must be undone if the
//! process is stopped mid-write — [`remove_on_signal`] for a temporary file (a `FileSink`'s `.ferry-tmp`,
//! a Maildir `tmp/` file, a state file's temporary), [`truncate_on_signal`] for an mbox append — and drop
//! the returned [`Cleanup`] once the file is committed or cleaned up by its own `Drop`; an MDA fed a
//! message registers [`kill_on_signal`], so that it dies before our exit closes its input. A resumable
//! partial (`.NAME.ferry-part`, `ftp-get -c`) is deliberately not registered: it stays for the next `-c`.
//!
//! On a signal the thread records it ([`received`]), runs every registered action under the registry's
//! lock (so no action is registered or run twice, and an mbox write in [`while_running`] never lands
//! after its truncation), and exits with 128 + the signal number: 130 (SIGINT), 143 (SIGTERM), 129
//! (SIGHUP). When the main flow holds a [`RemoteCleanup`] (an `--atomic` upload's temporary name on the
//! server), the thread first gives it up to [`REMOTE_GRACE`] to notice the signal ([`check`] at its I/O
//! points), clean up over the network and exit through `cli::finish` with the same code; a connection
//! that is gone cannot be cleaned, and the thread exits anyway.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long the main flow gets to clean up on the server before the process exits regardless.
pub const REMOTE_GRACE: Duration = Duration::from_secs(2);

/// The signal received (0: none yet).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Main-flow cleanups in progress (see [`RemoteCleanup`]).
static REMOTE: AtomicUsize = AtomicUsize::new(0);

/// What to undo when a signal stops the process.
enum Action {
    Unlink(PathBuf),
    Truncate(File, u64),
    Kill(u32),
}

#[derive(Default)]
struct Registry {
    next: u64,
    actions: HashMap<u64, Action>,
    /// Set once the actions have run: anything registered later is undone at once.
    closed: bool,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

fn registry() -> MutexGuard<'static, Option<Registry>> {
    // A poisoned lock still holds a consistent map (every mutation is one statement).
    REGISTRY.lock().unwrap_or_else(|p| p.into_inner())
}

/// A registered cleanup action; dropping it deregisters the action (the writer finished or cleaned up).
#[must_use = "dropping it at once deregisters the cleanup"]
pub struct Cleanup(Option<u64>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(id) = self.0
            && let Some(reg) = registry().as_mut()
        {
            reg.actions.remove(&id);
        }
    }
}

fn register(action: Action) -> io::Result<Cleanup> {
    let mut guard = registry();
    let reg = guard.get_or_insert_with(Registry::default);
    if reg.closed {
        // The signal's cleanup already ran: undo this one now and stop the writer.
        run(action);
        return Err(interrupted());
    }
    Ok(insert(reg, action))
}

fn insert(reg: &mut Registry, action: Action) -> Cleanup {
    let id = reg.next;
    reg.next = reg.next.wrapping_add(1);
    reg.actions.insert(id, action);
    Cleanup(Some(id))
}

/// Removes `path` if a signal stops the process before the returned [`Cleanup`] is dropped. Fails (having
/// removed `path`) when a signal has already been handled. A file created by this process should rather
/// be created through [`create_removed_on_signal`], which leaves no moment in between.
pub fn remove_on_signal(path: &Path) -> io::Result<Cleanup> {
    register(Action::Unlink(path.to_path_buf()))
}

/// Creates `path` with `create` and registers its removal in one step under the registry's lock, so a
/// signal either finds the file registered or stops the process before it exists: no moment in which it
/// exists unregistered. Fails without creating anything once a signal has been handled.
pub fn create_removed_on_signal<T>(
    path: &Path,
    create: impl FnOnce() -> io::Result<T>,
) -> io::Result<(T, Cleanup)> {
    let mut guard = registry();
    let reg = guard.get_or_insert_with(Registry::default);
    if reg.closed {
        return Err(interrupted());
    }
    let made = create()?;
    Ok((made, insert(reg, Action::Unlink(path.to_path_buf()))))
}

/// Truncates `file` back to `len` bytes (and fsyncs it) if a signal stops the process before the
/// returned [`Cleanup`] is dropped.
pub fn truncate_on_signal(file: &File, len: u64) -> io::Result<Cleanup> {
    register(Action::Truncate(file.try_clone()?, len))
}

/// Kills process `pid` (SIGKILL) if a signal stops the process before the returned [`Cleanup`] is
/// dropped: an MDA that is fed a message must die before our exit closes its stdin, or it reads the
/// end of a message cut off by the stop and delivers it truncated. Drop the [`Cleanup`] before the
/// child is reaped, so that `pid` cannot name another process by then.
pub fn kill_on_signal(pid: u32) -> io::Result<Cleanup> {
    register(Action::Kill(pid))
}

fn run(action: Action) {
    match action {
        Action::Kill(pid) => {
            if let Ok(pid) = libc::pid_t::try_from(pid) {
                // SAFETY: kill(2) takes plain integers; the pid is our unreaped child's.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
        Action::Unlink(p) => {
            let _ = std::fs::remove_file(p);
        }
        Action::Truncate(f, len) => {
            let _ = f.set_len(len);
            let _ = f.sync_all();
        }
    }
}

/// Runs `write` unless a signal has been handled; while it runs, the signal's cleanup waits, so a write
/// never lands after the cleanup that should undo it (an mbox append truncated back).
pub fn while_running<T>(write: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
    let guard = registry();
    if guard.as_ref().is_some_and(|r| r.closed) {
        return Err(interrupted());
    }
    let r = write();
    drop(guard);
    r
}

/// The error a writer returns once a signal has been handled.
fn interrupted() -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, "stopped by a signal")
}

/// The signal that stopped the run, if one arrived.
pub fn received() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// Fails once a signal has arrived: the main flow calls it at its I/O points (once per chunk).
pub fn check() -> io::Result<()> {
    match received() {
        None => Ok(()),
        Some(_) => Err(interrupted()),
    }
}

/// The exit status for `signal`: 128 + its number, as shells report it (130, 143, 129).
pub fn exit_code(signal: i32) -> u8 {
    u8::try_from(signal.saturating_add(128)).unwrap_or(128)
}

/// Held by the main flow while it has something to clean up over the network (an `--atomic` upload's
/// temporary name): the signal thread then waits up to [`REMOTE_GRACE`] for the main flow to exit.
#[must_use = "the hold ends when this is dropped"]
pub struct RemoteCleanup(());

impl RemoteCleanup {
    /// Starts a hold.
    pub fn hold() -> RemoteCleanup {
        REMOTE.fetch_add(1, Ordering::SeqCst);
        RemoteCleanup(())
    }
}

impl Drop for RemoteCleanup {
    fn drop(&mut self) {
        REMOTE.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Starts the signal thread for SIGINT, SIGTERM and SIGHUP (once per process; later calls do nothing).
/// If the handlers cannot be installed the signals keep their default action, as before.
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    handle(sig);
                }
            });
    });
}

/// Records `sig`, gives a main-flow network cleanup its grace period, undoes every registered write and
/// exits with 128 + `sig`.
fn handle(sig: i32) -> ! {
    SIGNAL.store(sig, Ordering::SeqCst);
    // Local cleanup first: it needs no network and must happen whatever the main flow does next.
    let mut guard = registry();
    let reg = guard.get_or_insert_with(Registry::default);
    reg.closed = true;
    for (_, action) in reg.actions.drain() {
        run(action);
    }
    if REMOTE.load(Ordering::SeqCst) == 0 {
        // Exit holding the lock: nothing the main flow does from here (creating a file, or a commit
        // deregistering its cleanup and then a DELE on the server) can happen after the cleanup.
        std::process::exit(i32::from(exit_code(sig)));
    }
    // A write in `while_running` finished before the lock was taken; later ones see `closed` and fail.
    drop(guard);
    let deadline = Instant::now() + REMOTE_GRACE;
    while REMOTE.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::process::exit(i32::from(exit_code(sig)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        assert_eq!(exit_code(libc::SIGINT), 130);
        assert_eq!(exit_code(libc::SIGTERM), 143);
        assert_eq!(exit_code(libc::SIGHUP), 129);
    }

    #[test]
    fn a_dropped_cleanup_is_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t");
        std::fs::write(&p, b"x").unwrap();
        let c = remove_on_signal(&p).unwrap();
        let id = c.0.unwrap();
        assert!(registry().as_ref().unwrap().actions.contains_key(&id));
        drop(c);
        assert!(!registry().as_ref().unwrap().actions.contains_key(&id));
        assert!(p.exists(), "deregistering never removes");
    }
}
