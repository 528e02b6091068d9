//! From stored runs to reports: the one conversion of a run into a report cell, the one
//! measured-accuracy function, and the reports of runs side by side and of studies.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use planbench_core::{Example, Task};
use planbench_planners::{DepthAccuracy, PlannerKind, Trace};
use planbench_report::{
    analyse_budget, analyse_sweep, write_budget_report, write_report, BudgetCell, BudgetOptions,
    BudgetPoint, Cell, ExampleOutcome,
};

use crate::assemble::Loader;
use crate::spec::{RunSpec, StatsSpec};
use crate::store::{ExampleRecord, ResultsStore};
use crate::{legacy, ExperimentError};

impl ResultsStore {
    /// The spec run `run_id` was made from (converted from its old configuration when it was
    /// stored before specs were kept).
    pub fn run_spec(&self, run_id: &str) -> Result<RunSpec, ExperimentError> {
        let run = self.run(run_id)?;
        match run.spec {
            Some(spec) => serde_json::from_value(spec).map_err(|e| ExperimentError::Legacy {
                run_id: run_id.to_string(),
                missing: format!("a readable spec ({e})"),
            }),
            None => legacy::spec_from_config(run_id, &run.config),
        }
    }
}

/// What one example of a stored run achieved and cost, for the report.
pub fn outcome(record: &ExampleRecord) -> ExampleOutcome {
    ExampleOutcome {
        example_id: record.example_id.clone(),
        correct: record.correct,
        // Cached calls count with the time they originally took.
        seconds: record.seconds + record.cost.cached_seconds,
        llm_calls: record.cost.llm_calls as f64,
        tokens: record.cost.tokens() as f64,
        flops: record.cost.flops(),
    }
}

/// A stored run read once: its spec and its finished examples.
struct StoredRun {
    run_id: String,
    spec: RunSpec,
    records: Vec<ExampleRecord>,
}

impl StoredRun {
    fn read(store: &ResultsStore, run_id: &str) -> Result<Self, ExperimentError> {
        Ok(Self {
            run_id: run_id.to_string(),
            spec: store.run_spec(run_id)?,
            records: store.examples(run_id)?,
        })
    }

    /// Its report cell.
    fn cell(&self, measured_accuracy: Option<f64>) -> Result<Cell, ExperimentError> {
        if self.records.is_empty() {
            return Err(ExperimentError::Report(format!(
                "run {} has no finished example",
                self.run_id
            )));
        }
        Ok(Cell {
            planner: self.spec.planner.kind.to_string(),
            accuracy: self.spec.discriminator.oracle_accuracy(),
            label: self.run_id.clone(),
            measured_accuracy,
            outcomes: self.records.iter().map(outcome).collect(),
        })
    }
}

/// The report cell of stored run `run_id`.
pub fn run_cell(
    store: &ResultsStore,
    run_id: &str,
    measured_accuracy: Option<f64>,
) -> Result<Cell, ExperimentError> {
    StoredRun::read(store, run_id)?.cell(measured_accuracy)
}

/// Share of scored candidates whose judgement (score above 0.5) matches their official
/// correctness: a discriminator's measured per-candidate accuracy during a run.
pub fn measured_accuracy(
    task: &dyn Task,
    examples: &[Example],
    records: &[ExampleRecord],
) -> Option<f64> {
    let by_id: HashMap<&str, &Example> = examples.iter().map(|e| (e.id.as_str(), e)).collect();
    let (mut right, mut total) = (0usize, 0usize);
    for record in records {
        let Some(example) = by_id.get(record.example_id.as_str()) else {
            continue;
        };
        let Ok(trace) = Trace::from_value(record.trace.clone()) else {
            tracing::warn!(example = %record.example_id, "unreadable trace left out of the measured accuracy");
            continue;
        };
        for (program, score) in trace.scored_candidates() {
            right += usize::from((score > 0.5) == task.is_correct(example, program));
            total += 1;
        }
    }
    (total > 0).then(|| right as f64 / total as f64)
}

/// For each record of a re-ranking or voting run: how many samples its trace holds and how
/// many of them are correct (a sample without a program is wrong). Records of other planners,
/// or with unreadable traces, are left out.
pub fn sample_counts(
    task: &dyn Task,
    examples: &[Example],
    records: &[ExampleRecord],
) -> Vec<(usize, usize)> {
    let by_id: HashMap<&str, &Example> = examples.iter().map(|e| (e.id.as_str(), e)).collect();
    records
        .iter()
        .filter_map(|record| sample_count(task, by_id.get(record.example_id.as_str())?, record))
        .collect()
}

