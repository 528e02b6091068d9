//! Greedy decoding: one sample at temperature 0, no discriminator.

use async_trait::async_trait;
use planbench_core::Example;
use serde_json::json;

use super::Planner;
use crate::context::{PlanContext, PlanOutcome};
use crate::error::PlanError;
use crate::session::{stop_label, Budgeted, Draw, Session};

/// The generator's greedy answer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Greedy;

#[async_trait]
impl Planner for Greedy {
    fn name(&self) -> &'static str {
        "greedy"
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
        let trace = json!({
            "planner": self.name(),
            "candidates": programs,
            "stop": stop_label("done", budget),
        });
        Ok(session.finish(program, trace))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::testkit::{context, example, ScriptedDiscriminator, ScriptedGenerator};

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
        assert_eq!(outcome.trace["stop"], "done");
    }
}
