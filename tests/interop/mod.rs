//! The real-server interop suite: ftp-get and ftp-ls against vsftpd on 127.0.0.1 (plain, explicit FTPS
//! with require_ssl_reuse=YES, implicit FTPS), started by tests/interop/start.sh, which writes the settings
//! file read here. Without it the tests skip, except under CI=true, where a missing server is a failure.

mod ftp;

use std::collections::HashMap;

/// The settings start.sh wrote, or None (skip) when the servers are not running outside CI.
pub fn env() -> Option<HashMap<String, String>> {
    let dir = std::env::var("FERRY_INTEROP_DIR").unwrap_or_else(|_| "/tmp/ferry-interop".into());
    let path = std::path::Path::new(&dir).join("env");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(
            text.lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "CI=true but the interop servers are not running ({} missing): run tests/interop/start.sh",
                path.display()
            )
        }
        Err(_) => {
            eprintln!("skipping interop test: run tests/interop/start.sh to start the servers");
            None
        }
    }
}
