//! One planner run on one example: prompts, sampling, scoring and execution, with cost
//! accounting and budget checks in one place.

use std::sync::Arc;
use std::time::Instant;

use planbench_core::{Cost, Example, Execution, GenerateRequest, Prompt, SamplingParams};

use crate::context::{PlanContext, PlanOutcome};
use crate::error::PlanError;
use crate::seed;
use crate::steps::{sampled, Sampled};
use crate::trace::{BudgetStop, Ending, Stop, Trace};

/// Why a session operation did not run: a budget limit (planners then return their best program
/// so far) or an error.
#[derive(Debug)]
pub(crate) enum Interrupt {
    Budget(BudgetStop),
    Failed(PlanError),
}

impl<E: Into<PlanError>> From<E> for Interrupt {
    fn from(error: E) -> Self {
        Interrupt::Failed(error.into())
    }
}

/// What a batch of operations launched together gave: one result per operation that fitted
/// the budget, in launch order (a prefix of the batch), and the budget limit that held the rest
/// back (`None`: everything ran).
#[derive(Debug)]
pub(crate) struct Batch<T> {
    pub done: Vec<T>,
    pub stop: Option<BudgetStop>,
}

impl<T> Batch<T> {
    fn stopped(stop: BudgetStop) -> Self {
        Batch {
            done: Vec::new(),
            stop: Some(stop),
        }
    }
}

/// Sampling settings of one generation request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Draw {
    pub n: usize,
    pub temperature: f32,
}

/// The state of one planner run on one example.
pub(crate) struct Session<'a> {
    ctx: &'a PlanContext,
    example: &'a Example,
    example_seed: u64,
    requests: u64,
    started: Instant,
    generation_prompt: Prompt,
    cost: Cost,
}

impl<'a> Session<'a> {
    /// Starts a run: renders the generation prompt and derives the example's seed.
    pub fn new(ctx: &'a PlanContext, example: &'a Example) -> Result<Self, PlanError> {
        Ok(Self {
            ctx,
            example,
            example_seed: seed::example_seed(ctx.seed, &example.id),
            requests: 0,
            started: Instant::now(),
            generation_prompt: ctx.task.generation_prompt(example)?,
            cost: Cost::default(),
        })
    }

    pub fn ctx(&self) -> &PlanContext {
        self.ctx
    }

    pub fn example(&self) -> &Example {
        self.example
    }

    /// The run's default sampling (n and temperature of [`PlanContext::sampling`]).
    pub fn default_draw(&self) -> Draw {
        Draw {
            n: self.ctx.sampling.n,
            temperature: self.ctx.sampling.temperature,
        }
    }

    /// Refuses the next operation once a budget limit is reached (the limits on LLM calls,
    /// tokens and FLOPs only for operations that may call an LLM); the first reached of
    /// seconds, calls, tokens and FLOPs is the stop.
    fn check_budget(&self, calls_llm: bool) -> Result<(), Interrupt> {
        let budget = &self.ctx.budget;
        let cost = &self.cost;
        let reached = [
            (
                BudgetStop::Seconds,
                budget
                    .max_seconds
                    .is_some_and(|max| self.started.elapsed().as_secs_f64() >= max),
            ),
            (
                BudgetStop::LlmCalls,
                calls_llm
                    && budget
                        .max_llm_calls
                        .is_some_and(|max| cost.llm_calls >= max),
            ),
            (
                BudgetStop::Tokens,
                calls_llm && budget.max_tokens.is_some_and(|max| cost.tokens() >= max),
            ),
            (
                BudgetStop::Flops,
                calls_llm && budget.max_flops.is_some_and(|max| cost.flops() >= max),
            ),
        ];
        let Some((stop, _)) = reached.into_iter().find(|(_, reached)| *reached) else {
            return Ok(());
        };
        tracing::debug!(example = %self.example.id, ?stop, "budget reached");
        Err(Interrupt::Budget(stop))
    }

    /// LLM calls left under the call budget (`None`: no call budget).
    fn calls_left(&self) -> Option<u64> {
        self.ctx
            .budget
            .max_llm_calls
            .map(|max| max.saturating_sub(self.cost.llm_calls))
    }

    /// How many of `wanted` operations of at most one LLM call each fit the call budget.
    fn fitting(&self, wanted: usize) -> usize {
        self.calls_left().map_or(wanted, |left| {
            wanted.min(usize::try_from(left).unwrap_or(usize::MAX))
        })
    }

    /// The generation request continuing `partial`, with the next request seed.
    fn request(&mut self, prompt: Prompt, partial: &str, draw: Draw) -> GenerateRequest {
        let task = &self.ctx.task;
        let request = GenerateRequest {
            affinity: Some(self.example.id.clone()),
            prompt,
            assistant_prefix: format!("{}{partial}", task.response_prefix()),
            params: SamplingParams {
                n: draw.n,
                temperature: draw.temperature,
                top_p: self.ctx.sampling.top_p,
                top_k: self.ctx.sampling.top_k,
                max_tokens: self.ctx.sampling.max_tokens,
                stop: task.stop_sequences(),
                seed: seed::request_seed(self.example_seed, self.requests),
            },
        };
        self.requests += 1;
        request
    }

