//! Examples planned concurrently give the same results as a sequential run when the responses
//! are the same (here: replayed from the response cache, which then makes no backend call).

mod common;

use std::path::Path;

use common::planbench_run;
use planbench_experiment::store::ResultsStore;

fn rerank(results: &Path, run_id: &str, concurrency: &str) {
    let output = planbench_run(results)
        .args(["--task", "spider", "--planner", "rerank", "--limit", "4"])
        .args(["--discriminator", "oracle", "--oracle-accuracy", "0.7"])
        .args(["--max-tokens", "96", "--threads", "1", "--seed", "3"])
        .args(["--run-id", run_id, "--concurrency", concurrency])
        .arg("--cache")
        .arg(results.join("cache.sqlite"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_concurrent_replay_from_the_cache_matches_the_sequential_run() {
    let results = tempfile::tempdir().unwrap();
    rerank(results.path(), "sequential", "1");
    rerank(results.path(), "concurrent", "3");
    let store = ResultsStore::open(results.path()).unwrap();
    let sequential = store.examples("sequential").unwrap();
    let concurrent = store.examples("concurrent").unwrap();
    assert_eq!(sequential.len(), 4);
    for (a, b) in sequential.iter().zip(&concurrent) {
        assert_eq!(a.example_id, b.example_id);
        assert_eq!(a.prediction, b.prediction);
        assert_eq!(a.trace, b.trace);
        assert_eq!(a.cost.llm_calls, b.cost.llm_calls);
        assert_eq!(a.cost.cached_calls, 0, "the first run calls the model");
        assert_eq!(
            b.cost.cached_calls, b.cost.llm_calls,
            "the replay makes no backend call"
        );
        assert_eq!(
            a.cost.completion_tokens, b.cost.completion_tokens,
            "original usage kept"
        );
    }
}
