//! Sockets and TLS: TCP connect and the TLS client, never a protocol word.
//!
//! [`connect`] tries every address the name resolves to (IPv6 and IPv4, or the one family of `-4`/`-6`)
//! within `--connect-timeout` each, from the `--bind` address when given, or tunnels through the
//! [`Route`]'s proxy (`crate::proxy`) within `--connect-timeout` in all.
//! [`Tls`] is built once per run from `--cacert`/`--insecure`/`--tls-min`/`--tls-max`; with the default
//! rustls backend it holds one `ClientConfig` whose in-memory session store is shared by every connection of
//! the run, so an FTPS data connection resumes the control connection's session (RFC 4217 §10.2, vsftpd's
//! `require_ssl_reuse=YES`) over TLS 1.2 (session IDs/tickets) and TLS 1.3 (tickets). The native-tls
//! backend has no resumption API; servers demanding reuse refuse its data connections (exit 4).
//! Handshakes run eagerly so that certificate and version failures surface as TLS errors (exit 4) at the
//! step that caused them.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::proxy::Proxy;

/// TLS protocol versions a user may pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2.
    V1_2,
    /// TLS 1.3.
    V1_3,
}

impl TlsVersion {
    /// Every version, lowest first.
    pub const ALL: [TlsVersion; 2] = [TlsVersion::V1_2, TlsVersion::V1_3];

    /// The name `--tls-min`/`--tls-max` take (`1.2`).
    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::V1_2 => "1.2",
            TlsVersion::V1_3 => "1.3",
        }
    }

    /// The version as the help text lists it (`TLS 1.2`).
    pub fn description(self) -> &'static str {
        match self {
            TlsVersion::V1_2 => "TLS 1.2",
            TlsVersion::V1_3 => "TLS 1.3",
        }
    }
}

impl std::str::FromStr for TlsVersion {
    type Err = Error;

    /// `1.2` or `1.3`, as `--tls-min` and `--tls-max` take them.
    fn from_str(s: &str) -> Result<TlsVersion> {
        TlsVersion::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| {
                Error::usage(format!(
                    "invalid value '{}' for a TLS version [possible values: 1.2, 1.3]",
                    crate::terminal::escape(s)
                ))
            })
    }
}

/// How the user configured TLS.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Extra PEM trust anchors (`--cacert`), added to the system store.
    pub cacert: Vec<PathBuf>,
    /// Skip certificate verification (`--insecure`).
    pub insecure: bool,
    /// Lowest version allowed.
    pub min: Option<TlsVersion>,
    /// Highest version allowed.
    pub max: Option<TlsVersion>,
}

/// `-4`/`-6`: which address family connections use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Family {
    /// Every address the name resolves to, in the resolver's order.
    #[default]
    Any,
    /// IPv4 only (`-4`).
    V4,
    /// IPv6 only (`-6`).
    V6,
}

impl Family {
    fn admits(self, ip: IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }
}

/// How connections leave this machine: address family, source address and proxy. The same route serves
/// the control connection and, for FTP, its data connections.
#[derive(Debug, Clone, Default)]
pub struct Route {
    /// `-4`/`-6`.
    pub family: Family,
    /// `--bind ADDR`: the source address of every connection (to the server, or to the proxy).
    pub bind: Option<IpAddr>,
    /// The proxy for this server, if any (see [`crate::proxy`]).
    pub proxy: Option<Proxy>,
}

/// Opens a TCP connection to `host:port` along `route`: directly (each resolved address of the asked
/// family in turn, `timeout` each), or through its proxy (the proxy's handshake included in `timeout`).
pub fn connect(host: &str, port: u16, timeout: Duration, route: &Route) -> Result<TcpStream> {
    let Some(proxy) = &route.proxy else {
        return connect_direct(host, port, timeout, route);
    };
    let deadline = Instant::now() + timeout;
    let mut tcp = connect_direct(&proxy.host, proxy.port, timeout, route)
        .map_err(|e| e.within(format!("proxy {}", proxy.describe())))?;
    proxy.tunnel(&mut tcp, host, port, deadline, |h, p| {
        let left = deadline.saturating_duration_since(Instant::now());
        resolve_for(h, p, left, route)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::new(ErrorKind::Connect, format!("cannot resolve {h}")))
    })?;
    Ok(tcp)
}

