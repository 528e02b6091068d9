//! A results file written by the planbench of commit d72a5b4 (before specs were kept) still
//! loads: its runs read back as specs, its sweep as a study, and both report.
//!
//! `fixtures/legacy-results.sql` is the SQL dump of the `planbench.sqlite` that binary wrote for
//!
//! ```sh
//! planbench run --task spider --planner rerank --discriminator oracle --oracle-accuracy 0.8 \
//!     --limit 2 --n 2 --max-tokens 48 --results R
//! planbench sweep --task spider --planners rerank,tree --accuracies 0.5,1.0 --limit 2 --n 2 \
//!     --max-tokens 48 --tree-expansions 2 --results R
//! python3 -c "import sqlite3; print('\n'.join(sqlite3.connect('R/planbench.sqlite').iterdump()))"
//! ```

use std::path::PathBuf;

use planbench_experiment::store::{ResultsStore, RunStatus};
use planbench_experiment::{reporting, Environment, Loader, StatsSpec, TaskKind};
use planbench_planners::PlannerKind;

fn data_dir() -> PathBuf {
    std::env::var_os("PLANBENCH_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets")
        })
}

#[test]
fn a_results_file_from_before_specs_loads_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("planbench.sqlite");
    let dump = include_str!("fixtures/legacy-results.sql");
    let conn = rusqlite::Connection::open(&path).unwrap();
    // The dump creates `examples` (which references `runs`) first.
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    conn.execute_batch(dump).unwrap();
    drop(conn);

    let store = ResultsStore::open(dir.path()).unwrap();
    let ids = store.run_ids().unwrap();
    assert_eq!(ids.len(), 5, "{ids:?}");
    let spider = ids.iter().find(|id| !id.starts_with("sweep-")).unwrap();
    let run = store.run(spider).unwrap();
    assert_eq!(run.status, RunStatus::Finished);
    assert!(run.spec.is_none());
    let spec = store.run_spec(spider).unwrap();
    assert_eq!(spec.task.kind(), TaskKind::Spider);
    assert_eq!(spec.planner.kind, PlannerKind::Rerank);
    assert_eq!(spec.selection.limit, Some(2));
    assert_eq!(spec.sampling.n, 2);
    assert_eq!(spec.discriminator.oracle_accuracy(), Some(0.8));
    assert_eq!(store.examples(spider).unwrap().len(), 2);

    let studies = store.study_ids().unwrap();
    assert_eq!(studies.len(), 1, "{studies:?}");
    let cells = store.study_cells(&studies[0]).unwrap();
    assert_eq!(cells.len(), 4);
    for cell in &cells {
        let spec = store.run_spec(&cell.run_id).unwrap();
        assert_eq!(spec.task.kind(), TaskKind::Spider);
        assert_eq!(spec.planner.kind.as_str(), cell.axes["planner"]);
        assert_eq!(
            spec.discriminator.oracle_accuracy(),
            cell.axes["accuracy"].as_f64()
        );
    }

    let loader = Loader::new(Environment {
        data_dir: data_dir(),
        cache: None,
    });
    let out = dir.path().join("report");
    let index = reporting::write_study_report(
        &store,
        &loader,
        &studies[0],
        "",
        &out,
        &StatsSpec::default(),
    )
    .unwrap();
    assert!(std::fs::read_to_string(index)
        .unwrap()
        .contains("spider-oracle"));
    let single = reporting::write_runs_report(
        &store,
        std::slice::from_ref(spider),
        &dir.path().join("r"),
        &StatsSpec::default(),
    );
    assert!(single.unwrap().exists());
}
