//! Runs a planner over examples, recording each finished example as it finishes.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use planbench_core::store::{ExampleRecord, ResultsStore};
use planbench_core::Example;
use planbench_planners::{PlanContext, Planner};
use sha2::{Digest, Sha256};

/// Everything needed to run (or resume) one stored run.
pub struct RunJob {
    pub run_id: String,
    pub config: serde_json::Value,
    pub planner: Arc<dyn Planner>,
    pub context: PlanContext,
    pub examples: Vec<Example>,
    /// Examples planned at once.
    pub concurrency: usize,
}

/// A short, stable digest of a configuration, for ids derived from it (so that the same
/// command names, and resumes, the same run, pool or sweep).
pub fn config_digest(config: &serde_json::Value) -> String {
    let hash = Sha256::digest(config.to_string().as_bytes());
    hex::encode(&hash[..5])
}

/// The code revision the binary was built from.
pub fn code_revision() -> &'static str {
    env!("PLANBENCH_REVISION")
}

/// Runs `job`, skipping the examples the store already holds for it. Every finished example is
/// committed before the next is reported, so an interrupted run resumes where it stopped.
pub async fn run(store: &ResultsStore, job: RunJob) -> Result<()> {
    let done = store.begin_run(&job.run_id, &job.config, code_revision())?;
    let pending: Vec<(usize, Example)> = job
        .examples
        .iter()
        .cloned()
        .enumerate()
        .filter(|(_, e)| !done.contains(&e.id))
        .collect();
    let total = job.examples.len() as u64;
    if !done.is_empty() {
        tracing::info!(
            run = %job.run_id,
            finished = done.len(),
            remaining = pending.len(),
            "resuming run"
        );
    }
    let progress = ProgressBar::new(total).with_position(total - pending.len() as u64);
    progress.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {pos}/{len} examples, {elapsed_precise} elapsed, ETA {eta_precise}",
        )
        .expect("valid progress template")
        .progress_chars("=> "),
    );
    progress.set_message(job.run_id.clone());
    let mut correct_so_far = 0usize;
    let mut finished = 0usize;

    let planner = job.planner.clone();
    let context = job.context.clone();
    let mut results = futures::stream::iter(pending)
        .map(|(position, example)| {
            let planner = planner.clone();
            let context = context.clone();
            async move {
                let started = Instant::now();
                let outcome = planner
                    .plan(&context, &example)
                    .await
                    .with_context(|| format!("planning example {}", example.id))?;
                let seconds = started.elapsed().as_secs_f64();
                let task = context.task.clone();
                let (example, outcome, correct) = tokio::task::spawn_blocking(move || {
                    let correct = task.is_correct(&example, &outcome.program);
                    (example, outcome, correct)
                })
                .await
                .context("judging a prediction")?;
                anyhow::Ok(ExampleRecord {
                    example_id: example.id,
                    position,
                    prediction: outcome.program,
                    correct,
                    seconds,
                    cost: outcome.cost,
                    trace: outcome.trace,
                })
            }
        })
        .buffer_unordered(job.concurrency.max(1));

    while let Some(result) = results.next().await {
        let record = match result {
            Ok(record) => record,
            Err(e) => {
                progress.abandon();
                store.end_run(&job.run_id, "failed")?;
                return Err(e.context(format!(
                    "run {} stopped; finished examples are stored and the same command resumes it",
                    job.run_id
                )));
            }
        };
        store.record_example(&job.run_id, &record)?;
        finished += 1;
        correct_so_far += usize::from(record.correct);
        progress.set_message(format!(
            "{} acc {:.1}%",
            job.run_id,
            100.0 * correct_so_far as f64 / finished as f64
        ));
        progress.inc(1);
    }
    progress.finish();
    store.end_run(&job.run_id, "finished")?;
    Ok(())
}
