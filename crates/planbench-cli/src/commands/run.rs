//! `planbench run`: one planner on one task, stored and resumable.

use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use planbench_core::store::ResultsStore;
use planbench_core::{Discriminator, Generator, OracleRule, Task};
use planbench_planners::{
    build_planner, Budget, LlmDiscriminator, LlmVariant, MctsFinal, OracleDiscriminator,
    PlanContext, Planner, PlannerKind, PlannerOptions, SamplingDefaults,
};
use serde_json::json;

use crate::args::{BackendArgs, DataArgs, TaskArgs};
use crate::backend::build_generator;
use crate::runner::{self, config_digest, RunJob};
use crate::select::{self, Selection};
use crate::summary::Summary;

/// Which discriminator scores candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiscriminatorKind {
    /// P(Yes) of an LLM asked whether the program is correct.
    Llm,
    /// A simulated discriminator of set accuracy that knows the truth.
    Oracle,
}

/// Options of the discriminator.
#[derive(Debug, Clone, Args)]
pub struct DiscriminatorArgs {
    /// Discriminator kind.
    #[arg(long, value_enum, default_value_t = DiscriminatorKind::Llm)]
    pub discriminator: DiscriminatorKind,
    /// LLM discriminator: what it observes (`naive`, `check`, `exec`, `pro` = check + exec).
    #[arg(long, default_value = "pro")]
    pub disc_variant: LlmVariant,
    /// LLM discriminator: a different model (GGUF path, or model name for --backend http)
    /// [default: the generator's model].
    #[arg(long)]
    pub disc_model: Option<String>,
    /// Oracle: probability of returning the true judgement for each candidate.
    #[arg(long, default_value_t = 1.0)]
    pub oracle_accuracy: f64,
    /// Oracle: true score (`paper`: the paper's soft oracle, `exact`: official correctness).
    #[arg(long, value_enum, default_value_t = OracleRuleArg::Paper)]
    pub oracle_rule: OracleRuleArg,
}

/// The oracle's scoring rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OracleRuleArg {
    Paper,
    Exact,
}

impl From<OracleRuleArg> for OracleRule {
    fn from(rule: OracleRuleArg) -> Self {
        match rule {
            OracleRuleArg::Paper => OracleRule::Paper,
            OracleRuleArg::Exact => OracleRule::Exact,
        }
    }
}

/// Options of the planners and their budget.
#[derive(Debug, Clone, Args)]
pub struct PlannerArgs {
    /// Completions per generation request.
    #[arg(long, default_value_t = 5)]
    pub n: usize,
    /// Sampling temperature.
    #[arg(long, default_value_t = 0.6)]
    pub temperature: f32,
    /// Nucleus sampling mass.
    #[arg(long, default_value_t = 1.0)]
    pub top_p: f32,
    /// Most new tokens per completion.
    #[arg(long, default_value_t = 300)]
    pub max_tokens: u32,
    /// Iterative correction: most rounds.
    #[arg(long, default_value_t = 10)]
    pub correction_rounds: usize,
    /// MC-ToT: most expansions.
    #[arg(long, default_value_t = 50)]
    pub tree_expansions: usize,
    /// MCTS: iterations.
    #[arg(long, default_value_t = 50)]
    pub mcts_iterations: usize,
    /// MCTS: UCT exploration constant.
    #[arg(long, default_value_t = std::f64::consts::SQRT_2)]
    pub mcts_exploration: f64,
    /// MCTS: return the program of best mean value (`best-mean`) or most visits (`most-visits`).
    #[arg(long, default_value = "best-mean")]
    pub mcts_final: MctsFinal,
    /// Budget: most LLM calls per example.
    #[arg(long)]
    pub max_llm_calls: Option<u64>,
    /// Budget: most seconds per example.
    #[arg(long)]
    pub max_seconds: Option<f64>,
}

impl PlannerArgs {
    pub fn options(&self) -> PlannerOptions {
        PlannerOptions {
            correction_max_rounds: self.correction_rounds,
            tree_max_expansions: self.tree_expansions,
            mcts_iterations: self.mcts_iterations,
            mcts_exploration: self.mcts_exploration,
            mcts_final: self.mcts_final,
            ..PlannerOptions::default()
        }
    }

    fn sampling(&self) -> SamplingDefaults {
        SamplingDefaults {
            n: self.n,
            temperature: self.temperature,
            top_p: self.top_p,
            max_tokens: self.max_tokens,
        }
    }

    fn budget(&self) -> Budget {
        Budget {
            max_llm_calls: self.max_llm_calls,
            max_seconds: self.max_seconds,
        }
    }
}

