//! Deciding significance over a sweep: the Holm correction within each planner's family of
//! comparisons, and the threshold of every planner, with the number of examples that would
//! decide it when the sweep had too few.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::analysis::{PlannerComparison, PlannerThreshold};
use crate::stats::{holm_adjust, threshold};

/// Which p-value decides whether a comparison is significant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Correction {
    /// The uncorrected p-value of each comparison (the default, and the historic behaviour).
    #[default]
    None,
    /// The Holm-adjusted p-value within the planner's family: its comparisons with the
    /// baseline at every swept accuracy.
    Holm,
}

impl Correction {
    /// The one string form: `none` or `holm`.
    pub fn as_str(self) -> &'static str {
        match self {
            Correction::None => "none",
            Correction::Holm => "holm",
        }
    }
}

impl fmt::Display for Correction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown [`Correction`] name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown multiple-comparison correction '{0}' (expected none or holm)")]
pub struct ParseCorrectionError(pub String);

impl FromStr for Correction {
    type Err = ParseCorrectionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Correction::None),
            "holm" => Ok(Correction::Holm),
            _ => Err(ParseCorrectionError(s.to_string())),
        }
    }
}

/// Fills in the Holm-adjusted p-values (one family per planner) and decides significance.
pub(crate) fn decide(comparisons: &mut [PlannerComparison], alpha: f64, correction: Correction) {
    let mut planners: Vec<String> = Vec::new();
    for c in comparisons.iter() {
        if !planners.contains(&c.planner) {
            planners.push(c.planner.clone());
        }
    }
    for planner in planners {
        let members: Vec<usize> = (0..comparisons.len())
            .filter(|&i| comparisons[i].planner == planner)
            .collect();
        let raw: Vec<f64> = members
            .iter()
            .map(|&i| comparisons[i].comparison.p_value)
            .collect();
        for (&i, adjusted) in members.iter().zip(holm_adjust(&raw)) {
            let c = &mut comparisons[i];
            c.holm_p_value = adjusted;
            c.family_size = members.len();
            let p = match correction {
                Correction::None => c.comparison.p_value,
                Correction::Holm => adjusted,
            };
            c.significant = c.comparison.only_a > c.comparison.only_b && p < alpha;
        }
    }
}

/// The threshold of every planner compared at some nominal accuracy.
pub(crate) fn planner_thresholds(comparisons: &[PlannerComparison]) -> Vec<PlannerThreshold> {
    let mut planners: Vec<&str> = Vec::new();
    for c in comparisons.iter().filter(|c| c.accuracy.is_some()) {
        if !planners.contains(&c.planner.as_str()) {
            planners.push(&c.planner);
        }
    }
    planners
        .into_iter()
        .map(|planner| {
            let swept: Vec<&PlannerComparison> = comparisons
                .iter()
                .filter(|c| c.planner == planner && c.accuracy.is_some())
                .collect();
            let points: Vec<(f64, bool)> = swept
                .iter()
                .filter_map(|c| Some((c.accuracy?, c.significant)))
                .collect();
            let at = |keep: fn(bool) -> bool| {
                points
                    .iter()
                    .filter(|p| keep(p.1))
                    .map(|p| p.0)
                    .collect::<Vec<_>>()
            };
            let found = threshold(&points);
            PlannerThreshold {
                planner: planner.to_string(),
                threshold: found,
                significant_at: at(|s| s),
                compared_at: at(|_| true),
                examples_needed: if found.is_none() {
                    underpowered_at_top(&swept)
                } else {
                    None
                },
            }
        })
        .collect()
}

