//! This machine's host name, as message IDs and Maildir file names use it, and its fully qualified
//! name, as EHLO and sendmail's default sender use it.

/// The kernel's host name when it is a plain DNS-like name (letters, digits, `-`, `.`), else None.
pub fn name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| plausible(h))
}

/// A DNS-like name: letters, digits, `-` and `.`, at most 255 bytes.
fn plausible(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// This host's fully qualified domain name (a name with a dot that is not `localhost.*`): the kernel's
/// name when it has a dot, else the canonical name the resolver gives it (getaddrinfo with
/// AI_CANONNAME: /etc/hosts, then DNS, as nsswitch.conf says), else a dotted alias of it in
/// /etc/hosts. None when there is none: a short name like `vm` is never used as an FQDN.
pub fn fqdn() -> Option<String> {
    let short = name()?;
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    fqdn_of(&short, canonical_name(&short), &hosts)
}

/// [`fqdn`]'s decision on its inputs (tests give them).
pub fn fqdn_of(short: &str, canonical: Option<String>, hosts: &str) -> Option<String> {
    let qualified = |h: &str| {
        plausible(h)
            && h.contains('.')
            && !h.ends_with('.')
            && !h.eq_ignore_ascii_case("localhost.localdomain")
            && !h.to_ascii_lowercase().starts_with("localhost.")
    };
    if qualified(short) {
        return Some(short.to_string());
    }
    if let Some(c) = canonical.filter(|c| qualified(c)) {
        return Some(c);
    }
    // `127.0.1.1 vm vm.example.org` (the FQDN not first) is a common /etc/hosts mistake.
    let prefix = format!("{}.", short.to_ascii_lowercase());
    hosts.lines().take(10_000).find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let names: Vec<&str> = line.split_whitespace().skip(1).collect();
        if !names.iter().any(|n| n.eq_ignore_ascii_case(short)) {
            return None;
        }
        names
            .iter()
            .find(|n| n.to_ascii_lowercase().starts_with(&prefix) && qualified(n))
            .map(|n| n.to_string())
    })
}

/// The resolver's canonical name for `host` (getaddrinfo(3) with AI_CANONNAME).
fn canonical_name(host: &str) -> Option<String> {
    let c_host = std::ffi::CString::new(host).ok()?;
    // SAFETY: hints is a zeroed addrinfo with only flags set, as getaddrinfo(3) allows; the result list
    // is read only while it is alive and freed exactly once with freeaddrinfo.
    unsafe {
        let mut hints: libc::addrinfo = std::mem::zeroed();
        hints.ai_flags = libc::AI_CANONNAME;
        hints.ai_socktype = libc::SOCK_STREAM;
        let mut res: *mut libc::addrinfo = std::ptr::null_mut();
        if libc::getaddrinfo(c_host.as_ptr(), std::ptr::null(), &hints, &mut res) != 0
            || res.is_null()
        {
            return None;
        }
        let name = (*res).ai_canonname;
        let out = if name.is_null() {
            None
        } else {
            std::ffi::CStr::from_ptr(name)
                .to_str()
                .ok()
                .map(str::to_string)
        };
        libc::freeaddrinfo(res);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_never_settles_for_a_short_name() {
        let hosts = "127.0.0.1 localhost\n127.0.0.1 vm\n";
        assert_eq!(fqdn_of("vm", Some("vm".into()), hosts), None);
        assert_eq!(
            fqdn_of("vm", Some("localhost.localdomain".into()), hosts),
            None
        );
        assert_eq!(
            fqdn_of("vm", Some("vm.example.org".into()), hosts).as_deref(),
            Some("vm.example.org")
        );
        assert_eq!(
            fqdn_of("box.example.net", None, "").as_deref(),
            Some("box.example.net")
        );
        let swapped = "127.0.1.1 vm vm.lan.example # comment\n";
        assert_eq!(
            fqdn_of("vm", Some("vm".into()), swapped).as_deref(),
            Some("vm.lan.example")
        );
        assert_eq!(fqdn_of("vm", None, "10.0.0.1 other other.example\n"), None);
    }
}
