//! An LLM discriminator: the probability that the model answers "Yes" to "is this correct?".

use std::sync::Arc;

use async_trait::async_trait;
use planbench_core::{
    AnswerProbsRequest, Cost, Discriminator, DiscriminatorError, Example, GenError, Generator,
    Scores, Task, TaskError,
};

use crate::session::execute_blocking;
use planbench_core::named_enum;

/// What the LLM discriminator sees of a candidate's execution (the paper's four settings).
/// String forms: `naive`, `check`, `exec`, `pro`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LlmVariant {
    /// The question and the program only.
    Naive,
    /// Programs that fail to execute score 0 without asking the model; others as `naive`.
    Check,
    /// The execution result is shown in the prompt.
    Exec,
    /// `check` and `exec` together.
    #[default]
    Pro,
}

named_enum!(LlmVariant, "discriminator variant", {
    Naive => "naive",
    Check => "check",
    Exec => "exec",
    Pro => "pro",
});

impl LlmVariant {
    fn checks_execution(self) -> bool {
        matches!(self, LlmVariant::Check | LlmVariant::Pro)
    }

    fn shows_execution(self) -> bool {
        matches!(self, LlmVariant::Exec | LlmVariant::Pro)
    }
}

/// How a judge's answer probabilities become a score. String forms: `yes-share`, `raw-yes`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LlmScore {
    /// planbench's: `P(Yes) / (P(Yes) + P(No))`, so probability the model puts on other tokens
    /// does not count against a candidate; 0 when both are 0.
    #[default]
    YesShare,
    /// The paper's: the raw probability of "Yes" (its local judges take the softmax over the
    /// whole vocabulary; here the local engine's whole-vocabulary probability, or over HTTP the
    /// top-logprob probability). When P(Yes) is 0 (over HTTP: "Yes" not among the top
    /// logprobs) it falls back as the paper's OpenAI judge does: `1 - P(No)`, else 0.
    RawYes,
}

named_enum!(LlmScore, "judge score", {
    YesShare => "yes-share",
    RawYes => "raw-yes",
});

/// Scores a program from the model's probabilities of "Yes" and "No" for the next token after
/// the task's discrimination prompt, as [`LlmScore`] says (default: `P(Yes) / (P(Yes) +
/// P(No))`). Candidates of one batch are judged concurrently.
pub struct LlmDiscriminator {
    task: Arc<dyn Task>,
    generator: Arc<dyn Generator>,
    variant: LlmVariant,
    score: LlmScore,
}

impl LlmDiscriminator {
    /// A discriminator asking `generator` about programs of `task`.
    pub fn new(task: Arc<dyn Task>, generator: Arc<dyn Generator>, variant: LlmVariant) -> Self {
        Self {
            task,
            generator,
            variant,
            score: LlmScore::default(),
        }
    }

    /// The same judge, scoring answers as `score` says.
    pub fn with_score(self, score: LlmScore) -> Self {
        Self { score, ..self }
    }

    async fn judge(
        &self,
        example: &Example,
        program: &str,
    ) -> Result<(f64, Cost), DiscriminatorError> {
        let mut cost = Cost::default();
        let execution = if self.variant.checks_execution() || self.variant.shows_execution() {
            let execution = execute_blocking(&self.task, example, program)
                .await
                .map_err(|e| TaskError::Invalid(format!("executing a candidate failed: {e}")))?;
            cost.execution_seconds += execution.seconds;
            Some(execution)
        } else {
            None
        };
        if self.variant.checks_execution() && !execution.as_ref().is_some_and(|e| e.is_ok()) {
            return Ok((0.0, cost));
        }
        let shown = execution
            .as_ref()
            .filter(|_| self.variant.shows_execution());
        let request = AnswerProbsRequest {
            affinity: Some(example.id.clone()),
            prompt: self.task.discrimination_prompt(example, program, shown)?,
            answers: vec!["Yes".into(), "No".into()],
        };
        let answer = match self.generator.answer_probs(&request).await {
            Ok(answer) => answer,
            Err(e) if prompt_too_long(&e) => {
                tracing::warn!(example = %example.id, error = %e,
                    "the judge prompt does not fit the model's context: the candidate is unscoreable (score 0)");
                return Ok((0.0, cost));
            }
            Err(e) => return Err(e.into()),
        };
        cost.add_discrimination(&answer.usage, self.generator.parameters());
        Ok((answer_score(&answer.probs, self.score)?, cost))
    }
}