/// The addresses of `host` that `route` may use (family, and the `--bind` address's family).
fn resolve_for(host: &str, port: u16, timeout: Duration, route: &Route) -> Result<Vec<SocketAddr>> {
    let all = resolve(host, port, timeout)?;
    let usable: Vec<SocketAddr> = all
        .iter()
        .copied()
        .filter(|a| route.family.admits(a.ip()))
        .filter(|a| route.bind.is_none_or(|b| b.is_ipv4() == a.is_ipv4()))
        .collect();
    if usable.is_empty() && !all.is_empty() {
        let family = match (route.family, route.bind) {
            (Family::V4, _) => "IPv4 (-4)",
            (Family::V6, _) => "IPv6 (-6)",
            (Family::Any, Some(b)) if b.is_ipv4() => "IPv4 (the --bind address's family)",
            _ => "IPv6 (the --bind address's family)",
        };
        return Err(Error::new(
            ErrorKind::Connect,
            format!("{host} has no {family} address"),
        ));
    }
    Ok(usable)
}

/// Connects straight to `host:port`, trying each usable address in turn, from `route.bind` when given.
fn connect_direct(host: &str, port: u16, timeout: Duration, route: &Route) -> Result<TcpStream> {
    let what = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let addrs = resolve_for(host, port, timeout, route)?;
    let mut last: Option<io::Error> = None;
    for addr in &addrs {
        match connect_from(*addr, route.bind, timeout) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    let err = last.unwrap_or_else(|| io::Error::other("name resolved to no address"));
    let kind = if err.kind() == io::ErrorKind::TimedOut {
        ErrorKind::Timeout
    } else {
        ErrorKind::Connect
    };
    Err(Error::new(kind, format!("cannot connect to {what}")).with_source(err))
}

/// One connection attempt, bound to `bind` first when given (std has no bind-before-connect).
fn connect_from(
    addr: SocketAddr,
    bind: Option<IpAddr>,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let Some(bind) = bind else {
        return TcpStream::connect_timeout(&addr, timeout);
    };
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket
        .bind(&SocketAddr::new(bind, 0).into())
        .map_err(|e| io::Error::new(e.kind(), format!("--bind {bind}: {e}")))?;
    socket.connect_timeout(&addr.into(), timeout)?;
    Ok(socket.into())
}

/// Resolves `host` within `timeout`. The system resolver has no timeout of its own, so the lookup runs on
/// a helper thread that is abandoned (and ends with the process) if it outlasts the wait.
fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let name = host.to_string();
    std::thread::spawn(move || {
        let _ = tx.send(
            (name.as_str(), port)
                .to_socket_addrs()
                .map(|a| a.collect::<Vec<_>>()),
        );
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(addrs)) => Ok(addrs),
        Ok(Err(e)) => {
            Err(Error::new(ErrorKind::Connect, format!("cannot resolve {host}")).with_source(e))
        }
        Err(_) => Err(Error::new(
            ErrorKind::Timeout,
            format!("resolving {host}: timed out"),
        )),
    }
}

/// A connection: plain TCP or TLS over TCP.
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS via rustls.
    #[cfg(feature = "rustls")]
    Rustls(Box<rustls::StreamOwned<rustls::ClientConnection, BufSock>>),
    /// TLS via native-tls.
    #[cfg(feature = "native-tls")]
    Native(Box<native_tls::TlsStream<TcpStream>>),
}

