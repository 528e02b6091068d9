//! `planbench show`: a stored run, or one example's trace.

use anyhow::{bail, Result};
use clap::Args;
use planbench_core::store::ResultsStore;
use planbench_planners::render_trace;

use crate::args::DataArgs;
use crate::summary::Summary;

/// `planbench show` options.
#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// The run [default: list every run].
    #[arg(long)]
    pub run: Option<String>,
    /// Position of the example in the run (from 0), or its id (e.g. `dev/17`).
    #[arg(long, requires = "run")]
    pub example: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
}

/// Runs `planbench show`.
pub fn execute(args: ShowArgs) -> Result<()> {
    let store = ResultsStore::open(&args.data.results)?;
    let Some(run_id) = args.run else {
        for id in store.run_ids()? {
            let run = store.run(&id)?;
            let summary = Summary::new(&id, &store.examples(&id)?);
            println!(
                "{id}\t{}\t{} examples\taccuracy {:.1}%",
                run.status,
                summary.examples,
                100.0 * summary.accuracy
            );
        }
        return Ok(());
    };
    let run = store.run(&run_id)?;
    let records = store.examples(&run_id)?;
    let Some(wanted) = args.example else {
        println!("run {run_id} ({}, code {})", run.status, run.code_revision);
        println!("{}", serde_json::to_string_pretty(&run.config)?);
        println!("{}", Summary::new(&run_id, &records).table());
        return Ok(());
    };
    let record = records
        .iter()
        .find(|r| r.example_id == wanted || r.position.to_string() == wanted);
    let Some(record) = record else {
        bail!("run {run_id} has no finished example `{wanted}`");
    };
    println!(
        "example {} (position {}): {}",
        record.example_id,
        record.position,
        if record.correct { "correct" } else { "wrong" }
    );
    println!("prediction:\n{}\n", record.prediction);
    println!(
        "{:.2} s, {} LLM calls, {} prompt + {} completion tokens",
        record.seconds,
        record.cost.llm_calls,
        record.cost.prompt_tokens,
        record.cost.completion_tokens
    );
    println!("\n{}", render_trace(&record.trace));
    Ok(())
}