/// (samples, correct samples) of one record's trace; `None` without samples.
fn sample_count(
    task: &dyn Task,
    example: &Example,
    record: &ExampleRecord,
) -> Option<(usize, usize)> {
    let trace = Trace::from_value(record.trace.clone()).ok()?;
    let samples = trace.samples();
    let correct = samples
        .iter()
        .filter(|s| s.is_some_and(|program| task.is_correct(example, program)))
        .count();
    (!samples.is_empty()).then_some((samples.len(), correct))
}

/// The judge's accuracy by tree depth over every example of stored tree run `run_id`: each
/// rollout's score against its program's correctness (score above 0.5 means "correct").
pub fn judge_accuracy_by_depth(
    store: &ResultsStore,
    loader: &Loader,
    run_id: &str,
) -> Result<Vec<DepthAccuracy>, ExperimentError> {
    let run = StoredRun::read(store, run_id)?;
    let loaded = loader.task(&run.spec.task)?;
    let examples = crate::select::choose(&loaded.examples, &run.spec.selection)?;
    let by_id: HashMap<&str, &Example> = examples.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut total: Vec<DepthAccuracy> = Vec::new();
    for record in &run.records {
        let Some(example) = by_id.get(record.example_id.as_str()) else {
            continue;
        };
        let trace = Trace::from_value(record.trace.clone())
            .map_err(|e| ExperimentError::Report(format!("{run_id} {}: {e}", record.example_id)))?;
        let depths = planbench_planners::judge_accuracy_by_depth(&trace, 0.5, |program| {
            loaded.task.is_correct(example, program)
        })
        .map_err(|e| ExperimentError::Report(format!("{run_id} {}: {e}", record.example_id)))?;
        for d in depths {
            if total.len() < d.depth {
                total.resize_with(d.depth, DepthAccuracy::default);
            }
            let slot = &mut total[d.depth - 1];
            slot.depth = d.depth;
            slot.judged += d.judged;
            slot.right += d.right;
            slot.correct += d.correct;
        }
    }
    Ok(total)
}

/// Writes the report of `cells` under `out`; returns the Markdown file.
fn render(
    cells: &[Cell],
    title: &str,
    out: &Path,
    stats: &StatsSpec,
) -> Result<PathBuf, ExperimentError> {
    let analysis = analyse_sweep(cells, &stats.analysis_options())
        .map_err(|e| ExperimentError::Report(e.to_string()))?;
    let files = write_report(out, title, &analysis)
        .map_err(|e| ExperimentError::Report(format!("writing into {}: {e}", out.display())))?;
    for warning in &files.warnings {
        tracing::warn!("{warning}");
    }
    Ok(files.markdown)
}

/// Writes the report of stored runs side by side.
pub fn write_runs_report(
    store: &ResultsStore,
    run_ids: &[String],
    out: &Path,
    stats: &StatsSpec,
) -> Result<PathBuf, ExperimentError> {
    let cells = run_ids
        .iter()
        .map(|id| run_cell(store, id, None))
        .collect::<Result<Vec<_>, _>>()?;
    render(
        &cells,
        &format!("planbench report: {}", run_ids.join(", ")),
        out,
        stats,
    )
}

