//! Running a study and printing what it did: shared by `planbench study` and `planbench sweep`
//! (commands never import each other).

use std::path::PathBuf;

use anyhow::Result;
use planbench_experiment::{Engine, RunOptions, StudySpec};

use crate::args::DataArgs;

/// Runs every cell of `study`, writes its report and prints where (shared with `sweep`).
pub(crate) async fn run_and_report(
    study: StudySpec,
    data: &DataArgs,
    options: RunOptions,
    out: Option<PathBuf>,
) -> Result<()> {
    let engine = Engine::open(data.environment(), &data.results)?;
    let reports = data.results.join("reports");
    let outcome = engine
        .run_study_and_report(&study, &options, out.as_deref(), &reports)
        .await?;
    println!(
        "study {}: {} cells in {:.1} s",
        outcome.study_id,
        outcome.summaries.len(),
        outcome.seconds
    );
    for summary in &outcome.summaries {
        println!("{}", summary.line());
    }
    match &outcome.report {
        Some(index) => println!("report: {}", index.display()),
        None => println!(
            "shard done: merge the shards' results with `planbench merge`, then \
             `planbench report --study {}`",
            outcome.study_id
        ),
    }
    Ok(())
}
