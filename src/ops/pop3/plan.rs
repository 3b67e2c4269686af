//! Which messages one session of pop3-fetch handles, decided from the server's listing before any RETR:
//! the user's selectors, `--new-only`, `--max-size`, `--max-messages`, deletions left pending by an earlier
//! run, and — after a reconnection — what this run already handled on an earlier connection.
//!
//! Pure: no session, no files, no output. A message is known across connections only by its UIDL (a
//! message number is valid for one session: RFC 1939 §4); the caller resumes a run only when every
//! message has one.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::ops::pop3::state::UidlState;
use crate::pop3::Session;

/// One message as the server lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    /// The message number in this session.
    pub number: u32,
    /// The size LIST reported.
    pub size: u64,
    /// The unique id, when the server supports UIDL.
    pub uidl: Option<String>,
}

/// STAT, LIST and UIDL joined by message number.
///
/// UIDLs that are empty or repeated cannot name a message: when `strict` (the run keeps state, skips
/// what it saw, or deletes, all of which need a unique id), that is a protocol violation (exit 9);
/// otherwise the listing falls back to message numbers (every `uidl` is None) and `warn` is told.
pub fn listing(session: &mut Session, strict: bool, warn: &dyn Fn(&str)) -> Result<Vec<Listed>> {
    let (count, _) = session.stat()?;
    if count == 0 {
        return Ok(Vec::new());
    }
    let sizes = session.list()?;
    let mut uidls: HashMap<u32, String> = HashMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut unique = true;
    for (n, u) in session.uidl()?.unwrap_or_default() {
        if u.is_empty() || !seen.insert(u.clone()) || uidls.insert(n, u).is_some() {
            unique = false;
        }
    }
    if !unique {
        if strict {
            return Err(Error::protocol(NOT_UNIQUE));
        }
        warn(&format!("{NOT_UNIQUE}; messages are named by number"));
        uidls.clear();
    }
    Ok(sizes
        .into_iter()
        .map(|(number, size)| Listed {
            number,
            size,
            uidl: uidls.get(&number).cloned(),
        })
        .collect())
}

/// Why a UIDL listing with an empty or repeated id is refused.
pub const NOT_UNIQUE: &str = "the server's UIDL list is not unique (an id is empty or repeated)";

/// The user's choices that select messages.
#[derive(Debug, Clone, Default)]
pub struct Rules<'a> {
    /// Message numbers or UIDLs (a selector made only of digits is a number); empty: every message.
    pub select: &'a [String],
    /// `--new-only`: skip what the state file has seen.
    pub new_only: bool,
    /// `--delete`: deletions pending from an earlier run are sent too.
    pub delete: bool,
    /// `--max-size`.
    pub max_size: Option<u64>,
    /// How many more messages this run may fetch (`--max-messages` less those already tried).
    pub max_messages: Option<usize>,
}

/// What one session does, in this order.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan<'l> {
    /// Selectors that match no listed message.
    pub unmatched: Vec<String>,
    /// Messages this run already handled on an earlier connection, with the index of their result.
    pub known: Vec<(usize, &'l Listed)>,
    /// Messages stored by an earlier run whose deletion is still pending (with `--delete` only).
    pub pending: Vec<&'l Listed>,
    /// Messages skipped by `--max-size`.
    pub too_big: Vec<&'l Listed>,
    /// Messages to fetch, in the order asked for.
    pub todo: Vec<&'l Listed>,
}

