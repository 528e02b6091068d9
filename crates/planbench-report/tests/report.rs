//! Report generation on small fixtures: files, tables, and decodable plots.

use std::fs::File;
use std::path::Path;

use planbench_report::{analyse_sweep, write_report, AnalysisOptions, Cell, ExampleOutcome};

const EXAMPLES: usize = 60;
const ACCURACIES: [f64; 6] = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

/// `solved` of the examples correct; seconds grow with the example index, one slow outlier.
fn cell(planner: &str, accuracy: Option<f64>, solved: usize, base_seconds: f64) -> Cell {
    Cell {
        planner: planner.into(),
        accuracy,
        label: match accuracy {
            Some(a) => format!("{planner}@{a:.1}"),
            None => format!("run-{planner}"),
        },
        measured_accuracy: accuracy.map(|a| (a - 0.013_f64).max(0.0)),
        outcomes: (0..EXAMPLES)
            .map(|i| ExampleOutcome {
                example_id: format!("spider-dev-{i}"),
                correct: i < solved,
                seconds: base_seconds
                    * (1.0 + (i % 7) as f64 / 10.0)
                    * if i == 3 { 8.0 } else { 1.0 },
                llm_calls: base_seconds * 2.0,
                tokens: base_seconds * 300.0,
                flops: 0.0,
            })
            .collect(),
    }
}

/// rerank solves half at every accuracy; MCTS solves 20 more examples from 0.9 on; iterative
/// correction is never better than rerank.
fn sweep() -> Vec<Cell> {
    let mut cells = Vec::new();
    for a in ACCURACIES {
        cells.push(cell("rerank", Some(a), 30, 1.0));
        cells.push(cell("mcts", Some(a), if a >= 0.9 { 50 } else { 30 }, 12.0));
        cells.push(cell("iterative", Some(a), 28, 4.0));
    }
    cells
}

fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(File::open(path).unwrap());
    let reader = decoder.read_info().unwrap();
    (reader.info().width, reader.info().height)
}