/// Examples needed at the highest compared accuracy when the planner is ahead there but not
/// significantly, and the test would need more examples than it had: the threshold is missing
/// for lack of examples, not for lack of an advantage.
fn underpowered_at_top(swept: &[&PlannerComparison]) -> Option<u64> {
    let top = swept.iter().max_by(|a, b| {
        a.accuracy
            .unwrap_or(0.0)
            .total_cmp(&b.accuracy.unwrap_or(0.0))
    })?;
    let c = &top.comparison;
    let needed = top.examples_needed?;
    (!top.significant && c.only_a > c.only_b && needed > c.examples as u64).then_some(needed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Alternative, Comparison, Interval};

    fn comparison(
        planner: &str,
        accuracy: f64,
        only_a: usize,
        only_b: usize,
        p: f64,
    ) -> PlannerComparison {
        PlannerComparison {
            planner: planner.into(),
            label: format!("{planner}@{accuracy}"),
            accuracy: Some(accuracy),
            comparison: Comparison {
                examples: 10,
                accuracy_a: 0.5,
                accuracy_b: 0.5,
                difference: Interval {
                    mean: 0.0,
                    lo: 0.0,
                    hi: 0.0,
                },
                only_a,
                only_b,
                p_value: p,
                alternative: Alternative::TwoSided,
            },
            significant: false,
            holm_p_value: f64::NAN,
            family_size: 0,
            examples_needed: Some(25),
        }
    }

    #[test]
    fn holm_is_applied_per_planner_and_can_decide() {
        let mut comparisons = vec![
            comparison("tree", 0.8, 5, 0, 0.04),
            comparison("mcts", 0.8, 5, 0, 0.01),
            comparison("tree", 0.9, 6, 0, 0.01),
            comparison("tree", 1.0, 0, 6, 0.01),
        ];
        decide(&mut comparisons, 0.05, Correction::None);
        let holm: Vec<f64> = comparisons.iter().map(|c| c.holm_p_value).collect();
        // tree: 0.01 * 3, 0.01 * 2 -> 0.03 (monotone), 0.04 * 1 -> 0.04; mcts alone: 0.01.
        let expected = [0.04, 0.01, 0.03, 0.03];
        assert!(
            holm.iter()
                .zip(expected)
                .all(|(h, e)| (h - e).abs() < 1e-12),
            "{holm:?}"
        );
        let sizes: Vec<usize> = comparisons.iter().map(|c| c.family_size).collect();
        assert_eq!(sizes, [3, 1, 3, 3]);
        let significant: Vec<bool> = comparisons.iter().map(|c| c.significant).collect();
        // The planner behind at 1.0 is never "significantly better".
        assert_eq!(significant, [true, true, true, false]);

        comparisons[0].comparison.p_value = 0.03;
        decide(&mut comparisons, 0.035, Correction::Holm);
        let significant: Vec<bool> = comparisons.iter().map(|c| c.significant).collect();
        // tree: sorted 0.01 * 3, 0.01 * 2, 0.03 * 1 -> Holm 0.03 for all three.
        assert_eq!(significant, [true, true, true, false]);
        decide(&mut comparisons, 0.025, Correction::Holm);
        let significant: Vec<bool> = comparisons.iter().map(|c| c.significant).collect();
        assert_eq!(significant, [false, true, false, false]);
        decide(&mut comparisons, 0.025, Correction::None);
        let significant: Vec<bool> = comparisons.iter().map(|c| c.significant).collect();
        assert_eq!(significant, [false, true, true, false]);
    }

    #[test]
    fn missing_threshold_for_lack_of_examples_says_how_many() {
        // Ahead but not significant at the top accuracy: 25 examples needed, 10 paired.
        let mut ahead = vec![
            comparison("tree", 0.9, 3, 0, 0.25),
            comparison("tree", 1.0, 3, 0, 0.25),
        ];
        decide(&mut ahead, 0.05, Correction::None);
        let t = &planner_thresholds(&ahead)[0];
        assert_eq!((t.threshold, t.examples_needed), (None, Some(25)));
        // Behind at the top: more examples would not help.
        let mut behind = vec![
            comparison("tree", 0.9, 3, 0, 0.25),
            comparison("tree", 1.0, 0, 3, 0.25),
        ];
        behind[1].examples_needed = Some(25);
        decide(&mut behind, 0.05, Correction::None);
        assert_eq!(planner_thresholds(&behind)[0].examples_needed, None);
        // With a threshold there is nothing to add.
        let mut found = vec![comparison("tree", 1.0, 6, 0, 0.01)];
        decide(&mut found, 0.05, Correction::None);
        let t = &planner_thresholds(&found)[0];
        assert_eq!((t.threshold, t.examples_needed), (Some(1.0), None));
    }

    #[test]
    fn correction_has_one_string_form() {
        for correction in [Correction::None, Correction::Holm] {
            assert_eq!(correction.to_string().parse(), Ok(correction));
            let json = serde_json::to_string(&correction).unwrap();
            assert_eq!(json, format!("\"{correction}\""));
        }
        assert!("bonferroni".parse::<Correction>().is_err());
    }
}
