//! Stored traces stay readable: the fixtures are JSON traces written by the planners before
//! traces were typed (`tests/fixtures/traces`, one or more per planner and stop reason), and
//! `tests/fixtures/renders` holds what `render_trace` made of each before traces were typed.
//! Fixtures of what came later (voting, re-ranking's sample record: `vote_*`,
//! `weighted_vote_*`, `rerank_sampled_*`) are written by the planners' tests with
//! `PLANBENCH_BLESS_TRACES=1`, render included.

use serde_json::json;

use super::*;
use crate::planners::PlannerKind;
use crate::testkit::{trace_fixture, TRACE_FIXTURES};

fn typed(name: &str) -> Trace {
    Trace::from_value(trace_fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_fixture_parses_and_writes_back_the_same_json() {
    let mut planners = Vec::new();
    for entry in std::fs::read_dir(TRACE_FIXTURES).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let stored = trace_fixture(&name);
        let trace = typed(&name);
        assert_eq!(trace.to_value(), stored, "{name}");
        // Through text as well, as the results store keeps it.
        let text = serde_json::to_string(&trace).unwrap();
        assert_eq!(
            serde_json::from_str::<Trace>(&text).unwrap(),
            trace,
            "{name}"
        );
        assert_eq!(stored["planner"], trace.planner().as_str(), "{name}");
        assert_eq!(stored["program"], trace.program(), "{name}");
        assert!(trace.ending().example_seed.is_some(), "{name}");
        planners.push(trace.planner());
    }
    for kind in PlannerKind::ALL {
        assert!(planners.contains(&kind), "no fixture for {kind}");
    }
}

#[test]
fn every_fixture_renders_as_before() {
    let renders = std::path::Path::new(TRACE_FIXTURES).join("../renders");
    for entry in std::fs::read_dir(TRACE_FIXTURES).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let before = std::fs::read_to_string(renders.join(format!("{name}.txt"))).unwrap();
        assert_eq!(render_trace(&typed(&name)), before, "{name}");
        assert_eq!(render_trace_value(&trace_fixture(&name)), before, "{name}");
    }
}

#[test]
fn stops_are_typed() {
    let cases = [
        ("greedy_done", Stop::Done),
        ("greedy_budget_seconds", Stop::Budget(BudgetStop::Seconds)),
        (
            "rerank_budget_llm_calls",
            Stop::Budget(BudgetStop::LlmCalls),
        ),
        ("correct_threshold", Stop::Threshold),
        ("correct_patience", Stop::Patience),
        ("correct_max_rounds", Stop::MaxRounds),
        ("tree_complete", Stop::Complete),
        ("tree_queue_empty", Stop::QueueEmpty),
        ("tree_expansion_limit", Stop::ExpansionLimit),
        ("mcts_iterations", Stop::Iterations),
        ("mcts_budget_llm_calls", Stop::Budget(BudgetStop::LlmCalls)),
    ];
    for (name, stop) in cases {
        assert_eq!(typed(name).stop(), stop, "{name}");
    }
    assert_eq!(
        Stop::Budget(BudgetStop::LlmCalls).to_string(),
        "budget:llm_calls"
    );
    assert_eq!(Stop::MaxRounds.to_string(), "max_rounds");
    assert_eq!(
        Stop::Budget(BudgetStop::Seconds).budget(),
        Some(BudgetStop::Seconds)
    );
    assert_eq!(Stop::Done.budget(), None);
}

#[test]
fn scored_candidates_cover_every_planner() {
    assert!(typed("greedy_done").scored_candidates().is_empty());
    assert_eq!(
        typed("rerank_done").scored_candidates(),
        [("2\n4\n=", 0.5), ("3\n3\n=", 0.9), ("1\n=", 0.9)]
    );
    // Unscored candidates (a budget stop before scoring) are left out.
    assert!(typed("rerank_budget_llm_calls")
        .scored_candidates()
        .is_empty());
    assert_eq!(
        typed("correct_threshold").scored_candidates(),
        [("1\n=", 0.3), ("2\n=", 0.5), ("5\n=", 0.7), ("6\n=", 1.0)]
    );
    // MC-ToT: complete nodes; UCT: terminal nodes.
    assert_eq!(
        typed("tree_complete").scored_candidates(),
        [("1\n5\n=", 0.6)]
    );
    assert_eq!(
        typed("mcts_iterations").scored_candidates(),
        [("4\n2\n=", 0.9)]
    );
}

#[test]
fn samples_are_recorded_for_coverage() {
    // Re-ranking traces written before samples were recorded have none.
    assert!(typed("rerank_done").samples().is_empty());
    assert_eq!(
        typed("rerank_sampled_done").samples(),
        [
            Some("2\n4\n="),
            Some("3\n3\n="),
            Some("2\n4\n="),
            Some("1\n="),
            None
        ]
    );
    let vote = typed("vote_done");
    assert_eq!(vote.samples().len(), 7);
    assert_eq!(vote.samples()[4], Some("7\n="));
    assert!(vote.scored_candidates().is_empty());
    assert_eq!(typed("weighted_vote_done").scored_candidates().len(), 4);
    assert!(typed("greedy_done").samples().is_empty());
}

#[test]
fn tree_planners_share_one_node_shape() {
    let tree = typed("tree_complete");
    let returned = tree.returned().unwrap();
    assert_eq!((returned.id, returned.program.as_str()), (6, "1\n5\n="));
    assert!(returned.complete && !returned.terminal);
    assert_eq!(returned.rollouts[0].score, Some(0.6));
    assert!(tree.nodes()[3].pruned);
    let Trace::Tree(t) = &tree else { panic!() };
    assert_eq!(t.pops, [2, 1, 5, 6]);

    let mcts = typed("mcts_iterations");
    let returned = mcts.returned().unwrap();
    assert!(returned.terminal && !returned.complete);
    assert_eq!(returned.best.as_ref().map(|b| b.score), Some(0.9));
    assert_eq!(mcts.nodes()[0].visits, 4);
    assert_eq!(mcts.nodes()[1].rollouts[0].program, "1\n5\n=");
    assert_eq!(mcts.nodes()[1].rollouts[0].score, None);

    assert!(typed("tree_queue_empty").returned().is_none());
    assert!(typed("rerank_done").nodes().is_empty());
}

#[test]
fn unknown_and_malformed_traces_are_errors() {
    for value in [
        json!(null),
        json!({}),
        json!({ "candidates": [1] }),
        json!({ "planner": "beam", "stop": "done" }),
        json!({ "planner": "rerank", "stop": "bored" }),
        json!({ "planner": "rerank", "stop": "done", "candidates": "a" }),
        json!({ "planner": "tree", "stop": "done", "nodes": [{ "parent": 0 }] }),
        json!({ "planner": "mcts", "stop": { "budget": "minutes" } }),
    ] {
        assert!(Trace::from_value(value.clone()).is_err(), "{value}");
    }
    // Missing optional parts default, so hand-written traces still load.
    let sparse = Trace::from_value(json!({ "planner": "mcts", "stop": "iterations" })).unwrap();
    assert_eq!((sparse.program(), sparse.nodes().len()), ("", 0));
    assert_eq!(sparse.ending().example_seed, None);
}
