//! The engine: resolves a spec into a named run and runs it, recording each finished example
//! as it finishes, so that the same spec resumes where an interrupted run stopped.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use planbench_core::Example;
use planbench_planners::{PlanContext, Planner};

use crate::assemble::{Assembled, Environment, Loader};
use crate::identity;
use crate::select::Shard;
use crate::spec::RunSpec;
use crate::store::{ExampleRecord, NewRevision, ResultsStore, RunStatus};
use crate::summary::Summary;
use crate::ExperimentError;

/// The code revision the library was built from.
pub fn code_revision() -> &'static str {
    env!("PLANBENCH_REVISION")
}

/// How to run a spec (none of it changes results).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Store under this id instead of the one derived from the spec.
    pub run_id: Option<String>,
    /// Run only this share of the selection (the other shards run elsewhere, then merge).
    pub shard: Option<Shard>,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Resume a run made by another code revision (recorded beside it) instead of refusing.
    pub allow_new_revision: bool,
}

/// A spec with everything built and its run named.
pub struct ResolvedRun {
    pub spec: RunSpec,
    pub assembled: Assembled,
    /// Everything that changes the run's results (stored as the run's `config`).
    pub identity: serde_json::Value,
    pub run_id: String,
}

impl ResolvedRun {
    /// What the planner is given for every example.
    pub fn context(&self) -> PlanContext {
        PlanContext {
            task: self.assembled.task.clone(),
            generator: self.assembled.generator.clone(),
            discriminator: self.assembled.discriminator.clone(),
            sampling: self.spec.sampling,
            budget: self.spec.budget,
            seed: self.spec.seed,
        }
    }
}

/// Runs experiments: owns the loader (tasks, models, response cache) and the results store.
pub struct Engine {
    loader: Loader,
    store: ResultsStore,
}

impl Engine {
    /// An engine reading data as `env` says and storing results in `results_dir`.
    pub fn open(env: Environment, results_dir: &Path) -> Result<Self, ExperimentError> {
        Ok(Self {
            loader: Loader::new(env),
            store: ResultsStore::open(results_dir)?,
        })
    }

    /// The results store.
    pub fn store(&self) -> &ResultsStore {
        &self.store
    }

    /// The loader of tasks and models.
    pub fn loader(&self) -> &Loader {
        &self.loader
    }

    /// Builds `spec` and names its run (`run_id` overrides the derived id).
    pub async fn resolve(
        &self,
        spec: &RunSpec,
        run_id: Option<&str>,
    ) -> Result<ResolvedRun, ExperimentError> {
        let assembled = self.loader.assemble(spec).await?;
        let identity = identity::run_identity(spec, &assembled);
        let run_id = run_id.map_or_else(|| identity::run_id(spec, &identity), str::to_string);
        Ok(ResolvedRun {
            spec: spec.clone(),
            assembled,
            identity,
            run_id,
        })
    }

    /// Runs (or resumes) `spec` and summarises what its run holds.
    pub async fn run(
        &self,
        spec: &RunSpec,
        options: &RunOptions,
    ) -> Result<Summary, ExperimentError> {
        let resolved = self.resolve(spec, options.run_id.as_deref()).await?;
        self.run_resolved(&resolved, options).await
    }

