//! Test support: a scripted loopback server that asserts the exact client transcript, and a runner for the
//! real binaries that never lets a hung client hang the suite.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One step of a server script.
#[derive(Clone)]
pub enum Step {
    /// Send a line (CRLF appended).
    Send(String),
    /// Expect this exact client line.
    Expect(String),
    /// Expect a client line starting with this prefix (for arguments chosen at run time, like EPRT's port).
    ExpectPrefix(String),
    /// Send a line made from this template, `{}` replaced by the argument of the last line the client
    /// sent (what follows its first space): echoes of values chosen at run time, like REST's nonce.
    SendArg(String),
    /// Open a passive data listener and announce it with 229 (EPSV).
    Epsv,
    /// Open a passive data listener on 127.0.0.1 but announce it in a 227 naming `ip` (a lie).
    PasvClaiming(String),
    /// Accept the data connection, send these bytes, close it.
    DataSend(Vec<u8>),
    /// Accept the data connection and send these bytes one per `interval` (until the client goes away),
    /// then close it.
    DataTrickle(Vec<u8>, Duration),
    /// Accept the data connection and read it to the end (recorded in `data_received`).
    DataRecv,
    /// Accept the data connection, read at most this many bytes, then close it while the client may still
    /// be sending (a server giving up mid-upload).
    DataRecvSome(usize),
    /// Connect to the client's EPRT/PORT address from the last expected line and send these bytes.
    ActiveSend(Vec<u8>),
    /// Send raw bytes as they are.
    Raw(Vec<u8>),
    /// Send `total` bytes of `byte` without a line ending, in 1 MiB writes, ignoring write errors.
    Flood(u8, usize),
    /// Send a line one byte per `interval`, then CRLF.
    Trickle(String, Duration),
    /// Wait.
    Sleep(Duration),
    /// Read until the client closes (or 10 s), without asserting anything.
    Drain,
    /// Read a dot-terminated body (SMTP DATA) up to and including the `.` line, asserting every line ends
    /// in CRLF; the bytes before the `.` line are recorded in `data_received`.
    ReadDotBody,
}

pub use Step::*;

/// `Send` from a &str.
pub fn s(line: &str) -> Step {
    Send(line.to_string())
}

/// `Expect` from a &str.
pub fn e(line: &str) -> Step {
    Expect(line.to_string())
}

/// `steps` without their leading `TYPE I` and its reply: a later transfer on a session that already
/// set the type (the client sends TYPE only when it changes).
pub fn same_type(mut steps: Vec<Step>) -> Vec<Step> {
    assert!(
        matches!(steps.first(), Some(Expect(l)) if l == "TYPE I"),
        "no TYPE I to leave out"
    );
    steps.drain(..2);
    steps
}

/// A spare session's script that starts 300 ms late (its greeting waits), so that the first connection
/// logs in first and plans the run: a run goes on with whichever of its first two sessions logs in
/// first, and a test that gives the planning to connection 0 must not lose that race.
pub fn late(steps: Vec<Step>) -> Vec<Step> {
    let mut v = vec![Sleep(std::time::Duration::from_millis(300))];
    v.extend(steps);
    v
}

/// A server running a script on 127.0.0.1.
pub struct Server {
    pub addr: SocketAddr,
    handle: Option<JoinHandle<Result<(), String>>>,
    seen: Arc<Mutex<Vec<String>>>,
    received: Arc<Mutex<Vec<u8>>>,
}

impl Server {
    pub fn start(script: Vec<Step>) -> Server {
        Server::start_on("127.0.0.1:0", script)
    }

    /// A server on another local address, e.g. `[::1]:0`.
    pub fn start_on(bind: &str, script: Vec<Step>) -> Server {
        let listener = TcpListener::bind(bind).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (seen2, received2) = (seen.clone(), received.clone());
        let handle = std::thread::spawn(move || {
            let ctl = accept_control(&listener)?;
            run_session(ctl, script, seen2, received2)
        });
        Server {
            addr,
            handle: Some(handle),
            seen,
            received,
        }
    }

