//! `planbench sweep`: every planner with the simulated discriminator at every accuracy.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use planbench_core::store::{ResultsStore, SweepCell};
use planbench_planners::{LlmVariant, PlannerKind};
use serde_json::json;

use super::report::write_sweep_report;
use super::run::{
    run_loaded, DiscriminatorArgs, DiscriminatorKind, OracleRuleArg, PlannerArgs, RunArgs,
};
use crate::args::{BackendArgs, DataArgs, TaskArgs};
use crate::backend::build_generator;
use crate::runner::config_digest;
use crate::select;

/// `planbench sweep` options.
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub task: TaskArgs,
    /// Planners to compare (comma-separated); re-ranking is the baseline and always included.
    #[arg(long, value_delimiter = ',', default_value = "rerank,correct,tree")]
    pub planners: Vec<PlannerKind>,
    /// Nominal accuracies of the simulated discriminator (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0.5,0.6,0.7,0.8,0.85,0.9,0.95,1.0"
    )]
    pub accuracies: Vec<f64>,
    /// The oracle's true score (`paper` or `exact`).
    #[arg(long, value_enum, default_value_t = OracleRuleArg::Paper)]
    pub oracle_rule: OracleRuleArg,
    #[command(flatten)]
    pub planning: PlannerArgs,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub data: DataArgs,
    /// Sweep id [default: derived from the configuration, so the same command resumes].
    #[arg(long)]
    pub sweep_id: Option<String>,
    /// Run seed of every cell.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Examples planned at once.
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Where to write the report [default: results/reports/<sweep id>].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `planbench sweep`.
pub async fn execute(mut args: SweepArgs) -> Result<()> {
    if !args.planners.contains(&PlannerKind::Rerank) {
        args.planners.insert(0, PlannerKind::Rerank);
    }
    if let Some(bad) = args.accuracies.iter().find(|a| !(0.0..=1.0).contains(*a)) {
        bail!("--accuracies: {bad} is not within [0, 1]");
    }
    let selection = select::load(&args.task, &args.data.data_dir)?;
    let store = ResultsStore::open(&args.data.results)?;
    let generator = build_generator(&args.backend)?;
    let sweep_id = args.sweep_id.clone().unwrap_or_else(|| {
        let key = json!({
            "task": args.task.task, "split": selection.split,
            "examples": selection.examples.iter().map(|e| &e.id).collect::<Vec<_>>(),
            "planners": args.planners.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            "accuracies": args.accuracies, "generator": generator.identity(),
            "sampling": format!("{:?}", args.planning), "seed": args.seed,
        });
        format!("sweep-{:?}-{}", args.task.task, config_digest(&key)).to_lowercase()
    });
    let started = std::time::Instant::now();
    let cells = args.planners.len() * args.accuracies.len();
    for (i, (planner, accuracy)) in args
        .planners
        .iter()
        .flat_map(|p| args.accuracies.iter().map(move |a| (*p, *a)))
        .enumerate()
    {
        let run_id = format!("{sweep_id}/{planner}@{accuracy}");
        tracing::info!(cell = i + 1, of = cells, run = %run_id, "sweep cell");
        let run = RunArgs {
            task: args.task.clone(),
            planner,
            planning: args.planning.clone(),
            discriminator: DiscriminatorArgs {
                discriminator: DiscriminatorKind::Oracle,
                disc_variant: LlmVariant::Pro,
                disc_model: None,
                oracle_accuracy: accuracy,
                oracle_rule: args.oracle_rule,
            },
            backend: args.backend.clone(),
            data: args.data.clone(),
            run_id: Some(run_id.clone()),
            seed: args.seed,
            concurrency: args.concurrency,
            json: false,
        };
        run_loaded(&run, &selection, &store, generator.clone())
            .await
            .with_context(|| format!("sweep {sweep_id}, cell {run_id}"))?;
        store.add_sweep_cell(
            &sweep_id,
            &SweepCell {
                run_id,
                planner: planner.to_string(),
                accuracy,
            },
        )?;
    }
    println!(
        "sweep {sweep_id}: {cells} cells in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let out = args
        .out
        .unwrap_or_else(|| args.data.results.join("reports").join(&sweep_id));
    write_sweep_report(&store, &sweep_id, &selection, &out).await?;
    Ok(())
}
