//! The planners, their options, and how the CLI picks one.

mod correct;
mod greedy;
mod mcts;
mod rerank;
mod tree;
pub(crate) mod vote;

use async_trait::async_trait;
use planbench_core::Example;
use serde::{Deserialize, Serialize};

use crate::context::{PlanContext, PlanOutcome};
use crate::error::PlanError;
use crate::trace::Scored;
use planbench_core::named_enum;

pub use correct::Correction;
pub use greedy::Greedy;
pub use mcts::Mcts;
pub use rerank::Rerank;
pub use tree::MonteCarloTreeOfThought;
pub use vote::{Vote, WeightedVote};

/// Plans one example: asks the generator and the discriminator, returns a program.
#[async_trait]
pub trait Planner: Send + Sync {
    /// The planner's CLI name.
    fn name(&self) -> &'static str;

    /// The planner's knobs, for run records.
    fn config(&self) -> serde_json::Value;

    /// Plans `example`; a budget stop is not an error (the trace records it).
    async fn plan(&self, ctx: &PlanContext, example: &Example) -> Result<PlanOutcome, PlanError>;
}

/// The planners. String forms (CLI, configuration, serde, trace tags): `greedy`, `rerank`,
/// `correct`, `tree`, `mcts`, `vote`, `weighted-vote`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlannerKind {
    /// Greedy decoding ([`Greedy`]).
    Greedy,
    /// Re-ranking ([`Rerank`]).
    Rerank,
    /// Iterative correction ([`Correction`]).
    Correct,
    /// MC-ToT best-first tree search ([`MonteCarloTreeOfThought`]).
    Tree,
    /// UCT Monte-Carlo tree search ([`Mcts`]).
    Mcts,
    /// Majority voting over executed answers, self-consistency ([`Vote`]).
    Vote,
    /// Voting weighted by discriminator scores ([`WeightedVote`]).
    WeightedVote,
}

named_enum!(PlannerKind, "planner", {
    Greedy => "greedy",
    Rerank => "rerank",
    Correct => "correct",
    Tree => "tree",
    Mcts => "mcts",
    Vote => "vote",
    WeightedVote => "weighted-vote",
});

/// Which complete program MCTS returns. String forms: `best-mean`, `most-visits`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum MctsFinal {
    /// Descend by the best mean value.
    #[default]
    BestMean,
    /// Descend by the most visits (the "robust child").
    MostVisits,
}

named_enum!(MctsFinal, "MCTS final choice", {
    BestMean => "best-mean",
    MostVisits => "most-visits",
});

/// Which MC-ToT steps are pruned (valued but never queued). String forms: `no-execution`,
/// `all-worst`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TreePrune {
    /// planbench's: a step none of whose rollouts executes, whatever the discriminator.
    #[default]
    NoExecution,
    /// The paper's (`if v <= 0` on its losses): a step every rollout of which got the worst
    /// score, 0. Under naive or exec LLM judges (scores P(Yes) > 0) it never prunes, and under
    /// its oracle a non-executable rollout whose judgement flipped keeps its step queued.
    /// Nothing is executed to decide.
    AllWorst,
}

named_enum!(TreePrune, "tree pruning", {
    NoExecution => "no-execution",
    AllWorst => "all-worst",
});

/// Which of equally valued queued steps MC-ToT pops first. String forms: `fifo`,
/// `lexicographic`, `deepest`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TreeTies {
    /// planbench's: the earliest queued.
    #[default]
    Fifo,
    /// The paper's (its heap holds `(loss, partial program)` tuples): the partial program that
    /// sorts first as a string (by code point), then the earliest queued.
    Lexicographic,
    /// The deepest step (most steps from the root), then the earliest queued.
    Deepest,
}

named_enum!(TreeTies, "tree tie order", {
    Fifo => "fifo",
    Lexicographic => "lexicographic",
    Deepest => "deepest",
});

/// Every planner knob; the defaults are the paper's (MCTS, not in the paper, gets comparable
/// ones) except where a knob says that planbench differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlannerOptions {
    /// Iterative correction: most scoring rounds (the initial samples are round 1).
    pub correction_max_rounds: usize,
    /// Iterative correction: stop after this many rounds in a row without improvement.
    pub correction_patience: usize,
    /// Iterative correction: stop as soon as the best score exceeds this.
    pub correction_threshold: f64,
    /// MC-ToT: most expansions (generation requests for next steps).
    pub tree_max_expansions: usize,
    /// MC-ToT: which steps are pruned (planbench: `no-execution`; the paper: `all-worst`).
    #[serde(skip_serializing_if = "is_default")]
    pub tree_prune: TreePrune,
    /// MC-ToT: which equally valued step is popped first (planbench: `fifo`; the paper:
    /// `lexicographic`).
    #[serde(skip_serializing_if = "is_default")]
    pub tree_ties: TreeTies,
    /// MC-ToT and MCTS: stop as soon as a scored program reaches the highest score, 1, and
    /// return it (beyond the paper, which always searches on; off by default).
    #[serde(skip_serializing_if = "is_default")]
    pub stop_at_max_score: bool,
    /// MCTS: most iterations (selection, expansion, simulation, backpropagation).
    pub mcts_iterations: usize,
    /// MCTS: the UCT exploration constant c in `mean + c * sqrt(ln N / n)`.
    pub mcts_exploration: f64,
    /// MCTS: how the returned program is chosen.
    pub mcts_final: MctsFinal,
}

