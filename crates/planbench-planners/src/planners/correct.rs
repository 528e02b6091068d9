//! Iterative correction: score samples, keep the best, ask the generator to fix it.

use async_trait::async_trait;
use planbench_core::Example;
use serde_json::json;

use super::{first_best, scored, Planner, PlannerKind};
use crate::context::{PlanContext, PlanOutcome};
use crate::error::PlanError;
use crate::session::{Budgeted, Session};
use crate::trace::{BudgetStop, CorrectTrace, Round, Stop, Trace};

/// The paper's iterative correction.
///
/// Round 1 scores n initial samples; each round keeps the best program so far and stops when its
/// score exceeds `threshold`, after `patience` rounds in a row without a strictly better score,
/// or after `max_rounds` rounds. Otherwise the generator is asked for n fixes of the best program
/// with the task's correction prompt, which shows how that program executed; the fixes are the
/// next round's candidates.
#[derive(Debug, Clone, Copy)]
pub struct Correction {
    pub max_rounds: usize,
    pub patience: usize,
    pub threshold: f64,
}

/// The state of one correction run.
#[derive(Default)]
struct Progress {
    rounds: Vec<Round>,
    best: Option<(String, f64)>,
    first_sample: Option<String>,
    /// The planner's own reason to stop (none when `max_rounds` is 0).
    stop: Option<Stop>,
    budget: Option<BudgetStop>,
}

impl Correction {
    async fn run(&self, session: &mut Session<'_>) -> Result<Progress, PlanError> {
        let mut progress = Progress::default();
        let draw = session.default_draw();
        let mut candidates = match session.sample("", draw).await.budgeted()? {
            Ok(programs) => programs,
            Err(stop) => {
                progress.budget = Some(stop);
                return Ok(progress);
            }
        };
        progress.first_sample = candidates.first().cloned();
        let mut waited = 0;
        for round in 1..=self.max_rounds {
            let batch = session.score(&candidates).await?;
            if let (true, Some(stop)) = (batch.done.is_empty(), batch.stop) {
                progress.budget = Some(stop);
                break;
            }
            // A budget stop part-way: the round is the candidates that were scored.
            let scores = batch.done;
            candidates.truncate(scores.len());
            let top = first_best(&scores).map(|i| (candidates[i].clone(), scores[i]));
            let improved = match (&top, &progress.best) {
                (Some((_, score)), Some((_, best))) => score > best,
                (Some(_), None) => true,
                (None, _) => false,
            };
            progress.rounds.push(Round {
                round,
                candidates: scored(&candidates, &scores),
                improved,
            });
            if improved {
                progress.best = top;
                waited = 0;
            } else {
                waited += 1;
            }
            if batch.stop.is_some() {
                progress.budget = batch.stop;
                break;
            }
            if progress
                .best
                .as_ref()
                .is_some_and(|(_, s)| *s > self.threshold)
            {
                progress.stop = Some(Stop::Threshold);
                break;
            }
            if waited >= self.patience {
                progress.stop = Some(Stop::Patience);
                break;
            }
            if round == self.max_rounds {
                progress.stop = Some(Stop::MaxRounds);
                break;
            }
            let Some((program, _)) = progress.best.clone() else {
                progress.stop = Some(Stop::NoCandidates);
                break;
            };
            let execution = match session.execute(&program).await.budgeted()? {
                Ok(execution) => execution,
                Err(stop) => {
                    progress.budget = Some(stop);
                    break;
                }
            };
            let prompt =
                session
                    .ctx()
                    .task
                    .correction_prompt(session.example(), &program, &execution)?;
            candidates = match session.sample_with(prompt, "", draw).await.budgeted()? {
                Ok(programs) => programs,
                Err(stop) => {
                    progress.budget = Some(stop);
                    break;
                }
            };
        }
        Ok(progress)
    }
}

