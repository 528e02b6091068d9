//! Analysis of a set of runs: per-cell accuracy and cost, paired tests against the baseline
//! planner at the same discriminator accuracy, and the threshold of every other planner.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::decision::{decide, planner_thresholds, Correction};
use crate::report::ReportError;
use crate::stats::{
    bootstrap_ci, mcnemar_examples_needed, paired_comparison, Alternative, Comparison, Interval,
};
use crate::{Cell, ExampleOutcome};

/// Settings of [`analyse_sweep`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisOptions {
    /// Planner every other planner is compared with (paired, at the same accuracy).
    pub baseline: String,
    /// Significance level of the paired test.
    pub alpha: f64,
    /// Coverage of the bootstrap confidence intervals.
    pub confidence: f64,
    /// Bootstrap resamples per interval.
    pub resamples: usize,
    /// Seed of the bootstrap; every interval derives its own stream from it.
    pub seed: u64,
    /// Alternative hypothesis of the exact McNemar test: two-sided (default) or one-sided in
    /// favour of the planner, the directional claim "planner beats the baseline".
    #[serde(default)]
    pub alternative: Alternative,
    /// Which p-value decides significance (and so the threshold): the uncorrected one
    /// (default) or the Holm-adjusted one within each planner's comparisons across the swept
    /// accuracies. Both are always reported.
    #[serde(default)]
    pub correction: Correction,
    /// Power the "examples needed" of every comparison is computed for (default 0.8), at
    /// level `alpha` and under `alternative`.
    #[serde(default = "default_power")]
    pub power: f64,
}

fn default_power() -> f64 {
    0.8
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        Self {
            baseline: "rerank".to_string(),
            alpha: 0.05,
            confidence: 0.95,
            resamples: 2000,
            seed: 0,
            alternative: Alternative::TwoSided,
            correction: Correction::None,
            power: default_power(),
        }
    }
}

/// Ratios of a cell's mean cost per example to the baseline's at the same accuracy;
/// `None` where the baseline's mean is zero.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CostRatios {
    pub seconds: Option<f64>,
    pub llm_calls: Option<f64>,
    pub tokens: Option<f64>,
}

/// Accuracy and cost of one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellSummary {
    pub planner: String,
    pub accuracy: Option<f64>,
    pub label: String,
    pub measured_accuracy: Option<f64>,
    pub examples: usize,
    /// Fraction of examples solved, with a bootstrap interval over examples.
    pub task_accuracy: Interval,
    /// Mean seconds per example.
    pub seconds: f64,
    /// Mean LLM calls per example.
    pub llm_calls: f64,
    /// Mean tokens per example.
    pub tokens: f64,
    /// Mean estimated FLOPs per example (0 when unknown).
    #[serde(default)]
    pub flops: f64,
    /// Cost relative to the baseline at the same accuracy; `None` without a baseline cell.
    pub vs_baseline: Option<CostRatios>,
    /// Seconds of every example, in input order (for distribution plots).
    pub seconds_per_example: Vec<f64>,
}

/// Paired test of one planner against the baseline at one accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannerComparison {
    pub planner: String,
    pub label: String,
    pub accuracy: Option<f64>,
    /// A = this planner, B = the baseline; `comparison.p_value` is the uncorrected p-value
    /// under `options.alternative`.
    pub comparison: Comparison,
    /// Whether the planner is significantly better than the baseline: it solved more of the
    /// discordant examples and the p-value chosen by `options.correction` is below `alpha`.
    pub significant: bool,
    /// Holm-adjusted p-value within this planner's family (its comparisons with the baseline
    /// at every accuracy); equal to the uncorrected one in a family of one.
    pub holm_p_value: f64,
    /// Number of comparisons in the Holm family.
    #[serde(default)]
    pub family_size: usize,
    /// Paired examples the test would need for `options.power` at `alpha` if the discordant
    /// rates stayed as observed (normal approximation, see
    /// [`mcnemar_examples_needed`](crate::mcnemar_examples_needed)); `None` when no number
    /// decides (no difference, or one-sided with the planner behind).
    #[serde(default)]
    pub examples_needed: Option<u64>,
}

