//! Accuracy against compute: each planner's runs at several budgets (samples, expansions,
//! iterations, rounds, calls) as a curve of accuracy against mean cost per example, the Pareto
//! frontier over every run, each run compared with the `rerank` and `vote` runs that used the
//! nearest number of tokens, and accuracy by the difficulty of the examples.
//!
//! The analysis does not assume a task: call [`analyse_budget`] once per task.

mod difficulty;
mod matching;
mod pareto;
mod report;
mod tables;

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::analysis::{
    compare, describe, summarise, validate_cell, validate_options, AnalysisOptions, CellSummary,
    PlannerComparison,
};
use crate::decision::decide;
use crate::report::ReportError;
use crate::Cell;

pub use difficulty::{BinAccuracy, DifficultyBin};
pub use matching::nearest_by_tokens;
pub use pareto::pareto_frontier;
pub use report::write_budget_report;

/// How much search or sampling a run was given: the knob and its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetPoint {
    /// What is counted: "n" (samples), "expansions", "iterations", "rounds" or "calls".
    pub axis: String,
    pub value: f64,
}

/// One stored run at one budget point; `budget` is `None` for a planner without a budget knob
/// (e.g. greedy), which then has a single point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetCell {
    #[serde(flatten)]
    pub cell: Cell,
    #[serde(default)]
    pub budget: Option<BudgetPoint>,
}

/// Settings of [`analyse_budget`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetOptions {
    /// Significance level, bootstrap, alternative, correction and power of the paired tests;
    /// its `baseline` is not used here (see `baselines`).
    pub stats: AnalysisOptions,
    /// Planners every other planner's runs are compared with at the nearest equal tokens, each
    /// a table section of its own (default `rerank` and `vote`).
    pub baselines: Vec<String>,
}

impl Default for BudgetOptions {
    fn default() -> Self {
        Self {
            stats: AnalysisOptions::default(),
            baselines: vec!["rerank".to_string(), "vote".to_string()],
        }
    }
}

/// A mean cost per example that accuracy is plotted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostMeasure {
    Tokens,
    Flops,
    Seconds,
    Calls,
}

impl CostMeasure {
    /// Every measure, in report order.
    pub const ALL: [CostMeasure; 4] = [
        CostMeasure::Tokens,
        CostMeasure::Flops,
        CostMeasure::Seconds,
        CostMeasure::Calls,
    ];

    /// Short name: "tokens", "flops", "seconds", "calls" (the plots are
    /// `accuracy_vs_<name>`).
    pub fn name(self) -> &'static str {
        match self {
            CostMeasure::Tokens => "tokens",
            CostMeasure::Flops => "flops",
            CostMeasure::Seconds => "seconds",
            CostMeasure::Calls => "calls",
        }
    }

    /// What the measure is, as an axis description.
    pub fn describe(self) -> &'static str {
        match self {
            CostMeasure::Tokens => "Tokens per example (prompt + completion, generator and judge)",
            CostMeasure::Flops => "Estimated FLOPs per example (2 × parameters × tokens)",
            CostMeasure::Seconds => "Wall-clock seconds per example",
            CostMeasure::Calls => "LLM calls per example",
        }
    }

    /// The mean per example of a summarised run.
    pub fn of(self, summary: &CellSummary) -> f64 {
        match self {
            CostMeasure::Tokens => summary.tokens,
            CostMeasure::Flops => summary.flops,
            CostMeasure::Seconds => summary.seconds,
            CostMeasure::Calls => summary.llm_calls,
        }
    }
}

/// One run: its budget, accuracy with a bootstrap interval, and mean costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetPointSummary {
    pub budget: Option<BudgetPoint>,
    pub summary: CellSummary,
    /// The measures on whose Pareto frontier the run lies.
    pub pareto: Vec<CostMeasure>,
}

/// The Pareto frontier over every run on one cost measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frontier {
    pub measure: CostMeasure,
    /// Indices into [`BudgetAnalysis::points`], by ascending cost.
    pub points: Vec<usize>,
}

