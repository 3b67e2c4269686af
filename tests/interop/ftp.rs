//! ftp-get / ftp-ls against the real vsftpd.

use std::collections::HashMap;

use crate::support::*;

fn cfg() -> Option<HashMap<String, String>> {
    super::server("vsftpd")
}

fn sha256(path: &std::path::Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string()
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn plain_anonymous_small_space_and_utf8_names() {
    let Some(c) = cfg() else { return };
    let p = &c["FERRY_FTP_PLAIN"];
    let (r, dir) = run(
        "ftp-get",
        &[
            &format!("ftp://{p}/pub/small.txt"),
            &format!("ftp://{p}/pub/space%20name.txt"),
            &format!("ftp://{p}/pub/%C3%BCn%C3%AFc%C3%B8d%C3%A9.txt"),
        ],
    );
    assert_code(&r, 0);
    assert_eq!(
        names_in(dir.path()),
        vec!["small.txt", "space name.txt", "ünïcødé.txt"]
    );
    for n in ["small.txt", "space name.txt", "ünïcødé.txt"] {
        let want = std::fs::read(format!("{}/pub/{n}", c["FERRY_FTP_ANON"])).unwrap();
        assert_eq!(std::fs::read(dir.path().join(n)).unwrap(), want, "{n}");
    }
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn explicit_ftps_ten_files_on_one_session_resume_tls_sessions() {
    let Some(c) = cfg() else { return };
    for version in [["--tls-max", "1.2"], ["--tls-min", "1.3"]] {
        let url = format!("ftp://{}/pub/ten/*.bin", c["FERRY_FTP_EXPLICIT"]);
        let (r, dir) = run(
            "ftp-get",
            &[
                "-v",
                "--starttls",
                "--cacert",
                &c["FERRY_CA"],
                version[0],
                version[1],
                &url,
            ],
        );
        assert_code(&r, 0);
        assert_eq!(names_in(dir.path()).len(), 10);
        let want = if version[1] == "1.2" {
            "TLSv1_2"
        } else {
            "TLSv1_3"
        };
        assert!(
            r.stderr.contains(&format!("TLS established: {want}")),
            "{}",
            r.stderr
        );
        assert_eq!(
            r.stderr
                .matches("data connection: TLS session resumed")
                .count(),
            11,
            "{}",
            r.stderr
        );
        assert_eq!(r.stderr.matches("> USER").count(), 1, "one session");
        for i in 0..10 {
            let n = format!("file{i}.bin");
            let want = std::fs::read(format!("{}/pub/ten/{n}", c["FERRY_FTP_ANON"])).unwrap();
            assert_eq!(std::fs::read(dir.path().join(&n)).unwrap(), want);
        }
    }
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn implicit_ftps_100_mib_file() {
    let Some(c) = cfg() else { return };
    let url = format!("ftps://{}/pub/big.bin", c["FERRY_FTP_IMPLICIT"]);
    let (r, dir) = run("ftp-get", &["--cacert", &c["FERRY_CA"], &url]);
    assert_code(&r, 0);
    assert_eq!(sha256(&dir.path().join("big.bin")), c["FERRY_BIG_SHA256"]);
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn resume_a_partial_100_mib_file() {
    let Some(c) = cfg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read(format!("{}/pub/big.bin", c["FERRY_FTP_ANON"])).unwrap();
    std::fs::write(dir.path().join("big.bin"), &full[..12_345_678]).unwrap();
    let url = format!("ftp://{}/pub/big.bin", c["FERRY_FTP_PLAIN"]);
    let r = run_in(dir.path(), "ftp-get", &["-c", "-v", &url], &[]);
    assert_code(&r, 0);
    assert!(r.stderr.contains("> REST 12345678"), "{}", r.stderr);
    assert_eq!(sha256(&dir.path().join("big.bin")), c["FERRY_BIG_SHA256"]);
    assert_eq!(names_in(dir.path()), vec!["big.bin"]);
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn local_user_over_tls_with_password_file_and_netrc() {
    let Some(c) = cfg() else { return };
    let home = &c["FERRY_FTP_HOME"];
    std::fs::write(format!("{home}/mine.txt"), b"local user file\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pwfile = dir.path().join("pw");
    std::fs::write(&pwfile, format!("{}\n", c["FERRY_FTP_PASSWORD"])).unwrap();
    let url = format!("ftp://{}/mine.txt", c["FERRY_FTP_EXPLICIT"]);
    let r = run_in(
        dir.path(),
        "ftp-get",
        &[
            "--starttls",
            "--cacert",
            &c["FERRY_CA"],
            "--user",
            "ferry",
            "--password-file",
            pwfile.to_str().unwrap(),
            "-o",
            "-",
            &url,
        ],
        &[],
    );
    assert_code(&r, 0);
    assert_eq!(r.stdout, b"local user file\n");
    // netrc: machine + login must match; the wrong login's entry is not used.
    let netrc = dir.path().join("netrc");
    std::fs::write(&netrc, format!("machine 127.0.0.1 login other password nope\nmachine 127.0.0.1 login ferry password {}\n", c["FERRY_FTP_PASSWORD"])).unwrap();
    let url = format!("ftp://ferry@{}/", c["FERRY_FTP_EXPLICIT"]);
    let r = run_in(
        dir.path(),
        "ftp-ls",
        &[
            "--starttls",
            "--cacert",
            &c["FERRY_CA"],
            "--netrc-file",
            netrc.to_str().unwrap(),
            &url,
        ],
        &[],
    );
    assert_code(&r, 0);
    assert!(r.stdout_str().contains("mine.txt"), "{}", r.stdout_str());
    // A wrong password is exit 5.
    let r = run_in(
        dir.path(),
        "ftp-ls",
        &[
            "--starttls",
            "--cacert",
            &c["FERRY_CA"],
            &format!("ftp://ferry:wrong@{}/", c["FERRY_FTP_EXPLICIT"]),
        ],
        &[],
    );
    assert_code(&r, 5);
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn certificate_verification_is_on_by_default() {
    let Some(c) = cfg() else { return };
    let url = format!("ftps://{}/pub/small.txt", c["FERRY_FTP_IMPLICIT"]);
    let (r, _d) = run("ftp-get", &["-o", "-", &url]);
    assert_code(&r, 4);
    let (r, _d) = run(
        "ftp-get",
        &["-o", "-", "--cacert", &c["FERRY_OTHER_CA"], &url],
    );
    assert_code(&r, 4);
    let (r, _d) = run("ftp-get", &["-o", "-", "--insecure", &url]);
    assert_code(&r, 0);
    assert!(r.stderr.contains("--insecure"), "{}", r.stderr);
    // AUTH TLS against the plain-only server is refused: exit 4, never a plain fallback.
    let (r, _d) = run(
        "ftp-get",
        &[
            "--starttls",
            "-o",
            "-",
            &format!("ftp://{}/pub/small.txt", c["FERRY_FTP_PLAIN"]),
        ],
    );
    assert_code(&r, 4);
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn passive_variants_and_active_mode() {
    let Some(c) = cfg() else { return };
    let url = format!("ftp://{}/pub/small.txt", c["FERRY_FTP_PLAIN"]);
    for flag in ["--no-epsv", "--active"] {
        let (r, _d) = run("ftp-get", &["-o", "-", flag, "-v", &url]);
        assert_code(&r, 0);
        assert_eq!(r.stdout, b"hello from vsftpd\n");
        let cmd = if flag == "--active" {
            "> EPRT"
        } else {
            "> PASV"
        };
        assert!(r.stderr.contains(cmd), "{}", r.stderr);
    }
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn ls_long_recursive_and_json() {
    let Some(c) = cfg() else { return };
    let url = format!("ftp://{}/pub/tree/", c["FERRY_FTP_PLAIN"]);
    let (r, _d) = run("ftp-ls", &["-R", &url]);
    assert_code(&r, 0);
    assert_eq!(r.stdout_str(), "a\na/b\na/b/c\na/b/c/deep.txt\ntop.txt\n");
    let (r, _d) = run(
        "ftp-ls",
        &[
            "--json",
            "-l",
            &format!("ftp://{}/pub/", c["FERRY_FTP_PLAIN"]),
        ],
    );
    assert_code(&r, 0);
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let big = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "big.bin")
        .unwrap();
    assert_eq!(big["size"], 104857600);
    assert_eq!(big["type"], "file");
}

#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn missing_file_is_exit_6_and_glob_over_ftps() {
    let Some(c) = cfg() else { return };
    let (r, dir) = run(
        "ftp-get",
        &[&format!("ftp://{}/pub/nope", c["FERRY_FTP_PLAIN"])],
    );
    assert_code(&r, 6);
    assert!(names_in(dir.path()).is_empty());
    let (r, dir) = run(
        "ftp-get",
        &[
            "--cacert",
            &c["FERRY_CA"],
            &format!("ftps://{}/pub/*.txt", c["FERRY_FTP_IMPLICIT"]),
        ],
    );
    assert_code(&r, 0);
    assert_eq!(
        names_in(dir.path()),
        vec!["crlf.txt", "small.txt", "space name.txt", "ünïcødé.txt"]
    );
}

/// Issue 18: `ftp://` to vsftpd's implicit-TLS port (which waits for our ClientHello) ends within
/// `--connect-timeout` with the hint, and a certificate from the test CA without `--cacert` says to use it.
#[test]
#[cfg_attr(
    not(ferry_interop_vsftpd),
    ignore = "vsftpd is not running: tests/interop/start.sh starts it"
)]
fn the_implicit_tls_port_and_the_unknown_ca_give_their_hints() {
    let Some(c) = cfg() else { return };
    let url = format!("ftp://{}/pub/", c["FERRY_FTP_IMPLICIT"]);
    let (r, _d) = run("ftp-ls", &["--connect-timeout", "2", &url]);
    assert_code(&r, 11);
    assert_eq!(
        r.stderr,
        "ftp-ls: error: no greeting from the server within 2 s (--connect-timeout); hint: is this an \
         implicit-TLS port? try ftps://\n"
    );
    assert!(
        r.elapsed < std::time::Duration::from_secs(30),
        "{:?}",
        r.elapsed
    );
    let url = format!("ftps://{}/pub/", c["FERRY_FTP_IMPLICIT"]);
    let (r, _d) = run("ftp-ls", &[&url]);
    assert_code(&r, 4);
    assert!(
        r.stderr.ends_with(
            "; hint: the certificate's issuer is not trusted here: use --cacert FILE with the CA that \
             signed it\n"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.starts_with("ftp-ls: error: "), "{}", r.stderr);
}
