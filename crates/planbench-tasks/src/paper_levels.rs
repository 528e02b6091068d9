//! The paper's oracle evaluators' score levels (`evaluators/oracle_evaluator.py` and
//! `oracle_evaluator_py.py`), rescaled to planbench's higher-is-better [0, 1].
//!
//! The paper's evaluators return lower-is-better losses in [-1, 1]: with probability
//! `oracle_prob` the truthful one, otherwise a flipped one. planbench reports scores
//! `(1 - loss) / 2`, so that -1 (best) is 1, 0 is 0.5 and 1 (worst) is 0.

use planbench_core::OracleTruth;

/// One judgement on the paper's scale: the truthful loss and the flipped one (`None` when the
/// evaluator returns the same loss whatever its noise, as when the gold fails to execute).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PaperLosses {
    pub kept: f64,
    pub flipped: Option<f64>,
}

impl PaperLosses {
    /// The gold does not execute: every candidate gets the worst loss, never flipped.
    pub const GOLD_FAILED: Self = Self {
        kept: 1.0,
        flipped: None,
    };
    /// The candidate does not execute: worst when truthful, best when flipped.
    pub const NOT_EXECUTABLE: Self = Self {
        kept: 1.0,
        flipped: Some(-1.0),
    };

    /// An executed candidate with similarity `s` to the gold (soft F1, or 0/1 correctness):
    /// truthful `-s`, flipped `s - 1`.
    pub fn similarity(s: f64) -> Self {
        Self {
            kept: -s,
            flipped: Some(s - 1.0),
        }
    }

    /// The judgement as planbench's oracle truth.
    pub fn truth(self, correct: bool) -> OracleTruth {
        OracleTruth {
            kept: rescale(self.kept),
            flipped: self.flipped.map(rescale),
            correct,
        }
    }
}

/// [`planbench_core::OracleLevels::Unit`]'s truth: the score `kept`, flipped to `1 - kept`.
pub(crate) fn unit_truth(kept: f64, correct: bool) -> OracleTruth {
    OracleTruth {
        kept,
        flipped: Some(1.0 - kept),
        correct,
    }
}

/// A paper loss as a higher-is-better score: `(1 - loss) / 2`.
fn rescale(loss: f64) -> f64 {
    (1.0 - loss) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_rescale_to_higher_is_better() {
        let t = PaperLosses::NOT_EXECUTABLE.truth(false);
        assert_eq!((t.kept, t.flipped), (0.0, Some(1.0)));
        let t = PaperLosses::GOLD_FAILED.truth(false);
        assert_eq!((t.kept, t.flipped), (0.0, None));
        let t = PaperLosses::similarity(1.0).truth(true);
        assert_eq!((t.kept, t.flipped, t.correct), (1.0, Some(0.5), true));
        let t = PaperLosses::similarity(0.0).truth(false);
        assert_eq!((t.kept, t.flipped), (0.5, Some(1.0)));
    }
}
