//! Iterative correction: score samples, keep the best, ask the generator to fix it.

use async_trait::async_trait;
use planbench_core::Example;
use serde_json::json;

use super::{first_best, scored, Planner};
use crate::context::{PlanContext, PlanOutcome};
use crate::error::PlanError;
use crate::session::{stop_label, BudgetStop, Budgeted, Session};

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
    rounds: Vec<serde_json::Value>,
    best: Option<(String, f64)>,
    first_sample: Option<String>,
    stop: &'static str,
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
            let scores = match session.score(&candidates).await.budgeted()? {
                Ok(scores) => scores,
                Err(stop) => {
                    progress.budget = Some(stop);
                    break;
                }
            };
            let top = first_best(&scores).map(|i| (candidates[i].clone(), scores[i]));
            let improved = match (&top, &progress.best) {
                (Some((_, score)), Some((_, best))) => score > best,
                (Some(_), None) => true,
                (None, _) => false,
            };
            progress.rounds.push(json!({
                "round": round,
                "candidates": scored(&candidates, &scores),
                "improved": improved,
            }));
            if improved {
                progress.best = top;
                waited = 0;
            } else {
                waited += 1;
            }
            if progress.best.as_ref().is_some_and(|(_, s)| *s > self.threshold) {
                progress.stop = "threshold";
                break;
            }
            if waited >= self.patience {
                progress.stop = "patience";
                break;
            }
            if round == self.max_rounds {
                progress.stop = "max_rounds";
                break;
            }
            let Some((program, _)) = progress.best.clone() else {
                progress.stop = "no_candidates";
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
        "correct"
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
        let trace = json!({
            "planner": self.name(),
            "rounds": progress.rounds,
            "best_score": progress.best.as_ref().map(|(_, s)| *s),
            "stop": stop_label(progress.stop, progress.budget),
        });
        Ok(session.finish(program, trace))
    }
}