/// One run compared with the baseline's run of the nearest mean tokens per example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchedComparison {
    /// The baseline planner.
    pub baseline: String,
    pub budget: Option<BudgetPoint>,
    /// Mean tokens per example of the run.
    pub tokens: f64,
    pub baseline_label: String,
    pub baseline_budget: Option<BudgetPoint>,
    pub baseline_tokens: f64,
    /// `tokens / baseline_tokens`; `None` when the baseline used no tokens.
    pub token_ratio: Option<f64>,
    /// The paired exact McNemar test (A = the run, B = the baseline run); the Holm family is
    /// the planner's runs against this baseline.
    pub test: PlannerComparison,
}

/// A planner's accuracy by difficulty bin, at its largest budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannerDifficulty {
    pub planner: String,
    pub label: String,
    pub budget: Option<BudgetPoint>,
    /// Every bin, hardest first.
    pub bins: Vec<BinAccuracy>,
    /// Examples of the run without a pass rate, left out of the bins.
    pub without_pass_rate: usize,
}

/// Everything [`write_budget_report`] needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetAnalysis {
    pub options: BudgetOptions,
    /// Runs by planner (baselines first, in `options.baselines` order, then order of
    /// appearance), ascending budget within a planner (a run without a budget first).
    pub points: Vec<BudgetPointSummary>,
    /// One frontier per measure; FLOPs only when `flops_known`, over the runs with FLOPs.
    pub frontiers: Vec<Frontier>,
    /// Whether any run has a FLOPs estimate (the mean is 0 when the model sizes are unknown).
    pub flops_known: bool,
    /// By baseline (in `options.baselines` order), then in the order of `points`.
    pub matched: Vec<MatchedComparison>,
    /// One entry per planner; empty without pass rates.
    pub difficulty: Vec<PlannerDifficulty>,
    /// Caveats: missing baselines, unpaired examples, unknown FLOPs, missing pass rates.
    pub notes: Vec<String>,
}

/// Analyses the runs of one task at their budget points: accuracy with bootstrap intervals
/// and mean cost per example of every run, the Pareto frontier on every cost measure, every
/// run against each baseline's run of the nearest mean tokens (paired exact McNemar test by
/// example id), and each planner's accuracy at its largest budget by the difficulty bin of
/// `pass_rates` (example id → the sample pool's pass rate on it).
///
/// Fails on no cells, invalid options or cells (as [`analyse_sweep`](crate::analyse_sweep)
/// does), a budget with an empty axis or a value that is not a finite number ≥ 0, a planner
/// whose runs use two budget axes or repeat a budget, or a pass rate outside [0, 1].
pub fn analyse_budget(
    cells: &[BudgetCell],
    pass_rates: &HashMap<String, f64>,
    options: &BudgetOptions,
) -> Result<BudgetAnalysis, ReportError> {
    validate(cells, pass_rates, options)?;
    let ordered = order(cells, &options.baselines);
    let mut notes = Vec::new();
    let mut points = Vec::with_capacity(ordered.len());
    for cell in &ordered {
        points.push(BudgetPointSummary {
            budget: cell.budget.clone(),
            summary: summarise(&cell.cell, &options.stats)?,
            pareto: Vec::new(),
        });
    }
    let flops_known = flops_notes(&points, &mut notes);
    let frontiers = frontiers(&mut points, flops_known);
    let matched = matched_comparisons(&ordered, &points, options, &mut notes)?;
    let difficulty = if pass_rates.is_empty() {
        notes.push("no pass rates given, so no accuracy by difficulty".to_string());
        Vec::new()
    } else {
        planner_difficulty(&ordered, pass_rates, &mut notes)
    };
    Ok(BudgetAnalysis {
        options: options.clone(),
        points,
        frontiers,
        flops_known,
        matched,
        difficulty,
        notes,
    })
}

