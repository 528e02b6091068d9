//! Statistics, tables and plots of planbench results.
//!
//! The input is plain data: one [`Cell`] per stored run, holding the per-example
//! [`ExampleOutcome`]s. A discriminator-accuracy sweep has one cell per (planner, nominal
//! accuracy); a single run or a comparison of runs has cells without a nominal accuracy.
//! [`analyse_sweep`] computes bootstrap confidence intervals, paired exact McNemar tests against
//! the baseline planner (re-ranking; two-sided or one-sided, [`Alternative`]), Holm-adjusted
//! p-values within each planner's comparisons across the swept accuracies ([`Correction`]
//! chooses which p decides), the number of examples each comparison would need for 80% power
//! ([`mcnemar_examples_needed`]) and the accuracy threshold of every other planner, saying when
//! a missing threshold is for lack of examples; [`write_report`] turns the analysis into
//! `report.md`, CSV tables, `analysis.json` and PNG/SVG plots.
//!
//! At equal compute, [`analyse_budget`] takes one task's runs at their budget points
//! ([`BudgetCell`]) and the sample pool's pass rate per example: accuracy against mean tokens,
//! FLOPs, seconds and LLM calls per example with each cost measure's Pareto frontier, every run
//! against the `rerank` and `vote` runs nearest in mean tokens (paired exact McNemar), and
//! accuracy by [`DifficultyBin`]; [`write_budget_report`] writes `budget.md`, its CSV tables,
//! `budget.json` and the `accuracy_vs_{tokens,flops,seconds,calls}` plots.

mod analysis;
mod budget;
mod decision;
mod plots;
mod report;
mod stats;
mod tables;

pub use analysis::{
    analyse_sweep, AnalysisOptions, CellSummary, CostRatios, PlannerComparison, PlannerThreshold,
    SweepAnalysis,
};
pub use budget::{
    analyse_budget, nearest_by_tokens, pareto_frontier, write_budget_report, BinAccuracy,
    BudgetAnalysis, BudgetCell, BudgetOptions, BudgetPoint, BudgetPointSummary, CostMeasure,
    DifficultyBin, Frontier, MatchedComparison, PlannerDifficulty,
};
pub use decision::{Correction, ParseCorrectionError};
pub use plots::{FONT_CANDIDATES, FONT_ENV};
pub use report::{write_report, ReportError, ReportFiles};
pub use stats::{
    bootstrap_ci, holm_adjust, mcnemar_exact_p, mcnemar_examples_needed, mcnemar_one_sided_p,
    mcnemar_p, normal_quantile, paired_comparison, threshold, Alternative, Comparison, Interval,
    ParseAlternativeError, StatsError,
};

use serde::{Deserialize, Serialize};

/// What one example of a run achieved and cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExampleOutcome {
    pub example_id: String,
    pub correct: bool,
    /// Wall-clock seconds spent on the example.
    pub seconds: f64,
    /// LLM calls made for the example (generator and LLM discriminator together).
    pub llm_calls: f64,
    /// Prompt plus completion tokens.
    pub tokens: f64,
    /// Estimated FLOPs of every call made for the example (0 when the model sizes are unknown).
    #[serde(default)]
    pub flops: f64,
}

/// One stored run: a planner, optionally at a nominal discriminator accuracy, and its outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub planner: String,
    /// Nominal accuracy of the simulated discriminator; `None` for a run outside a sweep.
    pub accuracy: Option<f64>,
    /// Run id or display name.
    pub label: String,
    /// Measured accuracy of the discriminator during the run, if known.
    pub measured_accuracy: Option<f64>,
    pub outcomes: Vec<ExampleOutcome>,
}
