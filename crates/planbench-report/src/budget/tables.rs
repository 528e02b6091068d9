//! The budget report's tables: accuracy and cost per run, the compute-matched comparison and
//! accuracy by difficulty.

use super::{BudgetAnalysis, BudgetPoint, CostMeasure, MatchedComparison};
use crate::decision::Correction;
use crate::tables::{
    confidence_pct, not_enough_examples, paired_test_values, test_description, text, Table, Value,
    PAIRED_TEST_HEADERS,
};

/// The budget's axis and value (– for a run without a budget).
fn budget_values(budget: &Option<BudgetPoint>) -> [Value; 2] {
    match budget {
        Some(b) => [text(&b.axis), budget_value(b.value)],
        None => [Value::Number(None, 0), Value::Number(None, 0)],
    }
}

fn budget_value(value: f64) -> Value {
    Value::Number(Some(value), if value.fract() == 0.0 { 0 } else { 2 })
}

/// Every table, in report order.
pub(crate) fn budget_tables(analysis: &BudgetAnalysis) -> Vec<Table> {
    vec![
        points_table(analysis),
        matched_table(analysis),
        difficulty_table(analysis),
    ]
}

fn points_table(analysis: &BudgetAnalysis) -> Table {
    let o = &analysis.options.stats;
    Table {
        name: "budget_points",
        title: "Accuracy and cost per run",
        caption: format!(
            "Fraction of examples solved per run, with a {} percentile bootstrap confidence \
             interval over examples ({} resamples), and mean cost per example. FLOPs are \
             estimated as 2 × parameters × tokens (– where the model sizes are unknown). \
             Pareto-optimal on: the cost measures on which no other run has at least its \
             accuracy at no more cost (and one of the two strictly).",
            confidence_pct(o),
            o.resamples
        ),
        headers: vec![
            "Planner",
            "Run",
            "Budget axis",
            "Budget",
            "Examples",
            "Task accuracy",
            "CI low",
            "CI high",
            "Tokens / example",
            "FLOPs / example",
            "Seconds / example",
            "LLM calls / example",
            "Pareto-optimal on",
        ],
        rows: analysis
            .points
            .iter()
            .map(|p| {
                let s = &p.summary;
                let pareto: Vec<&str> = p.pareto.iter().map(|m| m.name()).collect();
                let mut row = vec![text(&s.planner), text(&s.label)];
                row.extend(budget_values(&p.budget));
                row.extend([
                    Value::Number(Some(s.examples as f64), 0),
                    Value::Fraction(Some(s.task_accuracy.mean)),
                    Value::Fraction(Some(s.task_accuracy.lo)),
                    Value::Fraction(Some(s.task_accuracy.hi)),
                    Value::Number(Some(s.tokens), 0),
                    Value::Scientific((s.flops > 0.0).then_some(s.flops)),
                    Value::Number(Some(s.seconds), 2),
                    Value::Number(Some(s.llm_calls), 2),
                    text(pareto.join(" ")),
                ]);
                row
            })
            .collect(),
    }
}

fn matched_table(analysis: &BudgetAnalysis) -> Table {
    let o = &analysis.options.stats;
    let mut headers = vec![
        "Planner",
        "Run",
        "Budget axis",
        "Budget",
        "Tokens / example",
        "Baseline",
        "Baseline run",
        "Baseline budget",
        "Baseline tokens / example",
        "Token ratio",
    ];
    headers.extend(PAIRED_TEST_HEADERS);
    Table {
        name: "compute_matched",
        title: "Compute-matched comparison",
        caption: format!(
            "Each run against the run of the baseline ({}) whose mean tokens per example are \
             nearest to its own (a tie goes to the cheaper baseline run); Token ratio = its \
             tokens / the baseline run's. Paired by example id. Difference = planner accuracy \
             − baseline accuracy with a {} paired bootstrap interval; Only planner / Only \
             baseline count the examples exactly one of the two solved; McNemar p is the {} \
             exact McNemar test on them, uncorrected, and Holm p the same Holm-adjusted within \
             the planner's runs against that baseline. Significant = planner better ({}). \
             Examples needed = paired examples the test would need for {:.0}% power if the \
             discordant rates stayed as observed (never = no number decides).",
            analysis.options.baselines.join(", "),
            confidence_pct(o),
            o.alternative.describe(),
            test_description(o),
            100.0 * o.power
        ),
        headers,
        rows: analysis
            .matched
            .iter()
            .map(|m| {
                let mut row = vec![text(&m.test.planner), text(&m.test.label)];
                row.extend(budget_values(&m.budget));
                row.extend([
                    Value::Number(Some(m.tokens), 0),
                    text(&m.baseline),
                    text(&m.baseline_label),
                ]);
                row.push(match &m.baseline_budget {
                    Some(b) => budget_value(b.value),
                    None => Value::Number(None, 0),
                });
                row.extend([
                    Value::Number(Some(m.baseline_tokens), 0),
                    Value::Number(m.token_ratio, 2),
                ]);
                row.extend(paired_test_values(&m.test));
                row
            })
            .collect(),
    }
}

