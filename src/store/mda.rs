//! Delivery through a mail delivery agent: `sh -c CMD` with the message on its stdin and its stdout sent
//! to our stderr (so `--json` on stdout stays clean). Exit status 0 means delivered; anything else — or an
//! MDA that stops reading early, or does not finish within five minutes — means not delivered. A
//! delivery dropped unfinished, or stopped by a signal, kills the MDA before it can see the end of its
//! input.

use std::io::{self, Write};
use std::os::fd::AsFd;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};

const WAIT: Duration = Duration::from_secs(300);

/// A running MDA.
pub struct Mda {
    cmd: String,
    child: Child,
    stdin: Option<ChildStdin>,
    broken: bool,
    done: bool,
    /// Kills the MDA if a signal stops ferry while it is fed the message.
    kill: Option<crate::signals::Cleanup>,
}

impl Mda {
    /// Starts `cmd` under `sh -c`.
    pub fn spawn(cmd: &str) -> Result<Mda> {
        let err = io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| Error::local("stderr", e))?;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .stdin(Stdio::piped())
            .stdout(Stdio::from(err))
            .spawn()
            .map_err(|e| Error::local(format!("starting the MDA `{cmd}`"), e))?;
        let stdin = child.stdin.take();
        let mut mda = Mda {
            cmd: cmd.to_string(),
            child,
            stdin,
            broken: false,
            done: false,
            kill: None,
        };
        // Fails (the MDA already killed) when a signal is being handled: `mda` is dropped unfinished.
        mda.kill = Some(
            crate::signals::kill_on_signal(mda.child.id())
                .map_err(|e| Error::local(format!("starting the MDA `{cmd}`"), e))?,
        );
        Ok(mda)
    }

    /// Closes the MDA's stdin and waits for it; delivered only on exit status 0 after reading everything.
    pub fn wait(mut self) -> Result<()> {
        // The whole message was written: from here a signal lets the MDA deliver it.
        drop(self.kill.take());
        drop(self.stdin.take());
        let deadline = Instant::now() + WAIT;
        // Most MDAs finish within a millisecond of their input's end: poll from 20 µs, doubling to 5 ms.
        let mut pause = Duration::from_micros(20);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(5));
                }
                Ok(None) => {
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        format!(
                            "the MDA `{}` did not finish within {}s",
                            self.cmd,
                            WAIT.as_secs()
                        ),
                    ));
                }
                Err(e) => {
                    return Err(Error::local(
                        format!("waiting for the MDA `{}`", self.cmd),
                        e,
                    ));
                }
            }
        };
        self.done = true;
        if !status.success() {
            return Err(Error::new(
                ErrorKind::LocalIo,
                format!(
                    "the MDA `{}` failed ({status}): message not delivered",
                    self.cmd
                ),
            ));
        }
        if self.broken {
            return Err(Error::new(
                ErrorKind::LocalIo,
                format!(
                    "the MDA `{}` exited before reading the whole message: not delivered",
                    self.cmd
                ),
            ));
        }
        Ok(())
    }
}

impl Write for Mda {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.broken {
            return Ok(buf.len());
        }
        match self.stdin.as_mut().map(|s| s.write_all(buf)) {
            Some(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => self.broken = true,
            Some(Err(e)) => return Err(e),
            _ => {}
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Mda {
    /// An undelivered message (the server hung up mid-message, a local error): the MDA is killed
    /// *before* its stdin closes. In the other order it reads end-of-file first and delivers the
    /// truncated message (`cat >> box` appends it) before the kill lands.
    fn drop(&mut self) {
        if !self.done {
            let _ = self.child.kill();
            drop(self.kill.take());
            drop(self.stdin.take());
            let _ = self.child.wait();
        }
    }
}
