//! `planbench export` writes predictions and gold queries in test-suite-sql-eval's format.

mod common;

use std::process::Command;

use common::data_dir;
use planbench_core::Cost;
use planbench_experiment::store::{ExampleRecord, NewRevision, ResultsStore};
use serde_json::json;

#[test]
fn exports_predictions_and_gold_in_the_same_order() {
    let results = tempfile::tempdir().unwrap();
    let store = ResultsStore::open(results.path()).unwrap();
    let spec = serde_json::to_value(planbench_experiment::RunSpec::default()).unwrap();
    store
        .begin_run("r", &json!({}), &spec, "test", NewRevision::Refuse)
        .unwrap();
    for (position, (id, sql)) in [
        ("dev/0", "SELECT count(*)\n FROM singer"),
        ("dev/5", "SELECT 1"),
    ]
    .into_iter()
    .enumerate()
    {
        let record = ExampleRecord {
            example_id: id.into(),
            position,
            prediction: sql.into(),
            correct: position == 0,
            seconds: 1.0,
            cost: Cost::default(),
            trace: json!({}),
        };
        store.record_example("r", &record).unwrap();
    }
    let out = results.path().join("export");
    let status = Command::new(env!("CARGO_BIN_EXE_planbench"))
        .args(["export", "--run", "r", "--data-dir"])
        .arg(data_dir())
        .arg("--results")
        .arg(results.path())
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let predictions = std::fs::read_to_string(out.join("predictions.sql")).unwrap();
    assert_eq!(
        predictions,
        "SELECT count(*) FROM singer\tconcert_singer\nSELECT 1\tconcert_singer\n"
    );
    let gold = std::fs::read_to_string(out.join("gold.sql")).unwrap();
    let dev: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(data_dir().join("spider/dev.json")).unwrap())
            .unwrap();
    let one_line = |i: usize| {
        dev[i]["query"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        gold,
        format!(
            "{}\tconcert_singer\n{}\tconcert_singer\n",
            one_line(0),
            one_line(5)
        )
    );
}
