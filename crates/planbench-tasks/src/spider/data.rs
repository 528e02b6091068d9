//! Reading Spider's JSON files.

use std::collections::HashSet;
use std::path::Path;

use planbench_core::TaskError;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// One entry of `dev.json` / `train_spider.json` (the fields the task uses).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Record {
    pub db_id: String,
    pub query: String,
    pub question: String,
}

/// One entry of `tables.json` (only its database id).
#[derive(Debug, Deserialize)]
struct TableEntry {
    db_id: String,
}

/// The examples of a split file, in file order.
pub(crate) fn read_records(path: &Path) -> Result<Vec<Record>, TaskError> {
    read_json(path)
}

/// The database ids that `tables.json` describes.
pub(crate) fn read_db_ids(path: &Path) -> Result<HashSet<String>, TaskError> {
    let entries: Vec<TableEntry> = read_json(path)?;
    Ok(entries.into_iter().map(|e| e.db_id).collect())
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, TaskError> {
    let text = std::fs::read_to_string(path).map_err(|source| TaskError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| TaskError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        message: e.to_string(),
    })
}
