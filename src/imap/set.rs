//! UID sets on the wire (RFC 9051 §9 `sequence-set`): sorted UIDs compressed to ranges, `1:5,7,9:12`, so a
//! batch of a thousand consecutive messages is one short argument.

/// The sequence-set for `uids` (any order, duplicates allowed); empty for none.
pub fn format(uids: &[u32]) -> String {
    let mut v = uids.to_vec();
    v.sort_unstable();
    v.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < v.len() {
        let start = v[i];
        let mut end = start;
        while i + 1 < v.len() && end.checked_add(1) == Some(v[i + 1]) {
            i += 1;
            end = v[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn ranges() {
        assert_eq!(super::format(&[9, 1, 2, 3, 7, 10, 12, 11, 3]), "1:3,7,9:12");
        assert_eq!(super::format(&[]), "");
        assert_eq!(super::format(&[u32::MAX]), "4294967295");
    }
}
