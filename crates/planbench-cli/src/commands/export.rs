//! `planbench export`: a Spider run's predictions in test-suite-sql-eval's format.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use planbench_experiment::{choose, Engine, TaskKind};

use crate::args::DataArgs;

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
    let engine = Engine::open(args.data.environment(), &args.data.results)?;
    let spec = engine.store().run_spec(&args.run)?;
    if spec.task.kind() != TaskKind::Spider {
        bail!(
            "run {} is not a Spider run; only Spider runs export",
            args.run
        );
    }
    // The run's own task options (split, metric, time limit) and selection.
    let loaded = engine.loader().task(&spec.task)?;
    let examples = choose(&loaded.examples, &spec.selection)?;
    let records = engine.store().examples(&args.run)?;
    let (mut predictions, mut gold) = (String::new(), String::new());
    for record in &records {
        let example = examples
            .iter()
            .find(|e| e.id == record.example_id)
            .with_context(|| {
                format!(
                    "example {} is not in the run's selection",
                    record.example_id
                )
            })?;
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