    /// Runs (or resumes) an already resolved run.
    pub async fn run_resolved(
        &self,
        run: &ResolvedRun,
        options: &RunOptions,
    ) -> Result<Summary, ExperimentError> {
        let spec_json = serde_json::to_value(&run.spec).expect("specs serialize");
        let new_revision = if options.allow_new_revision {
            NewRevision::Accept
        } else {
            NewRevision::Refuse
        };
        let done = self.store.begin_run(
            &run.run_id,
            &run.identity,
            &spec_json,
            code_revision(),
            new_revision,
        )?;
        let in_shard: Vec<(usize, &Example)> = run
            .assembled
            .examples
            .iter()
            .enumerate()
            .filter(|(position, _)| options.shard.is_none_or(|s| s.contains(*position)))
            .collect();
        let pending: Vec<(usize, Example)> = in_shard
            .iter()
            .filter(|(_, e)| !done.contains(&e.id))
            .map(|(p, e)| (*p, (*e).clone()))
            .collect();
        if !done.is_empty() {
            tracing::info!(run = %run.run_id, finished = done.len(), remaining = pending.len(), "resuming run");
        }
        let total = in_shard.len() as u64;
        let progress = progress_bar(options.progress, total, total - pending.len() as u64);
        progress.set_message(run.run_id.clone());
        let context = run.context();
        let planner = run.assembled.planner.clone();
        let mut results = futures::stream::iter(pending)
            .map(|(position, example)| {
                plan_one(
                    planner.clone(),
                    context.clone(),
                    position,
                    example,
                    &run.run_id,
                )
            })
            .buffer_unordered(run.spec.concurrency.max(1));
        let (mut finished, mut correct) = (0usize, 0usize);
        let mut unjudged: Vec<(String, String)> = Vec::new();
        while let Some(result) = results.next().await {
            let recorded = result.and_then(|planned| match planned {
                Planned::Finished(record) => {
                    self.store.record_example(&run.run_id, &record)?;
                    Ok(Some(record))
                }
                Planned::Unjudgeable { example_id, reason } => {
                    tracing::warn!(run = %run.run_id, example = %example_id, %reason,
                        "infrastructure failure: the example is not recorded; the next run retries it");
                    unjudged.push((example_id, reason));
                    Ok(None)
                }
            });
            let record = match recorded {
                Ok(Some(record)) => record,
                Ok(None) => {
                    progress.inc(1);
                    continue;
                }
                Err(e) => {
                    progress.abandon();
                    let reason = e.to_string();
                    // The store may be what failed (disk full): the error stays the one to report.
                    let _ = self
                        .store
                        .end_run(&run.run_id, RunStatus::Failed, Some(&reason));
                    return Err(e);
                }
            };
            finished += 1;
            correct += usize::from(record.correct);
            progress.set_message(format!(
                "{} acc {:.1}%",
                run.run_id,
                100.0 * correct as f64 / finished as f64
            ));
            progress.inc(1);
        }
        progress.finish();
        match unjudged.first() {
            None => self.store.end_run(&run.run_id, RunStatus::Finished, None)?,
            Some((example_id, reason)) => {
                let failure = format!(
                    "{} examples could not be judged (infrastructure, not the candidates; the \
                     next run retries them), first {example_id}: {reason}",
                    unjudged.len()
                );
                tracing::warn!(run = %run.run_id, "{failure}");
                self.store
                    .end_run(&run.run_id, RunStatus::Failed, Some(&failure))?;
            }
        }
        let records = self.store.examples(&run.run_id)?;
        let summary = Summary::new(&run.run_id, &records);
        let (task, examples) = (run.assembled.task.clone(), run.assembled.examples.clone());
        let counts = tokio::task::spawn_blocking(move || {
            crate::reporting::sample_counts(task.as_ref(), &examples, &records)
        })
        .await
        .map_err(|_| ExperimentError::Judge("the samples (coverage)".into()))?;
        let mut summary = summary.with_coverage(&counts);
        summary.unjudged = unjudged.len();
        Ok(summary)
    }

    /// Runs several resolved runs one after another (a study's cells).
    pub async fn run_all(
        &self,
        runs: &[ResolvedRun],
        options: &RunOptions,
    ) -> Result<Vec<Summary>, ExperimentError> {
        let mut summaries = Vec::with_capacity(runs.len());
        for (i, run) in runs.iter().enumerate() {
            tracing::info!(cell = i + 1, of = runs.len(), run = %run.run_id, "study cell");
            summaries.push(self.run_resolved(run, options).await?);
        }
        Ok(summaries)
    }
}

/// A progress bar of `total` items with `done` already done (hidden unless `visible`).
pub(crate) fn progress_bar(visible: bool, total: u64, done: u64) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total).with_position(done);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {pos}/{len} examples, {elapsed_precise} elapsed, ETA {eta_precise}",
        )
        .expect("valid progress template")
        .progress_chars("=> "),
    );
    bar
}

/// What became of one example.
enum Planned {
    Finished(ExampleRecord),
    /// Its gold or its sandbox failed before or after planning: nothing is recorded.
    Unjudgeable {
        example_id: String,
        reason: String,
    },
}

/// Whether `example` can be judged now (checked on a blocking thread).
async fn judgeable(context: &PlanContext, example: &Example) -> Result<(), ExperimentError> {
    let (task, ex) = (context.task.clone(), example.clone());
    tokio::task::spawn_blocking(move || task.check_judgeable(&ex))
        .await
        .map_err(|_| ExperimentError::Judge(example.id.clone()))?
        .map_err(ExperimentError::Report)
}

/// Plans one example and judges its prediction, unless the example cannot be judged.
async fn plan_one(
    planner: Arc<dyn Planner>,
    context: PlanContext,
    position: usize,
    example: Example,
    run_id: &str,
) -> Result<Planned, ExperimentError> {
    let unjudgeable = |e: ExperimentError, example: &Example| {
        Ok(Planned::Unjudgeable {
            example_id: example.id.clone(),
            reason: e.to_string(),
        })
    };
    if let Err(e) = judgeable(&context, &example).await {
        return unjudgeable(e, &example);
    }
    let started = Instant::now();
    let outcome =
        planner
            .plan(&context, &example)
            .await
            .map_err(|source| ExperimentError::Plan {
                run_id: run_id.to_string(),
                example_id: example.id.clone(),
                source,
            })?;
    let seconds = started.elapsed().as_secs_f64();
    let task = context.task.clone();
    let program = outcome.program.clone();
    let id = example.id.clone();
    let (example, correct) = tokio::task::spawn_blocking(move || {
        let correct = task.is_correct(&example, &program);
        (example, correct)
    })
    .await
    .map_err(|_| ExperimentError::Judge(id))?;
    // A gold or sandbox that broke during the example makes its verdict meaningless.
    if let Err(e) = judgeable(&context, &example).await {
        return unjudgeable(e, &example);
    }
    Ok(Planned::Finished(ExampleRecord {
        example_id: example.id,
        position,
        prediction: outcome.program,
        correct,
        seconds,
        cost: outcome.cost,
        trace: serde_json::to_value(&outcome.trace).expect("traces serialize"),
    }))
}
