//! Dovecot mailboxes for the interop tests: a user of its own per test (its own passwd-file in users.d/), a fresh Maildir under its home, and seeded messages, all owned by Dovecot's mail user.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::os::unix::fs::chown;
use std::path::{Path, PathBuf};

/// Creates (or resets) the Dovecot user `name`-PID: returns (user, password, Maildir path). The home is
/// wiped, so each run of a test starts from an empty mailbox; the process id keeps two suites running at
/// once (two checkouts on one machine) out of each other's mailboxes.
pub fn dovecot_user(env: &HashMap<String, String>, name: &str) -> (String, String, PathBuf) {
    let name = &format!("{name}-{}", std::process::id());
    let home = Path::new(&env["FERRY_DOVECOT_MAIL"]).join(name);
    let uid: u32 = env["FERRY_DOVECOT_UID"].parse().unwrap();
    let gid: u32 = env["FERRY_DOVECOT_GID"].parse().unwrap();
    let password = format!("{name}-secret");
    let _ = std::fs::remove_dir_all(&home);
    let maildir = home.join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    for p in [
        &home,
        &maildir,
        &maildir.join("new"),
        &maildir.join("cur"),
        &maildir.join("tmp"),
    ] {
        chown(p, Some(uid), Some(gid)).unwrap();
    }
    add_user(env, name, &password, &home);
    (name.to_string(), password, maildir)
}

/// Makes `name` a Dovecot user with `password` and `home`: its own passwd-file in users.d/, written whole
/// and renamed into place, read by Dovecot at the user's first login.
pub fn add_user(env: &HashMap<String, String>, name: &str, password: &str, home: &Path) {
    let dir = Path::new(&env["FERRY_DOVECOT_USERS_DIR"]);
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f = std::fs::File::create(&tmp).unwrap();
    writeln!(f, "{name}:{{PLAIN}}{password}::::{}::", home.display()).unwrap();
    drop(f);
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

/// Puts `messages` into `maildir`'s new/ in order (names sort as seeded), owned like the Maildir.
pub fn seed(maildir: &Path, messages: &[Vec<u8>]) {
    let meta = std::fs::metadata(maildir).unwrap();
    for (i, m) in messages.iter().enumerate() {
        let p = maildir
            .join("new")
            .join(format!("{:010}.seed{i}.ferry", 1_000_000 + i));
        std::fs::write(&p, m).unwrap();
        chown(&p, Some(meta.uid()), Some(meta.gid())).unwrap();
    }
}
