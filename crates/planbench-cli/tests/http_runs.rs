//! Runs through the HTTP backend against a real llama-server: stored like local runs, and a
//! server that dies mid-run gives a clear error and a run that resumes.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{planbench_run, workspace};
use planbench_experiment::store::{ResultsStore, RunStatus};
use planbench_models::http::server::{LlamaServerProcess, ServerOptions};

fn server() -> LlamaServerProcess {
    let model = workspace().join("models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf");
    LlamaServerProcess::start(&ServerOptions::new(&workspace(), model))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn command(url: &str, planner: &str, run_id: &str, results: &Path) -> Command {
    let mut cmd = planbench_run(results);
    cmd.args(["--task", "spider", "--limit", "6", "--planner", planner])
        .args([
            "--backend",
            "http",
            "--base-url",
            url,
            "--model",
            "qwen2.5-coder-0.5b",
        ])
        .args(["--n", "3", "--max-tokens", "96", "--no-cache", "--json"])
        .args(["--run-id", run_id])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn succeed(output: Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON summary")
}

#[test]
fn greedy_and_rerank_runs_through_http_are_stored_and_a_dead_server_is_resumable() {
    let results = tempfile::tempdir().unwrap();
    let mut first = server();
    let url = first.url();
    for planner in ["greedy", "rerank"] {
        let summary = succeed(
            command(&url, planner, planner, results.path())
                .output()
                .unwrap(),
        );
        assert_eq!(summary["examples"], 6, "{planner}: {summary}");
        let store = ResultsStore::open(results.path()).unwrap();
        let run = store.run(planner).unwrap();
        let identity = run.config["generator"].as_str().unwrap();
        assert!(
            identity.starts_with("http:qwen2.5-coder-0.5b {"),
            "the identity says what the server serves: {identity}"
        );
        assert!(
            !run.config.to_string().contains(&url),
            "no endpoint in the results"
        );
        assert!(store
            .examples(planner)
            .unwrap()
            .iter()
            .all(|r| r.cost.llm_calls >= 1));
    }

    // Kill the server once the first example of a fresh run is stored.
    let child = command(&url, "rerank", "dies", results.path())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let store = ResultsStore::open(results.path()).unwrap();
        if !store
            .finished_example_ids("dies")
            .unwrap_or_default()
            .is_empty()
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no example finished"
        );
    }
    first.kill();
    let output = child.wait_with_output().unwrap();
    assert!(
        !output.status.success(),
        "the run fails when its server dies"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("resumes"),
        "a clear error that says how to resume: {stderr}"
    );
    let store = ResultsStore::open(results.path()).unwrap();
    let kept = store.examples("dies").unwrap();
    assert!(!kept.is_empty() && kept.len() < 6);
    assert_eq!(store.run("dies").unwrap().status, RunStatus::Failed);

    // A new server (on another port) serves the same model: the same command resumes the run.
    let second = server();
    let summary = succeed(
        command(&second.url(), "rerank", "dies", results.path())
            .output()
            .unwrap(),
    );
    assert_eq!(summary["examples"], 6);
    let all = ResultsStore::open(results.path())
        .unwrap()
        .examples("dies")
        .unwrap();
    for before in &kept {
        assert!(all.contains(before), "a finished example was recomputed");
    }
}
