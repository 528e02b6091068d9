//! Which examples a run uses: the first N, a reproducible sample, and a shard of those.

use std::fmt;
use std::str::FromStr;

use planbench_core::Example;
use sha2::{Digest, Sha256};

use crate::spec::SelectionSpec;

/// The first `limit` examples, or `sample` examples drawn reproducibly by `sample_seed` (kept
/// in file order), or all of them.
pub fn choose(all: &[Example], selection: &SelectionSpec) -> Vec<Example> {
    match (selection.limit, selection.sample) {
        (Some(n), _) => all.iter().take(n).cloned().collect(),
        (None, Some(n)) => {
            let key = |e: &Example| {
                let mut h = Sha256::new();
                h.update(selection.sample_seed.to_le_bytes());
                h.update(e.id.as_bytes());
                h.finalize()
            };
            let mut keyed: Vec<_> = all.iter().map(|e| (key(e), e)).collect();
            keyed.sort_by_key(|(key, _)| *key);
            let mut chosen: Vec<Example> =
                keyed.into_iter().take(n).map(|(_, e)| e.clone()).collect();
            chosen.sort_by_key(|e| e.index);
            chosen
        }
        (None, None) => all.to_vec(),
    }
}

/// One of K machines' share of a selection: positions `index - 1`, `index - 1 + K`, … (so
/// shards are balanced and together cover the selection exactly once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// From 1 to `count`.
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// True when the example at `position` of the selection belongs to this shard.
    pub fn contains(self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("shard `{s}` is not I/K with 1 ≤ I ≤ K (e.g. 1/4)");
        let (i, k) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse().map_err(|_| bad())?,
            k.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(n: usize) -> Vec<Example> {
        (0..n)
            .map(|i| Example {
                id: format!("dev/{i}"),
                index: i,
                question: String::new(),
                gold: String::new(),
                db_id: None,
            })
            .collect()
    }

    fn sample(n: usize, seed: u64) -> SelectionSpec {
        SelectionSpec {
            sample: Some(n),
            sample_seed: seed,
            ..SelectionSpec::default()
        }
    }

    #[test]
    fn sampling_is_reproducible_ordered_and_seed_dependent() {
        let all = examples(100);
        let a = choose(&all, &sample(10, 1));
        assert_eq!(a, choose(&all, &sample(10, 1)));
        assert_ne!(a, choose(&all, &sample(10, 2)));
        assert_eq!(a.len(), 10);
        assert!(a.windows(2).all(|w| w[0].index < w[1].index));
        let first = SelectionSpec {
            limit: Some(3),
            ..SelectionSpec::default()
        };
        assert_eq!(choose(&all, &first), examples(3));
    }

    #[test]
    fn shards_partition_the_selection() {
        let shards: Vec<Shard> = ["1/3", "2/3", "3/3"].map(|s| s.parse().unwrap()).into();
        for position in 0..10 {
            assert_eq!(shards.iter().filter(|s| s.contains(position)).count(), 1);
        }
        for bad in ["0/2", "3/2", "1", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(shards[1].to_string(), "2/3");
    }
}