fn difficulty_table(analysis: &BudgetAnalysis) -> Table {
    let ranges: Vec<&str> = super::DifficultyBin::ALL
        .iter()
        .map(|b| b.range())
        .collect();
    Table {
        name: "difficulty",
        title: "Accuracy by difficulty",
        caption: format!(
            "Each planner at its largest budget, on the examples grouped by the sample pool's \
             pass rate (the fraction of the pool's sampled programs that are correct) in bins \
             {}. Examples = the run's examples in the bin (examples without a pass rate are \
             left out); Accuracy = Solved / Examples (– for an empty bin).",
            ranges.join(", ")
        ),
        headers: vec![
            "Planner",
            "Run",
            "Budget axis",
            "Budget",
            "Pass-rate bin",
            "Examples",
            "Solved",
            "Accuracy",
        ],
        rows: analysis
            .difficulty
            .iter()
            .flat_map(|d| {
                d.bins.iter().map(move |b| {
                    let mut row = vec![text(&d.planner), text(&d.label)];
                    row.extend(budget_values(&d.budget));
                    row.extend([
                        text(b.bin.range()),
                        Value::Number(Some(b.examples as f64), 0),
                        Value::Number(Some(b.solved as f64), 0),
                        Value::Fraction(b.accuracy),
                    ]);
                    row
                })
            })
            .collect(),
    }
}

/// One line per measure naming the frontier's runs by ascending cost.
pub(crate) fn frontier_lines(analysis: &BudgetAnalysis) -> String {
    let mut out = String::new();
    for f in &analysis.frontiers {
        let runs: Vec<String> = f
            .points
            .iter()
            .map(|&i| {
                let p = &analysis.points[i];
                let budget = p
                    .budget
                    .as_ref()
                    .map(|b| format!(" {} = {}", b.axis, b.value))
                    .unwrap_or_default();
                format!(
                    "{}{budget} ({:.1}%)",
                    p.summary.planner,
                    100.0 * p.summary.task_accuracy.mean
                )
            })
            .collect();
        out.push_str(&format!(
            "- **{}**: {}\n",
            CostMeasure::name(f.measure),
            runs.join(" → ")
        ));
    }
    out
}

/// What one compute-matched test says: "better (p = 0.0100)", "worse (p = …)", "not enough
/// examples to decide (need ≈ N)" when the planner is ahead or behind with too few examples
/// for the power asked, else "no significant difference".
fn verdict(m: &MatchedComparison, analysis: &BudgetAnalysis) -> String {
    let o = &analysis.options.stats;
    let t = &m.test;
    let c = &t.comparison;
    let p = match o.correction {
        Correction::None => c.p_value,
        Correction::Holm => t.holm_p_value,
    };
    if t.significant {
        format!("better (p = {p:.4})")
    } else if c.only_b > c.only_a && p < o.alpha {
        format!("worse (p = {p:.4})")
    } else {
        match t.examples_needed {
            Some(n) if n > c.examples as u64 => not_enough_examples(n),
            _ => "no significant difference".to_string(),
        }
    }
}

/// One line per planner and baseline: the verdict at each of the planner's budgets.
pub(crate) fn verdict_lines(analysis: &BudgetAnalysis) -> String {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for m in &analysis.matched {
        let pair = (m.test.planner.as_str(), m.baseline.as_str());
        if !pairs.contains(&pair) {
            pairs.push(pair);
        }
    }
    let mut out = String::new();
    for (planner, baseline) in pairs {
        let verdicts: Vec<String> = analysis
            .matched
            .iter()
            .filter(|m| m.test.planner == planner && m.baseline == baseline)
            .map(|m| {
                let at = match &m.budget {
                    Some(b) => format!("{} = {}", b.axis, b.value),
                    None => m.test.label.clone(),
                };
                format!("{at}: {}", verdict(m, analysis))
            })
            .collect();
        out.push_str(&format!(
            "- **{planner}** vs {baseline} at equal tokens: {}\n",
            verdicts.join("; ")
        ));
    }
    out
}
