//! Re-ranking: sample n programs, score the distinct ones, return the best.

use async_trait::async_trait;
use planbench_core::Example;
use serde_json::json;

use super::{first_best, Planner, PlannerKind};
use crate::context::{PlanContext, PlanOutcome};
use crate::error::PlanError;
use crate::session::{Budgeted, Session};
use crate::steps::Sampled;
use crate::trace::{Candidate, RerankTrace, Stop, Trace};

/// Returns the best-scored of the run's n samples (ties: the first sampled).
#[derive(Debug, Clone, Copy, Default)]
pub struct Rerank;

#[async_trait]
impl Planner for Rerank {
    fn name(&self) -> &'static str {
        PlannerKind::Rerank.as_str()
    }

    fn config(&self) -> serde_json::Value {
        json!({})
    }

    async fn plan(&self, ctx: &PlanContext, example: &Example) -> Result<PlanOutcome, PlanError> {
        let mut session = Session::new(ctx, example)?;
        let draw = session.default_draw();
        let mut budget = None;
        let Sampled { programs, samples } = match session.sample_every(draw).await.budgeted()? {
            Ok(sampled) => sampled,
            Err(stop) => {
                budget = Some(stop);
                Sampled::default()
            }
        };
        let scores = if budget.is_none() {
            let batch = session.score(&programs).await?;
            budget = batch.stop;
            batch.done
        } else {
            Vec::new()
        };
        // A budget stop may leave samples unscored: the best scored one, or the first sample
        // when none is.
        let chosen = first_best(&scores).or((!programs.is_empty()).then_some(0));
        let program = chosen.map(|i| programs[i].clone()).unwrap_or_default();
        let candidates = programs
            .into_iter()
            .enumerate()
            .map(|(i, program)| Candidate {
                program,
                score: scores.get(i).copied(),
            })
            .collect();
        let stop = Stop::Done.unless_budget(budget);
        Ok(session.finish(program, stop, |ending| {
            Trace::Rerank(RerankTrace {
                candidates,
                chosen,
                samples,
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

    fn generator() -> Arc<ScriptedGenerator> {
        Arc::new(ScriptedGenerator::new(|_| {
            ["2\n4\n=", "3\n3\n=", " 2\n4\n= ", "1\n=", "```"]
                .map(String::from)
                .to_vec()
        }))
    }

    #[tokio::test]
    async fn returns_the_best_of_the_distinct_samples() {
        let generator = generator();
        let discriminator = Arc::new(ScriptedDiscriminator::new(&[
            ("2\n4\n=", 0.5),
            ("3\n3\n=", 0.9),
            ("1\n=", 0.9),
        ]));
        let ctx = context(&generator, &discriminator);
        let outcome = Rerank.plan(&ctx, &example()).await.unwrap();
        // The tie at 0.9 goes to the earlier sample; the duplicate and the empty one are dropped.
        assert_eq!(outcome.program, "3\n3\n=");
        assert_eq!(
            *discriminator.batches.lock().unwrap(),
            vec![vec!["2\n4\n=".to_string(), "3\n3\n=".into(), "1\n=".into()]]
        );
        let Trace::Rerank(trace) = &outcome.trace else {
            panic!("{:?}", outcome.trace)
        };
        assert_eq!(trace.chosen, Some(1));
        assert_eq!(trace.candidates[1].score, Some(0.9));
        assert_eq!(outcome.cost.llm_calls, 1 + 3);
        let request = generator.requests.lock().unwrap()[0].clone();
        assert_eq!((request.params.n, request.params.temperature), (5, 0.6));
        assert_eq!(request.params.max_tokens, 300);
        assert_eq!(request.params.stop, vec!["```".to_string()]);
        assert_eq!(request.assistant_prefix, "```\n");
        assert_eq!(trace.samples, [Some(0), Some(1), Some(0), Some(2), None]);
        assert_trace_fixture("rerank_sampled_done", &outcome.trace);
    }

    #[tokio::test]
    async fn a_budget_stop_returns_the_first_sample() {
        let generator = generator();
        let discriminator = Arc::new(ScriptedDiscriminator::new(&[("3\n3\n=", 0.9)]));
        let mut ctx = context(&generator, &discriminator);
        ctx.budget = Budget {
            max_llm_calls: Some(1),
            max_seconds: None,
            ..Budget::default()
        };
        let outcome = Rerank.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "2\n4\n=");
        assert_eq!(outcome.trace.stop(), Stop::Budget(BudgetStop::LlmCalls));
        assert!(discriminator.batches.lock().unwrap().is_empty());
        assert_trace_fixture("rerank_sampled_budget_llm_calls", &outcome.trace);

        ctx.budget = Budget {
            max_llm_calls: None,
            max_seconds: Some(0.0),
            ..Budget::default()
        };
        let outcome = Rerank.plan(&ctx, &example()).await.unwrap();
        assert_eq!((outcome.program.as_str(), outcome.cost.llm_calls), ("", 0));
        assert_eq!(outcome.trace.stop(), Stop::Budget(BudgetStop::Seconds));
        assert_trace_fixture("rerank_budget_seconds", &outcome.trace);
    }
}
