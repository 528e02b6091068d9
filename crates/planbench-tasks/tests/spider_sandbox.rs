//! Hostile SQL is refused or stopped within its limit, and the database file never changes.

mod spider_common;

use std::time::{Duration, Instant};

use planbench_core::{ExecError, Output, Task, Value};
use spider_common::{example, private_data_dir, private_task, sha256};

const DB: &str = "concert_singer";
/// Twelve copies of a six-row table: 2 billion rows.
const CROSS: &str = "singer a, singer b, singer c, singer d, singer e, singer f, \
                     singer g, singer h, singer i, singer j, singer k, singer l";

#[test]
fn hostile_sql_is_refused_or_stopped_and_the_file_is_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let data = private_data_dir(tmp.path(), DB);
    let file = data.join(format!("spider/database/{DB}/{DB}.sqlite"));
    let before = sha256(&file);
    let limit = Duration::from_secs(1);
    let task = private_task(&data, limit);
    let ex = example(DB, "SELECT count(*) FROM singer");

    let refused = [
        "DROP TABLE singer",
        "DELETE FROM singer",
        "INSERT INTO singer (Singer_ID, Name) VALUES (99, 'x')",
        "UPDATE singer SET age = 0",
        "CREATE TABLE x (a)",
        "CREATE TEMP TABLE x (a)",
        "ALTER TABLE singer ADD COLUMN z",
        "ATTACH DATABASE '/tmp/planbench_attack.db' AS x",
        "PRAGMA writable_schema = 1",
        "PRAGMA query_only = 0",
        "PRAGMA journal_mode = WAL",
        "VACUUM",
        "VACUUM INTO '/tmp/planbench_attack.db'",
        "BEGIN",
        "SELECT load_extension('/tmp/planbench_attack.so')",
        "SELECT 1; DROP TABLE singer",
        "REINDEX",
        "ANALYZE",
    ];
    for sql in refused {
        let execution = task.execute(&ex, sql);
        assert!(
            matches!(execution.result, Err(ExecError::Refused(_))),
            "`{sql}` was not refused: {execution:?}"
        );
    }
    // Functions that touch files do not exist or are refused.
    for sql in [
        "SELECT readfile('/etc/passwd')",
        "SELECT writefile('/tmp/planbench_attack', 'x')",
    ] {
        assert!(task.execute(&ex, sql).result.is_err(), "`{sql}` ran");
    }

    let stopped = [
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT n + 1 FROM r) SELECT max(n) FROM r",
        &format!("SELECT count(*) FROM {CROSS}"),
        &format!("SELECT a.name FROM {CROSS} ORDER BY random() LIMIT 1"),
    ];
    for sql in stopped {
        let start = Instant::now();
        let execution = task.execute(&ex, sql);
        let wall = start.elapsed();
        assert!(
            matches!(execution.result, Err(ExecError::Timeout(s)) if s == 1.0),
            "`{sql}`: {execution:?}"
        );
        assert!(wall < Duration::from_millis(2500), "`{sql}` ran {wall:?}");
    }

    // Too many rows or too large values hit resource limits, quickly.
    for sql in [
        "SELECT * FROM singer a, singer b, singer c, singer d, singer e, singer f, singer g",
        "SELECT zeroblob(1000000000)",
        "SELECT hex(zeroblob(10000000))",
    ] {
        let start = Instant::now();
        let execution = task.execute(&ex, sql);
        assert!(
            matches!(execution.result, Err(ExecError::ResourceLimit(_))),
            "`{sql}`: {execution:?}"
        );
        assert!(start.elapsed() < Duration::from_millis(2500), "`{sql}`");
    }

    // Harmless reads, including schema pragmas, still work on the same pooled connections.
    let execution = task.execute(&ex, "SELECT count(*) FROM singer");
    assert_eq!(
        execution.result,
        Ok(Output::Table {
            columns: vec!["count(*)".into()],
            rows: vec![vec![Value::Integer(6)]],
        })
    );
    assert!(task.execute(&ex, "PRAGMA table_info(singer)").is_ok());
    assert!(task.is_correct(&ex, "SELECT count(*) FROM singer"));

    drop(task);
    assert_eq!(sha256(&file), before, "the database file changed");
    let dir_entries: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(dir_entries.len(), 1, "side files appeared: {dir_entries:?}");
    assert!(!std::path::Path::new("/tmp/planbench_attack.db").exists());
}
