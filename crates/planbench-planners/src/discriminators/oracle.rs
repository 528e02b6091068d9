//! A simulated discriminator that knows the truth and is right with a chosen probability.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use planbench_core::{Cost, Discriminator, DiscriminatorError, Example, OracleRule, Scores, Task};

use crate::seed;

/// The paper's oracle evaluator with accuracy `P`.
///
/// For each candidate it computes the true score `s` in [0, 1] with
/// [`Task::oracle_score`] and returns `s` with probability `P`, otherwise the inverted
/// judgement `1 - s` (as the paper's evaluator does for its soft F1 scores). The draw for a
/// candidate is a hash of the seed, the example id and the normalized candidate, so the same
/// candidate always gets the same judgement, in any order and under any concurrency. It makes no
/// LLM calls; its cost is the time spent executing programs.
pub struct OracleDiscriminator {
    task: Arc<dyn Task>,
    accuracy: f64,
    rule: OracleRule,
    seed: u64,
}

impl OracleDiscriminator {
    /// An oracle that is right with probability `accuracy` (clamped to [0, 1]).
    pub fn new(task: Arc<dyn Task>, accuracy: f64, rule: OracleRule, seed: u64) -> Self {
        let accuracy = if accuracy.is_nan() { 0.0 } else { accuracy.clamp(0.0, 1.0) };
        Self {
            task,
            accuracy,
            rule,
            seed,
        }
    }

    /// True when the judgement of `program` for `example` is the true one.
    fn tells_truth(&self, example: &Example, program: &str) -> bool {
        let normalized = self.task.normalize(program);
        let hash = seed::hash_u64(&[
            b"oracle",
            &self.seed.to_le_bytes(),
            example.id.as_bytes(),
            normalized.as_bytes(),
        ]);
        seed::unit_interval(hash) < self.accuracy
    }
}

#[async_trait]
impl Discriminator for OracleDiscriminator {
    fn describe(&self) -> String {
        let rule = match self.rule {
            OracleRule::Paper => "paper",
            OracleRule::Exact => "exact",
        };
        format!("oracle(accuracy={},rule={rule},seed={})", self.accuracy, self.seed)
    }

    async fn score(
        &self,
        example: &Example,
        programs: &[String],
    ) -> Result<Scores, DiscriminatorError> {
        let (task, rule) = (Arc::clone(&self.task), self.rule);
        let (owned_example, owned_programs) = (example.clone(), programs.to_vec());
        let started = Instant::now();
        let truths = tokio::task::spawn_blocking(move || {
            owned_programs
                .iter()
                .map(|program| task.oracle_score(&owned_example, program, rule))
                .collect::<Vec<f64>>()
        })
        .await
        .map_err(|e| planbench_core::TaskError::Invalid(format!("oracle scoring failed: {e}")))?;
        let cost = Cost {
            execution_seconds: started.elapsed().as_secs_f64(),
            ..Cost::default()
        };
        let scores = programs
            .iter()
            .zip(truths)
            .map(|(program, truth)| {
                if self.tells_truth(example, program) {
                    truth
                } else {
                    1.0 - truth
                }
            })
            .collect();
        Ok(Scores { scores, cost })
    }
}
