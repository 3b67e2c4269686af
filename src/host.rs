//! This machine's host name, as message IDs and Maildir file names use it.

/// The kernel's host name when it is a plain DNS-like name (letters, digits, `-`, `.`), else None.
pub fn name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        })
}
