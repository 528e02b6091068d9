//! The exact McNemar test on the discordant pairs of a paired comparison, two-sided or
//! one-sided in favour of the first method.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which alternative hypothesis the McNemar test has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Alternative {
    /// The two methods differ in either direction (the default, and the historic behaviour).
    #[default]
    TwoSided,
    /// The first method (the planner) solves more examples than the second (the baseline):
    /// the directional claim "planner beats re-ranking".
    Greater,
}

impl Alternative {
    /// The one string form: `two-sided` or `greater`.
    pub fn as_str(self) -> &'static str {
        match self {
            Alternative::TwoSided => "two-sided",
            Alternative::Greater => "greater",
        }
    }

    /// A phrase for reports, e.g. "one-sided (planner better)".
    pub fn describe(self) -> &'static str {
        match self {
            Alternative::TwoSided => "two-sided",
            Alternative::Greater => "one-sided (alternative: the planner is better)",
        }
    }
}

impl fmt::Display for Alternative {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown [`Alternative`] name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown McNemar alternative '{0}' (expected two-sided, greater or one-sided)")]
pub struct ParseAlternativeError(pub String);

impl FromStr for Alternative {
    type Err = ParseAlternativeError;

    /// Accepts `two-sided` and `greater` (its alias `one-sided`), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "two-sided" => Ok(Alternative::TwoSided),
            "greater" | "one-sided" => Ok(Alternative::Greater),
            _ => Err(ParseAlternativeError(s.to_string())),
        }
    }
}

/// `P(X <= k)` for `X ~ Binomial(n, 1/2)`, summed in log space: `2^-n` underflows beyond
/// about a thousand pairs.
fn binomial_half_cdf(n: usize, k: usize) -> f64 {
    let mut log_pmf = -(n as f64) * std::f64::consts::LN_2;
    let mut tail = 0.0;
    for i in 0..=k.min(n) {
        tail += log_pmf.exp();
        if i < n {
            log_pmf += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
        }
    }
    tail.min(1.0)
}

/// Two-sided exact McNemar p-value for `b` and `c` discordant pairs:
/// `min(1, 2 * P(X <= min(b, c)))` with `X ~ Binomial(b + c, 1/2)`; 1 when there are none.
pub fn mcnemar_exact_p(b: usize, c: usize) -> f64 {
    (2.0 * binomial_half_cdf(b + c, b.min(c))).min(1.0)
}

/// One-sided exact McNemar p-value for the alternative "the first method is better", with `b`
/// pairs only the first method solved and `c` only the second solved:
/// `P(X >= b) = P(Y <= c)` with `X, Y ~ Binomial(b + c, 1/2)`; 1 when there are none.
pub fn mcnemar_one_sided_p(b: usize, c: usize) -> f64 {
    binomial_half_cdf(b + c, c)
}

/// The exact McNemar p-value under `alternative` (`b`: only the first method solved,
/// `c`: only the second).
pub fn mcnemar_p(b: usize, c: usize, alternative: Alternative) -> f64 {
    match alternative {
        Alternative::TwoSided => mcnemar_exact_p(b, c),
        Alternative::Greater => mcnemar_one_sided_p(b, c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_sided_matches_hand_computed_binomial_tails() {
        // b=8, c=2: 2 * (C(10,0)+C(10,1)+C(10,2)) / 2^10 = 2 * 56 / 1024.
        assert!((mcnemar_exact_p(8, 2) - 112.0 / 1024.0).abs() < 1e-12);
        assert!((mcnemar_exact_p(2, 8) - 112.0 / 1024.0).abs() < 1e-12);
        // b=6, c=0: 2 / 64.
        assert!((mcnemar_exact_p(6, 0) - 2.0 / 64.0).abs() < 1e-12);
        assert_eq!(mcnemar_exact_p(0, 0), 1.0);
        assert_eq!(mcnemar_exact_p(5, 5), 1.0);
        // Large counts stay finite: 2000 pairs, 1100 vs 900, p is about 8e-6.
        let p = mcnemar_exact_p(1100, 900);
        assert!(p > 1e-6 && p < 1e-4, "{p}");
    }

    #[test]
    fn one_sided_matches_hand_computed_binomial_tails() {
        // b=8, c=2: P(X >= 8) = (C(10,8)+C(10,9)+C(10,10)) / 2^10 = 56 / 1024.
        assert!((mcnemar_one_sided_p(8, 2) - 56.0 / 1024.0).abs() < 1e-12);
        // The wrong direction: P(X >= 2) = 1 - (1 + 10) / 1024.
        assert!((mcnemar_one_sided_p(2, 8) - 1013.0 / 1024.0).abs() < 1e-12);
        // b=6, c=0: 1 / 64, half the two-sided value.
        assert!((mcnemar_one_sided_p(6, 0) - 1.0 / 64.0).abs() < 1e-12);
        // b=c=3: P(X >= 3) = (20 + 15 + 6 + 1) / 64 = 42 / 64.
        assert!((mcnemar_one_sided_p(3, 3) - 42.0 / 64.0).abs() < 1e-12);
        assert_eq!(mcnemar_one_sided_p(0, 0), 1.0);
        assert_eq!(mcnemar_one_sided_p(0, 4), 1.0);
        let p = mcnemar_one_sided_p(1100, 900);
        assert!(p > 5e-7 && p < 5e-5, "{p}");
        assert!((mcnemar_p(8, 2, Alternative::Greater) - 56.0 / 1024.0).abs() < 1e-12);
        assert!((mcnemar_p(8, 2, Alternative::TwoSided) - 112.0 / 1024.0).abs() < 1e-12);
    }

    #[test]
    fn alternative_has_one_string_form() {
        for alternative in [Alternative::TwoSided, Alternative::Greater] {
            assert_eq!(alternative.to_string().parse(), Ok(alternative));
            let json = serde_json::to_string(&alternative).unwrap();
            assert_eq!(json, format!("\"{alternative}\""));
        }
        assert_eq!("One-Sided".parse(), Ok(Alternative::Greater));
        assert!("less".parse::<Alternative>().is_err());
        assert_eq!(Alternative::default(), Alternative::TwoSided);
    }
}
