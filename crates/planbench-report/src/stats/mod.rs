//! Statistics over per-example outcomes: percentile bootstrap confidence intervals, the exact
//! McNemar test for paired correctness (two- or one-sided), the Holm correction, the number of
//! examples a test needs, and the discriminator-accuracy threshold rule.

mod holm;
mod mcnemar;
mod power;

pub use holm::holm_adjust;
pub use mcnemar::{
    mcnemar_exact_p, mcnemar_one_sided_p, mcnemar_p, Alternative, ParseAlternativeError,
};
pub use power::{mcnemar_examples_needed, normal_quantile};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Why a statistic could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    #[error("no values to summarise")]
    Empty,
    #[error("paired samples differ in length: {a} vs {b}")]
    LengthMismatch { a: usize, b: usize },
    #[error("invalid {name}: {value} (expected {expected})")]
    InvalidParameter {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
}

/// A point estimate with a two-sided confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

/// Percentile bootstrap confidence interval of the mean of `values`.
///
/// Draws `resamples` samples of `values.len()` items with replacement from a ChaCha8 generator
/// seeded with `seed` (so the result is reproducible), and returns the sample mean with the
/// `(1 - confidence) / 2` and `(1 + confidence) / 2` quantiles of the resampled means
/// (linearly interpolated between order statistics).
pub fn bootstrap_ci(
    values: &[f64],
    resamples: usize,
    confidence: f64,
    seed: u64,
) -> Result<Interval, StatsError> {
    check_bootstrap_parameters(resamples, confidence)?;
    if values.is_empty() {
        return Err(StatsError::Empty);
    }
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let means: Vec<f64> = (0..resamples)
        .map(|_| (0..n).map(|_| values[rng.random_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    Ok(percentile_interval(mean, means, confidence))
}

fn check_bootstrap_parameters(resamples: usize, confidence: f64) -> Result<(), StatsError> {
    if resamples == 0 {
        return Err(StatsError::InvalidParameter {
            name: "resamples",
            value: 0.0,
            expected: "at least 1",
        });
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(StatsError::InvalidParameter {
            name: "confidence",
            value: confidence,
            expected: "strictly between 0 and 1",
        });
    }
    Ok(())
}

/// Turns resampled statistics into an interval around `mean`.
fn percentile_interval(mean: f64, mut samples: Vec<f64>, confidence: f64) -> Interval {
    samples.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    Interval {
        mean,
        lo: quantile_sorted(&samples, tail),
        hi: quantile_sorted(&samples, 1.0 - tail),
    }
}

/// The `q` quantile of sorted, non-empty `sorted`, interpolating linearly between order
/// statistics (Hyndman & Fan type 7, the default of R and NumPy).
pub(crate) fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let below = h.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (h - below as f64) * (sorted[above] - sorted[below])
}

/// A paired comparison of planner A against planner B on the same examples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Number of paired examples.
    pub examples: usize,
    pub accuracy_a: f64,
    pub accuracy_b: f64,
    /// Accuracy of A minus accuracy of B, with a paired percentile bootstrap interval.
    pub difference: Interval,
    /// Discordant pairs where only A is correct.
    pub only_a: usize,
    /// Discordant pairs where only B is correct.
    pub only_b: usize,
    /// Exact McNemar p-value (binomial test on the discordant pairs) under `alternative`.
    pub p_value: f64,
    /// The alternative hypothesis `p_value` was computed under.
    #[serde(default)]
    pub alternative: Alternative,
}

impl Comparison {
    /// Whether A is significantly better than B at level `alpha`: A wins more discordant pairs
    /// than B and the exact McNemar p-value is below `alpha`. This is the rule the threshold uses.
    pub fn a_significantly_better(&self, alpha: f64) -> bool {
        self.only_a > self.only_b && self.p_value < alpha
    }

    /// The same comparison with the p-value of the exact McNemar test under `alternative`.
    pub fn with_alternative(self, alternative: Alternative) -> Comparison {
        Comparison {
            p_value: mcnemar_p(self.only_a, self.only_b, alternative),
            alternative,
            ..self
        }
    }
}

/// Compares the per-example correctness of planner A (`a`) with planner B (`b`), paired by index.
///
/// Computes the two-sided exact McNemar test (see [`Comparison::with_alternative`] for the
/// one-sided one) and a paired bootstrap interval of the accuracy difference
/// (`resamples`, `confidence` and `seed` as in [`bootstrap_ci`]).
pub fn paired_comparison(
    a: &[bool],
    b: &[bool],
    resamples: usize,
    confidence: f64,
    seed: u64,
) -> Result<Comparison, StatsError> {
    if a.len() != b.len() {
        return Err(StatsError::LengthMismatch {
            a: a.len(),
            b: b.len(),
        });
    }
    let differences: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(u8::from(x)) - f64::from(u8::from(y)))
        .collect();
    let difference = bootstrap_ci(&differences, resamples, confidence, seed)?;
    let only_a = differences.iter().filter(|&&d| d > 0.0).count();
    let only_b = differences.iter().filter(|&&d| d < 0.0).count();
    let n = a.len() as f64;
    Ok(Comparison {
        examples: a.len(),
        accuracy_a: a.iter().filter(|&&x| x).count() as f64 / n,
        accuracy_b: b.iter().filter(|&&x| x).count() as f64 / n,
        difference,
        only_a,
        only_b,
        p_value: mcnemar_exact_p(only_a, only_b),
        alternative: Alternative::TwoSided,
    })
}

