//! The results store: one SQLite file holding every run and every finished example.
//!
//! Each finished example is written in its own transaction, so a run killed at any moment keeps
//! every example it finished, and the `(run_id, example_id)` primary key guarantees that none is
//! recorded twice. Re-opening a run with the same id resumes it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::cost::Cost;

/// File name of the store inside a results directory.
pub const STORE_FILE: &str = "planbench.sqlite";

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("results store {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot create results directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("run {run_id} exists with a different configuration; choose another --run-id")]
    ConfigMismatch { run_id: String },
    #[error("no run with id {0}")]
    UnknownRun(String),
    #[error("malformed JSON stored in run {run_id}: {source}")]
    Json {
        run_id: String,
        source: serde_json::Error,
    },
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    pub config: serde_json::Value,
    pub code_revision: String,
    /// Seconds since the Unix epoch.
    pub started_at: f64,
    pub finished_at: Option<f64>,
    /// `running`, `finished` or `failed`.
    pub status: String,
}

/// One finished example as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExampleRecord {
    pub example_id: String,
    /// Position of the example in the run's selection.
    pub position: usize,
    pub prediction: String,
    pub correct: bool,
    /// Wall-clock seconds of the whole example.
    pub seconds: f64,
    pub cost: Cost,
    /// The planner's trace.
    pub trace: serde_json::Value,
}

