//! `--header 'Name: value'` of smtp-send: each value read and validated before anything is composed.
//!
//! CR, LF and NUL are refused anywhere (no header injection). The name must be an RFC 5322 §3.6.8
//! field name. Fields with a flag of their own (From, To, Cc, Bcc, Subject) must use it, and fields the
//! composer writes (MIME-Version, Content-*) cannot be given. Structured fields are checked: Reply-To and
//! Sender are address lists, Date an RFC 5322 §3.3 date-time, Message-ID a `<left@right>` msg-id.
//! Anything else is unstructured text (RFC 2047-encoded when not ASCII).

use crate::error::{Error, Result};
use crate::smtp::address;

/// The most `--header` fields.
const MAX_HEADERS: usize = 100;
/// The longest value of one field.
const MAX_VALUE: usize = 4000;

/// Reads `--header` values into (name, value) pairs; `Reply-To` values go to `reply_to` instead.
pub fn parse(values: &[String], reply_to: &mut Vec<String>) -> Result<Vec<(String, String)>> {
    if values.len() > MAX_HEADERS {
        return Err(Error::usage(format!(
            "--header: at most {MAX_HEADERS} fields"
        )));
    }
    let mut out = Vec::new();
    for v in values {
        let bad = |why: &str| Error::usage(format!("--header {v:?}: {why}"));
        if v.contains(['\r', '\n', '\0']) {
            return Err(bad("CR, LF or NUL in a header"));
        }
        let Some((name, value)) = v.split_once(':') else {
            return Err(bad("expected 'Name: value'"));
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() || !name.bytes().all(|b| (33..=126).contains(&b)) {
            return Err(bad("the name must be printable ASCII without blanks"));
        }
        if value.len() > MAX_VALUE {
            return Err(bad(&format!("longer than {MAX_VALUE} bytes")));
        }
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "from" | "to" | "cc" | "bcc" | "subject" => {
                return Err(bad(&format!("use --{lower}")));
            }
            "mime-version" => return Err(bad("smtp-send writes the MIME fields itself")),
            l if l.starts_with("content-") => {
                return Err(bad("smtp-send writes the MIME fields itself"));
            }
            "reply-to" => {
                one_or_more(value).map_err(|e| bad(&e.to_string()))?;
                reply_to.push(value.to_string());
                continue;
            }
            "sender" => {
                one_or_more(value).map_err(|e| bad(&e.to_string()))?;
            }
            "date" if !is_date(value) => {
                return Err(bad(
                    "expected an RFC 5322 date such as 'Mon, 30 Nov 2026 09:00:00 +0000'",
                ));
            }
            "message-id" if !is_msg_id(value) => {
                return Err(bad("expected a message ID such as <unique@example.com>"));
            }
            _ => {}
        }
        if value.is_empty() {
            return Err(bad("empty value"));
        }
        out.push((name.to_string(), value.to_string()));
    }
    Ok(out)
}

fn one_or_more(value: &str) -> Result<()> {
    if address::parse_list(value)?.is_empty() {
        return Err(Error::usage("no address"));
    }
    Ok(())
}

/// An RFC 5322 §3.3 date-time: `[Day, ]DD Mon YYYY HH:MM[:SS] ZONE` (zone `+hhmm`/`-hhmm`, or an
/// obsolete name such as `GMT`).
pub fn is_date(value: &str) -> bool {
    let rest = match value.split_once(',') {
        Some((day, rest)) => {
            const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            if !DAYS.iter().any(|d| d.eq_ignore_ascii_case(day.trim())) {
                return false;
            }
            rest
        }
        None => value,
    };
    let parts: Vec<&str> = rest.split_whitespace().collect();
    let [day, month, year, time, zone] = parts.as_slice() else {
        return false;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let num = |s: &str, len: std::ops::RangeInclusive<usize>, max: u32| {
        len.contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|n| n <= max)
    };
    let day_ok = num(day, 1..=2, 31) && *day != "0" && *day != "00";
    let time_ok = {
        let t: Vec<&str> = time.split(':').collect();
        matches!(t.len(), 2 | 3)
            && num(t[0], 2..=2, 23)
            && num(t[1], 2..=2, 59)
            && t.get(2).is_none_or(|s| num(s, 2..=2, 60))
    };
    let zone_ok = match zone.as_bytes().first() {
        Some(b'+' | b'-') => num(&zone[1..], 4..=4, 2359),
        _ => [
            "UT", "GMT", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT",
        ]
        .iter()
        .any(|z| z.eq_ignore_ascii_case(zone)),
    };
    day_ok
        && MONTHS.iter().any(|m| m.eq_ignore_ascii_case(month))
        && num(year, 4..=4, 9999)
        && time_ok
        && zone_ok
}

/// A msg-id (RFC 5322 §3.6.4): `<left@right>`, printable ASCII, no blanks or further brackets.
pub fn is_msg_id(value: &str) -> bool {
    let Some(inner) = value.strip_prefix('<').and_then(|v| v.strip_suffix('>')) else {
        return false;
    };
    let Some((left, right)) = inner.split_once('@') else {
        return false;
    };
    !left.is_empty()
        && !right.is_empty()
        && inner
            .bytes()
            .all(|b| (33..=126).contains(&b) && b != b'<' && b != b'>')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(v: &str) -> Result<Vec<(String, String)>> {
        parse(&[v.to_string()], &mut Vec::new())
    }

    #[test]
    fn good_fields() {
        let mut reply_to = Vec::new();
        let h = parse(
            &[
                "X-Report: nightly".into(),
                "Date: Mon, 30 Nov 2026 09:00:00 +0100".into(),
                "Message-ID: <r1@example.com>".into(),
                "Reply-To: Ops <ops@example.com>".into(),
                "Keywords: grüße".into(),
            ],
            &mut reply_to,
        )
        .unwrap();
        assert_eq!(
            h,
            [
                ("X-Report".to_string(), "nightly".to_string()),
                ("Date".into(), "Mon, 30 Nov 2026 09:00:00 +0100".into()),
                ("Message-ID".into(), "<r1@example.com>".into()),
                ("Keywords".into(), "grüße".into()),
            ]
        );
        assert_eq!(reply_to, ["Ops <ops@example.com>"]);
        assert!(is_date("1 Jan 2026 00:00 GMT"));
    }

    /// Issue 15, item 4: every refusal is a usage error naming the field.
    #[test]
    fn bad_fields_are_usage_errors() {
        for (v, why) in [
            ("X-A: b\r\nBcc: x@y", "CR, LF or NUL in a header"),
            ("no colon", "expected 'Name: value'"),
            (
                "Bad Name: x",
                "the name must be printable ASCII without blanks",
            ),
            ("To: a@b", "use --to"),
            (
                "content-type: text/html",
                "smtp-send writes the MIME fields itself",
            ),
            (
                "Date: yesterday",
                "expected an RFC 5322 date such as 'Mon, 30 Nov 2026 09:00:00 +0000'",
            ),
            (
                "Date: Mon, 32 Nov 2026 09:00:00 +0000",
                "expected an RFC 5322 date such as 'Mon, 30 Nov 2026 09:00:00 +0000'",
            ),
            (
                "Message-ID: abc",
                "expected a message ID such as <unique@example.com>",
            ),
            (
                "Reply-To: a b c",
                "address \"abc\": a name needs the address in <…>",
            ),
            ("X-Empty:", "empty value"),
        ] {
            let e = one(v).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Usage);
            assert_eq!(e.to_string(), format!("--header {v:?}: {why}"));
        }
    }
}
