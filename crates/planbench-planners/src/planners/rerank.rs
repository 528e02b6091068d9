//! Re-ranking: sample n programs, score the distinct ones, return the best.

use async_trait::async_trait;
use planbench_core::Example;
use serde_json::json;

use super::{first_best, scored, Planner};
use crate::context::{PlanContext, PlanOutcome};
use crate::error::PlanError;
use crate::session::{stop_label, Budgeted, Session};

/// Returns the best-scored of the run's n samples (ties: the first sampled).
#[derive(Debug, Clone, Copy, Default)]
pub struct Rerank;

#[async_trait]
impl Planner for Rerank {
    fn name(&self) -> &'static str {
        "rerank"
    }

    fn config(&self) -> serde_json::Value {
        json!({})
    }

    async fn plan(&self, ctx: &PlanContext, example: &Example) -> Result<PlanOutcome, PlanError> {
        let mut session = Session::new(ctx, example)?;
        let draw = session.default_draw();
        let mut budget = None;
        let programs = match session.sample("", draw).await.budgeted()? {
            Ok(programs) => programs,
            Err(stop) => {
                budget = Some(stop);
                Vec::new()
            }
        };
        let scores = if budget.is_none() {
            match session.score(&programs).await.budgeted()? {
                Ok(scores) => scores,
                Err(stop) => {
                    budget = Some(stop);
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        // Unscored samples (a budget stop) fall back to the first one.
        let chosen = first_best(&scores).or((!programs.is_empty()).then_some(0));
        let program = chosen.map(|i| programs[i].clone()).unwrap_or_default();
        let candidates: serde_json::Value = if scores.is_empty() {
            programs.iter().map(|p| json!({ "program": p })).collect()
        } else {
            scored(&programs, &scores)
        };
        let trace = json!({
            "planner": self.name(),
            "candidates": candidates,
            "chosen": chosen,
            "stop": stop_label("done", budget),
        });
        Ok(session.finish(program, trace))
    }
}
