//! The real-server interop suite: ftp-get, ftp-put and ftp-ls against vsftpd (plain, explicit FTPS with
//! require_ssl_reuse=YES, implicit FTPS), the mirror's change detection against ProFTPD (MLSD, MFMT,
//! HASH, XMD5) and pyftpdlib (a third implementation, facts asked for with OPTS MLST), smtp-send against
//! Postfix (SASL through Dovecot), started by tests/interop/start.sh; each server writes a settings
//! file read here. A test whose server is not running shows as ignored, with the reason (build.rs sets
//! `cfg(ferry_interop_SERVER)` for each running server); under CI=true every server counts as present, so a
//! missing one fails its tests.

mod ftp;
mod ftp_put;
mod ftp_rm;
mod imap;
mod imap_message;
mod mailbox;
mod mx;
mod pop3;
mod proftpd;
mod proxy;
mod pyftpdlib;
mod recipes;
mod smtp;
mod smtp_queue;

use std::collections::HashMap;

/// The settings `tests/interop/SERVER/start.sh` wrote to `env.d/SERVER`, merged with those of every other
/// running server (the test CA is shared), or None (skip) when SERVER is not running outside CI. Under
/// CI=true a missing server is a failure, never a skip.
pub fn server(name: &str) -> Option<HashMap<String, String>> {
    let dir = std::env::var("FERRY_INTEROP_DIR").unwrap_or_else(|_| "/tmp/ferry-interop".into());
    let envd = std::path::Path::new(&dir).join("env.d");
    if !envd.join(name).is_file() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "CI=true but the interop server {name} is not running ({} missing): run tests/interop/start.sh",
                envd.join(name).display()
            )
        }
        eprintln!("skipping interop test: run tests/interop/start.sh {name} to start the server");
        return None;
    }
    let mut all = HashMap::new();
    for entry in std::fs::read_dir(&envd).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        all.extend(
            text.lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
    }
    Some(all)
}
