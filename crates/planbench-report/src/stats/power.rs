//! How many paired examples a McNemar test needs: the normal-approximation sample size from
//! observed discordant rates, and the standard normal quantile it uses.

use super::mcnemar::Alternative;
use super::StatsError;

/// Standard normal density.
fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal CDF by composite Simpson integration of the density from 0 (error below
/// 1e-12 for |x| <= 10; beyond that the tail is 0 or 1 to double precision).
fn normal_cdf(x: f64) -> f64 {
    if x.abs() > 10.0 {
        return if x > 0.0 { 1.0 } else { 0.0 };
    }
    const STEPS: usize = 2000; // even
    let h = x.abs() / STEPS as f64;
    let mut sum = normal_pdf(0.0) + normal_pdf(x.abs());
    for i in 1..STEPS {
        let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += weight * normal_pdf(i as f64 * h);
    }
    let half_area = sum * h / 3.0;
    if x >= 0.0 {
        0.5 + half_area
    } else {
        0.5 - half_area
    }
}

/// The `p` quantile of the standard normal distribution, `z_p` with `Φ(z_p) = p`, by bisection
/// of [`normal_cdf`]; `p` must lie strictly between 0 and 1.
pub fn normal_quantile(p: f64) -> Result<f64, StatsError> {
    if !(p > 0.0 && p < 1.0) {
        return Err(StatsError::InvalidParameter {
            name: "probability",
            value: p,
            expected: "strictly between 0 and 1",
        });
    }
    let (mut lo, mut hi) = (-10.0f64, 10.0f64);
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// Paired examples a McNemar test at level `alpha` needs to reach `power`, if the discordant
/// rates stay as observed: `only_a / examples` (only the planner solved) and
/// `only_b / examples` (only the baseline solved).
///
/// Uses the standard normal approximation for McNemar's test (Connor 1987):
///
/// `n = [z_α · sqrt(p_disc) + z_β · sqrt(p_disc − δ²)]² / δ²`, rounded up,
///
/// with `p_disc = (only_a + only_b) / examples` the discordant rate,
/// `δ = (only_a − only_b) / examples` the accuracy difference, `z_β` the `power` quantile of
/// the standard normal, and `z_α` its `1 − alpha/2` quantile for a two-sided test or its
/// `1 − alpha` quantile for the one-sided [`Alternative::Greater`].
///
/// `None` when no number of examples decides: `δ = 0` (no observed difference), or, one-sided,
/// `δ < 0` (the planner is behind, so it cannot be shown better at any size). The two-sided
/// test uses `|δ|`. Fails on `examples == 0`, more discordant pairs than examples, or `alpha`
/// or `power` outside (0, 1).
pub fn mcnemar_examples_needed(
    only_a: usize,
    only_b: usize,
    examples: usize,
    alpha: f64,
    power: f64,
    alternative: Alternative,
) -> Result<Option<u64>, StatsError> {
    if examples == 0 || only_a + only_b > examples {
        return Err(StatsError::InvalidParameter {
            name: "examples",
            value: examples as f64,
            expected: "at least 1 and at least the number of discordant pairs",
        });
    }
    for (name, value) in [("alpha", alpha), ("power", power)] {
        if !(value > 0.0 && value < 1.0) {
            return Err(StatsError::InvalidParameter {
                name,
                value,
                expected: "strictly between 0 and 1",
            });
        }
    }
    let n = examples as f64;
    let p_disc = (only_a + only_b) as f64 / n;
    let delta = (only_a as f64 - only_b as f64) / n;
    let delta = match alternative {
        Alternative::TwoSided => delta.abs(),
        Alternative::Greater => delta,
    };
    if delta <= 0.0 {
        return Ok(None);
    }
    let z_alpha = match alternative {
        Alternative::TwoSided => normal_quantile(1.0 - alpha / 2.0)?,
        Alternative::Greater => normal_quantile(1.0 - alpha)?,
    };
    let z_beta = normal_quantile(power)?;
    let root = z_alpha * p_disc.sqrt() + z_beta * (p_disc - delta * delta).max(0.0).sqrt();
    let needed = (root * root / (delta * delta)).ceil();
    Ok(Some(needed.min(u64::MAX as f64) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles_match_tables() {
        for (p, z) in [
            (0.5, 0.0),
            (0.8, 0.841_621_233_6),
            (0.95, 1.644_853_627_0),
            (0.975, 1.959_963_984_5),
            (0.995, 2.575_829_303_5),
            (0.025, -1.959_963_984_5),
        ] {
            let got = normal_quantile(p).unwrap();
            assert!((got - z).abs() < 1e-8, "z_{p} = {got}, expected {z}");
        }
        assert!(normal_quantile(0.0).is_err());
        assert!(normal_quantile(1.0).is_err());
        assert!(normal_quantile(f64::NAN).is_err());
    }

    #[test]
    fn sample_size_matches_hand_computed_values() {
        let two = Alternative::TwoSided;
        let one = Alternative::Greater;
        // b=8, c=2, n=20: p_disc = 0.5, δ = 0.3.
        // Two-sided: (1.959964·√0.5 + 0.841621·√0.41)² / 0.09 = 41.17 -> 42.
        assert_eq!(
            mcnemar_examples_needed(8, 2, 20, 0.05, 0.8, two),
            Ok(Some(42))
        );
        // One-sided: (1.644854·√0.5 + 0.841621·√0.41)² / 0.09 = 32.19 -> 33.
        assert_eq!(
            mcnemar_examples_needed(8, 2, 20, 0.05, 0.8, one),
            Ok(Some(33))
        );
        // b=20, c=0, n=60: p_disc = δ = 1/3: (1.959964·√(1/3) + 0.841621·√(2/9))² · 9 = 21.02.
        assert_eq!(
            mcnemar_examples_needed(20, 0, 60, 0.05, 0.8, two),
            Ok(Some(22))
        );
        // b=5, c=0, n=10: p_disc = δ = 0.5: 13.06 two-sided, 10.03 one-sided.
        assert_eq!(
            mcnemar_examples_needed(5, 0, 10, 0.05, 0.8, two),
            Ok(Some(14))
        );
        assert_eq!(
            mcnemar_examples_needed(5, 0, 10, 0.05, 0.8, one),
            Ok(Some(11))
        );
        // Behind by 2 of 60: two-sided uses |δ| (233.09 -> 234); one-sided never decides.
        assert_eq!(
            mcnemar_examples_needed(0, 2, 60, 0.05, 0.8, two),
            Ok(Some(234))
        );
        assert_eq!(mcnemar_examples_needed(0, 2, 60, 0.05, 0.8, one), Ok(None));
        // No difference: no size decides.
        assert_eq!(mcnemar_examples_needed(3, 3, 10, 0.05, 0.8, two), Ok(None));
        assert_eq!(mcnemar_examples_needed(0, 0, 10, 0.05, 0.8, one), Ok(None));
    }

    #[test]
    fn sample_size_rejects_bad_input() {
        let two = Alternative::TwoSided;
        assert!(mcnemar_examples_needed(1, 0, 0, 0.05, 0.8, two).is_err());
        assert!(mcnemar_examples_needed(6, 6, 10, 0.05, 0.8, two).is_err());
        assert!(mcnemar_examples_needed(1, 0, 10, 0.0, 0.8, two).is_err());
        assert!(mcnemar_examples_needed(1, 0, 10, 0.05, 1.0, two).is_err());
    }
}
