//! Which examples a run uses: the first N, a reproducible sample, and a shard of those.

use std::fmt;
use std::str::FromStr;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use planbench_core::Example;
use sha2::{Digest, Sha256};

use crate::spec::{SelectionSpec, Stratum};
use crate::ExperimentError;

/// The examples `selection` names: the first `limit`, `sample` drawn reproducibly by
/// `sample_seed` (optionally in proportion to each stratum; kept in file order), the ids of an
/// `examples` file (in its order), or all of them. A file naming an unknown or repeated id is an
/// error with its line.
pub fn choose(all: &[Example], selection: &SelectionSpec) -> Result<Vec<Example>, ExperimentError> {
    if let Some(path) = &selection.examples {
        return from_file(all, path);
    }
    Ok(match (selection.limit, selection.sample) {
        (Some(n), _) => all.iter().take(n).cloned().collect(),
        (None, Some(n)) => {
            let mut chosen = match selection.stratify {
                None => first_by_key(all.iter(), n, selection.sample_seed),
                Some(Stratum::Db) => stratified(all, n, selection.sample_seed),
            };
            chosen.sort_by_key(|e| e.index);
            chosen
        }
        (None, None) => all.to_vec(),
    })
}

/// The `n` examples of `examples` with the smallest seeded hash of their id.
fn first_by_key<'a>(
    examples: impl Iterator<Item = &'a Example>,
    n: usize,
    seed: u64,
) -> Vec<Example> {
    let key = |e: &Example| {
        let mut h = Sha256::new();
        h.update(seed.to_le_bytes());
        h.update(e.id.as_bytes());
        h.finalize()
    };
    let mut keyed: Vec<_> = examples.map(|e| (key(e), e)).collect();
    keyed.sort_by_key(|(key, _)| *key);
    keyed.into_iter().take(n).map(|(_, e)| e.clone()).collect()
}

/// `n` examples split over databases in proportion to their sizes (largest remainders get
/// the leftover places, ties to the database named first), each database's share drawn as an
/// unstratified sample.
fn stratified(all: &[Example], n: usize, seed: u64) -> Vec<Example> {
    let mut strata: BTreeMap<&str, Vec<&Example>> = BTreeMap::new();
    for example in all {
        strata
            .entry(example.db_id.as_deref().unwrap_or(""))
            .or_default()
            .push(example);
    }
    let n = n.min(all.len());
    let total = all.len().max(1) as f64;
    let mut shares: Vec<(usize, f64, &str)> = strata
        .iter()
        .map(|(db, members)| {
            let exact = n as f64 * members.len() as f64 / total;
            (exact.floor() as usize, exact - exact.floor(), *db)
        })
        .collect();
    let given: usize = shares.iter().map(|(k, _, _)| k).sum();
    let mut by_remainder: Vec<usize> = (0..shares.len()).collect();
    by_remainder.sort_by(|&a, &b| shares[b].1.total_cmp(&shares[a].1).then(a.cmp(&b)));
    for &i in by_remainder.iter().take(n - given) {
        shares[i].0 += 1;
    }
    shares
        .iter()
        .flat_map(|(k, _, db)| first_by_key(strata[db].iter().copied(), *k, seed))
        .collect()
}

/// The examples an id file names, in its order.
fn from_file(all: &[Example], path: &Path) -> Result<Vec<Example>, ExperimentError> {
    let text = std::fs::read_to_string(path).map_err(|source| ExperimentError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let by_id: HashMap<&str, &Example> = all.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut seen = HashSet::new();
    let mut chosen = Vec::new();
    for (line, raw) in text.lines().enumerate() {
        let id = raw.split('#').next().unwrap_or("").trim();
        if id.is_empty() {
            continue;
        }
        let bad = |message: String| ExperimentError::SpecFile {
            path: path.to_path_buf(),
            message: format!("line {}: {message}", line + 1),
        };
        let example = by_id
            .get(id)
            .ok_or_else(|| bad(format!("no example has id `{id}` in this split")))?;
        if !seen.insert(id) {
            return Err(bad(format!("example `{id}` is listed twice")));
        }
        chosen.push((*example).clone());
    }
    Ok(chosen)
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
        let a = choose(&all, &sample(10, 1)).unwrap();
        assert_eq!(a, choose(&all, &sample(10, 1)).unwrap());
        assert_ne!(a, choose(&all, &sample(10, 2)).unwrap());
        assert_eq!(a.len(), 10);
        assert!(a.windows(2).all(|w| w[0].index < w[1].index));
        let first = SelectionSpec {
            limit: Some(3),
            ..SelectionSpec::default()
        };
        assert_eq!(choose(&all, &first).unwrap(), examples(3));
    }

    #[test]
    fn a_stratified_sample_follows_each_databases_share() {
        // Databases of 60, 30 and 10 examples: 10 examples split 6, 3, 1.
        let all: Vec<Example> = examples(100)
            .into_iter()
            .map(|mut e| {
                let db = match e.index {
                    0..60 => "a",
                    60..90 => "b",
                    _ => "c",
                };
                e.db_id = Some(db.into());
                e
            })
            .collect();
        let spec = SelectionSpec {
            stratify: Some(Stratum::Db),
            ..sample(10, 5)
        };
        let chosen = choose(&all, &spec).unwrap();
        let count = |db: &str| {
            chosen
                .iter()
                .filter(|e| e.db_id.as_deref() == Some(db))
                .count()
        };
        assert_eq!((count("a"), count("b"), count("c")), (6, 3, 1));
        assert!(chosen.windows(2).all(|w| w[0].index < w[1].index));
        assert_eq!(chosen, choose(&all, &spec).unwrap());
        // Largest remainders: 4 of (60, 30, 10) → 2.4, 1.2, 0.4 → 2, 1, 1.
        let four = choose(
            &all,
            &SelectionSpec {
                sample: Some(4),
                ..spec.clone()
            },
        )
        .unwrap();
        assert_eq!(
            four.iter()
                .filter(|e| e.db_id.as_deref() == Some("c"))
                .count(),
            1
        );
    }

    #[test]
    fn an_id_file_selects_those_examples_in_its_order_and_names_bad_lines() {
        let all = examples(10);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ids.txt");
        std::fs::write(&path, "# chosen\ndev/7\n\ndev/2  # second\n").unwrap();
        let spec = SelectionSpec {
            examples: Some(path.clone()),
            ..SelectionSpec::default()
        };
        let ids: Vec<String> = choose(&all, &spec)
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids, ["dev/7", "dev/2"]);
        std::fs::write(&path, "dev/1\ndev/99\n").unwrap();
        let err = choose(&all, &spec).unwrap_err().to_string();
        assert!(
            err.contains("ids.txt") && err.contains("line 2") && err.contains("dev/99"),
            "{err}"
        );
        std::fs::write(&path, "dev/1\ndev/1\n").unwrap();
        let err = choose(&all, &spec).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("twice"), "{err}");
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
