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
        let accuracy = if accuracy.is_nan() {
            0.0
        } else {
            accuracy.clamp(0.0, 1.0)
        };
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
        format!(
            "oracle(accuracy={},rule={rule},seed={})",
            self.accuracy, self.seed
        )
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::testkit::{example, SumTask};

    /// 8000 distinct candidates for "sum to 6", half of them correct.
    fn pool() -> Vec<String> {
        (0..4000)
            .flat_map(|k: i64| [format!("{k}\n{}\n=", 6 - k), format!("{}\n=", k + 7)])
            .collect()
    }

    fn oracle(accuracy: f64, rule: OracleRule, seed: u64) -> OracleDiscriminator {
        OracleDiscriminator::new(Arc::new(SumTask), accuracy, rule, seed)
    }

    #[tokio::test]
    async fn judgements_are_right_with_the_chosen_probability() {
        let programs = pool();
        let truths: Vec<f64> = programs
            .iter()
            .map(|p| SumTask.oracle_score(&example(), p, OracleRule::Exact))
            .collect();
        assert_eq!(truths.iter().sum::<f64>(), 4000.0);
        for accuracy in [0.6, 0.8, 0.9, 1.0] {
            let scores = oracle(accuracy, OracleRule::Exact, 3)
                .score(&example(), &programs)
                .await
                .unwrap();
            assert_eq!(scores.cost.llm_calls, 0);
            let right = scores
                .scores
                .iter()
                .zip(&truths)
                .filter(|(s, t)| s == t)
                .count();
            let measured = right as f64 / programs.len() as f64;
            assert!(
                (measured - accuracy).abs() <= 0.02,
                "P = {accuracy}: measured {measured}"
            );
        }
    }

    #[tokio::test]
    async fn wrong_judgements_invert_soft_scores() {
        // "4" is 2 away from 6: true paper score 1/3.
        let programs = vec!["4\n=".to_string()];
        let right = oracle(1.0, OracleRule::Paper, 0)
            .score(&example(), &programs)
            .await
            .unwrap();
        let wrong = oracle(0.0, OracleRule::Paper, 0)
            .score(&example(), &programs)
            .await
            .unwrap();
        assert!((right.scores[0] - 1.0 / 3.0).abs() < 1e-12);
        assert!((wrong.scores[0] - 2.0 / 3.0).abs() < 1e-12);
        // A program that does not execute is judged 0, or 1 when the judgement is wrong.
        let broken = vec!["x\n=".to_string()];
        let wrong = oracle(0.0, OracleRule::Paper, 0)
            .score(&example(), &broken)
            .await
            .unwrap();
        assert_eq!(wrong.scores, vec![1.0]);
    }

    #[tokio::test]
    async fn draws_do_not_depend_on_order_or_concurrency() {
        let programs = pool();
        let judge = oracle(0.7, OracleRule::Exact, 11);
        let ex = example();
        let whole = judge.score(&ex, &programs).await.unwrap().scores;
        let by_program: HashMap<&String, f64> =
            programs.iter().zip(whole.iter().copied()).collect();

        // Reversed, in concurrent chunks, and spelled differently (same normalized program).
        let reversed: Vec<String> = programs.iter().rev().map(|p| format!(" {p} ")).collect();
        let chunks =
            futures::future::try_join_all(reversed.chunks(97).map(|c| judge.score(&ex, c)))
                .await
                .unwrap();
        let again: Vec<f64> = chunks.into_iter().flat_map(|s| s.scores).collect();
        for (program, score) in programs.iter().rev().zip(again) {
            assert_eq!(by_program[program], score, "{program:?}");
        }

        let other_seed = oracle(0.7, OracleRule::Exact, 12)
            .score(&ex, &programs)
            .await
            .unwrap();
        assert_ne!(whole, other_seed.scores);
    }
}
