//! Execution accuracy and the paper's oracle on hand-written pairs over real databases.

mod spider_common;

use planbench_core::{ExecError, OracleRule, Output, Task, Value};
use planbench_tasks::spider::{SpiderConfig, SpiderMetric, SpiderTask};
use spider_common::{data_dir, dev_task, example};

const DB: &str = "concert_singer";

/// (gold, prediction, expected under test-suite, expected under BIRD)
const PAIRS: &[(&str, &str, bool, bool)] = &[
    // Column permutation: allowed by test-suite, not by BIRD.
    (
        "SELECT name, age FROM singer",
        "SELECT age, name FROM singer",
        true,
        false,
    ),
    (
        "SELECT name, age FROM singer",
        "SELECT name, name FROM singer",
        false,
        false,
    ),
    // Bag semantics: duplicate rows count (France appears 4 times).
    (
        "SELECT country FROM singer",
        "SELECT country FROM singer UNION SELECT country FROM singer",
        false,
        true,
    ),
    (
        "SELECT country FROM singer",
        "SELECT country FROM singer UNION ALL SELECT country FROM singer WHERE age > 40",
        false,
        true,
    ),
    // DISTINCT is removed from both queries by test-suite.
    (
        "SELECT country FROM singer",
        "SELECT DISTINCT country FROM singer",
        true,
        true,
    ),
    (
        "SELECT DISTINCT country FROM singer",
        "SELECT country FROM singer",
        true,
        true,
    ),
    (
        "SELECT count(DISTINCT country) FROM singer",
        "SELECT count(country) FROM singer",
        true,
        false,
    ),
    // Row order matters only when the gold query orders.
    (
        "SELECT name FROM singer ORDER BY age",
        "SELECT name FROM singer ORDER BY age DESC",
        false,
        true,
    ),
    (
        "SELECT name FROM singer",
        "SELECT name FROM singer ORDER BY age DESC",
        true,
        true,
    ),
    (
        "SELECT name FROM singer ORDER BY age",
        "SELECT name FROM singer ORDER BY age",
        true,
        true,
    ),
    // 1 == 1.0, but no tolerance.
    (
        "SELECT count(*) FROM singer",
        "SELECT count(*) * 1.0 FROM singer",
        true,
        true,
    ),
    (
        "SELECT count(*) FROM singer",
        "SELECT count(*) + 0.5 FROM singer",
        false,
        false,
    ),
    // Text is not a number.
    ("SELECT count(*) FROM singer", "SELECT '6'", false, false),
    // Empty results.
    (
        "SELECT name FROM singer WHERE age > 1000",
        "SELECT song_name, age FROM singer WHERE 0",
        true,
        true,
    ),
    (
        "SELECT name FROM singer WHERE age > 1000",
        "SELECT name FROM singer",
        false,
        false,
    ),
    // Non-executable predictions are wrong.
    (
        "SELECT name FROM singer",
        "SELECT nme FROM singer",
        false,
        false,
    ),
    (
        "SELECT name FROM singer",
        "SELECT name FROM singer; SELECT 1",
        false,
        false,
    ),
    // test-suite joins `> =`; SQLite itself would reject it.
    (
        "SELECT name FROM singer WHERE age >= 41",
        "SELECT name FROM singer WHERE age > = 41",
        true,
        false,
    ),
];

#[test]
fn hand_written_pairs_under_both_metrics() {
    for (metric, column) in [(SpiderMetric::TestSuite, 0), (SpiderMetric::Bird, 1)] {
        let task = dev_task(metric);
        for &(gold, pred, suite, bird) in PAIRS {
            let expected = [suite, bird][column];
            assert_eq!(
                task.is_correct(&example(DB, gold), pred),
                expected,
                "{metric}: gold `{gold}` vs `{pred}`"
            );
            assert_eq!(
                task.oracle_score(&example(DB, gold), pred, OracleRule::Exact),
                f64::from(u8::from(expected))
            );
        }
    }
}

#[test]
fn a_capped_prediction_is_wrong() {
    let task = SpiderTask::load(SpiderConfig {
        data_dir: data_dir(),
        max_rows: 5,
        ..SpiderConfig::default()
    })
    .unwrap();
    let ex = example(DB, "SELECT name FROM singer WHERE age > 30");
    assert!(task.is_correct(&ex, "SELECT name FROM singer WHERE age > 30"));
    let six = example(DB, "SELECT name FROM singer");
    assert!(!task.is_correct(&six, "SELECT name FROM singer"));
    let execution = task.execute(&six, "SELECT name FROM singer");
    assert!(
        matches!(execution.result, Err(ExecError::ResourceLimit(_))),
        "{execution:?}"
    );
}

#[test]
fn execute_returns_the_table_with_python_values() {
    let task = dev_task(SpiderMetric::TestSuite);
    let ex = example(DB, "SELECT 1");
    let execution = task.execute(
        &ex,
        "SELECT name, age, 1.0 AS f, NULL FROM singer WHERE singer_id = 1",
    );
    let Ok(Output::Table { columns, rows }) = execution.result else {
        panic!("{execution:?}");
    };
    assert_eq!(columns, ["Name", "Age", "f", "NULL"]);
    assert_eq!(
        rows,
        [vec![
            Value::Text("Joe Sharp".into()),
            Value::Integer(52),
            Value::Real(1.0),
            Value::Null
        ]]
    );
    let failed = task.execute(&ex, "SELECT nme FROM singer");
    assert!(
        matches!(&failed.result, Err(ExecError::Failed(m)) if m.contains("no such column")),
        "{failed:?}"
    );
}

#[test]
fn paper_oracle_special_cases_and_soft_f1() {
    let task = dev_task(SpiderMetric::TestSuite);
    let gold = example(DB, "SELECT name, country FROM singer WHERE age > 40");
    // Gold rows: (Joe Sharp, Netherlands), (Rose White, France), (John Nizinik, France).
    assert!((task.paper_oracle(&gold, &gold.gold) - 1.0).abs() < 1e-6);
    // Names match row by row, ages never: overlap 3 of 6 cells each way, F1 = 0.5.
    let half = task.paper_oracle(&gold, "SELECT name, age FROM singer WHERE age > 40");
    assert!((half - 0.5).abs() < 1e-6, "{half}");
    // Non-executable: -1 on the paper's scale, 0 as an oracle score.
    assert_eq!(task.paper_oracle(&gold, "SELECT nme FROM singer"), -1.0);
    assert_eq!(
        task.oracle_score(&gold, "SELECT nme FROM singer", OracleRule::Paper),
        0.0
    );
    // Wrong rows entirely.
    assert!(task.paper_oracle(&gold, "SELECT 'x'").abs() < 1e-9);
    // Empty gold: an empty prediction is perfect, a non-empty one scores 0.
    let empty = example(DB, "SELECT name FROM singer WHERE age > 1000");
    assert_eq!(
        task.paper_oracle(&empty, "SELECT age FROM singer WHERE 0"),
        1.0
    );
    assert_eq!(task.paper_oracle(&empty, "SELECT name FROM singer"), 0.0);
    // A non-executable gold makes every candidate -1.
    let broken = example(DB, "SELECT nope FROM singer");
    assert_eq!(task.paper_oracle(&broken, "SELECT name FROM singer"), -1.0);
}