/// True when a judge request failed because its prompt does not fit the model's context: the
/// local engine's overflow, or a server's refusal (HTTP 400) that says so. Such a candidate is
/// unscoreable, not a reason to stop the run.
fn prompt_too_long(error: &GenError) -> bool {
    match error {
        GenError::ContextOverflow { .. } => true,
        GenError::InvalidRequest(m) | GenError::Backend(m) => {
            let m = m.to_lowercase();
            m.contains("context") && (m.contains("exceed") || m.contains("length"))
        }
        GenError::WorkerGone => false,
    }
}

/// The score of the answer probabilities `[P(Yes), P(No)]` under `mode` (a probability that
/// is not a finite positive number counts as 0).
fn answer_score(probs: &[f64], mode: LlmScore) -> Result<f64, GenError> {
    let [yes, no] = probs else {
        return Err(GenError::Backend(format!(
            "answer_probs returned {} probabilities for the 2 answers Yes/No",
            probs.len()
        )));
    };
    let valid = |p: f64| {
        if p.is_finite() && p > 0.0 {
            p.min(1.0)
        } else {
            0.0
        }
    };
    let (yes, no) = (valid(*yes), valid(*no));
    Ok(match mode {
        LlmScore::YesShare if yes + no > 0.0 => yes / (yes + no),
        LlmScore::YesShare => 0.0,
        LlmScore::RawYes if yes > 0.0 => yes,
        LlmScore::RawYes if no > 0.0 => 1.0 - no,
        LlmScore::RawYes => 0.0,
    })
}

#[async_trait]
impl Discriminator for LlmDiscriminator {
    /// `llm(variant=pro,model=…)`, with `,score=raw-yes` when not scoring by the yes share.
    fn describe(&self) -> String {
        let score = match self.score {
            LlmScore::YesShare => String::new(),
            other => format!(",score={other}"),
        };
        format!(
            "llm(variant={},model={}{score})",
            self.variant,
            self.generator.identity()
        )
    }

