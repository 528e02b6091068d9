//! Sandboxed SQLite connections: read-only, immutable files, an authorizer, and lowered limits.
//!
//! Every connection opens its file with `SQLITE_OPEN_READ_ONLY` and the URI parameter
//! `immutable=1` (no journal, no locks, no writes are possible), turns on `query_only`, the
//! defensive mode and an untrusted schema, allows no attached databases, and installs an
//! authorizer that only lets reads, `SELECT`, recursive CTEs, harmless functions and a few
//! schema-reading pragmas through.
//!
//! Limits bound the work of every single SQLite call, which no interrupt can stop midway: a
//! string or blob holds at most [`MAX_VALUE_BYTES`], so that the quadratic string functions
//! (`instr`, `replace`, `trim`) finish within a fraction of a second; `LIKE`/`GLOB` patterns,
//! columns, compound selects, expression depth and the statement's length are capped; sorts
//! and temporary tables spill to files; and SQLite's whole heap in this process is capped by
//! [`HEAP_LIMIT_BYTES`].

use std::path::Path;
use std::sync::Once;

use planbench_core::ExecError;
use rusqlite::ffi;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::{Connection, OpenFlags};

/// Largest string, blob or row a query may build or read (`SQLITE_LIMIT_LENGTH`). Spider's
/// largest stored value has 213 bytes; at this length the worst `instr`/`replace` call takes
/// about half a second.
pub(crate) const MAX_VALUE_BYTES: i32 = 256 << 10;
/// Longest SQL text accepted (`SQLITE_LIMIT_SQL_LENGTH`).
pub(crate) const MAX_SQL_BYTES: i32 = 100_000;
/// Longest `LIKE` or `GLOB` pattern (`SQLITE_LIMIT_LIKE_PATTERN_LENGTH`; Spider's longest is
/// 36 bytes).
const MAX_PATTERN_BYTES: i32 = 256;
/// Most columns in a result, table, index or `ORDER BY` (`SQLITE_LIMIT_COLUMN`; Spider's
/// widest table has 26).
const MAX_COLUMNS: i32 = 256;
/// Most terms of a compound `SELECT` (`SQLITE_LIMIT_COMPOUND_SELECT`).
const MAX_COMPOUND: i32 = 64;
/// Deepest expression tree (`SQLITE_LIMIT_EXPR_DEPTH`).
const MAX_EXPR_DEPTH: i32 = 256;
/// Most virtual-machine instructions in one prepared statement (`SQLITE_LIMIT_VDBE_OP`).
const MAX_VDBE_OPS: i32 = 1_000_000;
/// Most arguments of a function call (`SQLITE_LIMIT_FUNCTION_ARG`).
const MAX_FUNCTION_ARGS: i32 = 64;
/// Page cache per connection, in KiB (negative `cache_size`); bounds sorter memory too.
const CACHE_KIB: i64 = 4 << 10;
/// SQLite's heap in this whole process (`sqlite3_hard_heap_limit64`). Other SQLite users of
/// the process (the results store, the response cache) share it; a statement that reaches it
/// fails with "out of memory".
pub(crate) const HEAP_LIMIT_BYTES: i64 = 1 << 30;

/// Start of the message of a database that could not be opened.
pub(crate) const OPEN_FAILED: &str = "cannot open database";
/// Start of the message of a database file that is missing.
pub(crate) const NOT_FOUND: &str = "database file not found";

/// Functions a query may not call, whatever SQLite build runs it.
const DENIED_FUNCTIONS: &[&str] = &[
    "load_extension",
    "readfile",
    "writefile",
    "edit",
    "fts3_tokenizer",
    "sqlar_compress",
    "sqlar_uncompress",
    "zipfile",
    "lsmode",
];

/// Pragmas a query may run: they only read the schema.
const READ_PRAGMAS: &[&str] = &[
    "table_info",
    "table_xinfo",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
];