    /// A server for several control connections: the n-th accepted connection runs `scripts[n]` in its
    /// own thread. Lines seen and data received are kept per connection, in connection order.
    pub fn start_sessions(scripts: Vec<Vec<Step>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (seen2, received2) = (seen.clone(), received.clone());
        let handle = std::thread::spawn(move || {
            let mut sessions = Vec::new();
            for (n, script) in scripts.into_iter().enumerate() {
                let ctl = accept_control(&listener).map_err(|e| format!("session {n}: {e}"))?;
                let (seen_n, received_n) = (
                    Arc::new(Mutex::new(Vec::new())),
                    Arc::new(Mutex::new(Vec::new())),
                );
                let (s3, r3) = (seen_n.clone(), received_n.clone());
                let t = std::thread::spawn(move || run_session(ctl, script, s3, r3));
                sessions.push((n, t, seen_n, received_n));
            }
            let mut failure = None;
            for (n, t, seen_n, received_n) in sessions {
                let r = t
                    .join()
                    .unwrap_or_else(|_| Err("session thread panicked".into()));
                seen2.lock().unwrap().push(format!("--- session {n}"));
                seen2.lock().unwrap().extend(seen_n.lock().unwrap().clone());
                received2
                    .lock()
                    .unwrap()
                    .extend(received_n.lock().unwrap().clone());
                if let Err(e) = r {
                    failure.get_or_insert(format!("session {n}: {e}"));
                }
            }
            // A connection beyond the scripted ones (a session the client did not need) is a failure.
            listener.set_nonblocking(true).unwrap();
            if let Ok((_, peer)) = listener.accept() {
                failure.get_or_insert(format!("an unscripted extra connection from {peer}"));
            }
            failure.map_or(Ok(()), Err)
        });
        Server {
            addr,
            handle: Some(handle),
            seen,
            received,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("ftp://{}/{path}", self.addr)
    }

    /// Whether this host has IPv6 loopback.
    pub fn ipv6_available() -> bool {
        TcpListener::bind("[::1]:0").is_ok()
    }

    /// Waits for the script to end and panics with the transcript if the client strayed from it.
    pub fn finish(mut self) -> Vec<String> {
        let r = self
            .handle
            .take()
            .unwrap()
            .join()
            .expect("server thread panicked");
        let seen = self.seen.lock().unwrap().clone();
        if let Err(msg) = r {
            panic!(
                "server script failed: {msg}\nclient sent:\n{}",
                seen.join("\n")
            );
        }
        seen
    }

    pub fn data_received(&self) -> Vec<u8> {
        self.received.lock().unwrap().clone()
    }
}

fn accept_control(listener: &TcpListener) -> Result<TcpStream, String> {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).unwrap();
                return Ok(s);
            }
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("no client connected: {e}")),
        }
    }
}

