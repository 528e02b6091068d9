//! The report's tables, each rendered both as Markdown (for people) and CSV (for tools).

use crate::analysis::{
    AnalysisOptions, CellSummary, PlannerComparison, PlannerThreshold, SweepAnalysis,
};
use crate::decision::Correction;

/// One table cell; numbers keep full precision in CSV and are rounded in Markdown.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(String),
    /// A fraction, shown as a percentage in Markdown.
    Fraction(Option<f64>),
    /// A plain number with this many decimals in Markdown.
    Number(Option<f64>, usize),
    /// A number shown in scientific notation in Markdown (e.g. FLOPs).
    Scientific(Option<f64>),
    Probability(f64),
    /// A number of examples; `None` (no number decides) shows as "never" in Markdown.
    Needed(Option<u64>),
}

impl Value {
    fn markdown(&self) -> String {
        match self {
            Value::Text(s) => s.replace('|', "\\|").replace('\n', " "),
            Value::Fraction(Some(f)) => format!("{:.1}%", 100.0 * f),
            Value::Number(Some(x), decimals) => format!("{x:.decimals$}"),
            Value::Scientific(Some(x)) => format!("{x:.2e}"),
            Value::Probability(p) if *p < 1e-4 => "< 0.0001".to_string(),
            Value::Probability(p) => format!("{p:.4}"),
            Value::Fraction(None) | Value::Number(None, _) | Value::Scientific(None) => {
                "–".to_string()
            }
            Value::Needed(Some(n)) => n.to_string(),
            Value::Needed(None) => "never".to_string(),
        }
    }

    fn csv(&self) -> String {
        match self {
            Value::Text(s) if s.contains([',', '"', '\n', '\r']) => {
                format!("\"{}\"", s.replace('"', "\"\""))
            }
            Value::Text(s) => s.clone(),
            Value::Fraction(Some(x))
            | Value::Number(Some(x), _)
            | Value::Scientific(Some(x))
            | Value::Probability(x) => format!("{x}"),
            Value::Fraction(None)
            | Value::Number(None, _)
            | Value::Scientific(None)
            | Value::Needed(None) => String::new(),
            Value::Needed(Some(n)) => n.to_string(),
        }
    }
}

/// A text cell.
pub(crate) fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// A titled table with a CSV file name.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// File stem of the CSV file.
    pub name: &'static str,
    pub title: &'static str,
    /// What the columns mean, printed under the title.
    pub caption: String,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn to_markdown(&self) -> String {
        let mut out = format!("## {}\n\n{}\n\n", self.title, self.caption);
        if self.rows.is_empty() {
            out.push_str("_No rows._\n");
            return out;
        }
        out.push_str(&format!("| {} |\n", self.headers.join(" | ")));
        out.push_str(&format!("|{}\n", "---|".repeat(self.headers.len())));
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(Value::markdown).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out
    }

    pub fn to_csv(&self) -> String {
        let header: Vec<String> = self.headers.iter().map(|h| csv_header(h)).collect();
        let mut out = header.join(",") + "\n";
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(Value::csv).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }
}

/// `"Seconds / example"` becomes `seconds_per_example`.
fn csv_header(header: &str) -> String {
    let mut out = String::new();
    for word in header
        .replace('/', " per ")
        .replace('%', " pct ")
        .replace('×', " vs ")
        .replace('−', " minus ")
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}

fn nominal(cell_accuracy: Option<f64>) -> Value {
    Value::Number(cell_accuracy, 2)
}

/// Every table of the report, in report order; the discriminator and threshold tables only
/// for sweeps.
pub(crate) fn all_tables(analysis: &SweepAnalysis) -> Vec<Table> {
    let mut tables = vec![accuracy_table(analysis)];
    if analysis.is_sweep {
        tables.push(discriminator_table(analysis));
        tables.push(threshold_table(analysis));
    }
    tables.push(comparison_table(analysis));
    tables.push(efficiency_table(analysis));
    tables
}

/// The bootstrap coverage as a percentage, e.g. "95%".
pub(crate) fn confidence_pct(options: &AnalysisOptions) -> String {
    format!("{:.0}%", 100.0 * options.confidence)
}

fn accuracy_table(analysis: &SweepAnalysis) -> Table {
    let conf = confidence_pct(&analysis.options);
    Table {
        name: "accuracy",
        title: "Task accuracy",
        caption: format!(
            "Fraction of examples solved per run, with a {conf} percentile bootstrap confidence \
             interval over examples ({} resamples). Discriminator accuracy is the nominal accuracy \
             of the simulated discriminator (– outside a sweep).",
            analysis.options.resamples
        ),
        headers: vec![
            "Planner",
            "Run",
            "Discriminator accuracy",
            "Examples",
            "Task accuracy",
            "CI low",
            "CI high",
        ],
        rows: analysis
            .cells
            .iter()
            .map(|c| {
                vec![
                    text(&c.planner),
                    text(&c.label),
                    nominal(c.accuracy),
                    Value::Number(Some(c.examples as f64), 0),
                    Value::Fraction(Some(c.task_accuracy.mean)),
                    Value::Fraction(Some(c.task_accuracy.lo)),
                    Value::Fraction(Some(c.task_accuracy.hi)),
                ]
            })
            .collect(),
    }
}