impl Stream {
    /// The TCP socket underneath.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            #[cfg(feature = "rustls")]
            Stream::Rustls(s) => &s.sock.tcp,
            #[cfg(feature = "native-tls")]
            Stream::Native(s) => s.get_ref(),
        }
    }

    /// Whether the stream is encrypted.
    pub fn is_tls(&self) -> bool {
        !matches!(self, Stream::Plain(_))
    }

    /// Limits the next reads to `timeout` (None: wait forever, which ferry never asks for).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.tcp().set_read_timeout(timeout)
    }

    /// A description of the negotiated TLS version, for the transcript.
    pub fn tls_description(&self) -> Option<String> {
        match self {
            Stream::Plain(_) => None,
            #[cfg(feature = "rustls")]
            Stream::Rustls(s) => Some(format!(
                "{:?}{}",
                s.conn.protocol_version()?,
                match s.conn.handshake_kind() {
                    Some(rustls::HandshakeKind::Resumed) => ", session resumed",
                    _ => "",
                }
            )),
            #[cfg(feature = "native-tls")]
            Stream::Native(_) => Some("TLS (native)".to_string()),
        }
    }

    /// Whether this TLS connection resumed an earlier session.
    pub fn resumed(&self) -> bool {
        match self {
            #[cfg(feature = "rustls")]
            Stream::Rustls(s) => s.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
            _ => false,
        }
    }

    /// Ends the stream cleanly: TLS close_notify first, then the TCP write side.
    pub fn close(mut self) -> io::Result<()> {
        self.close_write()
    }

    /// Ends our sending side cleanly (TLS close_notify, then TCP FIN) while the socket stays open, so
    /// nothing the peer still sends (a late TLS session ticket) turns our close into a reset before the
    /// peer has read everything.
    pub fn close_write(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(_) => {}
            #[cfg(feature = "rustls")]
            Stream::Rustls(s) => {
                s.conn.send_close_notify();
                s.flush()?;
            }
            #[cfg(feature = "native-tls")]
            Stream::Native(s) => s.shutdown()?,
        }
        let _ = self.tcp().shutdown(std::net::Shutdown::Write);
        Ok(())
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            #[cfg(feature = "rustls")]
            Stream::Rustls(s) => s.read(buf),
            #[cfg(feature = "native-tls")]
            Stream::Native(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            #[cfg(feature = "rustls")]
            Stream::Rustls(s) => s.write(buf),
            #[cfg(feature = "native-tls")]
            Stream::Native(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            #[cfg(feature = "rustls")]
            Stream::Rustls(s) => s.flush(),
            #[cfg(feature = "native-tls")]
            Stream::Native(s) => s.flush(),
        }
    }
}

/// The TCP socket under a rustls stream, read in large steps (issue 19). rustls asks its socket for at
/// most 4 KiB (up to one 16 KiB record) per read; a bulk FTPS download then costs one `recvfrom` per
/// record or less. This reads up to [`BufSock::CAPACITY`] per syscall and hands rustls the bytes from
/// memory. Every byte on the socket belongs to TLS, so holding some here reorders nothing; nothing polls
/// the descriptor of a TLS stream for readability (which would miss bytes already held here).
#[cfg(feature = "rustls")]
pub struct BufSock {
    tcp: TcpStream,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

#[cfg(feature = "rustls")]
impl BufSock {
    /// Bytes read from the socket at most per syscall: several TLS records.
    pub const CAPACITY: usize = 128 * 1024;

    fn new(tcp: TcpStream) -> BufSock {
        BufSock {
            tcp,
            buf: vec![0u8; BufSock::CAPACITY].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }
}

#[cfg(feature = "rustls")]
impl Read for BufSock {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.start == self.end {
            // A caller asking for at least a whole buffer gains nothing from the copy.
            if out.len() >= self.buf.len() {
                return self.tcp.read(out);
            }
            self.end = self.tcp.read(&mut self.buf)?;
            self.start = 0;
        }
        let held = self.buf.get(self.start..self.end).unwrap_or_default();
        let n = held.len().min(out.len());
        out[..n].copy_from_slice(&held[..n]);
        self.start += n;
        Ok(n)
    }
}

#[cfg(feature = "rustls")]
impl Write for BufSock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// The run's TLS client: one configuration (and, with rustls, one session store) for every connection.
#[derive(Clone)]
pub struct Tls {
    #[cfg(feature = "rustls")]
    config: std::sync::Arc<rustls::ClientConfig>,
    #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
    connector: native_tls::TlsConnector,
}

impl Tls {
    /// Builds the client from the user's options; an unreadable `--cacert` is a local error (exit 8), an
    /// unusable one a TLS error (exit 4).
    pub fn new(opts: &TlsOptions) -> Result<Tls> {
        if opts.insecure {
            eprintln!(
                "{}: warning: --insecure: TLS certificates are not verified",
                crate::terminal::program()
            );
        }
        backend::build(opts)
    }

