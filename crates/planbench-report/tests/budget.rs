//! The budget report on a hand-built fixture whose frontier, matches, tests and bins are known.
//! Set `PLANBENCH_PLOT_DIR` to keep the report files for a look.

use std::collections::HashMap;
use std::fs::File;

use planbench_report::{
    analyse_budget, write_budget_report, BudgetCell, BudgetOptions, BudgetPoint, Cell, CostMeasure,
    DifficultyBin, ExampleOutcome, ReportError,
};

const EXAMPLES: usize = 20;

/// A run solving the last `solved` of the examples, with `tokens` per example (seconds and
/// calls proportional to them).
fn run(planner: &str, budget: Option<(&str, f64)>, solved: usize, tokens: f64) -> BudgetCell {
    let label = match budget {
        Some((_, v)) => format!("{planner}-{v}"),
        None => planner.to_string(),
    };
    BudgetCell {
        cell: Cell {
            planner: planner.into(),
            accuracy: None,
            label,
            measured_accuracy: None,
            outcomes: (0..EXAMPLES)
                .map(|i| ExampleOutcome {
                    example_id: format!("gsm8k-{i}"),
                    correct: i >= EXAMPLES - solved,
                    seconds: tokens / 100.0,
                    llm_calls: tokens / 100.0,
                    tokens,
                    flops: 0.0,
                })
                .collect(),
        },
        budget: budget.map(|(axis, value)| BudgetPoint {
            axis: axis.into(),
            value,
        }),
    }
}

/// (cost in tokens, accuracy): rerank (100, .40) (400, .50) (1600, .60); vote (100, .40)
/// (400, .55) (1600, .65); mcts (500, .50) (2000, .80); greedy (100, .40).
fn fixture() -> Vec<BudgetCell> {
    vec![
        run("mcts", Some(("iterations", 20.0)), 16, 2000.0),
        run("vote", Some(("n", 1.0)), 8, 100.0),
        run("rerank", Some(("n", 16.0)), 12, 1600.0),
        run("vote", Some(("n", 4.0)), 11, 400.0),
        run("rerank", Some(("n", 1.0)), 8, 100.0),
        run("mcts", Some(("iterations", 5.0)), 10, 500.0),
        run("vote", Some(("n", 16.0)), 13, 1600.0),
        run("rerank", Some(("n", 4.0)), 10, 400.0),
        run("greedy", None, 8, 100.0),
    ]
}

/// Pass rates 0 (examples 0–3), 0.25 (4–7), 0.5 (8–11), 0.75 (12–15), 1 (16–18); example 19
/// has none.
fn pass_rates() -> HashMap<String, f64> {
    (0..EXAMPLES - 1)
        .map(|i| (format!("gsm8k-{i}"), (i / 4) as f64 * 0.25))
        .collect()
}

fn options() -> BudgetOptions {
    let mut options = BudgetOptions::default();
    options.stats.resamples = 200;
    options
}