fn run_session(
    ctl: TcpStream,
    script: Vec<Step>,
    seen: Arc<Mutex<Vec<String>>>,
    received: Arc<Mutex<Vec<u8>>>,
) -> Result<(), String> {
    ctl.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut reader = BufReader::new(ctl.try_clone().unwrap());
    let mut w = ctl;
    let mut data_listener: Option<TcpListener> = None;
    let mut active: Option<SocketAddr> = None;
    let mut last_arg = String::new();
    for step in script {
        match step {
            Send(line) => w
                .write_all(format!("{line}\r\n").as_bytes())
                .map_err(|e| format!("sending {line:?}: {e}"))?,
            SendArg(template) => {
                let line = template.replace("{}", &last_arg);
                w.write_all(format!("{line}\r\n").as_bytes())
                    .map_err(|e| format!("sending {line:?}: {e}"))?
            }
            Expect(ref want) | ExpectPrefix(ref want) => {
                let exact = matches!(step, Expect(_));
                let mut line = String::new();
                reader
                    .read_line(&mut line)
                    .map_err(|e| format!("waiting for {want:?}: {e}"))?;
                if line.is_empty() {
                    return Err(format!("client closed; expected {want:?}"));
                }
                if !line.ends_with("\r\n") {
                    return Err(format!("line without CRLF: {line:?}"));
                }
                let got = line.trim_end_matches("\r\n").to_string();
                last_arg = got.split_once(' ').map_or("", |(_, a)| a).to_string();
                seen.lock().unwrap().push(got.clone());
                if (exact && got != *want) || (!exact && !got.starts_with(want.as_str())) {
                    return Err(format!("expected {want:?}, got {got:?}"));
                }
                if let Some(a) = active_addr(&got) {
                    active = Some(a);
                }
            }
            Epsv => {
                let l = TcpListener::bind((w.local_addr().unwrap().ip(), 0)).unwrap();
                let port = l.local_addr().unwrap().port();
                data_listener = Some(l);
                w.write_all(
                    format!("229 Entering Extended Passive Mode (|||{port}|)\r\n").as_bytes(),
                )
                .map_err(|e| e.to_string())?;
            }
            PasvClaiming(ip) => {
                let l = TcpListener::bind("127.0.0.1:0").unwrap();
                let port = l.local_addr().unwrap().port();
                data_listener = Some(l);
                let ip = ip.replace('.', ",");
                w.write_all(
                    format!(
                        "227 Entering Passive Mode ({ip},{},{})\r\n",
                        port >> 8,
                        port & 255
                    )
                    .as_bytes(),
                )
                .map_err(|e| e.to_string())?;
            }
            DataSend(bytes) => {
                let mut d = accept(data_listener.as_ref().ok_or("no data listener")?)?;
                let _ = d.write_all(&bytes);
                drop(d);
            }
            DataTrickle(bytes, interval) => {
                let mut d = accept(data_listener.as_ref().ok_or("no data listener")?)?;
                for b in bytes {
                    if d.write_all(&[b]).is_err() {
                        break;
                    }
                    std::thread::sleep(interval);
                }
            }
            DataRecv => {
                let mut d = accept(data_listener.as_ref().ok_or("no data listener")?)?;
                let mut buf = Vec::new();
                d.read_to_end(&mut buf).map_err(|e| e.to_string())?;
                received.lock().unwrap().extend(buf);
            }
            DataRecvSome(limit) => {
                let d = accept(data_listener.as_ref().ok_or("no data listener")?)?;
                let mut buf = Vec::new();
                let _ = d.take(limit as u64).read_to_end(&mut buf);
                received.lock().unwrap().extend(buf);
            }
            ActiveSend(bytes) => {
                let addr = active.ok_or("no EPRT/PORT address seen")?;
                let mut d = TcpStream::connect(addr).map_err(|e| format!("active connect: {e}"))?;
                let _ = d.write_all(&bytes);
            }
            Raw(bytes) => w.write_all(&bytes).map_err(|e| e.to_string())?,
            Flood(b, total) => {
                let chunk = vec![b; 1 << 20];
                let mut sent = 0;
                while sent < total {
                    if w.write_all(&chunk).is_err() {
                        break;
                    }
                    sent += chunk.len();
                }
            }
            Trickle(line, interval) => {
                for b in line.bytes().chain(*b"\r\n") {
                    if w.write_all(&[b]).is_err() {
                        break;
                    }
                    std::thread::sleep(interval);
                }
            }
            Sleep(d) => std::thread::sleep(d),
            ReadDotBody => {
                let mut body = Vec::new();
                loop {
                    let mut line = Vec::new();
                    reader
                        .read_until(b'\n', &mut line)
                        .map_err(|e| format!("reading the body: {e}"))?;
                    if line.is_empty() {
                        return Err("client closed inside the body".into());
                    }
                    if !line.ends_with(b"\r\n") || line[..line.len() - 2].contains(&b'\r') {
                        return Err(format!(
                            "body line without CRLF or with a bare CR: {:?}",
                            String::from_utf8_lossy(&line)
                        ));
                    }
                    if line == b".\r\n" {
                        break;
                    }
                    body.extend_from_slice(&line);
                }
                seen.lock()
                    .unwrap()
                    .push(format!("<{} body bytes>", body.len()));
                received.lock().unwrap().extend(body);
            }
            Drain => {
                let mut sink = Vec::new();
                let _ = reader.read_to_end(&mut sink);
                for l in String::from_utf8_lossy(&sink).lines() {
                    seen.lock().unwrap().push(l.to_string());
                }
            }
        }
    }
    Ok(())
}

