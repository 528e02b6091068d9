//! `planbench`: when does tree search help an LLM plan, compared with re-ranking?

mod args;
mod commands;
mod studies;

use anyhow::Result;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Measures LLM planning methods (greedy, re-ranking, iterative correction, tree search) with
/// LLM or simulated discriminators on Spider and GSM8K.
#[derive(Debug, Parser)]
#[command(name = "planbench", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a planner on a task; results are stored and the same command resumes.
    Run(commands::run::RunArgs),
    /// Print completions of a prompt from the configured backend (a smoke test).
    Generate(commands::generate::GenerateArgs),
    /// List runs, show one run, or print one example's trace.
    Show(commands::show::ShowArgs),
    /// Score a candidate pool with a discriminator and report its intrinsic metrics.
    Discriminate(commands::discriminate::DiscriminateArgs),
    /// Run a study file: a grid of runs (planners, accuracies, judges, tasks, seeds, budgets).
    Study(commands::study::StudyArgs),
    /// Run every planner with the simulated discriminator at every accuracy, then report.
    Sweep(commands::sweep::SweepArgs),
    /// Merge results files (the shards of a study) and response caches.
    Merge(commands::merge::MergeArgs),
    /// Write tables and plots of a run, a sweep, or several runs side by side.
    Report(commands::report::ReportArgs),
    /// Print every place planbench's protocol differs from the paper's, with both values.
    Protocol(commands::protocol::ProtocolArgs),
    /// Inspect or empty the response cache.
    Cache(commands::cache::CacheArgs),
    /// Write a Spider run's predictions and gold queries in test-suite-sql-eval's format.
    Export(commands::export::ExportArgs),
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(
                "warn,planbench=info,planbench_cli=info,planbench_experiment=info,planbench_planners=info,planbench_tasks=info,planbench_models=info",
            )),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Run(args) => commands::run::execute(args).await,
            Command::Generate(args) => commands::generate::execute(args).await,
            Command::Show(args) => commands::show::execute(args),
            Command::Export(args) => commands::export::execute(args),
            Command::Cache(args) => commands::cache::execute(args),
            Command::Study(args) => commands::study::execute(args).await,
            Command::Sweep(args) => commands::sweep::execute(args).await,
            Command::Merge(args) => commands::merge::execute(args),
            Command::Report(args) => commands::report::execute(args),
            Command::Protocol(args) => commands::protocol::execute(args),
            Command::Discriminate(args) => commands::discriminate::execute(args).await,
        }
    })
}
