//! Every planner, with the real default model and the simulated discriminator at accuracy 1.0,
//! returns a program and stores a trace on a few real examples.

mod common;

use std::path::Path;

use common::planbench_run;
use planbench_experiment::store::ResultsStore;

const LIMIT: &str = "2";

/// Runs `planner` on the first `LIMIT` examples of `task` with small search budgets (the test
/// checks plumbing on the real model, not accuracy).
fn run(task: &str, planner: &str, results: &Path) {
    let output = planbench_run(results)
        .args(["--task", task, "--planner", planner, "--limit", LIMIT])
        .args(["--discriminator", "oracle", "--oracle-accuracy", "1.0"])
        .args([
            "--n",
            "2",
            "--max-tokens",
            "96",
            "--threads",
            "1",
            "--no-cache",
        ])
        .args(["--correction-rounds", "2", "--tree-expansions", "3"])
        .args(["--mcts-iterations", "3", "--run-id", planner])
        .output()
        .expect("planbench runs");
    assert!(
        output.status.success(),
        "{task} {planner}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn every_planner_returns_a_program_and_a_trace(task: &str) {
    let results = tempfile::tempdir().unwrap();
    for planner in ["greedy", "rerank", "correct", "tree", "mcts"] {
        run(task, planner, results.path());
        let store = ResultsStore::open(results.path()).unwrap();
        let records = store.examples(planner).unwrap();
        assert_eq!(records.len().to_string(), LIMIT, "{task} {planner}");
        for record in &records {
            assert!(
                !record.prediction.trim().is_empty(),
                "{task} {planner}: empty program"
            );
            assert_eq!(record.trace["planner"], planner, "{task}: {}", record.trace);
            assert!(record.cost.llm_calls >= 1, "{task} {planner}");
        }
        if matches!(planner, "tree" | "mcts") {
            let nodes = records[0].trace["nodes"].as_array().map_or(0, Vec::len);
            assert!(
                nodes >= 2,
                "{task} {planner}: a tree trace has nodes: {}",
                records[0].trace
            );
        }
    }
}

#[test]
fn every_planner_runs_on_spider() {
    every_planner_returns_a_program_and_a_trace("spider");
}

#[test]
fn every_planner_runs_on_gsm8k() {
    every_planner_returns_a_program_and_a_trace("gsm8k");
}