fn accept(l: &TcpListener) -> Result<TcpStream, String> {
    l.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match l.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).unwrap();
                return Ok(s);
            }
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(format!("no data connection: {e}")),
        }
    }
}

/// The address in `EPRT |1|127.0.0.1|port|` or `PORT h1,h2,h3,h4,p1,p2`.
fn active_addr(line: &str) -> Option<SocketAddr> {
    if let Some(arg) = line.strip_prefix("EPRT ") {
        let parts: Vec<&str> = arg.split('|').collect();
        return format!("{}:{}", parts.get(2)?, parts.get(3)?).parse().ok();
    }
    let arg = line.strip_prefix("PORT ")?;
    let n: Vec<u16> = arg.split(',').filter_map(|x| x.parse().ok()).collect();
    if n.len() != 6 {
        return None;
    }
    format!("{}.{}.{}.{}:{}", n[0], n[1], n[2], n[3], n[4] * 256 + n[5])
        .parse()
        .ok()
}

/// The usual opening of an anonymous plain session against vsftpd-like FEAT.
pub fn anon_login() -> Vec<Step> {
    vec![
        s("220 scripted server"),
        e("USER anonymous"),
        s("331 Please specify the password."),
        e("PASS ferry@"),
        s("230 Login successful."),
        e("FEAT"),
        s("211-Features:"),
        s(" EPSV"),
        s(" MDTM"),
        s(" REST STREAM"),
        s(" SIZE"),
        s("211 End"),
    ]
}

/// The end of a session.
pub fn quit() -> Vec<Step> {
    vec![e("QUIT"), s("221 Goodbye.")]
}

/// The REST probe a walk of a LIST-only server makes after listing a root that has subdirectories
/// (`REST n`, `REST 0`), answered without echoing n: STAT listings are never used, the walk goes on with
/// LIST.
pub fn rest_without_echo() -> Vec<Step> {
    vec![
        ExpectPrefix("REST ".into()),
        s("350 Restart position accepted."),
        e("REST 0"),
        s("350 Restart position accepted."),
    ]
}

/// The same probe answered as vsftpd does, echoing n.
pub fn rest_echo() -> Vec<Step> {
    vec![
        ExpectPrefix("REST ".into()),
        SendArg("350 Restart position accepted ({}).".into()),
        e("REST 0"),
        s("350 Restart position accepted (0)."),
    ]
}

/// `STAT -a path` answered with `lines` as vsftpd does, then its pipelined REST guard echoed.
pub fn stat_listing(path: &str, lines: &[&str]) -> Vec<Step> {
    let mut v = vec![e(&format!("STAT -a {path}")), s("213-Status follows:")];
    v.extend(lines.iter().map(|l| s(l)));
    v.push(s("213 End of status"));
    v.extend(rest_echo());
    v
}

/// Concatenates script pieces.
pub fn script(parts: Vec<Vec<Step>>) -> Vec<Step> {
    parts.into_iter().flatten().collect()
}

