//! Why a planner stopped: its own reason or a budget limit.

use serde::{Deserialize, Serialize};

/// Why a planner stopped. JSON: the name (`"done"`), or `{"budget": "llm_calls"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// Greedy or re-ranking finished.
    Done,
    /// MC-ToT popped a complete program.
    Complete,
    /// MC-ToT used all its expansions.
    ExpansionLimit,
    /// MC-ToT's queue ran dry.
    QueueEmpty,
    /// A search scored a program the highest score and returned it (`stop_at_max_score`).
    MaxScore,
    /// UCT ran all its iterations.
    Iterations,
    /// Correction: the best score exceeded the threshold.
    Threshold,
    /// Correction: too many rounds in a row without improvement.
    Patience,
    /// Correction: the last round was scored.
    MaxRounds,
    /// Correction: no round had a scored candidate to fix.
    NoCandidates,
    /// A per-example budget limit was reached.
    Budget(BudgetStop),
}

impl Stop {
    /// The budget limit that stopped the planner, if one did.
    pub fn budget(self) -> Option<BudgetStop> {
        match self {
            Stop::Budget(limit) => Some(limit),
            _ => None,
        }
    }

    /// The planner's own reason, or the budget limit when there is one.
    pub(crate) fn unless_budget(self, budget: Option<BudgetStop>) -> Stop {
        budget.map_or(self, Stop::Budget)
    }
}

impl std::fmt::Display for Stop {
    /// The JSON name; a budget stop reads `budget:llm_calls` or `budget:seconds`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Stop::Done => "done",
            Stop::Complete => "complete",
            Stop::ExpansionLimit => "expansion_limit",
            Stop::QueueEmpty => "queue_empty",
            Stop::MaxScore => "max_score",
            Stop::Iterations => "iterations",
            Stop::Threshold => "threshold",
            Stop::Patience => "patience",
            Stop::MaxRounds => "max_rounds",
            Stop::NoCandidates => "no_candidates",
            Stop::Budget(limit) => return write!(f, "budget:{limit}"),
        };
        f.write_str(name)
    }
}

/// Which budget limit stopped a planner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BudgetStop {
    /// `Budget::max_llm_calls`.
    LlmCalls,
    /// `Budget::max_seconds`.
    Seconds,
    /// `Budget::max_tokens`.
    Tokens,
    /// `Budget::max_flops`.
    Flops,
}

planbench_core::named_enum!(BudgetStop, "budget limit", {
    LlmCalls => "llm_calls",
    Seconds => "seconds",
    Tokens => "tokens",
    Flops => "flops",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_the_json_names() {
        let plain = [
            Stop::Done,
            Stop::Complete,
            Stop::ExpansionLimit,
            Stop::QueueEmpty,
            Stop::MaxScore,
            Stop::Iterations,
            Stop::Threshold,
            Stop::Patience,
            Stop::MaxRounds,
            Stop::NoCandidates,
        ];
        for stop in plain {
            assert_eq!(serde_json::to_value(stop).unwrap(), stop.to_string());
        }
        let budget = Stop::Budget(BudgetStop::Seconds);
        assert_eq!(
            serde_json::to_value(budget).unwrap(),
            serde_json::json!({ "budget": "seconds" })
        );
        assert_eq!(budget.to_string(), "budget:seconds");
    }
}
