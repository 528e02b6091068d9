//! Choosing from the first k samples of a pool, as re-ranking and voting would have chosen had
//! they drawn only those k: budget curves at n = 1, 2, 4, … from one N-sample pool.

use planbench_core::Output;

use crate::planners::{first_best, vote, PlannerKind};

/// One example's pool: N samples and the distinct candidates they gave, as re-ranking and
/// voting traces record them ([`crate::trace::RerankTrace`], [`crate::trace::VoteTrace`]).
#[derive(Debug, Clone, Copy)]
pub struct SamplePool<'a> {
    /// Every sample in sample order as the index of its candidate (`None`: the completion held
    /// no program). Candidates are numbered in order of their first sample.
    pub samples: &'a [Option<usize>],
    /// Each candidate's discriminator score (re-ranking and weighted voting; may be empty for
    /// plain voting).
    pub scores: &'a [f64],
    /// Each candidate's execution output, `Execution::result.ok()` (voting; may be empty for
    /// re-ranking). Outputs that cannot vote (GSM8K `None`) abstain, as in [`crate::planners::Vote`].
    pub outputs: &'a [Option<Output>],
}

/// Why a pool choice could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SelectionError {
    /// Only re-ranking and the two votes choose from a pool of samples.
    #[error("{0} does not choose from a pool of samples (rerank, vote and weighted-vote do)")]
    NotAPoolPlanner(PlannerKind),
    /// A sample names a candidate without a score or output.
    #[error("the first {k} samples name {candidates} candidates but the pool has {given} {what}")]
    Missing {
        k: usize,
        candidates: usize,
        given: usize,
        what: &'static str,
    },
}

/// The candidate that `kind` returns when it draws only the first `k` samples of `pool` (all of
/// them when `k` exceeds N): re-ranking's best-scored candidate (ties: the first), voting's
/// and weighted voting's first member of the winning answer cluster (by votes, or by score sums
/// over samples), with the planners' own fallbacks (no scores or votes: the first candidate).
/// `None` when those samples hold no program. The planners' budget stops are not simulated: the
/// pool is taken as fully scored and executed.
pub fn choose_from_pool(
    kind: PlannerKind,
    pool: &SamplePool<'_>,
    k: usize,
) -> Result<Option<usize>, SelectionError> {
    let samples = &pool.samples[..k.min(pool.samples.len())];
    // Candidates are numbered by first sample, so the first k samples name a prefix of them.
    let candidates = samples.iter().flatten().max().map_or(0, |last| last + 1);
    let needs = |given: usize, what: &'static str| {
        if given < candidates {
            Err(SelectionError::Missing {
                k,
                candidates,
                given,
                what,
            })
        } else {
            Ok(())
        }
    };
    match kind {
        PlannerKind::Rerank => {
            needs(pool.scores.len(), "scores")?;
            let scores = &pool.scores[..candidates];
            Ok(first_best(scores).or((candidates > 0).then_some(0)))
        }
        PlannerKind::Vote | PlannerKind::WeightedVote => {
            needs(pool.outputs.len(), "outputs")?;
            let weighted = kind == PlannerKind::WeightedVote;
            let scores: Vec<Option<f64>> = if weighted {
                needs(pool.scores.len(), "scores")?;
                pool.scores[..candidates]
                    .iter()
                    .copied()
                    .map(Some)
                    .collect()
            } else {
                vec![None; candidates]
            };
            Ok(vote::decide(samples, &pool.outputs[..candidates], &scores).chosen)
        }
        other => Err(SelectionError::NotAPoolPlanner(other)),
    }
}

#[cfg(test)]
mod tests {
    use planbench_core::Value;

    use super::*;

    fn answer(value: i64) -> Option<Output> {
        Some(Output::Answer(Value::Integer(value)))
    }

    /// Samples 0, 1, 1, 2, none, 3, 3 over four candidates: answers 6, 7, 7, and one that
    /// fails; scores 0.25, 0.9, 0.3, 0.1.
    const SAMPLES: &[Option<usize>] = &[Some(0), Some(1), Some(1), Some(2), None, Some(3), Some(3)];
    const SCORES: &[f64] = &[0.25, 0.9, 0.3, 0.1];

    fn pool(outputs: &[Option<Output>]) -> SamplePool<'_> {
        SamplePool {
            samples: SAMPLES,
            scores: SCORES,
            outputs,
        }
    }

    #[test]
    fn the_first_k_samples_decide() {
        let outputs = [answer(6), answer(7), answer(7), None];
        let pool = pool(&outputs);
        let choose = |kind, k| choose_from_pool(kind, &pool, k).unwrap();
        assert_eq!(choose(PlannerKind::Rerank, 0), None);
        assert_eq!(choose(PlannerKind::Rerank, 1), Some(0));
        assert_eq!(choose(PlannerKind::Rerank, 2), Some(1));
        assert_eq!(choose(PlannerKind::Rerank, 100), Some(1));
        // Votes: 6 alone first; 7 (candidate 1) wins from two samples on (1 vote each at k = 2:
        // the earlier cluster).
        assert_eq!(choose(PlannerKind::Vote, 2), Some(0));
        assert_eq!(choose(PlannerKind::Vote, 3), Some(1));
        // Candidate 2 joins the 7 cluster; the failing candidate 3 never votes.
        assert_eq!(choose(PlannerKind::Vote, 7), Some(1));
        // Weighted: 6 has 0.25, 7 has 0.9 from its first sample.
        assert_eq!(choose(PlannerKind::WeightedVote, 1), Some(0));
        assert_eq!(choose(PlannerKind::WeightedVote, 2), Some(1));
    }

    #[test]
    fn weighted_votes_sum_scores_over_samples() {
        // 6 (candidate 0, score 0.25) sampled once; 8 (candidate 3, score 0.1) sampled twice.
        let outputs = [answer(6), None, None, answer(8)];
        let pool = pool(&outputs);
        let choose = |kind| choose_from_pool(kind, &pool, 7).unwrap();
        assert_eq!(choose(PlannerKind::Vote), Some(3));
        assert_eq!(choose(PlannerKind::WeightedVote), Some(0));
        // Nothing votes: the first candidate.
        let silent = [None, None, None, None];
        let pool = SamplePool {
            outputs: &silent,
            ..pool
        };
        assert_eq!(
            choose_from_pool(PlannerKind::Vote, &pool, 7).unwrap(),
            Some(0)
        );
    }

    #[test]
    fn pools_that_do_not_fit_are_errors() {
        let outputs = [answer(6)];
        let pool = pool(&outputs);
        assert_eq!(
            choose_from_pool(PlannerKind::Vote, &pool, 2),
            Err(SelectionError::Missing {
                k: 2,
                candidates: 2,
                given: 1,
                what: "outputs"
            })
        );
        assert_eq!(
            choose_from_pool(PlannerKind::Vote, &pool, 1).unwrap(),
            Some(0)
        );
        assert_eq!(
            choose_from_pool(PlannerKind::Tree, &pool, 1),
            Err(SelectionError::NotAPoolPlanner(PlannerKind::Tree))
        );
    }
}