impl Default for PlannerOptions {
    fn default() -> Self {
        Self {
            correction_max_rounds: 10,
            correction_patience: 3,
            correction_threshold: 0.99,
            tree_max_expansions: 50,
            tree_prune: TreePrune::NoExecution,
            tree_ties: TreeTies::Fifo,
            stop_at_max_score: false,
            mcts_iterations: 50,
            mcts_exploration: std::f64::consts::SQRT_2,
            mcts_final: MctsFinal::BestMean,
        }
    }
}

/// The planner `kind`, configured from `options`.
pub fn build_planner(kind: PlannerKind, options: &PlannerOptions) -> Box<dyn Planner> {
    match kind {
        PlannerKind::Greedy => Box::new(Greedy),
        PlannerKind::Rerank => Box::new(Rerank),
        PlannerKind::Correct => Box::new(Correction {
            max_rounds: options.correction_max_rounds,
            patience: options.correction_patience,
            threshold: options.correction_threshold,
        }),
        PlannerKind::Tree => Box::new(MonteCarloTreeOfThought {
            max_expansions: options.tree_max_expansions,
            prune: options.tree_prune,
            ties: options.tree_ties,
            stop_at_max_score: options.stop_at_max_score,
        }),
        PlannerKind::Mcts => Box::new(Mcts {
            iterations: options.mcts_iterations,
            exploration: options.mcts_exploration,
            final_choice: options.mcts_final,
            stop_at_max_score: options.stop_at_max_score,
        }),
        PlannerKind::Vote => Box::new(Vote),
        PlannerKind::WeightedVote => Box::new(WeightedVote),
    }
}

/// The highest score a discriminator gives (`stop_at_max_score` stops there).
pub(crate) const MAX_SCORE: f64 = 1.0;

/// True when `value` is its type's default (options at their defaults stay out of serialized
/// specs, so run ids of older specs do not change).
fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// The index of the first highest score.
pub(crate) fn first_best(scores: &[f64]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, score) in scores.iter().enumerate() {
        if best.is_none_or(|b| *score > scores[b]) {
            best = Some(i);
        }
    }
    best
}

/// Programs paired with their scores, for traces.
pub(crate) fn scored(programs: &[String], scores: &[f64]) -> Vec<Scored> {
    programs
        .iter()
        .zip(scores)
        .map(|(program, score)| Scored {
            program: program.clone(),
            score: *score,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in PlannerKind::ALL {
            assert_eq!(kind.to_string().parse::<PlannerKind>(), Ok(kind));
            assert_eq!(
                build_planner(kind, &PlannerOptions::default()).name(),
                kind.as_str()
            );
        }
        assert_eq!(
            "beam".parse::<PlannerKind>().unwrap_err(),
            "unknown planner `beam` (expected greedy, rerank, correct, tree, mcts, vote or weighted-vote)"
        );
        for choice in MctsFinal::ALL {
            assert_eq!(choice.as_str().parse(), Ok(choice));
        }
        assert_eq!("most-visits".parse(), Ok(MctsFinal::MostVisits));
    }

    #[test]
    fn serde_uses_the_string_forms() {
        for kind in PlannerKind::ALL {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.as_str());
            assert_eq!(serde_json::from_value::<PlannerKind>(json).unwrap(), kind);
        }
        assert_eq!(
            serde_json::to_value(MctsFinal::BestMean).unwrap(),
            "best-mean"
        );
        let error = serde_json::from_value::<MctsFinal>("best".into()).unwrap_err();
        assert!(
            error.to_string().contains("best-mean or most-visits"),
            "{error}"
        );
    }

    #[test]
    fn first_best_prefers_the_earliest_tie() {
        assert_eq!(first_best(&[0.2, 0.9, 0.9, 0.1]), Some(1));
        assert_eq!(first_best(&[]), None);
    }

    #[test]
    fn options_at_their_defaults_serialize_as_before() {
        let json = serde_json::to_value(PlannerOptions::default()).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "correction_max_rounds",
                "correction_patience",
                "correction_threshold",
                "mcts_exploration",
                "mcts_final",
                "mcts_iterations",
                "tree_max_expansions"
            ]
        );
        let paper = PlannerOptions {
            tree_prune: TreePrune::AllWorst,
            tree_ties: TreeTies::Lexicographic,
            ..PlannerOptions::default()
        };
        let json = serde_json::to_value(&paper).unwrap();
        assert_eq!(json["tree_prune"], "all-worst");
        assert_eq!(json["tree_ties"], "lexicographic");
        assert!(json.get("stop_at_max_score").is_none());
        assert_eq!(
            serde_json::from_value::<PlannerOptions>(json).unwrap(),
            paper
        );
        for ties in TreeTies::ALL {
            assert_eq!(ties.as_str().parse(), Ok(ties));
        }
        assert!("random".parse::<TreeTies>().is_err());
        assert_eq!("all-worst".parse(), Ok(TreePrune::AllWorst));
    }
}