    /// Samples programs continuing each of `partials` with the generation prompt, all requests
    /// in flight together: as many as the call budget allows, in order (each takes its request
    /// seed in that order, so results do not depend on which answer comes first).
    pub async fn sample_each(
        &mut self,
        partials: &[String],
        draw: Draw,
    ) -> Result<Batch<Vec<String>>, PlanError> {
        if partials.is_empty() {
            return Ok(Batch {
                done: Vec::new(),
                stop: None,
            });
        }
        if let Err(stop) = self.check_budget(true).budgeted()? {
            return Ok(Batch::stopped(stop));
        }
        let fit = self.fitting(partials.len());
        let requests: Vec<GenerateRequest> = partials[..fit]
            .iter()
            .map(|partial| self.request(self.generation_prompt.clone(), partial, draw))
            .collect();
        let generator = &self.ctx.generator;
        let generations =
            futures::future::try_join_all(requests.iter().map(|r| generator.generate(r))).await?;
        let task = self.ctx.task.as_ref();
        let mut done = Vec::with_capacity(fit);
        for (request, generation) in requests.iter().zip(generations) {
            self.cost
                .add_generation(&generation.usage, generator.parameters());
            done.push(sampled(task, &request.assistant_prefix, &generation.completions).programs);
        }
        let stop = (fit < partials.len()).then_some(BudgetStop::LlmCalls);
        Ok(Batch { done, stop })
    }

    /// Samples programs for the example that continue `partial` (empty for whole programs).
    pub async fn sample(&mut self, partial: &str, draw: Draw) -> Result<Vec<String>, Interrupt> {
        let prompt = self.generation_prompt.clone();
        self.sample_with(prompt, partial, draw).await
    }

    /// Samples programs answering `prompt` that continue `partial`: distinct, non-empty, in
    /// sample order.
    pub async fn sample_with(
        &mut self,
        prompt: Prompt,
        partial: &str,
        draw: Draw,
    ) -> Result<Vec<String>, Interrupt> {
        Ok(self.sample_indexed(prompt, partial, draw).await?.programs)
    }

    /// Samples whole programs for the example: the distinct ones and which one each sample
    /// gave (for planners that count samples, not programs).
    pub async fn sample_every(&mut self, draw: Draw) -> Result<Sampled, Interrupt> {
        let prompt = self.generation_prompt.clone();
        self.sample_indexed(prompt, "", draw).await
    }

    async fn sample_indexed(
        &mut self,
        prompt: Prompt,
        partial: &str,
        draw: Draw,
    ) -> Result<Sampled, Interrupt> {
        self.check_budget(true)?;
        let request = self.request(prompt, partial, draw);
        let generation = self.ctx.generator.generate(&request).await?;
        self.cost
            .add_generation(&generation.usage, self.ctx.generator.parameters());
        Ok(sampled(
            self.ctx.task.as_ref(),
            &request.assistant_prefix,
            &generation.completions,
        ))
    }

    /// Scores `programs` with the discriminator (one score per program, in order), in one batch
    /// when the call budget allows. Under a call budget the batch goes in chunks of at most the
    /// calls left, so it never overshoots the budget (a discriminator spends at most one LLM
    /// call per program; an oracle spends none, and its chunks go on until all are scored):
    /// the scores of the programs that fitted, and the limit that held the rest back.
    pub async fn score(&mut self, programs: &[String]) -> Result<Batch<f64>, PlanError> {
        let mut done = Vec::with_capacity(programs.len());
        while done.len() < programs.len() {
            if let Err(stop) = self.check_budget(true).budgeted()? {
                return Ok(Batch {
                    done,
                    stop: Some(stop),
                });
            }
            let rest = &programs[done.len()..];
            let chunk = &rest[..self.fitting(rest.len())];
            done.extend(self.score_chunk(chunk).await?);
        }
        Ok(Batch { done, stop: None })
    }

    /// Scores `programs` in one discriminator call, checking what it returns.
    async fn score_chunk(&mut self, programs: &[String]) -> Result<Vec<f64>, PlanError> {
        let discriminator = &self.ctx.discriminator;
        let scores = discriminator.score(self.example, programs).await?;
        self.cost.merge(&scores.cost);
        let bad = |problem: String| PlanError::BadScores {
            discriminator: discriminator.describe(),
            problem,
        };
        if scores.scores.len() != programs.len() {
            return Err(bad(format!(
                "returned {} scores for {} programs",
                scores.scores.len(),
                programs.len()
            )));
        }
        if let Some(i) = scores.scores.iter().position(|s| !s.is_finite()) {
            return Err(bad(format!(
                "returned the non-finite score {} for program {i}",
                scores.scores[i]
            )));
        }
        Ok(scores.scores)
    }

