//! Candidate pools: distinct candidates per example, labelled by execution, shared by every
//! discriminator evaluated on them.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{ResultsStore, StoreError};

/// One example of a candidate pool: distinct candidates labelled by execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolRecord {
    pub example_id: String,
    pub position: usize,
    pub candidates: Vec<String>,
    pub labels: Vec<bool>,
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
}
