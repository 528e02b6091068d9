//! `planbench discriminate`: intrinsic evaluation of a discriminator on a candidate pool.

use anyhow::{Context, Result};
use clap::Args;
use indicatif::ProgressBar;
use planbench_core::store::{PoolRecord, ResultsStore};
use planbench_planners::{
    intrinsic_metrics, sample_candidates, Budget, IntrinsicMetrics, PlanContext, PoolExample,
    SamplingDefaults,
};
use serde::Serialize;
use serde_json::json;

use super::run::{build_discriminator, DiscriminatorArgs, DiscriminatorKind};
use crate::args::{BackendArgs, DataArgs, TaskArgs};
use crate::backend::build_generator;
use crate::runner::config_digest;
use crate::select::{self, Selection};

/// `planbench discriminate` options.
#[derive(Debug, Clone, Args)]
pub struct DiscriminateArgs {
    #[command(flatten)]
    pub task: TaskArgs,
    #[command(flatten)]
    pub discriminator: DiscriminatorArgs,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub data: DataArgs,
    /// Samples per example when building the pool (deduplicated afterwards).
    #[arg(long, default_value_t = 5)]
    pub pool_samples: usize,
    /// Sampling temperature of the pool.
    #[arg(long, default_value_t = 0.6)]
    pub temperature: f32,
    /// Most new tokens per sample.
    #[arg(long, default_value_t = 300)]
    pub max_tokens: u32,
    /// Pool id [default: derived from task, examples, generator and sampling, so the same
    /// pool is reused by every discriminator].
    #[arg(long)]
    pub pool: Option<String>,
    /// Seed of sampling, of the oracle's draws and of random tie-breaking.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the metrics as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The metrics of one discriminator on one pool.
#[derive(Debug, Serialize)]
struct Report {
    pool: String,
    discriminator: String,
    metrics: IntrinsicMetrics,
    /// Oracle only: its nominal accuracy P and the share of candidates it judges rightly.
    nominal_accuracy: Option<f64>,
    measured_candidate_accuracy: Option<f64>,
}

/// Builds the missing part of the pool, example by example (each stored as it finishes).
async fn build_pool(
    store: &ResultsStore,
    pool_id: &str,
    selection: &Selection,
    context: &PlanContext,
) -> Result<Vec<PoolRecord>> {
    let stored = store.pool(pool_id)?;
    let missing: Vec<_> = selection
        .examples
        .iter()
        .enumerate()
        .filter(|(_, e)| !stored.iter().any(|s| s.example_id == e.id))
        .collect();
    if !missing.is_empty() {
        tracing::info!(
            pool = pool_id,
            examples = missing.len(),
            "sampling candidate pool"
        );
        let progress = ProgressBar::new(missing.len() as u64);
        for (position, example) in missing {
            let (candidates, _) = sample_candidates(context, example)
                .await
                .with_context(|| format!("sampling candidates for {}", example.id))?;
            let (task, ex, programs) = (context.task.clone(), example.clone(), candidates.clone());
            let labels = tokio::task::spawn_blocking(move || {
                programs
                    .iter()
                    .map(|p| task.is_correct(&ex, p))
                    .collect::<Vec<_>>()
            })
            .await?;
            store.record_pool_example(
                pool_id,
                &PoolRecord {
                    example_id: example.id.clone(),
                    position,
                    candidates,
                    labels,
                },
            )?;
            progress.inc(1);
        }
        progress.finish_and_clear();
    }
    let wanted: std::collections::HashSet<_> = selection.examples.iter().map(|e| &e.id).collect();
    Ok(store
        .pool(pool_id)?
        .into_iter()
        .filter(|r| wanted.contains(&r.example_id))
        .collect())
}

/// Runs `planbench discriminate`.
pub async fn execute(args: DiscriminateArgs) -> Result<()> {
    let selection = select::load(&args.task, &args.data.data_dir)?;
    let store = ResultsStore::open(&args.data.results)?;
    let generator = build_generator(&args.backend)?;
    let discriminator = build_discriminator(
        &args.discriminator,
        &args.backend,
        &selection.task,
        &generator,
        args.seed,
    )?;
    let sampling = SamplingDefaults {
        n: args.pool_samples,
        temperature: args.temperature,
        max_tokens: args.max_tokens,
        ..SamplingDefaults::default()
    };
    let pool_id = args.pool.clone().unwrap_or_else(|| {
        let key = json!({
            "task": args.task.task, "split": selection.split,
            "examples": selection.examples.iter().map(|e| &e.id).collect::<Vec<_>>(),
            "generator": generator.identity(), "sampling": sampling, "seed": args.seed,
        });
        format!("pool-{}", config_digest(&key))
    });
    let context = PlanContext {
        task: selection.task.clone(),
        generator,
        discriminator: discriminator.clone(),
        sampling,
        budget: Budget::default(),
        seed: args.seed,
    };
    let pool = build_pool(&store, &pool_id, &selection, &context).await?;

    let progress = ProgressBar::new(pool.len() as u64);
    let mut scores = Vec::with_capacity(pool.len());
    for record in &pool {
        let example = selection
            .examples
            .iter()
            .find(|e| e.id == record.example_id)
            .context("pool example not in the selection")?;
        let scored = discriminator
            .score(example, &record.candidates)
            .await
            .with_context(|| format!("scoring the candidates of {}", example.id))?;
        scores.push(scored.scores);
        progress.inc(1);
    }
    progress.finish_and_clear();

    let examples: Vec<PoolExample> = pool
        .iter()
        .map(|r| PoolExample {
            example_id: r.example_id.clone(),
            candidates: r.candidates.clone(),
            labels: r.labels.clone(),
        })
        .collect();
    let metrics = intrinsic_metrics(&examples, &scores, args.seed)?;
    let is_oracle = args.discriminator.discriminator == DiscriminatorKind::Oracle;
    let measured = is_oracle.then(|| candidate_accuracy(&examples, &scores));
    let report = Report {
        pool: pool_id,
        discriminator: discriminator.describe(),
        metrics,
        nominal_accuracy: is_oracle.then_some(args.discriminator.oracle_accuracy),
        measured_candidate_accuracy: measured,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", table(&report));
    }
    Ok(())
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

fn percent(value: Option<f64>) -> String {
    value.map_or("n/a".into(), |v| format!("{:.1}", 100.0 * v))
}

/// The report as a Markdown table.
fn table(r: &Report) -> String {
    let m = &r.metrics;
    let mut out = format!(
        "pool {}: {} examples, {} candidates, {} mixed (correct, incorrect) pairs\n\
         discriminator: {}\n\n\
         | pairwise acc. (strict) | pairwise acc. (random ties) | macro-F1 | Hit@1 | MRR |\n\
         |---:|---:|---:|---:|---:|\n\
         | {} | {} | {:.1} | {} | {} |\n",
        r.pool,
        m.examples,
        m.candidates,
        m.mixed_pairs,
        r.discriminator,
        percent(m.pairwise_accuracy),
        percent(m.pairwise_accuracy_random_ties),
        100.0 * m.macro_f1,
        percent(m.hit_at_1),
        percent(m.mrr),
    );
    if let (Some(p), Some(measured)) = (r.nominal_accuracy, r.measured_candidate_accuracy) {
        out.push_str(&format!(
            "\noracle: nominal accuracy {:.1}%, measured per-candidate accuracy {:.1}%; \
             strict pairwise accuracy of independent flips is about P^2 = {:.1}% when both \
             candidates execute\n",
            100.0 * p,
            100.0 * measured,
            100.0 * p * p
        ));
    }
    out
}
