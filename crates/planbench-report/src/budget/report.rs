//! Writing the budget report: `budget.md`, its CSV tables, `budget.json` and the
//! accuracy-vs-cost plots.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::tables::{budget_tables, frontier_lines, verdict_lines};
use super::{BudgetAnalysis, CostMeasure};
use crate::plots::{self, AccuracyVsBudget};
use crate::report::{
    draw_if_font, notes_section, tables_and_plots, write_csv, write_file, write_json, ReportError,
    ReportFiles,
};
use crate::tables::test_description;

/// Writes the budget report of `analysis` into `dir` (created if missing).
///
/// Files: `budget.md`; `budget_points.csv`, `compute_matched.csv` and `difficulty.csv`;
/// `budget.json` (the analysis); and PNG + SVG plots `accuracy_vs_tokens`,
/// `accuracy_vs_flops` (only when some run has FLOPs; `budget.md` says so otherwise),
/// `accuracy_vs_seconds` and `accuracy_vs_calls`. Without a font for plot text the plots are
/// skipped with a warning instead of failing.
///
/// ```no_run
/// # use std::collections::HashMap;
/// # use planbench_report::*;
/// # fn cells() -> Vec<BudgetCell> { Vec::new() }
/// let pass_rates: HashMap<String, f64> = HashMap::from([("gsm8k-0".to_string(), 0.25)]);
/// let analysis = analyse_budget(&cells(), &pass_rates, &BudgetOptions::default())?;
/// let files = write_budget_report("out/gsm8k".as_ref(), "GSM8K budgets", &analysis)?;
/// # Ok::<(), ReportError>(())
/// ```
pub fn write_budget_report(
    dir: &Path,
    title: &str,
    analysis: &BudgetAnalysis,
) -> Result<ReportFiles, ReportError> {
    if analysis.points.is_empty() {
        return Err(ReportError::NoCells);
    }
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let tables = budget_tables(analysis);
    let csv = write_csv(dir, &tables)?;
    let json = write_json(&dir.join("budget.json"), analysis)?;
    let (plots, warnings) = draw_if_font(|| draw_plots(dir, title, analysis))?;
    let mut out = format!("# {title}\n\n");
    out.push_str(&introduction(analysis));
    for warning in &warnings {
        let _ = writeln!(out, "> **Warning:** {warning}\n");
    }
    out.push_str(&tables_and_plots(&tables, &plots));
    out.push_str(&notes_section(&analysis.notes));
    let markdown = dir.join("budget.md");
    write_file(&markdown, &out)?;
    Ok(ReportFiles {
        markdown,
        csv,
        json,
        plots,
        warnings,
    })
}

/// The measures plotted: every one but FLOPs when no run has them.
fn plotted(analysis: &BudgetAnalysis) -> impl Iterator<Item = CostMeasure> + '_ {
    CostMeasure::ALL
        .into_iter()
        .filter(|m| *m != CostMeasure::Flops || analysis.flops_known)
}

fn draw_plots(
    dir: &Path,
    title: &str,
    analysis: &BudgetAnalysis,
) -> Result<Vec<PathBuf>, ReportError> {
    let mut files = Vec::new();
    for measure in plotted(analysis) {
        let figure = AccuracyVsBudget {
            title,
            analysis,
            measure,
        };
        files.extend(plots::render(&figure, dir)?);
    }
    Ok(files)
}

fn introduction(analysis: &BudgetAnalysis) -> String {
    let planners = analysis
        .points
        .iter()
        .fold(Vec::<&str>::new(), |mut seen, p| {
            if !seen.contains(&p.summary.planner.as_str()) {
                seen.push(&p.summary.planner);
            }
            seen
        });
    let mut out = format!(
        "Accuracy against compute: {} runs of {} planners ({}). Each planner's runs at its \
         budgets form one curve of task accuracy against mean cost per example; a run is \
         Pareto-optimal on a cost measure when no other run has at least its accuracy at no \
         more cost (and one of the two strictly). Each run is compared with the run of every \
         baseline ({}) nearest to it in mean tokens per example.\n\n",
        analysis.points.len(),
        planners.len(),
        planners.join(", "),
        analysis.options.baselines.join(", "),
    );
    if !analysis.flops_known {
        out.push_str(
            "> **FLOPs unknown:** no run has a FLOPs estimate (the model parameter counts are \
             unknown), so the accuracy-vs-FLOPs plot is skipped.\n\n",
        );
    }
    out.push_str("Pareto frontier per cost measure, by ascending cost:\n\n");
    out.push_str(&frontier_lines(analysis));
    out.push('\n');
    let verdicts = verdict_lines(analysis);
    if !verdicts.is_empty() {
        let _ = writeln!(
            out,
            "Each planner against each baseline at the nearest equal tokens ({}):\n",
            test_description(&analysis.options.stats)
        );
        out.push_str(&verdicts);
        out.push('\n');
    }
    out
}