/// The lowest discriminator accuracy from which a planner is significantly better than the
/// baseline at that accuracy and at every higher accuracy in `points`
/// (`(accuracy, significantly better)`); `None` when it is not better at the highest one.
pub fn threshold(points: &[(f64, bool)]) -> Option<f64> {
    let mut sorted = points.to_vec();
    // Highest accuracy first; at equal accuracy a failure comes first and ends the run.
    sorted.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    sorted
        .iter()
        .take_while(|(_, better)| *better)
        .last()
        .map(|&(accuracy, _)| accuracy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_of_constant_values_is_degenerate() {
        let ci = bootstrap_ci(&[1.0; 20], 500, 0.95, 7).unwrap();
        assert_eq!(
            ci,
            Interval {
                mean: 1.0,
                lo: 1.0,
                hi: 1.0
            }
        );
    }

    #[test]
    fn bootstrap_is_reproducible_and_close_to_the_normal_approximation() {
        let values: Vec<f64> = (0..100).map(|i| f64::from(u8::from(i < 70))).collect();
        let first = bootstrap_ci(&values, 4000, 0.95, 42).unwrap();
        assert_eq!(first, bootstrap_ci(&values, 4000, 0.95, 42).unwrap());
        let spread: Vec<f64> = (0..30).map(|i| f64::from(i).sqrt()).collect();
        assert_ne!(
            bootstrap_ci(&spread, 100, 0.95, 42).unwrap(),
            bootstrap_ci(&spread, 100, 0.95, 43).unwrap()
        );
        assert!((first.mean - 0.7).abs() < 1e-12);
        assert!(first.lo < first.mean && first.mean < first.hi);
        // Normal approximation: 0.7 -/+ 1.96 * sqrt(0.7 * 0.3 / 100) = [0.610, 0.790].
        assert!((first.lo - 0.610).abs() < 0.02, "{first:?}");
        assert!((first.hi - 0.790).abs() < 0.02, "{first:?}");
    }

    #[test]
    fn bootstrap_rejects_bad_input() {
        assert_eq!(bootstrap_ci(&[], 10, 0.95, 0), Err(StatsError::Empty));
        assert!(bootstrap_ci(&[1.0], 0, 0.95, 0).is_err());
        assert!(bootstrap_ci(&[1.0], 10, 1.0, 0).is_err());
        assert!(bootstrap_ci(&[1.0], 10, f64::NAN, 0).is_err());
    }

    #[test]
    fn quantile_interpolates_like_numpy() {
        let sorted = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&sorted, 0.0), 1.0);
        assert_eq!(quantile_sorted(&sorted, 1.0), 4.0);
        assert!((quantile_sorted(&sorted, 0.25) - 1.75).abs() < 1e-12);
        assert!((quantile_sorted(&sorted, 0.5) - 2.5).abs() < 1e-12);
    }

    #[test]
    fn paired_comparison_counts_discordant_pairs() {
        // 8 examples only A solves, 2 only B solves, 5 both, 5 neither: 20 examples.
        let mut a = vec![true; 8];
        let mut b = vec![false; 8];
        a.extend([false; 2]);
        b.extend([true; 2]);
        a.extend([true; 5]);
        b.extend([true; 5]);
        a.extend([false; 5]);
        b.extend([false; 5]);
        let c = paired_comparison(&a, &b, 2000, 0.95, 1).unwrap();
        assert_eq!((c.examples, c.only_a, c.only_b), (20, 8, 2));
        assert!((c.accuracy_a - 13.0 / 20.0).abs() < 1e-12);
        assert!((c.accuracy_b - 7.0 / 20.0).abs() < 1e-12);
        assert!((c.difference.mean - 0.3).abs() < 1e-12);
        assert!(c.difference.lo <= 0.3 && 0.3 <= c.difference.hi);
        assert!((c.p_value - 0.109375).abs() < 1e-12);
        assert!(!c.a_significantly_better(0.05));
        assert!(c.a_significantly_better(0.2));
        let one_sided = c.clone().with_alternative(Alternative::Greater);
        assert!((one_sided.p_value - 56.0 / 1024.0).abs() < 1e-12);
        assert_eq!(one_sided.alternative, Alternative::Greater);
        assert!(one_sided.a_significantly_better(0.06));
        assert!(!c.a_significantly_better(0.06));
        assert_eq!(
            paired_comparison(&a, &b[1..], 10, 0.95, 1),
            Err(StatsError::LengthMismatch { a: 20, b: 19 })
        );
    }

    #[test]
    fn worse_planner_is_never_significantly_better() {
        let c = paired_comparison(&[false; 10], &[true; 10], 100, 0.95, 1).unwrap();
        assert!(c.p_value < 0.01);
        assert!(!c.a_significantly_better(0.05));
    }

    fn curve(better_from: &[bool]) -> Vec<(f64, bool)> {
        [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
            .into_iter()
            .zip(better_from.iter().copied())
            .collect()
    }

    #[test]
    fn threshold_rule_on_constructed_curves() {
        assert_eq!(threshold(&curve(&[true; 6])), Some(0.5));
        assert_eq!(threshold(&curve(&[false; 6])), None);
        assert_eq!(
            threshold(&curve(&[false, false, false, false, true, true])),
            Some(0.9)
        );
        assert_eq!(
            threshold(&curve(&[false, true, false, true, true, true])),
            Some(0.8)
        );
        assert_eq!(
            threshold(&curve(&[true, true, true, true, true, false])),
            None
        );
        assert_eq!(threshold(&[]), None);
        // Order of the input does not matter.
        let mut shuffled = curve(&[false, false, false, true, true, true]);
        shuffled.reverse();
        assert_eq!(threshold(&shuffled), Some(0.8));
        // A failed duplicate at an accuracy disqualifies it.
        assert_eq!(
            threshold(&[(0.9, true), (0.9, false), (1.0, true)]),
            Some(1.0)
        );
    }
}
