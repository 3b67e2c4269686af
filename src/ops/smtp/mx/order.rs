//! The order in which a domain's mail exchangers are tried (RFC 5321 §5.1): lowest preference first;
//! exchangers of equal preference in random order, so senders spread their load over them; no MX records
//! means the domain itself (the implicit MX).
//!
//! The shuffle takes its generator from the caller, so tests seed it (`--mx-seed`) and see one order.

use crate::dns::{Exchanger, MxAnswer};

/// The exchangers to try for `domain`, in order; `None` for a null MX (the domain takes no mail).
pub fn exchangers(
    domain: &str,
    answer: &MxAnswer,
    rng: &mut fastrand::Rng,
) -> Option<Vec<Exchanger>> {
    match answer {
        MxAnswer::Null => None,
        MxAnswer::Implicit => Some(vec![Exchanger {
            preference: 0,
            host: domain.to_string(),
        }]),
        MxAnswer::Exchangers(list) => {
            let mut list = list.clone();
            // Shuffle first, then a stable sort: equal preferences keep their shuffled order.
            rng.shuffle(&mut list);
            list.sort_by_key(|x| x.preference);
            // The same host listed twice (at two preferences) is tried once, at its best.
            let mut seen: Vec<String> = Vec::new();
            list.retain(|x| {
                let new = !seen.contains(&x.host);
                seen.push(x.host.clone());
                new
            });
            Some(list)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mx(preference: u16, host: &str) -> Exchanger {
        Exchanger {
            preference,
            host: host.into(),
        }
    }

    fn hosts(v: &[Exchanger]) -> Vec<&str> {
        v.iter().map(|x| x.host.as_str()).collect()
    }

    #[test]
    fn preference_first_and_equal_preferences_shuffled() {
        let answer = MxAnswer::Exchangers(vec![
            mx(20, "c"),
            mx(10, "a"),
            mx(10, "b"),
            mx(30, "d"),
            mx(20, "a"),
        ]);
        let mut orders = std::collections::BTreeSet::new();
        for seed in 0..64 {
            let list = exchangers("x", &answer, &mut fastrand::Rng::with_seed(seed)).unwrap();
            let h = hosts(&list);
            assert_eq!(h.len(), 4, "{h:?}");
            assert_eq!(&h[2..], ["c", "d"], "{h:?}");
            orders.insert(h[..2].join(","));
        }
        assert_eq!(
            orders.into_iter().collect::<Vec<_>>(),
            ["a,b", "b,a"],
            "both orders of the equal pair occur"
        );
        let a = exchangers("x", &answer, &mut fastrand::Rng::with_seed(7)).unwrap();
        let b = exchangers("x", &answer, &mut fastrand::Rng::with_seed(7)).unwrap();
        assert_eq!(a, b, "a seed gives one order");
    }

    #[test]
    fn implicit_and_null_mx() {
        let mut rng = fastrand::Rng::with_seed(1);
        assert_eq!(
            exchangers("d.test", &MxAnswer::Implicit, &mut rng),
            Some(vec![mx(0, "d.test")])
        );
        assert_eq!(exchangers("d.test", &MxAnswer::Null, &mut rng), None);
    }
}