/// A path to a built binary.
pub fn bin(name: &str) -> PathBuf {
    match name {
        "ftp-get" => PathBuf::from(env!("CARGO_BIN_EXE_ftp-get")),
        "ftp-ls" => PathBuf::from(env!("CARGO_BIN_EXE_ftp-ls")),
        "pop3-fetch" => PathBuf::from(env!("CARGO_BIN_EXE_pop3-fetch")),
        "ftp-put" => PathBuf::from(env!("CARGO_BIN_EXE_ftp-put")),
        "ftp-rm" => PathBuf::from(env!("CARGO_BIN_EXE_ftp-rm")),
        "imap-fetch" => PathBuf::from(env!("CARGO_BIN_EXE_imap-fetch")),
        "imap-mailbox" => PathBuf::from(env!("CARGO_BIN_EXE_imap-mailbox")),
        "imap-message" => PathBuf::from(env!("CARGO_BIN_EXE_imap-message")),
        "smtp-send" => PathBuf::from(env!("CARGO_BIN_EXE_smtp-send")),
        other => panic!("unknown binary {other}"),
    }
}

/// Result of running a binary.
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs a binary with `args` in `cwd`, an empty HOME (no ~/.netrc, no config) and no stdin; kills it
/// and fails the test after 60 s.
pub fn run_in(cwd: &Path, name: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    run_program(&bin(name), cwd, args, env, None)
}

/// Like [`run_in`], with `stdin` as the standard input (None: no input at all).
pub fn run_with_stdin(
    cwd: &Path,
    name: &str,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<Vec<u8>>,
) -> Run {
    run_program(&bin(name), cwd, args, env, stdin)
}

/// Like [`run_in`] for any program path (a symlink to a binary, say), with `stdin` fed to it when given.
pub fn run_program(
    program: &Path,
    cwd: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<Vec<u8>>,
) -> Run {
    let name = program.display().to_string();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let out_pipe = child.stdout.take().unwrap();
    let err_pipe = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = { out_pipe }.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = { err_pipe }.read_to_end(&mut v);
        v
    });
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{name} {args:?} hung for 60 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let stdout = out_t.join().unwrap();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap()).into_owned();
    Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
        elapsed,
    }
}

/// Like [`run_in`] in a fresh temporary directory, returned with the result.
pub fn run(name: &str, args: &[&str]) -> (Run, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(dir.path(), name, args, &[]);
    (r, dir)
}

/// Checks the exit code, printing stderr on mismatch.
#[track_caller]
pub fn assert_code(r: &Run, code: i32) {
    assert_eq!(r.code, code, "exit code; stderr:\n{}", r.stderr);
    assert!(r.code != 101, "panicked:\n{}", r.stderr);
}

/// The names in a directory, sorted.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The contents of every file in a directory, sorted (for checking deliveries byte for byte whatever
/// names the store chose).
pub fn contents_in(dir: &Path) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    v.sort();
    v
}

/// The lines a [`Server::start_sessions`] server saw, split per connection (the `--- session n` markers
/// dropped).
pub fn per_session(seen: &[String]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for line in seen {
        if line.starts_with("--- session ") {
            out.push(Vec::new());
        } else if let Some(cur) = out.last_mut() {
            cur.push(line.clone());
        }
    }
    out
}

/// Runs a binary like [`run_in`] with the largest file it may write capped at `limit` bytes
/// (RLIMIT_FSIZE): a write past it ends the process with SIGXFSZ, as a `kill -9` would at exactly that
/// point. Returns the exit code (None when a signal ended it) and stderr.
pub fn run_with_file_size_limit(
    cwd: &Path,
    name: &str,
    args: &[&str],
    limit: u64,
) -> (Option<i32>, String) {
    use std::os::unix::process::CommandExt;
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(bin(name));
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let lim = libc::rlimit {
        rlim_cur: limit as libc::rlim_t,
        rlim_max: limit as libc::rlim_t,
    };
    // SAFETY: setrlimit is async-signal-safe and touches nothing of the parent.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn");
    let err_pipe = child.stderr.take().unwrap();
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = { err_pipe }.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{name} {args:?} hung for 60 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap()).into_owned();
    (status.code(), stderr)
}

/// The contents of every file in a Maildir's `new/` and `cur/`, sorted.
pub fn maildir_messages(dir: &Path) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
            for e in entries {
                v.push(std::fs::read(e.unwrap().path()).unwrap());
            }
        }
    }
    v.sort();
    v
}