/// A results store backed by one SQLite file.
pub struct ResultsStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl ResultsStore {
    /// Opens (creating if needed) the store in directory `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Self::open_file(&dir.join(STORE_FILE))
    }

    /// Opens (creating if needed) the store file at `path`.
    pub fn open_file(path: &Path) -> Result<Self, StoreError> {
        let path = path.to_path_buf();
        let wrap = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(wrap)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(wrap)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS runs (
                 run_id TEXT PRIMARY KEY,
                 config TEXT NOT NULL,
                 code_revision TEXT NOT NULL,
                 started_at REAL NOT NULL,
                 finished_at REAL,
                 status TEXT NOT NULL
             );
             CREATE TABLE IF NOT EXISTS examples (
                 run_id TEXT NOT NULL REFERENCES runs(run_id),
                 example_id TEXT NOT NULL,
                 position INTEGER NOT NULL,
                 prediction TEXT NOT NULL,
                 correct INTEGER NOT NULL,
                 seconds REAL NOT NULL,
                 cost TEXT NOT NULL,
                 trace TEXT NOT NULL,
                 recorded_at REAL NOT NULL,
                 PRIMARY KEY (run_id, example_id)
             );
             CREATE TABLE IF NOT EXISTS pools (
                 pool_id TEXT NOT NULL,
                 example_id TEXT NOT NULL,
                 position INTEGER NOT NULL,
                 candidates TEXT NOT NULL,
                 labels TEXT NOT NULL,
                 PRIMARY KEY (pool_id, example_id)
             );
             CREATE TABLE IF NOT EXISTS sweeps (
                 sweep_id TEXT NOT NULL,
                 run_id TEXT NOT NULL,
                 planner TEXT NOT NULL,
                 accuracy REAL NOT NULL,
                 PRIMARY KEY (sweep_id, run_id)
             );",
        )
        .map_err(wrap)?;
        Ok(Self {
            path,
            conn: Mutex::new(conn),
        })
    }

    /// Path of the SQLite file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent: use the connection.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sqlite(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Starts run `run_id`, or resumes it when it exists with the same configuration.
    ///
    /// Returns the ids of the examples the run has already finished.
    pub fn begin_run(
        &self,
        run_id: &str,
        config: &serde_json::Value,
        code_revision: &str,
    ) -> Result<HashSet<String>, StoreError> {
        let config_text = config.to_string();
        {
            let conn = self.conn();
            let existing: Option<String> = conn
                .query_row("SELECT config FROM runs WHERE run_id = ?1", [run_id], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(|e| self.sqlite(e))?;
            match existing {
                Some(stored) => {
                    let stored: serde_json::Value =
                        serde_json::from_str(&stored).map_err(|source| StoreError::Json {
                            run_id: run_id.to_string(),
                            source,
                        })?;
                    if &stored != config {
                        return Err(StoreError::ConfigMismatch {
                            run_id: run_id.to_string(),
                        });
                    }
                    conn.execute(
                        "UPDATE runs SET status = 'running', finished_at = NULL WHERE run_id = ?1",
                        [run_id],
                    )
                    .map_err(|e| self.sqlite(e))?;
                }
                None => {
                    conn.execute(
                        "INSERT INTO runs (run_id, config, code_revision, started_at, status)
                         VALUES (?1, ?2, ?3, ?4, 'running')",
                        params![run_id, config_text, code_revision, now()],
                    )
                    .map_err(|e| self.sqlite(e))?;
                }
            }
        }
        self.finished_example_ids(run_id)
    }

    /// Ids of the examples that run `run_id` has finished.
    pub fn finished_example_ids(&self, run_id: &str) -> Result<HashSet<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT example_id FROM examples WHERE run_id = ?1")
            .map_err(|e| self.sqlite(e))?;
        let ids = stmt
            .query_map([run_id], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<Result<HashSet<_>, _>>())
            .map_err(|e| self.sqlite(e))?;
        Ok(ids)
    }

    /// Records one finished example in its own transaction. Recording an example the run
    /// already holds changes nothing and returns `false`.
    pub fn record_example(&self, run_id: &str, record: &ExampleRecord) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.sqlite(e))?;
        let inserted = tx
            .execute(
                "INSERT OR IGNORE INTO examples
                 (run_id, example_id, position, prediction, correct, seconds, cost, trace, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    run_id,
                    record.example_id,
                    record.position as i64,
                    record.prediction,
                    record.correct,
                    record.seconds,
                    serde_json::to_string(&record.cost).expect("Cost serializes"),
                    record.trace.to_string(),
                    now(),
                ],
            )
            .map_err(|e| self.sqlite(e))?;
        tx.commit().map_err(|e| self.sqlite(e))?;
        Ok(inserted == 1)
    }

    /// Marks a run finished (`status` = `finished`) or failed.
    pub fn end_run(&self, run_id: &str, status: &str) -> Result<(), StoreError> {
        let changed = self
            .conn()
            .execute(
                "UPDATE runs SET status = ?2, finished_at = ?3 WHERE run_id = ?1",
                params![run_id, status, now()],
            )
            .map_err(|e| self.sqlite(e))?;
        if changed == 0 {
            return Err(StoreError::UnknownRun(run_id.to_string()));
        }
        Ok(())
    }

    /// The stored run `run_id`.
    pub fn run(&self, run_id: &str) -> Result<RunRecord, StoreError> {
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT run_id, config, code_revision, started_at, finished_at, status
                 FROM runs WHERE run_id = ?1",
                [run_id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, f64>(3)?,
                        r.get::<_, Option<f64>>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.sqlite(e))?
            .ok_or_else(|| StoreError::UnknownRun(run_id.to_string()))?;
        let config = serde_json::from_str(&row.1).map_err(|source| StoreError::Json {
            run_id: run_id.to_string(),
            source,
        })?;
        Ok(RunRecord {
            run_id: row.0,
            config,
            code_revision: row.2,
            started_at: row.3,
            finished_at: row.4,
            status: row.5,
        })
    }

    /// Ids of every stored run, oldest first.
    pub fn run_ids(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT run_id FROM runs ORDER BY started_at, run_id")
            .map_err(|e| self.sqlite(e))?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.sqlite(e))?;
        Ok(ids)
    }

    /// Every finished example of run `run_id`, in selection order.
    pub fn examples(&self, run_id: &str) -> Result<Vec<ExampleRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT example_id, position, prediction, correct, seconds, cost, trace
                 FROM examples WHERE run_id = ?1 ORDER BY position",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([run_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, f64>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.sqlite(e))?;
        let json_err = |source| StoreError::Json {
            run_id: run_id.to_string(),
            source,
        };
        rows.into_iter()
            .map(
                |(example_id, position, prediction, correct, seconds, cost, trace)| {
                    Ok(ExampleRecord {
                        example_id,
                        position: position as usize,
                        prediction,
                        correct,
                        seconds,
                        cost: serde_json::from_str(&cost).map_err(json_err)?,
                        trace: serde_json::from_str(&trace).map_err(json_err)?,
                    })
                },
            )
            .collect()
    }
}

/// One example of a candidate pool: distinct candidates labelled by execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolRecord {
    pub example_id: String,
    pub position: usize,
    pub candidates: Vec<String>,
    pub labels: Vec<bool>,
}

/// One cell of a sweep: the run of one planner at one simulated discriminator accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepCell {
    pub run_id: String,
    pub planner: String,
    pub accuracy: f64,
}

