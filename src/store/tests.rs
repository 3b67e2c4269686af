//! Store tests: each output's durability and failure behaviour.

use super::*;

const MSG: &[u8] = b"From: a@example.org\r\nSubject: hi\r\n\r\nFrom here\r\n.dot\r\nend\r\n";
const LF: &[u8] = b"From: a@example.org\nSubject: hi\n\nFrom here\n.dot\nend\n";

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn maildir_commit_and_abort() {
    let d = tempfile::tempdir().unwrap();
    let md = d.path().join("M");
    let mut store = Store::open(Target::Maildir(md.clone())).unwrap();
    assert!(is_maildir(&md));
    let mut m = store.begin("1").unwrap();
    m.write_all(MSG).unwrap();
    let at = m.commit().unwrap();
    let new = files(&md.join("new"));
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].display().to_string(), at);
    assert!(at.ends_with(&format!(",S={}", LF.len())), "{at}");
    assert_eq!(std::fs::read(&new[0]).unwrap(), LF);
    let mut m = store.begin("2").unwrap();
    m.write_all(b"partial").unwrap();
    drop(m);
    assert!(files(&md.join("tmp")).is_empty());
    assert_eq!(files(&md.join("new")).len(), 1);
}

#[test]
fn mbox_appends_quotes_and_rolls_back() {
    let d = tempfile::tempdir().unwrap();
    let mb = d.path().join("mbox");
    std::fs::write(&mb, b"From old\nunterminated").unwrap();
    let mut store = Store::open(Target::Mbox(mb.clone())).unwrap();
    let mut m = store.begin("1").unwrap();
    m.write_all(MSG).unwrap();
    m.commit().unwrap();
    let after_one = std::fs::read(&mb).unwrap();
    let text = String::from_utf8(after_one.clone()).unwrap();
    assert!(
        text.starts_with("From old\nunterminated\nFrom MAILER-DAEMON "),
        "{text}"
    );
    assert!(
        text.ends_with("\nFrom: a@example.org\nSubject: hi\n\n>From here\n.dot\nend\n\n"),
        "{text}"
    );
    // A delivery that fails half-way leaves the file byte-identical.
    let mut m = store.begin("2").unwrap();
    m.write_all(b"From: b\r\n\r\nhalf").unwrap();
    drop(m);
    assert_eq!(std::fs::read(&mb).unwrap(), after_one);
}

#[test]
fn mbox_lock_is_exclusive_while_writing() {
    let d = tempfile::tempdir().unwrap();
    let mb = d.path().join("mbox");
    let mut store = Store::open(Target::Mbox(mb.clone())).unwrap();
    let m = store.begin("1").unwrap();
    let f = std::fs::File::open(&mb).unwrap();
    // SAFETY: test-only flock probe on an open descriptor.
    let r = unsafe {
        libc::flock(
            std::os::fd::AsRawFd::as_raw_fd(&f),
            libc::LOCK_EX | libc::LOCK_NB,
        )
    };
    assert_eq!(r, -1, "the mbox must be locked during a delivery");
    m.commit().unwrap();
    // A test running in parallel may fork (an MDA test) while our descriptor is open; the child holds a
    // copy of it, and so of the flock, until its exec closes it (O_CLOEXEC): allow it a moment.
    let released = (0..200).any(|_| {
        // SAFETY: as above.
        let r = unsafe {
            libc::flock(
                std::os::fd::AsRawFd::as_raw_fd(&f),
                libc::LOCK_EX | libc::LOCK_NB,
            )
        };
        r == 0 || {
            std::thread::sleep(std::time::Duration::from_millis(10));
            false
        }
    });
    assert!(released, "the lock is released after commit");
}

#[test]
fn dir_names_are_safe_and_unique() {
    let d = tempfile::tempdir().unwrap();
    let mut store = Store::open(Target::Dir(d.path().join("out"))).unwrap();
    for hint in ["../x/y", "../x/y", ".hidden"] {
        let mut m = store.begin(hint).unwrap();
        m.write_all(MSG).unwrap();
        m.commit().unwrap();
    }
    let names: Vec<_> = files(&d.path().join("out"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.ends_with(".eml") && !n.starts_with('.')),
        "{names:?}"
    );
    assert_eq!(
        std::fs::read(d.path().join("out").join(&names[0])).unwrap(),
        LF
    );
}

#[test]
fn mda_exit_status_decides() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("got");
    let mut store = Store::open(Target::Mda(format!("cat > '{}'", out.display()))).unwrap();
    let mut m = store.begin("1").unwrap();
    m.write_all(MSG).unwrap();
    assert_eq!(m.commit().unwrap(), "mda");
    assert_eq!(std::fs::read(&out).unwrap(), LF);

    let mut store = Store::open(Target::Mda("cat >/dev/null; exit 75".into())).unwrap();
    let mut m = store.begin("1").unwrap();
    m.write_all(MSG).unwrap();
    let e = m.commit().unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::LocalIo);
    assert!(e.to_string().contains("not delivered"), "{e}");

    // An MDA that stops reading early has not taken the message.
    let mut store = Store::open(Target::Mda("exit 0".into())).unwrap();
    let mut m = store.begin("1").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    for _ in 0..64 {
        m.write_all(&[b'x'; 8192]).unwrap();
    }
    assert!(m.commit().is_err());
}
