//! Shared helpers of the GSM8K integration tests.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use planbench_tasks::gsm8k::{AnswerFormat, Gsm8kConfig, Gsm8kTask, Split, WorkerCommand};

/// The real datasets: `$PLANBENCH_DATA_DIR`, or `shared/datasets` beside the workspace. Panics
/// with a clear message when they are missing: these tests must not pass without data.
pub fn data_dir() -> PathBuf {
    let dir = std::env::var_os("PLANBENCH_DATA_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"),
        PathBuf::from,
    );
    assert!(
        dir.join("gsm8k/test.jsonl").is_file(),
        "GSM8K data not found at {} (set PLANBENCH_DATA_DIR to the datasets directory)",
        dir.display()
    );
    dir
}

/// This crate's worker binary, as cargo built it for the tests.
pub fn worker() -> WorkerCommand {
    WorkerCommand::new(env!("CARGO_BIN_EXE_planbench-python-worker"))
}

/// A config for `data_dir` with the test worker and a 1 s timeout.
pub fn config(data_dir: PathBuf, split: Split, format: AnswerFormat) -> Gsm8kConfig {
    Gsm8kConfig {
        split,
        format,
        timeout: Duration::from_secs(1),
        worker: worker(),
        ..Gsm8kConfig::new(data_dir)
    }
}

/// The real test split.
pub fn load(format: AnswerFormat) -> Gsm8kTask {
    Gsm8kTask::load(config(data_dir(), Split::Test, format)).expect("the test split loads")
}
