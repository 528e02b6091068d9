//! Writing a report directory: `report.md`, one CSV per table, `analysis.json` and the plots.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::analysis::SweepAnalysis;
use crate::plots::{self, AccuracyVsCost, AccuracyVsDiscriminator, CostDistribution};
use crate::stats::StatsError;
use crate::tables::{all_tables, threshold_text, Table};

/// Why an analysis or report failed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("invalid {cell}: {reason}")]
    InvalidCell { cell: String, reason: String },
    #[error("invalid option {name}: {reason}")]
    InvalidOption { name: &'static str, reason: String },
    #[error("statistics of {cell}: {source}")]
    Stats {
        cell: String,
        #[source]
        source: StatsError,
    },
    #[error("invalid pass rate of example '{example}': {rate} is not in [0, 1]")]
    InvalidPassRate { example: String, rate: f64 },
    #[error("nothing to report: no cells")]
    NoCells,
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot draw {}: {message}", path.display())]
    Plot { path: PathBuf, message: String },
}

/// What [`write_report`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFiles {
    pub markdown: PathBuf,
    pub csv: Vec<PathBuf>,
    pub json: PathBuf,
    /// PNG and SVG files of every plot.
    pub plots: Vec<PathBuf>,
    /// Why plots are missing (e.g. no font for plot text); also stated in `report.md`.
    pub warnings: Vec<String>,
}

/// Writes the report of `analysis` into `dir` (created if missing).
///
/// Files: `report.md`; `accuracy.csv`, `comparisons.csv`, `efficiency.csv` and, for a sweep,
/// `discriminator.csv` and `thresholds.csv`; `analysis.json`; and PNG + SVG plots
/// `accuracy_vs_cost`, `cost_distribution` and, for a sweep, `accuracy_vs_discriminator`.
/// Without a font for plot text the plots are skipped with a warning instead of failing.
pub fn write_report(
    dir: &Path,
    title: &str,
    analysis: &SweepAnalysis,
) -> Result<ReportFiles, ReportError> {
    if analysis.cells.is_empty() {
        return Err(ReportError::NoCells);
    }
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let tables = all_tables(analysis);
    let csv = write_csv(dir, &tables)?;
    let json = write_json(&dir.join("analysis.json"), analysis)?;
    let (plots, warnings) = draw_if_font(|| draw_plots(dir, title, analysis))?;
    let markdown = dir.join("report.md");
    write_file(
        &markdown,
        &markdown_report(title, analysis, &tables, &plots, &warnings),
    )?;
    Ok(ReportFiles {
        markdown,
        csv,
        json,
        plots,
        warnings,
    })
}

/// Writes `contents` to `path`.
pub(crate) fn write_file(path: &Path, contents: &str) -> Result<(), ReportError> {
    std::fs::write(path, contents).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes every table to `<dir>/<name>.csv`, returning the paths.
pub(crate) fn write_csv(dir: &Path, tables: &[Table]) -> Result<Vec<PathBuf>, ReportError> {
    let mut csv = Vec::with_capacity(tables.len());
    for table in tables {
        let path = dir.join(format!("{}.csv", table.name));
        write_file(&path, &table.to_csv())?;
        csv.push(path);
    }
    Ok(csv)
}

/// Writes `value` as pretty JSON to `path`, returning it.
pub(crate) fn write_json(
    path: &Path,
    value: &impl serde::Serialize,
) -> Result<PathBuf, ReportError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| ReportError::Io {
        path: path.to_path_buf(),
        source: e.into(),
    })?;
    write_file(path, &text)?;
    Ok(path.to_path_buf())
}

/// The plot files `draw` writes, or none and a warning why when there is no font for text.
pub(crate) fn draw_if_font(
    draw: impl FnOnce() -> Result<Vec<PathBuf>, ReportError>,
) -> Result<(Vec<PathBuf>, Vec<String>), ReportError> {
    match plots::ensure_font() {
        Ok(()) => Ok((draw()?, Vec::new())),
        Err(reason) => Ok((Vec::new(), vec![format!("plots skipped: {reason}")])),
    }
}

