//! A run killed mid-way keeps every finished example exactly once and resumes where it stopped.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::planbench_run;
use planbench_experiment::store::{ResultsStore, RunStatus};

fn run_command(results: &Path) -> Command {
    let mut cmd = planbench_run(results);
    cmd.args(["--task", "spider", "--planner", "greedy", "--limit", "4"])
        .args([
            "--max-tokens",
            "64",
            "--threads",
            "1",
            "--run-id",
            "kill-test",
            "--json",
            "--no-cache",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    cmd
}

#[test]
fn a_killed_run_resumes_without_losing_or_repeating_examples() {
    let results = tempfile::tempdir().unwrap();
    let mut child = run_command(results.path())
        .spawn()
        .expect("planbench starts");
    let started = Instant::now();
    let finished_before_kill = loop {
        std::thread::sleep(Duration::from_millis(100));
        if let Ok(store) = ResultsStore::open(results.path()) {
            if let Ok(done) = store.finished_example_ids("kill-test") {
                if !done.is_empty() {
                    break done;
                }
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before any example was stored"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no example finished in time"
        );
    };
    child.kill().unwrap();
    child.wait().unwrap();

    let store = ResultsStore::open(results.path()).unwrap();
    let kept = store.examples("kill-test").unwrap();
    assert!(
        kept.len() >= finished_before_kill.len() && kept.len() < 4,
        "{}",
        kept.len()
    );
    drop(store);

    let output = run_command(results.path())
        .output()
        .expect("planbench resumes");
    assert!(output.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON summary");
    assert_eq!(summary["examples"], 4);

    let store = ResultsStore::open(results.path()).unwrap();
    let all = store.examples("kill-test").unwrap();
    let ids: Vec<_> = all.iter().map(|r| r.example_id.as_str()).collect();
    assert_eq!(ids, ["dev/0", "dev/1", "dev/2", "dev/3"]);
    for before in &kept {
        let after = all
            .iter()
            .find(|r| r.example_id == before.example_id)
            .unwrap();
        assert_eq!(before, after, "a finished example was recomputed");
    }
    assert_eq!(store.run("kill-test").unwrap().status, RunStatus::Finished);
}

#[test]
fn bad_options_are_clear_errors() {
    let results = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_planbench"))
            .arg("run")
            .args(args)
            .arg("--results")
            .arg(results.path())
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
        stderr
    };
    let stderr = run(&["--task", "spider", "--data-dir", "/nonexistent/data"]);
    assert!(stderr.contains("/nonexistent/data"), "{stderr}");
    for (args, field) in [
        (&["--exec-timeout", "-1"][..], "task.exec_timeout"),
        (&["--exec-timeout", "nan"][..], "task.exec_timeout"),
        (&["--oracle-accuracy", "1.5"][..], "discriminator.accuracy"),
        (&["--temperature", "-0.5"][..], "sampling.temperature"),
        (&["--max-seconds", "0"][..], "budget.max_seconds"),
        (&["--n", "0"][..], "sampling.n"),
        (&["--task", "gsm8k", "--metric", "bird"][..], "--metric"),
    ] {
        let stderr = run(args);
        assert!(stderr.contains(field), "{args:?}: {stderr}");
    }
}