/// `planbench run` options.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub task: TaskArgs,
    /// Planner: greedy, rerank, correct, tree (MC-ToT) or mcts (UCT).
    #[arg(long, default_value = "greedy")]
    pub planner: PlannerKind,
    #[command(flatten)]
    pub planning: PlannerArgs,
    #[command(flatten)]
    pub discriminator: DiscriminatorArgs,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub data: DataArgs,
    /// Run id [default: derived from the configuration, so the same command resumes].
    #[arg(long)]
    pub run_id: Option<String>,
    /// Run seed (sampling and the oracle's draws derive from it and each example's id).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Examples planned at once.
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Print a machine-readable summary on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Builds the discriminator of `args`.
pub fn build_discriminator(
    args: &DiscriminatorArgs,
    backend: &BackendArgs,
    task: &Arc<dyn Task>,
    generator: &Arc<dyn Generator>,
    seed: u64,
) -> Result<Arc<dyn Discriminator>> {
    Ok(match args.discriminator {
        DiscriminatorKind::Oracle => {
            anyhow::ensure!(
                (0.0..=1.0).contains(&args.oracle_accuracy),
                "--oracle-accuracy must be within [0, 1]"
            );
            Arc::new(OracleDiscriminator::new(
                task.clone(),
                args.oracle_accuracy,
                args.oracle_rule.into(),
                seed,
            ))
        }
        DiscriminatorKind::Llm => {
            let judge = match &args.disc_model {
                Some(model) => build_generator(&BackendArgs {
                    model: Some(model.clone()),
                    ..backend.clone()
                })?,
                None => generator.clone(),
            };
            Arc::new(LlmDiscriminator::new(
                task.clone(),
                judge,
                args.disc_variant,
            ))
        }
    })
}

/// The run's configuration as stored: everything that changes its results.
fn run_config(
    args: &RunArgs,
    split: &str,
    generator: &dyn Generator,
    discriminator: &dyn Discriminator,
    planner_config: serde_json::Value,
) -> serde_json::Value {
    let t = &args.task;
    json!({
        "task": t.task,
        "split": split,
        "selection": {"limit": t.limit, "sample": t.sample, "sample_seed": t.sample_seed},
        "metric": t.metric,
        "format": t.format,
        "exec_timeout": t.exec_timeout,
        "disc_shots": t.disc_shots,
        "planner": args.planner.to_string(),
        "planner_config": planner_config,
        "sampling": args.planning.sampling(),
        "budget": args.planning.budget(),
        "generator": generator.identity(),
        "discriminator": discriminator.describe(),
        "seed": args.seed,
    })
}

/// The default run id: task, planner and a hash of the configuration.
fn derived_run_id(args: &RunArgs, config: &serde_json::Value) -> String {
    format!(
        "{}-{}-{}",
        config["task"].as_str().unwrap_or("task"),
        args.planner,
        config_digest(config)
    )
}

/// Runs one configured run on already loaded examples and generator; returns its id.
pub async fn run_loaded(
    args: &RunArgs,
    selection: &Selection,
    store: &ResultsStore,
    generator: Arc<dyn Generator>,
) -> Result<String> {
    let discriminator = build_discriminator(
        &args.discriminator,
        &args.backend,
        &selection.task,
        &generator,
        args.seed,
    )?;
    let planner: Arc<dyn Planner> =
        Arc::from(build_planner(args.planner, &args.planning.options()));
    let config = run_config(
        args,
        &selection.split,
        generator.as_ref(),
        discriminator.as_ref(),
        planner.config(),
    );
    let run_id = args
        .run_id
        .clone()
        .unwrap_or_else(|| derived_run_id(args, &config));
    runner::run(
        store,
        RunJob {
            run_id: run_id.clone(),
            config,
            planner,
            context: PlanContext {
                task: selection.task.clone(),
                generator,
                discriminator,
                sampling: args.planning.sampling(),
                budget: args.planning.budget(),
                seed: args.seed,
            },
            examples: selection.examples.clone(),
            concurrency: args.concurrency,
        },
    )
    .await?;
    Ok(run_id)
}

/// Runs `planbench run`.
pub async fn execute(args: RunArgs) -> Result<()> {
    let selection = select::load(&args.task, &args.data.data_dir).with_context(|| {
        format!(
            "loading {:?} from {}",
            args.task.task,
            args.data.data_dir.display()
        )
    })?;
    let store = ResultsStore::open(&args.data.results)?;
    let generator = build_generator(&args.backend)?;
    let run_id = run_loaded(&args, &selection, &store, generator).await?;
    let summary = Summary::new(&run_id, &store.examples(&run_id)?);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!("{}", summary.table());
        println!("results: {} (run id {run_id})", store.path().display());
    }
    Ok(())
}