/// Threshold of one planner over the sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannerThreshold {
    pub planner: String,
    /// Lowest nominal accuracy from which the planner is significantly better than the baseline
    /// at every higher accuracy; `None` when there is none in the swept range.
    pub threshold: Option<f64>,
    /// Nominal accuracies at which the planner is significantly better, ascending.
    pub significant_at: Vec<f64>,
    /// Nominal accuracies that were compared, ascending.
    pub compared_at: Vec<f64>,
    /// Set when there is no threshold for lack of examples: at the highest compared accuracy
    /// the planner is ahead of the baseline but not significantly, and the test would need
    /// about this many paired examples (more than it had) for `options.power`.
    #[serde(default)]
    pub examples_needed: Option<u64>,
}

/// Everything [`write_report`](crate::write_report) needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepAnalysis {
    pub options: AnalysisOptions,
    /// Whether any cell has a nominal discriminator accuracy.
    pub is_sweep: bool,
    /// Cells ordered by planner (baseline first, then order of appearance) and accuracy.
    pub cells: Vec<CellSummary>,
    pub comparisons: Vec<PlannerComparison>,
    /// One entry per non-baseline planner compared at some nominal accuracy.
    pub thresholds: Vec<PlannerThreshold>,
    /// Caveats found during the analysis (missing baseline cells, unpaired examples).
    pub notes: Vec<String>,
}

/// Analyses `cells`: accuracy with bootstrap intervals, mean cost, paired exact McNemar tests
/// of every planner against `options.baseline` at the same nominal accuracy (examples matched
/// by id), and the threshold of every planner.
///
/// Fails on invalid options or cells: empty outcomes, duplicate example ids, non-finite or
/// negative costs, accuracies outside [0, 1], or two cells of one planner at one accuracy.
pub fn analyse_sweep(
    cells: &[Cell],
    options: &AnalysisOptions,
) -> Result<SweepAnalysis, ReportError> {
    validate_options(options)?;
    for cell in cells {
        validate_cell(cell)?;
    }
    let ordered = order_cells(cells, &options.baseline)?;
    let mut notes = Vec::new();

    let mut summaries = Vec::with_capacity(ordered.len());
    let mut comparisons = Vec::new();
    for cell in &ordered {
        let partner = baseline_partner(cell, &ordered, &options.baseline, &mut notes);
        let mut summary = summarise(cell, options)?;
        if let Some(base) = partner {
            summary.vs_baseline = Some(cost_ratios(cell, base));
            if let Some(comparison) = compare(cell, base, options, &mut notes)? {
                comparisons.push(comparison);
            }
        }
        summaries.push(summary);
    }
    decide(&mut comparisons, options.alpha, options.correction);
    let thresholds = planner_thresholds(&comparisons);
    Ok(SweepAnalysis {
        options: options.clone(),
        is_sweep: cells.iter().any(|c| c.accuracy.is_some()),
        cells: summaries,
        comparisons,
        thresholds,
        notes,
    })
}

pub(crate) fn validate_options(options: &AnalysisOptions) -> Result<(), ReportError> {
    let invalid = |name: &'static str, reason: String| ReportError::InvalidOption { name, reason };
    if options.baseline.trim().is_empty() {
        return Err(invalid("baseline", "empty planner name".into()));
    }
    if !(options.alpha > 0.0 && options.alpha < 1.0) {
        return Err(invalid(
            "alpha",
            format!("{} is not in (0, 1)", options.alpha),
        ));
    }
    if !(options.confidence > 0.0 && options.confidence < 1.0) {
        let reason = format!("{} is not in (0, 1)", options.confidence);
        return Err(invalid("confidence", reason));
    }
    if options.resamples == 0 {
        return Err(invalid("resamples", "must be at least 1".into()));
    }
    if !(options.power > 0.0 && options.power < 1.0) {
        let reason = format!("{} is not in (0, 1)", options.power);
        return Err(invalid("power", reason));
    }
    Ok(())
}

/// Names a cell in error messages and notes.
pub(crate) fn describe(cell: &Cell) -> String {
    match cell.accuracy {
        Some(a) => format!("cell '{}' ({} at accuracy {a})", cell.label, cell.planner),
        None => format!("cell '{}' ({})", cell.label, cell.planner),
    }
}