    /// Executes `program` on a blocking thread.
    pub async fn execute(&mut self, program: &str) -> Result<Execution, Interrupt> {
        let executions = self.execute_all(&[program.to_string()]).await?;
        let execution = executions.into_iter().next();
        Ok(execution.ok_or_else(|| PlanError::Blocking("no execution came back".into()))?)
    }

    /// Executes every program of `programs` at once, each on a blocking thread; the
    /// executions in order.
    pub async fn execute_all(&mut self, programs: &[String]) -> Result<Vec<Execution>, Interrupt> {
        self.check_budget(false)?;
        let (task, example) = (&self.ctx.task, self.example);
        let executions = futures::future::join_all(
            programs
                .iter()
                .map(|program| execute_blocking(task, example, program)),
        )
        .await;
        let mut done = Vec::with_capacity(executions.len());
        for execution in executions {
            let execution = execution.map_err(|e| PlanError::Blocking(e.to_string()))?;
            self.cost.execution_seconds += execution.seconds;
            done.push(execution);
        }
        Ok(done)
    }

    /// Ends the run without a trace: what it cost.
    pub fn into_cost(self) -> Cost {
        self.cost
    }

    /// Ends the run with `program`, stopped for `stop`; `trace` builds the planner's trace
    /// around the run's [`Ending`] (stop, program and example seed).
    pub fn finish(
        self,
        program: String,
        stop: Stop,
        trace: impl FnOnce(Ending) -> Trace,
    ) -> PlanOutcome {
        let ending = Ending {
            stop,
            program: program.clone(),
            example_seed: Some(self.example_seed),
        };
        PlanOutcome {
            program,
            trace: trace(ending),
            cost: self.cost,
        }
    }
}

/// Runs [`planbench_core::Task::execute`] on a blocking thread.
pub(crate) async fn execute_blocking(
    task: &Arc<dyn planbench_core::Task>,
    example: &Example,
    program: &str,
) -> Result<Execution, tokio::task::JoinError> {
    let (task, example, program) = (Arc::clone(task), example.clone(), program.to_string());
    tokio::task::spawn_blocking(move || task.execute(&example, &program)).await
}

/// Separates budget stops (an inner `Err`) from failures (the outer `Err`).
pub(crate) trait Budgeted<T> {
    fn budgeted(self) -> Result<Result<T, BudgetStop>, PlanError>;
}

impl<T> Budgeted<T> for Result<T, Interrupt> {
    fn budgeted(self) -> Result<Result<T, BudgetStop>, PlanError> {
        match self {
            Ok(value) => Ok(Ok(value)),
            Err(Interrupt::Budget(stop)) => Ok(Err(stop)),
            Err(Interrupt::Failed(error)) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::context::Budget;
    use crate::planners::{Planner, Rerank};
    use crate::testkit::{context, example, ScriptedDiscriminator, ScriptedGenerator};
    use crate::trace::{BudgetStop, Stop};

    /// Re-ranking under `budget`: one generation (15 tokens, 30,000 FLOPs at 1,000
    /// parameters) and judge calls that cost no tokens.
    async fn rerank_stop(budget: Budget) -> Stop {
        let generator = Arc::new(
            ScriptedGenerator::new(|_| vec!["6\n=".into(), "5\n=".into()]).with_parameters(1000),
        );
        let discriminator = Arc::new(ScriptedDiscriminator::default());
        let mut ctx = context(&generator, &discriminator);
        ctx.budget = budget;
        let outcome = Rerank.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.cost.tokens(), 15);
        assert_eq!(outcome.cost.flops(), 30_000.0);
        outcome.trace.stop()
    }

    #[tokio::test]
    async fn token_and_flop_budgets_stop_like_the_call_budget() {
        let tokens = |max| Budget {
            max_tokens: Some(max),
            ..Budget::default()
        };
        let flops = |max| Budget {
            max_flops: Some(max),
            ..Budget::default()
        };
        assert_eq!(
            rerank_stop(tokens(15)).await,
            Stop::Budget(BudgetStop::Tokens)
        );
        assert_eq!(rerank_stop(tokens(16)).await, Stop::Done);
        assert_eq!(
            rerank_stop(flops(30_000.0)).await,
            Stop::Budget(BudgetStop::Flops)
        );
        assert_eq!(rerank_stop(flops(30_001.0)).await, Stop::Done);
        assert_eq!(
            serde_json::to_value(Stop::Budget(BudgetStop::Tokens)).unwrap(),
            serde_json::json!({ "budget": "tokens" })
        );
    }

    #[test]
    fn budgets_without_the_new_limits_serialize_as_before() {
        assert_eq!(
            serde_json::to_value(Budget::default()).unwrap(),
            serde_json::json!({ "max_llm_calls": null, "max_seconds": null })
        );
        let budget = Budget {
            max_tokens: Some(100),
            max_flops: Some(1e12),
            ..Budget::default()
        };
        let json = serde_json::to_value(budget).unwrap();
        assert_eq!(json["max_tokens"], 100);
        assert_eq!(serde_json::from_value::<Budget>(json).unwrap(), budget);
    }
}
