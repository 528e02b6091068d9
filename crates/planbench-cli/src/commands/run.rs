//! `planbench run`: one spec, stored and resumable.

use anyhow::Result;
use clap::Args;
use planbench_experiment::{spec_file, Engine, RunOptions, Shard};

use crate::args::{DataArgs, SpecFlags};

/// `planbench run` options.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub spec: SpecFlags,
    #[command(flatten)]
    pub data: DataArgs,
    /// Run id [default: derived from the canonical spec, so the same command resumes].
    #[arg(long)]
    pub run_id: Option<String>,
    /// Run only shard I of K of the selected examples (merge the shards with `planbench merge`).
    #[arg(long)]
    pub shard: Option<Shard>,
    /// Resume a run made by another code revision (the run records both) instead of refusing.
    #[arg(long)]
    pub allow_new_revision: bool,
    /// Print the resolved spec as TOML and exit.
    #[arg(long)]
    pub print_spec: bool,
    /// Print a machine-readable summary on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `planbench run`.
pub async fn execute(args: RunArgs) -> Result<()> {
    let spec = args.spec.to_spec()?;
    if args.print_spec {
        print!("{}", spec_file::to_toml(&spec));
        return Ok(());
    }
    let engine = Engine::open(args.data.environment(), &args.data.results)?;
    let options = RunOptions {
        run_id: args.run_id,
        shard: args.shard,
        progress: true,
        allow_new_revision: args.allow_new_revision,
    };
    let summary = engine.run(&spec, &options).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!("{}", summary.table());
        println!(
            "results: {} (run id {})",
            engine.store().path().display(),
            summary.run_id
        );
    }
    Ok(())
}