    async fn score(
        &self,
        example: &Example,
        programs: &[String],
    ) -> Result<Scores, DiscriminatorError> {
        let judgements = futures::future::try_join_all(
            programs.iter().map(|program| self.judge(example, program)),
        )
        .await?;
        let mut scores = Scores::default();
        for (score, cost) in judgements {
            scores.scores.push(score);
            scores.cost.merge(&cost);
        }
        Ok(scores)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{example, ScriptedGenerator, SumTask};

    #[test]
    fn yes_share_normalizes_and_rejects_malformed_answers() {
        let share = |probs: &[f64]| answer_score(probs, LlmScore::YesShare);
        assert!((share(&[0.3, 0.1]).unwrap() - 0.75).abs() < 1e-12);
        assert_eq!(share(&[0.0, 0.0]).unwrap(), 0.0);
        assert_eq!(share(&[f64::NAN, 0.5]).unwrap(), 0.0);
        assert!(share(&[0.5]).is_err());
    }

    #[test]
    fn raw_yes_is_the_probability_of_yes_with_the_paper_fallbacks() {
        let raw = |probs: &[f64]| answer_score(probs, LlmScore::RawYes).unwrap();
        assert_eq!(raw(&[0.3, 0.1]), 0.3);
        // "Yes" absent from the top logprobs: 1 - P(No); neither: 0.
        assert_eq!(raw(&[0.0, 0.25]), 0.75);
        assert_eq!(raw(&[0.0, 0.0]), 0.0);
        assert_eq!(raw(&[f64::NAN, 0.0]), 0.0);
        assert!(answer_score(&[0.5, 0.1, 0.1], LlmScore::RawYes).is_err());
        for score in LlmScore::ALL {
            assert_eq!(score.as_str().parse(), Ok(score));
        }
    }

    #[tokio::test]
    async fn raw_yes_changes_where_correction_stops() {
        use crate::context::{Budget, PlanContext, SamplingDefaults};
        use crate::planners::{Correction, Planner};
        use crate::trace::Stop;

        // The judge puts 0.95 on "Yes", 0.004 on "No" and the rest elsewhere: the yes share
        // (0.9958) passes the 0.99 threshold, the raw probability does not.
        let generator = Arc::new(
            ScriptedGenerator::new(|_| vec!["6\n=".to_string()]).with_answers("6\n=", 0.95, 0.004),
        );
        let correction = Correction {
            max_rounds: 10,
            patience: 3,
            threshold: 0.99,
        };
        let mut stops = Vec::new();
        for score in LlmScore::ALL {
            let judge =
                LlmDiscriminator::new(Arc::new(SumTask), generator.clone(), LlmVariant::Naive)
                    .with_score(score);
            let ctx = PlanContext {
                task: Arc::new(SumTask),
                generator: generator.clone(),
                discriminator: Arc::new(judge),
                sampling: SamplingDefaults::default(),
                budget: Budget::default(),
                seed: 0,
            };
            let outcome = correction.plan(&ctx, &example()).await.unwrap();
            stops.push(outcome.trace.stop());
        }
        assert_eq!(stops, [Stop::Threshold, Stop::Patience]);
    }

    #[test]
    fn only_prompts_that_do_not_fit_are_unscoreable() {
        let overflow = GenError::ContextOverflow {
            needed: 9000,
            capacity: 8192,
        };
        assert!(prompt_too_long(&overflow));
        let server = GenError::InvalidRequest(
            "HTTP 400: the request exceeds the available context size".into(),
        );
        assert!(prompt_too_long(&server));
        let openai = GenError::Backend("This model's maximum context length is 4096".into());
        assert!(prompt_too_long(&openai));
        assert!(!prompt_too_long(&GenError::Backend(
            "connection refused".into()
        )));
        assert!(!prompt_too_long(&GenError::WorkerGone));
    }

    /// A judge whose context is always too small.
    struct TinyContext;

    #[async_trait]
    impl Generator for TinyContext {
        fn identity(&self) -> String {
            "tiny".into()
        }
        async fn generate(
            &self,
            _: &planbench_core::GenerateRequest,
        ) -> Result<planbench_core::Generation, GenError> {
            Err(GenError::WorkerGone)
        }
        async fn answer_probs(
            &self,
            _: &AnswerProbsRequest,
        ) -> Result<planbench_core::AnswerProbs, GenError> {
            Err(GenError::ContextOverflow {
                needed: 9000,
                capacity: 8192,
            })
        }
    }

    #[tokio::test]
    async fn a_judge_prompt_that_does_not_fit_scores_zero_and_the_run_goes_on() {
        let judge =
            LlmDiscriminator::new(Arc::new(SumTask), Arc::new(TinyContext), LlmVariant::Naive);
        let scored = judge
            .score(&example(), &["6\n=".to_string()])
            .await
            .unwrap();
        assert_eq!(scored.scores, vec![0.0]);
    }

    #[test]
    fn variants_round_trip_through_their_names() {
        for variant in LlmVariant::ALL {
            assert_eq!(variant.to_string().parse::<LlmVariant>(), Ok(variant));
        }
        assert_eq!(LlmVariant::default(), LlmVariant::Pro);
        assert!("best".parse::<LlmVariant>().is_err());
    }

    async fn judge(variant: LlmVariant) -> (Scores, Vec<String>) {
        let generator = Arc::new(
            ScriptedGenerator::new(|_| Vec::new())
                .with_yes("6\n=", 0.8)
                .with_yes("x\n=", 0.9),
        );
        let discriminator = LlmDiscriminator::new(Arc::new(SumTask), generator.clone(), variant);
        let programs = vec!["6\n=".to_string(), "x\n=".into()];
        let scores = discriminator.score(&example(), &programs).await.unwrap();
        // Candidates are judged concurrently (after executing on blocking threads), so the
        // order in which the model is asked is not fixed; the scores keep the program order.
        let mut prompts = generator.judged.lock().unwrap().clone();
        prompts.sort();
        (scores, prompts)
    }

    #[tokio::test]
    async fn naive_sees_only_the_program() {
        let (scores, prompts) = judge(LlmVariant::Naive).await;
        assert_eq!(scores.scores, vec![0.8, 0.9]);
        assert_eq!(prompts, ["JUDGE 6\n=", "JUDGE x\n="]);
        assert_eq!((scores.cost.llm_calls, scores.cost.prompt_tokens), (2, 40));
        assert_eq!(scores.cost.execution_seconds, 0.0);
    }

    #[tokio::test]
    async fn check_scores_failures_zero_without_asking() {
        let (scores, prompts) = judge(LlmVariant::Check).await;
        assert_eq!(scores.scores, vec![0.8, 0.0]);
        assert_eq!(prompts, ["JUDGE 6\n="]);
        assert_eq!(scores.cost.llm_calls, 1);
        assert_eq!(scores.cost.execution_seconds, 0.002);
    }

    #[tokio::test]
    async fn exec_shows_execution_results() {
        let (scores, prompts) = judge(LlmVariant::Exec).await;
        assert_eq!(scores.scores, vec![0.8, 0.9]);
        assert_eq!(
            prompts,
            [
                "JUDGE 6\n=\nRESULT ok 6",
                "JUDGE x\n=\nRESULT error: not an integer: x"
            ]
        );
    }

    #[tokio::test]
    async fn pro_checks_and_shows_execution() {
        let (scores, prompts) = judge(LlmVariant::Pro).await;
        assert_eq!(scores.scores, vec![0.8, 0.0]);
        assert_eq!(prompts, ["JUDGE 6\n=\nRESULT ok 6"]);
        assert_eq!(scores.cost.llm_calls, 1);
    }
}
