//! Paths and commands shared by the CLI's integration tests.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The data directory (`PLANBENCH_DATA_DIR`, default `../shared/datasets`); fails the test
/// clearly when the benchmarks are not there.
pub fn data_dir() -> PathBuf {
    let dir = std::env::var_os("PLANBENCH_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/datasets"));
    assert!(
        dir.join("spider/dev.json").exists() && dir.join("gsm8k/test.jsonl").exists(),
        "data missing under {} (set PLANBENCH_DATA_DIR)",
        dir.display()
    );
    dir
}

/// `planbench run` started in the workspace on the test data, storing into `results`.
pub fn planbench_run(results: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_planbench"));
    cmd.current_dir(workspace())
        .env("PLANBENCH_DATA_DIR", data_dir())
        .arg("run")
        .arg("--results")
        .arg(results);
    cmd
}
