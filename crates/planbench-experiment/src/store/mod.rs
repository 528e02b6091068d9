//! The results store: one SQLite file holding every run and every finished example.
//!
//! Each finished example is written in its own transaction, so a run killed at any moment keeps
//! every example it finished, and the `(run_id, example_id)` primary key guarantees that none is
//! recorded twice. Re-opening a run with the same id resumes it. Files written before runs kept
//! their spec still open: the missing columns are added and such runs read with `spec: None`.

mod merge;
mod pools;
mod studies;

pub use merge::MergeCounts;
pub use pools::PoolRecord;
pub use studies::{StudyCell, SweepCell};

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use planbench_core::Cost;

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
    #[error("cannot merge {source_file}: {what} {key} differs between the files")]
    MergeConflict {
        source_file: PathBuf,
        what: &'static str,
        key: String,
    },
    #[error("{path} is not a planbench results file (it has no `{table}` table)")]
    NotResults { path: PathBuf, table: &'static str },
    #[error(
        "run {run_id} was made by code revision {stored}, this is {current}; resuming would \
         mix revisions (pass --allow-new-revision to accept, or choose another --run-id)"
    )]
    RevisionMismatch {
        run_id: String,
        stored: String,
        current: String,
    },
    #[error("run {run_id} has the unknown status `{status}`")]
    BadStatus { run_id: String, status: String },
    #[error("no run with id {0}")]
    UnknownRun(String),
    #[error("malformed JSON stored in run {run_id}: {source}")]
    Json {
        run_id: String,
        source: serde_json::Error,
    },
}

/// Whether a run may resume under a code revision it has not run under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewRevision {
    /// Refuse: results of one run come from one code revision.
    Refuse,
    /// Accept, and record the new revision beside the old ones.
    Accept,
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// Started and not ended (or killed): the same command resumes it.
    Running,
    /// Every selected example (of the shard that ran) is stored.
    Finished,
    /// Stopped by an error, or with examples that could not be judged (see the run's
    /// `failure`); the same command resumes it.
    Failed,
}