impl Server {
    /// The client lines seen so far, while the script is still running (to wait for a point in it).
    pub fn seen_now(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// Starts a binary like [`run_in`] without waiting for it (stdin piped when `stdin`, else none), for
/// tests that signal it mid-run.
pub fn spawn_in(
    cwd: &Path,
    name: &str,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: bool,
) -> std::process::Child {
    let mut cmd = Command::new(bin(name));
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", cwd)
        .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn")
}

/// Waits up to `limit` for `cond`; false when it never held.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

/// Sends `signal` to `child`, waits (at most 20 s) for it to end and returns its exit code (None: killed
/// by a signal) and stderr.
pub fn signal_and_wait(child: &mut std::process::Child, signal: i32) -> (Option<i32>, String) {
    // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("still running 20 s after signal {signal}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    (status.code(), err)
}

/// The scripted DNS server of the `smtp-send --mx` tests.
pub mod dns;
/// One step of a [`ScriptedProxy`] connection.
#[derive(Clone)]
pub enum ProxyStep {
    /// Read exactly these bytes from the client (asserted).
    Want(Vec<u8>),
    /// Send these bytes to the client.
    Answer(Vec<u8>),
    /// Say nothing for this long, keeping the connection open.
    Pause(Duration),
    /// SOCKS5 CONNECT: read exactly these request bytes (version, command, address) and then the two port
    /// bytes, reply success and relay to 127.0.0.1 at that port (the name or address in the request stands
    /// for the scripted server, which only the proxy can reach: remote DNS).
    Socks5Relay(Vec<u8>),
    /// HTTP CONNECT: read the request head and assert it equals this text with `{port}` replaced by the
    /// port it asks for; answer 200 and relay to 127.0.0.1 at that port.
    HttpRelay(String),
}

/// A SOCKS5 / HTTP CONNECT proxy on 127.0.0.1 that asserts the exact handshake bytes of each connection
/// (`scripts[n]` for the n-th) and then relays to the scripted server behind it.
pub struct ScriptedProxy {
    pub addr: SocketAddr,
    handle: Option<JoinHandle<Result<(), String>>>,
}

impl ScriptedProxy {
    pub fn start(scripts: Vec<Vec<ProxyStep>>) -> ScriptedProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            let mut threads = Vec::new();
            for (n, script) in scripts.into_iter().enumerate() {
                let c =
                    accept_control(&listener).map_err(|e| format!("proxy connection {n}: {e}"))?;
                threads.push(std::thread::spawn(move || {
                    proxy_session(c, script).map_err(|e| format!("proxy connection {n}: {e}"))
                }));
            }
            for t in threads {
                t.join()
                    .unwrap_or_else(|_| Err("proxy thread panicked".into()))?;
            }
            Ok(())
        });
        ScriptedProxy {
            addr,
            handle: Some(handle),
        }
    }

    /// Waits for every scripted connection to end; panics if a handshake differed from the script.
    pub fn finish(mut self) {
        if let Err(e) = self.handle.take().unwrap().join().expect("proxy panicked") {
            panic!("proxy script failed: {e}");
        }
    }
}