impl ResultsStore {
    /// Stores one pool example (ignored when the pool already holds it).
    pub fn record_pool_example(
        &self,
        pool_id: &str,
        record: &PoolRecord,
    ) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO pools (pool_id, example_id, position, candidates, labels)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    pool_id,
                    record.example_id,
                    record.position as i64,
                    serde_json::to_string(&record.candidates).expect("strings serialize"),
                    serde_json::to_string(&record.labels).expect("bools serialize"),
                ],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Every stored example of pool `pool_id`, in position order.
    pub fn pool(&self, pool_id: &str) -> Result<Vec<PoolRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT example_id, position, candidates, labels FROM pools
                 WHERE pool_id = ?1 ORDER BY position",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([pool_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.sqlite(e))?;
        let json_err = |source| StoreError::Json {
            run_id: pool_id.to_string(),
            source,
        };
        rows.into_iter()
            .map(|(example_id, position, candidates, labels)| {
                Ok(PoolRecord {
                    example_id,
                    position: position as usize,
                    candidates: serde_json::from_str(&candidates).map_err(json_err)?,
                    labels: serde_json::from_str(&labels).map_err(json_err)?,
                })
            })
            .collect()
    }

    /// Adds a run to a sweep (ignored when already there).
    pub fn add_sweep_cell(&self, sweep_id: &str, cell: &SweepCell) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO sweeps (sweep_id, run_id, planner, accuracy)
                 VALUES (?1, ?2, ?3, ?4)",
                params![sweep_id, cell.run_id, cell.planner, cell.accuracy],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// The cells of sweep `sweep_id`, by planner then accuracy.
    pub fn sweep_cells(&self, sweep_id: &str) -> Result<Vec<SweepCell>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT run_id, planner, accuracy FROM sweeps WHERE sweep_id = ?1
                 ORDER BY planner, accuracy",
            )
            .map_err(|e| self.sqlite(e))?;
        let cells = stmt
            .query_map([sweep_id], |r| {
                Ok(SweepCell {
                    run_id: r.get(0)?,
                    planner: r.get(1)?,
                    accuracy: r.get(2)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.sqlite(e))?;
        Ok(cells)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: &str, position: usize) -> ExampleRecord {
        ExampleRecord {
            example_id: id.to_string(),
            position,
            prediction: "SELECT 1".into(),
            correct: position.is_multiple_of(2),
            seconds: 0.5,
            cost: Cost {
                llm_calls: 3,
                ..Cost::default()
            },
            trace: json!({"candidates": [id]}),
        }
    }

    #[test]
    fn resume_returns_finished_examples_and_ignores_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let store = ResultsStore::open(dir.path()).unwrap();
        let config = json!({"planner": "greedy"});
        assert!(store.begin_run("r1", &config, "abc").unwrap().is_empty());
        assert!(store.record_example("r1", &record("a", 0)).unwrap());
        assert!(store.record_example("r1", &record("b", 1)).unwrap());
        assert!(!store.record_example("r1", &record("a", 0)).unwrap());
        drop(store);

        let store = ResultsStore::open(dir.path()).unwrap();
        let done = store.begin_run("r1", &config, "abc").unwrap();
        assert_eq!(done, HashSet::from(["a".to_string(), "b".to_string()]));
        let examples = store.examples("r1").unwrap();
        assert_eq!(examples, vec![record("a", 0), record("b", 1)]);
        store.end_run("r1", "finished").unwrap();
        assert_eq!(store.run("r1").unwrap().status, "finished");
    }

    #[test]
    fn a_different_configuration_under_the_same_id_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = ResultsStore::open(dir.path()).unwrap();
        store.begin_run("r1", &json!({"n": 1}), "abc").unwrap();
        let err = store.begin_run("r1", &json!({"n": 2}), "abc").unwrap_err();
        assert!(matches!(err, StoreError::ConfigMismatch { .. }), "{err}");
    }

    #[test]
    fn pools_and_sweeps_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = ResultsStore::open(dir.path()).unwrap();
        let pool = PoolRecord {
            example_id: "dev/0".into(),
            position: 0,
            candidates: vec!["SELECT 1".into(), "SELECT 2".into()],
            labels: vec![true, false],
        };
        store.record_pool_example("p", &pool).unwrap();
        store.record_pool_example("p", &pool).unwrap();
        assert_eq!(store.pool("p").unwrap(), vec![pool]);
        assert!(store.pool("other").unwrap().is_empty());
        let cell = SweepCell {
            run_id: "r".into(),
            planner: "tree".into(),
            accuracy: 0.9,
        };
        store.add_sweep_cell("s", &cell).unwrap();
        store.add_sweep_cell("s", &cell).unwrap();
        assert_eq!(store.sweep_cells("s").unwrap(), vec![cell]);
    }

    #[test]
    fn unknown_runs_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = ResultsStore::open(dir.path()).unwrap();
        assert!(matches!(store.run("nope"), Err(StoreError::UnknownRun(_))));
        assert!(store.end_run("nope", "finished").is_err());
    }
}
