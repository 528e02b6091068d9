//! Intrinsic evaluation of a discriminator on a labelled pool of candidates (the paper's
//! `intrin_eval`).

mod calibration;
mod depth;
mod roc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use calibration::CALIBRATION_BINS;
pub use depth::{judge_accuracy_by_depth, DepthAccuracy, DepthError};

/// The classification threshold of [`intrinsic_metrics`]: a score above it means "correct".
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// One example's candidate programs with their correctness labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolExample {
    pub example_id: String,
    pub candidates: Vec<String>,
    pub labels: Vec<bool>,
}

/// How well scores separate correct from incorrect candidates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntrinsicMetrics {
    pub examples: usize,
    pub candidates: usize,
    /// Pairs of candidates of the same example with different labels.
    pub mixed_pairs: usize,
    /// Share of mixed pairs whose correct candidate scores strictly higher (ties fail); `None`
    /// without mixed pairs.
    pub pairwise_accuracy: Option<f64>,
    /// As `pairwise_accuracy`, with ties broken by a seeded coin.
    pub pairwise_accuracy_random_ties: Option<f64>,
    pub threshold: f64,
    /// F1 of the "correct" class, predicting correct when the score exceeds `threshold`.
    pub positive_f1: f64,
    /// F1 of the "incorrect" class.
    pub negative_f1: f64,
    /// Mean of the two F1s.
    pub macro_f1: f64,
    /// Share of examples whose top-scored candidate (ties: the first) is correct.
    pub hit_at_1: Option<f64>,
    /// Mean over examples of 1 / rank of the first correct candidate (0 when none is).
    pub mrr: Option<f64>,
    /// Area under the ROC curve over all candidates pooled: the chance that a correct
    /// candidate scores above an incorrect one, ties counted half; `None` unless both occur.
    #[serde(default)]
    pub auroc: Option<f64>,
    /// Expected calibration error over all candidates, with [`CALIBRATION_BINS`] equal-width
    /// score bins; `None` without candidates.
    #[serde(default)]
    pub ece: Option<f64>,
    /// Share of correct candidates scored above `threshold`; `None` without correct ones.
    #[serde(default)]
    pub true_positive_rate: Option<f64>,
    /// Share of incorrect candidates scored above `threshold`; `None` without incorrect ones.
    #[serde(default)]
    pub false_positive_rate: Option<f64>,
}

/// Why the pool and the scores do not fit together.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    #[error("{scores} score lists for {examples} pool examples")]
    ExampleCount { examples: usize, scores: usize },
    #[error("example `{example_id}`: {candidates} candidates but {labels} labels")]
    LabelCount {
        example_id: String,
        candidates: usize,
        labels: usize,
    },
    #[error("example `{example_id}`: {candidates} candidates but {scores} scores")]
    ScoreCount {
        example_id: String,
        candidates: usize,
        scores: usize,
    },
    #[error("example `{example_id}`: candidate {index} has the non-finite score {score}")]
    NonFinite {
        example_id: String,
        index: usize,
        score: f64,
    },
}

/// [`intrinsic_metrics_at`] with the threshold [`DEFAULT_THRESHOLD`].
pub fn intrinsic_metrics(
    pool: &[PoolExample],
    scores: &[Vec<f64>],
    seed: u64,
) -> Result<IntrinsicMetrics, MetricsError> {
    intrinsic_metrics_at(pool, scores, seed, DEFAULT_THRESHOLD)
}

