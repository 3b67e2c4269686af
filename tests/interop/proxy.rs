//! Through real proxies (tests/interop/proxy: Dante and microsocks for SOCKS5, tinyproxy for HTTP CONNECT)
//! to the real servers: ftp-get (control and passive data connections, plain and FTPS with session
//! reuse), smtp-send to Postfix and pop3-fetch from Dovecot. The URLs name `localhost`: with socks5h://
//! the proxy resolves it, and TLS is verified against that name through the tunnel.

use std::collections::HashMap;

use super::mailbox::{dovecot_user, seed};
use crate::support::*;

/// The settings of the proxies and of `server`, or None (skip) when either is not running.
fn cfg(server: &str) -> Option<HashMap<String, String>> {
    super::server(server)?;
    super::server("proxy")
}

/// `127.0.0.1:PORT` → `localhost:PORT`.
fn localhost(addr: &str) -> String {
    addr.replace("127.0.0.1", "localhost")
}

/// Every kind of proxy the tests go through: Dante (socks5h:// and socks5://), microsocks with a user
/// (socks5h://), tinyproxy without and with Basic authentication.
fn proxies(c: &HashMap<String, String>) -> Vec<String> {
    let auth = format!("{}:{}", c["FERRY_SOCKS5_USER"], c["FERRY_SOCKS5_PASSWORD"]);
    vec![
        format!("socks5h://{}", c["FERRY_SOCKS5"]),
        format!("socks5://{}", c["FERRY_SOCKS5"]),
        format!("socks5h://{auth}@{}", c["FERRY_SOCKS5_AUTH"]),
        format!("http://{}", c["FERRY_HTTP_PROXY"]),
        format!("http://{auth}@{}", c["FERRY_HTTP_PROXY_AUTH"]),
    ]
}

#[test]
#[cfg_attr(
    not(all(ferry_interop_proxy, ferry_interop_vsftpd)),
    ignore = "the proxies or vsftpd are not running: tests/interop/start.sh starts them"
)]
fn ftp_get_through_every_proxy_with_its_data_connections() {
    let Some(c) = cfg("vsftpd") else { return };
    for proxy in proxies(&c) {
        let plain = format!("ftp://{}/pub/small.txt", localhost(&c["FERRY_FTP_PLAIN"]));
        let (r, _d) = run("ftp-get", &["--proxy", &proxy, "-o", "-", &plain]);
        assert_code(&r, 0);
        assert_eq!(r.stdout, b"hello from vsftpd\n", "{proxy}");
        // Explicit FTPS with require_ssl_reuse=YES: the data connection's TLS resumes the control
        // session through its own tunnel; implicit FTPS: TLS from the first byte, over the tunnel.
        let explicit = format!(
            "ftp://{}/pub/small.txt",
            localhost(&c["FERRY_FTP_EXPLICIT"])
        );
        let implicit = format!(
            "ftps://{}/pub/small.txt",
            localhost(&c["FERRY_FTP_IMPLICIT"])
        );
        for (url, starttls) in [(explicit, true), (implicit, false)] {
            let mut args = vec!["--proxy", &proxy, "--cacert", &c["FERRY_CA"], "-o", "-"];
            if starttls {
                args.push("--starttls");
            }
            args.push(&url);
            let (r, _d) = run("ftp-get", &args);
            assert_code(&r, 0);
            assert_eq!(r.stdout, b"hello from vsftpd\n", "{proxy} {url}");
        }
    }
}