    /// The same client with a session store of its own. An FTPS control connection and its data
    /// connections use one of these, so a data connection resumes exactly its own control connection's
    /// session (vsftpd's `require_ssl_reuse` refuses any other), even with parallel sessions to one server.
    pub fn with_own_sessions(&self) -> Tls {
        #[cfg(feature = "rustls")]
        {
            let mut config = (*self.config).clone();
            config.resumption = rustls::client::Resumption::in_memory_sessions(32);
            Tls {
                config: std::sync::Arc::new(config),
            }
        }
        #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
        {
            self.clone()
        }
    }

    /// Runs a TLS handshake over `tcp` for server `host`, within `timeout`.
    pub fn wrap(&self, tcp: TcpStream, host: &str, timeout: Duration) -> Result<Stream> {
        tcp.set_read_timeout(Some(timeout))
            .and_then(|_| tcp.set_write_timeout(Some(timeout)))
            .map_err(|e| Error::network("socket", e))?;
        backend::handshake(self, tcp, host).map_err(|e| match e.kind() {
            ErrorKind::Timeout => e,
            _ => e.with_kind(ErrorKind::Tls),
        })
    }
}

/// What opportunistic TLS learnt about the certificate of the latest handshake of its client: whether
/// it would have verified against the trust store for the server name given to the handshake.
#[derive(Debug, Clone, Default)]
pub struct CertCheck(std::sync::Arc<std::sync::Mutex<Option<std::result::Result<(), String>>>>);

impl CertCheck {
    #[cfg_attr(not(feature = "rustls"), allow(dead_code))]
    fn set(&self, verdict: std::result::Result<(), String>) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(verdict);
        }
    }

    /// The verdict of the latest handshake since the last call: `Some(Ok(()))` verified, `Some(Err(why))`
    /// not, `None` when no certificate was judged (a TLS backend that cannot tell).
    pub fn take(&self) -> Option<std::result::Result<(), String>> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

impl Tls {
    /// The client of opportunistic TLS (RFC 7435; `smtp-send --mx --tls opportunistic`, where
    /// certificates rarely match): completes the handshake whatever the certificate and records in the
    /// returned [`CertCheck`] whether it would have verified. No session resumption, so every handshake
    /// shows its certificate. No `--insecure` warning: the caller reports the verdict per connection.
    pub fn opportunistic(opts: &TlsOptions) -> Result<(Tls, CertCheck)> {
        backend::build_recording(opts)
    }
}

fn read_pem(path: &PathBuf) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::local(format!("--cacert {}", path.display()), e))
}

#[cfg(feature = "rustls")]
mod backend {
    use super::*;
    use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
    use std::sync::Arc;

    type Builder = rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier>;

