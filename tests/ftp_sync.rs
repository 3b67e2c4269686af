//! ftp-get/ftp-put mirroring against the scripted server (issue 14): change detection, deletion safety,
//! filters, the plan (`--dry-run`), and the FTP defects of issue 13 found on the way.

use crate::support::*;

/// TYPE I, SIZE, EPSV, RETR of `body`.
fn retr(path: &str, body: &[u8]) -> Vec<Step> {
    vec![
        e("TYPE I"),
        s("200 Switching to Binary mode."),
        e(&format!("SIZE {path}")),
        s(&format!("213 {}", body.len())),
        e("EPSV"),
        Epsv,
        e(&format!("RETR {path}")),
        s("150 Opening BINARY mode data connection."),
        DataSend(body.to_vec()),
        s("226 Transfer complete."),
    ]
}

/// A listing command answered with `lines`.
fn listing(cmd: &str, lines: &[&str]) -> Vec<Step> {
    let mut body = Vec::new();
    for l in lines {
        body.extend_from_slice(l.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    vec![
        e("EPSV"),
        Epsv,
        e(cmd),
        s("150 Here comes the directory listing."),
        DataSend(body),
        s("226 Directory send OK."),
    ]
}

#[test]
fn issue_13_defect_4_resume_onto_a_longer_local_file_starts_over_with_a_true_count() {
    let srv = Server::start(script(vec![anon_login(), retr("f", b"new"), quit()]));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), vec![b'x'; 5000]).unwrap();
    let r = run_in(dir.path(), "ftp-get", &["-c", &srv.url("f")], &[]);
    assert_code(&r, 0);
    assert_eq!(r.stdout_str(), "");
    assert!(r.stderr.contains("f: 3 bytes"), "{}", r.stderr);
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"new");
    srv.finish();
}
