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

/// Scores a program by `P(Yes) / (P(Yes) + P(No))` for the next token after the task's
/// discrimination prompt. Candidates of one batch are judged concurrently.
pub struct LlmDiscriminator {
    task: Arc<dyn Task>,
    generator: Arc<dyn Generator>,
    variant: LlmVariant,
}

impl LlmDiscriminator {
    /// A discriminator asking `generator` about programs of `task`.
    pub fn new(task: Arc<dyn Task>, generator: Arc<dyn Generator>, variant: LlmVariant) -> Self {
        Self {
            task,
            generator,
            variant,
        }
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
        Ok((yes_share(&answer.probs)?, cost))
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

/// `P(Yes) / (P(Yes) + P(No))`; 0 when the model gives neither answer any probability.
fn yes_share(probs: &[f64]) -> Result<f64, GenError> {
    let [yes, no] = probs else {
        return Err(GenError::Backend(format!(
            "answer_probs returned {} probabilities for the 2 answers Yes/No",
            probs.len()
        )));
    };
    let valid = |p: f64| if p.is_finite() && p > 0.0 { p } else { 0.0 };
    let (yes, no) = (valid(*yes), valid(*no));
    Ok(if yes + no > 0.0 {
        yes / (yes + no)
    } else {
        0.0
    })
}

#[async_trait]
impl Discriminator for LlmDiscriminator {
    fn describe(&self) -> String {
        format!(
            "llm(variant={},model={})",
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
        assert!((yes_share(&[0.3, 0.1]).unwrap() - 0.75).abs() < 1e-12);
        assert_eq!(yes_share(&[0.0, 0.0]).unwrap(), 0.0);
        assert_eq!(yes_share(&[f64::NAN, 0.5]).unwrap(), 0.0);
        assert!(yes_share(&[0.5]).is_err());
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