fn discriminator_table(analysis: &SweepAnalysis) -> Table {
    Table {
        name: "discriminator",
        title: "Discriminator accuracy: nominal vs measured",
        caption: "Nominal accuracy the simulated discriminator was set to, and the accuracy it \
                  actually had during the run (– where the run did not record it)."
            .to_string(),
        headers: vec![
            "Planner",
            "Run",
            "Nominal accuracy",
            "Measured accuracy",
            "Measured − nominal",
        ],
        rows: analysis
            .cells
            .iter()
            .filter(|c| c.accuracy.is_some())
            .map(|c| {
                let gap = c.measured_accuracy.zip(c.accuracy).map(|(m, n)| m - n);
                vec![
                    text(&c.planner),
                    text(&c.label),
                    nominal(c.accuracy),
                    Value::Number(c.measured_accuracy, 3),
                    Value::Number(gap, 3),
                ]
            })
            .collect(),
    }
}

fn list(accuracies: &[f64]) -> Value {
    let items: Vec<String> = accuracies.iter().map(|a| format!("{a:.2}")).collect();
    text(if items.is_empty() {
        "none".to_string()
    } else {
        items.join(" ")
    })
}

/// The test that decides significance, e.g. "exact McNemar test, two-sided, alpha = 0.05,
/// no correction for multiple comparisons".
pub(crate) fn test_description(o: &AnalysisOptions) -> String {
    let correction = match o.correction {
        Correction::None => "no correction for multiple comparisons",
        Correction::Holm => "Holm-corrected within each planner's comparisons across accuracies",
    };
    format!(
        "exact McNemar test, {}, alpha = {}, {correction}",
        o.alternative.describe(),
        o.alpha
    )
}

/// "not enough examples to decide (need ≈ `needed`)".
pub(crate) fn not_enough_examples(needed: u64) -> String {
    format!("not enough examples to decide (need ≈ {needed})")
}

/// The threshold, or why there is none: "0.90", "not enough examples to decide (need ≈ 42)"
/// or "none in range".
pub(crate) fn threshold_text(t: &PlannerThreshold) -> String {
    match (t.threshold, t.examples_needed) {
        (Some(a), _) => format!("{a:.2}"),
        (None, Some(n)) => not_enough_examples(n),
        (None, None) => "none in range".to_string(),
    }
}

fn threshold_table(analysis: &SweepAnalysis) -> Table {
    let o = &analysis.options;
    Table {
        name: "thresholds",
        title: "Discriminator-accuracy threshold",
        caption: format!(
            "Lowest nominal discriminator accuracy from which the planner is significantly better \
             than {} at that accuracy and at every higher swept accuracy ({}). Without one, \
             \"not enough examples to decide\" means the planner is ahead at the highest swept \
             accuracy but not significantly, and Examples needed is about how many paired \
             examples the test would need there for {:.0}% power; \"none in range\" means it \
             is not ahead there, so more examples would not give a threshold.",
            o.baseline,
            test_description(o),
            100.0 * o.power
        ),
        headers: vec![
            "Planner",
            "Threshold",
            "Significantly better at",
            "Compared at",
            "Examples needed",
        ],
        rows: analysis
            .thresholds
            .iter()
            .map(|t| {
                vec![
                    text(&t.planner),
                    text(threshold_text(t)),
                    list(&t.significant_at),
                    list(&t.compared_at),
                    Value::Number(t.examples_needed.map(|n| n as f64), 0),
                ]
            })
            .collect(),
    }
}

fn comparison_table(analysis: &SweepAnalysis) -> Table {
    let o = &analysis.options;
    Table {
        name: "comparisons",
        title: "Paired comparison with the baseline",
        caption: format!(
            "Each planner against {base} on the examples both were run on \
             (paired by example id, same discriminator accuracy). Difference = planner accuracy − \
             {base} accuracy with a {conf} paired bootstrap interval. \"Only planner\" / \"Only \
             baseline\" count the examples exactly one of the two solved; McNemar p is the \
             {sides} exact McNemar test on them, uncorrected, and Holm p the same p-value \
             Holm-adjusted within the planner's comparisons at all discriminator accuracies. \
             Significant = planner better ({test}). Examples needed = paired examples the test \
             would need for {power:.0}% power at alpha = {alpha} (uncorrected) if the discordant \
             rates stayed \
             as observed (normal approximation, Connor 1987; never = no number decides: no \
             difference{behind}).",
            base = o.baseline,
            conf = confidence_pct(&analysis.options),
            sides = o.alternative.describe(),
            test = test_description(o),
            power = 100.0 * o.power,
            alpha = o.alpha,
            behind = match o.alternative {
                crate::Alternative::TwoSided => "",
                crate::Alternative::Greater => ", or the planner is behind",
            },
        ),
        headers: ["Planner", "Run", "Discriminator accuracy"]
            .into_iter()
            .chain(PAIRED_TEST_HEADERS)
            .collect(),
        rows: analysis
            .comparisons
            .iter()
            .map(|p| {
                [text(&p.planner), text(&p.label), nominal(p.accuracy)]
                    .into_iter()
                    .chain(paired_test_values(p))
                    .collect()
            })
            .collect(),
    }
}

