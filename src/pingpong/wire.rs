//! [`Wire`]: what the engine needs from the byte stream under a control connection, so that a session can
//! run over a real socket ([`Stream`]) or, in unit tests, over a scripted one (`mock.rs`).
//!
//! The trait is deliberately small: timeouts, the two addresses (FTP data connections need them), whether
//! the stream is encrypted, the TLS upgrade and a clean close. It knows no protocol word; the checks around
//! an upgrade (no buffered bytes, the server's go-ahead) live in the engine.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::transport::{Stream, Tls};

/// A byte stream a [`PingPong`](super::PingPong) can drive.
pub trait Wire: Read + Write + Sized {
    /// Limits the next reads to `timeout`.
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    /// Limits the next writes to `timeout`.
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    /// The server's address.
    fn peer_addr(&self) -> io::Result<SocketAddr>;
    /// Our address.
    fn local_addr(&self) -> io::Result<SocketAddr>;
    /// Whether the stream is encrypted.
    fn is_tls(&self) -> bool;
    /// A description of the negotiated TLS, for the transcript (None on a plain stream).
    fn tls_description(&self) -> Option<String>;
    /// Runs a TLS handshake for server `host` over this plain stream, within `timeout`.
    fn upgrade(self, tls: &Tls, host: &str, timeout: Duration) -> Result<Self>;
    /// Ends the stream cleanly (TLS close_notify, then the TCP write side); errors are of no interest.
    fn close(self);
}

impl Wire for Stream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        Stream::set_read_timeout(self, timeout)
    }

    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.tcp().set_write_timeout(timeout)
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.tcp().peer_addr()
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp().local_addr()
    }

    fn is_tls(&self) -> bool {
        Stream::is_tls(self)
    }

    fn tls_description(&self) -> Option<String> {
        Stream::tls_description(self)
    }

    fn upgrade(self, tls: &Tls, host: &str, timeout: Duration) -> Result<Self> {
        match self {
            Stream::Plain(tcp) => tls.wrap(tcp, host, timeout),
            _ => Err(Error::new(ErrorKind::Internal, "TLS is already active")),
        }
    }

    fn close(self) {
        let _ = Stream::close(self);
    }
}
