//! `--limit-rate` on ftp-get, ftp-put and ftp-ls against the scripted server: the transcript and the bytes are
//! those of an unlimited transfer, and the transfer cannot finish sooner than the rate allows. (The rate
//! arithmetic itself is unit-tested on a fake clock in `src/ratelimit.rs`; the lower bound here cannot
//! flake, since a sleep never ends early.)

use std::time::Duration;

use crate::support::*;

/// 60 000 bytes at 100 000 bytes/s, 10 000 of them from the full bucket: at least 0.5 s.
const BODY: usize = 60_000;
const RATE: &str = "100000";
const AT_LEAST: Duration = Duration::from_millis(500);

fn body() -> Vec<u8> {
    (0..BODY).map(|i| (i % 251) as u8).collect()
}

#[test]
fn ftp_get_limit_rate() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 Switching to Binary mode."),
            e("SIZE f"),
            s(&format!("213 {BODY}")),
            e("EPSV"),
            Epsv,
            e("RETR f"),
            s("150 Opening BINARY mode data connection."),
            DataSend(body()),
            s("226 Transfer complete."),
        ],
        quit(),
    ]));
    let (r, dir) = run("ftp-get", &["--limit-rate", RATE, &srv.url("f")]);
    assert_code(&r, 0);
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), body());
    assert!(r.elapsed >= AT_LEAST, "{:?}", r.elapsed);
    srv.finish();
}

#[test]
fn ftp_put_limit_rate() {
    let srv = Server::start(script(vec![
        anon_login(),
        vec![
            e("TYPE I"),
            s("200 Switching to Binary mode."),
            e("EPSV"),
            Epsv,
            e("STOR f"),
            s("150 Ok to send data."),
            DataRecv,
            s("226 Transfer complete."),
        ],
        quit(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), body()).unwrap();
    let r = run_in(
        dir.path(),
        "ftp-put",
        &["--limit-rate", "100k", "f", &srv.url("")],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(srv.data_received(), body());
    // 100k is 102 400 bytes/s: (60 000 - 10 240) / 102 400 s.
    assert!(r.elapsed >= Duration::from_millis(480), "{:?}", r.elapsed);
    srv.finish();
}

#[test]
fn limit_rate_zero_or_nonsense_is_a_usage_error() {
    for bad in ["0", "fast", "10X", "-5"] {
        let (r, _d) = run("ftp-get", &["--limit-rate", bad, "ftp://127.0.0.1:9/f"]);
        assert_code(&r, 2);
    }
}

#[test]
fn ftp_ls_limit_rate_meters_the_listing() {
    // A listing of at least BODY bytes: listings are transfers too.
    let lines: Vec<String> = (0..BODY / 60 + 1)
        .map(|i| format!("-rw-r--r--    1 0        0            1234 Mar 05  2021 file-{i:06}\r\n"))
        .collect();
    let body = lines.concat();
    assert!(body.len() >= BODY);
    let srv = Server::start(script(vec![
        vec![
            s("220 hi"),
            e("USER anonymous"),
            s("230 ok"),
            e("FEAT"),
            s("500 FEAT not understood"),
            e("EPSV"),
            Epsv,
            e("LIST pub"),
            s("150 Here comes the listing."),
            DataSend(body.into_bytes()),
            s("226 ok"),
        ],
        quit(),
    ]));
    let (r, _d) = run("ftp-ls", &["-l", "--limit-rate", RATE, &srv.url("pub/")]);
    srv.finish();
    assert_code(&r, 0);
    assert_eq!(r.stdout_str().lines().count(), lines.len());
    assert!(r.elapsed >= AT_LEAST, "{:?}", r.elapsed);
}

/// A listing that takes longer than --timeout only because of --limit-rate is no timeout: the
/// limiter's waits are the client's (a listing must otherwise arrive whole within --timeout).
#[test]
fn a_listing_slowed_by_limit_rate_beyond_the_timeout_is_no_timeout() {
    let lines: Vec<String> = (0..500)
        .map(|i| format!("-rw-r--r--    1 0        0            1234 Mar 05  2021 file-{i:06}\r\n"))
        .collect();
    let body = lines.concat();
    assert!(body.len() >= 30_000);
    let srv = Server::start(script(vec![
        vec![
            s("220 hi"),
            e("USER anonymous"),
            s("230 ok"),
            e("FEAT"),
            s("500 FEAT not understood"),
            e("EPSV"),
            Epsv,
            e("LIST pub"),
            s("150 Here comes the listing."),
            DataSend(body.into_bytes()),
            s("226 ok"),
        ],
        quit(),
    ]));
    let args = [
        "-l",
        "--timeout",
        "1",
        "--limit-rate",
        "10000",
        &srv.url("pub/"),
    ];
    let (r, _d) = run("ftp-ls", &args);
    srv.finish();
    assert_code(&r, 0);
    assert_eq!(r.stdout_str().lines().count(), lines.len());
    assert!(r.elapsed >= Duration::from_secs(2), "{:?}", r.elapsed);
}