pub(crate) fn validate_cell(cell: &Cell) -> Result<(), ReportError> {
    let invalid = |reason: String| ReportError::InvalidCell {
        cell: describe(cell),
        reason,
    };
    if cell.planner.trim().is_empty() {
        return Err(invalid("empty planner name".into()));
    }
    for (name, value) in [
        ("accuracy", cell.accuracy),
        ("measured_accuracy", cell.measured_accuracy),
    ] {
        if let Some(v) = value.filter(|v| !(0.0..=1.0).contains(v)) {
            return Err(invalid(format!("{name} {v} is not in [0, 1]")));
        }
    }
    if cell.outcomes.is_empty() {
        return Err(invalid("no examples".into()));
    }
    let mut seen = HashSet::new();
    for outcome in &cell.outcomes {
        if !seen.insert(outcome.example_id.as_str()) {
            return Err(invalid(format!(
                "example '{}' appears twice",
                outcome.example_id
            )));
        }
        for (field, value) in [
            ("seconds", outcome.seconds),
            ("llm_calls", outcome.llm_calls),
            ("tokens", outcome.tokens),
            ("flops", outcome.flops),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(invalid(format!(
                    "example '{}': {field} is {value}, expected a finite number >= 0",
                    outcome.example_id
                )));
            }
        }
    }
    Ok(())
}

/// Nominal accuracies compared as integers in millionths, so 0.9 and 0.90000000001 match.
fn accuracy_key(accuracy: Option<f64>) -> Option<i64> {
    accuracy.map(|a| (a * 1e6).round() as i64)
}

/// Baseline first, then planners in order of appearance; accuracies ascending within a planner.
fn order_cells<'a>(cells: &'a [Cell], baseline: &str) -> Result<Vec<&'a Cell>, ReportError> {
    let mut rank: HashMap<&str, usize> = HashMap::from([(baseline, 0)]);
    for cell in cells {
        let next = rank.len();
        rank.entry(cell.planner.as_str()).or_insert(next);
    }
    let mut seen = HashSet::new();
    for cell in cells {
        let key = accuracy_key(cell.accuracy);
        if key.is_some() && !seen.insert((cell.planner.as_str(), key)) {
            return Err(ReportError::InvalidCell {
                cell: describe(cell),
                reason: "another cell has the same planner and accuracy".into(),
            });
        }
    }
    let mut ordered: Vec<&Cell> = cells.iter().collect();
    ordered.sort_by_key(|c| (rank[c.planner.as_str()], accuracy_key(c.accuracy)));
    Ok(ordered)
}

/// The single baseline cell at `cell`'s accuracy, if `cell` is not itself a baseline cell.
fn baseline_partner<'a>(
    cell: &Cell,
    cells: &[&'a Cell],
    baseline: &str,
    notes: &mut Vec<String>,
) -> Option<&'a Cell> {
    if cell.planner == baseline {
        return None;
    }
    let key = accuracy_key(cell.accuracy);
    let candidates: Vec<&Cell> = cells
        .iter()
        .copied()
        .filter(|c| c.planner == baseline && accuracy_key(c.accuracy) == key)
        .collect();
    match candidates.as_slice() {
        [single] => Some(single),
        [] => {
            notes.push(format!(
                "{}: no {baseline} cell at the same discriminator accuracy, so no paired test or cost ratio",
                describe(cell)
            ));
            None
        }
        _ => {
            notes.push(format!(
                "{}: {} {baseline} runs without a nominal accuracy, so the baseline is ambiguous and no paired test or cost ratio is given",
                describe(cell),
                candidates.len()
            ));
            None
        }
    }
}