#[test]
fn sweep_report_writes_tables_and_plots() {
    let dir = tempfile::tempdir().unwrap();
    let title = "Spider sweep fixture";
    let analysis = analyse_sweep(&sweep(), &AnalysisOptions::default()).unwrap();
    let thresholds: Vec<(&str, Option<f64>)> = analysis
        .thresholds
        .iter()
        .map(|t| (t.planner.as_str(), t.threshold))
        .collect();
    assert_eq!(thresholds, [("mcts", Some(0.9)), ("iterative", None)]);

    let files = write_report(dir.path(), title, &analysis).unwrap();
    assert!(files.warnings.is_empty(), "{:?}", files.warnings);
    let names = |paths: &[std::path::PathBuf]| -> Vec<String> {
        paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(
        names(&files.csv),
        [
            "accuracy.csv",
            "discriminator.csv",
            "thresholds.csv",
            "comparisons.csv",
            "efficiency.csv"
        ]
    );
    assert_eq!(
        names(&files.plots),
        [
            "accuracy_vs_discriminator.png",
            "accuracy_vs_discriminator.svg",
            "accuracy_vs_cost.png",
            "accuracy_vs_cost.svg",
            "cost_distribution.png",
            "cost_distribution.svg"
        ]
    );
    assert_eq!(
        png_size(&dir.path().join("accuracy_vs_discriminator.png")),
        (1400, 800)
    );
    assert_eq!(
        png_size(&dir.path().join("accuracy_vs_cost.png")),
        (1600, 700)
    );
    assert_eq!(
        png_size(&dir.path().join("cost_distribution.png")),
        (1400, 750)
    );
    for svg in files
        .plots
        .iter()
        .filter(|p| p.extension().unwrap() == "svg")
    {
        let text = std::fs::read_to_string(svg).unwrap();
        assert!(text.contains(title), "{} lacks the title", svg.display());
        assert!(text.contains("<text"), "{}", svg.display());
    }
    let svg = std::fs::read_to_string(dir.path().join("accuracy_vs_discriminator.svg")).unwrap();
    assert!(svg.contains("mcts ≥ 0.90"), "threshold label missing");
    assert!(svg.contains("iterative: no threshold in range"));

    let report = std::fs::read_to_string(&files.markdown).unwrap();
    assert!(report.starts_with("# Spider sweep fixture\n"));
    assert!(report.contains(
        "**mcts** is significantly better than rerank from discriminator accuracy **0.90**"
    ));
    assert!(
        report.contains("| iterative | none in range | none | 0.50 0.60 0.70 0.80 0.90 1.00 | – |")
    );
    assert!(report.contains("two-sided exact McNemar test"), "{report}");
    assert!(report.contains("Holm-adjusted p-values are reported beside"));
    assert!(report.contains("![accuracy_vs_discriminator](accuracy_vs_discriminator.png)"));
    // mcts at 0.9: 50/60 solved; 12 s per example vs 1 s for rerank.
    assert!(
        report.contains("| mcts | mcts@0.9 | 0.90 | 60 | 83.3% |"),
        "{report}"
    );
    assert!(
        report.contains("| 24.00 | 3600 | 12.00 | 12.00 | 12.00 |"),
        "{report}"
    );

    let thresholds_csv = std::fs::read_to_string(dir.path().join("thresholds.csv")).unwrap();
    assert_eq!(
        thresholds_csv.lines().collect::<Vec<_>>(),
        [
            "planner,threshold,significantly_better_at,compared_at,examples_needed",
            "mcts,0.90,0.90 1.00,0.50 0.60 0.70 0.80 0.90 1.00,",
            "iterative,none in range,none,0.50 0.60 0.70 0.80 0.90 1.00,",
        ]
    );
    let comparisons = std::fs::read_to_string(dir.path().join("comparisons.csv")).unwrap();
    let mcts_09 = comparisons
        .lines()
        .find(|l| l.starts_with("mcts,mcts@0.9,"))
        .unwrap();
    // 20 discordant pairs all won by mcts: p = 2 / 2^20. Holm over the six accuracies (p = 1
    // at the four where both solve the same examples): 6 · p at 0.9 and 1.0. Examples needed:
    // p_disc = δ = 1/3, (1.959964·√(1/3) + 0.841621·√(2/9))² · 9 = 21.02 -> 22.
    let p = 2.0 / 1048576.0;
    assert!(
        mcts_09.ends_with(&format!(",20,0,{p},{},yes,22", 6.0 * p)),
        "{mcts_09}"
    );
    let header = comparisons.lines().next().unwrap();
    assert!(
        header.ends_with("mcnemar_p,holm_p,significant,examples_needed"),
        "{header}"
    );
    // iterative at 1.0: 28 vs 30 solved, behind by 2 of 60 (two-sided: |δ|, 233.09 -> 234).
    let iterative = comparisons
        .lines()
        .find(|l| l.starts_with("iterative,iterative@1.0,"))
        .unwrap();
    assert!(iterative.ends_with(",no,234"), "{iterative}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&files.json).unwrap()).unwrap();
    assert_eq!(json["cells"].as_array().unwrap().len(), 18);
}

#[test]
fn comparison_of_runs_skips_the_sweep_plot() {
    let dir = tempfile::tempdir().unwrap();
    let cells = vec![
        cell("greedy", None, 20, 0.5),
        cell("rerank", None, 30, 1.0),
        cell("mcts", None, 35, 9.0),
    ];
    let analysis = analyse_sweep(&cells, &AnalysisOptions::default()).unwrap();
    assert!(analysis.thresholds.is_empty());
    let files = write_report(dir.path(), "Three runs", &analysis).unwrap();
    assert_eq!(files.csv.len(), 3);
    assert_eq!(files.plots.len(), 4);
    assert!(!dir.path().join("accuracy_vs_discriminator.png").exists());
    assert_eq!(
        png_size(&dir.path().join("accuracy_vs_cost.png")),
        (1600, 700)
    );
    let report = std::fs::read_to_string(&files.markdown).unwrap();
    assert!(report.contains("a comparison of runs"));
    assert!(!report.contains("threshold"), "{report}");
    assert!(
        report.contains("| 1.00 | 150 | 0.50 | 0.50 | 0.50 |"),
        "{report}"
    );
}

#[test]
fn single_run_report() {
    let dir = tempfile::tempdir().unwrap();
    let analysis = analyse_sweep(
        &[cell("rerank", None, 12, 2.0)],
        &AnalysisOptions::default(),
    )
    .unwrap();
    let files = write_report(dir.path(), "One run", &analysis).unwrap();
    assert!(files.markdown.exists());
    assert!(analysis.comparisons.is_empty());
    let svg = std::fs::read_to_string(dir.path().join("cost_distribution.svg")).unwrap();
    assert!(svg.contains("One run: distribution of seconds per example"));
}