#[test]
#[cfg_attr(
    not(all(ferry_interop_proxy, ferry_interop_vsftpd)),
    ignore = "the proxies or vsftpd are not running: tests/interop/start.sh starts them"
)]
fn wrong_proxy_credentials_are_exit_5_and_env_variables_choose_the_proxy() {
    let Some(c) = cfg("vsftpd") else { return };
    let url = format!("ftp://{}/pub/small.txt", localhost(&c["FERRY_FTP_PLAIN"]));
    for proxy in [
        format!(
            "socks5h://{}:wrong@{}",
            c["FERRY_SOCKS5_USER"], c["FERRY_SOCKS5_AUTH"]
        ),
        format!(
            "http://{}:wrong@{}",
            c["FERRY_SOCKS5_USER"], c["FERRY_HTTP_PROXY_AUTH"]
        ),
    ] {
        let (r, _d) = run("ftp-get", &["--proxy", &proxy, "-o", "-", &url]);
        assert_code(&r, 5);
        assert!(
            r.stderr.starts_with("ftp-get: error: proxy "),
            "{}",
            r.stderr
        );
    }
    // ftp_proxy names the authenticating proxy; without its credentials the run must fail, so a
    // success proves NO_PROXY sent it direct.
    let dir = tempfile::tempdir().unwrap();
    let no_creds = format!("socks5h://{}", c["FERRY_SOCKS5_AUTH"]);
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-o", "-", &url],
        &[("ftp_proxy", &no_creds)],
    );
    assert_code(&r, 5);
    let r = run_in(
        dir.path(),
        "ftp-get",
        &["-o", "-", &url],
        &[("ftp_proxy", &no_creds), ("no_proxy", "localhost")],
    );
    assert_code(&r, 0);
}

#[test]
#[cfg_attr(
    not(all(ferry_interop_proxy, ferry_interop_postfix)),
    ignore = "the proxies or postfix are not running: tests/interop/start.sh starts them"
)]
fn smtp_send_through_socks5_and_connect() {
    let Some(c) = cfg("postfix") else { return };
    let dir = tempfile::tempdir().unwrap();
    for proxy in proxies(&c) {
        let token = format!(
            "proxy.{}.{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let url = format!(
            "smtp://{}@{}",
            c["FERRY_SMTP_USER"],
            localhost(&c["FERRY_SMTP_SUBMISSION"])
        );
        let r = run_in(
            dir.path(),
            "smtp-send",
            &[
                &url,
                "--proxy",
                &proxy,
                "--starttls",
                "--cacert",
                &c["FERRY_CA"],
                "--from",
                "ann@example.com",
                "--to",
                "bob@example.org",
                "--subject",
                &token,
                "--body",
                "through a proxy",
            ],
            &[("FERRY_PASSWORD", &c["FERRY_SMTP_PASSWORD"])],
        );
        assert_code(&r, 0);
        super::smtp::delivered(&c, &token, 1);
    }
}

#[test]
#[cfg_attr(
    not(all(ferry_interop_proxy, ferry_interop_dovecot)),
    ignore = "the proxies or dovecot are not running: tests/interop/start.sh starts them"
)]
fn pop3_fetch_through_socks5_and_connect() {
    let Some(c) = cfg("dovecot") else { return };
    let (user, password, maildir) = dovecot_user(&c, "proxy-pop3");
    for (i, proxy) in proxies(&c).into_iter().enumerate() {
        let msg = format!("From: a@example.org\nSubject: via proxy {i}\n\nbody {i}\n").into_bytes();
        seed(&maildir, std::slice::from_ref(&msg));
        // STLS on the plain port through the first proxies, implicit TLS through the others.
        let url = if i % 2 == 0 {
            format!("pop3://{user}@{}", localhost(&c["FERRY_POP3"]))
        } else {
            format!("pop3s://{user}@{}", localhost(&c["FERRY_POP3S"]))
        };
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut args = vec![
            url.as_str(),
            "--proxy",
            &proxy,
            "--cacert",
            &c["FERRY_CA"],
            "--delete",
            "--dir",
            out.to_str().unwrap(),
        ];
        if i % 2 == 0 {
            args.push("--starttls");
        }
        let r = run_in(
            dir.path(),
            "pop3-fetch",
            &args,
            &[("FERRY_PASSWORD", &password)],
        );
        assert_code(&r, 0);
        let got: Vec<Vec<u8>> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .collect();
        assert_eq!(got.len(), 1, "{proxy}");
        assert_eq!(
            got[0]
                .iter()
                .filter(|&&b| b != b'\r')
                .copied()
                .collect::<Vec<u8>>(),
            msg,
            "{proxy}"
        );
    }
}
