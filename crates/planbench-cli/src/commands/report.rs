//! `planbench report`: tables and plots of a run, a study (or sweep), or runs side by side.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use planbench_experiment::{reporting, Engine};

use crate::args::{DataArgs, StatsFlags};

/// `planbench report` options.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Report one run.
    #[arg(long, conflicts_with_all = ["study", "compare"])]
    pub run: Option<String>,
    /// Report a study or sweep: accuracy against discriminator accuracy, thresholds, costs.
    #[arg(long, alias = "sweep", conflicts_with = "compare")]
    pub study: Option<String>,
    /// Put several runs side by side.
    #[arg(long, num_args = 2..)]
    pub compare: Vec<String>,
    /// Output directory [default: results/reports/<name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub stats: StatsFlags,
    #[command(flatten)]
    pub data: DataArgs,
}

/// Runs `planbench report`.
pub fn execute(args: ReportArgs) -> Result<()> {
    let engine = Engine::open(args.data.environment(), &args.data.results)?;
    let reports = args.data.results.join("reports");
    if let Some(study_id) = &args.study {
        let out = args.out.unwrap_or_else(|| reports.join(study_id));
        let stats = args.stats.to_spec()?;
        let index = reporting::write_study_report(
            engine.store(),
            engine.loader(),
            study_id,
            "",
            &out,
            &stats,
        )?;
        println!("report: {}", index.display());
        return Ok(());
    }
    let (run_ids, name) = match (&args.run, args.compare.is_empty()) {
        (Some(run), _) => (vec![run.clone()], run.clone()),
        (None, false) => (args.compare.clone(), "comparison".to_string()),
        (None, true) => bail!("say what to report: --run ID, --study ID or --compare ID ID ..."),
    };
    let out = args
        .out
        .unwrap_or_else(|| reports.join(name.replace('/', "_")));
    let markdown =
        reporting::write_runs_report(engine.store(), &run_ids, &out, &args.stats.to_spec()?)?;
    println!("report: {}", markdown.display());
    Ok(())
}
