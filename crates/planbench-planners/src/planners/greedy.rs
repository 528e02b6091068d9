//! Greedy decoding: one sample at temperature 0, no discriminator.

use async_trait::async_trait;
use planbench_core::Example;
use serde_json::json;

use super::{Planner, PlannerKind};
use crate::context::{PlanContext, PlanOutcome};
use crate::error::PlanError;
use crate::session::{Budgeted, Draw, Session};
use crate::trace::{GreedyTrace, Stop, Trace};

/// The generator's greedy answer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Greedy;

#[async_trait]
impl Planner for Greedy {
    fn name(&self) -> &'static str {
        PlannerKind::Greedy.as_str()
    }

    fn config(&self) -> serde_json::Value {
        json!({ "n": 1, "temperature": 0.0 })
    }

    async fn plan(&self, ctx: &PlanContext, example: &Example) -> Result<PlanOutcome, PlanError> {
        let mut session = Session::new(ctx, example)?;
        let draw = Draw {
            n: 1,
            temperature: 0.0,
        };
        let (programs, budget) = match session.sample("", draw).await.budgeted()? {
            Ok(programs) => (programs, None),
            Err(stop) => (Vec::new(), Some(stop)),
        };
        let program = programs.first().cloned().unwrap_or_default();
        let stop = Stop::Done.unless_budget(budget);
        Ok(session.finish(program, stop, |ending| {
            Trace::Greedy(GreedyTrace {
                candidates: programs,
                ending,
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::context::Budget;
    use crate::testkit::{
        assert_trace_fixture, context, example, ScriptedDiscriminator, ScriptedGenerator,
    };
    use crate::trace::BudgetStop;

    #[tokio::test]
    async fn takes_one_greedy_sample_without_scoring() {
        let generator = Arc::new(ScriptedGenerator::new(|_| vec!["3\n3\n=\n```".into()]));
        let discriminator = Arc::new(ScriptedDiscriminator::default());
        let outcome = Greedy
            .plan(&context(&generator, &discriminator), &example())
            .await
            .unwrap();
        assert_eq!(outcome.program, "3\n3\n=");
        let requests = generator.requests.lock().unwrap();
        assert_eq!(
            (requests[0].params.n, requests[0].params.temperature),
            (1, 0.0)
        );
        assert!(discriminator.batches.lock().unwrap().is_empty());
        assert_eq!(outcome.cost.llm_calls, 1);
        assert_eq!(outcome.trace.stop(), Stop::Done);
        assert_trace_fixture("greedy_done", &outcome.trace);
    }

    #[tokio::test]
    async fn a_budget_stop_returns_nothing() {
        let generator = Arc::new(ScriptedGenerator::new(|_| vec!["3\n3\n=".into()]));
        let discriminator = Arc::new(ScriptedDiscriminator::default());
        let mut ctx = context(&generator, &discriminator);
        ctx.budget = Budget {
            max_llm_calls: None,
            max_seconds: Some(0.0),
            ..Budget::default()
        };
        let outcome = Greedy.plan(&ctx, &example()).await.unwrap();
        assert_eq!((outcome.program.as_str(), outcome.cost.llm_calls), ("", 0));
        assert_eq!(outcome.trace.stop(), Stop::Budget(BudgetStop::Seconds));
        assert_trace_fixture("greedy_budget_seconds", &outcome.trace);
    }
}
