//! Parallel commits for imap-fetch into a Maildir or a `--dir`: a few threads, each with its own
//! [`Store`], receive a message's bytes in chunks and commit it (fsync, move into `new/`) while the
//! session goes on reading the next one. A Maildir's `new/` is fsynced once for many commits, by
//! [`Pool::sync`]: a [`Done`] says the message's bytes are durable and its name is in `new/`, and only
//! after [`Pool::sync`] is that name durable too.
//!
//! A durable commit is two waits for the disk; done one after another they, not the network, bound a
//! fetch (about 7 ms a message here). Commits running side by side share the filesystem's journal
//! commits, so four of them cost little more than one. Each commit is still complete and durable before
//! its result comes back, and nothing is deleted on the server or recorded as stored before that result.
//! The channels are bounded: at most [`DEPTH`] chunks wait per thread, so memory stays constant. Outputs
//! whose order matters (mbox, MDA, stdout) are not run here.

use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::error::{Error, ErrorKind, Result};
use crate::store::{Item, Store, Target};

/// Chunks queued per thread.
pub const DEPTH: usize = 16;

/// Bytes of the current message gathered before they go to its thread: a message this small travels as
/// one [`Job::Whole`], one hand-off (and one wake-up of the thread) instead of a begin, chunks and a
/// commit. Queued memory stays bounded: at most [`DEPTH`] jobs of about this size per thread.
const GATHER: usize = 64 * 1024;

enum Job {
    Begin(u32, Item),
    Data(Vec<u8>),
    Commit,
    Abort,
    /// Begin, all the data and commit at once.
    Whole(u32, Item, Vec<u8>),
}

/// The message being received, not yet (or not wholly) sent to its thread.
struct Open {
    worker: usize,
    /// Its `Job::Begin` while not yet sent.
    begin: Option<(u32, Item)>,
    buf: Vec<u8>,
}

/// A finished commit: the UID, and its size and path or the error.
pub struct Done {
    /// The message.
    pub uid: u32,
    /// Bytes written and where, or why not.
    pub result: Result<(u64, String)>,
}

/// The commit threads.
pub struct Pool {
    /// The output, for [`Pool::sync`].
    store: Store,
    senders: Vec<SyncSender<Job>>,
    handles: Vec<JoinHandle<()>>,
    results: Receiver<Done>,
    next: usize,
    in_flight: usize,
    open: Option<Open>,
}

impl Pool {
    /// `threads` workers writing to `target` (a Maildir or a directory).
    pub fn new(target: &Target, threads: usize) -> Result<Pool> {
        let (done_tx, results) = sync_channel::<Done>(threads * 64);
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for _ in 0..threads {
            let mut store = Store::open(target.clone())?;
            store.defer_dir_sync();
            let (tx, rx) = sync_channel::<Job>(DEPTH);
            let done = done_tx.clone();
            handles.push(std::thread::spawn(move || work(&mut store, &rx, &done)));
            senders.push(tx);
        }
        Ok(Pool {
            store: Store::open(target.clone())?,
            senders,
            handles,
            results,
            next: 0,
            in_flight: 0,
            open: None,
        })
    }

    fn send(&self, worker: usize, job: Job) -> Result<()> {
        self.senders[worker]
            .send(job)
            .map_err(|_| Error::new(ErrorKind::Internal, "a commit thread ended"))
    }

    /// Starts message `uid` on the next thread; returns the thread for [`Pool::data`] and
    /// [`Pool::commit`]. A message begun before and neither committed nor aborted (its session broke) is
    /// discarded.
    pub fn begin(&mut self, uid: u32, item: Item) -> Result<usize> {
        let w = self.next;
        self.next = (self.next + 1) % self.senders.len();
        self.open = Some(Open {
            worker: w,
            begin: Some((uid, item)),
            buf: Vec::new(),
        });
        Ok(w)
    }

    /// Sends what the current message gathered: its begin if not yet sent, then its bytes.
    fn flush(&mut self, open: &mut Open) -> Result<()> {
        if let Some((uid, item)) = open.begin.take() {
            self.send(open.worker, Job::Begin(uid, item))?;
        }
        if !open.buf.is_empty() {
            self.send(open.worker, Job::Data(std::mem::take(&mut open.buf)))?;
        }
        Ok(())
    }

    /// More bytes of the message on thread `w`.
    pub fn data(&mut self, w: usize, bytes: &[u8]) -> Result<()> {
        let Some(mut open) = self.open.take().filter(|o| o.worker == w) else {
            return Err(Error::new(ErrorKind::Internal, "data for no message"));
        };
        open.buf.extend_from_slice(bytes);
        let r = if open.buf.len() >= GATHER {
            self.flush(&mut open)
        } else {
            Ok(())
        };
        self.open = Some(open);
        r
    }

    /// Commits the message on thread `w`; its [`Done`] comes from [`Pool::try_done`] or [`Pool::wait`].
    pub fn commit(&mut self, w: usize) -> Result<()> {
        let Some(mut open) = self.open.take().filter(|o| o.worker == w) else {
            return Err(Error::new(ErrorKind::Internal, "commit of no message"));
        };
        match open.begin.take() {
            Some((uid, item)) => self.send(w, Job::Whole(uid, item, open.buf))?,
            None => {
                self.flush(&mut open)?;
                self.send(w, Job::Commit)?;
            }
        }
        self.in_flight += 1;
        Ok(())
    }

