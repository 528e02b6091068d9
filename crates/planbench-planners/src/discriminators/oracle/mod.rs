//! A simulated discriminator that knows the truth and is wrong with chosen probabilities.

mod config;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use planbench_core::{
    Cost, Discriminator, DiscriminatorError, Example, OracleRule, OracleTruth, Scores, Task,
};

pub use config::{OracleConfig, OracleConfigError, OracleDraws, OracleNoise};

use crate::seed;

/// The paper's oracle evaluator, with planbench's extensions ([`OracleConfig`]).
///
/// For each candidate it asks the task for the truth ([`Task::oracle_truth`] under the
/// configured rule and levels: the kept score, the flipped one, and correctness) and reports
/// the kept or the flipped score as [`OracleNoise`] says (a program the oracle cannot be wrong
/// about, `flipped = None`, always gets its kept score). Each judgement's random draw is a hash
/// of the seed, the example id and the normalized candidate (and, with
/// [`OracleDraws::PerCall`], how many times this oracle already scored it for that example), so
/// judgements do not depend on the order or concurrency of scoring. It makes no LLM calls; its
/// cost is the time spent executing programs.
pub struct OracleDiscriminator {
    task: Arc<dyn Task>,
    config: OracleConfig,
    seed: u64,
    /// Per-call draws: how many times each (example id, normalized program) was scored.
    scored: Mutex<HashMap<(String, String), u64>>,
}

impl OracleDiscriminator {
    /// The paper's flip oracle, right with probability `accuracy` (clamped to [0, 1]; NaN is 0),
    /// with planbench's levels and draws.
    pub fn new(task: Arc<dyn Task>, accuracy: f64, rule: OracleRule, seed: u64) -> Self {
        let accuracy = if accuracy.is_nan() {
            0.0
        } else {
            accuracy.clamp(0.0, 1.0)
        };
        let config = OracleConfig {
            noise: OracleNoise::Flip { accuracy },
            rule,
            ..OracleConfig::default()
        };
        Self::build(task, config, seed)
    }

    /// An oracle configured by `config`; out-of-range knobs are an error.
    pub fn with_config(
        task: Arc<dyn Task>,
        config: OracleConfig,
        seed: u64,
    ) -> Result<Self, OracleConfigError> {
        config.noise.validate()?;
        Ok(Self::build(task, config, seed))
    }

    fn build(task: Arc<dyn Task>, config: OracleConfig, seed: u64) -> Self {
        Self {
            task,
            config,
            seed,
            scored: Mutex::new(HashMap::new()),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &OracleConfig {
        &self.config
    }

    /// The hash parts that seed the draw of each of `programs`, taken in order (per-call draws
    /// count this scoring now, so concurrent calls each get their own draw).
    fn draw_keys(&self, example: &Example, programs: &[String]) -> Vec<(String, u64)> {
        let normalized = programs.iter().map(|p| self.task.normalize(p));
        match self.config.draws {
            OracleDraws::PerCandidate => normalized.map(|n| (n, 0)).collect(),
            OracleDraws::PerCall => {
                // A poisoned lock only means another scoring panicked; the counts stay valid.
                let mut scored = self.scored.lock().unwrap_or_else(|e| e.into_inner());
                normalized
                    .map(|n| {
                        let count = scored.entry((example.id.clone(), n.clone())).or_insert(0);
                        *count += 1;
                        (n, *count - 1)
                    })
                    .collect()
            }
        }
    }

    /// A uniform draw in [0, 1) for one judgement; `stream` 0 is the flip draw, 1 the second
    /// uniform of a Gaussian draw. The first scoring of a program (`call` 0) hashes exactly as
    /// planbench always did.
    fn uniform(&self, example: &Example, normalized: &str, call: u64, stream: u8) -> f64 {
        let seed = self.seed.to_le_bytes();
        let call_bytes = call.to_le_bytes();
        let mut parts: Vec<&[u8]> = vec![
            b"oracle",
            &seed,
            example.id.as_bytes(),
            normalized.as_bytes(),
        ];
        if call > 0 {
            parts.push(&call_bytes);
        }
        if stream > 0 {
            parts.push(b"gaussian");
        }
        seed::unit_interval(seed::hash_u64(&parts))
    }

    /// The reported score of one program with truth `truth`.
    fn judge(&self, example: &Example, normalized: &str, call: u64, truth: OracleTruth) -> f64 {
        let Some(flipped) = truth.flipped else {
            return truth.kept;
        };
        let draw = self.uniform(example, normalized, call, 0);
        let keeps = |p: f64| draw < p;
        match self.config.noise {
            OracleNoise::Flip { accuracy } => {
                if keeps(accuracy) {
                    truth.kept
                } else {
                    flipped
                }
            }
            OracleNoise::Rates { tpr, fpr } => {
                let keep = if truth.correct { tpr } else { 1.0 - fpr };
                if keeps(keep) {
                    truth.kept
                } else {
                    flipped
                }
            }
            OracleNoise::Gaussian { sigma } => {
                let other = self.uniform(example, normalized, call, 1);
                (truth.kept + sigma * standard_normal(draw, other)).clamp(0.0, 1.0)
            }
        }
    }
}

/// A standard normal value from two uniforms in [0, 1) (Box-Muller).
fn standard_normal(u: f64, v: f64) -> f64 {
    // 1 - u is in (0, 1], so the logarithm is finite.
    (-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

#[async_trait]
impl Discriminator for OracleDiscriminator {
    fn describe(&self) -> String {
        self.config.describe(self.seed)
    }

    async fn score(
        &self,
        example: &Example,
        programs: &[String],
    ) -> Result<Scores, DiscriminatorError> {
        let keys = self.draw_keys(example, programs);
        let (task, rule, levels) = (Arc::clone(&self.task), self.config.rule, self.config.levels);
        let (owned_example, owned_programs) = (example.clone(), programs.to_vec());
        let started = Instant::now();
        let truths = tokio::task::spawn_blocking(move || {
            owned_programs
                .iter()
                .map(|program| task.oracle_truth(&owned_example, program, rule, levels))
                .collect::<Vec<OracleTruth>>()
        })
        .await
        .map_err(|e| planbench_core::TaskError::Invalid(format!("oracle scoring failed: {e}")))?;
        let cost = Cost {
            execution_seconds: started.elapsed().as_secs_f64(),
            ..Cost::default()
        };
        let scores = keys
            .iter()
            .zip(truths)
            .map(|((normalized, call), truth)| self.judge(example, normalized, *call, truth))
            .collect();
        Ok(Scores { scores, cost })
    }
}

#[cfg(test)]
mod tests;
