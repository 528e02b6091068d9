//! Pieces of the Spider prompts: database schemas and execution results as text.

use planbench_core::{ExecError, Execution, Output, Value};

use super::compare::py_str;
use super::sandbox::{Fetch, Sandbox};

/// Rows of a result shown to a discriminator or a corrector.
const SHOWN_ROWS: usize = 5;
/// Characters of a text value shown before it is cut with `...`.
const SHOWN_CHARS: usize = 128;

/// The paper's schema text: one `-- Table t: c1, c2, ...` line per table of the database
/// (`sqlite_master` order, names lower-cased), read from the SQLite file itself.
pub(crate) fn schema_text(sandbox: &Sandbox, db_id: &str) -> Result<String, ExecError> {
    let tables = sandbox.run(
        db_id,
        "SELECT name FROM sqlite_master WHERE type = 'table'",
        Fetch::All,
    )?;
    let mut lines = Vec::with_capacity(tables.rows.len());
    for row in &tables.rows {
        let name = row.first().map(py_str).unwrap_or_default();
        let columns = sandbox.run(
            db_id,
            &format!(
                "SELECT name FROM pragma_table_info('{}')",
                name.replace('\'', "''")
            ),
            Fetch::All,
        )?;
        let columns: Vec<String> = columns
            .rows
            .iter()
            .map(|r| r.first().map(py_str).unwrap_or_default().to_lowercase())
            .collect();
        lines.push(format!(
            "-- Table {}: {}",
            name.to_lowercase(),
            columns.join(", ")
        ));
    }
    Ok(lines.join("\n"))
}

/// An execution as the paper shows it: one `-- column: v1, v2, ...` line per column over the
/// first 5 rows (text cut at 128 characters plus `...`), `None` for no rows, and
/// `ERROR: <message>` when the query failed.
pub(crate) fn execution_text(execution: &Execution) -> String {
    match &execution.result {
        Err(e) => format!("ERROR: {}", error_message(e)),
        Ok(Output::Answer(v)) => shown_value(v),
        Ok(Output::Table { columns, rows }) => {
            if rows.is_empty() {
                return "None".to_string();
            }
            let shown = &rows[..rows.len().min(SHOWN_ROWS)];
            columns
                .iter()
                .enumerate()
                .map(|(c, name)| {
                    let values: Vec<String> = shown
                        .iter()
                        .map(|r| r.get(c).map(shown_value).unwrap_or_default())
                        .collect();
                    format!("-- {}: {}", name.to_lowercase(), values.join(", "))
                })
                .collect::<Vec<_>>()
                .join("\n")
        }
    }
}

fn error_message(e: &ExecError) -> String {
    match e {
        ExecError::Failed(m) | ExecError::Refused(m) | ExecError::ResourceLimit(m) => m.clone(),
        ExecError::Timeout(_) => e.to_string(),
    }
}

fn shown_value(value: &Value) -> String {
    match value {
        Value::Text(s) if s.chars().count() > SHOWN_CHARS => {
            let cut: String = s.chars().take(SHOWN_CHARS).collect();
            format!("{cut}...")
        }
        _ => py_str(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_shown_column_by_column() {
        let long = "x".repeat(130);
        let execution = Execution {
            result: Ok(Output::Table {
                columns: vec!["Name".into(), "Age".into()],
                rows: (0..7)
                    .map(|i| vec![Value::Text(long.clone()), Value::Real(f64::from(i) + 0.5)])
                    .collect(),
            }),
            seconds: 0.0,
        };
        let text = execution_text(&execution);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with(&format!("-- name: {}..., ", "x".repeat(128))));
        assert_eq!(lines[1], "-- age: 0.5, 1.5, 2.5, 3.5, 4.5");
        let failed = Execution {
            result: Err(ExecError::Failed("no such column: x".into())),
            seconds: 0.0,
        };
        assert_eq!(execution_text(&failed), "ERROR: no such column: x");
    }
}