fn validate(
    cells: &[BudgetCell],
    pass_rates: &HashMap<String, f64>,
    options: &BudgetOptions,
) -> Result<(), ReportError> {
    if cells.is_empty() {
        return Err(ReportError::NoCells);
    }
    validate_options(&options.stats)?;
    let mut named = HashSet::new();
    for baseline in &options.baselines {
        if baseline.trim().is_empty() || !named.insert(baseline) {
            return Err(ReportError::InvalidOption {
                name: "baselines",
                reason: format!("'{baseline}' is empty or named twice"),
            });
        }
    }
    let mut axes: HashMap<&str, &str> = HashMap::new();
    let mut budgets: Vec<(&str, Option<f64>)> = Vec::new();
    for c in cells {
        validate_cell(&c.cell)?;
        let invalid = |reason: String| ReportError::InvalidCell {
            cell: describe(&c.cell),
            reason,
        };
        let planner = c.cell.planner.as_str();
        if let Some(b) = &c.budget {
            if b.axis.trim().is_empty() {
                return Err(invalid("budget axis is empty".into()));
            }
            if !(b.value.is_finite() && b.value >= 0.0) {
                return Err(invalid(format!(
                    "budget {} is {}, expected a finite number >= 0",
                    b.axis, b.value
                )));
            }
            let axis = *axes.entry(planner).or_insert(&b.axis);
            if axis != b.axis {
                return Err(invalid(format!(
                    "budget axis {} differs from {axis} of another {planner} run",
                    b.axis
                )));
            }
        }
        let key = (planner, c.budget.as_ref().map(|b| b.value));
        if budgets.contains(&key) {
            return Err(invalid(
                "another run of the planner has the same budget".into(),
            ));
        }
        budgets.push(key);
    }
    for (example, &rate) in pass_rates {
        if DifficultyBin::of(rate).is_none() {
            return Err(ReportError::InvalidPassRate {
                example: example.clone(),
                rate,
            });
        }
    }
    Ok(())
}

/// Baselines first (in the given order), then planners in order of appearance; ascending
/// budget within a planner, a run without a budget first.
fn order<'a>(cells: &'a [BudgetCell], baselines: &[String]) -> Vec<&'a BudgetCell> {
    let mut rank: Vec<&str> = baselines.iter().map(String::as_str).collect();
    for c in cells {
        if !rank.contains(&c.cell.planner.as_str()) {
            rank.push(&c.cell.planner);
        }
    }
    let position = |c: &BudgetCell| rank.iter().position(|p| *p == c.cell.planner);
    let mut ordered: Vec<&BudgetCell> = cells.iter().collect();
    ordered.sort_by(|a, b| {
        position(a).cmp(&position(b)).then_with(|| {
            let value = |c: &BudgetCell| c.budget.as_ref().map(|b| b.value);
            match (value(a), value(b)) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (x, y) => x.is_some().cmp(&y.is_some()),
            }
        })
    });
    ordered
}

/// Whether any run has FLOPs; notes the runs without them when only some have.
fn flops_notes(points: &[BudgetPointSummary], notes: &mut Vec<String>) -> bool {
    let unknown: Vec<&str> = points
        .iter()
        .filter(|p| p.summary.flops <= 0.0)
        .map(|p| p.summary.label.as_str())
        .collect();
    if unknown.len() == points.len() {
        notes.push(
            "FLOPs are unknown for every run (no model parameter counts), so there is no \
             accuracy-vs-FLOPs plot or frontier"
                .to_string(),
        );
        return false;
    }
    if !unknown.is_empty() {
        notes.push(format!(
            "FLOPs are unknown for {} (no model parameter count), left out of the FLOPs plot \
             and frontier",
            unknown.join(", ")
        ));
    }
    true
}

