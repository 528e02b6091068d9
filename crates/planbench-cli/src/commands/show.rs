//! `planbench show`: stored runs and studies, one run, or one example's trace.

use anyhow::{bail, Result};
use clap::Args;
use planbench_experiment::store::ResultsStore;
use planbench_experiment::{spec_file, Summary};
use planbench_planners::render_trace_value;

use crate::args::DataArgs;

/// `planbench show` options.
#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// The run [default: list every run and study].
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
        for id in store.study_ids()? {
            println!("study {id}\t{} cells", store.study_cells(&id)?.len());
        }
        return Ok(());
    };
    let run = store.run(&run_id)?;
    let records = store.examples(&run_id)?;
    let Some(wanted) = args.example else {
        println!("run {run_id} ({}, code {})", run.status, run.code_revision);
        if let Some(failure) = &run.failure {
            println!("failed: {failure}");
        }
        if run.spec.is_none() {
            println!(
                "(stored before specs were kept; the spec below is read from its configuration)"
            );
        }
        print!("{}", spec_file::to_toml(&store.run_spec(&run_id)?));
        println!("\n{}", Summary::new(&run_id, &records).table());
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
    println!("\n{}", render_trace_value(&record.trace));
    Ok(())
}
