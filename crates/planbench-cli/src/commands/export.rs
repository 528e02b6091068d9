//! `planbench export`: predictions in test-suite-sql-eval's format.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use planbench_core::store::ResultsStore;

use crate::args::{DataArgs, TaskArgs, TaskName};
use crate::select;

/// `planbench export` options.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The run to export.
    #[arg(long)]
    pub run: String,
    /// Output directory (gets `predictions.sql` and `gold.sql`).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
}

/// One query per line, as test-suite-sql-eval reads it: newlines and tabs become spaces.
fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs `planbench export`.
pub fn execute(args: ExportArgs) -> Result<()> {
    let store = ResultsStore::open(&args.data.results)?;
    let run = store.run(&args.run)?;
    if run.config["task"] != "spider" {
        bail!(
            "run {} is not a Spider run; only Spider runs export",
            args.run
        );
    }
    let split = run.config["split"].as_str().unwrap_or("dev").to_string();
    let task_args = TaskArgs {
        task: TaskName::Spider,
        split: Some(split),
        limit: None,
        sample: None,
        sample_seed: 0,
        metric: crate::args::MetricArg::TestSuite,
        format: crate::args::FormatArg::Pot,
        exec_timeout: None,
        disc_shots: 0,
    };
    let selection = select::load(&task_args, &args.data.data_dir)?;
    let records = store.examples(&args.run)?;
    let (mut predictions, mut gold) = (String::new(), String::new());
    for record in &records {
        let example = selection
            .examples
            .iter()
            .find(|e| e.id == record.example_id)
            .with_context(|| format!("example {} is not in the data set", record.example_id))?;
        let db = example.db_id.as_deref().unwrap_or_default();
        writeln!(predictions, "{}\t{db}", one_line(&record.prediction))?;
        writeln!(gold, "{}\t{db}", one_line(&example.gold))?;
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    for (name, text) in [("predictions.sql", &predictions), ("gold.sql", &gold)] {
        let path = args.out.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    println!("wrote {} examples to {}", records.len(), args.out.display());
    Ok(())
}
