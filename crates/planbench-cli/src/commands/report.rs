//! `planbench report`: tables and plots of a run, a sweep, or several runs side by side.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use planbench_core::store::{ExampleRecord, ResultsStore};
use planbench_core::{Example, Task};
use planbench_report::{analyse_sweep, write_report, AnalysisOptions, Cell, ExampleOutcome};

use crate::args::{DataArgs, TaskArgs, TaskName};
use crate::select::{self, Selection};

/// `planbench report` options.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Report one run.
    #[arg(long, conflicts_with_all = ["sweep", "compare"])]
    pub run: Option<String>,
    /// Report a sweep: accuracy against discriminator accuracy, thresholds, cost ratios.
    #[arg(long, conflicts_with = "compare")]
    pub sweep: Option<String>,
    /// Put several runs side by side.
    #[arg(long, num_args = 2..)]
    pub compare: Vec<String>,
    /// Output directory [default: results/reports/<name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
}

fn outcomes(records: &[ExampleRecord]) -> Vec<ExampleOutcome> {
    records
        .iter()
        .map(|r| ExampleOutcome {
            example_id: r.example_id.clone(),
            correct: r.correct,
            // Cached calls count with the time they originally took.
            seconds: r.seconds + r.cost.cached_seconds,
            llm_calls: r.cost.llm_calls as f64,
            tokens: (r.cost.prompt_tokens + r.cost.completion_tokens) as f64,
        })
        .collect()
}

/// The cell of one stored run.
fn run_cell(store: &ResultsStore, run_id: &str, accuracy: Option<f64>) -> Result<Cell> {
    let run = store.run(run_id)?;
    let records = store.examples(run_id)?;
    if records.is_empty() {
        bail!("run {run_id} has no finished example");
    }
    Ok(Cell {
        planner: run.config["planner"].as_str().unwrap_or("?").to_string(),
        accuracy,
        label: run_id.to_string(),
        measured_accuracy: None,
        outcomes: outcomes(&records),
    })
}

/// Share of the re-ranking candidates whose oracle judgement (score above 0.5) matches their
/// official correctness: the discriminator's measured per-candidate accuracy.
fn measured_accuracy(
    task: &dyn Task,
    examples: &HashMap<&str, &Example>,
    records: &[ExampleRecord],
) -> Option<f64> {
    let (mut right, mut total) = (0usize, 0usize);
    for record in records {
        let example = examples.get(record.example_id.as_str())?;
        for candidate in record.trace["candidates"].as_array()? {
            let (Some(program), Some(score)) =
                (candidate["program"].as_str(), candidate["score"].as_f64())
            else {
                continue;
            };
            right += usize::from((score > 0.5) == task.is_correct(example, program));
            total += 1;
        }
    }
    (total > 0).then(|| right as f64 / total as f64)
}

/// The task and examples a stored run was made on.
fn selection_of(store: &ResultsStore, run_id: &str, data_dir: &Path) -> Result<Selection> {
    let config = store.run(run_id)?.config;
    let task = match config["task"].as_str() {
        Some("spider") => TaskName::Spider,
        Some("gsm8k") => TaskName::Gsm8k,
        other => bail!("run {run_id} has an unknown task {other:?}"),
    };
    let args = TaskArgs {
        task,
        split: config["split"].as_str().map(String::from),
        limit: None,
        sample: None,
        sample_seed: 0,
        metric: serde_json::from_value(config["metric"].clone())
            .unwrap_or(crate::args::MetricArg::TestSuite),
        format: serde_json::from_value(config["format"].clone())
            .unwrap_or(crate::args::FormatArg::Pot),
        exec_timeout: config["exec_timeout"].as_f64(),
        disc_shots: config["disc_shots"].as_u64().unwrap_or(0) as usize,
    };
    select::load(&args, data_dir)
}

/// Writes the report of sweep `sweep_id` into `out`.
pub async fn write_sweep_report(
    store: &ResultsStore,
    sweep_id: &str,
    selection: &Selection,
    out: &Path,
) -> Result<()> {
    let stored = store.sweep_cells(sweep_id)?;
    if stored.is_empty() {
        bail!("no sweep with id {sweep_id}");
    }
    let mut cells = Vec::with_capacity(stored.len());
    for c in &stored {
        cells.push(run_cell(store, &c.run_id, Some(c.accuracy))?);
    }
    // The oracle's draws depend on the candidate, not on the planner: measure them on the
    // re-ranking cell of each accuracy and report that for every planner at that accuracy.
    let task: Arc<dyn Task> = selection.task.clone();
    let by_id: HashMap<&str, &Example> = selection
        .examples
        .iter()
        .map(|e| (e.id.as_str(), e))
        .collect();
    let mut measured: HashMap<u64, Option<f64>> = HashMap::new();
    for c in stored.iter().filter(|c| c.planner == "rerank") {
        let records = store.examples(&c.run_id)?;
        measured.insert(
            c.accuracy.to_bits(),
            measured_accuracy(task.as_ref(), &by_id, &records),
        );
    }
    for cell in &mut cells {
        cell.measured_accuracy = cell
            .accuracy
            .and_then(|a| measured.get(&a.to_bits()).copied().flatten());
    }
    render(&cells, &format!("Sweep {sweep_id}"), out)
}

fn render(cells: &[Cell], title: &str, out: &Path) -> Result<()> {
    let analysis = analyse_sweep(cells, &AnalysisOptions::default())?;
    let files = write_report(out, title, &analysis)
        .with_context(|| format!("writing the report into {}", out.display()))?;
    for warning in &files.warnings {
        tracing::warn!("{warning}");
    }
    println!("report: {}", files.markdown.display());
    Ok(())
}

/// Runs `planbench report`.
pub async fn execute(args: ReportArgs) -> Result<()> {
    let store = ResultsStore::open(&args.data.results)?;
    let reports = args.data.results.join("reports");
    if let Some(sweep_id) = &args.sweep {
        let first = store
            .sweep_cells(sweep_id)?
            .into_iter()
            .next()
            .with_context(|| format!("no sweep with id {sweep_id}"))?;
        let selection = selection_of(&store, &first.run_id, &args.data.data_dir)?;
        let out = args.out.unwrap_or_else(|| reports.join(sweep_id));
        return write_sweep_report(&store, sweep_id, &selection, &out).await;
    }
    let (run_ids, name) = match (&args.run, args.compare.is_empty()) {
        (Some(run), _) => (vec![run.clone()], run.clone()),
        (None, false) => (args.compare.clone(), "comparison".to_string()),
        (None, true) => bail!("say what to report: --run ID, --sweep ID or --compare ID ID ..."),
    };
    let cells = run_ids
        .iter()
        .map(|id| run_cell(&store, id, None))
        .collect::<Result<Vec<_>>>()?;
    let out = args
        .out
        .unwrap_or_else(|| reports.join(name.replace('/', "_")));
    render(
        &cells,
        &format!("planbench report: {}", run_ids.join(", ")),
        &out,
    )
}
