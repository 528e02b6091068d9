//! `planbench sweep`: every planner with the simulated discriminator at every accuracy — a
//! study given by flags.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use planbench_experiment::{Axes, DiscriminatorSpec, RunOptions, StudySpec};
use planbench_planners::PlannerKind;

use crate::args::{DataArgs, SpecFlags, StatsFlags};

/// `planbench sweep` options.
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub spec: SpecFlags,
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
    /// Budget axis of rerank, vote and weighted-vote: samples per request (e.g. 1,2,4,8,16).
    #[arg(long = "n-axis", value_delimiter = ',')]
    pub n_axis: Vec<usize>,
    /// Budget axis of tree: most expansions (comma-separated).
    #[arg(long = "tree-expansions-axis", value_delimiter = ',')]
    pub tree_expansions_axis: Vec<usize>,
    /// Budget axis of mcts: iterations (comma-separated).
    #[arg(long = "mcts-iterations-axis", value_delimiter = ',')]
    pub mcts_iterations_axis: Vec<usize>,
    /// Budget axis of correct: most rounds (comma-separated).
    #[arg(long = "correction-rounds-axis", value_delimiter = ',')]
    pub correction_rounds_axis: Vec<usize>,
    #[command(flatten)]
    pub stats: StatsFlags,
    #[command(flatten)]
    pub data: DataArgs,
    /// Where to write the report [default: results/reports/<study id>].
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
    let mut base = args.spec.to_spec()?;
    base.discriminator = DiscriminatorSpec::oracle(1.0);
    args.spec.discriminator.apply(&mut base)?;
    let study = StudySpec {
        name: format!("sweep-{}", base.task.kind()),
        base,
        axes: Axes {
            planners: args.planners,
            accuracies: args.accuracies,
            n: args.n_axis,
            tree_expansions: args.tree_expansions_axis,
            mcts_iterations: args.mcts_iterations_axis,
            correction_rounds: args.correction_rounds_axis,
            ..Axes::default()
        },
        note: String::new(),
        stats: args.stats.to_spec()?,
    };
    let options = RunOptions {
        progress: true,
        ..RunOptions::default()
    };
    crate::studies::run_and_report(study, &args.data, options, args.out).await
}