planbench_core::named_enum!(RunStatus, "run status", {
    Running => "running",
    Finished => "finished",
    Failed => "failed",
});

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    /// The run's identity: everything that changes its results (see `identity`).
    pub config: serde_json::Value,
    /// The serialized `RunSpec`; `None` for runs stored before specs were kept.
    pub spec: Option<serde_json::Value>,
    pub code_revision: String,
    /// Seconds since the Unix epoch.
    pub started_at: f64,
    pub finished_at: Option<f64>,
    pub status: RunStatus,
    /// Why a failed run stopped.
    pub failure: Option<String>,
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
                 status TEXT NOT NULL,
                 spec TEXT,
                 failure TEXT
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
             );
             CREATE TABLE IF NOT EXISTS study_cells (
                 study_id TEXT NOT NULL,
                 run_id TEXT NOT NULL,
                 position INTEGER NOT NULL,
                 cell TEXT NOT NULL,
                 PRIMARY KEY (study_id, run_id)
             );",
        )
        .map_err(wrap)?;
        for column in ["spec", "failure"] {
            let present: bool = conn
                .query_row(
                    "SELECT COUNT(*) > 0 FROM pragma_table_info('runs') WHERE name = ?1",
                    [column],
                    |r| r.get(0),
                )
                .map_err(wrap)?;
            if !present {
                conn.execute_batch(&format!("ALTER TABLE runs ADD COLUMN {column} TEXT"))
                    .map_err(wrap)?;
            }
        }
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

    /// Starts run `run_id`, or resumes it when it exists with the same identity `config`.
    /// Two processes starting one run at once both succeed: creation is one atomic insert.
    /// Resuming with another code revision is refused unless `new_revision` is
    /// [`NewRevision::Accept`]; the run then records every revision it ran under.
    ///
    /// Returns the ids of the examples the run has already finished.
    pub fn begin_run(
        &self,
        run_id: &str,
        config: &serde_json::Value,
        spec: &serde_json::Value,
        code_revision: &str,
        new_revision: NewRevision,
    ) -> Result<HashSet<String>, StoreError> {
        {
            let conn = self.conn();
            conn.execute(
                "INSERT INTO runs (run_id, config, spec, code_revision, started_at, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'running') ON CONFLICT (run_id) DO NOTHING",
                params![
                    run_id,
                    config.to_string(),
                    spec.to_string(),
                    code_revision,
                    now()
                ],
            )
            .map_err(|e| self.sqlite(e))?;
            let (stored, revisions): (String, String) = conn
                .query_row(
                    "SELECT config, code_revision FROM runs WHERE run_id = ?1",
                    [run_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(|e| self.sqlite(e))?;
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
            if !revisions.split(',').any(|r| r == code_revision) {
                if new_revision == NewRevision::Refuse {
                    return Err(StoreError::RevisionMismatch {
                        run_id: run_id.to_string(),
                        stored: revisions,
                        current: code_revision.to_string(),
                    });
                }
                conn.execute(
                    "UPDATE runs SET code_revision = code_revision || ',' || ?2 WHERE run_id = ?1",
                    params![run_id, code_revision],
                )
                .map_err(|e| self.sqlite(e))?;
            }
            conn.execute(
                "UPDATE runs SET status = 'running', finished_at = NULL, failure = NULL,
                 spec = COALESCE(spec, ?2) WHERE run_id = ?1",
                params![run_id, spec.to_string()],
            )
            .map_err(|e| self.sqlite(e))?;
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

    /// Ends a run with `status`; `failure` says why a failed run stopped.
    pub fn end_run(
        &self,
        run_id: &str,
        status: RunStatus,
        failure: Option<&str>,
    ) -> Result<(), StoreError> {
        let changed = self
            .conn()
            .execute(
                "UPDATE runs SET status = ?2, finished_at = ?3, failure = ?4 WHERE run_id = ?1",
                params![run_id, status.as_str(), now(), failure],
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
                "SELECT run_id, config, code_revision, started_at, finished_at, status, spec,
                 failure FROM runs WHERE run_id = ?1",
                [run_id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, f64>(3)?,
                        r.get::<_, Option<f64>>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, Option<String>>(7)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.sqlite(e))?
            .ok_or_else(|| StoreError::UnknownRun(run_id.to_string()))?;
        let json = |text: &str| {
            serde_json::from_str(text).map_err(|source| StoreError::Json {
                run_id: run_id.to_string(),
                source,
            })
        };
        let status = row.5.parse().map_err(|_| StoreError::BadStatus {
            run_id: run_id.to_string(),
            status: row.5.clone(),
        })?;
        Ok(RunRecord {
            config: json(&row.1)?,
            spec: row.6.as_deref().map(json).transpose()?,
            run_id: row.0,
            code_revision: row.2,
            started_at: row.3,
            finished_at: row.4,
            status,
            failure: row.7,
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
        let spec = json!({});
        assert!(store
            .begin_run("r1", &config, &spec, "abc", NewRevision::Refuse)
            .unwrap()
            .is_empty());
        assert!(store.record_example("r1", &record("a", 0)).unwrap());
        assert!(store.record_example("r1", &record("b", 1)).unwrap());
        assert!(!store.record_example("r1", &record("a", 0)).unwrap());
        drop(store);

        let store = ResultsStore::open(dir.path()).unwrap();
        let done = store
            .begin_run("r1", &config, &spec, "abc", NewRevision::Refuse)
            .unwrap();
        assert_eq!(done, HashSet::from(["a".to_string(), "b".to_string()]));
        let examples = store.examples("r1").unwrap();
        assert_eq!(examples, vec![record("a", 0), record("b", 1)]);
        store.end_run("r1", RunStatus::Finished, None).unwrap();
        assert_eq!(store.run("r1").unwrap().status, RunStatus::Finished);
        store
            .end_run("r1", RunStatus::Failed, Some("disk full"))
            .unwrap();
        let run = store.run("r1").unwrap();
        assert_eq!(run.failure.as_deref(), Some("disk full"));
        assert_eq!(run.spec, Some(spec));
    }

    #[test]
    fn a_different_configuration_under_the_same_id_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = ResultsStore::open(dir.path()).unwrap();
        let refuse = NewRevision::Refuse;
        store
            .begin_run("r1", &json!({"n": 1}), &json!({}), "abc", refuse)
            .unwrap();
        let err = store
            .begin_run("r1", &json!({"n": 2}), &json!({}), "abc", refuse)
            .unwrap_err();
        assert!(matches!(err, StoreError::ConfigMismatch { .. }), "{err}");
        let err = store
            .begin_run("r1", &json!({"n": 1}), &json!({}), "def", refuse)
            .unwrap_err();
        assert!(matches!(err, StoreError::RevisionMismatch { .. }), "{err}");
        store
            .begin_run(
                "r1",
                &json!({"n": 1}),
                &json!({}),
                "def",
                NewRevision::Accept,
            )
            .unwrap();
        assert_eq!(store.run("r1").unwrap().code_revision, "abc,def");
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
        assert!(store.end_run("nope", RunStatus::Finished, None).is_err());
    }
}
