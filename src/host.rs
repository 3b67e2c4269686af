//! This machine's host name, as message IDs and Maildir file names use it, and its fully qualified name
//! for EHLO.

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

/// This host's fully qualified domain name, for EHLO in direct delivery (RFC 5321 §4.1.1.1: the FQDN, not a
/// short name): the kernel's host name when it has a dot, else the canonical name the system resolver
/// (`/etc/hosts`, DNS) gives it, else the short name, else `localhost`.
pub fn fqdn() -> String {
    let Some(short) = name() else {
        return "localhost".to_string();
    };
    if short.contains('.') {
        return short;
    }
    canonical(&short)
        .filter(|c| {
            c.contains('.')
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        })
        .unwrap_or(short)
}

/// getaddrinfo(3) with AI_CANONNAME: the canonical name of `host`.
fn canonical(host: &str) -> Option<String> {
    let c_host = std::ffi::CString::new(host).ok()?;
    // SAFETY: a zeroed addrinfo is a valid "no hints" value; only ai_flags is set.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_flags = libc::AI_CANONNAME;
    hints.ai_socktype = libc::SOCK_STREAM;
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: valid NUL-terminated name, valid hints, and an out pointer freed below.
    let rc = unsafe { libc::getaddrinfo(c_host.as_ptr(), std::ptr::null(), &hints, &mut res) };
    if rc != 0 || res.is_null() {
        return None;
    }
    // SAFETY: res is the non-null list getaddrinfo returned; ai_canonname is NULL or a C string it owns.
    let name = unsafe {
        let p = (*res).ai_canonname;
        (!p.is_null()).then(|| std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned())
    };
    // SAFETY: res came from getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(res) };
    name.filter(|n| n.len() <= 255)
}
