//! The planners, their options, and how the CLI picks one.

mod correct;
mod greedy;
mod mcts;
mod rerank;
mod tree;

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use planbench_core::Example;
use serde::{Deserialize, Serialize};

use crate::context::{PlanContext, PlanOutcome};
use crate::error::PlanError;

pub use correct::Correction;
pub use greedy::Greedy;
pub use mcts::Mcts;
pub use rerank::Rerank;
pub use tree::MonteCarloTreeOfThought;

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

/// The planners, by CLI name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlannerKind {
    Greedy,
    Rerank,
    Correct,
    Tree,
    Mcts,
}

impl PlannerKind {
    /// Every kind, in CLI order.
    pub const ALL: [PlannerKind; 5] = [
        PlannerKind::Greedy,
        PlannerKind::Rerank,
        PlannerKind::Correct,
        PlannerKind::Tree,
        PlannerKind::Mcts,
    ];

    /// The CLI name.
    pub fn as_str(self) -> &'static str {
        match self {
            PlannerKind::Greedy => "greedy",
            PlannerKind::Rerank => "rerank",
            PlannerKind::Correct => "correct",
            PlannerKind::Tree => "tree",
            PlannerKind::Mcts => "mcts",
        }
    }
}

impl fmt::Display for PlannerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PlannerKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PlannerKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| {
                format!("unknown planner `{s}` (expected greedy, rerank, correct, tree or mcts)")
            })
    }
}

/// Which complete program MCTS returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MctsFinal {
    /// Descend by the best mean value.
    #[default]
    BestMean,
    /// Descend by the most visits (the "robust child").
    MostVisits,
}

impl FromStr for MctsFinal {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "best-mean" => Ok(MctsFinal::BestMean),
            "most-visits" => Ok(MctsFinal::MostVisits),
            _ => Err(format!(
                "unknown MCTS final choice `{s}` (expected best-mean or most-visits)"
            )),
        }
    }
}

/// Every planner knob; the defaults are the paper's (MCTS, not in the paper, gets comparable
/// ones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlannerOptions {
    /// Iterative correction: most scoring rounds (the initial samples are round 1).
    pub correction_max_rounds: usize,
    /// Iterative correction: stop after this many rounds in a row without improvement.
    pub correction_patience: usize,
    /// Iterative correction: stop as soon as the best score exceeds this.
    pub correction_threshold: f64,
    /// MC-ToT: most expansions (generation requests for next steps).
    pub tree_max_expansions: usize,
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
        }),
        PlannerKind::Mcts => Box::new(Mcts {
            iterations: options.mcts_iterations,
            exploration: options.mcts_exploration,
            final_choice: options.mcts_final,
        }),
    }
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
pub(crate) fn scored(programs: &[String], scores: &[f64]) -> serde_json::Value {
    programs
        .iter()
        .zip(scores)
        .map(|(program, score)| serde_json::json!({ "program": program, "score": score }))
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
        assert!("beam".parse::<PlannerKind>().unwrap_err().contains("beam"));
        assert_eq!("most-visits".parse(), Ok(MctsFinal::MostVisits));
    }

    #[test]
    fn first_best_prefers_the_earliest_tie() {
        assert_eq!(first_best(&[0.2, 0.9, 0.9, 0.1]), Some(1));
        assert_eq!(first_best(&[]), None);
    }
}
