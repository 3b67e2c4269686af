//! Tells the test suite which interop servers are running, so a test whose server is absent shows as
//! ignored (with the reason) instead of passing: `tests/interop/start.sh` writes `env.d/SERVER` under
//! `$FERRY_INTEROP_DIR` (default `/tmp/ferry-interop`) and this script sets `cfg(ferry_interop_SERVER)`
//! for each one found. Under `CI=true` every server counts as present, so a missing one fails its tests.

use std::path::PathBuf;

const SERVERS: [&str; 8] = [
    "vsftpd",
    "proftpd",
    "pyftpdlib",
    "dovecot",
    "postfix",
    "dns",
    "mx",
    "proxy",
];

/// Peer tools some tests cross-check against.
const PEERS: [&str; 1] = ["qprint"];

fn main() {
    println!("cargo::rerun-if-env-changed=FERRY_INTEROP_DIR");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-changed=build.rs");
    let root = std::env::var("FERRY_INTEROP_DIR").unwrap_or_else(|_| "/tmp/ferry-interop".into());
    let envd = PathBuf::from(root).join("env.d");
    // Watched for servers starting or stopping; created so that cargo has a directory to watch (a
    // missing path would rerun this script, and rebuild the crate, on every build).
    let _ = std::fs::create_dir_all(&envd);
    println!("cargo::rerun-if-changed={}", envd.display());
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    for server in SERVERS {
        println!("cargo::rustc-check-cfg=cfg(ferry_interop_{server})");
        if ci || envd.join(server).is_file() {
            println!("cargo::rustc-cfg=ferry_interop_{server}");
        }
    }
    // Peer tools some tests cross-check against (CI apt-installs them; elsewhere the test is ignored).
    for peer in PEERS {
        println!("cargo::rustc-check-cfg=cfg(ferry_peer_{peer})");
        let found = std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(peer).is_file()));
        if ci || found {
            println!("cargo::rustc-cfg=ferry_peer_{peer}");
        }
    }
}
