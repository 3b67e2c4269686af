//! UID sets on the wire (RFC 9051 §9 `sequence-set`): sorted UIDs compressed to ranges, `1:5,7,9:12`, so a
//! batch of a thousand consecutive messages is one short argument. [`split`] cuts a long set into pieces
//! that keep every command line short: servers limit command length (RFC 7162 §4 suggests 8192 octets).

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

/// The longest sequence-set [`split`] puts in one command: well under the 8192-octet command length
/// servers are asked to accept (RFC 7162 §4), leaving room for the verb and other arguments.
pub const MAX_SET_LEN: usize = 4000;

/// `uids` as compressed sequence-sets of at most `max_len` characters each (at least one range each),
/// with the UIDs each one names, in ascending order.
pub fn split(uids: &[u32], max_len: usize) -> Vec<(String, Vec<u32>)> {
    let mut v = uids.to_vec();
    v.sort_unstable();
    v.dedup();
    let mut out: Vec<(String, Vec<u32>)> = Vec::new();
    let mut cur = String::new();
    let mut members: Vec<u32> = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let start = v[i];
        let mut end = start;
        let mut j = i;
        while j + 1 < v.len() && end.checked_add(1) == Some(v[j + 1]) {
            j += 1;
            end = v[j];
        }
        let range = if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        };
        if !cur.is_empty() && cur.len() + 1 + range.len() > max_len {
            out.push((std::mem::take(&mut cur), std::mem::take(&mut members)));
        }
        if !cur.is_empty() {
            cur.push(',');
        }
        cur.push_str(&range);
        members.extend_from_slice(&v[i..=j]);
        i = j + 1;
    }
    if !cur.is_empty() {
        out.push((cur, members));
    }
    out
}

/// The UIDs of a sequence-set a server sent (COPYUID's sets, RFC 4315 §3), in the order written, ranges
/// expanded in their own direction; None when malformed, `*`, or naming more than `max` UIDs.
pub fn expand(set: &str, max: usize) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for range in set.split(',') {
        let (a, b) = range.split_once(':').unwrap_or((range, range));
        let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
        let n = usize::try_from(a.abs_diff(b)).ok()?.checked_add(1)?;
        if out.len().checked_add(n)? > max {
            return None;
        }
        if a <= b {
            out.extend(a..=b);
        } else {
            out.extend((b..=a).rev());
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn expand_server_sets() {
        assert_eq!(super::expand("3:5,9", 10), Some(vec![3, 4, 5, 9]));
        assert_eq!(super::expand("5:3", 10), Some(vec![5, 4, 3]));
        assert_eq!(super::expand("1:4294967295", 10), None);
        assert_eq!(super::expand("1,*", 10), None);
    }

    #[test]
    fn split_keeps_each_set_short() {
        let uids: Vec<u32> = (1..=100).step_by(2).collect();
        let parts = super::split(&uids, 20);
        assert!(parts.iter().all(|(s, _)| s.len() <= 20));
        assert_eq!(parts[0].0, "1,3,5,7,9,11,13,15");
        let all: Vec<u32> = parts.iter().flat_map(|(_, m)| m.clone()).collect();
        assert_eq!(all, uids);
        assert_eq!(
            super::split(&[5, 1, 2, 3], 100),
            vec![("1:3,5".to_string(), vec![1, 2, 3, 5])]
        );
        assert!(super::split(&[], 10).is_empty());
    }

    #[test]
    fn ranges() {
        assert_eq!(super::format(&[9, 1, 2, 3, 7, 10, 12, 11, 3]), "1:3,7,9:12");
        assert_eq!(super::format(&[]), "");
        assert_eq!(super::format(&[u32::MAX]), "4294967295");
    }
}