/// Writes the report of study (or legacy sweep) `study_id`: one sub-report per task and
/// discriminator family (the oracle sweep, each LLM judge, each seed and budget), and an index.
pub fn write_study_report(
    store: &ResultsStore,
    loader: &Loader,
    study_id: &str,
    note: &str,
    out: &Path,
    stats: &StatsSpec,
) -> Result<PathBuf, ExperimentError> {
    let stored = store.study_cells(study_id)?;
    if stored.is_empty() {
        return Err(ExperimentError::Report(format!(
            "no study or sweep with id {study_id}"
        )));
    }
    // Group cells: task, discriminator family, seed and budget. A study with budget axes
    // groups by exact discriminator instead, each group a budget report.
    let budgeted = stored.iter().any(|c| !c.axes["budget"].is_null());
    let mut groups: BTreeMap<String, Vec<StoredRun>> = BTreeMap::new();
    let mut points: HashMap<String, Option<BudgetPoint>> = HashMap::new();
    for cell in &stored {
        let run = StoredRun::read(store, &cell.run_id)?;
        if run.records.is_empty() {
            continue;
        }
        points.insert(run.run_id.clone(), budget_point(&cell.axes));
        let spec = &run.spec;
        let family = match spec.discriminator.oracle_accuracy() {
            Some(_) if !budgeted => "oracle".to_string(),
            _ => spec.discriminator.label(),
        };
        let mut key = format!("{}-{family}", spec.task.kind());
        if let Some(calls) = spec.budget.max_llm_calls {
            let _ = write!(key, "-calls{calls}");
        }
        let _ = write!(key, "-seed{}", spec.seed);
        groups.entry(key).or_default().push(run);
    }
    let mut index = format!("# Study {study_id}\n\n");
    if !note.is_empty() {
        let _ = writeln!(index, "{note}\n");
    }
    for (group, members) in &groups {
        let cells = group_cells(loader, members)?;
        let dir = out.join(group);
        let title = format!("Study {study_id}: {group}");
        let file = if budgeted {
            let cells = members
                .iter()
                .zip(cells.iter().cloned())
                .map(|(run, cell)| BudgetCell {
                    cell,
                    budget: points.get(&run.run_id).cloned().flatten(),
                })
                .collect::<Vec<_>>();
            let rates = pass_rates(loader, members)?;
            let analysis = analyse_budget(
                &cells,
                &rates,
                &BudgetOptions {
                    stats: stats.analysis_options(),
                    ..BudgetOptions::default()
                },
            )
            .map_err(|e| ExperimentError::Report(format!("{group}: {e}")))?;
            write_budget_report(&dir, &title, &analysis).map_err(|e| {
                ExperimentError::Report(format!("writing into {}: {e}", dir.display()))
            })?;
            "budget.md"
        } else {
            render(&cells, &title, &dir, stats)?;
            "report.md"
        };
        let _ = writeln!(
            index,
            "- [{group}]({group}/{file}): {} runs, {} examples each",
            members.len(),
            cells.first().map_or(0, |c| c.outcomes.len())
        );
    }
    std::fs::create_dir_all(out).map_err(|source| ExperimentError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let path = out.join("README.md");
    std::fs::write(&path, index).map_err(|source| ExperimentError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// A study cell's budget point, from its axes (`{"axis": "n", "value": 4}`).
fn budget_point(axes: &serde_json::Value) -> Option<BudgetPoint> {
    let budget = axes.get("budget")?;
    Some(BudgetPoint {
        axis: budget.get("axis")?.as_str()?.to_string(),
        value: budget.get("value")?.as_f64()?,
    })
}

/// Each example's pass rate over the samples of the group's largest sample pool (its
/// re-ranking or voting run with the most samples per request).
fn pass_rates(
    loader: &Loader,
    members: &[StoredRun],
) -> Result<HashMap<String, f64>, ExperimentError> {
    let Some(pool) = members
        .iter()
        .filter(|run| {
            Trace::from_value(run.records[0].trace.clone()).is_ok_and(|t| !t.samples().is_empty())
        })
        .max_by_key(|run| run.spec.sampling.n)
    else {
        return Ok(HashMap::new());
    };
    let loaded = loader.task(&pool.spec.task)?;
    let examples = crate::select::choose(&loaded.examples, &pool.spec.selection)?;
    let by_id: HashMap<&str, &Example> = examples.iter().map(|e| (e.id.as_str(), e)).collect();
    Ok(pool
        .records
        .iter()
        .filter_map(|record| {
            let example = by_id.get(record.example_id.as_str())?;
            let (n, c) = sample_count(loaded.task.as_ref(), example, record)?;
            Some((record.example_id.clone(), c as f64 / n as f64))
        })
        .collect())
}

/// The cells of one group; oracle accuracies are measured on each accuracy's rerank cell and
/// reported for every planner at that accuracy (the oracle's draws depend on the candidate,
/// not on the planner).
fn group_cells(loader: &Loader, members: &[StoredRun]) -> Result<Vec<Cell>, ExperimentError> {
    let mut measured: HashMap<u64, Option<f64>> = HashMap::new();
    for run in members {
        let spec = &run.spec;
        let Some(accuracy) = spec.discriminator.oracle_accuracy() else {
            continue;
        };
        if spec.planner.kind != PlannerKind::Rerank {
            continue;
        }
        let loaded = loader.task(&spec.task)?;
        let examples = crate::select::choose(&loaded.examples, &spec.selection)?;
        measured.insert(
            accuracy.to_bits(),
            measured_accuracy(loaded.task.as_ref(), &examples, &run.records),
        );
    }
    members
        .iter()
        .map(|run| {
            let accuracy = run.spec.discriminator.oracle_accuracy();
            run.cell(accuracy.and_then(|a| measured.get(&a.to_bits()).copied().flatten()))
        })
        .collect()
}