/// A seed of its own for each statistic, independent of the order of the cells.
fn derived_seed(seed: u64, cell: &Cell, purpose: &str) -> u64 {
    // FNV-1a over the identifying fields, then a SplitMix64 finaliser.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let accuracy = accuracy_key(cell.accuracy).unwrap_or(-1).to_le_bytes();
    for part in [
        cell.planner.as_bytes(),
        cell.label.as_bytes(),
        &accuracy,
        purpose.as_bytes(),
    ] {
        for &byte in part.iter().chain(&[0xff]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    let mut z = hash ^ seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn mean_of(outcomes: &[ExampleOutcome], field: impl Fn(&ExampleOutcome) -> f64) -> f64 {
    outcomes.iter().map(field).sum::<f64>() / outcomes.len() as f64
}

pub(crate) fn summarise(
    cell: &Cell,
    options: &AnalysisOptions,
) -> Result<CellSummary, ReportError> {
    let correct: Vec<f64> = cell
        .outcomes
        .iter()
        .map(|o| f64::from(u8::from(o.correct)))
        .collect();
    let seed = derived_seed(options.seed, cell, "accuracy");
    let task_accuracy = bootstrap_ci(&correct, options.resamples, options.confidence, seed)
        .map_err(|source| ReportError::Stats {
            cell: describe(cell),
            source,
        })?;
    Ok(CellSummary {
        planner: cell.planner.clone(),
        accuracy: cell.accuracy,
        label: cell.label.clone(),
        measured_accuracy: cell.measured_accuracy,
        examples: cell.outcomes.len(),
        task_accuracy,
        seconds: mean_of(&cell.outcomes, |o| o.seconds),
        llm_calls: mean_of(&cell.outcomes, |o| o.llm_calls),
        tokens: mean_of(&cell.outcomes, |o| o.tokens),
        flops: mean_of(&cell.outcomes, |o| o.flops),
        vs_baseline: None,
        seconds_per_example: cell.outcomes.iter().map(|o| o.seconds).collect(),
    })
}

fn cost_ratios(cell: &Cell, base: &Cell) -> CostRatios {
    let ratio = |field: fn(&ExampleOutcome) -> f64| {
        let denominator = mean_of(&base.outcomes, field);
        (denominator > 0.0).then(|| mean_of(&cell.outcomes, field) / denominator)
    };
    CostRatios {
        seconds: ratio(|o| o.seconds),
        llm_calls: ratio(|o| o.llm_calls),
        tokens: ratio(|o| o.tokens),
    }
}

/// Paired test of `cell` against `base` on the examples both have.
pub(crate) fn compare(
    cell: &Cell,
    base: &Cell,
    options: &AnalysisOptions,
    notes: &mut Vec<String>,
) -> Result<Option<PlannerComparison>, ReportError> {
    let base_correct: HashMap<&str, bool> = base
        .outcomes
        .iter()
        .map(|o| (o.example_id.as_str(), o.correct))
        .collect();
    let (a, b): (Vec<bool>, Vec<bool>) = cell
        .outcomes
        .iter()
        .filter_map(|o| Some((o.correct, *base_correct.get(o.example_id.as_str())?)))
        .unzip();
    let unpaired = cell.outcomes.len() + base.outcomes.len() - 2 * a.len();
    if a.is_empty() {
        notes.push(format!(
            "{}: no example in common with {}, so no paired test",
            describe(cell),
            describe(base)
        ));
        return Ok(None);
    }
    if unpaired > 0 {
        notes.push(format!(
            "{}: {unpaired} examples not shared with {} are left out of the paired test",
            describe(cell),
            describe(base)
        ));
    }
    let seed = derived_seed(options.seed, cell, "paired");
    let stats_error = |source| ReportError::Stats {
        cell: describe(cell),
        source,
    };
    let comparison = paired_comparison(&a, &b, options.resamples, options.confidence, seed)
        .map_err(stats_error)?
        .with_alternative(options.alternative);
    let examples_needed = mcnemar_examples_needed(
        comparison.only_a,
        comparison.only_b,
        comparison.examples,
        options.alpha,
        options.power,
        options.alternative,
    )
    .map_err(stats_error)?;
    Ok(Some(PlannerComparison {
        planner: cell.planner.clone(),
        label: cell.label.clone(),
        accuracy: cell.accuracy,
        // Decided once the whole family is known (Holm).
        significant: false,
        holm_p_value: comparison.p_value,
        family_size: 1,
        examples_needed,
        comparison,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(id: usize, correct: bool, seconds: f64) -> ExampleOutcome {
        ExampleOutcome {
            example_id: format!("ex{id}"),
            correct,
            seconds,
            llm_calls: 2.0,
            tokens: 100.0,
            flops: 0.0,
        }
    }

    fn cell(planner: &str, accuracy: Option<f64>, solved: usize, n: usize, seconds: f64) -> Cell {
        Cell {
            planner: planner.into(),
            accuracy,
            label: format!("{planner}-{accuracy:?}"),
            measured_accuracy: accuracy,
            outcomes: (0..n).map(|i| outcome(i, i < solved, seconds)).collect(),
        }
    }

    #[test]
    fn sweep_pairs_cells_with_the_baseline_at_the_same_accuracy() {
        let cells = vec![
            cell("mcts", Some(0.9), 80, 100, 4.0),
            cell("rerank", Some(0.5), 50, 100, 1.0),
            cell("mcts", Some(0.5), 50, 100, 3.0),
            cell("rerank", Some(0.9), 50, 100, 2.0),
        ];
        let analysis = analyse_sweep(&cells, &AnalysisOptions::default()).unwrap();
        assert!(analysis.is_sweep);
        let order: Vec<(&str, Option<f64>)> = analysis
            .cells
            .iter()
            .map(|c| (c.planner.as_str(), c.accuracy))
            .collect();
        assert_eq!(
            order,
            [
                ("rerank", Some(0.5)),
                ("rerank", Some(0.9)),
                ("mcts", Some(0.5)),
                ("mcts", Some(0.9))
            ]
        );
        let mcts_09 = &analysis.cells[3];
        assert_eq!(mcts_09.vs_baseline.unwrap().seconds, Some(2.0));
        assert_eq!(mcts_09.vs_baseline.unwrap().llm_calls, Some(1.0));
        assert_eq!(analysis.comparisons.len(), 2);
        let at_09 = &analysis.comparisons[1];
        assert_eq!((at_09.comparison.only_a, at_09.comparison.only_b), (30, 0));
        assert!(at_09.significant);
        assert!(!analysis.comparisons[0].significant);
        assert_eq!(analysis.thresholds.len(), 1);
        assert_eq!(analysis.thresholds[0].threshold, Some(0.9));
        assert_eq!(analysis.thresholds[0].compared_at, [0.5, 0.9]);
        assert!(analysis.notes.is_empty(), "{:?}", analysis.notes);
    }

    #[test]
    fn results_do_not_depend_on_cell_order() {
        let cells = vec![
            cell("rerank", Some(0.7), 40, 60, 1.0),
            cell("mcts", Some(0.7), 45, 60, 3.0),
        ];
        let reversed: Vec<Cell> = cells.iter().rev().cloned().collect();
        let options = AnalysisOptions::default();
        assert_eq!(
            analyse_sweep(&cells, &options).unwrap(),
            analyse_sweep(&reversed, &options).unwrap()
        );
    }

    #[test]
    fn missing_and_unpaired_examples_are_noted() {
        let mut partial = cell("mcts", Some(0.8), 5, 10, 1.0);
        partial.outcomes.truncate(8);
        let cells = vec![
            cell("rerank", Some(0.8), 5, 10, 1.0),
            partial,
            cell("mcts", Some(0.6), 5, 10, 1.0),
        ];
        let analysis = analyse_sweep(&cells, &AnalysisOptions::default()).unwrap();
        assert_eq!(analysis.comparisons.len(), 1);
        assert_eq!(analysis.comparisons[0].comparison.examples, 8);
        assert_eq!(analysis.notes.len(), 2, "{:?}", analysis.notes);
        assert!(analysis.notes[0].contains("no rerank cell"));
        assert!(analysis.notes[1].contains("2 examples not shared"));
    }

    #[test]
    fn runs_without_accuracy_compare_with_a_single_baseline_run() {
        let cells = vec![
            cell("greedy", None, 3, 10, 1.0),
            cell("rerank", None, 5, 10, 2.0),
        ];
        let analysis = analyse_sweep(&cells, &AnalysisOptions::default()).unwrap();
        assert!(!analysis.is_sweep);
        assert_eq!(analysis.comparisons.len(), 1);
        assert!(analysis.thresholds.is_empty());
        assert_eq!(analysis.cells[1].vs_baseline.unwrap().seconds, Some(0.5));
    }

    #[test]
    fn bad_cells_are_rejected_with_their_name() {
        let options = AnalysisOptions::default();
        let mut bad = cell("mcts", Some(0.8), 1, 2, 1.0);
        bad.outcomes[1].seconds = f64::NAN;
        let message = analyse_sweep(&[bad], &options).unwrap_err().to_string();
        assert!(
            message.contains("mcts-Some(0.8)") && message.contains("ex1"),
            "{message}"
        );

        let mut duplicate = cell("mcts", Some(0.8), 1, 2, 1.0);
        duplicate.outcomes[1].example_id = "ex0".into();
        let message = analyse_sweep(&[duplicate], &options)
            .unwrap_err()
            .to_string();
        assert!(message.contains("appears twice"), "{message}");

        let empty = cell("mcts", Some(0.8), 0, 0, 1.0);
        assert!(analyse_sweep(&[empty], &options).is_err());

        let twice = [
            cell("mcts", Some(0.8), 1, 2, 1.0),
            cell("mcts", Some(0.8000000001), 1, 2, 1.0),
        ];
        assert!(analyse_sweep(&twice, &options).is_err());

        let out_of_range = cell("mcts", Some(1.5), 1, 2, 1.0);
        assert!(analyse_sweep(&[out_of_range], &options).is_err());

        let bad_alpha = AnalysisOptions {
            alpha: 0.0,
            ..AnalysisOptions::default()
        };
        assert!(analyse_sweep(&[], &bad_alpha).is_err());
    }
}