/// The frontier on every measure (FLOPs only when known, over the runs with FLOPs), marking
/// each point with the measures it is optimal on.
fn frontiers(points: &mut [BudgetPointSummary], flops_known: bool) -> Vec<Frontier> {
    let mut out = Vec::new();
    for measure in CostMeasure::ALL {
        if measure == CostMeasure::Flops && !flops_known {
            continue;
        }
        let included: Vec<usize> = (0..points.len())
            .filter(|&i| measure != CostMeasure::Flops || points[i].summary.flops > 0.0)
            .collect();
        let xy: Vec<(f64, f64)> = included
            .iter()
            .map(|&i| {
                let s = &points[i].summary;
                (measure.of(s), s.task_accuracy.mean)
            })
            .collect();
        let frontier: Vec<usize> = pareto_frontier(&xy)
            .into_iter()
            .map(|k| included[k])
            .collect();
        for &i in &frontier {
            points[i].pareto.push(measure);
        }
        out.push(Frontier {
            measure,
            points: frontier,
        });
    }
    out
}

/// Every run against each baseline's run of the nearest mean tokens.
fn matched_comparisons(
    ordered: &[&BudgetCell],
    points: &[BudgetPointSummary],
    options: &BudgetOptions,
    notes: &mut Vec<String>,
) -> Result<Vec<MatchedComparison>, ReportError> {
    let mut out = Vec::new();
    for baseline in &options.baselines {
        let curve: Vec<usize> = (0..ordered.len())
            .filter(|&i| ordered[i].cell.planner == *baseline)
            .collect();
        if curve.is_empty() {
            notes.push(format!(
                "no {baseline} runs, so no compute-matched comparison with {baseline}"
            ));
            continue;
        }
        let tokens: Vec<f64> = curve.iter().map(|&i| points[i].summary.tokens).collect();
        let mut group = Vec::new();
        for (i, cell) in ordered.iter().enumerate() {
            if cell.cell.planner == *baseline {
                continue;
            }
            let run_tokens = points[i].summary.tokens;
            let Some(nearest) = nearest_by_tokens(run_tokens, &tokens) else {
                continue;
            };
            let base = curve[nearest];
            let base_cell = ordered[base];
            if let Some(test) = compare(&cell.cell, &base_cell.cell, &options.stats, notes)? {
                let baseline_tokens = tokens[nearest];
                group.push(MatchedComparison {
                    baseline: baseline.clone(),
                    budget: cell.budget.clone(),
                    tokens: run_tokens,
                    baseline_label: base_cell.cell.label.clone(),
                    baseline_budget: base_cell.budget.clone(),
                    baseline_tokens,
                    token_ratio: (baseline_tokens > 0.0).then(|| run_tokens / baseline_tokens),
                    test,
                });
            }
        }
        let mut tests: Vec<PlannerComparison> = group.iter().map(|m| m.test.clone()).collect();
        decide(&mut tests, options.stats.alpha, options.stats.correction);
        for (m, test) in group.iter_mut().zip(tests) {
            m.test = test;
        }
        out.extend(group);
    }
    Ok(out)
}

/// Each planner's accuracy by difficulty bin at its largest budget (its last run in order).
fn planner_difficulty(
    ordered: &[&BudgetCell],
    pass_rates: &HashMap<String, f64>,
    notes: &mut Vec<String>,
) -> Vec<PlannerDifficulty> {
    let mut out: Vec<PlannerDifficulty> = Vec::new();
    for (i, c) in ordered.iter().enumerate() {
        let last_of_planner = ordered
            .get(i + 1)
            .is_none_or(|next| next.cell.planner != c.cell.planner);
        if !last_of_planner {
            continue;
        }
        let (bins, without_pass_rate) = difficulty::bin_accuracies(&c.cell, pass_rates);
        if without_pass_rate > 0 {
            notes.push(format!(
                "{}: {without_pass_rate} examples without a pass rate are left out of the \
                 difficulty bins",
                describe(&c.cell)
            ));
        }
        out.push(PlannerDifficulty {
            planner: c.cell.planner.clone(),
            label: c.cell.label.clone(),
            budget: c.budget.clone(),
            bins,
            without_pass_rate,
        });
    }
    out
}
