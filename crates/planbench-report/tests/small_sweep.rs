//! Plots of a small sweep, where series coincide and confidence intervals are wide: the case
//! the plots must stay readable in. Set `PLANBENCH_PLOT_DIR` to keep the files for a look.

use std::path::PathBuf;

use planbench_report::{
    analyse_sweep, write_report, Alternative, AnalysisOptions, Cell, Correction, ExampleOutcome,
};

const EXAMPLES: usize = 10;

/// A cell solving `solved` of the examples, with the same cost at every accuracy.
fn cell(planner: &str, accuracy: f64, solved: usize, seconds: f64, calls: f64) -> Cell {
    sized_cell(EXAMPLES, planner, accuracy, solved, seconds, calls)
}

fn sized_cell(
    examples: usize,
    planner: &str,
    accuracy: f64,
    solved: usize,
    seconds: f64,
    calls: f64,
) -> Cell {
    Cell {
        planner: planner.into(),
        accuracy: Some(accuracy),
        label: format!("{planner}@{accuracy:.1}"),
        measured_accuracy: Some(accuracy),
        outcomes: (0..examples)
            .map(|i| ExampleOutcome {
                example_id: format!("gsm8k-{i}"),
                correct: i < solved,
                seconds: seconds * (1.0 + (i % 3) as f64 / 10.0),
                llm_calls: calls,
                tokens: calls * 250.0,
                flops: 0.0,
            })
            .collect(),
    }
}

/// rerank and tree solve the same examples up to 0.7, then tree solves one and two more;
/// correct trails rerank by one.
fn small_sweep() -> Vec<Cell> {
    let mut cells = Vec::new();
    for (accuracy, solved, tree_extra) in [(0.5, 4, 0), (0.7, 5, 0), (0.9, 6, 1), (1.0, 7, 2)] {
        cells.push(cell("rerank", accuracy, solved, 2.0, 6.0));
        cells.push(cell("correct", accuracy, solved - 1, 2.2, 6.5));
        cells.push(cell("tree", accuracy, solved + tree_extra, 9.0, 21.0));
    }
    cells
}

fn out_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    match std::env::var_os("PLANBENCH_PLOT_DIR") {
        Some(dir) => (None, PathBuf::from(dir)),
        None => {
            let temp = tempfile::tempdir().unwrap();
            let path = temp.path().to_path_buf();
            (Some(temp), path)
        }
    }
}

#[test]
fn small_sweep_plots_are_written() {
    let (_keep, dir) = out_dir();
    let analysis = analyse_sweep(&small_sweep(), &AnalysisOptions::default()).unwrap();
    let files = write_report(&dir, "GSM8K small sweep", &analysis).unwrap();
    assert!(files.warnings.is_empty(), "{:?}", files.warnings);
    assert_eq!(files.plots.len(), 6);
    // Wide intervals and few points: error bars, not bands; rerank and tree coincide at 0.5
    // and 0.7, so the planners are dodged.
    let svg = std::fs::read_to_string(dir.join("accuracy_vs_discriminator.svg")).unwrap();
    assert!(svg.contains("vertical bar:") && !svg.contains("shaded band:"));
    assert!(svg.contains("slightly apart"));
}

#[test]
fn a_large_sweep_keeps_its_bands() {
    // 600 examples and six accuracies: intervals of about ±4 points, bands stay readable.
    let (_keep, dir) = out_dir();
    let dir = dir.join("large");
    let mut cells = Vec::new();
    for (i, accuracy) in [0.5, 0.6, 0.7, 0.8, 0.9, 1.0].into_iter().enumerate() {
        let base = 150 + 40 * i;
        cells.push(sized_cell(600, "rerank", accuracy, base, 2.0, 6.0));
        cells.push(sized_cell(
            600,
            "tree",
            accuracy,
            base + 15 * i,
            9.0 + i as f64,
            21.0,
        ));
        cells.push(sized_cell(600, "vote", accuracy, 260, 2.5, 6.0));
    }
    let analysis = analyse_sweep(&cells, &AnalysisOptions::default()).unwrap();
    write_report(&dir, "GSM8K large sweep", &analysis).unwrap();
    let svg = std::fs::read_to_string(dir.join("accuracy_vs_discriminator.svg")).unwrap();
    assert!(svg.contains("shaded band:") && !svg.contains("vertical bar:"));
}