/// Plans a session over `listed`. `handled` maps the UIDLs this run already has a result for to that
/// result's index.
pub fn plan<'l>(
    listed: &'l [Listed],
    rules: &Rules<'_>,
    handled: &HashMap<String, usize>,
    state: Option<&UidlState>,
) -> Plan<'l> {
    let mut plan = Plan::default();
    let mut chosen: Vec<&Listed> = Vec::new();
    if rules.select.is_empty() {
        chosen.extend(listed.iter());
    } else {
        for sel in rules.select {
            let found = if !sel.is_empty() && sel.bytes().all(|b| b.is_ascii_digit()) {
                listed.iter().find(|m| sel.parse() == Ok(m.number))
            } else {
                listed
                    .iter()
                    .find(|m| m.uidl.as_deref() == Some(sel.as_str()))
            };
            match found {
                Some(m) if !chosen.iter().any(|c| c.number == m.number) => chosen.push(m),
                Some(_) => {}
                None => plan.unmatched.push(sel.clone()),
            }
        }
    }
    let known = |m: &Listed| m.uidl.as_ref().and_then(|u| handled.get(u)).copied();
    for m in listed {
        if let Some(i) = known(m) {
            plan.known.push((i, m));
        } else if rules.delete
            && let (Some(st), Some(u)) = (state, &m.uidl)
            && st.pending().contains(u)
        {
            plan.pending.push(m);
        }
    }
    for m in chosen {
        if known(m).is_some() {
            continue;
        }
        let seen = match (state, &m.uidl) {
            (Some(st), Some(u)) => st.is_seen(u),
            _ => false,
        };
        if rules.new_only && seen {
            continue;
        }
        if rules.max_size.is_some_and(|max| m.size > max) {
            plan.too_big.push(m);
            continue;
        }
        plan.todo.push(m);
    }
    if let Some(max) = rules.max_messages {
        plan.todo.truncate(max);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msgs(list: &[(u64, &str)]) -> Vec<Listed> {
        list.iter()
            .zip(1..)
            .map(|(&(size, u), number)| Listed {
                number,
                size,
                uidl: Some(u.to_string()),
            })
            .collect()
    }

    fn uidls(v: &[&Listed]) -> Vec<String> {
        v.iter().filter_map(|m| m.uidl.clone()).collect()
    }

    #[test]
    fn selectors_by_number_and_uidl_without_duplicates() {
        let l = msgs(&[(10, "a"), (10, "b"), (10, "c")]);
        let select: Vec<String> = ["3", "a", "c", "zz", "9"].map(String::from).to_vec();
        let rules = Rules {
            select: &select,
            ..Rules::default()
        };
        let p = plan(&l, &rules, &HashMap::new(), None);
        assert_eq!(uidls(&p.todo), ["c", "a"]);
        assert_eq!(p.unmatched, ["zz", "9"]);
    }

    #[test]
    fn size_and_count_limits() {
        let l = msgs(&[(4000, "big"), (10, "s1"), (10, "s2"), (10, "s3")]);
        let rules = Rules {
            max_size: Some(1024),
            max_messages: Some(2),
            ..Rules::default()
        };
        let p = plan(&l, &rules, &HashMap::new(), None);
        assert_eq!(uidls(&p.too_big), ["big"]);
        assert_eq!(uidls(&p.todo), ["s1", "s2"]);
    }

    #[test]
    fn a_resumed_session_skips_what_this_run_handled() {
        let l = msgs(&[(10, "a"), (10, "b"), (10, "c")]);
        let handled: HashMap<String, usize> = [("b".to_string(), 4)].into();
        let p = plan(&l, &Rules::default(), &handled, None);
        assert_eq!(p.known, vec![(4, &l[1])]);
        assert_eq!(uidls(&p.todo), ["a", "c"]);
    }

    #[test]
    fn pending_deletions_and_new_only_come_from_the_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("st");
        let mut st = UidlState::load(&path, "ann@h").unwrap();
        st.record("a", true).unwrap();
        st.record("b", false).unwrap();
        let l = msgs(&[(10, "a"), (10, "b"), (10, "c")]);
        let rules = Rules {
            new_only: true,
            delete: true,
            ..Rules::default()
        };
        let p = plan(&l, &rules, &HashMap::new(), Some(&st));
        assert_eq!(uidls(&p.pending), ["a"]);
        assert_eq!(uidls(&p.todo), ["c"]);
        let keep = Rules {
            delete: false,
            ..rules
        };
        let p = plan(&l, &keep, &HashMap::new(), Some(&st));
        assert!(p.pending.is_empty());
    }
}