    /// Drops the message on thread `w` (it was not wanted after all).
    pub fn abort(&mut self, w: usize) -> Result<()> {
        match self.open.take() {
            // Nothing of it reached the thread.
            Some(open) if open.worker == w && open.begin.is_some() => Ok(()),
            _ => self.send(w, Job::Abort),
        }
    }

    /// A finished commit, if one is ready.
    pub fn try_done(&mut self) -> Option<Done> {
        let d = self.results.try_recv().ok()?;
        self.in_flight -= 1;
        Some(d)
    }

    /// Makes the names of every commit finished so far durable (one fsync of a Maildir's `new/`): call it
    /// after [`Pool::wait`] and before any of those messages counts as stored.
    pub fn sync(&self) -> Result<()> {
        self.store.sync()
    }

    /// Every commit still running, as it finishes.
    pub fn wait(&mut self) -> Vec<Done> {
        let mut v = Vec::new();
        while self.in_flight > 0 {
            match self.results.recv() {
                Ok(d) => {
                    self.in_flight -= 1;
                    v.push(d);
                }
                Err(_) => break,
            }
        }
        v
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Closing the channels ends the threads; a message not committed is discarded by its Delivery.
        self.senders.clear();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

fn work(store: &mut Store, rx: &Receiver<Job>, done: &SyncSender<Done>) {
    let mut next = rx.recv().ok();
    while let Some(job) = next.take() {
        if let Job::Whole(uid, item, bytes) = job {
            let result = store.begin_item(&item).and_then(|mut d| {
                d.write_all(&bytes)
                    .map_err(|e| Error::local("writing the message", e))?;
                let n = d.bytes();
                d.commit().map(|p| (n, p))
            });
            let _ = done.send(Done { uid, result });
            next = rx.recv().ok();
            continue;
        }
        let Job::Begin(uid, item) = job else {
            next = rx.recv().ok();
            continue;
        };
        let (mut delivery, mut failed) = match store.begin_item(&item) {
            Ok(d) => (Some(d), None),
            Err(e) => (None, Some(e)),
        };
        loop {
            match rx.recv() {
                Ok(Job::Data(bytes)) => {
                    if let Some(d) = &mut delivery
                        && let Err(e) = d.write_all(&bytes)
                    {
                        failed = Some(Error::local("writing the message", e));
                        delivery = None;
                    }
                }
                Ok(Job::Commit) => {
                    let result = match (failed.take(), delivery.take()) {
                        (Some(e), _) => Err(e),
                        (None, Some(d)) => {
                            let bytes = d.bytes();
                            d.commit().map(|p| (bytes, p))
                        }
                        (None, None) => Err(Error::new(ErrorKind::Internal, "no delivery")),
                    };
                    let _ = done.send(Done { uid, result });
                    break;
                }
                // Dropping the delivery discards it (temporary file removed).
                Ok(Job::Abort) => break,
                // The message was abandoned without a word (its session broke): discard it and start
                // the next one.
                Ok(begin @ (Job::Begin(..) | Job::Whole(..))) => {
                    next = Some(begin);
                    break;
                }
                Err(_) => return,
            }
        }
        if next.is_none() {
            next = rx.recv().ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_abandoned_message_is_discarded_and_the_next_one_still_committed() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::Maildir(dir.path().join("M"));
        let mut pool = Pool::new(&target, 1).unwrap();
        // A message cut off without Abort (its session broke), then the next one on the same thread.
        let w = pool.begin(1, Item::Message("1".into())).unwrap();
        pool.data(w, b"cut o").unwrap();
        let w = pool.begin(2, Item::Message("2".into())).unwrap();
        pool.data(w, b"whole\n").unwrap();
        pool.commit(w).unwrap();
        let done = pool.wait();
        pool.sync().unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].uid, 2);
        let (bytes, path) = done[0].result.as_ref().unwrap();
        assert_eq!(*bytes, 6);
        assert_eq!(std::fs::read(path).unwrap(), b"whole\n");
        // An aborted one leaves nothing either.
        let w = pool.begin(3, Item::Message("3".into())).unwrap();
        pool.data(w, b"unwanted").unwrap();
        pool.abort(w).unwrap();
        drop(pool);
        assert_eq!(
            std::fs::read_dir(dir.path().join("M/new")).unwrap().count(),
            1
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("M/tmp")).unwrap().count(),
            0
        );
    }

    #[test]
    fn a_message_larger_than_the_gather_buffer_goes_in_chunks_and_is_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::Maildir(dir.path().join("M"));
        let mut pool = Pool::new(&target, 2).unwrap();
        let body: Vec<u8> = (0..3 * GATHER + 17)
            .map(|i| b'a' + (i % 26) as u8)
            .collect();
        let w = pool.begin(1, Item::Message("1".into())).unwrap();
        for chunk in body.chunks(5000) {
            pool.data(w, chunk).unwrap();
        }
        pool.commit(w).unwrap();
        // One aborted after part of it reached its thread: nothing of it is left.
        let w = pool.begin(2, Item::Message("2".into())).unwrap();
        pool.data(w, &body).unwrap();
        pool.abort(w).unwrap();
        let done = pool.wait();
        pool.sync().unwrap();
        assert_eq!(done.len(), 1);
        let (bytes, path) = done[0].result.as_ref().unwrap();
        assert_eq!(*bytes, body.len() as u64);
        assert_eq!(std::fs::read(path).unwrap(), body);
        drop(pool);
        assert_eq!(
            std::fs::read_dir(dir.path().join("M/new")).unwrap().count(),
            1
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("M/tmp")).unwrap().count(),
            0
        );
    }
}