/// Metrics of `scores` (one list per pool example, one score per candidate) on `pool`; `seed`
/// drives the tie-breaking coin of `pairwise_accuracy_random_ties`.
pub fn intrinsic_metrics_at(
    pool: &[PoolExample],
    scores: &[Vec<f64>],
    seed: u64,
    threshold: f64,
) -> Result<IntrinsicMetrics, MetricsError> {
    validate(pool, scores)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut mixed, mut strict_wins, mut coin_wins) = (0usize, 0usize, 0usize);
    let mut confusion = Confusion::default();
    let (mut hits, mut reciprocal_ranks) = (0usize, 0.0);
    for (example, scores) in pool.iter().zip(scores) {
        let labels = &example.labels;
        for a in 0..labels.len() {
            for b in a + 1..labels.len() {
                if labels[a] == labels[b] {
                    continue;
                }
                mixed += 1;
                let (good, bad) = if labels[a] { (a, b) } else { (b, a) };
                if scores[good] > scores[bad] {
                    strict_wins += 1;
                    coin_wins += 1;
                } else if scores[good] == scores[bad] && rng.random_bool(0.5) {
                    coin_wins += 1;
                }
            }
        }
        for (score, label) in scores.iter().zip(labels) {
            confusion.add(*score > threshold, *label);
        }
        let mut ranking: Vec<usize> = (0..scores.len()).collect();
        ranking.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
        if let Some(rank) = ranking.iter().position(|i| labels[*i]) {
            hits += usize::from(rank == 0);
            reciprocal_ranks += 1.0 / (rank + 1) as f64;
        }
    }
    let pooled: Vec<(f64, bool)> = pool
        .iter()
        .zip(scores)
        .flat_map(|(example, scores)| scores.iter().copied().zip(example.labels.iter().copied()))
        .collect();
    let (true_positive_rate, false_positive_rate) = roc::rates_above(&pooled, threshold);
    let share = |count: f64, total: usize| (total > 0).then(|| count / total as f64);
    let (positive_f1, negative_f1) = (confusion.positive_f1(), confusion.negative_f1());
    Ok(IntrinsicMetrics {
        examples: pool.len(),
        candidates: pool.iter().map(|e| e.candidates.len()).sum(),
        mixed_pairs: mixed,
        pairwise_accuracy: share(strict_wins as f64, mixed),
        pairwise_accuracy_random_ties: share(coin_wins as f64, mixed),
        threshold,
        positive_f1,
        negative_f1,
        macro_f1: (positive_f1 + negative_f1) / 2.0,
        hit_at_1: share(hits as f64, pool.len()),
        mrr: share(reciprocal_ranks, pool.len()),
        auroc: roc::auroc(&pooled),
        ece: calibration::expected_calibration_error(&pooled, CALIBRATION_BINS),
        true_positive_rate,
        false_positive_rate,
    })
}

fn validate(pool: &[PoolExample], scores: &[Vec<f64>]) -> Result<(), MetricsError> {
    if pool.len() != scores.len() {
        return Err(MetricsError::ExampleCount {
            examples: pool.len(),
            scores: scores.len(),
        });
    }
    for (example, scores) in pool.iter().zip(scores) {
        let example_id = example.example_id.clone();
        let candidates = example.candidates.len();
        if example.labels.len() != candidates {
            return Err(MetricsError::LabelCount {
                example_id,
                candidates,
                labels: example.labels.len(),
            });
        }
        if scores.len() != candidates {
            return Err(MetricsError::ScoreCount {
                example_id,
                candidates,
                scores: scores.len(),
            });
        }
        if let Some(index) = scores.iter().position(|s| !s.is_finite()) {
            return Err(MetricsError::NonFinite {
                example_id,
                index,
                score: scores[index],
            });
        }
    }
    Ok(())
}

/// Counts of predicted versus true labels.
#[derive(Debug, Default)]
struct Confusion {
    true_positive: usize,
    false_positive: usize,
    true_negative: usize,
    false_negative: usize,
}

impl Confusion {
    fn add(&mut self, predicted: bool, actual: bool) {
        match (predicted, actual) {
            (true, true) => self.true_positive += 1,
            (true, false) => self.false_positive += 1,
            (false, false) => self.true_negative += 1,
            (false, true) => self.false_negative += 1,
        }
    }

    fn positive_f1(&self) -> f64 {
        f1(self.true_positive, self.false_positive, self.false_negative)
    }

    fn negative_f1(&self) -> f64 {
        f1(self.true_negative, self.false_negative, self.false_positive)
    }
}

