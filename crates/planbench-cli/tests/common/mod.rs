//! Paths shared by the CLI's integration tests.

use std::path::PathBuf;

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
