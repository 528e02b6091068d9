//! Difficulty bins from the sample pool's pass rate per example, and accuracy per bin.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::Cell;

/// How hard an example is, by the pass rate of the sample pool on it (the fraction of the
/// pool's sampled programs that are correct): never solved, or in one of four quarter-wide
/// bins that are closed at their upper end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DifficultyBin {
    /// Pass rate 0: no sample of the pool is correct.
    Unsolved,
    /// Pass rate in (0, 0.25].
    Hard,
    /// Pass rate in (0.25, 0.5].
    Medium,
    /// Pass rate in (0.5, 0.75].
    Easy,
    /// Pass rate in (0.75, 1].
    Trivial,
}

impl DifficultyBin {
    /// Every bin, hardest first.
    pub const ALL: [DifficultyBin; 5] = [
        DifficultyBin::Unsolved,
        DifficultyBin::Hard,
        DifficultyBin::Medium,
        DifficultyBin::Easy,
        DifficultyBin::Trivial,
    ];

    /// The bin of pass rate `rate`; `None` unless it is a number in [0, 1].
    pub fn of(rate: f64) -> Option<DifficultyBin> {
        let bin = if rate == 0.0 {
            DifficultyBin::Unsolved
        } else if rate > 0.0 && rate <= 0.25 {
            DifficultyBin::Hard
        } else if rate > 0.25 && rate <= 0.5 {
            DifficultyBin::Medium
        } else if rate > 0.5 && rate <= 0.75 {
            DifficultyBin::Easy
        } else if rate > 0.75 && rate <= 1.0 {
            DifficultyBin::Trivial
        } else {
            return None;
        };
        Some(bin)
    }

    /// The pass-rate range of the bin: "0", "(0, 0.25]", …, "(0.75, 1]".
    pub fn range(self) -> &'static str {
        match self {
            DifficultyBin::Unsolved => "0",
            DifficultyBin::Hard => "(0, 0.25]",
            DifficultyBin::Medium => "(0.25, 0.5]",
            DifficultyBin::Easy => "(0.5, 0.75]",
            DifficultyBin::Trivial => "(0.75, 1]",
        }
    }
}

/// One cell's accuracy on the examples of one difficulty bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinAccuracy {
    pub bin: DifficultyBin,
    /// The cell's examples with a pass rate in the bin.
    pub examples: usize,
    /// Of those, the ones the cell solved.
    pub solved: usize,
    /// `solved / examples`; `None` for an empty bin.
    pub accuracy: Option<f64>,
}

/// Accuracy of `cell` in every bin (hardest first, empty bins included), and the number of
/// its examples without a pass rate in `pass_rates` (left out of every bin). Pass rates must
/// already be checked to lie in [0, 1].
pub(crate) fn bin_accuracies(
    cell: &Cell,
    pass_rates: &HashMap<String, f64>,
) -> (Vec<BinAccuracy>, usize) {
    let mut counts: HashMap<DifficultyBin, (usize, usize)> = HashMap::new();
    let mut missing = 0;
    for outcome in &cell.outcomes {
        match pass_rates
            .get(&outcome.example_id)
            .and_then(|&r| DifficultyBin::of(r))
        {
            Some(bin) => {
                let entry = counts.entry(bin).or_default();
                entry.0 += 1;
                entry.1 += usize::from(outcome.correct);
            }
            None => missing += 1,
        }
    }
    let bins = DifficultyBin::ALL
        .into_iter()
        .map(|bin| {
            let (examples, solved) = counts.get(&bin).copied().unwrap_or_default();
            BinAccuracy {
                bin,
                examples,
                solved,
                accuracy: (examples > 0).then(|| solved as f64 / examples as f64),
            }
        })
        .collect();
    (bins, missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExampleOutcome;

    #[test]
    fn pass_rates_fall_in_their_bins() {
        use DifficultyBin::*;
        let cases = [
            (0.0, Some(Unsolved)),
            (0.01, Some(Hard)),
            (0.25, Some(Hard)),
            (0.26, Some(Medium)),
            (0.5, Some(Medium)),
            (0.75, Some(Easy)),
            (0.76, Some(Trivial)),
            (1.0, Some(Trivial)),
            (1.01, None),
            (-0.1, None),
            (f64::NAN, None),
        ];
        for (rate, bin) in cases {
            assert_eq!(DifficultyBin::of(rate), bin, "{rate}");
        }
        // k/n lands exactly on a boundary: 2 of 8 samples correct is (0, 0.25].
        assert_eq!(DifficultyBin::of(2.0 / 8.0), Some(Hard));
        assert_eq!(Unsolved.range(), "0");
        assert_eq!(Trivial.range(), "(0.75, 1]");
    }

    #[test]
    fn accuracy_per_bin_counts_solved_examples() {
        // ex0..ex5 with pass rates 0, 0, 0.2, 0.6, 1, 1; ex6 has none. Solved: ex1, ex3, ex4, ex6.
        let rates = [0.0, 0.0, 0.2, 0.6, 1.0, 1.0];
        let pass_rates: HashMap<String, f64> = rates
            .iter()
            .enumerate()
            .map(|(i, &r)| (format!("ex{i}"), r))
            .collect();
        let solved = [false, true, false, true, true, false, true];
        let cell = Cell {
            planner: "vote".into(),
            accuracy: None,
            label: "vote-8".into(),
            measured_accuracy: None,
            outcomes: solved
                .iter()
                .enumerate()
                .map(|(i, &correct)| ExampleOutcome {
                    example_id: format!("ex{i}"),
                    correct,
                    seconds: 1.0,
                    llm_calls: 1.0,
                    tokens: 1.0,
                    flops: 0.0,
                })
                .collect(),
        };
        let (bins, missing) = bin_accuracies(&cell, &pass_rates);
        assert_eq!(missing, 1);
        let summary: Vec<(DifficultyBin, usize, usize, Option<f64>)> = bins
            .iter()
            .map(|b| (b.bin, b.examples, b.solved, b.accuracy))
            .collect();
        use DifficultyBin::*;
        assert_eq!(
            summary,
            [
                (Unsolved, 2, 1, Some(0.5)),
                (Hard, 1, 0, Some(0.0)),
                (Medium, 0, 0, None),
                (Easy, 1, 1, Some(1.0)),
                (Trivial, 2, 1, Some(0.5)),
            ]
        );
    }
}