#[test]
fn too_few_examples_say_how_many_would_decide() {
    let dir = tempfile::tempdir().unwrap();
    let analysis = analyse_sweep(&small_sweep(), &AnalysisOptions::default()).unwrap();
    let tree = analysis
        .thresholds
        .iter()
        .find(|t| t.planner == "tree")
        .unwrap();
    // At 1.0 tree alone solves 2 of 10 examples: p_disc = δ = 0.2,
    // (1.959964·√0.2 + 0.841621·√0.16)² / 0.04 = 36.79 -> 37.
    assert_eq!((tree.threshold, tree.examples_needed), (None, Some(37)));
    let correct = analysis
        .thresholds
        .iter()
        .find(|t| t.planner == "correct")
        .unwrap();
    assert_eq!((correct.threshold, correct.examples_needed), (None, None));
    let files = write_report(dir.path(), "GSM8K small sweep", &analysis).unwrap();
    let report = std::fs::read_to_string(&files.markdown).unwrap();
    assert!(
        report.contains("- **tree**: not enough examples to decide (need ≈ 37)"),
        "{report}"
    );
    assert!(report.contains("| tree | not enough examples to decide (need ≈ 37) | none |"));
    assert!(report.contains("- **correct**: threshold none in range"));
    let svg = std::fs::read_to_string(dir.path().join("accuracy_vs_discriminator.svg")).unwrap();
    // The legend wraps its text by words.
    assert!(svg.contains("enough") && svg.contains("37)"), "{svg}");

    // One-sided: z = 1.644854 instead of 1.959964: 28.74 -> 29, and the report says so.
    let one_sided = AnalysisOptions {
        alternative: Alternative::Greater,
        ..AnalysisOptions::default()
    };
    let analysis = analyse_sweep(&small_sweep(), &one_sided).unwrap();
    let tree_at_1 = analysis
        .comparisons
        .iter()
        .find(|c| c.planner == "tree" && c.accuracy == Some(1.0))
        .unwrap();
    // P(X >= 2) for X ~ Binomial(2, 1/2) = 1/4, half the two-sided 1/2.
    assert!((tree_at_1.comparison.p_value - 0.25).abs() < 1e-12);
    assert_eq!(tree_at_1.examples_needed, Some(29));
    let files = write_report(dir.path(), "GSM8K small sweep", &analysis).unwrap();
    let report = std::fs::read_to_string(&files.markdown).unwrap();
    assert!(report.contains("one-sided (alternative: the planner is better) exact McNemar test"));
    assert!(report.contains("(need ≈ 29)"));
}

#[test]
fn holm_correction_can_decide_significance() {
    // 30 examples; tree alone solves 6 at 0.9 and 8 at 1.0: one-sided p = 1/64 and 1/256.
    let cells: Vec<Cell> = [(0.9, 6), (1.0, 8)]
        .into_iter()
        .flat_map(|(a, extra)| {
            let mut rerank = cell("rerank", a, 10, 1.0, 1.0);
            let mut tree = cell("tree", a, 10 + extra, 1.0, 1.0);
            for c in [&mut rerank, &mut tree] {
                c.outcomes.extend((10..30).map(|i| ExampleOutcome {
                    example_id: format!("gsm8k-{i}"),
                    correct: c.planner == "tree" && i < 10 + extra,
                    seconds: 1.0,
                    llm_calls: 1.0,
                    tokens: 1.0,
                    flops: 0.0,
                }));
            }
            [rerank, tree]
        })
        .collect();
    let options = |correction| AnalysisOptions {
        alternative: Alternative::Greater,
        correction,
        alpha: 0.02,
        ..AnalysisOptions::default()
    };
    let plain = analyse_sweep(&cells, &options(Correction::None)).unwrap();
    let holm = analyse_sweep(&cells, &options(Correction::Holm)).unwrap();
    let at = |a: &planbench_report::SweepAnalysis, acc: f64| {
        let c = a
            .comparisons
            .iter()
            .find(|c| c.accuracy == Some(acc))
            .unwrap()
            .clone();
        // Rounded to 12 digits: the binomial tails are summed in log space.
        let round = |p: f64| (p * 1e12).round() / 1e12;
        (
            round(c.comparison.p_value),
            round(c.holm_p_value),
            c.significant,
        )
    };
    // Holm: 2 · 1/256 = 1/128 at 1.0; max(1/128, 1 · 1/64) = 1/64 at 0.9; both below 0.02.
    let round = |p: f64| (p * 1e12).round() / 1e12;
    let (p64, p128, p256) = (round(1.0 / 64.0), round(1.0 / 128.0), round(1.0 / 256.0));
    assert_eq!(at(&plain, 0.9), (p64, p64, true));
    assert_eq!(at(&plain, 1.0), (p256, p128, true));
    assert_eq!(at(&holm, 0.9), (p64, p64, true));
    let strict = AnalysisOptions {
        alpha: 0.015,
        ..options(Correction::Holm)
    };
    let strict = analyse_sweep(&cells, &strict).unwrap();
    // 1/64 = 0.0156 is above 0.015, 1/128 below: the threshold moves from 0.9 to 1.0.
    assert!(!at(&strict, 0.9).2);
    assert_eq!(strict.thresholds[0].threshold, Some(1.0));
    let dir = tempfile::tempdir().unwrap();
    let files = write_report(dir.path(), "Holm", &holm).unwrap();
    let report = std::fs::read_to_string(&files.markdown).unwrap();
    assert!(report.contains("after the Holm correction"), "{report}");
}

#[test]
fn a_comparison_of_runs_draws_points_apart() {
    // Outside a sweep: greedy and rerank cost the same and solve the same share.
    let (_keep, dir) = out_dir();
    let dir = dir.join("runs");
    let mut cells = vec![
        sized_cell(30, "greedy", 0.0, 12, 1.0, 1.0),
        sized_cell(30, "rerank", 0.0, 12, 1.0, 1.0),
        sized_cell(30, "tree", 0.0, 18, 8.0, 20.0),
    ];
    for c in &mut cells {
        c.accuracy = None;
        c.measured_accuracy = None;
        c.label = format!("run-{}", c.planner);
    }
    let analysis = analyse_sweep(&cells, &AnalysisOptions::default()).unwrap();
    let files = write_report(&dir, "Three runs", &analysis).unwrap();
    assert_eq!(files.plots.len(), 4);
}
