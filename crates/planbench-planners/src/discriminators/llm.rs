//! An LLM discriminator: the probability that the model answers "Yes" to "is this correct?".

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use planbench_core::{
    AnswerProbsRequest, Cost, Discriminator, DiscriminatorError, Example, GenError, Generator,
    Scores, Task, TaskError,
};
use serde::{Deserialize, Serialize};

use crate::session::execute_blocking;

/// What the LLM discriminator sees of a candidate's execution (the paper's four settings).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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

impl LlmVariant {
    const ALL: [LlmVariant; 4] = [
        LlmVariant::Naive,
        LlmVariant::Check,
        LlmVariant::Exec,
        LlmVariant::Pro,
    ];

    /// The CLI name.
    pub fn as_str(self) -> &'static str {
        match self {
            LlmVariant::Naive => "naive",
            LlmVariant::Check => "check",
            LlmVariant::Exec => "exec",
            LlmVariant::Pro => "pro",
        }
    }

    fn checks_execution(self) -> bool {
        matches!(self, LlmVariant::Check | LlmVariant::Pro)
    }

    fn shows_execution(self) -> bool {
        matches!(self, LlmVariant::Exec | LlmVariant::Pro)
    }
}

impl fmt::Display for LlmVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LlmVariant {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LlmVariant::ALL
            .into_iter()
            .find(|variant| variant.as_str() == s)
            .ok_or_else(|| {
                format!("unknown discriminator variant `{s}` (expected naive, check, exec or pro)")
            })
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
        let shown = execution.as_ref().filter(|_| self.variant.shows_execution());
        let request = AnswerProbsRequest {
            prompt: self.task.discrimination_prompt(example, program, shown)?,
            answers: vec!["Yes".into(), "No".into()],
        };
        let answer = self.generator.answer_probs(&request).await?;
        cost.add_discrimination(&answer.usage);
        Ok((yes_share(&answer.probs)?, cost))
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
    Ok(if yes + no > 0.0 { yes / (yes + no) } else { 0.0 })
}

#[async_trait]
impl Discriminator for LlmDiscriminator {
    fn describe(&self) -> String {
        format!("llm(variant={},model={})", self.variant, self.generator.identity())
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

    #[test]
    fn yes_share_normalizes_and_rejects_malformed_answers() {
        assert_eq!(yes_share(&[0.3, 0.1]).unwrap(), 0.75);
        assert_eq!(yes_share(&[0.0, 0.0]).unwrap(), 0.0);
        assert_eq!(yes_share(&[f64::NAN, 0.5]).unwrap(), 0.0);
        assert!(yes_share(&[0.5]).is_err());
    }

    #[test]
    fn variants_round_trip_through_their_names() {
        for variant in LlmVariant::ALL {
            assert_eq!(variant.to_string().parse::<LlmVariant>(), Ok(variant));
        }
        assert_eq!(LlmVariant::default(), LlmVariant::Pro);
        assert!("best".parse::<LlmVariant>().is_err());
    }
}
