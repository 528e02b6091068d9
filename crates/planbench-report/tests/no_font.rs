//! Without a usable font the report still has its tables, and says why plots are missing.
//! (A test binary of its own: the font is loaded once per process.)

use planbench_report::{
    analyse_sweep, write_report, AnalysisOptions, Cell, ExampleOutcome, FONT_ENV,
};

#[test]
fn missing_font_skips_plots_with_a_warning() {
    std::env::set_var(FONT_ENV, "/nonexistent/planbench-font.ttf");
    let cell = Cell {
        planner: "rerank".into(),
        accuracy: None,
        label: "run-1".into(),
        measured_accuracy: None,
        outcomes: vec![ExampleOutcome {
            example_id: "gsm8k-0".into(),
            correct: true,
            seconds: 1.5,
            llm_calls: 3.0,
            tokens: 420.0,
            flops: 0.0,
        }],
    };
    let analysis = analyse_sweep(&[cell], &AnalysisOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files = write_report(dir.path(), "No font", &analysis).unwrap();
    assert!(files.plots.is_empty());
    assert_eq!(files.warnings.len(), 1);
    assert!(
        files.warnings[0].contains("/nonexistent/planbench-font.ttf"),
        "{:?}",
        files.warnings
    );
    let report = std::fs::read_to_string(&files.markdown).unwrap();
    assert!(
        report.contains(
            "> **Warning:** plots skipped: cannot read font /nonexistent/planbench-font.ttf"
        ),
        "{report}"
    );
    assert!(
        report.contains("| rerank | run-1 | – | 1 | 100.0% |"),
        "{report}"
    );
    assert_eq!(files.csv.len(), 3);
}