/// Caps SQLite's heap for the process, once; a lower limit already in force is kept.
fn limit_heap() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_hard_heap_limit64 only reads and sets a process-wide integer under
        // SQLite's own mutex; a negative argument queries without changing.
        unsafe {
            let current = ffi::sqlite3_hard_heap_limit64(-1);
            if current == 0 || current > HEAP_LIMIT_BYTES {
                ffi::sqlite3_hard_heap_limit64(HEAP_LIMIT_BYTES);
            }
        }
    });
}

/// Opens a sandboxed connection to `path`.
pub(crate) fn open(path: &Path) -> Result<Connection, ExecError> {
    if !path.is_file() {
        return Err(ExecError::Failed(format!(
            "{NOT_FOUND}: {}",
            path.display()
        )));
    }
    limit_heap();
    let uri = format!("file:{}?mode=ro&immutable=1", uri_escape(path));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let setup = || -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(&uri, flags)?;
        use rusqlite::config::DbConfig;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        // SAFETY: the handle is valid for the connection's lifetime, and sqlite3_limit only
        // lowers per-connection limits.
        unsafe {
            let db = conn.handle();
            for (limit, value) in [
                (ffi::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES),
                (ffi::SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES),
                (ffi::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, MAX_PATTERN_BYTES),
                (ffi::SQLITE_LIMIT_COLUMN, MAX_COLUMNS),
                (ffi::SQLITE_LIMIT_COMPOUND_SELECT, MAX_COMPOUND),
                (ffi::SQLITE_LIMIT_EXPR_DEPTH, MAX_EXPR_DEPTH),
                (ffi::SQLITE_LIMIT_VDBE_OP, MAX_VDBE_OPS),
                (ffi::SQLITE_LIMIT_FUNCTION_ARG, MAX_FUNCTION_ARGS),
                (ffi::SQLITE_LIMIT_ATTACHED, 0),
            ] {
                ffi::sqlite3_limit(db, limit, value);
            }
        }
        conn.execute_batch(&format!(
            "PRAGMA query_only = 1; PRAGMA temp_store = FILE; PRAGMA cache_size = -{CACHE_KIB};"
        ))?;
        conn.authorizer(Some(authorize));
        Ok(conn)
    };
    setup().map_err(|e| ExecError::Failed(format!("{OPEN_FAILED} {}: {e}", path.display())))
}

/// The authorizer: reads only.
fn authorize(ctx: AuthContext<'_>) -> Authorization {
    let allowed = match ctx.action {
        AuthAction::Select | AuthAction::Read { .. } | AuthAction::Recursive => true,
        AuthAction::Function { function_name } => !DENIED_FUNCTIONS
            .iter()
            .any(|f| f.eq_ignore_ascii_case(function_name)),
        AuthAction::Pragma { pragma_name, .. } => READ_PRAGMAS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(pragma_name)),
        _ => false,
    };
    if allowed {
        Authorization::Allow
    } else {
        Authorization::Deny
    }
}

/// Percent-escapes a path for an SQLite `file:` URI.
fn uri_escape(path: &Path) -> String {
    let mut out = String::new();
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_carry_the_lowered_limits_and_the_heap_limit() {
        let dir = std::env::temp_dir().join(format!("planbench-conn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.sqlite");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (a); INSERT INTO t VALUES (1);")
            .unwrap();
        let conn = open(&path).unwrap();
        // SAFETY: querying limits (a negative new value) changes nothing.
        let (length, pattern, columns, heap) = unsafe {
            (
                ffi::sqlite3_limit(conn.handle(), ffi::SQLITE_LIMIT_LENGTH, -1),
                ffi::sqlite3_limit(conn.handle(), ffi::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, -1),
                ffi::sqlite3_limit(conn.handle(), ffi::SQLITE_LIMIT_COLUMN, -1),
                ffi::sqlite3_hard_heap_limit64(-1),
            )
        };
        assert_eq!(
            (length, pattern, columns),
            (MAX_VALUE_BYTES, MAX_PATTERN_BYTES, MAX_COLUMNS)
        );
        assert!(heap > 0 && heap <= HEAP_LIMIT_BYTES, "{heap}");
        let n: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        assert!(conn.execute_batch("DELETE FROM t").is_err());
        drop(conn);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