/// `2 TP / (2 TP + FP + FN)`, 0 when undefined (as scikit-learn).
fn f1(hits: usize, false_alarms: usize, misses: usize) -> f64 {
    let denominator = 2 * hits + false_alarms + misses;
    if denominator == 0 {
        0.0
    } else {
        (2 * hits) as f64 / denominator as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(id: &str, labels: &[bool]) -> PoolExample {
        PoolExample {
            example_id: id.into(),
            candidates: (0..labels.len()).map(|i| format!("p{i}")).collect(),
            labels: labels.to_vec(),
        }
    }

    #[test]
    fn metrics_match_hand_computed_values() {
        let pool = [
            example("a", &[true, false, false]),
            example("b", &[false, true]),
            example("c", &[false, false]),
        ];
        let scores = [vec![0.9, 0.6, 0.9], vec![0.7, 0.7], vec![0.2, 0.4]];
        let m = intrinsic_metrics(&pool, &scores, 7).unwrap();
        assert_eq!((m.examples, m.candidates, m.mixed_pairs), (3, 7, 3));
        // Mixed pairs: a(0,1) win, a(0,2) tie, b(1,0) tie.
        assert_eq!(m.pairwise_accuracy, Some(1.0 / 3.0));
        let coin = m.pairwise_accuracy_random_ties.unwrap();
        assert!([1.0 / 3.0, 2.0 / 3.0, 1.0].contains(&coin), "{coin}");
        // Predictions (> 0.5): a: T T T, b: T T, c: F F. TP 2, FP 3, TN 2, FN 0.
        assert_eq!(m.positive_f1, 4.0 / 7.0);
        assert_eq!(m.negative_f1, 4.0 / 7.0);
        assert_eq!(m.macro_f1, 4.0 / 7.0);
        // Ranks of the first correct candidate: a 1 (tie, first wins), b 2 (tie), c none.
        assert_eq!(m.hit_at_1, Some(1.0 / 3.0));
        assert_eq!(m.mrr, Some((1.0 + 0.5) / 3.0));
        // Pooled: correct 0.9 and 0.7 against incorrect 0.6, 0.9, 0.7, 0.2, 0.4.
        // 0.9 beats four and ties one (4.5); 0.7 beats three, ties one (3.5): 8 / 10.
        assert_eq!(m.auroc, Some(0.8));
        assert_eq!(m.true_positive_rate, Some(1.0));
        assert_eq!(m.false_positive_rate, Some(3.0 / 5.0));
        // Bins: 0.9 |1 - 1.8|, 0.6 |0 - 0.6|, 0.7 |1 - 1.4|, 0.2 |0 - 0.2|, 0.4 |0 - 0.4|.
        let ece = m.ece.unwrap();
        assert!((ece - 2.4 / 7.0).abs() < 1e-12, "{ece}");
    }

    #[test]
    fn random_tie_breaking_is_seeded_and_fair() {
        let pool: Vec<_> = (0..400)
            .map(|i| example(&i.to_string(), &[true, false]))
            .collect();
        let scores = vec![vec![0.5, 0.5]; 400];
        let first = intrinsic_metrics(&pool, &scores, 1).unwrap();
        assert_eq!(first, intrinsic_metrics(&pool, &scores, 1).unwrap());
        assert_eq!(first.pairwise_accuracy, Some(0.0));
        let coin = first.pairwise_accuracy_random_ties.unwrap();
        assert!((coin - 0.5).abs() < 0.1, "{coin}");
    }

    #[test]
    fn metrics_stored_before_the_new_fields_still_load() {
        let m = intrinsic_metrics(&[example("a", &[true, false])], &[vec![0.9, 0.1]], 0).unwrap();
        let mut stored = serde_json::to_value(&m).unwrap();
        let object = stored.as_object_mut().unwrap();
        for key in ["auroc", "ece", "true_positive_rate", "false_positive_rate"] {
            object.remove(key);
        }
        let old: IntrinsicMetrics = serde_json::from_value(stored).unwrap();
        assert_eq!((old.auroc, old.macro_f1), (None, m.macro_f1));
        assert_eq!(m.auroc, Some(1.0));
    }

    #[test]
    fn mismatched_inputs_are_errors() {
        let pool = [example("a", &[true, false])];
        assert!(matches!(
            intrinsic_metrics(&pool, &[vec![0.1]], 0),
            Err(MetricsError::ScoreCount { .. })
        ));
        assert!(matches!(
            intrinsic_metrics(&pool, &[], 0),
            Err(MetricsError::ExampleCount { .. })
        ));
        assert!(matches!(
            intrinsic_metrics(&pool, &[vec![0.1, f64::NAN]], 0),
            Err(MetricsError::NonFinite { index: 1, .. })
        ));
        let empty = intrinsic_metrics(&[], &[], 0).unwrap();
        assert_eq!((empty.pairwise_accuracy, empty.hit_at_1), (None, None));
        assert_eq!((empty.auroc, empty.ece), (None, None));
        assert_eq!(
            (empty.true_positive_rate, empty.false_positive_rate),
            (None, None)
        );
    }
}