/// Columns of a paired test of a planner (A) against a baseline (B), after those naming them.
pub(crate) const PAIRED_TEST_HEADERS: [&str; 12] = [
    "Paired examples",
    "Planner accuracy",
    "Baseline accuracy",
    "Difference",
    "Difference CI low",
    "Difference CI high",
    "Only planner",
    "Only baseline",
    "McNemar p",
    "Holm p",
    "Significant",
    "Examples needed",
];

/// The values of [`PAIRED_TEST_HEADERS`] for one comparison.
pub(crate) fn paired_test_values(p: &PlannerComparison) -> [Value; 12] {
    let c = &p.comparison;
    [
        Value::Number(Some(c.examples as f64), 0),
        Value::Fraction(Some(c.accuracy_a)),
        Value::Fraction(Some(c.accuracy_b)),
        Value::Fraction(Some(c.difference.mean)),
        Value::Fraction(Some(c.difference.lo)),
        Value::Fraction(Some(c.difference.hi)),
        Value::Number(Some(c.only_a as f64), 0),
        Value::Number(Some(c.only_b as f64), 0),
        Value::Probability(c.p_value),
        Value::Probability(p.holm_p_value),
        text(if p.significant { "yes" } else { "no" }),
        Value::Needed(p.examples_needed),
    ]
}

fn efficiency_table(analysis: &SweepAnalysis) -> Table {
    let ratio = |c: &CellSummary, pick: fn(&crate::CostRatios) -> Option<f64>| {
        Value::Number(c.vs_baseline.as_ref().and_then(pick), 2)
    };
    Table {
        name: "efficiency",
        title: "Efficiency",
        caption: format!(
            "Mean cost per example: wall-clock seconds, LLM calls and tokens (prompt + \
             completion). The \"× baseline\" columns divide by the mean cost of {base} at the same \
             discriminator accuracy (– without a {base} run to compare with).",
            base = analysis.options.baseline
        ),
        headers: vec![
            "Planner",
            "Run",
            "Discriminator accuracy",
            "Seconds / example",
            "LLM calls / example",
            "Tokens / example",
            "Seconds × baseline",
            "LLM calls × baseline",
            "Tokens × baseline",
        ],
        rows: analysis
            .cells
            .iter()
            .map(|c| {
                vec![
                    text(&c.planner),
                    text(&c.label),
                    nominal(c.accuracy),
                    Value::Number(Some(c.seconds), 2),
                    Value::Number(Some(c.llm_calls), 2),
                    Value::Number(Some(c.tokens), 0),
                    ratio(c, |r| r.seconds),
                    ratio(c, |r| r.llm_calls),
                    ratio(c, |r| r.tokens),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_render_for_people_and_for_tools() {
        let v = Value::Fraction(Some(0.72345));
        assert_eq!((v.markdown(), v.csv()), ("72.3%".into(), "0.72345".into()));
        let v = Value::Number(None, 2);
        assert_eq!((v.markdown(), v.csv()), ("–".into(), String::new()));
        let v = text("a|b, \"c\"");
        assert_eq!(v.markdown(), "a\\|b, \"c\"");
        assert_eq!(v.csv(), "\"a|b, \"\"c\"\"\"");
        assert_eq!(Value::Probability(1e-7).markdown(), "< 0.0001");
        assert_eq!(Value::Probability(0.109375).markdown(), "0.1094");
        let v = Value::Needed(None);
        assert_eq!((v.markdown(), v.csv()), ("never".into(), String::new()));
        let v = Value::Scientific(Some(1.5e15));
        assert_eq!(
            (v.markdown(), v.csv()),
            ("1.50e15".into(), "1500000000000000".into())
        );
        let v = Value::Needed(Some(42));
        assert_eq!((v.markdown(), v.csv()), ("42".into(), "42".into()));
    }

    #[test]
    fn csv_headers_are_snake_case() {
        assert_eq!(csv_header("Seconds / example"), "seconds_per_example");
        assert_eq!(csv_header("Measured − nominal"), "measured_minus_nominal");
        assert_eq!(csv_header("CI low"), "ci_low");
        assert_eq!(csv_header("Seconds × baseline"), "seconds_vs_baseline");
    }
}
