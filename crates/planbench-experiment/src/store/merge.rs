//! Merging results files: the shards of a study run on several machines become one file.
//!
//! Rows new to the destination are copied; a row both files hold must agree on what it
//! measured (a run's identity, an example's prediction and correctness, a pool's candidates,
//! a study cell's axes), or the merge is refused before anything is written.

use rusqlite::Connection;

use super::{ResultsStore, StoreError};

/// What one merge added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeCounts {
    pub runs: usize,
    pub examples: usize,
    pub pool_examples: usize,
    pub study_cells: usize,
}

/// Checks that find, for each table, the first row both files hold with different content.
const CONFLICTS: [(&str, &str); 5] = [
    (
        "run",
        "SELECT a.run_id FROM main.runs a JOIN src.runs b ON a.run_id = b.run_id
         WHERE a.config != b.config LIMIT 1",
    ),
    (
        "example",
        "SELECT a.run_id || ' / ' || a.example_id FROM main.examples a JOIN src.examples b
         ON a.run_id = b.run_id AND a.example_id = b.example_id
         WHERE a.prediction != b.prediction OR a.correct != b.correct
            OR a.position != b.position LIMIT 1",
    ),
    (
        "pool example",
        "SELECT a.pool_id || ' / ' || a.example_id FROM main.pools a JOIN src.pools b
         ON a.pool_id = b.pool_id AND a.example_id = b.example_id
         WHERE a.candidates != b.candidates OR a.labels != b.labels LIMIT 1",
    ),
    (
        "study cell",
        "SELECT a.study_id || ' / ' || a.run_id FROM main.study_cells a JOIN src.study_cells b
         ON a.study_id = b.study_id AND a.run_id = b.run_id WHERE a.cell != b.cell LIMIT 1",
    ),
    (
        "sweep cell",
        "SELECT a.sweep_id || ' / ' || a.run_id FROM main.sweeps a JOIN src.sweeps b
         ON a.sweep_id = b.sweep_id AND a.run_id = b.run_id
         WHERE a.planner != b.planner OR a.accuracy != b.accuracy LIMIT 1",
    ),
];

impl ResultsStore {
    /// Merges the results file at `source` into this store, in one transaction.
    ///
    /// The source is read, never written; a source written before runs kept their spec merges
    /// with `spec` unset. A run that is finished in both stays finished; otherwise it takes
    /// the source's status when the source's is not `finished`.
    pub fn merge_from(&self, source: &std::path::Path) -> Result<MergeCounts, StoreError> {
        let wrap = |e| StoreError::Sqlite {
            path: source.to_path_buf(),
            source: e,
        };
        let mut conn = self.conn();
        if !source.is_file() {
            return Err(StoreError::Io {
                path: source.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
        conn.execute("ATTACH DATABASE ?1 AS src", [source.to_string_lossy()])
            .map_err(wrap)?;
        let result = merge_attached(&mut conn);
        let _ = conn.execute_batch("DETACH DATABASE src");
        result.map_err(|e| match e {
            Merge::Sqlite(e) => wrap(e),
            Merge::NotResults(table) => StoreError::NotResults {
                path: source.to_path_buf(),
                table,
            },
            Merge::Conflict(what, key) => StoreError::MergeConflict {
                source_file: source.to_path_buf(),
                what,
                key,
            },
        })
    }
}

enum Merge {
    Sqlite(rusqlite::Error),
    Conflict(&'static str, String),
    NotResults(&'static str),
}

impl From<rusqlite::Error> for Merge {
    fn from(e: rusqlite::Error) -> Self {
        Merge::Sqlite(e)
    }
}

fn has_table(conn: &Connection, table: &str) -> Result<bool, rusqlite::Error> {
    conn.query_row(
        "SELECT COUNT(*) > 0 FROM src.sqlite_master WHERE type = 'table' AND name = ?1",
        [table],
        |r| r.get(0),
    )
}

fn has_column(conn: &Connection, table: &str, column: &str) -> Result<bool, rusqlite::Error> {
    conn.query_row(
        &format!("SELECT COUNT(*) > 0 FROM pragma_table_info('{table}', 'src') WHERE name = ?1"),
        [column],
        |r| r.get(0),
    )
}

fn merge_attached(conn: &mut Connection) -> Result<MergeCounts, Merge> {
    for table in ["runs", "examples"] {
        if !has_table(conn, table)? {
            return Err(Merge::NotResults(table));
        }
    }
    let optional = |column: &str| -> Result<&'static str, rusqlite::Error> {
        Ok(match (column, has_column(conn, "runs", column)?) {
            ("spec", true) => "spec",
            ("failure", true) => "failure",
            _ => "NULL",
        })
    };
    let (spec, failure) = (optional("spec")?, optional("failure")?);
    let present = |table: &str| has_table(conn, table);
    let (pools, sweeps, cells) = (
        present("pools")?,
        present("sweeps")?,
        present("study_cells")?,
    );
    for (what, sql) in CONFLICTS {
        let needed = match what {
            "pool example" => pools,
            "sweep cell" => sweeps,
            "study cell" => cells,
            _ => true,
        };
        if !needed {
            continue;
        }
        let found: Option<String> = conn.query_row(sql, [], |r| r.get(0)).ok();
        if let Some(key) = found {
            return Err(Merge::Conflict(what, key));
        }
    }
    let tx = conn.transaction()?;
    let mut counts = MergeCounts::default();
    tx.execute(
        "UPDATE main.runs SET status = (SELECT b.status FROM src.runs b
             WHERE b.run_id = main.runs.run_id)
         WHERE run_id IN (SELECT run_id FROM src.runs WHERE status != 'finished')",
        [],
    )?;
    counts.runs = tx.execute(
        &format!(
            "INSERT OR IGNORE INTO main.runs
             (run_id, config, code_revision, started_at, finished_at, status, spec, failure)
             SELECT run_id, config, code_revision, started_at, finished_at, status, {spec},
             {failure} FROM src.runs"
        ),
        [],
    )?;
    counts.examples = tx.execute(
        "INSERT OR IGNORE INTO main.examples SELECT run_id, example_id, position, prediction,
         correct, seconds, cost, trace, recorded_at FROM src.examples",
        [],
    )?;
    if pools {
        counts.pool_examples = tx.execute(
            "INSERT OR IGNORE INTO main.pools SELECT pool_id, example_id, position, candidates,
             labels FROM src.pools",
            [],
        )?;
    }
    if sweeps {
        tx.execute(
            "INSERT OR IGNORE INTO main.sweeps SELECT sweep_id, run_id, planner, accuracy
             FROM src.sweeps",
            [],
        )?;
    }
    if cells {
        counts.study_cells = tx.execute(
            "INSERT OR IGNORE INTO main.study_cells SELECT study_id, run_id, position, cell
             FROM src.study_cells",
            [],
        )?;
    }
    tx.commit()?;
    Ok(counts)
}