#[test]
fn analysis_orders_runs_finds_the_frontier_and_matches_by_tokens() {
    let analysis = analyse_budget(&fixture(), &pass_rates(), &options()).unwrap();
    let order: Vec<&str> = analysis
        .points
        .iter()
        .map(|p| p.summary.label.as_str())
        .collect();
    assert_eq!(
        order,
        [
            "rerank-1",
            "rerank-4",
            "rerank-16",
            "vote-1",
            "vote-4",
            "vote-16",
            "mcts-5",
            "mcts-20",
            "greedy"
        ]
    );
    assert!(!analysis.flops_known);
    let measures: Vec<CostMeasure> = analysis.frontiers.iter().map(|f| f.measure).collect();
    assert_eq!(
        measures,
        [
            CostMeasure::Tokens,
            CostMeasure::Seconds,
            CostMeasure::Calls
        ]
    );
    // Equal cheapest points all stay; vote dominates rerank at 400 and 1600; mcts-5 is beaten
    // by the cheaper vote-4.
    assert_eq!(analysis.frontiers[0].points, [0, 3, 8, 4, 5, 7]);

    // Six runs against each of rerank and vote.
    assert_eq!(analysis.matched.len(), 12);
    let against = |label: &str, baseline: &str| {
        analysis
            .matched
            .iter()
            .find(|m| m.test.label == label && m.baseline == baseline)
            .unwrap()
    };
    let m = against("mcts-5", "rerank");
    assert_eq!(
        (m.baseline_label.as_str(), m.token_ratio),
        ("rerank-4", Some(1.25))
    );
    let m = against("mcts-20", "rerank");
    assert_eq!(m.baseline_label, "rerank-16");
    let c = &m.test.comparison;
    assert_eq!((c.only_a, c.only_b), (4, 0));
    assert!((c.p_value - 0.125).abs() < 1e-12);
    // Holm within mcts against rerank: p = 0.125 and 1 give 0.25 and 1.
    assert!((m.test.holm_p_value - 0.25).abs() < 1e-12);
    assert_eq!(m.test.family_size, 2);
    assert!(!m.test.significant);
    assert_eq!(against("greedy", "vote").baseline_label, "vote-1");
    assert_eq!(against("rerank-16", "vote").baseline_label, "vote-16");

    // Difficulty at the largest budget: mcts-20 solves examples 4–19.
    let mcts = analysis
        .difficulty
        .iter()
        .find(|d| d.planner == "mcts")
        .unwrap();
    assert_eq!(mcts.label, "mcts-20");
    assert_eq!(mcts.without_pass_rate, 1);
    let counts: Vec<(DifficultyBin, usize, usize)> = mcts
        .bins
        .iter()
        .map(|b| (b.bin, b.examples, b.solved))
        .collect();
    assert_eq!(
        counts,
        [
            (DifficultyBin::Unsolved, 4, 0),
            (DifficultyBin::Hard, 4, 4),
            (DifficultyBin::Medium, 4, 4),
            (DifficultyBin::Easy, 4, 4),
            (DifficultyBin::Trivial, 3, 3),
        ]
    );
    assert_eq!(analysis.difficulty.len(), 4);
    assert!(
        analysis
            .notes
            .iter()
            .any(|n| n.contains("FLOPs are unknown")),
        "{:?}",
        analysis.notes
    );
}

#[test]
fn flops_frontier_covers_only_runs_with_flops() {
    let mut cells = vec![
        run("vote", Some(("n", 1.0)), 8, 100.0),
        run("vote", Some(("n", 4.0)), 11, 400.0),
    ];
    for o in &mut cells[1].cell.outcomes {
        o.flops = 1e12;
    }
    let analysis = analyse_budget(&cells, &HashMap::new(), &options()).unwrap();
    assert!(analysis.flops_known);
    let flops = analysis
        .frontiers
        .iter()
        .find(|f| f.measure == CostMeasure::Flops)
        .unwrap();
    assert_eq!(flops.points, [1]);
    assert_eq!(analysis.points[1].summary.flops, 1e12);
    assert!(analysis.difficulty.is_empty());
    assert!(analysis.notes.iter().any(|n| n.contains("vote-1")));
    assert!(analysis.notes.iter().any(|n| n.contains("no rerank runs")));
}

#[test]
fn bad_budgets_and_pass_rates_are_errors() {
    let opts = options();
    let none = HashMap::new();
    let mixed = [
        run("mcts", Some(("iterations", 5.0)), 1, 1.0),
        run("mcts", Some(("expansions", 9.0)), 1, 1.0),
    ];
    let message = analyse_budget(&mixed, &none, &opts)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("budget axis expansions differs"),
        "{message}"
    );
    let twice = [
        run("vote", Some(("n", 4.0)), 1, 1.0),
        run("vote", Some(("n", 4.0)), 2, 1.0),
    ];
    assert!(analyse_budget(&twice, &none, &opts).is_err());
    let negative = [run("vote", Some(("n", -1.0)), 1, 1.0)];
    assert!(analyse_budget(&negative, &none, &opts).is_err());
    let rates = HashMap::from([("gsm8k-0".to_string(), 1.5)]);
    let one = [run("vote", Some(("n", 1.0)), 1, 1.0)];
    assert!(matches!(
        analyse_budget(&one, &rates, &opts),
        Err(ReportError::InvalidPassRate { .. })
    ));
    assert!(matches!(
        analyse_budget(&[], &none, &opts),
        Err(ReportError::NoCells)
    ));
}