fn draw_plots(
    dir: &Path,
    title: &str,
    analysis: &SweepAnalysis,
) -> Result<Vec<PathBuf>, ReportError> {
    let mut files = Vec::new();
    if analysis.is_sweep {
        files.extend(plots::render(
            &AccuracyVsDiscriminator { title, analysis },
            dir,
        )?);
    }
    files.extend(plots::render(&AccuracyVsCost { title, analysis }, dir)?);
    files.extend(plots::render(&CostDistribution { title, analysis }, dir)?);
    Ok(files)
}

fn markdown_report(
    title: &str,
    analysis: &SweepAnalysis,
    tables: &[Table],
    plots: &[PathBuf],
    warnings: &[String],
) -> String {
    let o = &analysis.options;
    let mut out = format!("# {title}\n\n");
    let kind = if analysis.is_sweep {
        "a sweep of the simulated discriminator's accuracy"
    } else {
        "a comparison of runs"
    };
    let _ = writeln!(
        out,
        "Report on {kind}: {} runs. Baseline planner: {}. Confidence intervals: {:.0}% \
         percentile bootstrap over examples ({} resamples, seed {}). A planner counts as \
         significantly better than the baseline when the {} exact McNemar test on the \
         examples exactly one of them solved gives p < {}{} and the planner solved more of \
         them.\n",
        analysis.cells.len(),
        o.baseline,
        100.0 * o.confidence,
        o.resamples,
        o.seed,
        o.alternative.describe(),
        o.alpha,
        match o.correction {
            crate::Correction::None => " (uncorrected; Holm-adjusted p-values are reported beside)",
            crate::Correction::Holm =>
                " after the Holm correction within each planner's comparisons",
        },
    );
    if analysis.is_sweep {
        out.push_str(&threshold_summary(analysis));
    }
    for warning in warnings {
        let _ = writeln!(out, "> **Warning:** {warning}\n");
    }
    out.push_str(&tables_and_plots(tables, plots));
    out.push_str(&notes_section(&analysis.notes));
    out
}

/// Every table with a link to its CSV file, then a "Plots" section embedding each PNG with a
/// link to its SVG.
pub(crate) fn tables_and_plots(tables: &[Table], plots: &[PathBuf]) -> String {
    let mut out = String::new();
    for table in tables {
        out.push_str(&table.to_markdown());
        let _ = writeln!(out, "\nCSV: [{0}.csv]({0}.csv)\n", table.name);
    }
    if !plots.is_empty() {
        out.push_str("## Plots\n\n");
        for png in plots
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
        {
            let name = png
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            let stem = name.trim_end_matches(".png");
            let _ = writeln!(out, "![{stem}]({name})\n\nSVG: [{stem}.svg]({stem}.svg)\n");
        }
    }
    out
}

/// A "Notes" section listing `notes`; empty without notes.
pub(crate) fn notes_section(notes: &[String]) -> String {
    let mut out = String::new();
    if !notes.is_empty() {
        out.push_str("## Notes\n\n");
        for note in notes {
            let _ = writeln!(out, "- {note}");
        }
        out.push('\n');
    }
    out
}

/// One sentence per planner stating its threshold.
fn threshold_summary(analysis: &SweepAnalysis) -> String {
    let mut out = String::new();
    for t in &analysis.thresholds {
        let _ = match t.threshold {
            Some(a) => writeln!(
                out,
                "- **{}** is significantly better than {} from discriminator accuracy **{a:.2}** on.",
                t.planner, analysis.options.baseline
            ),
            None if t.examples_needed.is_some() => writeln!(
                out,
                "- **{}**: {}: it is ahead of {} at the highest swept discriminator accuracy, but \
                 not significantly; a test there needs about that many paired examples for \
                 {:.0}% power.",
                t.planner,
                threshold_text(t),
                analysis.options.baseline,
                100.0 * analysis.options.power
            ),
            None => writeln!(
                out,
                "- **{}**: threshold none in range (no swept discriminator accuracy from which it \
                 is significantly better than {} at that and every higher accuracy).",
                t.planner, analysis.options.baseline
            ),
        };
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}
