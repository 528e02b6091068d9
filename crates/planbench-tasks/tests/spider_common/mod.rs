//! Shared helpers of the Spider integration tests.
#![allow(dead_code)] // each test file uses a subset

use std::path::{Path, PathBuf};
use std::time::Duration;

use planbench_core::Example;
use planbench_tasks::spider::{SpiderConfig, SpiderMetric, SpiderTask, Split};

/// The dataset directory: `PLANBENCH_DATA_DIR`, or `<workspace>/../shared/datasets`. Panics
/// with a clear message when it has no Spider data, so that the tests fail rather than pass.
pub fn data_dir() -> PathBuf {
    let dir = std::env::var_os("PLANBENCH_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"));
    assert!(
        dir.join("spider/dev.json").is_file(),
        "Spider data not found under {} (set PLANBENCH_DATA_DIR to the datasets directory)",
        dir.display()
    );
    dir
}

/// The real dev split with the given metric.
pub fn dev_task(metric: SpiderMetric) -> SpiderTask {
    SpiderTask::load(SpiderConfig {
        data_dir: data_dir(),
        split: Split::Dev,
        metric,
        ..SpiderConfig::default()
    })
    .expect("the Spider dev split loads")
}

/// An example on a database with a given gold query.
pub fn example(db: &str, gold: &str) -> Example {
    Example {
        id: "test/0".into(),
        index: 0,
        question: "test question".into(),
        gold: gold.into(),
        db_id: Some(db.into()),
    }
}

/// A data directory in `tmp` holding only `db` (a writable copy) and tiny JSON files, for
/// tests that attack the database or break files.
pub fn private_data_dir(tmp: &Path, db: &str) -> PathBuf {
    let spider = tmp.join("spider");
    let db_dir = spider.join("database").join(db);
    std::fs::create_dir_all(&db_dir).unwrap();
    let file = db_dir.join(format!("{db}.sqlite"));
    std::fs::copy(
        data_dir().join(format!("spider/database/{db}/{db}.sqlite")),
        &file,
    )
    .unwrap();
    let mut perms = std::fs::metadata(&file).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&file, perms).unwrap();
    let record = format!(
        r#"[{{"db_id": "{db}", "query": "SELECT count(*) FROM singer", "question": "How many singers are there?"}}]"#
    );
    std::fs::write(spider.join("dev.json"), &record).unwrap();
    std::fs::write(spider.join("train_spider.json"), &record).unwrap();
    std::fs::write(
        spider.join("tables.json"),
        format!(r#"[{{"db_id": "{db}"}}]"#),
    )
    .unwrap();
    tmp.to_path_buf()
}

/// A task on a private data directory with a short time limit.
pub fn private_task(data_dir: &Path, timeout: Duration) -> SpiderTask {
    SpiderTask::load(SpiderConfig {
        data_dir: data_dir.to_path_buf(),
        timeout,
        ..SpiderConfig::default()
    })
    .expect("the private data directory loads")
}

/// SHA-256 of a file, hex.
pub fn sha256(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}