fn proxy_session(mut c: TcpStream, script: Vec<ProxyStep>) -> Result<(), String> {
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let read_n = |c: &mut TcpStream, n: usize| -> Result<Vec<u8>, String> {
        let mut b = vec![0u8; n];
        c.read_exact(&mut b)
            .map_err(|e| format!("reading {n} bytes: {e}"))?;
        Ok(b)
    };
    for step in script {
        match step {
            ProxyStep::Want(want) => {
                let got = read_n(&mut c, want.len())?;
                if got != want {
                    return Err(format!("expected {want:?}, got {got:?}"));
                }
            }
            ProxyStep::Answer(bytes) => c.write_all(&bytes).map_err(|e| e.to_string())?,
            ProxyStep::Pause(d) => std::thread::sleep(d),
            ProxyStep::Socks5Relay(want) => {
                let got = read_n(&mut c, want.len())?;
                if got != want {
                    return Err(format!(
                        "expected request {want:?}, got {got:?} ({:?})",
                        String::from_utf8_lossy(&got)
                    ));
                }
                let p = read_n(&mut c, 2)?;
                let port = u16::from_be_bytes([p[0], p[1]]);
                c.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])
                    .map_err(|e| e.to_string())?;
                return relay(c, port);
            }
            ProxyStep::HttpRelay(want) => {
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    head.extend(read_n(&mut c, 1)?);
                }
                let head = String::from_utf8(head).map_err(|e| e.to_string())?;
                let port: u16 = head
                    .split_whitespace()
                    .nth(1)
                    .and_then(|a| a.rsplit(':').next())
                    .and_then(|p| p.parse().ok())
                    .ok_or(format!("no port in {head:?}"))?;
                let want = want.replace("{port}", &port.to_string());
                if head != want {
                    return Err(format!("expected head {want:?}, got {head:?}"));
                }
                c.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .map_err(|e| e.to_string())?;
                return relay(c, port);
            }
        }
    }
    Ok(())
}

/// Copies bytes both ways between the client and 127.0.0.1:`port` until both sides have closed.
fn relay(client: TcpStream, port: u16) -> Result<(), String> {
    let server = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("relay: {e}"))?;
    client
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let up = std::thread::spawn(move || {
        let mut client = client;
        let mut server = server;
        let _ = std::io::copy(&mut client, &mut server);
        let _ = server.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut s2, &mut c2);
    let _ = c2.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
    Ok(())
}

/// SOCKS5 CONNECT request bytes up to (not including) the port, for host name `name` (remote DNS).
pub fn socks5_name(name: &str) -> Vec<u8> {
    let mut v = vec![5, 1, 0, 3, name.len() as u8];
    v.extend_from_slice(name.as_bytes());
    v
}

/// A one-connection server that records the client's address and says `421` (for `--bind` and `-4`/`-6`).
pub fn peer_recorder(bind: &str) -> (SocketAddr, JoinHandle<Option<SocketAddr>>) {
    let l = TcpListener::bind(bind).unwrap();
    let addr = l.local_addr().unwrap();
    let h = std::thread::spawn(move || {
        l.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok((mut s, peer)) = l.accept() {
                let _ = s.write_all(b"421 recorded\r\n");
                return Some(peer);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    });
    (addr, h)
}

/// Stderr of a `-v` run without its protocol transcript (`> `, `< `, `* ` lines): the notes and
/// summaries a run prints on a terminal, which off a terminal need `-v` (quiet success).
pub fn without_transcript(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| !(l.starts_with("> ") || l.starts_with("< ") || l.starts_with("* ")))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// How many files a `--json` run reports as transferred.
pub fn transferred(r: &Run) -> usize {
    let compact: String = r.stdout_str().split_whitespace().collect();
    compact.matches(r#""status":"ok""#).count()
}

/// Writes `body` to `path` (creating its directory) with the modification time `t`.
pub fn write_at(path: &std::path::Path, body: &[u8], t: std::time::SystemTime) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, body).unwrap();
    set_mtime(path, t);
}

/// The test process's umask (the tools it starts inherit it).
pub fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .map(|v| u32::from_str_radix(v.trim(), 8).unwrap())
        .unwrap()
}

/// Gives `path` the permission bits `mode`.
pub fn chmod(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The permission bits of `path`.
pub fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Sets `path`'s modification time to `t`.
pub fn set_mtime(path: &std::path::Path, t: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// Every file under `root`: relative path, contents and modification time (whole seconds).
pub fn tree_of(root: &std::path::Path) -> Vec<(String, Vec<u8>, u64)> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<(String, Vec<u8>, u64)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let t = std::fs::metadata(&p).unwrap().modified().unwrap();
                let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap(), secs));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}
