//! Studies: which stored runs make up a grid, with the axis values of each cell. Sweeps written
//! before studies existed (table `sweeps`) read as studies too.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{ResultsStore, StoreError};

/// One cell of a study: a stored run and the axis values that produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyCell {
    pub run_id: String,
    /// Order of the cell in the study's grid.
    pub position: usize,
    /// Axis name to value, e.g. `{"planner": "tree", "accuracy": 0.9}`.
    pub axes: serde_json::Value,
}

/// One cell of a sweep as stored before studies (legacy): the run of one planner at one simulated discriminator accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepCell {
    pub run_id: String,
    pub planner: String,
    pub accuracy: f64,
}

impl ResultsStore {
    /// Adds a run to a legacy sweep, ignored when already there (only tests write them now).
    #[cfg(test)]
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

impl ResultsStore {
    /// Adds a cell to study `study_id` (ignored when already there).
    pub fn add_study_cell(&self, study_id: &str, cell: &StudyCell) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO study_cells (study_id, run_id, position, cell)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    study_id,
                    cell.run_id,
                    cell.position as i64,
                    cell.axes.to_string()
                ],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// The cells of study `study_id` in grid order; a legacy sweep's cells when no study has
    /// that id.
    pub fn study_cells(&self, study_id: &str) -> Result<Vec<StudyCell>, StoreError> {
        let rows: Vec<(String, i64, String)> = {
            let conn = self.conn();
            let mut stmt = conn
                .prepare(
                    "SELECT run_id, position, cell FROM study_cells WHERE study_id = ?1
                     ORDER BY position",
                )
                .map_err(|e| self.sqlite(e))?;
            let rows = stmt
                .query_map([study_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(|e| self.sqlite(e))?;
            rows
        };
        if rows.is_empty() {
            return Ok(self
                .sweep_cells(study_id)?
                .into_iter()
                .enumerate()
                .map(|(position, c)| StudyCell {
                    run_id: c.run_id,
                    position,
                    axes: serde_json::json!({ "planner": c.planner, "accuracy": c.accuracy }),
                })
                .collect());
        }
        rows.into_iter()
            .map(|(run_id, position, cell)| {
                let axes = serde_json::from_str(&cell).map_err(|source| StoreError::Json {
                    run_id: run_id.clone(),
                    source,
                })?;
                Ok(StudyCell {
                    run_id,
                    position: position as usize,
                    axes,
                })
            })
            .collect()
    }

    /// Ids of every study and legacy sweep.
    pub fn study_ids(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT DISTINCT study_id FROM study_cells UNION
                 SELECT DISTINCT sweep_id FROM sweeps ORDER BY 1",
            )
            .map_err(|e| self.sqlite(e))?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.sqlite(e))?;
        Ok(ids)
    }
}
