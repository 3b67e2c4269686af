//! IMAP dates (RFC 9051 §9 `date-time`, `date`): INTERNALDATE read into a sortable display form,
//! written from a Unix time for APPEND, and the `d-Mon-yyyy` of SEARCH BEFORE. Also the date of an mbox
//! `From ` line (asctime form, UTC by convention), which an upload keeps as the internal date. UTC only;
//! no calendar crate is needed for three fixed formats (see [`crate::time`]).

use crate::time::{civil_from_days, days_from_civil};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn month(name: &str) -> Option<u32> {
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(name))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// `17-Jul-1996 02:44:25 -0700` as `1996-07-17 02:44:25 -0700`; None when it is not that form.
pub fn display_internal(s: &str) -> Option<String> {
    let s = s.trim();
    let (date, rest) = s.split_once(' ')?;
    let mut d = date.split('-');
    let day: u32 = d.next()?.trim().parse().ok()?;
    let mon = month(d.next()?)?;
    let year: u32 = d.next()?.parse().ok()?;
    let (time, zone) = rest.trim().split_once(' ')?;
    if time.len() != 8 || zone.len() != 5 || !zone.is_ascii() || !time.is_ascii() {
        return None;
    }
    Some(format!("{year:04}-{mon:02}-{day:02} {time} {zone}"))
}

/// The IMAP date-time of a Unix time, in UTC: `05-Jan-2024 10:00:00 +0000`.
pub fn internal_from_unix(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mon = MONTHS[usize::try_from(m.saturating_sub(1)).unwrap_or(0).min(11)];
    format!(
        "{d:02}-{mon}-{y:04} {:02}:{:02}:{:02} +0000",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The SEARCH date (`5-Jan-2024`) of the day `days` after 1970-01-01.
pub fn search_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    let mon = MONTHS[usize::try_from(m.saturating_sub(1)).unwrap_or(0).min(11)];
    format!("{d}-{mon}-{y}")
}

/// The Unix time of an mbox `From ` line's date (`Sat Jan  3 01:05:34 1996`, after the sender), UTC;
/// None when the line carries no such date.
pub fn from_line_unix(line: &str) -> Option<i64> {
    let w: Vec<&str> = line.split_whitespace().collect();
    // From sender Www Mmm dd hh:mm:ss yyyy [zone...]: find the month word followed by day, time, year.
    for i in 0..w.len().saturating_sub(3) {
        let Some(mon) = month(w[i]) else { continue };
        let Ok(day) = w[i + 1].parse::<u32>() else {
            continue;
        };
        let t: Vec<&str> = w[i + 2].split(':').collect();
        let (Some(h), Some(mi)) = (t.first(), t.get(1)) else {
            continue;
        };
        let (Ok(h), Ok(mi)) = (h.parse::<i64>(), mi.parse::<i64>()) else {
            continue;
        };
        let sec: i64 = t.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
        let Ok(year) = w[i + 3].parse::<i64>() else {
            continue;
        };
        if !(1..=31).contains(&day)
            || !(0..24).contains(&h)
            || !(0..60).contains(&mi)
            || !(0..=60).contains(&sec)
        {
            continue;
        }
        return Some(days_from_civil(year, mon, day) * 86_400 + h * 3600 + mi * 60 + sec);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms() {
        assert_eq!(
            display_internal("17-Jul-1996 02:44:25 -0700").as_deref(),
            Some("1996-07-17 02:44:25 -0700")
        );
        assert_eq!(
            display_internal(" 7-Jul-1996 02:44:25 +0000").as_deref(),
            Some("1996-07-07 02:44:25 +0000")
        );
        assert_eq!(display_internal("yesterday"), None);
        assert_eq!(internal_from_unix(0), "01-Jan-1970 00:00:00 +0000");
        assert_eq!(
            internal_from_unix(1_704_448_800),
            "05-Jan-2024 10:00:00 +0000"
        );
        assert_eq!(search_date(19_727), "5-Jan-2024");
        let t = from_line_unix("From ann@example.org Fri Jan  5 10:00:00 2024").unwrap();
        assert_eq!(t, 1_704_448_800);
        assert_eq!(from_line_unix("From ann@example.org"), None);
    }
}