#[test]
fn report_writes_tables_plots_and_says_flops_are_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let analysis = analyse_budget(&fixture(), &pass_rates(), &options()).unwrap();
    if let Some(keep) = std::env::var_os("PLANBENCH_PLOT_DIR") {
        write_budget_report(keep.as_ref(), "GSM8K budgets", &analysis).unwrap();
    }
    let files = write_budget_report(dir.path(), "GSM8K budgets", &analysis).unwrap();
    assert!(files.warnings.is_empty(), "{:?}", files.warnings);
    for name in [
        "budget.md",
        "budget.json",
        "compute_matched.csv",
        "difficulty.csv",
    ] {
        assert!(dir.path().join(name).is_file(), "{name}");
    }
    for measure in ["tokens", "seconds", "calls"] {
        for ext in ["png", "svg"] {
            let path = dir.path().join(format!("accuracy_vs_{measure}.{ext}"));
            assert!(files.plots.contains(&path), "{}", path.display());
        }
        let png = dir.path().join(format!("accuracy_vs_{measure}.png"));
        let reader = png::Decoder::new(File::open(png).unwrap())
            .read_info()
            .unwrap();
        assert_eq!((reader.info().width, reader.info().height), (1400, 800));
    }
    assert!(!dir.path().join("accuracy_vs_flops.png").exists());

    let markdown = std::fs::read_to_string(&files.markdown).unwrap();
    assert!(markdown.contains("**FLOPs unknown:**"), "{markdown}");
    assert!(
        markdown
            .contains("- **tokens**: rerank n = 1 (40.0%) → vote n = 1 (40.0%) → greedy (40.0%)"),
        "{markdown}"
    );

    assert!(
        markdown.contains(
            "- **mcts** vs rerank at equal tokens: iterations = 5: no significant difference; \
             iterations = 20: not enough examples to decide (need ≈ 37)\n"
        ),
        "{markdown}"
    );

    let matched = std::fs::read_to_string(dir.path().join("compute_matched.csv")).unwrap();
    let mut lines = matched.lines();
    assert_eq!(
        lines.next().unwrap(),
        "planner,run,budget_axis,budget,tokens_per_example,baseline,baseline_run,\
         baseline_budget,baseline_tokens_per_example,token_ratio,paired_examples,\
         planner_accuracy,baseline_accuracy,difference,difference_ci_low,difference_ci_high,\
         only_planner,only_baseline,mcnemar_p,holm_p,significant,examples_needed"
    );
    let row: Vec<&str> = lines
        .find(|l| l.starts_with("mcts,mcts-20,") && l.contains(",rerank,"))
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(
        row[..13],
        [
            "mcts",
            "mcts-20",
            "iterations",
            "20",
            "2000",
            "rerank",
            "rerank-16",
            "16",
            "1600",
            "1.25",
            "20",
            "0.8",
            "0.6"
        ]
    );
    assert_eq!(row[16..21], ["4", "0", "0.125", "0.25", "no"]);

    let difficulty = std::fs::read_to_string(dir.path().join("difficulty.csv")).unwrap();
    assert!(
        difficulty.contains("\ngreedy,greedy,,,\"(0.5, 0.75]\",4,4,1\n"),
        "{difficulty}"
    );
    assert!(
        difficulty.contains("\ngreedy,greedy,,,\"(0, 0.25]\",4,0,0\n"),
        "{difficulty}"
    );
    assert_eq!(difficulty.lines().count(), 1 + 4 * 5);
}

#[test]
fn budget_cells_read_from_json_with_defaults() {
    let json = r#"[
        {"planner": "vote", "accuracy": null, "label": "vote-8", "measured_accuracy": null,
         "outcomes": [{"example_id": "e0", "correct": true, "seconds": 1.0, "llm_calls": 8.0,
                       "tokens": 800.0}],
         "budget": {"axis": "n", "value": 8.0}},
        {"planner": "greedy", "accuracy": null, "label": "greedy", "measured_accuracy": null,
         "outcomes": []}
    ]"#;
    let cells: Vec<BudgetCell> = serde_json::from_str(json).unwrap();
    assert_eq!(cells[0].budget.as_ref().unwrap().value, 8.0);
    assert_eq!(cells[0].cell.outcomes[0].flops, 0.0);
    assert_eq!(cells[1].budget, None);
    let back: Vec<BudgetCell> =
        serde_json::from_str(&serde_json::to_string(&cells).unwrap()).unwrap();
    assert_eq!(back, cells);
}