    pub(super) fn build(opts: &TlsOptions) -> Result<Tls> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = versions(opts, &provider)?;
        let config = if opts.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
                .with_no_client_auth()
        } else {
            builder
                .with_root_certificates(roots(opts)?)
                .with_no_client_auth()
        };
        Ok(Tls {
            config: Arc::new(config),
        })
    }

    pub(super) fn build_recording(opts: &TlsOptions) -> Result<(Tls, CertCheck)> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = versions(opts, &provider)?;
        let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots(opts)?),
            provider.clone(),
        )
        .build()
        .map_err(|e| Error::new(ErrorKind::Tls, "TLS setup").with_source(e))?;
        let check = CertCheck::default();
        let mut config = builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Recording {
                webpki,
                any: NoVerify(provider),
                check: check.clone(),
            }))
            .with_no_client_auth();
        // Every handshake must show its certificate to be judged.
        config.resumption = rustls::client::Resumption::disabled();
        Ok((
            Tls {
                config: Arc::new(config),
            },
            check,
        ))
    }

    fn versions(
        opts: &TlsOptions,
        provider: &Arc<rustls::crypto::CryptoProvider>,
    ) -> Result<Builder> {
        let mut versions: Vec<&'static rustls::SupportedProtocolVersion> = Vec::new();
        let allowed = |v| opts.min.is_none_or(|m| v >= m) && opts.max.is_none_or(|m| v <= m);
        if allowed(TlsVersion::V1_3) {
            versions.push(&rustls::version::TLS13);
        }
        if allowed(TlsVersion::V1_2) {
            versions.push(&rustls::version::TLS12);
        }
        if versions.is_empty() {
            return Err(Error::usage("--tls-min is above --tls-max"));
        }
        rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .map_err(|e| Error::new(ErrorKind::Tls, "TLS setup").with_source(e))
    }

    /// Opportunistic TLS: accepts any certificate (handshake signatures still checked) and records
    /// whether the trust store and the server name would have accepted it.
    #[derive(Debug)]
    struct Recording {
        webpki: Arc<rustls::client::WebPkiServerVerifier>,
        any: NoVerify,
        check: CertCheck,
    }

    impl rustls::client::danger::ServerCertVerifier for Recording {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            name: &ServerName<'_>,
            ocsp: &[u8],
            now: rustls::pki_types::UnixTime,
        ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error>
        {
            let verdict = self
                .webpki
                .verify_server_cert(end_entity, intermediates, name, ocsp, now)
                .map(|_| ())
                .map_err(|e| e.to_string());
            self.check.set(verdict);
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &rustls::DigitallySignedStruct,
        ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error>
        {
            self.any.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &rustls::DigitallySignedStruct,
        ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error>
        {
            self.any.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.any.supported_verify_schemes()
        }
    }

    /// The system trust store plus the `--cacert` anchors.
    fn roots(opts: &TlsOptions) -> Result<rustls::RootCertStore> {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        for path in &opts.cacert {
            let pem = read_pem(path)?;
            let mut n = 0;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| {
                    Error::new(ErrorKind::Tls, format!("--cacert {}: {e}", path.display()))
                })?;
                roots.add(cert).map_err(|e| {
                    Error::new(ErrorKind::Tls, format!("--cacert {}", path.display()))
                        .with_source(e)
                })?;
                n += 1;
            }
            if n == 0 {
                return Err(Error::new(
                    ErrorKind::Tls,
                    format!("--cacert {}: no PEM certificate in it", path.display()),
                ));
            }
        }
        Ok(roots)
    }

    pub(super) fn handshake(tls: &Tls, mut tcp: TcpStream, host: &str) -> Result<Stream> {
        let name = ServerName::try_from(host.to_string()).map_err(|e| {
            Error::new(ErrorKind::Tls, format!("server name {host}")).with_source(e)
        })?;
        let mut conn = rustls::ClientConnection::new(tls.config.clone(), name)
            .map_err(|e| Error::new(ErrorKind::Tls, "TLS setup").with_source(e))?;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp)
                .map_err(|e| Error::network(format!("TLS handshake with {host}"), e))?;
        }
        Ok(Stream::Rustls(Box::new(rustls::StreamOwned::new(
            conn,
            BufSock::new(tcp),
        ))))
    }

    /// `--insecure`: accepts any certificate but still checks handshake signatures.
    #[derive(Debug)]
    struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

    use rustls::client::danger::ServerCertVerifier;

    impl ServerCertVerifier for NoVerify {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: rustls::pki_types::UnixTime,
        ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error>
        {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &rustls::DigitallySignedStruct,
        ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error>
        {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &rustls::DigitallySignedStruct,
        ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error>
        {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}

#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
mod backend {
    use super::*;

    fn version(v: TlsVersion) -> native_tls::Protocol {
        match v {
            TlsVersion::V1_2 => native_tls::Protocol::Tlsv12,
            // native-tls names no 1.3 constant: "at most 1.3" is its default and "at least 1.3" is not
            // expressible, so it is refused in build().
            TlsVersion::V1_3 => native_tls::Protocol::Tlsv12,
        }
    }

    pub(super) fn build(opts: &TlsOptions) -> Result<Tls> {
        let mut b = native_tls::TlsConnector::builder();
        if opts.min == Some(TlsVersion::V1_3) {
            return Err(Error::usage("--tls-min 1.3 needs the rustls backend"));
        }
        b.min_protocol_version(Some(version(opts.min.unwrap_or(TlsVersion::V1_2))));
        if opts.max == Some(TlsVersion::V1_2) {
            b.max_protocol_version(Some(native_tls::Protocol::Tlsv12));
        }
        if opts.insecure {
            b.danger_accept_invalid_certs(true);
            b.danger_accept_invalid_hostnames(true);
        }
        for path in &opts.cacert {
            let pem = read_pem(path)?;
            let cert = native_tls::Certificate::from_pem(&pem).map_err(|e| {
                Error::new(ErrorKind::Tls, format!("--cacert {}", path.display())).with_source(e)
            })?;
            b.add_root_certificate(cert);
        }
        let connector = b
            .build()
            .map_err(|e| Error::new(ErrorKind::Tls, "TLS setup").with_source(e))?;
        Ok(Tls { connector })
    }

    pub(super) fn build_recording(opts: &TlsOptions) -> Result<(Tls, CertCheck)> {
        let any = TlsOptions {
            insecure: true,
            ..opts.clone()
        };
        Ok((build(&any)?, CertCheck::default()))
    }

    pub(super) fn handshake(tls: &Tls, tcp: TcpStream, host: &str) -> Result<Stream> {
        match tls.connector.connect(host, tcp) {
            Ok(s) => Ok(Stream::Native(Box::new(s))),
            Err(native_tls::HandshakeError::Failure(e)) => {
                Err(Error::new(ErrorKind::Tls, format!("TLS handshake with {host}")).with_source(e))
            }
            Err(native_tls::HandshakeError::WouldBlock(_)) => Err(Error::new(
                ErrorKind::Timeout,
                format!("TLS handshake with {host}: timed out"),
            )),
        }
    }
}

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
mod backend {
    use super::*;

    pub(super) fn build(_: &TlsOptions) -> Result<Tls> {
        Ok(Tls {})
    }

    pub(super) fn build_recording(_: &TlsOptions) -> Result<(Tls, CertCheck)> {
        Ok((Tls {}, CertCheck::default()))
    }

    pub(super) fn handshake(_: &Tls, _: TcpStream, _: &str) -> Result<Stream> {
        Err(Error::new(
            ErrorKind::Tls,
            "this ferry was built without a TLS backend",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_versions_parse_by_their_cli_names() {
        assert_eq!("1.2".parse::<TlsVersion>().unwrap(), TlsVersion::V1_2);
        assert_eq!("1.3".parse::<TlsVersion>().unwrap(), TlsVersion::V1_3);
        let e = "1.4".parse::<TlsVersion>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert!(e.to_string().contains("[possible values: 1.2, 1.3]"), "{e}");
        assert!(TlsVersion::V1_2 < TlsVersion::V1_3);
    }

    /// A connected loopback pair: (our end, the peer's end).
    fn pair() -> (TcpStream, TcpStream) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let ours = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        (ours, l.accept().unwrap().0)
    }

    #[cfg(feature = "rustls")]
    #[test]
    fn buffered_tls_socket_reads_large_steps_and_keeps_every_byte_in_order() {
        let (ours, mut peer) = pair();
        let data: Vec<u8> = (0..3 * BufSock::CAPACITY + 12345)
            .map(|i| (i % 251) as u8)
            .collect();
        let sent = data.clone();
        let writer = std::thread::spawn(move || {
            for chunk in sent.chunks(7000) {
                peer.write_all(chunk).unwrap();
            }
        });
        let mut sock = BufSock::new(ours);
        let mut got = Vec::new();
        let mut small = [0u8; 4096];
        let mut big = vec![0u8; BufSock::CAPACITY];
        let mut step = 0;
        loop {
            // rustls's small reads, and now and then a read as large as the buffer (passed through).
            let n = if step % 5 == 4 && sock.start == sock.end {
                sock.read(&mut big).map(|n| (n, &big[..n]))
            } else {
                sock.read(&mut small).map(|n| (n, &small[..n]))
            };
            let (n, bytes) = n.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(bytes);
            step += 1;
        }
        writer.join().unwrap();
        assert_eq!(got.len(), data.len());
        assert!(got == data, "bytes reordered or lost");
        // Writes go straight to the socket.
        let (ours, mut peer) = pair();
        let mut sock = BufSock::new(ours);
        sock.write_all(b"ping").unwrap();
        sock.flush().unwrap();
        let mut four = [0u8; 4];
        peer.read_exact(&mut four).unwrap();
        assert_eq!(&four, b"ping");
    }
}
