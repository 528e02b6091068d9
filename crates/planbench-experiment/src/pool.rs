//! Candidate pools and the intrinsic evaluation of a discriminator on them: one pool per
//! (task, examples, generator, sampling, seed), sampled once and shared by every
//! discriminator evaluated on it.

use planbench_planners::{intrinsic_metrics, sample_candidates, IntrinsicMetrics, PoolExample};
use serde::Serialize;
use serde_json::json;

use crate::runner::{progress_bar, Engine, ResolvedRun};
use crate::spec::RunSpec;
use crate::store::PoolRecord;
use crate::{identity, ExperimentError};

/// The metrics of one discriminator on one pool.
#[derive(Debug, Serialize)]
pub struct Discrimination {
    pub pool: String,
    pub discriminator: String,
    pub metrics: IntrinsicMetrics,
    /// Oracle only: its nominal accuracy.
    pub nominal_accuracy: Option<f64>,
    /// Share of candidates whose score is on their label's side of 0.5.
    pub measured_candidate_accuracy: f64,
}

impl Engine {
    /// Samples the missing part of the pool of `spec` (its sampling settings, task, examples,
    /// generator and seed), scores it with the spec's discriminator and measures the result.
    pub async fn discriminate(
        &self,
        spec: &RunSpec,
        pool_id: Option<&str>,
        progress: bool,
    ) -> Result<Discrimination, ExperimentError> {
        let run = self.resolve(spec, None).await?;
        let pool_id = pool_id.map_or_else(|| default_pool_id(&run), str::to_string);
        let pool = self.build_pool(&run, &pool_id, progress).await?;
        let bar = progress_bar(progress, pool.len() as u64, 0);
        let mut scores = Vec::with_capacity(pool.len());
        for record in &pool {
            let example = run
                .assembled
                .examples
                .iter()
                .find(|e| e.id == record.example_id)
                .expect("pool records are filtered to the selection");
            let scored = run
                .assembled
                .discriminator
                .score(example, &record.candidates)
                .await
                .map_err(|e| ExperimentError::Plan {
                    run_id: pool_id.clone(),
                    example_id: example.id.clone(),
                    source: e.into(),
                })?;
            scores.push(scored.scores);
            bar.inc(1);
        }
        bar.finish_and_clear();
        let examples: Vec<PoolExample> = pool
            .iter()
            .map(|r| PoolExample {
                example_id: r.example_id.clone(),
                candidates: r.candidates.clone(),
                labels: r.labels.clone(),
            })
            .collect();
        let metrics = intrinsic_metrics(&examples, &scores, spec.seed)
            .map_err(|e| ExperimentError::Report(e.to_string()))?;
        Ok(Discrimination {
            pool: pool_id,
            discriminator: run.assembled.discriminator.describe(),
            metrics,
            nominal_accuracy: spec.discriminator.oracle_accuracy(),
            measured_candidate_accuracy: candidate_accuracy(&examples, &scores),
        })
    }

    /// The pool's records for the run's examples, sampling (and storing, example by example)
    /// those it lacks.
    async fn build_pool(
        &self,
        run: &ResolvedRun,
        pool_id: &str,
        progress: bool,
    ) -> Result<Vec<PoolRecord>, ExperimentError> {
        let stored = self.store().pool(pool_id)?;
        let missing: Vec<_> = run
            .assembled
            .examples
            .iter()
            .enumerate()
            .filter(|(_, e)| !stored.iter().any(|s| s.example_id == e.id))
            .collect();
        let context = run.context();
        if !missing.is_empty() {
            tracing::info!(
                pool = pool_id,
                examples = missing.len(),
                "sampling candidate pool"
            );
            let bar = progress_bar(progress, missing.len() as u64, 0);
            for (position, example) in missing {
                let (candidates, _) =
                    sample_candidates(&context, example)
                        .await
                        .map_err(|source| ExperimentError::Plan {
                            run_id: pool_id.to_string(),
                            example_id: example.id.clone(),
                            source,
                        })?;
                let (task, ex, programs) =
                    (context.task.clone(), example.clone(), candidates.clone());
                let labels = tokio::task::spawn_blocking(move || {
                    programs
                        .iter()
                        .map(|p| task.is_correct(&ex, p))
                        .collect::<Vec<_>>()
                })
                .await
                .map_err(|_| ExperimentError::Judge(example.id.clone()))?;
                self.store().record_pool_example(
                    pool_id,
                    &PoolRecord {
                        example_id: example.id.clone(),
                        position,
                        candidates,
                        labels,
                    },
                )?;
                bar.inc(1);
            }
            bar.finish_and_clear();
        }
        let wanted: std::collections::HashSet<_> =
            run.assembled.examples.iter().map(|e| &e.id).collect();
        Ok(self
            .store()
            .pool(pool_id)?
            .into_iter()
            .filter(|r| wanted.contains(&r.example_id))
            .collect())
    }
}

/// The default pool id: task, examples, generator, sampling and seed (so every discriminator
/// evaluated on the same candidates reuses one pool).
fn default_pool_id(run: &ResolvedRun) -> String {
    let key = json!({
        "task": run.spec.task,
        "examples": run.identity["examples"],
        "generator": run.assembled.generator.identity(),
        "sampling": run.spec.sampling,
        "seed": run.spec.seed,
        "prompts": run.identity["prompts"],
    });
    format!("pool-{}", identity::digest(&key))
}

/// Share of candidates whose score is on the right side of 0.5 (the label's side).
fn candidate_accuracy(pool: &[PoolExample], scores: &[Vec<f64>]) -> f64 {
    let (mut right, mut total) = (0usize, 0usize);
    for (example, scores) in pool.iter().zip(scores) {
        for (label, score) in example.labels.iter().zip(scores) {
            right += usize::from((*score > 0.5) == *label);
            total += 1;
        }
    }
    if total == 0 {
        0.0
    } else {
        right as f64 / total as f64
    }
}