#[async_trait]
impl Planner for Correction {
    fn name(&self) -> &'static str {
        PlannerKind::Correct.as_str()
    }

    fn config(&self) -> serde_json::Value {
        json!({
            "max_rounds": self.max_rounds,
            "patience": self.patience,
            "threshold": self.threshold,
        })
    }

    async fn plan(&self, ctx: &PlanContext, example: &Example) -> Result<PlanOutcome, PlanError> {
        let mut session = Session::new(ctx, example)?;
        let progress = self.run(&mut session).await?;
        let program = match (&progress.best, &progress.first_sample) {
            (Some((best, _)), _) => best.clone(),
            (None, Some(first)) => first.clone(),
            (None, None) => String::new(),
        };
        let stop = progress
            .stop
            .unwrap_or(Stop::MaxRounds)
            .unless_budget(progress.budget);
        let best_score = progress.best.as_ref().map(|(_, s)| *s);
        Ok(session.finish(program, stop, |ending| {
            Trace::Correct(CorrectTrace {
                rounds: progress.rounds,
                best_score,
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
        assert_trace_fixture, context, example, prompt_text, ScriptedDiscriminator,
        ScriptedGenerator,
    };

    const OPTIONS: Correction = Correction {
        max_rounds: 10,
        patience: 3,
        threshold: 0.99,
    };

    /// Initial samples `initial`; a fix of program `p` gives `fix(p)`.
    fn generator(
        initial: &'static [&'static str],
        fix: impl Fn(&str) -> Vec<String> + Send + Sync + 'static,
    ) -> Arc<ScriptedGenerator> {
        Arc::new(ScriptedGenerator::new(move |request| {
            let text = prompt_text(&request.prompt);
            match text.strip_prefix("FIX ") {
                Some(rest) => fix(rest.split("\nRESULT").next().unwrap_or("")),
                None => initial.iter().map(|s| s.to_string()).collect(),
            }
        }))
    }

    fn trace(outcome: &PlanOutcome) -> &CorrectTrace {
        match &outcome.trace {
            Trace::Correct(trace) => trace,
            other => panic!("{other:?}"),
        }
    }

    fn rounds(outcome: &PlanOutcome) -> usize {
        trace(outcome).rounds.len()
    }

    #[tokio::test]
    async fn stops_when_the_best_score_exceeds_the_threshold() {
        let generator = generator(&["1\n=", "2\n="], |program| match program {
            "2\n=" => vec!["5\n=".into()],
            _ => vec!["6\n=".into()],
        });
        let discriminator = Arc::new(ScriptedDiscriminator::new(&[
            ("1\n=", 0.3),
            ("2\n=", 0.5),
            ("5\n=", 0.7),
            ("6\n=", 1.0),
        ]));
        let ctx = context(&generator, &discriminator);
        let outcome = OPTIONS.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "6\n=");
        assert_eq!(rounds(&outcome), 3);
        assert_eq!(outcome.trace.stop(), Stop::Threshold);
        assert_eq!(trace(&outcome).best_score, Some(1.0));
        let requests = generator.requests.lock().unwrap();
        assert_eq!(requests.len(), 3);
        // The best program so far and its execution are the feedback.
        assert_eq!(prompt_text(&requests[1].prompt), "FIX 2\n=\nRESULT ok 2");
        assert_eq!(prompt_text(&requests[2].prompt), "FIX 5\n=\nRESULT ok 5");
        assert_eq!(outcome.cost.llm_calls, 3 + 2 + 1 + 1);
        assert_eq!(outcome.cost.execution_seconds, 0.002);
        assert_trace_fixture("correct_threshold", &outcome.trace);
    }

    #[tokio::test]
    async fn stops_after_three_rounds_without_improvement() {
        // Fixes never beat 0.5; an equal score is not an improvement.
        let generator = generator(&["2\n="], |_| vec!["1\n=".into(), "3\n=".into()]);
        let discriminator = Arc::new(ScriptedDiscriminator::new(&[
            ("2\n=", 0.5),
            ("1\n=", 0.2),
            ("3\n=", 0.5),
        ]));
        let ctx = context(&generator, &discriminator);
        let outcome = OPTIONS.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "2\n=");
        assert_eq!(rounds(&outcome), 4);
        assert_eq!(outcome.trace.stop(), Stop::Patience);
        assert_trace_fixture("correct_patience", &outcome.trace);
        assert_eq!(generator.requests.lock().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn stops_after_ten_rounds() {
        // Every fix adds one and scores a little better, never above the threshold.
        let generator = generator(&["1\n="], |program| {
            let k: i64 = program.trim_end_matches("\n=").parse().unwrap();
            vec![format!("{}\n=", k + 1)]
        });
        let table: Vec<(String, f64)> = (1..=12)
            .map(|k| (format!("{k}\n="), 0.05 * k as f64))
            .collect();
        let table: Vec<(&str, f64)> = table.iter().map(|(p, s)| (p.as_str(), *s)).collect();
        let discriminator = Arc::new(ScriptedDiscriminator::new(&table));
        let ctx = context(&generator, &discriminator);
        let outcome = OPTIONS.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "10\n=");
        assert_eq!(rounds(&outcome), 10);
        assert_eq!(outcome.trace.stop(), Stop::MaxRounds);
        assert_trace_fixture("correct_max_rounds", &outcome.trace);
        // No fix is requested after the last round.
        assert_eq!(generator.requests.lock().unwrap().len(), 10);
    }

    #[tokio::test]
    async fn a_budget_stop_returns_the_best_so_far() {
        let generator = generator(&["1\n=", "2\n="], |_| vec!["6\n=".into()]);
        let discriminator = Arc::new(ScriptedDiscriminator::new(&[
            ("1\n=", 0.3),
            ("2\n=", 0.5),
            ("6\n=", 1.0),
        ]));
        let mut ctx = context(&generator, &discriminator);
        // Sampling (1) and two judgements (3); the fix is refused.
        ctx.budget.max_llm_calls = Some(3);
        let outcome = OPTIONS.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "2\n=");
        assert_eq!(outcome.trace.stop(), Stop::Budget(BudgetStop::LlmCalls));
        assert_eq!(outcome.cost.llm_calls, 3);
        assert_eq!(generator.requests.lock().unwrap().len(), 1);
        assert_trace_fixture("correct_budget_llm_calls", &outcome.trace);
        // One call short: only the first candidate is judged, and the budget holds exactly.
        ctx.budget.max_llm_calls = Some(2);
        let outcome = OPTIONS.plan(&ctx, &example()).await.unwrap();
        assert_eq!(
            (outcome.program.as_str(), outcome.cost.llm_calls),
            ("1\n=", 2)
        );
        assert_eq!(trace(&outcome).rounds[0].candidates.len(), 1);
        assert_eq!(outcome.trace.stop(), Stop::Budget(BudgetStop::LlmCalls));
        // Stopped before anything was scored: the first sample.
        ctx.budget = Budget {
            max_llm_calls: Some(1),
            max_seconds: None,
            ..Budget::default()
        };
        let outcome = OPTIONS.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "1\n=");
        assert_trace_fixture("correct_budget_unscored", &outcome.trace);
    }
}
