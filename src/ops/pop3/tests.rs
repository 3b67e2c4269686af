//! The pop3-fetch run driven without clap: [`Options`] built in code, a [`Ui`] that captures, and a
//! canned loopback server whose connections answer from a fixed reply stream while the client's lines
//! are recorded.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::fetch::{Options, run};
use crate::error::ErrorKind;
use crate::ops::Outcome;
use crate::ops::common::{NetOptions, OutputMode, RetryPolicy, Ui};
use crate::pop3::Login;
use crate::store::Target as StoreTarget;
use crate::url::{Scheme, Target};

/// One connection's replies, written at once (POP3 clients read replies in order, so a server may answer
/// ahead); `cut`: the connection is closed after them instead of waiting for the client.
struct Canned {
    replies: String,
    cut: bool,
}

/// A server answering each accepted connection from the next [`Canned`]; returns the client lines per
/// connection once stopped.
struct CannedServer {
    port: u16,
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Vec<String>>,
}

impl CannedServer {
    fn start(conns: Vec<Canned>) -> CannedServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut conns = conns.into_iter();
            while !stop2.load(Ordering::SeqCst) {
                let Ok((mut sock, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                };
                sock.set_nonblocking(false).unwrap();
                let Some(c) = conns.next() else {
                    seen.push("<unexpected connection>".to_string());
                    continue;
                };
                sock.write_all(c.replies.replace('\n', "\r\n").as_bytes())
                    .unwrap();
                if c.cut {
                    sock.shutdown(Shutdown::Write).unwrap();
                }
                let mut got = Vec::new();
                let _ = sock.read_to_end(&mut got);
                seen.push(String::from_utf8_lossy(&got).replace("\r\n", "|"));
            }
            seen
        });
        CannedServer { port, stop, handle }
    }

    fn finish(self) -> Vec<String> {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().unwrap()
    }
}

const OPEN: &str = "+OK ready\n+OK\nUSER\n.\n+OK\n+OK in\n+OK\nUSER\n.\n";
const OPENED: &str = "CAPA|USER ann|PASS pw|CAPA|";

fn options(port: u16, dir: &std::path::Path, retries: u32) -> Options {
    Options {
        server: Target::parse(&format!("pop3://ann:pw@127.0.0.1:{port}"), &[Scheme::Pop3]).unwrap(),
        net: NetOptions {
            timeout: Duration::from_secs(10),
            retry: RetryPolicy {
                retries,
                base: Duration::from_millis(1),
                cap: Duration::from_millis(2),
            },
            ..NetOptions::default()
        },
        login: Login::Default,
        output: StoreTarget::Maildir(dir.join("M")),
        state: None,
        select: Vec::new(),
        list: false,
        delete: false,
        new_only: false,
        top: None,
        max_size: None,
        max_messages: None,
        delete_after_days: None,
    }
}

fn stored(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("M/new"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    v.sort();
    v
}

const LISTING: &str = "+OK 2 20\n+OK\n1 10\n2 10\n.\n+OK\n1 a\n2 b\n.\n";

#[test]
fn a_dropped_session_is_resumed_from_what_is_durable() {
    let first = format!("{OPEN}{LISTING}+OK\nSubject: a\n\nA\n.\n+OK\nSubject: b\n");
    let second = format!("{OPEN}{LISTING}+OK\nSubject: b\n\nB\n.\n+OK bye\n");
    let srv = CannedServer::start(vec![
        Canned {
            replies: first,
            cut: true,
        },
        Canned {
            replies: second,
            cut: false,
        },
    ]);
    let dir = tempfile::tempdir().unwrap();
    let ui = Ui::capturing("pop3-fetch", OutputMode::default());
    let outcome = run(&options(srv.port, dir.path(), 1), &ui).unwrap();
    assert_eq!(outcome, Outcome::Success);
    assert_eq!(
        ui.captured(),
        "pop3-fetch: the server closed the connection before the end of a multi-line response; retrying (1/1)\n\
         pop3-fetch: 2 fetched, 0 skipped, 0 failed, 0 deleted\n"
    );
    assert_eq!(
        srv.finish(),
        [
            format!("{OPENED}STAT|LIST|UIDL|RETR 1|RETR 2|"),
            format!("{OPENED}STAT|LIST|UIDL|RETR 2|QUIT|"),
        ]
    );
    assert_eq!(
        stored(dir.path()),
        ["Subject: a\n\nA\n", "Subject: b\n\nB\n"]
    );
}

#[test]
fn without_uidl_only_the_opening_is_retried() {
    let no_uidl = "+OK 2 20\n+OK\n1 10\n2 10\n.\n-ERR no UIDL\n";
    let busy = Canned {
        replies: "-ERR [SYS/TEMP] busy\n".into(),
        cut: true,
    };
    let dropping = Canned {
        replies: format!("{OPEN}{no_uidl}+OK\nSubject: a\n\nA\n.\n+OK\nSubject: b\n"),
        cut: true,
    };
    let unused = Canned {
        replies: String::new(),
        cut: true,
    };
    let srv = CannedServer::start(vec![busy, dropping, unused]);
    let dir = tempfile::tempdir().unwrap();
    let ui = Ui::capturing("pop3-fetch", OutputMode::default());
    let outcome = run(&options(srv.port, dir.path(), 3), &ui).unwrap();
    // One message stored, then a run-ending error: partial, and no third connection.
    assert_eq!(outcome, Outcome::Partial);
    assert_eq!(
        ui.captured(),
        "pop3-fetch: greeting: -ERR [SYS/TEMP] busy; retrying (1/3)\n\
         pop3-fetch: 1 fetched, 0 skipped, 0 failed, 0 deleted\n\
         pop3-fetch: error: the server closed the connection before the end of a multi-line response\n"
    );
    assert_eq!(
        srv.finish(),
        ["", &format!("{OPENED}STAT|LIST|UIDL|RETR 1|RETR 2|")]
    );
    assert_eq!(stored(dir.path()), ["Subject: a\n\nA\n"]);
}

#[test]
fn a_permanent_failure_is_not_retried_and_json_hides_item_errors() {
    let srv = CannedServer::start(vec![Canned {
        replies: format!("{OPEN}{LISTING}-ERR gone\n-ERR gone too\n+OK\n"),
        cut: false,
    }]);
    let dir = tempfile::tempdir().unwrap();
    let ui = Ui::capturing(
        "pop3-fetch",
        OutputMode {
            json: true,
            ..OutputMode::default()
        },
    );
    let outcome = run(&options(srv.port, dir.path(), 2), &ui);
    assert_eq!(outcome.unwrap(), Outcome::Failed(ErrorKind::Permanent));
    assert_eq!(
        ui.captured(),
        "",
        "--json: per-message errors are in the document"
    );
    assert_eq!(
        srv.finish(),
        [format!("{OPENED}STAT|LIST|UIDL|RETR 1|RETR 2|QUIT|")]
    );
}
